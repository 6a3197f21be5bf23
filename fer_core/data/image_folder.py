"""FER2013's image-folder release: `train/<class>/*.jpg` and `test/<class>/*.jpg`, as a folder or a `.zip`.
File names starting `Training_`, `PublicTest_` or `PrivateTest_` give the usage; otherwise the top folder does."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path, PurePosixPath

import numpy as np
from PIL import Image

from ..errors import DataError
from .fer2013 import CLASS_NAMES, IMAGE_SIZE
from .load_budget import LoadBudget

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp"}
# A zip larger than this once inflated, or inflating far more than images do, is refused as a zip bomb.
MAX_UNCOMPRESSED_BYTES = 2 << 30
MAX_COMPRESSION_RATIO = 200
RATIO_CHECKED_ABOVE = 1 << 20  # a small file may compress that well (a blank face); a bomb cannot be small
_FOLDER_USAGE = {"train": "Training", "training": "Training", "test": "PublicTest", "val": "PublicTest",
                 "validation": "PublicTest", "publictest": "PublicTest", "privatetest": "PrivateTest"}
_PREFIX_USAGE = {"training": "Training", "publictest": "PublicTest", "privatetest": "PrivateTest"}


def max_inflated_size(packed_bytes: int) -> int:
    """The most that `packed_bytes` compressed bytes may inflate to before they count as a zip bomb."""
    return min(MAX_UNCOMPRESSED_BYTES, max(RATIO_CHECKED_ABOVE, MAX_COMPRESSION_RATIO * packed_bytes))


def describe_size(n_bytes: int) -> str:
    return f"{n_bytes / 1e6:,.1f} MB" if n_bytes >= 1e6 else f"{n_bytes / 1e3:,.1f} kB"


def _usage_for(parts: tuple[str, ...]) -> str:
    prefix = parts[-1].split("_", 1)[0].lower()
    if prefix in _PREFIX_USAGE:
        return _PREFIX_USAGE[prefix]
    for part in reversed(parts[:-2]):
        if part.lower() in _FOLDER_USAGE:
            return _FOLDER_USAGE[part.lower()]
    return ""


def _label_for(parts: tuple[str, ...]) -> int | None:
    if len(parts) < 2:
        return None
    folder = parts[-2].lower()
    return CLASS_NAMES.index(folder) if folder in CLASS_NAMES else None


def _decode_grey48(data: bytes, name: str) -> np.ndarray:
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.width * image.height > 4096 * 4096:
                raise DataError(f"{name} is {image.width}×{image.height}, far larger than a FER2013 face.")
            grey = image.convert("L")
            if grey.size != (IMAGE_SIZE, IMAGE_SIZE):
                grey = grey.resize((IMAGE_SIZE, IMAGE_SIZE), Image.Resampling.BILINEAR)
            return np.asarray(grey, dtype=np.uint8)
    except DataError:
        raise
    except Exception as exc:  # PIL raises many types for a broken file; each one means "not an image"
        raise DataError(f"{name} is not a readable image ({type(exc).__name__}).") from exc


def _collect(entries, name: str, skip_bad_rows: bool, budget: LoadBudget):
    """entries: list of (posix path parts, read() callable). Returns images, labels, usage, bad entries."""
    faces = [(parts, read) for parts, read in entries
             if PurePosixPath(*parts).suffix.lower() in IMAGE_SUFFIXES and _label_for(parts) is not None]
    budget.check_rows(len(faces), name)  # counted before any image is decoded
    images, labels, usage, bad = [], [], [], []
    for parts, read in faces:
        label = _label_for(parts)
        try:
            images.append(_decode_grey48(read(), "/".join(parts)))
        except DataError as exc:
            if not skip_bad_rows:
                raise DataError(f"{name}: {exc} Fix it or choose to skip bad rows.") from exc
            bad.append(("/".join(parts), str(exc)))
            continue
        labels.append(label)
        usage.append(_usage_for(parts))
    if not images:
        if bad:
            raise DataError(f"{name}: none of its images could be read.")
        raise DataError(
            f"{name} has no class folders with images: expected train/<class>/*.jpg with classes "
            f"{', '.join(CLASS_NAMES)}."
        )
    return np.stack(images), np.asarray(labels, dtype=np.int64), np.asarray(usage, dtype=object), bad


def read_image_folder(path: Path, skip_bad_rows: bool = False, budget: LoadBudget = LoadBudget()):
    entries = [
        (file.relative_to(path).parts, file.read_bytes)
        for file in sorted(path.rglob("*"))
        if file.is_file()  # follows links, but never to a device or a pipe: those are not files
    ]
    return _collect(entries, path.name, skip_bad_rows, budget)


def read_image_zip(archive: zipfile.ZipFile, name: str, skip_bad_rows: bool = False,
                   budget: LoadBudget = LoadBudget()):
    infos = [info for info in archive.infolist() if not info.is_dir()]
    total = sum(info.file_size for info in infos)
    packed = sum(max(info.compress_size, 1) for info in infos)
    if total > max_inflated_size(packed):
        raise DataError(
            f"{name} would inflate to {describe_size(total)} from {describe_size(packed)}: "
            "refused as a possible zip bomb."
        )
    entries = []
    for info in infos:
        parts = PurePosixPath(info.filename.replace("\\", "/")).parts
        # Names that climb out of the archive (../x, /etc/x) are never followed; nothing is extracted anyway.
        if not parts or ".." in parts or info.filename.startswith(("/", "\\")) or ":" in parts[0]:
            continue
        entries.append((parts, lambda info=info: archive.read(info)))
    return _collect(entries, name, skip_bad_rows, budget)
