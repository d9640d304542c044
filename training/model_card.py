"""Write the model card (Markdown) from a run's measured results."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def fmt(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def metrics_table(
    title: str, m: dict[str, Any] | None, *, threshold_note: str = "BPCER 5% on validation persons"
) -> list[str]:
    if not m:
        return [f"### {title}", "", "not measured (no samples of both classes)", ""]
    lines = [
        f"### {title}",
        "",
        f"bona fide {m['n_bona_fide']}, attacks {m['n_attack']}, threshold {fmt(m['threshold'])} ({threshold_note})",
        "",
        "| metric | value |",
        "|---|---|",
    ]
    for key in (
        "auc",
        "eer",
        "bpcer",
        "apcer_max",
        "acer",
        "bpcer_at_apcer_5",
        "bpcer_at_apcer_1",
        "apcer_at_bpcer_1",
        "apcer_at_bpcer_5",
    ):
        lines.append(f"| {key} | {fmt(m.get(key))} |")
    fta = m.get("fta") or {}
    lines.append(f"| fta rate | {fmt(fta.get('rate'))} |")
    lines += ["", "| attack source (generator) | n | AUC vs live | APCER at threshold |", "|---|---|---|---|"]
    for source, entry in (m.get("per_source") or {}).items():
        lines.append(f"| {source} | {entry['n']} | {fmt(entry.get('auc'))} | {fmt(entry.get('apcer'))} |")
    lines += ["", "| species | APCER | AUC |", "|---|---|---|"]
    for species, value in (m.get("apcer") or {}).items():
        lines.append(f"| {species} | {fmt(value)} | {fmt((m.get('auc_per_species') or {}).get(species))} |")
    return [*lines, ""]


def _epochs(result: dict[str, Any]) -> str:
    cfg = result.get("train", {}).get("config", {})
    return f"frame_cnn {cfg.get('frame_epochs', '?')} epochs, clip_net {cfg.get('clip_epochs', '?')} epochs, CPU"


def _fusion_lines(result: dict[str, Any]) -> list[str]:
    if not result.get("real_cv"):
        return [
            "- fusion: logistic regression over both models' spoof log-odds and 19 hand-made motion features, "
            "fitted on synthetic validation persons. Single images use frame_cnn alone.",
        ]
    return [
        "- video fusion: logistic regression over both models' spoof log-odds, their class probabilities and 4 "
        "native-resolution skin texture statistics (Laplacian energy, two spectral band ratios, median-filter "
        "residual), their frame-to-frame spread for the Laplacian energy (a live face's sharpness changes with "
        "motion blur, focus and expression; a re-rendered texture keeps one) and the skin chroma dynamics "
        "(log spread of the POS pulse projection of cheek and forehead colour: live skin changes colour with "
        "blood volume and light, a re-rendered still does not), "
        "fitted on the labelled real clips (live clips and generator outputs) plus every live clip "
        "filmed off a screen or printed by training.synth (a tenth of the attack weight: the data has no real "
        "replay or print videos); its L2 strength chosen by the same cross-validation inside each fit's own "
        "training clips (nested); thresholds from out-of-fold bona fide scores. The 19 motion features are "
        "computed but not used: fitted on real generators their weights flip sign from one held-out generator "
        "to the next.",
        "- image fusion: frame_cnn alone, calibrated on synthetic validation persons.",
        "- attack naming (video `reasons`): one logistic regression per attack species over the same inputs, "
        "fitted on the real and synthesized attack clips; used only to name what the fusion flagged.",
    ]


def _weakest_generator_line(result: dict[str, Any]) -> list[str]:
    per_source = ((result.get("real_cv") or {}).get("animated_photo_vs_live_video") or {}).get("per_source") or {}
    scored = {name: e["auc"] for name, e in per_source.items() if e.get("auc") is not None and e.get("n", 0) >= 3}
    if not scored:
        return []
    weakest = min(scored, key=scored.__getitem__)
    return [
        f"- the video fusion learned from {len(per_source)} animated-photo generators; held out, the weakest "
        f"({weakest}) scores AUC {fmt(scored[weakest])}: a new generator may score as low.",
    ]


def _species_naming(real_cv: dict[str, Any]) -> list[str]:
    naming = real_cv.get("species_naming") or {}
    ours, cnn, counts = (naming.get(k, {}) for k in ("recall_out_of_fold", "recall_cnn_naming", "n"))
    if not ours:
        return []
    rows = [f"| {name} | {counts.get(name, '')} | {fmt(ours[name])} | {fmt(cnn.get(name))} |" for name in ours]
    return [
        "Naming the attack in `reasons` for a flagged video: share of each species' attack clips named right, "
        "by the species namer fitted on real clips (out of fold, same folds as above) vs by the CNNs' class "
        "probabilities (what the runtime used before):",
        "",
        "| species | n | namer (out of fold) | CNNs |",
        "|---|---|---|---|",
        *rows,
        "",
    ]


def _before_after(real_cv: dict[str, Any]) -> list[str]:
    before = real_cv.get("synthetic_fusion_same_clips") or {}
    rows = []
    for key, title in (
        ("animated_photo_vs_live_video", "animated photo"),
        ("face_swap_vs_live_video", "face swap"),
        ("replay_vs_live_video", "replay (synthetic)"),
        ("print_vs_live_video", "print (synthetic)"),
    ):
        old, new = before.get(key), real_cv.get(key)
        if old and new:
            rows.append(
                f"| {title} | {fmt(old.get('auc'))} | {fmt(new.get('auc'))} | "
                f"{fmt(old.get('apcer_at_bpcer_5'))} | {fmt(new.get('apcer_at_bpcer_5'))} |"
            )
    if not rows:
        return []
    return [
        "Same clips, fusion fitted on synthetic validation clips (before) vs on real clips, out of fold (after):",
        "",
        "| attack | AUC before | AUC after | APCER at BPCER 5% before | after |",
        "|---|---|---|---|---|",
        *rows,
        "",
    ]


def write_model_card(path: Path, result: dict[str, Any], *, version: str | None = None) -> Path:
    test = result.get("test", {})
    data = result.get("training_data", {})
    lines = [
        f"# Model card: face liveness (frame_cnn + clip_net + fusion){f' {version}' if version else ''}",
        "",
        "## What it is",
        "- `frame_cnn`: per-frame texture CNN (~0.38 M params) on an aligned 128x128 crop with 2x face context; "
        "5 classes (bona fide, animated photo, replay, print, face swap) with a Fourier-spectrum auxiliary loss.",
        "- `clip_net`: temporal CNN over 16 aligned 64x64 face crops (~2 s at ~8 fps) and their frame differences; "
        "1-D dilated temporal convolutions over per-frame embeddings.",
        *_fusion_lines(result),
        "- decision: `reject` at or above the BPCER-1% threshold, `review` at or above the BPCER-5% threshold, "
        "else `pass`.",
        "",
        "## Training data",
        f"- from `{data.get('labels', '?')}`; split {data.get('split', '?')}; seed {data.get('seed')}.",
        "- attacks are synthesized from real clips and photos of training persons (animated photo by landmark-driven "
        "piecewise-affine warps with synthetic blinks and mouth, most of them re-painted by a small face "
        "autoencoder trained on the training persons to imitate a generator's decoder texture (AutoGAN-style); "
        "replay, print, face swap, self-blend, autoencoder face re-synthesis), each pushed through a simulated "
        "capture (resize, colour, H.264 round trip); bona fide clips get the same capture simulation.",
        f"- training: {_epochs(result)}; synthetic samples {fmt(result.get('train', {}).get('samples'))}.",
        f"- real attack samples used for training: {data.get('real_attack_samples_used_for_training', '?')}.",
        "- research-only media: the weights were trained on research data (see ../shared/data SOURCES.md); "
        "no media is shipped.",
        "",
    ]
    real_cv = result.get("real_cv")
    if real_cv:
        note = "BPCER 5% on the out-of-fold bona fide"
        lines += [
            "## Videos: measured out of fold on real clips",
            "",
            f"Scheme: {real_cv['scheme']}. AUC with a 95% interval from resampling persons: "
            + "; ".join(
                f"{title} {fmt(m.get('auc'))} [{fmt(m['auc_ci95_by_person'][0])}, {fmt(m['auc_ci95_by_person'][1])}]"
                for title, m in (
                    ("animated photo", real_cv.get("animated_photo_vs_live_video") or {}),
                    ("face swap", real_cv.get("face_swap_vs_live_video") or {}),
                )
                if m.get("auc_ci95_by_person")
            )
            + ".",
            "",
        ]
        lines += _before_after(real_cv)
        lines += _species_naming(real_cv)
        lines += metrics_table(
            "Animated photo vs live video", real_cv.get("animated_photo_vs_live_video"), threshold_note=note
        )
        lines += metrics_table("Face swap vs live video", real_cv.get("face_swap_vs_live_video"), threshold_note=note)
        lines += metrics_table(
            "Replay vs live video (synthetic: live clips filmed off a screen by training.synth)",
            real_cv.get("replay_vs_live_video"),
            threshold_note=note,
        )
        lines += metrics_table(
            "Print vs live video (synthetic: a frame printed and held up, by training.synth)",
            real_cv.get("print_vs_live_video"),
            threshold_note=note,
        )
        lines += metrics_table("All real videos", real_cv.get("video"), threshold_note=note)
        lines += ["## Images: measured on held-out persons (never trained on)", ""]
    else:
        lines += ["## Measured on held-out persons (never trained on; every real generator output is here)", ""]
        lines += metrics_table("Animated photo vs live video", test.get("animated_photo_vs_live_video"))
        lines += metrics_table("Face swap vs live video", test.get("face_swap_vs_live_video"))
        lines += metrics_table("All videos", test.get("video"))
    lines += metrics_table("Images (single-frame attempts)", test.get("image"))
    lines += [
        "## Limits",
        "- the held-out sets are small (tens of files); treat figures as indicative, with wide confidence intervals.",
        "- synthetic attacks approximate real generators; new generators may score lower (measure with "
        "`liveness eval`).",
        "- real bona fide clips come from talking-head datasets (studio/interview footage), not phone selfies.",
        "- the skin texture statistics expect camera grain: a phone's strong denoising or beauty filter smooths "
        "skin like a generator's decoder and may raise BPCER; measure on your own bona fide captures "
        "(`liveness eval`) before relying on the thresholds.",
        "- the skin chroma statistic sees about 4 s at 8 frames/s of H.264 video: too little for a heart rate, "
        "so it measures colour variation, which flickering light also causes (an animated photo re-encoded "
        "with colour noise added could raise it), and a camera's temporal denoising may lower it for live "
        "users. A still photo moved as a whole (the benchmarks' generated 'bona fide') has none: it scores "
        "as an attack, rightly.",
        "- the frame-to-frame spread of skin detail rewards sharpness that changes: a live user held perfectly "
        "still on a tripod shows less of it, and an attacker who varies blur per frame could add it.",
        "- the attack named in `reasons` is a second guess on top of the verdict (see the naming table): about "
        "one real animated photo in four is named something else. Treat the code as a hint, the score as the "
        "verdict.",
        *_weakest_generator_line(result),
        "",
    ]
    path.write_text("\n".join(lines))
    return path
