"""Helpers for the app tests: a model installed as a finished run, where the app's model picker finds it, and an
upload as st.file_uploader hands it to a page."""

from __future__ import annotations

import hashlib
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


class FakeUpload:
    """What st.file_uploader hands a page: a name, a size, a file id (the bytes' digest unless given) and the bytes."""

    def __init__(self, name: str, data: bytes, file_id: str = ""):
        self.name, self._data, self.size = name, data, len(data)
        self.file_id = file_id or hashlib.sha1(data).hexdigest()

    def getvalue(self) -> bytes:
        return self._data

    def getbuffer(self) -> memoryview:
        return memoryview(self._data)
