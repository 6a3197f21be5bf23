"""A photo in any form the app meets (a path, uploaded bytes, a file object, a PIL image or a numpy array) becomes
one upright RGB or grey PIL image no larger than WORKING_MAX_SIDE, or an ImageError with a sentence for the user.

Safety comes before decoding: the header's pixel count is checked before any pixel is read, so a small file that
claims to be 50,000×50,000 is refused without inflating it, while a real 10,000×10,000 photo is decoded at a
reduced scale (JPEG draft mode) and shrunk, not refused. Face boxes found later are in this image's pixels."""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
from PIL import ExifTags, Image, ImageOps

from ..data.confined_files import MAX_PHOTO_BYTES, read_regular_file
from ..errors import ImageError, file_read_errors

# A photo may be this large on disk (a 108 MP phone photo is 12,000×9,000); beyond it the header is a lie or a bomb.
MAX_PIXELS = 120_000_000
# Faces are classified at 48×48: more than 2048 pixels a side only costs time and memory.
WORKING_MAX_SIDE = 2048
# Pillow's own bomb check warns at its limit and refuses at twice it; let it agree with ours.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS


def load_image(source) -> Image.Image:
    """The photo as an upright, 8-bit RGB or L image, at most WORKING_MAX_SIDE pixels on its longer side."""
    if isinstance(source, Image.Image):
        return _from_pil(source)
    if isinstance(source, np.ndarray):
        return _from_array(source)
    if isinstance(source, (bytes, bytearray, memoryview)):
        return _decode(bytes(source), "This file")
    if isinstance(source, (str, os.PathLike)):
        return _decode(_read_file(Path(source)), Path(source).name)
    if hasattr(source, "read"):
        return _decode(_read_stream(source), str(getattr(source, "name", "") or "This upload"))
    raise ImageError(f"FER Studio reads a photo from a file path, bytes, a file object, a PIL image or a numpy array, "
                     f"not from {type(source).__name__}.")


def _read_file(path: Path) -> bytes:
    """The file's bytes, refused unread when it is a pipe or a device (a FIFO would wait, /dev/zero never end) or
    larger than the photo cap."""
    with file_read_errors(path, ImageError, "an image file"):
        return read_regular_file(path, MAX_PHOTO_BYTES, ImageError)


def _read_stream(stream) -> bytes:
    try:
        if hasattr(stream, "seek"):
            stream.seek(0)
        data = stream.read()
    except (OSError, ValueError) as exc:
        raise ImageError(f"The upload could not be read ({exc}).") from exc
    if not isinstance(data, (bytes, bytearray)):
        raise ImageError(f"The upload gave {type(data).__name__} where an image's bytes were expected.")
    return bytes(data)


def _decode(data: bytes, name: str) -> Image.Image:
    if not data:
        raise ImageError(f"{name} is empty (0 bytes), so it is not an image.")
    try:
        image = Image.open(io.BytesIO(data))
        _check_pixel_count(image.size, name)
        if max(image.size) > WORKING_MAX_SIDE and image.format == "JPEG":
            # Decode a huge JPEG at 1/2, 1/4 or 1/8 scale: the full-size pixels are never needed.
            scale = WORKING_MAX_SIDE / max(image.size)
            image.draft(image.mode, (round(image.width * scale), round(image.height * scale)))
        image.load()
        image = _upright_and_small(image)
        return _to_rgb_or_grey(image)
    except ImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageError(f"{name} claims to be larger than {MAX_PIXELS // 1_000_000} megapixels, so it was refused "
                         "unopened.") from exc
    except Exception as exc:  # Pillow's decoders fail with many exception types; each means the same to the user
        raise ImageError(f"{name} is not an image FER Studio can read ({_reason(exc)}). Try a JPEG or PNG photo.") from exc


def _check_pixel_count(size: tuple[int, int], name: str) -> None:
    width, height = size
    if width <= 0 or height <= 0:
        raise ImageError(f"{name} has no pixels ({width}×{height}).")
    if width * height > MAX_PIXELS:
        raise ImageError(f"{name} claims to be {width:,}×{height:,} pixels ({width * height / 1e6:,.0f} megapixels); "
                         f"FER Studio opens photos up to {MAX_PIXELS // 1_000_000} megapixels, so it was refused unopened.")


def _reason(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if isinstance(exc, Image.UnidentifiedImageError):
        return "its contents are not in an image format Pillow knows"
    if "truncated" in text or isinstance(exc, (EOFError, SyntaxError)):
        return f"it is damaged or cut short: {text}"
    return text


def _from_pil(image: Image.Image) -> Image.Image:
    _check_pixel_count(image.size, "This image")
    try:
        image.load()
        return _to_rgb_or_grey(_upright_and_small(image))
    except Exception as exc:  # a lazily opened PIL image decodes here, with the same failures as _decode
        raise ImageError(f"This image cannot be read ({_reason(exc)}).") from exc


def _from_array(array: np.ndarray) -> Image.Image:
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (3, 4)):
        raise ImageError(f"An image array must be (height, width), (height, width, 3) RGB or (height, width, 4) RGBA, "
                         f"not {array.shape}.")
    _check_pixel_count((array.shape[1], array.shape[0]), "This image array")
    pixels = _to_uint8(array)
    mode = {2: "L", 3: "RGB", 4: "RGBA"}[pixels.shape[2] if pixels.ndim == 3 else 2]
    return _to_rgb_or_grey(_upright_and_small(Image.fromarray(np.ascontiguousarray(pixels), mode)))


def _to_uint8(array: np.ndarray) -> np.ndarray:
    if array.dtype == np.uint8:
        return array
    if array.dtype == np.bool_:
        return array.astype(np.uint8) * 255
    if array.dtype == np.uint16:
        return (array // 257).astype(np.uint8)
    if np.issubdtype(array.dtype, np.number):
        values = np.nan_to_num(array.astype(np.float64))
        # Floats in 0..1 are the scientific convention; anything else is read as grey levels 0..255.
        if values.size and values.min() >= 0 and values.max() <= 1 and np.issubdtype(array.dtype, np.floating):
            values = values * 255
        return np.clip(np.rint(values), 0, 255).astype(np.uint8)
    raise ImageError(f"An image array must hold numbers, not {array.dtype}.")


def _upright_and_small(image: Image.Image) -> Image.Image:
    """Turned as the camera's EXIF orientation says, and shrunk to WORKING_MAX_SIDE; a new image whenever it changes,
    so a caller's PIL image is never altered."""
    try:
        if image.getexif().get(ExifTags.Base.Orientation, 1) != 1:
            image = ImageOps.exif_transpose(image)
    except Exception:  # a damaged EXIF block loses only the orientation, not the photo
        pass
    if max(image.size) > WORKING_MAX_SIDE:
        if image.mode not in ("L", "RGB", "LA", "RGBA"):
            image = _to_rgb_or_grey(image)
        scale = WORKING_MAX_SIDE / max(image.size)
        size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
        image = image.resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)
    return image


def _to_rgb_or_grey(image: Image.Image) -> Image.Image:
    mode = image.mode
    if mode in ("RGB", "L"):
        return image
    if mode == "1":
        return image.convert("L")
    if mode.startswith("I;16") or mode in ("I", "F"):
        return Image.fromarray(_wide_to_uint8(np.asarray(image), mode), "L")
    if mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
        mode = image.mode
    if mode in ("LA", "La"):
        return _on_white(image.convert("LA"), "L")
    if mode in ("RGBA", "RGBa", "PA"):
        return _on_white(image.convert("RGBA"), "RGB")
    return image.convert("RGB")


def _on_white(image: Image.Image, mode: str) -> Image.Image:
    # Transparent pixels have no colour of their own: show them as the white page they sit on.
    background = Image.new(mode, image.size, "white")
    background.paste(image.convert(mode), mask=image.getchannel("A"))
    return background


def _wide_to_uint8(values: np.ndarray, mode: str) -> np.ndarray:
    """16-bit grey by its format's range; 32-bit int and float grey by the range their values actually use."""
    values = np.nan_to_num(values.astype(np.float64))
    low, high = (float(values.min()), float(values.max())) if values.size else (0.0, 0.0)
    if mode.startswith("I;16") or (mode == "I" and low >= 0 and 255 < high <= 65535):
        scaled = values / 257
    elif mode == "F" and low >= 0 and high <= 1:
        scaled = values * 255
    elif low >= 0 and high <= 255:
        scaled = values
    else:
        scaled = (values - low) * (255 / max(high - low, 1e-12))
    return np.clip(np.rint(scaled), 0, 255).astype(np.uint8)
