"""Capture-quality measures of a document image: blank page, sharpness, glare, size, cropping.

Each function returns the measured value; :func:`liveness.documents.intake.prepare_document`
compares them with the thresholds below and turns failures into ``DOC_*`` reason codes.
Thresholds were chosen on generated cards (sharp, Gaussian-blurred, with a white glare blob,
shrunk, cut by the frame) and checked on the shared samples (SIDTD crops, PassportEye scans,
DLC-2021 phone frames), which must come out clean.
"""

from __future__ import annotations

import cv2
import numpy as np

from liveness.documents.quad import quad_side_lengths

__all__ = [
    "BLANK_MAX_EDGE_DENSITY",
    "BLANK_MAX_STD",
    "BLUR_MIN_SHARPNESS",
    "CROPPED_MARGIN_FRACTION",
    "CROPPED_MAX_AREA_FRACTION",
    "GLARE_MAX_FRACTION",
    "SMALL_MIN_AREA_FRACTION",
    "SMALL_MIN_SHORT_SIDE_PX",
    "blank_statistics",
    "border_clearance",
    "glare_fraction",
    "sharpness",
    "short_side",
]

# Blank: an empty page, a wall or a lens cap. Grey-level spread and Canny edge density of the
# whole image (long side 256 px); any printed card has both far above these (text, portrait).
BLANK_MAX_STD = 6.0
BLANK_MAX_EDGE_DENSITY = 0.002
# Blur: the re-blur sharpness of the document at its native resolution, at most the canonical
# size (see :func:`sharpness`). A generated card at about the canonical size measures 0.87
# sharp and 0.59 / 0.51 / 0.45 / 0.34 / 0.28 after a Gaussian blur of sigma 1 / 1.5 / 2 / 3 / 4
# px (from sigma 2 its 9-px text is unreadable). The SIDTD crops, PassportEye scans and
# DLC-2021 phone frames whose document was found measure 0.58-0.95 (median 0.85).
BLUR_MIN_SHARPNESS = 0.48
# Glare: clipped near-white blobs over this share of the document hide a field or the portrait.
GLARE_MAX_FRACTION = 0.03
GLARE_MIN_LEVEL = 245  # every channel at least this: clipped by the sensor
GLARE_MIN_BLOB_FRACTION = 0.003  # single white pixels and thin lines are print, not glare
GLARE_EDGE_BAND = 0.03  # share of the short side ignored along the crop's edges
# A glare blob is counted only when the ring GLARE_HALO_PX around it averages at least this grey
# level: specular glare fades out, while a white form field of a scan ends at a printed line.
GLARE_HALO_PX = 4
GLARE_MIN_HALO = 230.0
# A white-background document (a scan of a white page) is clipped paper, not glare; glare is
# only judged when the document's median grey level is under this.
GLARE_MAX_BACKGROUND = 225
# Too small: a short side under 120 px puts 7-point text at ~4 px, below what OCR or the
# forgery model can use; under 3 % of the frame the capture is too far away to trust.
SMALL_MIN_SHORT_SIDE_PX = 120.0
SMALL_MIN_AREA_FRACTION = 0.03
# Cropped: a corner outside the image or within this fraction of the short image side of its
# border (a corner on the border is usually one cut off by the frame).
CROPPED_MARGIN_FRACTION = 0.005
# ...unless the quad covers this much of the image: then the image is a tight crop or scan whose
# edges are the document's own, and a corner on the border says nothing.
CROPPED_MAX_AREA_FRACTION = 0.85


def blank_statistics(image: np.ndarray) -> tuple[float, float]:
    """Grey-level standard deviation and Canny edge density of an RGB image (long side 256 px).

    Examples
    --------
    >>> blank_statistics(np.full((100, 160, 3), 200, np.uint8))
    (0.0, 0.0)
    """
    grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    scale = 256.0 / max(grey.shape)
    if scale < 1.0:
        grey = cv2.resize(grey, (max(1, round(grey.shape[1] * scale)), max(1, round(grey.shape[0] * scale))),
                          interpolation=cv2.INTER_AREA)
    edges = cv2.Canny(cv2.GaussianBlur(grey, (3, 3), 0), 30, 90)
    return round(float(grey.std()), 4), round(float((edges > 0).mean()), 6)


def sharpness(document: np.ndarray) -> float:
    """Re-blur sharpness in [0, 1] of an RGB image: the share of gradient energy a light blur removes.

    After Crété et al., "The blur effect: perception and estimation with a new no-reference
    perceptual blur metric" (SPIE 2007), with squared differences: a sharp image loses most
    of its neighbour-pixel gradient energy to a Gaussian blur of sigma 1 px, an already blurred
    one keeps it. The ratio does not depend on contrast, so a pale grey photocopy and a
    saturated card compare fairly. Measure it at the document's native resolution (not
    upscaled), since upscaling alone lowers it.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> noisy = rng.integers(0, 255, (64, 64, 3), dtype=np.uint8)
    >>> sharpness(noisy) > 0.9 > 0.4 > sharpness(cv2.GaussianBlur(noisy, (0, 0), 3))
    True
    """
    grey = cv2.cvtColor(document, cv2.COLOR_RGB2GRAY).astype(np.float32)
    blurred = cv2.GaussianBlur(grey, (0, 0), 1.0)

    def energy(values: np.ndarray) -> float:
        return float((np.diff(values, axis=0) ** 2).sum() + (np.diff(values, axis=1) ** 2).sum())

    total = energy(grey)
    return 0.0 if total == 0.0 else round(max(0.0, 1.0 - energy(blurred) / total), 4)


def glare_fraction(rectified: np.ndarray) -> float:
    """Share of the document covered by clipped near-white blobs (0 on a white-background page).

    Examples
    --------
    >>> card = np.full((288, 448, 3), 150, np.uint8)
    >>> glare_fraction(card)
    0.0
    >>> yy, xx = np.mgrid[:288, :448]
    >>> spot = 400.0 * np.exp(-((xx - 220) ** 2 + (yy - 140) ** 2) / (2 * 40.0**2))
    >>> glared = np.clip(card + spot[..., None], 0, 255).astype(np.uint8)
    >>> round(glare_fraction(glared), 3)
    0.112
    """
    grey = cv2.cvtColor(rectified, cv2.COLOR_RGB2GRAY)
    if float(np.median(grey)) > GLARE_MAX_BACKGROUND:
        return 0.0
    clipped = (rectified.min(axis=2) >= GLARE_MIN_LEVEL).astype(np.uint8)
    height, width = clipped.shape
    band = max(1, round(GLARE_EDGE_BAND * min(height, width)))
    # white scan margins and rounded-corner gaps hug the edges of the rectified crop
    clipped[:band], clipped[-band:], clipped[:, :band], clipped[:, -band:] = 0, 0, 0, 0
    clipped = cv2.morphologyEx(clipped, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5)))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(clipped, connectivity=8)
    area = float(clipped.size)
    ring_kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * GLARE_HALO_PX + 1, 2 * GLARE_HALO_PX + 1))
    covered = 0
    for label in range(1, count):
        if stats[label, cv2.CC_STAT_AREA] < GLARE_MIN_BLOB_FRACTION * area:
            continue
        x, y, w, h = (int(v) for v in stats[label, :4])
        x0, y0 = max(0, x - GLARE_HALO_PX), max(0, y - GLARE_HALO_PX)
        x1, y1 = min(width, x + w + GLARE_HALO_PX), min(height, y + h + GLARE_HALO_PX)
        blob = (labels[y0:y1, x0:x1] == label).astype(np.uint8)
        ring = cv2.dilate(blob, ring_kernel).astype(bool) & ~blob.astype(bool)
        # glare fades out over a bright halo; a white printed box or field ends at a dark line
        if ring.any() and float(grey[y0:y1, x0:x1][ring].mean()) >= GLARE_MIN_HALO:
            covered += int(stats[label, cv2.CC_STAT_AREA])
    return round(covered / area, 4)


def border_clearance(corners: np.ndarray, width: int, height: int) -> float:
    """Smallest distance (px) of a quad corner inside the image border; negative when outside.

    Examples
    --------
    >>> border_clearance(np.array([[5, 5], [95, 5], [95, 55], [5, 55]], np.float32), 100, 60)
    4.0
    """
    pts = np.asarray(corners, dtype=np.float64).reshape(4, 2)
    distances = np.concatenate([pts[:, 0], (width - 1) - pts[:, 0], pts[:, 1], (height - 1) - pts[:, 1]])
    return round(float(distances.min()), 2)


def short_side(corners: np.ndarray) -> float:
    """Mean length of the quad's two shorter opposite sides (px)."""
    sides = quad_side_lengths(corners)
    return float(min((sides[0] + sides[2]) / 2.0, (sides[1] + sides[3]) / 2.0))
