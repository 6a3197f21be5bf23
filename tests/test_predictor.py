"""Predictor and FaceClassifier with a tiny real model: photos in, ranked emotions per face out, by the contract."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fer_core.data.fer2013 import CLASS_NAMES
from fer_core.errors import FERError, ImageError, ModelError
from fer_core.prediction.face_classifier import BATCH, FaceClassifier
from fer_core.prediction.model_contract import ModelInfo, write_model_info
from fer_core.prediction.predictor import (
    FOUND_AFTER_PADDING,
    FOUND_BY_CASCADE,
    FOUND_BY_SECOND_MODEL,
    NO_FACE,
    NO_FACE_CENTRE_USED,
    Predictor,
)

ASSETS = Path(__file__).parent / "assets"
REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def predictor(tiny_model) -> Predictor:
    return Predictor(tiny_model)


@pytest.fixture(scope="module")
def random_faces() -> np.ndarray:
    return np.random.default_rng(3).integers(0, 256, (2 * BATCH + 5, 48, 48), dtype=np.uint8)


# --- one photo ---

def test_one_face_with_ranked_emotions(predictor):
    result = predictor.predict(ASSETS / "astronaut.jpg")
    assert result.message == "" and result.image_size == (512, 512)
    [face] = result.faces
    x, y, w, h = face.box
    assert 150 < x < 200 and 40 < y < 100 and 90 < w < 130
    assert len(face.top_k) == 3
    assert [p for _, p in face.top_k] == sorted((p for _, p in face.top_k), reverse=True)
    assert set(face.probabilities) == set(CLASS_NAMES)
    assert sum(face.probabilities.values()) == pytest.approx(1, abs=1e-4)
    assert face.top_k[0] == max(face.probabilities.items(), key=lambda item: item[1])
    assert face.label == face.top_k[0][0]
    assert face.crop.shape == (48, 48) and face.crop.dtype == np.uint8


def test_the_crop_is_what_the_model_saw(predictor):
    [face] = predictor.predict(ASSETS / "astronaut.jpg").faces
    direct = predictor.predict_crops(face.crop[None])[0]
    assert np.allclose(direct, [face.probabilities[name] for name in CLASS_NAMES], atol=1e-6)


def test_top_k_is_an_argument(predictor):
    assert len(predictor.predict(ASSETS / "astronaut.jpg", top_k=1).faces[0].top_k) == 1
    assert len(predictor.predict(ASSETS / "astronaut.jpg", top_k=10).faces[0].top_k) == 7
    with pytest.raises(FERError):
        predictor.predict(ASSETS / "astronaut.jpg", top_k=0)


def test_no_face_gives_an_empty_list_and_a_reason(predictor):
    result = predictor.predict(ASSETS / "coffee.jpg")
    assert result.faces == [] and result.message == NO_FACE


def test_no_face_can_fall_back_to_the_centre_square(predictor):
    result = predictor.predict(ASSETS / "coffee.jpg", whole_image_if_no_face=True)
    assert result.message == NO_FACE_CENTRE_USED
    [face] = result.faces
    assert face.box == (100, 0, 400, 400)


def test_a_face_that_fills_the_photo_is_found_and_the_result_says_how(predictor):
    tight = Image.open(ASSETS / "astronaut.jpg").convert("L").crop((180, 75, 273, 168)).resize((300, 300), Image.BICUBIC)
    result = predictor.predict(tight)
    assert result.message == FOUND_AFTER_PADDING
    [face] = result.faces
    assert face.fallback == "padding" and face.box[2] > 240
    assert json.loads(json.dumps(result.to_dict()))["faces"][0]["fallback"] == "padding"


def test_a_face_found_only_by_the_cascade_says_so(predictor, monkeypatch):
    from fer_core.prediction import face_detection

    monkeypatch.setattr(face_detection._BlazeFace, "_padded_search", lambda *args: [])  # as on a very blurred crop
    monkeypatch.setattr(face_detection._BlazeFace, "_second_model_search", lambda *args: [])
    tight = Image.open(ASSETS / "astronaut.jpg").convert("L").crop((180, 75, 273, 168)).resize((300, 300), Image.BICUBIC)
    result = predictor.predict(tight)
    assert result.message == FOUND_BY_CASCADE
    [face] = result.faces
    assert face.fallback == "cascade" and face.box[2] > 240
    assert json.loads(json.dumps(result.to_dict()))["faces"][0]["fallback"] == "cascade"


def test_a_face_found_only_by_the_second_model_says_so(predictor, monkeypatch):
    from fer_core.prediction import face_detection

    monkeypatch.setattr(face_detection._BlazeFace, "_detect_window", lambda *args: [])  # the full-range model misses it
    result = predictor.predict(Image.open(ASSETS / "astronaut.jpg"))
    assert result.message == FOUND_BY_SECOND_MODEL
    [face] = result.faces
    assert json.loads(json.dumps(result.to_dict()))["faces"][0]["fallback"] == "second_model"


def test_ten_faces(predictor):
    head = Image.open(ASSETS / "astronaut.jpg").crop((120, 10, 330, 220))
    sheet = Image.new("RGB", (1000, 400))
    for i in range(10):
        sheet.paste(head.resize((200, 200)), (200 * (i % 5), 200 * (i // 5)))
    result = predictor.predict(sheet)
    assert len(result.faces) == 10
    # The same face ten times: the same crop, so the same answer, ten times.
    first = result.faces[0].probabilities
    for face in result.faces:
        assert face.probabilities == pytest.approx(first, abs=0.02)


def test_a_fer_crop_is_classified_whole(predictor):
    crop = np.random.default_rng(0).integers(0, 256, (48, 48), dtype=np.uint8)
    [face] = predictor.predict(crop).faces
    assert face.box == (0, 0, 48, 48)
    assert np.array_equal(face.crop, crop)
    assert np.allclose(list(face.probabilities.values()), predictor.predict_crops(crop[None])[0], atol=1e-6)


@pytest.mark.parametrize("size, whole", [((64, 60), True), ((40, 40), True), ((64, 30), False), ((100, 100), False)])
def test_only_small_square_images_count_as_one_face(predictor, size, whole):
    image = Image.new("L", size, 128)
    faces = predictor.predict(image).faces
    assert len(faces) == (1 if whole else 0)
    if whole:
        assert faces[0].box == (0, 0, *size) and faces[0].crop.shape == (48, 48)


def test_results_are_plain_json(predictor):
    result = predictor.predict(ASSETS / "astronaut.jpg")
    data = json.loads(json.dumps(result.to_dict()))
    assert data["image_size"] == {"width": 512, "height": 512}
    [face] = data["faces"]
    assert set(face) == {"box", "top_k", "probabilities", "fallback"}
    assert face["fallback"] is None  # the astronaut's face is found by the detector's first look
    assert face["top_k"][0]["label"] in CLASS_NAMES
    with_crop = result.to_dict(include_crops=True)["faces"][0]
    assert np.array_equal(np.array(with_crop["crop"], np.uint8), result.faces[0].crop)


def test_a_bad_photo_raises_image_error(predictor, tmp_path):
    (tmp_path / "bad.jpg").write_text("not a photo")
    with pytest.raises(ImageError):
        predictor.predict(tmp_path / "bad.jpg")


# --- the classifier and its contract ---

def test_litert_agrees_with_keras_on_raw_grey_levels(tiny_model, random_faces):
    import keras

    model = keras.saving.load_model(tiny_model, compile=False)
    expected = model.predict(random_faces[..., None].astype("float32"), verbose=0)
    assert np.allclose(FaceClassifier(tiny_model).predict_proba(random_faces), expected, atol=1e-5)


@pytest.mark.parametrize("count", [0, 1, 7, BATCH, BATCH + 1, 2 * BATCH + 5])
def test_any_batch_size_gives_the_same_answers(tiny_model, random_faces, count):
    classifier = FaceClassifier(tiny_model)
    together = classifier.predict_proba(random_faces[:count])
    assert together.shape == (count, 7) and together.dtype == np.float32
    for i in range(0, count, 37):
        assert np.allclose(together[i], classifier.predict_proba(random_faces[i]), atol=1e-6)


def test_flip_tta_averages_the_face_and_its_mirror(tiny_model, tiny_flip_model, random_faces):
    plain, flip = FaceClassifier(tiny_model), FaceClassifier(tiny_flip_model)
    assert flip.info.tta == "flip"
    expected = (plain.predict_proba(random_faces[:9]) + plain.predict_proba(random_faces[:9, :, ::-1])) / 2
    assert np.allclose(flip.predict_proba(random_faces[:9]), expected, atol=1e-6)
    assert not np.allclose(plain.predict_proba(random_faces[:9]), expected, atol=1e-4)


def test_flip_zoom_tta_averages_six_views_of_each_face(tiny_model, tiny_flip_zoom_model, random_faces):
    import cv2

    plain, served = FaceClassifier(tiny_model), FaceClassifier(tiny_flip_zoom_model)
    assert served.info.tta == "flip_zoom"
    faces = random_faces[:5]

    def zoomed(zoom):
        matrix = cv2.getRotationMatrix2D((23.5, 23.5), 0.0, zoom)
        return np.stack([cv2.warpAffine(face, matrix, (48, 48), flags=cv2.INTER_LINEAR,
                                        borderMode=cv2.BORDER_REFLECT_101) for face in faces])

    views = [faces, zoomed(0.92), zoomed(1.08)]
    views += [view[:, :, ::-1] for view in views]
    expected = np.mean([plain.predict_proba(np.ascontiguousarray(view)) for view in views], axis=0)
    assert np.allclose(served.predict_proba(faces), expected, atol=1e-6)
    # Each face is averaged over its own views only: one face alone scores as it does among others.
    assert np.allclose(served.predict_proba(faces[2]), expected[2], atol=1e-6)
    # Another mode's views can be asked for (the benchmark measures what the views buy); unknown modes are refused.
    assert np.allclose(plain.predict_proba(faces, tta="flip_zoom"), expected, atol=1e-6)
    assert np.allclose(served.predict_proba(faces, tta="none"), plain.predict_proba(faces), atol=1e-6)
    with pytest.raises(ModelError, match="Unknown test-time augmentation 'tenfold'"):
        served.predict_proba(faces, tta="tenfold")


def test_wrong_crop_size_is_refused(tiny_model):
    with pytest.raises(ModelError, match="48×48"):
        FaceClassifier(tiny_model).predict_proba(np.zeros((2, 64, 64), np.uint8))


def test_missing_model(tmp_path):
    with pytest.raises(ModelError, match="There is no model"):
        Predictor(tmp_path / "nothing.keras")


def test_model_without_its_contract(tiny_model, tmp_path):
    shutil.copyfile(tiny_model.with_suffix(".tflite"), tmp_path / "m.tflite")
    with pytest.raises(ModelError, match="m.json"):
        FaceClassifier(tmp_path / "m.keras")


def test_corrupt_litert_file(tmp_path):
    (tmp_path / "m.tflite").write_bytes(b"this is not a flatbuffer" * 10)
    write_model_info(tmp_path / "m.keras", ModelInfo())
    with pytest.raises(ModelError, match="m.tflite"):
        FaceClassifier(tmp_path / "m.keras")


def test_contract_that_does_not_fit_the_model(tiny_model, tmp_path):
    shutil.copyfile(tiny_model.with_suffix(".tflite"), tmp_path / "m.tflite")
    write_model_info(tmp_path / "m.keras", ModelInfo(class_names=("happy", "sad")))
    with pytest.raises(ModelError, match="7 classes"):
        FaceClassifier(tmp_path / "m.keras")


def test_keras_only_model_is_converted_on_first_use(tiny_model, tmp_path):
    shutil.copyfile(tiny_model, tmp_path / "m.keras")
    write_model_info(tmp_path / "m.keras", ModelInfo())
    classifier = FaceClassifier(tmp_path / "m.keras")
    assert (tmp_path / "m.tflite").exists()
    crop = np.full((1, 48, 48), 90, np.uint8)
    # The on-demand export is quantised to int8: close to the float32 model, not equal.
    assert np.allclose(classifier.predict_proba(crop), FaceClassifier(tiny_model).predict_proba(crop), atol=0.05)


def test_unconvertible_keras_file_gives_model_error(tmp_path):
    (tmp_path / "m.keras").write_bytes(b"not a zip")
    write_model_info(tmp_path / "m.keras", ModelInfo())
    with pytest.raises(ModelError, match="could not be converted"):
        FaceClassifier(tmp_path / "m.keras")


def test_the_server_path_never_imports_tensorflow(tiny_model):
    code = ("import sys\nfrom fer_core.prediction.predictor import Predictor\n"
            f"Predictor({str(tiny_model)!r}).predict({str(ASSETS / 'astronaut.jpg')!r})\n"
            "print('tensorflow' in sys.modules, 'keras' in sys.modules)")
    env = dict(os.environ, PYTHONPATH=str(REPO))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=REPO, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "False"]


def test_a_model_exported_with_a_fixed_batch_of_one_still_takes_batches(tiny_model, tmp_path, random_faces):
    import keras
    import tensorflow as tf

    model = keras.saving.load_model(tiny_model, compile=False)
    fixed = keras.Sequential([keras.Input((48, 48, 1), batch_size=1), *model.layers])
    converter = tf.lite.TFLiteConverter.from_keras_model(fixed)
    (tmp_path / "fixed.tflite").write_bytes(converter.convert())
    write_model_info(tmp_path / "fixed.keras", ModelInfo())
    classifier = FaceClassifier(tmp_path / "fixed.keras")
    answers = classifier.predict_proba(random_faces)
    assert answers.shape == (len(random_faces), 7)
    assert np.allclose(answers, FaceClassifier(tiny_model).predict_proba(random_faces), atol=1e-5)


# --- video frames: the same faces and answers as photos, cheaper ---

def test_the_rest_of_a_batch_goes_in_powers_of_two():
    from fer_core.prediction.face_classifier import _batch_sizes

    assert _batch_sizes(0) == [] and _batch_sizes(1) == [1] and _batch_sizes(4) == [4]
    assert _batch_sizes(BATCH + 6) == [BATCH, 4, 2]
    assert all(sum(_batch_sizes(n)) == n for n in range(3 * BATCH))


@pytest.mark.parametrize("count", [2, 3, 4, 12])
def test_a_frames_faces_scored_in_one_call_match_each_scored_alone(tiny_flip_zoom_model, random_faces, count):
    classifier = FaceClassifier(tiny_flip_zoom_model)
    for tta in ("flip", "flip_zoom"):
        together = classifier.predict_proba(random_faces[:count], tta=tta)
        alone = np.concatenate([classifier.predict_proba(random_faces[i], tta=tta) for i in range(count)])
        assert np.allclose(together, alone, atol=1e-6)


def test_a_video_frame_gives_the_faces_and_answers_of_the_same_photo(predictor):
    from fer_core.prediction.frame_analysis import FrameAnalyser
    from fer_core.prediction.video_clips import ClipFrame

    frame = np.asarray(Image.open(ASSETS / "astronaut.jpg").convert("RGB"))
    for tta in ("flip_zoom", "flip"):
        # A person is someone seen in 2 looks: the photo as a clip's two frames, the clip then ended.
        analyser = FrameAnalyser(predictor, tta, smoothing_seconds=0)
        done = analyser.push(ClipFrame(0, 0.0, frame)) + analyser.push(ClipFrame(1, 0.1, frame)) + analyser.finish()
        photo = predictor.predict(frame, top_k=3, tta=tta)
        served = np.array([photo.faces[0].probabilities[name] for name in predictor.class_names])
        assert len(done) == 2 and len(photo.faces) == 1
        for _, people in done:
            assert [face.box for face in people] == [face.box for face in photo.faces]
            assert np.allclose(people[0].probabilities, served, atol=1e-6)


def test_a_turned_face_between_two_looks_is_levelled_as_in_the_photo(predictor):
    """A frame the detector skips gets the look's eyes moved with its box: its crop is levelled as the photo's."""
    from fer_core.prediction.frame_analysis import FrameAnalyser
    from fer_core.prediction.video_clips import ClipFrame

    canvas = Image.new("RGB", (800, 800), (128, 128, 128))
    canvas.paste(Image.open(ASSETS / "astronaut.jpg").convert("RGB"), (144, 144))
    frame = np.asarray(canvas.rotate(25, Image.Resampling.BICUBIC, center=(370, 265)))
    analyser = FrameAnalyser(predictor, "flip", detect_every=2, smoothing_seconds=0)
    done = [step for index in range(3) for step in analyser.push(ClipFrame(index, index / 30, frame))]
    done += analyser.finish()
    photo = predictor.predict(frame, top_k=3, tta="flip")
    served = np.array([photo.faces[0].probabilities[name] for name in predictor.class_names])
    assert analyser.searched == 2 and [clip_frame.index for clip_frame, _ in done] == [0, 1, 2]
    for _, people in done:
        assert [face.box for face in people] == [face.box for face in photo.faces]
        assert np.allclose(people[0].probabilities, served, atol=1e-6)


@pytest.mark.parametrize("turn", [-30, -25, 25, 30])
def test_a_turned_face_is_cut_out_upright(turn):
    """The crop of a turned face is the crop of the same square of the upright photo: the eye line is levelled."""
    import math

    from fer_core.prediction.face_detection import FaceBox, detect_faces
    from fer_core.prediction.predictor import frame_face

    canvas = Image.new("RGB", (800, 800), (128, 128, 128))
    canvas.paste(Image.open(ASSETS / "astronaut.jpg").convert("RGB"), (144, 144))
    pivot = (370, 265)  # the astronaut's face
    [upright] = detect_faces(canvas)
    turned = canvas.rotate(turn, Image.Resampling.BICUBIC, center=pivot)
    [face] = detect_faces(turned)
    # The turned box's centre, back in the upright photo (PIL turns counter-clockwise), with the upright face's eyes.
    angle, dx, dy = math.radians(turn), face.x + face.w / 2 - pivot[0], face.y + face.h / 2 - pivot[1]
    centre = (pivot[0] + dx * math.cos(angle) - dy * math.sin(angle), pivot[1] + dx * math.sin(angle) + dy * math.cos(angle))
    same_square = FaceBox(round(centre[0] - face.w / 2), round(centre[1] - face.h / 2), face.w, face.h, 1.0, upright.eyes)
    expected = frame_face(canvas, same_square, 48).astype(float).ravel()
    levelled = frame_face(turned, face, 48).astype(float).ravel()
    as_found = frame_face(turned, face, 48, align=False).astype(float).ravel()
    levelled_match, as_found_match = np.corrcoef(levelled, expected)[0, 1], np.corrcoef(as_found, expected)[0, 1]
    assert levelled_match > 0.7 and levelled_match > as_found_match + 0.3
