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
def clip_with_sound(tmp_path_factory) -> Path:
    """The two people crossing as a phone films them: 24 frames a second with an AAC sound track, 2.5 s (60 frames)."""
    path = tmp_path_factory.mktemp("clips") / "with_sound.mp4"
    return write_clip(path, crossing_frames(*CLIP_SIZE, round(CLIP_SECONDS * 24)), fps=24, with_sound=True)


def write_clip_with_tone(path: Path, fps: int = 24, seconds: float = CLIP_SECONDS, sound_codec: str = "pcm_s16le",
                         rate: int = 48_000) -> Path:
    """A Matroska clip of the two people crossing (320×240) with a 440 Hz stereo tone in `sound_codec`: sound that
    an MP4 for browsers cannot carry as it is."""
    import av

    with av.open(str(path), "w", format="matroska") as out:
        video = out.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = 320, 240, "yuv420p"
        sound = out.add_stream(sound_codec, rate=rate)
        sound.layout = "stereo"
        for picture in crossing_frames(320, 240, round(seconds * fps)):
            out.mux(video.encode(av.VideoFrame.from_ndarray(picture, format="rgb24")))
        out.mux(video.encode(None))
        tone = (0.3 * np.sin(2 * np.pi * 440 * np.arange(round(seconds * rate)) / rate)).astype(np.float32)
        for start in range(0, len(tone), 960):
            frame = av.AudioFrame.from_ndarray(np.stack([tone[start:start + 960]] * 2), format="fltp", layout="stereo")
            frame.sample_rate, frame.pts = rate, start
            out.mux(sound.encode(frame))
        out.mux(sound.encode(None))
    return path


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
