"""Light augmentation of uint8 face batches: mirror, small shift, rotation and zoom, one affine warp per face."""

from __future__ import annotations

import cv2
import numpy as np

MAX_SHIFT = 0.1  # of the side
MAX_ROTATION_DEGREES = 10.0
MAX_ZOOM = 0.1


def augment_batch(images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """images: uint8 (N, 48, 48). Returns a new uint8 array of the same shape."""
    n, height, width = images.shape
    out = np.empty_like(images)
    flips = rng.random(n) < 0.5
    angles = rng.uniform(-MAX_ROTATION_DEGREES, MAX_ROTATION_DEGREES, n)
    scales = rng.uniform(1 - MAX_ZOOM, 1 + MAX_ZOOM, n)
    shifts = rng.uniform(-MAX_SHIFT, MAX_SHIFT, (n, 2)) * (width, height)
    centre = (width / 2 - 0.5, height / 2 - 0.5)
    for i in range(n):
        matrix = cv2.getRotationMatrix2D(centre, angles[i], scales[i])
        matrix[:, 2] += shifts[i]
        face = images[i, :, ::-1] if flips[i] else images[i]
        out[i] = cv2.warpAffine(np.ascontiguousarray(face), matrix, (width, height),
                                flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101)
    return out
