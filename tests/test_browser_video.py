"""The Video page in a real browser: `streamlit run` as a subprocess and headless Chromium. One test uploads a clip
and sees each person's timeline; the other turns on Live mode with Chromium's fake camera playing a clip of two
faces (a y4m file made from the test photos) and sees the server find them."""

import re

import pytest
from browser_fixtures import (
    VIEWPORT,
    PlaywrightTimeoutError,
    chromium_browser,
    chromium_page,
    running_app,
    wait_until_idle,
)

from scripts.make_test_clip import crossing_frames, write_y4m


def test_upload_a_clip_and_see_each_persons_timeline(clip_with_sound, tmp_path):
    import av

    with running_app({"FER_CACHE_DIR": str(tmp_path / "cache")}) as (url, _), chromium_page() as page:
        page.goto(f"{url}/video")
        page.get_by_text("Frames analysed per second").first.wait_for(timeout=60_000)
        page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(clip_with_sound)
        page.get_by_text("Person 2: mostly").first.wait_for(timeout=120_000)  # the second timeline's title
        wait_until_idle(page)
        assert page.locator(".js-plotly-plot").count() == 2
        assert page.get_by_text("2 people").count() >= 1
        assert page.locator('[data-testid="stException"]').count() == 0
        # The annotated clip plays in the browser: Chromium decodes its H.264 and knows its length.
        duration = page.locator("video").first.evaluate(
            "v => new Promise(done => v.readyState >= 1 ? done(v.duration) : v.addEventListener('loadedmetadata', () => done(v.duration)))")
        assert duration == pytest.approx(2.5, abs=0.5)
        # At the page's default of 5 analysed frames a second, the 24 frames/s clip comes back as it was filmed.
        assert page.get_by_text("Every frame of the clip at 24 frames/s, with its sound").count() == 1
        with page.expect_download() as download:
            page.get_by_role("button", name="Annotated video (MP4)").click()
        saved = tmp_path / download.value.suggested_filename
        download.value.save_as(saved)
        assert saved.name == "with_sound_emotions.mp4"
        with av.open(str(saved)) as container:
            video, sound = container.streams.video[0], container.streams.audio[0]
            assert float(video.average_rate) == pytest.approx(24, abs=0.05)
            assert sound.codec_context.name == "aac" and float(sound.duration * sound.time_base) == pytest.approx(2.5, abs=0.05)
            assert abs(sum(1 for _ in container.decode(video)) - 60) <= 1


def test_live_mode_finds_the_faces_in_the_camera_picture(tmp_path):
    camera = write_y4m(tmp_path / "camera.y4m", crossing_frames(640, 480, 60), fps=15)
    args = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={camera}"]
    with running_app({"FER_CACHE_DIR": str(tmp_path / "cache")}) as (url, _), chromium_page(args) as page:
        page.goto(f"{url}/video")
        page.get_by_text("Live webcam").first.click()
        frame = page.frame_locator('iframe[title*="streamlit_webrtc"]')
        frame.get_by_role("button", name="Start").click(timeout=120_000)
        # Real faces, found by the server in the camera's frames (one while the two cross, else two).
        try:
            page.get_by_text(re.compile(r"faces in view: [12] \(\d+: [a-z]+")).first.wait_for(timeout=150_000)
        except PlaywrightTimeoutError:
            # Say where it stopped: "Live: not started." (the Start click was lost), "waiting for the camera…" (no
            # WebRTC connection), or frames without faces.
            page.screenshot(path=str(tmp_path / "live_timeout.png"), full_page=True)
            status = page.locator("p", has_text="Live").all_inner_texts()
            pytest.fail(f"no faces within 150 s; the page's live line: {status}; the component's buttons: "
                        f"{frame.get_by_role('button').all_inner_texts()}; screenshot {tmp_path / 'live_timeout.png'}")
        assert page.locator('[data-testid="stException"]').count() == 0
        # After Stop no face is in view of anything: the line says the camera stopped, not the last frame's faces.
        frame.get_by_role("button", name="Stop").click()
        page.get_by_text(re.compile(r"Live: stopped after [\d,]+ frames analysed\.")).first.wait_for(timeout=30_000)
        assert page.get_by_text("faces in view").count() == 0


def test_a_second_visitor_waits_in_the_queue_until_the_first_closes_their_tab(crossing_clip, tmp_path):
    from scripts.make_test_clip import write_clip

    # A minute at 30 frames/s, every frame analysed: long enough to be waited on.
    long_clip = write_clip(tmp_path / "long.mp4", crossing_frames(640, 480, 1800), fps=30, preset="ultrafast")
    with running_app({"FER_CACHE_DIR": str(tmp_path / "cache")}) as (url, _), chromium_browser() as browser:
        first, second = (browser.new_context(viewport=VIEWPORT).new_page() for _ in range(2))
        for page in (first, second):
            page.goto(f"{url}/video")
            page.get_by_text("Frames analysed per second").first.wait_for(timeout=120_000)
        first.get_by_role("slider").first.press("End")  # every frame
        wait_until_idle(first)
        first.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(long_clip)
        first.get_by_text("Analysed").first.wait_for(timeout=120_000)
        second.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(crossing_clip)
        second.get_by_text("Another visitor's clip is being analysed; yours starts when it ends — 1 ahead of "
                           "you.").first.wait_for(timeout=60_000)
        first.context.close()  # the first visitor leaves: their analysis is stopped, the second one's starts
        second.get_by_text("Person 2: mostly").first.wait_for(timeout=120_000)
        assert second.get_by_text("crossing.mp4 · 640×480").count() >= 1
        assert second.locator('[data-testid="stException"]').count() == 0
