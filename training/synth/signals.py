"""Smooth random signals shared by the synthesizers (hand shake, head bob, blinks, speech)."""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter1d

FPS = 25.0


def smooth_series(rng: np.random.Generator, n: int, *, hz: float, dims: int = 1, fps: float = FPS) -> np.ndarray:
    """Low-pass Gaussian noise with unit standard deviation per dimension, shape (n, dims).

    ``hz`` is roughly the highest frequency kept (the Gaussian's -3 dB point).
    """
    sigma = max(fps / (2.0 * np.pi * hz) * 1.18, 0.5)
    pad = int(4 * sigma) + 1
    noise = rng.standard_normal((n + 2 * pad, dims))
    smooth = gaussian_filter1d(noise, sigma, axis=0, mode="wrap")[pad : pad + n]
    # Normalize by the theoretical std of the filtered process, not the sample's, so a short
    # series keeps its natural wander instead of being stretched to unit variance.
    taps = np.exp(-0.5 * (np.arange(-pad, pad + 1) / sigma) ** 2)
    taps /= taps.sum()
    return smooth / np.sqrt((taps**2).sum())


def blink_curve(
    rng: np.random.Generator,
    n: int,
    *,
    fps: float = FPS,
    first_within_s: float = 2.5,
    gap_s: tuple[float, float] = (1.5, 6.0),
) -> np.ndarray:
    """Eyelid closure per frame in [0, 1] with blinks of 0.1-0.4 s at random times.

    A blink closes fast (about a third of its duration), rests briefly and opens more slowly,
    the asymmetry of a real blink; peak closure is 0.85-1.
    """
    t = np.arange(n) / fps
    out = np.zeros(n)
    start = rng.uniform(0.15, first_within_s)
    while n and start <= t[-1]:
        duration = rng.uniform(0.1, 0.4)
        peak = rng.uniform(0.85, 1.0)
        close, hold = 0.32 * duration, 0.1 * duration
        u = t - start
        closing = np.clip(u / close, 0, 1)
        opening = np.clip((u - close - hold) / (duration - close - hold), 0, 1)
        shape = np.where(u < close + hold, np.sin(0.5 * np.pi * closing) ** 2, np.cos(0.5 * np.pi * opening) ** 2)
        shape[(u < 0) | (u > duration)] = 0.0
        out = np.maximum(out, peak * shape)
        start += duration + rng.uniform(*gap_s)
    return out


def speech_curve(rng: np.random.Generator, n: int, *, fps: float = FPS, talk_fraction: float = 0.6) -> np.ndarray:
    """Mouth opening per frame in [0, 1]: syllable-rate (3-6 Hz) openings in talking spells."""
    spells = smooth_series(rng, n, hz=0.4, fps=fps)[:, 0]
    threshold = np.quantile(spells, 1.0 - talk_fraction) if n > 1 else -np.inf
    envelope = gaussian_filter1d((spells > threshold).astype(float), 2.0, mode="nearest")
    rate = rng.uniform(3.0, 6.0)
    phase = 2 * np.pi * np.cumsum(rate * (1 + 0.25 * smooth_series(rng, n, hz=1.0, fps=fps)[:, 0])) / fps
    syllables = np.clip(0.5 - 0.5 * np.cos(phase), 0, 1) ** 1.5
    depth = np.clip(0.65 + 0.35 * smooth_series(rng, n, hz=2.0, fps=fps)[:, 0], 0.15, 1.0)
    return np.clip(envelope * syllables * depth, 0.0, 1.0)
