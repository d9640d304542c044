"""What an attempt's scoring returns: decision, calibrated scores, reasons, versions, timings."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Decision = Literal["pass", "reject", "review"]

# Reason vocabulary shared by the CLI, the service and the reports.
ANIMATED_PHOTO = "ANIMATED_PHOTO"
REPLAY = "REPLAY"
PRINT = "PRINT"
FACE_SWAP = "FACE_SWAP"
NO_FACE = "NO_FACE"
MULTIPLE_FACES = "MULTIPLE_FACES"
LOW_QUALITY = "LOW_QUALITY"
MEDIA_INVALID = "MEDIA_INVALID"

SPECIES_REASON = {
    "animated_photo": ANIMATED_PHOTO,
    "replay": REPLAY,
    "print": PRINT,
    "face_swap": FACE_SWAP,
}


@dataclass
class AttemptResult:
    """One scored attempt. ``spoof_score`` is calibrated: 0 = live, 1 = attack.

    ``spoof_score`` is None when the attempt could not be scored (failure to acquire: no
    face, unreadable media); the decision is then ``reject`` and ``reasons`` say why.
    """

    media: str
    decision: Decision
    spoof_score: float | None
    scores: dict[str, float] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)
    model_versions: dict[str, str] = field(default_factory=dict)
    timings_ms: dict[str, float] = field(default_factory=dict)
    error: str | None = None
    documents: dict[str, Any] = field(default_factory=dict)  # side -> DocumentResult.to_dict()

    @property
    def failed_to_acquire(self) -> bool:
        return self.spoof_score is None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        if not self.documents:
            data.pop("documents")
        data["spoof_score"] = _finite_or_none(self.spoof_score)
        data["scores"] = {k: _finite_or_none(v) for k, v in self.scores.items()}
        data["timings_ms"] = {k: round(v, 2) for k, v in self.timings_ms.items()}
        return data


_DECISION_RANK = {"pass": 0, "review": 1, "reject": 2}


def stricter(*decisions: Decision) -> Decision:
    """The strictest of the decisions: any reject rejects, else any review reviews."""
    return max(decisions, key=_DECISION_RANK.__getitem__)


def combine_results(face: AttemptResult, documents: AttemptResult) -> AttemptResult:
    """One answer from an attempt's face and document results: the stricter decision wins,
    reasons and versions are merged, ``spoof_score`` stays the face's."""
    return AttemptResult(
        media=face.media,
        decision=stricter(face.decision, documents.decision),
        spoof_score=face.spoof_score,
        scores={**face.scores, **documents.scores},
        reasons=list(dict.fromkeys([*face.reasons, *documents.reasons])),
        model_versions={**face.model_versions, **documents.model_versions},
        timings_ms={**face.timings_ms, **{f"documents_{k}": v for k, v in documents.timings_ms.items()}},
        error=face.error or documents.error,
        documents={**face.documents, **documents.documents},
    )


def _finite_or_none(value: float | None) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return round(float(value), 6)
