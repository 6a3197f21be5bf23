"""Fuzzing the dataset parsers: random bytes and mutated valid files must either load or raise DataError, the one
error a page or the CLI knows how to show. Anything else (KeyError, ArrowInvalid, zlib.error…) is a bug.

Each crash found here was fixed in the parser and kept as an @example, so it is tried on every run."""

from __future__ import annotations

import gzip
import io
import os
import tarfile
import zipfile

import numpy as np
import pytest
from conftest import jpeg_bytes, synthetic_faces
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from fer_core.data.csv_format import format_fer_csv, parse_fer_csv
from fer_core.data.dataset import load_fer2013_bytes
from fer_core.data.fer2013 import NUM_CLASSES
from fer_core.errors import DataError

# An exception pyarrow swallows inside a callback (it was a UnicodeDecodeError in the ragged-row handler) fails the test.
pytestmark = pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")

# Modest on purpose, so the file runs in seconds on two busy cores; FER_FUZZ_EXAMPLES=5000 for a long campaign.
FUZZ = settings(max_examples=int(os.environ.get("FER_FUZZ_EXAMPLES", "200")), deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

_images, _labels, _usage = synthetic_faces(n_per_class=1, seed=3)
PICK = [0, 2, 4, 9]  # four faces: small enough that mutations often land in the header or a label
VALID_CSV = format_fer_csv(_images[PICK], _labels[PICK], _usage[PICK])
VALID_CSV_NO_USAGE = format_fer_csv(_images[PICK], _labels[PICK])
LINE_STARTS = [0] + [i + 1 for i, byte in enumerate(VALID_CSV) if byte == ord("\n")]


def _zip(members: dict[str, bytes], method=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _tar(members: dict[str, bytes], mode: str) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode=mode) as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


VALID_GZ = gzip.compress(VALID_CSV)
VALID_CSV_ZIP = _zip({"fer2013/fer2013.csv": VALID_CSV})
VALID_IMAGE_ZIP = _zip({"train/angry/Training_1.jpg": jpeg_bytes(_images[0], quality=80),
                        "test/happy/PublicTest_2.jpg": jpeg_bytes(_images[9], quality=80),
                        "test/sad/PrivateTest_3.jpg": jpeg_bytes(_images[12], quality=80)}, zipfile.ZIP_STORED)
VALID_TAR = _tar({"fer2013/README": b"FER2013", "fer2013/fer2013.csv": VALID_CSV}, "w")
VALID_TGZ = _tar({"fer2013/fer2013.csv": VALID_CSV}, "w:gz")

# Bytes that matter to a CSV, a gzip stream or a zip directory.
INTERESTING = [b",", b"\n", b"\r", b"\r\n", b'"', b" ", b"\t", b"-", b"7", b"256", b"\x00", b"\xff", b"\xc2\xb2",
               "٣".encode(), b"\xef\xbb\xbf", b"\x1f\x8b", b"PK\x03\x04", b"PK\x05\x06", b"emotion", b"pixels",
               b"Usage", b"nan", b"1e9", b"\xff\xff\xff\xff"]


@st.composite
def mutated(draw, original: bytes, line_starts=(0,)):
    """original with one to four byte-level edits: delete, insert, replace, truncate or repeat a stretch."""
    data = bytearray(original)
    for _ in range(draw(st.integers(1, 4))):
        if not data:
            break
        where = draw(st.one_of(st.integers(0, len(data) - 1), st.integers(0, min(80, len(data) - 1)),
                               st.sampled_from([min(s, len(data) - 1) for s in line_starts])))
        payload = draw(st.one_of(st.sampled_from(INTERESTING), st.binary(min_size=1, max_size=8)))
        op = draw(st.sampled_from(["delete", "insert", "replace", "truncate", "repeat"]))
        span = draw(st.integers(1, 64))
        if op == "delete":
            del data[where : where + span]
        elif op == "insert":
            data[where:where] = payload
        elif op == "replace":
            data[where : where + len(payload)] = payload
        elif op == "truncate":
            del data[where:]
        else:
            data[where:where] = data[where : where + span]
    return bytes(data)


def _check(dataset_images, labels, usage=None):
    """A successful load must still be well formed: 48×48 uint8 faces, labels 0–6, one of each per row."""
    assert dataset_images.dtype == np.uint8 and dataset_images.shape[1:] == (48, 48)
    assert len(dataset_images) == len(labels) > 0
    assert labels.min() >= 0 and labels.max() < NUM_CLASSES
    if usage is not None:
        assert len(usage) == len(labels)


def _parse_or_data_error(raw: bytes, skip: bool):
    try:
        parsed = parse_fer_csv(raw, "fuzz.csv", skip_bad_rows=skip)
    except DataError as exc:
        assert str(exc).strip(), "a DataError must carry a sentence"
        return
    _check(parsed.images, parsed.labels, parsed.usage)


def _load_or_data_error(raw: bytes, skip: bool):
    try:
        dataset = load_fer2013_bytes(raw, "fuzz.bin", skip_bad_rows=skip, cache=False)
    except DataError as exc:
        assert str(exc).strip(), "a DataError must carry a sentence"
        return
    _check(dataset.images, dataset.labels, dataset.usage)
    _ = dataset.splits  # the split of whatever loaded must not crash either


def test_the_seeds_are_valid():
    assert len(load_fer2013_bytes(VALID_CSV, cache=False)) == 4
    assert len(load_fer2013_bytes(VALID_GZ, cache=False)) == 4
    assert len(load_fer2013_bytes(VALID_CSV_ZIP, cache=False)) == 4
    assert len(load_fer2013_bytes(VALID_IMAGE_ZIP, cache=False)) == 3
    assert len(load_fer2013_bytes(VALID_TAR, cache=False)) == 4
    assert len(load_fer2013_bytes(VALID_TGZ, cache=False)) == 4


@FUZZ
@given(raw=st.binary(max_size=2048), skip=st.booleans())
@example(raw=b"", skip=False)
@example(raw=b"\xef\xbb\xbf", skip=False)
@example(raw=b"emotion,pixels,emotion\n0,1,2\n", skip=False)  # repeated column name: was KeyError
@example(raw=b"emotion,pixels\n\xff\xfe,1 2\n", skip=True)  # non-UTF-8 label: was ArrowInvalid
@example(raw=b"emotion,pixels\n0,\xff1 2\n", skip=False)  # non-UTF-8 pixels: was ArrowInvalid
@example(raw=b"emotion,pixels\n\xc2\xb2,1\n", skip=False)  # "²" passes isdigit(): was ValueError
@example(raw=b"\x80\r", skip=False)  # header not UTF-8: was UnicodeDecodeError
@example(raw=b"\x01\r\x01", skip=False)  # a header ended by a lone CR: was csv.Error
@example(raw=b"\x1f\x8b\x08\x00", skip=False)
@example(raw=b"PK\x05\x06" + b"\x00" * 18, skip=False)
def test_random_bytes_parse_or_raise_data_error(raw, skip):
    _parse_or_data_error(raw, skip)
    _load_or_data_error(raw, skip)


@FUZZ
@given(raw=st.one_of(mutated(VALID_CSV, LINE_STARTS), mutated(VALID_CSV_NO_USAGE)), skip=st.booleans())
@example(raw=VALID_CSV.replace(b"emotion,pixels,Usage", b"emotion,pixels,pixels"), skip=False)
@example(raw=VALID_CSV.replace(b"\n3,", b"\n\xb3,", 1), skip=True)
@example(raw=VALID_CSV[: len(VALID_CSV) // 2], skip=True)
@example(raw=VALID_CSV.replace(b",Training\n", b",Training,\n", 1), skip=True)  # a ragged row is a bad row
@example(raw=VALID_CSV.replace(b",Training\n", b"\n"), skip=True)  # every row ragged
def test_mutated_csv_parses_or_raises_data_error(raw, skip):
    _parse_or_data_error(raw, skip)
    _load_or_data_error(raw, skip)


@FUZZ
@given(raw=st.one_of(mutated(VALID_GZ), mutated(VALID_CSV_ZIP), mutated(VALID_IMAGE_ZIP), mutated(VALID_TAR),
                     mutated(VALID_TGZ)), skip=st.booleans())
@example(raw=VALID_GZ[:-4], skip=False)
@example(raw=VALID_CSV_ZIP[:40] + b"\x00" * 40 + VALID_CSV_ZIP[80:], skip=False)  # corrupt deflate data: was zlib.error
@example(raw=VALID_TAR[:700], skip=False)  # a tar cut inside its CSV
@example(raw=VALID_TGZ[:-30], skip=False)
def test_mutated_gzip_zip_and_tar_load_or_raise_data_error(raw, skip):
    _load_or_data_error(raw, skip)


@pytest.mark.parametrize("label", [b"\xff\xfe", "²".encode(), "٣".encode(), b"3.5", b"-1", b"7"])
def test_a_label_that_is_not_an_ascii_digit_is_a_bad_row_named_in_the_message(label):
    pixels = b" ".join([b"128"] * 2304)
    with pytest.raises(DataError, match=r"labels\.csv: row 2 has emotion .*labels are whole numbers 0–6"):
        parse_fer_csv(b"emotion,pixels\n3," + pixels + b"\n" + label + b"," + pixels + b"\n", "labels.csv")


def test_pixels_that_are_not_utf8_make_a_bad_row_not_a_bad_file():
    rows = VALID_CSV.split(b"\n")
    rows[2] = rows[2].replace(b" ", b" \xff", 1)  # data row 2
    parsed = parse_fer_csv(b"\n".join(rows), "latin.csv", skip_bad_rows=True)
    assert [str(row) for row in parsed.bad_rows] == ["row 2 has a pixel value that is not a whole number"]
    assert len(parsed.labels) == 3


def test_a_ragged_row_that_is_not_utf8_is_a_bad_row_named_by_its_number():
    rows = VALID_CSV.split(b"\n")
    rows[3] = rows[3].replace(b",Training", b"\xff\xfe", 1)  # one field short, and not UTF-8
    parsed = parse_fer_csv(b"\n".join(rows), "ragged.csv", skip_bad_rows=True)
    assert [str(row) for row in parsed.bad_rows] == ["row 3 has 2 comma-separated fields where the header has 3"]
    assert len(parsed.labels) == 3
