"""The light inference runtime: a trained model's LiteRT export answers predictions, so the app's server never
imports TensorFlow. `export_litert` (which does import it) runs at the end of training, or once in a subprocess
when a model arrives as NAME.keras alone.

LiteRT rather than ONNX Runtime, and int8 weights rather than float32: docs/decisions.md has the measurements.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import numpy as np

from ..atomic import write_bytes_atomically
from ..errors import ModelError
from . import litert_runtime
from .litert_runtime import allocate_tensors
from .model_contract import ModelInfo, keras_path, litert_path, read_model_info
from .tta import FACES_PER_CHUNK, TTA_MODES, average_views, one_view, tta_views

BATCH = 64
CONVERT_TIMEOUT_S = 600


def export_litert(keras_model_path: str | Path, quantize: bool = True) -> Path:
    """Convert NAME.keras to NAME.tflite beside it (written atomically) and return the .tflite path."""
    source = Path(keras_model_path)
    if not zipfile.is_zipfile(source):  # answers in a second, where importing TensorFlow first takes ten
        raise ModelError(f"{source.name} is missing or is not a Keras model file (a .keras file is a zip archive).")
    import keras
    import tensorflow as tf

    try:
        model = keras.saving.load_model(source, compile=False)
    except (OSError, ValueError) as exc:
        raise ModelError(f"{source.name} is not a Keras model this version can read ({exc}).") from exc
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    if quantize:
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    return write_bytes_atomically(litert_path(source), converter.convert())


class FaceClassifier:
    """A model's LiteRT export with its contract: 48×48 grey faces (uint8) in, class probabilities out."""

    def __init__(self, model_path: str | Path, info: ModelInfo | None = None):
        """`info`: the model's contract and card where the caller has already read them (the app's chosen model),
        so NAME.json is not read again."""
        self.model_path = Path(model_path)
        tflite, weights = litert_path(model_path), keras_path(model_path)
        if not tflite.exists() and not weights.exists():
            raise ModelError(f"There is no model at {self.model_path}: neither {tflite.name} nor {weights.name} exists.")
        self.info: ModelInfo = info if info is not None else read_model_info(model_path)
        if not tflite.exists():
            _convert_in_subprocess(weights)
        self._tflite = tflite
        self._single = self._open(1)
        self._input = self._single.get_input_details()[0]
        self._output = self._single.get_output_details()[0]["index"]
        # A model exported with a fixed batch of one is still served, one face at a time.
        self._batches = self._input["shape_signature"][0] == -1
        self._sized = {}  # batch size → its interpreter, opened on first use: a photo of one face never needs one
        self._lock = threading.Lock()  # interpreters are not thread-safe, and the app shares one classifier

    @property
    def class_names(self) -> tuple[str, ...]:
        return self.info.class_names

    def predict_proba(self, crops: np.ndarray, tta: str | None = None, view=None, progress=None) -> np.ndarray:
        """Probabilities (N, classes) for uint8 faces (N, size, size), averaged over the contract's TTA views (tta.py),
        or over another mode's, to measure what the views buy. `view` (an int, or one per face): score each face in
        only that one of the mode's views, unaveraged, as video does when it spreads the views over frames. `progress`:
        called with (faces done, faces in all) after each chunk."""
        tta = self.info.tta if tta is None else tta
        if tta not in TTA_MODES:
            raise ModelError(f"Unknown test-time augmentation {tta!r}: choose one of {', '.join(TTA_MODES)}.")
        crops = np.asarray(crops)
        size = self.info.input_size
        if crops.ndim == 2:
            crops = crops[None]
        if crops.ndim != 3 or crops.shape[1:] != (size, size):
            raise ModelError(f"This model classifies {size}×{size} grey faces; it was given an array of shape {crops.shape}.")
        # A chunk of faces at a time: every view of 28,709 faces as float32 would be 0.5 GB at once.
        views = None if view is None else np.broadcast_to(np.asarray(view, dtype=np.int64), (len(crops),))
        chunks = [np.empty((0, len(self.class_names)), np.float32)]
        for start in range(0, len(crops), FACES_PER_CHUNK):
            chunks.append(self._predict_chunk(crops[start:start + FACES_PER_CHUNK], tta,
                                              None if views is None else views[start:start + FACES_PER_CHUNK]))
            if progress:  # (faces done, faces in all): evaluate's bar
                progress(min(start + FACES_PER_CHUNK, len(crops)), len(crops))
        return np.concatenate(chunks)

    def _predict_chunk(self, crops: np.ndarray, tta: str, views: np.ndarray | None) -> np.ndarray:
        low, high = self.info.input_range
        faces = tta_views(crops, tta) if views is None else one_view(crops, tta, views)
        x = faces.astype(np.float32)[..., None] * np.float32((high - low) / 255) + np.float32(low)
        with self._lock:
            probabilities = self._run(x)
        return probabilities if views is not None else average_views(probabilities, tta).astype(np.float32)

    def _run(self, x: np.ndarray) -> np.ndarray:
        out = np.empty((len(x), len(self.class_names)), np.float32)
        # Whole batches go through a batch-sized interpreter, the rest in power-of-two batches (a video frame's two
        # faces in their two views are one batch of 4: a fifth less per face than one at a time). Each size is an
        # interpreter opened when first needed and kept: resizing one costs more than the faces it saves.
        start = 0
        for size in _batch_sizes(len(x)) if self._batches else [1] * len(x):
            out[start:start + size] = self._invoke(self._interpreter_for(size), x[start:start + size])
            start += size
        return out

    def _interpreter_for(self, size: int):
        if size == 1:
            return self._single
        if size not in self._sized:
            self._sized[size] = self._open(size)
        return self._sized[size]

    def _invoke(self, interpreter, x: np.ndarray) -> np.ndarray:
        interpreter.set_tensor(self._input["index"], x)
        interpreter.invoke()
        return interpreter.get_tensor(self._output)

    def _open(self, batch: int):
        size = self.info.input_size
        try:
            interpreter = litert_runtime.interpreter(self._tflite)
            details = interpreter.get_input_details()
            if len(details) != 1 or tuple(details[0]["shape"][1:]) != (size, size, 1):
                raise ModelError(f"{self._tflite.name} takes input {[list(d['shape']) for d in details]}, but its "
                                 f"contract says grey {size}×{size} faces.")
            if batch != details[0]["shape"][0]:
                interpreter.resize_tensor_input(details[0]["index"], [batch, size, size, 1])
            allocate_tensors(interpreter)
        except (ValueError, RuntimeError) as exc:
            raise ModelError(f"{self._tflite.name} is damaged or not a LiteRT model ({exc}).") from exc
        classes = interpreter.get_output_details()[0]["shape"][-1]
        if classes != len(self.class_names):
            raise ModelError(f"{self._tflite.name} predicts {classes} classes, but its contract names "
                             f"{len(self.class_names)}.")
        return interpreter


def _batch_sizes(count: int) -> list[int]:
    """`count` faces as batches of BATCH, then powers of two, largest first: 70 → [64, 4, 2]."""
    sizes = [BATCH] * (count // BATCH)
    rest = count % BATCH
    return sizes + [1 << bit for bit in reversed(range(rest.bit_length())) if rest & (1 << bit)]


def _convert_in_subprocess(weights: Path) -> None:
    """Export NAME.keras in a child process, so TensorFlow never loads into the app's server."""
    code = "import sys\nfrom fer_core.prediction.face_classifier import export_litert\nexport_litert(sys.argv[1])"
    package_root = str(Path(__file__).resolve().parents[2])
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2",
               PYTHONPATH=os.pathsep.join(p for p in (package_root, os.environ.get("PYTHONPATH")) if p))
    try:
        done = subprocess.run([sys.executable, "-c", code, str(weights)], capture_output=True, text=True, env=env,
                              timeout=CONVERT_TIMEOUT_S)
    except subprocess.TimeoutExpired as exc:
        raise ModelError(f"Converting {weights.name} for prediction took over {CONVERT_TIMEOUT_S} s and was stopped.") from exc
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        reason = lines[-1].removeprefix("fer_core.errors.ModelError: ") if lines else f"exit status {done.returncode}"
        raise ModelError(f"{weights.name} could not be converted for prediction ({reason}).")
