"""Light augmentation of uint8 face batches: mirror, small shift, rotation and zoom, one affine warp per face; and,
where asked, random erasing (a rectangle of noise over part of some faces, as a hand or a scarf covers a face)."""

from __future__ import annotations

import cv2
import numpy as np

MAX_SHIFT = 0.1  # of the side
MAX_ROTATION_DEGREES = 10.0
MAX_ZOOM = 0.1
ERASED_SHARE = (0.02, 0.2)  # of the face's area
ERASED_ASPECT = (0.3, 3.3)  # height over width


def augment_batch(images: np.ndarray, rng: np.random.Generator, erasing: float = 0.0) -> np.ndarray:
    """images: uint8 (N, 48, 48). Returns a new uint8 array of the same shape; `erasing`: the share of faces that
    also get a random rectangle of noise."""
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
    if erasing > 0:
        erase_rectangles(out, rng, erasing)
    return out


def erase_rectangles(images: np.ndarray, rng: np.random.Generator, probability: float) -> None:
    """Random erasing (Zhong et al., 2017), in place: each face, with this probability, gets a rectangle of uniform
    noise covering ERASED_SHARE of its area, so the model learns to read what the rest of the face shows."""
    n, height, width = images.shape
    for i in np.flatnonzero(rng.random(n) < probability):
        area = rng.uniform(*ERASED_SHARE) * height * width
        aspect = np.exp(rng.uniform(*np.log(ERASED_ASPECT)))
        h = int(min(height, max(1, round(np.sqrt(area * aspect)))))
        w = int(min(width, max(1, round(np.sqrt(area / aspect)))))
        top, left = int(rng.integers(0, height - h + 1)), int(rng.integers(0, width - w + 1))
        images[i, top:top + h, left:left + w] = rng.integers(0, 256, (h, w), dtype=np.uint8)
