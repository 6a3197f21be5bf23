"""Batches of faces for Keras: gathered from uint8 images by index, so an oversampled or shuffled epoch never copies
the dataset, and only the batch in hand becomes float32."""

from __future__ import annotations

import math

import keras
import numpy as np

from .augment import augment_batch
from .devices import ONE_DEVICE, TrainingDevices

VALIDATION_BATCH_SIZE = 256


class FaceBatches(keras.utils.PyDataset):
    """targets: (N, classes) float32, one-hot labels or distilled ones, one row per image. On several devices each
    batch is this host's part of the global batch (devices.local_part)."""

    def __init__(self, images, targets, indices, batch_size, augment, seed, shuffle, erasing: float = 0.0,
                 devices: TrainingDevices = ONE_DEVICE):
        super().__init__()
        self.images, self.targets, self.indices, self.devices = images, targets, np.asarray(indices), devices
        self.batch_size, self.augment, self.shuffle, self.erasing = batch_size, augment, shuffle, erasing
        self.rng = np.random.default_rng(seed)
        self.order = self.rng.permutation(self.indices) if shuffle else self.indices

    def __len__(self):
        # On several devices the epoch's last batch is cut to a multiple of their count, so none is left empty.
        return math.ceil((len(self.indices) - len(self.indices) % self.devices.count) / self.batch_size)

    def __getitem__(self, batch):
        chosen = self.devices.local_part(self.order[batch * self.batch_size : (batch + 1) * self.batch_size])
        faces = self.images[chosen]
        if self.augment:
            faces = augment_batch(faces, self.rng, self.erasing)
        return faces[..., None].astype("float32"), self.targets[chosen]

    def on_epoch_end(self):
        if self.shuffle:
            self.order = self.rng.permutation(self.indices)


class FeatureBatches(keras.utils.PyDataset):
    """Training batches of precomputed features: view (epoch mod views) of every training photo, shuffled each
    epoch, as FaceBatches does with the photos themselves. features: (views, N, feature size); targets: (N, classes)."""

    def __init__(self, features: np.ndarray, targets: np.ndarray, batch_size: int, seed: int, first_epoch: int = 0):
        super().__init__()
        self.features, self.targets, self.batch_size = features, targets, batch_size
        self.rng = np.random.default_rng(seed)
        self.view = first_epoch % len(features)
        self.order = self.rng.permutation(len(targets))

    def __len__(self):
        return math.ceil(len(self.targets) / self.batch_size)

    def __getitem__(self, batch):
        chosen = self.order[batch * self.batch_size:(batch + 1) * self.batch_size]
        return self.features[self.view, chosen], self.targets[chosen]

    def on_epoch_end(self):
        self.view = (self.view + 1) % len(self.features)
        self.order = self.rng.permutation(len(self.targets))
