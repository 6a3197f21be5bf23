"""The end of a job: the best model staged with its contract and LiteRT export, scored on the test split exactly as
the app serves it, then published as the run's model.keras, which appears last so a listed model is always complete."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import keras
import numpy as np

from ..atomic import write_atomically, write_json_atomically
from ..data.dataset import FERDataset
from ..prediction.model_contract import ModelInfo, write_model_info
from ..prediction.tta import FACES_PER_CHUNK, average_views, tta_views
from .architectures import build_model
from .evaluation import chance_level_verdict, evaluate_probabilities, faces_digest, score_caveats
from .runs import TrainingRun


def save_model(model, path: Path) -> None:
    write_atomically(path, lambda tmp: model.save(tmp))


def as_float32(model, arch: str):
    """The same weights in an all-float32 model: what is served and exported, whatever precision trained it."""
    if all(layer.dtype_policy.name == "float32" for layer in model.layers):
        return model
    float32_model = build_model(arch, model.output_shape[-1])
    float32_model.set_weights(model.get_weights())
    return float32_model


def predict_with_tta(model, images: np.ndarray, tta: str, batch_size: int = 256) -> np.ndarray:
    """Probabilities for uint8 faces, averaged over the TTA views the served model uses (see tta.py), a chunk of
    faces at a time so memory stays bounded whatever the split's size."""
    chunks = []
    for start in range(0, len(images), FACES_PER_CHUNK):
        x = tta_views(images[start:start + FACES_PER_CHUNK], tta)[..., None].astype("float32")
        chunks.append(average_views(model.predict(x, batch_size=batch_size, verbose=0), tta))
    return np.concatenate(chunks) if chunks else np.empty((0, model.output_shape[-1]), np.float32)


def stage_model(run: TrainingRun, model, info: ModelInfo) -> Path:
    """staged.keras, its contract and its LiteRT export, beside the run's final model name but not yet under it."""
    staged = run.staged_model_file
    save_model(model, staged)
    write_model_info(staged, info)
    try:
        from ..prediction.face_classifier import export_litert

        export_litert(staged)
    except Exception as exc:  # the .keras model still serves; the app converts it on first use
        print(f"LiteRT export failed, the .keras model will be converted on first use: {exc}", file=sys.stderr)
    return staged


def score_as_served(run: TrainingRun, model_path: Path, keras_model, dataset: FERDataset, tta: str,
                    epochs: int | None = None, train_faces: int | None = None) -> dict:
    """The run's model scored as the app serves it on the test split, also written to the run's evaluation.json,
    with a verdict on whether it beats guessing (and if not, why and what to try)."""
    test = dataset.split("test")
    evaluation = _evaluate_as_served(model_path, keras_model, test, tta)
    splits = dataset.splits
    evaluation.update(split="test", split_notes=list(splits.notes), tta=tta, data=Path(dataset.source).name,
                      faces_sha1=faces_digest(test.images, test.labels), test_is_validation=splits.test_is_validation,
                      caveats=score_caveats(splits.test_is_validation, dataset.photo_split))
    evaluation["chance_level"] = chance_level_verdict(evaluation, test.labels, epochs=epochs, train_faces=train_faces)
    write_json_atomically(run.evaluation_file, evaluation)
    return evaluation


def _evaluate_as_served(model_path: Path, keras_model, test: FERDataset, tta: str) -> dict:
    """Scores of the model as the app serves it (its LiteRT export, with the same TTA), with Keras's for reference."""
    keras_probabilities = predict_with_tta(keras_model, test.images, tta)
    if model_path.with_suffix(".tflite").exists():
        from ..prediction.face_classifier import FaceClassifier

        evaluation = evaluate_probabilities(test.labels, FaceClassifier(model_path).predict_proba(test.images),
                                            test.class_names)
        evaluation["runtime"] = "LiteRT"
    else:
        evaluation = evaluate_probabilities(test.labels, keras_probabilities, test.class_names)
        evaluation["runtime"] = "Keras"
    evaluation["keras_accuracy"] = float((keras_probabilities.argmax(axis=1) == test.labels).mean())
    return evaluation


def publish_model(run: TrainingRun, staged: Path, info: ModelInfo) -> None:
    """model.keras appears last, after its contract and LiteRT export, so a listed model is always complete."""
    final = run.final_model_file
    write_model_info(final, info)
    if staged.with_suffix(".tflite").exists():
        os.replace(staged.with_suffix(".tflite"), final.with_suffix(".tflite"))
    os.replace(staged, final)
    staged.with_suffix(".json").unlink(missing_ok=True)


def load_for_serving(path: Path, arch: str):
    """A saved model without its optimizer state (a third of the file), in float32."""
    return as_float32(keras.saving.load_model(path, compile=False), arch)
