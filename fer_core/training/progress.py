"""What a running job tells the world: progress (phase, batch, ETA over the whole job), one metrics line per epoch,
the last and best checkpoints, written into its run folder; and a stop request honoured between batches."""

from __future__ import annotations

import math
import time

import keras

from .batches import VALIDATION_BATCH_SIZE
from .job_clock import JobClock
from .publishing import save_model
from .runs import TrainingRun

PROGRESS_INTERVAL_SECONDS = 1.0


class RunRecorder(keras.callbacks.Callback):
    def __init__(self, run: TrainingRun, epochs: int, clock: JobClock, best_val_accuracy: float, saved_model=None):
        super().__init__()
        self.run, self.epochs, self.clock = run, epochs, clock
        self.saved_model = saved_model  # what the checkpoints hold, when the model trained is a part of it (a new head)
        self.kept: dict = {}
        self.kept_epoch = 0
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
            self._keep(self.run.last_model_file)
        # An epoch cut short by Stop is scored (Keras validates it) but never kept: the best model is always a whole
        # epoch's, so a Stop during the first epoch keeps no model at all.
        if row["val_accuracy"] > self.best and not self.stopped_by_request:
            self.best = row["val_accuracy"]
            self._keep(self.run.best_model_file)
        self.run.append_epoch(row)
        if not self.stopped_by_request:
            self.kept_epoch = epoch + 1
            if self.saved_model is None:
                self.run.write_checkpoint(epoch + 1, self.best)

    def _keep(self, path) -> None:
        """Save the model as it is now to path; a new head on features trains an epoch in well under the time that
        saving the whole model takes, so its weights are held here and written once, when training ends."""
        if self.saved_model is None:
            save_model(self.model, path)
        else:
            self.kept[path] = self.model.get_weights()

    def on_train_end(self, logs=None):
        if self.saved_model is None or not self.kept:
            return
        for path, weights in self.kept.items():  # the last epoch's first, then the best's
            self.model.set_weights(weights)
            save_model(self.saved_model, path)
        self.run.write_checkpoint(self.kept_epoch, self.best)
