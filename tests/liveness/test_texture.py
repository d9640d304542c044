"""Native-resolution skin texture statistics: sharper skin must read as more fine detail."""

from __future__ import annotations

import doctest

import cv2
import numpy as np
import pytest

import liveness.inputs
import liveness.types
from liveness.texture import (
    TEXTURE_DYNAMICS_NAMES,
    TEXTURE_NAMES,
    patch_statistics,
    skin_patch,
    skin_patches,
    texture_dynamics,
    texture_features,
)
from liveness.types import FaceTrack


def _track(n: int, box: tuple[float, float, float, float]) -> FaceTrack:
    return FaceTrack(
        frame_indices=np.arange(n),
        boxes=np.tile(np.array(box, np.float64), (n, 1)),
        landmarks=np.zeros((n, 468, 3)),
        scores=np.ones(n),
    )


def _grain_frames(n: int, *, blur: bool) -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    frames = []
    for _ in range(n):
        image = rng.normal(128, 30, (240, 240, 3)).clip(0, 255).astype(np.uint8)
        if blur:
            # What a generator's 256 px face looks like once upscaled into the frame.
            image = cv2.resize(cv2.resize(image, (80, 80), interpolation=cv2.INTER_AREA), (240, 240))
        frames.append(image)
    return frames


def test_upscaled_skin_has_less_fine_detail_than_camera_grain() -> None:
    track = _track(4, (20, 20, 220, 220))
    sharp = dict(zip(TEXTURE_NAMES, texture_features(skin_patches(_grain_frames(4, blur=False), track)), strict=True))
    soft = dict(zip(TEXTURE_NAMES, texture_features(skin_patches(_grain_frames(4, blur=True), track)), strict=True))
    assert sharp["face_hf_high"] > soft["face_hf_high"] + 1.0
    assert sharp["face_laplacian_norm"] > soft["face_laplacian_norm"]
    assert sharp["face_median_residual"] > soft["face_median_residual"]


def test_statistics_do_not_depend_on_brightness_scale() -> None:
    patch = np.random.default_rng(1).normal(100, 20, (64, 64)).astype(np.float32)
    a, b = patch_statistics(patch), patch_statistics(patch * 1.5)
    # Ratios are scale-free; only the median residual (a level) moves, by log(1.5).
    np.testing.assert_allclose(a[:3], b[:3], atol=1e-3)


def test_a_face_too_small_for_a_patch_gives_zeros() -> None:
    frames = _grain_frames(2, blur=False)
    assert skin_patch(frames[0], np.array([100.0, 100.0, 110.0, 110.0])) is None
    features = texture_features(skin_patches(frames, _track(2, (100, 100, 110, 110))))
    assert features.shape == (len(TEXTURE_NAMES),) and not features.any()


def test_no_tracked_frames_gives_zeros() -> None:
    features = texture_features(skin_patches([], _track(0, (0, 0, 1, 1))))
    assert features.dtype == np.float32 and not features.any()


def test_detail_that_changes_between_frames_has_a_larger_spread() -> None:
    # A live face: motion blur and focus vary from frame to frame. A re-rendered still: the
    # same sharpness every frame (here, the same grain at one blur level).
    rng = np.random.default_rng(1)
    grain = rng.normal(128, 30, (240, 240, 3)).clip(0, 255).astype(np.uint8)
    varying = [cv2.GaussianBlur(grain, (0, 0), sigma) for sigma in (0.4, 1.5, 0.6, 2.0, 0.5, 1.2)]
    steady = [cv2.GaussianBlur(grain, (0, 0), 1.0) for _ in range(6)]
    track = _track(6, (20, 20, 220, 220))
    (live,), (still,) = texture_dynamics(skin_patches(varying, track)), texture_dynamics(skin_patches(steady, track))
    assert TEXTURE_DYNAMICS_NAMES == ("face_laplacian_norm_std",)
    assert still < 0.01 < 0.3 < live


def test_texture_dynamics_need_three_usable_frames() -> None:
    frames = _grain_frames(2, blur=False)
    assert np.isnan(texture_dynamics(skin_patches(frames, _track(2, (20, 20, 220, 220))))).all()
    tiny_face = _track(6, (100, 100, 104, 104))  # too few pixels for a patch in every frame
    assert np.isnan(texture_dynamics(skin_patches(_grain_frames(6, blur=False), tiny_face))).all()


@pytest.mark.parametrize("module", [liveness.types, liveness.inputs])
def test_docstring_examples_of_the_frame_pickers(module: object) -> None:
    result = doctest.testmod(module)  # type: ignore[arg-type]
    assert result.attempted > 0 and result.failed == 0
