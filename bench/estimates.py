"""Issue 21's check: the estimate the Train page shows before Start, against the real job, for each kind of job.

For each job, in a fresh runs folder: the estimate exactly as the page makes it (jobs.estimate_job with the shipped
cards, and a calibration timed now, as "Time it on this machine now" does), then the job itself, `python -m fer_core
train` in its own process as the page starts it, timed from launch to exit. Both run back to back under the same
conditions; the load average and the CPU other processes used during the job are recorded beside each. The full
FER2013 job runs 2 of its 30 epochs: the estimate is made for 2 epochs (the fixed costs, loading, the teacher's pass
and the scoring, are all in it), and its 30-epoch estimate is shown beside it. The own-classes jobs read 3 classes of
20 and of 170 phone-sized photos (bench/own_classes.py makes them)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from fer_core.training.runs import TrainingRun

from .measure import CACHE, REPO, SAMPLE_DATA, OtherProcessesClock

FULL_DATA_EPOCHS = 2
TOLERANCE = 0.25


def job_counts(data: Path, config) -> dict:
    """What the page counts before Start: training, validation and test faces, and the photos the job reads again."""
    from fer_core.data.balance import balanced_class_counts
    from fer_core.data.dataset import load_fer2013
    from fer_core.training import jobs

    dataset = load_fer2013(data)
    train_labels = dataset.labels[dataset.splits.train]
    train = int(balanced_class_counts(train_labels, config.balance, dataset.num_classes).sum()) \
        if config.balance == "oversample" else len(train_labels)
    return {"train_faces": train, "validation_faces": len(dataset.splits.validation),
            "test_faces": len(dataset.split("test")), "photos": jobs.photos_the_job_reads(data, dataset),
            "class_names": dataset.class_names}


def estimate_and_run(name: str, data: Path, epochs: int | None = None) -> dict:
    import dataclasses

    from fer_core.training import jobs
    from fer_core.training.config import TrainingConfig
    from fer_core.training.transfer import resolve_transfer

    runs = CACHE / "estimates" / name
    shutil.rmtree(runs, ignore_errors=True)
    runs.mkdir(parents=True)
    config = TrainingConfig.defaults()
    config = dataclasses.replace(config, data=str(data), epochs=epochs or config.epochs)
    counts = job_counts(data, config)
    config = dataclasses.replace(config, transfer=resolve_transfer("auto", counts["class_names"]))
    cards = tuple(json.loads(path.read_text())["card"] for path in sorted((REPO / "models").glob("*.json")))
    load = os.getloadavg()[0]
    start = time.perf_counter()
    estimate = jobs.estimate_job(config, counts["train_faces"], counts["validation_faces"], counts["test_faces"], runs,
                                 calibrate=True, again=True, shipped_cards=cards, photos=counts["photos"])
    calibration_seconds = time.perf_counter() - start
    full = None
    if epochs:
        full = jobs.estimate_job(dataclasses.replace(config, epochs=TrainingConfig.defaults().epochs),
                                 counts["train_faces"], counts["validation_faces"], counts["test_faces"], runs,
                                 shipped_cards=cards, photos=counts["photos"])
    command = [sys.executable, "-m", "fer_core", "train", "--data", str(data), "--out", str(runs)] \
        + (["--epochs", str(epochs)] if epochs else [])
    start = time.perf_counter()
    job = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                           start_new_session=True)
    with OtherProcessesClock(job.pid) as others:
        _, stderr = job.communicate()
    actual = time.perf_counter() - start
    result = {"job": name, "data": str(data), "epochs": config.epochs, "transfer": config.transfer, **counts,
              "class_names": list(counts["class_names"]), "calibration_seconds": calibration_seconds,
              "estimate_seconds": estimate.seconds if estimate else None, "basis": estimate.basis if estimate else None,
              "estimate_30_epochs_seconds": full.seconds if full else None, "actual_seconds": actual,
              "load_average_before": load, "load_average_after": os.getloadavg()[0],
              "other_cpu_share": others.seconds / actual, "exit": job.returncode}
    if job.returncode != 0:
        result["error"] = stderr.strip().splitlines()[-1:] if stderr.strip() else ["no message"]
        return result
    result.update(_where_the_time_went(TrainingRun(sorted(p for p in runs.iterdir() if p.is_dir())[-1]), start, actual))
    if estimate:
        result["ratio"] = estimate.seconds / actual
        result["within_tolerance"] = abs(result["ratio"] - 1) <= TOLERANCE
    return result


def _where_the_time_went(run: TrainingRun, launched: float, actual: float) -> dict:
    """The run's own clock: process start to its first recorded status, training (the epochs), the rest."""
    status, rows = run.status_record, run.epochs()
    epochs = sum(row["seconds"] for row in rows)
    per_batch = [row["seconds_per_batch"] for row in rows if row.get("seconds_per_batch")]
    wall = status["ended_at"] - status["started_at"]
    return {"job_process_seconds": wall, "startup_seconds": actual - wall, "epochs_seconds": epochs,
            "seconds_per_epoch": [round(row["seconds"], 2) for row in rows][:4],
            "median_seconds_per_batch": sorted(per_batch)[len(per_batch) // 2] if per_batch else None,
            "forward_seconds_per_face": status.get("forward_seconds_per_face"),
            "other_than_epochs_seconds": wall - epochs}


def run(data: Path, quick: bool) -> dict:
    from fer_core.training.config import cpu_description

    from . import own_classes

    folders = {}
    for per_class in ((4, 10) if quick else (20, 170)):
        folder = CACHE / "estimates" / f"photos_{per_class}"
        if not folder.exists():
            own_classes.PHOTOS_PER_CLASS = per_class
            own_classes.make_photo_folder(data, folder)
        folders[per_class] = folder
    tens, hundreds = folders.values()
    jobs = [("default job, built-in sample", SAMPLE_DATA, 2 if quick else None),
            (f"default job, full FER2013 ({FULL_DATA_EPOCHS} epochs)", data, 1 if quick else FULL_DATA_EPOCHS),
            ("own classes, transfer, 3 × tens of photos", tens, 2 if quick else None),
            ("own classes, transfer, 3 × hundreds of photos", hundreds, 2 if quick else None)]
    return {"cpu": cpu_description(), "cores": os.cpu_count(),
            "jobs": [estimate_and_run(f"job{number}", path, epochs) | {"name": name}
                     for number, (name, path, epochs) in enumerate(jobs)]}
