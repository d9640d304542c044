"""The document scorer: upload → intake (quad, rectification, quality) → forgery model →
rule checks on the read text → decision with reasons.

Decisions follow the face side's vocabulary: ``reject`` when the forgery score reaches the
BPCER-1% threshold or a hard rule fails (a wrong check digit, an invalid ID number, printed
fields that contradict the MRZ, an expired document); ``review`` at the BPCER-5% threshold or
when capture quality is poor; ``pass`` otherwise. An upload that cannot be examined at all
(not an image, no document) is a failure to acquire: ``forgery_score`` None, ``reject``.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from liveness.config import MediaLimits
from liveness.documents import reasons as R
from liveness.documents.forgery import SPECIES_REASON, DocumentForgeryModel, ForgeryResult
from liveness.documents.intake import PreparedDocument, prepare_document, rectify_document
from liveness.documents.portrait import PortraitForgeryModel, PortraitResult, page_zoom, portrait_page
from liveness.documents.rules import check_text_lines
from liveness.result import AttemptResult, Decision, stricter

__all__ = ["DocumentResult", "DocumentScorer", "documents_attempt"]

# Reasons that decide on their own: the document breaks a rule a genuine one never breaks.
HARD_RULE_REASONS = frozenset(
    {
        R.MRZ_CHECKSUM,
        R.ID_NUMBER_CHECKSUM,
        R.ID_NUMBER_FORMAT,
        R.ID_NUMBER_BIRTHDATE,
        R.ID_NUMBER_REGION,
        R.ID_FIELDS_MISMATCH,
        R.DOCUMENT_EXPIRED,
    }
)
OCR_SIZE = (1344, 864)  # rectified size for reading text: ~3x the model's, enough for 8 pt print


@dataclass
class DocumentResult:
    """One scored document image. ``forgery_score`` is calibrated: 0 = genuine, 1 = forged."""

    media: str
    side: str
    decision: Decision
    forgery_score: float | None
    species: str | None = None
    species_probs: dict[str, float] = field(default_factory=dict)
    regions: list[dict[str, float]] = field(default_factory=list)
    # the portrait model's swap log-odds (> 0: looks swapped); None without a portrait
    portrait_logit: float | None = None
    # the ghost image's match with the portrait (same photo: about 0.8 and up); None: no ghost
    ghost_similarity: float | None = None
    reasons: list[str] = field(default_factory=list)
    quality: dict[str, float] = field(default_factory=dict)
    fields: dict[str, Any] = field(default_factory=dict)
    model_versions: dict[str, str] = field(default_factory=dict)
    timings_ms: dict[str, float] = field(default_factory=dict)
    error: str | None = None
    # For reports (heatmap PNGs); not part of the JSON result.
    rectified: np.ndarray | None = field(default=None, repr=False)
    heatmap: np.ndarray | None = field(default=None, repr=False)

    @property
    def failed_to_acquire(self) -> bool:
        return self.forgery_score is None

    # The face results' names, so evaluation and reports treat both kinds alike.
    @property
    def spoof_score(self) -> float | None:
        return self.forgery_score

    @property
    def scores(self) -> dict[str, float]:
        return {} if self.forgery_score is None else {"doc_forgery": self.forgery_score}

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("rectified")
        data.pop("heatmap")
        data["timings_ms"] = {k: round(v, 2) for k, v in self.timings_ms.items()}
        data["quality"] = {k: round(float(v), 4) for k, v in self.quality.items()}
        if self.forgery_score is not None:
            data["forgery_score"] = round(float(self.forgery_score), 6)
        return data


class DocumentScorer:
    """Scores ID-document images with the manifest's ``doc_forgery`` model.

    Parameters
    ----------
    ocr : read the printed text and run the rule checks: True, False, or None (default) for
        "when the optional ``rapidocr`` package is installed".
    """

    def __init__(
        self,
        *,
        weights_dir: Path | None = None,
        device: str | None = None,
        threads: int | None = None,
        limits: MediaLimits | None = None,
        ocr: bool | None = None,
    ) -> None:
        from liveness.documents.ocr import ocr_available

        self.model = DocumentForgeryModel(weights_dir=weights_dir, device=device, threads=threads)
        # the portrait model is loaded only when the calibration fuses it (a manifest from
        # before it existed scores on the page alone)
        self.portrait = (
            PortraitForgeryModel(
                weights_dir=weights_dir, device=device, threads=threads, ghost=self.model.wants_ghost
            )
            if self.model.wants_portrait
            else None
        )
        self.limits = limits or MediaLimits()
        self.ocr = ocr_available() if ocr is None else ocr

    @property
    def model_versions(self) -> dict[str, str]:
        versions = {"doc_forgery": self.model.version}
        if self.portrait is not None:
            versions["doc_portrait"] = self.portrait.version
        return versions

    @property
    def review_threshold(self) -> float:
        return self.model.calibration.review_threshold

    def score(
        self,
        data: bytes | str | Path | np.ndarray,
        *,
        name: str = "",
        side: str = "document",
        today: date | None = None,
    ) -> DocumentResult:
        """Score one document image; bad input gives reasons, never an exception."""
        label = name or (str(data) if isinstance(data, (str, Path)) else side)
        timings: dict[str, float] = {}
        t = time.perf_counter()
        prepared = prepare_document(
            Path(data) if isinstance(data, str) else data, limits=self.limits,
            side=side if side in ("front", "back") else None,
        )
        timings["intake"] = (time.perf_counter() - t) * 1000
        if prepared.rectified is None:
            return DocumentResult(
                media=label,
                side=side,
                decision="reject",
                forgery_score=None,
                reasons=list(prepared.reasons) or [R.DOC_NOT_FOUND],
                quality=dict(prepared.quality),
                model_versions=self.model_versions,
                timings_ms=timings | {"total": sum(timings.values())},
                error="; ".join(R.REASON_MESSAGES.get(code, code) for code in prepared.reasons) or None,
            )
        portrait = None
        if self.portrait is not None:
            t = time.perf_counter()
            portrait = self._portrait(prepared)
            timings["doc_portrait"] = (time.perf_counter() - t) * 1000
        t = time.perf_counter()
        forgery = self.model.predict(prepared.rectified[None], [portrait])[0]
        timings["doc_forgery"] = (time.perf_counter() - t) * 1000
        fields: dict[str, Any] = {}
        rule_reasons: list[str] = []
        if self.ocr:
            t = time.perf_counter()
            rule_reasons, fields = self._read_and_check(prepared, today)
            timings["ocr_rules"] = (time.perf_counter() - t) * 1000
        decision, reasons = self._decide(forgery, rule_reasons, prepared.reasons)
        timings["total"] = sum(timings.values())
        return DocumentResult(
            media=label,
            side=side,
            decision=decision,
            forgery_score=forgery.forgery_score,
            species=forgery.species,
            species_probs=forgery.species_probs,
            regions=[r.to_dict() for r in forgery.regions],
            portrait_logit=None if forgery.portrait_logit is None else round(forgery.portrait_logit, 4),
            ghost_similarity=None if forgery.ghost_similarity is None else round(forgery.ghost_similarity, 4),
            reasons=reasons,
            quality=dict(prepared.quality),
            fields=fields,
            model_versions=self.model_versions,
            timings_ms=timings,
            rectified=prepared.rectified,
            heatmap=forgery.heatmap,
        )

    def _portrait(self, prepared: PreparedDocument) -> PortraitResult | None:
        assert self.portrait is not None and prepared.image is not None and prepared.quad is not None
        turned = bool(prepared.quality.get("turned_half", 0.0))
        corners = prepared.quad.corners
        page = portrait_page(prepared.image, corners, turned_half=turned)
        return self.portrait.assess(page, zoom=page_zoom(corners))

    def _decide(
        self, forgery: ForgeryResult, rule_reasons: list[str], quality_reasons: list[str]
    ) -> tuple[Decision, list[str]]:
        decision = self.model.calibration.decide(forgery.forgery_score)
        reasons = [SPECIES_REASON[forgery.species]] if decision != "pass" else []
        reasons += rule_reasons
        if any(code in HARD_RULE_REASONS for code in rule_reasons):
            decision = "reject"
        reasons += [code for code in quality_reasons if code not in reasons]
        if quality_reasons and decision == "pass":
            decision = "review"
        return decision, reasons

    def _read_and_check(self, prepared: PreparedDocument, today: date | None) -> tuple[list[str], dict[str, Any]]:
        from liveness.documents.ocr import read_text

        assert prepared.image is not None and prepared.quad is not None
        page = rectify_document(prepared.image, prepared.quad.corners, size=OCR_SIZE)
        lines = [line.text for line in read_text(page)]
        report = check_text_lines(lines, today=today)
        return report.reasons, report.fields | {"text_lines": len(lines)}


def documents_attempt(results: dict[str, DocumentResult], *, media: str = "") -> AttemptResult:
    """An attempt's answer from its document results alone (``spoof_score`` is the face's
    and stays None; the per-side forgery scores are in ``scores`` and ``documents``)."""
    decisions = [r.decision for r in results.values()] or ["reject"]
    timings = {f"{side}_{k}": v for side, r in results.items() for k, v in r.timings_ms.items()}
    return AttemptResult(
        media=media,
        decision=stricter(*decisions),
        spoof_score=None,
        scores={f"doc_forgery_{side}": r.forgery_score for side, r in results.items() if r.forgery_score is not None},
        reasons=list(dict.fromkeys(code for r in results.values() for code in r.reasons)),
        model_versions={k: v for r in results.values() for k, v in r.model_versions.items()},
        timings_ms=timings,
        error="; ".join(f"{side}: {r.error}" for side, r in results.items() if r.error) or None,
        documents={side: r.to_dict() for side, r in results.items()},
    )
