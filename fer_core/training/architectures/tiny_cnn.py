from . import INPUT_SHAPE, register_architecture


@register_architecture("tiny_cnn", order=3, label="tiny_cnn: a smoke test, trains in seconds",
                       description="A few thousand weights: for tests and smoke runs of the whole pipeline, not for use.")
def build_tiny_cnn(num_classes: int):
    import keras
    from keras import layers

    return keras.Sequential(
        [
            keras.Input(INPUT_SHAPE),
            layers.Rescaling(1 / 255),
            layers.Conv2D(8, 3, strides=2, activation="relu"),
            layers.Conv2D(16, 3, strides=2, activation="relu"),
            layers.GlobalAveragePooling2D(),
            layers.Dense(num_classes, activation="softmax", dtype="float32"),
        ],
        name="tiny_cnn",
    )
