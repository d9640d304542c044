"""Capture quality of the tracked face: size, brightness and sharpness, with limits.

Sharpness is the variance of the Laplacian of the inner face (the central 60% of the
landmarks' box: eyes, nose, mouth; no hair or background edges) resampled to a 64 px square,
so it measures blur relative to the face rather than to the camera's resolution. On the
research photos its median is ~180 (5th percentile ~35); a Gaussian blur of sigma ~3% of the
face side brings a sharp face under 10.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

SHARPNESS_SIDE = 64
SHARPNESS_INNER = 0.6


@dataclass(frozen=True)
class QualityLimits:
    """Below these the track gets the ``LOW_QUALITY`` reason (medians over tracked frames).

    ``min_face_px`` is the side of the landmarks' box (geometric mean of width and height);
    ``min_brightness`` the mean luma (0-255) inside it; ``min_sharpness`` the Laplacian
    variance of the inner face resampled to 64 px; ``min_detection_rate`` the share of frames in
    which the face was found.
    """

    min_face_px: float = 60.0
    min_brightness: float = 40.0
    min_sharpness: float = 10.0
    min_detection_rate: float = 0.5


def face_side_px(box: np.ndarray) -> float:
    """Geometric mean of a (x0, y0, x1, y1) box's width and height."""
    width, height = float(box[2] - box[0]), float(box[3] - box[1])
    return float(np.sqrt(max(width, 0.0) * max(height, 0.0)))


def face_patch_gray(image: np.ndarray, box: np.ndarray, *, keep: float = 1.0) -> np.ndarray | None:
    """Luma of the box's part of the frame (its central ``keep`` fraction of each side), or
    None when that misses the frame."""
    height, width = image.shape[:2]
    box = np.asarray(box, dtype=np.float64)
    centre, half = (box[:2] + box[2:]) / 2.0, (box[2:] - box[:2]) * keep / 2.0
    box = np.concatenate([centre - half, centre + half])
    x0, y0 = max(int(np.floor(box[0])), 0), max(int(np.floor(box[1])), 0)
    x1, y1 = min(int(np.ceil(box[2])), width), min(int(np.ceil(box[3])), height)
    if x1 - x0 < 2 or y1 - y0 < 2:
        return None
    return cv2.cvtColor(np.ascontiguousarray(image[y0:y1, x0:x1]), cv2.COLOR_RGB2GRAY)


def brightness(gray_patch: np.ndarray) -> float:
    """Mean luma (0-255)."""
    return float(gray_patch.mean())


def sharpness(gray_patch: np.ndarray) -> float:
    """Variance of the 4-neighbour Laplacian of the patch resampled to a 64 px square."""
    side = SHARPNESS_SIDE
    shrink = gray_patch.shape[0] > side or gray_patch.shape[1] > side
    interp = cv2.INTER_AREA if shrink else cv2.INTER_LINEAR
    patch = cv2.resize(gray_patch, (side, side), interpolation=interp)
    return float(cv2.Laplacian(patch, cv2.CV_64F, ksize=1).var())


def low_quality_causes(quality: dict[str, float], limits: QualityLimits) -> list[str]:
    """Names of the measures under their limits (empty when the capture is fine)."""
    checks = {
        "face_size_px": limits.min_face_px,
        "brightness": limits.min_brightness,
        "sharpness": limits.min_sharpness,
        "detection_rate": limits.min_detection_rate,
    }
    return [name for name, low in checks.items() if quality.get(name, np.inf) < low]
