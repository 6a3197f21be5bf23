"""How long one training batch takes on this machine, timed with the real pipeline: the Train page's estimate
before a job has ever run here (`python -m fer_core calibrate`)."""

from __future__ import annotations

import time

import keras
import numpy as np

from .architectures import build_model
from .batches import FaceBatches
from .config import TrainingConfig, resolve_precision
from .distillation import one_hot
from .job_clock import JobClock
from .recipe import compile_for_training, dtype_policy

CALIBRATION_CLASSES = 7


def time_training_batches(arch: str, batch_size: int, precision: str, batches: int = 8) -> float:
    """Median seconds of one training batch of this architecture on this machine, with the real pipeline (augmented
    uint8 faces through FaceBatches, the same optimizer and loss) on random faces."""
    keras.utils.set_random_seed(0)
    warmup = JobClock.WARMUP_BATCHES
    faces = np.random.default_rng(0).integers(0, 256, ((warmup + batches) * batch_size, 48, 48), dtype=np.uint8)
    targets = one_hot(np.arange(len(faces)) % CALIBRATION_CLASSES, CALIBRATION_CLASSES)
    with dtype_policy(resolve_precision(precision)):
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
