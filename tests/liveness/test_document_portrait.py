"""The ID portrait crop (liveness.documents.portrait) on pages the tests make themselves."""

from __future__ import annotations

import doctest

import cv2
import numpy as np
import pytest

from liveness.documents import portrait as portrait_module
from liveness.documents.intake import prepare_document
from liveness.documents.portrait import (
    PORTRAIT_PAGE_SIZE,
    crop_portrait,
    locate_portrait,
    portrait_page,
)
from liveness.types import FaceDetection
from tests.document_fixtures import TILTED, card_with_portrait, make_card, make_scene


def test_doctests_pass() -> None:
    assert doctest.testmod(portrait_module).failed == 0


def _face(box: tuple[float, float, float, float]) -> FaceDetection:
    return FaceDetection(box=np.array(box, np.float64), keypoints=np.zeros((6, 2)), score=0.9)


def test_crop_is_centred_on_the_face_at_twice_its_size() -> None:
    page = np.zeros((600, 900, 3), np.uint8)
    page[200:300, 400:500] = 255  # the "face": a white 100-px square
    crop = crop_portrait(page, _face((400, 200, 500, 300)), 100)
    # the square fills the middle half of the crop, whatever the path (shrinking here)
    bright = np.argwhere(crop[..., 0] > 127)
    assert bright.min(0) == pytest.approx([25, 25], abs=1.5)
    assert bright.max(0) == pytest.approx([74, 74], abs=1.5)


def test_shrinking_and_enlarging_crops_agree() -> None:
    """The area-averaged path (shrinking) places the face as the direct warp does."""
    rng = np.random.default_rng(0)
    page = cv2.GaussianBlur(rng.integers(0, 255, (600, 900, 3)).astype(np.uint8), (0, 0), 6)
    face = _face((380.5, 190.0, 520.5, 330.0))
    small = crop_portrait(page, face, 96).astype(np.float64)  # 280 px → 96: area path
    large = crop_portrait(page, face, 560).astype(np.float64)  # 280 px → 560: direct warp
    large_down = cv2.resize(large, (96, 96), interpolation=cv2.INTER_AREA)
    assert np.abs(small - large_down).mean() < 2.0


def test_crop_of_a_face_at_the_page_edge_keeps_its_size() -> None:
    page = np.full((300, 400, 3), 90, np.uint8)
    assert crop_portrait(page, _face((-20, -10, 60, 70)), 64).shape == (64, 64, 3)


def test_portrait_is_found_on_a_card_and_not_on_a_card_without_one() -> None:
    with_face = prepare_document(make_scene(card_with_portrait(), TILTED))
    assert with_face.image is not None and with_face.quad is not None
    page = portrait_page(with_face.image, with_face.quad.corners)
    assert page.shape == (PORTRAIT_PAGE_SIZE[1], PORTRAIT_PAGE_SIZE[0], 3)
    face = locate_portrait(page)
    assert face is not None
    # the fixture's portrait panel spans x 30..250, y 90..380 of an 856x540 card
    cx = (face.box[0] + face.box[2]) / 2 / PORTRAIT_PAGE_SIZE[0]
    cy = (face.box[1] + face.box[3]) / 2 / PORTRAIT_PAGE_SIZE[1]
    assert 30 / 856 < cx < 250 / 856 and 90 / 540 < cy < 380 / 540

    without = prepare_document(make_scene(make_card(), TILTED))
    assert without.image is not None and without.quad is not None
    assert locate_portrait(portrait_page(without.image, without.quad.corners)) is None


def test_turned_page_is_the_half_turn() -> None:
    image = make_scene(card_with_portrait(), TILTED)
    prepared = prepare_document(image)
    assert prepared.quad is not None
    upright = portrait_page(image, prepared.quad.corners)
    turned = portrait_page(image, prepared.quad.corners, turned_half=True)
    np.testing.assert_array_equal(turned, upright[::-1, ::-1])
