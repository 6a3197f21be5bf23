"""Training, as the notebook did it and then properly: pixels → 48×48 faces → balance the training split →
CNN on one-hot labels (softened by a teacher model's view, see distillation.py) → 30 epochs → evaluate.
Everything a run does lands in its run folder (see runs.py), so the app can watch it, a stop keeps the best model,
and a killed run resumes from its last checkpoint.

This module imports TensorFlow: it runs in the training process, never in the app server."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import os
import platform
import signal
import subprocess
import sys
import time
from pathlib import Path

import keras
import numpy as np

from .atomic import write_atomically, write_json_atomically
from .augment import augment_batch
from .balance import balanced_training_plan
from .dataset import FERDataset, load_fer2013
from .distillation import (MIN_TEACHER_AGREEMENT, TEACHER_WEIGHT, TEMPERATURE, distilled_targets, one_hot,
                           teacher_agreement, teacher_probabilities)
from .errors import FERError, JobError
from .evaluation import chance_level_verdict, evaluate_probabilities
from .job_clock import EXPORT_SECONDS, JobClock
from .load_budget import max_load_mb_from_environment
from .labels import NUM_CLASSES
from .model_files import ModelInfo, info_path, read_model_info, write_model_info
from .models import build_model
from .runs import ACTIVE_STATES, TrainingRun, new_run
from .training_config import TrainingConfig, cpu_description, resolve_precision
from .tta import FACES_PER_CHUNK, average_views, tta_views, view_count

PROGRESS_INTERVAL_SECONDS = 1.0
VALIDATION_BATCH_SIZE = 256
WARMUP_SHARE = 1 / 15  # of the epochs: 2 of 30


def cosine_learning_rate(base: float, epoch: int, epochs: int, warmup: bool = True) -> float:
    """A short linear warm-up (batch norm statistics settle before large steps), then cosine decay to 2% of base:
    a fixed schedule fitted to the epoch count converges well, and is the same on resume."""
    warmup = round(epochs * WARMUP_SHARE) if warmup else 0
    if epoch < warmup:
        return base * (epoch + 1) / (warmup + 1)
    progress = (epoch - warmup) / max(epochs - warmup, 1)
    return base * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * progress)))


class FaceBatches(keras.utils.PyDataset):
    """Batches gathered from uint8 images by index; only the batch becomes float32. targets: (N, classes) float32,
    one-hot labels or distilled ones, one row per image."""

    def __init__(self, images, targets, indices, batch_size, augment, seed, shuffle):
        super().__init__()
        self.images, self.targets, self.indices = images, targets, np.asarray(indices)
        self.batch_size, self.augment, self.shuffle = batch_size, augment, shuffle
        self.rng = np.random.default_rng(seed)
        self.order = self.rng.permutation(self.indices) if shuffle else self.indices

    def __len__(self):
        return math.ceil(len(self.indices) / self.batch_size)

    def __getitem__(self, batch):
        chosen = self.order[batch * self.batch_size : (batch + 1) * self.batch_size]
        faces = self.images[chosen]
        if self.augment:
            faces = augment_batch(faces, self.rng)
        return faces[..., None].astype("float32"), self.targets[chosen]

    def on_epoch_end(self):
        if self.shuffle:
            self.order = self.rng.permutation(self.indices)


class RunRecorder(keras.callbacks.Callback):
    """Writes progress (phase, batch, ETA over the whole job), one metrics line per epoch, the last and best
    checkpoints; honours a stop request between batches."""

    def __init__(self, run: TrainingRun, epochs: int, clock: JobClock, best_val_accuracy: float):
        super().__init__()
        self.run, self.epochs, self.clock = run, epochs, clock
        self.batches = clock.batches
        self.best = best_val_accuracy
        self.last_write = 0.0
        self.stopped_by_request = False

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch, self.epoch_start = epoch, time.time()
        self.batch_start = self.epoch_start

    def on_train_batch_end(self, batch, logs=None):
        now = time.time()
        self.clock.add_batch(now - self.batch_start)
        self.batch_start = now
        if self.run.stop_requested:
            self.stopped_by_request = True
            self.model.stop_training = True
        if now - self.last_write >= PROGRESS_INTERVAL_SECONDS or batch + 1 == self.batches:
            self.last_write = now
            done = batch + 1
            self.run.write_progress(phase="training", epoch=self.epoch + 1, epochs=self.epochs, batch=done,
                                    batches=self.batches, loss=float((logs or {}).get("loss", float("nan"))),
                                    eta_seconds=self.clock.remaining(self.epochs - self.epoch - 1, self.batches - done))

    def on_test_begin(self, logs=None):
        self.validation_start = self.last_write = time.time()
        self.run.write_progress(phase="validating", epoch=self.epoch + 1, epochs=self.epochs, batch=0,
                                batches=self.batches, eta_seconds=self.clock.remaining(self.epochs - self.epoch - 1, 0))

    def on_test_batch_end(self, batch, logs=None):
        now = time.time()
        if now - self.last_write >= PROGRESS_INTERVAL_SECONDS:
            self.last_write = now
            steps = math.ceil(self.clock.validation_faces / VALIDATION_BATCH_SIZE)
            left = self.clock.per_validation() - (now - self.validation_start)
            self.run.write_progress(phase="validating", epoch=self.epoch + 1, epochs=self.epochs,
                                    batch=self.batches, batches=self.batches, validation_batch=batch + 1,
                                    validation_batches=steps,
                                    eta_seconds=self.clock.remaining(self.epochs - self.epoch - 1, 0, max(left, 0.0)))

    def on_test_end(self, logs=None):
        self.clock.validation_seconds = time.time() - self.validation_start

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.stopped_by_request and logs.get("val_accuracy") is None:
            return  # an epoch cut short has no validation score to record
        row = {
            "epoch": epoch + 1,
            "loss": float(logs.get("loss", float("nan"))),
            "accuracy": float(logs.get("accuracy", float("nan"))),
            "val_loss": float(logs.get("val_loss", float("nan"))),
            "val_accuracy": float(logs.get("val_accuracy", float("nan"))),
            "seconds": time.time() - self.epoch_start,
            "learning_rate": float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate)),
            "seconds_per_batch": self.clock.per_batch,
            "partial": self.stopped_by_request,
        }
        if not self.stopped_by_request:
            _save_model(self.model, self.run.path / "last.keras")
        if row["val_accuracy"] > self.best:
            self.best = row["val_accuracy"]
            _save_model(self.model, self.run.path / "best.keras")
        self.run.append_epoch(row)
        if not self.stopped_by_request:
            write_json_atomically(self.run.path / "checkpoint.json", {"epoch": epoch + 1, "best_val_accuracy": self.best})


def _save_model(model, path: Path) -> None:
    write_atomically(path, lambda tmp: model.save(tmp))


def predict_with_tta(model, images: np.ndarray, tta: str, batch_size: int = 256) -> np.ndarray:
    """Probabilities for uint8 faces, averaged over the TTA views the served model uses (see tta.py), a chunk of
    faces at a time so memory stays bounded whatever the split's size."""
    chunks = []
    for start in range(0, len(images), FACES_PER_CHUNK):
        x = tta_views(images[start:start + FACES_PER_CHUNK], tta)[..., None].astype("float32")
        chunks.append(average_views(model.predict(x, batch_size=batch_size, verbose=0), tta))
    return np.concatenate(chunks) if chunks else np.empty((0, NUM_CLASSES), np.float32)


def _machine() -> str:
    return (f"{platform.machine()}, {os.cpu_count()} CPU cores, {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}, Keras {keras.__version__} on {_backend_and_devices()}")


def _backend_and_devices() -> str:
    """Which Keras backend trained the model and on what: the same command takes minutes on a GPU, hours on 2 cores."""
    backend = keras.backend.backend()
    try:
        if backend == "jax":
            import jax

            devices = [device.device_kind for device in jax.devices()]
        elif backend == "tensorflow":
            import tensorflow as tf

            devices = [gpu.name for gpu in tf.config.list_physical_devices("GPU")]
        else:
            devices = []
    except Exception:  # a card is still worth writing without the device names
        devices = []
    return f"{backend} ({', '.join(devices) or 'CPU'})"


def train(config: TrainingConfig, runs_dir: str | Path = "runs", run: TrainingRun | None = None,
          resume: bool = False, verbose: int = 2, command: str = "") -> TrainingRun:
    """Run (or resume) a training job in this process and return its run. The run folder records everything."""
    config.check()
    keras.utils.set_random_seed(config.seed)
    run = run or new_run(runs_dir, config.arch)
    if not resume:
        write_json_atomically(run.path / "config.json", dataclasses.asdict(config))
    started = run.status_record.get("started_at") if resume else None
    run.write_status("running", pid=os.getpid(), started_at=started or time.time(), ended_at=None,
                     message="Loading data…", command=command or run.status_record.get("command", ""))
    run.write_progress(phase="loading", epoch=0, epochs=config.epochs, batch=0, batches=0)
    try:
        with _stop_on_sigterm(run):
            dataset = _load_leanly(config.data, config.skip_bad_rows)
            outcome = _fit(config, run, dataset, resume, verbose)
    except FERError as exc:
        run.write_status("failed", ended_at=time.time(), message=str(exc))
        raise
    except KeyboardInterrupt:
        run.write_status("stopped", ended_at=time.time(), message="Stopped from the keyboard.")
        raise
    except Exception as exc:
        run.write_status("failed", ended_at=time.time(), message=f"Training failed: {type(exc).__name__}: {exc}")
        raise
    run.write_status(outcome["state"], ended_at=time.time(), message=outcome["message"], peak_rss_bytes=_peak_rss())
    return run


def _load_leanly(path: str, skip_bad_rows: bool) -> FERDataset:
    """The data, parsed first in a short-lived child process that leaves the faces in the dataset cache, then read
    from the cache here: parsing the full CSV holds about 1.3 GB for a few seconds, which would otherwise stay in this
    process's peak on top of TensorFlow's (the host may have 2.7 GB for everything). A file the child cannot parse is
    parsed here, so its error is the one the user sees."""
    command = [sys.executable, "-m", "fer_core", "data", str(path), "--json"] + (["--skip-bad-rows"] if skip_bad_rows else [])
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
                   cwd=Path(__file__).resolve().parent.parent, check=False)
    return load_fer2013(path, skip_bad_rows=skip_bad_rows, max_load_mb=max_load_mb_from_environment())


SIGTERM_REASON = ("The server asked the job to stop (SIGTERM: a restart or a shutdown), so it stopped after the "
                  "current batch and kept the best model; resume it to go on.")


@contextlib.contextmanager
def _stop_on_sigterm(run: TrainingRun):
    """SIGTERM, what a host sends before a restart, is handled like Stop: the job ends after the current batch with
    its best model kept and says why, instead of dying with its status left at running."""
    def request_stop(signum, frame):
        run.write_status("running", stop_reason=SIGTERM_REASON)
        run.request_stop()

    try:
        previous = signal.signal(signal.SIGTERM, request_stop)
    except ValueError:  # not the main thread (a test calling train from a worker): nothing to install
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _peak_rss() -> int:
    """The most memory this training process has held (bytes): its budget on a 2.7 GB host."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _fit(config: TrainingConfig, run: TrainingRun, dataset: FERDataset, resume: bool, verbose: int) -> dict:
    splits = dataset.splits
    if len(splits.train) == 0:
        raise FERError("This data has no training faces.")
    if len(splits.validation) == 0:
        raise FERError("This data has no validation faces to measure progress on.")
    train_labels = dataset.labels[splits.train]
    plan, class_weight = balanced_training_plan(train_labels, config.balance, config.seed)
    train_indices = splits.train[plan]
    # The oversampled set may only ever contain training faces: validation and test stay unseen.
    assert np.isin(train_indices, splits.train).all()
    targets, teacher_agreement_share = _training_targets(config, run, dataset)
    precision = resolve_precision(config.precision)

    start_epoch, best = 0, -1.0
    if resume:
        checkpoint = _read_checkpoint(run)
        start_epoch, best = checkpoint["epoch"], checkpoint["best_val_accuracy"]
        model = keras.saving.load_model(run.path / "last.keras")  # its layers keep the precision they were built with
    else:
        with _dtype_policy(precision):
            model = build_model(config.arch)
        if config.init_from:
            _copy_weights(Path(config.init_from), model)
            _keep_start_card(run, Path(config.init_from))
        compile_for_training(model, config)
    if (run.path / "STOP").exists():
        (run.path / "STOP").unlink()

    batches = FaceBatches(dataset.images, targets, train_indices, config.batch_size, config.augment,
                          config.seed + start_epoch, shuffle=True)
    # Validation and test are scored against their plain labels: the teacher never sees them.
    labels_one_hot = one_hot(dataset.labels, NUM_CLASSES)
    validation = FaceBatches(dataset.images, labels_one_hot, splits.validation, VALIDATION_BATCH_SIZE, False, 0,
                             shuffle=False)
    tta = config.served_tta
    clock = JobClock(len(batches), config.batch_size, len(splits.validation), len(dataset.split("test")),
                     view_count(tta))
    recorder = RunRecorder(run, config.epochs, clock, best)
    started = time.time()
    notes = list(splits.notes)
    run.write_status("running", message=f"Training on {len(train_indices):,} faces ({config.balance}).",
                     notes=notes, train_faces=len(train_indices), precision=precision, cpu=cpu_description())
    if start_epoch < config.epochs:
        model.fit(
            batches, validation_data=validation, epochs=config.epochs, initial_epoch=start_epoch,
            class_weight=class_weight, verbose=verbose,
            callbacks=[keras.callbacks.LearningRateScheduler(
                lambda epoch: cosine_learning_rate(config.learning_rate, epoch, config.epochs, config.warmup)),
                recorder],
        )
    if not (run.path / "best.keras").exists():
        if recorder.stopped_by_request:
            return {"state": "stopped", "message": "Stopped before the first epoch finished: no model was kept."
                    + (" (The server asked the job to stop: SIGTERM.)" if run.status_record.get("stop_reason") else "")}
        _save_model(model, run.path / "best.keras")

    run.write_progress(phase="exporting", epoch=len(run.epochs()), epochs=config.epochs, batch=len(batches),
                       batches=len(batches), eta_seconds=clock.evaluation_seconds())
    # compile=False: the served and downloaded model carries no optimizer state (a third of the file).
    best_model = _as_float32(keras.saving.load_model(run.path / "best.keras", compile=False), config.arch)
    epochs = run.epochs()
    info = ModelInfo(architecture=config.arch, tta=tta, card={
        "architecture": config.arch,
        "parameters": int(best_model.count_params()),
        "config": dataclasses.asdict(config),
        "command": run.status_record.get("command", ""),
        "reproduce": config.command_line(),
        "epochs_completed": len([row for row in epochs if not row.get("partial")]),
        "train_seconds": sum(row["seconds"] for row in epochs),
        "precision": precision,
        "teacher": _teacher_note(config.distill_from, teacher_agreement_share),
        "machine": _machine(),
        "cpu": cpu_description(),
        "data_sha1": dataset.digest,
        "data_rows": len(dataset),
        "trained_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    })
    if config.init_from:
        _add_earlier_stages(info.card, Path(config.init_from), kept_start_card(run, Path(config.init_from)))
    # Launch to here, loading and the teacher's pass included (the scoring that follows takes seconds).
    info.card["wall_clock_seconds"] = time.time() - run.status_record.get("started_at", started)
    staged = _stage_model(run, best_model, info)
    run.write_progress(phase="evaluating", epoch=len(epochs), epochs=config.epochs, batch=len(batches),
                       batches=len(batches), eta_seconds=clock.evaluation_seconds() - EXPORT_SECONDS)
    evaluation = score_as_served(run, staged, best_model, dataset, tta,
                                 epochs=info.card["epochs_completed"], train_faces=len(train_indices))
    info.card["evaluation"] = evaluation
    _publish_model(run, staged, info)
    run.write_progress(phase="done", epoch=len(epochs), epochs=config.epochs, batch=len(batches),
                       batches=len(batches), eta_seconds=0.0)
    state = "stopped" if recorder.stopped_by_request else "finished"
    summary = (f"{info.card['epochs_completed']} epochs; test accuracy {evaluation['accuracy']:.1%}, "
               f"top-3 {evaluation['top3_accuracy']:.1%}, macro F1 {evaluation['macro_f1']:.3f}.")
    if evaluation["chance_level"]["flagged"]:
        summary += " " + evaluation["chance_level"]["reason"]
    stopped = run.status_record.get("stop_reason") or "Stopped on request: kept the best model."
    return {"state": state, "message": (stopped + " " if state == "stopped" else "") + summary,
            "seconds": time.time() - started}


def _training_targets(config: TrainingConfig, run: TrainingRun, dataset: FERDataset) -> tuple[np.ndarray, float | None]:
    """(N, classes) float32 targets for every face: one-hot labels, and for the training faces, blended with the
    teacher's probabilities when the job has a teacher that knows this data. Validation and test rows stay one-hot.
    Also returns the teacher's agreement with the training labels (None without a teacher)."""
    targets = one_hot(dataset.labels, NUM_CLASSES)
    if config.distill_from:
        train = dataset.splits.train
        run.write_status("running", message=f"Asking the teacher ({Path(config.distill_from).name}) about "
                                            f"{len(train):,} training faces…")
        run.write_progress(phase="teaching", epoch=0, epochs=config.epochs, batch=0, batches=0)
        probabilities = teacher_probabilities(config.distill_from, dataset.images[train], dataset.class_names)
        agreement = teacher_agreement(dataset.labels[train], probabilities)
        if agreement < MIN_TEACHER_AGREEMENT:
            print(f"The teacher agrees with only {agreement:.0%} of the training labels: it does not know this data, "
                  "so this job trains on the labels alone.", file=sys.stderr)
            return targets, agreement
        targets[train] = distilled_targets(dataset.labels[train], probabilities)
        return targets, agreement
    return targets, None


def _teacher_note(teacher: str | None, agreement: float | None) -> dict | None:
    """Which model taught this one, how good it was, and whether it was used: a student's figures are read in its light."""
    if not teacher:
        return None
    card = _card_of(Path(teacher))
    return {"model": Path(teacher).name, "architecture": card.get("architecture"),
            "test_accuracy": (card.get("evaluation") or {}).get("accuracy"),
            "agreement_with_training_labels": agreement,
            "used": agreement is not None and agreement >= MIN_TEACHER_AGREEMENT,
            "weight": TEACHER_WEIGHT, "temperature": TEMPERATURE}


def _stage_model(run: TrainingRun, model, info: ModelInfo) -> Path:
    """staged.keras, its contract and its LiteRT export, beside the run's final model name but not yet under it."""
    staged = run.path / "staged.keras"
    _save_model(model, staged)
    write_model_info(staged, info)
    try:
        from .runtime import export_litert

        export_litert(staged)
    except Exception as exc:  # the .keras model still serves; the app converts it on first use
        print(f"LiteRT export failed, the .keras model will be converted on first use: {exc}", file=sys.stderr)
    return staged


def score_as_served(run: TrainingRun, model_path: Path, keras_model, dataset: FERDataset, tta: str,
                    epochs: int | None = None, train_faces: int | None = None) -> dict:
    """The run's model scored as the app serves it on the test split, also written to the run's evaluation.json,
    with a verdict on whether it beats guessing (and if not, why and what to try)."""
    test = dataset.split("test")
    evaluation = _evaluate_as_served(model_path, keras_model, test, tta)
    evaluation.update(split="test", split_notes=list(dataset.splits.notes), tta=tta)
    evaluation["chance_level"] = chance_level_verdict(evaluation, test.labels, epochs=epochs, train_faces=train_faces)
    write_json_atomically(run.path / "evaluation.json", evaluation)
    return evaluation


def _evaluate_as_served(model_path: Path, keras_model, test: FERDataset, tta: str) -> dict:
    """Scores of the model as the app serves it (its LiteRT export, with the same TTA), with Keras's for reference."""
    keras_probabilities = predict_with_tta(keras_model, test.images, tta)
    if model_path.with_suffix(".tflite").exists():
        from .runtime import FaceClassifier

        evaluation = evaluate_probabilities(test.labels, FaceClassifier(model_path).predict_proba(test.images))
        evaluation["runtime"] = "LiteRT"
    else:
        evaluation = evaluate_probabilities(test.labels, keras_probabilities)
        evaluation["runtime"] = "Keras"
    evaluation["keras_accuracy"] = float((keras_probabilities.argmax(axis=1) == test.labels).mean())
    return evaluation


def _publish_model(run: TrainingRun, staged: Path, info: ModelInfo) -> None:
    """model.keras appears last, after its contract and LiteRT export, so a listed model is always complete."""
    final = run.path / "model.keras"
    write_model_info(final, info)
    if staged.with_suffix(".tflite").exists():
        os.replace(staged.with_suffix(".tflite"), final.with_suffix(".tflite"))
    os.replace(staged, final)
    staged.with_suffix(".json").unlink(missing_ok=True)


@contextlib.contextmanager
def _dtype_policy(name: str):
    """Layers built inside use this Keras dtype policy; the global policy is back to float32 after, even on error."""
    keras.config.set_dtype_policy(name)
    try:
        yield
    finally:
        keras.config.set_dtype_policy("float32")


def _as_float32(model, arch: str):
    """The same weights in an all-float32 model: what is served and exported, whatever precision trained it."""
    if all(layer.dtype_policy.name == "float32" for layer in model.layers):
        return model
    float32_model = build_model(arch)
    float32_model.set_weights(model.get_weights())
    return float32_model


def _copy_weights(source: Path, model) -> None:
    """Start from another model's weights (fine-tuning, or a schedule restarted from a finished run)."""
    try:
        start = keras.saving.load_model(source, compile=False)
    except Exception as exc:
        raise FERError(f"Could not read the model to start from, {source}: {exc}") from exc
    if start.name != model.name:
        raise FERError(f"{source} is a {start.name} model; it cannot start a {model.name} run.")
    shapes = [tuple(w.shape) for w in start.get_weights()]
    if shapes != [tuple(w.shape) for w in model.get_weights()]:
        raise FERError(f"{source} has different layer sizes from a fresh {model.name}; it cannot start this run.")
    model.set_weights(start.get_weights())


START_CARD_NAME = "start_card.json"


def _card_of(model_path: Path) -> dict:
    return read_model_info(model_path).card if info_path(model_path).exists() else {}


def _keep_start_card(run: TrainingRun, start: Path) -> None:
    """The start model's card as it is now: the file may be replaced (shipped over) before this run ends."""
    write_json_atomically(run.path / START_CARD_NAME, _card_of(start))


def kept_start_card(run: TrainingRun, start: Path) -> dict:
    """The card of the model this run started from, as it was when the run began (runs from before it was kept:
    as it is now)."""
    kept = run.path / START_CARD_NAME
    return json.loads(kept.read_text()) if kept.exists() else _card_of(start)


def _add_earlier_stages(card: dict, start: Path, start_card: dict) -> None:
    """A model trained on from another one has had both trainings: its card lists each stage and counts the
    epochs and seconds of all of them, so what it says about the model stays true."""
    earlier = start_card.get("stages") or ([{
        "epochs": start_card.get("epochs_completed", 0),
        "train_seconds": start_card.get("train_seconds", 0.0),
        "command": start_card.get("reproduce") or start_card.get("command", ""),
        "precision": start_card.get("precision") or start_card.get("config", {}).get("precision", "float32"),
    }] if start_card else [])
    this = {"epochs": card["epochs_completed"], "train_seconds": card["train_seconds"], "command": card["command"],
            "precision": card["precision"]}  # what it really trained in ("auto" resolved)
    card["initialised_from"] = str(start)
    card["stages"] = earlier + [this]
    card["epochs_completed"] = sum(stage["epochs"] for stage in card["stages"])
    card["train_seconds"] = sum(stage["train_seconds"] for stage in card["stages"])


def _read_checkpoint(run: TrainingRun) -> dict:
    try:
        checkpoint = json.loads((run.path / "checkpoint.json").read_text())
    except (OSError, ValueError):
        checkpoint = None
    if checkpoint is None or not (run.path / "last.keras").exists():
        raise JobError(f"Run {run.name} has no finished epoch to resume from; start a new run instead.")
    return checkpoint


def resume(run_path: str | Path, verbose: int = 2) -> TrainingRun:
    run = TrainingRun(Path(run_path))
    if not (run.path / "config.json").exists():
        raise JobError(f"{run_path} is not a training run folder (no config.json).")
    # A job started by the app records this very process's pid before we get here: that one is us, not a rival.
    if run.status in ACTIVE_STATES and run.status_record.get("pid") != os.getpid():
        raise JobError(f"Run {run.name} is still running.")
    config = TrainingConfig.from_dict(run.config)
    return train(config, run=run, resume=True, verbose=verbose)


def compile_for_training(model, config: TrainingConfig) -> None:
    """The optimizer and loss every job trains with: AdamW (Adam with decoupled weight decay; weight_decay 0 is Adam
    itself, as older runs trained) on categorical cross-entropy over one-hot or distilled targets."""
    model.compile(optimizer=keras.optimizers.AdamW(config.learning_rate, weight_decay=config.weight_decay),
                  loss="categorical_crossentropy", metrics=["accuracy"])


def time_training_batches(arch: str, batch_size: int, precision: str, batches: int = 8) -> float:
    """Median seconds of one training batch of this architecture on this machine, with the real pipeline (augmented
    uint8 faces through FaceBatches, the same optimizer and loss) on random faces: the Train page's calibration."""
    keras.utils.set_random_seed(0)
    warmup = JobClock.WARMUP_BATCHES
    faces = np.random.default_rng(0).integers(0, 256, ((warmup + batches) * batch_size, 48, 48), dtype=np.uint8)
    targets = one_hot(np.arange(len(faces)) % NUM_CLASSES, NUM_CLASSES)
    with _dtype_policy(resolve_precision(precision)):
        model = build_model(arch)
    compile_for_training(model, TrainingConfig.defaults())
    clock = JobClock(warmup + batches, batch_size, 0, 0, 1)

    class Timer(keras.callbacks.Callback):  # batch end to batch end, input pipeline included, as RunRecorder times
        def on_epoch_begin(self, epoch, logs=None):
            self.last = time.perf_counter()

        def on_train_batch_end(self, batch, logs=None):
            now = time.perf_counter()
            clock.add_batch(now - self.last)
            self.last = now

    model.fit(FaceBatches(faces, targets, np.arange(len(faces)), batch_size, True, 0, shuffle=True), epochs=1,
              verbose=0, callbacks=[Timer()])
    return clock.per_batch
