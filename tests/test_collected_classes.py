"""Classes collected from the camera (fer_core.data.collected_classes): what is stored where, the names refused, the
caps, deleting, and that the folder trains like any folder of class folders."""

import os
import re
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fer_core.data.collected_classes import CLASSES_FOLDER, MIN_PHOTOS_PER_CLASS, CollectedClasses, check_class_name
from fer_core.data.dataset import load_fer2013
from fer_core.errors import CollectionError, ImageError

ASSETS = Path(__file__).resolve().parent / "assets"
FACE = (ASSETS / "astronaut.jpg").read_bytes()
NO_FACE = (ASSETS / "coffee.jpg").read_bytes()
SESSION = "0123456789abcdef"


def collection(tmp_path, **limits) -> CollectedClasses:
    return CollectedClasses(tmp_path / "uploads", SESSION, **limits)


def test_a_photo_is_stored_as_its_framed_face_in_the_sessions_class_folder(tmp_path):
    classes = collection(tmp_path)
    assert classes.add_class("  smile ") == "smile"
    added = classes.add_photo("smile", FACE)
    assert added.path == tmp_path / "uploads" / f"camera-{SESSION}" / CLASSES_FOLDER / "smile" / "001.png"
    assert added.faces_in_picture == 1
    with Image.open(added.path) as face:
        assert face.size == (48, 48) and face.mode == "L"  # only the face, not the room behind it
    # A camera frame (an RGB array, as the burst takes them) goes the same way.
    frame = np.asarray(Image.open(ASSETS / "astronaut.jpg").convert("RGB"))
    assert classes.add_photo("smile", frame).path.name == "002.png"
    assert classes.counts() == {"smile": 2}


def test_a_picture_without_a_face_or_not_a_picture_is_refused_and_not_stored(tmp_path):
    classes = collection(tmp_path)
    classes.add_class("smile")
    with pytest.raises(CollectionError, match="No face was found in that picture"):
        classes.add_photo("smile", NO_FACE)
    with pytest.raises(ImageError):
        classes.add_photo("smile", b"not a picture")
    assert classes.counts() == {"smile": 0}
    assert not any(p.is_file() for p in classes.entry.rglob("*"))


@pytest.mark.parametrize("typed, sentence", [
    ("", "Type a name for the class"),
    ("   ", "Type a name for the class"),
    ("a/b", "cannot hold '/'"),
    ("a\\b", "cannot hold '/'"),
    ("tab\there", "control characters"),
    ("..", "cannot start with '.' or hold '..'"),
    ("x..y", "cannot start with '.' or hold '..'"),
    (".hidden", "cannot start with '.'"),
    ("x" * 41, "at most 40 characters; this one has 41"),
    ("Train", "names a split of a dataset"),
    ("__MACOSX", "the folder macOS zips hide their extras in"),
    ("test", "names a split of a dataset"),
    ("Happy", "one of FER2013's seven emotions"),
    ("SMILE", "There is already a class called SMILE"),
])
def test_class_names_that_cannot_be_a_class_folder_are_refused_with_a_sentence(typed, sentence):
    with pytest.raises(CollectionError, match=re.escape(sentence)):
        check_class_name(typed, existing=["smile"])


def test_names_are_kept_as_typed_and_listed_as_the_dataset_orders_them(tmp_path):
    classes = collection(tmp_path)
    for name in ("tongue out", "Eyes closed", "smile 🙂", "[x](javascript:alert)"):
        classes.add_class(name)
    assert classes.class_names() == ["[x](javascript:alert)", "Eyes closed", "smile 🙂", "tongue out"]
    with pytest.raises(CollectionError, match="already a class called EYES CLOSED"):
        classes.add_class("EYES CLOSED")


def test_deleting_a_photo_and_a_class(tmp_path):
    classes = collection(tmp_path)
    classes.add_class("smile")
    classes.add_class("wink")
    for _ in range(3):
        classes.add_photo("smile", FACE)
    before = classes.modified()
    time.sleep(0.01)
    classes.delete_photo("smile", "003.png")
    assert classes.modified() > before  # the loaded data's caches are keyed on it
    assert [p.name for p in classes.photos("smile")] == ["001.png", "002.png"]
    classes.delete_photo("smile", "001.png")
    assert classes.add_photo("smile", FACE).path.name == "003.png"  # one past the highest left
    with pytest.raises(CollectionError, match="not a photo of this collection"):
        classes.delete_photo("smile", "../../escape.png")
    with pytest.raises(CollectionError, match="not a class of this collection"):
        classes.delete_class("..")
    classes.delete_class("smile")
    assert classes.counts() == {"wink": 0}
    with pytest.raises(CollectionError, match="no class called smile any more"):
        classes.add_photo("smile", FACE)
    classes.delete_all()
    assert not classes.entry.exists() and classes.counts() == {}


def test_a_collection_keeps_at_most_its_photos_and_bytes(tmp_path):
    classes = collection(tmp_path, max_photos=2)
    classes.add_class("smile")
    classes.add_photo("smile", FACE)
    classes.add_photo("smile", FACE)
    with pytest.raises(CollectionError, match="holds its most photos, 2; delete some"):
        classes.add_photo("smile", FACE)
    classes.delete_photo("smile", "001.png")
    classes.add_photo("smile", FACE)  # room again

    small = CollectedClasses(tmp_path / "other", SESSION, max_bytes=3_000)
    small.add_class("smile")
    small.add_photo("smile", FACE)  # about 1.8 kB
    with pytest.raises(CollectionError, match="holds its most data"):
        small.add_photo("smile", FACE)
    assert small.counts() == {"smile": 1}


def test_the_uploads_store_stays_within_its_bytes_evicting_the_oldest_but_never_this_collection(tmp_path):
    uploads = tmp_path / "uploads"
    for age, name in ((300, "old-upload"), (200, "needed-upload"), (100, "newer-upload")):
        (uploads / name).mkdir(parents=True)
        (uploads / name / "data.csv").write_bytes(b"x" * 10_000)
        os.utime(uploads / name, (time.time() - age, time.time() - age))
    classes = CollectedClasses(uploads, SESSION, store_max_bytes=13_000,
                               needed=lambda: [uploads / "needed-upload"])
    classes.add_class("smile")
    classes.add_photo("smile", FACE)
    left = sorted(p.name for p in uploads.iterdir())
    assert left == ["camera-" + SESSION, "needed-upload"]  # the run's data and this collection stay


def test_not_ready_until_two_classes_have_enough_photos_each(tmp_path):
    classes = collection(tmp_path)
    assert "at least two classes: you have 0" in classes.not_ready_reason()
    classes.add_class("smile")
    classes.add_class("eyes closed")
    for _ in range(MIN_PHOTOS_PER_CLASS):
        classes.add_photo("smile", FACE)
    assert classes.not_ready_reason() == (
        f"Each class needs at least {MIN_PHOTOS_PER_CLASS} photos (one is kept to validate on, one to test on); "
        "take more of: eyes closed (0), or delete the class.")
    face = np.asarray(Image.open(ASSETS / "astronaut.jpg").convert("RGB"))[:, ::-1]  # mirrored: another pose
    for _ in range(MIN_PHOTOS_PER_CLASS):
        classes.add_photo("eyes closed", face)
    assert classes.not_ready_reason() is None

    dataset = load_fer2013(classes.folder)  # what Train trains on, as any folder of class folders
    assert dataset.class_names == ("eyes closed", "smile")
    assert len(dataset) == 2 * MIN_PHOTOS_PER_CLASS and len(dataset.splits.validation) >= 2


def test_a_session_id_is_hex_so_it_can_never_climb_out_of_the_store(tmp_path):
    with pytest.raises(ValueError):
        CollectedClasses(tmp_path, "../../etc")


def test_collections_of_ended_sessions_are_deleted_after_an_idle_hour_unless_a_run_trains_on_them(tmp_path):
    from fer_core.data.collected_classes import forget_ended_collections

    uploads = tmp_path / "uploads"
    sessions = {"aaaaaaaa": "open, idle", "bbbbbbbb": "ended, idle", "cccccccc": "ended, used now",
                "dddddddd": "ended, idle, a run trains on it"}
    for session, state in sessions.items():
        classes = CollectedClasses(uploads, session)
        classes.add_class("smile")
        if "idle" in state and "used now" not in state:
            os.utime(classes.entry, (time.time() - 7200, time.time() - 7200))
    (uploads / "an-upload").mkdir()  # not a collection: never touched here
    deleted = forget_ended_collections(uploads, still_open=lambda session: session == "aaaaaaaa",
                                       needed=[uploads / "camera-dddddddd"])
    assert deleted == ["camera-bbbbbbbb"]
    assert sorted(p.name for p in uploads.iterdir()) == ["an-upload", "camera-aaaaaaaa", "camera-cccccccc",
                                                         "camera-dddddddd"]
