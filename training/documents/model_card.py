"""Write the document forgery model's card (Markdown) from a run's measured results."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from training.model_card import fmt, metrics_table


def write_document_model_card(path: Path, result: dict[str, Any], *, version: str | None = None) -> Path:
    data = result.get("training_data", {})
    val = result.get("val") or {}
    lines = [
        f"# Model card: ID-document forgery (doc_forgery){f' {version}' if version else ''}",
        "",
        "## What it is",
        "- `doc_forgery`: a small CNN (~0.26 M params) on the rectified document (448x288, landscape, from "
        "`liveness.documents.intake`): 6 classes (genuine, portrait swap, text edit, copy-move, screen recapture, "
        "photocopy) and an 18x28 heatmap of per-cell forgery logits (stride 16), trained on the synthesized "
        "forgery masks. The classifier pools the feature map by mean and by max, so one edited field is not "
        "averaged away.",
        "- score: a logistic calibration of the forgery log-odds (1 - P(genuine)) fitted on validation templates; "
        "`reject` at the BPCER-1% threshold, `review` at BPCER 5%. Heatmap cells at probability >= 0.5 form the "
        "returned regions.",
        "- rule checks (MRZ check digits, GB 11643 ID numbers, expiry, MRZ vs printed fields) run beside the model "
        "when OCR is enabled; they are not part of the score.",
        "",
        "## Training data",
        f"- templates (train): {', '.join(data.get('templates_train', []))}.",
        f"- templates held out for validation and calibration: {', '.join(data.get('templates_val', []))}.",
        f"- portraits: faces of {fmt((data.get('portrait_persons') or {}).get('train'))} training persons "
        f"(validation: {fmt((data.get('portrait_persons') or {}).get('val'))} other persons) from "
        f"`{data.get('faces_dir', '?')}`.",
        "- documents are rendered from the DocXPand templates (MIT) with random fictitious values, valid check "
        "digits and a SPECIMEN mark, forged (portrait swap: pasted/feathered/re-lit; text edit: inpainted and "
        "re-typed with near-miss font, size, kerning or baseline; copy-move; screen recapture; grey photocopy), "
        "then pushed through a simulated phone capture (background, perspective, blur, light, noise, JPEG) and "
        "rectified by the runtime's own intake from jittered corners.",
        f"- samples: {fmt(data.get('samples'))}; {fmt(data.get('epochs'))} epochs on CPU; "
        f"seed {fmt(data.get('seed'))}.",
        f"- real forgeries used for training: {data.get('real_forgeries_used_for_training', '?')}.",
        "",
        "## Measured",
        "",
    ]
    lines += metrics_table(
        "Validation: synthesized documents on held-out templates and persons",
        val,
        threshold_note="BPCER 5% on these validation documents",
    )
    lines += [
        f"- species accuracy on forged validation documents: {fmt(val.get('species_accuracy'))}",
        f"- heatmap IoU with the true forged cells (local forgeries): {fmt(val.get('heatmap_iou_local_forgeries'))}",
        "",
    ]
    lines += metrics_table(
        "Dev documents in ../shared/data/docs/LABELS.tsv (never trained on)",
        result.get("dev"),
        threshold_note="BPCER 5% on validation templates",
    )
    lines += [
        "## Limits",
        "- the dev set is tiny (4 SIDTD forgeries, 60 DLC-2021 photocopies, 38 bona fide of which 34 are PassportEye "
        "specimen scans); its figures are indicative only.",
        "- everything the model learned is synthetic; real forgeries made with other tools may score lower. "
        "Measure with `liveness eval --kind document`.",
        "- the heatmap is coarse (16 px cells on a 448 px wide document).",
        "",
    ]
    path.write_text("\n".join(lines))
    return path
