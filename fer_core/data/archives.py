"""Reading what FER2013 is packed in (gzip, zip, tar, and tar inside gzip) as bounded streams: nothing is ever held
inflated whole, every member's size is checked from its header before it is read and counted while it is read, and
member names that leave the archive, links and devices are skipped, never followed. Nothing is extracted to disk.

What is in the archive (one CSV, or photos in class folders) is the caller's business: dataset.py picks it."""

from __future__ import annotations

import io
import lzma
import struct
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath

from ..errors import DataError

# A zip or gzip larger than this once inflated, or inflating far more than FER2013's files do, is refused as a bomb.
MAX_UNCOMPRESSED_BYTES = 2 << 30
MAX_COMPRESSION_RATIO = 200
RATIO_CHECKED_ABOVE = 1 << 20  # a small file may compress that well (a blank face); a bomb cannot be small
# Bytes looked at to tell the forms apart: a tar's magic sits at 257.
SNIFF_BYTES = 512
GZIP_MAGIC = b"\x1f\x8b"
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")
CSV_SUFFIXES = (".csv", ".csv.gz")
# What zipfile raises for a damaged archive: bad headers, bad offsets (ValueError), bad deflate data (zlib.error),
# an encrypted member (RuntimeError), an unknown method (NotImplementedError).
ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, OSError, ValueError,
              RuntimeError, zlib.error, lzma.LZMAError)
# isal and gzip raise different types for a corrupt or cut-short stream.
GZIP_ERRORS = (OSError, EOFError, ValueError, zlib.error)
TAR_ERRORS = (tarfile.TarError, EOFError, OSError, ValueError)


def max_inflated_size(packed_bytes: int) -> int:
    """The most that `packed_bytes` compressed bytes may inflate to before they count as a zip bomb."""
    return min(MAX_UNCOMPRESSED_BYTES, max(RATIO_CHECKED_ABOVE, MAX_COMPRESSION_RATIO * packed_bytes))


def describe_size(n_bytes: int) -> str:
    return f"{n_bytes / 1e6:,.1f} MB" if n_bytes >= 1e6 else f"{n_bytes / 1e3:,.1f} kB"


def bomb_error(what: str, packed_bytes: int, limit: int) -> DataError:
    return DataError(f"{what} would inflate to more than {describe_size(limit)} from {describe_size(packed_bytes)}: "
                     "refused as a possible zip bomb.")


class BoundedReader(io.RawIOBase):
    """`inner`'s bytes, never more than `limit` of them: asking past the limit raises `too_much()` after reading at
    most one byte more. `inner`'s own failures (one of `failures`) become `broken(exc)`, a sentence for the user."""

    def __init__(self, inner, limit: int | None = None, too_much: Callable[[], Exception] | None = None,
                 failures: tuple = (), broken: Callable[[Exception], Exception] | None = None):
        self.inner, self.limit, self.count = inner, limit, 0
        self._too_much, self._failures, self._broken = too_much, failures, broken

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        wanted = (1 << 30) if size is None or size < 0 else size
        if self.limit is not None:
            wanted = min(wanted, self.limit - self.count + 1)  # one byte past the limit tells a bomb from a fit
        try:
            data = self.inner.read(wanted) if wanted > 0 else b""
        except DataError:
            raise
        except self._failures as exc:
            raise self._broken(exc) from exc
        self.count += len(data)
        if self.limit is not None and self.count > self.limit:
            raise self._too_much()
        return data

    def readinto(self, buffer) -> int:
        data = self.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)


class PrefixedReader(io.RawIOBase):
    """The bytes already read from a stream (to look at them), then the rest of the stream."""

    def __init__(self, prefix: bytes, inner):
        self.prefix, self.inner = prefix, inner

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if self.prefix:
            size = len(self.prefix) if size is None or size < 0 else size
            data, self.prefix = self.prefix[:size], self.prefix[size:]
            return data
        return self.inner.read(size)

    def readinto(self, buffer) -> int:
        data = self.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)


def read_up_to(stream, size: int) -> bytes:
    """Up to `size` bytes, fewer only at the end of the stream (a decompressor may return less per read)."""
    parts, got = [], 0
    while got < size and (data := stream.read(size - got)):
        parts.append(data)
        got += len(data)
    return b"".join(parts)


def looks_like_tar(head: bytes) -> bool:
    """A tar's first header: POSIX/GNU magic at 257, or an old-style header whose checksum adds up."""
    if len(head) < SNIFF_BYTES:
        return False
    if head[257:262] == b"ustar":
        return True
    try:
        stored = int(head[148:156].split(b"\x00", 1)[0].strip() or b"-1", 8)
    except ValueError:
        return False
    return stored == sum(head[:148]) + 8 * 32 + sum(head[156:512]) and any(head[:100])


def open_gzip(handle, name: str, packed_bytes: int, limit: int, too_much: Callable[[], Exception]) -> BoundedReader:
    """The inflated stream of a gzip file, read in chunks and stopped at `limit` inflated bytes."""
    try:
        from isal import igzip as gzip_module  # ISA-L inflates about 5× faster than zlib; same format
    except ImportError:  # pragma: no cover - isal is pinned in requirements.txt
        import gzip as gzip_module
    failures = GZIP_ERRORS + ((gzip_module.igzip_lib.IsalError,) if hasattr(gzip_module, "igzip_lib") else ())
    return BoundedReader(gzip_module.open(handle), limit, too_much, failures,
                         lambda exc: DataError(f"{name} is not a valid gzip file ({exc or type(exc).__name__})."))


def safe_parts(name: str) -> tuple[str, ...] | None:
    """A member's path as parts, or None for one that would climb out of the archive (../x, /etc/x, C:/x)."""
    parts = PurePosixPath(name.replace("\\", "/")).parts
    if not parts or ".." in parts or name.startswith(("/", "\\")) or ":" in parts[0]:
        return None
    return tuple(part for part in parts if part != ".") or None


# ---------------------------------------------------------------------------------------------------------------
# Tar: listed in one pass over the stream, then read in a second, so a .tar.gz is never held inflated


@dataclass(frozen=True)
class TarMember:
    index: int  # its place among the archive's members, which the second pass counts to find it
    parts: tuple[str, ...]
    size: int
    is_dir: bool


@dataclass
class TarListing:
    files: list[TarMember]
    folders: set[tuple[str, ...]]
    skipped: list[str]  # sentences for members not read: links, devices, names that leave the archive

    def note(self, name: str) -> str | None:
        if not self.skipped:
            return None
        from .image_folder import names_in_short

        many = len(self.skipped) > 1
        return (f"{name}: {len(self.skipped):,} member{'s' if many else ''} {'were' if many else 'was'} skipped, "
                f"not followed: {names_in_short(self.skipped)}.")


def _tar_stream(stream, name: str) -> tarfile.TarFile:
    try:
        return tarfile.open(fileobj=stream, mode="r|")
    except TAR_ERRORS as exc:
        raise DataError(f"{name} is not a readable tar file ({exc or type(exc).__name__}).") from exc


def _members(tar: tarfile.TarFile, name: str) -> Iterator[tarfile.TarInfo]:
    try:
        while (info := tar.next()) is not None:
            tar.members.clear()  # the stream is read once: a list of every member would only grow
            yield info
    except TAR_ERRORS as exc:
        raise DataError(f"{name} is not a readable tar file ({exc or type(exc).__name__}).") from exc


def list_tar(stream, name: str, max_members: int) -> TarListing:
    """Every member's name, kind and size, read from the headers as the stream passes (their data is skipped)."""
    files, folders, skipped = [], set(), []
    with _tar_stream(stream, name) as tar:
        for index, info in enumerate(_members(tar, name)):
            if index >= max_members:
                raise DataError(f"{name} holds more than {max_members:,} files, more than this server loads at once.")
            parts = safe_parts(info.name)
            if parts is None:
                skipped.append(f"{info.name[:80]} (its path leaves the archive)")
            elif info.issym() or info.islnk():
                skipped.append(f"{info.name[:80]} (a link)")
            elif info.isdir():
                folders.add(parts)
            elif not info.isfile():
                skipped.append(f"{info.name[:80]} (a device or a pipe)")
            else:
                files.append(TarMember(index, parts, info.size, False))
    return TarListing(files, folders, skipped)


class TarReader:
    """The second pass: members' bytes, asked for in archive order, each read through a bounded stream."""

    def __init__(self, stream, name: str):
        self.name = name
        self._tar = _tar_stream(stream, name)
        self._members = enumerate(_members(self._tar, name))

    def open(self, member: TarMember):
        """A stream of the member's bytes; valid until the next call. Members must be asked for in order."""
        for index, info in self._members:
            if index == member.index:
                shown = "/".join(member.parts)
                return BoundedReader(self._tar.extractfile(info), member.size, lambda shown=shown: DataError(
                    f"{shown} is longer than its header says: the archive is damaged."), TAR_ERRORS,
                    lambda exc, shown=shown: DataError(f"{shown} cannot be read from the archive "
                                                       f"({exc or type(exc).__name__}): it is damaged."))
            if index > member.index:
                break
        raise DataError(f"{self.name}: {'/'.join(member.parts)} was not found where its header was.")

    def read(self, member: TarMember, max_bytes: int) -> bytes:
        if member.size > max_bytes:
            raise DataError(f"{'/'.join(member.parts)} is {describe_size(member.size)}; a photo may be at most "
                            f"{describe_size(max_bytes)}.")
        return read_up_to(self.open(member), member.size)

    def close(self) -> None:
        self._tar.close()


# ---------------------------------------------------------------------------------------------------------------
# Zip members


def open_zip(handle, name: str, max_members: int) -> zipfile.ZipFile:
    """The zip, once its end record says it holds at most max_members entries: zipfile keeps an object for every entry
    of the directory, and a 400 MB zip of empty entries would hold millions of them."""
    try:
        end = zipfile._EndRecData(handle)  # the record zipfile itself reads first; no public way to it
    except (OSError, ValueError, struct.error):
        end = None
    if end and end[zipfile._ECD_ENTRIES_TOTAL] > max_members:
        raise DataError(f"{name} holds {end[zipfile._ECD_ENTRIES_TOTAL]:,} files, more than this server loads at once "
                        f"({max_members:,}).")
    handle.seek(0)
    return zipfile.ZipFile(handle)


def check_zip_member(info: zipfile.ZipInfo, what: str, max_bytes: int) -> None:
    """Refuse a member, from the zip's directory and before inflating it, that is a bomb or larger than max_bytes."""
    if info.file_size > max_inflated_size(info.compress_size):
        raise DataError(f"{what} would inflate to {describe_size(info.file_size)} from "
                        f"{describe_size(info.compress_size)}: refused as a possible zip bomb.")
    if info.file_size > max_bytes:
        raise DataError(f"{what} is {describe_size(info.file_size)} once inflated; this server reads at most "
                        f"{describe_size(max_bytes)} of it.")


def open_zip_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, what: str) -> BoundedReader:
    """The member's inflated bytes as a stream that stops at the size its header states (zipfile stops there too,
    and checks the CRC at the end). `what` names the member in a sentence."""
    def damaged(exc: Exception) -> DataError:
        return DataError(f"{what} cannot be read from the archive ({exc or type(exc).__name__}): it is damaged.")

    try:
        handle = archive.open(info)
    except ZIP_ERRORS as exc:
        raise damaged(exc) from exc
    return BoundedReader(handle, info.file_size, lambda: DataError(
        f"{what} inflates past the size its header states: the archive is damaged."), ZIP_ERRORS, damaged)


def read_zip_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, max_bytes: int) -> bytes:
    """A member's bytes, checked from the header first, read through a stream bounded at its stated size."""
    check_zip_member(info, info.filename, max_bytes)
    return read_up_to(open_zip_member(archive, info, info.filename), info.file_size)
