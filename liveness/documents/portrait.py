"""The ID portrait at high resolution, and the portrait-swap model that looks at it.

A swapped portrait is the forgery that matters most (an animated selfie needs an ID photo
of the same face), and on the 448-px page the forgery model sees, the photo is only about
100 px wide: too coarse for a blending edge or a face re-rendered at another sharpness. So
the page is rectified a second time at twice that size, the portrait is found on it with
full-range BlazeFace, and a square crop around the face (the face, the rest of the photo and
its edge on the card) goes to ``doc_portrait``, a small CNN trained on genuine portraits
against pasted photos and face swaps made before printing and after capture (including
self-blended faces, whose only cue is the blend itself).

The crop is made here for both the runtime and the training set, so the model sees the
same geometry in both. The same page serves the ghost-image check
(:mod:`liveness.documents.ghost`): whether the card's small pale copy of the portrait still
shows the same photo.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from liveness.documents.ghost import FacePresence, find_ghost
from liveness.documents.intake import find_faces, rectify_document
from liveness.models.manifest import LoadedModel, load_model
from liveness.types import FaceDetection

__all__ = [
    "PORTRAIT_MODEL",
    "PORTRAIT_PAGE_SIZE",
    "PortraitForgeryModel",
    "crop_portrait",
    "locate_portrait",
    "page_zoom",
    "portrait_page",
]

PORTRAIT_MODEL = "doc_portrait"
PORTRAIT_PAGE_SIZE = (896, 576)  # (width, height): twice the forgery model's page
PORTRAIT_CROP_SCALE = 2.0  # crop side / face box side: the photo and its edge on the card
PORTRAIT_MIN_SCORE = 0.5


def portrait_page(image: np.ndarray, corners: np.ndarray, *, turned_half: bool = False) -> np.ndarray:
    """The document of ``image`` at :data:`PORTRAIT_PAGE_SIZE`, turned as the intake turned it."""
    page = rectify_document(image, corners, size=PORTRAIT_PAGE_SIZE)
    return np.ascontiguousarray(page[::-1, ::-1]) if turned_half else page


def page_zoom(corners: np.ndarray) -> float:
    """Pixels of a :func:`portrait_page` per pixel of the upload inside ``corners`` (above 1
    when the page enlarges a small document)."""
    area = abs(float(cv2.contourArea(np.asarray(corners, np.float32).reshape(-1, 1, 2))))
    return float(np.sqrt(PORTRAIT_PAGE_SIZE[0] * PORTRAIT_PAGE_SIZE[1] / max(area, 1.0)))


def locate_portrait(page: np.ndarray) -> FaceDetection | None:
    """The largest confidently detected face of a rectified page, or None (most backs)."""
    faces = find_faces(page, "full", min_score=PORTRAIT_MIN_SCORE)
    if not faces:
        return None
    return max(faces, key=lambda f: float((f.box[2] - f.box[0]) * (f.box[3] - f.box[1])))


def _crop_square(face: FaceDetection) -> tuple[float, float, float]:
    """Centre (x, y) and side of the portrait crop: :data:`PORTRAIT_CROP_SCALE` times the face box."""
    x0, y0, x1, y1 = (float(v) for v in face.box)
    return (x0 + x1) / 2, (y0 + y1) / 2, PORTRAIT_CROP_SCALE * max(x1 - x0, y1 - y0)


def crop_portrait(page: np.ndarray, face: FaceDetection, size: int) -> np.ndarray:
    """A ``size``-px square of ``page`` centred on the face, :data:`PORTRAIT_CROP_SCALE` times
    its box; shrunk with area averaging so fine texture is not aliased.

    Examples
    --------
    >>> face = FaceDetection(box=np.array([40.0, 30.0, 80.0, 80.0]), keypoints=np.zeros((6, 2)), score=0.9)
    >>> crop_portrait(np.zeros((200, 300, 3), np.uint8), face, 64).shape
    (64, 64, 3)
    """
    cx, cy, side = _crop_square(face)
    scale = size / side
    matrix = np.array([[scale, 0, size / 2 - scale * cx], [0, scale, size / 2 - scale * cy]], np.float32)
    if scale < 1.0:
        # area-average the region first (warpAffine would alias), then place it exactly
        left, top = max(0, int(cx - side / 2) - 2), max(0, int(cy - side / 2) - 2)
        right, bottom = min(page.shape[1], int(cx + side / 2) + 3), min(page.shape[0], int(cy + side / 2) + 3)
        region = page[top:bottom, left:right]
        if region.size:
            small = cv2.resize(
                region,
                (max(1, round(region.shape[1] * scale)), max(1, round(region.shape[0] * scale))),
                interpolation=cv2.INTER_AREA,
            )
            sx, sy = small.shape[1] / region.shape[1], small.shape[0] / region.shape[0]
            # in the shrunk region, page point (x, y) sits at ((x - left) * sx, (y - top) * sy)
            matrix = np.array(
                [
                    [scale / sx, 0, size / 2 - scale * cx + scale * left],
                    [0, scale / sy, size / 2 - scale * cy + scale * top],
                ],
                np.float32,
            )
            return cv2.warpAffine(small, matrix, (size, size), flags=cv2.INTER_LINEAR,
                                  borderMode=cv2.BORDER_REPLICATE)
    return cv2.warpAffine(page, matrix, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


@dataclass(frozen=True)
class PortraitResult:
    """The portrait-swap log-odds of one document, where its crop lies on the page, and its
    ghost image's match (boxes as x, y, width, height in fractions of the page)."""

    logit: float
    box: tuple[float, float, float, float]
    ghost_similarity: float | None = None  # None: no ghost image found
    ghost_box: tuple[float, float, float, float] | None = None


# Manifest key of doc_portrait: its log-odds are averaged over the crop and its mirror image.
# A face's left and right are alike, a forgery's cues are not tied to one side, and the two
# views' errors partly cancel (validation AUC +0.005 to +0.02 per portrait forgery).
MIRROR_KEY = "mirror_average"


class PortraitForgeryModel:
    """The manifest's ``doc_portrait`` model: genuine vs swapped portrait on a crop, and (with
    ``ghost``) the ghost-image check on the same page."""

    def __init__(
        self,
        *,
        weights_dir: Path | None = None,
        device: str | None = None,
        threads: int | None = None,
        ghost: bool = True,
    ):
        self.model: LoadedModel = load_model(PORTRAIT_MODEL, weights_dir=weights_dir, device=device, threads=threads)
        # the ghost-image check runs only for a calibration that fuses it
        self.presence = FacePresence() if ghost else None

    @property
    def version(self) -> str:
        return self.model.version

    @property
    def crop_size(self) -> int:
        return int(self.model.spec.size[0])

    @property
    def mirrored(self) -> bool:
        """Whether the manifest's calibration was fitted on log-odds averaged with the mirror
        image's (:data:`MIRROR_KEY`); older entries score the crop alone."""
        return bool(self.model.entry.get(MIRROR_KEY, False))

    def logits(self, crops: np.ndarray) -> np.ndarray:
        """Swap log-odds, log P(swapped) / P(genuine), of (N, S, S, 3) RGB uint8 crops (the
        mean of each crop's and its mirror image's when the manifest says so)."""
        batch = np.concatenate([crops, crops[:, :, ::-1]]) if self.mirrored else crops
        out = self.model.run(self.model.spec.normalize(np.ascontiguousarray(batch)))[0].astype(np.float64)
        log_odds = out[:, 1] - out[:, 0]
        return (log_odds[: len(crops)] + log_odds[len(crops) :]) / 2 if self.mirrored else log_odds

    def assess(self, page: np.ndarray, *, zoom: float = 1.0) -> PortraitResult | None:
        """The portrait of a :func:`portrait_page`, scored, and its ghost image matched
        against it (``zoom``: :func:`page_zoom` of its corners); None when it has no face."""
        face = locate_portrait(page)
        if face is None:
            return None
        crop = crop_portrait(page, face, self.crop_size)
        cx, cy, side = _crop_square(face)
        half = side / 2
        ghost = None
        if self.presence is not None:
            ghost = find_ghost(
                page, face, self.presence, zoom=zoom, detection=self.presence.detection, proposals=self.presence.faces
            )
        return PortraitResult(
            float(self.logits(crop[None])[0]),
            page_fraction(page, (cx - half, cy - half, cx + half, cy + half)),
            ghost_similarity=None if ghost is None else ghost.similarity,
            ghost_box=None if ghost is None else page_fraction(page, ghost.box),
        )


def page_fraction(page: np.ndarray, box: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    """A pixel box (x0, y0, x1, y1) clipped to the page, as (x, y, width, height) fractions."""
    h, w = page.shape[:2]
    left, top = max(0.0, box[0]) / w, max(0.0, box[1]) / h
    right, bottom = min(float(w), box[2]) / w, min(float(h), box[3]) / h
    return left, top, right - left, bottom - top
