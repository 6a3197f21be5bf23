"""A clip in any form the app meets (a path, uploaded bytes, a file object) opened with PyAV, checked, and streamed
as upright RGB frames no larger than ANALYSIS_MAX_SIDE, one at a time; and annotated frames written back as an H.264
MP4 that browsers play. A bad clip is a VideoError with one sentence for the user.

Why PyAV and not OpenCV's FFmpeg backend (both wrap the same FFmpeg 8 libraries; figures in docs/video.md): OpenCV
decodes a 720p H.264 frame to RGB slightly faster, but it cannot write H.264 (its wheel has no H.264 encoder, and
the MPEG-4 Part 2 it can write does not play in browsers), it hides which streams a file holds (audio only or no
video), and it gives no per-frame timestamps for clips with a variable frame rate. PyAV's wheel ships libx264."""

from __future__ import annotations

import io
import itertools
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np

from ..errors import AnalysisStopped, StillImageNotVideo, VideoError, file_read_errors

# Frames are analysed at most this large: the face detector looks at a 640-px copy in one pass up to 960 px, and a
# 4K frame costs four times a 1080p one to convert for nothing.
ANALYSIS_MAX_SIDE = 960
# Beyond 8K (7680×4320) a frame size is a lie or a bomb: refused before a frame is decoded.
MAX_FRAME_PIXELS = 7680 * 4320
VIDEO_TYPES = ("mp4", "webm", "mov", "avi", "gif", "mkv", "m4v")
# Frame intervals differing more than this from the median mean a variable frame rate.
VARIABLE_RATE_SPREAD = 0.25
# Signatures of the containers we accept: a file that starts like one but will not open is damaged or cut short.
_SIGNATURES = ((4, b"ftyp", "MP4/MOV"), (0, b"\x1a\x45\xdf\xa3", "WebM/MKV"), (8, b"AVI ", "AVI"), (0, b"GIF8", "GIF"))
# What a clip is called where no name is given, and in analyses shared between visitors (no visitor's name in them).
UNNAMED_CLIP = "This clip"
# Sound codecs browsers play from an MP4, copied as they are into the annotated clip; any other is re-encoded as AAC.
COPIED_SOUND_CODECS = ("aac", "mp3", "opus")
_STILL_FORMATS = ("image2", "jpeg_pipe", "png_pipe", "webp_pipe", "bmp_pipe", "tiff_pipe")


@dataclass(frozen=True)
class ClipFrame:
    """One decoded frame: its place in the clip (0-based), its time in seconds from the start, and its RGB pixels
    (height, width, 3), upright and at most ANALYSIS_MAX_SIDE a side."""

    index: int
    time: float
    pixels: np.ndarray = field(repr=False)


@dataclass
class VideoClip:
    """An opened clip: what its header says, and its frames streamed on demand (never all in memory).

    `notes` collects what the user should know about how the clip was read (a variable frame rate, a rotation, frames
    shrunk, an early end); it fills as `frames()` runs."""

    name: str
    width: int  # as shown: after rotation, before shrinking
    height: int
    duration: float | None
    frame_rate: float | None
    frame_count: int | None
    rotation: int
    codec: str
    container_format: str
    notes: list[str]
    _container: object = field(repr=False)
    _stream: object = field(repr=False)
    _decoded: Iterator = field(repr=False)
    _first_frame: object = field(repr=False)
    # The first audio stream, demuxed with the pictures when opened `with_sound`: its packets wait here, in file order,
    # until `take_sound_packets()` (a few between two frames: the container interleaves them).
    sound_stream: object = field(default=None, repr=False)
    _sound_packets: list = field(default_factory=list, repr=False)

    @property
    def start_time(self) -> float:
        """Seconds of the video stream's first timestamp: frames' times count from it (audio packets must too)."""
        stream = self._stream
        if stream.start_time is not None:
            return float(stream.start_time * stream.time_base)
        return float(self._first_frame.time or 0.0)

    def take_sound_packets(self) -> list:
        """The sound stream's packets demuxed since the last call (with_sound), in file order."""
        packets, self._sound_packets[:] = list(self._sound_packets), []
        return packets

    @property
    def analysis_size(self) -> tuple[int, int]:
        """(width, height) of the frames `frames()` yields."""
        return fit_within(self.width, self.height, ANALYSIS_MAX_SIDE)

    def frames(self, every_seconds: float | None = None, max_seconds: float | None = None,
               max_pixels: float | None = None, stop: Callable[[], bool] | None = None) -> Iterator[ClipFrame]:
        """The clip's frames in order: every one, or the first at or after each multiple of `every_seconds`. Frames
        past `max_seconds`, or decoding past `max_pixels` (every decoded frame's width × height, the frames skipped
        by `every_seconds` too: each is decoded), raise VideoError: a header can lie about the length and the size.
        `stop()` is asked before each frame is decoded; True raises AnalysisStopped. A clip is streamed once."""
        width, height = self.analysis_size
        if (width, height) != (self.width, self.height):
            self.notes.append(f"Frames of {self.width}×{self.height} were analysed at {width}×{height}.")
        stream = self._stream
        start = float(stream.start_time * stream.time_base) if stream.start_time is not None else None
        rate = self.frame_rate or 25.0
        next_due, last_time, intervals, decoded, pixels = 0.0, None, [], 0, 0
        try:
            for frame in itertools.chain([self._first_frame], self._decoded):
                if stop is not None and stop():
                    raise AnalysisStopped(f"The analysis of {self.name} was stopped.")
                pixels += frame.width * frame.height
                if frame.width * frame.height > MAX_FRAME_PIXELS:
                    raise VideoError(too_large_frames(self.name, frame.width, frame.height))
                if max_pixels is not None and pixels > max_pixels:
                    raise VideoError(too_many_pixels(self.name, None, max_pixels))
                if start is None:
                    start = float(frame.time or 0.0)
                time = float(frame.time) - start if frame.time is not None else decoded / rate
                decoded += 1
                if last_time is not None and time > last_time:
                    intervals.append(time - last_time)
                last_time = time
                if max_seconds is not None and time > max_seconds:
                    raise VideoError(too_long(self.name, None, max_seconds))
                if every_seconds and time + 1e-6 < next_due:
                    continue  # decoded (the next frame may need it) but not converted
                if every_seconds:
                    next_due = (int(time / every_seconds + 1e-6) + 1) * every_seconds
                yield ClipFrame(decoded - 1, max(time, 0.0), _upright_rgb(frame, self.rotation, width, height))
        except VideoError:
            raise
        except Exception as exc:  # FFmpeg fails in many ways on a damaged stream; each means the same to the user
            self.notes.append(f"{self.name} is damaged or cut short after {last_time or 0:.1f} s ({_reason(exc)}); "
                              f"the frames before that were analysed.")
        if self.duration and last_time is not None and last_time < 0.8 * self.duration - 1:
            self.notes.append(f"{self.name} ends at {last_time:.1f} s though its header says {self.duration:.1f} s: it is "
                              f"probably cut short; the frames it has were analysed.")
        if len(intervals) >= 4:
            median = float(np.median(intervals))
            low, high = min(intervals), max(intervals)
            if median > 0 and (high - low) > VARIABLE_RATE_SPREAD * median:
                self.notes.append(f"This clip has a variable frame rate (frames {low * 1000:.0f}–{high * 1000:.0f} ms "
                                  f"apart); every time shown is the frame's own timestamp.")

    def close(self) -> None:
        self._container.close()

    def __enter__(self) -> VideoClip:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def open_clip(source, name: str | None = None, max_seconds: float | None = None,
              max_pixels: float | None = None, with_sound: bool = False) -> VideoClip:
    """The clip at `source` (a path, bytes, or a file object) opened and checked, before a frame is decoded, against
    `max_seconds` and `max_pixels` as its header tells them; VideoError says what is wrong. `with_sound`: its first
    audio stream's packets are read along with the frames (VideoClip.take_sound_packets)."""
    import av

    name, opened, head = _opened_source(source, name)
    if not head:
        raise VideoError(f"{name} is empty (0 bytes), so it is not a video.")
    kind = next((label for offset, magic, label in _SIGNATURES if head[offset:offset + len(magic)] == magic), None)
    try:
        container = av.open(opened, mode="r", metadata_errors="ignore")
    except Exception as exc:
        if kind:
            raise VideoError(f"{name} starts like a {kind} file but is damaged or cut short, so it cannot be opened "
                             f"({_reason(exc)}).") from exc
        raise VideoError(f"{name} is not a video FER Studio can read (its contents are not in a video format FFmpeg "
                         f"knows). Try an MP4, WebM, MOV, AVI or GIF clip.") from exc
    try:
        return _checked_clip(container, name, max_seconds, max_pixels, with_sound)
    except BaseException:
        container.close()
        raise


def _checked_clip(container, name: str, max_seconds: float | None, max_pixels: float | None,
                  with_sound: bool = False) -> VideoClip:
    if container.format.name in _STILL_FORMATS:
        raise StillImageNotVideo(name)
    if not container.streams.video:
        if container.streams.audio:
            raise VideoError(f"{name} has sound but no pictures (an audio-only file), so there are no faces to find.")
        raise VideoError(f"{name} holds no video stream, so there is nothing to analyse.")
    stream = container.streams.video[0]
    stream.thread_type = "AUTO"  # frame-parallel decoding on every core
    context = stream.codec_context
    width, height = int(context.width or 0), int(context.height or 0)
    if width <= 0 or height <= 0:
        raise VideoError(f"{name} has a video stream with no picture size, so it cannot be decoded.")
    if width * height > MAX_FRAME_PIXELS:
        raise VideoError(too_large_frames(name, width, height))
    duration = _duration(container, stream)
    if max_seconds is not None and duration is not None and duration > max_seconds:
        raise VideoError(too_long(name, duration, max_seconds))
    rate = stream.average_rate or stream.guessed_rate
    frame_count = int(stream.frames) or (round(duration * float(rate)) if duration and rate else None)
    if max_pixels is not None and frame_count and frame_count * width * height > max_pixels:
        raise VideoError(too_many_pixels(name, (frame_count, width, height), max_pixels))
    # The first frame is decoded now: a clip whose pictures cannot be decoded is refused before any work starts.
    sound = container.streams.audio[0] if with_sound and container.streams.audio else None
    sound_packets: list = []
    decoded = container.decode(stream) if sound is None else _decoded_with_sound(container, stream, sound, sound_packets)
    try:
        first_frame = next(decoded)
    except StopIteration:
        raise VideoError(f"{name} holds no picture frames, so there is nothing to analyse.") from None
    except Exception as exc:
        raise VideoError(f"{name} is damaged or cut short: no frame could be decoded ({_reason(exc)}).") from exc
    rotation = _rotation(first_frame)
    notes = []
    if rotation:
        notes.append(f"The clip is stored turned {rotation}° (a phone's rotation tag); it was turned upright.")
        if rotation % 180:
            width, height = height, width
    return VideoClip(name=name, width=width, height=height, duration=duration,
                     frame_rate=float(rate) if rate else None, frame_count=int(stream.frames) or None,
                     rotation=rotation, codec=context.name, container_format=container.format.name, notes=notes,
                     _container=container, _stream=stream, _decoded=decoded, _first_frame=first_frame,
                     sound_stream=sound, _sound_packets=sound_packets)


def _decoded_with_sound(container, video, sound, sound_packets: list) -> Iterator:
    """The video stream's frames, decoded; the sound stream's packets, as they come in the file, put in `sound_packets`."""
    for packet in container.demux(video, sound):
        if packet.stream.index == sound.index:
            if packet.size and packet.pts is not None:  # not the demuxer's empty end-of-stream packet
                sound_packets.append(packet)
            continue
        yield from packet.decode()


def too_long(name: str, seconds: float | None, max_seconds: float) -> str:
    """The sentence for a clip over the cap: its length when the header gives one, else that it ran past the cap."""
    length = f"is {clock(seconds)} long" if seconds is not None else f"runs past {clock(max_seconds)}"
    return (f"{name} {length}; this server analyses clips up to {clock(max_seconds)} (FER_MAX_VIDEO_SECONDS). "
            f"Trim it, or analyse it with `python -m fer_core video` on your own machine.")


def too_large_frames(name: str, width: int, height: int) -> str:
    return (f"{name} has frames of {width:,}×{height:,} pixels; FER Studio reads clips up to 8K (7680×4320), so it "
            f"was refused unopened.")


def too_many_pixels(name: str, frames: tuple[int, int, int] | None, max_pixels: float) -> str:
    """The sentence for a clip over the decoding budget: from its header (frames, width, height), or found while
    decoding (None) when the header said less."""
    budget = (f"this server decodes up to {_pixels(max_pixels)} a clip (about {clock(max_pixels / (1920 * 1080 * 30))} "
              f"of 1080p at 30 frames/s; FER_MAX_VIDEO_GIGAPIXELS)")
    if frames is None:
        what = f"{name} decodes to more pixels than its header says; {budget}, and it ran past that"
    else:
        count, width, height = frames
        what = f"{name} is {count:,} frames of {width:,}×{height:,}, {_pixels(count * width * height)} to decode; {budget}"
    return (f"{what}. Trim it or make it smaller, or analyse it with `python -m fer_core video` on your own "
            f"machine.")


def _pixels(pixels: float) -> str:
    if pixels < 1e9:
        return f"{pixels / 1e6:,.0f} million pixels"
    return f"{pixels / 1e9:,.1f} billion pixels" if pixels < 1e10 else f"{pixels / 1e9:,.0f} billion pixels"


def frame_rate_text(rate: float) -> str:
    """29.97 frames/s, 30 frames/s, 1,000 frames/s: never 1e+03."""
    number = f"{rate:,.0f}" if rate >= 100 else f"{rate:.2f}".rstrip("0").rstrip(".")
    return f"{number} frames/s"


def clock(seconds: float) -> str:
    """1:05:03 or 4:09 or 12.3 s: a length the way a video player shows it."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes}:{secs:02d} min"


def _opened_source(source, name: str | None):
    """(name, what av.open reads: a path or a file object, the first 16 bytes)."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        return name or UNNAMED_CLIP, io.BytesIO(data), data[:16]
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        with file_read_errors(path, VideoError, "a video file"):
            with open(path, "rb") as handle:  # FFmpeg opens the path itself; this only reads the signature
                return name or path.name, str(path), handle.read(16)
    if hasattr(source, "read") and hasattr(source, "seek"):
        source.seek(0)
        head = source.read(16)
        source.seek(0)
        return name or str(getattr(source, "name", "") or "This upload"), source, head
    raise VideoError(f"FER Studio reads a clip from a file path, bytes or a file object, not from {type(source).__name__}.")


def _duration(container, stream) -> float | None:
    if stream.duration is not None and stream.time_base:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / 1_000_000  # AV_TIME_BASE
    return None


def _rotation(frame) -> int:
    """Degrees counter-clockwise to turn a decoded frame to show it upright (0, 90, 180 or 270), from its display
    matrix (a phone's rotation tag)."""
    try:
        angle = float(frame.rotation or 0)
    except Exception:  # a damaged rotation tag loses only the rotation, not the clip
        return 0
    return int(round(angle / 90.0)) * 90 % 360


def _upright_rgb(frame, rotation: int, width: int, height: int) -> np.ndarray:
    pixels = frame.to_ndarray(format="rgb24")
    if rotation:
        pixels = np.ascontiguousarray(np.rot90(pixels, rotation // 90))
    if pixels.shape[1] != width or pixels.shape[0] != height:
        pixels = cv2.resize(pixels, (width, height), interpolation=cv2.INTER_AREA)
    return pixels


def fit_within(width: int, height: int, max_side: int) -> tuple[int, int]:
    if max(width, height) <= max_side:
        return width, height
    scale = max_side / max(width, height)
    return max(2, round(width * scale)), max(2, round(height * scale))


def _reason(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text.split("] ", 1)[-1].split(": '", 1)[0]


class AnnotatedVideoWriter:
    """Frames in, an H.264 MP4 out (yuv420p, the moov atom first): the format every browser plays. Each frame keeps
    its own timestamp, so a clip sampled at 5 fps, or with a variable frame rate, plays at its true speed. With
    `sound` (an opened clip's sound_stream), its packets go in beside the frames (`write_sound`): copied when browsers
    play them in an MP4 (COPIED_SOUND_CODECS), else decoded and encoded again as AAC."""

    # 90 kHz, as MPEG does: 24, 25, 30 and 29.97 frames/s are whole numbers of ticks apart.
    TIME_BASE = Fraction(1, 90_000)

    def __init__(self, path: str | Path, width: int, height: int, frame_rate: float | None = None, sound=None):
        import av

        self.path = Path(path)
        # H.264 in yuv420p needs even sides: the last row or column of an odd frame is dropped.
        self.width, self.height = width - width % 2, height - height % 2
        self._container = av.open(str(self.path), mode="w", format="mp4", options={"movflags": "+faststart"})
        rate = Fraction(frame_rate).limit_denominator(1001) if frame_rate else 30
        self._stream = self._container.add_stream("libx264", rate=rate, options={"preset": "veryfast", "crf": "23"})
        self._stream.width, self._stream.height, self._stream.pix_fmt = self.width, self.height, "yuv420p"
        self._stream.time_base = self._stream.codec_context.time_base = self.TIME_BASE
        self._last_pts = -1
        self._sound_out, self._sound_samples = None, None
        self.sound_lost: str | None = None  # where and why the sound stopped, if it did: the pictures go on without it
        self._copy_sound = sound is not None and sound.codec_context.name in COPIED_SOUND_CODECS
        if sound is not None:
            if self._copy_sound:
                self._sound_out = self._container.add_stream_from_template(sound)
            else:
                self._sound_out = self._container.add_stream("aac", rate=sound.codec_context.sample_rate or 48_000)
                self._sound_out.layout = "mono" if sound.codec_context.channels == 1 else "stereo"

    @property
    def sound_codec(self) -> str | None:
        """The codec of the sound written (the clip's own, or aac re-encoded), None without sound."""
        return self._sound_out.codec_context.name if self._sound_out is not None else None

    def write(self, pixels: np.ndarray, time: float) -> None:
        import av

        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(pixels[:self.height, :self.width]), format="rgb24")
        frame.pts = max(self._last_pts + 1, round(time / self.TIME_BASE))
        frame.time_base = self.TIME_BASE
        self._last_pts = frame.pts
        self._container.mux(self._stream.encode(frame))

    def write_sound(self, packets: list, start_time: float) -> None:
        """The sound's packets, their times counted from `start_time` (the video's first timestamp) as the frames'
        are; sound from before it is left out. Sound that cannot be written (a damaged packet) ends the sound, not
        the clip: `sound_lost` says where and why."""
        for packet in packets:
            if self.sound_lost:
                return
            time = float(packet.pts * packet.time_base) - start_time
            try:
                self._write_sound_packet(packet, start_time)
            except Exception as exc:  # FFmpeg fails in many ways on damaged sound; each means the same to the user
                self.sound_lost = f"{max(time, 0.0):.1f} s ({_reason(exc)})"

    def _write_sound_packet(self, packet, start_time: float) -> None:
        shift = round(start_time / packet.time_base)
        if packet.pts + (packet.duration or 0) - shift <= 0:
            return
        if self._copy_sound:
            packet.pts -= shift
            packet.dts = packet.pts if packet.dts is None else packet.dts - shift
            packet.stream = self._sound_out
            self._container.mux(packet)
        else:
            for frame in packet.decode():
                self._encode_sound(frame, start_time)

    def _encode_sound(self, frame, start_time: float | None) -> None:
        if frame is not None:
            if self._sound_samples is None:  # the first samples' place; the rest follow on without gaps
                self._sound_samples = max(0, round((float(frame.time or 0.0) - start_time) * frame.sample_rate))
            frame.pts, frame.time_base = self._sound_samples, Fraction(1, frame.sample_rate)
            self._sound_samples += frame.samples
        self._container.mux(self._sound_out.encode(frame))

    def close(self) -> Path:
        self._container.mux(self._stream.encode(None))
        if self._sound_out is not None and not self._copy_sound and not self.sound_lost:
            try:
                self._encode_sound(None, None)
            except Exception as exc:
                self.sound_lost = f"the end ({_reason(exc)})"
        self._container.close()
        return self.path

    def __enter__(self) -> AnnotatedVideoWriter:
        return self

    def __exit__(self, *exc) -> None:
        if self._container is not None:
            self.close()
            self._container = None
