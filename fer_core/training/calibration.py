"""How long one training batch takes on this machine, timed with the real pipeline: the Train page's estimate
before a job has ever run here (`python -m fer_core calibrate`)."""

from __future__ import annotations

import contextlib
import sys
import time

import keras
import numpy as np

from .architectures import build_model
from .batches import VALIDATION_BATCH_SIZE, FaceBatches, FeatureBatches
from .config import TrainingConfig, resolve_precision
from .distillation import one_hot
from .job_clock import JobClock
from .recipe import compile_for_training, dtype_policy
from .transfer import FEATURE_BATCH_SIZE, build_transfer_model, frozen_features, frozen_layers, head_on_features

CALIBRATION_CLASSES = 7


def time_training_batches(arch: str, batch_size: int, precision: str, batches: int = 8) -> float:
    """Median seconds of one training batch of this architecture on this machine, with the real pipeline (augmented
    uint8 faces through FaceBatches, the same optimizer and loss) on random faces."""
    return time_training(arch, batch_size, precision, batches)["seconds_per_batch"]


def time_training(arch: str, batch_size: int, precision: str, batches: int = 8, teacher: str | None = None) -> dict:
    """time_training_batches' figure, with what the first epoch costs beyond its batches (warmup_seconds: tracing and
    compiling the training step, and the validation step's first pass), how long the timing took (timing_seconds)
    and, given a teacher, its pass per face and its fixed cost (teacher_seconds_per_face, teacher_load_seconds)."""
    start = time.perf_counter()
    keras.utils.set_random_seed(0)
    with dtype_policy(resolve_precision(precision)):
        model = build_model(arch)
    clock = _timed_batches(model, _face_batches(batch_size, batches, CALIBRATION_CLASSES))
    from .publishing import as_float32

    timed = {"seconds_per_batch": clock.per_batch,
             "warmup_seconds": clock.warmup_seconds + _first_validation_seconds(model)}
    timed.update(_export_timing(as_float32(model, arch)))  # a job exports its float32 copy, as here
    if teacher:
        timed.update(time_teacher(teacher))
    return {**timed, "timing_seconds": time.perf_counter() - start}


def _first_validation_seconds(model) -> float:
    """What the first validation pass costs beyond a later one (tracing the test step), on two validation batches
    of random faces; 0 where that cannot be told from noise."""
    faces = np.random.default_rng(2).integers(0, 256, (2 * VALIDATION_BATCH_SIZE, 48, 48), dtype=np.uint8)
    targets = one_hot(np.arange(len(faces)) % CALIBRATION_CLASSES, CALIBRATION_CLASSES)
    validation = FaceBatches(faces, targets, np.arange(len(faces)), VALIDATION_BATCH_SIZE, False, 0, shuffle=False)
    passes = []
    for _ in range(2):
        began = time.perf_counter()
        model.evaluate(validation, verbose=0)
        passes.append(time.perf_counter() - began)
    return max(passes[0] - passes[1], 0.0)


def time_export(model) -> float:
    """Seconds to save this model and convert it to LiteRT, as the job does when training ends (its scoring is
    timed apart: per face)."""
    import tempfile
    from pathlib import Path

    from ..prediction.face_classifier import export_litert
    from .publishing import save_model

    # The converter prints what it saved: kept off stdout, where `calibrate --json` answers.
    with tempfile.TemporaryDirectory() as folder, contextlib.redirect_stdout(sys.stderr):
        began = time.perf_counter()
        save_model(model, Path(folder) / "timed.keras")
        export_litert(Path(folder) / "timed.keras")
        return time.perf_counter() - began


def _export_timing(model) -> dict:
    """{"export_seconds": ...}, or nothing where the export fails (the estimate then keeps EXPORT_SECONDS)."""
    try:
        return {"export_seconds": time_export(model)}
    except Exception as exc:  # a timing, never a reason for the calibration to fail
        print(f"The export could not be timed: {exc}", file=sys.stderr)
        return {}


TEACHER_TIMED_FACES = 512


def time_teacher(teacher: str) -> dict:
    """The teacher's pass as a job runs it (its LiteRT export, TEACHER_VIEWS views a face) on random faces: seconds
    per face, from a second pass over TEACHER_TIMED_FACES, and the first pass's extra (loading the interpreter)."""
    from ..prediction.face_classifier import FaceClassifier
    from .distillation import TEACHER_VIEWS

    faces = np.random.default_rng(1).integers(0, 256, (TEACHER_TIMED_FACES, 48, 48), dtype=np.uint8)
    began = time.perf_counter()
    classifier = FaceClassifier(teacher)
    classifier.predict_proba(faces[:64], tta=TEACHER_VIEWS)
    first = time.perf_counter() - began
    began = time.perf_counter()
    classifier.predict_proba(faces, tta=TEACHER_VIEWS)
    per_face = (time.perf_counter() - began) / len(faces)
    return {"teacher_seconds_per_face": per_face, "teacher_load_seconds": max(first - 64 * per_face, 0.0)}


def time_transfer(base_path: str, batch_size: int, train_last_block: bool, batches: int = 8) -> dict:
    """A transfer job's two clocks on this machine, as the job runs them: the frozen layers' forward pass per face
    (a head-only job's feature pass, and the scoring of test faces), and a training batch (of the new head on
    features, or of the head and last block on augmented faces)."""
    start = time.perf_counter()
    keras.utils.set_random_seed(0)
    model = build_transfer_model(base_path, CALIBRATION_CLASSES, train_last_block)
    faces = _face_batches(batch_size, batches, CALIBRATION_CLASSES)
    clock = JobClock(0, batch_size, 0, 0, 1)
    images = faces.images[:2 * FEATURE_BATCH_SIZE]  # two batches: the first builds the graph and is left out
    last = time.perf_counter()

    def on_faces(count):
        nonlocal last
        now = time.perf_counter()
        clock.add_features(count, now - last)
        last = now

    features = frozen_features(frozen_layers(model), images, on_faces)
    if train_last_block:
        timed = _timed_batches(model, faces)
    else:  # as the job trains a head: short epochs, each with its validation, where Keras's own cost per epoch shows
        # Two batches an epoch: the first of each carries Keras's cost per epoch, the second is a batch alone.
        head = head_on_features(model)
        two = features[:2 * batch_size]
        two_batches = FeatureBatches(two[None], faces.targets[:len(two)], batch_size, 0)
        timed = _timed_batches(head, two_batches, epochs=JobClock.WARMUP_BATCHES + batches,
                               validation=(features[:batch_size], faces.targets[:len(features[:batch_size])]))
    return {"seconds_per_batch": timed.per_batch, "forward_seconds_per_face": clock.forward_per_face,
            **({"validation_seconds": timed.validation_seconds} if timed.validation_seconds is not None else {}),
            **({"epoch_seconds": timed.epoch_seconds} if timed.epoch_seconds else {}),
            **_export_timing(model),
            "warmup_seconds": timed.warmup_seconds + sum(t for _, t in clock.feature_timings[:1])
            - clock.feature_timings[0][0] * clock.forward_per_face, "timing_seconds": time.perf_counter() - start}


def _face_batches(batch_size: int, batches: int, classes: int) -> FaceBatches:
    faces = np.random.default_rng(0).integers(0, 256, ((JobClock.WARMUP_BATCHES + batches) * batch_size, 48, 48),
                                              dtype=np.uint8)
    targets = one_hot(np.arange(len(faces)) % classes, classes)
    return FaceBatches(faces, targets, np.arange(len(faces)), batch_size, True, 0, shuffle=True)


def _timed_batches(model, data, epochs: int = 1, validation=None) -> JobClock:
    """A clock of model's training on data: its median batch, its first batches' extra (warmup_seconds) and, over
    several epochs of at least two batches, Keras's cost per epoch (epoch_seconds: an epoch's first batch, timed from
    the epoch's start, less a later batch), which then is not counted in the time per batch."""
    compile_for_training(model, TrainingConfig.defaults())
    clock = JobClock(len(data), 0, 0, 0, 1)
    validations, by_epoch = [], []

    class Timer(keras.callbacks.Callback):  # batch end to batch end, input pipeline included, as RunRecorder times
        def on_epoch_begin(self, epoch, logs=None):
            self.last = time.perf_counter()
            by_epoch.append([])

        def on_train_batch_end(self, batch, logs=None):
            now = time.perf_counter()
            clock.add_batch(now - self.last)
            by_epoch[-1].append(now - self.last)
            self.last = now

        def on_test_begin(self, logs=None):
            self.validation_start = time.perf_counter()

        def on_test_end(self, logs=None):
            validations.append(time.perf_counter() - self.validation_start)

    model.fit(data, epochs=epochs, validation_data=validation, verbose=0, callbacks=[Timer()])
    if validations:
        clock.validation_seconds = float(np.median(validations[1:] or validations))
    later = by_epoch[1:]
    if later and min(len(times) for times in later) >= 2:
        per_batch = float(np.median([t for times in later for t in times[1:]]))
        clock.epoch_seconds = max(float(np.median([times[0] for times in later])) - per_batch, 0.0)
        clock.batch_seconds = [per_batch]
        # What the first epoch cost beyond an ordinary one (tracing), now that batch and epoch are told apart.
        clock.warmup_batch_seconds = [by_epoch[0][0] - clock.epoch_seconds] + by_epoch[0][1:]
    return clock
