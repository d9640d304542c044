"""Heatmap → regions and the report overlay of the document forgery model."""

from __future__ import annotations

import numpy as np
import pytest

from liveness.documents.forgery import heatmap_overlay, heatmap_regions


def test_regions_are_the_hot_cell_groups_strongest_first() -> None:
    heat = np.zeros((18, 28), np.float32)
    heat[2:6, 3:10] = 0.7  # a portrait-sized block
    heat[12, 20:24] = 0.95  # a text-line-sized strip
    heat[15, 1] = 0.4  # below the threshold
    regions = heatmap_regions(heat)
    assert len(regions) == 2
    strip, block = regions
    assert strip.score == pytest.approx(0.95)
    assert (strip.x, strip.y, strip.width, strip.height) == pytest.approx((20 / 28, 12 / 18, 4 / 28, 1 / 18))
    assert (block.x, block.y, block.width, block.height) == pytest.approx((3 / 28, 2 / 18, 7 / 28, 4 / 18))
    assert set(strip.to_dict()) == {"x", "y", "width", "height", "score"}


def test_a_cold_map_has_no_regions_and_a_hot_one_covers_the_page() -> None:
    assert heatmap_regions(np.full((18, 28), 0.1, np.float32)) == []
    [page] = heatmap_regions(np.full((18, 28), 0.9, np.float32))
    assert (page.x, page.y, page.width, page.height) == pytest.approx((0, 0, 1, 1))


def test_overlay_reddens_only_the_hot_area() -> None:
    document = np.full((288, 448, 3), 200, np.uint8)
    heat = np.zeros((18, 28), np.float32)
    heat[0:4, 0:4] = 1.0
    out = heatmap_overlay(document, heat)
    assert out.shape == document.shape and out.dtype == np.uint8
    assert out[20, 20, 0] > 200 and out[20, 20, 1] < 150  # inside: red
    np.testing.assert_array_equal(out[200, 300], document[200, 300])  # far outside: untouched
