"""A webcam's frames one at a time, each back with its people boxed, numbered and labelled: `LiveAnalyser`, what
`analyse_video` does for a clip (through the same `frame_analysis.FrameAnalyser`), for a camera."""

from __future__ import annotations

import time as clock_time

import cv2
import numpy as np

from .face_tracking import SMOOTHING_SECONDS, TrackedFace
from .frame_analysis import FrameAnalyser, video_tta, video_views
from .people_drawing import draw_people
from .video_clips import ANALYSIS_MAX_SIDE, ClipFrame, fit_within


class LiveAnalyser:
    """A webcam's frames one at a time: each comes back with every person boxed, numbered and labelled. Frames larger
    than the analysis size are shrunk for detection; boxes are drawn on the frame as it came. One camera, one caller:
    streamlit-webrtc calls `annotate` from one worker thread, and a page only reads the counters."""

    def __init__(self, predictor, smoothing_seconds: float = SMOOTHING_SECONDS):
        self.predictor = predictor
        # The detector looks at every frame; the views are spread over frames once the camera's rate allows it. No frame
        # is held back for a face to be confirmed: a new face is drawn from its second look, one frame later.
        self.frames = FrameAnalyser(predictor, video_tta(predictor.classifier.info.tta),
                                    smoothing_seconds=smoothing_seconds, hold_tentative=False)
        self.frames_done = 0
        self.faces_in_last_frame = 0
        self.last_labels: list[str] = []
        self._recent: list[float] = []

    @property
    def frames_per_second(self) -> float | None:
        """Frames analysed per second over the last few seconds."""
        if len(self._recent) < 2:
            return None
        return (len(self._recent) - 1) / max(self._recent[-1] - self._recent[0], 1e-9)

    def annotate(self, pixels: np.ndarray, time: float | None = None) -> np.ndarray:
        """The RGB frame with its people drawn in, at the size it came in."""
        now = clock_time.perf_counter()
        time = now if time is None else time
        height, width = pixels.shape[:2]
        small_size = fit_within(width, height, ANALYSIS_MAX_SIDE)
        small = pixels if small_size == (width, height) else cv2.resize(pixels, small_size, interpolation=cv2.INTER_AREA)
        self.frames.tta, self.frames.spread = video_views(self.predictor.classifier.info.tta, self.frames_per_second,
                                                          self.frames.smoothing_seconds)
        [(_, tracked)] = self.frames.push(ClipFrame(self.frames_done, time, small))
        if small is not pixels:
            ratio = width / small_size[0]
            tracked = [TrackedFace(f.person, tuple(int(v * ratio) for v in f.box), f.probabilities) for f in tracked]
        self.frames_done += 1
        self.faces_in_last_frame = len(tracked)
        self.last_labels = [f"{f.person}: {self.predictor.class_names[int(np.argmax(f.probabilities))]}" for f in tracked]
        self._recent = [t for t in self._recent if now - t <= 3.0] + [now]
        return draw_people(pixels, tracked, self.predictor.class_names)
