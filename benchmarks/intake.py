"""Document intake: is the document found where it is? Captures with known corners.

The forgery models only ever see what the intake rectified: a quad on the newspaper beside a
card, or on the sheet a copy is printed on, gives them the wrong page whatever they learned.
This measures the intake alone, on two sets of captures whose true corners are known:

- ``dlc2021``: the DLC-2021 phone frames of grey copies in ``../shared/data/docs/samples/dlc2021``
  with the corner quads of ``doc_quads.json`` (cluttered desks, newsprint, sunlight stripes);
- ``synthetic``: phone captures made by ``training.documents.synth.DocumentSynthesizer`` from
  the templates and portraits of ``../shared/data`` (fixed seeds: the same captures each run;
  needs the ``train`` extra);
- ``scans``: genuine documents from the same synthesizer laid on a flatbed scanner and scanned
  as whole A4 pages (``training.documents.capture.scan_document``: 100-200 dpi, portrait or
  landscape, white lid, open lid or grey mat), the card often in a corner of the glass, every
  other card with its other side beside it (the intake is asked for the side scanned: front or back).

A document is *located* when the intake's quad overlaps the true one with IoU >= 0.8, *found*
when the intake returned any quad. Each capture is also located by the classical edge search
alone (``use_locator=False``), so the locator network's gain is measured on the same captures
in the same run. Gated: ``accuracy.intake.<set>.located`` (the shipped intake, may drop 0.05).
A set whose data or extra is missing is skipped with a note.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from benchmarks.common import REPO_ROOT, Figure
from liveness.documents.locator import LOCATED_IOU
from liveness.documents.quad import quad_iou

SHARED_DATA = REPO_ROOT.parent / "shared" / "data"
DLC_QUADS = SHARED_DATA / "docs" / "samples" / "dlc2021" / "doc_quads.json"
LOCATED_TOLERANCE = 0.05
SYNTHETIC_SEED = 900_000  # first seed of the synthetic captures (training draws from 0 up)
SYNTHETIC_COUNT = {"quick": 40, "full": 120}
SCAN_SEED = 910_000
SCAN_COUNT = {"quick": 24, "full": 60}

Capture = tuple[str, np.ndarray, np.ndarray, str | None]  # name, RGB image, true corners (4, 2), side


@dataclass
class IntakeSetResult:
    """How often the intake located the documents of one set, and how long it took."""

    name: str
    origin: str
    ious: list[float] = field(default_factory=list)
    found: list[bool] = field(default_factory=list)
    ms: list[float] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)  # names of captures not located
    edge_ious: list[float] = field(default_factory=list)  # the edge search alone, same captures
    edge_ms: list[float] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        n = len(self.ious)
        return {
            "origin": self.origin,
            "n": n,
            "located": sum(iou >= LOCATED_IOU for iou in self.ious) / n if n else None,
            "located_edges_only": sum(iou >= LOCATED_IOU for iou in self.edge_ious) / n if n else None,
            "ms_p50_edges_only": statistics.median(self.edge_ms) if n else None,
            "found": sum(self.found) / n if n else None,
            "iou_median": statistics.median(self.ious) if n else None,
            "ms_p50": statistics.median(self.ms) if n else None,
            "missed": self.missed,
        }


def measure(name: str, origin: str, captures: Iterator[Capture]) -> IntakeSetResult:
    """Run :func:`liveness.documents.intake.find_document_quad` on each capture."""
    from liveness.documents.intake import find_document_quad

    result = IntakeSetResult(name, origin)
    for capture_name, image, corners, side in captures:  # side: the upload slot an attempt would use
        for use_locator in (True, False):
            started = time.perf_counter()
            quad = find_document_quad(image, use_locator=use_locator, side=side)
            ms = (time.perf_counter() - started) * 1000.0
            iou = 0.0 if quad.fallback else quad_iou(quad.corners, corners, image.shape[:2])
            if use_locator:
                result.ms.append(ms)
                result.found.append(not quad.fallback)
                result.ious.append(iou)
                if iou < LOCATED_IOU:
                    result.missed.append(capture_name)
            else:
                result.edge_ms.append(ms)
                result.edge_ious.append(iou)
    return result


def dlc_captures(quads_path: Path) -> Iterator[Capture]:
    """The DLC-2021 frames and their corner quads (already scaled to the stored frames)."""
    quads = json.loads(quads_path.read_text())
    for name in sorted(quads):
        image = cv2.imread(str(quads_path.parent / name), cv2.IMREAD_COLOR)
        if image is None:
            continue
        corners = np.asarray(quads[name]["doc_quad_xy_resized"], dtype=np.float32)
        yield name, cv2.cvtColor(image, cv2.COLOR_BGR2RGB), corners, None


def synthetic_captures(count: int, cache_dir: Path) -> Iterator[Capture]:
    """``count`` synthesized phone captures (every species) and their true corners."""
    from training.documents.synth import DocumentSynthesizer

    synthesizer = DocumentSynthesizer(SHARED_DATA / "docs", SHARED_DATA / "faces", cache_dir)
    for seed in range(SYNTHETIC_SEED, SYNTHETIC_SEED + count):
        sample = synthesizer.sample(seed)
        yield f"seed {seed} ({sample.species}, {sample.template} {sample.side})", sample.image, sample.quad, sample.side


def scan_captures(count: int, cache_dir: Path) -> Iterator[Capture]:
    """``count`` flatbed scans (whole A4 pages) of genuine documents and their true corners; every
    other one a card's front or back with its other side laid beside it (named ``... +beside``)."""
    from training.documents.synth import DocumentSynthesizer

    synthesizer = DocumentSynthesizer(SHARED_DATA / "docs", SHARED_DATA / "faces", cache_dir)
    for seed in range(SCAN_SEED, SCAN_SEED + count):
        document, _ = synthesizer.render(seed)
        other = synthesizer.other_side(document.template) if seed % 2 else None
        beside = None if other is None else synthesizer.render(seed, other)[0]
        image, corners = synthesizer.scan(document.image, document.shape, seed, beside=beside)
        name = f"scan {seed} ({document.template.template} {document.template.side}{' +beside' if beside else ''})"
        yield name, image, corners, document.template.side


def run_intake(mode: str, cache_dir: Path) -> dict[str, Any]:
    """``{"sets": {name: entry}, "figures": {...}, "skipped": [notes]}`` for the sets available."""
    results: list[IntakeSetResult] = []
    skipped: list[str] = []
    if DLC_QUADS.is_file():
        results.append(measure("dlc2021", "DLC-2021 grey copies filmed on clutter (doc_quads.json)",
                               dlc_captures(DLC_QUADS)))
    else:
        skipped.append(f"dlc2021: {DLC_QUADS} not found")
    try:
        import training.documents.synth  # noqa: F401  (the train extra)
    except ModuleNotFoundError as exc:
        skipped.append(f"synthetic, scans: need the train extra ({exc.name} is not installed)")
    else:
        if (SHARED_DATA / "docs" / "templates").is_dir() and (SHARED_DATA / "faces").is_dir():
            count = SYNTHETIC_COUNT[mode]
            results.append(measure("synthetic", f"{count} captures from DocumentSynthesizer, seeds from "
                                   f"{SYNTHETIC_SEED}", synthetic_captures(count, cache_dir)))
            scans = SCAN_COUNT[mode]
            results.append(measure("scans", f"{scans} flatbed scans of whole A4 pages (scan_document), seeds from "
                                   f"{SCAN_SEED}", scan_captures(scans, cache_dir)))
        else:
            skipped.append(f"synthetic, scans: templates or faces not found under {SHARED_DATA}")
    sets = {result.name: result.to_dict() for result in results}
    figures = {
        f"accuracy.intake.{name}.located": Figure(entry["located"], higher_is_better=True,
                                                   tolerance=LOCATED_TOLERANCE)
        for name, entry in sets.items() if entry["located"] is not None
    }
    return {"sets": sets, "figures": figures, "skipped": skipped}


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def intake_section(intake: dict[str, Any]) -> list[str]:
    """The ``## Document intake`` section of the summary."""
    if not intake:
        return []
    lines = ["## Document intake", "",
             f"Located: the intake's quad overlaps the true corners with IoU >= {LOCATED_IOU}; found: it returned a "
             "quad at all (else the document is a failure to acquire, or a tight crop scored whole).", ""]
    rows = [
        f"| {name} | {entry['n']} | {entry['located']:.3f} | {_share(entry.get('located_edges_only'))} | "
        f"{entry['found']:.3f} | {entry['iou_median']:.3f} | {entry['ms_p50']:.0f} | "
        f"{_ms(entry.get('ms_p50_edges_only'))} |"
        for name, entry in (intake.get("sets") or {}).items() if entry["n"]
    ]
    if rows:
        lines += ["| set | n | located | located, edges only | found | IoU median | ms p50 | ms p50, edges only |",
                  "|---|---|---|---|---|---|---|---|", *rows, ""]
    for name, entry in (intake.get("sets") or {}).items():
        lines += [f"`{name}`: {entry['origin']}."]
    lines += [f"Skipped: {note}." for note in intake.get("skipped") or []]
    return [*lines, ""]
