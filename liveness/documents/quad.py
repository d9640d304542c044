"""Find the quadrilateral of an ID card or passport data page in a photo or scan (classical OpenCV).

Candidates come from several segmentations of a downscaled copy of the image, because no one
of them works on every capture:

- Canny edge maps at two thresholds, closed so that a card edge broken by glare or a finger
  still makes one contour (cards on desks, printed copies on newspapers);
- the distance of each pixel's colour to the median colour of the image border, split by
  Otsu (a card on a plain table or a scanner lid, where the card edge is a colour step but
  a weak grey-level edge);
- long straight edges (probabilistic Hough on the sensitive Canny map, collinear segments
  merged), paired into two near-parallel pairs that cross: the outline of a card lying on
  newsprint, whose edge map is one connected mass of text.

Every contour's convex hull is simplified with ``approxPolyDP`` at a few tolerances. A polygon
with four corners is a candidate; a polygon cut by the image border (a card partly outside the
frame) is completed by intersecting its four longest non-border sides, so its missing corner
lands outside the image and the caller can report the document as cropped. Candidates must be
convex, have corner angles that a hand-held perspective can produce, a side ratio of a card or
page, and a minimum area. They are scored by *edge support*: the share of points along each
side where the grey-level gradient is strong, across the side and of one polarity, so a quad
that follows a real document outline beats one that merely encloses clutter. Sides lying on
the image border (a document cut by the frame) are not scored. Known limit: a document whose
edge is a colour step with no brightness step is found only by the colour segmentation.

When the caller found the document's portrait (a face box), it anchors the search: a card or
data page holds its portrait, and the face box is a known share of the page's short side. The
straight lines around the portrait are paired into extra candidates (many more lines than the
global search can afford, since only pairs that enclose the portrait count), and a quad that
holds the portrait at a page's scale is preferred, at a lower support, to one that does not.
This keeps the search off the newspaper photo, the sheet of paper the copy is printed on, and
the portrait's own frame, the usual mistakes on phone captures of printed copies.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

__all__ = [
    "DocumentQuad",
    "order_corners",
    "plain_surround",
    "quad_area",
    "quad_from_map",
    "quad_from_region",
    "quad_iou",
    "quad_side_lengths",
    "search_quads",
    "surround_stats",
]

# Detection runs on a copy whose long side is this many pixels: enough to place a card edge
# within ~0.3 % of the diagonal, small enough to keep one call around 50-100 ms on one core.
WORK_LONG_SIDE = 640
# Candidate geometry. A card or data page (ID-1 1.586, TD3 1.42, TD2 1.41) seen in perspective
# or folded flat keeps its long/short side ratio roughly within [1.15, 2.3]; corner angles
# outside [50, 130] degrees need a camera angle nobody uses for a KYC capture.
MIN_ASPECT, MAX_ASPECT = 1.15, 2.3
MIN_ANGLE_DEG, MAX_ANGLE_DEG = 50.0, 130.0
MIN_AREA_FRACTION = 0.04  # smaller quads are photos, text blocks or noise; a doc that small is unusable anyway
# Canny hysteresis thresholds (OpenCV's L1 Sobel scale): a grey copy on white paper has a card
# edge of only ~15 grey levels, so the sensitive pair is needed; the coarse pair keeps the
# outline of a contrasted card from merging with texture around it.
CANNY_THRESHOLDS = ((60.0, 150.0), (15.0, 45.0))
# Straight-line candidates: Hough segments at least this fraction of the short image side,
# bridged over gaps (glare, fingers), merged when collinear; the longest MAX_LINES are paired.
MIN_LINE_FRACTION = 0.12
LINE_GAP = 12
MAX_LINES = 16
MAX_SEGMENTS = 120  # longest Hough segments kept for merging (text can yield thousands)
MAX_PARALLEL_DEG = 25.0  # opposite sides of a card in perspective
MIN_CROSS_DEG = 50.0  # adjacent sides
# Nested quads (see _choose): an inner quad at least this fraction of the outer's area and
# scoring no more than this margin below it is taken as the document.
NESTED_MIN_AREA_RATIO = 0.15
NESTED_SCORE_MARGIN = 0.15
AREA_BONUS = 0.1
BORDER_MARGIN_PX = 3.0  # a polygon side this close to an image border is the frame's cut
# A side is "supported" at a point when the gradient there (Sobel on the blurred grey image,
# 0..255 scale) exceeds this and points across the side within EDGE_ANGLE_TOLERANCE_DEG.
EDGE_MAGNITUDE = 10.0
EDGE_ANGLE_TOLERANCE_DEG = 30.0
SIDE_SAMPLES = 48
_SIDE_OFFSETS = np.array([-2.0, -1.0, 0.0, 1.0, 2.0])  # px across a side where its edge may lie
MIN_SIDE_INSIDE = 0.4  # a side more than 60 % outside the image cannot be judged
# A credible quad needs this score (mean side support, the weakest side counting double).
MIN_QUAD_SCORE = 0.55
# Portrait anchoring. The face box's side (geometric mean of its width and height, so a page
# turned a quarter gives the same figure) over the page's short side measured 0.16-0.37 on the
# shared SIDTD, DLC-2021 and PassportEye pages; this range keeps a margin both ways.
PORTRAIT_TO_SHORT_SIDE = (0.14, 0.45)
# Where the portrait's centre lies on the page, in page widths from the nearer short side and
# page heights from the top (either way up): ID-1 cards and passport data pages put the
# portrait in the left or right third, vertically central (DLC-2021 pages: 0.06-0.3 and
# 0.3-0.75). A quad placing it mid-page or at an edge is a panel, a sheet or a crop.
PORTRAIT_FROM_SHORT_SIDE = (0.03, 0.38)
PORTRAIT_FROM_TOP = (0.2, 0.8)
# A quad holding the portrait at page scale is credible with weaker edges (a grey copy on
# white paper, a shadow across one side): clutter rarely makes four aligned edges around it.
MIN_PORTRAIT_QUAD_SCORE = 0.4
# A landscape frame in a card's or data page's own ratio (ID-1 1.59, TD3 1.42) is a crop or scan
# of one when it holds the portrait at page scale; phone frames are 4:3 (1.33) or 16:9 (1.78),
# and a card filling much of one still needs its quad.
PAGE_SHAPED_FRAME = (1.38, 1.72)
MAX_PORTRAIT_SEGMENTS = 400  # Hough segments merged into lines for the portrait's own search
ANCHOR_TILT_DEG = 35.0  # a page whose upright face BlazeFace found is tilted less than this
ANCHOR_LINES_PER_SIDE = 8  # longest lines kept above, below, left and right of the portrait
ANCHOR_QUADS_KEPT = 8  # best-supported quads per portrait passed on to the common choice
# The locator's map (liveness.documents.locator), when given, decides which quad is the
# document. Its region must be one quad (the fitted quad overlaps it with at least this IoU;
# two cards, or a map torn by glare, leave the choice to the edges), must not fill the frame
# (a tight crop or scan: the plain search and the intake's fallback know those), and an
# edge-supported candidate overlapping the fitted quad this much replaces it (the map's cells
# are 1/48 of the frame; the image's own edges are sharper).
REGION_MIN_AGREEMENT = 0.85
REGION_THRESHOLD = 0.5  # a map's cell at least this probable lies on the document
REGION_MAX_AREA_FRACTION = 0.9
REGION_MIN_AREA_FRACTION = 0.02
REGION_SNAP_IOU = 0.9
REGION_CONFIRM_IOU = 0.7  # the edge search's own choice stands when it overlaps the map's quad this much
# A side fitted to the map is moved onto the image's edge within this share of the quad's mean
# side, tried at REFINE_STEPS positions per end.
REFINE_REACH = 0.03
REFINE_STEPS = 13
# A quad lies on something plain when what surrounds it is one even tone with hardly an edge:
# a card laid on a flatbed scanner and scanned as an A4 page (1.41:1, a page's own shape) lies
# on the white lid or the dark bed, where a panel of a tightly cropped document is surrounded by
# print and inks (edge shares 0.09-0.15 on the shared PassportEye and SIDTD crops). Measured on
# the frame shrunk to PLAIN_WORK_SIDE px, beyond a margin of PLAIN_MARGIN of its diagonal around
# the quad (the card's own edge and shadow): under PLAIN_SURROUND_MAX_EDGES of the pixels are
# Canny edges, and the 5th to 95th percentile of their grey levels spans under
# PLAIN_SURROUND_MAX_SPREAD (a scanner lights its bed evenly; a design's bands and fields differ).
PLAIN_SURROUND_MAX_EDGES = 0.01
PLAIN_SURROUND_MAX_SPREAD = 40.0
PLAIN_WORK_SIDE = 512
PLAIN_MARGIN = 0.02
_REGION_TOLERANCES = (0.005, 0.01, 0.02, 0.04)  # approxPolyDP tolerances, share of the hull's perimeter


@dataclass(frozen=True)
class DocumentQuad:
    """Where the document is in the image.

    ``corners`` is a (4, 2) ``float32`` array, top-left, top-right, bottom-right, bottom-left,
    in image pixels (a corner may lie outside the image when the document is cut off).
    ``confidence`` in [0, 1] is the edge support of the quad (for a fallback: how much the
    whole image looks like a tight crop of a document). ``fallback`` is True when no quad was
    found and the whole image stands for the document.
    """

    corners: np.ndarray
    confidence: float
    fallback: bool
    beside: int = 0  # other documents found in the image (a card's back scanned beside its front)


@dataclass(frozen=True)
class _Candidate:
    corners: np.ndarray  # (4, 2) float32 in work-image pixels, ordered
    score: float
    area_fraction: float


def order_corners(points: np.ndarray) -> np.ndarray:
    """Order four points clockwise (in image coordinates) starting from the top-left one.

    The top-left corner is the one with the smallest ``x + y``; the others follow by angle
    around the centroid, so a quad rotated by up to 45 degrees keeps a stable order.

    Examples
    --------
    >>> order_corners(np.array([[10, 10], [0, 10], [0, 0], [10, 0]])).tolist()
    [[0.0, 0.0], [10.0, 0.0], [10.0, 10.0], [0.0, 10.0]]
    """
    pts = np.asarray(points, dtype=np.float32).reshape(4, 2)
    centre = pts.mean(axis=0)
    angles = np.arctan2(pts[:, 1] - centre[1], pts[:, 0] - centre[0])
    clockwise = pts[np.argsort(angles)]  # y points down, so increasing angle is clockwise
    start = int(np.argmin(clockwise.sum(axis=1)))
    return np.roll(clockwise, -start, axis=0).astype(np.float32)


def quad_side_lengths(corners: np.ndarray) -> np.ndarray:
    """Lengths of the sides TL-TR, TR-BR, BR-BL, BL-TL."""
    pts = np.asarray(corners, dtype=np.float64).reshape(4, 2)
    return np.linalg.norm(np.roll(pts, -1, axis=0) - pts, axis=1)


def quad_iou(first: np.ndarray, second: np.ndarray, shape: tuple[int, int]) -> float:
    """Intersection over union of two quads, rasterized on an image of ``shape`` (h, w).

    >>> square = np.array([[0, 0], [9, 0], [9, 9], [0, 9]], np.float32)
    >>> quad_iou(square, square, (20, 20)), quad_iou(square, square + 10, (20, 20))
    (1.0, 0.0)
    """
    masks = []
    for corners in (first, second):
        mask = np.zeros(shape, np.uint8)
        cv2.fillPoly(mask, [np.round(corners).astype(np.int32)], 1)
        masks.append(mask.astype(bool))
    union = int((masks[0] | masks[1]).sum())
    return float((masks[0] & masks[1]).sum()) / union if union else 0.0


def quad_area(corners: np.ndarray) -> float:
    """Area of a simple quadrilateral (shoelace formula)."""
    pts = np.asarray(corners, dtype=np.float64).reshape(4, 2)
    x, y = pts[:, 0], pts[:, 1]
    return float(abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))) / 2.0)


def search_quads(
    image: np.ndarray,
    portraits: Sequence[np.ndarray] = (),
    region: np.ndarray | None = None,
    *,
    region_on_bed: bool = False,
) -> tuple[np.ndarray, float] | None:
    """The best-supported document quad of an RGB ``uint8`` image, or None.

    Parameters
    ----------
    image : ndarray
        RGB ``uint8`` (H, W, 3).
    portraits : sequence of ndarray
        Face boxes (x0, y0, x1, y1) in image pixels that may be the document's portrait. A
        quad holding one at a page's scale wins over any that does not, from a support of
        :data:`MIN_PORTRAIT_QUAD_SCORE`; without such a quad the search is the plain one.
    region : ndarray, optional
        The locator's probability map that a pixel lies on the document (any resolution,
        stretched over the image). When its region is one clear quad, that quad wins: the edge
        search's own choice where it overlaps it, else the edge-supported candidate that overlaps
        it closely, else the quad itself with its sides moved onto the nearest edges. On a
        frame in a page's shape (mostly tight crops, see :data:`PAGE_SHAPED_FRAME`) only when
        that quad lies on something plain (:func:`plain_surround`: a card on a scanned page).
    region_on_bed : bool
        ``region`` is a document found on a plain bed (:mod:`liveness.documents.bed`), which may
        lie beside another: it counts on any frame.

    Returns
    -------
    (corners, score) or None
        ``corners`` (4, 2) ``float32`` in image pixels, ordered TL, TR, BR, BL; ``score`` in
        [0, 1], the quad's edge support. None when no candidate reaches :data:`MIN_QUAD_SCORE`.
    """
    height, width = image.shape[:2]
    scale = min(1.0, WORK_LONG_SIDE / max(height, width))
    work = image if scale == 1.0 else cv2.resize(
        image, (max(1, round(width * scale)), max(1, round(height * scale))), interpolation=cv2.INTER_AREA
    )
    grey = cv2.cvtColor(work, cv2.COLOR_RGB2GRAY)
    smooth = cv2.GaussianBlur(grey, (5, 5), 0)
    grad_x = cv2.Sobel(smooth, cv2.CV_32F, 1, 0, ksize=3) / 4.0  # /4: Sobel weights sum to 4
    grad_y = cv2.Sobel(smooth, cv2.CV_32F, 0, 1, ksize=3) / 4.0
    candidates = [
        candidate
        for mask in _segmentations(work, smooth)
        for candidate in _candidates_from_mask(mask, grad_x, grad_y)
    ]
    segments = _hough_segments(smooth)
    candidates += _candidates_from_lines(segments, grad_x, grad_y)
    best = _choose_by_edges(work, candidates, segments, portraits, scale, grad_x, grad_y)
    if region is not None:
        # a frame in a page's own shape is mostly a tight crop, which the locator never saw in
        # training (its documents lie on something), and where its map may mark a panel: there
        # the map counts only for a document lying on something plain (a scanned A4 page)
        aspect = work.shape[1] / work.shape[0]
        page_shaped = PAGE_SHAPED_FRAME[0] <= aspect <= PAGE_SHAPED_FRAME[1]
        plain_in = work if page_shaped and not region_on_bed else None
        best = _locate_by_region(region, candidates, best, grad_x, grad_y, plain_in) or best
    if best is None:
        return None
    sx, sy = width / work.shape[1], height / work.shape[0]
    corners = best.corners * np.array([sx, sy], dtype=np.float32)
    return order_corners(corners), float(best.score)


def _choose_by_edges(
    work: np.ndarray, candidates: list[_Candidate], segments: np.ndarray, portraits: Sequence[np.ndarray],
    scale: float, grad_x: np.ndarray, grad_y: np.ndarray,
) -> _Candidate | None:
    """The edge search's choice (portrait-anchored where a portrait was found), or None."""
    frame = np.array([[0, 0], [work.shape[1] - 1, 0], [work.shape[1] - 1, work.shape[0] - 1],
                      [0, work.shape[0] - 1]], dtype=np.float32)
    boxes = [np.asarray(box, dtype=np.float64).reshape(4) * scale for box in portraits]
    aspect = work.shape[1] / work.shape[0]
    if PAGE_SHAPED_FRAME[0] <= aspect <= PAGE_SHAPED_FRAME[1] and any(_holds(frame, box) for box in boxes):
        # a frame in a page's own shape that holds a portrait at page scale is a tight crop or
        # scan, whose page runs to the image border where no line can frame it (the plain
        # search handles it); its other faces are the ghost image or a second portrait
        boxes = []
    best = None
    if boxes:
        candidates += _candidates_around_portraits(segments, boxes, grad_x, grad_y)
        holding = [candidate for candidate in candidates if any(_holds(candidate.corners, box) for box in boxes)]
        if holding:
            # every holding quad frames a page at its portrait's scale: none is a sheet around it
            best = _choose(holding, (work.shape[1], work.shape[0]), nested=False)
            if best.score < MIN_PORTRAIT_QUAD_SCORE:
                best = None
    if best is None:
        if not candidates:
            return None
        best = _choose(candidates, (work.shape[1], work.shape[0]))
        if best.score < MIN_QUAD_SCORE:
            return None
    return best


def quad_from_region(mask: np.ndarray) -> tuple[np.ndarray, float] | None:
    """The quad that best covers the largest region of a boolean ``mask`` (H, W), and its IoU
    with that region inside the frame; None when the region is under
    :data:`REGION_MIN_AREA_FRACTION` of the frame.

    Candidates are the region's convex hull simplified at a few tolerances (a region cut by the
    frame is completed beyond it, as in the edge search) and the hull's best four-sided
    approximation (``cv2.approxPolyN``); the one overlapping the region most is returned.

    >>> mask = np.zeros((60, 80), bool)
    >>> mask[10:50, 20:70] = True
    >>> corners, iou = quad_from_region(mask)
    >>> corners.round().tolist(), round(iou, 2)
    ([[20.0, 10.0], [69.0, 10.0], [69.0, 49.0], [20.0, 49.0]], 1.0)
    """
    height, width = mask.shape
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=4)
    if count < 2:
        return None
    largest = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    if stats[largest, cv2.CC_STAT_AREA] < REGION_MIN_AREA_FRACTION * height * width:
        return None
    blob = (labels == largest).astype(np.uint8)
    contours, _ = cv2.findContours(blob, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    hull = cv2.convexHull(max(contours, key=cv2.contourArea))
    perimeter = cv2.arcLength(hull, True)
    quads = []
    for tolerance in _REGION_TOLERANCES:
        polygon = cv2.approxPolyDP(hull, tolerance * perimeter, True).reshape(-1, 2).astype(np.float32)
        quad = _polygon_to_quad(polygon, width, height)
        if quad is not None:
            quads.append(quad)
    four = cv2.approxPolyN(hull, 4, ensure_convex=True).reshape(-1, 2).astype(np.float32)
    if len(four) == 4:
        quads.append(order_corners(four))
    if not quads:
        return None
    area = float(blob.sum())
    scored = [(_overlap(quad, blob, area), quad) for quad in quads]
    top = max(iou for iou, _ in scored)
    # near-ties go to the simplified hull (listed first): inside the frame a four-sided fit
    # of a cut document overlaps as well, but only the hull's sides extended give its corners
    return next((quad, iou) for iou, quad in scored if iou >= top - 0.01)


def quad_from_map(probability: np.ndarray, frame_hw: tuple[int, int]) -> tuple[np.ndarray, float] | None:
    """:func:`quad_from_region` of a map of the document (a probability or a 0/1 region, any
    resolution) stretched over a frame of ``frame_hw`` = (height, width) pixels: its cells at
    or above :data:`REGION_THRESHOLD` are the document."""
    height, width = frame_hw
    stretched = cv2.resize(np.asarray(probability, np.float32), (width, height), interpolation=cv2.INTER_LINEAR)
    return quad_from_region(stretched >= REGION_THRESHOLD)


def _overlap(quad: np.ndarray, blob: np.ndarray, blob_area: float) -> float:
    """IoU, inside the frame, of a quad and a 0/1 region."""
    drawn = np.zeros_like(blob)
    cv2.fillPoly(drawn, [np.round(quad * 16).astype(np.int32)], 1, shift=4)
    inter = float(np.count_nonzero(drawn & blob))
    union = blob_area + float(drawn.sum()) - inter
    return inter / union if union else 0.0


def _locate_by_region(
    region: np.ndarray, candidates: list[_Candidate], by_edges: _Candidate | None,
    grad_x: np.ndarray, grad_y: np.ndarray, plain_in: np.ndarray | None = None,
) -> _Candidate | None:
    """The document quad the locator's map points at (see :func:`search_quads`), in work pixels;
    None when the map shows no one clear document, or (with ``plain_in``, the work image) when
    the map's quad does not lie on something plain. The edge search's own choice ``by_edges``
    stands where it roughly agrees with the map: the map tells which quad, the edges where."""
    height, width = grad_x.shape
    fitted = quad_from_map(region, (height, width))
    if fitted is None:
        return None
    corners, agreement = fitted
    area_fraction = quad_area(corners) / float(height * width)
    if agreement < REGION_MIN_AGREEMENT or area_fraction > REGION_MAX_AREA_FRACTION:
        return None
    if plain_in is not None and not plain_surround(plain_in, corners):
        return None
    drawn = np.zeros((height, width), np.uint8)
    cv2.fillPoly(drawn, [np.round(corners * 16).astype(np.int32)], 1, shift=4)
    fitted_area = float(drawn.sum())
    if by_edges is not None and _overlap(by_edges.corners, drawn, fitted_area) >= REGION_CONFIRM_IOU:
        return by_edges
    near = [candidate for candidate in candidates if _overlap(candidate.corners, drawn, fitted_area) >= REGION_SNAP_IOU]
    if near:
        return max(near, key=lambda candidate: candidate.score)
    corners = _refine_sides(order_corners(corners), grad_x, grad_y)
    return _Candidate(corners, _edge_support(corners, grad_x, grad_y), quad_area(corners) / float(height * width))


def surround_stats(image: np.ndarray, corners: np.ndarray) -> tuple[float, float]:
    """What surrounds the quad ``corners`` of an RGB ``uint8`` image (see
    :data:`PLAIN_SURROUND_MAX_EDGES`): the share of its pixels that are edges and the spread of
    its grey levels (95th minus 5th percentile); ``(1.0, 255.0)`` when nothing lies out there.

    Examples
    --------
    >>> bed = np.full((300, 424, 3), 240, np.uint8)
    >>> bed[20:74, 20:106] = (90, 120, 160)  # a card in the corner of a scanned page
    >>> card = np.array([[20, 20], [105, 20], [105, 73], [20, 73]], np.float32)
    >>> surround_stats(bed, card)
    (0.0, 0.0)
    >>> print_around = bed.copy()
    >>> print_around[100::6] = 0  # lines of print
    >>> surround_stats(print_around, card)[0] > 0.1
    True
    """
    height, width = image.shape[:2]
    scale = min(1.0, PLAIN_WORK_SIDE / max(height, width))
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    grey = cv2.cvtColor(cv2.resize(image, size, interpolation=cv2.INTER_AREA), cv2.COLOR_RGB2GRAY)
    edges = cv2.Canny(cv2.GaussianBlur(grey, (3, 3), 0), 50, 150) > 0
    inside = np.zeros(grey.shape, np.uint8)
    cv2.fillPoly(inside, [np.round(np.asarray(corners, np.float64) * scale).astype(np.int32)], 1)
    reach = max(1, round(PLAIN_MARGIN * float(np.hypot(*grey.shape))))
    inside = cv2.dilate(inside, cv2.getStructuringElement(cv2.MORPH_RECT, (2 * reach + 1, 2 * reach + 1)))
    around = inside == 0
    if not around.any():
        return 1.0, 255.0
    low, high = np.percentile(grey[around], [5, 95])
    return float(edges[around].mean()), float(high - low)


def plain_surround(image: np.ndarray, corners: np.ndarray) -> bool:
    """Whether the quad lies on something plain (a scanner's lid or bed, a blank sheet), not
    amid a document's print: see :data:`PLAIN_SURROUND_MAX_EDGES`."""
    edge_share, spread = surround_stats(image, corners)
    return edge_share < PLAIN_SURROUND_MAX_EDGES and spread < PLAIN_SURROUND_MAX_SPREAD


def _refine_sides(corners: np.ndarray, grad_x: np.ndarray, grad_y: np.ndarray) -> np.ndarray:
    """Move each side of a quad fitted to the coarse map onto the straight edge beside it.

    Each side's two ends are shifted across it, independently, by up to
    :data:`REFINE_REACH` of the quad's mean side; the position whose edge support (one polarity,
    across the side) is highest wins, a side with no better edge stays. The corners are then
    where the moved sides cross. A side along the image border (a document cut by the frame)
    is not moved.
    """
    height, width = grad_x.shape
    reach = REFINE_REACH * float(quad_side_lengths(corners).mean())
    shifts = np.linspace(-reach, reach, REFINE_STEPS)
    ends = np.roll(corners, -1, axis=0)
    along_border = _on_same_border(corners, ends, width, height, BORDER_MARGIN_PX)
    t = np.linspace(0.08, 0.92, SIDE_SAMPLES)[:, None]
    sides = []
    for start, end, on_border in zip(corners, ends, along_border, strict=True):
        direction = end - start
        normal = np.array([-direction[1], direction[0]]) / max(float(np.linalg.norm(direction)), 1e-6)
        best, best_support = (start, end), -1.0
        if not on_border:
            for first in shifts:
                for second in shifts:
                    a, b = start + first * normal, end + second * normal
                    valid, positive, negative = _edge_polarity(a + t * (b - a), normal, grad_x, grad_y)
                    inside = valid.any(axis=0)
                    if inside.mean() < MIN_SIDE_INSIDE:
                        continue
                    support = max(positive.any(axis=0)[inside].mean(), negative.any(axis=0)[inside].mean())
                    # ties go to the smaller move: the map's own side unless an edge beats it
                    support -= 1e-3 * (abs(first) + abs(second)) / max(reach, 1e-6)
                    if support > best_support:
                        best, best_support = (a, b), support
        sides.append(best)
    refined = []
    for (a1, b1), (a2, b2) in zip(np.roll(np.array(sides), 1, axis=0), sides, strict=True):
        point = _intersect(a1, b1, a2, b2)
        if point is None:
            return corners
        refined.append(point)
    refined_quad = np.array(refined, dtype=np.float32)
    if not cv2.isContourConvex(refined_quad.reshape(-1, 1, 2)):
        return corners
    return order_corners(refined_quad)


def _segmentations(work: np.ndarray, smooth: np.ndarray) -> list[np.ndarray]:
    """Binary masks whose contours may follow the document outline."""
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (3, 3))
    masks = []
    for low, high in CANNY_THRESHOLDS:
        edges = cv2.Canny(smooth, low, high)
        masks.append(cv2.morphologyEx(cv2.dilate(edges, kernel), cv2.MORPH_CLOSE, kernel))
    lab = cv2.cvtColor(work, cv2.COLOR_RGB2LAB).astype(np.float32)
    border = np.concatenate([lab[:4].reshape(-1, 3), lab[-4:].reshape(-1, 3), lab[:, :4].reshape(-1, 3),
                             lab[:, -4:].reshape(-1, 3)])
    distance = np.linalg.norm(lab - np.median(border, axis=0), axis=2)
    distance = cv2.GaussianBlur(np.clip(distance * 2.0, 0, 255).astype(np.uint8), (5, 5), 0)
    if float(distance.max()) > 20.0:  # some colour differs from the border at all
        _, foreground = cv2.threshold(distance, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
        big = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (7, 7))
        foreground = cv2.morphologyEx(foreground, cv2.MORPH_OPEN, big)
        masks.append(cv2.morphologyEx(foreground, cv2.MORPH_CLOSE, big, iterations=2))
    return masks


def _candidates_from_mask(mask: np.ndarray, grad_x: np.ndarray, grad_y: np.ndarray) -> list[_Candidate]:
    height, width = mask.shape
    image_area = float(height * width)
    contours, _ = cv2.findContours(mask, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    contours = [c for c in contours if cv2.contourArea(c) >= MIN_AREA_FRACTION * image_area * 0.5]
    contours = sorted(contours, key=cv2.contourArea, reverse=True)[:12]
    found: list[_Candidate] = []
    for contour in contours:
        hull = cv2.convexHull(contour)
        perimeter = cv2.arcLength(hull, True)
        for tolerance in (0.01, 0.02, 0.04):
            polygon = cv2.approxPolyDP(hull, tolerance * perimeter, True).reshape(-1, 2).astype(np.float32)
            corners = _polygon_to_quad(polygon, width, height)
            if corners is None or not _plausible(corners, image_area):
                continue
            score = _edge_support(corners, grad_x, grad_y)
            found.append(_Candidate(corners, score, quad_area(corners) / image_area))
    return found


def _hough_segments(smooth: np.ndarray) -> np.ndarray:
    """Straight edge segments (N, 4) as x1, y1, x2, y2 in work pixels, longest first."""
    edges = cv2.Canny(smooth, *CANNY_THRESHOLDS[-1])
    min_length = MIN_LINE_FRACTION * min(smooth.shape)
    segments = cv2.HoughLinesP(edges, 1, np.pi / 360, threshold=int(min_length / 2),
                               minLineLength=min_length, maxLineGap=LINE_GAP)
    if segments is None:
        return np.zeros((0, 4), dtype=np.float32)
    segments = segments.reshape(-1, 4).astype(np.float32)
    lengths = np.hypot(segments[:, 2] - segments[:, 0], segments[:, 3] - segments[:, 1])
    return segments[np.argsort(-lengths)]


def _candidates_from_lines(segments: np.ndarray, grad_x: np.ndarray, grad_y: np.ndarray) -> list[_Candidate]:
    """Quads whose sides are long straight edges: robust to text and clutter around the document."""
    if not len(segments):
        return []
    height, width = grad_x.shape
    image_area = float(height * width)
    lines = _merge_segments(segments[:MAX_SEGMENTS])[:MAX_LINES]
    directions = np.array([end - start for start, end in lines], dtype=np.float64)
    directions /= np.linalg.norm(directions, axis=1, keepdims=True) + 1e-9
    angles = np.degrees(np.arccos(np.clip(np.abs(directions @ directions.T), 0.0, 1.0)))
    pairs = [(i, j) for i in range(len(lines)) for j in range(i + 1, len(lines)) if angles[i, j] <= MAX_PARALLEL_DEG]
    found: list[_Candidate] = []
    for index, (a, b) in enumerate(pairs):
        for c, d in pairs[index + 1 :]:
            if len({a, b, c, d}) < 4 or angles[a, c] < MIN_CROSS_DEG:
                continue
            corners = []
            for first, second in ((a, c), (c, b), (b, d), (d, a)):
                point = _intersect(*lines[first], *lines[second])
                if point is None:
                    break
                corners.append(point)
            if len(corners) < 4:
                continue
            quad = order_corners(np.array(corners, dtype=np.float32))
            if not _plausible(quad, image_area) or not _near_image(quad, width, height):
                continue
            found.append(_Candidate(quad, _edge_support(quad, grad_x, grad_y), quad_area(quad) / image_area))
    return found


def _candidates_around_portraits(
    segments: np.ndarray, boxes: list[np.ndarray], grad_x: np.ndarray, grad_y: np.ndarray
) -> list[_Candidate]:
    """Page quads framed by straight lines above, below, left and right of each portrait."""
    if not len(segments):
        return []
    lines = _merge_segments(segments[:MAX_PORTRAIT_SEGMENTS])
    image_area = float(grad_x.size)
    found: list[_Candidate] = []
    for box in boxes:
        for corners in _pages_around(lines, box, grad_x, grad_y):
            if _plausible(corners, image_area):
                support = _edge_support(corners, grad_x, grad_y)
                found.append(_Candidate(corners, support, quad_area(corners) / image_area))
    return found


def _pages_around(
    lines: list[tuple[np.ndarray, np.ndarray]], box: np.ndarray, grad_x: np.ndarray, grad_y: np.ndarray
) -> list[np.ndarray]:
    """The best few quads whose sides lie on lines that enclose the portrait at a page's scale.

    BlazeFace finds upright faces only, so a page whose portrait it found is upright within
    ~35 degrees: its top and bottom sides are near-horizontal lines above and below the face,
    its left and right sides near-vertical lines beside it. Every choice of one line per side
    is scored at once (side support read from per-line edge profiles), far more lines than
    the global search can pair.
    """
    height, width = grad_x.shape
    centre = np.array([(box[0] + box[2]) / 2.0, (box[1] + box[3]) / 2.0])
    side = _portrait_side(box)
    reach = MAX_ASPECT * side / PORTRAIT_TO_SHORT_SIDE[0]
    groups: dict[str, list[np.ndarray]] = {"top": [], "bottom": [], "left": [], "right": []}
    for start, end in lines:
        direction = (end - start) / max(float(np.linalg.norm(end - start)), 1e-9)
        normal = np.array([-direction[1], direction[0]])
        offset = float(np.dot(centre - start, normal))  # signed distance of the portrait to the line
        if abs(offset) < side / 2.0 or _distance_to_segment(centre, start, end) > reach:
            continue
        tilt = np.degrees(np.arctan2(abs(direction[1]), abs(direction[0])))
        foot = centre - offset * normal  # the line's point nearest the portrait
        if tilt <= ANCHOR_TILT_DEG:
            key = "top" if foot[1] < centre[1] else "bottom"
        elif tilt >= 90.0 - ANCHOR_TILT_DEG:
            key = "left" if foot[0] < centre[0] else "right"
        else:
            continue
        if len(groups[key]) < ANCHOR_LINES_PER_SIDE:  # lines come longest first
            groups[key].append(np.array([start, end], dtype=np.float64))
    if not all(groups.values()):
        return []
    horizontal = groups["top"] + groups["bottom"]
    vertical = groups["left"] + groups["right"]
    n_top, n_left = len(groups["top"]), len(groups["left"])
    h_start, h_dir, h_profile = _line_profiles(horizontal, grad_x, grad_y)
    v_start, v_dir, v_profile = _line_profiles(vertical, grad_x, grad_y)
    # crossing points of every horizontal with every vertical line, and their positions along both
    denominator = h_dir[:, None, 0] * v_dir[None, :, 1] - h_dir[:, None, 1] * v_dir[None, :, 0]
    gap = v_start[None, :, :] - h_start[:, None, :]
    along_h = (gap[..., 0] * v_dir[None, :, 1] - gap[..., 1] * v_dir[None, :, 0]) / denominator
    points = h_start[:, None, :] + along_h[..., None] * h_dir[:, None, :]
    along_v = np.einsum("hvk,vk->hv", points - v_start[None, :, :], v_dir)
    top, bottom, left, right = np.meshgrid(
        np.arange(n_top), np.arange(n_top, len(horizontal)), np.arange(n_left), np.arange(n_left, len(vertical)),
        indexing="ij",
    )
    top, bottom, left, right = (index.reshape(-1) for index in (top, bottom, left, right))
    corners = np.stack(
        [points[top, left], points[top, right], points[bottom, right], points[bottom, left]], axis=1
    )  # (n, 4, 2) clockwise from the top-left
    inside = ((corners[..., 0] >= 1) & (corners[..., 0] <= width - 2) & (corners[..., 1] >= 1)
              & (corners[..., 1] <= height - 2)).all(axis=1)
    supports = np.stack([
        _profile_support(h_profile, top, along_h[top, left], along_h[top, right]),
        _profile_support(v_profile, right, along_v[top, right], along_v[bottom, right]),
        _profile_support(h_profile, bottom, along_h[bottom, left], along_h[bottom, right]),
        _profile_support(v_profile, left, along_v[top, left], along_v[bottom, left]),
    ], axis=1)
    score = (supports.sum(axis=1) + supports.min(axis=1)) / 5.0
    # the portrait's place on the page, from its distances to the four side lines
    to_left, to_right = _distance_to_lines(centre, v_start[left], v_dir[left]), _distance_to_lines(
        centre, v_start[right], v_dir[right])
    to_top, to_bottom = _distance_to_lines(centre, h_start[top], h_dir[top]), _distance_to_lines(
        centre, h_start[bottom], h_dir[bottom])
    across, down = to_left / (to_left + to_right), to_top / (to_top + to_bottom)
    ratio = side / np.minimum(to_left + to_right, to_top + to_bottom)
    keep = (
        inside
        & (ratio >= PORTRAIT_TO_SHORT_SIDE[0]) & (ratio <= PORTRAIT_TO_SHORT_SIDE[1])
        & (np.minimum(across, 1.0 - across) >= PORTRAIT_FROM_SHORT_SIDE[0])
        & (np.minimum(across, 1.0 - across) <= PORTRAIT_FROM_SHORT_SIDE[1])
        & (down >= PORTRAIT_FROM_TOP[0]) & (down <= PORTRAIT_FROM_TOP[1])
    )
    order = [index for index in np.argsort(-score) if keep[index]][:ANCHOR_QUADS_KEPT]
    return [order_corners(corners[index].astype(np.float32)) for index in order]


def _line_profiles(
    lines: list[np.ndarray], grad_x: np.ndarray, grad_y: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each line's start, unit direction, and cumulative counts of edge-supported points along it.

    ``profiles[i, 0 or 1, k]`` counts the points at 1 px steps, from one image diagonal before
    the start up to step k, where the gradient crosses line i with one polarity (0) or the
    other (1): what :func:`_edge_support` measures, read for any stretch in O(1).
    """
    reach = int(np.hypot(*grad_x.shape)) + 1
    steps = np.arange(-reach, reach + 1, dtype=np.float64)
    starts = np.array([line[0] for line in lines])
    directions = np.array([line[1] - line[0] for line in lines])
    directions /= np.linalg.norm(directions, axis=1, keepdims=True) + 1e-9
    normals = np.stack([-directions[:, 1], directions[:, 0]], axis=1)
    points = starts[:, None, :] + steps[None, :, None] * directions[:, None, :]  # (line, step, xy)
    _, positive, negative = _edge_polarity(points, normals[:, None, :], grad_x, grad_y)
    supported = np.stack([positive.any(axis=0), negative.any(axis=0)], axis=1)  # (line, polarity, step)
    profiles = np.cumsum(supported, axis=2)
    return starts, directions, np.concatenate([np.zeros((len(lines), 2, 1)), profiles], axis=2)


def _profile_support(profiles: np.ndarray, line: np.ndarray, first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Supported share (the better polarity) of each stretch between two positions on its line,
    its ends trimmed as in :func:`_edge_support`."""
    reach = (profiles.shape[2] - 2) // 2
    low, high = np.minimum(first, second), np.maximum(first, second)
    trim = 0.08 * (high - low)
    lo = np.clip(np.rint(low + trim).astype(int) + reach, 0, profiles.shape[2] - 2)
    hi = np.clip(np.rint(high - trim).astype(int) + reach, 0, profiles.shape[2] - 2)
    count = np.maximum(hi - lo, 1)
    positive = (profiles[line, 0, hi + 1] - profiles[line, 0, lo]) / count
    negative = (profiles[line, 1, hi + 1] - profiles[line, 1, lo]) / count
    return np.minimum(np.maximum(positive, negative), 1.0)


def _distance_to_lines(point: np.ndarray, starts: np.ndarray, directions: np.ndarray) -> np.ndarray:
    gap = point[None, :] - starts
    return np.abs(gap[:, 0] * directions[:, 1] - gap[:, 1] * directions[:, 0])


def _portrait_side(box: np.ndarray) -> float:
    return float(np.sqrt(max(box[2] - box[0], 1e-6) * max(box[3] - box[1], 1e-6)))


def _holds(corners: np.ndarray, box: np.ndarray) -> bool:
    """Whether the quad contains the face box's centre at a page's scale for that portrait."""
    centre = (float(box[0] + box[2]) / 2.0, float(box[1] + box[3]) / 2.0)
    if cv2.pointPolygonTest(corners.reshape(-1, 1, 2).astype(np.float32), centre, False) <= 0:
        return False
    sides = quad_side_lengths(corners)
    short_side = min((sides[0] + sides[2]) / 2.0, (sides[1] + sides[3]) / 2.0)
    ratio = _portrait_side(box) / max(short_side, 1e-6)
    if not PORTRAIT_TO_SHORT_SIDE[0] <= ratio <= PORTRAIT_TO_SHORT_SIDE[1]:
        return False
    # the centre in page coordinates, the long side horizontal
    landscape = corners if sides[0] + sides[2] >= sides[1] + sides[3] else np.roll(corners, -3, axis=0)
    unit = np.array([[0, 0], [1, 0], [1, 1], [0, 1]], dtype=np.float32)
    to_page = cv2.getPerspectiveTransform(landscape.astype(np.float32), unit)
    x, y = cv2.perspectiveTransform(np.array([[centre]], dtype=np.float32), to_page)[0, 0]
    return bool(
        PORTRAIT_FROM_SHORT_SIDE[0] <= min(x, 1.0 - x) <= PORTRAIT_FROM_SHORT_SIDE[1]
        and PORTRAIT_FROM_TOP[0] <= y <= PORTRAIT_FROM_TOP[1]
    )


def _distance_to_segment(point: np.ndarray, start: np.ndarray, end: np.ndarray) -> float:
    direction = end - start
    t = float(np.clip(np.dot(point - start, direction) / max(float(np.dot(direction, direction)), 1e-9), 0, 1))
    return float(np.linalg.norm(point - (start + t * direction)))


def _merge_segments(segments: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """Collinear Hough segments merged into one line each (its two extreme points), longest first.

    Greedy, longest segment first: a segment joins the first line (in order of creation) that
    runs within 3 degrees of it and passes within 3 px of both its ends, else starts its own.
    """
    lengths = np.hypot(segments[:, 2] - segments[:, 0], segments[:, 3] - segments[:, 1])
    order = np.argsort(-lengths)
    count = len(order)
    # per line: its first point (anchor), unit direction and normal, as rows filled in order
    anchors = np.zeros((count, 2))
    directions = np.zeros((count, 2))
    normals = np.zeros((count, 2))
    members: list[list[np.ndarray]] = []  # each line's endpoints
    cos_limit = np.cos(np.radians(3.0))
    for index in order:
        x1, y1, x2, y2 = (float(v) for v in segments[index])
        p, q = np.array([x1, y1]), np.array([x2, y2])
        direction = (q - p) / max(float(np.linalg.norm(q - p)), 1e-6)
        n = len(members)
        if n:
            aligned = np.abs(directions[:n] @ direction) >= cos_limit
            off_p = np.abs(np.einsum("ij,ij->i", p - anchors[:n], normals[:n]))
            off_q = np.abs(np.einsum("ij,ij->i", q - anchors[:n], normals[:n]))
            joins = np.flatnonzero(aligned & (np.maximum(off_p, off_q) <= 3.0))
            if joins.size:
                members[int(joins[0])].extend([p, q])
                continue
        anchors[n], directions[n], normals[n] = p, direction, (-direction[1], direction[0])
        members.append([p, q])
    lines = []
    for group, direction in zip(members, directions, strict=False):
        points = np.array(group)
        along = points @ direction
        lines.append((points[int(np.argmin(along))], points[int(np.argmax(along))]))
    lines.sort(key=lambda line: -float(np.linalg.norm(line[1] - line[0])))
    return lines


def _near_image(quad: np.ndarray, width: int, height: int) -> bool:
    limit = 0.25 * max(width, height)
    return bool(
        (quad[:, 0] >= -limit).all() and (quad[:, 0] <= width + limit).all()
        and (quad[:, 1] >= -limit).all() and (quad[:, 1] <= height + limit).all()
    )


def _polygon_to_quad(polygon: np.ndarray, width: int, height: int) -> np.ndarray | None:
    """Four corners from a simplified convex polygon, completing one cut by the image border."""
    if len(polygon) == 4:
        return order_corners(polygon)
    if len(polygon) < 4 or len(polygon) > 8:
        return None
    ends = np.roll(polygon, -1, axis=0)
    on_border = _on_same_border(polygon, ends, width, height, BORDER_MARGIN_PX)
    lengths = np.linalg.norm(ends - polygon, axis=1)
    inner = [i for i in range(len(polygon)) if not on_border[i]]
    if len(inner) < 4:
        return None
    # the four longest non-border sides, kept in their order around the polygon
    keep = sorted(sorted(inner, key=lambda i: -lengths[i])[:4])
    if sum(lengths[i] for i in keep) < 0.75 * sum(lengths[i] for i in inner):
        return None  # more than four real sides: not a quadrilateral outline
    corners = []
    for a, b in zip(keep, keep[1:] + keep[:1], strict=True):
        point = _intersect(polygon[a], ends[a], polygon[b], ends[b])
        if point is None:
            return None
        corners.append(point)
    quad = np.array(corners, dtype=np.float32)
    # a completed corner far outside the frame is a guess, not a measurement
    limit = 0.5 * max(width, height)
    if (quad[:, 0] < -limit).any() or (quad[:, 0] > width + limit).any():
        return None
    if (quad[:, 1] < -limit).any() or (quad[:, 1] > height + limit).any():
        return None
    return order_corners(quad)


def _on_same_border(starts: np.ndarray, ends: np.ndarray, width: int, height: int, margin: float) -> np.ndarray:
    both = np.stack([starts, ends])  # (2, n, 2)
    left = (both[..., 0] <= margin).all(axis=0)
    right = (both[..., 0] >= width - 1 - margin).all(axis=0)
    top = (both[..., 1] <= margin).all(axis=0)
    bottom = (both[..., 1] >= height - 1 - margin).all(axis=0)
    return left | right | top | bottom


def _intersect(p1: np.ndarray, p2: np.ndarray, p3: np.ndarray, p4: np.ndarray) -> np.ndarray | None:
    d1, d2 = p2 - p1, p4 - p3
    denominator = float(d1[0] * d2[1] - d1[1] * d2[0])
    if abs(denominator) < 1e-6 * (np.linalg.norm(d1) * np.linalg.norm(d2) + 1e-9):
        return None  # parallel sides
    t = float((p3[0] - p1[0]) * d2[1] - (p3[1] - p1[1]) * d2[0]) / denominator
    return p1 + t * d1


def _plausible(corners: np.ndarray, image_area: float) -> bool:
    area = quad_area(corners)
    if area < MIN_AREA_FRACTION * image_area:
        return False
    if not cv2.isContourConvex(corners.reshape(-1, 1, 2)):
        return False
    sides = quad_side_lengths(corners)
    if sides.min() < 8.0:
        return False
    horizontal, vertical = (sides[0] + sides[2]) / 2.0, (sides[1] + sides[3]) / 2.0
    aspect = max(horizontal, vertical) / min(horizontal, vertical)
    if not MIN_ASPECT <= aspect <= MAX_ASPECT:
        return False
    previous, following = np.roll(corners, 1, axis=0) - corners, np.roll(corners, -1, axis=0) - corners
    cosines = (previous * following).sum(axis=1) / (
        np.linalg.norm(previous, axis=1) * np.linalg.norm(following, axis=1)
    )
    angles = np.degrees(np.arccos(np.clip(cosines, -1.0, 1.0)))
    return bool(((angles >= MIN_ANGLE_DEG) & (angles <= MAX_ANGLE_DEG)).all())


def _edge_polarity(
    points: np.ndarray, normal: np.ndarray, grad_x: np.ndarray, grad_y: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Where an edge crosses a line, at each of ``points`` (..., 2) shifted across it by each
    of :data:`_SIDE_OFFSETS` (a corner placed 2 px off the edge still finds it).

    ``normal`` (broadcast against ``points``) is the line's unit normal. Returns boolean
    arrays of shape (5, ...): the shifted point lies inside the image; the gradient there is
    strong and points across the line one way (positive) or the other (negative).
    """
    height, width = grad_x.shape
    cos_tolerance = np.cos(np.radians(EDGE_ANGLE_TOLERANCE_DEG))
    offsets = _SIDE_OFFSETS.reshape(-1, *([1] * points.ndim))
    shifted = points[None] + offsets * normal
    xs = np.rint(shifted[..., 0]).astype(int)
    ys = np.rint(shifted[..., 1]).astype(int)
    valid = (xs >= 1) & (xs < width - 1) & (ys >= 1) & (ys < height - 1)
    rows, cols = np.clip(ys, 0, height - 1), np.clip(xs, 0, width - 1)
    gx = np.where(valid, grad_x[rows, cols], 0.0)
    gy = np.where(valid, grad_y[rows, cols], 0.0)
    magnitude = np.hypot(gx, gy)
    normal = np.broadcast_to(normal, shifted.shape)
    projection = gx * normal[..., 0] + gy * normal[..., 1]
    strong = valid & (magnitude >= EDGE_MAGNITUDE) & (np.abs(projection) >= cos_tolerance * magnitude)
    return valid, strong & (projection > 0), strong & (projection < 0)


def _edge_support(corners: np.ndarray, grad_x: np.ndarray, grad_y: np.ndarray) -> float:
    """Mean of the sides' supported fractions, the weakest counted twice; sides along the border skipped."""
    height, width = grad_x.shape
    supports = []
    ends = np.roll(corners, -1, axis=0)
    along_border = _on_same_border(corners, ends, width, height, BORDER_MARGIN_PX)
    for start, end, on_border in zip(corners, ends, along_border, strict=True):
        if on_border:
            continue  # the frame cuts the document here: this side cannot be seen, nor judged
        direction = end - start
        length = float(np.linalg.norm(direction))
        normal = np.array([-direction[1], direction[0]]) / length
        # skip the ends: corners are rounded on cards, and the neighbouring side's edge is there
        t = np.linspace(0.08, 0.92, SIDE_SAMPLES)[:, None]
        valid, positive, negative = _edge_polarity(start + t * direction, normal, grad_x, grad_y)
        inside = valid.any(axis=0)
        positive, negative = positive.any(axis=0), negative.any(axis=0)
        if inside.mean() < MIN_SIDE_INSIDE:
            return 0.0
        # A document edge keeps one polarity (document darker or lighter than what is beside it)
        # along most of its length; the ragged edge of a text block or clutter flips at random.
        supports.append(float(max(positive[inside].mean(), negative[inside].mean())))
    if len(supports) < 3:
        return 0.0
    values = np.array(supports)
    return float((values.sum() + values.min()) / (len(values) + 1))


def _choose(candidates: list[_Candidate], shape: tuple[int, int], *, nested: bool = True) -> _Candidate:
    """The best-supported candidate, then the well-supported document-sized quad nested in it.

    A document often lies on a sheet of paper or a newspaper page that is itself a clean
    quadrilateral enclosing it, usually running off the frame; the document is then the inner
    quad. An outer quad wholly inside the frame is kept, even a few pixels from its edge: it
    is more likely the document itself than a sheet, and its inner quads are panels
    (portrait, MRZ block). Only a quad the frame cuts (a corner within
    :data:`BORDER_MARGIN_PX` of the border, or beyond it) is searched for a document inside,
    and only when ``nested``.
    """
    # near-ties go to the larger quad: a document's outline over the panels printed inside it
    best = max(candidates, key=lambda candidate: candidate.score + AREA_BONUS * np.sqrt(candidate.area_fraction))
    while nested and _touches_border(best.corners, *shape):
        inner = [
            candidate
            for candidate in candidates
            if candidate.score >= best.score - NESTED_SCORE_MARGIN
            and NESTED_MIN_AREA_RATIO * best.area_fraction <= candidate.area_fraction <= 0.9 * best.area_fraction
            and _contains(best.corners, candidate.corners)
        ]
        if not inner:
            return best
        best = max(inner, key=lambda candidate: candidate.score)
    return best


def _touches_border(corners: np.ndarray, width: int, height: int) -> bool:
    # a card placed near the edge of a phone frame is not cut by it (a margin of 2 % of the
    # frame took such cards for sheets and framed a panel inside them)
    margin = BORDER_MARGIN_PX
    x, y = corners[:, 0], corners[:, 1]
    return bool((x < margin).any() or (y < margin).any() or (x > width - 1 - margin).any()
                or (y > height - 1 - margin).any())


def _contains(outer: np.ndarray, inner: np.ndarray) -> bool:
    contour = outer.reshape(-1, 1, 2).astype(np.float32)
    return all(cv2.pointPolygonTest(contour, (float(x), float(y)), True) >= -2.0 for x, y in inner)
