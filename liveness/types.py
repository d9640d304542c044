"""Typed values passed between the pipeline steps (media → frames → faces → scores)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

MediaKind = Literal["video", "frames", "image"]


@dataclass(frozen=True)
class Frames:
    """Decoded frames of one attempt.

    ``images`` is a list of RGB ``uint8`` arrays of shape (H, W, 3), upright (phone rotation
    already applied). ``timestamps`` are seconds from the start (``0.0`` for an image).
    ``n_decoded`` counts every frame the decoder produced, of which ``images`` is a sample.
    """

    images: list[np.ndarray]
    timestamps: np.ndarray
    kind: MediaKind
    source: str
    fps: float | None = None
    n_decoded: int = 0
    duration_s: float = 0.0

    def __len__(self) -> int:
        return len(self.images)


@dataclass(frozen=True)
class FaceDetection:
    """One face found by the detector, in pixel coordinates of its frame.

    ``box`` is (x0, y0, x1, y1); ``keypoints`` is (6, 2): right eye, left eye, nose tip,
    mouth centre, right ear tragion, left ear tragion (BlazeFace order, subject's right/left).
    """

    box: np.ndarray
    keypoints: np.ndarray
    score: float


@dataclass(frozen=True)
class FaceTrack:
    """The main face followed across the sampled frames.

    ``frame_indices`` index into ``Frames.images``; ``boxes`` (N, 4) and ``landmarks``
    (N, 468, 3) (FaceMesh, x/y in frame pixels, z relative) are aligned with them.
    ``reasons`` holds quality codes found while tracking (e.g. LOW_QUALITY, MULTIPLE_FACES).
    """

    frame_indices: np.ndarray
    boxes: np.ndarray
    landmarks: np.ndarray
    scores: np.ndarray
    max_faces_seen: int = 1
    reasons: tuple[str, ...] = ()
    quality: dict[str, float] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.frame_indices)


def evenly_spaced(n: int, k: int) -> np.ndarray:
    """``k`` indices spread over ``range(n)`` (all of them when n <= k).

    >>> evenly_spaced(10, 3).tolist()
    [0, 4, 9]
    """
    if n <= k:
        return np.arange(n)
    return np.round(np.linspace(0, n - 1, k)).astype(int)
