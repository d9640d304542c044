"""How much colour a rectified document shows once the light's tint is taken out, and the
photocopy gate built on it.

A grey photocopy, or a print of a grey scan, keeps only the tint of the light it is filmed
under: every pixel's chroma sits near one value. A genuine card or passport page is printed
in several inks (guilloches, a coloured portrait, a tinted background), so its chroma spreads.
The page model learns photocopies from our synthesized grey copies, and on those it needs no
help; on real grey copies (DLC-2021) it passed about a third. The colour spread is a physical
property that transfers. Light is not one tint across a page (sunlight and shade, a lamp and a
window), so the tint is taken out locally. Removing one tint for the whole page instead separated
DLC-2021's copies from the genuine dev documents with AUC 0.91 (local: 0.96); that choice was
made looking at those dev documents, so their photocopy figures are optimistic.

So the document score is the larger of the fused model score and a *photocopy gate*, a
logistic in the colour spread whose midpoint (the *knee*) is the spread that 99 % of the
synthesized genuine validation documents exceed, and whose slope is fitted on genuine
against photocopied validation documents. The gate alone costs at most ~1 % BPCER on them;
the operating thresholds are fitted on the combined score.
"""

from __future__ import annotations

import cv2
import numpy as np

from liveness.documents.gates import Gate

__all__ = ["ColourGate", "colour_spread"]

# The upper part of the chroma distribution: a card's colour lives in its ink areas, often
# well under half of the page (the rest is a pale background).
SPREAD_PERCENTILE = 90.0
# The light's tint is taken out locally, as a Gaussian blur of the chroma with this sigma in
# pixels of the 448x288 page: a copy lying half in sunlight and half in shade (or lit by a
# lamp and a window) has a different tint on each part, which a single tint leaves as colour.
# The ink colours of a card change over a few pixels, well inside that scale.
TINT_SIGMA_PX = 16.0


def colour_spread(document: np.ndarray) -> float:
    """log(1 + the 90th percentile of tint-free chroma) of an RGB ``uint8`` document.

    The tint is the page's (a*, b*) in CIELAB blurred over :data:`TINT_SIGMA_PX`; chroma is
    each pixel's distance from the tint around it, in 8-bit Lab units. About 0.3-1.5 on grey
    copies, 1.2-3 on colour documents.

    Examples
    --------
    >>> grey = np.full((8, 8, 3), 120, np.uint8)
    >>> colour_spread(grey)
    0.0
    >>> warm_grey = grey + np.array([20, 10, 0], np.uint8)  # a grey copy under warm light
    >>> round(colour_spread(warm_grey), 3)
    0.0
    >>> ramp = np.linspace(0, 1, 448)[None, :, None] * np.array([-14.0, 0.0, 14.0])  # into bluish shade
    >>> shade = np.clip(np.full((288, 448, 3), 150.0) + ramp, 0, 255).astype(np.uint8)
    >>> colour_spread(shade) < 0.5
    True
    >>> colourful = np.full((64, 64, 3), 120, np.uint8)
    >>> colourful[::4] = (200, 40, 40)  # red lines of print
    >>> colour_spread(colourful) > 3.0
    True
    """
    if document.ndim != 3 or document.shape[2] != 3 or document.dtype != np.uint8:
        raise ValueError(f"expected an (H, W, 3) uint8 RGB document, got {document.shape} {document.dtype}")
    lab = cv2.cvtColor(np.ascontiguousarray(document), cv2.COLOR_RGB2LAB).astype(np.float32)
    chroma = np.ascontiguousarray(lab[..., 1:])
    tint = cv2.GaussianBlur(chroma, (0, 0), TINT_SIGMA_PX, borderType=cv2.BORDER_REFLECT)
    tint_free = np.linalg.norm(chroma - tint, axis=2)
    return float(np.log1p(np.percentile(tint_free, SPREAD_PERCENTILE)))


class ColourGate(Gate):
    """Probability that a page is a grey copy from its colour spread alone:
    ``sigmoid(slope * (knee - spread))``, 0.5 at the knee (see :class:`~liveness.documents.gates.Gate`).

    Examples
    --------
    >>> gate = ColourGate(knee=1.6, slope=3.0)
    >>> gate.score(0.5) > 0.95, gate.score(3.0) < 0.05
    (True, True)
    """

    key = "colour_gate"
