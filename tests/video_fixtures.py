"""Clips for the video tests, made from tests/assets photos by scripts/make_test_clip.py; never read from the developers' copy of the data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from scripts.make_test_clip import crossing_frames, write_clip

REPO = Path(__file__).resolve().parent.parent
SHIPPED_MODEL = REPO / "models" / "fer_studio.keras"
ASSETS = Path(__file__).resolve().parent / "assets"
CLIP_SIZE = (640, 480)
CLIP_FPS = 12
CLIP_SECONDS = 2.5


@pytest.fixture(scope="session")
def crossing_clip(tmp_path_factory) -> Path:
    """Two people crossing, 640×480, 2.5 s at 12 frames a second (30 frames)."""
    path = tmp_path_factory.mktemp("clips") / "crossing.mp4"
    return write_clip(path, crossing_frames(*CLIP_SIZE, round(CLIP_SECONDS * CLIP_FPS)), fps=CLIP_FPS)


@pytest.fixture(scope="session")
def predictor():
    from fer_core.prediction.predictor import Predictor

    return Predictor(SHIPPED_MODEL)


def still_frames(picture: np.ndarray, count: int):
    return [picture] * count


class SlowPredictor:
    """`predictor` whose classifier takes `delay` seconds more for each batch of faces: a short clip whose analysis
    lasts long enough to be stopped, queued or abandoned while it runs."""

    def __init__(self, predictor, delay: float):
        self.class_names = predictor.class_names
        self.classifier = _SlowClassifier(predictor.classifier, delay)


class _SlowClassifier:
    def __init__(self, classifier, delay: float):
        self.info, self._classifier, self._delay = classifier.info, classifier, delay

    def predict_proba(self, *args, **kwargs):
        import time

        time.sleep(self._delay)
        return self._classifier.predict_proba(*args, **kwargs)
