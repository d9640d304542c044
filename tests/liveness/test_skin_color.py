"""Skin chroma dynamics: a pulsing skin tone must read as more variation than a still
texture, and brightness changes alone must not."""

from __future__ import annotations

import doctest

import numpy as np

from liveness import skin_color
from liveness.skin_color import SKIN_COLOR_NAMES, SKIN_REGIONS, region_colors, skin_color_features
from liveness.types import FaceTrack

SKIN = np.array([180.0, 130.0, 110.0])
# The direction blood volume moves skin colour in (green absorbed most), per unit pulse.
PULSE_DIRECTION = np.array([0.3, -1.0, -0.2])


def _face_landmarks(n: int) -> np.ndarray:
    """A landmark cloud whose bounding box is the face square (60, 40)-(180, 200)."""
    corners = np.array([[60, 40, 0], [180, 40, 0], [180, 200, 0], [60, 200, 0]], np.float64)
    return np.tile(corners[None], (n, 117, 1))


def _track(n: int) -> FaceTrack:
    return FaceTrack(
        frame_indices=np.arange(n),
        boxes=np.tile(np.array([60.0, 40.0, 180.0, 200.0]), (n, 1)),
        landmarks=_face_landmarks(n),
        scores=np.ones(n),
    )


def _frames(colors: np.ndarray, *, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    frames = []
    for color in colors:
        image = np.full((240, 240, 3), 40.0)
        image[40:200, 60:180] = color
        frames.append((image + rng.normal(0, 2.0, image.shape)).clip(0, 255).astype(np.uint8))
    return frames


def _clip(pulse_amplitude: float, brightness_swing: float = 0.0, n: int = 32) -> list[np.ndarray]:
    t = np.arange(n) / 8.0  # ~8 sampled frames per second, as the runtime samples
    pulse = np.sin(2 * np.pi * 1.2 * t)  # 72 beats per minute
    gain = 1.0 + brightness_swing * np.sin(2 * np.pi * 0.3 * t)
    colors = (SKIN[None] + pulse_amplitude * pulse[:, None] * PULSE_DIRECTION[None]) * gain[:, None]
    return _frames(colors)


def _value(frames: list[np.ndarray]) -> float:
    values = skin_color_features(frames, _track(len(frames)))
    assert values.shape == (len(SKIN_COLOR_NAMES),) and values.dtype == np.float32
    return float(values[0])


def test_doctests_pass() -> None:
    assert doctest.testmod(skin_color).failed == 0


def test_pulsing_skin_varies_more_than_a_still_texture() -> None:
    live, still = _value(_clip(2.0)), _value(_clip(0.0))
    assert live > still + 1.0  # log scale: several times the variation


def test_a_brightness_change_alone_is_cancelled() -> None:
    # An exposure swing of ±10 % without any colour change stays near the still texture,
    # far below a pulse of a few grey levels.
    still, exposure, live = _value(_clip(0.0)), _value(_clip(0.0, 0.1)), _value(_clip(2.0))
    assert exposure < still + 0.5
    assert exposure < live - 1.0


def test_regions_lie_on_the_skin_of_the_face_box() -> None:
    image = np.zeros((240, 240, 3), np.uint8)
    image[40:200, 60:180] = (200, 150, 120)
    colors = region_colors(image, _face_landmarks(1)[0])
    assert colors.shape == (len(SKIN_REGIONS), 3)
    assert np.allclose(colors, [200, 150, 120])


def test_too_few_frames_or_a_face_off_the_frame_is_nan() -> None:
    assert np.isnan(skin_color_features(_clip(2.0, n=2), _track(2))).all()
    off_frame = _track(8)
    off_frame.landmarks[:, :, :2] += 1000.0  # the whole face box lies outside a 240 px frame
    assert np.isnan(skin_color_features(_clip(2.0, n=8), off_frame)).all()
