"""The app from cold: launch `streamlit run streamlit_app.py`, open the Predict page in headless Chromium, upload a
photo, and time until the top-3 chart is on screen; then the server's memory and whether TensorFlow is in it.
Baseline: a Python process that only imports TensorFlow."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import TimeoutError as PlaywrightTimeout

from ui.pages import PREDICT

from .app_urls import page_url, url_path
from .measure import (
    CACHE,
    REPO,
    descendants,
    in_fresh_process,
    maps_mention,
    own_rss_bytes,
    peak_rss_bytes,
    summary,
    tree_rss_bytes,
)
from .photos import example_photo
from .prediction import SHIPPED_MODEL, benchmark_model

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
# The top-3 chart is Plotly (Vega-Lite too, should a page switch); it counts as shown once its svg or canvas is drawn.
CHART = ("[data-testid='stVegaLiteChart'] canvas, [data-testid='stVegaLiteChart'] svg, "
         "[data-testid='stArrowVegaLiteChart'] canvas, [data-testid='stArrowVegaLiteChart'] svg, "
         "[data-testid='stPlotlyChart'] .main-svg")
# The photo uploader is the one in the page's main area (the sidebar has a data uploader of its own).
UPLOAD = "[data-testid='stMain'] input[type='file']"
# Streamlit marks its root element with the script's state; this matches once a run has finished.
RUN_FINISHED = "[data-testid='stApp'][data-test-script-state='notRunning']"
# ...and with its websocket's state: connected once the frontend has loaded and reached the server.
CONNECTED = "[data-testid='stApp'][data-test-connection-state='CONNECTED']"
RUN_END_TIMEOUT_MS = 60_000
SERVER_READY_TIMEOUT = 60
CHART_TIMEOUT_MS = 120_000
# Records, on the browser's clock, when the upload starts and every change of the script's run state.
WATCH_SCRIPT_RUNS = """() => {
    const app = document.querySelector("[data-testid='stApp']");
    window.benchStates = [];
    window.benchChart = null;
    new MutationObserver(() => window.benchStates.push([performance.now(), app.getAttribute("data-test-script-state")]))
        .observe(app, {attributes: true, attributeFilter: ["data-test-script-state"]});
    window.benchUpload = performance.now();
}"""
TIMINGS = ("launch_", "ready_", "connected_", "upload_", "chart_", "warm_", "cold_")
TENSORFLOW_IMPORT = ("import time; start = time.perf_counter(); import tensorflow; seconds = time.perf_counter() - start; "
                     "import json; from bench.measure import own_rss_bytes as rss; "
                     "print(json.dumps({'seconds': seconds, 'rss_bytes': rss()}))")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_ready(port: int, server: subprocess.Popen) -> float:
    deadline = time.perf_counter() + SERVER_READY_TIMEOUT
    while time.perf_counter() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the streamlit server exited with code {server.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1) as response:
                if response.status == 200:
                    return time.perf_counter()
        except OSError:
            pass
        time.sleep(0.02)
    raise RuntimeError(f"the streamlit server did not answer within {SERVER_READY_TIMEOUT} s")


def _stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)  # the server was started in its own process group: its id is its pid
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def _visit_and_predict(page, url: str, photo: Path) -> dict:
    """Open the Predict page, upload the photo, wait for its chart and for the run to end; the moment of each."""
    moments = {}
    page.goto(url, wait_until="commit")
    page.locator(CONNECTED).wait_for(state="attached", timeout=CHART_TIMEOUT_MS)
    moments["connected"] = time.perf_counter()
    upload = page.locator(UPLOAD).first
    upload.wait_for(state="attached", timeout=CHART_TIMEOUT_MS)
    moments["uploader"] = time.perf_counter()
    charts_before = page.locator(CHART).count()  # a chart already on the page is not the prediction's
    page.evaluate(WATCH_SCRIPT_RUNS)
    upload.set_input_files(str(photo))
    page.wait_for_function(f"""() => {{
        if (document.querySelectorAll({json.dumps(CHART)}).length <= {charts_before}) return false;
        window.benchChart = window.benchChart || performance.now();
        return true;
    }}""", timeout=CHART_TIMEOUT_MS, polling=10)
    moments["chart"] = time.perf_counter()
    try:  # memory is read once the run that drew the chart has finished (saliency maps come after it)
        page.locator(RUN_FINISHED).wait_for(state="attached", timeout=RUN_END_TIMEOUT_MS)
    except PlaywrightTimeout:
        pass
    moments["run_finished"] = time.perf_counter()
    moments.update(_script_run_split(page.evaluate("() => [window.benchUpload, window.benchStates, window.benchChart]")))
    return moments


def _script_run_split(watched) -> dict:
    """From the browser's own clock: upload → the script run starts, the run itself, its end → the chart drawn."""
    upload, states, chart = watched
    started = next((t for t, state in states if state == "running"), None)
    ended = next((t for t, state in states if started is not None and t > started and state == "notRunning"), None)
    if started is None or ended is None:
        return {}
    return {"browser_upload_to_run_start": (started - upload) / 1000, "browser_run": (ended - started) / 1000,
            "browser_run_end_to_chart": (chart - ended) / 1000}


def _cold_start_once(playwright, photo: Path, log: Path, env: dict) -> dict:
    port = _free_port()
    with tempfile.TemporaryDirectory(prefix="fer-bench-chromium-") as profile:
        # The browser starts before the server, so its own start-up is not counted.
        context = playwright.chromium.launch_persistent_context(profile, executable_path=CHROMIUM, headless=True,
                                                                args=CHROMIUM_ARGS)
        page = context.new_page()
        launched = time.perf_counter()
        with open(log, "a") as handle:
            server = subprocess.Popen(
                [sys.executable, "-m", "streamlit", "run", "streamlit_app.py", "--server.headless", "true",
                 "--server.port", str(port), "--browser.gatherUsageStats", "false"],
                cwd=REPO, env=env, stdout=handle, stderr=subprocess.STDOUT, process_group=0)
        try:
            ready = _wait_until_ready(port, server)
            cold = _visit_and_predict(page, page_url(f"http://127.0.0.1:{port}", PREDICT), photo)
            shown = cold["chart"]
            time.sleep(0.5)
            processes = [server.pid, *descendants(server.pid)]
            memory = {
                "server_rss_bytes": tree_rss_bytes(server.pid),
                "server_peak_rss_bytes": peak_rss_bytes(server.pid),
                "server_processes": len(processes),
                "tensorflow_loaded": any(maps_mention(pid, "libtensorflow") for pid in processes),
                "litert_loaded": any(maps_mention(pid, "litert") or maps_mention(pid, "tflite") for pid in processes),
                "onnxruntime_loaded": any(maps_mention(pid, "onnxruntime") for pid in processes),
            }
            # The same again in a new browser tab on the now-warm server: what a cold start adds to every visit.
            warm_page = context.new_page()
            opened = time.perf_counter()
            warm = _visit_and_predict(warm_page, page_url(f"http://127.0.0.1:{port}", PREDICT), photo)
            return {
                **memory,
                "launch_to_ready": ready - launched,
                "ready_to_chart": shown - ready,
                "ready_to_connected": cold["connected"] - ready,
                "connected_to_uploader": cold["uploader"] - cold["connected"],
                "ready_to_uploader": cold["uploader"] - ready,
                "upload_to_chart": shown - cold["uploader"],
                "chart_to_run_end": cold["run_finished"] - shown,
                "warm_open_to_connected": warm["connected"] - opened,
                "warm_connected_to_uploader": warm["uploader"] - warm["connected"],
                "warm_upload_to_chart": warm["chart"] - warm["uploader"],
                "warm_open_to_chart": warm["chart"] - opened,
                "launch_to_chart": shown - launched,
                **{f"cold_{key}": value for key, value in cold.items() if key.startswith("browser_")},
                **{f"warm_{key}": value for key, value in warm.items() if key.startswith("browser_")},
            }
        except Exception:
            page.screenshot(path=str(log.with_suffix(".png")))
            raise
        finally:
            _stop(server)
            context.close()


def first_prediction_steps(model_path: str, photo: str) -> dict:
    """In this (fresh) process, the seconds each step of a first prediction takes, in the order the app meets them."""
    steps, last = {}, time.perf_counter()

    def step(name):
        nonlocal last
        now = time.perf_counter()
        steps[name] = now - last
        last = now

    import streamlit  # noqa: F401

    step("import streamlit")
    import pandas  # noqa: F401
    import plotly.graph_objects  # noqa: F401

    step("import pandas, plotly")
    import ui.cached  # noqa: E401, F401  the modules every page imports

    step("import the app's ui modules")
    from fer_core.prediction.predictor import Predictor

    step("import fer_core.prediction.predictor (OpenCV, Pillow, LiteRT)")
    predictor = Predictor(model_path)
    step("Predictor(model)")
    result = predictor.predict(Path(photo).read_bytes(), top_k=3)
    step("first predict (loads the face detector)")
    predictor.predict(Path(photo).read_bytes(), top_k=3)
    step("second predict")
    try:
        from fer_core.prediction.saliency import saliency_map

        saliency_map(predictor.classifier, result.faces[0].crop, 0)
        step("saliency map of one face")
    except (ImportError, IndexError, TypeError):
        pass
    steps["rss_bytes"] = own_rss_bytes()
    return steps


def _first_prediction_in_fresh_process(model_path: Path, photo: Path) -> dict:
    code = ("import json, sys; from bench.app_start import first_prediction_steps; "
            "print(json.dumps(first_prediction_steps(sys.argv[1], sys.argv[2])))")
    return in_fresh_process(code, str(model_path), str(photo))


def tensorflow_import(repeats: int) -> dict:
    runs = [in_fresh_process(TENSORFLOW_IMPORT, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
            for _ in range(repeats)]
    return {"seconds": summary([r["seconds"] for r in runs])["median"],
            "rss_bytes": summary([r["rss_bytes"] for r in runs])["median"], "n": repeats}


def run(data: Path, quick: bool) -> dict:
    repeats = 1 if quick else 3
    baseline = tensorflow_import(repeats)
    if not (REPO / "streamlit_app.py").exists():
        return {"skipped": "streamlit_app.py does not exist yet", "tensorflow_import": baseline}
    photo = example_photo()
    if photo is None:
        return {"skipped": "no example face photo in tests/assets/ or assets/examples/", "tensorflow_import": baseline}
    from playwright.sync_api import sync_playwright

    model_path, model_note = benchmark_model()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    if model_path != SHIPPED_MODEL:  # no shipped model yet: let the app list the benchmark's model as a run
        env["FER_RUNS_DIR"] = str(model_path.parent.parent)
    log = CACHE / "app-server.log"
    log.write_text("")
    with sync_playwright() as playwright:
        runs = [_cold_start_once(playwright, photo, log, env) for _ in range(repeats)]
    return {
        "model": model_note,
        "photo": str(photo.relative_to(REPO)),
        "page": "/" + url_path(PREDICT),
        "cold_start": {key: summary([r[key] for r in runs]) for key in runs[0] if key.startswith(TIMINGS)},
        "server_rss_bytes": summary([r["server_rss_bytes"] for r in runs]),
        "server_peak_rss_bytes": summary([r["server_peak_rss_bytes"] for r in runs]),
        "server_processes": runs[-1]["server_processes"],
        "tensorflow_loaded_in_server": any(r["tensorflow_loaded"] for r in runs),
        "litert_loaded_in_server": any(r["litert_loaded"] for r in runs),
        "onnxruntime_loaded_in_server": any(r["onnxruntime_loaded"] for r in runs),
        "tensorflow_import": baseline,
        "first_prediction_steps": _first_prediction_in_fresh_process(model_path, photo),
    }
