"""`load_fer2013(path)`: every form FER2013 comes in, and photos sorted into a folder per class of your own, read
into one `FERDataset` that carries its class names, with a cache keyed on the file's content so the second load is
near-instant."""

from __future__ import annotations

import hashlib
import os
import stat
import time
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import numpy as np

from ..errors import DataError
from ..freed_memory import return_freed_memory
from ..settings import DEFAULT_MAX_LOAD_MB, cache_dir, cache_limit_bytes
from .archives import (
    CSV_SUFFIXES,
    GZIP_MAGIC,
    SNIFF_BYTES,
    ZIP_ERRORS,
    ZIP_MAGICS,
    BoundedReader,
    PrefixedReader,
    TarReader,
    bomb_error,
    describe_size,
    list_tar,
    looks_like_tar,
    max_inflated_size,
    open_gzip,
    open_zip,
    open_zip_member,
    read_up_to,
    safe_parts,
)
from .confined_files import MAX_PHOTO_BYTES, check_opened_inside
from .csv_format import parse_fer_csv_stream
from .fer2013 import CLASS_NAMES, SPLITS
from .image_folder import FolderFaces, is_photo, names_in_short, read_image_entries, read_image_folder, read_image_zip
from .load_budget import LoadBudget
from .splits import SplitIndices, split_indices

# The file suffixes a load reads (besides a folder): a CSV, gzipped or not, a zip or a tar (.tar, .tar.gz, .tgz) of
# a CSV or of class folders. The suffix only filters the uploader: a file's form is told by its first bytes.
DATA_FILE_SUFFIXES = (".csv", ".gz", ".zip", ".tar", ".tgz")
# Bump when parsing changes, so stale cache entries are never read.
CACHE_VERSION = 5
INFLATE_CHUNK_BYTES = 1 << 22
# A file is read in chunks; one that takes longer than this (a stalled network disk) is given up.
READ_SECONDS = 30
# Members of a zip or tar besides its faces (a README, folders): more than the budget's faces and these is not FER2013.
MAX_OTHER_MEMBERS = 10_000


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
    photo_split: str = ""  # photos in class folders: how train and test were told apart (see FolderFaces); "" for rows

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
        return split_indices(self.labels, self.usage, self.seed, photos=bool(self.photo_split))

    def subset(self, indices: np.ndarray) -> FERDataset:
        return FERDataset(self.images[indices], self.labels[indices], self.usage[indices], self.class_names,
                          self.source, self.digest, [], self.seed, photo_split=self.photo_split)

    def split(self, name: str) -> FERDataset:
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
    inside: tuple[str | Path, ...] = (),
) -> FERDataset:
    """Read FER2013 from a CSV (`.csv`, `.csv.gz`, Kaggle variants), a `.zip`, `.tar` or `.tar.gz` holding one, or
    photos sorted into class folders (FER2013's image release, or classes of your own; a folder, a `.zip` or a tar:
    see image_folder.py). The form is told by the file's first bytes, not its name.
    A bad row or unreadable photo raises DataError naming it, unless skip_bad_rows, which drops and counts it.
    A file holding more faces than `max_load_mb` MB of 48×48 pixels is refused; so is any archive member that would
    inflate past what those faces take. The file is read as a stream: its text is never held whole in memory.
    Parsed files are cached by content digest under FER_CACHE_DIR (default ~/.cache/fer_studio) unless cache=False.
    `inside`: folders the opened file must lie in (FER_DATA_DIRS), checked on the open file, not on its name."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path} does not exist.")
    budget = LoadBudget(max_load_mb)
    if path.is_dir():
        return _from_folder(read_image_folder(path, skip_bad_rows, budget), source=str(path))
    with open_data_file(path, budget) as handle:
        if inside:  # a server path a visitor typed: what was opened must still lie in the folders it was checked in
            check_opened_inside(handle.fileno(), inside, path.name)
        size = os.fstat(handle.fileno()).st_size
        digest = _file_digest(handle, path.name)
        return _load(handle, size, digest, path.name, skip_bad_rows, cache, str(path), budget)


def open_data_file(path: Path, budget: LoadBudget):
    """A regular file, open for reading: a device (/dev/zero), a pipe or a socket is refused unread, so is a file
    larger than the budget's faces could take. The checks hold for what was opened, not only for what the name
    pointed at."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # a pipe opens without waiting for a writer
    except OSError as exc:
        raise DataError(f"{path.name} cannot be read ({exc.strerror or 'not allowed'}).") from exc
    handle = os.fdopen(fd, "rb", buffering=0)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise DataError(f"{path.name} is not a regular file (it is a device, a pipe or a socket), so it was not read.")
        budget.check_text(info.st_size, path.name)
    except BaseException:
        handle.close()
        raise
    return handle


def _file_digest(handle, name: str) -> str:
    """The sha1 of the file's content, read in chunks; a read that outlasts READ_SECONDS (a stalled network disk)
    is given up. The handle is left at the start again."""
    digest, deadline = hashlib.sha1(), time.monotonic() + READ_SECONDS
    buffer = bytearray(INFLATE_CHUNK_BYTES)
    try:
        while count := handle.readinto(buffer):
            digest.update(memoryview(buffer)[:count])
            if time.monotonic() > deadline:
                raise DataError(f"{name} took more than {READ_SECONDS} s to read, so it was given up.")
        handle.seek(0)
    except OSError as exc:
        raise DataError(f"{name} cannot be read ({exc.strerror or exc}).") from exc
    return digest.hexdigest()


def load_fer2013_bytes(
    raw: bytes | bytearray,
    name: str = "the uploaded file",
    skip_bad_rows: bool = False,
    cache: bool = True,
    source: str | None = None,
    max_load_mb: int = DEFAULT_MAX_LOAD_MB,
) -> FERDataset:
    """The same as load_fer2013, for bytes already in memory (an upload): they are read in place, never copied."""
    import pyarrow as pa

    return _load(pa.BufferReader(raw), len(raw), hashlib.sha1(raw).hexdigest(), name, skip_bad_rows, cache,
                 source or name, LoadBudget(max_load_mb))


def _load(handle, size: int, digest: str, name: str, skip_bad_rows: bool, cache: bool, source: str,
          budget: LoadBudget) -> FERDataset:
    cached = _cache_file(cache_dir(), digest, skip_bad_rows) if cache else None
    if cached is not None and cached.exists():
        dataset = _read_cache(cached)
        if dataset is not None and len(dataset) <= budget.max_faces:
            cached.touch()  # the cache evicts the least recently used entries first
            dataset.source = source
            return dataset
    try:
        dataset = _parse(handle, size, name, skip_bad_rows, budget)
    finally:
        _release_parser_memory()
    dataset.source, dataset.digest = source, digest
    if cached is not None:
        _write_cache(cached, dataset)
    return dataset


def _parse(handle, size: int, name: str, skip_bad_rows: bool, budget: LoadBudget) -> FERDataset:
    """A seekable binary file of `size` bytes, at its start, told apart by its first bytes: gzip, zip, tar or CSV."""
    head = read_up_to(handle, SNIFF_BYTES)
    handle.seek(0)
    if head[:2] == GZIP_MAGIC:
        return _parse_gzip(handle, size, name, skip_bad_rows, budget)
    if head[:4] in ZIP_MAGICS:
        return _parse_zip(handle, name, skip_bad_rows, budget)
    if looks_like_tar(head):
        return _parse_tar(partial(_rewound, handle), name, size, skip_bad_rows, budget)
    return _from_csv(parse_fer_csv_stream(handle, name, skip_bad_rows, budget, text_bytes=size))


def _rewound(handle):
    handle.seek(0)
    return handle


def _from_csv(parsed, notes: list[str] | None = None) -> FERDataset:
    return FERDataset(parsed.images, parsed.labels, parsed.usage, skipped_rows=[str(row) for row in parsed.bad_rows],
                      load_notes=notes or [])


def _from_folder(faces: FolderFaces, source: str = "", notes: list[str] | None = None) -> FERDataset:
    return FERDataset(faces.images, faces.labels, faces.usage, faces.class_names, source,
                      skipped_rows=[f"{path}: {reason}" for path, reason in faces.bad],
                      photos_without_face=faces.without_face, load_notes=[*(notes or []), *faces.notes],
                      photo_split=faces.photo_split)


def _release_parser_memory() -> None:
    """Hand the parse's freed memory back to the system: arrow's allocator keeps it for reuse otherwise, and a server
    that parsed one large file would hold memory it no longer uses."""
    import sys

    if "pyarrow" in sys.modules:
        sys.modules["pyarrow"].default_memory_pool().release_unused()
    return_freed_memory()


def _inflated(handle, size: int, name: str) -> BoundedReader:
    """A gzip file's inflated stream, stopped as soon as it passes the bomb limit for its size."""
    bomb_limit = max_inflated_size(size)
    return open_gzip(handle, name, size, bomb_limit, lambda: bomb_error(name, size, bomb_limit))


def _parse_gzip(handle, size: int, name: str, skip_bad_rows: bool, budget: LoadBudget) -> FERDataset:
    """A .csv.gz, inflated as it is parsed; or a .tar.gz, whose tar is read as it inflates (twice: list, then read)."""
    size_hint = _gzip_size_hint(handle, size)
    stream = _inflated(_rewound(handle), size, name)
    head = read_up_to(stream, SNIFF_BYTES)
    if looks_like_tar(head):
        return _parse_tar(lambda: _inflated(_rewound(handle), size, name), name, size,
                          skip_bad_rows, budget)
    if head[:4] in ZIP_MAGICS:  # a zip inside a gzip: zipfile needs to seek, so it is inflated (bounded) first
        import pyarrow as pa

        inner = head + read_up_to(BoundedReader(stream, budget.max_text_bytes - len(head), lambda: DataError(
            f"{name} holds a zip larger than this server reads ({describe_size(budget.max_text_bytes)}).")),
            budget.max_text_bytes)
        return _parse_zip(pa.BufferReader(inner), name, skip_bad_rows, budget)
    return _from_csv(_csv_in_gzip(PrefixedReader(head, stream), size, name, skip_bad_rows, budget, size_hint,
                                  inflated=True))


def _csv_in_gzip(stream, packed_size: int, name: str, skip_bad_rows: bool, budget: LoadBudget,
                 size_hint: int | None = None, inflated: bool = False):
    """A gzipped CSV parsed as it inflates (a .csv.gz, or one inside a zip or a tar), stopped at the budget's text."""
    if not inflated:
        stream = _inflated(stream, packed_size, name)
    text = BoundedReader(stream, budget.max_text_bytes, lambda: _text_over_budget(budget, name))
    return parse_fer_csv_stream(text, name, skip_bad_rows, budget, text_bytes=size_hint, exact_count=False)


def _text_over_budget(budget: LoadBudget, name: str) -> DataError:
    try:
        budget.check_text(budget.max_text_bytes + 1, name)
    except DataError as exc:
        return exc
    raise AssertionError("check_text must refuse more than max_text_bytes")  # pragma: no cover


def _gzip_size_hint(handle, size: int) -> int | None:
    """The inflated size a gzip states in its last 4 bytes (modulo 4 GiB, and the file may lie): for sizing buffers
    only, never for a limit."""
    if size < 18:
        return None
    handle.seek(size - 4)
    return int.from_bytes(read_up_to(handle, 4), "little") or None


def _parse_zip(handle, name: str, skip_bad_rows: bool, budget: LoadBudget) -> FERDataset:
    try:
        archive = open_zip(handle, name, max_members=budget.max_faces + MAX_OTHER_MEMBERS)
        csvs = [i for i in archive.infolist() if i.filename.lower().endswith(CSV_SUFFIXES)
                and not i.is_dir() and safe_parts(i.filename) is not None]
    except ZIP_ERRORS as exc:
        raise DataError(f"{name} is not a readable zip file ({exc}).") from exc
    if not csvs:
        if not any(is_photo(i.filename) for i in archive.infolist()):
            raise DataError(_neither_csv_nor_photos(name))
        return _from_folder(read_image_zip(archive, name, skip_bad_rows, budget))
    member = max(csvs, key=lambda i: i.file_size)
    what = f"{name}/{member.filename}"
    if member.file_size > max_inflated_size(member.compress_size):
        raise DataError(f"{name}: {member.filename} would inflate to {describe_size(member.file_size)} from "
                        f"{describe_size(member.compress_size)}: refused as a possible zip bomb.")
    note = _picked_note(member.filename, name, len(csvs))
    stream = open_zip_member(archive, member, what)
    if member.filename.lower().endswith(".gz"):
        return _from_csv(_csv_in_gzip(stream, member.file_size, what, skip_bad_rows, budget), [note])
    budget.check_text(member.file_size, what)
    return _from_csv(parse_fer_csv_stream(stream, what, skip_bad_rows, budget, text_bytes=member.file_size), [note])


def _neither_csv_nor_photos(name: str) -> str:
    return (f"{name} holds neither a CSV file nor photos: FER2013 comes as fer2013.csv (also inside a .zip, .tar or "
            ".tar.gz) or as photos in train/<class>/ and test/<class>/ folders.")


def _picked_note(member: str, archive: str, n_csvs: int) -> str:
    others = f" (the largest of its {n_csvs} CSV files)" if n_csvs > 1 else ""
    return f"Read {member} from {archive}{others}."


def _parse_tar(open_stream, name: str, packed_size: int, skip_bad_rows: bool, budget: LoadBudget) -> FERDataset:
    """A tar, plain or inside a gzip: one pass lists its members from their headers, a second reads the CSV (the
    largest, when there are several) or the photos in class folders. Links, devices and names that leave the archive
    are skipped and said so; nothing is extracted to disk."""
    listing = list_tar(open_stream(), name, max_members=budget.max_faces + MAX_OTHER_MEMBERS)
    skipped_note = listing.note(name)
    csvs = [m for m in listing.files if m.parts[-1].lower().endswith(CSV_SUFFIXES)]
    reader = TarReader(open_stream(), name)
    try:
        if csvs:
            member = max(csvs, key=lambda m: m.size)
            shown = "/".join(member.parts)
            what = f"{name}/{shown}"
            notes = [_picked_note(shown, name, len(csvs)), *([skipped_note] if skipped_note else [])]
            stream = reader.open(member)
            if shown.lower().endswith(".gz"):
                return _from_csv(_csv_in_gzip(stream, member.size, what, skip_bad_rows, budget), notes)
            budget.check_text(member.size, what)
            return _from_csv(parse_fer_csv_stream(stream, what, skip_bad_rows, budget, text_bytes=member.size), notes)
        if not any(is_photo(m.parts[-1]) for m in listing.files):
            raise DataError(" ".join([_neither_csv_nor_photos(name), *([skipped_note] if skipped_note else [])]))
        entries = [(m.parts, partial(reader.read, m, MAX_PHOTO_BYTES)) for m in listing.files]
        faces = read_image_entries(entries, listing.folders, name, skip_bad_rows, budget)
        return _from_folder(faces, notes=[skipped_note] if skipped_note else [])
    finally:
        reader.close()


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
                load_notes=list(stored["load_notes"].astype(str)), photo_split=str(stored["photo_split"]),
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
                     load_notes=np.asarray(dataset.load_notes, dtype=str), photo_split=np.str_(dataset.photo_split))

    try:
        write_atomically(path, write)
        from ..bounded_store import evict_oldest

        evict_oldest(path.parent, cache_limit_bytes(), keep=path)
    except Exception:
        pass  # the cache is an optimisation: a read-only or full disk must not stop the load
