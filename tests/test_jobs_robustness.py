"""Training jobs under stress: killed, stopped, started twice at once, on a full disk, in a crowded runs folder.

The real jobs here are real processes (`python -m fer_core train`) on ~300 synthetic faces with tiny_cnn and one CPU
thread each; everything else is checked on run folders made by hand."""

from __future__ import annotations

import errno
import json
import os
import pathlib
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import synthetic_faces, write_csv

from fer_core import atomic
from fer_core.atomic import write_atomically, write_bytes_atomically, write_json_atomically
from fer_core.data.dataset import load_fer2013
from fer_core.errors import FERError, JobAlreadyRunning, JobError
from fer_core.training.config import TrainingConfig
from fer_core.training.jobs import acquire_job_lock, resume_training_job, start_training_job, stop_training_job
from fer_core.training.runs import TrainingRun, list_runs, pid_alive, prune_runs

REPO_ROOT = Path(__file__).resolve().parent.parent
JOB_TIMEOUT = 180  # seconds; a tiny job takes ~15 s alone, and these two cores are shared
ALREADY_RUNNING = re.compile(r"A training job is already running( \(.+\))?\. Wait for it to finish or stop it first\.")


@pytest.fixture
def runs_dir(tmp_path) -> Path:
    return tmp_path / "runs"


@pytest.fixture
def tiny_config(tmp_path) -> TrainingConfig:
    images, labels, usage = synthetic_faces(n_per_class=15, seed=4)  # 285 faces, a few batches an epoch
    data = write_csv(tmp_path / "fer2013.csv", images, labels, usage)
    return TrainingConfig(data=str(data), arch="tiny_cnn", epochs=30, batch_size=64, augment=False)


@pytest.fixture
def job_processes(monkeypatch):
    """Each job on one thread, so they stay light; any job a test leaves behind is killed at its end."""
    for name in ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS", "OMP_NUM_THREADS"):
        monkeypatch.setenv(name, "1")
    runs: list[TrainingRun] = []
    yield runs
    for run in runs:
        pid = run.status_record.get("pid")
        if pid and pid_alive(pid):
            os.killpg(pid, signal.SIGKILL)


def _log(run: TrainingRun) -> str:
    try:
        return (run.path / "train.log").read_text(errors="replace")[-3000:]
    except OSError:
        return "(no train.log)"


def wait_for(condition, run: TrainingRun, what: str, timeout: float = JOB_TIMEOUT):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    pytest.fail(f"timed out waiting for {what}; status {run.status_record}\n{_log(run)}")


def kill_job(run: TrainingRun) -> None:
    """SIGKILL the job's process group (it has its own session): no handler runs, nothing is cleaned up."""
    pid = run.status_record["pid"]
    os.killpg(pid, signal.SIGKILL)
    wait_for(lambda: not pid_alive(pid), run, f"pid {pid} to die", timeout=30)
    # The main thread turns zombie first; the kernel drops the lock when the last of TF's threads has gone.
    wait_for(lambda: not Path(f"/proc/{pid}/task").exists() or _threads(pid) <= 1, run, "its threads", timeout=30)


def _threads(pid: int) -> int:
    try:
        return len(os.listdir(f"/proc/{pid}/task"))
    except OSError:
        return 0


def raw_epochs(run: TrainingRun) -> list[int]:
    """Epoch numbers in metrics.jsonl as written, repeats and all."""
    lines = (run.path / "metrics.jsonl").read_text().splitlines()
    return [json.loads(line)["epoch"] for line in lines if line.strip()]


def lock_is_free(runs_dir: Path) -> bool:
    try:
        fd = acquire_job_lock(runs_dir)
    except JobAlreadyRunning:
        return False
    os.close(fd)
    return True


# ---------------------------------------------------------------------------------------------------------------
# Real jobs


def test_a_killed_job_is_interrupted_keeps_its_best_model_and_resumes_where_it_stopped(
        tiny_config, runs_dir, job_processes):
    run = start_training_job(tiny_config, runs_dir)
    job_processes.append(run)
    # The first checkpoint, not the first epoch line: the line is written just before it, and a job killed between
    # the two has no epoch to resume from (a later kill there is what the len(before) check below allows for).
    wait_for(lambda: (run.path / "checkpoint.json").exists(), run, "the first checkpoint")
    kill_job(run)
    started_at = run.status_record["started_at"]

    assert run.status == "interrupted"
    assert (run.path / "best.keras").exists() and (run.path / "last.keras").exists()
    assert run.model_path is None  # killed before it could publish one
    assert lock_is_free(runs_dir)  # the lock died with the process
    checkpoint = json.loads((run.path / "checkpoint.json").read_text())["epoch"]
    before = raw_epochs(run)
    assert checkpoint >= 1 and before == list(range(1, len(before) + 1))
    assert len(before) in (checkpoint, checkpoint + 1)  # a kill can land between the line and the checkpoint

    assert resume_training_job(run, runs_dir).path == run.path
    wait_for(lambda: run.status not in ("starting", "running"), run, "the resumed job to end")

    assert run.status == "finished", _log(run)
    assert raw_epochs(run)[len(before):] == list(range(checkpoint + 1, 31))  # from the checkpoint on, no gap
    assert [row["epoch"] for row in run.epochs()] == list(range(1, 31))  # the curve: each epoch once
    assert run.model_path == run.path / "model.keras"
    assert run.status_record["started_at"] == started_at  # still one run, started when it first started
    wait_for(lambda: lock_is_free(runs_dir), run, "the finished job to let go of the lock", timeout=30)


def test_a_stop_request_is_honoured_between_batches_and_keeps_the_best_model(tiny_config, runs_dir, job_processes):
    run = start_training_job(tiny_config, runs_dir)
    job_processes.append(run)
    wait_for(run.epochs, run, "the first epoch line")
    stop_training_job(run)
    asked = time.time()
    wait_for(lambda: run.status not in ("starting", "running"), run, "the job to stop")

    assert run.status == "stopped", _log(run)
    assert run.message.startswith("Stopped on request: kept the best model.")
    assert len([row for row in run.epochs() if not row.get("partial")]) < 30
    assert (run.path / "best.keras").exists()
    assert run.model_path == run.path / "model.keras" and (run.path / "model.json").exists()
    assert time.time() - asked < JOB_TIMEOUT / 2
    wait_for(lambda: lock_is_free(runs_dir), run, "the stopped job to let go of the lock", timeout=30)
    with pytest.raises(JobError, match=rf"^Run {run.name} is not running\.$"):
        stop_training_job(run)


def test_two_starts_at_the_same_moment_run_exactly_one_job(tiny_config, runs_dir, job_processes):
    barrier = threading.Barrier(2)
    outcomes: list = []

    def start():
        barrier.wait()
        try:
            outcomes.append(start_training_job(tiny_config, runs_dir))
        except JobAlreadyRunning as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=start) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    started = [o for o in outcomes if isinstance(o, TrainingRun)]
    refused = [o for o in outcomes if isinstance(o, JobAlreadyRunning)]
    job_processes.extend(started)

    assert len(started) == 1 and len(refused) == 1, outcomes
    assert ALREADY_RUNNING.fullmatch(str(refused[0]))
    assert [run.path for run in list_runs(runs_dir)] == [started[0].path]  # the refused start made no folder
    winner = started[0]
    with pytest.raises(JobAlreadyRunning) as third:  # once the winner is under way, the refusal names it
        start_training_job(tiny_config, runs_dir)
    assert str(third.value) == f"A training job is already running ({winner.name}). Wait for it to finish or stop it first."

    kill_job(winner)
    assert winner.status == "interrupted"  # at once: a job whose process died while starting is not "starting"
    assert lock_is_free(runs_dir)


_RACER = """
import sys, time
from fer_core.training.jobs import start_training_job
from fer_core.errors import JobAlreadyRunning
from fer_core.training.config import TrainingConfig
config = TrainingConfig(data=sys.argv[1], arch="tiny_cnn", epochs=30, augment=False)
time.sleep(max(0.0, float(sys.argv[3]) - time.time()))
try:
    print("started", start_training_job(config, sys.argv[2]).name)
except JobAlreadyRunning as exc:
    print("refused", exc)
"""


def test_two_processes_racing_to_start_run_exactly_one_job(tiny_config, runs_dir, job_processes):
    at = time.time() + 3  # both are imported and waiting by then
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    racers = [subprocess.Popen([sys.executable, "-c", _RACER, tiny_config.data, str(runs_dir), str(at)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
              for _ in range(2)]
    outputs = [racer.communicate(timeout=60) for racer in racers]
    job_processes.extend(list_runs(runs_dir))
    lines = sorted(out.strip() for out, _ in outputs)

    assert [line.split()[0] for line in lines] == ["refused", "started"], outputs
    assert ALREADY_RUNNING.fullmatch(lines[0].split(" ", 1)[1])
    runs = list_runs(runs_dir)
    assert [run.name for run in runs] == [lines[1].split()[1]]
    kill_job(runs[0])
    assert lock_is_free(runs_dir)


# ---------------------------------------------------------------------------------------------------------------
# The runs folder stays bounded


def _fake_run(runs_dir: Path, name: str, started_at: float, state: str = "finished", pid: int | None = None):
    path = runs_dir / name
    path.mkdir(parents=True)
    write_json_atomically(path / "config.json", {"data": "fer2013.csv", "arch": "tiny_cnn"})
    write_json_atomically(path / "status.json", {"state": state, "started_at": started_at, "pid": pid})
    return TrainingRun(path)


def test_prune_keeps_the_newest_runs_and_never_a_running_job(runs_dir):
    now = time.time() - 3 * 86400  # older than a day: pruning spares younger runs
    running = _fake_run(runs_dir, "0-running", now - 10_000, "running", pid=os.getpid())  # the oldest, alive
    states = ["finished", "stopped", "failed", "interrupted", "finished", "finished"]
    finished = [_fake_run(runs_dir, f"{i + 1}-{state}", now - 1000 + i, state) for i, state in enumerate(states)]
    (runs_dir / "not-a-run").mkdir()  # no config.json: never touched

    removed = prune_runs(runs_dir, keep=2)

    assert sorted(removed) == [run.name for run in finished[:4]]
    assert sorted(p.name for p in runs_dir.iterdir()) == ["0-running", "5-finished", "6-finished", "not-a-run"]
    assert running.status == "running"
    assert prune_runs(runs_dir, keep=2) == []


def test_starting_a_job_keeps_the_last_n_runs(tiny_config, runs_dir, job_processes):
    now = time.time() - 3 * 86400
    for i in range(5):
        _fake_run(runs_dir, f"old-{i}", now - 1000 + i)
    _fake_run(runs_dir, "elsewhere-running", now - 5000, "running", pid=os.getpid())

    run = start_training_job(tiny_config, runs_dir, keep_runs=3)
    job_processes.append(run)

    names = sorted(p.name for p in runs_dir.iterdir() if p.is_dir())
    assert names == sorted(["old-3", "old-4", run.name, "elsewhere-running"])
    assert run.status_record["pruned_runs"] == ["old-2", "old-1", "old-0"]  # the page says what it removed
    kill_job(run)


def test_prune_spares_a_run_younger_than_a_day_and_one_a_session_predicts_with(runs_dir):
    now = time.time()
    young = _fake_run(runs_dir, "young", now - 3600)
    chosen = _fake_run(runs_dir, "chosen", now - 5 * 86400)
    chosen.mark_in_use()  # a visitor picked its model for prediction
    _fake_run(runs_dir, "old", now - 4 * 86400)
    stale = _fake_run(runs_dir, "stale-mark", now - 6 * 86400)
    stale.mark_in_use()
    os.utime(stale.path / "IN_USE", (now - 2 * 86400, now - 2 * 86400))  # chosen two days ago, no session since

    assert sorted(prune_runs(runs_dir, keep=0)) == ["old", "stale-mark"]
    assert young.path.exists() and chosen.path.exists()


def test_resume_and_stop_refuse_runs_that_cannot_be_resumed_or_stopped(runs_dir):
    done = _fake_run(runs_dir, "done", time.time())
    with pytest.raises(JobError, match=r"^Run done has no finished epoch to resume from; start a new run instead\.$"):
        resume_training_job(done, runs_dir)
    with pytest.raises(JobError, match=r"^Run done is not running\.$"):
        stop_training_job(done)
    busy = _fake_run(runs_dir, "busy", time.time(), "running", pid=os.getpid())
    with pytest.raises(JobAlreadyRunning, match=r"^Run busy is still running\.$"):
        resume_training_job(busy, runs_dir)


# ---------------------------------------------------------------------------------------------------------------
# Files are written whole or not at all


def _leftovers(folder: Path, keep: set[str]) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name not in keep)


def test_a_writer_that_fails_midway_leaves_the_old_file_and_no_temp_file(tmp_path):
    path = tmp_path / "model.keras"
    path.write_bytes(b"the old model")

    def half_then_fail(tmp: Path):
        tmp.write_bytes(b"half a new mo")
        raise RuntimeError("the writer broke")

    with pytest.raises(RuntimeError, match="the writer broke"):
        write_atomically(path, half_then_fail)
    assert path.read_bytes() == b"the old model"
    assert _leftovers(tmp_path, {"model.keras"}) == []

    def interrupted(tmp: Path):
        tmp.write_bytes(b"half")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_atomically(path, interrupted)
    with pytest.raises(OSError) as caught:
        write_atomically(path, lambda tmp: (_ for _ in ()).throw(OSError(errno.EIO, "I/O error")))
    assert caught.value.errno == errno.EIO and not isinstance(caught.value, FERError)
    assert path.read_bytes() == b"the old model"
    assert _leftovers(tmp_path, {"model.keras"}) == []

    write_bytes_atomically(path, b"the new model")
    assert path.read_bytes() == b"the new model"
    assert _leftovers(tmp_path, {"model.keras"}) == []


def test_a_full_disk_is_a_sentence_and_the_previous_file_survives(tmp_path, monkeypatch):
    run = TrainingRun(tmp_path / "run")
    run.path.mkdir()
    run.write_status("running", pid=os.getpid(), message="Training on 105 faces.")
    write_bytes_atomically(run.path / "best.keras", b"the best model so far")
    real_write_text, real_write_bytes = pathlib.Path.write_text, pathlib.Path.write_bytes

    def full(write):
        def half_then_enospc(self, data, *args, **kwargs):
            write(self, data[: len(data) // 2], *args, **kwargs)
            raise OSError(errno.ENOSPC, "No space left on device", str(self))
        return half_then_enospc

    monkeypatch.setattr(pathlib.Path, "write_text", full(real_write_text))
    monkeypatch.setattr(pathlib.Path, "write_bytes", full(real_write_bytes))

    with pytest.raises(FERError) as caught:
        run.write_status("finished", message="30 epochs; test accuracy 60%.")
    assert str(caught.value) == "The disk is full: could not write status.json. Free some space and try again."
    with pytest.raises(FERError, match=r"^The disk is full: could not write best\.keras\."):
        write_bytes_atomically(run.path / "best.keras", b"a better model")
    monkeypatch.undo()

    assert run.status_record["state"] == "running" and run.message == "Training on 105 faces."
    assert (run.path / "best.keras").read_bytes() == b"the best model so far"
    assert _leftovers(run.path, {"status.json", "best.keras"}) == []


def test_a_full_disk_at_fsync_is_the_same_sentence(tmp_path, monkeypatch):
    path = tmp_path / "checkpoint.json"
    write_json_atomically(path, {"epoch": 3})

    def enospc(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic.os, "fsync", enospc)
    with pytest.raises(FERError, match=r"^The disk is full: could not write checkpoint\.json\."):
        write_json_atomically(path, {"epoch": 4})
    monkeypatch.undo()
    assert json.loads(path.read_text()) == {"epoch": 3}
    assert _leftovers(tmp_path, {"checkpoint.json"}) == []


def test_a_full_disk_only_costs_the_dataset_cache_not_the_load(fer_csv, tmp_path, monkeypatch):
    def enospc(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(np, "savez", enospc)
    dataset = load_fer2013(fer_csv)
    assert len(dataset) > 0
    cache = tmp_path / "cache"
    assert not cache.exists() or list(cache.iterdir()) == []


def test_a_reader_never_sees_half_a_file(tmp_path):
    path = tmp_path / "progress.json"
    write_json_atomically(path, {"batch": 0, "pad": "x" * 100_000})
    failures, done = [], threading.Event()

    def read():
        while not done.is_set():
            try:
                json.loads(path.read_text())
            except ValueError as exc:
                failures.append(exc)

    reader = threading.Thread(target=read)
    reader.start()
    for batch in range(150):
        write_json_atomically(path, {"batch": batch, "pad": "y" * (100_000 + batch)})
    done.set()
    reader.join()
    assert failures == []
    assert _leftovers(tmp_path, {"progress.json"}) == []


def test_a_run_has_a_model_only_once_weights_and_contract_both_exist(tmp_path):
    run = TrainingRun(tmp_path / "run")
    run.path.mkdir()
    assert run.model_path is None
    (run.path / "model.keras").write_bytes(b"weights")
    assert run.model_path is None  # weights without their contract are not a model yet
    (run.path / "model.keras").unlink()
    (run.path / "model.json").write_text("{}")
    assert run.model_path is None
    (run.path / "model.keras").write_bytes(b"weights")
    assert run.model_path == run.path / "model.keras"


def test_a_metrics_line_cut_short_by_a_crash_is_ignored(tmp_path):
    run = TrainingRun(tmp_path / "run")
    run.path.mkdir()
    rows = [{"epoch": 1, "val_accuracy": 0.2}, {"epoch": 2, "val_accuracy": 0.3}, {"epoch": 2, "val_accuracy": 0.35}]
    text = "".join(json.dumps(row) + "\n" for row in rows) + '{"epoch": 3, "val_acc'
    (run.path / "metrics.jsonl").write_text(text)
    assert [(row["epoch"], row["val_accuracy"]) for row in run.epochs()] == [(1, 0.2), (2, 0.35)]
    assert run.best_val_accuracy == 0.35


def test_sigterm_from_the_host_stops_the_job_like_stop_and_says_why(tiny_config, runs_dir, job_processes):
    """A host restarting the app sends SIGTERM: the job keeps its best model and a status that says what happened,
    instead of dying with its status left at running."""
    run = start_training_job(tiny_config, runs_dir)
    job_processes.append(run)
    wait_for(lambda: (run.path / "checkpoint.json").exists(), run, "the first checkpoint")
    os.kill(run.status_record["pid"], signal.SIGTERM)
    wait_for(lambda: run.status not in ("starting", "running"), run, "the job to end")
    assert run.status == "stopped", run.message
    assert "SIGTERM" in run.message and "kept the best model" in run.message
    assert run.model_path is not None


def test_a_resumed_job_does_not_show_the_last_jobs_stop_or_progress(tiny_config, runs_dir, job_processes):
    """Resume starts clean: no "Stopping after the current batch…" and no old epoch count while the job loads."""
    run = start_training_job(tiny_config, runs_dir)
    job_processes.append(run)
    wait_for(lambda: (run.path / "checkpoint.json").exists(), run, "the first checkpoint")
    stop_training_job(run)
    wait_for(lambda: run.status not in ("starting", "running"), run, "the job to stop")
    wait_for(lambda: lock_is_free(runs_dir), run, "the stopped job to let go of the lock", timeout=30)
    assert run.progress()["phase"] == "done"
    resumed = resume_training_job(run, runs_dir)
    assert not resumed.stop_requested
    assert resumed.progress()["phase"] in ("loading", "teaching", "training", "validating")
    assert resumed.progress()["epoch"] <= len(resumed.epochs()) + 1
    stop_training_job(resumed)
    wait_for(lambda: resumed.status not in ("starting", "running"), resumed, "the resumed job to stop")


def test_a_job_loads_under_the_apps_budget_not_the_default(tmp_path, runs_dir, job_processes):
    """An operator's FER_MAX_LOAD_MB (from the app's settings) reaches the training process: a file over it is refused
    there with the budget's sentence, as the app refuses it."""
    images, labels, usage = synthetic_faces(n_per_class=40, seed=5)  # 800+ faces: over a 1 MB budget (434 faces)
    data = write_csv(tmp_path / "faces.csv", images, labels, usage)
    config = TrainingConfig(data=str(data), arch="tiny_cnn", epochs=1, batch_size=64, distill_from=None)
    run = start_training_job(config, runs_dir, max_load_mb=1)
    job_processes.append(run)
    wait_for(lambda: run.status not in ("starting", "running"), run, "the job to end")
    assert run.status == "failed"
    assert "1 MB" in run.message or "FER_MAX_LOAD_MB" in run.message, run.message


def test_an_ended_job_is_reaped_not_left_a_zombie_under_the_server(tmp_path, runs_dir, job_processes):
    """The starter (the app server) waits on its job: once the job ends, its process is gone, not a zombie that
    stays in the process table until the server stops."""
    images, labels, usage = synthetic_faces(n_per_class=40, seed=5)
    data = write_csv(tmp_path / "faces.csv", images, labels, usage)
    config = TrainingConfig(data=str(data), arch="tiny_cnn", epochs=1, batch_size=64, distill_from=None)
    run = start_training_job(config, runs_dir, max_load_mb=1)  # refused by the budget: it ends within seconds
    job_processes.append(run)
    pid = run.status_record["pid"]
    wait_for(lambda: run.status not in ("starting", "running"), run, "the job to end")
    wait_for(lambda: not Path(f"/proc/{pid}").exists(), run, f"pid {pid} to be reaped", timeout=30)
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # nothing left for the server to reap
