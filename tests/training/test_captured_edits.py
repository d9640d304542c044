"""Portrait pastes, text edits and copy-moves made on the photo of a genuine card
(training.documents.captured_edits)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from liveness.errors import DocumentError
from tests.document_fixtures import make_template_pool
from training.documents import DocumentSynthesizer
from training.documents.captured_edits import CAPTURED_EDIT_SPECIES, pick_ink


@pytest.fixture(scope="module")
def synth(tmp_path_factory: pytest.TempPathFactory) -> DocumentSynthesizer:
    pool = make_template_pool(tmp_path_factory.mktemp("docpool"))
    return DocumentSynthesizer(pool["docs"], pool["faces"], pool["cache"])


def _warped_mask(sample_mask: np.ndarray, quad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    h, w = sample_mask.shape
    corners = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
    to_photo = cv2.getPerspectiveTransform(corners, quad.astype(np.float32))
    return cv2.warpPerspective(sample_mask.astype(np.float32), to_photo, (shape[1], shape[0])) > 0


@pytest.mark.parametrize("species", CAPTURED_EDIT_SPECIES)
def test_an_edit_after_capture_changes_only_the_edited_part_of_the_genuine_photo(
    synth: DocumentSynthesizer, species: str
) -> None:
    for seed in (21, 22):
        edited = synth.sample(seed, species, after_capture=True)
        genuine = synth.sample(seed, "none")
        assert edited.species == species and edited.mask.any() and edited.mask.shape == edited.document.shape[:2]
        np.testing.assert_array_equal(edited.quad, genuine.quad)  # the same photo of the same card
        changed = np.abs(edited.image.astype(np.int16) - genuine.image).max(axis=2) > 10
        inside = cv2.dilate(_warped_mask(edited.mask, edited.quad, edited.image.shape).astype(np.uint8),
                            np.ones((5, 5), np.uint8)) > 0
        assert changed[inside].mean() > 0.02  # the edit shows
        assert not changed[~inside].any()  # and the rest of the photo is untouched
        again = synth.sample(seed, species, after_capture=True)
        np.testing.assert_array_equal(again.image, edited.image)


def test_only_local_forgeries_are_made_after_capture(synth: DocumentSynthesizer) -> None:
    for species in ("none", "recapture", "photocopy"):
        with pytest.raises(DocumentError) as err:
            synth.sample(1, species, after_capture=True)
        assert err.value.code == "DOC_SYNTH_BAD_ARGUMENT"


def test_ink_is_picked_as_the_photo_shows_it() -> None:
    page = np.full((40, 120, 3), (230, 225, 210), np.uint8)
    cv2.putText(page, "AB12", (5, 30), cv2.FONT_HERSHEY_SIMPLEX, 1.0, (40, 40, 90), 2)
    page = cv2.GaussianBlur(page, (5, 5), 1.5)  # a soft photo: little of the box is full ink
    dark = pick_ink(page, (0, 0, 120, 40))
    assert dark is not None and max(dark) < 130 and dark[2] > dark[0]
    band = np.full((40, 120, 3), (30, 80, 40), np.uint8)
    cv2.putText(band, "AB12", (5, 30), cv2.FONT_HERSHEY_SIMPLEX, 1.0, (235, 235, 220), 2)
    light = pick_ink(cv2.GaussianBlur(band, (5, 5), 1.5), (0, 0, 120, 40))
    assert light is not None and min(light) > 150  # light text on a dark band
    assert pick_ink(page, (50, 50, 60, 60)) is None
