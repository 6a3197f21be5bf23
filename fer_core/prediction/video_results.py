"""What a clip's analysis returns: a `VideoAnalysis` holds, per person (`PersonTimeline`), per analysed frame, the
time, the box, all probabilities (smoothed) and the top 3, and per person a summary; `to_dict()` (JSON) and
`csv_rows()` are the same data. `VideoProgress` is how far an analysis has got."""

from __future__ import annotations

import csv
import io
from array import array
from dataclasses import dataclass, field

import numpy as np

from .face_tracking import TrackedFace
from .frame_analysis import VIDEO_TTA
from .ranking import rank, ranking_to_dicts

TOP_K = 3


@dataclass(frozen=True)
class VideoProgress:
    """How far an analysis has got: frames analysed, the expected total (None when the header gives no length),
    the clip time reached, and the wall-clock seconds spent and (estimated) left; `drawing`: of the annotated clip,
    after the analysis (its frames are the clip's, not the analysed ones)."""

    frames_done: int
    frames_expected: int | None
    clip_seconds_done: float
    elapsed_seconds: float
    seconds_left: float | None
    drawing: bool = False

    @property
    def fraction(self) -> float | None:
        if not self.frames_expected:
            return None
        return min(self.frames_done / self.frames_expected, 1.0)


@dataclass
class PersonTimeline:
    """One person through the clip: one entry per analysed frame they were seen in, stored compactly (a ten-minute
    clip is tens of thousands of entries)."""

    person: int
    class_names: tuple[str, ...]
    frames: array = field(default_factory=lambda: array("q"))  # index into the analysed frames
    times: array = field(default_factory=lambda: array("d"))
    boxes: array = field(default_factory=lambda: array("q"))  # x, y, w, h per entry
    probabilities: array = field(default_factory=lambda: array("f"))  # one row of class probabilities per entry

    def add(self, analysed_index: int, time: float, face: TrackedFace) -> None:
        self.frames.append(analysed_index)
        self.times.append(time)
        self.boxes.extend(face.box)
        self.probabilities.extend(face.probabilities.tolist())

    def __len__(self) -> int:
        return len(self.times)

    def probability_matrix(self) -> np.ndarray:
        """(entries, classes) float32."""
        return np.frombuffer(self.probabilities, dtype=np.float32).reshape(-1, len(self.class_names))

    def box_matrix(self) -> np.ndarray:
        """(entries, 4) int64: x, y, w, h."""
        return np.frombuffer(self.boxes, dtype=np.int64).reshape(-1, 4)

    def entries(self, top_k: int = TOP_K) -> list[dict]:
        """The timeline as plain data: [{time, frame, box, probabilities, top_k: [{label, probability}]}]."""
        matrix, names = self.probability_matrix(), self.class_names
        boxes = self.box_matrix()
        out = []
        for i, (time, row, box) in enumerate(zip(self.times, matrix, boxes)):
            out.append({"time": round(time, 3), "frame": int(self.frames[i]),
                        "box": {"x": int(box[0]), "y": int(box[1]), "w": int(box[2]), "h": int(box[3])},
                        "probabilities": {name: round(float(p), 4) for name, p in zip(names, row)},
                        "top_k": ranking_to_dicts(rank(row, names, top_k, digits=4))})
        return out

    def summary(self, frame_seconds: np.ndarray) -> dict:
        """Seconds on screen, the share of that time with each emotion on top, and the emotion on top longest.
        `frame_seconds[i]` is how long analysed frame i stands for (until the next analysed frame)."""
        seconds = frame_seconds[np.frombuffer(self.frames, dtype=np.int64)]
        top = self.probability_matrix().argmax(axis=1)
        shown = float(seconds.sum())
        shares = np.bincount(top, weights=seconds, minlength=len(self.class_names)) / max(shown, 1e-9)
        return {"person": self.person, "frames": len(self), "first_seen": round(self.times[0], 3),
                "last_seen": round(self.times[-1], 3), "seconds_seen": round(shown, 3),
                "share_of_time": {name: round(float(s), 4) for name, s in zip(self.class_names, shares)},
                "dominant_emotion": self.class_names[int(np.argmax(shares))]}


@dataclass
class VideoAnalysis:
    """Every person's emotions over a clip. `people` are numbered from 1 in order of first appearance."""

    clip: dict  # name, width, height, analysed size, duration, frame rate, rotation, codec
    class_names: tuple[str, ...]
    every_seconds: float | None
    smoothing_seconds: float
    frame_times: array  # the time of every analysed frame
    people: list[PersonTimeline]
    notes: list[str]
    most_faces_in_a_frame: int = 0
    tta: str = VIDEO_TTA  # the test-time views each face was averaged over (tta.py)
    views_spread_over_frames: bool = False  # one view a frame, in turn, averaged by the smoothing (frame_analysis)
    detector_every_frames: int = 1  # how many analysed frames apart the detector looks (frame_analysis)
    frames_searched: int = 0  # analysed frames the detector looked at: more than every n-th where people came and went
    annotated: dict | None = None  # the annotated clip written, when one was (annotated_clip.AnnotatedClip.to_dict)

    @property
    def analysed_frames(self) -> int:
        return len(self.frame_times)

    def frame_seconds(self) -> np.ndarray:
        """How long each analysed frame stands for: until the next one; the last one as long as the typical gap."""
        times = np.asarray(self.frame_times, dtype=np.float64)
        if len(times) < 2:
            return np.full(len(times), self.every_seconds or 1 / (self.clip.get("frame_rate") or 25))
        gaps = np.diff(times)
        return np.append(gaps, np.median(gaps))

    def summaries(self) -> list[dict]:
        seconds = self.frame_seconds()
        return [person.summary(seconds) for person in self.people]

    def to_dict(self, top_k: int = TOP_K) -> dict:
        seconds = self.frame_seconds()
        return {
            "clip": self.clip,
            "analysed_frames": self.analysed_frames,
            "every_seconds": self.every_seconds,
            "smoothing_seconds": self.smoothing_seconds,
            "tta": self.tta,
            "views_spread_over_frames": self.views_spread_over_frames,
            "detector_every_frames": self.detector_every_frames,
            "frames_searched_for_faces": self.frames_searched,
            "class_names": list(self.class_names),
            "notes": list(self.notes),
            "people": [{"person": p.person, "summary": p.summary(seconds), "timeline": p.entries(top_k)}
                       for p in self.people],
            **({"annotated_clip": self.annotated} if self.annotated else {}),
        }

    def csv_rows(self, top_k: int = TOP_K) -> list[dict]:
        """One row per person per analysed frame: the JSON timeline, flattened."""
        rows = []
        for person in self.people:
            for entry in person.entries(top_k):
                row = {"person": person.person, "time": entry["time"], "frame": entry["frame"],
                       **{f"box_{k}": v for k, v in entry["box"].items()}}
                for place, ranked in enumerate(entry["top_k"], start=1):
                    row[f"top{place}"], row[f"top{place}_probability"] = ranked["label"], ranked["probability"]
                rows.append({**row, **entry["probabilities"]})
        return sorted(rows, key=lambda r: (r["time"], r["person"]))

    def to_csv(self, top_k: int = TOP_K) -> str:
        columns = ["person", "time", "frame", "box_x", "box_y", "box_w", "box_h"]
        columns += [f"top{rank}{suffix}" for rank in range(1, top_k + 1) for suffix in ("", "_probability")]
        columns += list(self.class_names)
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(self.csv_rows(top_k))
        return buffer.getvalue()
