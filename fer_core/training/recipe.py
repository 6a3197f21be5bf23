"""Training, as the notebook did it and then properly: pixels → 48×48 faces → balance the training split →
CNN on one-hot labels (softened by a teacher model's view, see distillation.py) → 30 epochs → evaluate.
Everything a run does lands in its run folder (see runs.py), so the app can watch it, a stop keeps the best model,
and a killed run resumes from its last checkpoint. The end of a job (export, scoring, publishing) is publishing.py;
the model's card is model_card.py.

This module imports TensorFlow: it runs in the training process, never in the app server."""

from __future__ import annotations

import contextlib
import dataclasses
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import keras
import numpy as np

from .. import settings
from ..atomic import write_json_atomically
from ..data.balance import BALANCE_IN_WORDS, balanced_training_plan
from ..data.dataset import FERDataset, load_fer2013
from ..errors import FERError, JobError
from ..prediction.model_contract import ModelInfo
from ..prediction.tta import view_count
from .architectures import build_model
from .augment import augment_batch
from .batches import VALIDATION_BATCH_SIZE, FaceBatches, FeatureBatches
from .config import TrainingConfig, cpu_description, resolve_precision
from .console_progress import ConsoleProgress
from .devices import ONE_DEVICE, TrainingDevices, training_devices
from .distillation import (
    MIN_TEACHER_AGREEMENT,
    distilled_targets,
    one_hot,
    teacher_agreement,
    teacher_knows,
    teacher_probabilities,
)
from .job_clock import EXPORT_SECONDS, JobClock
from .model_card import keep_start_card, model_card
from .progress import RunRecorder
from .publishing import load_for_serving, publish_model, save_model, score_as_served, stage_model
from .runs import ACTIVE_STATES, TrainingRun, epochs_text, new_run
from .transfer import (
    base_architecture,
    build_transfer_model,
    feature_views,
    frozen_features,
    frozen_layers,
    head_on_features,
    resolve_transfer,
)

WARMUP_SHARE = 1 / 15  # of the epochs: 2 of 30


def train(config: TrainingConfig, runs_dir: str | Path = "runs", run: TrainingRun | None = None,
          resume: bool = False, verbose: int = 2, command: str = "") -> TrainingRun:
    """Run (or resume) a training job in this process and return its run. The run folder records everything.
    Without a run, config comes straight from Python: it is checked here and written to a new run's config.json.
    A given run's config.json already holds config (the job starter wrote it; TrainingConfig.from_dict checked it)."""
    keras.utils.set_random_seed(config.seed)
    dataset, devices = None, None
    if run is None:
        config.check()
        devices = training_devices(config.devices, config.batch_size)  # refused before a run folder is made
        if config.transfer == "auto":
            # The run is named after what it trains (an architecture, or a transfer), which the data's classes decide.
            dataset = _load_leanly(config.data, config.skip_bad_rows)
            config = dataclasses.replace(config, transfer=resolve_transfer("auto", dataset.class_names))
        run = new_run(runs_dir, config.run_name)
        write_json_atomically(run.config_file, dataclasses.asdict(config))
    started = run.status_record.get("started_at") if resume else None
    run.write_status("running", pid=os.getpid(), started_at=started or time.time(), ended_at=None,
                     message="Loading data…", command=command or run.status_record.get("command", ""))
    run.write_progress(phase="loading", epoch=0, epochs=config.epochs, batch=0, batches=0)
    try:
        with _stop_on_sigterm(run):
            if devices is None:  # a given run (the app's job, a resume) records a refusal in its status
                devices = training_devices(config.devices, config.batch_size)
            dataset = dataset or _load_leanly(config.data, config.skip_bad_rows)
            outcome = _fit(config, run, dataset, resume, verbose, devices)
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


def resume(run_path: str | Path, verbose: int = 2, devices: str | int | None = None) -> TrainingRun:
    """Go on with a run from its last checkpoint, on the devices it asked for or on `devices` (a run started on 8 GPUs
    resumes on 4, or on 1: the global batch, and so the training, stay the same)."""
    run = TrainingRun(Path(run_path))
    if not run.config_file.exists():
        raise JobError(f"{run_path} is not a training run folder (no config.json).")
    # A job started by the app records this very process's pid before we get here: that one is us, not a rival.
    if run.status in ACTIVE_STATES and run.status_record.get("pid") != os.getpid():
        raise JobError(f"Run {run.name} is still running.")
    config = TrainingConfig.from_dict(run.config)
    if devices is not None:
        config = dataclasses.replace(config, devices=devices).check()
    return train(config, run=run, resume=True, verbose=verbose)


def _fit(config: TrainingConfig, run: TrainingRun, dataset: FERDataset, resume: bool, verbose: int,
         devices: TrainingDevices = ONE_DEVICE) -> dict:
    # 1. The data: the training split, balanced if asked; validation and test stay as they are.
    splits = dataset.splits
    if len(splits.train) == 0:
        raise FERError("This data has no training faces.")
    if len(splits.validation) == 0:
        raise FERError("This data has no validation faces to measure progress on.")
    plan, class_weight = balanced_training_plan(dataset.labels[splits.train], config.balance, config.seed,
                                                num_classes=dataset.num_classes)
    train_indices = splits.train[plan]
    # The oversampled set may only ever contain training faces: validation and test stay unseen.
    assert np.isin(train_indices, splits.train).all()
    class_names = dataset.class_names
    transfer = resolve_transfer(config.transfer, class_names)
    targets, teacher_agreement_share = _training_targets(config, run, dataset, use_teacher=transfer == "off")
    # A new head on a trained model's features is small: float32 costs nothing there and keeps the base as it was.
    precision = resolve_precision(config.precision) if transfer == "off" else "float32"
    architecture = config.arch if transfer == "off" else f"{base_architecture(config.transfer_base)} + new head"
    if transfer == "head" and devices.parallel:
        print("A new head on a trained model's features trains in seconds: this job runs on one device.",
              file=sys.stderr)
        devices = ONE_DEVICE

    # On several devices the model is built (or loaded) and trained inside their DataParallel scope; the best model
    # is then scored on one device, as it is served.
    with devices.scope():
        # 2. The model: fresh (or from another model's weights, or a trained model's features with a new head for these
        #    classes), or the last checkpoint of a resumed run.
        start_epoch, best = 0, -1.0
        if resume:
            checkpoint = run.checkpoint()
            start_epoch, best = checkpoint["epoch"], checkpoint["best_val_accuracy"]
            model = keras.saving.load_model(run.last_model_file)  # its layers keep the precision they were built with
        elif transfer != "off":
            model = build_transfer_model(config.transfer_base, len(class_names), transfer == "head_and_last_block")
            compile_for_training(model, config)
        else:
            with dtype_policy(precision):
                model = build_model(config.arch, len(class_names))
            if config.init_from:
                _copy_weights(Path(config.init_from), model)
                keep_start_card(run, Path(config.init_from))
            compile_for_training(model, config)
        run.clear_stop_request()

        # 3. Train: augmented batches, a warm-up then cosine schedule, progress and checkpoints into the run folder.
        #    A head-only job trains its new softmax on the frozen layers' features, computed once per photo and view.
        tta = config.served_tta
        trained = model
        if transfer == "head":
            trained, batches, validation, clock = _head_on_features(config, run, model, dataset, train_indices, targets,
                                                                    start_epoch, view_count(tta))
        else:
            batches = FaceBatches(dataset.images, targets, train_indices, config.batch_size, config.augment,
                                  config.seed + start_epoch, shuffle=True, erasing=config.random_erasing,
                                  devices=devices)
            # Validation and test are scored against their plain labels: the teacher never sees them.
            validation = FaceBatches(dataset.images, one_hot(dataset.labels, dataset.num_classes), splits.validation,
                                     devices.even_batch(VALIDATION_BATCH_SIZE), False, 0, shuffle=False,
                                     devices=devices)
            clock = JobClock(len(batches), config.batch_size, len(splits.validation), len(splits.test),
                             view_count(tta))
        recorder = RunRecorder(run, config.epochs, clock, best, saved_model=None if trained is model else model)
        started = time.time()
        what = "a new head on the features of " + Path(config.transfer_base).stem if transfer != "off" else config.arch
        run.write_status("running", message=f"Training {what} on {len(train_indices):,} faces of {len(class_names)} "
                                            f"classes, {BALANCE_IN_WORDS.get(config.balance, config.balance)}.",
                         notes=list(splits.notes), train_faces=len(train_indices), precision=precision,
                         cpu=cpu_description(), **({"devices": devices.count} if devices.parallel else {}))
        if start_epoch < config.epochs:
            trained.fit(
                batches, validation_data=validation, epochs=config.epochs, initial_epoch=start_epoch,
                class_weight=class_weight, verbose=0,
                callbacks=[keras.callbacks.LearningRateScheduler(
                    lambda epoch: cosine_learning_rate(config.learning_rate, epoch, config.epochs, config.warmup)),
                    recorder] + ([ConsoleProgress(config.epochs, len(batches), start_epoch)] if verbose else []),
            )

    if not run.best_model_file.exists():
        if recorder.stopped_by_request:
            return {"state": "stopped", "message": "Stopped before the first epoch finished: no model was kept."
                    + (" (The server asked the job to stop: SIGTERM.)" if run.status_record.get("stop_reason") else "")}
        save_model(model, run.best_model_file)

    # 4. Evaluate the best model exactly as it will be served, then publish it with its card.
    run.write_progress(phase="exporting", epoch=len(run.epochs()), epochs=config.epochs, batch=len(batches),
                       batches=len(batches), eta_seconds=clock.evaluation_seconds())
    best_model = load_for_serving(run.best_model_file, config.arch)
    card = model_card(config, run, best_model, dataset, precision, teacher_agreement_share, devices)
    card.update(architecture=architecture, transfer=transfer)
    if transfer != "off":
        card["teacher"] = None  # the shipped model is this one's base, not its teacher
    info = ModelInfo(class_names=class_names, architecture=architecture, tta=tta, card=card)
    # Launch to here, loading and the teacher's pass included (the scoring that follows takes seconds).
    info.card["wall_clock_seconds"] = time.time() - run.status_record.get("started_at", started)
    staged = stage_model(run, best_model, info)
    epochs_done = len(run.epochs())
    run.write_progress(phase="evaluating", epoch=epochs_done, epochs=config.epochs, batch=len(batches),
                       batches=len(batches), eta_seconds=clock.evaluation_seconds() - EXPORT_SECONDS)
    evaluation = score_as_served(run, staged, best_model, dataset, tta,
                                 epochs=info.card["epochs_completed"], train_faces=len(train_indices))
    info.card["evaluation"] = evaluation
    publish_model(run, staged, info)
    run.write_progress(phase="done", epoch=epochs_done, epochs=config.epochs, batch=len(batches),
                       batches=len(batches), eta_seconds=0.0)
    state = "stopped" if recorder.stopped_by_request else "finished"
    summary = (f"{epochs_text(info.card['epochs_completed'])}; test accuracy {evaluation['accuracy']:.1%}, "
               f"top-3 {evaluation['top3_accuracy']:.1%}, macro F1 {evaluation['macro_f1']:.3f}.")
    summary += "".join(" " + caveat for caveat in evaluation["caveats"])  # next to the figure it qualifies
    if evaluation["chance_level"]["flagged"]:
        summary += " " + evaluation["chance_level"]["reason"]
    stopped = run.status_record.get("stop_reason") or "Stopped on request: kept the best model."
    return {"state": state, "message": (stopped + " " if state == "stopped" else "") + summary}


def _head_on_features(config: TrainingConfig, run: TrainingRun, model, dataset: FERDataset, train_indices, targets,
                      start_epoch: int, test_views: int):
    """A head-only transfer job's training: the frozen layers run once over each training photo's views (augmented
    ones in turn across the epochs) and once over the validation faces; the new softmax then trains on those
    features, shared with `model`, which is what is saved and served. Returns the model to fit, its training and
    validation data, and the job's clock."""
    features = frozen_layers(model)
    validation_faces = dataset.splits.validation
    views = feature_views(len(train_indices), config.epochs, config.augment)
    clock = JobClock(-(-len(train_indices) // config.batch_size), config.batch_size, len(validation_faces),
                     len(dataset.splits.test), test_views, feature_faces=views * len(train_indices) + len(validation_faces))
    done, last = 0, time.perf_counter()

    def on_faces(count: int) -> None:
        nonlocal done, last
        now = time.perf_counter()
        clock.add_features(count, now - last)
        done, last = done + count, now
        run.write_progress(phase="features", epoch=0, epochs=config.epochs, batch=done, batches=clock.feature_faces,
                           eta_seconds=clock.remaining(config.epochs - 1, clock.batches,
                                                       feature_faces_left=clock.feature_faces - done))

    run.write_status("running", message=f"Computing the frozen layers' features of {len(train_indices):,} training "
                                        f"photos ({views} view{'s' if views != 1 else ''} each)…")
    rng = np.random.default_rng(config.seed)
    photos = dataset.images[train_indices]
    train_features = np.stack([frozen_features(features, augment_batch(photos, rng) if config.augment else photos,
                                               on_faces) for _ in range(views)])
    validation_features = frozen_features(features, dataset.images[validation_faces], on_faces)
    run.write_status("running", forward_seconds_per_face=clock.forward_per_face)  # for later jobs' estimates
    head = head_on_features(model)
    compile_for_training(head, config)
    batches = FeatureBatches(train_features, targets[train_indices], config.batch_size, config.seed + start_epoch,
                             first_epoch=start_epoch)
    validation = (validation_features, one_hot(dataset.labels[validation_faces], dataset.num_classes))
    return head, batches, validation, clock


def _training_targets(config: TrainingConfig, run: TrainingRun, dataset: FERDataset,
                      use_teacher: bool = True) -> tuple[np.ndarray, float | None]:
    """(N, classes) float32 targets for every face: one-hot labels, and for the training faces, blended with the
    teacher's probabilities when the job has a teacher that knows this data. Validation and test rows stay one-hot.
    Also returns the teacher's agreement with the training labels (None without a teacher)."""
    targets = one_hot(dataset.labels, dataset.num_classes)
    if not (config.distill_from and use_teacher):
        return targets, None
    if not teacher_knows(config.distill_from, dataset.class_names):
        print(f"The teacher {Path(config.distill_from).name} knows other classes than this data's, so this job "
              "trains on the labels alone.", file=sys.stderr)
        return targets, None
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


def compile_for_training(model, config: TrainingConfig) -> None:
    """The optimizer and loss every job trains with: AdamW (Adam with decoupled weight decay; weight_decay 0 is Adam
    itself, as older runs trained) on categorical cross-entropy over one-hot or distilled targets."""
    model.compile(optimizer=keras.optimizers.AdamW(config.learning_rate, weight_decay=config.weight_decay),
                  loss="categorical_crossentropy", metrics=["accuracy"])


def cosine_learning_rate(base: float, epoch: int, epochs: int, warmup: bool = True) -> float:
    """A short linear warm-up (batch norm statistics settle before large steps), then cosine decay to 2% of base:
    a fixed schedule fitted to the epoch count converges well, and is the same on resume."""
    warmup = round(epochs * WARMUP_SHARE) if warmup else 0
    if epoch < warmup:
        return base * (epoch + 1) / (warmup + 1)
    progress = (epoch - warmup) / max(epochs - warmup, 1)
    return base * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * progress)))


@contextlib.contextmanager
def dtype_policy(name: str):
    """Layers built inside use this Keras dtype policy; the global policy is back to float32 after, even on error."""
    keras.config.set_dtype_policy(name)
    try:
        yield
    finally:
        keras.config.set_dtype_policy("float32")


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


def _load_leanly(path: str, skip_bad_rows: bool) -> FERDataset:
    """The data, parsed first in a short-lived child process that leaves the faces in the dataset cache, then read
    from the cache here: parsing the full CSV holds far more than its faces for a few seconds, which would otherwise
    stay in this process's peak on top of TensorFlow's (docs/data_loading.md measures both). A file the child cannot
    parse is parsed here, so its error is the one the user sees. A folder of photos is read photo by photo (no large
    peak) and is not cached, so it is read here only: a child would search its photos for faces a second time."""
    if not Path(path).is_dir():
        command = [sys.executable, "-m", "fer_core", "data", str(path), "--json"] + (["--skip-bad-rows"] if skip_bad_rows else [])
        subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
                       cwd=Path(__file__).resolve().parents[2], check=False)
    return load_fer2013(path, skip_bad_rows=skip_bad_rows, max_load_mb=settings.max_load_mb())


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
    """The most memory this training process has held (bytes): what a small host's memory must fit
    (docs/training_on_cpu.md)."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
