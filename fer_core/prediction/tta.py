"""Test-time augmentation: the views of each 48×48 face a model's probabilities are averaged over. The same views
serve the app (LiteRT), the CLI and the evaluation at the end of training (Keras), so a model card's figures are
what Predict does.

- "none": the face.
- "flip": the face and its mirror.
- "flip_zoom": the face, 8% zoomed out and 8% zoomed in, each also mirrored (six views). Training augments with
  ±10% zoom, so these views are faces the model has learnt from; averaging them is cheap multi-scale testing.

Video can spread a mode's views over frames instead (`one_view`): each frame scores each face once, in the next view,
and the smoothing over a person's recent frames does the averaging (docs/video.md)."""

from __future__ import annotations

import numpy as np

TTA_MODES = ("none", "flip", "flip_zoom")
# Faces whose views are made and scored at once (LiteRT and Keras alike): six float32 views of 512 faces are ~30 MB,
# so scoring any number of faces stays within a bounded memory.
FACES_PER_CHUNK = 512
ZOOMS = (0.92, 1.08)


def view_count(mode: str) -> int:
    return {"none": 1, "flip": 2, "flip_zoom": 2 * (1 + len(ZOOMS))}[mode]


def tta_views(faces: np.ndarray, mode: str) -> np.ndarray:
    """uint8 or float faces (N, H, W) → all views stacked view-major, (views × N, H, W), same dtype."""
    if mode == "none":
        return faces
    scaled = [faces] + ([_zoom(faces, zoom) for zoom in ZOOMS] if mode == "flip_zoom" else [])
    return np.concatenate([view for face in scaled for view in (face, face[:, :, ::-1])])


def one_view(faces: np.ndarray, mode: str, views) -> np.ndarray:
    """uint8 or float faces (N, H, W) → each face in one of `mode`'s views, (N, H, W): face i in view `views[i]` (or all
    in view `views`, an int), numbered as tta_views orders them (the face, its mirror, then each zoom and its mirror)
    and taken modulo the mode's view count."""
    count = view_count(mode)
    chosen = np.broadcast_to(np.asarray(views, dtype=np.int64) % count, (len(faces),))
    out = faces.copy()
    for zoom_index, zoom in enumerate(ZOOMS if mode == "flip_zoom" else (), start=1):
        zoomed = np.flatnonzero(chosen // 2 == zoom_index)
        if zoomed.size:
            out[zoomed] = _zoom(faces[zoomed], zoom)
    mirrored = np.flatnonzero(chosen % 2 == 1)
    out[mirrored] = out[mirrored, :, ::-1]
    return out


def average_views(probabilities: np.ndarray, mode: str) -> np.ndarray:
    """(views × N, classes) from the views of tta_views → (N, classes), the mean over each face's views."""
    views = view_count(mode)
    return probabilities.reshape(views, -1, probabilities.shape[-1]).mean(axis=0)


def _zoom(faces: np.ndarray, zoom: float) -> np.ndarray:
    import cv2  # only when zooming: the contract's TTA_MODES must stay a light import

    n, height, width = faces.shape
    matrix = cv2.getRotationMatrix2D((width / 2 - 0.5, height / 2 - 0.5), 0.0, zoom)
    out = np.empty_like(faces)
    for i in range(n):
        out[i] = cv2.warpAffine(np.ascontiguousarray(faces[i]), matrix, (width, height), flags=cv2.INTER_LINEAR,
                                borderMode=cv2.BORDER_REFLECT_101)
    return out
