"""Every way a FER2013 file can be wrong, and what the user gets: a DataError whose sentence names the problem (and
the row), or, from `python -m fer_core data`, one `error: …` line on stderr, a non-zero exit and no traceback.

The files are made here, small, from conftest's synthetic faces; nothing is read from the developers' copy of FER2013."""

from __future__ import annotations

import gzip
import io
import struct
import subprocess
import tarfile
import zipfile
from pathlib import Path

import numpy as np
import pytest
from cli_fixtures import run_data_cli
from conftest import jpeg_bytes, synthetic_faces, write_csv
from PIL import Image

from fer_core.data.csv_format import format_fer_csv
from fer_core.data.dataset import load_fer2013, load_fer2013_bytes
from fer_core.data.fer2013 import CLASS_NAMES
from fer_core.errors import DataError

REPO_ROOT = Path(__file__).resolve().parent.parent
PIXELS = " ".join(["128"] * 2304)


def _csv(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return path


def _small_faces():
    return synthetic_faces(n_per_class=3, seed=1)  # 60 faces, 20 per usage, every class in every usage


def _load_error(path: Path, skip_bad_rows: bool = False) -> str:
    with pytest.raises(DataError) as caught:
        load_fer2013(path, skip_bad_rows=skip_bad_rows)
    return str(caught.value)


def assert_cli_error(result: subprocess.CompletedProcess, *fragments: str) -> str:
    """One line `error: …` naming the problem, a non-zero exit, and never a traceback."""
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr + result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


# ---------------------------------------------------------------------------------------------------------------
# CSV files that cannot be FER2013


def test_an_empty_file_is_named_as_empty(tmp_path):
    path = _csv(tmp_path, "fer2013.csv", b"")
    assert _load_error(path) == "fer2013.csv is empty."
    assert_cli_error(run_data_cli(path), "fer2013.csv is empty.")


def test_a_header_without_rows_says_there_are_no_data_rows(tmp_path):
    path = _csv(tmp_path, "fer2013.csv", "emotion,pixels,Usage\n")
    assert _load_error(path) == "fer2013.csv has a header but no data rows."
    assert_cli_error(run_data_cli(path), "has a header but no data rows")


def test_a_missing_pixels_column_is_named_with_the_columns_found(tmp_path):
    path = _csv(tmp_path, "fer2013.csv", "emotion,Usage\n3,Training\n")
    assert _load_error(path) == "fer2013.csv has no 'pixels' column (columns found: emotion, Usage)."
    assert_cli_error(run_data_cli(path), "no 'pixels' column", "columns found: emotion, Usage")


def test_a_missing_emotion_column_is_named_with_the_columns_found(tmp_path):
    path = _csv(tmp_path, "fer2013.csv", f"pixels,Usage\n{PIXELS},Training\n")
    assert _load_error(path) == "fer2013.csv has no 'emotion' column (columns found: pixels, Usage)."


def test_a_row_with_the_wrong_pixel_count_is_named(tmp_path):
    short = " ".join(["128"] * 2000)
    path = _csv(tmp_path, "fer2013.csv", f"emotion,pixels\n3,{PIXELS}\n4,{short}\n5,{PIXELS}\n")
    message = _load_error(path)
    assert message == ("fer2013.csv: row 2 has 2000 pixel values instead of 2304 (48×48). "
                       "Fix the file or choose to skip bad rows.")
    assert_cli_error(run_data_cli(path), "row 2 has 2000 pixel values instead of 2304")


def test_a_row_with_non_numeric_pixels_is_named(tmp_path):
    broken = PIXELS.replace("128", "12x", 1)
    path = _csv(tmp_path, "fer2013.csv", f"emotion,pixels\n3,{PIXELS}\n3,{PIXELS}\n3,{broken}\n")
    assert "row 3 has a pixel value that is not a whole number" in _load_error(path)


def test_a_pixel_above_255_is_named(tmp_path):
    broken = PIXELS.replace("128", "300", 1)
    path = _csv(tmp_path, "fer2013.csv", f"emotion,pixels\n3,{broken}\n")
    assert "row 1 has a pixel value above 255" in _load_error(path)


@pytest.mark.parametrize("label", ["7", "-1", "12", "happy", "3.5", ""])
def test_a_label_outside_0_to_6_is_named_with_its_value(tmp_path, label):
    path = _csv(tmp_path, "fer2013.csv", f"emotion,pixels\n0,{PIXELS}\n{label},{PIXELS}\n")
    message = _load_error(path)
    assert f"row 2 has emotion {label!r}; labels are whole numbers 0–6" in message


def test_a_bad_label_through_the_cli(tmp_path):
    path = _csv(tmp_path, "fer2013.csv", f"emotion,pixels\n0,{PIXELS}\nhappy,{PIXELS}\n")
    assert_cli_error(run_data_cli(path), "row 2 has emotion 'happy'")


@pytest.mark.parametrize("name", ["fer2013.csv", "data.bin"])
def test_a_binary_file_that_is_neither_csv_nor_zip_says_so(tmp_path, name):
    buffer = io.BytesIO()
    Image.fromarray(np.zeros((48, 48), np.uint8)).save(buffer, "PNG")
    path = _csv(tmp_path, name, buffer.getvalue())
    assert _load_error(path).startswith(f"{name} is not a CSV file but binary data")
    assert_cli_error(run_data_cli(path), "is not a CSV file but binary data")


def test_utf16_text_is_asked_to_be_saved_as_utf8(tmp_path):
    path = _csv(tmp_path, "fer2013.csv", f"emotion,pixels\n3,{PIXELS}\n".encode("utf-16"))
    assert "is UTF-16 text: save it as a UTF-8 CSV" in _load_error(path)


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_a_byte_order_mark_is_named_as_utf16_not_binary(tmp_path, encoding):
    path = _csv(tmp_path, "fer2013.csv", f"emotion,pixels\n3,{PIXELS}\n".encode(encoding))
    assert _load_error(path) == ("fer2013.csv is UTF-16 text: save it as a UTF-8 CSV (emotion,pixels,Usage) and "
                                 "try again.")


def test_a_line_longer_than_any_fer2013_row_is_named_without_arrow_words(tmp_path):
    path = _csv(tmp_path, "fer2013.csv", b"emotion,pixels\n3," + b"1 " * 1_500_000 + b"\n")
    assert _load_error(path) == ("fer2013.csv has a line longer than 1 MB, and a FER2013 row is at most 9.3 kB "
                                 "(2,304 pixel values), so it is not FER2013's CSV.")


def test_a_path_that_does_not_exist(tmp_path):
    path = tmp_path / "nowhere.csv"
    assert _load_error(path) == f"{path} does not exist."
    assert_cli_error(run_data_cli(path), "does not exist")


# ---------------------------------------------------------------------------------------------------------------
# Files that are fine, though not as the Kaggle page shows them


def test_a_bom_and_crlf_line_ends_load_like_the_plain_file(tmp_path, faces):
    images, labels, usage = faces
    plain = format_fer_csv(images, labels, usage)
    path = _csv(tmp_path, "excel.csv", b"\xef\xbb\xbf" + plain.replace(b"\n", b"\r\n"))
    dataset = load_fer2013(path)
    np.testing.assert_array_equal(dataset.images, images)
    np.testing.assert_array_equal(dataset.labels, labels)
    assert list(dataset.usage) == list(usage)  # no "\r" left on the last column
    result = run_data_cli(path)
    assert result.returncode == 0, result.stderr
    assert f"{len(labels)} faces" in result.stdout


@pytest.mark.parametrize("usage", ["Training", None])
def test_one_row_loads_and_splits_sensibly(tmp_path, usage):
    header, tail = ("emotion,pixels,Usage", ",Training") if usage else ("emotion,pixels", "")
    dataset = load_fer2013(_csv(tmp_path, "one.csv", f"{header}\n3,{PIXELS}{tail}\n"))
    assert len(dataset) == 1 and dataset.labels.tolist() == [3]
    splits = dataset.splits
    assert splits.train.tolist() == [0]  # the one face trains; it is never also a validation or test face
    assert len(splits.validation) == 0 and len(splits.test) == 0
    assert sum(c.sum() for c in dataset.counts_by_split().values()) == 1


def test_kaggle_icml_face_data_with_spaces_in_column_names(tmp_path, faces):
    images, labels, usage = faces
    rows = [f"{label}, {use}, {' '.join(map(str, face.ravel()))}" for face, label, use in zip(images, labels, usage)]
    path = _csv(tmp_path, "icml_face_data.csv", "emotion, Usage, pixels\n" + "\n".join(rows) + "\n")
    dataset = load_fer2013(path)
    np.testing.assert_array_equal(dataset.images, images)
    assert set(dataset.usage) == {"Training", "PublicTest", "PrivateTest"}
    assert dataset.splits.notes == ()
    assert len(dataset.splits.test) == int((usage == "PrivateTest").sum())


def test_kaggle_train_csv_without_usage_gets_a_seeded_stratified_split(tmp_path):
    images, labels, _ = synthetic_faces(n_per_class=10, usages=("Training",))
    path = write_csv(tmp_path / "train.csv", images, labels)
    first, again = load_fer2013(path), load_fer2013(path, cache=False)
    splits = first.splits
    assert splits.notes and "no Usage column: a stratified split with seed 0" in splits.notes[0]
    for name in ("train", "validation", "test"):
        np.testing.assert_array_equal(splits[name], again.splits[name])  # the same faces every time
    assert len(np.intersect1d(splits.train, splits.validation)) == 0
    assert len(np.intersect1d(splits.train, splits.test)) == 0
    for label in range(7):  # stratified: every class (even disgust, 3 faces) keeps most faces for training
        assert (labels[splits.train] == label).sum() >= 2
    result = run_data_cli(path)
    assert result.returncode == 0 and "note: The file has no Usage column" in result.stdout


# ---------------------------------------------------------------------------------------------------------------
# A large file with a few bad rows


def _sprinkled(tmp_path: Path) -> tuple[Path, list[int], int]:
    """An otherwise valid file with 5% bad rows of every kind; returns its path, the bad rows (1-based), the total."""
    images, labels, usage = synthetic_faces(n_per_class=15, seed=2)
    lines = format_fer_csv(images, labels, usage).decode().splitlines()
    breakages = [
        lambda label, pixels, use: f"{label},{pixels.rsplit(' ', 10)[0]},{use}",  # 10 pixels short
        lambda label, pixels, use: f"{label},{pixels.replace(' ', ' x', 1)},{use}",  # a non-number
        lambda label, pixels, use: f"9,{pixels},{use}",  # no such emotion
        lambda label, pixels, use: f"sad,{pixels},{use}",
        lambda label, pixels, use: f"{label},{pixels} 256,{use}",  # a pixel too many, and above 255
        lambda label, pixels, use: f"{label},{pixels},{use},",  # a stray comma: one field too many
    ]
    bad_rows = list(range(7, len(labels) + 1, 20))  # every 20th data row: 5%
    for k, row in enumerate(bad_rows):
        label, pixels, use = lines[row].split(",")
        lines[row] = breakages[k % len(breakages)](label, pixels, use)
    path = _csv(tmp_path, "fer2013.csv", "\n".join(lines) + "\n")
    return path, bad_rows, len(labels)


def test_strict_loading_names_the_first_bad_row_and_counts_the_rest(tmp_path):
    path, bad_rows, _ = _sprinkled(tmp_path)
    message = _load_error(path)
    assert message.startswith(f"fer2013.csv: row {bad_rows[0]} has 2294 pixel values instead of 2304")
    assert f"({len(bad_rows) - 1} more bad rows)" in message
    assert message.endswith("Fix the file or choose to skip bad rows.")
    assert_cli_error(run_data_cli(path), f"row {bad_rows[0]} ", f"({len(bad_rows) - 1} more bad rows)")


def test_skipping_bad_rows_loads_the_rest_and_counts_exactly_the_bad_ones(tmp_path):
    path, bad_rows, total = _sprinkled(tmp_path)
    dataset = load_fer2013(path, skip_bad_rows=True)
    assert len(dataset.skipped_rows) == len(bad_rows) == 14
    assert [int(s.split()[1]) for s in dataset.skipped_rows] == bad_rows
    assert len(dataset) == total - len(bad_rows)
    assert "row 27 has a pixel value that is not a whole number" in dataset.skipped_rows
    assert "row 47 has emotion '9'; labels are whole numbers 0–6" in dataset.skipped_rows
    assert "row 107 has 4 comma-separated fields where the header has 3" in dataset.skipped_rows
    cached = load_fer2013(path, skip_bad_rows=True)  # the second load comes from the cache, and says the same
    assert cached.skipped_rows == dataset.skipped_rows and len(cached) == len(dataset)
    result = run_data_cli(path, "--skip-bad-rows")
    assert result.returncode == 0, result.stderr
    assert f"skipped {len(bad_rows)} bad rows, first: row 7 has 2294 pixel values" in result.stdout


def test_a_row_with_a_stray_or_missing_comma_is_a_bad_row_not_a_bad_file(tmp_path):
    path = _csv(tmp_path, "fer2013.csv",
                f"emotion,pixels,Usage\n3,{PIXELS},Training\n3,{PIXELS},Training,\n\n4,{PIXELS}\n9,{PIXELS},Training\n")
    assert _load_error(path) == ("fer2013.csv: row 2 has 4 comma-separated fields where the header has 3 "
                                 "(2 more bad rows). Fix the file or choose to skip bad rows.")
    dataset = load_fer2013(path, skip_bad_rows=True)
    assert len(dataset) == 1
    assert dataset.skipped_rows == ["row 2 has 4 comma-separated fields where the header has 3",
                                    "row 3 has 2 comma-separated fields where the header has 3",
                                    "row 4 has emotion '9'; labels are whole numbers 0–6"]


def test_a_file_where_every_row_is_bad_says_so_even_when_skipping(tmp_path):
    path = _csv(tmp_path, "fer2013.csv", "emotion,pixels\n9,1 2 3\nx,4 5\n")
    assert _load_error(path, skip_bad_rows=True) == "fer2013.csv: none of its 2 rows is a valid FER2013 face."


# ---------------------------------------------------------------------------------------------------------------
# Compressed files


def test_a_csv_gz_loads_like_the_csv(tmp_path, faces):
    images, labels, usage = faces
    dataset = load_fer2013(write_csv(tmp_path / "fer2013.csv.gz", images, labels, usage, gz=True))
    np.testing.assert_array_equal(dataset.images, images)
    np.testing.assert_array_equal(dataset.labels, labels)


def test_a_corrupt_gzip_is_named_as_such(tmp_path, faces):
    images, labels, usage = faces
    packed = gzip.compress(format_fer_csv(images, labels, usage))
    path = _csv(tmp_path, "fer2013.csv.gz", packed[: len(packed) // 2])
    assert _load_error(path).startswith("fer2013.csv.gz is not a valid gzip file (")
    assert_cli_error(run_data_cli(path), "is not a valid gzip file")
    garbled = packed[:20] + bytes(64) + packed[84:]
    assert "is not a valid gzip file" in _load_error(_csv(tmp_path, "garbled.csv.gz", garbled))


def test_a_gzip_bomb_is_refused_before_it_fills_memory(tmp_path):
    row = b"0," + b" ".join([b"0"] * 2304) + b"\n"
    bomb = b"emotion,pixels\n" + row * ((20 << 20) // len(row))  # 21 MB of blank faces in 30 kB: read to 6.1 MB
    path = _csv(tmp_path, "fer2013.csv.gz", gzip.compress(bomb, 6))
    message = _load_error(path)
    assert message.startswith("fer2013.csv.gz would inflate to more than 6.1 MB from 30.3 kB")
    assert message.endswith("refused as a possible zip bomb.")
    assert_cli_error(run_data_cli(path), "refused as a possible zip bomb")


def test_a_small_file_that_compresses_very_well_is_not_a_bomb(tmp_path):
    blank = "emotion,pixels,Usage\n" + "".join(f"3,{' '.join(['0'] * 2304)},Training\n" for _ in range(20))
    packed = gzip.compress(blank.encode(), 9)
    assert len(blank) / len(packed) > 200  # a bomb's ratio, but only 92 kB: loads
    assert len(load_fer2013(_csv(tmp_path, "blank.csv.gz", packed))) == 20
    assert len(load_fer2013(_zip(tmp_path / "blank.zip", {"blank.csv": blank.encode()}))) == 20


def _zip(path: Path, members: dict[str, bytes], method=zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", method) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def test_a_zip_holding_the_csv_loads(tmp_path, faces):
    images, labels, usage = faces
    path = _zip(tmp_path / "archive.zip", {"fer2013/README.txt": b"FER2013",
                                           "fer2013/fer2013.csv": format_fer_csv(images, labels, usage)})
    dataset = load_fer2013(path)
    np.testing.assert_array_equal(dataset.labels, labels)


def test_a_bad_row_inside_a_zipped_csv_names_the_member_and_the_row(tmp_path):
    path = _zip(tmp_path / "archive.zip", {"fer2013.csv": f"emotion,pixels\n3,{PIXELS}\n8,{PIXELS}\n".encode()})
    assert _load_error(path).startswith("archive.zip/fer2013.csv: row 2 has emotion '8'")


def test_a_file_that_starts_like_a_zip_but_is_not_one(tmp_path):
    path = _csv(tmp_path, "data.zip", b"PK\x03\x04" + bytes(range(200)))
    assert _load_error(path).startswith("data.zip is not a readable zip file (")
    assert_cli_error(run_data_cli(path), "is not a readable zip file")


# ---------------------------------------------------------------------------------------------------------------
# The image-folder release, as a folder and as a zip


def _release_members() -> tuple[dict[str, bytes], dict[str, tuple[int, str]]]:
    """train/<class>/Training_*.jpg and test/<class>/{PublicTest,PrivateTest}_*.jpg, as Kaggle ships them;
    returns the members and, for each, the label and usage it must load as."""
    images, labels, usage = _small_faces()
    prefix_folder = {"Training": "train", "PublicTest": "test", "PrivateTest": "test"}
    members, expected = {}, {}
    for i, (face, label, use) in enumerate(zip(images, labels, usage)):
        name = f"{prefix_folder[use]}/{CLASS_NAMES[label]}/{use}_{i}.jpg"
        members[name] = jpeg_bytes(face)
        expected[name] = (int(label), use)
    return members, expected


def _assert_release_loaded(dataset, expected):
    assert len(dataset) == len(expected)
    assert sorted(zip(dataset.labels.tolist(), dataset.usage.tolist())) == sorted(expected.values())
    assert set(dataset.usage) == {"Training", "PublicTest", "PrivateTest"}  # the test/ folder holds two usages
    assert dataset.images.shape[1:] == (48, 48) and dataset.images.dtype == np.uint8
    assert dataset.splits.notes == ()


def test_the_image_folder_release_as_a_folder(tmp_path):
    members, expected = _release_members()
    root = tmp_path / "fer2013"
    for name, data in members.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    (root / "README.md").write_text("not an image, not in a class folder: ignored")
    _assert_release_loaded(load_fer2013(root), expected)


def test_the_image_folder_release_as_a_zip(tmp_path):
    members, expected = _release_members()
    path = _zip(tmp_path / "archive.zip", {f"fer2013/{name}": data for name, data in members.items()},
                zipfile.ZIP_STORED)
    _assert_release_loaded(load_fer2013(path), expected)
    result = run_data_cli(path)
    assert result.returncode == 0 and "60 faces" in result.stdout


def test_a_broken_image_in_the_release_is_named_or_skipped(tmp_path):
    members, _ = _release_members()
    members["train/happy/Training_999.jpg"] = b"this is text, named .jpg"
    path = _zip(tmp_path / "archive.zip", members)
    message = _load_error(path)
    assert message.startswith("archive.zip: train/happy/Training_999.jpg is not a readable image (")
    assert message.endswith("Fix it or choose to skip bad rows.")
    dataset = load_fer2013(path, skip_bad_rows=True)
    assert len(dataset) == 60 and len(dataset.skipped_rows) == 1
    assert dataset.skipped_rows[0].startswith("train/happy/Training_999.jpg: ")


def test_a_zip_with_no_class_folders_explains_the_layout(tmp_path):
    face = jpeg_bytes(_small_faces()[0][0])
    path = _zip(tmp_path / "photos.zip", {"holiday/beach.jpg": face, "me.jpg": face, "notes.txt": b"hello"})
    expected = ("photos.zip has no class folders with images: expected train/<class>/*.jpg with classes "
                "angry, disgust, fear, happy, sad, surprise, neutral.")
    assert _load_error(path) == expected
    assert_cli_error(run_data_cli(path), "has no class folders with images: expected train/<class>/*.jpg")
    empty = tmp_path / "empty_folder"
    empty.mkdir()
    assert "has no class folders with images" in _load_error(empty)


def test_names_that_climb_out_of_the_zip_are_never_followed_nor_extracted(tmp_path, monkeypatch):
    face = jpeg_bytes(_small_faces()[0][0])
    climbing = ["../x.jpg", "/abs/x.jpg", "../train/happy/Training_1.jpg", "/train/happy/Training_2.jpg",
                "train/happy/../../../escape.jpg", "..\\train\\happy\\Training_3.jpg", "C:/train/happy/Training_4.jpg",
                "train/../../happy/Training_5.jpg"]
    path = _zip(tmp_path / "evil.zip", {"train/happy/Training_0.jpg": face, **{name: face for name in climbing}})
    work = tmp_path / "a" / "b" / "cwd"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    before = sorted(p for p in tmp_path.rglob("*"))
    abs_existed = Path("/abs").exists()

    dataset = load_fer2013(path)
    assert len(dataset) == 1  # only the honest member; the climbing ones are ignored, not resolved
    assert sorted(p for p in tmp_path.rglob("*") if "cache" not in p.parts) == [p for p in before if "cache" not in p.parts]
    assert Path("/abs").exists() == abs_existed
    assert not (tmp_path / "x.jpg").exists() and not (tmp_path / "escape.jpg").exists()

    only_climbing = _zip(tmp_path / "only_evil.zip", {name: face for name in climbing})
    assert "has no class folders with images" in _load_error(only_climbing)


def test_a_zip_bomb_of_images_is_refused_with_a_sentence(tmp_path):
    path = _zip(tmp_path / "bomb.zip", {"train/happy/Training_1.jpg": bytes(5 << 20)})  # 5 MB of zeros, ~5 kB packed
    message = _load_error(path)
    assert message.startswith("bomb.zip would inflate to 5.2 MB from ")
    assert message.endswith("refused as a possible zip bomb.")
    assert_cli_error(run_data_cli(path), "refused as a possible zip bomb")


def test_a_zip_bomb_posing_as_the_csv_is_refused_with_a_sentence(tmp_path):
    path = _zip(tmp_path / "bomb.zip", {"fer2013.csv": bytes(5 << 20)})
    assert _load_error(path).startswith("bomb.zip: fer2013.csv would inflate to 5.2 MB from ")
    assert "refused as a possible zip bomb" in _load_error(path)


def _claim_size(zip_bytes: bytes, claimed: int) -> bytes:
    """The zip with its central directory claiming `claimed` uncompressed bytes for the first member."""
    at = zip_bytes.index(b"PK\x01\x02")
    return zip_bytes[: at + 24] + struct.pack("<I", claimed) + zip_bytes[at + 28 :]


@pytest.mark.parametrize("member", ["fer2013.csv", "train/happy/Training_1.jpg"])
def test_a_member_claiming_a_huge_size_is_refused_before_reading(tmp_path, member):
    honest = _zip(tmp_path / "honest.zip", {member: b"x" * 1000}, zipfile.ZIP_STORED).read_bytes()
    path = _csv(tmp_path, "claims.zip", _claim_size(honest, 3_000_000_000))
    message = _load_error(path)
    assert "would inflate to 3,000.0 MB" in message and "refused as a possible zip bomb" in message


# ---------------------------------------------------------------------------------------------------------------
# Tar archives: Kaggle's fer2013.tar.gz, the image release as a tarball, and tars that try to leave or to explode


def _tar(path: Path, members: list, mode: str = "w:gz") -> Path:
    """members: (name, bytes) for files, or a ready TarInfo (links, devices, folders)."""
    with tarfile.open(path, mode) as archive:
        for member in members:
            if isinstance(member, tarfile.TarInfo):
                archive.addfile(member)
                continue
            name, data = member
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def _link(name: str, target: str, kind=tarfile.SYMTYPE) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, target
    return info


def _faces_csv() -> bytes:
    return format_fer_csv(*_small_faces())


@pytest.mark.parametrize("name, mode", [("fer2013.tar.gz", "w:gz"), ("fer2013.tgz", "w:gz"), ("fer2013.tar", "w"),
                                        ("download.bin", "w:gz")])
def test_kaggles_fer2013_tar_gz_loads_and_says_which_csv_it_read(tmp_path, name, mode):
    images, labels, usage = _small_faces()
    path = _tar(tmp_path / name, [("fer2013/README", b"FER2013"), ("fer2013/fer2013.bib", b"@article{}"),
                                  ("fer2013/fer2013.csv", format_fer_csv(images, labels, usage))], mode)
    dataset = load_fer2013(path)
    np.testing.assert_array_equal(dataset.images, images)
    np.testing.assert_array_equal(dataset.labels, labels)
    assert list(dataset.usage) == list(usage)
    assert dataset.notes[0] == f"Read fer2013/fer2013.csv from {name}."
    result = run_data_cli(path)
    assert result.returncode == 0, result.stderr
    assert "60 faces" in result.stdout and f"note: Read fer2013/fer2013.csv from {name}." in result.stdout


def test_a_tar_with_several_csvs_reads_the_largest_and_names_it(tmp_path):
    path = _tar(tmp_path / "kaggle.tar.gz", [("example_submission.csv", b"id,emotion\n1,3\n"),
                                             ("icml_face_data.csv", _faces_csv())])
    dataset = load_fer2013(path)
    assert len(dataset) == 60
    assert dataset.notes[0] == "Read icml_face_data.csv from kaggle.tar.gz (the largest of its 2 CSV files)."


def test_a_bad_row_inside_a_tarred_csv_names_the_member_and_the_row(tmp_path):
    path = _tar(tmp_path / "fer2013.tar.gz", [("fer2013/fer2013.csv", f"emotion,pixels\n3,{PIXELS}\n8,{PIXELS}\n".encode())])
    assert _load_error(path).startswith("fer2013.tar.gz/fer2013/fer2013.csv: row 2 has emotion '8'")


def test_the_image_release_as_a_tarball_loads_like_the_zip(tmp_path):
    members, expected = _release_members()
    path = _tar(tmp_path / "images.tgz", [(f"fer2013/{name}", data) for name, data in members.items()])
    _assert_release_loaded(load_fer2013(path), expected)
    result = run_data_cli(path)
    assert result.returncode == 0 and "60 faces" in result.stdout


def test_a_tar_with_neither_csv_nor_photos_says_what_fer2013_looks_like(tmp_path):
    path = _tar(tmp_path / "notes.tar.gz", [("docs/README.md", b"# hello"), ("docs/paper.pdf", b"%PDF-1.4")])
    expected = ("notes.tar.gz holds neither a CSV file nor photos: FER2013 comes as fer2013.csv (also inside a .zip, "
                ".tar or .tar.gz) or as photos in train/<class>/ and test/<class>/ folders.")
    assert _load_error(path) == expected
    assert_cli_error(run_data_cli(path), "holds neither a CSV file nor photos")


def test_tar_members_that_leave_the_archive_or_are_links_are_skipped_and_said_so(tmp_path, monkeypatch):
    work = tmp_path / "a" / "b"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    outside = tmp_path / "secret.csv"
    outside.write_text(f"emotion,pixels\n3,{PIXELS}\n")  # what the links point at: never read
    path = _tar(tmp_path / "evil.tar.gz", [
        ("../../fer2013.csv", _faces_csv() * 2), ("/abs/fer2013.csv", _faces_csv() * 2),
        _link("fer2013/big.csv", str(outside)), _link("fer2013/hard.csv", "../secret.csv", tarfile.LNKTYPE),
        _link("dev/zero.csv", "", tarfile.CHRTYPE), ("fer2013/fer2013.csv", _faces_csv())])
    before = sorted(tmp_path.rglob("*"))
    dataset = load_fer2013(path, cache=False)
    assert len(dataset) == 60  # the honest member, though the climbing ones are larger
    assert dataset.notes[0] == "Read fer2013/fer2013.csv from evil.tar.gz."
    assert dataset.notes[1] == ("evil.tar.gz: 5 members were skipped, not followed: ../../fer2013.csv (its path "
                                "leaves the archive), /abs/fer2013.csv (its path leaves the archive), fer2013/big.csv "
                                "(a link), fer2013/hard.csv (a link), dev/zero.csv (a device or a pipe).")
    assert sorted(tmp_path.rglob("*")) == before  # nothing extracted anywhere
    result = run_data_cli(path)
    assert result.returncode == 0 and "5 members were skipped, not followed" in result.stdout


def test_a_tar_of_only_links_and_climbing_names_is_refused_with_what_was_skipped(tmp_path):
    path = _tar(tmp_path / "links.tar", [_link("fer2013/fer2013.csv", "/etc/passwd"), ("../up.csv", _faces_csv())], "w")
    message = _load_error(path)
    assert message.startswith("links.tar holds neither a CSV file nor photos")
    assert message.endswith("links.tar: 2 members were skipped, not followed: fer2013/fer2013.csv (a link), "
                            "../up.csv (its path leaves the archive).")
    assert_cli_error(run_data_cli(path), "2 members were skipped, not followed")


def test_a_tar_bomb_is_refused_as_it_inflates(tmp_path):
    path = tmp_path / "fer2013.tar.gz"
    with tarfile.open(path, "w:gz") as archive:  # 64 MB of zeros in 64 kB: never inflated past 13 MB
        info = tarfile.TarInfo("fer2013/fer2013.csv")
        info.size = 64 << 20
        archive.addfile(info, io.BytesIO(bytes(info.size)))
    packed = path.stat().st_size
    message = _load_error(path)
    assert message == (f"fer2013.tar.gz would inflate to more than {200 * packed / 1e6:,.1f} MB from "
                       f"{packed / 1e3:,.1f} kB: refused as a possible zip bomb.")
    assert_cli_error(run_data_cli(path), "refused as a possible zip bomb")


def test_a_tar_bomb_of_many_small_photos_is_refused_too(tmp_path):
    path = _tar(tmp_path / "photos.tgz", [(f"train/happy/{i}.jpg", bytes(100_000)) for i in range(100)])
    assert _load_error(path).endswith("refused as a possible zip bomb.")


def test_a_cut_short_tar_is_named_as_unreadable(tmp_path):
    whole = _tar(tmp_path / "whole.tar", [("fer2013/fer2013.csv", _faces_csv())], "w").read_bytes()
    path = _csv(tmp_path, "cut.tar", whole[: len(whole) // 2])
    message = _load_error(path)
    assert message.startswith("cut.tar/fer2013/fer2013.csv cannot be read from the archive (") or \
        message.startswith("cut.tar is not a readable tar file ("), message
    assert "Traceback" not in run_data_cli(path).stderr


def test_a_tarred_csv_over_the_budget_is_refused_from_its_header(tmp_path):
    rows = "emotion,pixels,Usage\n" + "0,1 2,Training\n" * 500
    path = _tar(tmp_path / "many.tar.gz", [("fer2013/fer2013.csv", rows.encode())])
    with pytest.raises(DataError, match=r"^many.tar.gz/fer2013/fer2013.csv holds 500 faces; this server loads at most 434"):
        load_fer2013(path, max_load_mb=1)
    big = _tar(tmp_path / "big.tar", [("fer2013/fer2013.csv", b"x" * 5_000_000)], "w")
    with pytest.raises(DataError, match=r"^big.tar holds more than 4 MB of text"):
        load_fer2013(big, max_load_mb=1)  # a file: refused by its size, unread
    with pytest.raises(DataError, match=r"^big.tar/fer2013/fer2013.csv holds more than 4 MB of text"):
        load_fer2013_bytes(big.read_bytes(), "big.tar", max_load_mb=1)  # an upload: by the member's header


# ---------------------------------------------------------------------------------------------------------------
# Zip members are read through bounded streams (issue 26: a photo that inflates to 1.9 GB)


class _CountingFile(io.RawIOBase):
    """A file that counts the bytes read from it."""

    def __init__(self, data: bytes):
        self._inner, self.bytes_read = io.BytesIO(data), 0

    def readable(self):
        return True

    def seekable(self):
        return True

    def seek(self, offset, whence=0):
        return self._inner.seek(offset, whence)

    def tell(self):
        return self._inner.tell()

    def readinto(self, buffer):
        count = self._inner.readinto(buffer)
        self.bytes_read += count
        return count


def _zeros_member_with_a_lying_size(tmp_path: Path, inflated: int, claimed: int) -> bytes:
    """A zip whose train/happy/x.jpg is `inflated` zeros, its local and central headers claiming `claimed` bytes."""
    path = tmp_path / "lying.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("train/sad/ok.jpg", jpeg_bytes(_small_faces()[0][0]))
        archive.writestr("train/happy/ok.jpg", jpeg_bytes(_small_faces()[0][1]))
        with archive.open("train/happy/x.jpg", "w") as member:
            for _ in range(inflated >> 20):
                member.write(bytes(1 << 20))
    data = bytearray(path.read_bytes())
    for signature, size_at in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = -1
        while (at := data.find(signature, at + 1)) != -1:
            name_at = 30 if signature == b"PK\x03\x04" else 46
            if data[at + name_at: at + name_at + 17] == b"train/happy/x.jpg":
                data[at + size_at: at + size_at + 4] = struct.pack("<I", claimed)
    return bytes(data)


def test_a_photo_that_inflates_far_past_its_stated_size_stops_at_that_size(tmp_path):
    from fer_core.data.image_folder import read_image_zip

    raw = _zeros_member_with_a_lying_size(tmp_path, inflated=64 << 20, claimed=2000)
    source = _CountingFile(raw)
    with pytest.raises(DataError) as caught:
        read_image_zip(zipfile.ZipFile(source), "lying.zip")
    assert str(caught.value).startswith("lying.zip: train/happy/x.jpg cannot be read from the archive (Bad CRC-32")
    assert str(caught.value).endswith("it is damaged. Fix it or choose to skip bad rows.")
    assert source.bytes_read < 50_000 < len(raw) // 1  # of the member's 64 kB of deflated zeros, a few kB were read
    dataset = load_fer2013(_csv(tmp_path, "lying2.zip", raw), skip_bad_rows=True)
    assert len(dataset) == 2 and dataset.skipped_rows[0].startswith("train/happy/x.jpg: ")


def test_a_photo_larger_than_the_photo_cap_is_refused_from_the_directory(tmp_path, monkeypatch):
    from fer_core.data import image_folder

    monkeypatch.setattr(image_folder, "MAX_PHOTO_BYTES", 1_000_000)
    noise = np.random.default_rng(0).integers(0, 256, 2_000_000, dtype=np.uint8).tobytes()  # does not compress
    path = _zip(tmp_path / "big.zip", {"train/happy/huge.jpg": noise, "train/sad/ok.jpg": jpeg_bytes(_small_faces()[0][0])})
    assert _load_error(path) == ("big.zip: train/happy/huge.jpg is 2.0 MB once inflated; this server reads at most "
                                 "1.0 MB of it. Fix it or choose to skip bad rows.")


def test_one_photo_that_is_a_bomb_is_refused_from_the_directory(tmp_path):
    face = jpeg_bytes(_small_faces()[0][0])
    # The archive as a whole passes (many honest photos), the one member does not.
    members = {f"train/sad/{i}.jpg": np.random.default_rng(i).integers(0, 256, 20_000, dtype=np.uint8).tobytes()
               for i in range(100)}
    path = _zip(tmp_path / "one.zip", {"train/happy/x.jpg": bytes(3 << 20), "train/happy/y.jpg": face, **members})
    message = _load_error(path, skip_bad_rows=False)
    assert "train/happy/x.jpg would inflate to 3.1 MB from " in message and "refused as a possible zip bomb" in message


def test_a_photo_too_large_to_decode_is_refused_from_its_header(tmp_path):
    buffer = io.BytesIO()
    Image.new("L", (5000, 5000)).save(buffer, "PNG")  # 25 MP in a few kB
    face = jpeg_bytes(_small_faces()[0][0])
    path = _zip(tmp_path / "huge.zip", {"train/happy/x.png": buffer.getvalue(), "train/happy/y.jpg": face,
                                        "train/sad/z.jpg": face})
    assert _load_error(path) == ("huge.zip: train/happy/x.png is 5000×5000, far larger than a FER2013 face; photos of "
                                 "at most 4096×4096 pixels are read. Fix it or choose to skip bad rows.")


def test_a_zip_of_more_files_than_the_budget_is_refused_before_its_directory_is_read(tmp_path):
    path = _zip(tmp_path / "many.zip", {f"e/{i}": b"" for i in range(11_000)}, zipfile.ZIP_STORED)
    with pytest.raises(DataError) as caught:
        load_fer2013(path, max_load_mb=1)  # 434 faces and 10,000 other files at most
    assert str(caught.value) == "many.zip holds 11,000 files, more than this server loads at once (10,434)."
    assert_cli_error(run_data_cli(path), "holds neither a CSV file nor photos")  # the default budget lets it be read
