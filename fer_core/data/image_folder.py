"""Faces from photos sorted into one folder per class, as a folder or a `.zip`: `<class>/*.jpg`, or
`train/<class>/*.jpg` with `test/<class>/*.jpg` (FER2013's image release), under any wrapping folder.

The class names are the folder names; folders named after FER2013's emotions keep FER2013's seven classes and order.
File names starting `Training_`, `PublicTest_` or `PrivateTest_` give the usage; otherwise a train/, val/ or test/
folder above does (test/ is the validation split too unless a val/ folder is beside it); photos with neither are
split here, stratified, with a fixed seed: by person when every file name says who it shows (anna_01.jpg: see
splits.person_of), else photo by photo, and the note says which.
A 48×48 crop is used as it is; in any other photo the largest face is found and framed as the Predictor frames
faces, and a photo without a face is skipped and named."""

from __future__ import annotations

import io
import time
import zipfile
from dataclasses import dataclass
from functools import lru_cache, partial
from pathlib import Path, PurePosixPath

import numpy as np
from PIL import Image

from ..errors import DataError, FERError
from .archives import describe_size, max_inflated_size, read_zip_member, safe_parts
from .confined_files import MAX_PHOTO_BYTES, read_confined
from .fer2013 import CLASS_NAMES, IMAGE_SIZE, USAGE_TO_SPLIT
from .load_budget import LoadBudget
from .splits import person_of, split_by_person, stratified_split

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp"}
MIN_CLASSES = 2
MAX_CLASSES = 50
# Photos that come without train/ and test/ folders are split with this seed, so a folder always splits alike.
SPLIT_SEED = 0
_FOLDER_USAGE = {"train": "Training", "training": "Training", "test": "PrivateTest", "val": "PublicTest",
                 "validation": "PublicTest", "publictest": "PublicTest", "privatetest": "PrivateTest"}
_PREFIX_USAGE = {"training": "Training", "publictest": "PublicTest", "privatetest": "PrivateTest"}
_SPLIT_USAGE = {split: usage for usage, split in USAGE_TO_SPLIT.items()}
_NAMES_SHOWN = 5
# A photo in a dataset is decoded whole before its face is found: this bounds what one decode holds (48 MB in RGB).
MAX_PHOTO_SIDE = 4096
MAX_PHOTO_PIXELS = MAX_PHOTO_SIDE * MAX_PHOTO_SIDE


@dataclass
class FolderFaces:
    """What a folder of photos holds: one 48×48 grey face per photo (uint8 (N, 48, 48)), its label and usage,
    the class names, the photos skipped as unreadable (path, reason), the photos in which no face was found, and
    notes on how the photos were read."""

    images: np.ndarray
    labels: np.ndarray
    usage: np.ndarray
    class_names: tuple[str, ...]
    bad: list[tuple[str, str]]
    without_face: list[str]
    notes: list[str]
    # how train and test were told apart: "folders" (or "folders sharing people", by file name), "person" or "photo"
    photo_split: str = "folders"


def is_photo(name: str) -> bool:
    return PurePosixPath(name).suffix.lower() in IMAGE_SUFFIXES


def is_visible_photo(parts: tuple[str, ...]) -> bool:
    """A photo by its suffix, outside hidden files and folders and macOS's resource forks: one a folder, a zip or a
    tar is read for."""
    return is_photo(parts[-1]) and not _hidden(parts)


def names_in_short(names: list[str]) -> str:
    """The first few names, and how many more: for a sentence about many files."""
    more = f" and {len(names) - _NAMES_SHOWN:,} more" if len(names) > _NAMES_SHOWN else ""
    return ", ".join(names[:_NAMES_SHOWN]) + more


def read_image_folder(path: Path, skip_bad_rows: bool = False, budget: LoadBudget = LoadBudget()) -> FolderFaces:
    found = sorted(path.rglob("*"))
    # Each file is opened from the folder down: links out of it, pipes, devices and files over the photo cap are refused
    entries = [(parts, partial(read_confined, path, parts))
               for parts in (file.relative_to(path).parts for file in found if not file.is_dir())]
    folders = {folder.relative_to(path).parts for folder in found if folder.is_dir()}
    return read_image_entries(entries, folders, path.name, skip_bad_rows, budget)


def read_image_zip(archive: zipfile.ZipFile, name: str, skip_bad_rows: bool = False,
                   budget: LoadBudget = LoadBudget()) -> FolderFaces:
    infos = [info for info in archive.infolist() if not info.is_dir()]
    total = sum(info.file_size for info in infos)
    packed = sum(max(info.compress_size, 1) for info in infos)
    if total > max_inflated_size(packed):
        raise DataError(
            f"{name} would inflate to {describe_size(total)} from {describe_size(packed)}: "
            "refused as a possible zip bomb."
        )
    entries, folders = [], set()
    for info in archive.infolist():
        parts = safe_parts(info.filename)
        # Names that climb out of the archive (../x, /etc/x) are never followed; nothing is extracted anyway.
        if parts is None:
            continue
        if info.is_dir():
            folders.add(parts)
        else:
            # Each photo is checked from the directory, then inflated through a stream that stops at the photo cap.
            entries.append((parts, partial(read_zip_member, archive, info, MAX_PHOTO_BYTES)))
    return read_image_entries(entries, folders, name, skip_bad_rows, budget)


PHOTOS_TIMED = 8


def seconds_per_photo(path: Path) -> float | None:
    """What reading one of this folder's photos costs here, as read_image_folder reads it (the file, its decoding and
    the search for its face, fallbacks included): the median over PHOTOS_TIMED photos spread through the folder,
    remembered until the folder changes. None for a folder without photos."""
    return _seconds_per_photo(str(path), path.stat().st_mtime_ns)


@lru_cache(maxsize=16)
def _seconds_per_photo(path: str, _modified: int) -> float | None:
    folder = Path(path)
    photos = [parts for parts in (file.relative_to(folder).parts for file in sorted(folder.rglob("*")) if file.is_file())
              if is_visible_photo(parts)]
    seconds = []
    for parts in photos[::max(1, len(photos) // PHOTOS_TIMED)][:PHOTOS_TIMED]:
        began = time.perf_counter()
        try:
            _face_in(read_confined(folder, parts), "/".join(parts))
        except (DataError, FERError):
            pass  # a bad photo costs what it costs: the job reads it too
        seconds.append(time.perf_counter() - began)
    return float(np.median(seconds)) if seconds else None


def read_image_entries(entries, folders: set[tuple[str, ...]], name: str, skip_bad_rows: bool = False,
                       budget: LoadBudget = LoadBudget()) -> FolderFaces:
    """entries: (posix path parts, read() callable) for every file; folders: the path parts of every folder.
    Each photo's read() is called at most once, in the entries' order (a tar is read as a stream)."""
    photos = [(parts, read) for parts, read in entries if is_visible_photo(parts)]
    holding = {parts[:-1] for parts, _ in photos}
    above = {folder[:depth] for folder in holding for depth in range(len(folder))}
    # A folder of photos is a class unless a folder below it holds photos too (then its own are loose, like a cover
    # picture), or it is a split folder itself (train/*.jpg says nothing about a class).
    class_folders = {folder for folder in holding - above
                     if folder and folder[-1].strip() and folder[-1].lower() not in _FOLDER_USAGE}
    loose = any(parts[:-1] not in class_folders for parts, _ in photos)
    class_names, class_of_key = _class_names(class_folders, loose, name)
    with_files = {parts[:depth] for parts, _ in entries for depth in range(1, len(parts))}
    _refuse_empty_class_folders(folders | with_files, class_folders, name)
    photos = [(parts, read) for parts, read in photos if parts[:-1] in class_folders]
    budget.check_rows(len(photos), name)  # counted before any image is decoded

    images, labels, usage, bad, without_face, people = [], [], [], [], [], []
    for parts, read in photos:
        path = "/".join(parts)
        try:
            face = _face_in(read(), path)
        except DataError as exc:
            if not skip_bad_rows:
                raise DataError(f"{name}: {exc} Fix it or choose to skip bad rows.") from exc
            bad.append((path, str(exc)))
            continue
        if face is None:
            without_face.append(path)
            continue
        images.append(face)
        labels.append(class_of_key[_key(parts[-2])])
        usage.append(_usage_for(parts))
        people.append(person_of(parts[-1], parts[-2]))
    if not images:
        raise DataError(_nothing_read(name, bad, without_face))
    labels, usage = np.asarray(labels, dtype=np.int64), np.asarray(usage, dtype=object)
    _refuse_classes_without_faces(class_folders, class_of_key, class_names, labels, name)
    notes, photo_split = [], "folders"
    if not np.isin(usage, ["PublicTest", "PrivateTest"]).any():
        usage, note, photo_split = _split_here(labels, people)
        notes.append(note)
    elif not (usage == "PublicTest").any():
        usage[usage == "PrivateTest"] = "PublicTest"  # a test/ folder without a val/ one validates too
    if photo_split == "folders" and class_names != CLASS_NAMES and (shared := _people_in_two_splits(usage, people)):
        notes.append(f"By their file names, {names_in_short(shared)} {'have' if len(shared) > 1 else 'has'} photos "
                     "in train/ and in val/ or test/: the model is tested on people it trained on, so the test score "
                     "is optimistic. Keep each person's photos in one folder.")
        photo_split = "folders sharing people"
    return FolderFaces(np.stack(images), labels, usage, class_names, bad, without_face, notes, photo_split)


def _hidden(parts: tuple[str, ...]) -> bool:
    """Hidden files and folders (.DS_Store, .git) and the resource forks macOS zips carry (__MACOSX)."""
    return any(part.startswith(".") or part == "__MACOSX" for part in parts)


def _key(folder_name: str) -> str:
    return folder_name.strip().casefold()


def _class_names(class_folders: set[tuple[str, ...]], loose: bool, name: str) -> tuple[tuple[str, ...], dict[str, int]]:
    """The class names, and each folder name's (casefolded) label."""
    written, spellings = {}, {}
    for folder in sorted(class_folders):
        written.setdefault(_key(folder[-1]), folder[-1].strip())
        spellings.setdefault((folder[:-1], _key(folder[-1])), set()).add(folder[-1])
    # Side by side, `Bored`, `bored` and `bored ` are three folders someone meant apart, or sorted by mistake: ask.
    if clash := min((sorted(names) for names in spellings.values() if len(names) > 1), default=None):
        raise DataError(f"{name}: the class folders {', '.join(repr(n) for n in clash)} differ only in capitals or "
                        "spaces, so they would be one class; merge them into one folder, or rename them apart.")
    # Photos beside a single folder were never sorted into classes: the layout, not the class count, is wrong.
    if not written or (len(written) < MIN_CLASSES and loose):
        raise DataError(f"{name} has no class folders with images: expected train/<class>/*.jpg with classes "
                        f"{', '.join(CLASS_NAMES)}.")
    if set(written) <= set(CLASS_NAMES):
        # FER2013's image release, or part of it, keeps FER2013's labels, so FER2013 models still read it.
        return CLASS_NAMES, {key: CLASS_NAMES.index(key) for key in written}
    if len(written) < MIN_CLASSES:
        [only] = written.values()
        raise DataError(f"{name} has only one class folder, {only!r}: a classifier needs at least two, so add a "
                        "folder of photos for each other class.")
    if len(written) > MAX_CLASSES:
        raise DataError(f"{name} has {len(written):,} class folders; FER Studio trains on at most {MAX_CLASSES} "
                        "classes, so merge or remove some.")
    class_names = tuple(sorted(written.values(), key=lambda n: (n.casefold(), n)))
    return class_names, {_key(n): label for label, n in enumerate(class_names)}


def _refuse_empty_class_folders(folders: set[tuple[str, ...]], class_folders: set[tuple[str, ...]], name: str) -> None:
    """A folder beside the class folders with no photo in it (nor below it) is a class without photos."""
    beside = {folder[:-1] for folder in class_folders}
    holding_below = {folder[:depth] for folder in class_folders for depth in range(len(folder) + 1)}
    empty = sorted("/".join(folder) for folder in folders
                   if folder and folder[:-1] in beside and folder not in holding_below and not _hidden(folder)
                   and folder[-1].lower() not in _FOLDER_USAGE)
    if empty:
        plural = len(empty) > 1
        raise DataError(f"{name}: the class folder{'s' if plural else ''} {names_in_short(empty)} "
                        f"{'hold' if plural else 'holds'} no photos; add photos to "
                        f"{'them' if plural else 'it'} or remove {'them' if plural else 'it'}.")


def _refuse_classes_without_faces(class_folders, class_of_key: dict[str, int], class_names: tuple[str, ...],
                                  labels: np.ndarray, name: str) -> None:
    counts = np.bincount(labels, minlength=len(class_names))
    faceless = sorted({class_names[class_of_key[_key(folder[-1])]] for folder in class_folders
                       if counts[class_of_key[_key(folder[-1])]] == 0})
    if faceless:
        raise DataError(f"{name}: no face was found in the photos of {names_in_short(faceless)} (or none could be "
                        "read); add photos in which a face is clearly visible.")


def _nothing_read(name: str, bad: list, without_face: list[str]) -> str:
    if not without_face:
        return f"{name}: none of its images could be read."
    unreadable = f" and {len(bad):,} could not be read" if bad else ""
    return (f"{name}: no face was found in any of its photos ({len(without_face):,} without a face{unreadable}); "
            "add photos in which a face is clearly visible.")


def _split_here(labels: np.ndarray, people: list[str | None]) -> tuple[np.ndarray, str, str]:
    """Usage for photos that came without train/ and test/ folders: split by person when every photo's name says
    who it shows, else a stratified split photo by photo; the note that says which, and "person" or "photo"."""
    by_person = split_by_person(labels, people, SPLIT_SEED) if all(people) else None
    splits = by_person or stratified_split(labels, SPLIT_SEED)
    usage = np.empty(len(labels), dtype=object)
    for split, indices in splits.items():
        usage[indices] = _SPLIT_USAGE[split]
    made = (f"{len(splits['train']):,} train, {len(splits['validation']):,} validation and "
            f"{len(splits['test']):,} test photos")
    if by_person:
        held = {split: len({people[i] for i in splits[split]}) for split in splits}
        note = (f"The photos are not split into train/ and test/ folders: they are split by person (the name before "
                f"the number, as in anna_01.jpg), with seed {SPLIT_SEED}: {held['train']} people to train, "
                f"{held['validation']} to validate and {held['test']} to test, {made}; no one is in two splits.")
        return usage, note, "person"
    unnamed = sum(person is None for person in people)
    why = (f"{unnamed:,} of the photos' names say nobody's name" if unnamed else
           f"their names give only {len(set(people))} people, too few to hold some out")
    note = (f"The photos are not split into train/ and test/ folders: a stratified split with seed {SPLIT_SEED} made "
            f"{made}, one by one, because {why} (name them like anna_01.jpg to split by person). The same person "
            "may be in train and test, so the test score is optimistic.")
    return usage, note, "photo"


def _people_in_two_splits(usage: np.ndarray, people: list[str | None]) -> list[str]:
    """The people (by file name) with photos both in training and held out."""
    named = np.asarray([person or "" for person in people], dtype=object)
    trained = set(named[usage == "Training"]) - {""}
    return sorted(trained & (set(named[usage != "Training"]) - {""}))


def _usage_for(parts: tuple[str, ...]) -> str:
    prefix = parts[-1].split("_", 1)[0].lower()
    if prefix in _PREFIX_USAGE:
        return _PREFIX_USAGE[prefix]
    for part in reversed(parts[:-2]):
        if part.lower() in _FOLDER_USAGE:
            return _FOLDER_USAGE[part.lower()]
    return ""


def _face_in(data: bytes, name: str) -> np.ndarray | None:
    """The photo's face, 48×48 grey: a face crop as it is, else the largest face found in it; None if it has none."""
    from ..prediction.predictor import is_one_face

    try:
        with Image.open(io.BytesIO(data)) as image:
            size = image.size
            if is_one_face(image.size):  # the Predictor's rule: crops (FER2013's 35,887) skip detection
                grey = image.convert("L")
                if grey.size != (IMAGE_SIZE, IMAGE_SIZE):
                    grey = grey.resize((IMAGE_SIZE, IMAGE_SIZE), Image.Resampling.BILINEAR)
                return np.asarray(grey, dtype=np.uint8)
    except Exception as exc:  # PIL raises many types for a broken file; each one means "not an image"
        raise DataError(f"{name} is not a readable image ({type(exc).__name__}).") from exc
    if size[0] * size[1] > MAX_PHOTO_PIXELS:  # from the header: decoding it would hold width × height × 3 bytes
        raise DataError(f"{name} is {size[0]}×{size[1]}, far larger than a FER2013 face; photos of at most "
                        f"{MAX_PHOTO_SIDE}×{MAX_PHOTO_SIDE} pixels are read.")
    return _largest_face(data, name)


def _largest_face(data: bytes, name: str) -> np.ndarray | None:
    from ..prediction.face_detection import detect_faces
    from ..prediction.photos import load_image
    from ..prediction.predictor import frame_face

    stream = io.BytesIO(data)
    stream.name = name  # load_image's sentences name the photo
    try:
        photo = load_image(stream)
    except FERError as exc:
        raise DataError(str(exc)) from exc
    faces = detect_faces(photo)
    return frame_face(photo, faces[0], IMAGE_SIZE) if faces else None
