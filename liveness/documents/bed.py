"""Documents lying on a plain bed: a flatbed scan, a copy of an ID's front and back on one page.

People who scan an ID lay it on the glass and scan a whole page, often with the back beside
the front. The page around the cards is the scanner's lid (white), the open lid's dark, or a
plain mat: one even colour from the frame's border inwards, broken only by the documents. So
the documents are what differs from that colour: the frame's border gives the bed's colour,
every pixel far from it (in CIELAB) is an object, and each object that fills its rotated
rectangle and has a card's or data page's side ratio is a document.

The regions are handed to the quad search as a map, like the locator's
(:func:`liveness.documents.quad.search_quads`): edges place the quad, the region says which.
A tight crop of a card is no bed: the frame's border is the card's own print, which is not
one even colour all round (and a card whose margin is plain has its bands, portrait and fields
inside, none a filled rectangle of a card's ratio at the size of a document).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from liveness.documents.quad import order_corners, quad_from_region

__all__ = ["BedDocument", "documents_on_bed"]

WORK_SIDE = 640  # measured on the frame shrunk to this long side
# The border strip (share of the short side) whose colour is the bed's, and how much of it
# must lie near that colour: a card laid in a corner of the glass covers up to ~15 % of it.
BORDER_FRACTION = 0.01
BED_MIN_BORDER_SHARE = 0.7
# A pixel is the bed's when its Lab colour lies within a distance of the bed's (8-bit Lab
# units): BED_NOISE_FACTOR times the 95th percentile of the border's own distances (the bed's
# shading and the scanner's noise), within BED_DISTANCE. A scanner's noise is small, so a pale
# card on the white lid (10-15 units darker) still stands out; the border must lie within the
# upper bound for the frame to be a bed at all.
BED_NOISE_FACTOR = 3.0
BED_DISTANCE = (6.0, 14.0)
BED_MIN_FRAME_SHARE = 0.5  # the bed is most of the frame: a page with one or two cards on it
# A document region: a share of the frame, filling its rotated rectangle, in a card's (1.586),
# TD2 (1.41) or TD3 data page's (1.42) ratio (with room for rounded corners and a shadow).
DOC_MIN_AREA, DOC_MAX_AREA = 0.02, 0.5
DOC_MIN_FILL = 0.85
DOC_ASPECT = (1.3, 1.8)


@dataclass(frozen=True)
class BedDocument:
    """One document on the bed: its region, (h, w) bool on the frame shrunk to
    :data:`WORK_SIDE` (the quad search stretches a region over the frame), and its outline's
    corners (4, 2) in frame pixels (the quad covering the region best)."""

    mask: np.ndarray
    corners: np.ndarray


def documents_on_bed(image: np.ndarray) -> list[BedDocument]:
    """The documents lying on a plain bed in an RGB ``uint8`` image, largest first; empty when
    the image is not a plain bed with documents on it (a phone photo of a desk, a tight crop).

    Examples
    --------
    >>> page = np.full((420, 600, 3), 240, np.uint8)  # a white scanner lid
    >>> page[30:130, 40:198] = (60, 110, 170)  # the front of a card
    >>> page[30:130, 260:418] = (170, 150, 90)  # its back beside it
    >>> sorted(doc.corners.min(0).round().tolist() for doc in documents_on_bed(page))  # within a pixel
    [[39.0, 29.0], [259.0, 29.0]]
    >>> documents_on_bed(np.full((420, 600, 3), 240, np.uint8))
    []
    """
    height, width = image.shape[:2]
    scale = min(1.0, WORK_SIDE / max(height, width))
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    work = cv2.resize(image, size, interpolation=cv2.INTER_AREA) if scale < 1.0 else image
    lab = cv2.cvtColor(cv2.GaussianBlur(work, (3, 3), 0), cv2.COLOR_RGB2LAB).astype(np.float32)
    h, w = lab.shape[:2]
    strip = max(1, round(BORDER_FRACTION * min(h, w)))
    border = np.concatenate([lab[:strip].reshape(-1, 3), lab[-strip:].reshape(-1, 3),
                             lab[:, :strip].reshape(-1, 3), lab[:, -strip:].reshape(-1, 3)])
    bed_colour = np.median(border, axis=0)
    border_distance = np.linalg.norm(border - bed_colour, axis=1)
    if np.mean(border_distance <= BED_DISTANCE[1]) < BED_MIN_BORDER_SHARE:
        return []
    on_bed = border_distance[border_distance <= BED_DISTANCE[1]]
    limit = float(np.clip(BED_NOISE_FACTOR * np.percentile(on_bed, 95), *BED_DISTANCE))
    bed = np.linalg.norm(lab - bed_colour, axis=2) <= limit
    if bed.mean() < BED_MIN_FRAME_SHARE:
        return []
    objects = (~bed).astype(np.uint8)
    reach = max(1, round(0.004 * max(h, w)))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * reach + 1, 2 * reach + 1))
    objects = cv2.morphologyEx(objects, cv2.MORPH_CLOSE, kernel)
    contours, _ = cv2.findContours(objects, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    found = []
    for contour in contours:
        area = cv2.contourArea(contour)
        if not DOC_MIN_AREA * h * w <= area <= DOC_MAX_AREA * h * w:
            continue
        (cx, cy), (rw, rh), angle = cv2.minAreaRect(contour)
        if min(rw, rh) <= 0 or area / (rw * rh) < DOC_MIN_FILL:
            continue
        if not DOC_ASPECT[0] <= max(rw, rh) / min(rw, rh) <= DOC_ASPECT[1]:
            continue
        region = np.zeros((h, w), np.uint8)
        cv2.drawContours(region, [contour], -1, 1, thickness=cv2.FILLED)  # a white card body is filled in
        # its outline: the quad that best covers the region (a phone held over a plain sheet
        # adds perspective), else its rotated rectangle (a scan has none)
        mask = region.astype(bool)
        fitted = quad_from_region(mask)
        outline = fitted[0] if fitted is not None else cv2.boxPoints(((cx, cy), (rw, rh), angle))
        found.append((area, BedDocument(mask=mask, corners=order_corners(np.asarray(outline, np.float32) / scale))))
    return [document for _, document in sorted(found, key=lambda item: -item[0])]

