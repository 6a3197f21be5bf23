from . import INPUT_SHAPE, register_architecture


@register_architecture("seed_cnn", order=2, label="seed_cnn: the original notebook's CNN",
                       description="The notebook's recipe, kept to compare against.")
def build_seed_cnn(num_classes: int):
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
            layers.Dense(num_classes, activation="softmax", dtype="float32"),
        ],
        name="seed_cnn",
    )
