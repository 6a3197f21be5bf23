"""Where the faces are in a photo: MediaPipe's BlazeFace full-range detector, run with LiteRT.

Why this detector and not OpenCV's Haar cascades, MediaPipe's wheel or YuNet: docs/decisions.md (measured).
The model file and its licence are in face_detector/.

One pass sees the whole photo at 192×192 and finds faces down to about 7% of its longer side. Photos longer than
TILE_ABOVE_SIDE pixels are also searched in overlapping square tiles, which finds faces down to about 4%.

A face the first look is not sure of (a score under CONFIRM_BELOW) is asked about again: MediaPipe's back-camera
BlazeFace model (256 px, made for faces further off) looks at the same window, and a doubtful face it does not see is
dropped (a title card, text, a blurred blob).

When a photo gives nothing, three fallbacks look again before it is "no face", each marking what it finds in
`FaceBox.fallback`. First the photo is searched centred on black canvases PAD_FACTORS times its longer side
("padding": the full-range model rarely finds a face that fills the picture, a cropped headshot or a face dataset's
crop), keeping a face only if it is large and two of those passes see it. Then two other BlazeFace networks look
("second_model"): the back-camera model over the photo (and over the photo on a larger canvas, for a face that fills
it), and, around each face it finds, the short-range model (128 px, made for faces that fill its window); a face
counts only where both see it. They find the blurred, tight, turned or partly covered faces the full-range model
misses. Last, OpenCV's Haar frontal-face cascade, shipped in its wheel, looks at the grey photo for one face that
fills it ("cascade": strict, only a face of at least CASCADE_MIN_SHARE of the shorter side). Measured, with the
models, fills, factors and thresholds tried and the phantom faces counted: docs/face_framing.md.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from ..errors import ModelError
from . import litert_runtime
from .litert_runtime import allocate_tensors

MODEL_FOLDER = Path(__file__).with_name("face_detector")
MODEL_FILE = MODEL_FOLDER / "face_detection_full_range.tflite"
BACK_MODEL_FILE = MODEL_FOLDER / "face_detection_back.tflite"
SHORT_MODEL_FILE = MODEL_FOLDER / "face_detection_short_range.tflite"
INPUT_SIDE = 192
SCORE_THRESHOLD = 0.5
# Two boxes sharing more than this fraction of the smaller one are the same face seen twice.
SAME_FACE_OVERLAP = 0.3
DETECT_MAX_SIDE = 640
TILE_ABOVE_SIDE = 960
TILE_FRACTION = 0.6
# Tiles narrower than this (in the detector's copy) are not searched: a thin strip (a 1×100,000 PNG) would need
# hundreds of them, and a face is never smaller than the strip is thin. So a photo costs at most 10 passes.
MIN_TILE_SIDE = INPUT_SIDE // 2
# The padded search: the photo centred on black canvases this many times its longer side (black beat edge-repeated
# and grey fills); a face counts only if at least PAD_AGREEMENT passes see it (boxes sharing PAD_SAME_FACE_IOU) and
# it spans at least PAD_MIN_SHARE of the photo: a face that fills the frame, not a phantom in noise or text.
PAD_FACTORS = (2.0, 3.0, 4.0, 5.0)
PAD_AGREEMENT = 2
PAD_SAME_FACE_IOU = 0.4
PAD_MIN_SHARE = 0.4
# The cascade: the grey photo shrunk to at most CASCADE_MAX_SIDE, its edges repeated by CASCADE_BORDER of its longer
# side (the cascade's window wants a little beyond the chin and brows: with none it found 2 of the faces it finds
# with this), and a face kept only if CASCADE_NEIGHBOURS overlapping windows see it. The cascade gives no
# probability: its faces carry CASCADE_SCORE, the least a face is kept at.
CASCADE_FILE = Path(cv2.data.haarcascades) / "haarcascade_frontalface_default.xml"
CASCADE_MAX_SIDE = 256
CASCADE_BORDER = 0.25
CASCADE_NEIGHBOURS = 6
CASCADE_MIN_SHARE = 0.4
CASCADE_SCORE = SCORE_THRESHOLD
# A first-look face less sure than this is kept only if the back-camera model, looking at the window it was found in,
# sees it too (boxes sharing SECOND_MODEL_SAME_FACE_IOU).
CONFIRM_BELOW = 0.6
# The second-model search: a face of at least SECOND_MODEL_MIN_SHARE of the photo's longer side that the back-camera
# model finds (over the photo, then over the photo on a canvas SECOND_MODEL_PAD times its side, where it must span
# PAD_MIN_SHARE of the photo) and the short-range model finds again in a window SHORT_WINDOW times its side around
# it, both scoring at least SECOND_MODEL_SCORE (the face keeps the lower score). Its box sits lower on the face than the
# full-range model's: raised by SECOND_MODEL_BOX_RAISE of its side to frame as the measured FER2013 margin assumes.
SECOND_MODEL_MIN_SHARE = 0.1
SECOND_MODEL_SCORE = 0.55
SECOND_MODEL_PAD = 1.5  # larger canvases found 1-2 points more tight crops, and faces in a coffee cup
SHORT_WINDOW = 2.0
SECOND_MODEL_SAME_FACE_IOU = 0.3
SECOND_MODEL_BOX_RAISE = 0.07
PADDING = "padding"
SECOND_MODEL = "second_model"
CASCADE = "cascade"
# The detector's framing, which the predictor cuts faces by: FER2013's square around a face is 1.2 times this
# detector's box (measured on PublicTest faces placed in scenes), centred on the box, and upright: a tilted face is
# turned until its eyes are level before it is cut out. Measurements, and the framings that lost: docs/face_framing.md.
FACE_MARGIN = 1.2
FACE_SHIFT_DOWN = 0.0
ALIGN_FACES = True


@dataclass(frozen=True)
class FaceBox:
    """A face in image pixel coordinates: left, top, width, height, and the detector's confidence 0..1; the centres
    of its right and left eye (the person's: the right eye is on the picture's left) where the detector gave them;
    which fallback found it (PADDING, SECOND_MODEL or CASCADE) if the detector's first look did not (None). The
    cascade gives no eyes."""

    x: int
    y: int
    w: int
    h: int
    score: float
    eyes: tuple[tuple[float, float], tuple[float, float]] | None = None
    fallback: str | None = None

    @property
    def area(self) -> int:
        return self.w * self.h


def detect_faces(image: Image.Image | np.ndarray) -> list[FaceBox]:
    """The faces in a photo (a PIL image, or an RGB uint8 array such as a video frame), largest first; no face twice (two boxes share at most 30% of the smaller one)."""
    return _detector().detect(image)


def search_pixels(image: Image.Image | np.ndarray) -> np.ndarray:
    """The RGB pixels the detector searches: the photo itself, or, above TILE_ABOVE_SIDE, a copy at most
    DETECT_MAX_SIDE a side, from which the tiles are cut (the detector's 192-px input gains nothing from more)."""
    width, height = image.size if isinstance(image, Image.Image) else (image.shape[1], image.shape[0])
    if isinstance(image, Image.Image) and image.mode != "RGB":
        image = image.convert("RGB")
    if not _tiled((width, height)):
        return np.asarray(image)
    shrink = DETECT_MAX_SIDE / max(width, height)
    size = (max(1, round(width * shrink)), max(1, round(height * shrink)))
    return (np.asarray(image.resize(size, Image.Resampling.BILINEAR, reducing_gap=1.0))
            if isinstance(image, Image.Image) else cv2.resize(image, size, interpolation=cv2.INTER_AREA))


def search_windows(image_size: tuple[int, int]) -> list[tuple[int, int, int]]:
    """The square windows (left, top, side) of search_pixels' copy of a photo of this (width, height) that the first
    look searches, one pass of the full-range model each: the whole photo, then, above TILE_ABOVE_SIDE, its tiles."""
    width, height = image_size
    if _tiled(image_size):
        shrink = DETECT_MAX_SIDE / max(width, height)
        width, height = max(1, round(width * shrink)), max(1, round(height * shrink))
    return _windows(width, height, _tiled(image_size))


def detect_in_window(pixels: np.ndarray, window: tuple[int, int, int]) -> list[tuple[np.ndarray, float]]:
    """One pass of the first look: the full-range model's faces (box x, y, w, h and both eyes' x, y; score) in one
    window of search_pixels' pixels, before any check or fallback."""
    detector = _detector()
    with detector._lock:
        return detector._detect_window(pixels, *window)


def _tiled(image_size: tuple[int, int]) -> bool:
    return max(image_size) > TILE_ABOVE_SIDE


@cache
def _detector() -> _BlazeFace:
    return _BlazeFace(MODEL_FILE)


class _BlazeNet:
    """One of MediaPipe's BlazeFace networks run with LiteRT: its square input side and its anchors."""

    def __init__(self, model_file: Path, input_side: int, anchors: np.ndarray):
        try:
            self._interpreter = litert_runtime.interpreter(model_file)
            allocate_tensors(self._interpreter)
        except (ValueError, RuntimeError) as exc:
            raise ModelError(f"The face detector {model_file.name} is missing or damaged ({exc}).") from exc
        outputs = self._interpreter.get_output_details()
        self._input = self._interpreter.get_input_details()[0]["index"]
        self._boxes = next(o["index"] for o in outputs if o["shape"][-1] == 16)
        self._scores = next(o["index"] for o in outputs if o["shape"][-1] == 1)
        self.side, self._anchors = input_side, anchors
        self._window = np.zeros((input_side, input_side, 3), np.uint8)  # reused under the lock: no new arrays a frame
        self._input_buffer = np.zeros((1, input_side, input_side, 3), np.float32)

    def window(self, pixels: np.ndarray, left: int, top: int, side: int):
        """(box, score) of the faces in the square window at (left, top); a box is x, y, w, h, then both eyes' x, y.
        Beyond the photo's edge the window is black, as MediaPipe pads: only the part inside is shrunk. A window
        may start left of or above the photo (the padded search): the photo then sits inside it."""
        size = self.side
        part = pixels[max(top, 0):top + side, max(left, 0):left + side]
        shrink = size / side
        part_size = (max(1, min(size, round(part.shape[1] * shrink))), max(1, min(size, round(part.shape[0] * shrink))))
        at_x = min(round(-min(left, 0) * shrink), size - part_size[0])
        at_y = min(round(-min(top, 0) * shrink), size - part_size[1])
        window = self._window
        window.fill(0)
        if part.size:
            window[at_y:at_y + part_size[1], at_x:at_x + part_size[0]] = _shrink(part, part_size, side, size)
        np.multiply(window, np.float32(1 / 127.5), out=self._input_buffer[0])
        self._input_buffer -= np.float32(1.0)
        self._interpreter.set_tensor(self._input, self._input_buffer)
        self._interpreter.invoke()
        raw_scores = self._interpreter.get_tensor(self._scores)[0, :, 0]
        # The model outputs logits: compare with the threshold's logit, and take sigmoids only of what passes.
        found = np.flatnonzero(raw_scores > math.log(SCORE_THRESHOLD / (1 - SCORE_THRESHOLD)))
        if found.size == 0:
            return []
        raw = self._interpreter.get_tensor(self._boxes)[0, found, :8] / size
        anchors = self._anchors[found]
        centres = raw[:, :2] + anchors
        sizes = raw[:, 2:4]
        # The keypoints follow the box: right eye, left eye (then nose, mouth, ears: unused), each from the anchor.
        eyes = raw[:, 4:8] + np.tile(anchors, 2)
        boxes = np.concatenate([centres - sizes / 2, sizes, eyes], axis=1) * side + [left, top, 0, 0, left, top, left, top]
        scores = 1 / (1 + np.exp(-np.clip(raw_scores[found], -80, 80)))
        return list(zip(boxes, scores.tolist()))


def _grid_anchors(input_side: int) -> np.ndarray:
    """Full range: one anchor per cell of a grid of stride 4, each the centre of a cell."""
    cells = (np.arange(input_side // 4, dtype=np.float32) + 0.5) / (input_side // 4)
    ys, xs = np.meshgrid(cells, cells, indexing="ij")
    return np.stack([xs.ravel(), ys.ravel()], axis=1)


def _ssd_anchors(input_side: int, strides: tuple[int, ...]) -> np.ndarray:
    """The short-range and back-camera models: MediaPipe's SSD anchors, two per cell of each layer, layers of one
    stride sharing their grid (16×16 cells × 2 and 8×8 cells × 6: 896 anchors), each the centre of its cell."""
    anchors = []
    for stride in dict.fromkeys(strides):
        per_cell = 2 * strides.count(stride)
        cells = input_side // stride
        for y in range(cells):
            for x in range(cells):
                anchors.extend([((x + 0.5) / cells, (y + 0.5) / cells)] * per_cell)
    return np.array(anchors, np.float32)


class _BlazeFace:
    def __init__(self, model_file: Path):
        self._full = _BlazeNet(model_file, INPUT_SIDE, _grid_anchors(INPUT_SIDE))
        self._back = _BlazeNet(BACK_MODEL_FILE, 256, _ssd_anchors(256, (16, 32, 32, 32)))
        self._short = _BlazeNet(SHORT_MODEL_FILE, 128, _ssd_anchors(128, (8, 16, 16, 16)))
        self._lock = threading.Lock()  # one set of interpreters, shared by every session of the app

    def detect(self, image: Image.Image | np.ndarray) -> list[FaceBox]:
        width, height = image.size if isinstance(image, Image.Image) else (image.shape[1], image.shape[0])
        pixels = search_pixels(image)
        small_width, small_height = pixels.shape[1], pixels.shape[0]
        scale = np.array([width / small_width, height / small_height] * 4)
        candidates = []
        with self._lock:
            for window in search_windows((width, height)):
                for box, score in self._detect_window(pixels, *window):
                    if window[2] == max(small_width, small_height) or not _cut_by_tile(box, window, (small_width, small_height)):
                        candidates.append((box, score, window))
            seen_by_back: dict = {}
            candidates = [(box * scale, score) for box, score, window in candidates
                          if score >= CONFIRM_BELOW or self._back_model_sees(pixels, box, window, seen_by_back)]
            if not candidates:
                return (self._padded_search(pixels, scale, width, height)
                        or self._second_model_search(pixels, scale, width, height)
                        or _cascade_search(pixels, scale, width, height))
        return _distinct_faces(candidates, width, height)

    def _padded_search(self, pixels: np.ndarray, scale: np.ndarray, width: int, height: int) -> list[FaceBox]:
        """The faces that fill the photo: found on black canvases around it, large, and seen by two passes."""
        small_width, small_height = pixels.shape[1], pixels.shape[0]
        passes = []
        for factor in PAD_FACTORS:
            side = round(factor * max(small_width, small_height))
            window = (-((side - small_width) // 2), -((side - small_height) // 2), side)
            passes.append([(box, score) for box, score in self._detect_window(pixels, *window)
                           if max(box[2] / small_width, box[3] / small_height) >= PAD_MIN_SHARE])
        confirmed = []
        for k, found in enumerate(passes):
            for box, score in found:
                seen_by = 1 + sum(any(_iou(box, other) > PAD_SAME_FACE_IOU for other, _ in others)
                                  for j, others in enumerate(passes) if j != k)
                if seen_by >= PAD_AGREEMENT:
                    confirmed.append((box * scale, score))
        return _distinct_faces(confirmed, width, height, fallback=PADDING)

    def _back_model_sees(self, pixels: np.ndarray, box: np.ndarray, window: tuple[int, int, int], seen: dict) -> bool:
        """Whether the back-camera model finds this face (a box in `pixels`) in the window the full-range model found
        it in; `seen` keeps each window's faces, so a window is looked at once."""
        if window not in seen:
            seen[window] = self._back.window(pixels, *window)
        return bool(_agreeing_scores(box, seen[window]))

    def _second_model_search(self, pixels: np.ndarray, scale: np.ndarray, width: int, height: int) -> list[FaceBox]:
        """Faces the back-camera model finds, over the photo and then (if that gives none) over the photo on a larger
        canvas, that the short-range model finds again around them; each keeps the lower of the two scores."""
        small_width, small_height = pixels.shape[1], pixels.shape[0]
        longer = max(small_width, small_height)
        # On the larger canvas, as in the padded search, only a face that fills the photo counts.
        for canvas, least_share in ((longer, SECOND_MODEL_MIN_SHARE), (round(SECOND_MODEL_PAD * longer), PAD_MIN_SHARE)):
            left, top = -((canvas - small_width) // 2), -((canvas - small_height) // 2)
            confirmed = []
            for box, score in self._back.window(pixels, left, top, canvas):
                if score < SECOND_MODEL_SCORE or max(box[2], box[3]) < least_share * longer:
                    continue
                side = max(2, round(SHORT_WINDOW * max(box[2], box[3])))
                around = self._short.window(pixels, round(box[0] + box[2] / 2 - side / 2),
                                            round(box[1] + box[3] / 2 - side / 2), side)
                both = min(score, max(_agreeing_scores(box, around), default=0.0))  # as sure as the less sure model
                if both >= SECOND_MODEL_SCORE:
                    raised = box - np.array([0, SECOND_MODEL_BOX_RAISE * box[3], 0, 0, 0, 0, 0, 0])
                    confirmed.append((raised * scale, both))
            if confirmed:
                return _distinct_faces(confirmed, width, height, fallback=SECOND_MODEL)
        return []

    def _detect_window(self, pixels: np.ndarray, left: int, top: int, side: int):
        """The full-range model's (box, score) in one square window (_BlazeNet.window)."""
        return self._full.window(pixels, left, top, side)


def _agreeing_scores(box: np.ndarray, found: list) -> list[float]:
    """The scores of the faces in `found` ((box, score) pairs from another model) that are this face seen again."""
    return [score for other, score in found if _iou(box, other) > SECOND_MODEL_SAME_FACE_IOU]


def _cascade_search(pixels: np.ndarray, scale: np.ndarray, width: int, height: int) -> list[FaceBox]:
    """The one face that fills the photo by OpenCV's Haar cascade, as (x, y, w, h) with no eyes, mapped back."""
    grey = pixels if pixels.ndim == 2 else cv2.cvtColor(pixels, cv2.COLOR_RGB2GRAY)
    shrink = min(1.0, CASCADE_MAX_SIDE / max(grey.shape))
    if shrink < 1.0:
        grey = cv2.resize(grey, (max(1, round(grey.shape[1] * shrink)), max(1, round(grey.shape[0] * shrink))),
                          interpolation=cv2.INTER_AREA)
    smallest = round(CASCADE_MIN_SHARE * min(grey.shape))
    border = round(CASCADE_BORDER * max(grey.shape))
    framed = cv2.copyMakeBorder(grey, border, border, border, border, cv2.BORDER_REPLICATE)
    found = _cascade().detectMultiScale(framed, 1.1, CASCADE_NEIGHBOURS, minSize=(smallest, smallest))
    candidates = [((np.array(box, np.float64) - [border, border, 0, 0]) / shrink * scale[:4], CASCADE_SCORE)
                  for box in found]
    return _distinct_faces(candidates, width, height, fallback=CASCADE)


@cache
def _cascade() -> cv2.CascadeClassifier:
    cascade = cv2.CascadeClassifier(str(CASCADE_FILE))
    if cascade.empty():
        raise ModelError(f"OpenCV's face cascade {CASCADE_FILE.name} is missing or damaged: "
                         "reinstall opencv-python-headless.")
    return cascade


def _shrink(part: np.ndarray, size: tuple[int, int], side: int, input_side: int = INPUT_SIDE) -> np.ndarray:
    """`part` at `size`, area-averaged. OpenCV's area resize is fast only for halving (measured: docs/video.md), so a
    large part goes by bilinear to twice `size`, then is halved."""
    if side <= input_side:
        return cv2.resize(part, size, interpolation=cv2.INTER_LINEAR)
    if side > 2 * input_side:
        part = cv2.resize(part, (2 * size[0], 2 * size[1]), interpolation=cv2.INTER_LINEAR)
    return cv2.resize(part, size, interpolation=cv2.INTER_AREA)


def _windows(width: int, height: int, tiled: bool) -> list[tuple[int, int, int]]:
    """Square windows (left, top, side): the whole photo, then, if tiled, overlapping tiles that cover it."""
    windows = [(0, 0, max(width, height))]
    side = min(width, height, round(TILE_FRACTION * max(width, height)))
    if tiled and side >= MIN_TILE_SIDE:
        for top in _starts(height, side):
            for left in _starts(width, side):
                windows.append((left, top, side))
    return windows


def _starts(length: int, side: int) -> list[int]:
    # Neighbouring tiles overlap by at least a quarter, so a face cut by one tile is whole in the next.
    count = 1 if length <= side else math.ceil((length - side) / (0.75 * side)) + 1
    return [round(i * (length - side) / max(count - 1, 1)) for i in range(count)]


def _cut_by_tile(box: np.ndarray, window: tuple[int, int, int], image_size: tuple[int, int]) -> bool:
    """A tile sees only part of a face that crosses one of its inner edges; the overlapping tile sees it whole."""
    x, y, w, h = box[:4]
    left, top, side = window
    width, height = image_size
    return bool((left > 0 and x < left) or (top > 0 and y < top)
                or (left + side < width and x + w > left + side) or (top + side < height and y + h > top + side))


def _distinct_faces(candidates, width: int, height: int, fallback: str | None = None) -> list[FaceBox]:
    kept: list[FaceBox] = []
    for box, score in sorted(candidates, key=lambda c: -c[1]):
        x0, y0 = max(0, round(box[0])), max(0, round(box[1]))
        x1, y1 = min(width, round(box[0] + box[2])), min(height, round(box[1] + box[3]))
        if x1 - x0 < 2 or y1 - y0 < 2:
            continue
        eyes = ((float(box[4]), float(box[5])), (float(box[6]), float(box[7]))) if len(box) >= 8 else None
        face = FaceBox(x0, y0, x1 - x0, y1 - y0, float(score), eyes, fallback)
        if all(_shared_fraction(face, other) <= SAME_FACE_OVERLAP for other in kept):
            kept.append(face)
    return sorted(kept, key=lambda f: (-f.area, -f.score))


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of two (x, y, w, h, …) boxes."""
    overlap_w = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    overlap_h = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    inter = max(overlap_w, 0) * max(overlap_h, 0)
    return float(inter / (a[2] * a[3] + b[2] * b[3] - inter)) if inter > 0 else 0.0


def _shared_fraction(a: FaceBox, b: FaceBox) -> float:
    overlap_w = min(a.x + a.w, b.x + b.w) - max(a.x, b.x)
    overlap_h = min(a.y + a.h, b.y + b.h) - max(a.y, b.y)
    if overlap_w <= 0 or overlap_h <= 0:
        return 0.0
    return overlap_w * overlap_h / min(a.area, b.area)
