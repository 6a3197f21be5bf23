"""Seconds per training epoch with the real pipeline (FaceBatches + augmentation + model.fit), from a fixed number
of timed batches extrapolated to the full epoch, plus the validation pass each epoch ends with. Also reads the real
per-epoch seconds that finished runs and the shipped model recorded."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np

from fer_core.prediction.model_contract import info_path
from fer_core.training.runs import TrainingRun

from .measure import REPO, summary

# (name, architecture, batch size, balancing): fer_vgg's job when it was the default (the default job itself is
# bench/cpu_training.py's), the shipped model's job, the seed notebook's job.
CONFIGS = (
    ("fer_vgg_default", "fer_vgg", 64, "oversample"),
    ("fer_vgg_shipped", "fer_vgg", 128, "none"),
    ("seed_cnn", "seed_cnn", 64, "oversample"),
)
# The shipped job in bfloat16 maths (`--precision mixed_bfloat16`, as the shipped model's stage 2 trained; this CPU
# has AVX512_BF16), fewer timed batches.
WHAT_IF_BF16 = ("fer_vgg_shipped_bf16", "fer_vgg", 128, "none")
EPOCHS_PER_JOB = 30


def default_job():
    """The job the Train page and the CLI start by default: one set of defaults, read from TrainingConfig."""
    from fer_core.training.config import TrainingConfig

    return TrainingConfig.defaults()


def _batch_clock():
    import keras

    class BatchClock(keras.callbacks.Callback):
        """perf_counter at every batch end, per epoch."""

        def __init__(self):
            super().__init__()
            self.epochs: list[list[float]] = []

        def on_epoch_begin(self, epoch, logs=None):
            self.epochs.append([time.perf_counter()])

        def on_train_batch_end(self, batch, logs=None):
            self.epochs[-1].append(time.perf_counter())

    return BatchClock()


def multiply_adds(model) -> int:
    """Multiply-adds of one forward pass for one face: every Conv2D and Dense layer (the rest costs little)."""
    import keras

    total = 0
    for layer in model.layers:
        if isinstance(layer, keras.layers.Conv2D):
            _, height, width, _ = layer.output.shape
            total += height * width * int(np.prod(layer.kernel.shape))
        elif isinstance(layer, keras.layers.Dense):
            total += int(np.prod(layer.kernel.shape))
    return total


def _time_config(dataset, arch: str, batch_size: int, balance: str, warmup: int, timed: int, repeats: int,
                 validation_batches: int, policy: str = "float32") -> dict:
    import keras

    keras.mixed_precision.set_global_policy(policy)

    from fer_core.data.balance import balanced_training_plan
    from fer_core.data.fer2013 import NUM_CLASSES
    from fer_core.training.architectures import build_model
    from fer_core.training.batches import FaceBatches
    from fer_core.training.distillation import one_hot

    keras.utils.set_random_seed(0)
    splits = dataset.splits
    plan, class_weight = balanced_training_plan(dataset.labels[splits.train], balance, 0)
    indices = splits.train[plan]
    model = build_model(arch)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="categorical_crossentropy", metrics=["accuracy"])
    targets = one_hot(dataset.labels, NUM_CLASSES)
    batches = FaceBatches(dataset.images, targets, indices, batch_size, True, 0, shuffle=True)

    clock = _batch_clock()
    model.fit(batches, epochs=repeats, steps_per_epoch=warmup + timed, class_weight=class_weight, verbose=0,
              callbacks=[clock])
    per_batch = summary([(ends[warmup + timed] - ends[warmup]) / timed for ends in clock.epochs])

    # What the input pipeline alone costs per batch: gather + augment + float32 (it runs inside fit, overlapped).
    start = time.perf_counter()
    for i in range(timed):
        batches[i % len(batches)]
    input_per_batch = (time.perf_counter() - start) / timed

    # The validation pass at the end of each epoch, timed on a few batches and scaled to the whole split.
    validation_faces = min(len(splits.validation), validation_batches * 256)
    validation = FaceBatches(dataset.images, targets, splits.validation[:validation_faces], 256, False, 0, False)
    model.evaluate(validation, verbose=0)
    start = time.perf_counter()
    model.evaluate(validation, verbose=0)
    validation_seconds = (time.perf_counter() - start) * len(splits.validation) / validation_faces

    epoch_seconds = per_batch["median"] * len(batches) + validation_seconds
    macs = multiply_adds(model)
    keras.mixed_precision.set_global_policy("float32")
    return {
        "policy": policy, "multiply_adds_per_face": macs,
        # A training step is about three forward passes (forward, and two for the gradients), two FLOPs a multiply-add.
        "training_gflops_per_second": 6 * macs * batch_size / per_batch["median"] / 1e9,
        "arch": arch, "batch_size": batch_size, "balance": balance, "train_faces": len(indices),
        "batches_per_epoch": len(batches), "warmup_batches": warmup, "timed_batches": timed, "repeats": repeats,
        "seconds_per_batch": per_batch, "input_pipeline_seconds_per_batch": input_per_batch,
        "validation_seconds": validation_seconds, "epoch_seconds": epoch_seconds,
        "job_minutes": epoch_seconds * EPOCHS_PER_JOB / 60, "parameters": int(model.count_params()),
    }


def recorded_runs(runs_dir: Path) -> list[dict]:
    """Per-epoch seconds as finished epochs recorded them in each run's metrics."""
    runs = []
    for run in sorted(map(TrainingRun, runs_dir.iterdir()) if runs_dir.is_dir() else [], key=lambda run: run.name):
        try:
            config, status, rows = run.config, run.status_record, run.epochs()
        except (OSError, ValueError):
            continue
        seconds = [row["seconds"] for row in rows if not row.get("partial")]
        if seconds:
            runs.append({"run": run.name, "arch": config.get("arch"), "batch_size": config.get("batch_size"),
                         "balance": config.get("balance"), "epochs_planned": config.get("epochs"),
                         "state": status.get("state"), "epochs_done": len(seconds),
                         "epoch_seconds": summary(seconds), "total_seconds": sum(seconds),
                         "hardware": _card_hardware(info_path(run.final_model_file))})
    return runs


def _card_hardware(card_path: Path) -> dict | None:
    """What trained the run, as its card records it (cards from before the field: None, trained on CPU)."""
    try:
        return json.loads(card_path.read_text())["card"].get("hardware")
    except (OSError, ValueError, KeyError):
        return None


def shipped_model_card(models_dir: Path) -> dict | None:
    try:
        card = json.loads((models_dir / "fer_studio.json").read_text())["card"]
    except (OSError, ValueError, KeyError):
        return None
    epochs = card.get("epochs_completed") or 0
    return {"architecture": card.get("architecture"), "config": card.get("config"), "hardware": card.get("hardware"),
            "epochs_completed": epochs, "train_seconds": card.get("train_seconds"),
            "epoch_seconds": card["train_seconds"] / epochs if epochs and card.get("train_seconds") else None}


def run(data: Path, quick: bool) -> dict:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    from fer_core import load_fer2013

    dataset = load_fer2013(data)
    warmup, timed, repeats, validation_batches = (2, 3, 1, 1) if quick else (5, 60, 3, 4)
    configs = {}
    for name, arch, batch_size, balance in CONFIGS:
        configs[name] = _time_config(dataset, arch, batch_size, balance, warmup, timed, repeats, validation_batches)
    name, arch, batch_size, balance = WHAT_IF_BF16
    what_if = {name: _time_config(dataset, arch, batch_size, balance, warmup, max(3, timed // 2), repeats,
                                  validation_batches, policy="mixed_bfloat16")}
    import keras
    import tensorflow as tf

    return {
        "configs": configs,
        "what_if": what_if,
        "threads": {"intra_op": tf.config.threading.get_intra_op_parallelism_threads(),
                    "inter_op": tf.config.threading.get_inter_op_parallelism_threads(),
                    "keras_backend": keras.backend.backend()},
        "recorded_runs": recorded_runs(REPO / "runs"),
        "shipped_model": shipped_model_card(REPO / "models"),
    }
