"""How long one training batch takes on this machine, timed with the real pipeline: the Train page's estimate
before a job has ever run here (`python -m fer_core calibrate`)."""

from __future__ import annotations

import time

import keras
import numpy as np

from .architectures import build_model
from .batches import FaceBatches, FeatureBatches
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


def time_training(arch: str, batch_size: int, precision: str, batches: int = 8) -> dict:
    """time_training_batches' figure, with what the first batches cost beyond it (warmup_seconds: tracing and
    compiling) and how long the timing took (timing_seconds)."""
    start = time.perf_counter()
    keras.utils.set_random_seed(0)
    with dtype_policy(resolve_precision(precision)):
        model = build_model(arch)
    clock = _timed_batches(model, _face_batches(batch_size, batches, CALIBRATION_CLASSES))
    return {"seconds_per_batch": clock.per_batch, "warmup_seconds": clock.warmup_seconds,
            "timing_seconds": time.perf_counter() - start}


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
        head = head_on_features(model)
        one_batch = FeatureBatches(features[None, :batch_size], faces.targets[:len(features[:batch_size])],
                                   batch_size, 0)
        timed = _timed_batches(head, one_batch, epochs=JobClock.WARMUP_BATCHES + batches,
                               validation=(features[:batch_size], faces.targets[:len(features[:batch_size])]))
    return {"seconds_per_batch": timed.per_batch, "forward_seconds_per_face": clock.forward_per_face,
            **({"validation_seconds": timed.validation_seconds} if timed.validation_seconds is not None else {}),
            "warmup_seconds": timed.warmup_seconds + sum(t for _, t in clock.feature_timings[:1])
            - clock.feature_timings[0][0] * clock.forward_per_face, "timing_seconds": time.perf_counter() - start}


def _face_batches(batch_size: int, batches: int, classes: int) -> FaceBatches:
    faces = np.random.default_rng(0).integers(0, 256, ((JobClock.WARMUP_BATCHES + batches) * batch_size, 48, 48),
                                              dtype=np.uint8)
    targets = one_hot(np.arange(len(faces)) % classes, classes)
    return FaceBatches(faces, targets, np.arange(len(faces)), batch_size, True, 0, shuffle=True)


def _timed_batches(model, data, epochs: int = 1, validation=None) -> JobClock:
    compile_for_training(model, TrainingConfig.defaults())
    clock = JobClock(len(data), 0, 0, 0, 1)
    validations = []

    class Timer(keras.callbacks.Callback):  # batch end to batch end, input pipeline included, as RunRecorder times
        def on_epoch_begin(self, epoch, logs=None):
            self.last = time.perf_counter()

        def on_train_batch_end(self, batch, logs=None):
            now = time.perf_counter()
            clock.add_batch(now - self.last)
            self.last = now

        def on_test_begin(self, logs=None):
            self.validation_start = time.perf_counter()

        def on_test_end(self, logs=None):
            validations.append(time.perf_counter() - self.validation_start)

    model.fit(data, epochs=epochs, validation_data=validation, verbose=0, callbacks=[Timer()])
    if validations:
        clock.validation_seconds = float(np.median(validations[1:] or validations))
    return clock
