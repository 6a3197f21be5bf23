"""FER2013's CSV form: `emotion,pixels,Usage`, also as `.csv.gz`, with the Kaggle variants (leading spaces
in column names, no `Usage`). Parsing is pyarrow's CSV reader plus one pass over the pixel bytes, with no per-row
Python loop: a numba kernel for large files (32,000 rows parse in about a second), its numpy twin for small ones,
which has nothing to compile on a fresh server (docs/cold_start.md)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from functools import cache

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv

from ..errors import DataError
from .fer2013 import NUM_CLASSES, PIXELS_PER_IMAGE, USAGE_TO_SPLIT
from .load_budget import LoadBudget

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


def _read_table(raw: bytes, name: str, budget: LoadBudget) -> tuple[pa.Table, list[BadRow]]:
    """The CSV as an arrow table, and the rows left out of it because they have too many or too few fields."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    if re.search(rb"[^ \t\r\n\x0b\x0c]", raw) is None:  # blank: found without copying the file, as strip() would
        raise DataError(f"{name} is empty.")
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise DataError(f"{name} is UTF-16 text: save it as a UTF-8 CSV (emotion,pixels,Usage) and try again.")
    if b"\x00" in raw[:8192]:  # text never holds NUL; a photo, a PDF or a program does
        raise DataError(f"{name} is not a CSV file but binary data: FER2013 comes as a .csv, a .csv.gz, "
                        "a .zip, or a folder of train/<class>/ images.")
    budget.check_header(raw, name)
    budget.check_text(len(raw), name)
    budget.check_rows(raw.count(b"\n") + (not raw.endswith(b"\n")) - 1, name)
    ragged: list[BadRow] = []

    def note_ragged(row) -> str:
        if row.number is None:
            return "error"
        ragged.append(BadRow(row.number - 1, _RAGGED.format(actual=row.actual_columns, expected=row.expected_columns)))
        return "skip"

    try:
        try:
            table = _read_csv(raw)
        except pa.ArrowInvalid:
            # A row with a stray or missing comma: read again on one thread, which numbers the rows it skips.
            table = _read_csv(raw, note_ragged)
    except (pa.ArrowInvalid, pa.ArrowTypeError, UnicodeDecodeError) as exc:
        raise DataError(f"{name} is not a readable CSV file ({_arrow_reason(exc)}).") from exc
    try:
        table.column_names  # arrow decodes the header's names only when asked
    except UnicodeDecodeError as exc:
        raise DataError(f"{name} is not a readable CSV file (its header row is not UTF-8 text).") from exc
    return table, ragged


def _arrow_reason(exc: Exception) -> str:
    """Arrow's reason without the file's own text, which it quotes after "got N:" or between quotes."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    text = re.sub(r"(got \d+)\s*:.*", r"\1", text)
    return re.sub(r"'[^']*'|\"[^\"]*\"", "a value", text)[:200]


def _read_csv(raw: bytes, invalid_row_handler=None) -> pa.Table:
    return pa_csv.read_csv(
        pa.BufferReader(raw),
        convert_options=pa_csv.ConvertOptions(column_types={}, strings_can_be_null=False, auto_dict_encode=False),
        read_options=pa_csv.ReadOptions(block_size=1 << 24, use_threads=invalid_row_handler is None),
        parse_options=pa_csv.ParseOptions(newlines_in_values=False, invalid_row_handler=invalid_row_handler),
    )


def _column(table: pa.Table, wanted: str) -> pa.ChunkedArray | None:
    for index, column_name in enumerate(table.column_names):  # by index: a repeated column name is not an error here
        if column_name.strip().lower() == wanted:
            return table.column(index)
    return None


def _texts(column: pa.ChunkedArray) -> np.ndarray:
    """A column's values as str; bytes that are not UTF-8 become U+FFFD, so the row is refused, not the file."""
    if pa.types.is_binary(column.type) or pa.types.is_large_binary(column.type):
        values = [b"" if v is None else v for v in column.to_pylist()]
        return np.asarray([v.decode("utf-8", "replace") for v in values], dtype=str).reshape(-1)
    texts = column.cast(pa.string()).fill_null("")  # an empty cell in a numeric column is null, not "None"
    return np.asarray(texts.to_numpy(zero_copy_only=False), dtype=str).reshape(-1)


def parse_fer_csv(raw: bytes, name: str = "The CSV file", skip_bad_rows: bool = False,
                  budget: LoadBudget = LoadBudget()) -> ParsedCSV:
    """Parse FER2013 CSV bytes. A bad row raises DataError naming it, or with skip_bad_rows is dropped and
    listed in `bad_rows`. A file over `budget` is refused before it is parsed."""
    table, ragged = _read_table(raw, name, budget)
    pixels = _column(table, "pixels")
    emotion = _column(table, "emotion")
    missing = [n for n, c in (("emotion", emotion), ("pixels", pixels)) if c is None]
    if missing:
        raise DataError(f"{name} has no {' or '.join(repr(m) for m in missing)} column ({_columns_found(table)}).")
    n_rows = table.num_rows
    if n_rows == 0 and not ragged:
        raise DataError(f"{name} has a header but no data rows.")
    if n_rows == 0:
        raise _bad_rows_error(name, ragged, len(ragged), skip_bad_rows)
    # The table leaves the ragged rows out: number its rows as the file does.
    row_numbers = np.setdiff1d(np.arange(1, n_rows + len(ragged) + 1), [bad.row for bad in ragged])

    flat = np.empty((n_rows, PIXELS_PER_IMAGE), dtype=np.uint8)
    status = np.empty(n_rows, dtype=np.uint8)
    counts = np.empty(n_rows, dtype=np.int64)
    kernel, first = _pixel_kernel(n_rows), 0
    for chunk in pixels.chunks:  # chunk by chunk: joining them would copy the whole column once more
        data, offsets = _string_buffers(chunk)
        last = first + len(chunk)
        kernel(data, offsets, flat[first:last], status[first:last], counts[first:last])
        first = last

    emotion_text = np.char.strip(_texts(emotion))
    labels, label_ok = _parse_labels(emotion_text)
    usage_column = _column(table, "usage")
    usage = _texts(usage_column) if usage_column is not None else np.full(n_rows, "", dtype=str)
    usage = _canonical_usage(np.char.strip(usage)).astype(object)

    bad_rows = []
    bad_mask = (status != ROW_OK) | ~label_ok
    for index in np.flatnonzero(bad_mask):
        if status[index] != ROW_OK:
            reason = _REASONS[int(status[index])].format(count=int(counts[index]))
        else:
            reason = f"has emotion {_short(str(emotion_text[index]))!r}; labels are whole numbers 0–{NUM_CLASSES - 1}"
        bad_rows.append(BadRow(int(row_numbers[index]), reason))
    bad_rows = sorted(ragged + bad_rows, key=lambda bad: bad.row)
    keep = ~bad_mask
    if (bad_rows and not skip_bad_rows) or not keep.any():
        raise _bad_rows_error(name, bad_rows, n_rows + len(ragged), skip_bad_rows)
    return ParsedCSV(
        images=flat[keep].reshape(-1, 48, 48) if not keep.all() else flat.reshape(-1, 48, 48),
        labels=labels[keep],
        usage=usage[keep],
        bad_rows=bad_rows,
    )


def _bad_rows_error(name: str, bad_rows: list[BadRow], total_rows: int, skip_bad_rows: bool) -> DataError:
    if skip_bad_rows:
        return DataError(f"{name}: none of its {total_rows} rows is a valid FER2013 face.")
    more = f" ({len(bad_rows) - 1} more bad rows)" if len(bad_rows) > 1 else ""
    return DataError(f"{name}: {bad_rows[0]}{more}. Fix the file or choose to skip bad rows.")


_FER_COLUMNS = ("emotion", "pixels", "usage")


def _columns_found(table: pa.Table) -> str:
    """The header's FER2013 columns by name and the others by count: a file that is not FER2013 (a password file,
    a config) must not have its first line shown to the visitor who typed its path."""
    names = [c.strip() for c in table.column_names]
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
