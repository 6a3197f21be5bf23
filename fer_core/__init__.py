"""FER Studio's engine: FER2013 in, a trained and evaluated model out; a photo in, top-3 emotions per face out.

Importing fer_core is light: TensorFlow loads only in the training process (fer_core.training.recipe)."""

from .data.dataset import FERDataset, load_fer2013, load_fer2013_bytes
from .data.fer2013 import CLASS_NAMES
from .errors import DataError, FERError, ImageError, JobAlreadyRunning, JobError, ModelError

__all__ = ["CLASS_NAMES", "DataError", "FERDataset", "FERError", "ImageError", "JobAlreadyRunning", "JobError",
           "ModelError", "Predictor", "load_fer2013", "load_fer2013_bytes"]


def __getattr__(name):
    if name == "Predictor":  # LiteRT and OpenCV load only when a prediction is wanted
        from .prediction.predictor import Predictor

        return Predictor
    raise AttributeError(f"module 'fer_core' has no attribute {name!r}")
