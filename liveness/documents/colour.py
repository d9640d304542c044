"""How much colour a rectified document shows once the light's tint is taken out, and the
photocopy gate built on it.

A grey photocopy, or a print of a grey scan, keeps only the tint of the light it is filmed
under: every pixel's chroma sits near one value. A genuine card or passport page is printed
in several inks (guilloches, a coloured portrait, a tinted background), so its chroma spreads.
The page model learns photocopies from our synthesized grey copies, and on those it needs no
help; on real grey copies (DLC-2021) it passed about a third. The colour spread is a physical
property that transfers: the 90th percentile of tint-free chroma is 1-7 (median 3) on
DLC-2021's copies, 4-30 on genuine captures and scans.

So the document score is the larger of the fused model score and a *photocopy gate*, a
logistic in the colour spread whose midpoint (the *knee*) is the spread that 99 % of the
synthesized genuine validation documents exceed, and whose slope is fitted on genuine
against photocopied validation documents. The gate alone costs at most ~1 % BPCER on them;
the operating thresholds are fitted on the combined score.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

__all__ = ["COLOUR_FEATURE", "ColourGate", "colour_spread"]

COLOUR_FEATURE = "colour_spread"
# The upper part of the chroma distribution: a card's colour lives in its ink areas, often
# well under half of the page (the rest is a pale background).
SPREAD_PERCENTILE = 90.0


def colour_spread(document: np.ndarray) -> float:
    """log(1 + the 90th percentile of tint-free chroma) of an RGB ``uint8`` document.

    The tint is the median (a*, b*) of the page in CIELAB; chroma is each pixel's distance
    from it, in 8-bit Lab units. About 0.7-2 on grey copies, 1.6-3.5 on colour documents.

    Examples
    --------
    >>> grey = np.full((8, 8, 3), 120, np.uint8)
    >>> colour_spread(grey)
    0.0
    >>> warm_grey = grey + np.array([20, 10, 0], np.uint8)  # a grey copy under warm light
    >>> colour_spread(warm_grey)
    0.0
    >>> colourful = grey.copy()
    >>> colourful[:4] = (200, 40, 40)
    >>> colour_spread(colourful) > 3.0
    True
    """
    if document.ndim != 3 or document.shape[2] != 3 or document.dtype != np.uint8:
        raise ValueError(f"expected an (H, W, 3) uint8 RGB document, got {document.shape} {document.dtype}")
    lab = cv2.cvtColor(np.ascontiguousarray(document), cv2.COLOR_RGB2LAB).astype(np.float32)
    chroma = lab[..., 1:].reshape(-1, 2)
    tint_free = np.linalg.norm(chroma - np.median(chroma, axis=0), axis=1)
    return float(np.log1p(np.percentile(tint_free, SPREAD_PERCENTILE)))


@dataclass(frozen=True)
class ColourGate:
    """Probability that a page is a grey copy from its colour spread alone:
    ``sigmoid(slope * (knee - spread))``, 0.5 at the knee.

    Examples
    --------
    >>> gate = ColourGate(knee=1.6, slope=3.0)
    >>> gate.score(1.6)
    0.5
    >>> gate.score(0.5) > 0.95, gate.score(3.0) < 0.05
    (True, True)
    """

    knee: float
    slope: float

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ColourGate:
        knee, slope = float(data["knee"]), float(data["slope"])
        if not (math.isfinite(knee) and math.isfinite(slope) and slope > 0):
            raise ValueError(f"colour gate needs a finite knee and a positive slope, got {data!r}")
        return cls(knee=knee, slope=slope)

    def to_dict(self) -> dict[str, float]:
        return {"knee": self.knee, "slope": self.slope}

    def score(self, spread: float) -> float:
        z = self.slope * (self.knee - spread)
        return 1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z))
