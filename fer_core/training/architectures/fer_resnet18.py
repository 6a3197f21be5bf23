from . import INPUT_SHAPE, register_architecture
from ._blocks import conv_bn_relu


@register_architecture("fer_resnet18", order=2,
                       label="fer_resnet18: ResNet-18 sized for 48×48 faces (a GPU's model: minutes there, a day here)",
                       description="For a GPU: the deeper teacher of scripts/gpu_sweep.py (docs/gpu_sweep.md).")
def build_fer_resnet18(num_classes: int, widths=(32, 64, 128, 256)):
    """ResNet-18's eight basic blocks, two per stage, for 48×48 input: a 3×3 stem without ImageNet's stride and pooling
    (a 48×48 face has no pixels to spare), stages at 48, 24, 12 and 6 pixels, half ResNet-18's widths so that
    the served model's six views fit 2 CPU cores (312 M multiply-adds per view, 2.8 M weights)."""
    import keras
    from keras import layers

    inputs = keras.Input(INPUT_SHAPE)
    x = layers.Rescaling(1 / 255)(inputs)
    x = conv_bn_relu(x, widths[0])
    for stage, filters in enumerate(widths):
        for block in range(2):
            x = _basic_block(x, filters, strides=2 if stage and not block else 1)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dropout(0.2)(x)
    outputs = layers.Dense(num_classes, activation="softmax", dtype="float32")(x)
    return keras.Model(inputs, outputs, name="fer_resnet18")


def _basic_block(x, filters, strides):
    """Two 3×3 convolutions and the identity (a strided 1×1 convolution where the shape changes) added back."""
    from keras import layers

    shortcut = x
    if strides != 1 or x.shape[-1] != filters:
        shortcut = layers.Conv2D(filters, 1, strides=strides, use_bias=False)(x)
        shortcut = layers.BatchNormalization()(shortcut)
    x = conv_bn_relu(x, filters, strides=strides)
    x = layers.Conv2D(filters, 3, padding="same", use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    return layers.Activation("relu")(layers.Add()([x, shortcut]))
