"""One real training epoch of the default job on one Keras backend, in a fresh process:

    KERAS_BACKEND=torch python -m bench.backend_epoch DATA PRECISION

prints JSON: the epoch's wall clock (first epoch: tracing or compiling included), the median batch after warm-up,
and the backend's version. The same FaceBatches pipeline, model, optimizer and loss on every backend."""

from __future__ import annotations

import dataclasses
import json
import os
import sys
import time

import numpy as np


def main(data: str, precision: str) -> dict:
    import keras

    from fer_core import load_fer2013
    from fer_core.data.fer2013 import NUM_CLASSES
    from fer_core.training import recipe
    from fer_core.training.architectures import build_model
    from fer_core.training.batches import FaceBatches
    from fer_core.training.config import TrainingConfig
    from fer_core.training.distillation import one_hot

    config = dataclasses.replace(TrainingConfig.defaults(), data=data, precision=precision)
    dataset = load_fer2013(data)
    train = dataset.splits.train
    targets = one_hot(dataset.labels, NUM_CLASSES)
    keras.utils.set_random_seed(0)
    with recipe.dtype_policy(precision):
        model = build_model(config.arch)
    recipe.compile_for_training(model, config)
    batches = FaceBatches(dataset.images, targets, train, config.batch_size, config.augment, 0, shuffle=True)
    ends: list[float] = []

    class Clock(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            ends.append(time.perf_counter())

    start = time.perf_counter()
    model.fit(batches, epochs=1, verbose=0, callbacks=[Clock()])
    epoch = time.perf_counter() - start
    steady = np.diff(ends[5:])
    version = {"tensorflow": "tensorflow", "torch": "torch", "jax": "jax"}[keras.backend.backend()]
    return {"backend": keras.backend.backend(), "backend_version": __import__(version).__version__,
            "keras": keras.__version__, "precision": precision, "arch": config.arch, "batch_size": config.batch_size,
            "train_faces": len(train), "batches": len(batches), "epoch_seconds": epoch,
            "steady_seconds_per_batch": float(np.median(steady)),
            "steady_epoch_seconds": float(np.median(steady)) * len(batches),
            "first_batch_seconds": ends[0] - start, "threads": os.cpu_count()}


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    print(json.dumps(main(sys.argv[1], sys.argv[2])))
