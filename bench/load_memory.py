"""Server memory while a visitor loads the full FER2013, in each form it is distributed in.

Each form is loaded in a fresh Python process that does what the server does: it imports what the server has loaded
before any upload (streamlit, pandas, plotly, the app's ui modules), holds the upload's bytes in memory as Streamlit
does, saves them (ui.cached.saved_upload) and loads the saved file through the page's cached loader
(ui.cached.load_dataset: one dataset, kept by st.cache_resource). A second mode hands the held bytes straight
to load_fer2013_bytes. The bench samples the resident memory of that process and its children every 0.1 s; the
process's own peak comes from the kernel when it exits (wait4's ru_maxrss).

The files are made here, real size: the data's rows padded to FER2013's 35,887 (the developers' copy lacks PrivateTest:
the missing rows are copies of others, labelled PrivateTest), written as .csv (about 301 MB, as Kaggle's), .csv.gz,
.zip and Kaggle's fer2013.tar.gz layout (fer2013/fer2013.csv inside). A training job's data step is measured too: the
`fer_core data` child that parses for the job, and the job process itself with TensorFlow loaded, reading the cache;
then the default training job itself, started as the Train page starts it, for one epoch (training_job)."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from pathlib import Path

from .measure import CACHE, REPO, in_fresh_process, tree_rss_bytes

FER2013_ROWS = 35_887
SAMPLE_SECONDS = 0.1
SERVER_TARGET_MB = 900
SERVER_AND_JOB_TARGET_MB = 2200

SERVER_LOAD = r"""
import gc, io, json, sys, time
import streamlit, pandas, plotly.graph_objects  # noqa: F401  what the server has loaded before any upload
import ui.cached, ui.sidebar  # noqa: F401
from fer_core.data.dataset import load_fer2013_bytes
from fer_core.errors import FERError
from bench.measure import own_rss_bytes as rss
class Upload(io.BytesIO):  # what Streamlit hands a page: the upload's bytes in memory, with a name and an id
    def __init__(self, data, name):
        super().__init__(data)
        self.name, self.file_id, self.size = name, name, len(data)
path, mode, uploads = sys.argv[1], sys.argv[2], sys.argv[3]
gc.collect()
imported = rss()
with open(path, "rb") as handle:
    upload = Upload(handle.read(), path.rsplit("/", 1)[-1])
held = rss()
start = time.perf_counter()
try:
    if mode == "app":
        saved = ui.cached.saved_upload(upload, uploads, 10 ** 12)
        dataset = ui.cached.load_dataset(str(saved), False, saved.stat().st_mtime)
    else:
        dataset = load_fer2013_bytes(upload.getbuffer(), upload.name)
    outcome, notes = f"loaded {len(dataset):,} faces", list(dataset.load_notes)
except FERError as error:  # a refused file: what it cost to refuse it
    outcome, notes = str(error), []
seconds = time.perf_counter() - start
print(json.dumps({"imported": imported, "upload_held": held, "after": rss(), "seconds": seconds, "outcome": outcome,
                  "notes": notes}))
"""

FRESH_PYTHON = "import json; from bench.measure import own_rss_bytes as rss; print(json.dumps({'rss': rss()}))"

JOB_DATA = r"""
import json, sys, time
import tensorflow, keras  # noqa: F401  what a training job has loaded before it reads its data
from fer_core.training import recipe
from bench.measure import own_rss_bytes as rss
imported = rss()
start = time.perf_counter()
dataset = recipe._load_leanly(sys.argv[1], False)
print(json.dumps({"imported": imported, "after": rss(), "seconds": time.perf_counter() - start, "faces": len(dataset)}))
"""


def _run_and_peak(command: list[str], env: dict, repo: Path = REPO) -> dict:
    """Run command, sampling its process tree's resident memory every SAMPLE_SECONDS; the largest process's own peak
    comes from the kernel (ru_maxrss) through a small wrapper that waits for it."""
    wrapper = ("import json, os, resource, subprocess, sys; p = subprocess.run(sys.argv[1:]); "
               "print(json.dumps({'own_peak': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024, "
               "'code': p.returncode}), file=sys.stderr)")
    process = subprocess.Popen([sys.executable, "-c", wrapper, *command], cwd=repo, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    tree_peak = 0
    while process.poll() is None:
        tree_peak = max(tree_peak, tree_rss_bytes(process.pid) - _python_baseline())
        time.sleep(SAMPLE_SECONDS)
    out, err = process.communicate()
    lines = err.decode().strip().splitlines()
    wrapped = json.loads(lines[-1]) if lines else {"code": "?"}
    if wrapped.get("code") != 0:
        raise RuntimeError(f"{' '.join(command[:4])}… failed: {err.decode()[-800:]}")
    text = out.decode().strip()
    try:
        result = json.loads(text)  # `fer_core data --json` prints an indented object
    except json.JSONDecodeError:
        result = json.loads(text.splitlines()[-1])  # the scripts above print one line last
    return {**result, "own_peak": wrapped["own_peak"], "tree_peak_sampled": tree_peak}


_BASELINE: list[int] = []


def _python_baseline() -> int:
    """The waiting wrapper's own memory, left out of the sampled tree."""
    if not _BASELINE:
        _BASELINE.append(in_fresh_process(FRESH_PYTHON)["rss"])
    return _BASELINE[0]


def real_size_forms(data: Path, folder: Path, pad: bool) -> dict[str, Path]:
    """FER2013 as Kaggle serves it, in four forms, from the developers' copy."""
    opener = gzip.open if data.suffix == ".gz" else open
    with opener(data, "rb") as source:
        lines = source.read().split(b"\n")
    header, rows = lines[0], [row for row in lines[1:] if row]
    if pad and len(rows) < FER2013_ROWS:
        extra = [row.rsplit(b",", 1)[0] + b",PrivateTest" for row in rows[-(FER2013_ROWS - len(rows)):]]
        rows += extra
    csv = folder / "fer2013.csv"
    with open(csv, "wb") as out:
        out.write(header + b"\n")
        for row in rows:
            out.write(row + b"\n")
    del lines, rows
    forms = {"csv": csv, "csv.gz": folder / "fer2013.csv.gz", "zip": folder / "fer2013.zip",
             "tar.gz": folder / "fer2013.tar.gz"}
    with open(csv, "rb") as source, gzip.open(forms["csv.gz"], "wb", compresslevel=6) as out:
        shutil.copyfileobj(source, out, 1 << 22)
    with zipfile.ZipFile(forms["zip"], "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(csv, "fer2013.csv")
    with tarfile.open(forms["tar.gz"], "w:gz", compresslevel=6) as archive:
        archive.add(csv, "fer2013/fer2013.csv")
    return forms


def server_loads(forms: dict[str, Path], folder: Path, repo: Path = REPO) -> dict:
    """Each form loaded by a fresh server-like process, as the app does it and as bytes; a failure is recorded."""
    results = {}
    for form, path in forms.items():
        results[form] = {}
        for mode in ("app", "bytes"):
            cache, uploads = tempfile.mkdtemp(dir=folder), tempfile.mkdtemp(dir=folder)  # a cold parse
            try:
                results[form][mode] = _run_and_peak([sys.executable, "-c", SERVER_LOAD, str(path), mode, uploads],
                                                    {**os.environ, "FER_CACHE_DIR": cache}, repo)
            except RuntimeError as exc:
                results[form][mode] = {"error": str(exc)[-300:]}
            finally:
                shutil.rmtree(cache, ignore_errors=True)
                shutil.rmtree(uploads, ignore_errors=True)
    return results


def job_data_step(path: Path, folder: Path) -> dict:
    """A training job's data step on `path`: the parsing child alone, then the job process with TensorFlow loaded."""
    results = {}
    for key, command in (("parse_child", [sys.executable, "-m", "fer_core", "data", str(path), "--json"]),
                         ("job_process", [sys.executable, "-c", JOB_DATA, str(path)])):
        cache = tempfile.mkdtemp(dir=folder)
        try:
            measured = _run_and_peak(command, {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "FER_CACHE_DIR": cache})
        finally:
            shutil.rmtree(cache, ignore_errors=True)
        results[key] = {k: measured[k] for k in ("own_peak", "tree_peak_sampled", "imported", "after", "seconds")
                        if k in measured}
    return results


JOB_SAMPLE_SECONDS = 0.5


def training_job(path: Path, folder: Path, epochs: int = 1, balance: str = "none", timeout: float = 3600) -> dict:
    """The default training job on `path`, started as the Train page starts it (jobs.start_training_job, with the
    app's load budget) for `epochs`: its data child, the teacher's pass, the training batches, the validation at each
    epoch's end, the export and the scoring. The resident memory of the job process and all its children is summed
    every JOB_SAMPLE_SECONDS, and kept per phase of the job's progress file; the job's own peak is what it records
    (ru_maxrss) when it ends."""
    from fer_core.settings import DEFAULT_MAX_LOAD_MB
    from fer_core.training.config import TrainingConfig
    from fer_core.training.jobs import start_training_job

    runs, cache = Path(tempfile.mkdtemp(dir=folder)), tempfile.mkdtemp(dir=folder)
    config = TrainingConfig(data=str(path), epochs=epochs, balance=balance)
    saved = {key: os.environ.get(key) for key in ("FER_CACHE_DIR", "TF_CPP_MIN_LOG_LEVEL")}
    os.environ.update(FER_CACHE_DIR=cache, TF_CPP_MIN_LOG_LEVEL="3")
    try:
        started = time.perf_counter()
        run = start_training_job(config, runs, max_load_mb=DEFAULT_MAX_LOAD_MB)
    finally:
        for key, value in saved.items():
            os.environ.pop(key) if value is None else os.environ.__setitem__(key, value)
    pid = run.status_record["pid"]
    peak, by_phase, samples = 0, {}, 0
    while Path(f"/proc/{pid}").exists() and time.perf_counter() - started < timeout:
        rss = tree_rss_bytes(pid)
        phase = run.progress().get("phase", "starting")
        peak, samples = max(peak, rss), samples + 1
        by_phase[phase] = max(by_phase.get(phase, 0), rss)
        time.sleep(JOB_SAMPLE_SECONDS)
    seconds = time.perf_counter() - started
    status = run.status_record
    result = {"tree_peak_sampled": peak, "by_phase": by_phase, "samples": samples, "seconds": seconds,
              "state": run.status, "message": status.get("message", "")[:300],
              "own_peak": status.get("peak_rss_bytes"), "train_faces": status.get("train_faces"),
              "epochs": epochs, "balance": balance, "arch": config.arch, "precision": status.get("precision")}
    shutil.rmtree(cache, ignore_errors=True)
    shutil.rmtree(runs, ignore_errors=True)
    return result


def photo_bomb_zip(folder: Path, inflated: int) -> Path:
    """Issue 26's zip: one train/happy/x.jpg that inflates to `inflated` bytes of zeros (1.9 GB from 1.9 MB), beside
    honest photos of two classes and incompressible filler (38 MB for 1.9 GB); written as a stream, never held."""
    import io

    import numpy as np
    from PIL import Image

    path = folder / "photo_bomb.zip"
    face = io.BytesIO()
    Image.fromarray(np.full((48, 48), 128, np.uint8)).save(face, "JPEG")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("train/sad/ok.jpg", face.getvalue())
        archive.writestr("train/happy/ok.jpg", face.getvalue())
        # Incompressible filler outside the class folders, as in the probe's 36.6 MB zip: with it the archive as a
        # whole inflates only about 50×, under the whole-archive ratio check, so only the member's own checks refuse it.
        noise = np.random.default_rng(0).integers(0, 256, 1 << 20, dtype=np.uint8).tobytes()
        for i in range(max(1, inflated // (50 << 20))):
            archive.writestr(f"extras/noise_{i}.bin", noise[i % 7:] + noise[:i % 7], zipfile.ZIP_STORED)
        with archive.open("train/happy/x.jpg", "w", force_zip64=True) as member:
            chunk = bytes(1 << 22)
            for _ in range(inflated // len(chunk)):
                member.write(chunk)
    return path


def run(data: Path, quick: bool) -> dict:
    CACHE.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="load-memory-", dir=CACHE))
    try:
        forms = real_size_forms(data, folder, pad=not quick)
        results = {"bytes": {form: path.stat().st_size for form, path in forms.items()},
                   "forms": server_loads(forms, folder), "job": job_data_step(forms["csv.gz"], folder),
                   "training_job": training_job(forms["csv.gz"], folder)}
        bomb = photo_bomb_zip(folder, (64 << 20) if quick else 1_900_000_000)
        results["photo_bomb"] = {"file_bytes": bomb.stat().st_size, **server_loads({"zip": bomb}, folder)["zip"]}
        return results
    finally:
        shutil.rmtree(folder, ignore_errors=True)
