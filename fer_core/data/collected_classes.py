"""Classes of one's own collected from a camera, one photo at a time or in a burst, the way Teachable Machine collects
them: each class a folder, each photo the face found in it, framed as the Predictor frames faces (48×48 grey PNG).

Only the face is kept, not the room behind it. A session's photos live in the uploads store beside the runs:

    RUNS_DIR/uploads/camera-<session id>/camera_classes/<class>/NNN.png

so the whole session's collection is one entry of that bounded store (evicted oldest first with the uploads, and last
while a run trains on it), and `camera_classes` is a folder of class folders that load_fer2013 reads like any other.
A session's collection is bounded too: at most `max_photos` photos and `max_bytes` bytes; once its session has ended
and it has gone unused for an hour, it is deleted (forget_ended_collections), unless a run still trains on it."""

from __future__ import annotations

import io
import os
import re
import shutil
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from ..bounded_store import entry_bytes, evict_oldest
from ..errors import CollectionError
from .fer2013 import CLASS_NAMES, IMAGE_SIZE
from .image_folder import MAX_CLASSES
from .splits import HELD_OUT_FROM_CLASS_SIZE

COLLECTION_PREFIX = "camera-"
CLASSES_FOLDER = "camera_classes"
PHOTO_SUFFIX = ".png"
MAX_NAME_LENGTH = 40
MAX_PHOTOS = 500  # a session's photos, all classes together: 10 classes × 50 photos
# A 48×48 grey face is about 1.8 kB as PNG (docs/decisions.md): the photo cap binds first.
MAX_BYTES = 20_000_000
# Each class holds a validation and a test photo out of this many, so a class with fewer is never scored.
MIN_PHOTOS_PER_CLASS = HELD_OUT_FROM_CLASS_SIZE
# A collection whose session has ended is deleted once unused this long: a dropped connection comes back sooner.
IDLE_SECONDS_BEFORE_FORGETTING = 3600
# Names image_folder.py reads as a split folder (train/, test/…), not a class.
_SPLIT_FOLDER_NAMES = {"train", "training", "test", "val", "validation", "publictest", "privatetest"}
_SESSION_ID = re.compile(r"[0-9a-f]{8,64}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class AddedPhoto:
    """A photo added to a class: its file, and how many faces were in the picture (the largest is the one kept)."""

    path: Path
    faces_in_picture: int


def check_class_name(typed: str, existing: Iterable[str] = ()) -> str:
    """The class name as it will be a folder name (spaces around it dropped), or CollectionError saying why not."""
    name = str(typed).strip()
    if not name:
        raise CollectionError("Type a name for the class, for example smile or eyes closed.")
    if len(name) > MAX_NAME_LENGTH:
        raise CollectionError(f"A class name has at most {MAX_NAME_LENGTH} characters; this one has {len(name)}.")
    if "/" in name or "\\" in name or _CONTROL.search(name):
        raise CollectionError("A class name cannot hold '/', '\\' or control characters: it becomes a folder name.")
    if ".." in name or name.startswith("."):
        raise CollectionError("A class name cannot start with '.' or hold '..': it becomes a folder name.")
    if name.casefold() == "__macosx":  # the loader skips macOS zips' resource forks by this name
        raise CollectionError(f"{name} is the name of the folder macOS zips hide their extras in: choose another name.")
    if name.casefold() in _SPLIT_FOLDER_NAMES:
        raise CollectionError(f"{name} names a split of a dataset (train, test, validation), not a class: "
                              "choose another name.")
    if name.casefold() in CLASS_NAMES:
        raise CollectionError(f"{name} is one of FER2013's seven emotions, which the shipped model already reads on "
                              "Predict. Name what the person at the camera does instead (smile, eyes closed, "
                              "tongue out, thumbs up).")
    if any(name.casefold() == other.casefold() for other in existing):
        raise CollectionError(f"There is already a class called {name} (capitals aside): choose another name.")
    return name


class CollectedClasses:
    """One session's collection in `uploads_dir`. `store_max_bytes` bounds the whole uploads store (evicting the
    entries used longest ago); `needed` lists the store's entries a run still trains on, spared from eviction."""

    def __init__(self, uploads_dir: str | Path, session_id: str, store_max_bytes: int | None = None,
                 max_photos: int = MAX_PHOTOS, max_bytes: int = MAX_BYTES,
                 needed: Callable[[], Iterable[Path]] = tuple):
        if not _SESSION_ID.fullmatch(session_id):
            raise ValueError(f"a session id is 8 to 64 lowercase hex digits, not {session_id!r}")
        self.uploads_dir = Path(uploads_dir)
        self.entry = self.uploads_dir / f"{COLLECTION_PREFIX}{session_id}"  # the uploads store's unit
        self.folder = self.entry / CLASSES_FOLDER  # what load_fer2013 reads
        self.store_max_bytes = store_max_bytes
        self.max_photos, self.max_bytes = max_photos, max_bytes
        self._needed = needed

    # What it holds.
    def class_names(self) -> list[str]:
        """The classes, in the order the dataset will have them (by name, capitals aside)."""
        try:
            names = [entry.name for entry in self.folder.iterdir() if entry.is_dir() and not entry.is_symlink()]
        except OSError:
            return []
        return sorted(names, key=lambda n: (n.casefold(), n))

    def photos(self, name: str) -> list[Path]:
        """The photos of class `name`, oldest first."""
        try:
            return sorted((p for p in self._class_folder(name).iterdir() if p.suffix == PHOTO_SUFFIX),
                          key=_photo_number)
        except OSError:
            return []

    def counts(self) -> dict[str, int]:
        return {name: len(self.photos(name)) for name in self.class_names()}

    def total_photos(self) -> int:
        return sum(self.counts().values())

    def total_bytes(self) -> int:
        return entry_bytes(self.entry) if self.entry.exists() else 0

    def modified(self) -> float:
        """Changes whenever a photo or a class is added or deleted: what caches of the loaded data are keyed on."""
        stamps = [0]
        for folder in (self.folder, *(self._class_folder(name) for name in self.class_names())):
            try:
                stamps.append(folder.stat().st_mtime_ns)
            except OSError:
                pass
        return max(stamps) / 1e9

    def not_ready_reason(self) -> str | None:
        """Why these classes cannot train yet, in a sentence, or None when they can."""
        counts = self.counts()
        if len(counts) < 2:
            return (f"A classifier needs at least two classes: you have {len(counts)}. "
                    + ("Add another class and take its photos." if counts else "Name a class and take its photos."))
        short = [f"{name} ({count})" for name, count in counts.items() if count < MIN_PHOTOS_PER_CLASS]
        if short:
            return (f"Each class needs at least {MIN_PHOTOS_PER_CLASS} photos (one is kept to validate on, one to "
                    f"test on); take more of: {', '.join(short)}, or delete the class.")
        return None

    # Changing it.
    def add_class(self, typed: str) -> str:
        names = self.class_names()
        name = check_class_name(typed, names)
        if len(names) >= MAX_CLASSES:
            raise CollectionError(f"A collection holds at most {MAX_CLASSES} classes; delete one to add another.")
        self._class_folder(name).mkdir(parents=True, exist_ok=True)
        self._used_now()
        return name

    def add_photo(self, name: str, picture) -> AddedPhoto:
        """Find the face in `picture` (bytes, a path, a PIL image or an RGB array, as the Predictor takes them) and
        add it to class `name`; CollectionError when the class is gone, the collection is full or no face is found."""
        from ..prediction.face_detection import detect_faces
        from ..prediction.photos import load_image
        from ..prediction.predictor import frame_face

        folder = self._class_folder(name)
        if not folder.is_dir():
            raise CollectionError(f"There is no class called {name} any more: add it again.")
        total = self.total_photos()
        if total >= self.max_photos:
            raise CollectionError(f"This collection holds its most photos, {self.max_photos:,}; delete some (or a "
                                  "class) to take more.")
        photo = load_image(picture)  # ImageError for what is not a readable photo
        faces = detect_faces(photo)
        if not faces:
            raise CollectionError("No face was found in that picture, so it was not added: face the camera, "
                                  "in good light, near enough that your face fills a good part of the picture.")
        face = frame_face(photo, faces[0], IMAGE_SIZE)
        data = _png(face)
        if self.total_bytes() + len(data) > self.max_bytes:
            raise CollectionError(f"This collection holds its most data, {self.max_bytes / 1e6:.0f} MB; delete some "
                                  "photos (or a class) to take more.")
        path = folder / f"{self._next_number(name):03d}{PHOTO_SUFFIX}"
        partial = folder / f".{path.name}.part"  # hidden: the store never evicts a write in progress
        partial.write_bytes(data)
        os.replace(partial, path)
        self._used_now()
        self._keep_store_within_bounds()
        return AddedPhoto(path, len(faces))

    def delete_photo(self, name: str, photo_name: str) -> None:
        if Path(photo_name).name != photo_name or not photo_name.endswith(PHOTO_SUFFIX):
            raise CollectionError(f"{photo_name} is not a photo of this collection.")
        (self._class_folder(name) / photo_name).unlink(missing_ok=True)
        self._used_now()

    def delete_class(self, name: str) -> None:
        shutil.rmtree(self._class_folder(name), ignore_errors=True)
        self._used_now()

    def delete_all(self) -> None:
        shutil.rmtree(self.entry, ignore_errors=True)

    # Inside.
    def _class_folder(self, name: str) -> Path:
        if Path(name).name != name or name in ("", ".", ".."):
            raise CollectionError(f"{name} is not a class of this collection.")
        return self.folder / name

    def _next_number(self, name: str) -> int:
        """One past the highest number in the class: photos keep the order they were taken in."""
        return max((_photo_number(p) for p in self.photos(name)), default=0) + 1

    def _used_now(self) -> None:
        try:
            os.utime(self.entry)  # the store evicts the entries used longest ago first
        except OSError:
            pass

    def _keep_store_within_bounds(self) -> None:
        if self.store_max_bytes is None:
            return
        for folder in self._needed():
            try:
                os.utime(folder)  # as if used now: evicted only once every other entry is gone
            except OSError:
                pass
        evict_oldest(self.uploads_dir, self.store_max_bytes, keep=self.entry)


def forget_ended_collections(uploads_dir: str | Path, still_open: Callable[[str], bool], needed: Iterable[Path] = (),
                             idle_seconds: float = IDLE_SECONDS_BEFORE_FORGETTING) -> list[str]:
    """Delete the collections whose session has ended (`still_open(session id)` is False) and that nobody used for
    `idle_seconds` (a dropped connection comes back within that), except those a run still trains on (`needed`).
    Returns the entries deleted."""
    spared = {Path(folder).resolve() for folder in needed}
    deleted = []
    try:
        entries = [entry for entry in Path(uploads_dir).iterdir() if entry.name.startswith(COLLECTION_PREFIX)]
    except OSError:
        return []
    for entry in entries:
        session_id = entry.name[len(COLLECTION_PREFIX):]
        try:
            idle = time.time() - entry.lstat().st_mtime
        except OSError:
            continue
        if idle < idle_seconds or entry.resolve() in spared or not _SESSION_ID.fullmatch(session_id) or \
                still_open(session_id):
            continue
        shutil.rmtree(entry, ignore_errors=True)
        deleted.append(entry.name)
    return deleted


def _photo_number(path: Path) -> int:
    try:
        return int(path.stem)
    except ValueError:
        return 0


def _png(face: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(face).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
