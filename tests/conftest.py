"""Shared test data. Tests never read the developers' copy of FER2013 (a fresh clone has none): they make their
own small FER2013-shaped data here."""

from __future__ import annotations

import gzip
import io
import os
import signal
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fer_core.data.csv_format import format_fer_csv
from fer_core.data.fer2013 import NUM_CLASSES
from fer_core.training.runs import list_runs, pid_alive

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

# The shared fixtures (tiny_model…, crossing_clip, clip_with_sound, predictor), found by every test module by name.
pytest_plugins = ["model_fixtures", "video_fixtures"]


def synthetic_faces(n_per_class: int = 12, seed: int = 0, usages=("Training", "PublicTest", "PrivateTest")):
    """Faces whose class is visible in the pixels (a class-specific grey level under noise), so even a tiny model
    learns it in a few epochs, with every class in every usage and a FER-like skew (disgust rarest)."""
    rng = np.random.default_rng(seed)
    images, labels, usage = [], [], []
    for usage_name in usages:
        for label in range(NUM_CLASSES):
            count = max(2, n_per_class // 3) if label == 1 else n_per_class
            for _ in range(count):
                face = (20 + 32 * label + rng.integers(0, 10, (48, 48))).astype(np.uint8)
                images.append(face)
                labels.append(label)
                usage.append(usage_name)
    return np.stack(images), np.asarray(labels), np.asarray(usage, dtype=object)


def write_csv(path: Path, images, labels, usage=None, gz: bool = False) -> Path:
    data = format_fer_csv(images, labels, usage)
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


def jpeg_bytes(face: np.ndarray, quality: int = 95) -> bytes:
    """A face (or any picture) as the bytes of a JPEG file."""
    buffer = io.BytesIO()
    Image.fromarray(face).save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


@pytest.fixture
def faces():
    return synthetic_faces()


@pytest.fixture
def fer_csv(tmp_path, faces) -> Path:
    images, labels, usage = faces
    return write_csv(tmp_path / "fer2013.csv", images, labels, usage)


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path, monkeypatch):
    """Each test gets its own dataset cache and runs folder: nothing leaks between tests or into ~/.cache."""
    monkeypatch.setenv("FER_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("FER_RUNS_DIR", str(tmp_path / "runs"))
    yield
    # A test that failed half-way must not leave its training job running (and slowing every test after it).
    for run in list_runs(tmp_path / "runs"):
        pid = job_process_of(run)
        if pid is not None:
            os.killpg(pid, signal.SIGKILL)  # jobs start a session of their own: group id = pid


def job_process_of(run) -> int | None:
    """The pid of the `fer_core train` process working on run, if one is alive (never this test process)."""
    pid = run.status_record.get("pid")
    if not pid_alive(pid) or pid == os.getpid():
        return None
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return None
    return pid if "fer_core" in command and run.name in command else None
