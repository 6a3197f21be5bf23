"""Faces followed from frame to frame, so each person keeps one number for the whole clip, and each person's emotions
smoothed over a short window so one odd frame does not flip the label.

Matching is greedy on overlap (IoU) between a face found now and where each known person's box should be by now,
moved at the speed it last moved: two people crossing keep their numbers because each is matched to where it was
heading, not to whoever is nearest. A face that overlaps no prediction but whose centre is within
CENTRE_MATCH_FRACTION of a box side of one is the same person moving fast. A person unseen for MAX_GAP_SECONDS is let
go; a face seen after that is a new person."""

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


@dataclass(frozen=True)
class TrackedFace:
    """One person in one frame: their number (from 1, in order of first appearance), box (x, y, w, h) and their
    class probabilities averaged over the last SMOOTHING_SECONDS."""

    person: int
    box: tuple[int, int, int, int]
    probabilities: np.ndarray


@dataclass
class _Track:
    person: int
    box: np.ndarray  # x, y, w, h as floats
    time: float
    speed: np.ndarray = field(default_factory=lambda: np.zeros(2))  # centre pixels per second
    recent: deque = field(default_factory=deque)  # (time, probabilities)

    def predicted_box(self, time: float) -> np.ndarray:
        shift = self.speed * (time - self.time)
        return self.box + np.array([shift[0], shift[1], 0.0, 0.0])


class FaceTracker:
    """`update(time, faces)` once per analysed frame, in time order; faces are (box, probabilities) pairs.

    The two halves can also be called apart, as video does when the detector skips frames: `match(time, boxes)` gives
    each face found its person, and `smooth(person, time, probabilities)` averages a person's probabilities, in time
    order, for frames that may lie between two matches."""

    def __init__(self, smoothing_seconds: float = SMOOTHING_SECONDS, max_gap_seconds: float = MAX_GAP_SECONDS):
        self.smoothing_seconds = smoothing_seconds
        self.max_gap_seconds = max_gap_seconds
        self._tracks: dict[int, _Track] = {}
        self._next_person = 1

    @property
    def people_seen(self) -> int:
        return self._next_person - 1

    def update(self, time: float, faces: list[tuple[tuple[int, int, int, int], np.ndarray]]) -> list[TrackedFace]:
        people = self.match(time, [box for box, _ in faces])
        out = [TrackedFace(person, tuple(int(v) for v in box), self.smooth(person, time, probabilities))
               for person, (box, probabilities) in zip(people, faces)]
        return sorted(out, key=lambda face: face.person)

    def last_found(self) -> dict[int, tuple[float, tuple[float, float, float, float]]]:
        """Each person followed now: when, and where (x, y, w, h), they were last found."""
        return {person: (track.time, tuple(track.box)) for person, track in self._tracks.items()}

    def match(self, time: float, boxes: list[tuple[int, int, int, int]]) -> list[int]:
        """The person each box found at `time` belongs to (a new number for a new face), in the boxes' order."""
        self._tracks = {p: t for p, t in self._tracks.items() if time - t.time <= self.max_gap_seconds}
        measured = [np.asarray(box, dtype=float) for box in boxes]
        assignment = self._assignment(time, measured)
        people = []
        for fi, box in enumerate(measured):
            track = assignment.get(fi)
            if track is None:
                track = self._tracks[self._next_person] = _Track(self._next_person, box, time)
                self._next_person += 1
            elif time > track.time:
                speed = (_centre(box) - _centre(track.box)) / (time - track.time)
                track.speed = SPEED_UPDATE * speed + (1 - SPEED_UPDATE) * track.speed
                track.box, track.time = box, time
            people.append(track.person)
        return people

    def finds_the_same_people(self, time: float, boxes: list[tuple[int, int, int, int]], found_at: float) -> bool:
        """Whether the boxes found at `time` are exactly the people found at `found_at`, each where the tracker
        expected them: no one new, no one missing. Changes nothing."""
        then = {track.person for track in self._tracks.values() if track.time == found_at}
        assignment = self._assignment(time, [np.asarray(box, dtype=float) for box in boxes])
        return len(assignment) == len(boxes) == len(then) and {t.person for t in assignment.values()} == then

    def _assignment(self, time: float, measured: list[np.ndarray]) -> dict[int, _Track]:
        """Box index → the followed person it is: greedy on overlap with where each was heading, then on distance."""
        tracks = [t for t in self._tracks.values() if time - t.time <= self.max_gap_seconds]
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
        for score, ti, fi in sorted(pairs, reverse=True):
            if ti not in matched_tracks and fi not in assignment:
                matched_tracks.add(ti)
                assignment[fi] = tracks[ti]
        return assignment

    def smooth(self, person: int, time: float, probabilities: np.ndarray) -> np.ndarray:
        """`person`'s probabilities at `time` averaged over their last `smoothing_seconds` (calls in time order)."""
        recent = self._tracks[person].recent
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
