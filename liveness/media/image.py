"""Still images (JPEG, PNG, WebP, BMP, GIF) to upright RGB arrays with Pillow.

The declared size is read from the header and checked against the limits before any pixel
is decoded, so a decompression bomb (a tiny file declaring 30000x30000 px) costs nothing.
Animated GIF/WebP/APNG files are read as their first frame only.
"""

from __future__ import annotations

import re
import struct
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
from PIL import Image, ImageOps

from liveness.config import MediaLimits
from liveness.errors import LivenessError, MediaError, MediaTooLargeError, UnsupportedMediaError
from liveness.media.codes import MEDIA_CORRUPT
from liveness.media.limits import check_resolution
from liveness.media.sniff import MediaFormat
from liveness.media.source import MediaBlob

# Pillow plugin per sniffed format: Pillow only tries that one plugin, never guesses.
PIL_FORMATS = {"jpeg": "JPEG", "png": "PNG", "gif": "GIF", "bmp": "BMP", "webp": "WEBP"}

# What Pillow raises on malformed files, beyond OSError: its parsers index, unpack and
# divide header fields without validating them first.
PIL_DECODE_ERRORS = (
    OSError,
    ValueError,
    SyntaxError,
    EOFError,
    struct.error,
    IndexError,
    KeyError,
    TypeError,
    ZeroDivisionError,
)

# Transparent pixels are composited on white, the way a viewer shows them, so the pixels
# we analyse are the ones a person reviewing the upload sees (not RGB hidden under alpha 0).
ALPHA_BACKGROUND = (255, 255, 255, 255)

# EXIF orientations 5-8 include a transpose: width and height swap once applied.
_TRANSPOSING_ORIENTATIONS = frozenset({5, 6, 7, 8})
_EXIF_ORIENTATION_TAG = 0x0112


@contextmanager
def open_image(blob: MediaBlob, fmt: MediaFormat, limits: MediaLimits) -> Iterator[Image.Image]:
    """Open ``blob`` lazily (header only) and check its declared size against ``limits``.

    Pillow's own bomb check raises before we see the size when an image declares more than
    twice ``Image.MAX_IMAGE_PIXELS``; that is reported as ``MediaTooLargeError`` too.
    """
    plugin = PIL_FORMATS.get(fmt.name)
    if plugin is None:
        raise UnsupportedMediaError(f"{blob.name}: {fmt.name} images are not supported")
    with blob.open() as handle:
        try:
            with warnings.catch_warnings():
                # We apply our own (lower) limit right below, warnings would only be noise.
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                image = Image.open(handle, formats=[plugin])
        except Image.DecompressionBombError as exc:
            raise MediaTooLargeError(_bomb_message(blob.name, str(exc), limits)) from exc
        except PIL_DECODE_ERRORS as exc:
            raise MediaError(
                f"{blob.name} is not a readable {fmt.name} image: {exc}", code=MEDIA_CORRUPT
            ) from exc
        with image:
            check_resolution(image.width, image.height, limits, what=f"image {blob.name}")
            yield image


def decode_image(blob: MediaBlob, fmt: MediaFormat, limits: MediaLimits) -> np.ndarray:
    """Decode an image to an upright RGB ``uint8`` array of shape (H, W, 3).

    EXIF orientation is applied; alpha is composited on white; greyscale and palette images
    become 3 channels; 16-bit images are scaled to 8 bits. Only the first frame of an
    animated GIF/WebP/PNG is read.
    """
    with open_image(blob, fmt, limits) as image:
        try:
            upright = ImageOps.exif_transpose(image)
            return to_rgb_array(upright)
        except LivenessError:
            raise
        except PIL_DECODE_ERRORS as exc:
            raise MediaError(
                f"{blob.name} is a damaged {fmt.name} image: {exc}", code=MEDIA_CORRUPT
            ) from exc


def probe_image(blob: MediaBlob, fmt: MediaFormat, limits: MediaLimits) -> dict[str, Any]:
    """Header facts of an image: upright width/height, format, EXIF orientation."""
    with open_image(blob, fmt, limits) as image:
        width, height = image.size
        try:
            orientation = int(image.getexif().get(_EXIF_ORIENTATION_TAG, 1))
        except PIL_DECODE_ERRORS:
            orientation = 1  # unreadable EXIF is ignored by decoding too
        if orientation in _TRANSPOSING_ORIENTATIONS:
            width, height = height, width
        return {
            "kind": "image",
            "format": fmt.name,
            "codec": fmt.name,
            "width": width,
            "height": height,
            "duration": 0.0,
            "fps": None,
            "orientation": orientation,
            "animated": bool(getattr(image, "is_animated", False)),
            "bytes": blob.size,
        }


def to_rgb_array(image: Image.Image) -> np.ndarray:
    """Any Pillow mode to a contiguous RGB ``uint8`` array (H, W, 3)."""
    mode = image.mode
    if mode.startswith("I;16") or mode == "I":
        # 16-bit greyscale (PNG): scale 0..65535 to 0..255 instead of clipping.
        wide = np.asarray(image).astype(np.float32) / 257.0
        grey = np.clip(np.rint(wide), 0, 255).astype(np.uint8)
        return np.ascontiguousarray(np.repeat(grey[:, :, None], 3, axis=2))
    if mode == "F":
        grey = np.clip(np.rint(np.asarray(image)), 0, 255).astype(np.uint8)
        return np.ascontiguousarray(np.repeat(grey[:, :, None], 3, axis=2))
    if _has_alpha(image):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, ALPHA_BACKGROUND)
        rgb = Image.alpha_composite(background, rgba).convert("RGB")
    elif mode == "RGB":
        rgb = image
    else:
        rgb = image.convert("RGB")
    return np.ascontiguousarray(np.asarray(rgb, dtype=np.uint8))


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "RGBa", "LA", "La", "PA") or "transparency" in image.info


def _bomb_message(name: str, pillow_message: str, limits: MediaLimits) -> str:
    declared = re.search(r"\((\d+) pixels\)", pillow_message)
    pixels = f"{declared.group(1)} px" if declared else "a size Pillow refuses"
    return f"image {name} declares {pixels}, over the limit max_pixels={limits.max_pixels}"
