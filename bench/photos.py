"""The benchmark photos: the repo's real example face photo, scaled to fit a given size and padded, as JPEG bytes
(what an upload hands the app)."""

from __future__ import annotations

import io
from pathlib import Path

from .measure import REPO

PHOTO_FOLDERS = (REPO / "assets" / "examples", REPO / "tests" / "assets")
PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")


# NASA's portrait of Eileen Collins: one frontal face (tests/assets/SOURCES.md).
ONE_FACE_PHOTO = "astronaut.jpg"


def example_photo() -> Path | None:
    """The one-face example photo, or else the first photo in the example folders."""
    photos = [p for folder in PHOTO_FOLDERS if folder.is_dir() for p in sorted(folder.iterdir())
              if p.suffix.lower() in PHOTO_SUFFIXES]
    preferred = [p for p in photos if p.name == ONE_FACE_PHOTO]
    return (preferred or photos or [None])[0]


def sized_photo(photo: Path, width: int, height: int, quality: int = 90) -> bytes:
    """photo scaled (up or down) to fit width×height, centred on grey, as JPEG bytes."""
    from PIL import Image, ImageOps

    image = ImageOps.exif_transpose(Image.open(photo)).convert("RGB")
    scale = min(width / image.width, height / image.height)
    image = image.resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))), Image.LANCZOS)
    canvas = Image.new("RGB", (width, height), (128, 128, 128))
    canvas.paste(image, ((width - image.width) // 2, (height - image.height) // 2))
    buffer = io.BytesIO()
    canvas.save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()
