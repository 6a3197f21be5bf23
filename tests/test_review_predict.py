"""One Predict upload is one rerun: the photo decoded once, the model's NAME.json read once, the runs folder scanned
once and the settings built once; a face keeps its class index; the detector's framing and windows are its own."""

import os
from pathlib import Path

import pytest
import streamlit as st
from app_fixtures import install_model_run
from PIL import Image
from streamlit.testing.v1 import AppTest

from fer_core.prediction import face_detection, predictor
from fer_core.prediction.face_classifier import FaceClassifier
from fer_core.prediction.model_contract import read_model_info
from fer_core.prediction.photos import load_image
from fer_core.prediction.predictor import Predictor

APP = str(Path(__file__).resolve().parent.parent / "streamlit_app.py")
ASTRONAUT = Path(__file__).resolve().parent.parent / "assets" / "examples" / "astronaut.jpg"


def counting(monkeypatch, target: str) -> list:
    """Patch `target` (module.attribute) with a wrapper that records each call; returns the list of calls."""
    module_name, name = target.rsplit(".", 1)
    module = __import__(module_name, fromlist=[name])
    original = getattr(module, name)
    calls = []

    def wrapper(*args, **kwargs):
        calls.append(args)
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, wrapper)
    return calls


def test_a_decoded_photo_is_not_decoded_again_and_gets_the_same_faces(tiny_model, monkeypatch):
    model = Predictor(tiny_model)
    photo = ASTRONAUT.read_bytes()
    from_bytes = model.predict(photo)
    image = load_image(photo)
    decodes = counting(monkeypatch, "fer_core.prediction.photos._decode")
    from_image = model.predict(image)
    assert decodes == []
    assert from_image.to_dict() == from_bytes.to_dict() and from_image.faces


def test_a_face_keeps_its_class_index_and_its_json_is_unchanged(tiny_model):
    model = Predictor(tiny_model)
    result = model.predict(ASTRONAUT.read_bytes())
    assert result.faces
    for face in result.faces:
        assert model.class_names[face.class_index] == face.label
        assert set(face.to_dict()) == {"box", "top_k", "probabilities", "fallback"}


def test_the_classifier_takes_a_contract_already_read(tiny_model, monkeypatch):
    info = read_model_info(tiny_model)
    reads = counting(monkeypatch, "fer_core.prediction.face_classifier.read_model_info")
    classifier = FaceClassifier(tiny_model, info)
    assert reads == [] and classifier.info is info
    FaceClassifier(tiny_model)
    assert len(reads) == 1


def test_the_framing_is_the_detectors_and_the_predictor_cuts_by_it():
    assert predictor.FACE_MARGIN is face_detection.FACE_MARGIN
    assert face_detection.FACE_MARGIN == 1.2


@pytest.mark.parametrize("size, passes", [((640, 480), 1), ((2048, 2048), 5)])
def test_the_detectors_public_windows_are_the_passes_it_makes(size, passes, monkeypatch):
    image = Image.new("RGB", size, "grey")
    pixels = face_detection.search_pixels(image)
    assert max(pixels.shape[:2]) == (max(size) if max(size) <= face_detection.TILE_ABOVE_SIDE
                                     else face_detection.DETECT_MAX_SIDE)
    windows = face_detection.search_windows(size)
    assert len(windows) == passes and windows[0] == (0, 0, max(pixels.shape[:2]))
    searched = []
    monkeypatch.setattr(face_detection._BlazeFace, "_detect_window",
                        lambda self, pixels, *window: searched.append(window) or [])
    face_detection.detect_faces(image)
    assert searched[:passes] == windows  # then the fallbacks' canvases, for a photo with no face
    assert face_detection.detect_in_window(pixels, windows[0]) == []


def test_the_detector_finds_a_face_in_one_window_as_detect_faces_does():
    image = load_image(ASTRONAUT)
    pixels = face_detection.search_pixels(image)
    found = face_detection.detect_in_window(pixels, face_detection.search_windows(image.size)[0])
    assert found and all(len(box) == 8 and 0 <= score <= 1 for box, score in found)


@pytest.fixture
def model_run(tiny_model):
    return install_model_run(Path(os.environ["FER_RUNS_DIR"]), "20260101-000000-tiny_test", tiny_model)


def test_one_predict_rerun_decodes_the_photo_once_and_reads_each_thing_once(model_run, monkeypatch):
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["model_path"] = str(model_run)
    at.session_state["predict_source"] = "example"
    at.run().switch_page("app_pages/predict.py")
    st.cache_data.clear()  # the Home page's example warmed them
    st.cache_resource.clear()
    decodes = counting(monkeypatch, "fer_core.prediction.photos._decode")
    contract_reads = counting(monkeypatch, "ui.cached.read_model_info")
    scans = counting(monkeypatch, "ui.sidebar.list_runs")
    settings_built = counting(monkeypatch, "ui.sidebar.load_settings")
    at.run()
    assert not at.exception and not at.error
    assert [m.value for m in at.markdown if m.value.startswith("#### Face")]
    assert len(decodes) == 1 and len(scans) == 1 and len(settings_built) == 1
    # The chosen model's NAME.json only: the tiny model's card has no scores, so no baseline is read to compare with.
    assert [Path(args[0]) for args in contract_reads] == [model_run]
    decodes.clear(), contract_reads.clear(), scans.clear(), settings_built.clear()
    at.run()  # the next rerun: everything cached but the photo, decoded again to draw its boxes
    assert not at.exception
    assert (len(decodes), len(contract_reads), len(scans), len(settings_built)) == (1, 0, 1, 1)

