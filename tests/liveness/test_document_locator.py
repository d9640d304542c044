"""The document locator: quads fitted to a region map, the map choosing among edge quads, the
shipped network on scenes the tests draw themselves."""

from __future__ import annotations

import doctest

import cv2
import numpy as np
import pytest

from liveness.documents import locator, quad
from liveness.documents.intake import find_document_quad
from liveness.documents.locator import LOCATOR_SIDE, document_probability, quad_from_probability
from liveness.documents.quad import quad_from_region, search_quads
from tests.document_fixtures import NEWSPRINT_CARD, TILTED, make_card, make_scene, newsprint_scene


def _iou(first: np.ndarray, second: np.ndarray, shape: tuple[int, int]) -> float:
    masks = []
    for corners in (first, second):
        mask = np.zeros(shape, np.uint8)
        cv2.fillPoly(mask, [np.round(corners).astype(np.int32)], 1)
        masks.append(mask.astype(bool))
    return float((masks[0] & masks[1]).sum() / (masks[0] | masks[1]).sum())


def _coarse_map(corners: np.ndarray, shape: tuple[int, int], cells: int = 48) -> np.ndarray:
    """What the locator returns for a perfect answer: the quad's share of each of cells x cells."""
    height, width = shape
    fine = np.zeros((cells * 8, cells * 8), np.float32)
    scaled = corners * np.array([cells * 8 / width, cells * 8 / height], np.float32)
    cv2.fillPoly(fine, [np.round(scaled * 16).astype(np.int32)], 1.0, shift=4)
    return cv2.resize(fine, (cells, cells), interpolation=cv2.INTER_AREA)


@pytest.mark.parametrize("module", [locator, quad])
def test_doctests_pass(module: object) -> None:
    assert doctest.testmod(module).failed == 0


def test_region_of_a_tilted_quad_gives_its_corners() -> None:
    mask = np.zeros((480, 640), np.uint8)
    cv2.fillPoly(mask, [TILTED.astype(np.int32)], 1)
    corners, agreement = quad_from_region(mask.astype(bool))
    assert agreement > 0.97
    assert np.abs(corners - TILTED).max() <= 3.0


def test_region_cut_by_the_frame_is_completed_outside_it() -> None:
    # the card's top-right corner lies 60 px right of the frame; its four sides show in part
    true = np.array([[300, 150], [700, 170], [620, 420], [250, 400]], np.float32)
    mask = np.zeros((480, 640), np.uint8)
    cv2.fillPoly(mask, [true.astype(np.int32)], 1)
    corners, agreement = quad_from_region(mask.astype(bool))
    assert agreement > 0.95
    assert corners[1, 0] > 640
    assert np.abs(corners - true).max() <= 12.0


def test_small_or_empty_regions_give_nothing() -> None:
    assert quad_from_region(np.zeros((100, 100), bool)) is None
    tiny = np.zeros((100, 100), bool)
    tiny[10:13, 10:13] = True
    assert quad_from_region(tiny) is None


def test_coarse_map_is_fitted_within_a_cell() -> None:
    fitted = quad_from_probability(_coarse_map(TILTED, (480, 640)), (480, 640))
    assert fitted is not None and fitted.agreement > 0.95
    assert _iou(fitted.corners, TILTED, (480, 640)) > 0.95


def test_map_snaps_to_the_card_edges_on_newsprint() -> None:
    scene = newsprint_scene()
    coarse = _coarse_map(NEWSPRINT_CARD, scene.shape[:2])
    corners, score = search_quads(scene, region=coarse)
    # a card edge is sharper than a 48-cell map: the edge-supported quad is taken
    assert np.abs(corners - NEWSPRINT_CARD).max() <= 4.0
    assert score > 0.5


def test_map_that_is_not_one_quad_leaves_the_choice_to_the_edges() -> None:
    scene = make_scene(make_card(), TILTED)
    plain = search_quads(scene)
    ragged = np.zeros((48, 48), np.float32)
    ragged[5:20, 5:40] = 1.0
    ragged[20:44, 5:15] = 1.0  # an L: no quad agrees with it
    with_map = search_quads(scene, region=ragged)
    assert plain is not None and with_map is not None
    np.testing.assert_allclose(with_map[0], plain[0])


def test_map_filling_the_frame_is_left_to_the_plain_search() -> None:
    scene = make_scene(make_card(), TILTED)
    full = np.ones((48, 48), np.float32)
    assert np.allclose(search_quads(scene, region=full)[0], search_quads(scene)[0])


def test_shipped_locator_marks_the_card_and_not_the_desk() -> None:
    scene = make_scene(make_card(), TILTED)
    probability = document_probability(scene)
    assert probability is not None and probability.shape == (LOCATOR_SIDE // 4, LOCATOR_SIDE // 4)
    truth = _coarse_map(TILTED, scene.shape[:2]) > 0.5
    assert probability[truth].mean() > 0.8
    assert probability[~truth].mean() < 0.2


# a card turned a quarter (its top edge on the right) in a portrait 480x640 frame
TURNED = np.array([[370, 90], [390, 560], [110, 570], [95, 110]], dtype=np.float32)


@pytest.mark.parametrize(("scene_corners", "size"), [(TILTED, (640, 480)), (TURNED, (480, 640))])
def test_intake_finds_the_card_with_the_locator(scene_corners: np.ndarray, size: tuple[int, int]) -> None:
    scene = make_scene(make_card(), scene_corners, size)
    found = find_document_quad(scene)
    assert not found.fallback
    assert _iou(found.corners, scene_corners, scene.shape[:2]) > 0.9


def test_without_the_locator_model_the_edges_decide(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(locator, "_model", lambda: None)
    scene = make_scene(make_card(), TILTED)
    assert document_probability(scene) is None
    found = find_document_quad(scene)
    assert not found.fallback and _iou(found.corners, TILTED, scene.shape[:2]) > 0.9
