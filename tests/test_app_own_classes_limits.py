"""Your own classes with too few photos to hold any out are refused where they are chosen (Explore, Home, Train),
with a sentence, instead of being explored and then failing to train ("This data has no validation faces…")."""

from pathlib import Path

import numpy as np
from PIL import Image
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parent.parent / "streamlit_app.py")


def face_crops(root: Path, classes, per_class: int) -> Path:
    """48×48 grey crops, used as they are (no face search), per_class of them in a folder per class."""
    rng = np.random.default_rng(0)
    for name in classes:
        (root / name).mkdir(parents=True)
        for i in range(per_class):
            Image.fromarray(rng.integers(0, 255, (48, 48), dtype=np.uint8)).save(root / name / f"{i}.png")
    return root


def page(path: str, data: Path) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["data_source"], at.session_state["data_path"] = "server", str(data)
    at.run()
    return at.switch_page(path).run()


def test_fifty_classes_of_three_photos_are_refused_at_explore_with_a_sentence(tmp_path, monkeypatch):
    monkeypatch.setenv("FER_DATA_DIRS", str(tmp_path))
    data = face_crops(tmp_path / "classes", [f"class{i:02d}" for i in range(50)], per_class=3)
    for path in ("app_pages/explore.py", "app_pages/train.py"):
        at = page(path, data)
        assert not at.exception
        assert [error.value for error in at.error] == [
            f"{data}: no class has enough photos to hold some out for validation: a class needs at least 5 photos "
            "with a face (one to validate on, one to test on), and the largest here, class00, has 3. Add photos so "
            "that each class has at least 5."]


def test_five_photos_a_class_are_enough(tmp_path, monkeypatch):
    monkeypatch.setenv("FER_DATA_DIRS", str(tmp_path))
    at = page("app_pages/explore.py", face_crops(tmp_path / "classes", ["calm", "tired"], per_class=5))
    assert not at.exception and not at.error
    assert {metric.label: metric.value for metric in at.metric}["Faces"] == "10"


def test_folders_that_differ_only_in_capitals_or_spaces_are_refused_not_merged(tmp_path):
    import pytest

    from fer_core.data.dataset import load_fer2013
    from fer_core.errors import DataError

    data = face_crops(tmp_path / "classes", ["Eyes_closed", "eyes_closed", "eyes_closed ", "tongue_out"], per_class=5)
    with pytest.raises(DataError, match=r"^classes: the class folders 'Eyes_closed', 'eyes_closed', 'eyes_closed ' differ only in "
                                        r"capitals or spaces, so they would be one class; merge them"):
        load_fer2013(data)


def test_the_same_class_under_train_and_test_is_still_one_class(tmp_path):
    from fer_core.data.dataset import load_fer2013

    face_crops(tmp_path / "classes" / "train", ["Eyes_closed", "tongue_out"], per_class=5)
    face_crops(tmp_path / "classes" / "test", ["eyes_closed", "tongue_out"], per_class=2)
    assert [n.casefold() for n in load_fer2013(tmp_path / "classes").class_names] == ["eyes_closed", "tongue_out"]
