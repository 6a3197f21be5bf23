"""The video code split by job: the modules import on their own (no cycles, and the sidebar and the photo pictures
without OpenCV), a rerun of the Video page does not hash its clip again, the photo pages' numbered boxes and the
video's share one set of colours, and both camera pages start the camera the same way."""

import subprocess
import sys
import types
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest
from test_app_collect import SESSION, collect_page
from test_app_video import Upload, until_analysed

from fer_core.data.collected_classes import CollectedClasses
from fer_core.prediction.face_tracking import TrackedFace
from fer_core.prediction.people_drawing import BOX_COLOURS, box_colour, draw_people
from fer_core.training.runs import uploads_dir
from ui.pictures import draw_face_boxes

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "streamlit_app.py")
VIDEO_MODULES = ["video_results", "video_analysis", "live_analysis", "saved_analyses", "analysis_jobs",
                 "people_drawing", "annotated_clip"]


def _python(code: str) -> str:
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
                          timeout=120).stdout.strip()


@pytest.mark.parametrize("module", VIDEO_MODULES)
def test_each_video_module_imports_first_on_its_own(module):
    assert _python(f"import fer_core.prediction.{module}; print('ok')") == "ok"


def test_the_sidebar_and_the_photo_pictures_load_without_opencv():
    assert _python("import sys, ui.sidebar, ui.pictures; print('cv2' in sys.modules)") == "False"


def test_a_photos_numbered_boxes_and_a_clips_people_share_their_colours():
    photo = Image.new("RGB", (400, 300), "black")
    boxed = np.asarray(draw_face_boxes(photo, [(50, 100, 80, 80), (220, 100, 80, 80)]))
    assert tuple(boxed[140, 50]) == box_colour(1) == BOX_COLOURS[0]  # the left edge of face 1's box
    assert tuple(boxed[140, 220]) == box_colour(2) == BOX_COLOURS[1]
    probabilities = np.array([0.1, 0.9], np.float32)
    frame = draw_people(np.zeros((300, 400, 3), np.uint8), [TrackedFace(2, (220, 100, 80, 80), probabilities)],
                        ["calm", "happy"])
    assert tuple(frame[140, 220]) == box_colour(2)
    assert box_colour(len(BOX_COLOURS) + 1) == box_colour(1)  # numbers past the last colour start again


class CountedUpload(Upload):
    """An upload that counts how often its whole bytes are asked for (what hashing the clip takes)."""

    reads = 0

    def getvalue(self):
        CountedUpload.reads += 1
        return super().getvalue()


def test_a_rerun_of_the_video_page_does_not_hash_the_clip_again(monkeypatch, crossing_clip, tmp_path):
    monkeypatch.setenv("FER_CACHE_DIR", str(tmp_path / "cache"))
    copy = tmp_path / "hashed once.mp4"  # a file id of its own: no digest cached by another test
    copy.write_bytes(crossing_clip.read_bytes())
    monkeypatch.setattr("streamlit.file_uploader", lambda *args, **kwargs: CountedUpload(copy))
    at = AppTest.from_file(APP, default_timeout=120)
    at = until_analysed(at.run().switch_page("app_pages/video.py"))
    assert not at.exception and not at.error and len(at.get("plotly_chart")) == 2
    reads = CountedUpload.reads
    assert reads <= 1
    for _ in range(3):
        at.run()
    assert not at.exception and len(at.get("plotly_chart")) == 2
    assert CountedUpload.reads == reads


@pytest.fixture
def fake_webrtc(monkeypatch):
    """A stand-in for streamlit-webrtc (AppTest has no server for the real one, and pylibsrtp beside TensorFlow
    crashes a test process): it records how each page starts the camera."""
    started = []
    module = types.ModuleType("streamlit_webrtc")
    module.WebRtcMode = types.SimpleNamespace(SENDRECV="sendrecv")

    def webrtc_streamer(**options):
        started.append(options)
        return types.SimpleNamespace(state=types.SimpleNamespace(playing=False))

    module.webrtc_streamer = webrtc_streamer
    monkeypatch.setitem(sys.modules, "streamlit_webrtc", module)
    return started


def _camera_frame() -> av.VideoFrame:
    return av.VideoFrame.from_ndarray(np.full((48, 64, 3), 90, np.uint8), format="rgb24")


def test_video_and_collect_start_the_camera_with_the_same_options(fake_webrtc, monkeypatch, tmp_path):
    monkeypatch.setattr("streamlit.file_uploader", lambda *args, **kwargs: None)
    video = AppTest.from_file(APP, default_timeout=120)
    video.run().switch_page("app_pages/video.py")
    video.session_state["video_mode"] = "live"
    video.run()
    assert not video.exception and not video.warning
    assert "Live: not started." in [caption.value for caption in video.caption]

    CollectedClasses(uploads_dir(tmp_path / "runs"), SESSION).add_class("smile")
    collect = collect_page(tmp_path, monkeypatch)
    collect.session_state["collect_mode"] = "burst"
    collect.run()
    assert not collect.exception and not collect.warning
    assert "The burst button works once the camera runs." in [caption.value for caption in collect.caption]

    [live, burst] = fake_webrtc[-2:]
    assert (live["key"], burst["key"]) == ("live", "collect_burst")
    same = ["mode", "media_stream_constraints", "async_processing"]
    assert [live[name] for name in same] == [burst[name] for name in same] == [
        "sendrecv", {"video": {"width": 640, "height": 480}, "audio": False}, True]
    # Video's frames come back drawn on (a new frame); Collect's come back as they were, and are kept.
    frame = _camera_frame()
    drawn = live["video_frame_callback"](frame)
    assert isinstance(drawn, av.VideoFrame) and drawn is not frame and (drawn.width, drawn.height) == (64, 48)
    assert burst["video_frame_callback"](frame) is frame
    kept, number = collect.session_state["collect_latest_frame"].newer_than(0, timeout=1)
    assert number == 1 and kept.shape == (48, 64, 3)


def test_the_burst_without_streamlit_webrtc_says_so(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "streamlit_webrtc", None)
    CollectedClasses(uploads_dir(tmp_path / "runs"), SESSION).add_class("smile")
    at = collect_page(tmp_path, monkeypatch)
    at.session_state["collect_mode"] = "burst"
    at.run()
    assert not at.exception
    assert [w.value for w in at.warning] == ["A burst needs the streamlit-webrtc package (pip install -r "
                                             "requirements.txt); take one photo at a time instead."]
