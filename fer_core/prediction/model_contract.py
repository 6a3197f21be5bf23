"""A model on disk: `NAME.keras` (weights), `NAME.json` (the preprocessing contract and the model card),
and `NAME.tflite` (the LiteRT export the app predicts with). The contract travels with the weights so a
model is never fed the wrong input."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from ..atomic import write_json_atomically
from ..data.fer2013 import CLASS_NAMES, IMAGE_SIZE
from ..errors import ModelError
from .tta import TTA_MODES

MODEL_FORMAT = "fer-studio-model/1"


@dataclass(frozen=True)
class ModelInfo:
    """What a model expects and what it is. `input_range` is the grey-level range of its float32 input,
    shape (batch, input_size, input_size, 1); the model rescales internally. `tta` names the views of each face
    that predictions average over (tta.TTA_MODES: "none", "flip", "flip_zoom")."""

    class_names: tuple[str, ...] = CLASS_NAMES
    input_size: int = IMAGE_SIZE
    input_range: tuple[float, float] = (0.0, 255.0)
    architecture: str = ""
    tta: str = "none"
    card: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        return {
            "format": MODEL_FORMAT,
            "contract": {
                "input_size": self.input_size,
                "channels": 1,
                "input_dtype": "float32",
                "input_range": list(self.input_range),
                "class_names": list(self.class_names),
                "tta": self.tta,
            },
            "architecture": self.architecture,
            "card": self.card,
        }


def info_path(model_path: str | Path) -> Path:
    return Path(model_path).with_suffix(".json")


def litert_path(model_path: str | Path) -> Path:
    return Path(model_path).with_suffix(".tflite")


def keras_path(model_path: str | Path) -> Path:
    return Path(model_path).with_suffix(".keras")


def write_model_info(model_path: str | Path, info: ModelInfo) -> Path:
    return write_json_atomically(info_path(model_path), info.to_json())


def read_model_info(model_path: str | Path) -> ModelInfo:
    """Read and check the contract beside a model file (`.keras` or `.tflite`)."""
    path = info_path(model_path)
    if not path.exists():
        raise ModelError(f"{Path(model_path).name} has no {path.name} beside it, so its input contract is unknown.")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        contract = data["contract"]
        info = ModelInfo(
            class_names=tuple(contract["class_names"]),
            input_size=int(contract["input_size"]),
            input_range=tuple(float(v) for v in contract["input_range"]),
            architecture=str(data.get("architecture", "")),
            tta=str(contract.get("tta", "none")),
            card=dict(data.get("card") or {}),
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise ModelError(f"{path.name} is not a FER Studio model description ({exc}).") from exc
    if data.get("format") != MODEL_FORMAT:
        raise ModelError(f"{path.name} has format {data.get('format')!r}; this version reads {MODEL_FORMAT!r}.")
    if contract.get("channels", 1) != 1 or info.input_size <= 0:
        raise ModelError(f"{path.name} describes an input this app cannot produce (grey {info.input_size}×{info.input_size} only).")
    if info.tta not in TTA_MODES:
        raise ModelError(f"{path.name} asks for test-time augmentation {info.tta!r}, which this version does not know.")
    return info


def machine_in_words(machine: str | None) -> str | None:
    """A card's machine line as a reader wants it: "2 CPU cores" or "NVIDIA H100 80GB HBM3", without the kernel
    build, Python and Keras versions the card keeps for whoever reproduces it (training.model_card writes the line)."""
    if not machine:
        return None
    devices = machine.rsplit("(", 1)[1].rstrip(")") if machine.endswith(")") else "CPU"
    if devices != "CPU":
        return devices
    return next((part.strip() for part in machine.split(",") if part.strip().endswith("CPU cores")), None)
