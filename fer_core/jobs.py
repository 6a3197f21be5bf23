"""Training jobs started from the app or the CLI: one at a time per runs folder, each in its own process, so the
app server never loads TensorFlow and survives whatever the job does.

The lock is an flock on `RUNS_DIR/.job.lock`, taken by the starter and handed to the training process as an open
file descriptor: the lock lives exactly as long as the job's process, even if it is killed."""

from __future__ import annotations

import dataclasses
import fcntl
import os
import subprocess
import sys
import time
from pathlib import Path

from .atomic import write_json_atomically
from .errors import JobAlreadyRunning, JobError
from .training_config import TrainingConfig
from .runs import ACTIVE_STATES, TrainingRun, list_runs, new_run, prune_runs

LOCK_NAME = ".job.lock"
DEFAULT_KEEP_RUNS = int(os.environ.get("FER_KEEP_RUNS", "20"))


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
        raise JobAlreadyRunning(f"A training job is already running{where}. Wait for it to finish or stop it first.")
    return fd


def active_run(runs_dir: str | Path) -> TrainingRun | None:
    for run in list_runs(runs_dir):
        if run.status in ACTIVE_STATES:
            return run
    return None


def start_training_job(config, runs_dir: str | Path, keep_runs: int = DEFAULT_KEEP_RUNS,
                       resume_run: TrainingRun | None = None) -> TrainingRun:
    """Start `python -m fer_core train` for config (a TrainingConfig) in a new process and return its run at once.
    A second start while a job runs raises JobAlreadyRunning, from any browser or terminal."""
    config.check()
    lock_fd = acquire_job_lock(runs_dir)
    try:
        pruned: list[str] = []
        if resume_run is None:
            pruned = prune_runs(runs_dir, keep_runs - 1)
            run = new_run(runs_dir, config.arch)
            write_json_atomically(run.path / "config.json", dataclasses.asdict(config))
            command = [sys.executable, "-m", "fer_core", "train", "--run-dir", str(run.path)]
        else:
            run = resume_run
            command = [sys.executable, "-m", "fer_core", "train", "--resume", str(run.path)]
        run.write_status("starting", started_at=run.status_record.get("started_at") or time.time(), pid=None,
                         message="Starting the training process…", command=" ".join(command[1:]),
                         pruned_runs=pruned)
        log = open(run.path / "train.log", "ab")
        env = {**os.environ, "FER_JOB_LOCK_FD": str(lock_fd), "PYTHONUNBUFFERED": "1",
               "FER_DEBUG": "1"}  # a job's traceback belongs in its train.log
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   pass_fds=(lock_fd,), env=env, start_new_session=True,
                                   cwd=Path(__file__).resolve().parent.parent)
        log.close()
        run.write_status("starting", pid=process.pid)
        return run
    except OSError as exc:
        raise JobError(f"Could not start the training process: {exc.strerror or exc}.") from exc
    finally:
        os.close(lock_fd)  # the child holds its own copy of the lock now


def resume_training_job(run: TrainingRun, runs_dir: str | Path) -> TrainingRun:
    if run.status in ACTIVE_STATES:
        raise JobAlreadyRunning(f"Run {run.name} is still running.")
    if not (run.path / "checkpoint.json").exists():
        raise JobError(f"Run {run.name} has no finished epoch to resume from; start a new run instead.")
    return start_training_job(TrainingConfig.from_dict(run.config), runs_dir, resume_run=run)


def stop_training_job(run: TrainingRun) -> None:
    """Ask a job to stop after its current batch; it keeps its best model."""
    if run.status not in ACTIVE_STATES:
        raise JobError(f"Run {run.name} is not running.")
    run.request_stop()
