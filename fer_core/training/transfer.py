"""Transfer learning, the reason Teachable Machine trains in seconds: keep a trained model's features (by default
the shipped fer_studio's, learnt from 28,709 FER2013 faces) and train only a new output layer for your own classes,
and optionally the model's last block too. A few tens of photos per class then train on 2 CPU cores in well under a
minute, where a network trained from scratch on them would learn little.

The new model is an ordinary Keras model (the base's layers, then a fresh softmax), so it is saved, resumed, exported
to LiteRT, scored and served like any other run's model."""

from __future__ import annotations

from pathlib import Path

from ..data.fer2013 import CLASS_NAMES
from ..errors import FERError

# How much of the base model trains: "head" is its new output layer only; "head_and_last_block" also its last
# convolution block and dense layer. "auto" is "head" for data whose classes are not FER2013's and "off" for FER2013.
TRANSFER_CHOICES = {
    "auto": "Automatic: from the shipped model for your own classes, from scratch for FER2013's",
    "head": "Start from the shipped model: train a new output layer on its features (seconds)",
    "head_and_last_block": "Start from the shipped model: train a new output layer and its last block (seconds too)",
    "off": "Train from scratch (the architecture below)",
}
HEAD_DROPOUT = 0.2


def resolve_transfer(choice: str, class_names: tuple[str, ...]) -> str:
    """"auto" made concrete for this data: transfer for classes other than FER2013's seven, scratch for those."""
    if choice != "auto":
        return choice
    return "off" if tuple(class_names) == CLASS_NAMES else "head"


def build_transfer_model(base_path: str | Path, num_classes: int, train_last_block: bool):
    """The base model's layers up to its output layer, frozen (batch norm in inference mode), and a new softmax over
    `num_classes`; with train_last_block, the layers after the base's second-to-last pooling also train."""
    import keras
    from keras import layers

    try:
        base = keras.saving.load_model(base_path, compile=False)
    except Exception as exc:
        raise FERError(f"Could not read the model to start from, {base_path}: {exc}") from exc
    features = keras.Model(base.inputs, base.layers[-1].input, name=f"{base.name}_features")
    trainable_from = _last_block_start(features) if train_last_block else len(features.layers)
    for index, layer in enumerate(features.layers):
        # Batch norm keeps the base's statistics: tens of photos would only make them noisy.
        layer.trainable = index >= trainable_from and not isinstance(layer, layers.BatchNormalization)
    inputs = keras.Input(base.inputs[0].shape[1:])
    x = features(inputs, training=False)
    x = layers.Dropout(HEAD_DROPOUT)(x)
    outputs = layers.Dense(num_classes, activation="softmax", dtype="float32", name="new_classes")(x)
    return keras.Model(inputs, outputs, name=f"transfer_{base.name}")


def _last_block_start(model) -> int:
    """Index of the first layer after the second-to-last pooling layer (the start of the last convolution block)."""
    from keras import layers

    pools = [i for i, layer in enumerate(model.layers) if isinstance(layer, layers.MaxPooling2D)]
    return pools[-2] + 1 if len(pools) >= 2 else max(len(model.layers) - 4, 0)


def base_architecture(base_path: str | Path) -> str:
    """The base model's architecture name from its card, for the run's card ("fer_vgg")."""
    from ..prediction.model_contract import read_model_info

    try:
        return read_model_info(base_path).architecture or Path(base_path).stem
    except FERError:
        return Path(base_path).stem
