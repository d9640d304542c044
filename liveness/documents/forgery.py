"""The document forgery model on ONNX Runtime: a calibrated forgery score, the most likely
forgery species and a coarse heatmap of where the document looks forged.

The model (``doc_forgery`` in ``weights/manifest.json``) sees the intake's rectified document
and returns class logits (genuine first, then one class per species) and a stride-16 map of
per-cell forgery logits. The manifest entry carries the calibration (a logistic fusion of the
page model's log-odds with the portrait model's and the ghost-image check, fitted on
validation documents), the gates (:mod:`liveness.documents.gates`: the photocopy gate on the
page's colour spread, the ghost gate on the ghost image's match with the portrait; the score is
the largest of the fused score and the gates') and the operating thresholds at BPCER 1% / 5%
of that score.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from liveness.documents import reasons as R
from liveness.documents.colour import ColourGate, colour_spread
from liveness.documents.ghost import GhostGate, ghost_ceiling, ghost_evidence
from liveness.documents.portrait import PortraitResult
from liveness.errors import ModelError
from liveness.models.manifest import LoadedModel, load_model
from liveness.scoring.fusion import LogisticFusion, sigmoid, sigmoid_array, softmax, spoof_logit

__all__ = [
    "FORGERY_MODEL",
    "SPECIES_REASON",
    "DocumentForgeryModel",
    "ForgeryRegion",
    "ForgeryResult",
    "heatmap_overlay",
    "heatmap_regions",
]

FORGERY_MODEL = "doc_forgery"
SPECIES_REASON = {
    "portrait_swap": R.ID_PORTRAIT_SWAP,
    "text_edit": R.ID_TEXT_EDITED,
    "copy_move": R.ID_COPY_MOVE,
    "recapture": R.ID_RECAPTURE,
    "photocopy": R.ID_PHOTOCOPY,
}
PORTRAIT_FEATURE = "portrait_logit"
GHOST_FEATURE = "ghost_similarity"
REGION_THRESHOLD = 0.5  # a heatmap cell is "forged" when its probability reaches this


@dataclass(frozen=True)
class ForgeryRegion:
    """A box of the rectified document, in fractions of its width and height (0..1)."""

    x: float
    y: float
    width: float
    height: float
    score: float  # the highest cell probability inside the box

    def to_dict(self) -> dict[str, float]:
        return {k: round(float(v), 4) for k, v in self.__dict__.items()}


@dataclass
class ForgeryResult:
    forgery_score: float  # calibrated: 0 = genuine, 1 = forged
    species: str  # most likely forgery species (whatever the score)
    species_probs: dict[str, float]
    heatmap: np.ndarray = field(repr=False)  # (h, w) cell probabilities
    regions: list[ForgeryRegion] = field(default_factory=list)
    portrait_logit: float | None = None  # the portrait model's swap log-odds, None: no portrait
    ghost_similarity: float | None = None  # the ghost image against the portrait, None: no ghost

    def to_dict(self) -> dict[str, Any]:
        return {
            "forgery_score": round(float(self.forgery_score), 6),
            "species": self.species,
            "species_probs": {k: round(float(v), 6) for k, v in self.species_probs.items()},
            "regions": [r.to_dict() for r in self.regions],
            "portrait_logit": None if self.portrait_logit is None else round(float(self.portrait_logit), 4),
            "ghost_similarity": None if self.ghost_similarity is None else round(float(self.ghost_similarity), 4),
        }


def heatmap_regions(heatmap: np.ndarray, threshold: float = REGION_THRESHOLD) -> list[ForgeryRegion]:
    """Connected groups of cells at or above ``threshold``, as boxes, strongest first."""
    hot = (heatmap >= threshold).astype(np.uint8)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(hot, connectivity=8)
    h, w = heatmap.shape
    regions = []
    for k in range(1, n):
        x, y, bw, bh, _area = stats[k]
        regions.append(
            ForgeryRegion(x=x / w, y=y / h, width=bw / w, height=bh / h, score=float(heatmap[labels == k].max()))
        )
    return sorted(regions, key=lambda r: -r.score)


def heatmap_overlay(document: np.ndarray, heatmap: np.ndarray) -> np.ndarray:
    """The rectified document (RGB uint8) with the heatmap blended in red and boxes drawn."""
    h, w = document.shape[:2]
    heat = cv2.resize(heatmap.astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR)
    out = document.astype(np.float32)
    red = np.zeros_like(out)
    red[..., 0] = 255
    alpha = (0.6 * np.clip(heat, 0, 1))[..., None]
    out = (1 - alpha) * out + alpha * red
    out = out.clip(0, 255).astype(np.uint8)
    for region in heatmap_regions(heatmap):
        x0, y0 = int(region.x * w), int(region.y * h)
        x1, y1 = int((region.x + region.width) * w) - 1, int((region.y + region.height) * h) - 1
        cv2.rectangle(out, (x0, y0), (x1, y1), (255, 255, 0), 2)
    return out


class DocumentForgeryModel:
    """The manifest's ``doc_forgery`` model with its calibration and thresholds."""

    def __init__(self, *, weights_dir: Path | None = None, device: str | None = None, threads: int | None = None):
        self.model: LoadedModel = load_model(FORGERY_MODEL, weights_dir=weights_dir, device=device, threads=threads)
        self.classes: tuple[str, ...] = tuple(self.model.entry["classes"])
        calibration = self.model.entry["calibration"]
        self.calibration = LogisticFusion.from_dict(calibration)
        try:
            self.colour_gate = ColourGate.from_calibration(calibration)
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelError(f"colour gate of {FORGERY_MODEL} in the manifest is invalid: {exc}") from exc
        try:
            self.ghost_ceiling = ghost_ceiling(calibration)
            self.ghost_gate = GhostGate.from_calibration(calibration)
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelError(f"ghost check of {FORGERY_MODEL} in the manifest is invalid: {exc}") from exc

    @property
    def version(self) -> str:
        return self.model.version

    @property
    def input_size(self) -> tuple[int, int]:
        """(width, height) of the rectified document the model wants."""
        h, w = self.model.spec.size
        return w, h

    @property
    def wants_ghost(self) -> bool:
        """Whether the calibration fuses the ghost-image check (it needs the portrait page)."""
        return GHOST_FEATURE in self.calibration.features

    @property
    def wants_portrait(self) -> bool:
        """Whether the calibration fuses the portrait model's log-odds (``doc_portrait``)."""
        return PORTRAIT_FEATURE in self.calibration.features

    def predict(
        self, documents: np.ndarray, portraits: Sequence[PortraitResult | None] | None = None
    ) -> list[ForgeryResult]:
        """Score rectified documents, (N, H, W, 3) RGB uint8 at the model's input size.

        ``portraits`` holds each document's portrait assessment (None: no portrait found);
        a calibration that fuses it treats a missing one as carrying no evidence. A swapped
        portrait (log-odds > 0) names the species and adds its crop to the regions.
        """
        if documents.ndim != 4 or documents.shape[1:3] != tuple(self.model.spec.size):
            raise ValueError(f"expected (N, {self.model.spec.size[0]}, {self.model.spec.size[1]}, 3) documents")
        portraits = list(portraits) if portraits is not None else [None] * len(documents)
        if len(portraits) != len(documents):
            raise ValueError(f"{len(documents)} documents but {len(portraits)} portrait results")
        logits, heat_logits = self.model.run(self.model.spec.normalize(documents))[:2]
        probs = softmax(logits)
        heat = sigmoid_array(heat_logits[:, 0])
        results = []
        for document, p, hm, portrait in zip(documents, probs, heat, portraits, strict=True):
            values = {"forgery_logit": float(spoof_logit(p)), PORTRAIT_FEATURE: math.nan, GHOST_FEATURE: math.nan}
            if portrait is not None:
                values[PORTRAIT_FEATURE] = portrait.logit
                if portrait.ghost_similarity is not None:
                    values[GHOST_FEATURE] = ghost_evidence(portrait.ghost_similarity, self.ghost_ceiling)
            fused = self.calibration.score(values)
            grey = self.colour_gate.score(colour_spread(document)) if self.colour_gate is not None else 0.0
            ghost = 0.0
            if self.ghost_gate is not None and portrait is not None and portrait.ghost_similarity is not None:
                ghost = self.ghost_gate.score(portrait.ghost_similarity)
            if grey > fused and grey >= ghost:
                # the page's lack of colour says more than the models: a grey copy
                species, regions = "photocopy", heatmap_regions(hm)
            elif ghost > fused:
                # the ghost image does not match the portrait: the portrait was replaced
                assert portrait is not None
                boxes = [b for b in (portrait.ghost_box, portrait.box) if b is not None]
                species = "portrait_swap"
                regions = [*(ForgeryRegion(*b, score=ghost) for b in boxes), *heatmap_regions(hm)]
            else:
                species, regions = self._name_and_locate(p, hm, values, portrait)
            results.append(
                ForgeryResult(
                    forgery_score=max(fused, grey, ghost),
                    species=species,
                    species_probs=dict(zip(self.classes, map(float, p), strict=True)),
                    heatmap=hm,
                    regions=regions,
                    portrait_logit=None if portrait is None else portrait.logit,
                    ghost_similarity=None if portrait is None else portrait.ghost_similarity,
                )
            )
        return results

    def _name_and_locate(
        self, probs: np.ndarray, heat: np.ndarray, values: dict[str, float], portrait: PortraitResult | None
    ) -> tuple[str, list[ForgeryRegion]]:
        """The species and regions: the page model's, unless the portrait's evidence (its own
        model and its ghost image) pushes towards forgery more than the page does; then the
        portrait is swapped, and its crop and its ghost lead the regions where they point to it."""
        species = self.classes[1 + int(np.argmax(probs[1:]))]
        regions = heatmap_regions(heat)
        if portrait is None:
            return species, regions
        share = self.calibration.contributions(values)
        portrait_share, ghost_share = share.get(PORTRAIT_FEATURE, 0.0), share.get(GHOST_FEATURE, 0.0)
        if portrait_share + ghost_share <= max(0.0, share.get("forgery_logit", 0.0)):
            return species, regions
        leading = []
        if portrait_share > 0:
            leading.append(ForgeryRegion(*portrait.box, score=sigmoid(portrait_share)))
        if ghost_share > 0 and portrait.ghost_box is not None:
            leading.append(ForgeryRegion(*portrait.ghost_box, score=sigmoid(ghost_share)))
        return "portrait_swap", [*leading, *regions]
