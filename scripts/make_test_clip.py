"""Clips with real faces for the tests, the benchmarks and the live-camera test, made from the photos in tests/assets:
two people crossing a grey room, one left to right and one right to left, so a tracker has to keep them apart.
Both are the astronaut's face, the second mirrored: the cameraman in camera.jpg, turned away, is found in only some
frames once pasted small, which would test the detector rather than the tracker. Nothing is downloaded.

    python scripts/make_test_clip.py crossing.mp4 --size 1280x720 --seconds 10 --fps 30
    python scripts/make_test_clip.py camera.y4m --size 640x480 --seconds 4 --fps 15     # a fake webcam for Chromium
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from fractions import Fraction
from functools import cache
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parent.parent
ASSETS = REPO / "tests" / "assets"
FACE_PHOTOS = ("astronaut.jpg",)
# The patch around each face: the detector's box grown by this much, so the head and some shoulders come along.
PATCH_MARGIN = 1.9
BACKGROUND = 118
LANE_GAP = 0.7
# A crowd's faces are cropped tighter than the walkers', so thirty of them fit a 960×800 frame, each found in one pass.
CROWD_MARGIN = 1.6


@cache
def face_patch(photo: str, margin: float = PATCH_MARGIN) -> Image.Image:
    """The largest face in tests/assets/PHOTO with some margin, found by the project's own detector."""
    from fer_core.prediction.face_detection import detect_faces
    from fer_core.prediction.photos import load_image

    image = load_image(ASSETS / photo).convert("RGB")
    face = detect_faces(image)[0]
    side = max(face.w, face.h) * margin
    cx, cy = face.x + face.w / 2, face.y + face.h / 2
    box = tuple(round(v) for v in (cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2))
    return image.crop(box)


def crossing_frames(width: int, height: int, frames: int, faces: int = 2, face_fraction: float = 0.42,
                    photos: tuple[str, ...] = FACE_PHOTOS) -> Iterator[np.ndarray]:
    """RGB frames: `faces` people moving across the frame, the odd ones left to right, the even ones right to left,
    at different heights so that they cross with their boxes overlapping a little, not hiding each other."""
    side = max(8, round(min(width, height) * face_fraction))
    patches = [np.asarray(face_patch(photos[i % len(photos)]).resize((side, side), Image.Resampling.BILINEAR))
               for i in range(faces)]
    patches = [patch[:, ::-1] if person % 2 else patch for person, patch in enumerate(patches)]
    # Lanes LANE_GAP of a patch apart: at the crossing the lower patch covers the upper face's chin.
    spread = min(height - side, (faces - 1) * LANE_GAP * side)
    lanes = (height - side - spread) / 2 + np.linspace(0, spread, faces)
    for index in range(frames):
        progress = index / max(frames - 1, 1)
        picture = np.full((height, width, 3), BACKGROUND, np.uint8)
        for person, patch in enumerate(patches):
            travel = progress if person % 2 == 0 else 1 - progress
            x = round(0.02 * width + travel * (width - side - 0.04 * width))
            y = round(lanes[person])
            picture[y:y + side, x:x + side] = patch
        yield picture


def handheld_frames(width: int, height: int, frames: int, fps: float = 30, face_fraction: float = 0.4,
                    shake_pixels: float = 3.0, seed: int = 0) -> Iterator[np.ndarray]:
    """RGB frames of one face filmed by a hand-held camera: it sways across the frame and back once a second, bobs,
    comes closer and goes back (±20% in size), and the camera shakes by about `shake_pixels` a frame. Motion that is
    neither steady nor smooth, to measure what boxes between two looks of the detector miss."""
    rng = np.random.default_rng(seed)
    patch = face_patch(FACE_PHOTOS[0])
    base = min(width, height) * face_fraction
    for index in range(frames):
        t = index / fps
        side = max(8, round(base * (1 + 0.2 * np.sin(2 * np.pi * 0.4 * t))))
        cx = width / 2 + 0.25 * width * np.sin(2 * np.pi * t) + rng.normal(0, shake_pixels)
        cy = height / 2 + 0.08 * height * np.sin(2 * np.pi * 1.7 * t + 1) + rng.normal(0, shake_pixels)
        x = int(np.clip(round(cx - side / 2), 0, width - side))
        y = int(np.clip(round(cy - side / 2), 0, height - side))
        picture = np.full((height, width, 3), BACKGROUND, np.uint8)
        picture[y:y + side, x:x + side] = np.asarray(patch.resize((side, side), Image.Resampling.BILINEAR))
        yield picture


def still_face_frames(width: int = 640, height: int = 480, frames: int = 30, face_fraction: float = 0.62):
    """One person sitting still in front of the camera, the astronaut's face in the middle of a grey room: the fake
    webcam of the Collect page's tests and screenshot."""
    side = round(min(width, height) * face_fraction)
    picture = Image.new("RGB", (width, height), (BACKGROUND,) * 3)
    picture.paste(face_patch("astronaut.jpg").convert("RGB").resize((side, side)), ((width - side) // 2,
                                                                                      (height - side) // 2))
    picture = np.asarray(picture)
    return (picture for _ in range(frames))


def grid_frame(width: int, height: int, columns: int, rows: int) -> np.ndarray:
    """One frame with columns × rows faces, alternately mirrored: a crowd."""
    cell_w, cell_h = width // columns, height // rows
    side = round(min(cell_w, cell_h) * 0.95)
    picture = np.full((height, width, 3), BACKGROUND, np.uint8)
    for row in range(rows):
        for column in range(columns):
            patch = np.asarray(face_patch(FACE_PHOTOS[0], CROWD_MARGIN).resize((side, side)))
            patch = patch[:, ::-1] if (row + column) % 2 else patch
            y, x = row * cell_h + (cell_h - side) // 2, column * cell_w + (cell_w - side) // 2
            picture[y:y + side, x:x + side] = patch
    return picture


def write_clip(path: str | Path, frames, fps: float = 30, codec: str = "libx264", rotation: int = 0,
               times: list[float] | None = None, preset: str = "medium", pix_fmt: str | None = None,
               with_sound: bool = False) -> Path:
    """Frames (RGB arrays) to a clip; `times` gives each frame its own timestamp (a variable frame rate), `rotation`
    tags it as a phone does; `preset` trades H.264's file size for encoding time (ultrafast for long clips). Phones'
    other choices: `codec` "libx265" (HEVC) or "libsvtav1" (AV1), `pix_fmt` "yuv420p10le" (10-bit, as an iPhone
    records), `with_sound` a silent AAC track as long as the clip."""
    import av

    path = Path(path)
    frames = iter(frames)
    first = next(frames)
    height, width = first.shape[:2]
    container_format = {".gif": "gif", ".webm": "webm", ".avi": "avi", ".mov": "mov", ".mkv": "matroska"}.get(path.suffix.lower(), "mp4")
    options = {"libx264": {"preset": preset}, "libx265": {"preset": "ultrafast", "x265-params": "log-level=error"},
               "libsvtav1": {"preset": "10"}}.get(codec, {})
    with av.open(str(path), "w", format=container_format) as out:
        stream = out.add_stream(codec, rate=round(fps), options=options)
        stream.width, stream.height = width, height
        stream.pix_fmt = pix_fmt or {"gif": "rgb8", "mpeg4": "yuv420p"}.get(codec, "yuv420p")
        sound = out.add_stream("aac", rate=44100) if with_sound else None  # every stream before the first packet
        if sound:
            sound.layout = "mono"
        if times is not None:
            stream.time_base = stream.codec_context.time_base = Fraction(1, 1000)
        if rotation:
            stream.set_display_rotation(rotation)
        for index, picture in enumerate(_chain(first, frames)):
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(picture), format="rgb24")
            if times is not None:
                frame.pts, frame.time_base = round(times[index] * 1000), Fraction(1, 1000)
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
        if sound:
            _write_silence(out, sound, seconds=(times[-1] if times else (index + 1) / fps))
    return path


def _write_silence(out, sound, seconds: float, rate: int = 44100) -> None:
    import av

    block = 1024
    for start in range(0, round(seconds * rate), block):
        frame = av.AudioFrame.from_ndarray(np.zeros((1, block), np.float32), format="fltp", layout="mono")
        frame.sample_rate, frame.pts = rate, start
        out.mux(sound.encode(frame))
    out.mux(sound.encode(None))


def write_y4m(path: str | Path, frames, fps: int = 15) -> Path:
    """Frames to a YUV4MPEG2 file (4:2:0), which Chromium plays as a fake webcam
    (--use-file-for-fake-video-capture)."""
    import cv2

    path = Path(path)
    with open(path, "wb") as out:
        for index, picture in enumerate(frames):
            height, width = picture.shape[:2]
            if index == 0:
                out.write(f"YUV4MPEG2 W{width} H{height} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
            out.write(b"FRAME\n" + cv2.cvtColor(picture, cv2.COLOR_RGB2YUV_I420).tobytes())
    return path


def _chain(first, rest):
    yield first
    yield from rest


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out")
    parser.add_argument("--size", default="640x480")
    parser.add_argument("--seconds", type=float, default=4)
    parser.add_argument("--fps", type=float, default=30)
    parser.add_argument("--faces", type=int, default=2)
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.lower().split("x"))
    frames = crossing_frames(width, height, max(2, round(args.seconds * args.fps)), faces=args.faces)
    if args.out.endswith(".y4m"):
        write_y4m(args.out, frames, round(args.fps))
    else:
        write_clip(args.out, frames, args.fps)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    sys.exit(main())
