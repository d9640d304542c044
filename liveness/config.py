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

    def frame_stride(self, fps: float | None) -> int:
        """Keep every ``stride``-th decoded frame (25 fps → every 3rd, ~8.3 frames/s).

        >>> SamplingConfig().frame_stride(25.0)
        3
        >>> SamplingConfig().frame_stride(None)
        1
        """
        if not fps or fps <= 0:
            return 1
        return max(1, round(fps / self.target_fps))

    def select(self, n_frames: int, fps: float | None) -> list[int]:
        """Indices of the frames kept out of ``n_frames`` decoded ones.

        >>> SamplingConfig(max_frames=4).select(100, 25.0)
        [0, 3, 6, 9]
        """
        return list(range(0, n_frames, self.frame_stride(fps)))[: self.max_frames]
