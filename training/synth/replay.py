"""Screen-replay attacks: a clip shown on a phone/monitor screen and filmed again.

Per clip: a display tone curve (gamma, lifted blacks, dimmed whites, colour temperature), a
screen seen at a perspective tilt (filling the frame, or smaller with a visible bezel and a
dim room around it), moiré from the screen's sub-pixel grid beating against the camera's
pixel grid, a soft specular glare, optional rolling refresh bands, defocus and sensor noise.
Per frame only smooth things change: hand shake of the screen corners, the glare drifting,
the moiré phase, the bands rolling.
"""

from __future__ import annotations

import cv2
import numpy as np

from training.synth._checks import check_frames, check_rng
from training.synth.capture import noise_bank
from training.synth.signals import smooth_series


def _display_lut(rng: np.random.Generator) -> np.ndarray:
    """Tone curve of a screen filmed by a camera: gamma, lifted blacks, dim whites, tint."""
    x = np.arange(256, dtype=np.float64)[:, None] / 255.0
    gamma = rng.uniform(0.75, 1.3)
    black, white = rng.uniform(0.03, 0.12), rng.uniform(0.8, 0.97)
    temperature = rng.uniform(-1.0, 1.0)  # < 0 warm, > 0 cool (most screens)
    tint = np.array([1.0 - 0.08 * temperature, 1.0, 1.0 + 0.08 * temperature])
    tint /= tint.max()
    y = black + (white - black) * x**gamma * tint
    return np.round(np.clip(y, 0, 1) * 255).astype(np.uint8).reshape(256, 1, 3)


def moire_mask(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    """(H, W, 3) float32 gain, mean 1 per channel: an RGB-stripe pixel grid as the camera samples it.

    The screen's sub-pixel stripes (pitch 1.1-3.5 camera pixels, slightly rotated) are drawn
    at 2-3x the camera resolution and area-averaged down, so the frequencies the camera cannot
    resolve alias into the low-frequency beats seen as moiré.
    """
    h, w = shape
    pitch = rng.uniform(1.1, 3.5)
    supersample = 3 if pitch < 1.8 else 2
    angle = np.deg2rad(rng.uniform(-8.0, 8.0))
    depth = rng.uniform(0.15, 0.5)
    gap = rng.uniform(0.2, 0.6)  # dark rows between pixel rows
    phase = rng.uniform(0.0, 2 * np.pi, 2)
    ys, xs = np.mgrid[0 : h * supersample, 0 : w * supersample].astype(np.float32) / supersample
    k = np.float32(2 * np.pi / pitch)
    u = (xs * np.float32(np.cos(angle)) + ys * np.float32(np.sin(angle))) * k + np.float32(phase[0])
    v = (ys * np.float32(np.cos(angle)) - xs * np.float32(np.sin(angle))) * k + np.float32(phase[1])
    rows = 1.0 - np.float32(gap) * (0.5 + 0.5 * np.cos(v)) ** 4
    cos_u, sin_u = np.cos(u), np.sin(u)
    channels = []
    for c in range(3):  # stripe c is the same wave shifted by a third of the pitch
        shift = 2 * np.pi * c / 3.0
        stripe = 0.5 + 0.5 * (cos_u * np.float32(np.cos(shift)) + sin_u * np.float32(np.sin(shift)))
        channels.append(cv2.resize(stripe * stripe * rows, (w, h), interpolation=cv2.INTER_AREA))
    small = np.stack(channels, axis=2)
    small /= small.reshape(-1, 3).mean(0)
    return (1.0 - depth + depth * small).astype(np.float32)


def _room(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    """A dim, smooth, random surround for the screen (desk, wall, hand)."""
    h, w = shape
    coarse = rng.uniform(10, 110, (4, 4, 3)).astype(np.float32)
    room = cv2.resize(coarse, (w, h), interpolation=cv2.INTER_CUBIC)
    room += rng.normal(0, 3, (h, w, 3)).astype(np.float32)
    return np.clip(room, 0, 255)


def replay_attack(frames: list[np.ndarray], *, rng: np.random.Generator | int) -> list[np.ndarray]:
    """Simulate filming ``frames`` off a screen.

    Parameters
    ----------
    frames : list of numpy.ndarray
        RGB uint8 frames (the content shown on the screen).
    rng : numpy.random.Generator or int
        All randomness (an int is a seed); parameters are fixed per clip, motion is smooth.

    Returns
    -------
    list of numpy.ndarray
        As many RGB uint8 frames of the input size.

    Examples
    --------
    >>> out = replay_attack([np.full((48, 64, 3), 120, np.uint8)] * 2, rng=0)
    >>> len(out), out[0].shape
    (2, (48, 64, 3))
    """
    checked = check_frames(frames)
    rng = check_rng(rng)
    n = len(checked)
    h, w = checked[0].shape[:2]
    size = float(min(h, w))
    lut = _display_lut(rng)
    masks = [moire_mask(rng, (h, w)) for _ in range(2)]
    moire_weights = np.abs(smooth_series(rng, n, hz=0.7, dims=2)) + 0.2
    moire_weights /= moire_weights.sum(1, keepdims=True)

    # Screen corners in the camera frame: either filling it or smaller inside a bezel.
    corners = np.array([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]], np.float64)
    center = corners.mean(0)
    bezel = rng.random() < 0.4
    zoom = rng.uniform(0.7, 0.92) if bezel else rng.uniform(1.08, 1.2)
    tilt = rng.uniform(-0.04, 0.04, (4, 2)) * size
    screen = center + zoom * (corners - center) + tilt + (rng.uniform(-0.05, 0.05, 2) * size if bezel else 0.0)
    shake = smooth_series(rng, n, hz=rng.uniform(0.5, 2.0), dims=8).reshape(n, 4, 2) * rng.uniform(0.003, 0.012)
    shake = shake * size
    bezel_width = rng.uniform(0.02, 0.06) * size
    bezel_color = rng.uniform(5, 40)
    room = _room(rng, (h, w)) if bezel else None

    glare_strength = rng.uniform(0.04, 0.3)
    glare_sigma = rng.uniform(0.15, 0.4) * size
    glare_path = np.array([w, h]) * rng.uniform(0.15, 0.85, 2) + smooth_series(rng, n, hz=0.4, dims=2) * 0.05 * size
    banding = rng.random() < 0.4
    band_amp, band_period, band_speed = rng.uniform(0.01, 0.04), rng.uniform(h / 6, h / 1.5), rng.uniform(0.02, 0.3)
    blur = rng.uniform(0.3, 1.0) if rng.random() < 0.7 else 0.0
    noise = noise_bank(rng, (h, w), min(n, 6), rng.uniform(1.0, 3.5))

    # Glare and refresh bands are smooth: draw them at 1/4 resolution and upsample.
    lh, lw = max(h // 4, 2), max(w // 4, 2)
    low_y = (np.arange(lh, dtype=np.float32)[:, None] + 0.5) * (h / lh)
    low_x = (np.arange(lw, dtype=np.float32)[None, :] + 0.5) * (w / lw)
    noise = noise.astype(np.float32)
    content_corners = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    out_frames = []
    for t, frame in enumerate(checked):
        shown = cv2.LUT(frame, lut)
        if blur > 0:
            shown = cv2.GaussianBlur(shown, (0, 0), blur)
        quad = (screen + shake[t]).astype(np.float32)
        homography = cv2.getPerspectiveTransform(content_corners, quad)
        image = cv2.warpPerspective(
            shown, homography, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
        ).astype(np.float32)
        gx, gy = glare_path[t]
        glare = glare_strength * np.exp(-((low_x - gx) ** 2 + (low_y - gy) ** 2) / (2 * glare_sigma**2))
        band = 1.0 + band_amp * np.sin(2 * np.pi * (low_y / band_period + band_speed * t)) if banding else 1.0
        # out = (image * moire * (1 - glare) + 250 * glare) * band, with the 1-channel parts small.
        gain = cv2.resize((1.0 - glare) * band, (w, h), interpolation=cv2.INTER_LINEAR)
        offset = cv2.resize(250.0 * glare * band, (w, h), interpolation=cv2.INTER_LINEAR)
        weights = moire_weights[t]
        moire = weights[0] * masks[0] + weights[1] * masks[1]
        image *= moire
        image *= gain[..., None]
        image += offset[..., None]
        if bezel and room is not None:
            # Inside the screen: content; a dark bezel band around it; the room beyond.
            inner = np.zeros((h, w), np.uint8)
            cv2.fillConvexPoly(inner, np.round(quad * 16).astype(np.int32), 255, cv2.LINE_AA, shift=4)
            outer_quad = quad.mean(0) + (quad - quad.mean(0)) * (1.0 + 2 * bezel_width / size)
            outer = np.zeros((h, w), np.uint8)
            cv2.fillConvexPoly(outer, np.round(outer_quad * 16).astype(np.int32), 255, cv2.LINE_AA, shift=4)
            a_in = (inner.astype(np.float32) / 255.0)[..., None]
            a_out = (outer.astype(np.float32) / 255.0)[..., None]
            surround = room + a_out * (bezel_color - room)
            image = surround + a_in * (image - surround)
        image += noise[t % len(noise)]
        out_frames.append(np.clip(image, 0, 255).astype(np.uint8))
    return out_frames
