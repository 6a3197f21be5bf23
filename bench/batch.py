"""Batch analysis from the command line (`predict FOLDER --table`, `video FOLDER --table`): 2,000 photos of
640×480, each a FER2013 PublicTest face enlarged to 120-200 px and placed at random on a textured scene, timed three
ways: the `predict` command run once per photo (how a user without --table loops over a folder), the table with one
worker, and with one worker per core; the process tree's RSS is sampled through the run. Then a folder of clips is
analysed into one table, killed with SIGKILL after a third of its clips, resumed, and compared with a run that was
not killed: no row lost, none written twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from .measure import REPO, summary, tree_rss_bytes

PHOTOS = 2000
QUICK_PHOTOS = 60
ONE_PROCESS_SAMPLES = 12
CLIPS = 6


def run(data: Path, quick: bool) -> dict:
    work = Path(tempfile.mkdtemp(prefix="fer-batch-"))
    photos = _scene_photos(data, work / "photos", QUICK_PHOTOS if quick else PHOTOS)
    environment = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": str(REPO)}
    one_process = []
    for photo in sorted(photos.iterdir())[:ONE_PROCESS_SAMPLES]:
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "fer_core", "predict", str(photo)], cwd=work, env=environment,
                       check=True, capture_output=True)
        one_process.append(time.perf_counter() - started)
    results = {"photos": len(list(photos.iterdir())), "photo_size": [640, 480], "cores": os.cpu_count(),
               "one_process_per_photo_seconds": summary(one_process)}
    for workers in (1, os.cpu_count() or 1):
        results[f"table_workers_{workers}"] = _timed_table(photos, work / f"faces_{workers}.csv", workers,
                                                           environment)
    results["clips"] = _killed_and_resumed(work / "clips", environment)
    return results


def _scene_photos(data: Path, folder: Path, count: int) -> Path:
    """`count` JPEGs of 640×480: a PublicTest face, enlarged, on a scene of smooth noise (never the same twice)."""
    from PIL import Image

    from fer_core.data.dataset import load_fer2013

    folder.mkdir(parents=True)
    faces = load_fer2013(data).split("test").images
    rng = np.random.default_rng(7)
    for number in range(count):
        low = rng.integers(40, 200, size=(6, 8, 3)).astype(np.uint8)
        scene = Image.fromarray(low).resize((640, 480), Image.BICUBIC)
        side = int(rng.integers(120, 201))
        face = Image.fromarray(faces[number % len(faces)]).resize((side, side), Image.BICUBIC).convert("RGB")
        scene.paste(face, (int(rng.integers(0, 640 - side)), int(rng.integers(0, 480 - side))))
        scene.save(folder / f"photo{number:05d}.jpg", quality=90)
    return folder


def _timed_table(photos: Path, table: Path, workers: int, environment: dict) -> dict:
    """One `predict FOLDER --table` run: wall time, photos a second, and the process tree's RSS every half second,
    with how many photos were done at each sample (from the per-photo summary's lines)."""
    summary_file = table.with_name(table.stem + ".files.csv")
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "fer_core", "predict", str(photos), "--table", str(table),
                                "--workers", str(workers), "--quiet"], cwd=table.parent, env=environment,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    samples = []
    while process.poll() is None:
        done = max(0, summary_file.read_text().count("\n") - 1) if summary_file.exists() else 0
        samples.append((round(time.perf_counter() - started, 2), done, tree_rss_bytes(process.pid)))
        time.sleep(0.5)
    seconds = time.perf_counter() - started
    last_line = process.stderr.read().strip().splitlines()[-1]
    total = len(list(photos.iterdir()))
    working = [rss for _, done, rss in samples if 0 < done < total]
    quarter = max(1, len(working) // 4)
    return {"workers": workers, "seconds": seconds, "photos_per_second": total / seconds, "last_line": last_line,
            "rss_samples": samples[:: max(1, len(samples) // 40)],
            "peak_rss_bytes": max((rss for _, _, rss in samples), default=0),
            "rss_first_quarter_bytes": max(working[:quarter], default=0),
            "rss_last_quarter_bytes": max(working[-quarter:], default=0)}


def _killed_and_resumed(folder: Path, environment: dict) -> dict:
    from scripts.make_test_clip import crossing_frames, write_clip

    folder.mkdir(parents=True)
    for number in range(CLIPS):
        write_clip(folder / f"clip{number}.mp4", crossing_frames(640, 480, 36 + 6 * number), fps=12)
    whole, killed = folder.parent / "people_whole.csv", folder.parent / "people_killed.csv"
    command = [sys.executable, "-m", "fer_core", "video", str(folder), "--fps", "4", "--workers", "2", "--quiet"]
    subprocess.run(command + ["--table", str(whole)], cwd=folder.parent, env=environment, check=True,
                   capture_output=True)
    process = subprocess.Popen(command + ["--table", str(killed)], cwd=folder.parent, env=environment,
                               start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    summary_file = killed.with_name(killed.stem + ".files.csv")
    while process.poll() is None:
        if summary_file.exists() and summary_file.read_text().count("\n") - 1 >= CLIPS // 3:
            os.killpg(process.pid, signal.SIGKILL)
            break
        time.sleep(0.05)
    process.wait()
    finished_at_kill = max(0, summary_file.read_text().count("\n") - 1)
    resumed = subprocess.run(command + ["--table", str(killed), "--resume"], cwd=folder.parent, env=environment,
                             capture_output=True, text=True)
    import pandas as pd

    a, b = pd.read_csv(whole), pd.read_csv(killed)
    key = ["file", "person", "frame"]
    return {"clips": CLIPS, "finished_when_killed": finished_at_kill, "resumed_rc": resumed.returncode,
            "resumed_last_line": (resumed.stderr.strip().splitlines() or [""])[-1],
            "rows_whole": len(a), "rows_resumed": len(b), "duplicated_rows": int(b.duplicated(key).sum()),
            "same_rows": bool(a.sort_values(key).reset_index(drop=True)[key]
                              .equals(b.sort_values(key).reset_index(drop=True)[key]))}
