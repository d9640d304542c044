"""Train the document forgery model (class logits + heatmap) and calibrate it on validation.

Loss: class-weighted cross-entropy over genuine + the five species, plus a per-cell binary
cross-entropy on the heatmap (the synthesized forgery masks), so the classifier learns from
*where* the evidence is, not just from the label.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from liveness.documents.colour import ColourGate
from liveness.documents.gates import Gate
from liveness.documents.ghost import GhostGate
from liveness.documents.portrait import PORTRAIT_MODEL
from liveness.scoring.fusion import LogisticFusion, softmax, spoof_logit
from liveness.scoring.metrics import roc_auc, threshold_at_bpcer
from training.documents.dataset import DocumentSet
from training.documents.portrait_set import PORTRAIT_VARIANTS, PortraitSet
from training.fusion_fit import fit_fusion
from training.models.doc_forgery import CLASSES
from training.train import TrainConfig, class_weights, fit_model, normalize_images

G = TypeVar("G", bound=Gate)
HEATMAP_WEIGHT = 1.0


def _augment(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Photometric jitter only: a mirrored document is not a document."""
    n = x.shape[0]
    gain = 1 + 0.3 * (torch.rand(n, 1, 1, 1, generator=gen) - 0.5)
    bias = 0.3 * (torch.rand(n, 1, 1, 1, generator=gen) - 0.5)
    tint = 0.1 * (torch.rand(n, 3, 1, 1, generator=gen) - 0.5)
    return x * gain + bias + tint


def train_forgery_model(data: DocumentSet, cfg: TrainConfig, epochs: int, log: list[dict]) -> torch.nn.Module:
    weights = class_weights(data.labels, len(CLASSES))
    gen = torch.Generator().manual_seed(cfg.seed + 3)
    # Forged cells are rare next to genuine ones: weight them up so the map does not go blank.
    pos = float(data.heat.mean())
    pos_weight = torch.tensor(min(20.0, (1 - pos) / max(pos, 1e-3)) ** 0.5)

    def batch_loss(model: torch.nn.Module, idx: np.ndarray) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        idx = np.sort(idx)  # sorted reads are kinder to the memory map
        x = _augment(normalize_images(np.asarray(data.images[idx])), gen)
        y = torch.from_numpy(data.labels[idx])
        target = torch.from_numpy(data.heat[idx]).float().unsqueeze(1)
        logits, heat = model(x)
        loss = F.cross_entropy(logits, y, weight=weights, label_smoothing=0.05)
        loss = loss + HEATMAP_WEIGHT * F.binary_cross_entropy_with_logits(heat, target, pos_weight=pos_weight)
        return loss, logits, y

    return fit_model(
        "doc_forgery",
        len(data.labels),
        batch_loss,
        epochs=epochs,
        batch_size=24,
        cfg=cfg,
        seed=cfg.seed + 3,
        log=log,
    )


@torch.no_grad()
def predict_documents(model: torch.nn.Module, images: np.ndarray, batch: int = 32) -> dict[str, np.ndarray]:
    """Class probabilities and heatmap probabilities for rectified documents (N, H, W, 3)."""
    model.eval()
    probs, heats = [], []
    for start in tqdm(range(0, len(images), batch), desc="predict documents", leave=False):
        logits, heat = model(normalize_images(np.asarray(images[start : start + batch])))
        probs.append(softmax(logits.numpy()))
        heats.append(torch.sigmoid(heat[:, 0]).numpy())
    return {"probs": np.concatenate(probs), "heat": np.concatenate(heats)}


def calibrate(val: DocumentSet, preds: dict[str, np.ndarray]) -> dict[str, Any]:
    """One-feature logistic calibration of the forgery log-odds, thresholds at BPCER 1%/5%."""
    y = (val.labels > 0).astype(np.int64)
    fusion = fit_fusion({"forgery_logit": spoof_logit(preds["probs"])}, y)
    return fusion.to_dict()


def heatmap_iou(val: DocumentSet, preds: dict[str, np.ndarray], threshold: float = 0.5) -> float:
    """Mean IoU of the predicted forged cells with the true ones, over local forgeries."""
    local = [CLASSES.index(s) for s in ("portrait_swap", "text_edit", "copy_move")]
    ious = []
    for i in np.flatnonzero(np.isin(val.labels, local)):
        pred, true = preds["heat"][i] >= threshold, val.heat[i] > 0
        union = np.logical_or(pred, true).sum()
        if union:
            ious.append(np.logical_and(pred, true).sum() / union)
    return float(np.mean(ious)) if ious else float("nan")


def write_epoch_log(run_dir: Path, log: list[dict]) -> None:
    with (run_dir / "epochs.jsonl").open("a") as handle:
        handle.writelines(json.dumps(entry) + "\n" for entry in log)


def _augment_portraits(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Photometric jitter and mirroring (a mirrored portrait is still a portrait)."""
    x = _augment(x, gen)
    flip = torch.rand(x.shape[0], generator=gen) < 0.5
    return torch.where(flip[:, None, None, None], x.flip(-1), x)


PORTRAIT_FINE_TUNE_LR = 1e-3


def portrait_init_state(frame_cnn_checkpoint: Path) -> dict[str, torch.Tensor]:
    """doc_portrait's starting weights from a trained frame_cnn (the same network): its
    features already tell live skin from blended and re-rendered faces, and its bona fide and
    face-swap rows start the genuine and portrait-swap logits. From random weights the
    portrait model barely leaves chance in three epochs; from these it learns at once."""
    from training.models.frame_cnn import CLASSES as FRAME_CLASSES

    state = torch.load(frame_cnn_checkpoint, map_location="cpu", weights_only=True)
    rows = [FRAME_CLASSES.index("bona_fide"), FRAME_CLASSES.index("face_swap")]
    state["classifier.weight"] = state["classifier.weight"][rows]
    state["classifier.bias"] = state["classifier.bias"][rows]
    return state


def train_portrait_model(
    data: PortraitSet,
    cfg: TrainConfig,
    epochs: int,
    log: list[dict],
    init_state: dict[str, torch.Tensor] | None = None,
    val: PortraitSet | None = None,
) -> torch.nn.Module:
    """Genuine vs swapped portrait on the crops that have a portrait; fine-tuned at a lower
    learning rate when it starts from ``init_state``. With ``val``, each epoch logs the
    model's AUC per portrait forgery on it."""
    keep = np.flatnonzero(data.has_portrait)
    labels = data.labels[keep]
    weights = class_weights(labels, 2)
    gen = torch.Generator().manual_seed(cfg.seed + 5)

    def batch_loss(model: torch.nn.Module, idx: np.ndarray) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        rows = np.sort(keep[idx])
        x = _augment_portraits(normalize_images(np.asarray(data.crops[rows])), gen)
        y = torch.from_numpy(data.labels[rows])
        logits = model(x)
        return F.cross_entropy(logits, y, weight=weights, label_smoothing=0.05), logits, y

    if init_state is not None:
        cfg = replace(cfg, lr=PORTRAIT_FINE_TUNE_LR)
    return fit_model(
        PORTRAIT_MODEL,
        len(keep),
        batch_loss,
        epochs=epochs,
        batch_size=32,
        cfg=cfg,
        seed=cfg.seed + 5,
        log=log,
        init_state=init_state,
        evaluate=None if val is None else lambda m: portrait_variant_auc(val, predict_portraits(m, val.crops,
                                                                                                 val.has_portrait)),
    )


def portrait_variant_auc(
    val: PortraitSet,
    forged_score: np.ndarray,
    measured: np.ndarray | None = None,
    variants: tuple[str, ...] = PORTRAIT_VARIANTS[1:],
) -> dict[str, float]:
    """AUC per forgery (default: the portrait forgeries) of a score that is higher for forged
    documents: genuine documents against each forgery's, both only where the score is
    ``measured`` (default: where a portrait was found)."""
    made = np.array(val.variants, dtype=object)
    measured = val.has_portrait if measured is None else measured
    genuine = (made == "none") & measured
    aucs = {}
    for variant in variants:
        chosen = genuine | ((made == variant) & measured)
        if (made[chosen] == variant).any() and genuine.any():
            aucs[variant] = round(roc_auc(val.labels[chosen], forged_score[chosen]), 4)
    return aucs


@torch.no_grad()
def predict_portraits(
    model: torch.nn.Module, crops: np.ndarray, has_portrait: np.ndarray, batch: int = 64, *, mirror: bool = True
) -> np.ndarray:
    """Swap log-odds per crop, averaged with its mirror image's as the runtime does
    (``liveness.documents.portrait.MIRROR_KEY``); NaN where the document has no portrait (as
    the runtime passes it)."""
    model.eval()
    out = np.full(len(crops), np.nan)
    rows = np.flatnonzero(has_portrait)
    for start in range(0, len(rows), batch):
        part = rows[start : start + batch]
        views = [np.asarray(crops[part])]
        if mirror:
            views.append(np.ascontiguousarray(views[0][:, :, ::-1]))
        log_odds = [model(normalize_images(view)).numpy().astype(np.float64) for view in views]
        out[part] = np.mean([logits[:, 1] - logits[:, 0] for logits in log_odds], axis=0)
    return out


def calibrate_joint(features: dict[str, np.ndarray], y: np.ndarray) -> dict[str, Any]:
    """Logistic fusion of the page's forgery log-odds, the portrait's swap log-odds and the
    ghost image's similarity; thresholds at BPCER 1%/5%. A document without a portrait or a
    ghost (NaN) takes that input's mean (standardized 0, no say), exactly as the runtime's
    fusion imputes an unmeasured input."""
    filled = {}
    for name, values in features.items():
        values = np.asarray(values, np.float64)
        known = ~np.isnan(values)
        filled[name] = np.where(known, values, values[known].mean() if known.any() else 0.0)
    return fit_fusion(filled, y).to_dict()


def fit_ghost_ceiling(similarity: np.ndarray, labels: np.ndarray) -> float | None:
    """The ghost similarity from which the fusion counts a ghost as simply matching
    (:func:`liveness.documents.ghost.ghost_evidence`): the median over genuine validation
    documents with a ghost found; None (no ceiling) with fewer than 10 of them."""
    similarity = np.asarray(similarity, np.float64)
    genuine = similarity[(np.asarray(labels) == 0) & ~np.isnan(similarity)]
    return float(np.median(genuine)) if len(genuine) >= 10 else None


# Each gate reaches the review threshold at the value this share (%) of genuine validation
# documents fall under, so the gate alone flags about that many of them: 1 % of all genuine
# pages for the colour spread; 5 % of the genuine ghosts found (about one document in six has
# one, so some 1 % of genuine documents again).
COLOUR_GATE_PERCENTILE = 1.0
GHOST_GATE_PERCENTILE = 5.0
# Documents a gate's fit needs, genuine and forged: a slope from fewer is noise.
GATE_MIN_GENUINE, GATE_MIN_FORGED = 20, 10
# Portrait forgeries that leave the ghost as printed (a paste may replace it too; a
# self-blended face keeps the person).
GHOST_LEFT_VARIANTS = ("swap_printed", "swap_captured")


def fit_gate(
    values: np.ndarray, genuine: np.ndarray, forged: np.ndarray, review_threshold: float, percentile: float,
    gate: type[G], forged_name: str = "forged",
) -> G:
    """A gate (:mod:`liveness.documents.gates`) on a measure that is low on a forgery: the
    slope of a logistic fit of the ``genuine`` documents against the ``forged`` ones, and the
    knee placed so that the gate reaches ``review_threshold`` (the fused score's) at the
    ``percentile`` of genuine documents: a document lower than that is reviewed at least,
    whatever the models say. Raises ValueError with too few documents or a measure that is
    not lower on the forgeries."""
    values = np.asarray(values, np.float64)
    if genuine.sum() < GATE_MIN_GENUINE or forged.sum() < GATE_MIN_FORGED:
        raise ValueError(f"the {gate.key} needs genuine and {forged_name} documents (at least {GATE_MIN_GENUINE} and "
                         f"{GATE_MIN_FORGED}), got {genuine.sum()} and {forged.sum()}")
    if not 0.0 < review_threshold < 1.0:
        raise ValueError(f"review threshold must lie in (0, 1), got {review_threshold}")
    both = genuine | forged
    fit = fit_fusion({gate.key: values[both]}, forged[both].astype(int))
    slope = -float(fit.coef[0]) / float(fit.std[0])
    if slope <= 0:
        raise ValueError(f"the forged validation documents are not lower than the genuine ones: no {gate.key}")
    lowest_genuine = float(np.percentile(values[genuine], percentile))
    review_logit = float(np.log(review_threshold / (1.0 - review_threshold)))
    return gate(knee=lowest_genuine + review_logit / slope, slope=slope)


def fit_colour_gate(spread: np.ndarray, variants: np.ndarray, review_threshold: float) -> ColourGate:
    """The photocopy gate (:mod:`liveness.documents.colour`) from the validation documents'
    colour spreads, genuine against photocopied, reaching ``review_threshold`` at the genuine
    documents' 1st percentile."""
    variants = np.asarray(variants, dtype=object)
    genuine, copies = variants == "none", variants == "photocopy"
    return fit_gate(spread, genuine, copies, review_threshold, COLOUR_GATE_PERCENTILE, ColourGate, "photocopied")


def fit_ghost_gate(similarity: np.ndarray, variants: np.ndarray, review_threshold: float) -> GhostGate | None:
    """The ghost gate (:mod:`liveness.documents.ghost`) from the validation documents' ghost
    similarities, genuine against portraits swapped with the ghost left, reaching
    ``review_threshold`` at the 5th percentile of genuine ghosts; None when too few documents
    have a ghost found (the gate is then left out)."""
    similarity = np.asarray(similarity, np.float64)
    variants = np.asarray(variants, dtype=object)
    found = ~np.isnan(similarity)
    genuine, swapped = found & (variants == "none"), found & np.isin(variants, GHOST_LEFT_VARIANTS)
    if genuine.sum() < GATE_MIN_GENUINE or swapped.sum() < GATE_MIN_FORGED:
        return None
    return fit_gate(similarity, genuine, swapped, review_threshold, GHOST_GATE_PERCENTILE, GhostGate)


def gated_scores(
    calibration: dict[str, Any], joint: dict[str, np.ndarray], spread: np.ndarray, ghost: np.ndarray | None = None
) -> np.ndarray:
    """The runtime's document score for each row of ``joint``: the largest of the fused score
    and the calibration's gates, the photocopy gate's on ``spread`` and the ghost gate's on
    ``ghost`` (the similarity as measured; NaN: no ghost found)."""
    fusion = LogisticFusion.from_dict(calibration)
    colour, ghost_gate = ColourGate.from_calibration(calibration), GhostGate.from_calibration(calibration)
    ghost = np.full(len(spread), np.nan) if ghost is None else np.asarray(ghost, np.float64)
    names = list(joint)
    scores = []
    for row, page_spread, similarity in zip(zip(*joint.values(), strict=True), spread, ghost, strict=True):
        candidates = [fusion.score(dict(zip(names, map(float, row), strict=True)))]
        if colour is not None:
            candidates.append(colour.score(float(page_spread)))
        if ghost_gate is not None and not np.isnan(similarity):
            candidates.append(ghost_gate.score(float(similarity)))
        scores.append(max(candidates))
    return np.array(scores)


def add_gates(
    calibration: dict[str, Any], joint: dict[str, np.ndarray], spread: np.ndarray, variants: np.ndarray,
    labels: np.ndarray, ghost: np.ndarray | None = None,
) -> dict[str, Any]:
    """``calibration`` with the photocopy gate and (given ghost similarities, enough of them)
    the ghost gate, its thresholds refitted on the gated score."""
    review = calibration["thresholds"]["bpcer_5"]
    gated = {**calibration, ColourGate.key: fit_colour_gate(spread, variants, review).to_dict()}
    ghost_gate = None if ghost is None else fit_ghost_gate(ghost, variants, review)
    if ghost_gate is not None:
        gated[GhostGate.key] = ghost_gate.to_dict()
    scores = gated_scores(gated, joint, spread, ghost)
    gated["thresholds"] = {
        "bpcer_1": threshold_at_bpcer(labels, scores, bpcer=0.01),
        "bpcer_5": threshold_at_bpcer(labels, scores, bpcer=0.05),
    }
    return gated
