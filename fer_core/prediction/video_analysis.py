"""A clip in, every person's emotions over time out: `analyse_video(clip, predictor, fps=5)` streams the clip's frames
(fer_core.prediction.video_clips), finds and classifies the faces in each with the photo `Predictor`, follows each person from
frame to frame (fer_core.prediction.face_tracking), and returns a `VideoAnalysis` (fer_core.prediction.video_results).
Optionally it then writes the clip with numbered boxes and labels burned in, at its own frame rate and with its sound
(fer_core.prediction.annotated_clip).

It goes through `frame_analysis.FrameAnalyser`, which says how often the detector looks and how the test-time views
are spread over frames; `live_analysis.LiveAnalyser` does the same one webcam frame at a time."""

from __future__ import annotations

import time as clock_time
from array import array
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from ..errors import FERError
from ..settings import DEFAULT_MAX_VIDEO_SECONDS
from .annotated_clip import slideshow_note, write_annotated_clip
from .face_tracking import SMOOTHING_SECONDS, TrackedFace
from .frame_analysis import MAX_FACES_PER_FRAME, FrameAnalyser, detect_every, video_views
from .tta import TTA_MODES
from .video_clips import ClipFrame, VideoClip, open_clip
from .video_results import PersonTimeline, VideoAnalysis, VideoProgress

# Progress is reported at most this often (seconds of wall time), so a callback that redraws a page stays cheap.
PROGRESS_EVERY_SECONDS = 0.25
# Part of a saved analysis's key: a change to how clips are analysed makes the page analyse them afresh.
ANALYSIS_VERSION = "3: views spread over frames, detector every 1/15 s; annotated clip at the clip's rate with sound"

NO_FACE_IN_CLIP = "No face was found in any analysed frame of this clip."


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
