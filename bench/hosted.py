"""Hosted mode under hostile uploads, and the cold start of a rebooted host.

Memory: each hostile file is handled in a fresh Python process that has imported what the app's server imports, then
does what the server does with an upload (holds its bytes, saves it, loads it with the budget of FER_MAX_LOAD_MB) or
with a typed server path; VmRSS before, the peak (VmHWM) and VmRSS after are reported. Baseline: the same load with
no budget (the code before issue 13 refused nothing of these).

Cold start: `streamlit run streamlit_app.py` with empty dataset and numba caches (a rebooted host); the clock runs
from the server's first health answer until the Home page shows the built-in sample's face count in headless
Chromium. Baseline: the same parse with the compiled kernel forced, in a fresh process with an empty numba cache."""

from __future__ import annotations

import gzip
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ui.pages import HOME

from .app_start import CHROMIUM, CHROMIUM_ARGS, _free_port, _stop, _wait_until_ready
from .app_urls import page_url
from .measure import CACHE, REPO, SAMPLE_DATA, in_fresh_process, summary

WIDE_COLUMNS = 300_000
MANY_FACES = 200_000
SAMPLE_FACES_SHOWN = "3,217 faces"
PAGE_TIMEOUT_MS = 120_000

# Run in a fresh process: imports like the server's, then the upload's journey; prints one JSON line.
LOAD_IN_FRESH_PROCESS = r"""
import gc, json, os, sys, time
import streamlit, pandas, plotly.graph_objects  # noqa: F401  what the server has loaded before any upload
import ui.cached, ui.sidebar  # noqa: F401
from fer_core.data.dataset import load_fer2013
from fer_core.errors import FERError
from bench.measure import own_rss_bytes as rss
path, budget_mb, as_upload = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "upload"
gc.collect()
before = rss()
with open("/proc/self/clear_refs", "w") as handle:
    handle.write("5")  # resets VmHWM, so the peak below is this load's
start = time.perf_counter()
try:
    held = open(path, "rb").read() if as_upload else None  # Streamlit holds an upload's bytes in memory
    dataset = load_fer2013(path, max_load_mb=budget_mb)
    outcome = f"loaded {len(dataset):,} faces"
except FERError as error:
    outcome = str(error)
seconds = time.perf_counter() - start
peak = rss("VmHWM")
dataset = held = None
gc.collect()
print(json.dumps({"before": before, "peak": peak, "after": rss(), "seconds": seconds, "outcome": outcome}))
"""

FIRST_PARSE = ("import sys, time; start = time.perf_counter(); from fer_core.data import csv_format; "
               "csv_format.NUMPY_KERNEL_MAX_ROWS = int(sys.argv[2]); from fer_core.data.dataset import load_fer2013; "
               "d = load_fer2013(sys.argv[1], cache=False); import json; "
               "print(json.dumps({'seconds': time.perf_counter() - start, 'faces': len(d), "
               "'numba_loaded': 'numba' in sys.modules}))")


def wide_csv(folder: Path) -> Path:
    path = folder / "wide.csv"
    path.write_bytes(b",".join(b"c%d" % i for i in range(WIDE_COLUMNS)) + b"\n"
                     + b"\n".join(b"," * 9 for _ in range(10)) + b"\n")
    return path


def many_faces_gz(folder: Path, data: Path, faces: int) -> Path:
    """`faces` valid FER2013 rows (the real file's, repeated), gzipped: a file under the upload cap that holds far more
    faces than the budget."""
    path = folder / f"faces_{faces}.csv.gz"
    with gzip.open(data, "rb") as source:
        lines = source.read().split(b"\n")
    header, rows = lines[0], [row for row in lines[1:] if row]
    with gzip.open(path, "wb", compresslevel=6) as out:
        out.write(header + b"\n")
        written = 0
        while written < faces:
            for row in rows[: faces - written]:
                out.write(row + b"\n")
            written += min(len(rows), faces - written)
    return path


def load_in_fresh_process(path: Path, budget_mb: int, as_upload: bool) -> dict:
    return in_fresh_process(LOAD_IN_FRESH_PROCESS, str(path), str(budget_mb), "upload" if as_upload else "path",
                            env={**os.environ, "FER_CACHE_DIR": tempfile.mkdtemp(dir=CACHE)})


def hostile_loads(data: Path, quick: bool) -> dict:
    from fer_core.settings import DEFAULT_MAX_LOAD_MB

    folder = Path(tempfile.mkdtemp(dir=CACHE))
    faces = 60_000 if quick else MANY_FACES
    files = {
        f"CSV with {WIDE_COLUMNS:,} columns": (wide_csv(folder), True),
        f".csv.gz of {faces:,} valid faces": (many_faces_gz(folder, data, faces), True),
        "/dev/zero typed as a server path": (Path("/dev/zero"), False),
        f"the real FER2013 ({data.name}), the largest file that should load": (data, True),
    }
    results = {}
    for label, (path, as_upload) in files.items():
        size = path.stat().st_size if path.is_file() else 0
        results[label] = {"bytes": size, "budget": load_in_fresh_process(path, DEFAULT_MAX_LOAD_MB, as_upload)}
        if label.startswith(".csv.gz") and not quick:
            # Baseline: no budget worth the name (a limit far above the file), as before issue 13.
            results[label]["no_budget"] = load_in_fresh_process(path, 100_000, as_upload)
    for path, _ in files.values():
        if path.parent == folder:
            path.unlink()
    return results


def first_parse(numpy_max_rows: int) -> dict:
    env = {**os.environ, "NUMBA_CACHE_DIR": tempfile.mkdtemp(dir=CACHE)}  # nothing compiled yet: a fresh host
    return in_fresh_process(FIRST_PARSE, str(SAMPLE_DATA), str(numpy_max_rows), env=env)


def cold_start_once(playwright) -> dict:
    port = _free_port()
    env = {**os.environ, "FER_CACHE_DIR": tempfile.mkdtemp(dir=CACHE), "NUMBA_CACHE_DIR": tempfile.mkdtemp(dir=CACHE),
           "PYTHONUNBUFFERED": "1"}
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    launched = time.perf_counter()
    server = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "streamlit_app.py", "--server.headless", "true",
                               "--server.port", str(port), "--server.address", "127.0.0.1"], cwd=REPO, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        ready = _wait_until_ready(port, server)
        page = browser.new_page()
        page.goto(page_url(f"http://127.0.0.1:{port}", HOME), wait_until="commit")
        page.get_by_text(SAMPLE_FACES_SHOWN).first.wait_for(timeout=PAGE_TIMEOUT_MS)
        shown = time.perf_counter()
        return {"launch_to_page": shown - launched, "ready_to_page": shown - ready, "launch_to_ready": ready - launched}
    finally:
        _stop(server)
        browser.close()


def run(data: Path, quick: bool) -> dict:
    from playwright.sync_api import sync_playwright

    CACHE.mkdir(parents=True, exist_ok=True)
    before = set(CACHE.iterdir())
    repeats = 1 if quick else 3
    try:
        with sync_playwright() as playwright:
            starts = [cold_start_once(playwright) for _ in range(repeats)]
        return {
            "cold_start": {key: summary([s[key] for s in starts]) for key in starts[0]},
            "first_parse_numpy": first_parse(10**9),
            "first_parse_numba": first_parse(0),
            "hostile": hostile_loads(data, quick),
        }
    finally:
        for scratch in set(CACHE.iterdir()) - before:  # the empty caches and hostile files made here
            if scratch.is_dir() and scratch.name.startswith("tmp"):
                shutil.rmtree(scratch, ignore_errors=True)
