"""Your own classes, end to end: a folder of photos with faces in three made-up classes trains (by default from the
shipped model's features), and the CLI, Predict and the model picker answer in those classes."""

import json
from pathlib import Path

import pytest
from cli_fixtures import run_fer_core
from own_classes_fixtures import make_face_photo_folder
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "streamlit_app.py")
CLASSES = ("eyes_closed", "smile", "tongue_out")


@pytest.fixture(scope="module")
def own_classes_run(tmp_path_factory):
    """`python -m fer_core train --data FOLDER` with the defaults (10 epochs to keep the test short)."""
    root = tmp_path_factory.mktemp("own")
    folder = make_face_photo_folder(root / "photos", classes=CLASSES, per_class=20)
    result = run_fer_core("train", "--data", folder, "--epochs", "10", "--out", root / "runs", timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    run_dir = Path(result.stdout.strip().splitlines()[-1].split("run folder: ")[1])
    return folder, run_dir


def test_the_cli_trains_a_new_head_on_the_shipped_model_for_own_classes(own_classes_run):
    _, run_dir = own_classes_run
    card = json.loads((run_dir / "model.json").read_text())
    assert card["contract"]["class_names"] == list(CLASSES)
    assert card["card"]["transfer"] == "head" and card["architecture"].endswith("+ new head")
    assert card["card"]["teacher"] is None  # the shipped model knows other classes: it is the base, not a teacher
    evaluation = json.loads((run_dir / "evaluation.json").read_text())
    assert evaluation["class_names"] == list(CLASSES) and evaluation["n"] >= len(CLASSES)
    # smile_003.jpg names its class, not a person: split one by one, and the figure says it is optimistic
    caveat = "Optimistic: the photos were split one by one, so the same person may be in train and test."
    assert card["card"]["evaluation"]["caveats"] == evaluation["caveats"] == [caveat]
    assert evaluation["data"] == "photos" and len(evaluation["faces_sha1"]) == 40
    status = json.loads((run_dir / "status.json").read_text())
    assert f"macro F1 {evaluation['macro_f1']:.3f}. {caveat}" in status["message"]  # what the CLI prints


def test_the_cli_predicts_those_classes(own_classes_run):
    folder, run_dir = own_classes_run
    photo = sorted((folder / "smile").iterdir())[0]
    result = run_fer_core("predict", "--model", run_dir / "model.keras", photo, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    face = json.loads(result.stdout)[0]["faces"][0]
    assert set(face["probabilities"]) == set(CLASSES)
    assert [item["label"] for item in face["top_k"]] and {item["label"] for item in face["top_k"]} <= set(CLASSES)


def test_predict_answers_in_own_classes(own_classes_run, monkeypatch):
    folder, run_dir = own_classes_run
    monkeypatch.setenv("FER_RUNS_DIR", str(run_dir.parent))
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["model_path"] = str(run_dir / "model.keras")
    at.session_state["predict_source"] = "example"
    at.run().switch_page("app_pages/predict.py").run()
    assert not at.exception and not at.error
    assert any("Its own classes: eyes_closed, smile, tongue_out." in c.value for c in at.caption)
    headings = [m.value for m in at.markdown if m.value.startswith("#### Face")]
    assert headings and any(name in headings[0] for name in CLASSES)
    assert all(metric.label != "vs. the notebook's seed_cnn" for metric in at.metric)  # other classes: no comparison
    picker = at.sidebar.selectbox(key="model_path")
    assert any("eyes_closed, smile, tongue_out" in option for option in picker.options)


def test_the_train_page_starts_own_classes_from_the_shipped_model(own_classes_run, monkeypatch, tmp_path):
    import zipfile

    folder, _ = own_classes_run
    archive = tmp_path / "faces.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        for photo in folder.rglob("*.jpg"):
            bundle.write(photo, photo.relative_to(folder.parent))
    monkeypatch.setenv("FER_DATA_DIRS", str(tmp_path))
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.sidebar.radio(key="data_source").set_value("server").run()
    at.sidebar.text_input(key="data_path").set_value(str(archive)).run()
    at.switch_page("app_pages/train.py").run()
    assert not at.exception
    assert at.radio(key="train_transfer").value == "head"
    assert at.selectbox(key="train_arch").disabled
    assert "train_distill" not in [box.key for box in at.checkbox]  # the shipped model is the start, not a teacher
    assert any("Classes: eyes_closed, smile, tongue_out (3)." in c.value for c in at.caption)
