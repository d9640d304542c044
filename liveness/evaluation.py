"""Score a labelled set with the runtime and compute ISO/IEC 30107-3 metrics.

Used by ``liveness eval``, by training (on held-out persons) and by the benchmarks.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from tqdm import tqdm

from liveness.errors import LivenessError
from liveness.scoring.labels import LabelRow
from liveness.scoring.metrics import evaluate, roc_auc


def score_rows(
    rows: Sequence[LabelRow], score_fn: Callable[[str], Any], *, progress: bool = True
) -> list[dict[str, Any]]:
    """Run ``score_fn(path) -> AttemptResult`` on every row; media errors become FTA rows."""
    out = []
    for row in tqdm(rows, desc="scoring", unit="file", disable=not progress):
        record: dict[str, Any] = {
            "path": str(row.path),
            "label": row.label,
            "species": row.species,
            "source": row.source or "",
            "subject": row.subject or "",
        }
        try:
            result = score_fn(str(row.path))
            record.update(
                spoof_score=result.spoof_score,
                decision=result.decision,
                reasons=list(result.reasons),
                scores=dict(result.scores),
                fta=result.spoof_score is None,
                total_ms=result.timings_ms.get("total"),
            )
        except LivenessError as exc:
            record.update(
                spoof_score=None, decision="reject", reasons=[exc.code], scores={}, fta=True, error=exc.message
            )
        out.append(record)
    return out


def metrics_for(records: Sequence[dict[str, Any]], *, threshold: float | None) -> dict[str, Any]:
    """``evaluate`` on scored records, plus a per-source (generator) breakdown."""
    y = np.array([1 if r["label"] == "attack" else 0 for r in records])
    scores = np.array([np.nan if r["spoof_score"] is None else float(r["spoof_score"]) for r in records])
    species = np.array([r["species"] for r in records], dtype=object)
    fta = np.array([bool(r.get("fta")) for r in records])
    metrics = evaluate(y, scores, species, threshold=threshold, fta=fta)
    metrics["per_source"] = per_source(records, threshold=metrics.get("threshold"))
    return metrics


def per_source(records: Sequence[dict[str, Any]], *, threshold: float | None) -> dict[str, dict[str, Any]]:
    """AUC against all bona fide and APCER at ``threshold``, for each attack source."""
    bona = [r for r in records if r["label"] == "bona_fide"]
    bona_scores = [_score(r) for r in bona]
    out: dict[str, dict[str, Any]] = {}
    for source in sorted({r["source"] for r in records if r["label"] == "attack"}):
        attacks = [r for r in records if r["label"] == "attack" and r["source"] == source]
        scores = [_score(r) for r in attacks]
        entry: dict[str, Any] = {"n": len(attacks), "species": sorted({r["species"] for r in attacks})}
        if bona:
            y = [0] * len(bona) + [1] * len(attacks)
            entry["auc"] = _none_if_nan(roc_auc(y, bona_scores + scores))
        if threshold is not None:
            entry["apcer"] = float(np.mean([s < threshold for s in scores]))
        out[source] = entry
    return out


def _score(record: dict[str, Any]) -> float:
    # A failure to acquire is a reject: rank it above every score.
    return 2.0 if record["spoof_score"] is None else float(record["spoof_score"])


def _none_if_nan(value: float) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)
