"""A trained model's card: what it is, how it was trained, on what data and machine, by which command, and (after
scoring) how good it is as served. It travels in the model's .json beside its contract."""

from __future__ import annotations

import dataclasses
import json
import os
import platform
import time
from pathlib import Path

import keras

from ..atomic import write_json_atomically
from ..data.dataset import FERDataset
from ..prediction.model_contract import info_path, read_model_info
from .config import TrainingConfig, cpu_description, cpu_model
from .devices import ONE_DEVICE, TrainingDevices
from .distillation import MIN_TEACHER_AGREEMENT, TEACHER_WEIGHT, TEMPERATURE
from .runs import TrainingRun


def model_card(config: TrainingConfig, run: TrainingRun, model, dataset: FERDataset, precision: str,
               teacher_agreement: float | None, devices: TrainingDevices = ONE_DEVICE) -> dict:
    """The card of the model a run has just trained (its evaluation is added once it is scored); devices: those its
    last stage trained on."""
    epochs = run.epochs()
    card = {
        "architecture": config.arch,
        "parameters": int(model.count_params()),
        "config": dataclasses.asdict(config),
        "command": run.status_record.get("command", ""),
        "reproduce": config.command_line(),
        "epochs_completed": len([row for row in epochs if not row.get("partial")]),
        "train_seconds": sum(row["seconds"] for row in epochs),
        "precision": precision,
        "teacher": teacher_note(config.distill_from, teacher_agreement),
        "machine": _machine(devices),
        "hardware": hardware(devices),
        "cpu": cpu_description(),
        "data_sha1": dataset.digest,
        "data_rows": len(dataset),
        "trained_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    if config.init_from:
        _add_earlier_stages(card, Path(config.init_from), kept_start_card(run, Path(config.init_from)))
    return card


def _machine(devices: TrainingDevices = ONE_DEVICE) -> str:
    """The machine in one line, for people (the card's "hardware" holds the same as fields, for programs)."""
    trained_on = hardware(devices)
    devices = trained_on["device_name"] if trained_on["device_kind"] != "cpu" else "CPU"
    return (f"{platform.machine()}, {os.cpu_count()} CPU cores, {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}, Keras {keras.__version__} on {trained_on['backend']} ({devices})")


def hardware(devices: TrainingDevices = ONE_DEVICE) -> dict:
    """Which Keras backend trained the model and on what, as fields: the same command takes minutes on a GPU, hours
    on 2 cores, and a reader should not have to parse that back out of a sentence. The devices are those the run
    used: the data-parallel ones, or else the one Keras trains on (the first accelerator, or the CPU)."""
    backend = keras.backend.backend()
    kind, names, count, hosts = "cpu", [], devices.count, devices.hosts
    try:
        if devices.parallel:
            kind = devices.devices[0].platform
            names = [device.device_kind for device in devices.devices] if kind != "cpu" else []
        elif backend == "jax":
            import jax

            accelerators = [device for device in jax.devices() if device.platform != "cpu"][:1]
            kind = accelerators[0].platform if accelerators else "cpu"
            names, hosts = [device.device_kind for device in accelerators], jax.process_count()
        elif backend == "tensorflow":
            import tensorflow as tf

            gpus = tf.config.list_physical_devices("GPU")[:1]  # without a strategy, Keras on TensorFlow uses one
            kind = "gpu" if gpus else "cpu"
            names = [tf.config.experimental.get_device_details(gpu).get("device_name", gpu.name) for gpu in gpus]
    except Exception:  # a card is still worth writing without the device names
        pass
    cpu = cpu_model()
    return {"backend": backend, "device_kind": kind, "device_name": ", ".join(names) if names else cpu,
            "devices": count, "hosts": hosts, "cpu": cpu, "cores": os.cpu_count()}


def teacher_note(teacher: str | None, agreement: float | None) -> dict | None:
    """Which model taught this one, how good it was, and whether it was used: a student's figures are read in its light."""
    if not teacher:
        return None
    card = card_of(Path(teacher))
    return {"model": Path(teacher).name, "architecture": card.get("architecture"),
            "test_accuracy": (card.get("evaluation") or {}).get("accuracy"),
            "agreement_with_training_labels": agreement,
            "used": agreement is not None and agreement >= MIN_TEACHER_AGREEMENT,
            "weight": TEACHER_WEIGHT, "temperature": TEMPERATURE}


def card_of(model_path: Path) -> dict:
    return read_model_info(model_path).card if info_path(model_path).exists() else {}


def keep_start_card(run: TrainingRun, start: Path) -> None:
    """The start model's card as it is now: the file may be replaced (shipped over) before this run ends."""
    write_json_atomically(run.start_card_file, card_of(start))


def kept_start_card(run: TrainingRun, start: Path) -> dict:
    """The card of the model this run started from, as it was when the run began (runs from before it was kept:
    as it is now)."""
    kept = run.start_card_file
    return json.loads(kept.read_text()) if kept.exists() else card_of(start)


def _add_earlier_stages(card: dict, start: Path, start_card: dict) -> None:
    """A model trained on from another one has had both trainings: its card lists each stage and counts the
    epochs and seconds of all of them, so what it says about the model stays true."""
    earlier = start_card.get("stages") or ([{
        "epochs": start_card.get("epochs_completed", 0),
        "train_seconds": start_card.get("train_seconds", 0.0),
        "command": start_card.get("reproduce") or start_card.get("command", ""),
        "precision": start_card.get("precision") or start_card.get("config", {}).get("precision", "float32"),
    }] if start_card else [])
    this = {"epochs": card["epochs_completed"], "train_seconds": card["train_seconds"], "command": card["command"],
            "precision": card["precision"]}  # what it really trained in ("auto" resolved)
    card["initialised_from"] = str(start)
    card["stages"] = earlier + [this]
    card["epochs_completed"] = sum(stage["epochs"] for stage in card["stages"])
    card["train_seconds"] = sum(stage["train_seconds"] for stage in card["stages"])
