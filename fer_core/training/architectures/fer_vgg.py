from . import INPUT_SHAPE, register_architecture
from ._blocks import conv_bn_relu


@register_architecture("fer_vgg", order=1,
                       label="fer_vgg: compact VGG with batch norm (most accurate; hours on a CPU, minutes on a GPU)",
                       description="The accurate choice for a GPU or a long run; the shipped fer_studio model is one.")
def build_fer_vgg(num_classes: int, widths=(32, 64, 128, 256)):
    """A compact VGG with batch norm. Four blocks of two 3×3 convolutions halve 48→3; the first block is narrow
    because at 48×48 it costs the most; global pooling keeps the head small."""
    import keras
    from keras import layers

    inputs = keras.Input(INPUT_SHAPE)
    x = layers.Rescaling(1 / 255)(inputs)
    for block, filters in enumerate(widths):
        x = conv_bn_relu(x, filters)
        x = conv_bn_relu(x, filters)
        x = layers.MaxPooling2D(2)(x)
        x = layers.Dropout(0.1 + 0.05 * block)(x)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dense(256, use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)
    x = layers.Dropout(0.4)(x)
    outputs = layers.Dense(num_classes, activation="softmax", dtype="float32")(x)
    return keras.Model(inputs, outputs, name="fer_vgg")
