"""Which devices a training job runs on: one (as always), or data-parallel over several with Keras 3's distribution
API on JAX (a DeviceMesh over the chosen devices, DataParallel: every device holds the whole model and a slice of
each batch; XLA sums the gradients, so the step is the one a single device would take on the whole batch).
Several hosts join with keras.distribution.initialize() first (docs/scale.md).

Light to import: the app asks how many accelerators it may offer without loading Keras, TensorFlow or JAX."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import settings
from ..errors import FERError

ALL_DEVICES = "all"
NVIDIA_GPUS = Path("/proc/driver/nvidia/gpus")  # one folder per GPU the driver sees, readable without CUDA


def parse_devices(text: str | int) -> str | int:
    """--devices as typed ("all", "2") or as a config.json holds it ("all", 2): "all" or a count of at least 1."""
    if str(text).strip().lower() == ALL_DEVICES:
        return ALL_DEVICES
    try:
        count = int(str(text).strip())
    except ValueError:
        count = 0
    if count < 1:
        raise FERError(f"Devices must be \"all\" or a whole number of at least 1, not {text!r}.")
    return count


def visible_accelerators() -> int:
    """How many GPUs this server could train on, counted without importing a framework (the Train page asks on every
    run): the driver's list, narrowed by CUDA_VISIBLE_DEVICES as the job would see it."""
    try:
        found = sum(1 for _ in NVIDIA_GPUS.iterdir())
    except OSError:
        return 0
    visible = settings.cuda_visible_devices()
    return found if visible is None else min(found, len(visible))


@dataclass(frozen=True)
class TrainingDevices:
    """The devices one run trains on (all hosts' together) and this process's place among the hosts."""

    devices: tuple  # jax.Device objects; empty: Keras's own single device (the TensorFlow backend, or one device)
    hosts: int = 1
    host_index: int = 0

    @property
    def count(self) -> int:
        return len(self.devices) or 1

    @property
    def parallel(self) -> bool:
        return len(self.devices) > 1

    def even_batch(self, size: int) -> int:
        """The largest batch up to size that splits evenly over these devices (validation's is not the user's)."""
        return max(self.count, size - size % self.count)

    def local_part(self, chosen: np.ndarray) -> np.ndarray:
        """This host's share of a global batch of face indices, cut to a multiple of the device count (a sharded
        array splits evenly: an epoch's last, short batch loses at most count-1 faces, other faces each epoch)."""
        if not self.parallel:
            return chosen
        chosen = chosen[:len(chosen) - len(chosen) % self.count]
        return np.split(chosen, self.hosts)[self.host_index] if self.hosts > 1 else chosen

    @contextlib.contextmanager
    def scope(self):
        """Models built, loaded and fitted inside are data-parallel over these devices; one device: nothing to do."""
        if not self.parallel:
            yield
            return
        import keras

        mesh = keras.distribution.DeviceMesh((len(self.devices),), ["batch"], list(self.devices))
        with keras.distribution.DataParallel(device_mesh=mesh).scope():
            yield


ONE_DEVICE = TrainingDevices(())


def training_devices(asked: str | int, batch_size: int) -> TrainingDevices:
    """The devices a job asked for, checked against this machine before anything is built (a model's variables are
    placed on the mesh when they are made). Several hosts are joined first, where the launcher says there are."""
    import keras

    if asked == 1:
        return ONE_DEVICE
    if keras.backend.backend() != "jax":
        raise FERError(f"Training on several devices needs Keras's JAX backend, and this is {keras.backend.backend()}: "
                       "set KERAS_BACKEND=jax (with jax installed for your accelerators), or train on one device "
                       "(--devices 1).")
    if settings.distribution_processes() > 1:
        keras.distribution.initialize()  # reads KERAS_DISTRIBUTION_* itself, or JAX finds SLURM's or Open MPI's
    import jax

    every = jax.devices()  # every host's accelerators, or the CPU's where there are none
    if asked == ALL_DEVICES:
        asked = len(every)
    if asked > len(every):
        raise FERError(f"This job asks for {asked} devices and {len(every)} are visible here: train (or resume) it "
                       f"with --devices {len(every)} or --devices all; the batch size stays the global batch.")
    if jax.process_count() > 1 and asked != len(every):
        raise FERError(f"On several hosts a job trains on all {len(every)} of their devices: use --devices all.")
    if batch_size % asked:
        raise FERError(f"A batch of {batch_size} faces does not split evenly over {asked} devices: choose a batch "
                       f"size that is a multiple of {asked}.")
    if asked == 1:
        return ONE_DEVICE
    return TrainingDevices(tuple(every[:asked]), hosts=jax.process_count(), host_index=jax.process_index())
