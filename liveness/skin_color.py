"""Skin chroma dynamics of the tracked face over a clip (numpy only).

Live skin changes colour from frame to frame in the direction blood volume moves it (the
pulse, rPPG), and with every small shift of light on a 3D face. A talking-head generator
re-renders one still texture: its skin keeps the portrait's colour, and only the geometry
moves. The plane-orthogonal-to-skin projection (POS; Wang et al., TBME 2017, RESEARCH.md
§1) keeps the colour changes that run along the pulse direction and cancels changes of
brightness alone, so head motion and exposure steps weigh less in it.

The clip is too short and too compressed for a heart rate (~4 s at ~8 frames/s), so the
statistic is only how much that projection varies: log of its standard deviation. Measured
on the shared real clips (persons the CNNs never saw), it is lower for every one of the eight
generators than for live video (AUC 0.62–0.97 per generator, 0.79 over all animated photos),
a signal that does not flip sign between generators as the motion features do.
"""

from __future__ import annotations

import numpy as np

from liveness.types import FaceTrack

SKIN_COLOR_NAMES = ("skin_chroma_log_std",)
# Skin regions as fractions of the landmark bounding box (x0, x1, y0, y1): the two cheeks
# under the eyes and the forehead band; no eyes, mouth, beard line or hair.
SKIN_REGIONS = ((0.15, 0.4, 0.45, 0.7), (0.6, 0.85, 0.45, 0.7), (0.3, 0.7, 0.05, 0.2))
MIN_FRAMES = 3
_EPS = 1e-9
# Added to the deviation before the log, so a perfectly constant colour reads log(1e-6).
DEVIATION_FLOOR = 1e-6


def region_colors(image: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
    """Mean RGB of each skin region of one frame, (len(SKIN_REGIONS), 3) float64; NaN rows for
    regions that fall outside the frame."""
    x0, y0 = landmarks[:, 0].min(), landmarks[:, 1].min()
    width, height = landmarks[:, 0].max() - x0, landmarks[:, 1].max() - y0
    colors = np.full((len(SKIN_REGIONS), 3), np.nan)
    for k, (fx0, fx1, fy0, fy1) in enumerate(SKIN_REGIONS):
        top, bottom = max(0, int(y0 + fy0 * height)), max(0, int(y0 + fy1 * height))
        left, right = max(0, int(x0 + fx0 * width)), max(0, int(x0 + fx1 * width))
        patch = image[top:bottom, left:right]
        if patch.size:
            colors[k] = patch.reshape(-1, 3).mean(axis=0)
    return colors


def pos_signal(rgb: np.ndarray) -> np.ndarray:
    """POS projection of a (T, 3) colour trace: two chroma axes orthogonal to the
    temporally normalized skin tone, mixed so that their shared intensity change cancels.

    >>> trace = np.tile([[120.0, 90.0, 80.0]], (5, 1)) * np.linspace(0.9, 1.1, 5)[:, None]
    >>> bool(np.allclose(pos_signal(trace), 0.0))  # a pure brightness change is cancelled
    True
    """
    normalized = rgb / (rgb.mean(axis=0) + _EPS)
    s1 = normalized[:, 1] - normalized[:, 2]
    s2 = -2.0 * normalized[:, 0] + normalized[:, 1] + normalized[:, 2]
    return s1 + (s1.std() / (s2.std() + _EPS)) * s2


def skin_color_features(images: list[np.ndarray], track: FaceTrack) -> np.ndarray:
    """``SKIN_COLOR_NAMES`` values of one tracked clip, (1,) float32; NaN for fewer than
    ``MIN_FRAMES`` tracked frames with every skin region inside the frame."""
    traces = [region_colors(images[int(i)], track.landmarks[k]) for k, i in enumerate(track.frame_indices)]
    usable = [t.mean(axis=0) for t in traces if not np.isnan(t).any()]
    if len(usable) < MIN_FRAMES:
        return np.full(len(SKIN_COLOR_NAMES), np.nan, np.float32)
    deviation = float(pos_signal(np.asarray(usable)).std())
    return np.array([np.log(deviation + DEVIATION_FLOOR)], np.float32)
