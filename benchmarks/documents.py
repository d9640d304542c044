"""ID-document accuracy and speed: every row of a documents ``LABELS.tsv`` through ``DocumentScorer``.

Default set: ``../shared/data/docs/LABELS.tsv`` (scored whole in both modes: it is small).
The run is skipped, with a note, when that file is absent or the weights' manifest has no
``doc_forgery`` model.

Accuracy: ``liveness.evaluation.metrics_for`` at the forgery model's review threshold (its
calibration's BPCER 5 % point), text checks off (``ocr=False``) so the figures measure the
model and the intake alone. Gated: the AUC, the APCER of each attack species, the BPCER and
the failure-to-acquire rate.

Speed: each file is also decoded plainly (``decode_document_image``, the reference) right
before it is scored, from the same warm page cache; the gated figure is the p50 of the
document's total time over the p50 of that decode, on the documents that reached the model
(a ratio of one run, so it holds across machines).
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from benchmarks.accuracy import record_for, stage_summary
from benchmarks.common import (
    ACCURACY_RULES,
    REPO_ROOT,
    BenchmarkError,
    Figure,
    accuracy_figure,
    display_path,
    speed_figure,
)
from benchmarks.datasets import LabelledSet
from liveness.errors import LivenessError
from liveness.evaluation import metrics_for
from liveness.scoring.labels import LabelRow, read_labels

DOCS_LABELS = REPO_ROOT.parent / "shared" / "data" / "docs" / "LABELS.tsv"
DOC_MODEL = "doc_forgery"
#: ``decode`` is the plain-decode reference, measured apart: ``total`` = intake + doc_portrait
#: (portrait model and ghost check, when the calibration fuses them) + doc_forgery.
DOC_STAGES = ("decode", "intake", "doc_portrait", "doc_forgery", "total")
# Fewer timed documents than this give a median that jumps with the machine's load: not gated.
MIN_TIMED_DOCUMENTS = 50


@dataclass
class DocumentSetResult:
    """Scored records of a document set, its metrics at ``threshold`` and its latency."""

    name: str
    origin: str
    records: list[dict[str, Any]]
    metrics: dict[str, Any]
    threshold: float
    model_versions: dict[str, str]
    seconds: float = 0.0

    @property
    def timed(self) -> list[dict[str, Any]]:
        """The records whose document reached the model and whose plain decode succeeded."""
        return [r for r in self.records if not r["fta"] and "decode" in r["timings_ms"]]

    def stages(self) -> dict[str, dict[str, float]]:
        """p50 / p90 / mean ms of each stage over the timed documents, in ``DOC_STAGES`` order."""
        summary = stage_summary(self.timed)
        return {stage: summary[stage] for stage in (*DOC_STAGES, *sorted(set(summary) - set(DOC_STAGES)))
                if stage in summary}

    def total_over_decode(self) -> float | None:
        """p50 total / p50 plain decode over the timed documents (None without any)."""
        timed = self.timed
        if not timed:
            return None
        decode = statistics.median(r["timings_ms"]["decode"] for r in timed)
        total = statistics.median(r["timings_ms"]["total"] for r in timed)
        return total / decode if decode > 0 else None


def load_document_set(labels: Path, *, name: str | None = None) -> LabelledSet:
    """Every row of a documents ``LABELS.tsv``, named after its folder.

    Raises ``LabelsError`` (``LABELS_MISSING`` / ``LABELS_INVALID``) for a file that cannot be
    read as labels and ``BenchmarkError`` (``LABELS_EMPTY``) for one that lists no file.
    """
    rows = tuple(read_labels(labels))
    if not rows:
        raise BenchmarkError(f"{labels} lists no files", code="LABELS_EMPTY")
    return LabelledSet(name=name or labels.parent.name, rows=rows, origin=display_path(labels))


def missing_document_model(weights_dir: Path | None) -> str | None:
    """Why documents cannot be scored with ``weights_dir`` (None when its manifest has a
    ``doc_forgery`` model)."""
    from liveness.models.manifest import manifest_path, read_manifest

    try:
        models = read_manifest(weights_dir)["models"]
    except LivenessError as exc:
        return exc.message
    if DOC_MODEL not in models:
        return f"{display_path(manifest_path(weights_dir))} has no {DOC_MODEL} model"
    return None


def _record(row: LabelRow) -> dict[str, Any]:
    # The face sets' record, with the document type in place of the medium.
    record = {k: v for k, v in record_for(row).items() if k != "video"}
    return record | {"doc_type": row.extra.get("doc_type", "")}


def _plain_decode_ms(path: Path, scorer: Any) -> float | None:
    from liveness.documents.intake import decode_document_image

    try:
        path.read_bytes()  # the scorer reads the file right after: both from a warm cache
        start = time.perf_counter()
        decode_document_image(path, limits=scorer.limits)
        return (time.perf_counter() - start) * 1000
    except (OSError, LivenessError):
        return None


def _warm_up(scorer: Any) -> None:
    """One model run before timing: the first ONNX call allocates its buffers."""
    width, height = scorer.model.input_size
    scorer.model.predict(np.zeros((1, height, width, 3), np.uint8))


def score_documents(labelled: LabelledSet, scorer: Any, *, progress: bool = False) -> DocumentSetResult:
    """Score every row with ``scorer`` (a ``DocumentScorer``) and time a plain decode of each.

    Unreadable or document-less files are failures to acquire (``forgery_score`` None),
    rejected at every threshold by the metrics.
    """
    _warm_up(scorer)
    records = []
    start = time.perf_counter()
    for row in tqdm(labelled.rows, desc=labelled.name, unit="file", disable=not progress):
        record = _record(row)
        decode_ms = _plain_decode_ms(row.path, scorer)
        try:
            result = scorer.score(row.path, name=str(row.path))
        except LivenessError as exc:  # the scorer turns bad input into reasons; this is a backstop
            records.append(record | {"spoof_score": None, "decision": "reject", "reasons": [exc.code], "scores": {},
                                     "fta": True, "timings_ms": {}, "error": exc.message})
            continue
        timings = dict(result.timings_ms)
        if decode_ms is not None:
            timings["decode"] = decode_ms
        records.append(record | {
            "spoof_score": result.spoof_score,
            "decision": result.decision,
            "reasons": list(result.reasons),
            "scores": dict(result.scores),
            "species_predicted": result.species,
            "fta": result.spoof_score is None,
            "timings_ms": timings,
            **({"error": result.error} if result.error else {}),
        })
    threshold = float(scorer.review_threshold)
    metrics = metrics_for(records, threshold=threshold)
    return DocumentSetResult(name=labelled.name, origin=labelled.origin, records=records, metrics=metrics,
                             threshold=threshold, model_versions=dict(scorer.model_versions),
                             seconds=time.perf_counter() - start)


def apcer_tolerance(n_attacks: int) -> float:
    """The APCER slack of a species: 0.10, or one file's worth when it has fewer than ten
    (two portrait swaps move the APCER in steps of 0.5).

    >>> apcer_tolerance(60), apcer_tolerance(2)
    (0.1, 0.5)
    """
    floor = ACCURACY_RULES["apcer_species"][1]
    return max(floor, 1.0 / n_attacks) if n_attacks > 0 else floor


def document_figures(result: DocumentSetResult) -> dict[str, Figure]:
    """The gated figures of a document set: ``accuracy.<set>.all.{auc, bpcer, fta_rate}``,
    ``accuracy.<set>.all.apcer.<species>`` and ``speed.<set>.total_over_decode`` (when at least
    ``MIN_TIMED_DOCUMENTS`` documents were timed)."""
    metrics = result.metrics
    prefix = f"accuracy.{result.name}.all"
    figures: dict[str, Figure] = {}
    if metrics.get("auc") is not None:
        figures[f"{prefix}.auc"] = accuracy_figure("auc", metrics["auc"])
    if metrics.get("bpcer") is not None:
        figures[f"{prefix}.bpcer"] = accuracy_figure("bpcer", metrics["bpcer"])
    fta_rate = (metrics.get("fta") or {}).get("rate")
    if fta_rate is not None:
        figures[f"{prefix}.fta_rate"] = accuracy_figure("fta_rate", fta_rate)
    counts: dict[str, int] = {}
    for record in result.records:
        if record["label"] == "attack":
            counts[record["species"]] = counts.get(record["species"], 0) + 1
    higher, _ = ACCURACY_RULES["apcer_species"]
    for species, apcer in (metrics.get("apcer") or {}).items():
        if apcer is not None and np.isfinite(apcer):
            figures[f"{prefix}.apcer.{species}"] = Figure(float(apcer), higher_is_better=higher,
                                                          tolerance=apcer_tolerance(counts.get(species, 0)))
    ratio = result.total_over_decode()
    if ratio is not None and len(result.timed) >= MIN_TIMED_DOCUMENTS:
        figures[f"speed.{result.name}.total_over_decode"] = speed_figure(ratio)
    return figures


def document_entry(result: DocumentSetResult, folder: Path) -> dict[str, Any]:
    """Write the set's report (``report_<set>/``: scores.csv, metrics.json, det_curve.png,
    score_hist.png) and its DET plot ``det_<set>_all.png``; return its ``results.json`` entry."""
    from liveness.scoring.report import write_report

    report_dir = folder / f"report_{result.name}"
    title = f"liveness-kyc documents: {result.name}"
    written = write_report(report_dir, result.records, result.metrics | {"model_versions": result.model_versions},
                           title=title)
    plot = f"det_{result.name}_all.png"
    (folder / plot).write_bytes(written["det_curve"].read_bytes())
    counts = {label: sum(r["label"] == label for r in result.records) for label in ("bona_fide", "attack")}
    species_n: dict[str, int] = {}
    for record in result.records:
        if record["label"] == "attack":
            species_n[record["species"]] = species_n.get(record["species"], 0) + 1
    stages = result.stages()
    decode = (stages.get("decode") or {}).get("p50_ms")
    return {
        "origin": result.origin,
        "n_files": len(result.records),
        "n_bona_fide": counts["bona_fide"],
        "n_attack": counts["attack"],
        "species_n": dict(sorted(species_n.items())),
        "seconds": result.seconds,
        "threshold": result.threshold,
        "model_versions": result.model_versions,
        "metrics": result.metrics,
        "stages": stages,
        "stages_over_decode": {s: v["p50_ms"] / decode for s, v in stages.items()} if decode else {},
        "total_over_decode": result.total_over_decode(),
        "n_timed": len(result.timed),
        "plots": [plot],
        "report": {kind: str(path.relative_to(folder)) for kind, path in written.items()},
        "records": result.records,
    }
