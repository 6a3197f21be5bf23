"""The Video page: a clip in, numbered boxes on the clip, a timeline per person, the summary and three downloads."""

import hashlib
import io
import sys
import time
from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parent.parent / "streamlit_app.py")


class Upload(io.BytesIO):
    """What st.file_uploader hands the page (UploadedFile is a BytesIO too): AppTest cannot upload."""

    def __init__(self, path: Path):
        super().__init__(path.read_bytes())
        self.name, self.size, self.file_id = path.name, path.stat().st_size, path.name


def until_analysed(at: AppTest, seconds: float = 120) -> AppTest:
    """Rerun until the background analysis has finished and the page shows it (AppTest does not run fragments on
    their timer, so the page's own polling never fires here)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        at.run()
        if at.exception or at.error or at.get("plotly_chart") or at.get("download_button"):
            return at
        time.sleep(0.5)
    raise AssertionError("the clip was not analysed in time")


def video_page(monkeypatch, clip: Path | None) -> AppTest:
    monkeypatch.setattr("streamlit.file_uploader", lambda *args, **kwargs: Upload(clip) if clip else None)
    at = AppTest.from_file(APP, default_timeout=120)
    return at.run().switch_page("app_pages/video.py")


def test_a_clip_gets_its_boxes_timelines_summary_and_downloads(monkeypatch, crossing_clip):
    at = until_analysed(video_page(monkeypatch, crossing_clip))
    assert not at.exception and not at.error
    assert any("crossing.mp4 · 640×480" in c.value and "2 people" in c.value for c in at.caption)
    charts = at.get("plotly_chart")
    assert len(charts) == 2  # one timeline per person
    assert "Person 1: mostly" in str(charts[0].proto)
    assert len(at.get("video")) == 1
    summary = at.dataframe[0].value
    assert list(summary["person"]) == [1, 2]
    assert [b.label for b in at.get("download_button")] == ["Annotated video (MP4)", "Timeline as CSV", "Timeline as JSON"]

    # The same clip again is served from the saved analysis, not analysed twice.
    at.select_slider(key="video_rate").set_value(5).run()
    assert not at.exception and len(at.get("plotly_chart")) == 2


def test_a_clip_past_the_every_frame_limit_says_its_annotated_clip_shows_the_analysed_frames(
        monkeypatch, clip_with_sound, tmp_path):
    monkeypatch.setenv("FER_ANNOTATE_EVERY_FRAME_SECONDS", "1")
    monkeypatch.setenv("FER_CACHE_DIR", str(tmp_path / "cache"))
    at = until_analysed(video_page(monkeypatch, clip_with_sound))
    assert not at.exception and not at.error
    assert any(c.value.startswith("The analysed frames at 5 frames/s, with its sound;") for c in at.caption)
    assert any("The annotated clip shows only the analysed 5 frames/s of the clip's 24 frames/s, with its sound" in i.value
               and "up to 1.0 s (FER_ANNOTATE_EVERY_FRAME_SECONDS)" in i.value for i in at.info)


def test_a_bad_clip_gets_its_sentence(monkeypatch, tmp_path):
    bad = tmp_path / "notes.mp4"
    bad.write_text("not a video")
    at = until_analysed(video_page(monkeypatch, bad))
    assert not at.exception
    # The job never sees the visitor's file name (it is shared by content): its sentence calls it "This clip".
    assert at.error[0].value.startswith("This clip is not a video FER Studio can read")


def test_a_clip_over_the_hosted_cap_is_refused(monkeypatch, crossing_clip):
    monkeypatch.setenv("FER_MAX_VIDEO_SECONDS", "1")
    at = until_analysed(video_page(monkeypatch, crossing_clip))
    assert not at.exception
    assert "this server analyses clips up to 1.0 s (FER_MAX_VIDEO_SECONDS)" in at.error[0].value


def test_without_a_clip_the_page_says_what_it_does(monkeypatch):
    at = video_page(monkeypatch, None).run()
    assert not at.exception and not at.error
    assert any("each person keeps one number" in c.value for c in at.caption)


def test_live_mode_without_webrtc_says_so(monkeypatch):
    # AppTest runs the page in this process, where other tests have loaded TensorFlow, and importing aiortc's
    # pylibsrtp beside TensorFlow crashes the process: the component is made unimportable here, which is also the
    # case to check. The real component is tested in a real browser (test_browser_video.py), against a server
    # that never loads TensorFlow.
    monkeypatch.setitem(sys.modules, "streamlit_webrtc", None)
    at = video_page(monkeypatch, None)
    at.session_state["video_mode"] = "live"
    at.run()
    assert not at.exception and not at.error
    assert at.warning[0].value == "Live mode needs the streamlit-webrtc package (pip install -r requirements.txt)."


def test_a_visitor_sees_their_own_file_name_not_the_one_who_uploaded_the_same_clip_first(monkeypatch, crossing_clip,
                                                                                          tmp_path):
    monkeypatch.setenv("FER_CACHE_DIR", str(tmp_path / "cache"))
    first, second = tmp_path / "first visitor's party.mp4", tmp_path / "holiday.mp4"
    for copy in (first, second):
        copy.write_bytes(crossing_clip.read_bytes())
    until_analysed(video_page(monkeypatch, first))
    at = until_analysed(video_page(monkeypatch, second))  # another session, the same bytes: served from the cache
    captions = " ".join(c.value for c in at.caption)
    assert "holiday.mp4 · 640×480" in captions and "party" not in captions
    saved = next((tmp_path / "cache" / "videos").glob("*/analysis.json"))
    assert "party" not in saved.read_text() and "holiday" not in saved.read_text()


def test_a_clip_over_the_pixel_budget_is_refused_on_the_page(monkeypatch, tmp_path):
    import numpy as np

    from scripts.make_test_clip import write_clip

    monkeypatch.setattr("fer_core.settings.DEFAULT_MAX_VIDEO_GIGAPIXELS", 0.06)  # 60 million: under two 8K frames
    monkeypatch.setenv("FER_CACHE_DIR", str(tmp_path / "cache"))
    clip = write_clip(tmp_path / "8k.mp4", [np.full((4320, 7680, 3), 90, np.uint8)] * 2, fps=30, preset="ultrafast")
    at = until_analysed(video_page(monkeypatch, clip))
    assert not at.exception
    assert at.error[0].value.startswith("This clip is 2 frames of 7,680×4,320, 66 million pixels to decode; this "
                                        "server decodes up to 60 million pixels a clip")


def test_the_page_queues_behind_another_visitor_and_a_new_rate_replaces_its_analysis(monkeypatch, crossing_clip,
                                                                                     tmp_path):
    from video_fixtures import SHIPPED_MODEL, SlowPredictor

    from fer_core.prediction.analysis_jobs import AnalysisJob
    from fer_core.prediction.predictor import Predictor
    from fer_core.prediction.saved_analyses import SavedAnalysis

    monkeypatch.setenv("FER_CACHE_DIR", str(tmp_path / "cache"))
    slow = SlowPredictor(Predictor(SHIPPED_MODEL), 1.0)  # a second a frame: 30 s for the clip's 30 frames
    monkeypatch.setattr("ui.cached.load_predictor", lambda *args: slow)
    clip = crossing_clip.read_bytes()
    other = AnalysisJob.start(SavedAnalysis.for_clip(tmp_path / "cache" / "videos", hashlib.sha1(clip).hexdigest(),
                                                     SHIPPED_MODEL, None),
                              io.BytesIO(clip), slow, session="another visitor", alive=lambda: True)
    try:
        at = video_page(monkeypatch, crossing_clip).run()
        assert not at.exception
        assert other.state == "running"
        assert "Another visitor's clip is being analysed; yours starts when it ends — 1 ahead of you." in [
            info.value for info in at.info], [element.value for element in at.main if hasattr(element, "value")]
        [mine] = [job for job in AnalysisJob._jobs.values() if job is not other]
        assert mine.state == "queued"
        at.select_slider(key="video_rate").set_value(10).run()  # a new rate: the queued analysis at 5 is let go
        assert mine.state == "stopped"
        [newer] = [job for job in AnalysisJob._jobs.values() if job is not other]
        assert newer.state == "queued" and newer.ahead == 1
        monkeypatch.setattr("streamlit.file_uploader", lambda *args, **kwargs: None)  # the visitor removes the clip
        at.run()
        assert newer.state == "stopped" and other.state == "running"
    finally:
        for job in list(AnalysisJob._jobs.values()):
            job.stop()
            job.wait(30)
