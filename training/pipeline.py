"""``liveness train`` and ``liveness export``: the one command that makes the shipped models.

train: catalog (split by person) → build samples (synthesis + runtime preprocessing) →
train frame_cnn and clip_net (synthetic attacks only) → export ONNX into the run's own
weights folder → fit the video fusion on the real clips, measured by leave-one-generator-out
cross-validation (``training.real_fusion``) → score the held-out persons' real images with the
runtime → metrics, DET curves, model card.
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
from liveness.pipeline import Scorer
from liveness.scoring.fusion import LogisticFusion
from liveness.scoring.labels import LabelRow
from training.build import build
from training.catalog import Item, load_catalog, summary
from training.export import export_run, fusion_entry, update_manifest
from training.model_card import write_model_card
from training.real_fusion import (
    REAL_FUSION_FEATURES,
    REPORTED_SPECIES,
    SYNTHETIC_SOURCE_PREFIX,
    RealClip,
    clip_records,
    extract_clips,
    fit_real_fusion,
    fit_species_namer,
    synthesize_presentation_clips,
)
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


def evaluate_run(
    items: list[Item], weights_dir: Path, out_dir: Path, *, video_records: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """Score the test persons' real files with the runtime on ``weights_dir``.

    ``video_records``: out-of-fold video scores from the real-clip fusion fit; when given,
    they replace the runtime's video scores (whose fusion was fitted on those very clips).
    """
    from liveness.scoring.report import write_report

    scorer = Scorer(weights_dir=weights_dir)
    test = [it for it in items if it.split == "test" and not (video_records is not None and it.is_video)]
    records = score_rows(_rows(test), lambda p: scorer.score(p, name=p))
    video_threshold = scorer.video_fusion.review_threshold
    image_threshold = scorer.image_fusion.review_threshold
    is_video = {str(it.path): it.is_video for it in test}
    videos = video_records if video_records is not None else [r for r in records if is_video[r["path"]]]
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
    all_records = records + (video_records or [])
    (out_dir / "test_scores.json").write_text(json.dumps(all_records, indent=2, default=str))
    return results


def synthetic_fusion_metrics(clips: list[RealClip], fusion: LogisticFusion, paths: set[str]) -> dict[str, Any]:
    """What the fusion fitted on synthetic validation clips scores on the same real clips:
    the before/after comparison for the model card."""
    chosen = [c for c in clips if c.path in paths]
    records = clip_records(chosen, [fusion.score(c.values) for c in chosen])
    return {
        f"{species}_vs_live_video": _subset_metrics(
            records, lambda r, s=species: r["label"] == "bona_fide" or r["species"] == s, fusion.review_threshold
        )
        for species in REPORTED_SPECIES
    }


def refit_video_fusion(items: list[Item], run_dir: Path, staged: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Replace the run's synthetic-validation video fusion by one fitted on the real clips
    (``training.real_fusion``); returns its cross-validated metrics and out-of-fold records."""
    scorer = Scorer(weights_dir=staged)
    clips = extract_clips(items, scorer)
    clips += synthesize_presentation_clips(items, run_dir / "presentation_attacks", scorer)
    fusion, metrics, records = fit_real_fusion(clips)
    path = run_dir / "fusion.json"
    fusions = json.loads(path.read_text())
    fusions["video_synthetic"] = fusions.get("video_synthetic", fusions["video"])
    metrics["synthetic_fusion_same_clips"] = synthetic_fusion_metrics(
        clips, LogisticFusion.from_dict(fusions["video_synthetic"]), {r["path"] for r in records}
    )
    fusions["video"] = fusion.to_dict()
    namer, metrics["species_naming"] = fit_species_namer(clips)
    fusions["video_species"] = namer.to_dict()
    path.write_text(json.dumps(fusions, indent=2))
    update_manifest(staged, {}, fusion_entry(run_dir, version="run"))
    (run_dir / "real_cv.json").write_text(json.dumps({"metrics": metrics, "records": records}, indent=2, default=str))
    # The run's video figures are on real files; the synthesized replay/print clips have theirs in ``metrics``.
    return metrics, [r for r in records if not r["source"].startswith(SYNTHETIC_SOURCE_PREFIX)]


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
        "real_attack_samples_used_for_training": "CNNs: none except sources marked training-pool-only "
        "(LivenessDectectionForFaceSpoofingAttack replay photos); video fusion "
        f"(a {len(REAL_FUSION_FEATURES)}-input logistic regression): every real video, with figures from "
        "leave-one-generator-out / person-fold cross-validation",
    }
    staged = _stage_weights(out_dir)
    export_run(out_dir, staged, version="run", training_data=training_data)
    real_cv, video_records = refit_video_fusion(items, out_dir, staged)
    test_metrics = evaluate_run(items, staged, out_dir, video_records=video_records)
    result = {
        "minutes": {"build": (t_build - t0) / 60, "train_and_eval": (time.time() - t_build) / 60},
        "train": train_summary,
        "training_data": training_data,
        "test": test_metrics,
        "real_cv": real_cv,
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
        "fusion": {
            "test": result["test_metrics_summary"],
            # Video figures are out of fold (the fusion was fitted on these clips); images held out.
            "video_scheme": (result.get("real_cv") or {}).get("scheme"),
        },
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
