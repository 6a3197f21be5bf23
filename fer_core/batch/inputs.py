"""The files a batch run reads: named files as they are, folders walked recursively (sorted, so two runs visit the
same files in the same order), and list files of paths, one per line. A folder's files are filtered by a glob
pattern, or by the photo or clip suffixes when none is given; a file named outright is read whatever its suffix,
and says so if it is not what was asked for."""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from ..data.image_folder import IMAGE_SUFFIXES
from ..errors import FERError
from ..prediction.video_clips import VIDEO_TYPES

CLIP_SUFFIXES = {f".{kind}" for kind in VIDEO_TYPES}


def find_photos(inputs: Iterable[str | Path], pattern: str | None = None,
                lists: Iterable[str | Path] = ()) -> Iterator[Path]:
    return find_files(inputs, IMAGE_SUFFIXES, pattern, lists)


def find_clips(inputs: Iterable[str | Path], pattern: str | None = None,
               lists: Iterable[str | Path] = ()) -> Iterator[Path]:
    return find_files(inputs, CLIP_SUFFIXES, pattern, lists)


def find_files(inputs: Iterable[str | Path], suffixes: set[str], pattern: str | None = None,
               lists: Iterable[str | Path] = ()) -> Iterator[Path]:
    """Every file to read, once each, in a stable order: inputs first, then each list's lines. A missing input is
    yielded as it is, so its row says it does not exist; only an empty list of inputs is an error."""
    seen: set[Path] = set()
    named = [Path(item) for item in inputs] + [path for listed in lists for path in _listed(Path(listed))]
    if not named:
        raise FERError("No photos or clips were named: give files, folders or --from-list FILE.")
    for path in named:
        for found in (_walk(path, suffixes, pattern) if path.is_dir() else [path]):
            if found not in seen:
                seen.add(found)
                yield found


def _walk(folder: Path, suffixes: set[str], pattern: str | None) -> Iterator[Path]:
    """Files under `folder`, depth first and sorted; hidden files and folders (.git, .DS_Store) are skipped."""
    for root, folders, files in os.walk(folder, onerror=None):
        folders[:] = sorted(name for name in folders if not name.startswith("."))
        for name in sorted(files):
            if name.startswith("."):
                continue
            path = Path(root) / name
            relative = path.relative_to(folder).as_posix()
            wanted = (fnmatch.fnmatch(relative, pattern) or fnmatch.fnmatch(name, pattern)) if pattern \
                else path.suffix.lower() in suffixes
            if wanted:
                yield path


def _listed(list_file: Path) -> Iterator[Path]:
    """The paths in a list file, one per line (blank lines and # comments skipped), read as if typed on the command
    line (a relative path from the current folder)."""
    try:
        lines = list_file.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise FERError(f"The list {list_file} cannot be read ({exc.strerror or exc}).") from None
    except UnicodeDecodeError:
        raise FERError(f"The list {list_file} is not UTF-8 text with one path per line.") from None
    for line in lines:
        line = line.strip()
        if line and not line.startswith("#"):
            yield Path(line).expanduser()
