"""The ghost-image check on synthesized cards: is the ghost found, and does it tell a swap?

Many cards print a small pale copy of the portrait (the ghost). A portrait replaced while the
ghost was left no longer matches it: ``liveness.documents.ghost`` finds the ghost and compares
the two, and the ghost gate flags a poor match by itself. The dev documents hold only two real
swapped cards with a ghost, so this measures the check on phone captures that
``training.documents.synth.DocumentSynthesizer`` makes from the templates with a ghost (fixed
seeds: the same cards each run; needs the ``train`` extra): genuine cards, a face swapped into
the photo before printing, and one swapped on the photographed card, in turn. The page is
rectified from the true corners, so the intake's misses (``benchmarks.intake``) do not count.

- ``found``: the share of genuine cards whose ghost is found where it is printed;
- ``swap_auc``: AUC of genuine cards against swaps, by the ghost similarity (lower: swapped),
  over the cards whose ghost is found.

Gated: ``accuracy.ghost.found`` (may drop 0.05) and ``accuracy.ghost.swap_auc`` (0.03). The
set is skipped with a note when its data or extra is missing.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.common import Figure
from benchmarks.intake import SHARED_DATA

GHOST_SEED = 950_000  # first seed tried (training draws from 0 up, the intake benchmark from 900,000)
GHOST_COUNT = {"quick": 60, "full": 180}  # cards with a ghost
VARIANTS = ("none", "swap_printed", "swap_captured")
FOUND_TOLERANCE = 0.05
AUC_TOLERANCE = 0.03
MIN_SLOT_OVERLAP = 0.5  # share of the found box inside the printed ghost's slot

# name, variant, portrait page (RGB), page zoom, the ghost's slot on the page (x0, y0, x1, y1)
GhostCard = tuple[str, str, np.ndarray, float, np.ndarray]


@dataclass
class GhostSetResult:
    """What the ghost check found on each card of one set."""

    origin: str
    variants: list[str] = field(default_factory=list)
    similarity: list[float] = field(default_factory=list)  # NaN: no ghost found at its slot
    ms: list[float] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        variants, similarity = np.array(self.variants, dtype=object), np.array(self.similarity, np.float64)
        found = ~np.isnan(similarity)
        genuine = variants == "none"
        return {
            "origin": self.origin,
            "n": len(self.variants),
            "found": {v: float(found[variants == v].mean()) if (variants == v).any() else None for v in VARIANTS},
            "swap_auc": _swap_auc(similarity[found], genuine[found]),
            "similarity_median": {
                v: float(np.median(similarity[found & (variants == v)])) if (found & (variants == v)).any() else None
                for v in VARIANTS
            },
            "ms_p50": statistics.median(self.ms) if self.ms else None,
        }


def _swap_auc(similarity: np.ndarray, genuine: np.ndarray) -> float | None:
    from liveness.scoring.metrics import roc_auc

    if genuine.all() or not genuine.any():
        return None
    return float(roc_auc((~genuine).astype(int), -similarity))


def slot_overlap(found: np.ndarray, slot: np.ndarray) -> float:
    """The share of the ``found`` box (x0, y0, x1, y1) that lies inside ``slot``.

    >>> slot_overlap(np.array([0, 0, 10, 10]), np.array([5, 0, 20, 10]))
    0.5
    """
    w = min(found[2], slot[2]) - max(found[0], slot[0])
    h = min(found[3], slot[3]) - max(found[1], slot[1])
    area = (found[2] - found[0]) * (found[3] - found[1])
    return float(max(w, 0) * max(h, 0) / area) if area > 0 else 0.0


def measure(origin: str, cards: Iterator[GhostCard]) -> GhostSetResult:
    """Find each card's ghost as the runtime does (:func:`liveness.documents.ghost.find_ghost`
    with FaceMesh, BlazeFace and the tile proposals) and keep its similarity when it is found
    at the printed slot."""
    from liveness.documents.ghost import FacePresence, find_ghost
    from liveness.documents.portrait import locate_portrait

    presence = FacePresence()
    result = GhostSetResult(origin)
    for _, variant, page, zoom, slot in cards:
        started = time.perf_counter()
        face = locate_portrait(page)
        ghost = None if face is None else find_ghost(
            page, face, presence, zoom=zoom, detection=presence.detection, proposals=presence.faces
        )
        result.ms.append((time.perf_counter() - started) * 1000.0)
        at_slot = ghost is not None and slot_overlap(np.asarray(ghost.box), slot) >= MIN_SLOT_OVERLAP
        result.variants.append(variant)
        result.similarity.append(ghost.similarity if at_slot and ghost is not None else float("nan"))
    return result


def synthetic_cards(count: int, cache_dir: Path) -> Iterator[GhostCard]:
    """``count`` captured cards with a ghost, genuine and swapped in turn (portrait pages
    rectified from the true corners)."""
    from liveness.documents.portrait import PORTRAIT_PAGE_SIZE, page_zoom, portrait_page
    from training.documents.portrait_swaps import swap_captured_face, swap_printed_face
    from training.documents.synth import DocumentSynthesizer

    synthesizer = DocumentSynthesizer(SHARED_DATA / "docs", SHARED_DATA / "faces", cache_dir)
    made, seed = 0, GHOST_SEED
    while made < count and seed < GHOST_SEED + 20 * count:
        seed += 1
        doc, subject = synthesizer.portrait_document(seed)
        if doc.ghost_box is None or doc.photo_box is None:
            continue
        variant = VARIANTS[made % len(VARIANTS)]
        rng = np.random.default_rng([seed, 7])
        _, donor = synthesizer.portraits.pick(rng, exclude=subject)
        flat = swap_printed_face(doc.image, doc.photo_box, donor, rng) if variant == "swap_printed" else doc.image
        if flat is None:
            continue
        image, quad = synthesizer.capture(flat, doc.shape, seed)
        page = portrait_page(image, quad)
        if variant == "swap_captured":
            page = swap_captured_face(page, donor, rng)
            if page is None:
                continue
        height, width = doc.image.shape[:2]
        scale = np.array([PORTRAIT_PAGE_SIZE[0] / width, PORTRAIT_PAGE_SIZE[1] / height] * 2)
        made += 1
        yield f"seed {seed} ({variant}, {doc.template.template})", variant, page, page_zoom(quad), np.asarray(
            doc.ghost_box, np.float64) * scale


def run_ghost(mode: str, cache_dir: Path) -> dict[str, Any]:
    """``{"sets": {"synthetic": entry}, "figures": {...}, "skipped": [notes]}``."""
    try:
        import training.documents.synth  # noqa: F401  (the train extra)
    except ModuleNotFoundError as exc:
        return {"sets": {}, "figures": {}, "skipped": [f"ghost: needs the train extra ({exc.name} is not installed)"]}
    if not ((SHARED_DATA / "docs" / "templates").is_dir() and (SHARED_DATA / "faces").is_dir()):
        return {"sets": {}, "figures": {}, "skipped": [f"ghost: templates or faces not found under {SHARED_DATA}"]}
    count = GHOST_COUNT[mode]
    entry = measure(f"{count} captured cards with a ghost from DocumentSynthesizer, seeds from {GHOST_SEED}, "
                    "genuine / swapped before print / swapped after capture in turn",
                    synthetic_cards(count, cache_dir)).to_dict()
    return {"sets": {"synthetic": entry}, "figures": ghost_figures(entry), "skipped": []}


def ghost_figures(entry: dict[str, Any]) -> dict[str, Figure]:
    figures = {}
    if entry["found"]["none"] is not None:
        figures["accuracy.ghost.found"] = Figure(entry["found"]["none"], higher_is_better=True,
                                                 tolerance=FOUND_TOLERANCE)
    if entry["swap_auc"] is not None:
        figures["accuracy.ghost.swap_auc"] = Figure(entry["swap_auc"], higher_is_better=True, tolerance=AUC_TOLERANCE)
    return figures


def ghost_section(ghost: dict[str, Any]) -> list[str]:
    """The ``## Ghost image`` section of the summary."""
    if not ghost:
        return []
    lines = ["## Ghost image", "",
             "Found: the ghost is found where it is printed (share of cards); swap AUC: genuine cards against "
             "swapped portraits by the ghost similarity, where the ghost is found.", ""]
    rows = []
    for name, entry in (ghost.get("sets") or {}).items():
        found, median = entry["found"], entry["similarity_median"]
        auc = "n/a" if entry["swap_auc"] is None else f"{entry['swap_auc']:.3f}"
        cells = [*(_fmt(found[v]) for v in VARIANTS), auc, *(_fmt(median[v]) for v in VARIANTS),
                 _fmt(entry["ms_p50"], 0)]
        rows.append(f"| {name} | {entry['n']} | " + " | ".join(cells) + " |")
    if rows:
        lines += ["| set | n | found genuine | found swapped before print | found swapped after capture | swap AUC | "
                  "similarity genuine | before print | after capture | ms p50 |",
                  "|---|---|---|---|---|---|---|---|---|---|", *rows, ""]
    for name, entry in (ghost.get("sets") or {}).items():
        lines.append(f"`{name}`: {entry['origin']}.")
    lines += [f"Skipped: {note}." for note in ghost.get("skipped") or []]
    return [*lines, ""]


def _fmt(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"
