"""The ghost-image check on fixture cards: a pale copy of the portrait matches it, a pale copy
of another photo matches less, and a card without a ghost has none."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from liveness.documents.ghost import (
    COMPARE_SIDE,
    FacePresence,
    find_ghost,
    normalize_sigma,
    registered_similarity,
    stretched,
)
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
        ghost = find_ghost(page, face, presence, detection=presence.detection)
        assert ghost is not None, name
        found[name] = ghost
    same, other = found["same"], found["other"]
    assert same.similarity > 0.7
    assert other.similarity < same.similarity - 0.3
    # the ghost was found where it is printed (the page is the card, resized)
    x0, y0, x1, y1 = same.box
    sx, sy = 896 / 856, 576 / 540
    cx, cy = (x0 + x1) / 2 / sx, (y0 + y1) / 2 / sy
    assert GHOST_SLOT[0] < cx < GHOST_SLOT[2] and GHOST_SLOT[1] < cy < GHOST_SLOT[3]


def test_a_card_without_a_ghost_has_none(presence: FacePresence) -> None:
    page = _page(card_with_portrait(), tilted=True)
    face = locate_portrait(page)
    assert face is not None
    assert find_ghost(page, face, presence, detection=presence.detection) is None


def test_a_copy_that_is_not_a_face_is_not_a_ghost() -> None:
    page = _page(card_with_ghost(), tilted=False)
    face = locate_portrait(page)
    assert face is not None
    assert find_ghost(page, face, lambda image, box: 0.0) is None


def test_a_face_matches_itself_and_a_flat_patch_matches_nothing() -> None:
    page = _page(card_with_portrait(), tilted=False)
    face = locate_portrait(page)
    assert face is not None
    # (not exactly 1: the portrait's region is normalized with a wider margin than the ghost)
    assert registered_similarity(page, face.box, face.box) == pytest.approx(1.0, abs=0.05)
    flat = np.full_like(page, 180)
    assert registered_similarity(flat, face.box, face.box) == -1.0


def test_the_normalization_never_resolves_finer_than_the_upload() -> None:
    # a ghost 200 page px wide from an upload as large: a twentieth of the comparison
    assert normalize_sigma(np.array([0.0, 0.0, 200.0, 160.0]), zoom=1.0) == pytest.approx(COMPARE_SIDE / 20)
    # the same ghost from an upload the page enlarged 4x (50 px wide there): 3 upload pixels
    assert normalize_sigma(np.array([0.0, 0.0, 200.0, 160.0]), zoom=4.0) == pytest.approx(3 * 4 * COMPARE_SIDE / 200)


def test_a_pale_candidate_is_stretched_to_full_contrast_around_it_only() -> None:
    page = np.full((100, 200, 3), 200, np.uint8)
    page[40:60, 90:110] = np.linspace(180, 230, 20, dtype=np.uint8)[None, :, None]
    out = stretched(page, np.array([90.0, 40.0, 110.0, 60.0]))
    box = out[40:60, 90:110]
    assert box.min() <= 5 and box.max() >= 250
    assert np.array_equal(out[:, :60], page[:, :60])  # beyond a box's size around it: untouched
    flat = np.full((50, 50, 3), 128, np.uint8)
    assert np.array_equal(stretched(flat, np.array([10.0, 10.0, 20.0, 20.0])), flat)


def test_a_candidate_the_second_detector_does_not_see_as_a_face_is_not_a_ghost(presence: FacePresence) -> None:
    page = _page(card_with_ghost(), tilted=False)
    face = locate_portrait(page)
    assert face is not None
    assert find_ghost(page, face, lambda image, box: 1.0, detection=lambda image, box: 0.0) is None
    assert find_ghost(page, face, lambda image, box: 1.0, detection=lambda image, box: 1.0) is not None
    # BlazeFace sees the portrait as a face, and nothing on a blank patch
    assert presence.detection(page, face.box) > 0.5
    blank = np.full_like(page, 200)
    assert presence.detection(blank, face.box) == 0.0


def test_a_proposed_face_outside_the_photo_is_asked_when_no_copy_is_a_face() -> None:
    page = _page(card_with_ghost(), tilted=False)
    face = locate_portrait(page)
    assert face is not None
    proposal = np.array([20.0, 500.0, 60.0, 540.0])  # bottom-left corner: no copy is tried there
    inside = np.asarray(face.box, np.float64)  # the portrait itself: never its own ghost
    asked: list[np.ndarray] = []

    def presence(image: np.ndarray, box: np.ndarray) -> float:
        asked.append(np.asarray(box, np.float64))
        return 1.0 if np.allclose(box, proposal) else 0.0

    ghost = find_ghost(page, face, presence, proposals=lambda p: [inside, proposal])
    assert ghost is not None and np.allclose(ghost.box, proposal)
    assert not any(np.allclose(box, inside) for box in asked)
    assert find_ghost(page, face, lambda image, box: 0.0, proposals=lambda p: [proposal]) is None

    def no_proposals(p: np.ndarray) -> list[np.ndarray]:
        raise AssertionError("the detector ran although a copy of the portrait was a face")

    assert find_ghost(page, face, lambda image, box: 1.0, proposals=no_proposals) is not None


def test_blazeface_proposes_the_pale_ghost(presence: FacePresence) -> None:
    page = _page(card_with_ghost(), tilted=False)
    sx, sy = 896 / 856, 576 / 540
    centres = [((b[0] + b[2]) / 2 / sx, (b[1] + b[3]) / 2 / sy) for b in presence.faces(page)]
    assert any(GHOST_SLOT[0] < cx < GHOST_SLOT[2] and GHOST_SLOT[1] < cy < GHOST_SLOT[3] for cx, cy in centres)
    assert presence.faces(np.full_like(page, 200)) == []
