"""Gates: one measure that, when low, tells one forgery by itself, whatever the models say.

The document score fuses the models' log-odds in one logistic fit over every species. Some
evidence tells one species only: a page without colour is a grey copy, a ghost image that does
not match its portrait belongs to a replaced portrait. Fitted into that one logistic, such a
measure is weighed against every other species too (a text edit has a genuine ghost), and its
weight shrinks. A gate keeps it whole: the document score is the larger of the fused score and
``sigmoid(slope * (knee - value))``, with the slope fitted on genuine documents against that
species and the knee placed where the gate reaches the review threshold at a low percentile of
genuine documents (:mod:`training.documents.train`). The thresholds are fitted on that larger
score.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar, Self

from liveness.scoring.fusion import sigmoid

__all__ = ["Gate"]


@dataclass(frozen=True)
class Gate:
    """Probability of a forgery from one measure that is low on it,
    ``sigmoid(slope * (knee - value))``: 0.5 at the knee.

    Subclasses name the calibration key they are stored under (``key``).

    Examples
    --------
    >>> gate = Gate(knee=1.6, slope=3.0)
    >>> gate.score(1.6)
    0.5
    >>> gate.score(0.5) > 0.95, gate.score(3.0) < 0.05
    (True, True)
    """

    knee: float
    slope: float
    key: ClassVar[str] = "gate"

    @classmethod
    def from_calibration(cls, calibration: dict[str, Any]) -> Self | None:
        """The gate of a ``doc_forgery`` calibration (under :attr:`key`); None for one
        calibrated without it, which is then scored as it was calibrated. Raises ValueError
        (or KeyError/TypeError) for a malformed one."""
        data = calibration.get(cls.key)
        return None if data is None else cls.from_dict(data)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        knee, slope = float(data["knee"]), float(data["slope"])
        if not (math.isfinite(knee) and math.isfinite(slope) and slope > 0):
            raise ValueError(f"{cls.key} needs a finite knee and a positive slope, got {data!r}")
        return cls(knee=knee, slope=slope)

    def to_dict(self) -> dict[str, float]:
        return {"knee": self.knee, "slope": self.slope}

    def score(self, value: float) -> float:
        return sigmoid(self.slope * (self.knee - value))
