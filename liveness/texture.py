"""Native-resolution skin texture statistics of the tracked face (numpy + OpenCV only).

Talking-head generators render the face at 256–512 px through a decoder and paste or
upscale it into the frame, so the skin of their output lacks the fine sensor grain a camera
records and its power spectrum falls off differently (RESEARCH.md §4). The aligned model
crops are resized and lose exactly those bands, so these statistics are taken on the frame's
own pixels, inside the central part of the face box (no background, no hair edge).

Every statistic is scale-free (a ratio or a normalized variance) and log-compressed, so the
fusion sees comparable numbers for small and large faces.

Over a clip, how much the fine detail changes from frame to frame is a signal of its own
(``TEXTURE_DYNAMICS_NAMES``): a live face's sharpness moves with motion blur, focus,
expression and light, while a generator re-renders one texture at the same sharpness every
frame. Measured on the shared real clips (persons the CNNs never saw), the frame-to-frame
spread of the Laplacian energy is lower than live for six of seven generators (alone, AUC
0.52–0.97 per generator) and no different for Sonic (0.49); of the four statistics' spreads
it is the one a nested cross-validation chose in every fold.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import cv2
import numpy as np

from liveness.types import FaceTrack, evenly_spaced

TEXTURE_NAMES = ("face_laplacian_norm", "face_hf_high", "face_hf_mid", "face_median_residual")
TEXTURE_DYNAMICS_NAMES = ("face_laplacian_norm_std",)
MIN_DYNAMICS_FRAMES = 3
# Half-side of the skin patch as a fraction of the face box's shorter side: cheeks, nose,
# eyes and mouth, but not the face outline.
PATCH_HALF_SIDE = 0.3
MIN_PATCH_PIXELS = 100
MAX_PATCH_SIDE = 128
MAX_FRAMES = 8
_EPS = 1e-9


@lru_cache(maxsize=8)
def _spectral_masks(h: int, w: int) -> tuple[np.ndarray, ...]:
    """Hann window and the four radial band masks of an (h, w) patch (cached: one size per
    clip in practice)."""
    window = np.outer(np.hanning(h), np.hanning(w))
    yy, xx = np.mgrid[:h, :w]
    radius = np.hypot((yy - h / 2) / (h / 2), (xx - w / 2) / (w / 2))
    bands = [(radius >= lo) & (radius < hi) for lo, hi in ((0.5, 1.0), (0.125, 0.5), (0.25, 0.5), (0.0625, 0.25))]
    return (window, *bands)


def _band_energy_ratios(grey: np.ndarray) -> tuple[float, float]:
    """Spectral energy ratios of a Hann-windowed patch: (0.5–1 over 0.125–0.5 Nyquist,
    0.25–0.5 over 0.0625–0.25 Nyquist)."""
    window, high, mid_wide, mid, low = _spectral_masks(*grey.shape)
    power = np.abs(np.fft.fftshift(np.fft.fft2((grey - grey.mean()) * window))) ** 2
    return (
        float(power[high].sum()) / (float(power[mid_wide].sum()) + _EPS),
        float(power[mid].sum()) / (float(power[low].sum()) + _EPS),
    )


def skin_patch(image: np.ndarray, box: np.ndarray) -> np.ndarray | None:
    """The grey central square of a face box at native resolution, or None if too small."""
    x0, y0, x1, y1 = (float(v) for v in box)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    # Large faces are sampled at their centre only: the statistics are per pixel, and a
    # bounded patch keeps the FFT cheap on 1080p frames.
    half = min(PATCH_HALF_SIDE * min(x1 - x0, y1 - y0), MAX_PATCH_SIDE / 2)
    h, w = image.shape[:2]
    top, bottom = int(max(0, cy - half)), int(min(h, cy + half))
    left, right = int(max(0, cx - half)), int(min(w, cx + half))
    patch = image[top:bottom, left:right]
    if patch.size == 0 or patch.shape[0] * patch.shape[1] < MIN_PATCH_PIXELS:
        return None
    return cv2.cvtColor(np.ascontiguousarray(patch), cv2.COLOR_RGB2GRAY).astype(np.float32)


def laplacian_norm(grey: np.ndarray) -> float:
    """Laplacian energy over grey-level variance of a patch, log scale: fine detail per unit
    contrast."""
    laplacian = cv2.Laplacian(grey, cv2.CV_32F)
    return float(np.log(float(laplacian.var()) / (float(grey.var()) + 1e-6) + _EPS))


def patch_statistics(grey: np.ndarray) -> np.ndarray:
    """The ``TEXTURE_NAMES`` statistics of one grey patch (float64, log scale)."""
    high, mid = _band_energy_ratios(grey)
    median = cv2.medianBlur(np.clip(grey, 0, 255).astype(np.uint8), 3).astype(np.float32)
    return np.array(
        [
            laplacian_norm(grey),
            *np.log([high + 1e-12, mid + 1e-12, float(np.abs(grey - median).mean()) + 1e-6]),
        ]
    )


def skin_patches(images: list[np.ndarray], track: FaceTrack) -> list[np.ndarray | None]:
    """:func:`skin_patch` of every tracked frame, cut once for both feature sets below."""
    return [skin_patch(images[int(index)], track.boxes[k]) for k, index in enumerate(track.frame_indices)]


def texture_features(patches: Sequence[np.ndarray | None]) -> np.ndarray:
    """Mean patch statistics over up to ``MAX_FRAMES`` evenly spaced patches of
    :func:`skin_patches`, in ``TEXTURE_NAMES`` order (float32; zeros when no patch is large
    enough)."""
    chosen = (patches[k] for k in evenly_spaced(len(patches), MAX_FRAMES))
    stats = [patch_statistics(patch) for patch in chosen if patch is not None]
    if not stats:
        return np.zeros(len(TEXTURE_NAMES), np.float32)
    return np.nan_to_num(np.mean(stats, axis=0), nan=0.0, posinf=0.0, neginf=0.0).astype(np.float32)


def texture_dynamics(patches: Sequence[np.ndarray | None]) -> np.ndarray:
    """``TEXTURE_DYNAMICS_NAMES`` of one tracked clip: the spread over every patch of
    :func:`skin_patches` of its :func:`laplacian_norm` (float32; NaN with fewer than
    ``MIN_DYNAMICS_FRAMES`` usable patches)."""
    values = [laplacian_norm(patch) for patch in patches if patch is not None]
    finite = np.asarray(values, np.float64)
    finite = finite[np.isfinite(finite)]
    if len(finite) < MIN_DYNAMICS_FRAMES:
        return np.full(len(TEXTURE_DYNAMICS_NAMES), np.nan, np.float32)
    return np.array([finite.std()], np.float32)
