"""Does the ghost image show the same photo as the portrait?

Many ID cards and passports print the holder's photo twice: the portrait, and a small, pale
"ghost" copy of it elsewhere on the card. Both come from one photo, so once scaled and shifted
onto each other they match pixel for pixel, up to the ghost's fading. A forger who replaces the
portrait (a photo cut in from another card, a face swapped before printing or on the captured
image) very often leaves the ghost as it was, and then it shows a different face or the same
face in another photo.

The check knows no template: the ghost is searched for as a shrunken copy of the portrait
anywhere on the page outside the photo (normalized cross-correlation over a range of scales,
on a half-size page), or where BlazeFace finds a face when no copy is one; confirmed as a face
by FaceMesh's face presence (as printed, or with the candidate's contrast stretched: a ghost is
printed pale) and by BlazeFace; and then compared with the portrait at full size over a finer
grid of scales and shifts, both locally contrast-normalized. Its result is a
similarity in [-1, 1]; a side without a confirmed ghost gives None (most backs, and fronts
without one), and then the check has no say.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import cv2
import numpy as np

from liveness.documents.gates import Gate
from liveness.types import FaceDetection

if TYPE_CHECKING:
    from liveness.faces.detector import FaceDetector

__all__ = [
    "GHOST_CEILING_KEY",
    "FacePresence",
    "GhostGate",
    "GhostMatch",
    "find_ghost",
    "ghost_ceiling",
    "ghost_evidence",
    "normalize_sigma",
    "registered_similarity",
    "stretched",
]

Presence = Callable[[np.ndarray, np.ndarray], float]  # (image, box) -> face probability

# Ghost width over portrait width: ghosts run from a fifth to about two thirds of the portrait.
GHOST_SCALES = tuple(float(s) for s in np.geomspace(0.15, 0.7, 12))
GHOST_MIN_PRESENCE = 0.5  # FaceMesh face probability that makes a match a face
# A swapped portrait matches its ghost less well than some other spot may: the best few
# distinct places are asked in turn whether they hold a face.
GHOST_CANDIDATES = 5
GHOST_MIN_SIDE = 12  # px on the half-size page: smaller matches are texture, not faces
PHOTO_MARGIN = 0.8  # half-widths around the portrait's box that belong to its own photo
COMPARE_SIDE = 40  # px: the ghost's side in the full-size comparison
# Both sides of the comparison are contrast-normalized locally, at a twentieth of the ghost's
# side: the ghost is printed pale, washed out towards its border and under the security print,
# so raw grey levels mostly tell where a face is dark and where light, which any two faces
# share; normalized, the fine features of the one photo (eyes, mouth, hair line) weigh. On
# synthesized cards this took the AUC of genuine ghosts against swapped portraits from 0.80 to
# 0.95. A ghost only a few dozen pixels wide in the upload has no such detail (JPEG noise is
# all there is at that scale), so the scale never falls under SOURCE_DETAIL_PX of the upload.
NORMALIZE_SIDE_SHARE = 1 / 20
SOURCE_DETAIL_PX = 3.0
NORMALIZE_FLOOR = 2.0  # grey levels: a flat patch stays flat instead of amplifying noise
# BlazeFace's second opinion on a stretched candidate: its score, the region it sees (half-sides
# of the box around the box's centre) scaled to its input, and how much of the box it must cover.
DETECTION_MIN_SCORE = 0.5
DETECTION_CONTEXT = 1.6
DETECTION_INPUT = 256
DETECTION_MIN_OVERLAP = 0.3
STRETCH_PERCENTILES = (1.0, 99.0)  # the candidate's grey range stretched to full contrast for FaceMesh
# Faces proposed where no copy of the portrait is a face: BlazeFace on square tiles of this
# side (page pixels, overlapping by about half) scaled to its input, the page equalized first.
PROPOSAL_TILE = 288
PROPOSAL_INPUT = 128
PROPOSAL_MIN_SCORE = 0.4
PROPOSAL_CLAHE_CLIP = 3.0
COMPARE_PAD = 1.5  # the portrait region searched, relative to the ghost's box
COMPARE_SCALES = (0.85, 0.9, 0.95, 1.0, 1.05, 1.1, 1.15)


# A calibration's ``ghost_ceiling``: the similarity from which a ghost simply matches. How much
# better it matches says nothing, since a forger who prints a new photo in both places prints
# two identical copies (they match better than a genuine card's); a ghost that matches worse
# than genuine ones do is what tells a replaced portrait.
GHOST_CEILING_KEY = "ghost_ceiling"


def ghost_ceiling(calibration: dict[str, Any]) -> float | None:
    """The ``ghost_ceiling`` of a ``doc_forgery`` calibration; None for one fitted on the
    similarity as it is. Raises ValueError for one outside [-1, 1]."""
    value = calibration.get(GHOST_CEILING_KEY)
    if value is None:
        return None
    ceiling = float(value)
    if not -1.0 <= ceiling <= 1.0:
        raise ValueError(f"{GHOST_CEILING_KEY} must lie in [-1, 1], got {value!r}")
    return ceiling


def ghost_evidence(similarity: float, ceiling: float | None) -> float:
    """The similarity as the fusion takes it: no higher than ``ceiling``."""
    return similarity if ceiling is None else min(similarity, ceiling)


class GhostGate(Gate):
    """Probability that the portrait was replaced from its ghost's similarity alone (see
    :class:`~liveness.documents.gates.Gate`): the ghost evidence is about the portrait only,
    so in the all-species fusion a text edit's genuine ghost weighs against it."""

    key = "ghost_gate"


@dataclass(frozen=True)
class GhostMatch:
    """The ghost found on a page and how well it matches the portrait."""

    similarity: float  # best normalized cross-correlation, -1..1 (same photo: about 0.8 and up)
    box: tuple[float, float, float, float]  # (x0, y0, x1, y1) page pixels


def _grey(page: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(page, cv2.COLOR_RGB2GRAY).astype(np.float32)


def _square_crop(grey: np.ndarray, box: np.ndarray, side: int, scale: float) -> np.ndarray:
    """A ``side``-px square centred on ``box``, ``scale`` times its larger side."""
    x0, y0, x1, y1 = (float(v) for v in box)
    zoom = side / (scale * max(x1 - x0, y1 - y0))
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    matrix = np.array([[zoom, 0, side / 2 - zoom * cx], [0, zoom, side / 2 - zoom * cy]], np.float32)
    # bilinear at any zoom (warpAffine has no area mode: asking for one gives this anyway)
    return cv2.warpAffine(grey, matrix, (side, side), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def registered_similarity(
    page: np.ndarray, portrait_box: np.ndarray, ghost_box: np.ndarray, *, zoom: float = 1.0
) -> float:
    """The best normalized cross-correlation of the ghost against the portrait, both locally
    contrast-normalized, over small changes of scale and shift (two face boxes never frame a
    face exactly alike). ``zoom``: page pixels per pixel of the upload the page was
    rectified from (above 1 when the page enlarges it)."""
    return _registered(_grey(page), portrait_box, ghost_box, zoom)


def normalize_sigma(ghost_box: np.ndarray, zoom: float) -> float:
    """The contrast normalization's scale in comparison pixels: a twentieth of the ghost, or
    :data:`SOURCE_DETAIL_PX` pixels of the upload when that is more."""
    side = max(float(ghost_box[2] - ghost_box[0]), float(ghost_box[3] - ghost_box[1]), 1.0)
    return max(NORMALIZE_SIDE_SHARE * COMPARE_SIDE, SOURCE_DETAIL_PX * zoom * COMPARE_SIDE / side)


def _local_contrast(patch: np.ndarray, sigma: float) -> np.ndarray:
    """``patch`` less its local mean, over its local standard deviation."""
    detail = patch - cv2.GaussianBlur(patch, (0, 0), sigma)
    spread = np.sqrt(cv2.GaussianBlur(detail * detail, (0, 0), sigma))
    return detail / (spread + NORMALIZE_FLOOR)


def _registered(grey: np.ndarray, portrait_box: np.ndarray, ghost_box: np.ndarray, zoom: float) -> float:
    ghost = _square_crop(grey, ghost_box, COMPARE_SIDE, 1.0)
    if float(ghost.std()) < 1e-3:
        return -1.0  # a flat patch matches nothing
    sigma = normalize_sigma(ghost_box, zoom)
    ghost = _local_contrast(ghost, sigma)
    best = -1.0
    for scale in COMPARE_SCALES:
        side = round(COMPARE_SIDE * COMPARE_PAD * scale)
        region = _local_contrast(_square_crop(grey, portrait_box, side, COMPARE_PAD), sigma)
        response = np.nan_to_num(cv2.matchTemplate(region, ghost, cv2.TM_CCOEFF_NORMED), nan=-1.0)
        best = max(best, float(response.max()))
    return best


def _copies(half: np.ndarray, portrait_box: np.ndarray) -> list[tuple[float, np.ndarray]]:
    """Where a shrunken copy of the portrait matches best outside its photo, one place per
    scale, best first (no two overlapping): (correlation, box in full-size pixels)."""
    x0, y0, x1, y1 = (float(v) / 2 for v in portrait_box)
    width, height = x1 - x0, y1 - y0
    face = half[max(0, int(y0)) : int(np.ceil(y1)), max(0, int(x0)) : int(np.ceil(x1))]
    if face.size == 0 or float(face.std()) < 1e-3:
        return []
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    found: list[tuple[float, np.ndarray]] = []
    for scale in GHOST_SCALES:
        tw, th = round(width * scale), round(height * scale)
        if min(tw, th) < GHOST_MIN_SIDE or tw >= half.shape[1] or th >= half.shape[0]:
            continue
        template = cv2.resize(face, (tw, th), interpolation=cv2.INTER_AREA)
        response = np.nan_to_num(cv2.matchTemplate(half, template, cv2.TM_CCOEFF_NORMED), nan=-1.0)
        # a match whose centre lies in the portrait's own photo is the portrait itself
        left = max(0, int(cx - PHOTO_MARGIN * width - tw))
        right = max(0, int(np.ceil(cx + PHOTO_MARGIN * width)))
        top = max(0, int(cy - PHOTO_MARGIN * height - th))
        bottom = max(0, int(np.ceil(cy + PHOTO_MARGIN * height)))
        response[top:bottom, left:right] = -1.0
        y, x = np.unravel_index(int(np.argmax(response)), response.shape)
        found.append((float(response[y, x]), 2.0 * np.array([x, y, x + tw, y + th], np.float64)))
    found.sort(key=lambda item: -item[0])
    distinct: list[tuple[float, np.ndarray]] = []
    for score, box in found:
        if all(_overlap(box, kept) < 0.3 for _, kept in distinct):
            distinct.append((score, box))
    return distinct


def _overlap(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over the smaller box."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return float(w * h / smaller)


class FacePresence:
    """FaceMesh's face probability for a box of an image (the landmarker's shared session),
    and, as :meth:`detection`, short-range BlazeFace's."""

    def __init__(self) -> None:
        from liveness.faces.detector import FaceDetector
        from liveness.faces.landmarker import FaceLandmarker

        self._landmarker = FaceLandmarker()
        self._detector = FaceDetector(model_range="short", min_score=DETECTION_MIN_SCORE)
        self._proposer = FaceDetector(model_range="short", min_score=PROPOSAL_MIN_SCORE)

    def __call__(self, image: np.ndarray, box: np.ndarray) -> float:
        _, presence = self._landmarker.landmarks(image, box)
        return float(presence)

    def faces(self, page: np.ndarray) -> list[np.ndarray]:
        """Face boxes (x0, y0, x1, y1) BlazeFace finds on overlapping square tiles of a page,
        its grey levels equalized locally (CLAHE) so that a pale ghost shows: where to look
        for a ghost that is no copy of the portrait (the portrait was replaced)."""
        grey = cv2.cvtColor(page, cv2.COLOR_RGB2GRAY)
        equalized = cv2.createCLAHE(clipLimit=PROPOSAL_CLAHE_CLIP, tileGridSize=(8, 8)).apply(grey)
        image = np.repeat(equalized[..., None], 3, axis=2)
        h, w = grey.shape
        side = min(PROPOSAL_TILE, h, w)
        boxes = []
        for top in sorted({0, (h - side) // 2, h - side}):
            for left in np.linspace(0, w - side, max(1, round(2 * w / side) - 2)).astype(int):
                region = (int(left), top, int(left) + side, top + side)
                found = _detect_in(self._proposer, image, region, PROPOSAL_INPUT, cv2.INTER_AREA)
                boxes += [box for box, _ in found]
        return boxes

    def detection(self, image: np.ndarray, box: np.ndarray) -> float:
        """The best BlazeFace score of a face overlapping ``box`` (0 when none): the region
        around the box is enlarged so that the face fills the detector's input as a selfie
        would."""
        x0, y0, x1, y1 = (float(v) for v in box)
        cx, cy, half = (x0 + x1) / 2, (y0 + y1) / 2, DETECTION_CONTEXT * max(x1 - x0, y1 - y0)
        left, top = max(0, int(cx - half)), max(0, int(cy - half))
        right, bottom = min(image.shape[1], int(np.ceil(cx + half))), min(image.shape[0], int(np.ceil(cy + half)))
        if right - left < 2 or bottom - top < 2:
            return 0.0
        found = _detect_in(self._detector, image, (left, top, right, bottom), DETECTION_INPUT, cv2.INTER_LINEAR)
        target = np.asarray(box, np.float64)
        return max((score for face, score in found if _overlap(face, target) >= DETECTION_MIN_OVERLAP), default=0.0)


def _detect_in(
    detector: FaceDetector, image: np.ndarray, region: tuple[int, int, int, int], size: int, interpolation: int
) -> list[tuple[np.ndarray, float]]:
    """Faces ``detector`` finds in ``region`` (left, top, right, bottom) of ``image`` scaled to a
    ``size``-px square: (box in image pixels, score)."""
    left, top, right, bottom = region
    square = cv2.resize(image[top:bottom, left:right], (size, size), interpolation=interpolation)
    scale = np.array([(right - left) / size, (bottom - top) / size] * 2)
    offset = np.array([left, top, left, top], np.float64)
    return [(np.asarray(face.box, np.float64) * scale + offset, float(face.score))
            for face in detector.detect(np.ascontiguousarray(square))]


def _proposed(
    page: np.ndarray, portrait_box: np.ndarray, tried: list[np.ndarray],
    proposals: Callable[[np.ndarray], list[np.ndarray]],
) -> Iterator[np.ndarray]:
    """The proposed faces outside the portrait's photo and away from the copies tried; a
    generator, so that the detector runs only once every copy has failed."""
    for box in proposals(page):
        if _outside_photo(box, portrait_box) and all(_overlap(box, seen) < 0.3 for seen in tried):
            yield box


def _outside_photo(box: np.ndarray, portrait_box: np.ndarray) -> bool:
    """Whether ``box``'s centre lies outside the portrait's own photo (as :func:`_copies` has it)."""
    x0, y0, x1, y1 = (float(v) for v in portrait_box)
    cx, cy = (float(box[0]) + float(box[2])) / 2, (float(box[1]) + float(box[3])) / 2
    return abs(cx - (x0 + x1) / 2) > PHOTO_MARGIN * (x1 - x0) or abs(cy - (y0 + y1) / 2) > PHOTO_MARGIN * (y1 - y0)


def _is_face(page: np.ndarray, box: np.ndarray, presence: Presence, detection: Presence | None) -> bool:
    pale = stretched(page, box)
    if presence(page, box) < GHOST_MIN_PRESENCE and presence(pale, box) < GHOST_MIN_PRESENCE:
        return False
    return detection is None or detection(pale, box) >= DETECTION_MIN_SCORE


def stretched(page: np.ndarray, box: np.ndarray) -> np.ndarray:
    """``page`` with the neighbourhood of ``box`` (a box's size around it) stretched so that
    the box's grey range spans full contrast: FaceMesh sees many a pale ghost as the face it
    is (on synthesized cards of the training templates it confirmed 103 of 114 ghosts so, 84
    as printed; on the validation template some only as printed, so both are asked)."""
    h, w = page.shape[:2]
    x0, y0, x1, y1 = (float(v) for v in box)
    bw, bh = x1 - x0, y1 - y0
    inner = page[max(0, int(y0)) : max(0, int(np.ceil(y1))), max(0, int(x0)) : max(0, int(np.ceil(x1)))]
    if inner.size == 0:
        return page
    low, high = np.percentile(inner, STRETCH_PERCENTILES)
    if high - low < 1.0:
        return page
    left, top = max(0, int(x0 - bw)), max(0, int(y0 - bh))
    right, bottom = min(w, int(np.ceil(x1 + bw))), min(h, int(np.ceil(y1 + bh)))
    out = page.copy()
    region = (page[top:bottom, left:right].astype(np.float32) - low) * (255.0 / (high - low))
    out[top:bottom, left:right] = np.clip(region, 0, 255).astype(np.uint8)
    return out


def find_ghost(
    page: np.ndarray,
    portrait: FaceDetection,
    presence: Presence,
    *,
    zoom: float = 1.0,
    detection: Presence | None = None,
    proposals: Callable[[np.ndarray], list[np.ndarray]] | None = None,
) -> GhostMatch | None:
    """The ghost of ``portrait`` on a rectified ``page`` (RGB uint8), or None when none of the
    best-matching copies of it is a face.

    ``presence(page, box) -> float`` is the face probability of a box (FaceMesh's flag); a
    candidate is a face when it says so as printed or with the candidate's contrast stretched
    (a ghost is printed pale), and, given ``detection`` (a second detector's score such as
    :meth:`FacePresence.detection`), when that one agrees on the stretched candidate: a few
    letters of print can look like a face to one of them (on synthesized validation pages
    FaceMesh alone took 3 of 446 genuine documents' text for a ghost, and found it a poor
    match, as for a swapped portrait). ``zoom`` is page pixels per pixel of the upload (see
    :func:`registered_similarity`). When no copy is a face, the faces ``proposals(page)``
    finds outside the portrait's photo (:meth:`FacePresence.faces`) are asked the same way: a
    ghost left behind by a replaced portrait is no copy of the new one, and the copy search
    missed it on about a third of synthesized swaps.
    """
    grey = _grey(page)
    half = cv2.resize(grey, (grey.shape[1] // 2, grey.shape[0] // 2), interpolation=cv2.INTER_AREA)
    tried = [box for _, box in _copies(half, portrait.box)[:GHOST_CANDIDATES]]
    candidates: Iterator[np.ndarray] = iter(tried)
    if proposals is not None:
        candidates = itertools.chain(candidates, _proposed(page, portrait.box, tried, proposals))
    for box in candidates:
        if _is_face(page, box, presence, detection):
            similarity = _registered(grey, portrait.box, box, zoom)
            return GhostMatch(similarity, (float(box[0]), float(box[1]), float(box[2]), float(box[3])))
    return None
