"""``liveness train`` and ``liveness export``: the one command that makes the shipped models.

train: catalog (split by person) → build samples (synthesis + runtime preprocessing) →
train frame_cnn and clip_net → fit fusion on val persons → export ONNX into the run's own
weights folder → score the held-out persons' real files (incl. every real attack sample,
never trained on) with the runtime → metrics, DET curve, model card.
export: re-export the run into ``weights/`` (parity checked again) and ship its model card.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any

from liveness.evaluation import metrics_for, score_rows
from liveness.models.manifest import WEIGHTS_DIR, read_manifest
from liveness.scoring.labels import LabelRow
from training.build import build
from training.catalog import Item, load_catalog, summary
from training.export import export_run
from training.model_card import write_model_card
from training.train import TrainConfig, train


def _rows(items: list[Item]) -> list[LabelRow]:
    return [
        LabelRow(path=it.path, label=it.label, species=it.species, subject=it.subject, source=it.source) for it in items
    ]


def _subset_metrics(records: list[dict[str, Any]], keep: Any, threshold: float) -> dict[str, Any] | None:
    chosen = [r for r in records if keep(r)]
    if not any(r["label"] == "attack" for r in chosen) or not any(r["label"] == "bona_fide" for r in chosen):
        return None
    return metrics_for(chosen, threshold=threshold)


def evaluate_run(items: list[Item], weights_dir: Path, out_dir: Path) -> dict[str, Any]:
    """Score the test persons' real files with the runtime on ``weights_dir``."""
    from liveness.pipeline import Scorer
    from liveness.scoring.report import write_report

    scorer = Scorer(weights_dir=weights_dir)
    test = [it for it in items if it.split == "test"]
    records = score_rows(_rows(test), lambda p: scorer.score(p, name=p))
    video_threshold = scorer.video_fusion.review_threshold
    image_threshold = scorer.image_fusion.review_threshold
    is_video = {str(it.path): it.is_video for it in test}
    videos = [r for r in records if is_video[r["path"]]]
    images = [r for r in records if not is_video[r["path"]]]
    results: dict[str, Any] = {
        "video": metrics_for(videos, threshold=video_threshold) if videos else None,
        "animated_photo_vs_live_video": _subset_metrics(
            videos, lambda r: r["label"] == "bona_fide" or r["species"] == "animated_photo", video_threshold
        ),
        "face_swap_vs_live_video": _subset_metrics(
            videos, lambda r: r["label"] == "bona_fide" or r["species"] == "face_swap", video_threshold
        ),
        "image": _subset_metrics(images, lambda r: True, image_threshold),
        "thresholds": {
            "video_review_bpcer5": video_threshold,
            "video_reject_bpcer1": scorer.video_fusion.reject_threshold,
            "image_review_bpcer5": image_threshold,
            "image_reject_bpcer1": scorer.image_fusion.reject_threshold,
        },
    }
    if videos:
        write_report(out_dir / "report_video", videos, results["video"], title="held-out persons: videos")
    if images and results["image"]:
        write_report(out_dir / "report_image", images, results["image"], title="held-out persons: images")
    (out_dir / "test_scores.json").write_text(json.dumps(records, indent=2, default=str))
    return results


def _stage_weights(run_dir: Path) -> Path:
    """A weights folder for the run: the shipped face models + this run's models."""
    staged = run_dir / "weights"
    staged.mkdir(parents=True, exist_ok=True)
    manifest = read_manifest(WEIGHTS_DIR)
    keep = {k: v for k, v in manifest["models"].items() if v.get("kind") in ("face_detector", "face_landmarks")}
    for entry in keep.values():
        shutil.copy2(WEIGHTS_DIR / entry["file"], staged / entry["file"])
    (staged / "manifest.json").write_text(json.dumps({"schema": 1, "models": keep}, indent=2))
    return staged


def run_training(
    data_dir: Path,
    out_dir: Path,
    *,
    scale: float = 1.0,
    seed: int = 0,
    frame_epochs: int = 14,
    clip_epochs: int = 30,
    workers: int = 2,
) -> dict[str, Any]:
    t0 = time.time()
    labels = data_dir / "LABELS.tsv"
    items = load_catalog(labels, seed=seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "catalog.json").write_text(
        json.dumps(
            [
                {
                    "path": str(it.path),
                    "label": it.label,
                    "species": it.species,
                    "person": it.person,
                    "source": it.source,
                    "split": it.split,
                }
                for it in items
            ],
            indent=2,
        )
    )
    sample_paths = build(items, out_dir / "samples", scale=scale, workers=workers, seed=seed)
    t_build = time.time()
    cfg = TrainConfig(frame_epochs=frame_epochs, clip_epochs=clip_epochs, seed=seed)
    train_summary = train(sample_paths, out_dir, cfg)
    training_data = {
        "data_dir": str(data_dir),
        "labels": str(labels),
        "split": "by person (subject, numbered takes merged)",
        "catalog": summary(items),
        "synthetic_samples": train_summary["samples"],
        "seed": seed,
        "scale": scale,
        "real_attack_samples_used_for_training": "none except sources marked training-pool-only "
        "(LivenessDectectionForFaceSpoofingAttack replay photos)",
    }
    staged = _stage_weights(out_dir)
    export_run(out_dir, staged, version="run", training_data=training_data)
    test_metrics = evaluate_run(items, staged, out_dir)
    result = {
        "minutes": {"build": (t_build - t0) / 60, "train_and_eval": (time.time() - t_build) / 60},
        "train": train_summary,
        "training_data": training_data,
        "test": test_metrics,
        "test_metrics_summary": _headline(test_metrics),
    }
    (out_dir / "metrics.json").write_text(json.dumps(result, indent=2, default=str))
    write_model_card(out_dir / "MODEL_CARD.md", result)
    return result


def _headline(test: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key in ("video", "animated_photo_vs_live_video", "face_swap_vs_live_video", "image"):
        m = test.get(key)
        if m:
            out[key] = {
                k: m.get(k)
                for k in (
                    "n_bona_fide",
                    "n_attack",
                    "auc",
                    "bpcer",
                    "apcer_max",
                    "bpcer_at_apcer_5",
                    "apcer_at_bpcer_1",
                )
            }
    return out


def ship_run(run_dir: Path, weights_dir: Path | None = None, *, version: str | None = None) -> dict[str, Any]:
    weights_dir = weights_dir or WEIGHTS_DIR
    result = json.loads((run_dir / "metrics.json").read_text())
    metrics = {
        "fusion": {"test": result["test_metrics_summary"]},
        "frame_cnn": {"train_log": result["train"]["log"][-1:]},
        "clip_net": {"train_log": result["train"]["log"][-1:]},
    }
    entries = export_run(run_dir, weights_dir, version=version, metrics=metrics, training_data=result["training_data"])
    write_model_card(weights_dir / "MODEL_CARD.md", result, version=version)
    for name in ("report_video/det_curve.png", "report_image/det_curve.png"):
        src = run_dir / name
        if src.exists():
            shutil.copy2(src, weights_dir / f"det_{name.split('/')[0].removeprefix('report_')}.png")
    return entries
