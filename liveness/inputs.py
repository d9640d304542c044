"""Model inputs of one attempt: aligned crops for each model, motion and texture features.

Training builds its data with this same function, so what a model saw in training is what it
sees in production.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from liveness.faces import align_faces
from liveness.models.manifest import InputSpec
from liveness.motion import motion_features
from liveness.skin_color import SKIN_COLOR_NAMES, skin_color_features
from liveness.texture import TEXTURE_DYNAMICS_NAMES, skin_patches, texture_dynamics, texture_features
from liveness.types import FaceTrack, Frames, evenly_spaced

FRAME_CROPS_PER_ATTEMPT = 8
__all__ = ["FRAME_CROPS_PER_ATTEMPT", "ModelInputs", "build_inputs", "clip_windows", "evenly_spaced"]


@dataclass(frozen=True)
class ModelInputs:
    """``frame_crops`` (K, S, S, 3) for the per-frame model, ``clip_crops`` (N, s, s, 3) for the
    temporal model (every tracked frame, in order), ``motion`` (F,) hand features (empty for
    fewer than 3 frames, or when not asked for), ``texture`` (T,) native-resolution skin statistics,
    ``skin_color`` (C,) skin chroma dynamics and ``texture_dynamics`` (D,) the frame-to-frame spread
    of skin detail (both NaN for fewer than 3 frames); uint8 crops."""

    frame_crops: np.ndarray
    clip_crops: np.ndarray
    motion: np.ndarray
    texture: np.ndarray
    skin_color: np.ndarray
    texture_dynamics: np.ndarray


def build_inputs(
    frames: Frames, track: FaceTrack, *, frame_spec: InputSpec, clip_spec: InputSpec, motion: bool = True
) -> ModelInputs:
    """The crops, and the features of ``liveness.texture`` (statistics and, for 3+ frames,
    their spread), ``liveness.skin_color`` (3+ frames) and (``motion``) ``liveness.motion``."""
    tracked = [frames.images[int(i)] for i in track.frame_indices]
    pick = evenly_spaced(len(tracked), FRAME_CROPS_PER_ATTEMPT)
    frame_crops = align_faces(
        [tracked[i] for i in pick], track.landmarks[pick], size=frame_spec.size[0], scale=frame_spec.crop_scale
    )
    clip_crops = np.zeros((0, *clip_spec.size, 3), np.uint8)
    motion_values = np.zeros(0, np.float32)
    skin_color = np.full(len(SKIN_COLOR_NAMES), np.nan, np.float32)
    dynamics = np.full(len(TEXTURE_DYNAMICS_NAMES), np.nan, np.float32)
    patches = skin_patches(frames.images, track)
    if len(tracked) >= 3:
        skin_color = skin_color_features(frames.images, track)
        dynamics = texture_dynamics(patches)
        clip_crops = align_faces(tracked, track.landmarks, size=clip_spec.size[0], scale=clip_spec.crop_scale)
        if motion:
            motion_values = motion_features(frames.images, track, clip_crops)
    texture = texture_features(patches)
    return ModelInputs(
        frame_crops=frame_crops,
        clip_crops=clip_crops,
        motion=motion_values,
        texture=texture,
        skin_color=skin_color,
        texture_dynamics=dynamics,
    )


def clip_windows(n: int, length: int, *, max_windows: int = 2) -> list[np.ndarray]:
    """Index windows of ``length`` consecutive tracked frames for the temporal model.

    Short tracks are padded by repeating their last frame, so a 10-frame clip still scores.

    >>> [w.tolist() for w in clip_windows(3, 4)]
    [[0, 1, 2, 2]]
    >>> [w.tolist() for w in clip_windows(5, 4)]
    [[0, 1, 2, 3], [1, 2, 3, 4]]
    >>> [int(w[-1]) for w in clip_windows(40, 16)]
    [15, 39]
    """
    if n <= 0:
        return []
    if n <= length:
        idx = np.arange(length)
        return [np.minimum(idx, n - 1)]
    starts = np.round(np.linspace(0, n - length, min(max_windows, n // length + 1))).astype(int)
    return [np.arange(s, s + length) for s in np.unique(starts)]
