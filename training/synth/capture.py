"""Capture simulation: rescale, colour jitter, blur, noise and a real H.264 round trip.

Apply it to bona fide and attack clips alike: a detector must not be able to tell the classes
apart by scale, colour processing or codec state (RESEARCH.md, plan).
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import BinaryIO

import av
import cv2
import numpy as np

from liveness.errors import LivenessError, MediaError
from training.synth._checks import BAD_ARGUMENT, check_frames, check_rng
from training.synth.signals import FPS

PRESETS = ("veryfast", "faster", "fast", "medium")


def color_lut(rng: np.random.Generator, *, strength: float = 1.0) -> np.ndarray:
    """A random per-channel tone curve (gain, gamma, offset, contrast) as a (256, 1, 3) uint8 LUT."""
    x = np.arange(256, dtype=np.float64)[:, None] / 255.0
    gain = 1.0 + strength * rng.uniform(-0.08, 0.08, 3)
    gamma = np.exp(strength * rng.uniform(-0.15, 0.15)) * np.exp(strength * rng.uniform(-0.03, 0.03, 3))
    contrast = 1.0 + strength * rng.uniform(-0.12, 0.12)
    offset = strength * rng.uniform(-0.05, 0.05)
    y = np.clip(x * gain, 0, 1) ** gamma
    y = np.clip((y - 0.5) * contrast + 0.5 + offset, 0, 1)
    return np.round(y * 255).astype(np.uint8).reshape(256, 1, 3)


def apply_lut(frame: np.ndarray, lut: np.ndarray) -> np.ndarray:
    """Apply a (256, 1, 3) per-channel LUT to an RGB uint8 frame."""
    return cv2.LUT(frame, lut)


def noise_bank(rng: np.random.Generator, shape: tuple[int, int], count: int, sigma: float) -> np.ndarray:
    """(count, H, W, 3) int16 Gaussian noise frames, drawn once per clip and reused."""
    return np.round(rng.standard_normal((count, *shape, 3), dtype=np.float32) * sigma).astype(np.int16)


def add_noise(frame: np.ndarray, noise: np.ndarray) -> np.ndarray:
    """``frame`` + int16 ``noise``, clipped to uint8."""
    return np.clip(frame.astype(np.int16) + noise, 0, 255).astype(np.uint8)


def encode_mp4(
    frames: list[np.ndarray],
    path_or_buffer: str | Path | BinaryIO,
    *,
    fps: float = FPS,
    crf: int = 23,
    preset: str = "veryfast",
    threads: int = 1,
) -> None:
    """Encode RGB uint8 frames as H.264 (libx264, yuv420p) in an MP4 file or binary buffer.

    Odd widths/heights are cropped by one pixel (yuv420p needs even sizes). One encoder
    thread (the default) keeps the bytes deterministic and leaves the other core free.

    Examples
    --------
    >>> buf = io.BytesIO()
    >>> encode_mp4([np.zeros((32, 32, 3), np.uint8)] * 2, buf, crf=30)
    >>> buf.getbuffer().nbytes > 0
    True
    """
    checked = check_frames(frames)
    if not 0 <= int(crf) <= 51:
        raise LivenessError(f"crf must be in 0..51, got {crf}", code=BAD_ARGUMENT)
    h, w = checked[0].shape[:2]
    h2, w2 = h - h % 2, w - w % 2
    target = str(path_or_buffer) if isinstance(path_or_buffer, str | Path) else path_or_buffer
    try:
        with av.open(target, mode="w", format="mp4") as container:
            stream = container.add_stream("libx264", rate=round(fps))
            stream.width, stream.height, stream.pix_fmt = w2, h2, "yuv420p"
            stream.codec_context.thread_count = int(threads)
            stream.options = {"crf": str(int(crf)), "preset": preset}
            for frame in checked:
                video_frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(frame[:h2, :w2]), format="rgb24")
                container.mux(stream.encode(video_frame))
            container.mux(stream.encode(None))
    except (av.FFmpegError, OSError, ValueError) as exc:
        raise MediaError(f"H.264 encoding failed: {exc}", code="SYNTH_ENCODE_FAILED") from exc


def decode_video(path_or_buffer: str | Path | BinaryIO) -> list[np.ndarray]:
    """Decode every frame of a video file or buffer to RGB uint8 arrays."""
    source = str(path_or_buffer) if isinstance(path_or_buffer, str | Path) else path_or_buffer
    if hasattr(source, "seek"):
        source.seek(0)
    try:
        with av.open(source, mode="r") as container:
            return [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    except (av.FFmpegError, OSError, ValueError) as exc:
        raise MediaError(f"decoding failed: {exc}", code="SYNTH_DECODE_FAILED") from exc


def simulate_capture(
    frames: list[np.ndarray],
    *,
    rng: np.random.Generator | int,
    short_side: tuple[int, int] = (240, 720),
    crf: tuple[int, int] = (23, 40),
    fps: float = FPS,
) -> list[np.ndarray]:
    """Random rescale, colour/brightness jitter, optional blur and noise, then an H.264 round trip.

    Parameters
    ----------
    frames : list of numpy.ndarray
        RGB uint8 frames of one clip.
    rng : numpy.random.Generator or int
        All randomness (an int is a seed).
    short_side : (int, int)
        Range of the output's shorter side in pixels (aspect kept, sizes made even).
        Landmarks of the input scale by ``out.shape[1] / in.shape[1]``.
    crf : (int, int)
        Range of the libx264 CRF (inclusive).
    fps : float
        Frame rate written into the stream.

    Returns
    -------
    list of numpy.ndarray
        As many RGB uint8 frames as given, decoded from the re-encoded stream.

    Examples
    --------
    >>> clip = [np.full((64, 80, 3), 100, np.uint8)] * 3
    >>> out = simulate_capture(clip, rng=0, short_side=(48, 48))
    >>> len(out), out[0].shape
    (3, (48, 60, 3))
    """
    checked = check_frames(frames)
    rng = check_rng(rng)
    lo, hi = int(short_side[0]), int(short_side[1])
    if not 16 <= lo <= hi:
        raise LivenessError(f"short_side must be a range within 16.., got {short_side}", code=BAD_ARGUMENT)
    h, w = checked[0].shape[:2]
    side = int(rng.integers(lo, hi + 1))
    scale = side / min(h, w)
    new_w, new_h = max(16, round(w * scale / 2) * 2), max(16, round(h * scale / 2) * 2)
    lut = color_lut(rng)
    blur = rng.uniform(0.4, 1.2) if rng.random() < 0.3 else 0.0
    noise = noise_bank(rng, (new_h, new_w), min(len(checked), 6), rng.uniform(1.0, 4.0)) if rng.random() < 0.3 else None
    quality = int(rng.integers(int(crf[0]), int(crf[1]) + 1))
    preset = str(rng.choice(PRESETS))
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    prepared = []
    for i, frame in enumerate(checked):
        out = cv2.resize(frame, (new_w, new_h), interpolation=interp) if (new_w, new_h) != (w, h) else frame
        out = apply_lut(out, lut)
        if blur > 0:
            out = cv2.GaussianBlur(out, (0, 0), blur)
        if noise is not None:
            out = add_noise(out, noise[i % len(noise)])
        prepared.append(out)
    buffer = io.BytesIO()
    encode_mp4(prepared, buffer, fps=fps, crf=quality, preset=preset)
    decoded = decode_video(buffer)
    if len(decoded) != len(prepared):
        raise MediaError(
            f"H.264 round trip returned {len(decoded)} of {len(prepared)} frames", code="SYNTH_DECODE_FAILED"
        )
    return decoded
