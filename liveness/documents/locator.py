"""Document locator: where the document lies in a photo, from a small segmentation network.

The classical quad search (:mod:`liveness.documents.quad`) follows straight edges, and a
phone capture often has straighter edges than the document's: the newspaper page under a
card, the sheet a grey copy is printed on, a photo beside it. ``doc_locator``
(``weights/doc_locator.onnx``, trained on synthesized captures by
``training/documents/locator_train.py``) looks at the whole frame stretched to 192x192 and
returns, for each 4x4 cell, the probability that it lies on the document. Its outline then
says which of the edge-supported quads is the document, or gives the quad itself
(:func:`quad_from_probability`).

The map is coarse (a cell is 1/48 of the frame), so the quad fitted to it alone is a few
pixels off; the search snaps to an edge-supported quad where one agrees.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np

from liveness.documents.quad import quad_area, quad_from_map
from liveness.errors import LivenessError
from liveness.models.manifest import LoadedModel, load_model

__all__ = ["LOCATED_IOU", "LOCATOR_SIDE", "FittedQuad", "document_probability", "quad_from_probability"]

LOCATOR_SIDE = 192  # the network's square input: the whole frame, stretched
MODEL_NAME = "doc_locator"
#: A quad "locates" the document when it overlaps the true one with this IoU (the intake
#: benchmark's bar, and the locator's validation measure).
LOCATED_IOU = 0.8


@dataclass(frozen=True)
class FittedQuad:
    """A quad fitted to the locator's map: ``corners`` (4, 2) TL, TR, BR, BL in the frame's
    pixels (a corner may lie outside a frame that cuts the document); ``agreement`` the IoU,
    inside the frame, between the quad and the region the map marks as document."""

    corners: np.ndarray
    agreement: float


@lru_cache(maxsize=1)
def _model() -> LoadedModel | None:
    try:
        return load_model(MODEL_NAME, threads=1)
    except LivenessError:
        return None  # weights without a locator: the classical search works alone


def document_probability(image: np.ndarray) -> np.ndarray | None:
    """(48, 48) float32 probability that each cell of the (stretched) RGB ``uint8`` image is on
    the document; None when the locator model is not installed."""
    model = _model()
    if model is None:
        return None
    square = cv2.resize(image, (LOCATOR_SIDE, LOCATOR_SIDE), interpolation=cv2.INTER_AREA)
    logits = model.run(model.spec.normalize(square[None]))[0]
    return (1.0 / (1.0 + np.exp(-logits[0, 0].astype(np.float64)))).astype(np.float32)


def quad_from_probability(probability: np.ndarray, frame_hw: tuple[int, int]) -> FittedQuad | None:
    """The quad that best fits the document region of ``probability`` (any resolution, stretched
    over a frame of ``frame_hw`` = (height, width) pixels), or None when no region is large
    enough to be a document.

    >>> prob = np.zeros((48, 48), np.float32)
    >>> prob[12:36, 6:42] = 1.0
    >>> fitted = quad_from_probability(prob, (96, 96))
    >>> fitted.agreement > 0.95, np.round(fitted.corners[0]).tolist()
    (True, [12.0, 24.0])
    """
    fitted = quad_from_map(probability, frame_hw)
    if fitted is None:
        return None
    corners, agreement = fitted
    if quad_area(corners) <= 0:
        return None
    return FittedQuad(corners=corners, agreement=agreement)
