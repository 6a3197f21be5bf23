"""Your own classes, the data half: photos sorted into one folder per class (or train/ and test/ folders of them), as
a folder or a zip, load with the folders' class names; faces are found in photos and framed as the Predictor frames
them, crops are used as they are, and every way such a folder can be wrong gets a sentence."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import pytest
from cli_fixtures import run_data_cli
from own_classes_fixtures import make_face_photo_folder, zip_folder
from PIL import Image
from streamlit.testing.v1 import AppTest

from fer_core import CLASS_NAMES, DataError, load_fer2013, load_fer2013_bytes
from fer_core.data import dataset as dataset_module
from fer_core.data.balance import balanced_class_counts
from fer_core.data.quality import class_mean_faces

APP = str(Path(__file__).resolve().parent.parent / "streamlit_app.py")
OWN = ("eyes_closed", "smile", "tongue_out")  # the fixture's classes, sorted


@pytest.fixture(scope="module")
def photo_folder(tmp_path_factory) -> Path:
    """The fixture's default: 3 classes × 20 photos with a face, one folder per class."""
    return make_face_photo_folder(tmp_path_factory.mktemp("photos") / "myfaces")


def _load_error(source, **options) -> str:
    with pytest.raises(DataError) as caught:
        load_fer2013(source, **options)
    return str(caught.value)


def _write_crops(root: Path, classes, per_class: int = 3, side: int = 48) -> Path:
    """48×48 grey PNG crops, each class its own grey level, as FER2013's image release holds them."""
    for k, name in enumerate(classes):
        (root / name).mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            face = np.full((side, side), 10 + 3 * k, np.uint8) + np.arange(side, dtype=np.uint8)[:, None] + i
            Image.fromarray(face).save(root / name / f"{i}.png")
    return root


def _gradient_jpeg(path: Path) -> Path:
    """A 200×200 photo with no face in it."""
    ramp = np.linspace(0, 255, 200, dtype=np.uint8)
    Image.fromarray(np.stack([np.tile(ramp, (200, 1))] * 3, axis=2)).save(path, quality=90)
    return path


def test_a_folder_per_class_loads_with_its_class_names_and_a_face_in_every_photo(photo_folder):
    dataset = load_fer2013(photo_folder)
    assert dataset.class_names == OWN and dataset.num_classes == 3
    assert dataset.class_counts().tolist() == [20, 20, 20]
    assert dataset.photos_without_face == [] and dataset.skipped_rows == []  # the detector found every face
    assert dataset.images.shape == (60, 48, 48) and dataset.images.dtype == np.uint8
    for split, counts in dataset.counts_by_split().items():
        assert (counts >= 1).all(), split  # every class is trained, validated and tested
    assert sum(c.sum() for c in dataset.counts_by_split().values()) == 60  # no face in two splits
    assert dataset.notes[0].startswith("The photos are not split into train/ and test/ folders: a stratified split")
    assert dataset.splits.notes == ()
    # the class count travels to balancing and the mean faces
    assert balanced_class_counts(dataset.labels[dataset.splits.train], "oversample", dataset.num_classes).shape == (3,)
    assert class_mean_faces(dataset.images, dataset.labels, dataset.num_classes).shape == (3, 48, 48)


def test_the_classes_look_different(photo_folder):
    """The fixture's promise to the tests that train on it: each class's faces sit nearer its own mean face."""
    dataset = load_fer2013(photo_folder)
    means = class_mean_faces(dataset.images, dataset.labels, 3).astype(float)
    distances = ((dataset.images[:, None].astype(float) - means[None]) ** 2).mean(axis=(2, 3))
    assert (distances.argmin(axis=1) == dataset.labels).mean() > 0.9


def test_the_same_photos_as_a_zip_with_or_without_a_wrapping_folder(photo_folder):
    from_folder = load_fer2013(photo_folder)
    for top in ("myfaces", ""):
        dataset = load_fer2013_bytes(zip_folder(photo_folder, top), "myfaces.zip", cache=False)
        assert dataset.class_names == OWN
        np.testing.assert_array_equal(dataset.images, from_folder.images)
        np.testing.assert_array_equal(dataset.labels, from_folder.labels)
        assert list(dataset.usage) == list(from_folder.usage)  # the split is the same, fixed seed


def test_train_and_test_folders_keep_their_split(tmp_path):
    root = make_face_photo_folder(tmp_path / "split", classes=("yes", "No"), per_class=8, layout="train_test")
    dataset = load_fer2013(root)
    assert dataset.class_names == ("No", "yes")  # sorted without regard to case, written as the folders are
    counts = dataset.counts_by_split()
    assert counts["train"].tolist() == [6, 6] and counts["validation"].tolist() == [2, 2]
    assert set(dataset.usage) == {"Training", "PublicTest"}


def test_folders_named_after_fer2013_emotions_keep_fer2013_order(tmp_path):
    shuffled = ["Surprise", "angry", "HAPPY", "neutral", "disgust ", "sad", "fear"]
    dataset = load_fer2013(_write_crops(tmp_path / "fer", shuffled, per_class=2))
    assert dataset.class_names == CLASS_NAMES
    assert dataset.class_counts().tolist() == [2] * 7
    angry = np.isin(dataset.images[:, 0, 0], [13, 14])  # _write_crops: class 1, photos 0 and 1
    assert dataset.labels[angry].tolist() == [CLASS_NAMES.index("angry")] * 2

    part = load_fer2013(_write_crops(tmp_path / "part", ["sad", "happy"]))  # part of FER2013 keeps its labels
    assert part.class_names == CLASS_NAMES and part.class_counts().tolist() == [0, 0, 0, 3, 3, 0, 0]


def test_one_class_folder_is_refused_with_a_sentence(tmp_path):
    message = _load_error(_write_crops(tmp_path / "one", ["tongue_out"]))
    assert message == ("one has only one class folder, 'tongue_out': a classifier needs at least two, so add a folder "
                       "of photos for each other class.")


def test_more_than_fifty_classes_are_refused_with_a_sentence(tmp_path):
    root = _write_crops(tmp_path / "many", [f"class {k:02d}" for k in range(51)], per_class=1)
    assert _load_error(root) == ("many has 51 class folders; FER Studio trains on at most 50 classes, so merge or "
                                 "remove some.")
    (root / "class 50" / "0.png").unlink()
    (root / "class 50").rmdir()
    assert load_fer2013(root).num_classes == 50


def test_an_empty_class_folder_is_named(tmp_path):
    root = _write_crops(tmp_path / "faces", ["tongue_out", "smile"])
    (root / "eyes_closed").mkdir()
    assert _load_error(root) == "faces: the class folder eyes_closed holds no photos; add photos to it or remove it."
    (root / "eyes_closed" / "notes.txt").write_text("photos to come")  # still no photo
    assert "the class folder eyes_closed holds no photos" in _load_error(root)
    members = {f"faces/{p.relative_to(root).as_posix()}": p.read_bytes() for p in root.rglob("*") if p.is_file()}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
        archive.writestr("faces/wink/", b"")  # a folder entry, as zip tools write one for an empty folder
    with pytest.raises(DataError) as caught:
        load_fer2013_bytes(buffer.getvalue(), "faces.zip", cache=False)
    assert str(caught.value) == ("faces.zip: the class folders faces/eyes_closed, faces/wink hold no photos; add photos "
                                 "to them or remove them.")


def test_files_that_are_not_photos_and_hidden_files_are_ignored(tmp_path):
    root = _write_crops(tmp_path / "faces", ["tongue_out", "eyes_closed"])
    (root / "README.txt").write_text("my classes")
    (root / "tongue_out" / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
    (root / "tongue_out" / "._0.png").write_bytes(b"AppleDouble, not a png")
    (root / "__MACOSX" / "tongue_out").mkdir(parents=True)
    (root / "__MACOSX" / "tongue_out" / "._1.png").write_bytes(b"AppleDouble, not a png")
    (root / ".thumbnails").mkdir()
    (root / ".thumbnails" / "x.jpg").write_bytes(b"not read")
    dataset = load_fer2013(root)
    assert dataset.class_names == ("eyes_closed", "tongue_out") and len(dataset) == 6 and dataset.skipped_rows == []


def test_a_photo_without_a_face_is_skipped_counted_and_named(tmp_path, photo_folder):
    root = make_face_photo_folder(tmp_path / "faces", per_class=6)
    _gradient_jpeg(root / "eyes_closed" / "gradient.jpg")
    _gradient_jpeg(root / "tongue_out" / "wall.jpg")
    dataset = load_fer2013(root)
    assert len(dataset) == 18 and dataset.photos_without_face == ["eyes_closed/gradient.jpg", "tongue_out/wall.jpg"]
    assert "2 photos had no face and were skipped: eyes_closed/gradient.jpg, tongue_out/wall.jpg." in dataset.notes
    result = run_data_cli(root)
    assert result.returncode == 0, result.stderr
    assert "note: 2 photos had no face and were skipped: eyes_closed/gradient.jpg, tongue_out/wall.jpg." in result.stdout
    assert "3 classes" in result.stdout and "smile" in result.stdout


def test_a_class_in_which_no_face_is_found_is_refused(tmp_path):
    root = _write_crops(tmp_path / "faces", ["tongue_out", "smile"])
    (root / "eyes_closed").mkdir()
    _gradient_jpeg(root / "eyes_closed" / "gradient.jpg")
    assert "no face was found in the photos of eyes_closed" in _load_error(root)


def test_an_unreadable_photo_is_named_or_skipped(tmp_path):
    root = _write_crops(tmp_path / "faces", ["tongue_out", "eyes_closed"])
    (root / "eyes_closed" / "broken.jpg").write_bytes(b"this is text, named .jpg")
    message = _load_error(root)
    assert message.startswith("faces: eyes_closed/broken.jpg is not a readable image (")
    assert message.endswith("Fix it or choose to skip bad rows.")
    dataset = load_fer2013(root, skip_bad_rows=True)
    assert len(dataset) == 6 and len(dataset.skipped_rows) == 1
    assert dataset.skipped_rows[0].startswith("eyes_closed/broken.jpg: ")


def test_a_photo_cut_short_is_named(tmp_path, photo_folder):
    root = _write_crops(tmp_path / "faces", ["tongue_out", "eyes_closed"])
    whole = (photo_folder / "eyes_closed" / "eyes_closed_000.jpg").read_bytes()
    (root / "eyes_closed" / "cut.jpg").write_bytes(whole[: len(whole) // 3])
    assert "eyes_closed/cut.jpg is not an image FER Studio can read" in _load_error(root)


def test_face_crops_are_used_as_they_are_without_detection(tmp_path, monkeypatch):
    def no_detection(image):
        raise AssertionError("a 48×48 crop must not be searched for a face")

    monkeypatch.setattr("fer_core.prediction.face_detection.detect_faces", no_detection)
    root = _write_crops(tmp_path / "faces", ["tongue_out", "eyes_closed"])
    Image.fromarray(np.full((60, 56), 99, np.uint8)).save(root / "eyes_closed" / "thumbnail.png")  # small, near square
    dataset = load_fer2013(root)
    assert len(dataset) == 7 and dataset.photos_without_face == []
    crop = np.asarray(Image.open(root / "tongue_out" / "1.png"))
    assert any(np.array_equal(face, crop) for face in dataset.images)  # pixel for pixel
    assert (dataset.images[dataset.images[:, 0, 0] == 99] == 99).all()  # the thumbnail, resized to 48×48


def test_the_cache_keeps_the_class_names_and_notes(tmp_path, photo_folder, monkeypatch):
    raw = zip_folder(photo_folder)
    first = load_fer2013_bytes(raw, "myfaces.zip")
    assert list((tmp_path / "cache").glob("*.npz"))

    def no_parse(*args):
        raise AssertionError("the second load must come from the cache")

    monkeypatch.setattr(dataset_module, "_parse", no_parse)
    second = load_fer2013_bytes(raw, "myfaces.zip")
    assert second.class_names == first.class_names == OWN
    assert second.notes == first.notes and second.photos_without_face == first.photos_without_face
    np.testing.assert_array_equal(second.images, first.images)
    assert list(second.usage) == list(first.usage)


def test_a_fer2013_csv_keeps_fer2013_classes_through_the_cache(fer_csv):
    load_fer2013(fer_csv)
    assert load_fer2013(fer_csv).class_names == CLASS_NAMES


def test_explore_and_home_show_the_data_own_classes(tmp_path, monkeypatch, photo_folder):
    monkeypatch.setenv("FER_DATA_DIRS", str(photo_folder.parent))
    at = AppTest.from_file(APP, default_timeout=90)
    at.session_state["data_source"] = "server"
    at.session_state["data_path"] = str(photo_folder)
    at.run()
    assert not at.exception
    assert any("Its own 3 classes, not FER2013's emotions: eyes_closed, smile, tongue_out." in m.value for m in at.markdown)

    at.switch_page("app_pages/explore.py").run()
    assert not at.exception and not at.error
    text = [m.value for m in at.markdown]
    assert any("60 faces of 48×48 grey pixels in 3 classes: eyes_closed, smile, tongue_out." in t for t in text)
    for name in OWN:
        assert f"**{name}** · 20 faces in all splits" in text
    assert any("stratified split with seed 0" in c.value for c in at.caption)
    assert {m.label: m.value for m in at.metric}["Imbalance"] == "1.0×"
