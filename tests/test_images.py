"""load_image: every form of photo the app meets, every bad file a user can upload, and nothing but ImageError out."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from fer_core.errors import ImageError
from fer_core.prediction.face_detection import detect_faces
from fer_core.prediction.photos import MAX_PIXELS, WORKING_MAX_SIDE, load_image

ASSETS = Path(__file__).parent / "assets"
ASTRONAUT = ASSETS / "astronaut.jpg"


def encode(image: Image.Image, format: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format, **options)
    return buffer.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    """A valid PNG header and a few bytes of data that claim width×height pixels: a decompression bomb's shape."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit grey, no interlace
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 1024)) + chunk(b"IEND", b"")


@pytest.fixture(scope="module")
def astronaut() -> Image.Image:
    return Image.open(ASTRONAUT).convert("RGB")


# --- every way a photo arrives ---

def test_path_bytes_file_pil_and_array_give_the_same_photo(astronaut):
    from_path = load_image(ASTRONAUT)
    from_str = load_image(str(ASTRONAUT))
    from_bytes = load_image(ASTRONAUT.read_bytes())
    from_file = load_image(io.BytesIO(ASTRONAUT.read_bytes()))
    from_pil = load_image(Image.open(ASTRONAUT))
    from_array = load_image(np.asarray(from_path))
    for image in (from_str, from_bytes, from_file, from_pil, from_array):
        assert image.mode == "RGB" and image.size == (512, 512)
        assert np.array_equal(np.asarray(image), np.asarray(from_path))


def test_an_open_file_is_read_from_its_start():
    with open(ASTRONAUT, "rb") as handle:
        handle.read(100)
        assert load_image(handle).size == (512, 512)


def test_the_callers_pil_image_is_not_changed(astronaut):
    rgba = astronaut.convert("RGBA")
    load_image(rgba)
    assert rgba.mode == "RGBA"


@pytest.mark.parametrize("array, mode", [
    (np.full((30, 40), 7, np.uint8), "L"),
    (np.full((30, 40, 1), 7, np.uint8), "L"),
    (np.full((30, 40, 3), 7, np.uint8), "RGB"),
    (np.dstack([np.full((30, 40, 3), 7, np.uint8), np.full((30, 40), 255, np.uint8)]), "RGB"),
    (np.ones((30, 40), bool), "L"),
    (np.full((30, 40), 65535, np.uint16), "L"),
    (np.full((30, 40, 3), 1.0, np.float32), "RGB"),
    (np.full((30, 40), 300.0), "L"),
])
def test_numpy_arrays_of_common_shapes_and_types(array, mode):
    image = load_image(array)
    assert image.mode == mode and image.size == (40, 30)
    assert np.asarray(image).min() == (7 if array.dtype == np.uint8 else 255)


@pytest.mark.parametrize("array", [np.zeros((4, 4, 2), np.uint8), np.zeros((2, 2, 2, 2), np.uint8),
                                   np.zeros((0, 5), np.uint8), np.array([["a"]])])
def test_arrays_that_are_not_images_are_refused(array):
    with pytest.raises(ImageError):
        load_image(array)


@pytest.mark.parametrize("source", [None, 42, 3.5, ["photo.jpg"], {"path": "x"}])
def test_things_that_are_not_photos_are_refused(source):
    with pytest.raises(ImageError, match="reads a photo from"):
        load_image(source)


def test_missing_file_and_folder_are_refused(tmp_path):
    with pytest.raises(ImageError, match="There is no file"):
        load_image(tmp_path / "nowhere.jpg")
    with pytest.raises(ImageError, match="is a folder"):
        load_image(tmp_path)


# --- bad files ---

def test_empty_file(tmp_path):
    path = tmp_path / "empty.jpg"
    path.write_bytes(b"")
    with pytest.raises(ImageError, match=r"empty \(0 bytes\)"):
        load_image(path)
    with pytest.raises(ImageError, match="empty"):
        load_image(b"")


def test_truncated_jpeg(tmp_path):
    path = tmp_path / "cut.jpg"
    path.write_bytes(ASTRONAUT.read_bytes()[:20_000])
    with pytest.raises(ImageError, match="cut.jpg is not an image FER Studio can read"):
        load_image(path)


def test_text_file_named_jpg(tmp_path):
    path = tmp_path / "notes.jpg"
    path.write_text("Dear diary, today I trained a CNN.\n" * 20)
    with pytest.raises(ImageError, match="notes.jpg is not an image FER Studio can read"):
        load_image(path)


def test_unknown_format():
    with pytest.raises(ImageError, match="not an image FER Studio can read"):
        load_image(b"RIFF\x00\x00\x00\x00XXXX" + bytes(200))


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
@pytest.mark.parametrize("width, height", [(50_000, 50_000), (11_000, 11_000), (MAX_PIXELS, 2)])
def test_decompression_bomb_is_refused_before_decoding(width, height):
    bomb = png_claiming(width, height)
    assert len(bomb) < 200
    with pytest.raises(ImageError, match="refused unopened"):
        load_image(bomb)


def test_decompression_bomb_as_an_opened_pil_image_is_refused(monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", None)  # a caller whose own Pillow check is off
    bomb = Image.open(io.BytesIO(png_claiming(50_000, 50_000)))
    monkeypatch.undo()
    with pytest.raises(ImageError, match="refused unopened"):
        load_image(bomb)


def test_huge_jpeg_is_downscaled_not_refused(tmp_path):
    ramp = np.broadcast_to(np.linspace(0, 255, 10_000).astype(np.uint8), (10_000, 10_000))
    path = tmp_path / "huge.jpg"
    Image.fromarray(np.ascontiguousarray(ramp), "L").save(path, quality=50)
    image = load_image(path)
    assert image.size == (WORKING_MAX_SIDE, WORKING_MAX_SIDE) and image.mode == "L"
    row = np.asarray(image)[1000].astype(int)
    assert row[:100].mean() < 20 and row[-100:].mean() > 235  # the ramp survived the reduction


def test_large_png_keeps_its_aspect_ratio():
    image = load_image(encode(Image.new("RGB", (5000, 2500), (10, 200, 30)), "PNG"))
    assert image.size == (WORKING_MAX_SIDE, WORKING_MAX_SIDE // 2)
    assert tuple(np.asarray(image)[500, 500]) == (10, 200, 30)


# --- every pixel format ---

def test_cmyk_jpeg_becomes_rgb_and_its_face_is_found(astronaut):
    image = load_image(encode(astronaut.convert("CMYK"), "JPEG", quality=90))
    assert image.mode == "RGB" and image.size == (512, 512)
    assert len(detect_faces(image)) == 1


def test_16_bit_grey_png_is_scaled_to_8_bits(astronaut):
    grey = np.asarray(astronaut.convert("L"))
    wide = Image.fromarray(grey.astype(np.uint16) * 257)
    assert wide.mode == "I;16"
    image = load_image(encode(wide, "PNG"))
    assert image.mode == "L"
    assert np.abs(np.asarray(image).astype(int) - grey).max() <= 1
    assert len(detect_faces(image)) == 1


def test_32_bit_grey_keeps_8_bit_values_and_scales_16_bit_ones():
    small = Image.fromarray(np.full((8, 8), 200, np.int32), "I")
    assert np.asarray(load_image(small)).max() == 200
    wide = Image.fromarray(np.full((8, 8), 65535, np.int32), "I")
    assert np.asarray(load_image(wide)).max() == 255


@pytest.mark.parametrize("format", ["PNG", "GIF"])
def test_palette_images_become_rgb(astronaut, format):
    image = load_image(encode(astronaut.convert("P", palette=Image.Palette.ADAPTIVE), format))
    assert image.mode == "RGB"
    assert len(detect_faces(image)) == 1


def test_transparent_pixels_become_white(astronaut):
    rgba = astronaut.convert("RGBA")
    alpha = np.full((512, 512), 255, np.uint8)
    alpha[:, :100] = 0
    rgba.putalpha(Image.fromarray(alpha))
    image = load_image(encode(rgba, "PNG"))
    pixels = np.asarray(image)
    assert image.mode == "RGB"
    assert (pixels[:, :100] == 255).all()
    assert np.array_equal(pixels[:, 200:], np.asarray(astronaut)[:, 200:])


def test_grey_with_alpha_stays_grey():
    la = Image.new("LA", (20, 10), (40, 0))
    image = load_image(encode(la, "PNG"))
    assert image.mode == "L" and np.asarray(image).min() == 255


def test_one_bit_image_becomes_grey():
    image = load_image(encode(Image.new("1", (16, 16), 1), "PNG"))
    assert image.mode == "L" and np.asarray(image).min() == 255


def test_grey_photo_stays_grey_and_its_face_is_found(astronaut):
    image = load_image(encode(astronaut.convert("L"), "JPEG"))
    assert image.mode == "L"
    assert len(detect_faces(image)) == 1


def test_animated_gif_gives_its_first_frame():
    frames = [Image.new("RGB", (32, 32), colour) for colour in ((250, 0, 0), (0, 0, 250), (0, 250, 0))]
    data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    assert Image.open(io.BytesIO(data)).n_frames == 3
    red, green, blue = np.asarray(load_image(data)).reshape(-1, 3).mean(axis=0)
    assert red > 200 and green < 30 and blue < 30


def test_exif_orientation_is_applied(astronaut):
    upright = astronaut.crop((0, 0, 512, 400))
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display": the camera stored the photo on its side
    stored = upright.transpose(Image.Transpose.ROTATE_90)
    data = encode(stored, "JPEG", quality=95, exif=exif.tobytes())
    assert Image.open(io.BytesIO(data)).size == (400, 512)
    image = load_image(data)
    assert image.size == (512, 400)
    assert np.abs(np.asarray(image).astype(int) - np.asarray(upright)).mean() < 4
    [face] = detect_faces(image)
    assert 150 < face.x < 200 and 40 < face.y < 100  # where the upright portrait has it


# --- fuzzing: nothing but ImageError ever comes out ---

def _seeds() -> list[bytes]:
    small = Image.open(ASTRONAUT).convert("RGB").resize((40, 40))
    return [encode(small, "PNG"), encode(small, "JPEG"), encode(small.convert("P"), "GIF"),
            encode(small, "BMP"), encode(small, "TIFF"), encode(small, "WEBP")]


SEEDS = _seeds()


def _load_or_refuse(data: bytes) -> None:
    try:
        image = load_image(data)
    except ImageError:
        return
    assert image.mode in ("RGB", "L") and max(image.size) <= WORKING_MAX_SIDE


@pytest.mark.filterwarnings("ignore::UserWarning")  # Pillow warns about the damage it skips
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2048))
def test_random_bytes_give_only_image_error(data):
    _load_or_refuse(data)


@pytest.mark.filterwarnings("ignore::UserWarning")
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.sampled_from(SEEDS), edits=st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), max_size=8),
       cut=st.integers(0, 10_000))
def test_mutated_images_give_only_image_error(seed, edits, cut):
    data = bytearray(seed)
    for position, value in edits:
        data[position % len(data)] = value
    _load_or_refuse(bytes(data[:max(cut, 8)]) if cut < len(data) else bytes(data))
