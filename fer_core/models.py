"""The network architectures, by name. Every model takes float32 grey levels 0–255 shaped (48, 48, 1), rescales
them itself, and ends in a softmax over the seven emotions, trained on one-hot labels as the notebook did. The softmax
is float32 even when the rest runs in bfloat16 (see TrainingConfig.precision), so the loss sees exact probabilities."""

from __future__ import annotations

from .errors import FERError
from .labels import IMAGE_SIZE, NUM_CLASSES

INPUT_SHAPE = (IMAGE_SIZE, IMAGE_SIZE, 1)


def build_seed_cnn():
    """The original notebook's recipe: stacked Conv2D/MaxPool/Dropout, a wide Dense layer, softmax."""
    import keras
    from keras import layers

    return keras.Sequential(
        [
            keras.Input(INPUT_SHAPE),
            layers.Rescaling(1 / 255),
            layers.Conv2D(32, 3, activation="relu"),
            layers.Conv2D(64, 3, activation="relu"),
            layers.MaxPooling2D(2),
            layers.Dropout(0.25),
            layers.Conv2D(128, 3, activation="relu"),
            layers.MaxPooling2D(2),
            layers.Conv2D(128, 3, activation="relu"),
            layers.MaxPooling2D(2),
            layers.Dropout(0.25),
            layers.Flatten(),
            layers.Dense(1024, activation="relu"),
            layers.Dropout(0.5),
            layers.Dense(NUM_CLASSES, activation="softmax", dtype="float32"),
        ],
        name="seed_cnn",
    )


def _conv_bn_relu(x, filters, strides=1):
    from keras import layers

    x = layers.Conv2D(filters, 3, strides=strides, padding="same", use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    return layers.Activation("relu")(x)


def build_fer_fast(widths=(32, 64, 128, 256)):
    """The default, designed to train on 2 CPU cores: 30 epochs of FER2013 in minutes, not hours. A stride-2 first
    convolution and early pooling keep the costly 48×48 and 24×24 layers thin (24 M multiply-adds per face against
    fer_vgg's 118 M), while the 12×12 and 6×6 stages keep VGG's two convolutions each; the measurements that chose
    it are in docs/training_on_cpu.md."""
    import keras
    from keras import layers

    inputs = keras.Input(INPUT_SHAPE)
    x = layers.Rescaling(1 / 255)(inputs)
    x = _conv_bn_relu(x, widths[0], strides=2)  # 48 → 24 at once: the first layer sees edges, not faces
    x = _conv_bn_relu(x, widths[0])
    x = layers.MaxPooling2D(2)(x)
    for filters in widths[1:3]:
        x = _conv_bn_relu(x, filters)
        x = _conv_bn_relu(x, filters)
        x = layers.MaxPooling2D(2)(x)
    x = _conv_bn_relu(x, widths[3])
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dropout(0.3)(x)
    outputs = layers.Dense(NUM_CLASSES, activation="softmax", dtype="float32")(x)
    return keras.Model(inputs, outputs, name="fer_fast")


def build_fer_vgg(widths=(32, 64, 128, 256)):
    """The accurate choice for a GPU or a long run: a compact VGG with batch norm. Four blocks of two 3×3 convolutions halve 48→3; the first
    block is narrow because at 48×48 it costs the most; global pooling keeps the head small."""
    import keras
    from keras import layers

    inputs = keras.Input(INPUT_SHAPE)
    x = layers.Rescaling(1 / 255)(inputs)
    for block, filters in enumerate(widths):
        x = _conv_bn_relu(x, filters)
        x = _conv_bn_relu(x, filters)
        x = layers.MaxPooling2D(2)(x)
        x = layers.Dropout(0.1 + 0.05 * block)(x)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dense(256, use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)
    x = layers.Dropout(0.4)(x)
    outputs = layers.Dense(NUM_CLASSES, activation="softmax", dtype="float32")(x)
    return keras.Model(inputs, outputs, name="fer_vgg")


def build_tiny_cnn():
    """A few thousand weights: for tests and smoke runs of the whole pipeline in seconds, not for use."""
    import keras
    from keras import layers

    return keras.Sequential(
        [
            keras.Input(INPUT_SHAPE),
            layers.Rescaling(1 / 255),
            layers.Conv2D(8, 3, strides=2, activation="relu"),
            layers.Conv2D(16, 3, strides=2, activation="relu"),
            layers.GlobalAveragePooling2D(),
            layers.Dense(NUM_CLASSES, activation="softmax", dtype="float32"),
        ],
        name="tiny_cnn",
    )


ARCHITECTURES = {"fer_fast": build_fer_fast, "fer_vgg": build_fer_vgg, "seed_cnn": build_seed_cnn,
                 "tiny_cnn": build_tiny_cnn}
DEFAULT_ARCHITECTURE = "fer_fast"


def build_model(name: str = DEFAULT_ARCHITECTURE):
    if name not in ARCHITECTURES:
        raise FERError(f"Unknown architecture {name!r}: choose one of {', '.join(ARCHITECTURES)}.")
    return ARCHITECTURES[name]()
