"""Accuracy of a labelled set: the ``liveness eval`` metrics, per species, source and medium.

Each file is decoded once; the decoded frames go to our scorer (exactly what ``Scorer.score``
does) and, when a peer is given, to the peer, so both see the same frames. Metrics come from
``liveness.evaluation.metrics_for`` at the manifest's review threshold (BPCER 5 %, see the
model card), computed for the whole set and for its views: videos, images and the held-out
persons when the set marks them. The shipped video fusion is fitted on the real clips of
``../shared/data/faces``, so video figures on that set are in-sample: a regression check, not
an accuracy claim (the model card has the out-of-fold figures).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from tqdm import tqdm

from benchmarks.common import Figure, accuracy_figure
from benchmarks.datasets import LabelledSet, is_video
from benchmarks.peer import PeerScorer
from liveness.errors import LivenessError
from liveness.evaluation import metrics_for
from liveness.media import load_media
from liveness.pipeline import Scorer

STAGES = ("decode", "face", "crops", "frame_cnn", "clip_net", "total")


@dataclass
class SetResult:
    """Scored records of one set (ours and the peer's) and the metrics of each view."""

    name: str
    origin: str
    records: list[dict[str, Any]]
    held_out: frozenset[str] = frozenset()
    peer_records: list[dict[str, Any]] = field(default_factory=list)
    views: dict[str, dict[str, Any]] = field(default_factory=dict)
    peer_views: dict[str, dict[str, Any]] = field(default_factory=dict)
    seconds: float = 0.0


def record_for(row: Any) -> dict[str, Any]:
    return {
        "path": str(row.path),
        "label": row.label,
        "species": row.species,
        "source": row.source or "",
        "subject": row.subject or "",
        "video": is_video(row),
    }


def _failure(record: dict[str, Any], exc: LivenessError) -> dict[str, Any]:
    return record | {"spoof_score": None, "decision": "reject", "reasons": [exc.code], "scores": {}, "fta": True,
                     "timings_ms": {}, "error": exc.message}


def score_set(
    labelled: LabelledSet, scorer: Scorer, *, peer: PeerScorer | None = None, progress: bool = False
) -> SetResult:
    """Score every row with ``scorer`` (and ``peer``); media errors are failures to acquire."""
    records, peer_records = [], []
    start = time.perf_counter()
    for row in tqdm(labelled.rows, desc=labelled.name, unit="file", disable=not progress):
        base = record_for(row)
        try:
            t0 = time.perf_counter()
            frames = load_media(row.path, limits=scorer.limits, sampling=scorer.sampling)
            decode_ms = (time.perf_counter() - t0) * 1000
        except LivenessError as exc:
            records.append(_failure(base, exc))
            if peer:
                peer_records.append(_failure(base, exc))
            continue
        result = scorer.score_frames(frames, name=str(row.path), timings={"decode": decode_ms})
        records.append(
            base
            | {
                "spoof_score": result.spoof_score,
                "decision": result.decision,
                "reasons": list(result.reasons),
                "scores": dict(result.scores),
                "fta": result.spoof_score is None,
                "timings_ms": dict(result.timings_ms),
            }
        )
        if peer:
            spoof, timings = peer.score_frames(frames)
            timings = {"decode": decode_ms} | timings
            timings["total"] += decode_ms
            peer_records.append(base | {"spoof_score": spoof, "fta": spoof is None, "timings_ms": timings,
                                        "reasons": [] if spoof is not None else ["NO_FACE"]})
    out = SetResult(name=labelled.name, origin=labelled.origin, records=records, held_out=labelled.held_out,
                    peer_records=peer_records, seconds=time.perf_counter() - start)
    threshold = scorer.video_fusion.review_threshold
    image_threshold = scorer.image_fusion.review_threshold
    out.views = view_metrics(records, labelled, video_threshold=threshold, image_threshold=image_threshold)
    if peer:
        # The peer has no calibrated threshold: its operating point is chosen on these labels.
        out.peer_views = view_metrics(peer_records, labelled, video_threshold=None, image_threshold=None)
    return out


def _views(labelled: LabelledSet) -> dict[str, Callable[[dict[str, Any]], bool]]:
    views: dict[str, Callable[[dict[str, Any]], bool]] = {"all": lambda r: True}
    views["video"] = lambda r: r["video"]
    views["image"] = lambda r: not r["video"]
    # A held-out view only says something new when the set also has rows of seen persons.
    if labelled.held_out and any(str(row.path) not in labelled.held_out for row in labelled.rows):
        views["held_out"] = lambda r: r["path"] in labelled.held_out
    return views


def view_metrics(
    records: list[dict[str, Any]], labelled: LabelledSet, *, video_threshold: float | None,
    image_threshold: float | None,
) -> dict[str, dict[str, Any]]:
    """Metrics of each view that has both bona fide and attack files.

    Images are decided by the image fusion with its own threshold; a view mixing both media
    uses the video threshold for its thresholded rates (the AUC and EER need none).
    """
    out = {}
    for view, keep in _views(labelled).items():
        chosen = [r for r in records if keep(r)]
        labels = {r["label"] for r in chosen}
        if labels != {"bona_fide", "attack"}:
            continue
        threshold = image_threshold if view == "image" else video_threshold
        metrics = metrics_for(chosen, threshold=threshold)
        metrics["n_files"] = len(chosen)
        out[view] = metrics
    return out


def figures_for(result: SetResult) -> dict[str, Figure]:
    """The gated accuracy figures of a set: per view AUC, EER, BPCER@APCER 5 %, APCER@BPCER 5 %,
    bona fide FTA rate, and the AUC of each species."""
    figures: dict[str, Figure] = {}
    for view, metrics in result.views.items():
        prefix = f"accuracy.{result.name}.{view}"
        for key in ("auc", "eer", "bpcer_at_apcer_5", "apcer_at_bpcer_5"):
            if metrics.get(key) is not None:
                figures[f"{prefix}.{key}"] = accuracy_figure(key, metrics[key])
        bona_rate = (metrics.get("fta") or {}).get("bona_fide_rate")
        if bona_rate is not None:
            figures[f"{prefix}.fta_bona_fide_rate"] = accuracy_figure("fta_bona_fide_rate", bona_rate)
        for species, auc in (metrics.get("auc_per_species") or {}).items():
            if auc is not None and np.isfinite(auc):
                figures[f"{prefix}.auc.{species}"] = accuracy_figure("auc_species", auc)
    return figures


def stage_summary(records: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """p50 / p90 / mean ms of each stage over the records that ran it."""
    out = {}
    stages = [s for s in STAGES if any(s in r.get("timings_ms", {}) for r in records)]
    stages += sorted({s for r in records for s in r.get("timings_ms", {})} - set(stages))
    for stage in stages:
        values = [r["timings_ms"][stage] for r in records if stage in r.get("timings_ms", {})]
        if values:
            out[stage] = {
                "n": len(values),
                "p50_ms": statistics.median(values),
                "p90_ms": float(np.percentile(values, 90)),
                "mean_ms": statistics.fmean(values),
            }
    return out


def headline(metrics: dict[str, Any] | None) -> dict[str, Any]:
    """The numbers a comparison table shows for one view."""
    metrics = metrics or {}
    return {
        "n_bona_fide": metrics.get("n_bona_fide"),
        "n_attack": metrics.get("n_attack"),
        "auc": metrics.get("auc"),
        "eer": metrics.get("eer"),
        "threshold": metrics.get("threshold"),
        "apcer_max": metrics.get("apcer_max"),
        "bpcer": metrics.get("bpcer"),
        "bpcer_at_apcer_5": metrics.get("bpcer_at_apcer_5"),
        "fta_rate": (metrics.get("fta") or {}).get("rate"),
    }
