"""How video spends its time: the detector looks at every other frame of a 30 frames/s clip and boxes the frames
between, unless the people changed; the test-time views are spread over frames and the smoothing averages them.
Clips are made here from the test photos."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from fer_core.errors import FERError
from fer_core.prediction.frame_analysis import detect_every, video_views
from fer_core.prediction.live_analysis import LiveAnalyser
from fer_core.prediction.tta import one_view, tta_views
from fer_core.prediction.video_analysis import analyse_video
from scripts.make_test_clip import BACKGROUND, crossing_frames, face_patch, handheld_frames, write_clip


def _centres(boxes: np.ndarray) -> np.ndarray:
    return boxes[:, :2] + boxes[:, 2:] / 2


def test_how_often_the_detector_looks_and_which_views_video_uses():
    assert [detect_every(rate) for rate in (None, 5, 12, 20, 25, 30, 60, 240)] == [1, 1, 1, 1, 2, 2, 4, 4]
    # The model's six views spread when two rounds fit the 0.5 s window (24 frames/s and up), its mirror pair when
    # that fits, else the mirror pair on every frame; a model served with one view keeps one.
    assert video_views("flip_zoom", 30) == ("flip_zoom", True)
    assert video_views("flip_zoom", 12) == ("flip", True)
    assert video_views("flip_zoom", 5) == ("flip", False)
    assert video_views("flip_zoom", None) == ("flip", False)
    assert video_views("flip_zoom", 30, smoothing_seconds=0) == ("flip", False)
    assert video_views("none", 30) == ("none", False)


def test_one_view_a_face_is_the_same_view_tta_makes_and_their_mean_is_the_served_mean(predictor):
    rng = np.random.default_rng(0)
    faces = rng.integers(0, 256, (4, 48, 48), dtype=np.uint8)
    every = tta_views(faces, "flip_zoom").reshape(6, 4, 48, 48)
    chosen = np.array([0, 3, 5, 8])  # taken modulo the six views
    picked = one_view(faces, "flip_zoom", chosen)
    for face in range(4):
        assert np.array_equal(picked[face], every[chosen[face] % 6, face])
    classifier = predictor.classifier
    one_by_one = np.mean([classifier.predict_proba(faces, tta="flip_zoom", view=v) for v in range(6)], axis=0)
    assert np.allclose(one_by_one, classifier.predict_proba(faces, tta="flip_zoom"), atol=1e-5)


def test_a_30_fps_clip_is_searched_half_as_often_with_the_same_people_and_boxes(predictor, tmp_path):
    clip = write_clip(tmp_path / "crossing30.mp4", crossing_frames(640, 480, 60), fps=30)
    looked_at_every = analyse_video(clip, predictor, detect_every_frames=1)
    analysis = analyse_video(clip, predictor)
    data = json.loads(json.dumps(analysis.to_dict()))
    assert data["detector_every_frames"] == 2 and data["tta"] == "flip_zoom" and data["views_spread_over_frames"]
    assert looked_at_every.frames_searched == 60 and analysis.frames_searched <= 36
    assert [p.person for p in analysis.people] == [1, 2]
    for ours, theirs in zip(analysis.people, looked_at_every.people):
        assert list(ours.frames) == list(range(60)) == list(theirs.frames)  # one entry per frame, no one dropped
        offset = np.hypot(*(_centres(ours.box_matrix()) - _centres(theirs.box_matrix())).T)
        assert np.median(offset) <= 3 and offset.max() <= 0.1 * theirs.box_matrix()[:, 2].min()
        assert np.mean(ours.probability_matrix().argmax(1) == theirs.probability_matrix().argmax(1)) >= 0.95


def test_a_face_moving_fast_under_a_shaking_camera_keeps_one_number(predictor, tmp_path):
    # It sways across a quarter of the frame and back every second: up to 1,000 px/s, 65 px between two looks.
    clip = write_clip(tmp_path / "handheld.mp4", handheld_frames(640, 480, 60), fps=30)
    analysis = analyse_video(clip, predictor)
    assert [len(p) for p in analysis.people] == [60]
    steps = np.hypot(*np.diff(_centres(analysis.people[0].box_matrix()), axis=0).T)
    assert steps.max() < 60  # no box thrown across the frame between two looks


def _two_faces_coming_and_going(frames: int, b_from: int, b_until: int):
    """Face A on the left all along; face B on the right from frame `b_from` up to, not including, `b_until`."""
    patch = np.asarray(face_patch("astronaut.jpg").resize((200, 200), Image.Resampling.BILINEAR))
    for index in range(frames):
        picture = np.full((480, 640, 3), BACKGROUND, np.uint8)
        picture[140:340, 40:240] = patch
        if b_from <= index < b_until:
            picture[140:340, 400:600] = patch[:, ::-1]
        yield picture


def test_no_one_is_boxed_in_a_frame_they_are_not_in(predictor, tmp_path):
    # At 30 frames/s the detector looks at frames 0, 2, 4, …: B is first found by the look at frame 8 (not in frame
    # 7, between that look and the one before) and is last in frame 13 (between the looks at 12 and 14).
    clip = write_clip(tmp_path / "coming_and_going.mp4", _two_faces_coming_and_going(24, 8, 14), fps=30)
    analysis = analyse_video(clip, predictor)
    assert analysis.detector_every_frames == 2 and analysis.analysed_frames == 24
    a, b = analysis.people
    assert list(a.frames) == list(range(24))
    assert list(b.frames) == list(range(8, 14))  # every frame B is in, and none it is not
    assert 12 < analysis.frames_searched < 24


def test_spread_views_average_to_the_models_six_views_on_a_still_face(predictor, tmp_path):
    # At 24 frames/s the 0.5 s window holds 12 frames: the six views twice.
    clip = write_clip(tmp_path / "still24.mp4", _two_faces_coming_and_going(30, 0, 0), fps=24)
    spread = analyse_video(clip, predictor)
    six_every_frame = analyse_video(clip, predictor, tta="flip_zoom", smoothing_seconds=0)
    assert spread.tta == "flip_zoom" and spread.views_spread_over_frames
    assert not six_every_frame.views_spread_over_frames
    ours, theirs = spread.people[0].probability_matrix(), six_every_frame.people[0].probability_matrix()
    assert np.abs(ours[11:] - theirs[11:]).max() < 0.02  # once the window holds both rounds
    assert not np.allclose(ours[0], theirs[0], atol=1e-3)  # the first frame saw one view only

    sampled = analyse_video(clip, predictor, fps=5)  # a frame every 0.2 s: too few in the window to spread
    assert (sampled.tta, sampled.views_spread_over_frames, sampled.detector_every_frames) == ("flip", False, 1)
    with pytest.raises(FERError, match="at least every frame"):
        analyse_video(clip, predictor, detect_every_frames=0)


def test_live_spreads_the_views_once_the_camera_is_fast_enough(predictor):
    live = LiveAnalyser(predictor)
    for index, frame in enumerate(crossing_frames(640, 480, 12)):
        live.annotate(frame, time=index / 30)
    assert live.frames_done == 12 and live.faces_in_last_frame == 2
    assert live.frames.detect_every == 1 and live.frames.searched == 12  # live looks at every frame
    assert live.frames_per_second > 8 and live.frames.spread


# A person is someone seen more than once: a new face is numbered once found in 2 of its first 3 looks.

def _a_then_b_with_flashes(frames: int, b_from: int, flashes: tuple[int, ...]):
    """Face A on the left all along; face B on the right from frame `b_from`; in each frame of `flashes` a white
    square top-left, which the fake detector below reports as a face (a title card, a pattern)."""
    patch = np.asarray(face_patch("astronaut.jpg").resize((200, 200), Image.Resampling.BILINEAR))
    for index in range(frames):
        picture = np.full((480, 640, 3), BACKGROUND, np.uint8)
        picture[140:340, 40:240] = patch
        if index >= b_from:
            picture[140:340, 400:600] = patch[:, ::-1]
        if index in flashes:
            picture[0:60, 0:60] = 255
        yield picture


def test_a_one_look_detection_is_no_one_and_a_real_persons_first_frames_are_kept(predictor, tmp_path, monkeypatch):
    from fer_core.prediction import frame_analysis
    from fer_core.prediction.face_detection import FaceBox

    real_detector, phantoms = frame_analysis.detect_faces, []

    def detector_with_phantoms(pixels):
        found = real_detector(pixels)
        if pixels[5:55, 5:55].mean() > 200:  # the flash: one look sees a "face" there
            phantoms.append(FaceBox(0, 0, 60, 60, score=0.9))
            found = found + [phantoms[-1]]
        return found

    monkeypatch.setattr(frame_analysis, "detect_faces", detector_with_phantoms)
    # 30 frames/s: the detector looks at frames 0, 2, 4, …; B comes in at frame 9, between two looks; the flashes at
    # frames 14 and 20 fall on looks, each alone.
    clip = write_clip(tmp_path / "flashes.mp4", _a_then_b_with_flashes(30, 9, (14, 20)), fps=30)
    analysis = analyse_video(clip, predictor)
    assert analysis.detector_every_frames == 2 and len(phantoms) == 2  # the detector did report both flashes
    assert [p.person for p in analysis.people] == [1, 2]  # no person 3
    a, b = analysis.people
    assert list(a.frames) == list(range(30))
    assert list(b.frames) == list(range(9, 30))  # B's first frame is kept, from before B was confirmed
    assert b.times[0] == pytest.approx(analysis.frame_times[9]) and b.summary(analysis.frame_seconds())[
        "first_seen"] == pytest.approx(9 / 30, abs=1e-3)
    assert all(p.box_matrix()[:, 0].min() > 20 for p in analysis.people)  # nobody boxed at the flash


def test_a_face_shown_in_one_frame_of_a_real_clip_is_no_one(predictor, tmp_path):
    # 12 frames/s: the detector looks at every frame, so the real detector does find B in frame 6, and only there.
    clip = write_clip(tmp_path / "one_frame.mp4", _two_faces_coming_and_going(18, 6, 7), fps=12)
    analysis = analyse_video(clip, predictor)
    assert analysis.detector_every_frames == 1 and analysis.most_faces_in_a_frame == 2
    assert [(p.person, list(p.frames)) for p in analysis.people] == [(1, list(range(18)))]


def test_live_does_not_draw_a_face_until_its_second_look(predictor):
    live = LiveAnalyser(predictor)
    frames = list(_two_faces_coming_and_going(6, 3, 4))  # B in frame 3 only
    labels = []
    for index, frame in enumerate(frames):
        live.annotate(frame, time=index / 15)
        labels.append(list(live.last_labels))
    assert [len(frame_labels) for frame_labels in labels] == [0, 1, 1, 1, 1, 1]  # A from frame 1; B never
    assert all(label.startswith("1: ") for frame_labels in labels for label in frame_labels)
