"""Print attacks: a photo printed on paper and held up to the camera.

Per clip the print is made once: a reduced gamut on warm paper, a halftone dot screen per ink
(as the camera half-resolves it), paper fibre texture, optional inkjet banding, an optional
white margin and an optional cylindrical bend with its shading. Per frame the rigid print
moves by a smooth hand-held homography, over a random surround or filling the frame, and
sensor noise changes.
"""

from __future__ import annotations

import cv2
import numpy as np

from liveness.errors import MediaError
from training.synth._checks import BAD_FRAMES, check_count, check_frames, check_image, check_rng
from training.synth.capture import add_noise, noise_bank
from training.synth.signals import smooth_series


def _halftone(rgb: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """CMY dot screens at 2x resolution, area-averaged back: float32 RGB in [0, 1]."""
    h, w = rgb.shape[:2]
    pitch = rng.uniform(2.5, 5.0)
    ss = 2
    ys, xs = np.mgrid[0 : h * ss, 0 : w * ss].astype(np.float32) / ss
    big = cv2.resize(rgb, (w * ss, h * ss), interpolation=cv2.INTER_LINEAR)
    out = np.empty_like(big)
    for c, angle in enumerate(np.deg2rad(np.array([15.0, 75.0, 0.0]) + rng.uniform(0, 90))):
        u = (xs * np.cos(angle) + ys * np.sin(angle)) * (2 * np.pi / pitch)
        v = (-xs * np.sin(angle) + ys * np.cos(angle)) * (2 * np.pi / pitch)
        screen = 0.5 + 0.25 * (np.cos(u) + np.cos(v))  # dot threshold in [0, 1]
        ink = 1.0 - big[..., c]
        out[..., c] = 1.0 - (ink > screen).astype(np.float32)
    return cv2.resize(out, (w, h), interpolation=cv2.INTER_AREA)


def _print_look(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The printed photo, as float32 RGB in [0, 1] at the input's resolution."""
    rgb = image.astype(np.float32) / 255.0
    grey = rgb.mean(2, keepdims=True)
    rgb = grey + rng.uniform(0.6, 0.9) * (rgb - grey)  # inks cover a smaller gamut
    rgb = 0.5 + rng.uniform(0.7, 0.9) * (rgb - 0.5)
    if rng.random() < 0.7:
        rgb = rgb + rng.uniform(0.3, 0.8) * (_halftone(np.clip(rgb, 0, 1), rng) - rgb)
    paper = np.array([1.0, rng.uniform(0.95, 1.0), rng.uniform(0.84, 0.97)], np.float32)
    black = rng.uniform(0.05, 0.15)
    rgb = (black + (1.0 - black) * np.clip(rgb, 0, 1)) * paper * rng.uniform(0.85, 0.97)
    h, w = rgb.shape[:2]
    fibres = cv2.GaussianBlur(rng.standard_normal((h, w), dtype=np.float32), (0, 0), 0.8) * 2.0
    fibres += cv2.GaussianBlur(rng.standard_normal((h, w), dtype=np.float32), (0, 0), 3.0) * 4.0
    rgb = rgb * (1.0 + rng.uniform(0.01, 0.03) * fibres)[..., None]
    if rng.random() < 0.3:  # inkjet head banding
        rows = np.arange(h, dtype=np.float32)[:, None, None]
        rgb = rgb * (1.0 + rng.uniform(0.01, 0.04) * np.sin(2 * np.pi * rows / rng.uniform(3.0, 12.0)))
    gradient = np.linspace(-1, 1, w, dtype=np.float32)[None, :] * rng.uniform(-0.08, 0.08)
    gradient = gradient + np.linspace(-1, 1, h, dtype=np.float32)[:, None] * rng.uniform(-0.08, 0.08)
    return np.clip(rgb * (1.0 + gradient)[..., None], 0, 1)


def _bend(rgba: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Curl the print around a vertical cylinder (foreshortening plus shading)."""
    h, w = rgba.shape[:2]
    radius = rng.uniform(0.6, 1.5) * w
    cx, cy = (w - 1) / 2.0, (h - 1) / 2.0
    focal = 2.5 * max(h, w)
    xs, ys = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    theta = np.arcsin(np.clip((xs - cx) / radius, -1.0, 1.0))
    src_x = cx + radius * theta
    sag = radius * (1.0 - np.cos(theta))  # the sides curl towards the camera
    scale = focal / (focal - sag * (1.0 if rng.random() < 0.5 else -1.0))
    src_y = cy + (ys - cy) / scale
    bent = cv2.remap(rgba, src_x, src_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    shade = 1.0 - rng.uniform(0.1, 0.35) * (1.0 - np.cos(theta))
    bent[..., :3] *= shade[..., None]
    return bent


def _surround(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    h, w = shape
    coarse = rng.uniform(20, 230, (3, 3, 1)) + rng.uniform(-25, 25, (3, 3, 3))  # muted: desk, wall, clothes
    coarse = coarse.astype(np.float32)
    field = cv2.resize(coarse, (w, h), interpolation=cv2.INTER_CUBIC)
    texture = cv2.GaussianBlur(rng.standard_normal((h, w), dtype=np.float32), (0, 0), 2.0) * 6.0
    return np.clip(field + texture[..., None], 0, 255)


def print_attack(
    image_or_frames: np.ndarray | list[np.ndarray],
    *,
    rng: np.random.Generator | int,
    n_frames: int = 100,
) -> list[np.ndarray]:
    """Simulate filming a printed photo held in front of the camera.

    Parameters
    ----------
    image_or_frames : numpy.ndarray or list of numpy.ndarray
        The photo (H, W, 3) RGB uint8, or a clip from which one random frame is printed.
    rng : numpy.random.Generator or int
        All randomness (an int is a seed).
    n_frames : int
        Output length.

    Returns
    -------
    list of numpy.ndarray
        ``n_frames`` RGB uint8 frames of the photo's size.

    Examples
    --------
    >>> out = print_attack(np.full((48, 64, 3), 150, np.uint8), rng=0, n_frames=2)
    >>> len(out), out[0].shape
    (2, (48, 64, 3))
    """
    rng = check_rng(rng)
    n = check_count(n_frames, name="n_frames")
    if isinstance(image_or_frames, np.ndarray) and image_or_frames.ndim == 3:
        photo = check_image(image_or_frames)
    elif isinstance(image_or_frames, list | tuple | np.ndarray):
        frames = check_frames(image_or_frames)
        photo = frames[int(rng.integers(len(frames)))]
    else:
        raise MediaError("image_or_frames must be an RGB uint8 image or a list of frames", code=BAD_FRAMES)
    h, w = photo.shape[:2]
    size = float(min(h, w))
    printed = _print_look(photo, rng)
    fill = rng.random() < 0.5
    if not fill and rng.random() < 0.6:  # white paper margin around the picture
        margin = round(rng.uniform(0.02, 0.08) * size)
        paper = np.clip(printed.reshape(-1, 3).max(0), 0.8, 1.0)
        printed = cv2.copyMakeBorder(printed, margin, margin, margin, margin, cv2.BORDER_CONSTANT, value=paper.tolist())
    ph, pw = printed.shape[:2]
    rgba = np.concatenate([printed * 255.0, np.full((ph, pw, 1), 255.0, np.float32)], axis=2)
    if rng.random() < 0.5:
        rgba = _bend(rgba, rng)
    blur = rng.uniform(0.3, 1.0)
    rgba = cv2.GaussianBlur(rgba, (0, 0), blur)

    corners = np.float32([[0, 0], [pw, 0], [pw, ph], [0, ph]])
    frame_center = np.array([w / 2.0, h / 2.0])
    scale = rng.uniform(1.05, 1.3) * max(w / pw, h / ph) if fill else rng.uniform(0.55, 0.9) * min(w / pw, h / ph)
    placed = (corners - [pw / 2.0, ph / 2.0]) * scale + frame_center
    if not fill:
        slack = np.array([w, h]) - (placed.max(0) - placed.min(0))
        placed += rng.uniform(-0.4, 0.4, 2) * np.maximum(slack, 0)
    placed += rng.uniform(-0.03, 0.03, (4, 2)) * size  # perspective
    moves = smooth_series(rng, n, hz=rng.uniform(0.4, 1.5), dims=4)
    shift_amp, roll_amp = rng.uniform(0.005, 0.03) * size, np.deg2rad(rng.uniform(0.3, 2.0))
    tilt = smooth_series(rng, n, hz=0.5, dims=8).reshape(n, 4, 2) * rng.uniform(0.002, 0.01) * size
    surround = _surround(rng, (h, w))  # shows past the print's edges (and where a bend curls away)
    light = 1.0 + rng.uniform(0.005, 0.02) * smooth_series(rng, n, hz=0.5)[:, 0]
    noise = noise_bank(rng, (h, w), min(n, 6), rng.uniform(1.0, 3.5))

    out = []
    for t in range(n):
        angle = roll_amp * moves[t, 2]
        rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
        center = placed.mean(0)
        quad = (placed - center) @ rot.T * (1.0 + 0.01 * moves[t, 3]) + center + shift_amp * moves[t, :2] + tilt[t]
        homography = cv2.getPerspectiveTransform(corners, quad.astype(np.float32))
        warped = cv2.warpPerspective(rgba, homography, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
        alpha = warped[..., 3:] / 255.0
        image = surround + alpha * (warped[..., :3] * light[t] - surround)
        out.append(add_noise(np.clip(image, 0, 255).astype(np.uint8), noise[t % len(noise)]))
    return out
