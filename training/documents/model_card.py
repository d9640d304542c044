"""Write the document forgery model's card (Markdown) from a run's measured results."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from training.model_card import fmt, metrics_table


def write_document_model_card(path: Path, result: dict[str, Any], *, version: str | None = None) -> Path:
    data = result.get("training_data", {})
    val = result.get("val") or {}
    portrait_samples = data.get("portrait_samples") or {}
    lines = [
        f"# Model card: ID-document forgery (doc_forgery + doc_portrait){f' {version}' if version else ''}",
        "",
        "## What it is",
        "- `doc_forgery`: a small CNN (~0.26 M params) on the rectified document (448x288, landscape, from "
        "`liveness.documents.intake`): 6 classes (genuine, portrait swap, text edit, copy-move, screen recapture, "
        "photocopy) and an 18x28 heatmap of per-cell forgery logits (stride 16), trained on the synthesized "
        "forgery masks. The classifier pools the feature map by mean and by max, so one edited field is not "
        "averaged away.",
        "- `doc_portrait`: a small CNN (~0.3 M params) on the portrait alone, at twice that resolution: the page "
        "is rectified again at 896x576, full-range BlazeFace finds the portrait, and a 160x160 crop of twice the "
        "face box (face, photo and its edge on the card) gives the log-odds that the portrait was swapped (the mean "
        "over the crop and its mirror image, as the manifest's `mirror_average` says). It is "
        "trained on genuine portraits against four portrait forgeries: a photo pasted over the slot before "
        "printing, a face swapped into the photo before printing, a face swapped into the photo of the card "
        "after capture, and a self-blended face (SBI) after capture, whose only cue is the blend. Genuine "
        "captures go through the same editor export (resize, JPEG) as the after-capture forgeries.",
        "- ghost-image check (no trained weights, `liveness.documents.ghost`): many cards print a small pale copy "
        "of the portrait. It is searched for as a shrunken copy of the portrait outside its photo, confirmed as a "
        "face by FaceMesh (as printed or contrast-stretched) and by BlazeFace, and matched against the portrait "
        "over small changes of scale and shift, both contrast-normalized locally (at a twentieth of the ghost, "
        "never finer than 3 pixels of the upload) so that the photo's fine features weigh, not the layout every "
        "face shares; a portrait replaced while its ghost was left matches it less well.",
        *_ghost_ceiling_lines(result.get("calibration") or {}),
        "- score: one logistic calibration over both log-odds and the ghost similarity, fitted on whole "
        "validation documents of held-out templates and persons (a page without a portrait or a ghost gives "
        "that input no say); `reject` at the BPCER-1% threshold, `review` at BPCER 5%. When the portrait's "
        "inputs push towards forgery more than the page does, the species is ID_PORTRAIT_SWAP and the portrait "
        "crop and/or the ghost lead the regions; heatmap cells at probability >= 0.5 form the other regions.",
        *_gate_lines(result.get("calibration") or {}),
        "- rule checks (MRZ check digits, GB 11643 ID numbers, expiry, MRZ vs printed fields) run beside the models "
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
        *_photo_edit_lines(data.get("photo_edit_share") or 0.0),
        f"- doc_forgery samples: {fmt(data.get('samples'))}; {fmt(data.get('epochs'))} epochs on CPU; "
        f"seed {fmt(data.get('seed'))}.",
        f"- doc_portrait samples: train {fmt(portrait_samples.get('train'))}; validation (whole documents, every "
        f"species) {fmt(portrait_samples.get('val'))}; {fmt(data.get('portrait_epochs'))} epochs.",
        f"- real forgeries used for training: {data.get('real_forgeries_used_for_training', '?')}.",
        "",
        "## Measured",
        "",
    ]
    lines += metrics_table(
        "Validation: synthesized documents on held-out templates and persons, both models fused",
        val,
        threshold_note="BPCER 5% on these validation documents",
    )
    alone = val.get("portrait_model_auc") or {}
    ghost = val.get("ghost_check_auc") or {}
    page_alone = val.get("page_model_auc") or {}
    lines += [
        "- doc_forgery alone on these same documents, AUC: "
        + (", ".join(f"{k} {fmt(v)}" for k, v in page_alone.items()) or "not measured")
        + ".",
        f"- portrait found on {fmt(val.get('portrait_found'))} of the validation documents (backs have none); "
        f"a ghost image on {fmt(val.get('ghost_found'))}.",
        "- doc_portrait alone, AUC of genuine portraits vs each portrait forgery: "
        + (", ".join(f"{k} {fmt(v)}" for k, v in alone.items()) or "not measured")
        + ".",
        "- ghost check alone (documents with a ghost found), AUC of genuine vs each portrait forgery: "
        + (", ".join(f"{k} {fmt(v)}" for k, v in ghost.items()) or "not measured")
        + " (a paste that replaces the ghost too cannot be caught by it).",
        "- colour spread alone (lower: greyer), AUC of genuine vs each forgery: "
        + (", ".join(f"{k} {fmt(v)}" for k, v in (val.get("colour_spread_auc") or {}).items()) or "not measured")
        + ".",
        "",
    ]
    page = result.get("val_forgery_model_alone")
    if page:
        lines += metrics_table(
            "Validation: doc_forgery alone (its own validation documents and calibration)",
            page,
            threshold_note="BPCER 5% on these validation documents",
        )
        lines += [
            f"- species accuracy on forged validation documents: {fmt(page.get('species_accuracy'))}",
            "- heatmap IoU with the true forged cells (local forgeries): "
            f"{fmt(page.get('heatmap_iou_local_forgeries'))}",
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
        "- the heatmap is coarse (16 px cells on a 448 px wide document), and a printed field is a few pixels "
        "tall at that size: text edits and copy-moves stay near chance, also when made on the photo of the card "
        "(`--photo-edit-share`, measured in the README); catching them needs the fields at full resolution.",
        "- the ghost check helps only on documents that print a ghost and where it is found: on low-resolution "
        "scans it is mostly missed (of the PassportEye specimens that visibly carry one, about 2 of 7 are found). "
        "Its comparison's floor of 3 upload pixels was chosen after seeing two such dev passports, so the dev "
        "figures are optimistic there.",
        "",
    ]
    path.write_text("\n".join(lines))
    return path


def _photo_edit_lines(share: float) -> list[str]:
    if share <= 0:
        return []
    return [
        f"- for doc_forgery, a share of {fmt(share)} of the portrait pastes, text edits and copy-moves is made "
        "instead on the photo of the genuine card, as a fraud ring edits a photo (text re-typed in the ink colour "
        "the photo shows, the changed pixels warped back into the photo) and exported again as JPEG; so is the "
        "same share of every other sample, so that a second JPEG is no cue of its own. Validation reports them "
        "as `paste_captured`, `text_edit_captured` and `copy_move_captured`."
    ]


def _ghost_ceiling_lines(calibration: dict[str, Any]) -> list[str]:
    ceiling = calibration.get("ghost_ceiling")
    if ceiling is None:
        return []
    return [
        f"- the fusion takes the ghost similarity up to {ceiling:.3f}, the median of genuine validation ghosts: "
        "a ghost matching better says nothing more (a forger who prints a new photo in both places prints two "
        "identical copies), one matching worse tells a replaced portrait."
    ]


def _gate_lines(calibration: dict) -> list[str]:
    return _colour_gate_lines(calibration.get("colour_gate")) + _ghost_gate_lines(calibration.get("ghost_gate"))


def _ghost_gate_lines(gate: dict | None) -> list[str]:
    if not gate:
        return []
    return [
        "- ghost gate (`liveness.documents.ghost`): the score is also at least "
        f"sigmoid({fmt(gate['slope'])} x ({fmt(gate['knee'])} - ghost similarity)) where a ghost is found: the "
        "slope fitted on genuine validation documents against portraits swapped with the ghost left, the "
        "midpoint placed so that the gate reaches the review threshold at the similarity 95 % of the genuine "
        "ghosts exceed; the thresholds are fitted on the larger score. When the gate is the highest, the species "
        "is ID_PORTRAIT_SWAP and the ghost and the portrait lead the regions. Why: a ghost tells about the "
        "portrait only, and in the one logistic fit over every species a text edit's or a recapture's genuine "
        "ghost weighs against it."
    ]


def _colour_gate_lines(gate: dict | None) -> list[str]:
    if not gate:
        return []
    return [
        "- photocopy gate (`liveness.documents.colour`): the page's colour spread, log(1 + the 90th percentile of "
        "its chroma once the light's tint is taken out locally), is near 0 on a grey copy. The score is the larger "
        f"of the fused score and sigmoid({fmt(gate['slope'])} x ({fmt(gate['knee'])} - spread)): the slope fitted "
        "on genuine vs photocopied validation documents, the midpoint placed so that the gate reaches the fused "
        "score's review threshold at the spread 99 % of the genuine validation documents exceed; the thresholds "
        "are then fitted on that larger score. When the gate is the higher, the species is ID_PHOTOCOPY. "
        "Why: the page model learns our synthesized grey copies well, but passed about a third of DLC-2021's "
        "real ones; colour is a property of the copy itself, not of how we synthesize it."
    ]
