"""Video: a clip in, every person's emotions over time out. Clips are made here from the test photos: two people
crossing, a crowd, a clip with no face, and every kind of bad file the issue lists."""

from __future__ import annotations

import errno
import hashlib
import io
import json
import time

import av
import numpy as np
import pytest
from cli_fixtures import run_fer_core
from video_fixtures import (
    ASSETS,
    CLIP_FPS,
    SHIPPED_MODEL,
    SlowPredictor,
    still_frames,
    write_clip_with_tone,
)

from fer_core.errors import AnalysisStopped, FERError, VideoError
from fer_core.prediction.analysis_jobs import AnalysisJob
from fer_core.prediction.face_tracking import FaceTracker
from fer_core.prediction.frame_analysis import MAX_FACES_PER_FRAME
from fer_core.prediction.live_analysis import LiveAnalyser
from fer_core.prediction.saved_analyses import SavedAnalysis
from fer_core.prediction.video_analysis import NO_FACE_IN_CLIP, analyse_video
from fer_core.prediction.video_clips import ANALYSIS_MAX_SIDE, frame_rate_text, open_clip
from fer_core.settings import load_settings
from scripts.make_test_clip import crossing_frames, grid_frame, write_clip


def test_each_person_keeps_one_number_as_they_cross(crossing_clip, predictor):
    analysis = analyse_video(crossing_clip, predictor)
    assert analysis.analysed_frames == 30
    assert [p.person for p in analysis.people] == [1, 2]
    for person in analysis.people:
        assert len(person) == analysis.analysed_frames  # seen in every frame, under one number
        timeline = person.entries()
        xs = [entry["box"]["x"] for entry in timeline]
        # Each walks one way only: a swapped number would show as a jump back.
        steps = np.diff(xs)
        assert (steps >= -8).all() or (steps <= 8).all()
        assert abs(xs[-1] - xs[0]) > 300
    starts = sorted(person.entries()[0]["box"]["x"] for person in analysis.people)
    assert starts[0] < 100 and starts[1] > 400  # one from the left, one from the right


def test_one_timeline_entry_per_analysed_frame_in_one_shape(crossing_clip, predictor):
    analysis = analyse_video(crossing_clip, predictor, fps=4)
    assert analysis.analysed_frames == 10  # 2.5 s at 4 a second: 0, 0.25, … 2.25
    assert np.allclose(np.diff(analysis.frame_times), 0.25, atol=1 / CLIP_FPS)
    data = json.loads(json.dumps(analysis.to_dict()))
    assert data["clip"]["width"] == 640 and data["analysed_frames"] == 10
    for person in data["people"]:
        assert len(person["timeline"]) == 10
        for entry in person["timeline"]:
            assert set(entry) == {"time", "frame", "box", "probabilities", "top_k"}
            assert list(entry["probabilities"]) == list(predictor.class_names)
            assert sum(entry["probabilities"].values()) == pytest.approx(1, abs=1e-3)
            ranked = [item["probability"] for item in entry["top_k"]]
            assert len(ranked) == 3 and ranked == sorted(ranked, reverse=True)
            assert entry["top_k"][0]["label"] == max(entry["probabilities"], key=entry["probabilities"].get)
        summary = person["summary"]
        assert sum(summary["share_of_time"].values()) == pytest.approx(1, abs=1e-3)
        assert summary["dominant_emotion"] == max(summary["share_of_time"], key=summary["share_of_time"].get)
        assert summary["seconds_seen"] == pytest.approx(2.5, abs=0.1)

    lines = analysis.to_csv().splitlines()
    header = lines[0].split(",")
    assert header[:7] == ["person", "time", "frame", "box_x", "box_y", "box_w", "box_h"]
    assert header[-7:] == list(predictor.class_names) and "top1" in header and "top3_probability" in header
    assert len(lines) - 1 == sum(len(p["timeline"]) for p in data["people"])
    first = dict(zip(header, lines[1].split(",")))
    entry = data["people"][int(first["person"]) - 1]["timeline"][0]
    assert first["top1"] == entry["top_k"][0]["label"] and float(first["happy"]) == entry["probabilities"]["happy"]


def test_the_annotated_video_decodes_as_h264_with_every_frame_of_the_clip(crossing_clip, predictor, tmp_path):
    out = tmp_path / "annotated.mp4"
    analysis = analyse_video(crossing_clip, predictor, fps=6, annotated_path=out)
    with av.open(str(out)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264" and stream.codec_context.pix_fmt == "yuv420p"
        assert not container.streams.audio  # the clip has no sound: nor has its annotated clip
        frames = [frame.to_ndarray(format="rgb24") for frame in container.decode(stream)]
    assert analysis.analysed_frames == 15 and len(frames) == 30  # every frame of the 12 frames/s clip, not 6 a second
    assert analysis.annotated == {"frames": 30, "frame_rate": 12.0, "every_frame": True, "sound": None}
    assert frames[0].shape == (480, 640, 3)
    # The first person's box is drawn in its colour (red) where the timeline says it is.
    box = analysis.people[0].entries()[0]["box"]
    edge = frames[0][box["y"] + box["h"] // 2, max(box["x"] - 1, 0):box["x"] + 3]
    assert (edge[:, 0].astype(int) - edge[:, 2]).max() > 60


def clip_streams(path) -> dict:
    """What an MP4 holds, read back with PyAV: its frames decoded, their rate, and its sound's codec and seconds."""
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        sound = container.streams.audio[0] if container.streams.audio else None
        facts = {"frame_rate": float(video.average_rate), "frame_times": [],
                 "sound": sound.codec_context.name if sound else None,
                 "sound_seconds": float(sound.duration * sound.time_base) if sound else 0.0}
        for frame in container.decode(video):
            facts["frame_times"].append(float(frame.time))
    return facts


def test_a_24_fps_clip_with_sound_analysed_at_5_fps_plays_like_the_original(clip_with_sound, predictor, tmp_path):
    out = tmp_path / "annotated.mp4"
    analysis = analyse_video(clip_with_sound, predictor, fps=5, annotated_path=out)
    source, annotated = clip_streams(clip_with_sound), clip_streams(out)
    assert analysis.analysed_frames == 13 and len(source["frame_times"]) == 60
    assert abs(len(annotated["frame_times"]) - 60) <= 1 and annotated["frame_rate"] == pytest.approx(24, abs=0.05)
    assert annotated["frame_times"] == pytest.approx(source["frame_times"], abs=1e-3)
    assert annotated["sound"] == "aac" and annotated["sound_seconds"] == pytest.approx(source["sound_seconds"], abs=0.05)
    assert analysis.to_dict()["annotated_clip"] == {"frames": 60, "frame_rate": 24.0, "every_frame": True,
                                                     "sound": "aac"}


def test_boxes_move_between_analysed_frames(clip_with_sound, predictor, tmp_path):
    out = tmp_path / "annotated.mp4"
    analysis = analyse_video(clip_with_sound, predictor, fps=5, annotated_path=out)
    with av.open(str(out)) as container:
        frames = [frame.to_ndarray(format="rgb24") for _, frame in zip(range(6), container.decode(video=0))]
    # Frame 2 (0.083 s) lies between the analysed frames at 0 and 0.2 s: person 1's red box is drawn 5/12 of the way
    # from its first box to its second, where no frame of the clip was analysed.
    first, second = (entry["box"] for entry in analysis.people[0].entries()[:2])
    assert analysis.frame_times[:2].tolist() == pytest.approx([0.0, 0.2], abs=0.05)
    share = (2 / 24 - analysis.frame_times[0]) / (analysis.frame_times[1] - analysis.frame_times[0])
    x = round(first["x"] + (second["x"] - first["x"]) * share)
    y = round(first["y"] + (first["h"] + (second["h"] - first["h"]) * share) / 2)
    assert abs(second["x"] - first["x"]) > 10  # the people walk: a box held still would be in the wrong place
    red = frames[2][y, x - 1:x + 3].astype(int)
    assert (red[:, 0] - red[:, 2]).max() > 60


def test_sound_browsers_cannot_play_from_an_mp4_is_reencoded_as_aac(tmp_path, predictor):
    clip = write_clip_with_tone(tmp_path / "tone.mkv")
    out = tmp_path / "annotated.mp4"
    analysis = analyse_video(clip, predictor, fps=5, annotated_path=out)
    assert analysis.annotated["sound"] == "aac"
    with av.open(str(out)) as container:
        samples = np.concatenate([frame.to_ndarray().reshape(-1) for frame in container.decode(audio=0)])
    assert len(samples) / 2 / 48_000 == pytest.approx(2.5, abs=0.1)
    assert np.sqrt(np.mean(samples ** 2)) == pytest.approx(0.3 / np.sqrt(2), rel=0.1)  # the tone, not silence


def test_sound_that_cannot_be_written_leaves_the_pictures_and_says_so(clip_with_sound, predictor, tmp_path,
                                                                     monkeypatch):
    from fer_core.prediction.video_clips import AnnotatedVideoWriter

    write_packet = AnnotatedVideoWriter._write_sound_packet

    def damaged_after_a_second(writer, packet, start_time):
        if packet.pts * packet.time_base > 1:
            raise av.error.InvalidDataError(1094995529, "Invalid data found when processing input")
        write_packet(writer, packet, start_time)

    monkeypatch.setattr(AnnotatedVideoWriter, "_write_sound_packet", damaged_after_a_second)
    out = tmp_path / "annotated.mp4"
    analysis = analyse_video(clip_with_sound, predictor, fps=5, annotated_path=out)
    annotated = clip_streams(out)
    assert len(annotated["frame_times"]) == 60 and annotated["sound_seconds"] == pytest.approx(1.0, abs=0.1)
    assert any(note.startswith("The clip's sound could not be carried into the annotated clip from 1.0 s (Invalid data")
               and note.endswith("from there on it is silent.") for note in analysis.notes)


def test_a_clip_longer_than_the_every_frame_limit_gets_its_analysed_frames_with_sound_and_a_note(
        clip_with_sound, predictor, tmp_path):
    out = tmp_path / "annotated.mp4"
    analysis = analyse_video(clip_with_sound, predictor, fps=5, annotated_path=out, annotate_every_frame_seconds=2)
    annotated = clip_streams(out)
    assert len(annotated["frame_times"]) == analysis.analysed_frames == 13
    assert annotated["sound"] == "aac" and annotated["sound_seconds"] == pytest.approx(2.5, abs=0.05)
    assert analysis.annotated["every_frame"] is False
    assert any("shows only the analysed 5 frames/s of the clip's 24 frames/s, with its sound" in note
               and "FER_ANNOTATE_EVERY_FRAME_SECONDS" in note for note in analysis.notes)


def test_drawing_the_annotated_clip_can_be_stopped(clip_with_sound, predictor, tmp_path):
    asked = []
    with pytest.raises(AnalysisStopped):  # asked once a frame in the analysis (60), then again while drawing
        analyse_video(clip_with_sound, predictor, fps=5, annotated_path=tmp_path / "annotated.mp4",
                      stop=lambda: asked.append(1) or len(asked) > 70)
    assert len(asked) == 71


def test_progress_reports_frames_done_and_time_left(crossing_clip, predictor, monkeypatch):
    monkeypatch.setattr("fer_core.prediction.video_analysis.PROGRESS_EVERY_SECONDS", 0)
    reports = []
    analyse_video(crossing_clip, predictor, progress=reports.append)
    assert [r.frames_done for r in reports] == sorted(r.frames_done for r in reports)
    assert reports[-1].frames_done == 30 and reports[-1].fraction == 1 and reports[-1].seconds_left == 0
    assert all(r.frames_expected == 30 for r in reports)


def test_smoothing_averages_a_person_over_the_window():
    tracker = FaceTracker(smoothing_seconds=0.5)
    box = (100, 100, 80, 80)
    happy, sad = np.eye(7, dtype=np.float32)[3], np.eye(7, dtype=np.float32)[4]
    tracker.update(0.0, [(box, happy)])
    tracker.update(0.2, [(box, happy)])
    face = tracker.update(0.4, [(box, sad)])[0]
    assert face.probabilities[3] == pytest.approx(2 / 3) and face.probabilities[4] == pytest.approx(1 / 3)
    face = tracker.update(1.0, [(box, sad)])[0]  # the happy frames have left the window
    assert face.probabilities[4] == pytest.approx(1.0)
    raw = FaceTracker(smoothing_seconds=0, confirm_found=1).update(0.0, [(box, sad)])[0]
    assert raw.probabilities[4] == 1.0


def test_a_person_gone_longer_than_the_gap_comes_back_as_a_new_person():
    tracker = FaceTracker()
    p = np.full(7, 1 / 7, np.float32)
    assert tracker.update(0.0, [((10, 10, 50, 50), p)]) == []  # tentative until a second look finds it
    assert tracker.update(0.1, [((12, 10, 50, 50), p)])[0].person == 1
    assert tracker.update(0.6, [((14, 10, 50, 50), p)])[0].person == 1  # a short gap: the same person
    tracker.update(3.0, [((14, 10, 50, 50), p)])
    assert tracker.update(3.1, [((14, 10, 50, 50), p)])[0].person == 2


def test_a_new_face_is_a_person_once_found_in_two_of_its_first_three_looks():
    p = np.full(7, 1 / 7, np.float32)
    real, phantom, flicker = (10, 10, 50, 50), (300, 200, 40, 40), (150, 300, 40, 40)
    tracker = FaceTracker()
    looks = [[real, phantom], [real], [real, flicker], [real], [real, flicker], [real], [real]]
    seen = [[face.person for face in tracker.update(look / 10, [(box, p) for box in boxes])]
            for look, boxes in enumerate(looks)]
    # The real face from its second look; the phantom (one look) never; the flicker (looks 3 and 5 of its own 1, 2,
    # 3) is found in 2 of its first 3 looks: person 2. A face missed once by the detector is still someone.
    assert seen == [[], [1], [1], [1], [1, 2], [1], [1]]
    assert tracker.people_seen == 2
    with pytest.raises(ValueError):
        FaceTracker(confirm_found=4)


def test_crossing_boxes_are_matched_by_where_each_was_heading():
    tracker = FaceTracker()
    p = np.full(7, 1 / 7, np.float32)
    people = {}
    for step in range(11):  # A goes right, B goes left, on lines 30 px apart: they overlap mid-way
        a, b = (10 + 20 * step, 100, 60, 60), (210 - 20 * step, 130, 60, 60)
        for face in tracker.update(step / 10, [(b, p), (a, p)]):
            people.setdefault(face.person, []).append(face.box[0])
    assert sorted(people) == [1, 2]
    assert people[1] == sorted(people[1], reverse=True) and people[2] == sorted(people[2])


def test_live_analyser_draws_boxes_on_frames(predictor):
    live = LiveAnalyser(predictor)
    frames = list(crossing_frames(640, 480, 30))
    out = [live.annotate(frame, time=i / 15) for i, frame in enumerate(frames)]
    # A new face is not drawn at its first look (it may be a one-frame phantom); from the second, with its number.
    assert out[0].shape == frames[0].shape and np.array_equal(out[0], frames[0])
    assert not np.array_equal(out[1], frames[1])
    assert live.frames_done == 30 and live.faces_in_last_frame == 2
    assert len(live.last_labels) == 2 and live.last_labels[0].startswith("1: ")


# Bad input: each gets one sentence, and nothing unbounded happens.

def test_text_renamed_mp4_is_not_a_video(tmp_path, predictor):
    path = tmp_path / "notes.mp4"
    path.write_text("these are my lecture notes, not a video\n" * 20)
    with pytest.raises(VideoError, match="notes.mp4 is not a video FER Studio can read"):
        analyse_video(path, predictor)


def test_an_empty_file_is_not_a_video(tmp_path, predictor):
    path = tmp_path / "empty.mp4"
    path.write_bytes(b"")
    with pytest.raises(VideoError, match=r"empty.mp4 is empty \(0 bytes\), so it is not a video"):
        analyse_video(path, predictor)


def test_a_truncated_clip_is_damaged_or_cut_short(crossing_clip, tmp_path, predictor):
    path = tmp_path / "cut.mp4"
    path.write_bytes(crossing_clip.read_bytes()[: crossing_clip.stat().st_size // 2])
    with pytest.raises(VideoError, match="cut.mp4 starts like a MP4/MOV file but is damaged or cut short"):
        analyse_video(path, predictor)


def test_a_truncated_clip_with_its_index_first_keeps_the_frames_before_the_cut(tmp_path, predictor):
    whole = tmp_path / "whole.mkv"
    write_clip(whole, crossing_frames(320, 240, 40), fps=10)
    cut = tmp_path / "cut.mkv"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    analysis = analyse_video(cut, predictor)
    assert 0 < analysis.analysed_frames < 40
    assert any("cut short" in note for note in analysis.notes)


def test_an_audio_only_file_has_no_pictures(tmp_path, predictor):
    path = tmp_path / "interview.m4a"
    with av.open(str(path), "w", format="mp4") as out:
        stream = out.add_stream("aac", rate=16000)
        for i in range(10):
            frame = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp", layout="mono")
            frame.sample_rate, frame.pts = 16000, i * 1024
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    with pytest.raises(VideoError, match="interview.m4a has sound but no pictures"):
        analyse_video(path, predictor)


def test_a_still_photo_is_sent_to_the_predict_page(predictor):
    with pytest.raises(VideoError, match="astronaut.jpg is a still image, not a video"):
        analyse_video(ASSETS / "astronaut.jpg", predictor)


def test_variable_frame_rate_uses_each_frames_own_time(tmp_path, predictor):
    times = [0.0, 0.04, 0.08, 0.2, 0.24, 0.5, 0.54, 0.58, 1.0]
    path = write_clip(tmp_path / "vfr.mp4", crossing_frames(320, 240, len(times)), times=times)
    analysis = analyse_video(path, predictor)
    assert list(analysis.frame_times) == pytest.approx(times, abs=1e-3)
    assert any("variable frame rate" in note for note in analysis.notes)


def test_a_rotated_phone_clip_is_turned_upright(tmp_path, predictor):
    path = write_clip(tmp_path / "phone.mp4", crossing_frames(480, 320, 6), fps=6, rotation=90)
    with open_clip(path) as clip:
        assert (clip.width, clip.height) == (320, 480) and clip.rotation == 90
    analysis = analyse_video(path, predictor)
    assert any("turned 90°" in note for note in analysis.notes)
    assert (analysis.clip["analysed_width"], analysis.clip["analysed_height"]) == (320, 480)


# How phones and browsers record: the frames are stored sideways with a rotation tag (the faces are found only once
# the frame is turned upright), 10-bit HEVC in a MOV with sound (an iPhone), H.264 with a jittery frame rate and
# sound (Android), VP9 in WebM (a browser's MediaRecorder), AV1 (newer phones and downloads).
PHONE_CLIPS = {
    "iphone.mov": {"codec": "libx265", "pix_fmt": "yuv420p10le", "rotation": 90, "with_sound": True},
    "android.mp4": {"codec": "libx264", "rotation": 270, "with_sound": True,
                    "times": [i / 30 + (0.004 if i % 3 == 1 else 0.0) for i in range(24)]},
    "browser.webm": {"codec": "libvpx-vp9"},
    "av1.mp4": {"codec": "libsvtav1"},
}


@pytest.mark.parametrize("name", list(PHONE_CLIPS))
def test_clips_as_phones_and_browsers_record_them(name, tmp_path, predictor):
    options = dict(PHONE_CLIPS[name])
    turns = options.get("rotation", 0) // 90
    # Portrait frames of two people crossing, stored as the phone stores them: turned back by the tag's rotation.
    stored = [np.ascontiguousarray(np.rot90(frame, -turns)) for frame in crossing_frames(360, 640, 24)]
    path = write_clip(tmp_path / name, stored, fps=30, **options)
    analysis = analyse_video(path, predictor)
    assert (analysis.clip["analysed_width"], analysis.clip["analysed_height"]) == (360, 640)
    assert analysis.analysed_frames == 24 and analysis.clip["rotation"] == 90 * turns
    assert [p.person for p in analysis.people] == [1, 2]
    assert all(len(person) >= 20 for person in analysis.people)  # found upright in (nearly) every frame
    if "times" in options:
        assert list(analysis.frame_times) == pytest.approx(options["times"], abs=1e-3)


def test_4k_frames_are_shrunk_before_detection(tmp_path, predictor):
    path = write_clip(tmp_path / "uhd.mp4", still_frames(next(crossing_frames(3840, 2160, 2)), 3), fps=30)
    analysis = analyse_video(path, predictor)
    assert (analysis.clip["analysed_width"], analysis.clip["analysed_height"]) == (ANALYSIS_MAX_SIDE, 540)
    assert "Frames of 3840×2160 were analysed at 960×540." in analysis.notes
    assert len(analysis.people) == 2


def test_a_two_hour_clip_is_refused_before_it_is_decoded(tmp_path, predictor):
    path = write_clip(tmp_path / "lecture.mp4", still_frames(np.zeros((64, 64, 3), np.uint8), 2), times=[0, 7200])
    with pytest.raises(VideoError, match="lecture.mp4 is 2 h 00 min long; this server analyses clips up to 30:00 min"):
        analyse_video(path, predictor)
    hosted = load_settings({"FER_MAX_VIDEO_SECONDS": "60"}, environ={})
    assert hosted.max_video_seconds == 60
    with pytest.raises(FERError, match="FER_MAX_VIDEO_SECONDS must be a whole number"):
        load_settings({"FER_MAX_VIDEO_SECONDS": "an hour"}, environ={})


def test_frames_past_the_cap_stop_the_analysis_whatever_the_header_says(crossing_clip):
    with open_clip(crossing_clip) as clip, pytest.raises(VideoError, match="crossing.mp4 runs past 1.0 s; this server"):
        for _ in clip.frames(max_seconds=1.0):
            pass


def test_a_clip_with_no_face_says_so(tmp_path, predictor):
    from fer_core.prediction.photos import load_image

    coffee = np.asarray(load_image(ASSETS / "coffee.jpg").convert("RGB").resize((320, 240)))
    path = write_clip(tmp_path / "coffee.mp4", still_frames(coffee, 6), fps=6)
    analysis = analyse_video(path, predictor)
    assert analysis.people == [] and analysis.notes == [NO_FACE_IN_CLIP]
    assert analysis.to_dict()["people"] == [] and analysis.to_csv().count("\n") == 1


def test_thirty_faces_in_a_frame_are_bounded_and_said(tmp_path, predictor):
    path = write_clip(tmp_path / "crowd.mp4", still_frames(grid_frame(960, 800, 6, 5), 3), fps=3)
    analysis = analyse_video(path, predictor)
    assert analysis.most_faces_in_a_frame == 30
    assert f"Some frames hold 30 faces; the {MAX_FACES_PER_FRAME} largest in each frame were followed." in analysis.notes
    per_frame = np.bincount(np.concatenate([np.asarray(p.frames) for p in analysis.people]))
    assert per_frame.tolist() == [MAX_FACES_PER_FRAME] * 3


def test_every_container_the_page_accepts_is_read(tmp_path, predictor):
    for name, codec in (("clip.webm", "libvpx"), ("clip.mov", "libx264"), ("clip.avi", "mpeg4"), ("clip.gif", "gif")):
        path = write_clip(tmp_path / name, crossing_frames(320, 240, 4), fps=4, codec=codec)
        analysis = analyse_video(path, predictor)
        assert analysis.analysed_frames == 4, name


# The command line

def test_cli_video_prints_json_csv_and_writes_the_annotated_clip(crossing_clip, tmp_path):
    out = tmp_path / "annotated.mp4"
    result = run_fer_core("video", crossing_clip, "--fps", "4", "--json", "--out", out)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["analysed_frames"] == 10 and len(data["people"]) == 2
    assert "analysing: 10/10 frames" in result.stderr  # the progress line a log gets at the end
    assert f"wrote {out} (30 frames at 12 frames/s, no sound: the clip has none)" in result.stderr
    with av.open(str(out)) as container:
        assert sum(1 for _ in container.decode(video=0)) == 30  # the clip's every frame, 10 of them analysed
    csv = run_fer_core("video", crossing_clip, "--fps", "4", "--csv")
    assert csv.returncode == 0 and len(csv.stdout.splitlines()) == 1 + 20
    summary = run_fer_core("video", crossing_clip, "--fps", "4")
    assert "2 people" in summary.stdout and "person 1:" in summary.stdout


def test_cli_video_writes_the_annotated_clip_at_the_clips_rate_with_its_sound(clip_with_sound, tmp_path):
    out = tmp_path / "annotated.mp4"
    result = run_fer_core("video", clip_with_sound, "--fps", "5", "--out", out)
    assert result.returncode == 0, result.stderr
    assert "analysing: 13/13 frames" in result.stderr and "drawing: 60/60 frames" in result.stderr
    assert f"wrote {out} (60 frames at 24 frames/s, with the clip's sound)" in result.stderr
    annotated, source = clip_streams(out), clip_streams(clip_with_sound)
    assert len(annotated["frame_times"]) == 60 and annotated["frame_rate"] == pytest.approx(24, abs=0.05)
    assert annotated["sound"] == "aac" and annotated["sound_seconds"] == pytest.approx(source["sound_seconds"], abs=0.05)


def test_cli_video_missing_file_and_bad_fps_are_one_line_each(tmp_path, crossing_clip):
    missing = run_fer_core("video", tmp_path / "nowhere.mp4")
    assert missing.returncode == 2 and f"error: There is no file {tmp_path / 'nowhere.mp4'}." in missing.stderr
    bad_rate = run_fer_core("video", crossing_clip, "--fps", "0")
    assert bad_rate.returncode == 2 and "error: fps must be above 0 and at most 120, not 0.0." in bad_rate.stderr


def test_cli_video_bad_input_is_one_line_and_exit_2(tmp_path):
    path = tmp_path / "notes.mp4"
    path.write_text("not a video")
    result = run_fer_core("video", path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert errors == ["error: notes.mp4 is not a video FER Studio can read (its contents are not in a video format "
                      "FFmpeg knows). Try an MP4, WebM, MOV, AVI or GIF clip."]


def digest(clip: bytes) -> str:
    """What the page keys a saved analysis by: the upload's digest (ui.cached.upload_digest)."""
    return hashlib.sha1(clip).hexdigest()


def test_a_saved_analysis_is_made_once_in_the_background_and_shared(crossing_clip, predictor, tmp_path):
    clip = crossing_clip.read_bytes()
    saved = SavedAnalysis.for_clip(tmp_path / "videos", digest(clip), SHIPPED_MODEL, 4)
    assert saved == SavedAnalysis.for_clip(tmp_path / "videos", digest(clip), SHIPPED_MODEL, 4)
    job = AnalysisJob.start(saved, io.BytesIO(clip), predictor, fps=4, name="crossing.mp4")
    assert job.done or AnalysisJob.start(saved, io.BytesIO(clip), predictor, fps=4) is job  # no second analysis
    job.wait(120)
    assert job.state == "done" and job.error is None and saved.exists()
    data = saved.load()
    assert data["analysed_frames"] == 10 and data["clip"]["name"] == "This clip"  # no visitor's name kept
    assert saved.csv_path.read_text().count("\n") == 21

    bad = SavedAnalysis.for_clip(tmp_path / "videos", digest(b"not a video"), SHIPPED_MODEL, None)
    failed = AnalysisJob.start(bad, io.BytesIO(b"not a video"), predictor, session="a", attempt=1, name="notes.mp4")
    failed.wait(60)
    assert failed.error.startswith("This clip is not a video") and not bad.exists()
    # The page's reruns for the same upload get its sentence; a new upload, or another visitor, analyses it again.
    assert AnalysisJob.start(bad, io.BytesIO(b"not a video"), predictor, session="a", attempt=1) is failed
    assert AnalysisJob.start(bad, io.BytesIO(b"not a video"), predictor, session="a", attempt=2) is not failed
    assert AnalysisJob.start(bad, io.BytesIO(b"not a video"), predictor, session="b", attempt=1) is not failed


# Bounded, cancellable analyses: one per session, a few at once in the server, stopped when nobody waits.

@pytest.fixture
def jobs(monkeypatch):
    """AnalysisJob's server-wide state as it is between tests: every job this test left is stopped at its end."""
    monkeypatch.setattr(AnalysisJob, "at_once", 1)
    yield AnalysisJob
    for job in list(AnalysisJob._jobs.values()):
        job.stop()
        job.wait(30)


def _until(condition, seconds: float = 30) -> float:
    """Seconds until `condition()` held (fails after `seconds`)."""
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < seconds, "timed out"
        time.sleep(0.05)
    return time.monotonic() - started


def _connected():
    return True


def test_a_sessions_new_clip_or_rate_stops_its_old_analysis(jobs, crossing_clip, predictor, tmp_path):
    clip, slow = crossing_clip.read_bytes(), SlowPredictor(predictor, 0.1)
    every_frame = SavedAnalysis.for_clip(tmp_path / "videos", digest(clip), SHIPPED_MODEL, None)
    first = AnalysisJob.start(every_frame, io.BytesIO(clip), slow, session="s", alive=_connected)
    assert first.state == "running"
    shared = AnalysisJob.start(every_frame, io.BytesIO(clip), slow, session="other", alive=_connected)
    assert shared is first  # another visitor with the same clip waits on the same job

    four = SavedAnalysis.for_clip(tmp_path / "videos", digest(clip), SHIPPED_MODEL, 4)
    second = AnalysisJob.start(four, io.BytesIO(clip), slow, session="s", alive=_connected, fps=4)
    assert second.state == "queued" and first.state == "running"  # "other" still waits on the first
    AnalysisJob.start(four, io.BytesIO(clip), slow, session="other", alive=_connected, fps=4)
    assert _until(lambda: first.done) < 5 and first.state == "stopped" and not every_frame.exists()
    second.wait(60)
    assert second.state == "done" and four.exists() and AnalysisJob.running_count() == 0

    third = AnalysisJob.start(every_frame, io.BytesIO(clip), slow, session="s", alive=_connected)
    AnalysisJob.leave("s")  # the visitor removed the clip
    assert _until(lambda: third.done) < 5 and third.state == "stopped"


def test_the_server_runs_at_most_its_cap_and_queues_the_rest(jobs, crossing_clip, predictor, tmp_path):
    clip, slow = crossing_clip.read_bytes(), SlowPredictor(predictor, 0.1)
    started = [AnalysisJob.start(SavedAnalysis.for_clip(tmp_path / "videos", digest(clip), SHIPPED_MODEL, fps),
                                 io.BytesIO(clip), slow, session=f"visitor {i}", alive=_connected, at_once=2, fps=fps)
               for i, fps in enumerate((None, 6, 4))]
    assert [job.state for job in started] == ["running", "running", "queued"]
    assert started[2].ahead == 2 and AnalysisJob.running_count() == 2
    started[0].stop()
    _until(lambda: started[2].state == "running")
    assert started[0].state == "stopped" and started[2].ahead == 0 and AnalysisJob.running_count() == 2
    for job in started[1:]:
        job.wait(120)
        assert job.state == "done" and job.saved.exists()


def test_an_analysis_nobody_waits_for_is_stopped(jobs, crossing_clip, predictor, tmp_path, monkeypatch):
    monkeypatch.setattr(AnalysisJob, "ABANDONED_AFTER_SECONDS", 1.0)
    clip, slow = crossing_clip.read_bytes(), SlowPredictor(predictor, 0.3)
    connected = [True]
    saved = [SavedAnalysis.for_clip(tmp_path / "videos", digest(clip), SHIPPED_MODEL, fps) for fps in (None, 10, 6)]
    # A tab that polls; a tab closed at once (nobody can tell whether it is connected); a session that stopped
    # polling (it is on another page) but is still connected, until it is not.
    polled = AnalysisJob.start(saved[0], io.BytesIO(clip), slow, session="polls", at_once=3)
    closed = AnalysisJob.start(saved[1], io.BytesIO(clip), slow, session="closed")
    away = AnalysisJob.start(saved[2], io.BytesIO(clip), slow, session="away", alive=lambda: connected[0])
    queued = AnalysisJob.start(SavedAnalysis.for_clip(tmp_path / "videos", digest(clip), SHIPPED_MODEL, 5), io.BytesIO(clip),
                               slow, session="queued and closed", fps=5)
    assert queued.state == "queued"
    started = time.monotonic()
    while not closed.done:
        polled.poll("polls")
        time.sleep(0.2)
        assert time.monotonic() - started < 10
    assert time.monotonic() - started < AnalysisJob.ABANDONED_AFTER_SECONDS + 1.5
    assert closed.state == "stopped" and polled.state == "running" and away.state == "running"
    polled.poll("polls")
    assert queued.state == "stopped"  # abandoned in the queue: never started
    connected[0] = False
    assert _until(lambda: away.done, 5) < 1.5 and away.state == "stopped"
    assert polled.state == "running" and AnalysisJob.running_count() == 1


def test_a_failed_analysis_is_not_kept_for_anyone(jobs, crossing_clip, predictor, tmp_path, monkeypatch):
    from fer_core import atomic
    from fer_core.prediction import saved_analyses

    def disk_full(path, data):
        def write(tmp):
            raise OSError(errno.ENOSPC, "No space left on device")
        return atomic.write_atomically(path, write)

    clip = crossing_clip.read_bytes()
    saved = SavedAnalysis.for_clip(tmp_path / "videos", digest(clip), SHIPPED_MODEL, 4)
    monkeypatch.setattr(saved_analyses, "write_json_atomically", disk_full)
    failed = AnalysisJob.start(saved, io.BytesIO(clip), predictor, session="a", attempt="upload 1", fps=4)
    failed.wait(60)
    assert failed.error == "The disk is full: could not write analysis.json. Free some space and try again."
    assert failed.state == "failed" and not saved.exists()
    # Another visitor asking for the same clip meanwhile gets an analysis of their own, not the first one's failure.
    theirs = AnalysisJob.start(saved, io.BytesIO(clip), predictor, session="b", attempt="upload 7", fps=4)
    assert theirs is not failed
    theirs.wait(60)
    assert theirs.state == "failed"  # the disk is still full: it was tried

    monkeypatch.setattr(saved_analyses, "write_json_atomically", atomic.write_json_atomically)  # space freed
    again = AnalysisJob.start(saved, io.BytesIO(clip), predictor, session="a", attempt="upload 2", fps=4)
    again.wait(60)
    assert again.state == "done" and again.error is None and saved.exists()


def test_a_clip_over_the_pixel_budget_is_refused_from_its_header_before_decoding(tmp_path, predictor):
    path = write_clip(tmp_path / "8k.mp4", still_frames(np.full((4320, 7680, 3), 90, np.uint8), 2), fps=30,
                      preset="ultrafast")
    sentence = (r"8k.mp4 is 2 frames of 7,680×4,320, 66 million pixels to decode; this server decodes up to 60 million "
                r"pixels a clip \(about 1.0 s of 1080p at 30 frames/s; FER_MAX_VIDEO_GIGAPIXELS\)")
    with pytest.raises(VideoError, match=sentence):
        open_clip(path, max_pixels=60e6)  # open_clip decodes the first frame only after its checks
    with pytest.raises(VideoError, match=sentence):
        analyse_video(path, predictor, max_pixels=60e6)
    assert analyse_video(path, predictor, max_pixels=70e6).analysed_frames == 2


def _streamed_mkv(path, frames, fps: int = 30):
    """A Matroska clip written to a pipe, as a live encoder writes it: its header holds no length and no frame count."""
    class Pipe(io.RawIOBase):
        def writable(self):
            return True

        def write(self, data):
            handle.write(data)
            return len(data)

    with open(path, "wb") as handle, av.open(Pipe(), "w", format="matroska") as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = 320, 240, "yuv420p"
        for picture in frames:
            out.mux(stream.encode(av.VideoFrame.from_ndarray(picture, format="rgb24")))
        out.mux(stream.encode(None))
    return path


def test_a_clip_whose_header_hides_its_length_stops_at_the_pixel_budget(tmp_path, predictor):
    path = _streamed_mkv(tmp_path / "streamed.mkv", crossing_frames(320, 240, 30))
    with open_clip(path, max_pixels=320 * 240 * 10) as clip:  # the header cannot tell
        assert clip.duration is None and clip.frame_count is None
    with pytest.raises(VideoError, match="streamed.mkv decodes to more pixels than its header says; this server "
                                         "decodes up to 1 million pixels a clip"):
        analyse_video(path, predictor, max_pixels=320 * 240 * 10)
    assert analyse_video(path, predictor, max_pixels=320 * 240 * 30).analysed_frames == 30


def test_frame_rates_are_written_as_numbers():
    assert [frame_rate_text(rate) for rate in (29.97, 30.0, 23.976, 1000.0, 120.0, 0.5)] == [
        "29.97 frames/s", "30 frames/s", "23.98 frames/s", "1,000 frames/s", "120 frames/s", "0.5 frames/s"]


def test_video_scores_each_face_as_its_mirror_pair_and_says_so(crossing_clip, predictor):
    from fer_core.prediction.frame_analysis import VIDEO_TTA, video_tta

    assert predictor.classifier.info.tta == "flip_zoom" and VIDEO_TTA == "flip"
    assert video_tta("flip_zoom") == "flip" and video_tta("none") == "none"  # never more views than the model's own
    cheap = analyse_video(crossing_clip, predictor, fps=4)
    assert cheap.tta == "flip" and json.loads(json.dumps(cheap.to_dict()))["tta"] == "flip"
    served = analyse_video(crossing_clip, predictor, fps=4, tta="flip_zoom")
    assert served.to_dict()["tta"] == "flip_zoom"
    for ours, theirs in zip(cheap.people, served.people):
        assert (ours.probability_matrix().argmax(1) == theirs.probability_matrix().argmax(1)).all()
    with pytest.raises(FERError, match="test-time augmentation"):
        analyse_video(crossing_clip, predictor, tta="tenfold")

