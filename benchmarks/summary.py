"""The human side of a run: ``summary.md`` and PNG plots, from the ``results.json`` dict.

Plots use matplotlib's Agg canvas directly (no pyplot), like ``liveness.scoring.report``.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.ghost import ghost_section
from benchmarks.intake import intake_section
from liveness.scoring.report import det_plot_png

_STAGE_COLORS = ("tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple", "tab:brown")


def _fmt(value: Any, digits: int = 3) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not np.isfinite(value):
            return "–"
        return f"{value:.{digits}f}"
    return str(value)


def _ms(value: float | None) -> str:
    """Milliseconds (or rates) to one decimal: finer digits are noise on a shared machine."""
    return "–" if value is None else f"{value:.1f}"


def _table(header: list[str], rows: list[list[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(_fmt(cell) for cell in row) + " |" for row in rows]
    return lines


def accuracy_table(sets: Mapping[str, Any], *, peer_name: str | None = None) -> list[str]:
    """One row per set and view: sizes, AUC, EER, error rates at the operating threshold and
    the threshold-free BPCER@APCER 5 % / APCER@BPCER 5 %, FTA rate, ms per attempt."""
    rows = []
    for name, entry in sets.items():
        for view, m in entry["views"].items():
            rows.append([
                f"{name}/{view}", m.get("n_bona_fide"), m.get("n_attack"), m.get("auc"), m.get("eer"),
                m.get("apcer_max"), m.get("bpcer"), m.get("bpcer_at_apcer_5"), m.get("apcer_at_bpcer_5"),
                (m.get("fta") or {}).get("rate"),
            ])
    header = ["set/view", "bona fide", "attacks", "AUC", "EER", "APCER max", "BPCER", "BPCER@APCER5%",
              "APCER@BPCER5%", "FTA"]
    return _table(header, rows)


def species_table(metrics: Mapping[str, Any]) -> list[str]:
    apcer = metrics.get("apcer") or {}
    auc = metrics.get("auc_per_species") or {}
    rows = [[species, auc.get(species), apcer.get(species)] for species in sorted(set(apcer) | set(auc))]
    return _table(["species", "AUC vs bona fide", "APCER at threshold"], rows)


def source_table(metrics: Mapping[str, Any]) -> list[str]:
    rows = [
        [source, entry.get("n"), ",".join(entry.get("species", [])), entry.get("auc"), entry.get("apcer")]
        for source, entry in (metrics.get("per_source") or {}).items()
    ]
    return _table(["attack source", "n", "species", "AUC vs bona fide", "APCER at threshold"], rows)


def comparison_table(sets: Mapping[str, Any], peer: Mapping[str, Any]) -> list[str]:
    """Ours and the peer's figures side by side, on the same files and frames."""
    rows = []
    for name, entry in sets.items():
        for view in entry["views"]:
            for who, views, stages in (
                ("liveness-kyc", entry["views"], entry["stages"]),
                (peer["name"], entry.get("peer_views", {}), entry.get("peer_stages", {})),
            ):
                m = views.get(view) or {}
                rows.append([
                    f"{name}/{view}", who, m.get("auc"), m.get("eer"), m.get("apcer_at_bpcer_5"),
                    m.get("bpcer_at_apcer_5"), m.get("apcer_max"), m.get("bpcer"), (m.get("fta") or {}).get("rate"),
                    _ms((stages.get("total") or {}).get("p50_ms")),
                ])
    header = ["set/view", "model", "AUC", "EER", "APCER@BPCER5%", "BPCER@APCER5%", "APCER max", "BPCER", "FTA",
              "ms/attempt p50"]
    return _table(header, rows)


def document_section(documents: Mapping[str, Any]) -> list[str]:
    """The ``## ID documents`` section: accuracy at the forgery model's review threshold, per
    species, latency per stage against a plain decode, the DET plot (or why it was skipped)."""
    if not documents:
        return []
    lines = ["## ID documents", ""]
    if documents.get("skipped"):
        return [*lines, f"Not scored: {documents['skipped']}.", ""]
    for name, entry in (documents.get("sets") or {}).items():
        m = entry["metrics"]
        versions = ", ".join(f"{k} {v}" for k, v in entry.get("model_versions", {}).items())
        lines += [f"`{name}`: {entry['origin']}, {entry['n_files']} files scored in {entry['seconds']:.0f} s with "
                  f"{versions}, text checks off, at the model's review threshold t = {_fmt(entry['threshold'], 4)} "
                  "(BPCER 5 % on its calibration set). Failures to acquire (unreadable file, no document found) "
                  "count as rejects.", ""]
        fta = m.get("fta") or {}
        lines += _table(
            ["set", "bona fide", "attacks", "AUC", "EER", "BPCER", "APCER max", "BPCER@APCER5%", "FTA",
             "FTA bona fide"],
            [[name, m.get("n_bona_fide"), m.get("n_attack"), m.get("auc"), m.get("eer"), m.get("bpcer"),
              m.get("apcer_max"), m.get("bpcer_at_apcer_5"), fta.get("rate"), fta.get("bona_fide_rate")]],
        )
        apcer, auc, counts = m.get("apcer") or {}, m.get("auc_per_species") or {}, entry.get("species_n") or {}
        rows = [[species, counts.get(species), auc.get(species), apcer.get(species)]
                for species in sorted(set(apcer) | set(auc) | set(counts))]
        lines += ["", *_table(["species", "n", "AUC vs bona fide", "APCER at threshold"], rows), ""]
        stages, ratios = entry.get("stages") or {}, entry.get("stages_over_decode") or {}
        if stages:
            lines += [f"Latency per document over the {entry['n_timed']} that reached the model (`decode` is a plain "
                      "decode of the same file, the reference; `total` = intake + doc_portrait + doc_forgery):", ""]
            rows = [[stage, s["n"], _ms(s["p50_ms"]), _ms(s["p90_ms"]), ratios.get(stage)]
                    for stage, s in stages.items()]
            lines += [*_table(["stage", "n", "ms p50", "ms p90", "× decode"], rows), ""]
            ratio = entry.get("total_over_decode")
            if ratio is not None:
                lines += [f"**document total/decode {ratio:.2f}** (p50s; gated with at least 50 timed documents).",
                          ""]
        for plot in entry.get("plots", []):
            lines += [f"![DET {name}]({plot})", ""]
        report = entry.get("report") or {}
        if report.get("score_hist"):
            lines += [f"![scores {name}]({report['score_hist']})", ""]
        if report.get("scores"):
            lines += [f"Per-file scores: `{report['scores']}`; metrics: `{report.get('metrics')}`.", ""]
    return lines


def write_summary(path: Path, results: Mapping[str, Any]) -> Path:
    """Render ``results`` (the ``results.json`` dict) as Markdown."""
    gate = results.get("gate") or {}
    lines = [f"# Benchmark {results['timestamp']} ({results['mode']})", ""]
    machine = results.get("machine", {})
    lines.append(
        f"{machine.get('cpus')} CPU(s), {machine.get('platform')}, Python {machine.get('python')}, "
        f"provider {results.get('provider')}; models " + ", ".join(
            f"{k} {v}" for k, v in (results.get("model_versions") or {}).items()
        )
    )
    lines.append("")
    if gate.get("updated"):
        lines += [f"**Baseline updated**: this run's figures are now the accepted ones in `{gate['baseline']}`.", ""]
    elif gate:
        verdict = "PASS" if gate.get("ok") else "FAIL"
        lines.append(f"**Gate: {verdict}** against `{gate.get('baseline')}` ({len(gate.get('passed', []))} figures "
                     f"within tolerance, {len(gate.get('regressions', []))} regressed, "
                     f"{len(gate.get('not_measured', []))} not measured, {len(gate.get('new', []))} new)")
        for r in gate.get("regressions", []):
            lines.append(f"- REGRESSION `{r['name']}`: baseline {r['baseline']:.4g}, measured {r['measured']:.4g}, "
                         f"tolerance {r['tolerance']:.4g} ({'relative' if r['relative'] else 'absolute'})")
        lines.append("")

    sets = results.get("accuracy", {}).get("sets", {})
    if sets:
        lines += ["## Accuracy", "", "Operating threshold: the manifest's review threshold (BPCER 5 %, see the "
                  "model card); images use the image model's own. Failures to acquire count as rejects. Since 0.3.0 "
                  "the video fusion is fitted on the real clips of ../shared/data/faces: video figures on that set "
                  "are in-sample (a regression check); the model card has the out-of-fold ones.", ""]
        lines += accuracy_table(sets)
        for name, entry in sets.items():
            whole = entry["views"].get("held_out") or entry["views"].get("all")
            if not whole:
                continue
            view = "held_out" if "held_out" in entry["views"] else "all"
            lines += ["", f"### {name} ({view}): per species and per source", "", f"Source: {entry['origin']}, "
                      f"{entry['n_files']} files scored in {entry['seconds']:.0f} s.", ""]
            lines += [*species_table(whole), "", *source_table(whole)]
            for plot in entry.get("plots", []):
                lines += ["", f"![DET {name}]({plot})"]
        lines.append("")
    peer = results.get("peer")
    if peer and sets:
        lines += ["## Side by side with the peer", "",
                  f"Peer `{peer['name']}`: {peer['config']['input']} input, crop scale {peer['config']['scale']}, "
                  f"{peer['config']['color']}, {peer['config']['layout']}. Same files, same decoded frames; the peer's "
                  "thresholded rates use a threshold chosen on these labels (BPCER 5 %), the threshold-free ones "
                  "(AUC, EER, APCER@BPCER5%, BPCER@APCER5%) compare fairly. ms/attempt includes decoding for both.", ""]
        lines += comparison_table(sets, peer)
        lines.append("")
    lines += document_section(results.get("documents") or {})
    lines += intake_section(results.get("intake") or {})
    lines += ghost_section(results.get("ghost") or {})

    speed = results.get("speed") or {}
    if speed:
        lines += ["## Speed", ""]
        attempt = speed.get("attempt") or {}
        if attempt:
            lines.append(
                f"5 s 720p clip, {attempt['runs']} runs: decode-only p50 {attempt['decode_ms_p50']:.0f} ms, attempt "
                f"p50 {attempt['attempt_ms_p50']:.0f} ms, **attempt/decode {attempt['attempt_over_decode']:.2f}** "
                f"(target ≤ {attempt['target_ratio']})"
                + (f"; best of runs {attempt['attempt_over_decode_best']:.2f} (the gated figure)."
                   if "attempt_over_decode_best" in attempt else ".")
            )
            lines.append("")
            rows = [[stage, _ms(ms), attempt["stages_over_decode"][stage]]
                    for stage, ms in attempt["stages_ms_p50"].items()]
            lines += [*_table(["stage (720p clip)", "ms p50", "× decode"], rows), ""]
        for name, entry in sets.items():
            rows = [[stage, s["n"], _ms(s["p50_ms"]), _ms(s["p90_ms"])] for stage, s in entry["stages"].items()]
            lines += [f"Per attempt over `{name}`:", "", *_table(["stage", "n", "ms p50", "ms p90"], rows), ""]
        throughput = speed.get("throughput") or {}
        if throughput:
            rows = []
            for model, entry in throughput.items():
                batches = entry["batches"]
                rows.append([model, entry.get("kind"),
                             *[_ms((batches.get(str(b)) or {}).get("items_per_s")) for b in (1, 8, 32)],
                             (batches.get("32") or {}).get("speedup")])
            lines += _table(["model", "kind", "items/s b=1", "items/s b=8", "items/s b=32", "b=32 speed-up"], rows)
            lines.append("")
        lines.append(f"Peak RSS: {speed.get('peak_rss_mb', 0):.0f} MiB.")
        if speed.get("plot"):
            lines += ["", f"![latency per stage]({speed['plot']})"]
        lines.append("")
    service = results.get("service")
    if service:
        lines += ["## Service", ""]
        if service.get("error"):
            lines.append(f"Not measured: {service['error']}")
        else:
            rows = [[r["concurrency"], "on" if r["batching"] else "off", r["throughput_rps"], _ms(r["p50_ms"]),
                     _ms(r["p99_ms"]), r["errors"]] for r in service.get("results", [])]
            lines += _table(["concurrency", "batching", "req/s", "p50 ms", "p99 ms", "errors"], rows)
        lines.append("")
    path.write_text("\n".join(lines).rstrip() + "\n")
    return path


# --------------------------------------------------------------------------- plots


def det_png(records: list[dict[str, Any]], *, threshold: float | None, title: str) -> bytes:
    """DET curves per attack species of scored records (failures to acquire rejected)."""
    y_true = np.array([r["label"] == "attack" for r in records], dtype=np.int64)
    scores = np.array([np.nan if r["spoof_score"] is None else float(r["spoof_score"]) for r in records])
    species = [r["species"] for r in records]
    fta = np.array([bool(r.get("fta")) for r in records])
    return det_plot_png(y_true, scores, species, threshold=threshold, fta=fta, title=title)


def latency_png(series: Mapping[str, Mapping[str, float]], *, title: str = "Latency per stage (p50)") -> bytes:
    """Grouped horizontal bars: one group per stage, one bar per series (e.g. per set)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    stages: list[str] = []
    for values in series.values():
        stages += [s for s in values if s not in stages]
    figure = Figure(figsize=(6.4, 0.5 + 0.45 * max(len(stages), 1) * max(len(series), 1) ** 0.5),
                    layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    height = 0.8 / max(len(series), 1)
    positions = np.arange(len(stages))
    for i, (label, values) in enumerate(series.items()):
        ms = [values.get(stage, 0.0) for stage in stages]
        bars = axes.barh(positions + i * height, ms, height=height, label=label,
                         color=_STAGE_COLORS[i % len(_STAGE_COLORS)])
        axes.bar_label(bars, labels=[f"{v:.0f}" if v else "" for v in ms], fontsize=7, padding=2)
    axes.set_yticks(positions + height * (len(series) - 1) / 2, stages)
    axes.invert_yaxis()
    axes.set_xlabel("ms per attempt (p50)")
    axes.set_title(title, fontsize=10)
    axes.grid(True, axis="x", color="0.9")
    if len(series) > 1:
        axes.legend(fontsize=8, loc="upper right")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, metadata={"Software": None})
    return buffer.getvalue()
