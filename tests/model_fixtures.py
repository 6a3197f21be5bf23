"""A tiny real model for the prediction tests: Keras weights, its contract and its LiteRT export, built once a session.

Its weights are random, so its answers mean nothing; tests check shapes, ranking, contracts and plumbing."""

from __future__ import annotations

import shutil
from functools import cache
from pathlib import Path

import pytest

from fer_core.prediction.model_contract import ModelInfo, write_model_info


@cache
def build_tiny_model(folder: Path) -> Path:
    """folder/tiny.keras + tiny.json + tiny.tflite (float32, so it agrees with Keras to rounding)."""
    import keras
    from keras import layers

    from fer_core.prediction.face_classifier import export_litert

    keras.utils.set_random_seed(7)
    # Flatten keeps where things are, so mirroring a face or hiding part of it changes the answer.
    model = keras.Sequential([
        keras.Input((48, 48, 1)),
        layers.Rescaling(1 / 255),
        layers.Conv2D(4, 3, strides=2, activation="relu"),
        layers.MaxPooling2D(2),
        layers.Flatten(),
        layers.Dense(7, activation="softmax"),
    ])
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "tiny.keras"
    model.save(path)
    write_model_info(path, ModelInfo(architecture="tiny_test"))
    export_litert(path, quantize=False)
    return path


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> Path:
    return build_tiny_model(tmp_path_factory.getbasetemp() / "tiny_model")


def tiny_model_with_tta(tiny_model: Path, folder: Path, tta: str) -> Path:
    """The tiny model's weights under a contract that asks for test-time augmentation `tta`."""
    for suffix in (".keras", ".tflite"):
        shutil.copyfile(tiny_model.with_suffix(suffix), folder / f"{tta}{suffix}")
    write_model_info(folder / f"{tta}.keras", ModelInfo(architecture="tiny_test", tta=tta))
    return folder / f"{tta}.keras"


@pytest.fixture(scope="session")
def tiny_flip_model(tiny_model, tmp_path_factory) -> Path:
    """Mirror-image test-time augmentation: each face and its mirror."""
    return tiny_model_with_tta(tiny_model, tmp_path_factory.mktemp("tiny_flip"), "flip")


@pytest.fixture(scope="session")
def tiny_flip_zoom_model(tiny_model, tmp_path_factory) -> Path:
    """The six mirrored and zoomed views."""
    return tiny_model_with_tta(tiny_model, tmp_path_factory.mktemp("tiny_flip_zoom"), "flip_zoom")
