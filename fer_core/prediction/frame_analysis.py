"""Frames in time order in; each frame's people, numbered, boxed and with their smoothed emotions, out. The step
`analyse_video` and the live webcam share, with two savings over running the photo pipeline on every frame of a
30 frames/s clip (both measured in docs/video.md):

- **The detector looks at DETECTIONS_PER_SECOND frames a second of clip** (every other frame at 30 frames/s; every
  frame of a clip at 20 frames/s or less, or of one analysed with `--fps` that low). When a look finds the same people
  the one before found, each where the tracker expected, the frames between get each of them at the box between
  their two boxes, in proportion to time. When it does not (someone came or went, or moved faster than foreseen),
  the detector looks at each frame between as well, so nobody is guessed into a frame. Every frame's faces are still
  cropped and classified.
- **The test-time views are spread over frames** when a person's smoothing window holds at least SPREAD_ROUNDS rounds
  of them: each frame scores each face once, in the next view, and the smoothing averages the views. On a steady face
  the window's mean is the views' mean, for a sixth of the classifier's work with the model's six views. With fewer
  frames in the window (a low `--fps`, a slow webcam) the face and its mirror are spread instead, and below 8
  analysed frames a second each frame gets both (`video_tta`).

A new face is tentative until the tracker confirms it (face_tracking: found in 2 of its first 3 looks). A clip's
frames in which a tentative face was seen are held back until it is confirmed, then given out with its number from
its first frame on, or without it once it is dropped: no one-look phantom, and no real person's first frames lost
(`hold_tentative`). Live analysis looks at every frame and holds none back (the latency would show on the webcam): a
tentative face is not drawn, and appears with its number at its second look, one camera frame later."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from .face_detection import FaceBox, detect_faces
from .face_tracking import SMOOTHING_SECONDS, FaceTracker, Track, TrackedFace
from .predictor import frame_face
from .tta import view_count
from .video_clips import ClipFrame

DETECTIONS_PER_SECOND = 15
# Never more than this many frames between two looks, whatever the frame rate: frames wait in memory for the next look.
MAX_DETECT_EVERY = 4
SPREAD_ROUNDS = 2
# Beyond this many faces in one frame, the largest are followed: time per frame stays bounded in a crowd.
MAX_FACES_PER_FRAME = 20
# Video averages each face over its mirror only when it cannot spread views over frames: a third of the classifier's
# work a frame of the six views a model may serve photos with, and each person is averaged over 0.5 s anyway.
VIDEO_TTA = "flip"


def video_tta(model_tta: str) -> str:
    """The views video scores each frame's faces with, unspread, for a model served with `model_tta`: VIDEO_TTA, or the
    model's own where fewer."""
    return model_tta if view_count(model_tta) <= view_count(VIDEO_TTA) else VIDEO_TTA


def video_views(model_tta: str, frames_per_second: float | None,
                smoothing_seconds: float = SMOOTHING_SECONDS) -> tuple[str, bool]:
    """(views, spread): the test-time views video uses at this many analysed frames a second, and whether they are
    spread over frames. The model's own views spread if SPREAD_ROUNDS rounds fit the smoothing window, else the
    video default's, else the video default's on every frame."""
    in_window = smoothing_seconds * frames_per_second if frames_per_second else 0.0
    for mode in dict.fromkeys((model_tta, video_tta(model_tta))):
        if view_count(mode) > 1 and in_window >= SPREAD_ROUNDS * view_count(mode):
            return mode, True
    return video_tta(model_tta), False


def detect_every(frames_per_second: float | None) -> int:
    """How many analysed frames apart the detector looks, at this many analysed frames a second."""
    if not frames_per_second:
        return 1
    return int(min(MAX_DETECT_EVERY, max(1, round(frames_per_second / DETECTIONS_PER_SECOND))))


@dataclass
class FrameAnalyser:
    """`push(frame)` each analysed frame in time order, then `finish()`; each returns the frames it completed, in
    order, as (frame, people). With `detect_every` above 1 a frame waits until the detector's next look; with
    `hold_tentative`, until every face in it is confirmed or dropped (without, tentative faces are left out)."""

    predictor: object
    tta: str
    spread: bool = False
    detect_every: int = 1
    smoothing_seconds: float = SMOOTHING_SECONDS
    hold_tentative: bool = True
    most_faces: int = 0  # the most faces the detector found in one frame
    searched: int = 0  # frames the detector looked at
    analysed: int = 0  # frames completed: the next frame's place in the round of views
    _waiting: list = field(default_factory=list, init=False, repr=False)
    _held: list = field(default_factory=list, init=False, repr=False)  # (frame, [(track, box, probabilities)])
    _last_look: float | None = field(default=None, init=False)  # the time of the detector's last look

    def __post_init__(self):
        self.tracker = FaceTracker(smoothing_seconds=self.smoothing_seconds)

    def push(self, frame: ClipFrame) -> list[tuple[ClipFrame, list[TrackedFace]]]:
        self._waiting.append(frame)
        if self._last_look is not None and len(self._waiting) < self.detect_every:
            return []
        return self._complete_waiting()

    def finish(self) -> list[tuple[ClipFrame, list[TrackedFace]]]:
        """The frames still waiting (the detector looks at the last of them) and those held: a face still tentative
        at the end was seen too few times to be anyone."""
        done = self._complete_waiting() if self._waiting else []
        for _, faces in self._held:
            for track, _, _ in faces:
                track.dropped = track.dropped or track.person is None
        return done + self._release()

    def _complete_waiting(self) -> list[tuple[ClipFrame, list[TrackedFace]]]:
        self._held += self._analyse_waiting()
        return self._release()

    def _release(self) -> list[tuple[ClipFrame, list[TrackedFace]]]:
        """The held frames up to the first that shows a face still tentative, each with its confirmed people. A track
        is settled within CONFIRM_LOOKS looks of its first, so no more than that many looks' frames are ever held."""
        ready = 0
        while ready < len(self._held) and not (self.hold_tentative and any(
                track.tentative for track, _, _ in self._held[ready][1])):
            ready += 1
        released, self._held = self._held[:ready], self._held[ready:]
        return [(frame, sorted((TrackedFace(track.person, box, row) for track, box, row in faces
                                if track.person is not None), key=lambda face: face.person))
                for frame, faces in released]

    def _analyse_waiting(self) -> list[tuple[ClipFrame, list[tuple[Track, tuple, np.ndarray]]]]:
        frames, self._waiting = self._waiting, []
        looked = frames[-1]
        at_look = self._search(looked)
        if len(frames) > 1 and self.tracker.finds_the_same_people(looked.time, _boxes(at_look), self._last_look):
            faces = self._faces_between_looks(frames, at_look)
        else:  # someone came, went, or moved where the tracker did not expect: the detector looks at every frame
            faces = []
            for place, frame in enumerate(frames):
                found = at_look if place == len(frames) - 1 else self._search(frame)
                tracks = self.tracker.match(frame.time, _boxes(found))
                faces += [(place, track, face) for track, face in zip(tracks, found)]
        self._last_look = looked.time
        probabilities = self._classify(frames, faces)
        completed = [(frame, []) for frame in frames]
        for (place, track, face), row in zip(faces, probabilities):
            completed[place][1].append((track, _box(face), self.tracker.smooth(track, frames[place].time, row)))
        self.analysed += len(frames)
        return completed

    def _search(self, frame: ClipFrame) -> list[FaceBox]:
        """The detector's look at one frame: its largest MAX_FACES_PER_FRAME faces, with their eyes."""
        found = detect_faces(frame.pixels)  # largest first
        self.searched += 1
        self.most_faces = max(self.most_faces, len(found))
        return found[:MAX_FACES_PER_FRAME]

    def _faces_between_looks(self, frames: list[ClipFrame], at_look: list[FaceBox]) -> list[tuple[int, Track, FaceBox]]:
        """(place in `frames`, track, face) for every face: each track at the box between its two boxes, in
        proportion to time, in the frames between the two looks, its eyes moved with the box; then the looked-at
        frame's faces."""
        before, previous = self.tracker.last_found(), self._last_look
        looked = frames[-1]
        tracks = self.tracker.match(looked.time, _boxes(at_look))
        faces = []
        for place, frame in enumerate(frames[:-1]):
            share = (frame.time - previous) / max(looked.time - previous, 1e-9)
            faces += [(place, track, _moved(face, _between(before[track][1], _box(face), share)))
                      for track, face in zip(tracks, at_look)]
        return faces + [(len(frames) - 1, track, face) for track, face in zip(tracks, at_look)]

    def _classify(self, frames: list[ClipFrame], faces: list) -> np.ndarray:
        """Every face of the waiting frames in one classifier call; spread views go by each frame's place in the clip."""
        size = self.predictor.classifier.info.input_size
        # The detector's faces, eyes and all: a frame's face is levelled and cut out as the same photo's is.
        crops = np.stack([frame_face(frames[place].pixels, face, size) for place, _, face in faces]
                         ) if faces else np.zeros((0, size, size), np.uint8)
        views = np.array([self.analysed + place for place, _, _ in faces], np.int64) if self.spread else None
        return self.predictor.classifier.predict_proba(crops, tta=self.tta, view=views)


def _between(start, end, share: float) -> tuple[int, int, int, int]:
    return tuple(int(round(a + (b - a) * share)) for a, b in zip(start, end))


def _box(face: FaceBox) -> tuple[int, int, int, int]:
    return (face.x, face.y, face.w, face.h)


def _boxes(faces: list[FaceBox]) -> list[tuple[int, int, int, int]]:
    return [_box(face) for face in faces]


def _moved(face: FaceBox, box: tuple[int, int, int, int]) -> FaceBox:
    """`face` at `box`: its eyes shifted and scaled with the box, so a frame between two looks is levelled too."""
    x, y, w, h = box
    eyes = None if face.eyes is None else tuple(
        (x + (eye_x - face.x) * w / max(face.w, 1), y + (eye_y - face.y) * h / max(face.h, 1))
        for eye_x, eye_y in face.eyes)
    return replace(face, x=x, y=y, w=w, h=h, eyes=eyes)
