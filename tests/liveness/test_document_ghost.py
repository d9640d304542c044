"""The ghost-image check on fixture cards: a pale copy of the portrait matches it, a pale copy
of another photo matches less, and a card without a ghost has none."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from liveness.documents.ghost import FacePresence, find_ghost, registered_similarity
from liveness.documents.intake import prepare_document
from liveness.documents.portrait import locate_portrait, portrait_page
from tests.document_fixtures import GHOST_SLOT, TILTED, card_with_ghost, card_with_portrait, make_scene
from tests.face_fixtures import portrait


@pytest.fixture(scope="module")
def presence() -> FacePresence:
    return FacePresence()


def _page(card: np.ndarray, tilted: bool) -> np.ndarray:
    prepared = prepare_document(make_scene(card, TILTED) if tilted else card)
    assert prepared.image is not None and prepared.quad is not None
    turned = bool(prepared.quality.get("turned_half", 0.0))
    return portrait_page(prepared.image, prepared.quad.corners, turned_half=turned)


def _other_photo() -> np.ndarray:
    """Another photo of a face: the fixture portrait turned and zoomed."""
    image = portrait()
    matrix = cv2.getRotationMatrix2D((300, 300), 12, 1.1)
    return cv2.warpAffine(image, matrix, (image.shape[1], image.shape[0]))[40:560, 60:460]


@pytest.mark.parametrize("tilted", [False, True])
def test_the_ghost_of_the_same_photo_matches_and_another_photo_does_not(presence: FacePresence, tilted: bool) -> None:
    found = {}
    for name, card in (("same", card_with_ghost()), ("other", card_with_ghost(_other_photo()))):
        page = _page(card, tilted)
        face = locate_portrait(page)
        assert face is not None
        ghost = find_ghost(page, face, presence)
        assert ghost is not None, name
        found[name] = ghost
    same, other = found["same"], found["other"]
    assert same.similarity > 0.8
    assert other.similarity < same.similarity - 0.1
    # the ghost was found where it is printed (the page is the card, resized)
    x0, y0, x1, y1 = same.box
    sx, sy = 896 / 856, 576 / 540
    cx, cy = (x0 + x1) / 2 / sx, (y0 + y1) / 2 / sy
    assert GHOST_SLOT[0] < cx < GHOST_SLOT[2] and GHOST_SLOT[1] < cy < GHOST_SLOT[3]


def test_a_card_without_a_ghost_has_none(presence: FacePresence) -> None:
    page = _page(card_with_portrait(), tilted=True)
    face = locate_portrait(page)
    assert face is not None
    assert find_ghost(page, face, presence) is None


def test_a_copy_that_is_not_a_face_is_not_a_ghost() -> None:
    page = _page(card_with_ghost(), tilted=False)
    face = locate_portrait(page)
    assert face is not None
    assert find_ghost(page, face, lambda image, box: 0.0) is None


def test_a_face_matches_itself_and_a_flat_patch_matches_nothing() -> None:
    page = _page(card_with_portrait(), tilted=False)
    face = locate_portrait(page)
    assert face is not None
    assert registered_similarity(page, face.box, face.box) == pytest.approx(1.0, abs=0.02)
    flat = np.full_like(page, 180)
    assert registered_similarity(flat, face.box, face.box) == -1.0
