"""Transfer learning, the reason Teachable Machine trains in seconds: keep a trained model's features (by default
the shipped fer_studio's, learnt from 28,709 FER2013 faces) and train only a new output layer for your own classes,
and optionally the model's last block too. A few tens of photos per class then train on 2 CPU cores in well under a
minute, where a network trained from scratch on them would learn little.

The new model is an ordinary Keras model (the base's layers, then a fresh softmax), so it is saved, resumed, exported
to LiteRT, scored and served like any other run's model."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..data.fer2013 import CLASS_NAMES
from ..errors import FERError

# How much of the base model trains: "head" is its new output layer only; "head_and_last_block" also its last
# convolution block and dense layer. "auto" is "head" for data whose classes are not FER2013's and "off" for FER2013.
TRANSFER_CHOICES = {
    "auto": "Automatic: from the shipped model for your own classes, from scratch for FER2013's",
    "head": "Start from the shipped model: train a new output layer on its features",
    "head_and_last_block": "Start from the shipped model: train a new output layer and its last block",
    "off": "Train from scratch (the architecture below)",
}
HEAD_DROPOUT = 0.2
# A head-only job computes the frozen layers once per photo and view, not every epoch: with augmentation, this many
# augmented views of each training photo, which the epochs take in turn (docs/training_on_cpu.md has the measurements).
FEATURE_VIEWS = 8
FEATURE_VIEWS_BUDGET = 125_000  # photo views held at most (128 MB of fer_vgg's 256 features): fewer for a large set
FEATURE_BATCH_SIZE = 256


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


def feature_views(train_faces: int, epochs: int, augment: bool) -> int:
    """How many views of each training photo a head-only job computes: one without augmentation, else up to
    FEATURE_VIEWS (never more than there are epochs, never past the memory budget)."""
    if not augment:
        return 1
    return int(max(1, min(FEATURE_VIEWS, epochs, FEATURE_VIEWS_BUDGET // max(train_faces, 1))))


def frozen_layers(model):
    """The base's frozen layers inside a transfer model (the nested model build_transfer_model made)."""
    import keras

    return next(layer for layer in model.layers if isinstance(layer, keras.Model))


def head_on_features(model):
    """A model from the frozen layers' features to the transfer model's output, sharing its new softmax: training it
    trains the transfer model's head, so the transfer model is saved, exported and served as it is."""
    import keras
    from keras import layers

    features = frozen_layers(model)
    inputs = keras.Input(features.output.shape[1:])
    outputs = model.get_layer("new_classes")(layers.Dropout(HEAD_DROPOUT)(inputs))
    return keras.Model(inputs, outputs, name="new_head")


def frozen_features(features, faces: np.ndarray, on_faces=None) -> np.ndarray:
    """float32 (N, feature size): the frozen layers' output for uint8 (N, 48, 48) faces, a batch at a time;
    on_faces(count) after each batch (the job's clock and progress)."""
    out = []
    for start in range(0, len(faces), FEATURE_BATCH_SIZE):
        batch = faces[start:start + FEATURE_BATCH_SIZE]
        # A list, as the base's saved inputs are structured (a bare tensor works too, with a warning each call).
        out.append(np.asarray(features([batch[..., None].astype("float32")], training=False), dtype="float32"))
        if on_faces is not None:
            on_faces(len(batch))
    return np.concatenate(out) if out else np.zeros((0, features.output.shape[-1]), "float32")

