"""A folder that keeps at most so many bytes (saved uploads, parsed-data caches): once over its cap, the entries
used longest ago (oldest modification time; a reader touches what it uses) are deleted first."""

from __future__ import annotations

import shutil
from pathlib import Path


def entry_bytes(entry: Path) -> int:
    try:
        if entry.is_dir() and not entry.is_symlink():
            return sum(f.stat().st_size for f in entry.rglob("*") if f.is_file() and not f.is_symlink())
        return entry.lstat().st_size
    except OSError:
        return 0


def evict_oldest(folder: str | Path, max_bytes: int, keep: str | Path | None = None) -> list[str]:
    """Delete the oldest entries of `folder` (files or sub-folders) until it holds at most `max_bytes`; never
    `keep`, nor a hidden file (a write in progress). Returns the names deleted, oldest first."""
    folder = Path(folder)
    keep = Path(keep).resolve() if keep is not None else None
    try:
        entries = [e for e in folder.iterdir() if not e.name.startswith(".")]
    except OSError:
        return []
    sizes = {entry: entry_bytes(entry) for entry in entries}
    total = sum(sizes.values())
    removed = []
    for entry in sorted(entries, key=_modified):
        if total <= max_bytes:
            break
        if keep is not None and (entry.resolve() == keep or entry.resolve() in keep.parents):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
        total -= sizes[entry]
        removed.append(entry.name)
    return removed


def _modified(entry: Path) -> float:
    try:
        return entry.lstat().st_mtime
    except OSError:
        return 0.0
