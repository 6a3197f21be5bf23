"""Reading a file the safe way: only a regular file, only up to a size cap, checked and read through one open file
descriptor (a file swapped for something else after the check is not what gets read).

read_confined opens a file below a folder (FER_DATA_DIRS, a folder of class photos) one path component at a time
from the folder's own descriptor, never following a link as it opens: a link is read and followed only while it
leads to a place inside the folder, so a link out of it (to another folder, /proc/self/environ, /dev/zero) is
refused, and no swap between the walk and the read can lead out either. read_regular_file does the same checks for
one path a user typed (the CLI's photos): links are followed, pipes and devices refused, the size capped."""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Sequence
from pathlib import Path, PurePosixPath

from ..errors import DataError, FERError

# The largest photo FER Studio reads: an upload on Predict, a photo in a folder of classes, a path given to the CLI.
MAX_PHOTO_MB = 50
MAX_PHOTO_BYTES = MAX_PHOTO_MB * 1_000_000
# Links followed on the way to one file; a longer chain is a loop, or meant to confuse.
MAX_LINKS = 16
_READ_CHUNK = 1 << 20
_OPEN_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK  # NONBLOCK: opening a pipe never waits


def read_confined(folder: str | Path, parts: Sequence[str], max_bytes: int = MAX_PHOTO_BYTES,
                  error: type[FERError] = DataError) -> bytes:
    """The bytes of folder/parts…, opened without ever leaving `folder`; `error` with a sentence naming the file
    (by its path inside the folder) when it leads out, is not a regular file, or is larger than max_bytes."""
    shown = "/".join(parts)
    folder_fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        fd = _open_below(folder_fd, os.path.realpath(folder), list(parts), shown, Path(folder).name, error)
    finally:
        os.close(folder_fd)
    return _read_checked(fd, shown, max_bytes, error)


def read_regular_file(path: str | Path, max_bytes: int = MAX_PHOTO_BYTES, error: type[FERError] = DataError) -> bytes:
    """The bytes of the file at `path` (links followed: the user named it), refused with `error` and a sentence when
    it is a pipe, a device or a socket, or larger than max_bytes, before more than max_bytes are read."""
    path = Path(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK)
    except FileNotFoundError:
        raise error(f"There is no file {path}.") from None
    except OSError as exc:
        raise error(_open_failure(str(path), exc)) from None
    return _read_checked(fd, str(path), max_bytes, error)


def _open_below(folder_fd: int, folder_real: str, todo: list[str], shown: str, folder_name: str,
                error: type[FERError]) -> int:
    """A descriptor of the file `todo` leads to from folder_fd, each component opened with O_NOFOLLOW; a link is
    read and its target walked in turn, from the folder again when it is absolute."""
    done: list[str] = []  # the directories walked so far below the folder: real ones, never links
    dir_fd = os.dup(folder_fd)
    links = 0
    try:
        while todo:
            part = todo.pop(0)
            if part in ("", "."):
                continue
            if part == "..":
                if not done:
                    raise error(f"{shown} leads out of {folder_name}, so it was not read.")
                done.pop()
                os.close(dir_fd)
                dir_fd = _walk_directories(folder_fd, done)
                continue
            last = not any(p not in ("", ".") for p in todo)
            try:
                fd = os.open(part, _OPEN_FLAGS | (0 if last else os.O_DIRECTORY), dir_fd=dir_fd)
            except OSError as exc:
                is_link = _is_link(part, dir_fd)
                if not is_link and exc.errno not in (errno.ELOOP, errno.EMLINK):
                    if exc.errno == errno.ENOENT:
                        raise error(f"{shown} does not exist (any more).") from None
                    raise error(_open_failure(shown, exc)) from None
                links += 1
                if links > MAX_LINKS:
                    raise error(f"{shown} is a chain of more than {MAX_LINKS} links, so it was not read.") from None
                if not is_link:  # a link when opened, swapped back for a file since: open it again
                    todo.insert(0, part)
                    continue
                try:
                    target = os.readlink(part, dir_fd=dir_fd)
                except OSError:  # swapped back for a file since the open: open it again
                    todo.insert(0, part)
                    continue
                if target.startswith("/"):
                    inside = _inside(target, folder_real)
                    if inside is None:
                        raise error(f"{shown} is a link to a file outside {folder_name}, so it was not read.") from None
                    done = []
                    os.close(dir_fd)
                    dir_fd = os.dup(folder_fd)
                    todo[:0] = inside
                else:
                    todo[:0] = target.split("/")
                continue
            if last:
                return fd
            os.close(dir_fd)
            dir_fd = fd
            done.append(part)
        raise error(f"{shown} is a folder, not a file.")
    finally:
        os.close(dir_fd)


def _walk_directories(folder_fd: int, parts: list[str]) -> int:
    """A descriptor of the directory `parts` below folder_fd, already known to be real directories."""
    fd = os.dup(folder_fd)
    for part in parts:
        child = os.open(part, os.O_RDONLY | os.O_NOFOLLOW | os.O_DIRECTORY | os.O_CLOEXEC, dir_fd=fd)
        os.close(fd)
        fd = child
    return fd


def _is_link(name: str, dir_fd: int) -> bool:
    try:
        return stat.S_ISLNK(os.lstat(name, dir_fd=dir_fd).st_mode)
    except OSError:
        return False


def _inside(target: str, folder_real: str) -> list[str] | None:
    """An absolute link target's components below the folder, or None when it lies outside it."""
    target, folder = PurePosixPath(os.path.normpath(target)), PurePosixPath(folder_real)
    if target == folder:
        return []
    if folder not in target.parents:
        return None
    return list(target.relative_to(folder).parts)


def _read_checked(fd: int, shown: str, max_bytes: int, error: type[FERError]) -> bytes:
    """What fd holds, once fstat on that same descriptor says it is a regular file of at most max_bytes."""
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise error(f"{shown} is a folder, not a file.")
        if not stat.S_ISREG(info.st_mode):
            raise error(f"{shown} is not a regular file (a device, a pipe or a socket), so it was not read.")
        if info.st_size > max_bytes:
            raise error(f"{shown} is {info.st_size / 1e6:,.1f} MB; FER Studio reads files of this kind up to "
                        f"{max_bytes / 1e6:,.0f} MB, so it was not read.")
        chunks, size = [], 0
        while size <= max_bytes and (chunk := os.read(fd, min(_READ_CHUNK, max_bytes + 1 - size))):
            chunks.append(chunk)
            size += len(chunk)
        if size > max_bytes:  # it grew while being read
            raise error(f"{shown} grew past {max_bytes / 1e6:,.0f} MB while it was read, so it was not read.")
        return b"".join(chunks)
    except OSError as exc:
        raise error(_open_failure(shown, exc)) from None
    finally:
        os.close(fd)


def check_opened_inside(fd: int, folders: Sequence[str | Path], shown: str, error: type[FERError] = DataError) -> None:
    """Refuse the file open on `fd` unless it lies inside one of `folders`: what was opened is asked of the kernel
    (/proc/self/fd), so a file or folder on its path swapped for a link out after the path was checked is refused."""
    try:
        opened = os.readlink(f"/proc/self/fd/{fd}")
    except OSError:  # no /proc (not Linux): the walk that resolved the path is the only check
        return
    if not any(_inside(opened, os.path.realpath(folder)) is not None for folder in folders):
        raise error(f"{shown} now leads outside the folders this server loads data from (it was changed after it "
                    "was checked), so it was not read.")


def _open_failure(shown: str, exc: OSError) -> str:
    if exc.errno in (errno.ENXIO, errno.EOPNOTSUPP):  # a socket, or a device with nothing behind it
        return f"{shown} is not a regular file (a device, a pipe or a socket), so it was not read."
    if exc.errno == errno.EISDIR:
        return f"{shown} is a folder, not a file."
    return f"{shown} could not be read ({exc.strerror or exc})."
