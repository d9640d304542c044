"""Phone-video rotation: turn decoded frames upright from the container's display matrix.

Phones record in sensor orientation and store how to display the video as a display
matrix (mp4/mov ``tkhd`` matrix, Matroska projection), which FFmpeg attaches to every
decoded frame as ``DISPLAYMATRIX`` side data. The matrix is 3x3 in 16.16 fixed point and
maps a source pixel (x, y) to the displayed (x * a + y * c, x * b + y * d), y pointing down.
Only quarter turns and mirrors are applied; any other angle is rounded to a quarter turn.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from av import VideoFrame
from av.sidedata.sidedata import Type as SideDataType

_MATRIX_BYTES = 9 * 4


@dataclass(frozen=True)
class DisplayTransform:
    """A quarter-turn rotation with mirrors, applied as transpose, then flips.

    ``transpose`` swaps rows and columns; ``flip_rows`` flips top/bottom and ``flip_cols``
    left/right, both after the transpose.
    """

    transpose: bool = False
    flip_rows: bool = False
    flip_cols: bool = False

    @property
    def is_identity(self) -> bool:
        return not (self.transpose or self.flip_rows or self.flip_cols)

    def apply(self, image: np.ndarray) -> np.ndarray:
        """Apply to an (H, W, C) array; returns a contiguous array."""
        if self.is_identity:
            return image
        out = image.transpose(1, 0, 2) if self.transpose else image
        if self.flip_rows:
            out = out[::-1]
        if self.flip_cols:
            out = out[:, ::-1]
        return np.ascontiguousarray(out)


IDENTITY = DisplayTransform()


def transform_from_matrix(matrix: np.ndarray) -> DisplayTransform:
    """The transform a display matrix (9 int32 values, row-major) describes.

    Examples
    --------
    A matrix rotating 90° clockwise on display (what FFmpeg calls ``rotate=90``):

    >>> m = np.array([0, 1 << 16, 0, -(1 << 16), 0, 0, 0, 0, 1 << 30], dtype=np.int32)
    >>> transform_from_matrix(m)
    DisplayTransform(transpose=True, flip_rows=False, flip_cols=True)
    """
    a, b, c, d = (float(v) for v in (matrix[0], matrix[1], matrix[3], matrix[4]))
    if abs(a) + abs(d) >= abs(b) + abs(c):
        # displayed x follows source x, displayed y follows source y: mirrors only
        return DisplayTransform(transpose=False, flip_rows=d < 0, flip_cols=a < 0)
    # displayed x follows source y (via c) and displayed y follows source x (via b)
    return DisplayTransform(transpose=True, flip_rows=b < 0, flip_cols=c < 0)


def transform_from_degrees(clockwise_degrees: float) -> DisplayTransform:
    """The transform of a legacy ``rotate`` tag (display rotation, clockwise degrees).

    Examples
    --------
    >>> transform_from_degrees(180)
    DisplayTransform(transpose=False, flip_rows=True, flip_cols=True)
    """
    quarter_turns = round(clockwise_degrees / 90.0) % 4
    return (
        IDENTITY,
        DisplayTransform(transpose=True, flip_cols=True),
        DisplayTransform(flip_rows=True, flip_cols=True),
        DisplayTransform(transpose=True, flip_rows=True),
    )[quarter_turns]


def frame_transform(frame: VideoFrame, rotate_tag: str | None = None) -> DisplayTransform:
    """The transform that makes ``frame`` upright.

    Uses the frame's display-matrix side data; falls back to the stream's legacy ``rotate``
    metadata tag (``rotate_tag``), which FFmpeg builds before 6.0 exposed instead.
    """
    side_data = frame.side_data.get(SideDataType.DISPLAYMATRIX)
    if side_data is not None and side_data.buffer_size >= _MATRIX_BYTES:
        matrix = np.frombuffer(bytes(side_data), dtype=np.int32, count=9)
        return transform_from_matrix(matrix)
    if rotate_tag:
        try:
            return transform_from_degrees(float(rotate_tag))
        except ValueError:
            return IDENTITY  # a non-numeric tag carries no rotation we could trust
    return IDENTITY
