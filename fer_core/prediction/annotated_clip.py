"""A clip and its analysis in, the annotated clip out: every frame of the clip at its own time, with each person's
numbered box and top emotion drawn in, and the clip's sound, as an H.264 MP4 that plays like the original.

It is a second pass over the clip, after `analyse_video`: the clip is decoded again and streamed frame by frame (never
held), so memory stays that of one frame however long the clip, and the analysis's caps (`max_seconds`,
`max_pixels`, `stop`) apply to it too. Between two analysed frames each person's box moves from where they were at
the first towards where they are at the second, in proportion to time, with the first's label; someone in only the
first is held where they were until the second. What it costs is measured in docs/video.md."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .face_tracking import TrackedFace
from .people_drawing import draw_people
from .video_clips import AnnotatedVideoWriter, clock, frame_rate_text, open_clip


@dataclass(frozen=True)
class AnnotatedClip:
    """What was written: frames, their rate (None: the clip's header gives none), whether every frame of the clip is in
    it (else only the analysed ones), the sound's codec (None: no sound), and where the sound was lost, if it was."""

    frames: int
    frame_rate: float | None
    every_frame: bool
    sound_codec: str | None
    sound_lost: str | None = None

    @property
    def notes(self) -> list[str]:
        if not self.sound_lost:
            return []
        return [f"The clip's sound could not be carried into the annotated clip from {self.sound_lost}; from there on "
                f"it is silent."]

    def to_dict(self) -> dict:
        return {"frames": self.frames, "frame_rate": self.frame_rate, "every_frame": self.every_frame,
                "sound": self.sound_codec}


class PeopleOverTime:
    """The people of an analysis at any time of its clip, asked in time order (the analysed frames' times are the
    clip's frames' own, so an analysed frame gets exactly its people)."""

    def __init__(self, analysis):
        self.times = np.asarray(analysis.frame_times, dtype=np.float64)
        people = analysis.people
        self._boxes = [person.box_matrix() for person in people]
        self._probabilities = [person.probability_matrix() for person in people]
        self._frames = [np.frombuffer(person.frames, dtype=np.int64) for person in people]
        self._numbers = [person.person for person in people]
        # Every entry of every person, by analysed frame: entries [starts[k], starts[k + 1]) of `order` are frame k's.
        owner = np.concatenate([np.full(len(f), i, np.int64) for i, f in enumerate(self._frames)] or [np.zeros(0, np.int64)])
        place = np.concatenate([np.arange(len(f)) for f in self._frames] or [np.zeros(0, np.int64)])
        frame = np.concatenate(self._frames or [np.zeros(0, np.int64)])
        order = np.argsort(frame, kind="stable")
        self._owner, self._place = owner[order], place[order]
        self._starts = np.searchsorted(frame[order], np.arange(len(self.times) + 1))

    def at(self, time: float) -> list[TrackedFace]:
        latest = int(np.searchsorted(self.times, time + 1e-6, side="right")) - 1
        if latest < 0:
            return []
        share = 0.0
        if latest + 1 < len(self.times):
            share = (time - self.times[latest]) / max(self.times[latest + 1] - self.times[latest], 1e-9)
        faces = []
        for owner, place in zip(self._owner[self._starts[latest]:self._starts[latest + 1]],
                                self._place[self._starts[latest]:self._starts[latest + 1]]):
            boxes, frames = self._boxes[owner], self._frames[owner]
            box = boxes[place].astype(np.float64)
            if share > 0 and place + 1 < len(frames) and frames[place + 1] == latest + 1:
                box += (boxes[place + 1] - box) * share
            faces.append(TrackedFace(self._numbers[owner], tuple(int(round(v)) for v in box),
                                     self._probabilities[owner][place]))
        return faces


def write_annotated_clip(source, analysis, path: str | Path, every_frame: bool = True, max_seconds: float | None = None,
                         max_pixels: float | None = None, stop: Callable[[], bool] | None = None,
                         progress: Callable[[int, float], None] | None = None) -> AnnotatedClip:
    """The clip at `source` (read again from the start) with `analysis`'s people drawn in, as an MP4 at `path`:
    every frame at the clip's rate with `every_frame`, else only the analysed frames (each at its own time); with the
    clip's sound either way. `progress(frames written, clip seconds reached)` is called after each frame."""
    with open_clip(source, name=analysis.clip.get("name"), max_seconds=max_seconds, max_pixels=max_pixels,
                   with_sound=True) as clip:
        people = PeopleOverTime(analysis)
        every = None if every_frame else analysis.every_seconds
        rate = clip.frame_rate if every is None else min(1 / every, clip.frame_rate or 1 / every)
        start, frames = clip.start_time, 0
        writer = AnnotatedVideoWriter(path, *clip.analysis_size, frame_rate=rate, sound=clip.sound_stream)
        with writer:
            for frame in clip.frames(every_seconds=every, max_seconds=max_seconds, max_pixels=max_pixels, stop=stop):
                writer.write(draw_people(frame.pixels, people.at(frame.time), analysis.class_names), frame.time)
                if clip.sound_stream is not None:
                    writer.write_sound(clip.take_sound_packets(), start)
                frames += 1
                if progress:
                    progress(frames, frame.time)
            if clip.sound_stream is not None:
                writer.write_sound(clip.take_sound_packets(), start)
        return AnnotatedClip(frames, rate, every is None, writer.sound_codec, writer.sound_lost)


def slideshow_note(analysed_rate: float, clip_rate: float | None, every_frame_seconds: float) -> str:
    """Why a long clip's annotated clip holds only its analysed frames."""
    clip = f" of the clip's {frame_rate_text(clip_rate)}" if clip_rate else ""
    return (f"The annotated clip shows only the analysed {frame_rate_text(analysed_rate)}{clip}, with its sound: "
            f"drawing every frame takes longer than analysing them, so this server does it for clips up to "
            f"{clock(every_frame_seconds)} (FER_ANNOTATE_EVERY_FRAME_SECONDS). For every frame of a longer clip, use "
            f"`python -m fer_core video CLIP --fps {analysed_rate:g} --out annotated.mp4` on your own machine.")

