"""Training jobs started from the app or the CLI: one at a time per runs folder, each in its own process, so the
app server never loads TensorFlow and survives whatever the job does.

The lock is an flock on `RUNS_DIR/.job.lock`, taken by the starter and handed to the training process as an open
file descriptor: the lock lives exactly as long as the job's process, even if it is killed."""

from __future__ import annotations

import dataclasses
import fcntl
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from .. import settings
from ..atomic import write_json_atomically
from ..errors import JobAlreadyRunning, JobError
from .config import TrainingConfig, cpu_description, resolve_precision
from .job_clock import (
    EXPORT_SECONDS,
    LOAD_SECONDS,
    PHOTO_SECONDS,
    job_kind,
    job_seconds,
    median_of_timings,
    seconds_per_batch_from_card,
    timings_from_runs,
    timings_in_words,
)
from .runs import ACTIVE_STATES, RunSummary, TrainingRun, list_runs, new_run, prune_runs, read_runs

LOCK_NAME = ".job.lock"


def acquire_job_lock(runs_dir: str | Path) -> int:
    """An open file descriptor holding the runs folder's job lock, or JobAlreadyRunning."""
    runs_dir = Path(runs_dir)
    runs_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(runs_dir / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        running = active_run(runs_dir)
        where = f" ({running.name})" if running else ""
        raise JobAlreadyRunning(f"A training job is already running{where}. Wait for it to finish or stop it first.") from None
    return fd


def active_run(runs_dir: str | Path) -> TrainingRun | None:
    for run in list_runs(runs_dir):
        if run.status in ACTIVE_STATES:
            return run
    return None


def start_training_job(config, runs_dir: str | Path, keep_runs: int | None = None,
                       resume_run: TrainingRun | None = None, max_load_mb: int | None = None) -> TrainingRun:
    """Start `python -m fer_core train` for config (a TrainingConfig) in a new process and return its run at once:
    its status already says "starting", with the process's pid, so a page shows it as the running job straight away.
    A second start while a job runs raises JobAlreadyRunning, from any browser or terminal. The config is checked
    here, where it crosses from the page to the job, and written once: the job reads it back (TrainingConfig.from_dict)."""
    config.check()
    lock_fd = acquire_job_lock(runs_dir)
    try:
        pruned: list[str] = []
        if resume_run is None:
            pruned = prune_runs(runs_dir, (keep_runs or settings.keep_runs()) - 1)
            run = new_run(runs_dir, config.run_name)
            write_json_atomically(run.config_file, dataclasses.asdict(config))
            command = [sys.executable, "-m", "fer_core", "train", "--run-dir", str(run.path)]
        else:
            run = resume_run
            command = [sys.executable, "-m", "fer_core", "train", "--resume", str(run.path)]
            # The last job's stop request and progress are history: the page must not show them as this one's.
            run.clear_stop_request()
            run.write_progress(phase="loading", epoch=0, epochs=config.epochs, batch=0, batches=0)
        run.write_status("starting", started_at=run.status_record.get("started_at") or time.time(), pid=None,
                         message="Starting the training process…", command=" ".join(command[1:]),
                         pruned_runs=pruned)
        log = open(run.log_file, "ab")
        env = {**os.environ, settings.JOB_LOCK_FD: str(lock_fd), "PYTHONUNBUFFERED": "1",
               **({"FER_MAX_LOAD_MB": str(max_load_mb)} if max_load_mb else {}),  # the app's budget, not the default
               "FER_DEBUG": "1"}  # a job's traceback belongs in its train.log
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   pass_fds=(lock_fd,), env=env, start_new_session=True,
                                   cwd=Path(__file__).resolve().parents[2])
        log.close()
        # Waited on by a thread, so an ended job is reaped at once, not left a zombie under the server until it stops.
        threading.Thread(target=process.wait, name=f"reap-{run.name}", daemon=True).start()
        run.write_status("starting", pid=process.pid)
        return run
    except OSError as exc:
        raise JobError(f"Could not start the training process: {exc.strerror or exc}.") from exc
    finally:
        os.close(lock_fd)  # the child holds its own copy of the lock now


def resume_training_job(run: TrainingRun, runs_dir: str | Path, max_load_mb: int | None = None) -> TrainingRun:
    if run.status in ACTIVE_STATES:
        raise JobAlreadyRunning(f"Run {run.name} is still running.")
    run.checkpoint()  # raises, with its sentence, where there is no finished epoch to go on from
    if missing := run.missing_data_sentence():
        raise JobError(missing)
    return start_training_job(TrainingConfig.from_dict(run.config), runs_dir, resume_run=run, max_load_mb=max_load_mb)


def stop_training_job(run: TrainingRun) -> None:
    """Ask a job to stop after its current batch; it keeps its best model."""
    if run.status not in ACTIVE_STATES:
        raise JobError(f"Run {run.name} is not running.")
    run.request_stop()


CALIBRATION_NAME = "calibration.json"
CALIBRATION_TIMEOUT_SECONDS = 120


def calibrated_seconds_per_batch(runs_dir: str | Path, arch: str, batch_size: int, precision: str,
                                 time_now: bool = True, again: bool = False) -> float | None:
    """Seconds per training batch of this architecture on this machine, timed once (`python -m fer_core calibrate`,
    in its own process: the app server never loads TensorFlow) and remembered in RUNS_DIR/calibration.json.
    Times only if time_now (again: even if remembered, as the machine is now), and never while a job runs (it would
    slow the job and time the contention)."""
    timed = calibrated_training(runs_dir, arch, batch_size, precision, time_now, again)
    return None if timed is None else float(timed["seconds_per_batch"])


def calibrated_training(runs_dir: str | Path, arch: str, batch_size: int, precision: str, time_now: bool = True,
                        again: bool = False, teacher: str | None = None) -> dict | None:
    """calibrated_seconds_per_batch's timing with the fixed costs it measured (startup_seconds, warmup_seconds) and,
    given a teacher, its pass per face (teacher_seconds_per_face, teacher_load_seconds)."""
    key = f"{arch}/{batch_size}/{resolve_precision(precision)}/{cpu_description()}"
    return _calibration(runs_dir, key, ["--arch", arch, "--batch-size", str(batch_size), "--precision", precision]
                        + (["--teacher", str(teacher)] if teacher else []), time_now, again)


def calibrated_transfer(runs_dir: str | Path, transfer: str, base: str, batch_size: int, time_now: bool = True,
                        again: bool = False) -> dict | None:
    """A transfer job's timings on this machine (`calibrate --transfer`): seconds per training batch and its frozen
    layers' seconds per face; remembered and timed as calibrated_seconds_per_batch is."""
    key = f"{transfer} on {Path(base).stem}/{batch_size}/float32/{cpu_description()}"
    return _calibration(runs_dir, key, ["--transfer", transfer, "--transfer-base", str(base),
                                        "--batch-size", str(batch_size)], time_now, again)


def _calibration(runs_dir: str | Path, key: str, arguments: list[str], time_now: bool, again: bool) -> dict | None:
    runs_dir = Path(runs_dir)
    store = runs_dir / CALIBRATION_NAME
    try:
        known = json.loads(store.read_text())
    except (OSError, ValueError):
        known = {}
    if key in known and not (again and time_now):
        remembered = known[key]
        return remembered if isinstance(remembered, dict) else {"seconds_per_batch": float(remembered)}
    if not time_now:
        return None
    try:
        lock_fd = acquire_job_lock(runs_dir)
    except JobAlreadyRunning:
        return None
    try:
        command = [sys.executable, "-m", "fer_core", "calibrate", *arguments, "--json"]
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, timeout=CALIBRATION_TIMEOUT_SECONDS,
                              cwd=Path(__file__).resolve().parents[2], stdin=subprocess.DEVNULL)
        timed = json.loads(done.stdout) if done.returncode == 0 else None
        if timed and "timing_seconds" in timed:
            # A training process starts as this one did (Python, TensorFlow, the model): a fixed cost of the job.
            timed["startup_seconds"] = time.perf_counter() - start - timed["timing_seconds"]
        timed = {name: float(timed[name]) for name in ("seconds_per_batch", "forward_seconds_per_face",
                                                       "warmup_seconds", "startup_seconds", "validation_seconds",
                                                       "epoch_seconds", "teacher_seconds_per_face",
                                                       "teacher_load_seconds", "export_seconds")
                 if name in timed} if timed else None
        if timed is not None and "seconds_per_batch" not in timed:
            timed = None
    except (OSError, ValueError, KeyError, TypeError, subprocess.TimeoutExpired):
        timed = None
    finally:
        os.close(lock_fd)
    if timed is not None:
        write_json_atomically(store, {**known, key: timed["seconds_per_batch"] if len(timed) == 1 else timed})
    return timed


@dataclasses.dataclass(frozen=True)
class JobEstimate:
    seconds: float
    basis: str  # where the time per batch came from, said to the user


def _fixed_seconds(calibration: dict | None) -> float:
    """What a calibration measured of a job's start on this machine as it is: starting a TensorFlow process (0 for a
    calibration remembered from before it was timed). The first epoch's tracing is job_seconds' first_epoch_seconds."""
    return (calibration or {}).get("startup_seconds", 0.0)


def _seconds_per_photo(data: str | Path, photos: int) -> float:
    """A photo of the folder read, decoded and searched for its face, timed here on a few of its photos (else the
    PHOTO_SECONDS of docs/training_on_cpu.md)."""
    if not photos or not Path(data).is_dir():
        return PHOTO_SECONDS
    from ..data.image_folder import seconds_per_photo

    timed = seconds_per_photo(Path(data))
    return PHOTO_SECONDS if timed is None else timed


def photos_the_job_reads(data: str | Path, dataset) -> int:
    """How many photos a job on this data reads again: a folder's, every one (folders are not cached); a file's
    faces come from the dataset cache."""
    if not Path(data).is_dir():
        return 0
    return len(dataset) + len(dataset.photos_without_face) + len(dataset.skipped_rows)


def estimate_job(config: TrainingConfig, train_faces: int, validation_faces: int, test_faces: int,
                 runs_dir: str | Path, calibrate: bool = False, shipped_cards: tuple[dict, ...] = (),
                 photos: int = 0, again: bool = False, runs: list[RunSummary] | None = None) -> JobEstimate | None:
    """How long this job will take here, start to scored model, with the arithmetic its live ETA uses
    (job_clock.job_seconds), at the median of every timing of this job on this machine: the last runs of the same
    network, batch size and precision on this CPU, a calibration (remembered; timed now only if calibrate, afresh
    if again) and a shipped model's card from this CPU. photos: how many photos the job reads from a folder (each is
    searched for a face again). runs: the runs folder's summaries where the caller has read them already. None when
    no timing can be had."""
    from ..prediction.tta import view_count
    from .transfer import feature_views

    transfer = config.transfer if config.transfer in ("head", "head_and_last_block") else "off"
    precision = "float32" if transfer != "off" else resolve_precision(config.precision)
    kind = job_kind(dataclasses.asdict(config))
    runs = timings_from_runs(read_runs(runs_dir) if runs is None else runs, kind, precision, cpu_description())
    if transfer == "off":
        cards = [t for t in (seconds_per_batch_from_card(card, config.arch, config.batch_size, precision,
                                                         cpu_description()) for card in shipped_cards) if t is not None]
        calibration = calibrated_training(runs_dir, config.arch, config.batch_size, config.precision,
                                          time_now=calibrate, again=again, teacher=config.distill_from)
        card = cards[0] if cards else None
    else:
        calibration = calibrated_transfer(runs_dir, transfer, config.transfer_base, config.batch_size,
                                          time_now=calibrate, again=again)
        card = None
    per_batch = median_of_timings([t["seconds_per_batch"] for t in runs],
                                  calibration and calibration["seconds_per_batch"], card)
    if per_batch is None:
        return None
    forward = median_of_timings([t["forward_seconds_per_face"] for t in runs if t.get("forward_seconds_per_face")],
                                calibration and calibration.get("forward_seconds_per_face"), None)
    feature_faces = 0
    if transfer == "head":
        if forward is None:
            return None
        feature_faces = feature_views(train_faces, config.epochs, config.augment) * train_faces \
            + validation_faces
    seconds = job_seconds(config.epochs, config.batch_size, per_batch, train_faces, validation_faces, test_faces,
                          view_count(config.served_tta), taught=transfer == "off" and config.distill_from is not None,
                          feature_faces=feature_faces, forward_per_face=forward,
                          validation_seconds=(calibration or {}).get("validation_seconds"),
                          epoch_seconds=(calibration or {}).get("epoch_seconds", 0.0),
                          first_epoch_seconds=(calibration or {}).get("warmup_seconds", 0.0),
                          teacher_seconds_per_face=(calibration or {}).get("teacher_seconds_per_face"),
                          teacher_load_seconds=(calibration or {}).get("teacher_load_seconds", 0.0),
                          export_seconds=(calibration or {}).get("export_seconds", EXPORT_SECONDS),
                          load_seconds=LOAD_SECONDS + photos * _seconds_per_photo(config.data, photos)
                          + _fixed_seconds(calibration))
    what = config.arch if transfer == "off" else kind[0]
    return JobEstimate(seconds, timings_in_words(len(runs), calibration is not None, card is not None, what))
