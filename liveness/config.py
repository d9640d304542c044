"""Runtime configuration as frozen dataclasses: defaults here, overrides from callers."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MediaLimits:
    """Limits enforced while reading an attempt's media (refused with ``MediaTooLargeError``)."""

    max_bytes: int = 50 * 1024 * 1024
    max_duration_s: float = 15.0
    max_decoded_frames: int = 15 * 60
    max_side_px: int = 4096
    max_pixels: int = 4096 * 4096
    max_images: int = 64


@dataclass(frozen=True)
class SamplingConfig:
    """Which decoded frames the pipeline analyses.

    Frames are taken every ``stride_s`` seconds (about 8 per second), up to ``max_frames``,
    so a clip's motion is seen over ~4 s without converting every decoded frame.
    """

    max_frames: int = 32
    target_fps: float = 8.0
