import gzip
import io
import zipfile

import numpy as np
import pytest
from conftest import jpeg_bytes, synthetic_faces, write_csv

from fer_core import CLASS_NAMES, DataError, load_fer2013, load_fer2013_bytes


def test_csv_round_trip_keeps_every_face(fer_csv, faces):
    images, labels, usage = faces
    dataset = load_fer2013(fer_csv)
    assert dataset.images.dtype == np.uint8 and dataset.images.shape == (len(labels), 48, 48)
    np.testing.assert_array_equal(dataset.images, images)
    np.testing.assert_array_equal(dataset.labels, labels)
    assert list(dataset.usage) == list(usage)
    assert dataset.class_names == CLASS_NAMES == ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")


def test_gzip_and_plain_give_the_same_dataset(tmp_path, faces):
    plain = load_fer2013(write_csv(tmp_path / "a.csv", *faces))
    packed = load_fer2013(write_csv(tmp_path / "a.csv.gz", *faces, gz=True))
    np.testing.assert_array_equal(plain.images, packed.images)


def test_usage_maps_to_splits(fer_csv):
    dataset = load_fer2013(fer_csv)
    splits = dataset.splits
    assert set(dataset.usage[splits.train]) == {"Training"}
    assert set(dataset.usage[splits.validation]) == {"PublicTest"}
    assert set(dataset.usage[splits.test]) == {"PrivateTest"}
    assert splits.notes == ()


def test_test_split_falls_back_to_validation_and_says_so(tmp_path):
    path = write_csv(tmp_path / "f.csv", *synthetic_faces(usages=("Training", "PublicTest")))
    dataset = load_fer2013(path)
    np.testing.assert_array_equal(dataset.splits.test, dataset.splits.validation)
    assert any("PrivateTest" in note for note in dataset.splits.notes)


def test_no_usage_column_gives_a_seeded_stratified_split(tmp_path):
    images, labels, _ = synthetic_faces(n_per_class=30, usages=("Training",))
    dataset = load_fer2013(write_csv(tmp_path / "train.csv", images, labels))
    first, second = dataset.splits, load_fer2013(tmp_path / "train.csv", cache=False).splits
    np.testing.assert_array_equal(first.test, second.test)
    assert not set(first.train) & set(first.validation) and not set(first.train) & set(first.test)
    assert set(dataset.labels[first.validation]) == set(range(7))
    assert "stratified" in first.notes[0]


def test_kaggle_icml_column_names_with_spaces(tmp_path, faces):
    images, labels, usage = faces
    text = "emotion, Usage, pixels\n" + "".join(
        f"{label},{use},{' '.join(map(str, im.ravel()))}\n" for im, label, use in zip(images, labels, usage))
    (tmp_path / "icml_face_data.csv").write_text(text)
    dataset = load_fer2013(tmp_path / "icml_face_data.csv")
    np.testing.assert_array_equal(dataset.labels, labels)
    assert set(dataset.usage) == {"Training", "PublicTest", "PrivateTest"}


def _image_release(faces):
    images, labels, usage = faces
    for i, (face, label, use) in enumerate(zip(images, labels, usage)):
        top = "train" if use == "Training" else "test"
        yield f"{top}/{CLASS_NAMES[label]}/{use}_{i}.jpg", jpeg_bytes(face)


def test_image_folder_release_as_folder_and_zip(tmp_path, faces):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in _image_release(faces):
            archive.writestr(name, data)
            (tmp_path / "release" / name).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / "release" / name).write_bytes(data)
    (tmp_path / "fer.zip").write_bytes(buffer.getvalue())
    for dataset in (load_fer2013(tmp_path / "release"), load_fer2013(tmp_path / "fer.zip")):
        assert len(dataset) == len(faces[1])
        assert sorted(dataset.labels) == sorted(faces[1])
        assert {"Training", "PublicTest", "PrivateTest"} == set(dataset.usage)
        assert len(dataset.splits.test) == int((faces[2] == "PrivateTest").sum())
        # JPEG is lossy, but a face survives it
        assert np.abs(dataset.images.astype(int).mean() - faces[0].astype(int).mean()) < 3


def test_second_load_comes_from_the_cache(fer_csv, tmp_path):
    first = load_fer2013(fer_csv)
    assert list((tmp_path / "cache").glob("*.npz"))
    second = load_fer2013(fer_csv)
    np.testing.assert_array_equal(first.images, second.images)
    assert second.digest == first.digest


def test_cache_is_keyed_on_content_not_name(tmp_path):
    a = synthetic_faces(seed=1)
    b = synthetic_faces(seed=2)
    path = write_csv(tmp_path / "same_name.csv", *a)
    first = load_fer2013(path)
    write_csv(path, *b)
    second = load_fer2013(path)
    assert not np.array_equal(first.images, second.images)


def test_bad_row_is_named_or_skipped_and_counted(tmp_path, faces):
    images, labels, usage = faces
    text = write_csv(tmp_path / "x.csv", images, labels, usage).read_text().splitlines()
    text[5] = "3,1 2 3,Training"
    (tmp_path / "bad.csv").write_text("\n".join(text) + "\n")
    with pytest.raises(DataError, match="row 5 has 3 pixel values"):
        load_fer2013(tmp_path / "bad.csv")
    dataset = load_fer2013(tmp_path / "bad.csv", skip_bad_rows=True)
    assert len(dataset) == len(labels) - 1 and len(dataset.skipped_rows) == 1


def test_bytes_upload_reads_like_a_file(fer_csv):
    dataset = load_fer2013_bytes(gzip.compress(fer_csv.read_bytes()), "upload.csv.gz")
    assert len(dataset) == len(load_fer2013(fer_csv))
