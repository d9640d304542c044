"""Train the document locator (``doc_locator``) on synthesized captures and ship it.

``liveness train --kind locator`` runs :func:`run_locator_training`: it synthesizes the
training captures on six DocXPand designs and the validation captures on the other two (a
design the locator never saw must still be found), trains the network with a per-pixel
cross-entropy plus a Dice term (the document is a large region; Dice keeps small, far cards
from being ignored), and measures on validation what the intake needs: the share of documents
whose quad, fitted to the predicted map, overlaps the true quad with IoU >= 0.8.
``liveness export --kind locator`` runs :func:`ship_locator_run`.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from liveness.documents.locator import LOCATED_IOU, quad_from_probability
from liveness.models.manifest import WEIGHTS_DIR
from training.documents.locator_set import LocatorSet, build_locator_set
from training.export import export_entry, load_trained, update_manifest
from training.models.registry import create_model, default_cfg

__all__ = ["run_locator_training", "ship_locator_run", "train_locator"]

MODEL = "doc_locator"
CARD_NAME = "LOCATOR_MODEL_CARD.md"
TRAIN_SEEDS = 0  # training captures are seeds 0..n-1, validation 1_000_000.. (disjoint)
VAL_SEED_START = 1_000_000


def _targets(masks: np.ndarray, stride: int) -> torch.Tensor:
    side = masks.shape[1] // stride
    small = np.stack([cv2.resize(m, (side, side), interpolation=cv2.INTER_AREA) for m in masks])
    return torch.from_numpy(small.astype(np.float32) / 255.0)[:, None]


def _normalize(images: np.ndarray) -> torch.Tensor:
    spec = default_cfg(MODEL)["input"]
    x = torch.from_numpy(images).permute(0, 3, 1, 2).float() / 255.0
    mean = torch.tensor(spec["mean"]).view(1, 3, 1, 1)
    std = torch.tensor(spec["std"]).view(1, 3, 1, 1)
    return (x - mean) / std


def _augment(x: torch.Tensor, y: torch.Tensor, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Flips and quarter turns (the square input allows them; mask follows), light and grey."""
    if torch.rand(1, generator=gen) < 0.5:
        x, y = x.flip(3), y.flip(3)
    if torch.rand(1, generator=gen) < 0.3:
        x, y = x.flip(2), y.flip(2)
    if torch.rand(1, generator=gen) < 0.3:
        x, y = x.transpose(2, 3), y.transpose(2, 3)
    n = x.shape[0]
    gain = 1.0 + 0.3 * (torch.rand(n, 1, 1, 1, generator=gen) - 0.5)
    shift = 0.4 * (torch.rand(n, 1, 1, 1, generator=gen) - 0.5)
    x = x * gain + shift
    grey = torch.rand(n, 1, 1, 1, generator=gen) < 0.2
    return torch.where(grey, x.mean(dim=1, keepdim=True).expand_as(x), x), y


def _loss(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    bce = F.binary_cross_entropy_with_logits(logits, target)
    prob = torch.sigmoid(logits)
    inter = (prob * target).sum(dim=(1, 2, 3))
    dice = 1.0 - (2 * inter + 1.0) / (prob.sum(dim=(1, 2, 3)) + target.sum(dim=(1, 2, 3)) + 1.0)
    return bce + dice.mean()


def train_locator(
    train: LocatorSet, *, epochs: int, batch: int = 32, lr: float = 2e-3, seed: int = 0,
    log: list[dict[str, Any]] | None = None,
) -> torch.nn.Module:
    """Train ``doc_locator`` from scratch on ``train`` (AdamW, one-cycle schedule)."""
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    model = create_model(MODEL)
    stride = int(default_cfg(MODEL)["output_stride"])
    targets = _targets(train.masks, stride)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    steps = epochs * ((len(train) + batch - 1) // batch)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr, total_steps=steps, pct_start=0.15)
    for epoch in range(epochs):
        model.train()
        order = torch.randperm(len(train), generator=gen).numpy()
        total, started = 0.0, time.time()
        bar = tqdm(range(0, len(order), batch), desc=f"locator epoch {epoch + 1}/{epochs}", leave=False)
        for start in bar:
            idx = np.sort(order[start:start + batch])
            x, y = _augment(_normalize(train.images[idx]), targets[idx], gen)
            loss = _loss(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
            total += float(loss.detach()) * len(idx)
            bar.set_postfix(loss=f"{float(loss.detach()):.3f}")
        entry = {"epoch": epoch + 1, "loss": total / len(order), "seconds": round(time.time() - started, 1)}
        if log is not None:
            log.append(entry)
        print(json.dumps(entry), flush=True)
    return model.eval()


def predict_probabilities(model: torch.nn.Module, images: np.ndarray, batch: int = 64) -> np.ndarray:
    """(N, h, w) float32 document probabilities of stretched captures."""
    out = []
    with torch.no_grad():
        for start in range(0, len(images), batch):
            out.append(torch.sigmoid(model(_normalize(images[start:start + batch])))[:, 0].numpy())
    return np.concatenate(out)


def located_share(probabilities: np.ndarray, masks: np.ndarray) -> dict[str, float]:
    """How often the quad fitted to each map overlaps the true mask with IoU >= LOCATED_IOU."""
    side = masks.shape[1]
    ious = []
    for prob, mask in zip(probabilities, masks, strict=True):
        fitted = quad_from_probability(prob, (side, side))
        if fitted is None:
            ious.append(0.0)
            continue
        drawn = np.zeros((side, side), np.uint8)
        cv2.fillPoly(drawn, [np.round(fitted.corners).astype(np.int32)], 1)
        truth = mask >= 128
        union = int((truth | (drawn > 0)).sum())
        ious.append(float((truth & (drawn > 0)).sum()) / union if union else 0.0)
    values = np.array(ious)
    return {"located": float((values >= LOCATED_IOU).mean()), "iou_median": float(np.median(values)),
            "n": len(values)}


def run_locator_training(
    docs_dir: Path, faces_dir: Path, out_dir: Path, *, n_train: int = 10000, n_val: int = 1000,
    epochs: int = 12, seed: int = 0, workers: int = 2,
) -> dict[str, Any]:
    """Synthesize, train, validate; writes ``doc_locator.pt`` and ``metrics.json`` into ``out_dir``."""
    from training.documents.pipeline import VAL_TEMPLATES
    from training.documents.synth import DocumentSynthesizer

    out_dir.mkdir(parents=True, exist_ok=True)
    cache_dir = out_dir / "cache"
    templates = sorted({side.template for side in DocumentSynthesizer(docs_dir, faces_dir, cache_dir).sides})
    train_templates = tuple(t for t in templates if t not in VAL_TEMPLATES)
    val_templates = tuple(t for t in templates if t in VAL_TEMPLATES)
    if not train_templates or not val_templates:
        raise ValueError(f"need templates both in and out of {VAL_TEMPLATES}; found {templates}")
    started = time.time()

    def progress(name: str) -> Any:
        bar = tqdm(desc=f"synthesizing {name} captures", unit="shard", leave=False)

        def update(done: int, total: int) -> None:
            bar.total = total
            bar.n = done
            bar.refresh()
        return update

    common = {"workers": workers}
    val = build_locator_set(docs_dir, faces_dir, cache_dir, range(VAL_SEED_START, VAL_SEED_START + n_val),
                            val_templates, name="val", progress=progress("validation"), **common)
    train = build_locator_set(docs_dir, faces_dir, cache_dir, range(TRAIN_SEEDS, TRAIN_SEEDS + n_train),
                              train_templates, name="train", progress=progress("training"), **common)
    built = time.time()
    torch.set_num_threads(max(1, workers))
    log: list[dict[str, Any]] = []
    model = train_locator(train, epochs=epochs, seed=seed, log=log)
    torch.save(model.state_dict(), out_dir / f"{MODEL}.pt")
    val_metrics = located_share(predict_probabilities(model, val.images), val.masks)
    result = {
        "training_data": {
            "source": f"phone captures synthesized by training/documents/locator_data.py from the templates "
                      f"of {docs_dir} and the photographs of {faces_dir}",
            "train": {"n": len(train), "seeds": [TRAIN_SEEDS, TRAIN_SEEDS + n_train], "templates": train_templates},
            "val": {"n": len(val), "seeds": [VAL_SEED_START, VAL_SEED_START + n_val], "templates": val_templates},
            "epochs": epochs,
            "seed": seed,
        },
        "val": val_metrics,
        "log": log,
        "seconds": {"synthesis": round(built - started), "training": round(time.time() - built)},
    }
    (out_dir / "metrics.json").write_text(json.dumps(result, indent=2) + "\n")
    return result


def ship_locator_run(run_dir: Path, weights_dir: Path | None = None, *, version: str) -> dict[str, Any]:
    """Export the run's locator into ``weights_dir`` (default: the shipped weights) and list it
    in the manifest."""
    weights_dir = weights_dir or WEIGHTS_DIR
    result = json.loads((run_dir / "metrics.json").read_text())
    model = load_trained(MODEL, run_dir / f"{MODEL}.pt")
    metrics = {"validation_designs": result["val"]}
    entry = export_entry(
        model, MODEL, weights_dir, version=version, training_data=result["training_data"], metrics=metrics,
        kind="document_locator",
        extra={"outputs": {"document_logits": "stride-4 logits of 'on the document' over the stretched frame; "
                           "sigmoid, then the intake fits the quad to the 0.5 outline"}},
    )
    entry["classes"] = default_cfg(MODEL)["classes"]
    entry["outputs"] = {"document_logits": entry["outputs"]["document_logits"]}  # no class logits here
    update_manifest(weights_dir, {MODEL: entry})
    (weights_dir / CARD_NAME).write_text(locator_model_card(result, entry), encoding="utf-8")
    return {MODEL: entry}


def locator_model_card(result: dict[str, Any], entry: dict[str, Any]) -> str:
    """The locator's model card (Markdown) from its run's ``metrics.json`` and manifest entry."""
    data, val = result["training_data"], result["val"]
    train, held = data.get("train", {}), data.get("val", {})
    epochs = ", ".join(f"{e['loss']:.3f}" for e in result.get("log", []))
    return "\n".join([
        f"# doc_locator {entry['version']}",
        "",
        "Where the ID document lies in a photo: a per-cell probability map (stride 4 over the frame "
        "stretched to 192x192) that the intake fits a quad to, snapped to the image's edges "
        "(`liveness/documents/locator.py`, `liveness/documents/quad.py`).",
        "",
        f"- File: `{entry['file']}`, sha256 `{entry['sha256']}`, {entry['params']:,} parameters, opset "
        f"{entry['opset']}, ONNX Runtime / torch gap {entry['parity_max_abs_gap']:.1e}.",
        "- Input: RGB, the whole frame resized to 192x192 (no letterbox), (x/255 - 0.5) / 0.25, NCHW.",
        "- Output: `document_logits` (N, 1, 48, 48); sigmoid >= 0.5 is the document.",
        "- License: Apache-2.0 (our weights, trained here).",
        "",
        "## Training data",
        "",
        f"Synthesized only ({data.get('source', '')}): {train.get('n', '?')} captures on the designs "
        f"{', '.join(train.get('templates', []))}; validation {held.get('n', '?')} captures on designs never "
        f"trained on ({', '.join(held.get('templates', []))}). Documents genuine, grey photocopies, screen "
        "recaptures or recoloured; backgrounds synthetic (wood, cloth, newsprint, desk, clutter) or crops of "
        "the shared face photographs, with photographs pasted into newsprint and often a sheet of paper under "
        "the document; a third of the documents run off the frame; fingers and objects over the edges; then "
        f"the capture model (light, blur, noise, JPEG). {data.get('epochs', '?')} epochs, "
        f"seed {data.get('seed', '?')}.",
        "",
        f"Training loss per epoch: {epochs}.",
        "",
        "## Measured",
        "",
        f"Validation designs: the quad fitted to the map alone locates {val['located']:.3f} of {val['n']} "
        f"documents (IoU >= {LOCATED_IOU} with the true quad; median IoU {val['iou_median']:.3f}).",
        "",
        "In the intake, on real phone frames and on the synthetic captures of the intake benchmark, see "
        "`python -m benchmarks.run` (section *Document intake*: located with the locator and by the edge "
        "search alone, on the same captures) and the README.",
        "",
        "## Limits",
        "",
        "- Trained on eight synthetic designs only; a document unlike any card or data page (a folded "
        "booklet, a sheet of A4) may be missed or framed with its page.",
        "- One document per frame: two cards side by side make a map that is not one quad, and the intake "
        "then falls back to the edge search.",
        "- The map is coarse (1/48 of the frame per cell): where no edge-supported quad agrees with it, the "
        "quad comes from the map with its sides moved onto the nearest edges, and can be a few pixels off.",
        "- Never trained on a document filling the frame: on a frame in a page's own shape (mostly tight "
        "crops) the intake uses its map only when the map's quad lies on something plain (a card scanned on "
        "a whole A4 page); elsewhere there the edge search and the whole-image fallback decide.",
        "- It can miss the strip of a card along the frame's edge (on the tests' drawn card cut by the frame: "
        "IoU 0.62 with the truth, where the edge search alone gets 0.98 and reports DOC_CROPPED).",
        "",
    ])
