"""SSD anchors of the two BlazeFace variants.

MediaPipe's SsdAnchorsCalculator with ``fixed_anchor_size``: every anchor is a cell centre of a
feature map, with width = height = 1, so only the centres matter. Consecutive layers sharing a
stride are merged into one grid with their anchors stacked per cell (2 per layer when the
interpolated-scale anchor is on, 1 when it is off).

- short range, 128 px input: strides 8, 16, 16, 16 → 16x16x2 + 8x8x6 = 896 anchors;
- full range, 192 px input: stride 4, one anchor per cell → 48x48 = 2304 anchors.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np


@dataclass(frozen=True)
class AnchorConfig:
    """The parts of MediaPipe's SsdAnchorsCalculatorOptions that decide anchor centres."""

    input_size: int
    strides: tuple[int, ...]
    anchors_per_layer: int  # 2 with interpolated_scale_aspect_ratio == 1.0, else 1
    offset: float = 0.5


SHORT_RANGE = AnchorConfig(input_size=128, strides=(8, 16, 16, 16), anchors_per_layer=2)
FULL_RANGE = AnchorConfig(input_size=192, strides=(4,), anchors_per_layer=1)


@lru_cache(maxsize=8)
def ssd_anchors(config: AnchorConfig) -> np.ndarray:
    """Anchor centres (A, 2) as (x, y) in [0, 1] of the model input, in output order.

    >>> ssd_anchors(SHORT_RANGE).shape, ssd_anchors(FULL_RANGE).shape
    ((896, 2), (2304, 2))
    """
    centres: list[np.ndarray] = []
    layer = 0
    while layer < len(config.strides):
        stride = config.strides[layer]
        repeats = 0
        while layer < len(config.strides) and config.strides[layer] == stride:
            repeats += config.anchors_per_layer
            layer += 1
        cells = int(np.ceil(config.input_size / stride))
        grid = (np.arange(cells, dtype=np.float32) + config.offset) / cells
        ys, xs = np.meshgrid(grid, grid, indexing="ij")  # row-major: y outer, x inner
        cell_centres = np.stack([xs.ravel(), ys.ravel()], axis=1)
        centres.append(np.repeat(cell_centres, repeats, axis=0))
    anchors = np.concatenate(centres, axis=0).astype(np.float32)
    anchors.setflags(write=False)
    return anchors
