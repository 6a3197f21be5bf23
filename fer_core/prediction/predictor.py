"""A photo in, emotions out: `Predictor(model_path).predict(image, top_k=3)` finds the faces, frames each as
FER2013 frames its faces (square, grey, 48×48) and returns every face's ranked emotions as plain data.

Boxes are in the pixels of `load_image(image)`: upright (EXIF applied) and at most 2048 pixels a side."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from ..errors import FERError
from ..shipped_models import SHIPPED_MODEL
from .face_classifier import FaceClassifier
from .face_detection import (
    ALIGN_FACES,
    CASCADE,
    FACE_MARGIN,
    FACE_SHIFT_DOWN,
    PADDING,
    SECOND_MODEL,
    FaceBox,
    detect_faces,
)
from .model_contract import ModelInfo
from .photos import load_image
from .ranking import Ranked, rank, ranking_to_dicts

# An image this small and this square is already one face (a FER2013 crop or a thumbnail), not a photo to search.
WHOLE_FACE_MAX_SIDE = 64
WHOLE_FACE_MAX_ASPECT = 1.25

NO_FACE = "No face was found in this photo."
NO_FACE_CENTRE_USED = "No face was found in this photo, so its centre square was classified as one face."
FOUND_AFTER_PADDING = ("The face fills this photo, so it was found only after the photo was placed on a larger "
                       "canvas: check that its box is a face.")
FOUND_BY_CASCADE = ("The face fills this photo, so it was found only by a second, simpler face detector (OpenCV's "
                    "cascade), without its eyes: check that its box is a face.")
FOUND_BY_SECOND_MODEL = ("The main face detector did not find this face, so it was found only where two other face "
                         "detectors agreed (MediaPipe's back-camera and short-range models): check that its box is a "
                         "face.")


@dataclass(frozen=True)
class FacePrediction:
    """One face: its box (x, y, w, h), its ranking (top-k `Ranked(label, probability)`, best first), the index of
    its top class in the model's class names (for what is asked of that class, such as a saliency map), all
    probabilities, the 48×48 grey crop the model saw, and the detector's fallback that found it, if its first look
    did not: "padding" (the photo on a larger canvas: a face that fills the frame), "second_model" (two other
    BlazeFace models agreeing: a blurred, tight, turned or covered face) or "cascade" (OpenCV's Haar cascade, the
    last: a face that fills the frame, no eyes)."""

    box: tuple[int, int, int, int]
    top_k: list[Ranked]
    class_index: int
    probabilities: dict[str, float]
    crop: np.ndarray = field(repr=False, compare=False)
    fallback: str | None = None

    @property
    def label(self) -> str:
        return self.top_k[0][0]

    def to_dict(self, include_crop: bool = False) -> dict:
        data = {
            "box": {"x": self.box[0], "y": self.box[1], "w": self.box[2], "h": self.box[3]},
            "top_k": ranking_to_dicts(self.top_k),
            "probabilities": dict(self.probabilities),
            "fallback": self.fallback,
        }
        if include_crop:
            data["crop"] = self.crop.tolist()
        return data


@dataclass(frozen=True)
class PredictionResult:
    """Every face found, largest first; `message` says why `faces` is empty, or how the face was chosen."""

    faces: list[FacePrediction]
    message: str
    image_size: tuple[int, int]

    def to_dict(self, include_crops: bool = False) -> dict:
        return {
            "image_size": {"width": self.image_size[0], "height": self.image_size[1]},
            "message": self.message,
            "faces": [face.to_dict(include_crops) for face in self.faces],
        }


class Predictor:
    """A trained model and the face detector: photos in, ranked emotions per face out. `info`: the model's contract
    and card where the caller has already read them (FaceClassifier)."""

    def __init__(self, model_path: str | Path | None = None, info: ModelInfo | None = None):
        """`model_path`: a model's .keras or .tflite file (its NAME.json beside it); None for the shipped model."""
        self.classifier = FaceClassifier(model_path or SHIPPED_MODEL, info)

    @property
    def class_names(self) -> tuple[str, ...]:
        return self.classifier.class_names

    def predict(self, image, top_k: int = 3, whole_image_if_no_face: bool = False,
                tta: str | None = None) -> PredictionResult:
        """Emotions for every face in `image` (a path, bytes, file object, PIL image or numpy array: a photo already
        decoded by `load_image` is not decoded again). `tta`: the test-time views to average (tta.py); None for the
        model's own."""
        if top_k < 1:
            raise FERError(f"top_k must be at least 1, not {top_k}.")
        photo = load_image(image)
        size = self.classifier.info.input_size
        if is_one_face(photo.size):
            found = [((0, 0, photo.width, photo.height), _grey_at_size(photo, size), None)]
        else:
            found = [((f.x, f.y, f.w, f.h), frame_face(photo, f, size), f.fallback) for f in detect_faces(photo)]
        fallbacks = {fallback for _, _, fallback in found}
        message = (FOUND_AFTER_PADDING if PADDING in fallbacks else FOUND_BY_CASCADE if CASCADE in fallbacks
                   else FOUND_BY_SECOND_MODEL if SECOND_MODEL in fallbacks else "")
        if not found and whole_image_if_no_face:
            side = min(photo.size)
            square = ((photo.width - side) // 2, (photo.height - side) // 2, side, side)
            found = [(square, _grey_at_size(photo.crop(_corners(square)), size), None)]
            message = NO_FACE_CENTRE_USED
        elif not found:
            message = NO_FACE
        return PredictionResult(faces=self._classified(found, top_k, tta), message=message, image_size=photo.size)

    def _classified(self, found: list, top_k: int, tta: str | None) -> list[FacePrediction]:
        """Every face's crop scored in one call to the classifier: its views go through the model as one batch."""
        size = self.classifier.info.input_size
        crops = np.stack([crop for _, crop, _ in found]) if found else np.zeros((0, size, size), np.uint8)
        probabilities = self.classifier.predict_proba(crops, tta=tta)
        return [self._face(box, crop, row, top_k, fallback) for (box, crop, fallback), row in zip(found, probabilities)]

    def predict_crops(self, crops: np.ndarray) -> np.ndarray:
        """Probabilities (N, classes) for a batch of uint8 48×48 grey faces (N, 48, 48)."""
        return self.classifier.predict_proba(crops)

    def _face(self, box, crop: np.ndarray, row: np.ndarray, top_k: int, fallback: str | None) -> FacePrediction:
        return FacePrediction(
            box=tuple(int(v) for v in box),
            top_k=rank(row, self.class_names, top_k),
            class_index=int(np.argmax(row)),  # the first of equals, as rank orders them
            probabilities={name: float(p) for name, p in zip(self.class_names, row)},
            crop=crop,
            fallback=fallback,
        )


def frame_face(photo: Image.Image | np.ndarray, face: FaceBox, size: int, margin: float = FACE_MARGIN,
               shift_down: float = FACE_SHIFT_DOWN, align: bool = ALIGN_FACES) -> np.ndarray:
    """The face framed as FER2013 frames faces: a square `margin` times the box (its centre `shift_down` of the
    box's side lower), turned so the eyes are level if `align`, grey, size×size. Where the square passes the
    photo's edge, the edge pixels repeat. The defaults are the measured framing (docs/face_framing.md)."""
    width, height = photo.size if isinstance(photo, Image.Image) else (photo.shape[1], photo.shape[0])
    side = max(1, round(max(face.w, face.h) * margin))
    centre_x, centre_y = face.x + face.w / 2, face.y + face.h / 2
    shift = shift_down * max(face.w, face.h)
    if align and face.eyes is not None:
        (right_x, right_y), (left_x, left_y) = face.eyes
        tilt = math.atan2(left_y - right_y, left_x - right_x)
        if tilt != 0:  # "down" is the face's own: across its eye line
            centre = (centre_x - shift * math.sin(tilt), centre_y + shift * math.cos(tilt))
            return _resize(_upright_square(photo, centre, side, tilt), size)
    centre_y += shift
    left, top = round(centre_x - side / 2), round(centre_y - side / 2)
    inside = (max(left, 0), max(top, 0), min(left + side, width), min(top + side, height))
    # Only the face is turned grey, by Pillow for photos and frames alike: cheaper than converting a whole 2048-px
    # photo, and a frame's face is the same crop as the same picture's through `predict`.
    square = (photo.crop(inside) if isinstance(photo, Image.Image)
              else Image.fromarray(np.ascontiguousarray(photo[inside[1]:inside[3], inside[0]:inside[2]])))
    grey = np.asarray(square.convert("L"))
    border = (inside[1] - top, top + side - inside[3], inside[0] - left, left + side - inside[2])
    if any(border):
        grey = cv2.copyMakeBorder(grey, *border, cv2.BORDER_REPLICATE)
    return _resize(grey, size)


def _upright_square(photo: Image.Image | np.ndarray, centre: tuple[float, float], side: int, tilt: float) -> np.ndarray:
    """The grey side×side square around `centre`, turned by `tilt` radians (the eye line's slope), so the face in
    it is upright: only the part of the photo that the turned square covers is made grey."""
    width, height = photo.size if isinstance(photo, Image.Image) else (photo.shape[1], photo.shape[0])
    reach = math.ceil(side * (abs(math.cos(tilt)) + abs(math.sin(tilt))) / 2) + 1
    inside = (max(0, math.floor(centre[0]) - reach), max(0, math.floor(centre[1]) - reach),
              min(width, math.ceil(centre[0]) + reach), min(height, math.ceil(centre[1]) + reach))
    if inside[2] <= inside[0] or inside[3] <= inside[1]:
        inside = (0, 0, width, height)
    region = (photo.crop(inside) if isinstance(photo, Image.Image)
              else Image.fromarray(np.ascontiguousarray(photo[inside[1]:inside[3], inside[0]:inside[2]])))
    grey = np.asarray(region.convert("L"))
    cos, sin = math.cos(tilt), math.sin(tilt)
    # Output pixel (u, v) samples the photo at centre + R(tilt)·(u + ½ − side/2, v + ½ − side/2), in pixel centres.
    half = side / 2 - 0.5
    shift_x = centre[0] - 0.5 - inside[0] - cos * half + sin * half
    shift_y = centre[1] - 0.5 - inside[1] - sin * half - cos * half
    to_photo = np.array([[cos, -sin, shift_x], [sin, cos, shift_y]])
    return cv2.warpAffine(grey, to_photo, (side, side), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                          borderMode=cv2.BORDER_REPLICATE)


def _grey_at_size(image: Image.Image, size: int) -> np.ndarray:
    return _resize(np.asarray(image.convert("L")), size)


def _corners(box) -> tuple[int, int, int, int]:
    x, y, w, h = box
    return (x, y, x + w, y + h)


def _resize(grey: np.ndarray, size: int) -> np.ndarray:
    interpolation = cv2.INTER_AREA if min(grey.shape) >= size else cv2.INTER_CUBIC
    return cv2.resize(np.ascontiguousarray(grey), (size, size), interpolation=interpolation)


def is_one_face(size: tuple[int, int]) -> bool:
    """Whether an image of this (width, height) is already one face (a FER2013 crop, a thumbnail): not searched."""
    return max(size) <= WHOLE_FACE_MAX_SIDE and max(size) <= WHOLE_FACE_MAX_ASPECT * min(size)
