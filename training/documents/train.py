"""Train the document forgery model (class logits + heatmap) and calibrate it on validation.

Loss: class-weighted cross-entropy over genuine + the five species, plus a per-cell binary
cross-entropy on the heatmap (the synthesized forgery masks), so the classifier learns from
*where* the evidence is, not just from the label.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from liveness.scoring.fusion import softmax, spoof_logit
from training.documents.dataset import DocumentSet
from training.fusion_fit import fit_fusion
from training.models.doc_forgery import CLASSES
from training.train import TrainConfig, class_weights, fit_model, normalize_images

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
