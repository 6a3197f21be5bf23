"""Helpers for the app tests: a model installed as a finished run, where the app's model picker finds it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path


def install_model_run(runs_dir: Path, name: str, model: Path, started_at: float = 1.0) -> Path:
    """runs_dir/name holding `model` (.keras, .json, .tflite) as its final model; returns its model.keras."""
    run = Path(runs_dir) / name
    run.mkdir(parents=True)
    for suffix in (".keras", ".json", ".tflite"):
        shutil.copyfile(model.with_suffix(suffix), run / f"model{suffix}")
    (run / "config.json").write_text(json.dumps({"arch": "tiny_cnn", "epochs": 1}))
    (run / "status.json").write_text(json.dumps({"state": "finished", "started_at": started_at}))
    return run / "model.keras"
