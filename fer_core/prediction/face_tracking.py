"""Faces followed from frame to frame, so each person keeps one number for the whole clip, and each person's emotions
smoothed over a short window so one odd frame does not flip the label.

Matching is greedy on overlap (IoU) between a face found now and where each known person's box should be by now,
moved at the speed it last moved: two people crossing keep their numbers because each is matched to where it was
heading, not to whoever is nearest. A face that overlaps no prediction but whose centre is within
CENTRE_MATCH_FRACTION of a box side of one is the same person moving fast. A person unseen for MAX_GAP_SECONDS is let
go; a face seen after that is a new person.

A person is someone seen more than once: a new track is tentative, and becomes a numbered person once the detector
has found it in CONFIRM_FOUND of its first CONFIRM_LOOKS looks (looks, not frames: the detector may skip frames). A
track found fewer times is dropped, so a one-look false detection (a title card, a pattern) numbers no one. Numbers
go to confirmed people only, from 1, in order of first appearance; what a tentative track saw is kept by whoever
holds its frames (frame_analysis) and published under its number once it is confirmed."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np

MIN_IOU = 0.2
CENTRE_MATCH_FRACTION = 0.6
MAX_GAP_SECONDS = 1.0
SMOOTHING_SECONDS = 0.5
# How much of a newly measured speed replaces the old one: some damping, so one jittery box does not fling the
# prediction across the frame.
SPEED_UPDATE = 0.6
# Found in 2 of its first 3 looks: a real face missed once by the detector is kept, a one-look detection is not.
CONFIRM_FOUND = 2
CONFIRM_LOOKS = 3


@dataclass(frozen=True)
class TrackedFace:
    """One person in one frame: their number (from 1, in order of first appearance), box (x, y, w, h) and their
    class probabilities averaged over the last SMOOTHING_SECONDS."""

    person: int
    box: tuple[int, int, int, int]
    probabilities: np.ndarray


@dataclass(eq=False)
class Track:
    """A face followed from look to look. `person` is its number once confirmed, None while tentative; `dropped`
    once it was let go unconfirmed. Callers hold tracks as handles and read those two fields."""

    box: np.ndarray  # x, y, w, h as floats
    time: float
    person: int | None = None
    dropped: bool = False
    looks: int = 1  # the detector's looks since it was first found, that one included
    found: int = 1  # the looks that found it
    speed: np.ndarray = field(default_factory=lambda: np.zeros(2))  # centre pixels per second
    recent: deque = field(default_factory=deque)  # (time, probabilities)

    @property
    def tentative(self) -> bool:
        return self.person is None and not self.dropped

    def predicted_box(self, time: float) -> np.ndarray:
        shift = self.speed * (time - self.time)
        return self.box + np.array([shift[0], shift[1], 0.0, 0.0])


class FaceTracker:
    """`update(time, faces)` once per analysed frame, in time order; faces are (box, probabilities) pairs; it returns
    the confirmed people's faces in that frame.

    The two halves can also be called apart, as frame_analysis does when the detector skips frames: `match(time,
    boxes)` is one look of the detector and gives each face found its Track (tentative, or a numbered person), and
    `smooth(track, time, probabilities)` averages a track's probabilities, in time order, for frames that may lie
    between two looks."""

    def __init__(self, smoothing_seconds: float = SMOOTHING_SECONDS, max_gap_seconds: float = MAX_GAP_SECONDS,
                 confirm_found: int = CONFIRM_FOUND, confirm_looks: int = CONFIRM_LOOKS):
        if not 1 <= confirm_found <= confirm_looks:
            raise ValueError(f"confirm_found must be between 1 and confirm_looks ({confirm_looks}), not {confirm_found}")
        self.smoothing_seconds = smoothing_seconds
        self.max_gap_seconds = max_gap_seconds
        self.confirm_found, self.confirm_looks = confirm_found, confirm_looks
        self._tracks: list[Track] = []  # in order of first appearance
        self._next_person = 1

    @property
    def people_seen(self) -> int:
        """Confirmed people so far."""
        return self._next_person - 1

    def update(self, time: float, faces: list[tuple[tuple[int, int, int, int], np.ndarray]]) -> list[TrackedFace]:
        tracks = self.match(time, [box for box, _ in faces])
        smoothed = [self.smooth(track, time, probabilities) for track, (_, probabilities) in zip(tracks, faces)]
        out = [TrackedFace(track.person, tuple(int(v) for v in box), row)
               for track, (box, _), row in zip(tracks, faces, smoothed) if track.person is not None]
        return sorted(out, key=lambda face: face.person)

    def last_found(self) -> dict[Track, tuple[float, tuple[float, float, float, float]]]:
        """Each track followed now: when, and where (x, y, w, h), it was last found."""
        return {track: (track.time, tuple(track.box)) for track in self._tracks}

    def match(self, time: float, boxes: list[tuple[int, int, int, int]]) -> list[Track]:
        """One look of the detector at `time`: the track each box belongs to (a new, tentative one for a new face), in
        the boxes' order. Tentative tracks are confirmed (numbered) or dropped by this look as they qualify."""
        for track in self._tracks:
            if time - track.time > self.max_gap_seconds and track.person is None:
                track.dropped = True
        self._tracks = [t for t in self._tracks if time - t.time <= self.max_gap_seconds]
        measured = [np.asarray(box, dtype=float) for box in boxes]
        assignment = self._assignment(time, measured)
        tracks = []
        for fi, box in enumerate(measured):
            track = assignment.get(fi)
            if track is None:
                track = Track(box, time, looks=0, found=0)  # this look is counted below
                self._tracks.append(track)
            elif time > track.time:
                speed = (_centre(box) - _centre(track.box)) / (time - track.time)
                track.speed = SPEED_UPDATE * speed + (1 - SPEED_UPDATE) * track.speed
                track.box, track.time = box, time
            tracks.append(track)
        self._count_look(set(tracks))
        return tracks

    def _count_look(self, found: set[Track]) -> None:
        """Each tentative track's tally after a look: numbered once found often enough, dropped once it cannot be."""
        for track in self._tracks:
            if track.person is not None:
                continue
            track.looks += 1
            track.found += track in found
            if track.found >= self.confirm_found:
                track.person = self._next_person
                self._next_person += 1
            elif track.found + (self.confirm_looks - track.looks) < self.confirm_found:
                track.dropped = True
        self._tracks = [t for t in self._tracks if not t.dropped]

    def finds_the_same_people(self, time: float, boxes: list[tuple[int, int, int, int]], found_at: float) -> bool:
        """Whether the boxes found at `time` are exactly the tracks found at `found_at`, each where the tracker
        expected them: no one new, no one missing. Changes nothing."""
        then = {track for track in self._tracks if track.time == found_at}
        assignment = self._assignment(time, [np.asarray(box, dtype=float) for box in boxes])
        return len(assignment) == len(boxes) == len(then) and set(assignment.values()) == then

    def _assignment(self, time: float, measured: list[np.ndarray]) -> dict[int, Track]:
        """Box index → the followed track it is: greedy on overlap with where each was heading, then on distance."""
        tracks = [t for t in self._tracks if time - t.time <= self.max_gap_seconds]
        pairs = []
        for ti, track in enumerate(tracks):
            expected = track.predicted_box(time)
            for fi, box in enumerate(measured):
                score = _iou(expected, box)
                if score < MIN_IOU:
                    distance = np.hypot(*(_centre(expected) - _centre(box)))
                    reach = CENTRE_MATCH_FRACTION * max(expected[2], expected[3], box[2], box[3])
                    score = 0.01 * (1 - distance / reach) if distance < reach else 0.0
                if score > 0:
                    pairs.append((score, ti, fi))
        matched_tracks, assignment = set(), {}
        for _score, ti, fi in sorted(pairs, reverse=True):
            if ti not in matched_tracks and fi not in assignment:
                matched_tracks.add(ti)
                assignment[fi] = tracks[ti]
        return assignment

    def smooth(self, track: Track, time: float, probabilities: np.ndarray) -> np.ndarray:
        """`track`'s probabilities at `time` averaged over its last `smoothing_seconds` (calls in time order)."""
        recent = track.recent
        recent.append((time, np.asarray(probabilities, dtype=np.float32)))
        while recent and recent[0][0] < time - self.smoothing_seconds + 1e-9:
            recent.popleft()
        if not recent:  # a window of 0 s: no smoothing
            return np.asarray(probabilities, dtype=np.float32)
        return np.mean([p for _, p in recent], axis=0).astype(np.float32)


def _centre(box: np.ndarray) -> np.ndarray:
    return np.array([box[0] + box[2] / 2, box[1] + box[3] / 2])


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    overlap_w = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    overlap_h = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    if overlap_w <= 0 or overlap_h <= 0:
        return 0.0
    overlap = overlap_w * overlap_h
    return float(overlap / (a[2] * a[3] + b[2] * b[3] - overlap))
