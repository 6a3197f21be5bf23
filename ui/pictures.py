"""Pictures for the pages: rows of faces, crisp upscales, numbered boxes on a photo (in the video's colours,
fer_core.prediction.people_drawing's). numpy/PIL only."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from fer_core.prediction.people_drawing import box_colour

EXAMPLE_PHOTOS = Path(__file__).resolve().parent.parent / "assets" / "examples"  # their sources: SOURCES.md there
PHOTO_TYPES = ["jpg", "jpeg", "png", "webp", "bmp"]


def example_photos() -> list[Path]:
    """The example photos that ship with the app, by name: Home's first example and Predict's "Try an example"."""
    return sorted(p for p in EXAMPLE_PHOTOS.glob("*") if p.suffix.lower().lstrip(".") in PHOTO_TYPES)


def upscale(face: np.ndarray, scale: int) -> np.ndarray:
    """Nearest-neighbour upscale, so a 48×48 face stays sharp-edged instead of blurred by the browser."""
    return np.repeat(np.repeat(face, scale, axis=0), scale, axis=1)


def face_row(faces: Sequence[np.ndarray], scale: int = 2, gap: int = 4, background: int = 255) -> np.ndarray:
    """Faces side by side in one grey image, `gap` pixels apart."""
    if len(faces) == 0:
        return np.full((1, 1), background, dtype=np.uint8)
    tiles = [upscale(np.asarray(face, dtype=np.uint8), scale) for face in faces]
    height = max(t.shape[0] for t in tiles)
    width = sum(t.shape[1] for t in tiles) + gap * (len(tiles) - 1)
    row = np.full((height, width), background, dtype=np.uint8)
    x = 0
    for tile in tiles:
        row[: tile.shape[0], x : x + tile.shape[1]] = tile
        x += tile.shape[1] + gap
    return row


def draw_face_boxes(image: Image.Image, boxes: Sequence[tuple[int, int, int, int]]) -> Image.Image:
    """A copy of the photo with each face boxed and numbered from 1, sized to the photo so it reads at any scale."""
    picture = image.convert("RGB").copy()
    draw = ImageDraw.Draw(picture)
    line = max(3, round(max(picture.size) / 100))
    font = ImageFont.load_default(size=max(20, round(max(picture.size) / 16)))
    for number, (x, y, w, h) in enumerate(boxes, start=1):
        colour = box_colour(number)
        draw.rectangle((x, y, x + w, y + h), outline=colour, width=line)
        label = str(number)
        left, top, right, bottom = draw.textbbox((0, 0), label, font=font)
        pad = line + 2
        tag_y = y - (bottom - top) - 2 * pad if y - (bottom - top) - 2 * pad >= 0 else y
        draw.rectangle((x, tag_y, x + (right - left) + 2 * pad, tag_y + (bottom - top) + 2 * pad), fill=colour)
        draw.text((x + pad - left, tag_y + pad - top), label, fill="white", font=font)
    return picture
