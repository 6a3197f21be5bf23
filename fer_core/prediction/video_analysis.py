"""A clip in, every person's emotions over time out: `analyse_video(clip, predictor, fps=5)` streams the clip's frames
(fer_core.prediction.video_clips), finds and classifies the faces in each with the photo `Predictor`, follows each person from
frame to frame (fer_core.prediction.face_tracking), and returns a `VideoAnalysis`: per person, per analysed frame, the time, the
box, all probabilities (smoothed over SMOOTHING_SECONDS) and the top 3; per person a summary. `to_dict()` (JSON)
and `csv_rows()` are the same data. Optionally it then writes the clip with numbered boxes and labels burned in,
at its own frame rate and with its sound (fer_core.prediction.annotated_clip).

`LiveAnalyser` does the same one frame at a time for a webcam. Both go through `frame_analysis.FrameAnalyser`, which
says how often the detector looks and how the test-time views are spread over frames.

`MAX_FACES_PER_FRAME`, `VIDEO_TTA` and `video_tta` are frame_analysis's, named here too for callers of this module."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import shutil
import threading
import time as clock_time
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import cv2
import numpy as np

from ..atomic import write_bytes_atomically, write_json_atomically
from ..errors import AnalysisStopped, FERError
from ..freed_memory import return_freed_memory
from ..settings import DEFAULT_MAX_VIDEO_SECONDS, DEFAULT_VIDEO_ANALYSES
from .annotated_clip import draw_people, slideshow_note, write_annotated_clip
from .face_tracking import SMOOTHING_SECONDS, TrackedFace
from .frame_analysis import MAX_FACES_PER_FRAME, VIDEO_TTA, FrameAnalyser, detect_every, video_tta, video_views
from .ranking import rank, ranking_to_dicts
from .tta import TTA_MODES
from .video_clips import ANALYSIS_MAX_SIDE, UNNAMED_CLIP, ClipFrame, VideoClip, fit_within, open_clip

TOP_K = 3
# Progress is reported at most this often (seconds of wall time), so a callback that redraws a page stays cheap.
PROGRESS_EVERY_SECONDS = 0.25
# Part of a saved analysis's key: a change to how clips are analysed makes the page analyse them afresh.
ANALYSIS_VERSION = "3: views spread over frames, detector every 1/15 s; annotated clip at the clip's rate with sound"

NO_FACE_IN_CLIP = "No face was found in any analysed frame of this clip."
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


def analyse_video(source, predictor, fps: float | None = None, name: str | None = None,
                  max_seconds: float | None = DEFAULT_MAX_VIDEO_SECONDS, annotated_path: str | Path | None = None,
                  progress: Callable[[VideoProgress], None] | None = None,
                  smoothing_seconds: float = SMOOTHING_SECONDS, tta: str | None = None,
                  detect_every_frames: int | None = None, max_pixels: float | None = None,
                  stop: Callable[[], bool] | None = None,
                  annotate_every_frame_seconds: float | None = None) -> VideoAnalysis:
    """Every person's emotions through the clip at `source` (a path, bytes or file object). `fps`: analyse this many
    frames a second (None: every frame). `annotated_path`: then also write the clip, every frame at its own rate and
    with its sound, with numbered boxes and the top emotion, as an H.264 MP4 (annotated_clip.write_annotated_clip);
    a clip longer than `annotate_every_frame_seconds` (None: no limit) gets only its analysed frames, and a note says
    so. `tta`: score each face in every frame with these test-time views (None: `video_views`
    chooses, and spreads the model's views over frames where the frame rate allows).
    `detect_every_frames`: how many analysed frames apart the detector looks (None: `detect_every` chooses; 1: every
    frame). `max_pixels`: refuse a clip that decodes to more pixels (every frame's width × height), from its header
    and while decoding. `stop()`, asked before each frame is decoded, ends the analysis with AnalysisStopped when True.
    Raises VideoError for a clip that cannot be read or is longer than `max_seconds`."""
    if fps is not None and not 0 < fps <= 120:
        raise FERError(f"fps must be above 0 and at most 120, not {fps}.")
    if detect_every_frames is not None and detect_every_frames < 1:
        raise FERError(f"The detector must look at least every frame, not every {detect_every_frames}.")
    if tta is not None and tta not in TTA_MODES:
        raise FERError(f"Unknown test-time augmentation {tta!r}: choose one of {', '.join(TTA_MODES)}.")
    with open_clip(source, name=name, max_seconds=max_seconds, max_pixels=max_pixels) as clip:
        every = 1 / fps if fps else None
        expected = _expected_frames(clip, every)
        rates = [rate for rate in (fps, clip.frame_rate) if rate]
        analysed_rate = min(rates) if rates else None  # frames analysed a second of clip
        views, spread = (tta, False) if tta else video_views(predictor.classifier.info.tta, analysed_rate,
                                                              smoothing_seconds)
        analyser = FrameAnalyser(predictor, views, spread, detect_every_frames or detect_every(analysed_rate),
                                 smoothing_seconds)
        timelines: dict[int, PersonTimeline] = {}
        frame_times = array("d")
        started = last_report = clock_time.perf_counter()

        def record(completed: list[tuple[ClipFrame, list[TrackedFace]]]) -> None:
            nonlocal last_report
            for frame, tracked in completed:
                for face in tracked:
                    if face.person not in timelines:
                        timelines[face.person] = PersonTimeline(face.person, predictor.class_names)
                    timelines[face.person].add(len(frame_times), frame.time, face)
                frame_times.append(frame.time)
            now = clock_time.perf_counter()
            if progress and completed and now - last_report >= PROGRESS_EVERY_SECONDS:
                last_report = now
                progress(_progress(len(frame_times), expected, frame_times[-1], now - started))

        for frame in clip.frames(every_seconds=every, max_seconds=max_seconds, max_pixels=max_pixels, stop=stop):
            record(analyser.push(frame))
        record(analyser.finish())
        if progress:
            progress(_progress(len(frame_times), len(frame_times), frame_times[-1] if frame_times else 0.0,
                               clock_time.perf_counter() - started))
        notes = list(clip.notes)
        most_faces = analyser.most_faces
        if most_faces > MAX_FACES_PER_FRAME:
            notes.append(f"Some frames hold {most_faces} faces; the {MAX_FACES_PER_FRAME} largest in each frame were "
                         f"followed.")
        if not timelines:
            notes.append(NO_FACE_IN_CLIP)
        facts = {"name": clip.name, "width": clip.width, "height": clip.height,
                 "analysed_width": clip.analysis_size[0], "analysed_height": clip.analysis_size[1],
                 "duration": clip.duration, "frame_rate": clip.frame_rate, "rotation": clip.rotation,
                 "codec": clip.codec, "format": clip.container_format}
        analysis = VideoAnalysis(clip=facts, class_names=tuple(predictor.class_names), every_seconds=every,
                                 smoothing_seconds=smoothing_seconds, frame_times=frame_times,
                                 people=[timelines[p] for p in sorted(timelines)], notes=notes,
                                 most_faces_in_a_frame=most_faces, tta=views, views_spread_over_frames=spread,
                                 detector_every_frames=analyser.detect_every, frames_searched=analyser.searched)
    if annotated_path:
        _annotate(source, analysis, annotated_path, annotate_every_frame_seconds, max_seconds, max_pixels, stop,
                  progress)
    return analysis


def _annotate(source, analysis: VideoAnalysis, path, every_frame_seconds: float | None, max_seconds, max_pixels, stop,
              progress) -> None:
    """The annotated clip, after the analysis: every frame, unless the clip is longer than `every_frame_seconds` and
    not every frame was analysed; progress is reported as `drawing`."""
    facts = analysis.clip
    length = facts.get("duration") or (analysis.frame_times[-1] if analysis.frame_times else 0.0)
    every_frame = analysis.every_seconds is None or every_frame_seconds is None or length <= every_frame_seconds
    rate = facts.get("frame_rate")
    expected = (round(length * rate) if rate and length else None) if every_frame else analysis.analysed_frames
    started = last_report = clock_time.perf_counter()

    def drawn(frames: int, clip_seconds: float) -> None:
        nonlocal last_report
        now = clock_time.perf_counter()
        if progress and now - last_report >= PROGRESS_EVERY_SECONDS:
            last_report = now
            progress(replace(_progress(frames, expected, clip_seconds, now - started), drawing=True))

    written = write_annotated_clip(source, analysis, path, every_frame=every_frame, max_seconds=max_seconds,
                                   max_pixels=max_pixels, stop=stop, progress=drawn)
    analysis.annotated = written.to_dict()
    analysis.notes.extend(written.notes)
    if not every_frame:
        analysis.notes.append(slideshow_note(1 / analysis.every_seconds, rate, every_frame_seconds))
    if progress:
        progress(replace(_progress(written.frames, written.frames, length, clock_time.perf_counter() - started),
                         drawing=True))


def _expected_frames(clip: VideoClip, every: float | None) -> int | None:
    if every and clip.duration:
        return max(1, int(clip.duration / every) + 1)
    if clip.frame_count:
        return clip.frame_count
    if clip.duration and clip.frame_rate:
        return max(1, round(clip.duration * clip.frame_rate))
    return None


def _progress(done: int, expected: int | None, clip_seconds: float, elapsed: float) -> VideoProgress:
    left = elapsed / done * max(expected - done, 0) if expected and done else None
    return VideoProgress(done, max(expected, done) if expected else None, clip_seconds, elapsed, left)


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
        self._started = None
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


@dataclass(frozen=True)
class SavedAnalysis:
    """A clip's analysis kept on disk, one folder per (clip, model, frames per second): the JSON, the CSV and the
    annotated MP4. The page analyses a clip once and serves all three from here; the newest KEEP_SAVED stay."""

    folder: Path

    KEEP_SAVED = 8

    @classmethod
    def for_clip(cls, videos_dir: str | Path, clip, model_path: str | Path, fps: float | None) -> SavedAnalysis:
        """The folder for `clip` (bytes or a seekable file object, read in chunks: an upload is not copied)."""
        model = Path(model_path)
        key = hashlib.sha1()
        if isinstance(clip, (bytes, bytearray, memoryview)):
            key.update(clip)
        else:
            clip.seek(0)
            for chunk in iter(lambda: clip.read(1 << 20), b""):
                key.update(chunk)
            clip.seek(0)
        key.update(f"{model.resolve()}|{model.stat().st_mtime if model.exists() else 0}|{fps}|{ANALYSIS_VERSION}".encode())
        return cls(Path(videos_dir) / key.hexdigest()[:20])

    @property
    def json_path(self) -> Path:
        return self.folder / "analysis.json"

    @property
    def csv_path(self) -> Path:
        return self.folder / "analysis.csv"

    @property
    def video_path(self) -> Path:
        return self.folder / "annotated.mp4"

    def exists(self) -> bool:
        return self.json_path.exists() and self.csv_path.exists() and self.video_path.exists()

    def analyse(self, source, predictor, **options) -> dict:
        """analyse_video(source, predictor, **options) into this folder; returns the analysis as plain data. The JSON,
        written last, marks the folder complete. The folder is found by the clip's bytes, so whoever uploads them
        next is served it: it holds no visitor's file name (the clip is UNNAMED_CLIP in its facts and notes)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        partial = self.folder / ".annotated.partial.mp4"
        try:
            analysis = analyse_video(source, predictor, annotated_path=partial, **{**options, "name": UNNAMED_CLIP})
            os.replace(partial, self.video_path)
        finally:
            partial.unlink(missing_ok=True)
        write_bytes_atomically(self.csv_path, analysis.to_csv().encode())
        data = analysis.to_dict()
        write_json_atomically(self.json_path, data)
        self._prune_others()
        return data

    def load(self) -> dict:
        return json.loads(self.json_path.read_text(encoding="utf-8"))

    def _prune_others(self) -> None:
        folders = sorted((p for p in self.folder.parent.iterdir() if p.is_dir() and p != self.folder),
                         key=lambda p: p.stat().st_mtime, reverse=True)
        for old in folders[self.KEEP_SAVED - 1:]:
            shutil.rmtree(old, ignore_errors=True)


@dataclass
class _Watcher:
    """A session waiting on a job: when it last polled, and whether it is still connected (None: no way to ask)."""

    polled: float
    alive: Callable[[], bool] | None


class AnalysisJob:
    """A clip's analysis in a background thread of this process: a page starts it, returns at once, and polls
    `progress`, `state` and `ahead`; `error` holds the sentence if the clip was refused.

    Bounded: at most `at_once` analyses run in the server (DEFAULT_VIDEO_ANALYSES; the rest wait in a queue, first come
    first served), and each session has one job: asking for another clip or rate lets the old one go, stopped unless
    another session waits on it too. Sessions asking for the same saved analysis while it runs share one job. A job
    whose sessions have all stopped polling for ABANDONED_AFTER_SECONDS, none of them still connected, is stopped (a
    closed tab). A failure is its session's only: the job is not kept for anyone else, and the same session asking
    again with a new `attempt` (a new upload of the clip) analyses it again."""

    ABANDONED_AFTER_SECONDS = 4.0
    # A finished job is forgotten by its sessions this long after their last poll.
    FORGET_AFTER_SECONDS = 600.0
    at_once = DEFAULT_VIDEO_ANALYSES

    _lock = threading.Lock()
    _jobs: dict[Path, AnalysisJob] = {}  # queued or running, by saved folder
    _queue: list[AnalysisJob] = []
    _sessions: dict[str, tuple[AnalysisJob, object]] = {}  # session → (its job, the attempt it was asked for)

    def __init__(self, saved: SavedAnalysis, work: tuple):
        self.saved = saved
        self.progress: VideoProgress | None = None
        self.error: str | None = None
        self.state = "queued"  # → running → done | failed | stopped
        self._work_args = work  # (source, predictor, options) until the thread has them
        self._watchers: dict[str, _Watcher] = {}
        self._watched = False  # a session has waited on it (a job started without one is never abandoned)
        self._stop = threading.Event()
        self._last_check = 0.0
        self._thread: threading.Thread | None = None

    @classmethod
    def start(cls, saved: SavedAnalysis, source, predictor, session: str | None = None, attempt: object = None,
              alive: Callable[[], bool] | None = None, at_once: int | None = None, **options) -> AnalysisJob:
        """The job for `saved`, for `session`: its own if it has one for `saved` (a failed one only for the same
        `attempt`), else the queued or running job of another session, else a new one analysing `source` with
        analyse_video's `options`. `alive()` says whether the session is still connected; `at_once` sets the cap."""
        now = clock_time.monotonic()
        with cls._lock:
            if at_once is not None:
                cls.at_once = max(1, int(at_once))
            cls._sweep(now)
            mine = cls._sessions.get(session) if session is not None else None
            if mine is not None:
                job, asked = mine
                keep = job.state in ("queued", "running") or (job.state == "failed" and asked == attempt)
                if job.saved.folder == saved.folder and keep:
                    job._watch(session, alive, now)
                    return job
                job._let_go(session)
            job = cls._jobs.get(saved.folder)
            if job is None:
                job = cls._jobs[saved.folder] = cls(saved, (source, predictor, options))
                cls._queue.append(job)
            if session is not None:
                job._watch(session, alive, now)
                cls._sessions[session] = (job, attempt)
            cls._admit()
        return job

    @classmethod
    def leave(cls, session: str | None) -> None:
        """`session` waits on no job any more (its visitor removed the clip or turned to the webcam): its job is
        stopped unless another session waits on it."""
        with cls._lock:
            mine = cls._sessions.get(session)
            if mine is not None:
                mine[0]._let_go(session)

    def poll(self, session: str | None = None) -> None:
        """`session` is still waiting on this job (the page's fragment calls this each time it redraws)."""
        now = clock_time.monotonic()
        with self._lock:
            watcher = self._watchers.get(session)
            if watcher is not None:
                watcher.polled = now
            self._sweep(now)

    @property
    def ahead(self) -> int:
        """Analyses that will run before this queued one starts (0 once it runs)."""
        with self._lock:
            if self.state != "queued":
                return 0
            running = sum(1 for job in self._jobs.values() if job.state == "running" and not job._stop.is_set())
            return running + self._queue.index(self)

    @property
    def done(self) -> bool:
        """Finished: analysed, failed or stopped."""
        return self.state in ("done", "failed", "stopped")

    def wait(self, timeout: float | None = None) -> None:
        """Until this job has finished, or `timeout` seconds (a queued job waits for its turn too)."""
        deadline = None if timeout is None else clock_time.monotonic() + timeout
        while not self.done and (deadline is None or clock_time.monotonic() < deadline):
            thread = self._thread
            if thread is not None:
                thread.join(0.05 if deadline is None else max(0.0, min(0.05, deadline - clock_time.monotonic())))
            else:
                clock_time.sleep(0.05)

    def stop(self) -> None:
        """Stop this job: a queued one never starts, a running one ends before its next frame is decoded."""
        with self._lock:
            self._stop_locked()

    @classmethod
    def running_count(cls) -> int:
        """Analysis threads running now in this server (stopped ones included until their thread has ended)."""
        with cls._lock:
            return sum(1 for job in cls._jobs.values() if job.state == "running")

    # Under the lock:

    def _watch(self, session: str, alive: Callable[[], bool] | None, now: float) -> None:
        self._watchers[session] = _Watcher(now, alive)
        self._watched = True

    def _let_go(self, session: str) -> None:
        """`session` no longer waits on this job: it is stopped if nobody else does."""
        self._watchers.pop(session, None)
        if self._sessions.get(session, (None,))[0] is self:
            del self._sessions[session]
        if not self.done and self._watched and not self._watchers:
            self._stop_locked()

    def _stop_locked(self) -> None:
        self._stop.set()
        if self.state == "queued":
            self._finish("stopped")

    def _abandoned(self, now: float) -> bool:
        """Every session that waited on it has stopped polling and none is still connected."""
        if not self._watched:
            return False
        stale = [w for w in self._watchers.values() if now - w.polled > self.ABANDONED_AFTER_SECONDS]
        if len(stale) < len(self._watchers):
            return False
        return not any(w.alive is not None and _safely(w.alive) for w in stale)

    def _finish(self, state: str) -> None:
        self.state = state
        self._work_args = None  # the upload's bytes are let go with it
        if self._jobs.get(self.saved.folder) is self:
            del self._jobs[self.saved.folder]
        if self in self._queue:
            self._queue.remove(self)

    @classmethod
    def _sweep(cls, now: float) -> None:
        """Stop the abandoned queued jobs and forget the finished jobs of sessions long gone."""
        for job in list(cls._queue):
            if job._abandoned(now):
                job._stop_locked()
        for session, (job, _) in list(cls._sessions.items()):
            watcher = job._watchers.get(session)
            if job.done and (watcher is None or now - watcher.polled > cls.FORGET_AFTER_SECONDS):
                del cls._sessions[session]

    @classmethod
    def _admit(cls) -> None:
        """Start queued jobs while fewer than `at_once` run."""
        running = sum(1 for job in cls._jobs.values() if job.state == "running")
        while cls._queue and running < cls.at_once:
            job = cls._queue.pop(0)
            source, predictor, options = job._work_args
            job.state = "running"
            job._thread = threading.Thread(target=job._work, args=(source, predictor, options), daemon=True,
                                           name=f"video-analysis-{job.saved.folder.name}")
            job._work_args = None
            job._thread.start()
            running += 1

    # In the job's thread:

    def _work(self, source, predictor, options: dict) -> None:
        state = "failed"
        try:
            self.saved.analyse(source, predictor, progress=self._report, stop=self._should_stop, **options)
            state = "done"
        except AnalysisStopped:
            state = "stopped"
        except FERError as exc:
            self.error = str(exc)
        except Exception as exc:  # a bug, not the user's clip: still one sentence on the page
            self.error = f"The analysis failed unexpectedly ({type(exc).__name__}: {exc})."
        finally:
            del source, predictor, options
            with self._lock:
                self._finish(state)
                self._admit()
            return_freed_memory()

    def _should_stop(self) -> bool:
        """Asked before each frame is decoded: stopped, or abandoned (checked twice a second at most)."""
        if self._stop.is_set():
            return True
        now = clock_time.monotonic()
        if now - self._last_check >= 0.5:
            self._last_check = now
            with self._lock:
                if self._abandoned(now):
                    self._stop.set()
        return self._stop.is_set()

    def _report(self, progress: VideoProgress) -> None:
        self.progress = progress


def _safely(alive: Callable[[], bool]) -> bool:
    try:
        return bool(alive())
    except Exception:  # a session whose state cannot be read is not kept alive by it
        return False
