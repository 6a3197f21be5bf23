"""A training run's folder, the one record of a job that the CLI, the training process, the app and the bench all read.
`TrainingRun` owns the folder's file names (below) and the rule for when a run can resume: everyone else reads a run
through its properties (config, status_record, epochs(), evaluation(), final_model_file, final_card_file…), and a
page that polls reads one `RunSummary` of each run.

    config.json      what was asked (TrainingConfig)
    status.json      state, pid, start/end times, message          (rewritten atomically)
    metrics.jsonl    one line per finished epoch                    (appended)
    progress.json    epoch, batch, ETA                              (rewritten atomically)
    checkpoint.json  the last finished epoch and the best validation accuracy so far
    last.keras       checkpoint at the end of the last epoch, for resume
    best.keras       best validation accuracy so far
    staged.keras     the final model while it is exported and scored, before it is published as model.keras
    model.keras/.json/.tflite   the final model (best weights), its contract and card, its LiteRT export
    evaluation.json  scores on the test split
    start_card.json  the card of the model a run started from, as it was when the run began
    train.log        the training process's output
    STOP             present when a stop was requested
    IN_USE           touched while some session of the app predicts with this run's model

Uploads from the app are saved beside the runs, in RUNS_DIR/uploads/<digest>/<the user's file name> (uploads_dir), so
that a job, which runs in another process, can read them; a run that trained on one names it by that file name.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from .. import settings
from ..atomic import write_json_atomically
from ..errors import JobError

ACTIVE_STATES = ("starting", "running")
# Pruning spares a run this young, and one whose IN_USE mark is this fresh: another visitor may be using it.
PRUNE_SPARES_SECONDS = 24 * 3600
IN_USE_FILE = "IN_USE"
# A run in one of these states, with a finished epoch to go on from, offers Resume.
RESUMABLE_STATES = ("stopped", "interrupted")
UPLOADS_FOLDER = "uploads"


def epochs_text(epochs) -> str:
    """"1 epoch", "30 epochs" (or "? epochs" for an unknown count), as every line about a run says it."""
    return f"{epochs} epoch" if epochs == 1 else f"{epochs} epochs"


def uploads_dir(runs_dir: str | Path) -> Path:
    return Path(runs_dir) / UPLOADS_FOLDER


def _read_json(path: Path, default=None):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return default


def pid_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie (exited, not yet reaped by its parent) is not running
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True


@dataclass(frozen=True)
class TrainingRun:
    path: Path

    @property
    def name(self) -> str:
        return self.path.name

    # The folder's files, by what they hold.
    config_file = property(lambda self: self.path / "config.json")
    status_file = property(lambda self: self.path / "status.json")
    metrics_file = property(lambda self: self.path / "metrics.jsonl")
    progress_file = property(lambda self: self.path / "progress.json")
    checkpoint_file = property(lambda self: self.path / "checkpoint.json")
    last_model_file = property(lambda self: self.path / "last.keras")
    best_model_file = property(lambda self: self.path / "best.keras")
    staged_model_file = property(lambda self: self.path / "staged.keras")
    final_model_file = property(lambda self: self.path / "model.keras")
    final_card_file = property(lambda self: self.path / "model.json")
    evaluation_file = property(lambda self: self.path / "evaluation.json")
    start_card_file = property(lambda self: self.path / "start_card.json")
    log_file = property(lambda self: self.path / "train.log")
    stop_file = property(lambda self: self.path / "STOP")
    in_use_file = property(lambda self: self.path / IN_USE_FILE)

    @property
    def config(self) -> dict:
        return _read_json(self.config_file, {})

    @property
    def status_record(self) -> dict:
        return _read_json(self.status_file, {})

    @property
    def status(self) -> str:
        """starting, running, finished, stopped, failed, or interrupted (its process died without saying so)."""
        return self._status_of(self.status_record)

    def _status_of(self, record: dict) -> str:
        state = record.get("state", "starting")
        if state in ACTIVE_STATES and not pid_alive(record.get("pid")):
            # Only a job whose process is not spawned yet has no pid; a recorded pid that is gone died early.
            if state == "starting" and not record.get("pid") and time.time() - self._status_written_at() < 60:
                return "starting"
            return "interrupted"
        return state

    def _status_written_at(self) -> float:
        try:
            return (self.status_file).stat().st_mtime
        except OSError:
            return 0.0

    @property
    def message(self) -> str:
        return self.status_record.get("message", "")

    @property
    def shown_message(self) -> str:
        """The message the Train page shows (RunSummary.shown_message: why an interrupted run ended)."""
        return self.summary().shown_message

    def _log_tail(self, n_bytes: int = 4096) -> str:
        try:
            with open(self.log_file, "rb") as log:
                log.seek(max(log.seek(0, os.SEEK_END) - n_bytes, 0))
                return log.read().decode(errors="replace")
        except OSError:
            return ""

    @property
    def data_path(self) -> Path | None:
        return _data_path(self.config)

    @property
    def trained_on_upload(self) -> bool:
        return _trained_on_upload(_data_path(self.config), self.path.parent)

    @property
    def data_name(self) -> str:
        return _data_name(_data_path(self.config), self.path.parent)

    @property
    def needs_its_data(self) -> bool:
        """Running, or able to resume: its data must stay on the server."""
        return self.status in ACTIVE_STATES or self.offers_resume

    def missing_data_sentence(self) -> str | None:
        """What to do when the data this run trained on is gone (an upload evicted to make room), else None."""
        path = self.data_path
        if path is None or path.exists():
            return None
        if self.trained_on_upload:
            return (f"The data run {self.name} trained on, {path.name}, is no longer on the server (uploads are kept "
                    f"within the server's space for them): upload {path.name} again in the sidebar, the same file, "
                    "then press Resume.")
        return f"The data run {self.name} trained on, {path}, is no longer there, so it cannot resume."

    def epochs(self) -> list[dict]:
        """One dict per finished epoch: epoch, loss, accuracy, val_loss, val_accuracy, seconds, learning_rate.
        A line cut short by a crash is ignored; a resumed run's repeated epoch keeps its latest line."""
        rows: dict[int, dict] = {}
        try:
            lines = (self.metrics_file).read_text(encoding="utf-8").splitlines()
        except OSError:
            return []
        for line in lines:
            try:
                row = json.loads(line)
                rows[int(row["epoch"])] = row
            except (ValueError, KeyError, TypeError):
                continue
        return [rows[k] for k in sorted(rows)]

    def progress(self) -> dict:
        return _read_json(self.progress_file, {})

    def evaluation(self) -> dict | None:
        return _read_json(self.evaluation_file)

    @property
    def model_path(self) -> Path | None:
        """The final model once the run has one (never a half-written file: it is renamed into place)."""
        path = self.final_model_file
        return path if path.exists() and path.with_suffix(".json").exists() else None

    @property
    def best_val_accuracy(self) -> float | None:
        return _best_val_accuracy(self.epochs())

    def summary(self) -> RunSummary:
        """Its files read once: config and status, the epochs, the progress while it runs, the scores once it ends."""
        config, record = self.config, self.status_record
        status = self._status_of(record)
        active = status in ACTIVE_STATES
        return RunSummary(run=self, config=config, status_record=record, status=status, epochs=tuple(self.epochs()),
                          progress=self.progress() if active else {},
                          evaluation=None if active else self.evaluation(),
                          model_path=self.model_path, stop_requested=self.stop_requested,
                          offers_resume=status in RESUMABLE_STATES and self.has_checkpoint,
                          log_tail=self._log_tail() if status == "interrupted" else "")

    def mark_in_use(self) -> None:
        """Say that a session predicts with this run's model, so pruning spares it for a day after the last mark."""
        try:
            self.in_use_file.touch()
        except OSError:
            pass  # a read-only runs folder is never pruned by this server either

    def spared_from_pruning(self, now: float | None = None) -> bool:
        """Running, started within a day, or chosen for prediction by a session within a day."""
        now = time.time() if now is None else now
        if self.status in ACTIVE_STATES:
            return True
        started = self.status_record.get("started_at") or _modified(self.path)
        return now - started < PRUNE_SPARES_SECONDS or now - _modified(self.in_use_file) < PRUNE_SPARES_SECONDS

    def request_stop(self) -> None:
        self.stop_file.touch()

    @property
    def stop_requested(self) -> bool:
        return self.stop_file.exists()

    def clear_stop_request(self) -> None:
        self.stop_file.unlink(missing_ok=True)

    # The resume rule: a run goes on from its last finished epoch, so it needs that epoch's checkpoint.
    @property
    def has_checkpoint(self) -> bool:
        return self.checkpoint_file.exists() and self.last_model_file.exists()

    @property
    def offers_resume(self) -> bool:
        """What the Train page shows a Resume button for: a stopped or interrupted run with a finished epoch."""
        return self.status in RESUMABLE_STATES and self.has_checkpoint

    def checkpoint(self) -> dict:
        """{epoch, best_val_accuracy} of the last finished epoch; JobError where there is none to resume from."""
        record = _read_json(self.checkpoint_file) if self.last_model_file.exists() else None
        if not isinstance(record, dict) or "epoch" not in record:
            raise JobError(f"Run {self.name} has no finished epoch to resume from; start a new run instead.")
        return record

    def write_checkpoint(self, epoch: int, best_val_accuracy: float) -> None:
        write_json_atomically(self.checkpoint_file, {"epoch": epoch, "best_val_accuracy": best_val_accuracy})

    def write_status(self, state: str, **fields) -> None:
        record = {**self.status_record, **fields, "state": state}
        write_json_atomically(self.status_file, record)

    def write_progress(self, **fields) -> None:
        write_json_atomically(self.progress_file, {**fields, "updated_at": time.time()})

    def append_epoch(self, row: dict) -> None:
        with open(self.metrics_file, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(row) + "\n")
            handle.flush()
            os.fsync(handle.fileno())


@dataclass(frozen=True)
class RunSummary:
    """One read of a run's files, for a page that polls every 2 s: each row and panel it draws reads this, not the
    folder a property at a time. Made by TrainingRun.summary() or read_runs()."""

    run: TrainingRun
    config: dict
    status_record: dict
    status: str
    epochs: tuple[dict, ...]
    progress: dict  # {} once the job has ended
    evaluation: dict | None  # None while the job runs
    model_path: Path | None
    stop_requested: bool
    offers_resume: bool
    log_tail: str  # the end of train.log, read only for an interrupted run: shown_message says why it ended

    @property
    def name(self) -> str:
        return self.run.name

    @property
    def active(self) -> bool:
        return self.status in ACTIVE_STATES

    @property
    def message(self) -> str:
        return self.status_record.get("message", "")

    @property
    def finished_epochs(self) -> int:
        """Epochs that ran to the end (a stop mid-epoch records a partial one, which is not counted)."""
        return len([row for row in self.epochs if not row.get("partial")])

    @property
    def best_val_accuracy(self) -> float | None:
        return _best_val_accuracy(self.epochs)

    @property
    def duration_seconds(self) -> float:
        record = self.status_record
        start = record.get("started_at")
        if not start:
            return 0.0
        end = record.get("ended_at") if not self.active else time.time()
        return float((end or time.time()) - start) - float(record.get("paused_seconds", 0))

    @property
    def shown_message(self) -> str:
        """The run's message; for a run whose process died without a word, what is known of why and where."""
        if self.status != "interrupted":
            return self.message
        done = self.finished_epochs
        where = f"after {epochs_text(done)} of {self.config.get('epochs', '?')}" if done else "before its first epoch ended"
        ran_out = any(sign in self.log_tail for sign in ("MemoryError", "std::bad_alloc", "Out of memory"))
        why = ("it ran out of memory" if ran_out else
               "it was ended from outside (out of memory, a restart of the server or a kill), so it could not say why")
        go_on = " Resume goes on from the last finished epoch." if self.offers_resume else ""
        last = f" Its last message: {self.message}" if self.message else ""
        return f"The training process stopped {where}: {why}.{go_on}{last}"

    @property
    def data_path(self) -> Path | None:
        return _data_path(self.config)

    @property
    def trained_on_upload(self) -> bool:
        return _trained_on_upload(self.data_path, self.run.path.parent)

    @property
    def data_name(self) -> str:
        return _data_name(self.data_path, self.run.path.parent)


def _best_val_accuracy(epochs) -> float | None:
    values = [row["val_accuracy"] for row in epochs if row.get("val_accuracy") is not None]
    return max(values) if values else None


def _data_path(config: dict) -> Path | None:
    data = config.get("data")
    return Path(data) if data else None


def _trained_on_upload(path: Path | None, runs_dir: Path) -> bool:
    """Whether the run's data is a file a visitor uploaded (saved in the uploads folder beside the runs)."""
    return path is not None and path.parent.parent.name == UPLOADS_FOLDER and \
        path.parent.parent.resolve() == uploads_dir(runs_dir).resolve()


def _data_name(path: Path | None, runs_dir: Path) -> str:
    """The run's data as its owner knows it: an upload by its own file name, never the server folder it is saved in;
    anything else by the path it was given."""
    if path is None:
        return "?"
    return path.name if _trained_on_upload(path, runs_dir) else str(path)


def new_run(runs_dir: str | Path, arch: str) -> TrainingRun:
    runs_dir = Path(runs_dir)
    runs_dir.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for suffix in range(1000):
        path = runs_dir / f"{stamp}-{arch}" if suffix == 0 else runs_dir / f"{stamp}-{arch}-{suffix}"
        try:
            path.mkdir()
            return TrainingRun(path)
        except FileExistsError:
            continue
    raise RuntimeError("could not name a new run folder")


def list_runs(runs_dir: str | Path | None = None) -> list[TrainingRun]:
    """Runs, newest first (in FER_RUNS_DIR, default ./runs, unless told otherwise)."""
    runs = [TrainingRun(path) for path in _run_folders(runs_dir)]
    return sorted(runs, key=lambda run: _started(run, run.status_record), reverse=True)


def read_runs(runs_dir: str | Path | None = None) -> list[RunSummary]:
    """Every run's summary, newest first: the runs folder listed once and each run's files read once."""
    summaries = [TrainingRun(path).summary() for path in _run_folders(runs_dir)]
    return sorted(summaries, key=lambda summary: _started(summary.run, summary.status_record), reverse=True)


def _run_folders(runs_dir: str | Path | None) -> list[Path]:
    runs_dir = Path(runs_dir) if runs_dir is not None else settings.runs_dir()
    if not runs_dir.is_dir():
        return []
    return [path for path in runs_dir.iterdir() if path.is_dir() and TrainingRun(path).config_file.exists()]


def _started(run: TrainingRun, record: dict) -> float:
    return record.get("started_at", 0) or run.path.stat().st_mtime


def uploads_needed(runs_dir: str | Path) -> list[Path]:
    """The upload folders that a running or resumable run trains on: evicted last, so another visitor's upload never
    takes a stopped run's data while the rest of the uploads folder can make room."""
    return [run.data_path.parent for run in list_runs(runs_dir) if run.trained_on_upload and run.needs_its_data]


def _modified(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def prune_runs(runs_dir: str | Path, keep: int) -> list[str]:
    """Delete all but the newest `keep` finished runs, sparing any run that is running, younger than a day, or
    chosen for prediction by a session within a day (see spared_from_pruning). Returns the names removed."""
    removed = []
    finished = [run for run in list_runs(runs_dir) if run.status not in ACTIVE_STATES]
    now = time.time()
    for run in finished[max(keep, 0):]:
        if run.spared_from_pruning(now):
            continue
        shutil.rmtree(run.path, ignore_errors=True)
        removed.append(run.name)
    return removed
