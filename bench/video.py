"""Video: how many frames a second `analyse_video` gets through, every frame analysed, on clips this section makes
from the test photos (two people crossing, 640×480 and 1280×720); what its two savings buy (the detector's looks,
the views spread over frames) and cost (boxes between looks against the detector's own, on the crossing clip and on
a hand-held one; labels against the served views); the `fer` package's video analysis on the same 640×480 clip in
the same process; decoding alone with PyAV and with OpenCV; then, in the real app (`streamlit run` and headless
Chromium), the server's memory while the Video page analyses a ten-minute 720p clip, and the Live mode's frames a
second with Chromium's fake camera playing two faces."""

from __future__ import annotations

import os
import re
import tempfile
import time
from pathlib import Path

import numpy as np

from ui.pages import VIDEO

from .app_urls import page_url
from .measure import own_rss_bytes, summary, timed, tree_rss_bytes
from .prediction import benchmark_model

CLIP_SECONDS = 10
CLIP_FPS = 30
SIZES = {"640x480": (640, 480), "1280x720": (1280, 720)}
LONG_CLIP_SECONDS = 600
LONG_CLIP_RATE = 5  # the Video page's default: frames analysed per second of clip
LIVE_SECONDS = 20


def _clip(folder: Path, name: str, width: int, height: int, seconds: float, preset: str = "veryfast") -> Path:
    from scripts.make_test_clip import crossing_frames, write_clip

    return write_clip(folder / name, crossing_frames(width, height, round(seconds * CLIP_FPS)), fps=CLIP_FPS,
                      preset=preset)


def _annotated_cost(folder: Path, predictor, repeats: int, seconds: float = CLIP_SECONDS) -> dict:
    """What the annotated clip adds to the page's default analysis (LONG_CLIP_RATE frames a second) of a clip with
    sound, per size: seconds for the analysis alone, with every frame drawn at the clip's rate with its sound, and
    with only the analysed frames drawn (with sound: the page's choice past FER_ANNOTATE_EVERY_FRAME_SECONDS)."""
    from fer_core.prediction.video_analysis import analyse_video
    from scripts.make_test_clip import crossing_frames, write_clip

    def best(clip: Path, **options) -> float:
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            analyse_video(clip, predictor, fps=LONG_CLIP_RATE, **options)
            times.append(time.perf_counter() - started)
        return round(min(times), 2)

    out = {}
    for key, (width, height) in SIZES.items():
        clip = write_clip(folder / f"sound_{key}.mp4", crossing_frames(width, height, round(seconds * CLIP_FPS)),
                          fps=CLIP_FPS, preset="veryfast", with_sound=True)
        analyse_video(clip, predictor, fps=LONG_CLIP_RATE, annotated_path=folder / "warm.mp4")  # warm-up
        alone = best(clip)
        every_frame = best(clip, annotated_path=folder / "every.mp4")
        analysed_only = best(clip, annotated_path=folder / "analysed.mp4", annotate_every_frame_seconds=0)
        out[key] = {"clip_seconds": seconds, "clip_fps": CLIP_FPS, "analysed_per_second": LONG_CLIP_RATE,
                    "analysis_seconds": alone, "with_every_frame_seconds": every_frame,
                    "with_analysed_frames_seconds": analysed_only,
                    "every_frame_extra_seconds": round(every_frame - alone, 2),
                    "analysed_frames_extra_seconds": round(analysed_only - alone, 2)}
    return out


def _ours(predictor, clip: Path, repeats: int) -> dict:
    from fer_core.prediction.video_analysis import analyse_video

    analysis = analyse_video(clip, predictor)  # warm-up, and the figures' frame count
    frames = analysis.analysed_frames
    runs = timed(lambda: analyse_video(clip, predictor), repeats)
    return {"frames": frames, "people": len(analysis.people), "seconds": runs,
            "frames_per_second": frames / runs["median"],
            "with_annotated_mp4": frames / timed(lambda: analyse_video(clip, predictor, annotated_path=clip.with_suffix(
                ".annotated.mp4")), 1)["median"]}


def _what_if(predictor, clip: Path, repeats: int, **options) -> dict:
    """The same analysis with other choices (analyse_video's `options`): its frames a second."""
    from fer_core.prediction.video_analysis import analyse_video

    analysis = analyse_video(clip, predictor, **options)
    runs = timed(lambda: analyse_video(clip, predictor, **options), repeats)
    return {"options": options, "frames_per_second": analysis.analysed_frames / runs["median"], "seconds": runs,
            "frames_searched": analysis.frames_searched, "frames": analysis.analysed_frames}


def _between_looks(predictor, clip: Path) -> dict:
    """What boxing the frames between the detector's looks costs: the default analysis against the detector looking at
    every frame (same views), on the frames it did not look at: how far each box's centre is from the detector's own,
    as a share of the face's side, how often the person's label (top-1, smoothed) is the same, and how far apart the
    probabilities are (total variation: half the summed absolute differences, 0 to 1). Compared on the
    frames between scheduled looks (where the detector looked at them anyway, as people changed, they match)."""
    from fer_core.prediction.video_analysis import analyse_video

    default = analyse_video(clip, predictor)
    every = analyse_video(clip, predictor, detect_every_frames=1)
    offsets, differences, same, compared = [], [], 0, 0
    for ours, theirs in zip(default.people, every.people):
        their_place = {frame: i for i, frame in enumerate(theirs.frames)}
        our_boxes, their_boxes = ours.box_matrix(), theirs.box_matrix()
        ours_p, theirs_p = ours.probability_matrix(), theirs.probability_matrix()
        for i, frame in enumerate(ours.frames):
            j = their_place.get(frame)
            if j is None or frame % default.detector_every_frames == 0:
                continue
            a, b = our_boxes[i], their_boxes[j]
            offsets.append(float(np.hypot(*(a[:2] + a[2:] / 2 - b[:2] - b[2:] / 2)) / max(b[2], 1)))
            same += int(ours_p[i].argmax() == theirs_p[j].argmax())
            differences.append(float(np.abs(ours_p[i] - theirs_p[j]).sum() / 2))
            compared += 1
    offsets = np.array(offsets) if offsets else np.zeros(1)
    return {"frames": default.analysed_frames, "frames_searched": default.frames_searched,
            "people": len(default.people), "people_looking_every_frame": len(every.people),
            "person_frames_compared": compared, "label_agreement": same / compared if compared else None,
            "probability_difference": float(np.mean(differences)) if differences else None,
            "centre_offset_share_of_face": {"median": float(np.median(offsets)),
                                            "p95": float(np.percentile(offsets, 95)), "max": float(offsets.max())}}


def _served_views(predictor, clip: Path, repeats: int) -> dict:
    """What the video default (`video_tta`) saves and costs: the same analysis with the model's served test-time views,
    its frames a second, and how often each person's label (top-1 after smoothing) agrees frame by frame."""
    from fer_core.prediction.video_analysis import analyse_video

    served = predictor.classifier.info.tta
    analysis = analyse_video(clip, predictor, tta=served)
    runs = timed(lambda: analyse_video(clip, predictor, tta=served), repeats)
    default = analyse_video(clip, predictor)
    same = total = 0
    for ours, theirs in zip(default.people, analysis.people):
        rows = min(len(ours), len(theirs))
        same += int(np.sum(ours.probability_matrix()[:rows].argmax(1) == theirs.probability_matrix()[:rows].argmax(1)))
        total += rows
    return {"tta": served, "frames_per_second": analysis.analysed_frames / runs["median"], "seconds": runs,
            "label_agreement": same / total if total else None, "labels_compared": total}


def _tta_agreement(predictor, data: Path) -> dict:
    """On real faces: FER2013's test faces, each scored with every test-time mode, and with the served views spread
    over a 0.5 s window of a 30 frames/s clip (15 frames, one view each, as a still face gets them); how often each
    top-1 is the served views' top-1, and each one's accuracy. The bench reads the CSV; tests never do."""
    from fer_core import load_fer2013
    from fer_core.prediction.frame_analysis import video_tta
    from fer_core.prediction.tta import view_count

    dataset = load_fer2013(data)
    test = dataset.split("test")
    classifier = predictor.classifier
    served, video = classifier.info.tta, video_tta(classifier.info.tta)
    modes = list(dict.fromkeys([served, video, "none"]))
    top1 = {mode: classifier.predict_proba(test.images, tta=mode).argmax(1) for mode in modes}
    window = round(CLIP_FPS * 0.5)
    views = [classifier.predict_proba(test.images, tta=served, view=v) for v in range(view_count(served))]
    spread = f"{served} spread over {window} frames"
    top1[spread] = np.mean([views[frame % len(views)] for frame in range(window)], axis=0).argmax(1)
    same_as_validation = np.array_equal(dataset.splits.test, dataset.splits.validation)
    return {"split": "test" + (" (PublicTest; this file has no PrivateTest rows)" if same_as_validation else ""),
            "faces": len(test), "served": served, "video": video, "spread": spread,
            "agreement_with_served": {mode: float(np.mean(top1[mode] == top1[served])) for mode in top1},
            "accuracy": {mode: float(np.mean(top1[mode] == test.labels)) for mode in top1}}


def _fer_package(clip: Path):
    """The `fer` package (Haar cascade + mini-Xception): `Video(clip).analyze(FER())`, every frame, nothing saved.
    Returns (a function that analyses the clip once, facts), or (None, why it could not be measured)."""
    try:
        import cv2
        from fer.classes import Video
        from fer.fer import FER
    except Exception as exc:  # not installed, or it cannot import here
        return None, {"skipped": f"the fer package could not be imported ({type(exc).__name__}: {exc})"}
    import logging
    from importlib.metadata import version

    logging.getLogger("fer").setLevel(logging.ERROR)
    # fer calls cv2.waitKey and cv2.destroyAllWindows, which the headless OpenCV wheel cannot run: no-ops instead
    # (a real waitKey(1) would wait a millisecond a frame, so this flatters fer slightly).
    cv2.waitKey, cv2.destroyAllWindows = (lambda *args: -1), (lambda: None)
    detector = FER()
    out = tempfile.mkdtemp()

    def analyse():
        here = os.getcwd()
        os.chdir(out)  # analyze writes its results to ./data.csv
        try:
            return Video(str(clip), outdir=out).analyze(detector, display=False, save_frames=False, save_video=False,
                                                        annotate_frames=False, zip_images=False)
        finally:
            os.chdir(here)

    return analyse, {"version": version("fer"), "frames_with_faces": len(analyse()),
                     "configuration": "FER() defaults: Haar cascade, its quantised mini-Xception through tf.lite, "
                                      "one view per face"}


def _ours_against_fer(predictor, clip: Path, frames: int, repeats: int) -> dict:
    """Ours and fer on the same clip, one run of each in turn, so both see the same load on the machine."""
    from fer_core.prediction.video_analysis import analyse_video

    analyse, facts = _fer_package(clip)
    if analyse is None:
        return facts
    ours, theirs = [], []
    for _ in range(repeats):
        ours.append(timed(lambda: analyse_video(clip, predictor), 1)["median"])
        theirs.append(timed(analyse, 1)["median"])
    return {**facts, "frames": frames, "seconds": summary(theirs), "frames_per_second": frames / summary(theirs)["median"],
            "ours_same_turns": {"seconds": summary(ours), "frames_per_second": frames / summary(ours)["median"]}}


def _decode_only(clip: Path) -> dict:
    import cv2

    from fer_core.prediction.video_clips import open_clip

    def pyav():
        with open_clip(clip) as opened:
            return sum(1 for _ in opened.frames())

    def opencv():
        capture, count = cv2.VideoCapture(str(clip)), 0
        while True:
            ok, frame = capture.read()
            if not ok:
                return count
            cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
            count += 1

    frames = pyav()
    return {"frames": frames, "pyav_frames_per_second": frames / timed(pyav, 3, warmup=1)["median"],
            "opencv_frames_per_second": frames / timed(opencv, 3, warmup=1)["median"],
            "note": "PyAV: decode, RGB, shrink to 960×540 (what analysis gets); OpenCV: decode and BGR→RGB at 1280×720"}


def _in_the_app(folder: Path, long_clip: Path, quick: bool) -> dict:
    """The server's memory while the Video page analyses the long clip, sampled with the page's own progress line;
    then Live mode's frames a second with the fake camera."""
    from bench.app_in_browser import chromium_page, running_app
    from scripts.make_test_clip import crossing_frames, write_y4m

    camera = write_y4m(folder / "camera.y4m", crossing_frames(640, 480, 90), fps=30)
    fake_camera = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                   f"--use-file-for-fake-video-capture={camera}"]
    env = {"FER_CACHE_DIR": str(folder / "cache"), "FER_MAX_VIDEO_SECONDS": str(LONG_CLIP_SECONDS + 60)}
    samples, live = [], {}
    with running_app(env) as (url, server), chromium_page(fake_camera) as page:
        page.goto(page_url(url, VIDEO))
        page.get_by_text("Frames analysed per second").first.wait_for(timeout=300_000)  # a busy machine is slow
        before = tree_rss_bytes(server.pid)
        page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(long_clip)
        started = time.perf_counter()
        done = page.get_by_text("Person 2: mostly").first
        while not done.is_visible():
            text = page.locator('[data-testid="stProgress"]').first.inner_text() if page.locator(
                '[data-testid="stProgress"]').count() else ""
            found = re.search(r"Analysed ([\d,]+)", text)
            samples.append({"seconds": time.perf_counter() - started, "rss_bytes": tree_rss_bytes(server.pid),
                            "frames_done": int(found[1].replace(",", "")) if found else None})
            if time.perf_counter() - started > 1500:
                raise TimeoutError("the long clip took over 25 minutes")
            time.sleep(1.0)
        analysis_seconds = time.perf_counter() - started
        after = tree_rss_bytes(server.pid)

        page.get_by_text("Live webcam").first.click()
        page.frame_locator('iframe[title*="streamlit_webrtc"]').get_by_role("button", name="Start").click(timeout=180_000)
        page.get_by_text("frames/s").first.wait_for(timeout=180_000)
        rates = []
        for _ in range(5 if quick else LIVE_SECONDS):
            time.sleep(1.0)
            found = re.search(r"([\d.]+) frames/s · faces in view: (\d+)", page.get_by_text("frames/s").first.inner_text())
            if found:
                rates.append((float(found[1]), int(found[2])))
        live = {"frames_per_second": summary([r for r, _ in rates]) if rates else None,
                "faces_in_view": [f for _, f in rates], "camera": "Chromium fake camera, 640×480 y4m at 30 frames/s",
                "server_rss_bytes": tree_rss_bytes(server.pid)}
    rss = [s["rss_bytes"] for s in samples]
    return {"long_clip": {"seconds_of_clip": LONG_CLIP_SECONDS if not quick else 60, "rate": LONG_CLIP_RATE,
                          "bytes": long_clip.stat().st_size, "analysis_seconds": analysis_seconds,
                          "server_rss_before_upload_bytes": before, "server_rss_after_bytes": after,
                          "server_rss_max_bytes": max(rss) if rss else None, "samples": samples},
            "live": live}


SWEEP_SECONDS = 20  # the 8K clip: 600 frames at 30 frames/s, 20 billion pixels to decode (within the default budget)
SWEEP_SESSIONS = 2
SETTLE_SECONDS = 15  # how long the server is watched after the tabs close


def _long_8k_clip(folder: Path, seconds: float, base_frames: int = 30) -> Path:
    """An 8K (7680×4320) H.264 clip of `seconds` at 30 frames/s: `base_frames` frames of two people crossing, encoded
    once (libx264 takes about a second an 8K frame here), their packets written again and again with later times."""
    import av

    from scripts.make_test_clip import crossing_frames, write_clip

    base = write_clip(folder / "8k_base.mp4", crossing_frames(7680, 4320, base_frames), fps=CLIP_FPS,
                      preset="ultrafast")
    path = folder / "8k.mp4"
    with av.open(str(base)) as source, av.open(str(path), "w", format="mp4") as out:
        stream = source.streams.video[0]
        packets = [packet for packet in source.demux(stream) if packet.dts is not None]
        copy = out.add_stream_from_template(stream)
        step = round(base_frames / CLIP_FPS / stream.time_base)  # the base's length in its own time units
        for repeat in range(max(1, round(seconds * CLIP_FPS / base_frames))):
            for packet in packets:
                clone = av.Packet(bytes(packet))
                clone.pts, clone.dts = packet.pts + repeat * step, packet.dts + repeat * step
                clone.time_base, clone.is_keyframe, clone.stream = packet.time_base, packet.is_keyframe, copy
                out.mux(clone)
    return path


def _cpu_seconds(pids: list[int]) -> float:
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
        except OSError:
            pass
    return ticks / os.sysconf("SC_CLK_TCK")


def _decoders(pids: list[int]) -> int:
    """Video decoders open in these processes: FFmpeg names each H.264 decoder's first frame thread av:h264:df0, and
    an analysis holds one decoder while it runs."""
    count = 0
    for pid in pids:
        for comm in Path(f"/proc/{pid}/task").glob("*/comm"):
            try:
                count += comm.read_text().strip().endswith(":df0")
            except OSError:
                pass
    return count


def _sweep_8k(folder: Path, quick: bool) -> dict:
    """Issue 26's attack on the Video page: SWEEP_SESSIONS visitors each upload an 8K clip and sweep the frame-rate
    slider end to end and back (every position starts another analysis), then close their tabs. Sampled twice a
    second: the server's RSS (children included), its CPU, and the analyses running (the clip decoders open in it).
    Then SETTLE_SECONDS more after the tabs closed."""
    import threading

    from playwright.sync_api import sync_playwright

    from bench.app_in_browser import CHROMIUM, CHROMIUM_ARGS, VIEWPORT, running_app, wait_until_idle

    from .measure import descendants

    clip = _long_8k_clip(folder, 4 if quick else SWEEP_SECONDS, base_frames=8 if quick else 30)
    cache = folder / "sweep_cache"
    samples, stop_sampling, marks = [], threading.Event(), {"sampling": time.perf_counter()}
    with running_app({"FER_CACHE_DIR": str(cache)}) as (url, server):
        def sample():
            started = marks["sampling"] = time.perf_counter()
            while not stop_sampling.is_set():
                tree = [server.pid, *descendants(server.pid)]
                samples.append({"seconds": time.perf_counter() - started, "rss_bytes": tree_rss_bytes(server.pid),
                                "cpu_seconds": _cpu_seconds(tree),
                                "analyses_running": _decoders(tree)})
                time.sleep(0.5)

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            pages = [browser.new_context(viewport=VIEWPORT).new_page() for _ in range(SWEEP_SESSIONS)]
            for page in pages:
                page.goto(page_url(url, VIDEO))
                page.get_by_text("Frames analysed per second").first.wait_for(timeout=300_000)
            idle_rss = tree_rss_bytes(server.pid)
            sampler = threading.Thread(target=sample, daemon=True)
            sampler.start()
            marks["upload"] = time.perf_counter()
            for page in pages:
                page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(clip)
            for page in pages:
                page.get_by_text("Analysed").first.wait_for(timeout=120_000)  # its analysis has started
            positions = 0
            for key in ["End", "Home"] + ["ArrowRight"] * 5 + ["ArrowLeft"] * 5:  # 12 moves: each a new rate
                for page in pages:
                    page.get_by_role("slider").first.press(key)
                    positions += 1
                time.sleep(0.7)
            for page in pages:
                wait_until_idle(page, 120_000)
            marks["tabs_closed"] = time.perf_counter()
            for page in pages:
                page.context.close()
            time.sleep(SETTLE_SECONDS)
            browser.close()
        stop_sampling.set()
        sampler.join()
    closed_at = marks["tabs_closed"] - marks["sampling"]

    def running_after(seconds: float) -> int | None:
        later = [s for s in samples if s["seconds"] >= closed_at + seconds]
        return later[0]["analyses_running"] if later else None

    after_close = [s for s in samples if s["seconds"] >= closed_at]
    stopped = next((s["seconds"] - closed_at for s in after_close if s["analyses_running"] == 0), None)
    late = [s for s in samples if s["seconds"] >= closed_at + 10]
    cpu_late = ((late[-1]["cpu_seconds"] - late[0]["cpu_seconds"]) / max(late[-1]["seconds"] - late[0]["seconds"], 1e-9)
                if len(late) >= 2 else None)
    return {"clip": {"width": 7680, "height": 4320, "seconds": 4 if quick else SWEEP_SECONDS, "fps": CLIP_FPS,
                     "bytes": clip.stat().st_size},
            "sessions": SWEEP_SESSIONS, "slider_moves": positions, "server_rss_idle_bytes": idle_rss,
            "server_rss_max_bytes": max(s["rss_bytes"] for s in samples),
            "most_analyses_running_at_once": max(s["analyses_running"] for s in samples),
            "seconds_until_no_analysis_after_close": stopped,
            "analyses_running_10_s_after_close": running_after(10),
            "server_cpu_cores_from_10_s_after_close": cpu_late,
            "server_rss_end_bytes": samples[-1]["rss_bytes"], "samples": samples, "closed_at_seconds": closed_at}


def run(data: Path, quick: bool) -> dict:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    seconds, repeats = (3, 1) if quick else (CLIP_SECONDS, 3)
    model_path, model_note = benchmark_model()
    from fer_core.prediction.predictor import Predictor
    from scripts.make_test_clip import handheld_frames, write_clip

    predictor = Predictor(model_path)
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        clips = {key: _clip(folder, f"{key}.mp4", *size, seconds) for key, size in SIZES.items()}
        ours = {key: _ours(predictor, clip, repeats) for key, clip in clips.items()}
        # What each saving buys: the detector on every frame; and both savings undone (the previous default).
        every_frame_searched = _what_if(predictor, clips["640x480"], repeats, detect_every_frames=1)
        before = _what_if(predictor, clips["640x480"], repeats, detect_every_frames=1, tta="flip")
        served_views = _served_views(predictor, clips["640x480"], repeats)
        handheld = write_clip(folder / "handheld.mp4", handheld_frames(640, 480, round(seconds * CLIP_FPS), fps=CLIP_FPS),
                              fps=CLIP_FPS, preset="veryfast")
        between_looks = {"crossing_640x480": _between_looks(predictor, clips["640x480"]),
                         "handheld_640x480": _between_looks(predictor, handheld)}
        agreement = _tta_agreement(predictor, data)
        decode = _decode_only(clips["1280x720"])
        annotated = _annotated_cost(folder, predictor, repeats, seconds)
        rss_ours = own_rss_bytes()
        # fer loads TensorFlow: after our own figures and memory are taken.
        fer_package = _ours_against_fer(predictor, clips["640x480"], ours["640x480"]["frames"], 1 if quick else 5)
        long_clip = _clip(folder, "long_720p.mp4", 1280, 720, 60 if quick else LONG_CLIP_SECONDS, preset="ultrafast")
        try:
            app = _in_the_app(folder, long_clip, quick)
        except Exception as exc:  # a browser or a WebRTC failure costs these figures, not the ones above
            app = {"error": f"{type(exc).__name__}: {exc}"}
        try:
            sweep = _sweep_8k(folder, quick)
        except Exception as exc:
            sweep = {"error": f"{type(exc).__name__}: {exc}"}
    from fer_core.prediction.frame_analysis import detect_every, video_views

    views, spread = video_views(predictor.classifier.info.tta, CLIP_FPS)
    return {"model": model_note, "model_tta": predictor.classifier.info.tta, "video_tta": views,
            "views_spread_over_frames": spread, "detector_every_frames": detect_every(CLIP_FPS),
            "clip_seconds": seconds, "clip_fps": CLIP_FPS, "ours": ours,
            "every_frame_searched_640x480": every_frame_searched, "before_640x480": before,
            "served_views_640x480": served_views, "between_looks": between_looks,
            "tta_agreement": agreement, "fer_package": fer_package, "decode_1280x720": decode,
            "process_rss_after_ours_bytes": rss_ours, "app": app, "sweep_8k": sweep, "annotated_clip": annotated}


if __name__ == "__main__":  # python -m bench.video sweep|annotated [--quick]: one part alone, its JSON to stdout
    import json
    import sys

    if sys.argv[1:2] not in (["sweep"], ["annotated"]):
        sys.exit("usage: python -m bench.video sweep|annotated [--quick]")
    with tempfile.TemporaryDirectory() as scratch:
        if sys.argv[1] == "annotated":
            from fer_core.prediction.predictor import Predictor

            quick = "--quick" in sys.argv
            result = _annotated_cost(Path(scratch), Predictor(benchmark_model()[0]), 1 if quick else 3,
                                     3 if quick else CLIP_SECONDS)
        else:
            result = _sweep_8k(Path(scratch), "--quick" in sys.argv)
            result = {**result, "samples": result["samples"]}
    print(json.dumps(result, indent=1))
