"""`load_fer2013(path)`: every form FER2013 comes in, and photos sorted into a folder per class of your own, read
into one `FERDataset` that carries its class names, with a cache keyed on the file's content so the second load is
near-instant."""

from __future__ import annotations

import hashlib
import io
import lzma
import os
import stat
import time
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import DataError
from .image_folder import (FolderFaces, describe_size, max_inflated_size, names_in_short, read_image_folder,
                           read_image_zip)
from .fer2013 import CLASS_NAMES, SPLITS
from .load_budget import DEFAULT_MAX_LOAD_MB, LoadBudget
from .splits import SplitIndices, split_indices

# The file suffixes a load reads (besides a folder): a CSV, gzipped or not, or a zip of a CSV or of class folders.
DATA_FILE_SUFFIXES = (".csv", ".gz", ".zip")
# Bump when parsing changes, so stale cache entries are never read.
CACHE_VERSION = 3
# The cache folder keeps at most this much, oldest entries evicted first (FER_CACHE_MB).
DEFAULT_CACHE_MB = 1000
INFLATE_CHUNK_BYTES = 1 << 22
# A file is read in chunks; one that takes longer than this (a stalled network disk) is given up.
READ_SECONDS = 30


def default_cache_dir() -> Path:
    return Path(os.environ.get("FER_CACHE_DIR") or Path.home() / ".cache" / "fer_studio")


def cache_limit_bytes() -> int:
    try:
        return max(int(os.environ.get("FER_CACHE_MB") or DEFAULT_CACHE_MB), 1) * 1_000_000
    except ValueError:
        return DEFAULT_CACHE_MB * 1_000_000


@dataclass
class FERDataset:
    images: np.ndarray  # uint8 (N, 48, 48)
    labels: np.ndarray  # int64 (N,), 0..len(class_names)-1
    usage: np.ndarray  # str (N,): Training, PublicTest, PrivateTest, or "" when unknown
    class_names: tuple[str, ...] = CLASS_NAMES  # FER2013's seven, or the class folders' names
    source: str = ""
    digest: str = ""  # sha1 of the source bytes
    skipped_rows: list[str] = field(default_factory=list)  # "row or photo: reason", dropped when skipping bad rows
    seed: int = 0
    photos_without_face: list[str] = field(default_factory=list)  # photos skipped because no face was found
    load_notes: list[str] = field(default_factory=list)  # how the source was read, e.g. split here

    def __len__(self) -> int:
        return len(self.labels)

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    @property
    def notes(self) -> tuple[str, ...]:
        """Sentences for the user on how the data was read and split."""
        notes = list(self.load_notes)
        if faceless := self.photos_without_face:
            many = len(faceless) > 1
            notes.append(f"{len(faceless):,} photo{'s' if many else ''} had no face and {'were' if many else 'was'} "
                         f"skipped: {names_in_short(faceless)}.")
        return (*notes, *self.splits.notes)

    @property
    def splits(self) -> SplitIndices:
        return split_indices(self.labels, self.usage, self.seed)

    def subset(self, indices: np.ndarray) -> "FERDataset":
        return FERDataset(self.images[indices], self.labels[indices], self.usage[indices], self.class_names,
                          self.source, self.digest, [], self.seed)

    def split(self, name: str) -> "FERDataset":
        if name not in SPLITS:
            raise DataError(f"Unknown split {name!r}: choose one of {', '.join(SPLITS)}.")
        return self.subset(self.splits[name])

    def class_counts(self) -> np.ndarray:
        return np.bincount(self.labels, minlength=self.num_classes)

    def counts_by_split(self) -> dict[str, np.ndarray]:
        splits = self.splits
        return {name: np.bincount(self.labels[splits[name]], minlength=self.num_classes) for name in SPLITS}


def load_fer2013(
    path: str | os.PathLike,
    skip_bad_rows: bool = False,
    cache: bool = True,
    max_load_mb: int = DEFAULT_MAX_LOAD_MB,
) -> FERDataset:
    """Read FER2013 from a CSV (`.csv`, `.csv.gz`, Kaggle variants) or a `.zip` holding one, or photos sorted into
    class folders (FER2013's image release, or classes of your own; a folder or a `.zip`: see image_folder.py).
    A bad row or unreadable photo raises DataError naming it, unless skip_bad_rows, which drops and counts it.
    A file holding more faces than `max_load_mb` MB of 48×48 pixels is refused before it is parsed.
    Parsed files are cached by content digest under FER_CACHE_DIR (default ~/.cache/fer_studio) unless cache=False."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path} does not exist.")
    if path.is_dir():
        return _from_folder(read_image_folder(path, skip_bad_rows, LoadBudget(max_load_mb)), source=str(path))
    raw = read_data_file(path, LoadBudget(max_load_mb))
    return load_fer2013_bytes(raw, path.name, skip_bad_rows, cache, source=str(path), max_load_mb=max_load_mb)


def read_data_file(path: Path, budget: LoadBudget) -> bytearray:
    """A regular file's bytes: a device (/dev/zero), a pipe or a socket is refused unread, so is a file larger than
    the budget's faces could take, and a read that outlasts READ_SECONDS is given up. The checks hold for what
    was opened, not only for what the name pointed at."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # a pipe opens without waiting for a writer
    except OSError as exc:
        raise DataError(f"{path.name} cannot be read ({exc.strerror or 'not allowed'}).") from exc
    with os.fdopen(fd, "rb", buffering=0) as handle:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise DataError(f"{path.name} is not a regular file (it is a device, a pipe or a socket), so it was not read.")
        budget.check_text(info.st_size, path.name)
        deadline = time.monotonic() + READ_SECONDS
        raw = bytearray(info.st_size)  # one buffer, filled in place: a file is never held twice while read
        view, size = memoryview(raw), 0
        try:
            while size < len(raw) and (count := handle.readinto(view[size:size + INFLATE_CHUNK_BYTES])):
                size += count
                if time.monotonic() > deadline:
                    raise DataError(f"{path.name} took more than {READ_SECONDS} s to read, so it was given up.")
        except OSError as exc:
            raise DataError(f"{path.name} cannot be read ({exc.strerror or exc}).") from exc
        finally:
            view.release()
    del raw[size:]  # a file cut short while it was read
    return raw


def load_fer2013_bytes(
    raw: bytes | bytearray,
    name: str = "the uploaded file",
    skip_bad_rows: bool = False,
    cache: bool = True,
    source: str | None = None,
    max_load_mb: int = DEFAULT_MAX_LOAD_MB,
) -> FERDataset:
    """The same as load_fer2013, for bytes already in memory (an upload)."""
    digest = hashlib.sha1(raw).hexdigest()
    cached = _cache_file(default_cache_dir(), digest, skip_bad_rows) if cache else None
    if cached is not None and cached.exists():
        dataset = _read_cache(cached)
        if dataset is not None and len(dataset) <= LoadBudget(max_load_mb).max_faces:
            cached.touch()  # the cache evicts the least recently used entries first
            dataset.source = source or name
            return dataset
    try:
        dataset = _parse(raw, name, skip_bad_rows, LoadBudget(max_load_mb))
    finally:
        _release_parser_memory()
    dataset.source, dataset.digest = source or name, digest
    if cached is not None:
        _write_cache(cached, dataset)
    return dataset


def _parse(raw: bytes, name: str, skip_bad_rows: bool, budget: LoadBudget) -> FERDataset:
    from .csv_format import parse_fer_csv  # pyarrow loads only when a file is parsed, not on a cache hit

    if raw[:2] == b"\x1f\x8b":
        raw = _gunzip(raw, name, budget)
    if raw[:4] == b"PK\x03\x04" or raw[:4] == b"PK\x05\x06":
        return _parse_zip(raw, name, skip_bad_rows, budget)
    parsed = parse_fer_csv(raw, name, skip_bad_rows, budget)
    return FERDataset(parsed.images, parsed.labels, parsed.usage, skipped_rows=[str(row) for row in parsed.bad_rows])


def _from_folder(faces: FolderFaces, source: str = "") -> FERDataset:
    return FERDataset(faces.images, faces.labels, faces.usage, faces.class_names, source,
                      skipped_rows=[f"{path}: {reason}" for path, reason in faces.bad],
                      photos_without_face=faces.without_face, load_notes=faces.notes)


def _release_parser_memory() -> None:
    """Hand the parse's freed memory back to the system: arrow's allocator keeps it for reuse otherwise, and a server
    that parsed one large file would hold hundreds of MB it no longer uses."""
    import sys

    if "pyarrow" in sys.modules:
        sys.modules["pyarrow"].default_memory_pool().release_unused()


def _gunzip(raw: bytes | bytearray, name: str, budget: LoadBudget) -> bytes:
    import pyarrow as pa

    try:
        from isal import igzip as gzip_module  # ISA-L inflates about 5× faster than zlib; same format
    except ImportError:
        import gzip as gzip_module
    # Bounded like a zip: a few MB of zeros must not inflate to gigabytes in memory. A first pass counts the text
    # and its lines into one small buffer, keeping nothing, so a refused file never costs more than that buffer.
    bomb_limit = max_inflated_size(len(raw))
    limit = min(bomb_limit, budget.max_text_bytes)
    size = lines = 0
    buffer = bytearray(INFLATE_CHUNK_BYTES)
    try:
        with gzip_module.open(pa.BufferReader(raw)) as stream:  # reads raw in place, bytes or bytearray
            while (count := stream.readinto(buffer)) and size <= limit and lines <= budget.max_faces + 1:
                size += count
                lines += buffer.count(b"\n", 0, count)
        if size > bomb_limit:
            raise DataError(f"{name} would inflate to more than {describe_size(bomb_limit)} from "
                            f"{describe_size(len(raw))}: refused as a possible zip bomb.")
        budget.check_text(size, name)
        budget.check_rows(lines - 1, name, exact=False)
        with gzip_module.open(pa.BufferReader(raw)) as stream:
            return stream.read(size)
    except DataError:
        raise
    except Exception as exc:  # isal and gzip raise different types for a corrupt stream
        raise DataError(f"{name} is not a valid gzip file ({exc}).") from exc


# What zipfile raises for a damaged archive: bad headers, bad offsets (ValueError), bad deflate data (zlib.error),
# an encrypted member (RuntimeError), an unknown method (NotImplementedError).
_ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, OSError, ValueError,
               RuntimeError, zlib.error, lzma.LZMAError)


def _parse_zip(raw: bytes, name: str, skip_bad_rows: bool, budget: LoadBudget) -> FERDataset:
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
        csvs = [i for i in archive.infolist() if i.filename.lower().endswith((".csv", ".csv.gz")) and ".." not in i.filename]
        if csvs:
            member = max(csvs, key=lambda i: i.file_size)
            if member.file_size > max_inflated_size(member.compress_size):
                raise DataError(f"{name}: {member.filename} would inflate to {describe_size(member.file_size)} from "
                                f"{describe_size(member.compress_size)}: refused as a possible zip bomb.")
            budget.check_text(member.file_size, f"{name}/{member.filename}")
            inner = archive.read(member)
            return _parse(inner, f"{name}/{member.filename}", skip_bad_rows, budget)
        return _from_folder(read_image_zip(archive, name, skip_bad_rows, budget))
    except _ZIP_ERRORS as exc:
        raise DataError(f"{name} is not a readable zip file ({exc}).") from exc


def _cache_file(cache_dir: Path, digest: str, skip_bad_rows: bool) -> Path:
    return cache_dir / f"fer2013-v{CACHE_VERSION}-{digest}-{'skip' if skip_bad_rows else 'strict'}.npz"


def _read_cache(path: Path) -> FERDataset | None:
    try:
        with np.load(path, allow_pickle=False) as stored:
            return FERDataset(
                stored["images"], stored["labels"], stored["usage"].astype(object),
                class_names=tuple(stored["class_names"].astype(str).tolist()),
                digest=str(stored["digest"]), skipped_rows=list(stored["skipped_rows"].astype(str)),
                photos_without_face=list(stored["photos_without_face"].astype(str)),
                load_notes=list(stored["load_notes"].astype(str)),
            )
    except (OSError, ValueError, KeyError):
        return None  # a damaged cache entry is rebuilt, never trusted


def _write_cache(path: Path, dataset: FERDataset) -> None:
    from ..atomic import write_atomically

    def write(tmp: Path) -> None:
        with open(tmp, "wb") as handle:
            np.savez(handle, images=dataset.images, labels=dataset.labels, usage=dataset.usage.astype(str),
                     class_names=np.asarray(dataset.class_names, dtype=str), digest=np.str_(dataset.digest),
                     skipped_rows=np.asarray(dataset.skipped_rows, dtype=str),
                     photos_without_face=np.asarray(dataset.photos_without_face, dtype=str),
                     load_notes=np.asarray(dataset.load_notes, dtype=str))

    try:
        write_atomically(path, write)
        from ..bounded_store import evict_oldest

        evict_oldest(path.parent, cache_limit_bytes(), keep=path)
    except Exception:
        pass  # the cache is an optimisation: a read-only or full disk must not stop the load
