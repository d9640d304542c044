"""``liveness train --kind document`` and ``liveness export --kind document``.

train: split portrait persons (train/val) and hold out whole templates for validation →
synthesize genuine and forged documents through simulated captures → rectify them with the
runtime's intake → train ``doc_forgery`` → synthesize genuine/forged portrait twins (in
shards) and train ``doc_portrait`` on their crops → measure the ghost-image check on whole
validation documents → calibrate the page model, the portrait model and the ghost check
together on the validation templates → export ONNX into the run's own weights folder →
score the labelled dev documents in ``<docs>/LABELS.tsv`` (never trained on) with the
runtime → metrics, DET curve, heatmap PNGs, model card.
export: re-export the run into ``weights/`` (parity checked again) with its card.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from liveness.documents.colour import colour_spread
from liveness.documents.forgery import GHOST_FEATURE, PORTRAIT_FEATURE
from liveness.documents.ghost import GHOST_CEILING_KEY
from liveness.documents.portrait import MIRROR_KEY, PORTRAIT_MODEL
from liveness.evaluation import metrics_for, score_rows
from liveness.models.manifest import WEIGHTS_DIR
from liveness.scoring.fusion import spoof_logit
from liveness.scoring.labels import read_labels
from liveness.scoring.metrics import evaluate, roc_auc
from liveness.scoring.report import write_report
from training.documents.dataset import DocumentSet, SplitPlan, build_split, plan_as_json
from training.documents.model_card import write_document_model_card
from training.documents.portrait_set import (
    VARIANTS,
    PortraitPlan,
    PortraitSet,
    build_portrait_split,
)
from training.documents.train import (
    add_gates,
    calibrate,
    calibrate_joint,
    fit_ghost_ceiling,
    gated_scores,
    heatmap_iou,
    portrait_init_state,
    portrait_variant_auc,
    predict_documents,
    predict_portraits,
    train_forgery_model,
    train_portrait_model,
    write_epoch_log,
)
from training.export import export_entry, load_trained, update_manifest
from training.models.doc_forgery import CLASSES
from training.train import TrainConfig

MODEL = "doc_forgery"
# Whole templates the model never trains on: one ID card, one passport. Calibration and
# the validation figures come from them, so thresholds hold for layouts it has not seen.
VAL_TEMPLATES = ("id_card_td2_b", "pp_td3_b")
VAL_PERSON_FRACTION = 0.25
CARD_NAME = "DOC_MODEL_CARD.md"


# Seeds apart from the forgery model's (train from 0, val from 500k): the portrait training
# twins come in shards of PORTRAIT_SHARD samples, one seed block each, so a bigger training
# set keeps the shards a smaller one built and adds new ones.
PORTRAIT_TRAIN_OFFSET = 3_000_000
PORTRAIT_SHARD_STRIDE = 1_000_000
PORTRAIT_SHARD = 10_000
PORTRAIT_VAL_OFFSET = 700_000


def portrait_plans(
    seed: int,
    train: tuple[tuple[str, ...], tuple[str, ...]],
    val: tuple[tuple[str, ...], tuple[str, ...]],
    *,
    n_train: int,
    n_val: int,
    photo_edits: bool = False,
) -> tuple[list[PortraitPlan], PortraitPlan]:
    """The portrait model's splits: training shards and the validation split, from
    (templates, persons) of training and of validation; ``photo_edits`` adds the page
    model's forgeries made on the photo to the validation documents."""
    from training.models.doc_portrait import CROP_SIZE

    base = seed * 1_000_003
    shards = [
        PortraitPlan(
            f"portrait train {k + 1}/{-(-n_train // PORTRAIT_SHARD)}",
            min(PORTRAIT_SHARD, n_train - start),
            base + PORTRAIT_TRAIN_OFFSET + k * PORTRAIT_SHARD_STRIDE,
            train[0],
            train[1],
            CROP_SIZE,
            False,
        )
        for k, start in enumerate(range(0, n_train, PORTRAIT_SHARD))
    ]
    return shards, PortraitPlan(
        "portrait val", n_val, base + PORTRAIT_VAL_OFFSET, val[0], val[1], CROP_SIZE, True, photo_edits
    )


def split_persons(faces_dir: Path, seed: int) -> tuple[list[str], list[str]]:
    """Bona-fide portrait persons of the faces pool, split by a seeded hash of the id."""
    subjects = sorted(
        {row.subject for row in read_labels(faces_dir / "LABELS.tsv") if row.label == "bona_fide" and row.subject}
    )

    def bucket(subject: str) -> float:
        digest = hashlib.sha256(f"{seed}:{subject}".encode()).digest()
        return int.from_bytes(digest[:4], "big") / 2**32

    val = [s for s in subjects if bucket(s) < VAL_PERSON_FRACTION]
    return [s for s in subjects if s not in val], val


def _val_metrics(val: DocumentSet, preds: dict[str, np.ndarray], calibration: dict[str, Any]) -> dict[str, Any]:
    from liveness.scoring.fusion import LogisticFusion

    fusion = LogisticFusion.from_dict(calibration)
    scores = np.array([fusion.score({"forgery_logit": float(v)}) for v in spoof_logit(preds["probs"])])
    y = (val.labels > 0).astype(np.int64)
    species = np.array([CLASSES[k] for k in val.labels], dtype=object)
    metrics = evaluate(y, scores, species, threshold=fusion.review_threshold)
    metrics["species_accuracy"] = float((preds["probs"][y == 1].argmax(1) == val.labels[y == 1]).mean())
    metrics["heatmap_iou_local_forgeries"] = heatmap_iou(val, preds)
    return metrics


def evaluate_dev(docs_dir: Path, weights_dir: Path, out_dir: Path) -> dict[str, Any] | None:
    """Score the labelled dev documents with the runtime; write a report with heatmaps."""
    from liveness.documents.report import write_heatmaps
    from liveness.documents.scorer import DocumentScorer

    labels = docs_dir / "LABELS.tsv"
    if not labels.exists():
        return None
    scorer = DocumentScorer(weights_dir=weights_dir, ocr=False)
    heatmaps: dict[str, Any] = {}

    def score(path: str) -> Any:
        result = scorer.score(path, name=path)
        if result.heatmap is not None:
            heatmaps[path] = (result.rectified, result.heatmap)
        return result

    records = score_rows(read_labels(labels), score)
    metrics = metrics_for(records, threshold=scorer.review_threshold)
    report = out_dir / "report_documents"
    write_report(report, records, metrics, title="dev documents (never trained on)")
    write_heatmaps(report / "heatmaps", heatmaps, root=docs_dir.resolve())
    (out_dir / "dev_scores.json").write_text(json.dumps(records, indent=2, default=str))
    return metrics


def _stage(
    run_dir: Path,
    model: torch.nn.Module,
    portrait_model: torch.nn.Module,
    calibration: dict[str, Any],
    *,
    training_data: dict[str, Any],
) -> Path:
    """The run's two models in its own weights folder, so the runtime can score the dev set."""
    staged = run_dir / "weights"
    staged.mkdir(parents=True, exist_ok=True)
    entries = _entries(model, portrait_model, staged, calibration, version="run", training_data=training_data,
                       metrics={})
    (staged / "manifest.json").write_text(json.dumps({"schema": 1, "models": entries}, indent=2))
    return staged


def _entries(
    model: torch.nn.Module,
    portrait_model: torch.nn.Module,
    weights_dir: Path,
    calibration: dict[str, Any],
    **entry_args: Any,
) -> dict[str, Any]:
    return {
        MODEL: export_entry(
            model, MODEL, weights_dir, kind="document_forgery", **entry_args, extra=manifest_extra(calibration)
        ),
        PORTRAIT_MODEL: export_entry(
            portrait_model,
            PORTRAIT_MODEL,
            weights_dir,
            kind="document_portrait",
            **entry_args,
            extra={
                "outputs": {"logits": "(N, 2) genuine, portrait_swap; their difference is the fused portrait_logit"},
                "cropped_by": "liveness.documents.portrait.crop_portrait on portrait_page (896x576)",
                MIRROR_KEY: True,
            },
        ),
    }


def _record_path(checkpoint: Path) -> Path:
    return checkpoint.with_name(checkpoint.stem + ".trained_on.json")


def record_checkpoint(checkpoint: Path, record: dict[str, Any]) -> None:
    """Write what ``checkpoint`` was trained on (data plans, epochs, seed, initial weights)
    beside it, so that a resumed run can tell whether it may reuse it."""
    _record_path(checkpoint).write_text(json.dumps(record, indent=2))


def reusable_checkpoint(checkpoint: Path, record: dict[str, Any]) -> bool:
    """Whether a resumed run may reuse ``checkpoint``: it exists, and what it was trained on is
    ``record``. A checkpoint with no record (trained before records were kept) is reused as
    it was. Raises ValueError for one trained on something else: its data split was deleted
    and rebuilt by another plan, or the epochs, seed or initial weights changed."""
    if not checkpoint.exists():
        return False
    path = _record_path(checkpoint)
    if not path.exists():
        return True
    stored = json.loads(path.read_text())
    if stored != json.loads(json.dumps(record)):
        changed = sorted(key for key in {*stored, *record} if stored.get(key) != record.get(key))
        raise ValueError(
            f"{checkpoint} was trained on something else (differs in: {', '.join(changed)}); delete it to "
            "train again, or choose another --out"
        )
    return True


def _checkpoint_note(path: Path) -> dict[str, str]:
    from liveness.models.manifest import sha256_file

    return {"frame_cnn_checkpoint": str(path), "sha256": sha256_file(path)}


def _variant_counts(data: PortraitSet) -> dict[str, int]:
    return {v: data.variants.count(v) for v in VARIANTS if v in data.variants}


def _joint_metrics(
    val: PortraitSet, joint: dict[str, np.ndarray], spread: np.ndarray, calibration: dict[str, Any]
) -> dict[str, Any]:
    """Whole-document figures of the runtime's score (fused, photocopy-gated) on the validation
    split, per variant; the portrait model's, the ghost check's and the colour spread's own AUC
    per forgery (documents where each is measured), and how often each is."""
    ghost = np.asarray(val.ghost, np.float64)  # as measured, before the fusion's ceiling
    scores = gated_scores(calibration, joint, spread, ghost)
    variants = np.array(val.variants, dtype=object)
    metrics = evaluate(val.labels, scores, variants, threshold=calibration["thresholds"]["bpcer_5"])
    # the page model alone on the same documents: what the portrait's inputs add
    page = joint["forgery_logit"]
    everywhere = np.ones(len(page), bool)
    metrics["page_model_auc"] = {
        "all": roc_auc(val.labels, page),
        **portrait_variant_auc(val, page, everywhere, VARIANTS[1:]),
    }
    metrics["portrait_model_auc"] = portrait_variant_auc(val, joint[PORTRAIT_FEATURE])
    metrics["ghost_check_auc"] = portrait_variant_auc(val, -ghost, ~np.isnan(ghost))
    metrics["colour_spread_auc"] = portrait_variant_auc(val, -spread, everywhere, VARIANTS[1:])
    metrics["portrait_found"] = float(val.has_portrait.mean())
    metrics["ghost_found"] = float((~np.isnan(ghost)).mean())
    return metrics


def manifest_extra(calibration: dict[str, Any]) -> dict[str, Any]:
    return {
        "calibration": calibration,
        "outputs": {
            "heatmap": "(N, 1, 18, 28) per-cell forgery logits, stride 16 on the rectified document; sigmoid → "
            "probability that the cell is forged"
        },
        "rectified_by": "liveness.documents.intake.rectify_document (landscape, input size)",
    }


def run_document_training(
    docs_dir: Path,
    faces_dir: Path,
    out_dir: Path,
    *,
    n_train: int = 3200,
    n_val: int = 600,
    epochs: int = 8,
    n_portraits: int = 30000,
    n_val_portraits: int = 900,
    portrait_epochs: int = 6,
    portrait_init: Path | None = None,
    seed: int = 0,
    workers: int = 2,
    photo_edit_share: float = 0.0,
) -> dict[str, Any]:
    from training.documents.synth import DocumentSynthesizer

    if not 0.0 <= photo_edit_share <= 1.0:
        raise ValueError(f"photo_edit_share must lie in [0, 1], got {photo_edit_share}")

    t0 = time.time()
    out_dir.mkdir(parents=True, exist_ok=True)
    cache_dir = out_dir / "cache"
    train_persons, val_persons = split_persons(faces_dir, seed)
    # Building the synthesizer once renders and caches every template before workers fork.
    templates = sorted({side.template for side in DocumentSynthesizer(docs_dir, faces_dir, cache_dir).sides})
    train_templates = tuple(t for t in templates if t not in VAL_TEMPLATES)
    val_templates = tuple(t for t in templates if t in VAL_TEMPLATES)
    common = {"docs_dir": docs_dir, "faces_dir": faces_dir, "cache_dir": cache_dir, "workers": workers}
    # Photo edits come with as many re-exported other samples, so a second JPEG is no cue.
    edits = {"captured_edit_share": photo_edit_share, "resave_share": photo_edit_share}
    train_plan = SplitPlan("train", n_train, seed * 1_000_003, train_templates, tuple(train_persons), **edits)
    train_set = build_split(train_plan, out_dir / "data_train", **common)
    val_set = build_split(
        SplitPlan("val", n_val, seed * 1_000_003 + 500_000, val_templates, tuple(val_persons), **edits),
        out_dir / "data_val",
        **common,
    )
    t_build = time.time()

    cfg = TrainConfig(seed=seed)
    torch.manual_seed(seed)
    torch.set_num_threads(cfg.threads)
    checkpoint = out_dir / f"{MODEL}.pt"
    forgery_record = {"data": [plan_as_json(train_plan)], "epochs": epochs, "seed": seed}
    if reusable_checkpoint(checkpoint, forgery_record):
        model = load_trained(MODEL, checkpoint)
    else:
        log: list[dict] = []
        model = train_forgery_model(train_set, cfg, epochs, log)
        write_epoch_log(out_dir, log)
        torch.save(model.state_dict(), checkpoint)
        record_checkpoint(checkpoint, forgery_record)
    preds = predict_documents(model, val_set.images)
    page_only = calibrate(val_set, preds)
    page_metrics = _val_metrics(val_set, preds, page_only)

    # The portrait model: its own splits (same templates and persons), trained on crops,
    # then one calibration over both models on whole validation documents.
    plans = portrait_plans(
        seed,
        (train_templates, tuple(train_persons)),
        (val_templates, tuple(val_persons)),
        n_train=n_portraits,
        n_val=n_val_portraits,
        photo_edits=photo_edit_share > 0,
    )
    portrait_train = PortraitSet.concat(
        [build_portrait_split(plan, out_dir / f"portraits_train_{k}", **common) for k, plan in enumerate(plans[0])]
    )
    portrait_val = build_portrait_split(plans[1], out_dir / "portraits_val", **common)
    portrait_checkpoint = out_dir / f"{PORTRAIT_MODEL}.pt"
    portrait_record = {
        "data": [plan_as_json(plan) for plan in plans[0]],
        "epochs": portrait_epochs,
        "seed": seed,
        "init": None if portrait_init is None else _checkpoint_note(portrait_init)["sha256"],
    }
    if reusable_checkpoint(portrait_checkpoint, portrait_record):
        portrait_model = load_trained(PORTRAIT_MODEL, portrait_checkpoint)
    else:
        log = []
        init = portrait_init_state(portrait_init) if portrait_init is not None else None
        portrait_model = train_portrait_model(portrait_train, cfg, portrait_epochs, log, init, val=portrait_val)
        write_epoch_log(out_dir, log)
        torch.save(portrait_model.state_dict(), portrait_checkpoint)
        record_checkpoint(portrait_checkpoint, portrait_record)
    if portrait_val.pages is None or portrait_val.ghost is None:
        raise ValueError(f"{out_dir / 'portraits_val'} was built without pages or ghost similarities; delete it")
    ghost = np.asarray(portrait_val.ghost, np.float64)
    ceiling = fit_ghost_ceiling(ghost, portrait_val.labels)
    joint = {
        "forgery_logit": spoof_logit(predict_documents(model, portrait_val.pages)["probs"]),
        PORTRAIT_FEATURE: predict_portraits(portrait_model, portrait_val.crops, portrait_val.has_portrait),
        GHOST_FEATURE: ghost if ceiling is None else np.minimum(ghost, ceiling),  # NaN (no ghost) stays NaN
    }
    spread = np.array([colour_spread(page) for page in portrait_val.pages])
    fused = calibrate_joint(joint, portrait_val.labels)
    if ceiling is not None:
        fused[GHOST_CEILING_KEY] = ceiling
    calibration = add_gates(
        fused, joint, spread, np.array(portrait_val.variants, dtype=object), portrait_val.labels, ghost
    )
    (out_dir / "calibration.json").write_text(json.dumps(calibration, indent=2))
    val_metrics = _joint_metrics(portrait_val, joint, spread, calibration)

    training_data = {
        "docs_dir": str(docs_dir),
        "faces_dir": str(faces_dir),
        "templates_train": list(train_templates),
        "templates_val": list(val_templates),
        "portrait_persons": {"train": len(train_persons), "val": len(val_persons)},
        "samples": {"train": _counts(train_set), "val": _counts(val_set)},
        "real_forgeries_used_for_training": "none (the LABELS.tsv dev documents are only scored)",
        "seed": seed,
        "epochs": epochs,
        "photo_edit_share": photo_edit_share,
        "portrait_samples": {
            "train": _variant_counts(portrait_train),
            "val": _variant_counts(portrait_val),
        },
        "portrait_epochs": portrait_epochs,
        "portrait_init": None if portrait_init is None else _checkpoint_note(portrait_init),
    }
    staged = _stage(out_dir, model, portrait_model, calibration, training_data=training_data)
    dev_metrics = evaluate_dev(docs_dir, staged, out_dir)
    result = {
        "minutes": {"build": (t_build - t0) / 60, "train_and_eval": (time.time() - t_build) / 60},
        "training_data": training_data,
        "val": val_metrics,
        "val_forgery_model_alone": page_metrics,
        "dev": dev_metrics,
        "calibration": calibration,
    }
    (out_dir / "metrics.json").write_text(json.dumps(result, indent=2, default=str))
    write_document_model_card(out_dir / CARD_NAME, result)
    return result


def _counts(data: DocumentSet) -> dict[str, int]:
    return {c: int((data.labels == i).sum()) for i, c in enumerate(CLASSES)}


def ship_document_run(run_dir: Path, weights_dir: Path | None = None, *, version: str) -> dict[str, Any]:
    """Export the run's model into ``weights_dir`` with its calibration, metrics and card."""
    weights_dir = weights_dir or WEIGHTS_DIR
    result = json.loads((run_dir / "metrics.json").read_text())
    model = load_trained(MODEL, run_dir / f"{MODEL}.pt")
    portrait_model = load_trained(PORTRAIT_MODEL, run_dir / f"{PORTRAIT_MODEL}.pt")
    metrics = {"validation_templates": _headline(result["val"]), "dev_documents": _headline(result.get("dev"))}
    entries = _entries(
        model,
        portrait_model,
        weights_dir,
        result["calibration"],
        version=version,
        training_data=result["training_data"],
        metrics=metrics,
    )
    update_manifest(weights_dir, entries)
    write_document_model_card(weights_dir / CARD_NAME, result, version=version)
    det = run_dir / "report_documents" / "det_curve.png"
    if det.exists():
        shutil.copy2(det, weights_dir / "det_documents.png")
    return entries


def _headline(m: dict[str, Any] | None) -> dict[str, Any]:
    if not m:
        return {}
    keys = ("n_bona_fide", "n_attack", "auc", "threshold", "bpcer", "apcer", "auc_per_species", "apcer_at_bpcer_5")
    return {k: m.get(k) for k in keys}
