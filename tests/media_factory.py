"""Small synthetic media for tests: videos, images, frame folders and malformed files.

Plain functions (no pytest) so benchmarks and scripts can import them too; ``conftest.py``
wraps the common ones as fixtures. Everything is generated with PyAV and Pillow: no
download, no ffmpeg binary, no shared data.
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable
from contextlib import ExitStack
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from PIL import Image

PatternFn = Callable[[int, int, int], np.ndarray]

BACKGROUND = 40
MARKER = 230
# Lossy codecs blur edges: an upright frame matches the pattern to within a few levels,
# a wrongly oriented one differs by tens of levels on average.
UPRIGHT_TOLERANCE = 12.0
TONE_RATE = 16000


def upright_pattern(height: int, width: int, index: int = 0) -> np.ndarray:
    """An RGB frame that is different under every rotation and mirror.

    A bright bar along the top edge (tells top from bottom and rows from columns), a block
    in the top-left corner (tells left from right) and, in the bottom half, a band whose
    grey level encodes ``index`` (see :func:`index_level`), to tell frames apart.
    """
    image = np.full((height, width, 3), BACKGROUND, dtype=np.uint8)
    image[: max(2, height // 8), :] = MARKER
    image[: height // 3, : width // 3] = MARKER
    image[height // 2 :, width // 4 : 3 * width // 4] = index_level(index)
    return image


def index_level(index: int) -> int:
    """Grey level encoding a frame index (steps of 16, wrapping after 12 frames)."""
    return 60 + 16 * (index % 12)


def read_index(image: np.ndarray) -> int:
    """Recover ``index % 12`` from a decoded :func:`upright_pattern` frame."""
    height, width = image.shape[:2]
    band = image[height // 2 + height // 8 :, width // 4 + width // 8 : 3 * width // 4 - width // 8]
    return round((float(band.mean()) - 60.0) / 16.0) % 12


def is_upright(image: np.ndarray, index: int | None = None) -> bool:
    """Whether a decoded frame matches :func:`upright_pattern` at its own size.

    With ``index=None`` the frame-index band is left out of the comparison.
    """
    height, width = image.shape[:2]
    expected = upright_pattern(height, width, index or 0).astype(np.float32)
    diff = np.abs(image.astype(np.float32) - expected)
    if index is None:
        diff[height // 2 :, width // 4 : 3 * width // 4] = 0.0
    return float(diff.mean()) < UPRIGHT_TOLERANCE


def write_video(
    path: Path,
    *,
    width: int = 64,
    height: int = 48,
    n_frames: int = 25,
    fps: int = 25,
    codec: str = "libx264",
    container_format: str | None = None,
    display_rotation: int = 0,
    hflip: bool = False,
    faststart: bool = False,
    streamed: bool = False,
    audio: bool = False,
    pattern: PatternFn = upright_pattern,
) -> Path:
    """Write a video whose frames *display* as ``pattern(height, width, i)``.

    ``display_rotation`` (counter-clockwise degrees, a multiple of 90) and ``hflip`` go in
    the container's display matrix, and the stored frames are turned the other way, the
    way a phone stores a portrait clip: a reader that honours the matrix sees upright
    frames of ``width`` x ``height``; one that ignores it sees them turned.
    ``faststart`` puts the mp4 index first, so a truncated file still decodes in part.
    ``streamed`` writes Matroska/WebM through a non-seekable sink, as a live recorder
    does: the header then declares no duration. ``audio`` adds an AAC tone track, as
    phone clips have.
    """
    quarter_turns = (display_rotation // 90) % 4
    stored_w, stored_h = (height, width) if quarter_turns % 2 else (width, height)
    options = {"movflags": "faststart"} if faststart else {}
    codec_options = {"deadline": "realtime", "cpu-used": "8"} if "vpx" in codec else {}
    with ExitStack() as stack:
        target: str | io.RawIOBase = str(path)
        if streamed:
            target = _NonSeekableWriter(stack.enter_context(path.open("wb")))
            container_format = container_format or {".mkv": "matroska", ".webm": "webm"}[path.suffix]
        with av.open(target, mode="w", format=container_format, options=options) as container:
            stream = container.add_stream(codec, rate=Fraction(fps), options=codec_options)
            stream.width, stream.height = stored_w, stored_h
            stream.pix_fmt = "yuv420p"
            # every stream must exist before the first packet is muxed
            audio_stream = container.add_stream("aac", rate=TONE_RATE) if audio else None
            if display_rotation or hflip:
                stream.set_display_rotation(display_rotation, hflip=hflip)
            for index in range(n_frames):
                shown = pattern(height, width, index)
                # display = mirror(rotate_ccw(stored)), so stored = rotate_cw(mirror(display))
                stored = np.rot90(shown[:, ::-1] if hflip else shown, k=-quarter_turns)
                frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(stored), format="rgb24")
                container.mux(stream.encode(frame))
            container.mux(stream.encode(None))
            if audio_stream is not None:
                _encode_tone(container, audio_stream, seconds=n_frames / fps)
    return path


class _NonSeekableWriter(io.RawIOBase):
    """A write-only sink that cannot seek, like a socket or pipe."""

    def __init__(self, sink: io.BufferedWriter) -> None:
        self._sink = sink

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def write(self, data: bytes) -> int:  # type: ignore[override]
        return self._sink.write(data)


def write_audio_only(path: Path, *, seconds: float = 0.5, container_format: str | None = None) -> Path:
    """Write an audio-only file (AAC in mp4 by default; ``wav`` gives PCM)."""
    codec = "pcm_s16le" if (container_format or path.suffix.lstrip(".")) == "wav" else "aac"
    with av.open(str(path), mode="w", format=container_format) as container:
        _encode_tone(container, container.add_stream(codec, rate=TONE_RATE), seconds=seconds)
    return path


def _encode_tone(container: av.container.OutputContainer, stream: av.AudioStream, *, seconds: float) -> None:
    rate = TONE_RATE
    n_samples = int(seconds * rate)
    tone = (0.2 * np.sin(np.arange(n_samples) * 2 * np.pi * 440 / rate) * 32767).astype(np.int16)
    chunk = 1024
    for start in range(0, n_samples, chunk):
        frame = av.AudioFrame.from_ndarray(tone[None, start : start + chunk], format="s16", layout="mono")
        frame.sample_rate = rate
        frame.pts = start
        container.mux(stream.encode(frame))
    container.mux(stream.encode(None))


def image_bytes(
    array: np.ndarray, image_format: str = "PNG", *, exif_orientation: int | None = None, **save: object
) -> bytes:
    """Encode an array (H, W), (H, W, 3) or (H, W, 4) with Pillow; optionally tag EXIF orientation."""
    image = Image.fromarray(array)
    if exif_orientation is not None:
        exif = Image.Exif()
        exif[0x0112] = exif_orientation
        save["exif"] = exif.tobytes()
    buffer = io.BytesIO()
    image.save(buffer, format=image_format, **save)
    return buffer.getvalue()


def write_image(path: Path, array: np.ndarray, image_format: str = "PNG", **kwargs: object) -> Path:
    """Write :func:`image_bytes` to ``path``."""
    path.write_bytes(image_bytes(array, image_format, **kwargs))  # type: ignore[arg-type]
    return path


def write_frames_dir(
    directory: Path, *, n_frames: int = 5, width: int = 32, height: int = 24, image_format: str = "PNG"
) -> list[Path]:
    """Write ``frame_<i>.<ext>`` images of :func:`upright_pattern` (unpadded numbers)."""
    directory.mkdir(parents=True, exist_ok=True)
    ext = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp", "BMP": "bmp"}[image_format]
    return [
        write_image(directory / f"frame_{i}.{ext}", upright_pattern(height, width, i), image_format)
        for i in range(n_frames)
    ]


def png_declaring_size(width: int, height: int) -> bytes:
    """A ~60-byte PNG whose IHDR declares ``width`` x ``height`` RGB (a decompression bomb)."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        crc = zlib.crc32(kind + payload) & 0xFFFFFFFF
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


def gif_declaring_size(width: int = 65535, height: int = 65535) -> bytes:
    """A tiny GIF whose logical screen and one image are ``width`` x ``height``."""
    screen = b"GIF89a" + struct.pack("<HHBBB", width, height, 0, 0, 0)
    image = b"," + struct.pack("<HHHHB", 0, 0, width, height, 0)
    lzw = b"\x02\x02\x44\x01\x00"  # min code size 2, one 2-byte sub-block, terminator
    return screen + image + lzw + b";"
