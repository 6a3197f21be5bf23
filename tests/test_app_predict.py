"""Predict: a photo in, every face boxed with its top-3 emotions, a saliency map and downloads."""

import json
import os
from pathlib import Path

import pytest
from app_fixtures import install_model_run
from streamlit.testing.v1 import AppTest

from ui.sidebar import SEED_MODEL, SHIPPED_MODEL

APP = str(Path(__file__).resolve().parent.parent / "streamlit_app.py")


@pytest.fixture
def model_run(tiny_model):
    return install_model_run(Path(os.environ["FER_RUNS_DIR"]), "20260101-000000-tiny_test", tiny_model)


def test_an_example_photo_gets_its_faces_with_top_3_and_saliency(model_run):
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["model_path"] = str(model_run)
    at.session_state["predict_source"] = "example"
    at.run().switch_page("app_pages/predict.py").run()
    assert not at.exception and not at.error
    assert any(m.value.startswith("**Model:** Run 20260101-000000-tiny_test") for m in at.markdown)
    headings = [m.value for m in at.markdown if m.value.startswith("#### Face")]
    assert headings and headings[0].startswith("#### Face 1: ")  # the astronaut's face
    assert len(at.get("plotly_chart")) == len(headings)  # one top-3 chart per face
    captions = " ".join(str(image.proto) for image in at.image)
    assert "1 face found" in captions and "What made it say" in captions
    assert [b.label for b in at.get("download_button")] == ["Results as CSV", "Results as JSON"]


def test_try_an_example_before_any_upload_shows_the_example_like_an_upload(model_run):
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["model_path"] = str(model_run)
    at.run().switch_page("app_pages/predict.py").run()
    assert not at.exception
    assert at.segmented_control(key="predict_source").value == "upload"
    assert not [m for m in at.markdown if m.value.startswith("#### Face")]  # nothing yet: no photo
    at.button(key="try_example").click().run()
    assert not at.exception and not at.error
    assert at.segmented_control(key="predict_source").value == "example"
    assert [h.value for h in at.subheader][0] == "astronaut.jpg"
    headings = [m.value for m in at.markdown if m.value.startswith("#### Face")]
    assert headings and headings[0].startswith("#### Face 1: ")
    assert "1 face found" in " ".join(str(image.proto) for image in at.image)
    assert [c.value for c in at.caption].count("Top-3: the three emotions the model finds most likely for the face, "
                                               "with their probabilities.") == 1
    assert not [b for b in at.button if b.key == "try_example"]  # the offer is for an empty upload only


def test_the_shipped_model_is_the_default(model_run):
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert at.session_state["model_path"] == str(SHIPPED_MODEL)


def test_without_a_model_the_page_says_how_to_get_one(monkeypatch, tmp_path):
    monkeypatch.setattr("ui.sidebar.SHIPPED_MODEL", tmp_path / "no_shipped_model.keras")
    monkeypatch.setattr("ui.sidebar.SEED_MODEL", tmp_path / "no_seed_model.keras")
    monkeypatch.setattr("ui.sidebar.CPU_JOB_MODEL", tmp_path / "no_cpu_job_model.keras")
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.switch_page("app_pages/predict.py").run()
    assert not at.exception
    assert "no model to predict with yet" in at.info[0].value


def test_the_shipped_model_shows_its_lead_over_the_notebook_baseline():
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.switch_page("app_pages/predict.py").run()
    assert not at.exception
    metrics = {m.label: m for m in at.metric}
    seed = metrics["vs. the notebook's seed_cnn"]
    accuracy = {path: json.loads(path.with_suffix(".json").read_text())["card"]["evaluation"]["accuracy"]
                for path in (SHIPPED_MODEL, SEED_MODEL)}
    lead = (accuracy[SHIPPED_MODEL] - accuracy[SEED_MODEL]) * 100
    assert seed.value == f"{accuracy[SEED_MODEL]:.1%}"
    assert seed.proto.delta == f"{lead:+.1f} points" and lead > 0

    # The baseline itself can be picked, to compare the two on the same photo; it is not compared with itself.
    assert "Notebook baseline (seed_cnn)" in at.selectbox(key="model_path").options
    at.selectbox(key="model_path").set_value(str(SEED_MODEL)).run()
    assert not at.exception
    assert any(m.value.startswith("**Model:** Notebook baseline (seed_cnn)") for m in at.markdown)
    assert "vs. the notebook's seed_cnn" not in [m.label for m in at.metric]
