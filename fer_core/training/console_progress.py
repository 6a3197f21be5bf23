"""A training job's progress on stderr, for whoever runs `train` in a terminal or reads its log: one bar over the
whole job's batches with its rate and time left, the epoch, loss and accuracy beside it (fer_core.progress_bar);
in a log, a line per epoch with its scores and the time left."""

from __future__ import annotations

import keras

from ..progress_bar import ProgressBar


class ConsoleProgress(keras.callbacks.Callback):
    def __init__(self, epochs: int, batches_per_epoch: int, start_epoch: int = 0, stream=None):
        super().__init__()
        self.epochs, self.batches, self.start_epoch = epochs, batches_per_epoch, start_epoch
        self.bar = ProgressBar("batch", stream=stream, description="training")
        self.total = (epochs - start_epoch) * batches_per_epoch
        self.epoch = start_epoch

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.bar.on_terminal:
            done = (self.epoch - self.start_epoch) * self.batches + batch + 1
            self.bar.update(done, self.total, **self._shown(logs))

    def on_epoch_end(self, epoch, logs=None):
        done = (epoch + 1 - self.start_epoch) * self.batches
        if self.bar.on_terminal:
            self.bar.update(done, self.total, **self._shown(logs))
        else:
            self.bar.line(done, self.total, **self._shown(logs))

    def on_train_end(self, logs=None):
        self.bar.close()

    def _shown(self, logs) -> dict:
        shown = {"epoch": f"{self.epoch + 1}/{self.epochs}"}
        for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
            if logs and key in logs:
                shown[key] = f"{float(logs[key]):.3f}"
        return shown
