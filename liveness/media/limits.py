"""Checks of :class:`~liveness.config.MediaLimits`, each raising ``MediaTooLargeError``.

Every check runs on a declared or counted value before the work it guards (reading,
allocating, decoding further), and its message names the limit and the value.
"""

from __future__ import annotations

from liveness.config import MediaLimits
from liveness.errors import MediaTooLargeError


def check_bytes(size: int, limits: MediaLimits, *, what: str) -> None:
    """Refuse ``size`` bytes over ``limits.max_bytes``."""
    if size > limits.max_bytes:
        raise MediaTooLargeError(
            f"{what} is {size} bytes, over the limit max_bytes={limits.max_bytes}"
        )


def check_resolution(width: int, height: int, limits: MediaLimits, *, what: str) -> None:
    """Refuse a (declared) frame size over ``max_side_px`` or ``max_pixels``."""
    if max(width, height) > limits.max_side_px:
        raise MediaTooLargeError(
            f"{what} is {width}x{height} px, over the limit max_side_px={limits.max_side_px}"
        )
    if width * height > limits.max_pixels:
        raise MediaTooLargeError(
            f"{what} is {width}x{height} = {width * height} px, "
            f"over the limit max_pixels={limits.max_pixels}"
        )


def check_duration(seconds: float, limits: MediaLimits, *, what: str) -> None:
    """Refuse a duration over ``max_duration_s``."""
    if seconds > limits.max_duration_s:
        raise MediaTooLargeError(
            f"{what} is {seconds:.2f} s, over the limit max_duration_s={limits.max_duration_s}"
        )


def check_frame_count(count: int, limits: MediaLimits, *, what: str) -> None:
    """Refuse more than ``max_decoded_frames`` video frames."""
    if count > limits.max_decoded_frames:
        raise MediaTooLargeError(
            f"{what} is {count} frames, over the limit "
            f"max_decoded_frames={limits.max_decoded_frames}"
        )


def check_image_count(count: int, limits: MediaLimits, *, what: str) -> None:
    """Refuse more than ``max_images`` frame images."""
    if count > limits.max_images:
        raise MediaTooLargeError(
            f"{what} holds {count} images, over the limit max_images={limits.max_images}"
        )
