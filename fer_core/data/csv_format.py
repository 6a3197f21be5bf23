"""FER2013's CSV form: `emotion,pixels,Usage`, also as `.csv.gz`, with the Kaggle variants (leading spaces
in column names, no `Usage`). Parsing is pyarrow's CSV reader plus one pass over the pixel bytes, with no per-row
Python loop: a numba kernel for large files (32,000 rows parse in about a second), its numpy twin for small ones,
which has nothing to compile on a fresh server (docs/cold_start.md)."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from functools import cache

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv

from ..errors import DataError
from .fer2013 import NUM_CLASSES, PIXELS_PER_IMAGE, USAGE_TO_SPLIT
from .load_budget import MAX_HEADER_BYTES, MAX_ROW_TEXT_BYTES, LoadBudget

# Reasons a row is refused; the parse kernel reports them as these codes.
ROW_OK, WRONG_PIXEL_COUNT, NON_NUMERIC_PIXELS, PIXEL_OUT_OF_RANGE = 0, 1, 2, 3
# Up to this many rows the numpy kernel is used: numba's import and compile (1–2 s) cost more than it saves.
NUMPY_KERNEL_MAX_ROWS = 8000
_NUMPY_ROWS_PER_CHUNK = 1024
_NEVER = np.iinfo(np.int64).max
_REASONS = {
    WRONG_PIXEL_COUNT: "has {count} pixel values instead of 2304 (48×48)",
    NON_NUMERIC_PIXELS: "has a pixel value that is not a whole number",
    PIXEL_OUT_OF_RANGE: "has a pixel value above 255",
}
_RAGGED = "has {actual} comma-separated fields where the header has {expected}"


@dataclass(frozen=True)
class BadRow:
    """A data row that was refused. `row` counts data rows from 1, as a spreadsheet shows them after the header."""

    row: int
    reason: str

    def __str__(self) -> str:
        return f"row {self.row} {self.reason}"


@dataclass
class ParsedCSV:
    images: np.ndarray  # uint8 (N, 48, 48)
    labels: np.ndarray  # int64 (N,)
    usage: np.ndarray  # str (N,); "" where the file has no Usage column
    bad_rows: list[BadRow]


def _pixel_kernel(n_rows: int):
    """The function that fills out (rows, 2304) with each row's pixels, status with its code (ROW_OK…) and counts
    with its pixel count, from a column's bytes and offsets: the numpy twin for a small file, else the compiled one."""
    return _parse_pixel_strings_numpy if n_rows <= NUMPY_KERNEL_MAX_ROWS else _numba_kernel()


@cache
def _numba_kernel():
    import numba  # only for a large file: its import and first compile are what a cold start must not pay

    return numba.njit(cache=True, nogil=True)(_parse_pixel_strings_numba)


def _parse_pixel_strings_numba(data, offsets, out, status, counts):  # pragma: no cover - compiled
    n_pixels = out.shape[1]
    for row in range(offsets.shape[0] - 1):
        k = 0
        value = 0
        in_token = False
        code = 0
        for i in range(offsets[row], offsets[row + 1]):
            c = data[i]
            if 48 <= c <= 57:
                value = value * 10 + (c - 48)
                in_token = True
                if value > 255 and code == 0:
                    code = 3
            elif c == 32 or c == 9 or c == 13 or c == 10:
                if in_token:
                    if k < n_pixels:
                        out[row, k] = min(value, 255)
                    k += 1
                    value = 0
                    in_token = False
            elif code == 0:
                code = 2
        if in_token:
            if k < n_pixels:
                out[row, k] = min(value, 255)
            k += 1
        if code == 0 and k != n_pixels:
            code = 1
        status[row] = code
        counts[row] = k



def _parse_pixel_strings_numpy(data, offsets, out, status, counts):
    """The compiled kernel's twin in numpy (same outputs, tested on random bytes): slower on a whole FER2013, but
    with nothing to compile, so a small file (the built-in sample) parses at once in a fresh server."""
    n_rows = offsets.shape[0] - 1
    for first in range(0, n_rows, _NUMPY_ROWS_PER_CHUNK):
        last = min(first + _NUMPY_ROWS_PER_CHUNK, n_rows)
        _parse_rows(data, offsets[first:last + 1], out[first:last], status[first:last], counts[first:last])


def _parse_rows(data, offsets, out, status, counts):
    n_rows = offsets.shape[0] - 1
    row_starts = offsets - offsets[0]
    text = data[int(offsets[0]):int(offsets[-1])]
    n = text.shape[0]
    status[:] = ROW_OK
    counts[:] = 0
    if n == 0:
        status[:] = WRONG_PIXEL_COUNT if out.shape[1] else ROW_OK
        return
    digit = (text - np.uint8(48)) <= 9
    blank = (text == 32) | (text == 9) | (text == 13) | (text == 10)
    word = ~blank
    # Token edges, cut at row boundaries too.
    edge = np.empty(n + 1, bool)
    edge[0] = word[0]
    edge[-1] = word[-1]
    np.not_equal(word[1:], word[:-1], out=edge[1:-1])
    cuts = np.unique(row_starts[1:-1])
    cuts = cuts[(cuts > 0) & (cuts < n)]
    both = word[cuts - 1] & word[cuts]
    bounds = np.flatnonzero(edge)
    if both.any():
        extra = np.repeat(cuts[both], 2)  # an end and a start where two rows' words touch
        bounds = np.insert(bounds, np.searchsorted(bounds, extra), extra)
    starts, ends = bounds[0::2], bounds[1::2] - 1
    other = ~(digit | blank)
    any_other = other.any()
    if any_other:
        n_digits = np.add.reduceat(digit, starts)  # reduceat over uint8/bool sums: per token, no per-byte array
        keep_tok = n_digits > 0
        starts, ends = starts[keep_tok], ends[keep_tok]
    # Tokens are in order, so each row's are a run: counted by where the rows start among them.
    first_token = np.searchsorted(starts, row_starts)
    counts[:] = np.diff(first_token)
    token_row = np.repeat(np.arange(n_rows), counts)
    clean_end = ends
    if any_other:
        other_at = np.flatnonzero(other)
        next_other = np.append(other_at, _NEVER)[np.searchsorted(other_at, starts)]
        clean_end = np.minimum(ends, next_other - 1)
    length = clean_end - starts + 1
    ones = text[clean_end].astype(np.int16) - 48
    values = np.where(length >= 1, ones, 0)
    two = length >= 2
    values[two] += (text[clean_end[two] - 1].astype(np.int16) - 48) * 10
    three = length >= 3
    values[three] += (text[clean_end[three] - 2].astype(np.int16) - 48) * 100
    overflow = values > 255
    for t in np.flatnonzero(length > 3):  # rare: leading zeros, or a number above 999
        if text[starts[t]:clean_end[t] - 2].any() and (text[starts[t]:clean_end[t] - 2] != 48).any():
            overflow[t] = True
    first_other = np.full(n_rows, _NEVER)
    if any_other:
        np.minimum.at(first_other, np.searchsorted(row_starts, other_at, side="right") - 1, other_at)
        status[first_other < _NEVER] = NON_NUMERIC_PIXELS
    if overflow.any():
        first_overflow = np.full(n_rows, _NEVER)
        np.minimum.at(first_overflow, token_row[overflow], clean_end[overflow])
        status[first_overflow < first_other] = PIXEL_OUT_OF_RANGE
    status[(status == ROW_OK) & (counts != out.shape[1])] = WRONG_PIXEL_COUNT
    rank = np.arange(starts.shape[0]) - np.repeat(first_token[:-1], counts)
    keep = rank < out.shape[1]
    out[token_row[keep], rank[keep]] = np.minimum(values[keep], 255)


def _string_buffers(array: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """The bytes and offsets behind one chunk of an arrow string column, without copying it into Python strings."""
    if not (pa.types.is_binary(array.type) or pa.types.is_large_binary(array.type)):
        array = array.cast(pa.large_string())
    # As bytes: a column that is not valid UTF-8 is read as binary, and its bad rows are named like any other.
    array = array.cast(pa.large_binary())
    offsets = np.frombuffer(array.buffers()[1], dtype=np.int64)[array.offset : array.offset + len(array) + 1]
    data_buffer = array.buffers()[2]
    data = np.frombuffer(data_buffer, dtype=np.uint8) if data_buffer is not None else np.zeros(1, np.uint8)
    return data, offsets


# Arrow reads the text in blocks of this size, one at a time: a row is at most MAX_ROW_TEXT_BYTES (9 kB), and larger
# blocks only raise the parse's peak memory (arrow's reads of a Python stream are held by the allocator).
BLOCK_BYTES = 1 << 20
# The first bytes are looked at before parsing: the header, a BOM, UTF-16, binary data.
HEAD_BYTES = 1 << 16
# Bytes of a valid row, at least: 2304 one-digit pixels and their separators. More rows than text/this is impossible.
MIN_VALID_ROW_BYTES = 2 * PIXELS_PER_IMAGE - 1
_BLANK = b" \t\r\n\x0b\x0c"
# Bytes above 127 become "?" before arrow sees them: a valid row is ASCII, a row holding such bytes is a bad row,
# and arrow's ragged-row callback cannot hand over a row that is not UTF-8 (it fails inside pyarrow instead).
_ASCII_ONLY = bytes(range(128)) + b"?" * 128


class _Text(io.RawIOBase):
    """The CSV's data rows as arrow reads them: the stream after its header line, non-ASCII bytes replaced, and its
    line ends counted, so a file over the budget can be told its exact number of rows."""

    def __init__(self, first: bytes, stream):
        self._first, self._stream = first, stream
        self.newlines, self.ends_with_newline = 0, True

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        size = size if size and size > 0 else BLOCK_BYTES
        if self._first:
            data, self._first = self._first[:size], self._first[size:]
        else:
            data = self._stream.read(size)
        if data:
            self.newlines += data.count(b"\n")
            self.ends_with_newline = data.endswith(b"\n")
            if not data.isascii():
                data = data.translate(_ASCII_ONLY)
        return data

    def drain(self) -> None:
        """Read the rest, only counting its lines (the stream's own limits still apply)."""
        while self.read(BLOCK_BYTES):
            pass


def _read_header(stream, name: str, budget: LoadBudget) -> tuple[list[str], bytes]:
    """The header's column names, and the bytes read after its line. Refuses, from the first bytes, what cannot be
    FER2013's CSV: empty, UTF-16, binary, a header too long or too wide, a header that is not UTF-8."""
    from .archives import read_up_to

    head = read_up_to(stream, HEAD_BYTES)
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    while head and not head.strip(_BLANK):  # blank so far: read on (and forget it) until text or the end
        head = read_up_to(stream, HEAD_BYTES)
    if not head:
        raise DataError(f"{name} is empty.")
    if head[:2] in (b"\xff\xfe", b"\xfe\xff") or _utf16_without_bom(head):
        raise DataError(f"{name} is UTF-16 text: save it as a UTF-8 CSV (emotion,pixels,Usage) and try again.")
    if b"\x00" in head[:8192]:  # text never holds NUL; a photo, a PDF or a program does
        raise DataError(f"{name} is not a CSV file but binary data: FER2013 comes as a .csv, a .csv.gz, a .zip, "
                        "a .tar.gz, or a folder of train/<class>/ images.")
    head = head.lstrip(b"\r\n")  # arrow skips empty lines before the header too
    if b"\n" not in head and len(head) > MAX_HEADER_BYTES:  # longer than any header: its columns are counted to say so
        commas = head.count(b",")
        while chunk := stream.read(HEAD_BYTES):
            commas += chunk.count(b",", 0, chunk.find(b"\n") if b"\n" in chunk else len(chunk))
            if b"\n" in chunk:
                break
        budget.check_columns(commas + 1, name)
    budget.check_header(head, name)
    end = re.search(rb"\r\n|\r|\n", head)  # arrow ends a line at any of the three
    line, rest = (head, b"") if end is None else (head[:end.start()], head[end.end():])
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DataError(f"{name} is not a readable CSV file (its header row is not UTF-8 text).") from exc
    return next(csv.reader([text])) or [""], rest


def _utf16_without_bom(head: bytes) -> bool:
    """UTF-16 text saved without its byte-order mark: ASCII letters with a zero byte beside every one."""
    sample = head[:256] if len(head) >= 256 else head[:len(head) // 2 * 2]
    if len(sample) < 8:
        return False
    odd, even = sample[1::2], sample[0::2]
    return (not odd.strip(b"\x00") and even.isascii() and even.strip(b"\x00")) or \
        (not even.strip(b"\x00") and odd.isascii() and bool(odd.strip(b"\x00")))


class _Faces:
    """The faces parsed so far, in one array that grows in place (realloc) and is trimmed to size at the end."""

    def __init__(self, capacity: int, limit: int):
        self.limit = max(limit, 1)
        self.pixels = np.empty((max(1, min(capacity, self.limit)), PIXELS_PER_IMAGE), dtype=np.uint8)
        self.filled = 0

    def room_for(self, rows: int) -> np.ndarray:
        needed = self.filled + rows
        if needed > len(self.pixels):
            self.pixels.resize((min(max(needed, 2 * len(self.pixels)), max(needed, self.limit)), PIXELS_PER_IMAGE),
                               refcheck=False)
        return self.pixels[self.filled:needed]

    def finish(self) -> np.ndarray:
        self.pixels.resize((self.filled, PIXELS_PER_IMAGE), refcheck=False)
        return self.pixels.reshape(-1, 48, 48)


def _arrow_reason(exc: Exception) -> str:
    """Arrow's reason without the file's own text, which it quotes after "got N:" or between quotes."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    text = re.sub(r"(got \d+)\s*:.*", r"\1", text)
    return re.sub(r"'[^']*'|\"[^\"]*\"", "a value", text)[:200]


def _open_reader(text: _Text, n_columns: int, wanted: list[int], note_ragged):
    names = [f"c{i}" for i in range(n_columns)]
    return pa_csv.open_csv(
        pa.PythonFile(text, mode="r"),
        # One thread: arrow numbers the ragged rows it hands to the callback only then.
        read_options=pa_csv.ReadOptions(block_size=BLOCK_BYTES, use_threads=False, column_names=names),
        parse_options=pa_csv.ParseOptions(newlines_in_values=False, invalid_row_handler=note_ragged),
        convert_options=pa_csv.ConvertOptions(
            include_columns=[names[i] for i in wanted], column_types={names[i]: pa.string() for i in wanted},
            strings_can_be_null=False, quoted_strings_can_be_null=False),
    )


def _find(names: list[str], wanted: str) -> int | None:
    for index, column_name in enumerate(names):  # the first: a repeated column name is not an error here
        if column_name.strip().lower() == wanted:
            return index
    return None


def _texts(column: pa.Array) -> np.ndarray:
    """A string column's values as str (empty for an empty cell)."""
    return np.asarray(column.to_numpy(zero_copy_only=False), dtype=str).reshape(-1)


def parse_fer_csv(raw: bytes | bytearray, name: str = "The CSV file", skip_bad_rows: bool = False,
                  budget: LoadBudget = LoadBudget()) -> ParsedCSV:
    """Parse FER2013 CSV bytes. A bad row raises DataError naming it, or with skip_bad_rows is dropped and
    listed in `bad_rows`. A file over `budget` is refused before it is parsed."""
    budget.check_text(len(raw), name)
    return parse_fer_csv_stream(pa.BufferReader(raw), name, skip_bad_rows, budget, text_bytes=len(raw))


def parse_fer_csv_stream(stream, name: str = "The CSV file", skip_bad_rows: bool = False,
                         budget: LoadBudget = LoadBudget(), text_bytes: int | None = None,
                         exact_count: bool = True) -> ParsedCSV:
    """parse_fer_csv for a binary stream (a file, a gzip, a zip or tar member), read block by block: the text is
    never held whole, only the faces are. `text_bytes`, the text's size where known, only sizes the first buffers.
    With exact_count, a file with more rows than the budget is read to its end (counting lines) to say how many."""
    names, rest = _read_header(stream, name, budget)
    emotion, pixels, usage = (_find(names, wanted) for wanted in ("emotion", "pixels", "usage"))
    missing = [n for n, c in (("emotion", emotion), ("pixels", pixels)) if c is None]
    if missing:
        raise DataError(f"{name} has no {' or '.join(repr(m) for m in missing)} column ({_columns_found(names)}).")
    wanted = sorted({emotion, pixels} | ({usage} if usage is not None else set()))
    ragged: list[BadRow] = []

    def note_ragged(row) -> str:
        if row.number is None:
            return "error"
        ragged.append(BadRow(row.number, _RAGGED.format(actual=row.actual_columns, expected=row.expected_columns)))
        return "skip"

    expected_rows = text_bytes // MIN_VALID_ROW_BYTES + 1 if text_bytes is not None else None
    faces = _Faces(expected_rows or 4096, budget.max_faces)
    labels, usages, bad = [], [], []  # bad: (index among the table's rows, reason)
    table_rows = 0
    text, reader = _Text(rest, stream), None
    try:
        reader = _open_reader(text, len(names), wanted, note_ragged)
        for batch in reader:
            n = batch.num_rows
            if table_rows + n + len(ragged) > budget.max_faces:
                if exact_count:
                    text.drain()
                    budget.check_rows(text.newlines + (not text.ends_with_newline), name)
                budget.check_rows(budget.max_faces + 1, name, exact=False)
            kernel = _pixel_kernel(max(expected_rows or 0, table_rows + n))
            data, offsets = _string_buffers(batch.column(wanted.index(pixels)))
            out = faces.room_for(n)
            status, counts = np.empty(n, dtype=np.uint8), np.empty(n, dtype=np.int64)
            kernel(data, offsets, out, status, counts)
            emotion_text = np.char.strip(_texts(batch.column(wanted.index(emotion))))
            batch_labels, label_ok = _parse_labels(emotion_text)
            keep = (status == ROW_OK) & label_ok
            for index in np.flatnonzero(~keep):
                if status[index] != ROW_OK:
                    reason = _REASONS[int(status[index])].format(count=int(counts[index]))
                else:
                    reason = (f"has emotion {_short(str(emotion_text[index]))!r}; labels are whole numbers "
                              f"0–{NUM_CLASSES - 1}")
                bad.append((table_rows + int(index), reason))
            if not keep.all():
                out[:keep.sum()] = out[keep]  # the good rows close up over the bad ones
            faces.filled += int(keep.sum())
            labels.append(batch_labels[keep])
            if usage is not None:
                usages.append(np.char.strip(_texts(batch.column(wanted.index(usage))))[keep])
            table_rows += n
            del batch, data, offsets, out
    except pa.ArrowInvalid as exc:
        if str(exc).startswith("Empty CSV file") and table_rows == 0 and not ragged:
            raise DataError(f"{name} has a header but no data rows.") from None
        if "straddling" in str(exc) or "block size" in str(exc):
            raise DataError(f"{name} has a line longer than {BLOCK_BYTES / 1e6:.0f} MB, and a FER2013 row is at most "
                            f"{MAX_ROW_TEXT_BYTES / 1e3:.1f} kB (2,304 pixel values), so it is not FER2013's CSV.") from None
        raise DataError(f"{name} is not a readable CSV file ({_arrow_reason(exc)}).") from exc
    except pa.ArrowTypeError as exc:
        raise DataError(f"{name} is not a readable CSV file ({_arrow_reason(exc)}).") from exc
    finally:
        if reader is not None:
            reader.close()  # a reader left open mid-stream can crash the interpreter as it exits

    total_rows = table_rows + len(ragged)
    if total_rows == 0:
        raise DataError(f"{name} has a header but no data rows.")
    bad_rows = ragged
    if bad:
        # The table leaves the ragged rows out: its rows are numbered as the file's are.
        row_numbers = np.setdiff1d(np.arange(1, total_rows + 1), [row.row for row in ragged])
        bad_rows = sorted(ragged + [BadRow(int(row_numbers[index]), reason) for index, reason in bad],
                          key=lambda row: row.row)
    if (bad_rows and not skip_bad_rows) or faces.filled == 0:
        raise _bad_rows_error(name, bad_rows, total_rows, skip_bad_rows)
    images = faces.finish()
    usage_values = np.concatenate(usages) if usages else np.full(len(images), "", dtype=str)
    return ParsedCSV(images=images, labels=np.concatenate(labels), usage=_canonical_usage(usage_values).astype(object),
                     bad_rows=bad_rows)


def _bad_rows_error(name: str, bad_rows: list[BadRow], total_rows: int, skip_bad_rows: bool) -> DataError:
    if skip_bad_rows:
        return DataError(f"{name}: none of its {total_rows} rows is a valid FER2013 face.")
    more = f" ({len(bad_rows) - 1} more bad rows)" if len(bad_rows) > 1 else ""
    return DataError(f"{name}: {bad_rows[0]}{more}. Fix the file or choose to skip bad rows.")


_FER_COLUMNS = ("emotion", "pixels", "usage")


def _columns_found(header: list[str]) -> str:
    """The header's FER2013 columns by name and the others by count: a file that is not FER2013 (a password file,
    a config) must not have its first line shown to the visitor who typed its path."""
    names = [c.strip() for c in header]
    known = [c for c in names if c.lower() in _FER_COLUMNS]
    others = len(names) - len(known)
    if not known:
        return f"its header has {len(names)} column{'s' if len(names) != 1 else ''}, none of them emotion, pixels or Usage"
    more = f", and {others} other column{'s' if others != 1 else ''}" if others else ""
    return f"columns found: {', '.join(known)}{more}"


def _short(text: str, limit: int = 12) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def _canonical_usage(usage: np.ndarray) -> np.ndarray:
    """`training`, `TRAINING` and `Training` are one usage: FER2013's three names, matched without case."""
    lower = np.char.lower(usage)
    canonical = usage.astype(object)
    for value in USAGE_TO_SPLIT:
        canonical[lower == value.lower()] = value
    return canonical


# Spelled out rather than isdigit(), which also accepts "²" and "٣".
_LABEL_TEXTS = {text: label for label in range(NUM_CLASSES) for text in (str(label), f"0{label}")}


def _parse_labels(text: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    ok = np.isin(text, list(_LABEL_TEXTS))
    labels = np.zeros(len(text), dtype=np.int64)
    labels[ok] = text[ok].astype(np.int64)
    return labels, ok


def format_fer_csv(images: np.ndarray, labels: np.ndarray, usage: np.ndarray | None = None) -> bytes:
    """FER2013 CSV bytes (`emotion,pixels,Usage`) for faces: the inverse of parse_fer_csv."""
    flat = np.asarray(images, dtype=np.uint8).reshape(len(images), -1)
    header = "emotion,pixels,Usage\n" if usage is not None else "emotion,pixels\n"
    lines = [header]
    for i in range(len(flat)):
        pixels = " ".join(map(str, flat[i].tolist()))
        lines.append(f"{int(labels[i])},{pixels},{usage[i]}\n" if usage is not None else f"{int(labels[i])},{pixels}\n")
    return "".join(lines).encode("ascii")
