"""The batch table on disk: rows streamed out file by file, a per-file summary beside them, and a re-run that picks
up where a killed one stopped without a duplicate row.

A file's rows are written and flushed first, then its summary row: a file is finished exactly when its summary row
is whole. On `resume`, the summary's torn last line (a kill mid-write) is cut off, and the rows of files without a
summary (only the last file's can be there: one writer writes files one after another) are dropped; those files are
read again. Three forms, by suffix or `format`:
  csv      NAME.csv and NAME.files.csv
  jsonl    NAME.jsonl and NAME.files.jsonl, one JSON object a line
  parquet  NAME.parquet/ as a folder of parts (pandas and pyarrow read the folder as one table) and
           NAME.files.parquet/; each part is whole on disk before it is named, so a kill leaves no torn file."""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from .. import settings
from ..errors import FERError

FORMATS = ("csv", "jsonl", "parquet")
# Parquet rows are held until this many, then written as one part (a part per file would make thousands of files);
# a kill loses at most this many rows' work. FER_BATCH_PARQUET_PART_ROWS sets it (fer_core.settings).
PARQUET_PART_ROWS = 5_000


def table_format(path: str | Path, format: str | None = None) -> str:
    """The table's form: `format` if given, else told by the suffix (.csv, .jsonl/.ndjson, .parquet)."""
    if format:
        if format not in FORMATS:
            raise FERError(f"The table's format must be one of {', '.join(FORMATS)}, not {format!r}.")
        return format
    suffix = Path(path).suffix.lower()
    told = ({f".{name}": name for name in FORMATS} | {".ndjson": "jsonl"}).get(suffix)
    if told is None:
        raise FERError(f"{path}: say the table's format with a .csv, .jsonl or .parquet name, or --format.")
    return told


def summary_path(path: str | Path, format: str) -> Path:
    path = Path(path)
    return path.with_name(f"{path.stem}.files.{format}")


class BatchTable:
    """Writes one batch run's rows and per-file summary; `finished` holds the files a resumed run skips."""

    def __init__(self, path: str | Path, columns: dict[str, str], summary_columns: dict[str, str],
                 format: str | None = None, resume: bool = False):
        """`columns`, `summary_columns`: name → "str", "int" or "float", in the table's order."""
        self.path = Path(path)
        self.format = table_format(self.path, format)
        self.summary = summary_path(self.path, self.format)
        self.columns, self.summary_columns = dict(columns), dict(summary_columns)
        self._store = {"csv": _CsvStore, "jsonl": _JsonLinesStore, "parquet": _ParquetStore}[self.format]
        exists = self.path.exists() or self.summary.exists()
        if exists and not resume:
            raise FERError(f"{self.path} already exists: pass --resume to go on from where it stopped, or name "
                           "another table.")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._rows = self._store(self.path, self.columns)
        self._files = self._store(self.summary, self.summary_columns)
        self.finished: set[str] = set()
        if exists:
            self.finished = self._files.recover(keep=None)
            self._rows.recover(keep=self.finished)

    def add(self, rows: list[dict], summary: dict) -> None:
        """One file's rows, then its summary row: the file counts as finished once the second is on disk."""
        self._rows.append(rows)
        self._files.append([summary])
        self.finished.add(summary["file"])
        if max(self._rows.pending, self._files.pending) >= settings.parquet_part_rows(PARQUET_PART_ROWS):  # Parquet only: rows' part first, then the summaries'
            self._rows.flush()
            self._files.flush()

    def close(self) -> None:
        self._rows.close()  # rows before summaries, as in add()
        self._files.close()

    def read(self, summary: bool = False):
        """The whole table (or the per-file summary) as a pandas DataFrame."""
        import pandas as pd

        path, columns = (self.summary, self.summary_columns) if summary else (self.path, self.columns)
        if self.format == "csv":
            frame = pd.read_csv(path, keep_default_na=False, na_values=[""], dtype=str)
        elif self.format == "jsonl":
            frame = pd.read_json(path, lines=True, dtype=False) if path.stat().st_size else None
        else:
            frame = pd.read_parquet(path) if any(path.glob("part-*.parquet")) else None
        return as_frame(frame, columns)

    def __enter__(self) -> BatchTable:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def as_frame(rows, columns: dict[str, str]):
    """Rows (a list of dicts or a DataFrame) as a DataFrame with the table's columns, in order, typed: whole numbers
    stay whole where a row leaves them empty (pandas' nullable Int64), text is text."""
    import pandas as pd

    frame = pd.DataFrame(rows if rows is not None else [], columns=list(columns))
    kinds = {"str": "string", "int": "Int64", "float": "Float64"}
    return frame.astype({name: kinds[kind] for name, kind in columns.items()})


class _TextStore:
    """A line-per-row text file (CSV or JSON Lines), appended to and flushed after every file."""

    pending = 0  # rows held back: none, each file's are on disk when append returns

    def __init__(self, path: Path, columns: dict[str, str]):
        self.path, self.columns = path, columns
        self._handle = None

    def recover(self, keep: set[str] | None) -> set[str]:
        """The files whose rows are whole on disk; with `keep`, rows of other files are dropped from the file. It
        streams: a table of millions of rows is filtered line by line, never held."""
        if not self.path.exists():
            return set()
        size = self.path.stat().st_size
        with open(self.path, "rb") as handle:  # a kill mid-line leaves a torn last line: cut it off
            handle.seek(max(0, size - 1))
            torn = size > 0 and handle.read(1) != b"\n"
        files, dropped = set(), False
        temporary = self.path.with_name(f".{self.path.name}.tmp")
        with open(self.path, encoding="utf-8", newline="") as source, \
                open(temporary, "w", encoding="utf-8", newline="") as kept:
            kept.write(self._format([], header=True))
            for row in self._rows_of(_whole_lines(source, torn)):
                name = str(row.get("file"))
                if keep is not None and name not in keep:
                    dropped = True
                    continue
                files.add(name)
                kept.write(self._format([row], header=False))
        if dropped or torn:
            os.replace(temporary, self.path)
        else:
            temporary.unlink()
        return files

    def append(self, rows: list[dict]) -> None:
        if self._handle is None:
            new = not self.path.exists() or self.path.stat().st_size == 0
            self._handle = open(self.path, "a", encoding="utf-8", newline="")
            if new:
                self._handle.write(self._format([], header=True))
        self._handle.write(self._format(rows, header=False))
        self._handle.flush()
        os.fsync(self._handle.fileno())

    def flush(self) -> None:
        pass

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None
        elif not self.path.exists():
            self.path.write_text(self._format([], header=True), encoding="utf-8")


class _CsvStore(_TextStore):
    def _format(self, rows: list[dict], header: bool) -> str:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=self.columns, lineterminator="\n", extrasaction="ignore")
        if header:
            writer.writeheader()
        writer.writerows(rows)
        return buffer.getvalue()

    def _rows_of(self, lines) -> Iterator[dict]:
        return csv.DictReader(lines)


class _JsonLinesStore(_TextStore):
    def _format(self, rows: list[dict], header: bool) -> str:
        return "".join(json.dumps({key: row.get(key) for key in self.columns}, ensure_ascii=False) + "\n"
                       for row in rows)

    def _rows_of(self, lines) -> Iterator[dict]:
        return (json.loads(line) for line in lines if line.strip())


class _ParquetStore:
    """A folder of Parquet parts, each written whole under a temporary name and then renamed."""

    def __init__(self, path: Path, columns: dict[str, str]):
        self.path, self.columns = path, columns
        self._pending: list[dict] = []

    @property
    def pending(self) -> int:
        return len(self._pending)

    def recover(self, keep: set[str] | None) -> set[str]:
        """The files in the parts on disk; with `keep`, rows of other files are dropped (a part at a time)."""
        import pyarrow.parquet as pq

        files = set()
        for part in self._parts():
            rows = pq.read_table(part).to_pylist()
            kept = rows if keep is None else [row for row in rows if str(row.get("file")) in keep]
            if len(kept) != len(rows):
                self._write(kept, part) if kept else part.unlink()
            files |= {str(row.get("file")) for row in kept}
        if self.path.is_dir():
            for torn in self.path.glob(".*.tmp"):  # a part a kill interrupted before it was named
                torn.unlink()
        return files

    def append(self, rows: list[dict]) -> None:
        self._pending += rows

    def flush(self) -> None:
        if self._pending:
            parts = self._parts()
            number = int(parts[-1].stem.split("-")[1]) + 1 if parts else 0
            self._write(self._pending, self.path / f"part-{number:06d}.parquet")
            self._pending = []

    def close(self) -> None:
        self.flush()
        self.path.mkdir(parents=True, exist_ok=True)

    def _parts(self) -> list[Path]:
        return sorted(self.path.glob("part-*.parquet")) if self.path.is_dir() else []

    def _write(self, rows: list[dict], part: Path) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        self.path.mkdir(parents=True, exist_ok=True)
        types = {"str": pa.string(), "int": pa.int64(), "float": pa.float64()}
        schema = pa.schema([(name, types[kind]) for name, kind in self.columns.items()])
        table = pa.Table.from_pylist([{key: row.get(key) for key in self.columns} for row in rows], schema=schema)
        temporary = part.with_name(f".{part.name}.tmp")
        pq.write_table(table, temporary)
        os.replace(temporary, part)


def _whole_lines(lines: Iterable[str], torn: bool) -> Iterator[str]:
    """The lines, less the last one when the file does not end in a newline (a kill cut it short)."""
    previous = None
    for line in lines:
        if previous is not None:
            yield previous
        previous = line
    if previous is not None and not torn:
        yield previous
