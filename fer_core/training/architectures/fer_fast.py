from . import INPUT_SHAPE, register_architecture
from ._blocks import conv_bn_relu


@register_architecture("fer_fast", order=0,
                       label="fer_fast: compact CNN built to train on a CPU (default: minutes on 2 cores)",
                       description="The default: 30 epochs of FER2013 in minutes on 2 CPU cores (its measured time "
                                   "is in models/fer_fast.json).")
def build_fer_fast(num_classes: int, widths=(32, 64, 128, 256)):
    """Designed to train on 2 CPU cores: 30 epochs of FER2013 in minutes, not hours. A stride-2 first convolution and
    early pooling keep the costly 48×48 and 24×24 layers thin (24 M multiply-adds per face against fer_vgg's 118 M),
    while the 12×12 and 6×6 stages keep VGG's two convolutions each; the measurements that chose it are in
    docs/training_on_cpu.md."""
    import keras
    from keras import layers

    inputs = keras.Input(INPUT_SHAPE)
    x = layers.Rescaling(1 / 255)(inputs)
    x = conv_bn_relu(x, widths[0], strides=2)  # 48 → 24 at once: the first layer sees edges, not faces
    x = conv_bn_relu(x, widths[0])
    x = layers.MaxPooling2D(2)(x)
    for filters in widths[1:3]:
        x = conv_bn_relu(x, filters)
        x = conv_bn_relu(x, filters)
        x = layers.MaxPooling2D(2)(x)
    x = conv_bn_relu(x, widths[3])
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dropout(0.3)(x)
    outputs = layers.Dense(num_classes, activation="softmax", dtype="float32")(x)
    return keras.Model(inputs, outputs, name="fer_fast")
