"""Which parts of a face a prediction rests on, by occlusion: hide one small square of the face at a time and see
how far the class's probability falls. It needs only the FaceClassifier's predictions, so the app's server draws it
without TensorFlow and for any model, in one batch of 122 faces."""

from __future__ import annotations

import cv2
import numpy as np

from ..errors import FERError
from .face_classifier import FaceClassifier

# An 8-pixel square is about an eye or a mouth corner at 48×48; moving it 4 pixels at a time overlaps each step.
PATCH = 8
STRIDE = 4


def saliency_map(classifier: FaceClassifier, crop: np.ndarray, class_index: int) -> np.ndarray:
    """float32 (size, size) in 0..1: how much hiding each pixel's neighbourhood lowers class `class_index`."""
    crop = np.asarray(crop, dtype=np.uint8)
    if not 0 <= class_index < len(classifier.class_names):
        raise FERError(f"There is no class {class_index}: this model has {len(classifier.class_names)} classes.")
    height, width = crop.shape
    corners = [(y, x) for y in _steps(height) for x in _steps(width)]
    batch = np.repeat(crop[None], len(corners) + 1, axis=0)
    fill = np.uint8(round(float(crop.mean())))  # the face's own mean grey: hides detail without adding an edge
    for i, (y, x) in enumerate(corners, start=1):
        batch[i, y:y + PATCH, x:x + PATCH] = fill
    probability = classifier.predict_proba(batch)[:, class_index]
    drops = np.clip(probability[0] - probability[1:], 0, None)
    total = np.zeros(crop.shape, np.float32)
    covered = np.zeros(crop.shape, np.float32)
    for drop, (y, x) in zip(drops, corners):
        total[y:y + PATCH, x:x + PATCH] += drop
        covered[y:y + PATCH, x:x + PATCH] += 1
    heat = total / np.maximum(covered, 1)
    peak = float(heat.max())
    return (heat / peak if peak > 0 else heat).astype(np.float32)


def overlay(crop: np.ndarray, saliency: np.ndarray, strength: float = 0.6) -> np.ndarray:
    """RGB uint8 (size, size, 3): the grey face, tinted by a colour map where the saliency is high."""
    grey = np.repeat(np.asarray(crop, dtype=np.float32)[..., None], 3, axis=2)
    level = np.clip(np.asarray(saliency, dtype=np.float32), 0, 1)
    colours = cv2.applyColorMap(np.uint8(np.rint(level * 255)), cv2.COLORMAP_JET)[..., ::-1].astype(np.float32)
    weight = strength * level[..., None]  # unimportant regions stay the plain face, so it remains recognisable
    return np.clip(np.rint(grey * (1 - weight) + colours * weight), 0, 255).astype(np.uint8)


def _steps(length: int) -> list[int]:
    # The last step is moved to the edge so every pixel is hidden at least once, whatever the crop's size.
    steps = list(range(0, max(length - PATCH, 0) + 1, STRIDE))
    if steps[-1] != max(length - PATCH, 0):
        steps.append(max(length - PATCH, 0))
    return steps
