"""Document intake: decode an ID-card or passport upload, find it, flatten it, judge the capture.

:func:`prepare_document` is what the forgery model runs behind::

    bytes / path / array ──decode──> RGB image ──find_document_quad──> DocumentQuad
        ──rectify_document──> (288, 448, 3) landscape crop ──quality──> DOC_* reasons

The quad comes from the first of: documents lying on a plain bed (a scanned page,
:mod:`liveness.documents.bed`; the upload's side picks among several), the locator network's
map (:mod:`liveness.documents.locator`), the edge search (:mod:`liveness.documents.quad`), and
the whole image when the upload is a tight crop.

Bad input never raises there: an unreadable upload, a blank page or a selfie becomes a reason
code with ``rectified=None``; a document that was found but badly captured (small, blurred,
glare, cut off) keeps its rectified crop, so the caller may still look at it.

Decoding reuses :mod:`liveness.media` (magic-byte sniffing, size limits checked on the
declared header before any pixel is decoded, EXIF orientation, alpha on white).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import cv2
import numpy as np

from liveness.config import MediaLimits
from liveness.documents import quality
from liveness.documents.bed import BedDocument, documents_on_bed
from liveness.documents.errors import IMAGE_INVALID, DocumentInputError
from liveness.documents.locator import document_probability
from liveness.documents.quad import (
    DocumentQuad,
    order_corners,
    plain_surround,
    quad_area,
    quad_iou,
    quad_side_lengths,
    search_quads,
)
from liveness.documents.reasons import (
    DOC_BLANK,
    DOC_BLUR,
    DOC_CROPPED,
    DOC_GLARE,
    DOC_NOT_A_DOCUMENT,
    DOC_NOT_FOUND,
    DOC_TOO_SMALL,
    DOC_UNREADABLE,
)
from liveness.errors import LivenessError
from liveness.media.image import decode_image
from liveness.media.source import MediaBlob, blob_from_bytes, blob_from_path
from liveness.types import FaceDetection

__all__ = [
    "DOC_CANONICAL_SIZE",
    "MIN_IMAGE_SIDE",
    "DocumentQuad",
    "PreparedDocument",
    "decode_document_image",
    "find_document_quad",
    "portrait_boxes",
    "prepare_document",
    "rectify_document",
]

#: (width, height) of the rectified document: the forgery model's input. ID-1 cards are 1.586:1
#: and TD3 data pages 1.42:1; both are resized to this 1.556:1 frame (the model trains that way).
DOC_CANONICAL_SIZE = (448, 288)
#: Decoded images with a side under this cannot show a document (a 1x1 tracking pixel, an icon).
MIN_IMAGE_SIDE = 32
# When no quad is found, a landscape image whose sides are in a card's or page's ratio is taken
# to be a tight crop or scan of the document (SIDTD crops, PassportEye scans). A portrait or
# square image with no quad is a scene with no findable document (phone frames are portrait).
FALLBACK_ASPECT = (1.2, 2.0)
FALLBACK_CONFIDENCE = 0.5
# Phone frames are 4:3 or 16:9; an image in a card's or page's own ratio (1.42-1.59) is almost
# always a crop or scan of one. A small quad found in such an image is a panel printed on the
# document (portrait, MRZ block, a form field), so the whole image is taken instead.
TIGHT_CROP_ASPECT = (1.38, 1.72)
TIGHT_CROP_MIN_QUAD_AREA = 0.3
# A document on a plain bed (liveness.documents.bed) takes the quad search's quad when the two
# nearly agree (the image's edges are sharper than the region's outline), else the outline of
# its region with this confidence.
BED_AGREEMENT_IOU = 0.95
BED_CONFIDENCE = 0.6
# Of several documents on a bed, a front's portrait: a face box at least this share of the
# rectified document's height (ID-1 and TD3 portraits' faces are about 0.25-0.35 of it; a ghost
# image or a logo taken for a face, about 0.1).
BED_PORTRAIT_MIN_SIDE = 0.18
# A fallback (whole-image) "document" in which a face box covers this share of the image is a
# selfie: on a card or data page the portrait's face box is under ~6 % of the document.
SELFIE_MIN_FACE_FRACTION = 0.08
# Turn a rectified page a half turn when the full-range detector finds the portrait upright
# only that way (score at least this, and this much above the page as rectified). Full range
# rejects upside-down faces (upright ID portraits score 0.6-0.95, turned ones 0-0.54 on the
# shared SIDTD/DLC/PassportEye pages); short range still scores them 0.5-0.8, so it cannot tell.
UPRIGHT_MIN_FACE_SCORE = 0.5
UPRIGHT_MIN_MARGIN = 0.2

# Portrait anchoring of the quad search (see liveness.documents.quad): full-range BlazeFace
# scores upright ID portraits 0.6-0.95 (see above); tiles are tried on frames at least this
# elongated (a phone frame, 1.33-1.78) when the whole frame shows no face.
PORTRAIT_MIN_FACE_SCORE = 0.5
PORTRAIT_TILING_MIN_ASPECT = 1.25

_DEFAULT_LIMITS = MediaLimits()


@dataclass(frozen=True)
class PreparedDocument:
    """An upload after intake: the decoded image, where the document is, its flat crop, reasons.

    ``image`` is the decoded RGB ``uint8`` upload (None if it could not be decoded); ``quad``
    None when the image was not examined (unreadable or blank); ``rectified`` is the RGB
    ``uint8`` (288, 448, 3) document, None when there is nothing to examine; ``reasons`` holds
    ``DOC_*`` codes (empty when the capture is fine); ``quality`` the values measured for them.
    """

    image: np.ndarray | None
    quad: DocumentQuad | None
    rectified: np.ndarray | None
    reasons: list[str]
    quality: dict[str, float] = field(default_factory=dict)


def decode_document_image(
    data: bytes | bytearray | memoryview | str | os.PathLike[str], limits: MediaLimits | None = None
) -> np.ndarray:
    """Decode an uploaded document image to an upright RGB ``uint8`` array (H, W, 3).

    Parameters
    ----------
    data : bytes or path
        JPEG, PNG, WebP, BMP or GIF (first frame), recognised by its magic bytes.
    limits : MediaLimits, optional
        Byte and resolution limits, checked on the file size and the declared header before
        any pixel is decoded (decompression bombs cost nothing); default ``MediaLimits()``.

    Returns
    -------
    ndarray
        (H, W, 3) ``uint8``, EXIF orientation applied, alpha composited on white.

    Raises
    ------
    DocumentInputError
        ``code="DOCUMENT_IMAGE_INVALID"`` for empty input, a PDF, text, a video, a truncated
        or corrupt image, one over the limits, or one with a side under ``MIN_IMAGE_SIDE``.

    Examples
    --------
    >>> import io
    >>> from PIL import Image
    >>> buffer = io.BytesIO()
    >>> Image.new("RGB", (64, 40), (10, 20, 30)).save(buffer, format="PNG")
    >>> decode_document_image(buffer.getvalue()).shape
    (40, 64, 3)
    >>> decode_document_image(b"%PDF-1.4 ...")
    Traceback (most recent call last):
    ...
    liveness.documents.errors.DocumentInputError: <bytes> is a PDF; upload a photo or scan (JPEG, PNG, WebP, BMP, GIF)
    """
    limits = limits if limits is not None else _DEFAULT_LIMITS
    try:
        blob = _blob(data, limits)
        if blob.head(5) == b"%PDF-":
            raise DocumentInputError(
                f"{blob.name} is a PDF; upload a photo or scan (JPEG, PNG, WebP, BMP, GIF)", code=IMAGE_INVALID
            )
        fmt = blob.sniff()
        if fmt.kind != "image" or not fmt.supported:
            raise DocumentInputError(
                f"{blob.name} is a {fmt.name} {fmt.kind}, not a supported image (JPEG, PNG, WebP, BMP, GIF)",
                code=IMAGE_INVALID,
            )
        image = decode_image(blob, fmt, limits)
    except DocumentInputError:
        raise
    except LivenessError as exc:
        raise DocumentInputError(f"not a readable document image: {exc.message}", code=IMAGE_INVALID) from exc
    if min(image.shape[:2]) < MIN_IMAGE_SIDE:
        raise DocumentInputError(
            f"the image is {image.shape[1]}x{image.shape[0]} px; a document image needs at least "
            f"{MIN_IMAGE_SIDE} px on each side",
            code=IMAGE_INVALID,
        )
    return image


def find_document_quad(image: np.ndarray, *, use_locator: bool = True, side: str | None = None) -> DocumentQuad:
    """Find the document's corners in an RGB ``uint8`` image: on a plain bed (a scanned page,
    :mod:`liveness.documents.bed`) the document found there, else the locator network's map
    (:mod:`liveness.documents.locator`) where it shows one clear document, snapped to the image's
    edges, else the classical edge search (:mod:`liveness.documents.quad`); ``use_locator=False``
    runs the edge search alone (the intake benchmark's reference; the bed still counts).

    Of several documents on a bed, ``side="back"`` takes the largest without a portrait, any
    other side the largest with one (a front scanned beside its back); ``beside`` counts the rest.

    Returns
    -------
    DocumentQuad
        The best-supported quad (``fallback=False``, ``confidence`` its edge support, at least
        0.55); or, when none is credible (or the image has a document's own side ratio and the
        quad covers under 30 % of it: a panel of a tightly cropped document), the whole image
        with ``fallback=True`` and a
        ``confidence`` of 0.5 when the image's shape is that of a tight crop or scan of a
        document (landscape, side ratio 1.2-2.0), else 0.

    Raises
    ------
    DocumentInputError
        ``code="DOCUMENT_IMAGE_INVALID"`` when ``image`` is not an (H, W, 3) ``uint8`` array.

    Examples
    --------
    >>> page = np.full((300, 400, 3), 90, np.uint8)
    >>> page[60:240, 60:340] = 230
    >>> quad = find_document_quad(page)
    >>> expected = np.array([[60, 60], [339, 60], [339, 239], [60, 239]])
    >>> quad.fallback, bool(np.abs(quad.corners - expected).max() <= 2)
    (False, True)
    """
    rgb = _as_rgb(image)
    height, width = rgb.shape[:2]
    aspect = width / height
    on_bed = documents_on_bed(rgb)
    if on_bed:
        chosen = _choose_on_bed(rgb, on_bed, side)
        # the bed tells which document (no portrait anchoring needed); the edges place it
        found = search_quads(rgb, region=chosen.mask, region_on_bed=True)
        if found is not None and quad_iou(found[0], chosen.corners, (height, width)) >= BED_AGREEMENT_IOU:
            corners, confidence = found[0], round(found[1], 4)
        else:  # the edges frame something else: the region's outline is the document's
            corners, confidence = chosen.corners, BED_CONFIDENCE
        return DocumentQuad(corners=corners, confidence=confidence, fallback=False, beside=len(on_bed) - 1)
    region = document_probability(rgb) if use_locator else None
    found = search_quads(rgb, portraits=portrait_boxes(rgb), region=region)
    if found is not None:
        corners, score = found
        crop_shaped = TIGHT_CROP_ASPECT[0] <= aspect <= TIGHT_CROP_ASPECT[1]
        panel = crop_shaped and quad_area(corners) < TIGHT_CROP_MIN_QUAD_AREA * width * height
        if not panel or plain_surround(rgb, corners):
            return DocumentQuad(corners=corners, confidence=round(score, 4), fallback=False)
    plausible = FALLBACK_ASPECT[0] <= aspect <= FALLBACK_ASPECT[1]
    corners = np.array([[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]], dtype=np.float32)
    return DocumentQuad(corners=corners, confidence=FALLBACK_CONFIDENCE if plausible else 0.0, fallback=True)


def _choose_on_bed(image: np.ndarray, documents: list[BedDocument], side: str | None) -> BedDocument:
    """The document of ``side`` among several on a bed (largest first): a front has a portrait,
    a back has none. Faces are looked for on each document rectified (on a whole scanned page a
    card's portrait is too small for the detector's input), and only a face of a portrait's
    size counts (:data:`BED_PORTRAIT_MIN_SIDE`; a ghost image or a logo is smaller)."""
    if len(documents) == 1:
        return documents[0]

    def portrait_size(document: BedDocument) -> float:
        # on the document rectified landscape, either way up: a card laid across the glass has
        # its portrait on its side, and the detector finds upright faces only
        page = rectify_document(image, document.corners)
        sides = (
            float(face.box[3] - face.box[1])
            for view in (page, np.ascontiguousarray(page[::-1, ::-1]))
            for face in find_faces(view, "full", min_score=PORTRAIT_MIN_FACE_SCORE)
        )
        return max(sides, default=0.0) / page.shape[0]

    sizes = [portrait_size(document) for document in documents]
    fronts = [size >= BED_PORTRAIT_MIN_SIDE for size in sizes]
    if side == "back":
        return next((document for document, front in zip(documents, fronts, strict=True) if not front), documents[0])
    return documents[int(np.argmax(sizes))] if any(fronts) else documents[0]


def portrait_boxes(image: np.ndarray) -> list[np.ndarray]:
    """Face boxes (x0, y0, x1, y1) that may be a document's portrait, for the quad search.

    Full range on the whole image first; when it finds nothing, on overlapping square tiles
    as well: a card filmed from arm's length on a desk has a portrait of 25-40 px in a phone
    frame, too few pixels once the whole frame is shrunk to the detector's 192 px input.
    """
    faces = find_faces(image, "full", min_score=PORTRAIT_MIN_FACE_SCORE)
    if faces:
        return [np.asarray(face.box, dtype=np.float64) for face in faces]
    height, width = image.shape[:2]
    side = min(height, width)
    if max(height, width) < PORTRAIT_TILING_MIN_ASPECT * side:
        return []
    count = int(np.ceil(2.0 * max(height, width) / side - 1.0))  # half-overlapping squares
    boxes = []
    for index in range(count):
        offset = round(index * (max(height, width) - side) / (count - 1))
        x, y = (0, offset) if height > width else (offset, 0)
        tile = np.ascontiguousarray(image[y : y + side, x : x + side])
        for face in find_faces(tile, "full", min_score=PORTRAIT_MIN_FACE_SCORE):
            boxes.append(np.asarray(face.box, dtype=np.float64) + np.array([x, y, x, y], dtype=np.float64))
    return boxes


def landscape_corners(corners: np.ndarray) -> np.ndarray:
    """The corners in the order :func:`rectify_document` maps to the output's TL, TR, BR, BL:
    clockwise from the top-left, then turned a quarter when the quad is portrait (its left
    side becomes the top).

    Raises
    ------
    DocumentInputError
        ``code="DOCUMENT_IMAGE_INVALID"`` for corners that are not four finite points of a
        non-degenerate quad.
    """
    points = _as_corners(corners)
    sides = quad_side_lengths(points)
    if (sides[1] + sides[3]) > (sides[0] + sides[2]):
        points = np.roll(points, -3, axis=0)  # BL, TL, TR, BR: the left side becomes the top
    return points


def rectify_document(
    image: np.ndarray, corners: np.ndarray, size: tuple[int, int] = DOC_CANONICAL_SIZE
) -> np.ndarray:
    """Warp the quad ``corners`` of ``image`` to a flat, landscape ``size`` (width, height) image.

    A portrait quad is turned a quarter clockwise (its left side becomes the top) so that the
    long side is horizontal; whether the text then reads upright or upside-down is not
    decided here (:func:`prepare_document` turns pages with a portrait upright). Large
    documents are first shrunk with area averaging, so the warp does not alias fine print.
    Corners outside the image take the nearest edge pixels.

    Raises
    ------
    DocumentInputError
        ``code="DOCUMENT_IMAGE_INVALID"`` for an image that is not (H, W, 3) ``uint8``,
        corners that are not four finite points of a non-degenerate quad, or a bad ``size``.

    Examples
    --------
    >>> page = np.zeros((100, 60, 3), np.uint8)
    >>> rectify_document(page, np.array([[0, 0], [59, 0], [59, 99], [0, 99]], np.float32)).shape
    (288, 448, 3)
    """
    rgb = _as_rgb(image)
    if (
        not isinstance(size, tuple)
        or len(size) != 2
        or not all(isinstance(side, int | np.integer) and side > 0 for side in size)
    ):
        raise DocumentInputError(f"size must be (width, height) in positive ints, got {size!r}", code=IMAGE_INVALID)
    points = landscape_corners(corners)
    out_width, out_height = int(size[0]), int(size[1])
    sides = quad_side_lengths(points)
    shrink = min((sides[0] + sides[2]) / 2.0 / out_width, (sides[1] + sides[3]) / 2.0 / out_height) / 2.0
    if shrink > 1.0:
        # keep ~2 source pixels per output pixel, then warp bilinearly
        small = cv2.resize(
            rgb,
            (max(1, round(rgb.shape[1] / shrink)), max(1, round(rgb.shape[0] / shrink))),
            interpolation=cv2.INTER_AREA,
        )
        points = points * np.array(
            [small.shape[1] / rgb.shape[1], small.shape[0] / rgb.shape[0]], dtype=np.float32
        )
        rgb = small
    target = np.array([[0, 0], [out_width, 0], [out_width, out_height], [0, out_height]], dtype=np.float32)
    # pixel centres: corner (0, 0) of the quad is the outer corner of the first output pixel
    matrix = cv2.getPerspectiveTransform(points + 0.5, target)
    return cv2.warpPerspective(rgb, matrix, (out_width, out_height), flags=cv2.INTER_LINEAR,
                               borderMode=cv2.BORDER_REPLICATE)


def prepare_document(
    data: bytes | bytearray | memoryview | str | os.PathLike[str] | np.ndarray,
    limits: MediaLimits | None = None,
    *,
    side: str | None = None,
) -> PreparedDocument:
    """Decode, locate, rectify and quality-check one document upload; never raises on bad input.

    Parameters
    ----------
    data : bytes, path or ndarray
        The upload (see :func:`decode_document_image`), or an already decoded ``uint8`` image
        (H, W, 3), (H, W, 4) or (H, W).
    limits : MediaLimits, optional
        Decoding limits.
    side : str, optional
        ``"front"`` or ``"back"``: which of several documents scanned on one page to take
        (see :func:`find_document_quad`); ``quality["documents_beside"]`` counts the others.

    Returns
    -------
    PreparedDocument
        ``reasons`` in the order they are checked: ``DOC_UNREADABLE`` (bytes that are not a
        supported image, a PDF, a truncated file, a tiny or oversized image: nothing else is
        checked), ``DOC_BLANK`` (a uniform page), ``DOC_NOT_A_DOCUMENT`` (no document but a
        face filling the frame), ``DOC_NOT_FOUND``; for a found document any of
        ``DOC_TOO_SMALL``, ``DOC_CROPPED``, ``DOC_BLUR``, ``DOC_GLARE``. ``rectified`` is None
        after the first four; it is turned upright by its portrait (:func:`upright_by_portrait`,
        ``quality["turned_half"]``).

    Examples
    --------
    >>> prepare_document(b"not an image").reasons
    ['DOC_UNREADABLE']
    >>> prepare_document(np.full((300, 480, 3), 128, np.uint8)).reasons
    ['DOC_BLANK']
    """
    try:
        image = _as_rgb(data) if isinstance(data, np.ndarray) else decode_document_image(data, limits)
        if min(image.shape[:2]) < MIN_IMAGE_SIDE:
            raise DocumentInputError(f"image of shape {image.shape} is too small", code=IMAGE_INVALID)
    except (DocumentInputError, TypeError):
        return PreparedDocument(image=None, quad=None, rectified=None, reasons=[DOC_UNREADABLE], quality={})

    measured: dict[str, float] = {}
    grey_std, edge_density = quality.blank_statistics(image)
    measured.update(grey_std=grey_std, edge_density=edge_density)
    if grey_std <= quality.BLANK_MAX_STD or edge_density <= quality.BLANK_MAX_EDGE_DENSITY:
        return PreparedDocument(image=image, quad=None, rectified=None, reasons=[DOC_BLANK], quality=measured)

    quad = find_document_quad(image, side=side)
    measured["quad_confidence"] = quad.confidence
    measured["fallback"] = float(quad.fallback)
    measured["documents_beside"] = float(quad.beside)
    if quad.fallback:
        face_fraction = _face_fraction(image)
        measured["face_fraction"] = face_fraction
        if face_fraction >= SELFIE_MIN_FACE_FRACTION:
            return PreparedDocument(image, quad, None, [DOC_NOT_A_DOCUMENT], measured)
        if quad.confidence < FALLBACK_CONFIDENCE:
            return PreparedDocument(image, quad, None, [DOC_NOT_FOUND], measured)

    reasons: list[str] = []
    height, width = image.shape[:2]
    area_fraction = min(1.0, quad_area(quad.corners) / float(height * width))
    short_side = quality.short_side(quad.corners)
    measured.update(area_fraction=round(area_fraction, 4), short_side_px=round(short_side, 1))
    if short_side < quality.SMALL_MIN_SHORT_SIDE_PX or area_fraction < quality.SMALL_MIN_AREA_FRACTION:
        reasons.append(DOC_TOO_SMALL)
    if not quad.fallback:
        clearance = quality.border_clearance(quad.corners, width, height)
        measured["border_clearance_px"] = clearance
        near_border = clearance < quality.CROPPED_MARGIN_FRACTION * min(height, width)
        if near_border and area_fraction < quality.CROPPED_MAX_AREA_FRACTION:
            reasons.append(DOC_CROPPED)

    rectified = rectify_document(image, quad.corners)
    rectified, turned = upright_by_portrait(rectified)
    measured["turned_half"] = float(turned)
    measured["sharpness"] = quality.sharpness(_native_rectification(image, quad.corners, rectified))
    measured["glare_fraction"] = quality.glare_fraction(rectified)
    if measured["sharpness"] < quality.BLUR_MIN_SHARPNESS:
        reasons.append(DOC_BLUR)
    if measured["glare_fraction"] > quality.GLARE_MAX_FRACTION:
        reasons.append(DOC_GLARE)
    return PreparedDocument(image, quad, rectified, reasons, measured)


def upright_by_portrait(rectified: np.ndarray) -> tuple[np.ndarray, bool]:
    """The rectified page turned a half turn when its portrait is upright only that way.

    :func:`rectify_document` cannot tell top from bottom: a card photographed upside down,
    or a portrait quad that needed the other quarter turn, comes out upside down, and then
    layout checks, the MRZ reader and the forgery model look at the wrong places. A page
    without a detectable portrait (most backs) is returned as it is.
    """
    turned = np.ascontiguousarray(rectified[::-1, ::-1])
    as_is, flipped = (_best_face_score(page) for page in (rectified, turned))
    if flipped >= UPRIGHT_MIN_FACE_SCORE and flipped >= as_is + UPRIGHT_MIN_MARGIN:
        return turned, True
    return rectified, False


def _best_face_score(page: np.ndarray) -> float:
    return max((face.score for face in find_faces(page, "full", min_score=0.3)), default=0.0)


def _native_rectification(image: np.ndarray, corners: np.ndarray, rectified: np.ndarray) -> np.ndarray:
    """The document at its own resolution when smaller than the canonical size (no upscaling blur)."""
    sides = quad_side_lengths(corners)
    long_side = max((sides[0] + sides[2]) / 2.0, (sides[1] + sides[3]) / 2.0)
    scale = long_side / DOC_CANONICAL_SIZE[0]
    if scale >= 1.0:
        return rectified
    size = (
        max(MIN_IMAGE_SIDE, round(DOC_CANONICAL_SIZE[0] * scale)),
        max(MIN_IMAGE_SIDE, round(DOC_CANONICAL_SIZE[1] * scale)),
    )
    return rectify_document(image, corners, size=size)


def _blob(data: object, limits: MediaLimits) -> MediaBlob:
    if isinstance(data, bytes | bytearray | memoryview):
        return blob_from_bytes(data, limits)
    if isinstance(data, str | os.PathLike):
        return blob_from_path(Path(data), limits)
    raise DocumentInputError(f"a document image must be bytes or a path, not {type(data).__name__}",
                             code=IMAGE_INVALID)


def _as_rgb(image: object) -> np.ndarray:
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8:
        raise DocumentInputError(
            f"expected a uint8 numpy image, got {type(image).__name__} {getattr(image, 'dtype', '')}".rstrip(),
            code=IMAGE_INVALID,
        )
    if image.ndim == 2:
        image = np.repeat(image[:, :, None], 3, axis=2)
    elif image.ndim == 3 and image.shape[2] == 4:
        image = image[:, :, :3]
    elif image.ndim != 3 or image.shape[2] != 3:
        raise DocumentInputError(f"expected an (H, W, 3) image, got shape {image.shape}", code=IMAGE_INVALID)
    if min(image.shape[:2]) < 2:
        raise DocumentInputError(f"image of shape {image.shape} is too small", code=IMAGE_INVALID)
    return np.ascontiguousarray(image)


def _as_corners(corners: object) -> np.ndarray:
    try:
        points = np.asarray(corners, dtype=np.float32)
    except (TypeError, ValueError) as exc:
        raise DocumentInputError(f"corners must be a (4, 2) array, got {corners!r}", code=IMAGE_INVALID) from exc
    if points.shape != (4, 2) or not np.isfinite(points).all():
        raise DocumentInputError(f"corners must be four finite (x, y) points, got shape {points.shape}",
                                 code=IMAGE_INVALID)
    ordered = order_corners(points)
    if quad_area(ordered) < 1.0:
        raise DocumentInputError("the corners enclose no area", code=IMAGE_INVALID)
    return ordered


def find_faces(image: np.ndarray, model_range: Literal["short", "full"], *, min_score: float) -> list[FaceDetection]:
    """Faces found by BlazeFace; none when the face models are not installed (then the selfie
    check is skipped, DOC_NOT_FOUND stands, and pages keep the orientation they were
    rectified in)."""
    # imported here: documents need the face models only for these two checks
    from liveness.faces.detector import FaceDetector

    try:
        return FaceDetector(model_range=model_range, min_score=min_score).detect(image)
    except LivenessError:
        return []


def _face_fraction(image: np.ndarray) -> float:
    """Largest face box area as a share of the image; 0 when the face models are unavailable."""
    faces = find_faces(image, "short", min_score=0.6)
    if not faces:
        return 0.0
    height, width = image.shape[:2]
    best = 0.0
    for face in faces:
        x0, y0, x1, y1 = (float(v) for v in face.box)
        visible = max(0.0, min(x1, width) - max(x0, 0.0)) * max(0.0, min(y1, height) - max(y0, 0.0))
        best = max(best, visible / float(width * height))
    return round(best, 4)
