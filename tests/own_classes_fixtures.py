"""Folders of real photos with faces, sorted into classes of one's own, for tests of "your own classes".

The faces come from the two face photos in tests/assets (see SOURCES.md). Each class has its own look, a source face
and a tone (the astronaut as is, the cameraman as is, the astronaut dark, the cameraman dark, then both faded), so a
model can tell the classes apart; within a class every photo differs in size, background, where the face sits and
how large, mirroring and brightness. The face detector found the face in all 360 photos of three seeds' default
folders and in 719 of 720 with six classes; tests/test_own_classes_data.py checks the default folder."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image, ImageEnhance, ImageOps

ASSETS = Path(__file__).resolve().parent / "assets"
# A square around the head (left, top, side) in each photo's pixels: the detector's face box with room around it.
HEADS = {"astronaut.jpg": (136, 31, 182), "camera.jpg": (160, 80, 160)}
BACKGROUND = "coffee.jpg"  # no face in it
# (brightness, contrast) of each tone; class k uses tone (k // 2) % 3 and source face k % 2.
TONES = ((1.0, 1.0), (0.5, 1.0), (1.0, 0.6))
PHOTO_SIDES = (160, 320)
# The cameraman turns his face away: smaller than this, the detector misses him now and then.
FACE_SHARE = (0.55, 0.8)  # the head square's side, as a share of the photo's shorter side
TRAIN_SHARE = 0.75  # of each class, in train/ for layout="train_test"; the rest in test/


def make_face_photo_folder(root: Path, classes=("tongue_out", "smile", "eyes_closed"), per_class: int = 20,
                           layout: str = "per_class", seed: int = 0) -> Path:
    """Write `per_class` JPEG photos of a face for each class under root and return root: root/<class>/*.jpg
    (layout "per_class") or root/train/<class>/*.jpg and root/test/<class>/*.jpg (layout "train_test")."""
    if layout not in ("per_class", "train_test"):
        raise ValueError(f"layout is 'per_class' or 'train_test', not {layout!r}")
    rng = np.random.default_rng(seed)
    heads = [_head(name) for name in sorted(HEADS)]
    background = Image.open(ASSETS / BACKGROUND).convert("RGB")
    for k, name in enumerate(classes):
        brightness, contrast = TONES[(k // 2) % len(TONES)]
        head = ImageEnhance.Contrast(heads[k % len(heads)]).enhance(contrast)
        head = ImageEnhance.Brightness(head).enhance(brightness)
        for i in range(per_class):
            if layout == "per_class":
                folder = root / name
            else:
                folder = root / ("train" if i < round(per_class * TRAIN_SHARE) else "test") / name
            folder.mkdir(parents=True, exist_ok=True)
            _photo(head, background, rng).save(folder / f"{name}_{i:03d}.jpg", quality=90)
    return root


def zip_folder(folder: Path, top: str | None = None) -> bytes:
    """The folder as zip bytes, its files under one wrapping folder `top` (the folder's own name by default, as a
    file manager's "compress" makes it); top="" puts them at the zip's root."""
    top = folder.name if top is None else top
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, "/".join(filter(None, (top, path.relative_to(folder).as_posix()))))
    return buffer.getvalue()


def _head(name: str) -> Image.Image:
    left, top, side = HEADS[name]
    return Image.open(ASSETS / name).convert("RGB").crop((left, top, left + side, top + side))


def _photo(head: Image.Image, background: Image.Image, rng: np.random.Generator) -> Image.Image:
    """One photo: the head, mirrored or not, a little brighter or darker, at a random size and place on a random
    part of the background, in a photo of random width and height."""
    width, height = (int(v) for v in rng.integers(PHOTO_SIDES[0], PHOTO_SIDES[1] + 1, 2))
    scale = rng.uniform(1.0, min(background.width / width, background.height / height))
    view_w, view_h = round(width * scale), round(height * scale)
    left = int(rng.integers(0, background.width - view_w + 1))
    top = int(rng.integers(0, background.height - view_h + 1))
    photo = background.crop((left, top, left + view_w, top + view_h)).resize((width, height))
    side = round(rng.uniform(*FACE_SHARE) * min(width, height))
    face = head.resize((side, side), Image.Resampling.LANCZOS)
    if rng.random() < 0.5:
        face = ImageOps.mirror(face)
    face = ImageEnhance.Brightness(face).enhance(rng.uniform(0.9, 1.1))
    photo.paste(face, (int(rng.integers(0, width - side + 1)), int(rng.integers(0, height - side + 1))))
    return photo
