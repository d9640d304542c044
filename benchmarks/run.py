"""The benchmark suite: accuracy, speed and service figures, gated against ``baseline.json``.

    python -m benchmarks.run [--quick] [--labels LABELS.tsv ...] [--set shared|generated ...] [--no-faces]
                             [--docs-labels DOCS.tsv | --no-docs] [--weights DIR]
                             [--compare-onnx PEER.onnx --compare-input 80x80 [--compare-scale 2.7] ...
                              | --compare-config peer.json]
                             [--update-baseline] [--no-gate] [--out benchmarks/results]

``make bench-quick`` = ``--quick`` (CI: a fixed subset, no service load test, fewer speed
runs); ``make bench`` = everything. Both also score the ID-document set
(``../shared/data/docs/LABELS.tsv`` when present and the weights have a ``doc_forgery`` model;
see ``benchmarks.documents``). Results land in ``benchmarks/results/<timestamp>/``:
``results.json``, ``summary.md``, ``det_<set>_<view>.png``, ``report_<document set>/`` and
``latency_stages.png``.

Exit codes: 0 = every gated figure within tolerance; 1 = at least one regressed (each is
printed with its name, baseline, measured value and tolerance); 2 = bad usage or input.
``--update-baseline`` accepts this run's figures as the new baseline for its mode (and
copies its DET plots to ``benchmarks/baseline/``) instead of gating.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.accuracy import SetResult, figures_for, headline, score_set, stage_summary
from benchmarks.common import (
    BASELINE_PATH,
    MEMORY_TOLERANCE,
    RESULTS_DIR,
    BenchmarkError,
    Figure,
    display_path,
    peak_rss_mb,
    speed_figure,
    write_json,
)
from benchmarks.datasets import SHARED_LABELS, LabelledSet, default_sets, generated_set, load_set
from benchmarks.documents import (
    DOCS_LABELS,
    document_entry,
    document_figures,
    load_document_set,
    missing_document_model,
    score_documents,
)
from benchmarks.gate import baseline_figures, check, read_baseline, update_baseline
from benchmarks.ghost import run_ghost
from benchmarks.intake import run_intake
from benchmarks.peer import PeerConfig, PeerScorer, config_from_mapping, read_config
from benchmarks.summary import det_png, latency_png, write_summary
from liveness.errors import LivenessError

EXIT_OK, EXIT_REGRESSION, EXIT_USAGE = 0, 1, 2
GATED_STAGES = ("face", "crops", "frame_cnn", "clip_net")
# Small stages jitter more on a shared machine than the whole attempt does.
STAGE_RATIO_TOLERANCE = 1.0
MIN_TIMED_ATTEMPTS = 50


@dataclass
class SuiteOptions:
    """What one run measures and where it writes."""

    mode: str = "quick"
    sets: list[LabelledSet] = field(default_factory=list)
    docs: LabelledSet | None = None
    docs_note: str | None = None  # why no document set is scored, for the summary
    # with documents: the intake and the ghost check on captures with known corners
    # (benchmarks.intake, benchmarks.ghost)
    intake: bool = True
    weights_dir: Path | None = None
    peer: PeerConfig | None = None
    speed: bool = True
    speed_runs: int = 5
    throughput_budget_s: float = 0.3
    service: bool = False
    out_dir: Path = RESULTS_DIR
    baseline_path: Path = BASELINE_PATH
    gate: bool = True
    update_baseline: bool = False
    progress: bool = False


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _set_entry(result: SetResult, folder: Path, *, threshold: float, peer_name: str | None) -> dict[str, Any]:
    plots = []
    for view in ("all", "held_out"):
        if view not in result.views:
            continue
        chosen = [r for r in result.records if view == "all" or r["path"] in result.held_out]
        name = f"det_{result.name}_{view}.png"
        (folder / name).write_bytes(det_png(chosen, threshold=threshold, title=f"liveness-kyc: {result.name} ({view})"))
        plots.append(name)
        if peer_name and result.peer_records:
            peer_chosen = [r for r in result.peer_records if view == "all" or r["path"] in result.held_out]
            peer_plot = f"det_{result.name}_{view}_peer.png"
            (folder / peer_plot).write_bytes(
                det_png(peer_chosen, threshold=None, title=f"{peer_name}: {result.name} ({view})")
            )
            plots.append(peer_plot)
    entry: dict[str, Any] = {
        "origin": result.origin,
        "n_files": len(result.records),
        "seconds": result.seconds,
        "views": result.views,
        "headline": {view: headline(m) for view, m in result.views.items()},
        "stages": stage_summary(result.records),
        "plots": plots,
        "records": result.records,
    }
    if result.peer_records:
        entry["peer_views"] = result.peer_views
        entry["peer_stages"] = stage_summary(result.peer_records)
        entry["peer_records"] = result.peer_records
    return entry


def speed_figures(speed: dict[str, Any], sets: dict[str, Any]) -> dict[str, Figure]:
    """Same-run ratios: attempt / decode (720p clip, best of runs; and each big set, p50),
    each stage / decode, the batch-32 speed-up of each model with a free batch size; and
    peak memory."""
    figures: dict[str, Figure] = {}
    attempt = speed.get("attempt")
    if attempt:
        figures["speed.clip720p.attempt_over_decode"] = speed_figure(attempt["attempt_over_decode_best"])
        for stage in GATED_STAGES:
            if stage in attempt["stages_over_decode_best"]:
                figures[f"speed.clip720p.{stage}_over_decode"] = Figure(
                    attempt["stages_over_decode_best"][stage], higher_is_better=False,
                    tolerance=STAGE_RATIO_TOLERANCE, relative=True,
                )
    for name, entry in sets.items():
        stages = entry["stages"]
        decode, total = (stages.get("decode") or {}).get("p50_ms"), (stages.get("total") or {}).get("p50_ms")
        # A median over a handful of files jumps with the machine's load: gate big sets only.
        if decode and total and (stages.get("total") or {}).get("n", 0) >= MIN_TIMED_ATTEMPTS:
            figures[f"speed.{name}.attempt_over_decode"] = speed_figure(total / decode)
    for model, entry in (speed.get("throughput") or {}).items():
        speedup = (entry["batches"].get("32") or {}).get("speedup")
        if speedup:
            figures[f"speed.throughput.{model}.b32_speedup"] = speed_figure(speedup, higher_is_better=True)
    if speed.get("peak_rss_mb"):
        figures["memory.peak_rss_mb"] = Figure(speed["peak_rss_mb"], higher_is_better=False,
                                               tolerance=MEMORY_TOLERANCE, relative=True)
    return figures


def _machine() -> dict[str, Any]:
    return {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()}


def _measure_speed(options: SuiteOptions, scorer: Any, folder: Path) -> dict[str, Any]:
    from benchmarks.speed import make_clip, measure_attempts, model_throughput

    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-clip-") as tmp:
        clip = make_clip(Path(tmp) / "clip_720p.mp4")
        out["attempt"] = measure_attempts(scorer, clip, runs=options.speed_runs)
    out["throughput"] = model_throughput(options.weights_dir, budget_s=options.throughput_budget_s)
    return out


def _measure_service(options: SuiteOptions) -> dict[str, Any]:
    from benchmarks import load_service

    env = [["LIVENESS_WEIGHTS_DIR", str(options.weights_dir)]] if options.weights_dir else None
    args = argparse.Namespace(requests=24, max_seconds=30.0, concurrency=[1, 8, 32], media="video",
                              synthetic=False, ready_timeout=180.0, env=env)
    try:
        return load_service.run(args)
    except (RuntimeError, TimeoutError, OSError) as exc:
        return {"error": f"{type(exc).__name__}: {exc}"}


def _run_documents(options: SuiteOptions, folder: Path) -> dict[str, Any]:
    """Score the document set: ``{"sets": {name: entry}, "figures": {...}}``, or
    ``{"skipped": why}`` (empty when documents were turned off)."""
    if options.docs is None:
        return {"skipped": options.docs_note} if options.docs_note else {}
    missing = missing_document_model(options.weights_dir)
    if missing:
        _log(f"documents skipped: {missing}")
        return {"skipped": missing}
    from liveness.documents.scorer import DocumentScorer

    _log(f"documents: {options.docs.name} ({len(options.docs.rows)} files)")
    doc_scorer = DocumentScorer(weights_dir=options.weights_dir, device="cpu", ocr=False)
    result = score_documents(options.docs, doc_scorer, progress=options.progress)
    return {"sets": {result.name: document_entry(result, folder)}, "figures": document_figures(result)}


def run_suite(options: SuiteOptions) -> tuple[dict[str, Any], int]:
    """Run the benchmarks of ``options``; returns (results, exit code). Writes the results folder
    (and the baseline with ``update_baseline``)."""
    from liveness.pipeline import Scorer

    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    folder = options.out_dir / stamp
    suffix = 1
    while folder.exists():
        folder = options.out_dir / f"{stamp}-{suffix}"
        suffix += 1
    folder.mkdir(parents=True)
    started = time.perf_counter()
    scorer = Scorer(weights_dir=options.weights_dir, device="cpu")
    scorer.warmup()
    peer = PeerScorer(options.peer, detector=scorer.detector) if options.peer else None
    threshold = scorer.video_fusion.review_threshold

    sets: dict[str, Any] = {}
    figures: dict[str, Figure] = {}
    for labelled in options.sets:
        _log(f"accuracy: {labelled.name} ({len(labelled.rows)} files)")
        result = score_set(labelled, scorer, peer=peer, progress=options.progress)
        sets[labelled.name] = _set_entry(result, folder, threshold=threshold,
                                         peer_name=options.peer.label if options.peer else None)
        figures.update(figures_for(result))

    documents = _run_documents(options, folder)
    if documents.get("sets"):
        figures.update(documents.pop("figures"))
    intake: dict[str, Any] = {}
    ghost: dict[str, Any] = {}
    if options.docs is not None and options.intake:  # the intake goes with the documents (--no-docs skips both)
        _log("documents: intake on captures with known corners")
        intake = run_intake(options.mode, options.out_dir / "cache")
        figures.update(intake.pop("figures"))
        _log("documents: ghost image on captured cards")
        ghost = run_ghost(options.mode, options.out_dir / "cache")
        figures.update(ghost.pop("figures"))

    speed: dict[str, Any] = {}
    if options.speed:
        _log("speed: 720p clip and model throughput")
        speed = _measure_speed(options, scorer, folder)
    speed["peak_rss_mb"] = peak_rss_mb()
    series = {"720p clip": speed["attempt"]["stages_ms_p50"]} if speed.get("attempt") else {}
    series |= {name: {s: v["p50_ms"] for s, v in entry["stages"].items()} for name, entry in sets.items()}
    series |= {name: {s: v["p50_ms"] for s, v in entry["stages"].items()}
               for name, entry in (documents.get("sets") or {}).items()}
    if series:
        (folder / "latency_stages.png").write_bytes(latency_png(series))
        speed["plot"] = "latency_stages.png"
    figures.update(speed_figures(speed, sets))

    service = None
    if options.service:
        _log("service: load test with batching on and off")
        service = _measure_service(options)

    results: dict[str, Any] = {
        "timestamp": stamp,
        "mode": options.mode,
        "machine": _machine(),
        "provider": scorer.provider,
        "weights_dir": str(scorer.weights_dir),
        "model_versions": scorer.model_versions | {
            k: v for entry in (documents.get("sets") or {}).values() for k, v in entry["model_versions"].items()
        },
        "thresholds": {"video_review": threshold, "image_review": scorer.image_fusion.review_threshold} | {
            f"document_review.{name}": entry["threshold"] for name, entry in (documents.get("sets") or {}).items()
        },
        "accuracy": {"sets": sets},
        "documents": documents,
        "intake": intake,
        "ghost": ghost,
        "speed": speed,
        "service": service,
        "peer": {"name": options.peer.label, "config": options.peer.to_dict()} if options.peer else None,
        "figures": figures,
        "seconds": None,
    }
    code = EXIT_OK
    if options.update_baseline:
        all_sets = sets | (documents.get("sets") or {})
        note = ", ".join(f"{name}: {entry['origin']}" for name, entry in all_sets.items())
        update_baseline(options.baseline_path, options.mode, figures, note=note)
        plot_dir = options.baseline_path.parent / "baseline"
        plot_dir.mkdir(exist_ok=True)
        for entry in all_sets.values():
            for plot in entry["plots"][:1]:
                shutil.copy2(folder / plot, plot_dir / plot)
        results["gate"] = {"baseline": display_path(options.baseline_path), "updated": True, "ok": True}
    elif options.gate:
        baseline = read_baseline(options.baseline_path)
        accepted = baseline_figures(baseline, options.mode, where=str(options.baseline_path))
        gate = check(figures, accepted)
        results["gate"] = {"baseline": display_path(options.baseline_path), **gate.to_dict()}
        if not gate.ok:
            code = EXIT_REGRESSION
    results["seconds"] = time.perf_counter() - started
    write_json(folder / "results.json", results)
    write_summary(folder / "summary.md", results)
    results["folder"] = str(folder)
    return results, code


# --------------------------------------------------------------------------- command line


def peer_from_args(args: argparse.Namespace) -> PeerConfig | None:
    """The peer described by ``--compare-config`` or the ``--compare-*`` options (or None)."""
    if args.compare_config and args.compare_onnx:
        raise BenchmarkError("give either --compare-config or --compare-onnx, not both")
    if args.compare_config:
        return read_config(Path(args.compare_config))
    if not args.compare_onnx:
        return None
    if not args.compare_input:
        raise BenchmarkError("--compare-onnx needs --compare-input (e.g. 80x80)")
    data: dict[str, Any] = {"onnx": args.compare_onnx, "input": args.compare_input}
    for key in ("scale", "pixel_scale", "mean", "std", "color", "layout", "live_index", "output", "frames", "name"):
        value = getattr(args, f"compare_{key}")
        if value is not None:
            data[key] = value
    return config_from_mapping(data)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="CI mode: quick subset, 5 speed runs, no service test")
    parser.add_argument("--labels", action="append", default=[], metavar="LABELS.tsv",
                        help="labelled set to score (repeatable; default: ../shared/data/faces, else a generated set)")
    parser.add_argument("--set", dest="named_sets", action="append", choices=["shared", "generated"], default=[],
                        help="a built-in set (repeatable): shared = ../shared/data/faces (its quick subset with "
                             "--quick), generated = made with training.synth; default: both (shared when present, "
                             "generated when the train extra is installed)")
    parser.add_argument("--no-faces", action="store_true",
                        help="score no face set (documents and speed only); not with --labels / --set")
    parser.add_argument("--docs-labels", type=Path, default=None, metavar="LABELS.tsv",
                        help="ID-document set to score with the doc_forgery model (default: "
                             "../shared/data/docs/LABELS.tsv, skipped when absent)")
    parser.add_argument("--no-docs", action="store_true", help="score no document set")
    parser.add_argument("--weights", type=Path, default=None, help="weights folder (default: the shipped weights/)")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR, help="results root (a timestamped folder is added)")
    parser.add_argument("--baseline", type=Path, default=BASELINE_PATH)
    parser.add_argument("--update-baseline", action="store_true", help="accept this run's figures as the baseline")
    parser.add_argument("--no-gate", action="store_true", help="measure and report only")
    parser.add_argument("--no-speed", action="store_true", help="skip the 720p clip and throughput measurements")
    parser.add_argument("--service", action=argparse.BooleanOptionalAction, default=None,
                        help="run the service load test (default: on in full mode, off with --quick)")
    parser.add_argument("--speed-runs", type=int, default=None, help="720p clip runs (default 5 quick, 9 full)")
    parser.add_argument("--progress", action="store_true", help="progress bars")
    peer = parser.add_argument_group("side by side with a peer ONNX classifier")
    peer.add_argument("--compare-onnx", help="the peer model file")
    peer.add_argument("--compare-input", help="its input size, HxW (e.g. 80x80)")
    peer.add_argument("--compare-scale", type=float, help="crop side / face box side (default 1.0)")
    peer.add_argument("--compare-pixel-scale", type=float,
                      help="pixel multiplier before mean/std (default 1/255; Silent-Face: 1)")
    peer.add_argument("--compare-mean", help="per-channel mean, e.g. '0.485,0.456,0.406' (default 0)")
    peer.add_argument("--compare-std", help="per-channel std (default 1)")
    peer.add_argument("--compare-color", choices=["rgb", "bgr"], help="channel order (default rgb)")
    peer.add_argument("--compare-layout", choices=["NCHW", "NHWC"], help="tensor layout (default NCHW)")
    peer.add_argument("--compare-live-index", type=int, help="output column of the live class (default 1)")
    peer.add_argument("--compare-output", choices=["logits", "probabilities"], help="what the model outputs")
    peer.add_argument("--compare-frames", type=int, help="frames scored per attempt (default 8)")
    peer.add_argument("--compare-name", help="name in the reports (default: the file's stem)")
    peer.add_argument("--compare-config", help="a JSON (or YAML) file describing the peer instead")
    return parser


def options_from_args(args: argparse.Namespace) -> SuiteOptions:
    mode = "quick" if args.quick else "full"
    out_dir = Path(args.out)
    if args.no_faces and (args.labels or args.named_sets):
        raise BenchmarkError("--no-faces cannot be combined with --labels or --set", code="USAGE")
    if args.no_docs and args.docs_labels is not None:
        raise BenchmarkError("give either --docs-labels or --no-docs, not both", code="USAGE")
    sets = [load_set(Path(path)) for path in args.labels]
    named = list(dict.fromkeys(args.named_sets))
    if not args.labels and not named and not args.no_faces:
        named = ["shared", "generated"] if SHARED_LABELS.is_file() else ["generated"]
    for name in named:
        if name == "shared":
            shared = default_sets(quick=args.quick)
            if not shared:
                raise BenchmarkError(f"--set shared: {SHARED_LABELS} not found", code="LABELS_MISSING")
            sets += shared
            continue
        try:
            sets.append(generated_set(out_dir / "generated-set"))
        except BenchmarkError as exc:
            if args.named_sets:
                raise
            _log(f"generated set skipped: {exc.message}")
    if not sets:
        _log("no labelled face set to score: face accuracy is skipped")
    docs, docs_note = None, None
    if args.docs_labels is not None:
        docs = load_document_set(args.docs_labels)
    elif args.no_docs:
        pass
    elif DOCS_LABELS.is_file():
        docs = load_document_set(DOCS_LABELS)
    else:
        docs_note = f"{display_path(DOCS_LABELS)} not found"
        _log(f"documents skipped: {docs_note}")
    names = [s.name for s in sets] + ([docs.name] if docs else [])
    if len(set(names)) != len(names):
        raise BenchmarkError(f"labelled sets need distinct names (their folder names): {names}")
    runs = args.speed_runs if args.speed_runs is not None else (5 if args.quick else 9)
    if runs < 1:
        raise BenchmarkError("--speed-runs must be at least 1")
    return SuiteOptions(
        mode=mode,
        sets=sets,
        docs=docs,
        docs_note=docs_note,
        weights_dir=args.weights,
        peer=peer_from_args(args),
        speed=not args.no_speed,
        speed_runs=runs,
        throughput_budget_s=0.3 if args.quick else 1.0,
        service=args.service if args.service is not None else not args.quick,
        out_dir=out_dir,
        baseline_path=args.baseline,
        gate=not args.no_gate,
        update_baseline=args.update_baseline,
        progress=args.progress,
    )


def print_outcome(results: dict[str, Any]) -> None:
    gate = results.get("gate") or {}
    for name, entry in results["accuracy"]["sets"].items():
        for view, m in entry["headline"].items():
            print(f"{name}/{view}: bona fide {m['n_bona_fide']} attacks {m['n_attack']} AUC {m['auc']} "
                  f"EER {m['eer']} BPCER@APCER5% {m['bpcer_at_apcer_5']}")
    documents = results.get("documents") or {}
    for name, entry in (documents.get("sets") or {}).items():
        m = entry["metrics"]
        apcer = ", ".join(f"{k} {v:.3f}" for k, v in (m.get("apcer") or {}).items() if v is not None)
        ratio = entry["total_over_decode"]
        print(f"{name} (documents): bona fide {m['n_bona_fide']} attacks {m['n_attack']} AUC {m['auc']} "
              f"BPCER {m['bpcer']} APCER [{apcer}] FTA {(m.get('fta') or {}).get('rate')}; total/decode "
              + ("–" if ratio is None else f"{ratio:.2f}"))
    if documents.get("skipped"):
        print(f"documents skipped: {documents['skipped']}")
    intake = results.get("intake") or {}
    for name, entry in (intake.get("sets") or {}).items():
        print(f"{name} (intake): {entry['n']} captures, located {entry['located']:.3f}, found {entry['found']:.3f}")
    for note in intake.get("skipped") or []:
        print(f"intake skipped: {note}")
    ghost = results.get("ghost") or {}
    for name, entry in (ghost.get("sets") or {}).items():
        found = entry["found"]
        auc = "n/a" if entry["swap_auc"] is None else f"{entry['swap_auc']:.3f}"
        print(f"{name} (ghost): {entry['n']} cards, found genuine {found['none']:.3f}, swap AUC {auc}")
    for note in ghost.get("skipped") or []:
        print(f"ghost skipped: {note}")
    attempt = (results.get("speed") or {}).get("attempt")
    if attempt:
        print(f"720p attempt/decode {attempt['attempt_over_decode']:.2f} (decode {attempt['decode_ms_p50']:.0f} ms, "
              f"attempt {attempt['attempt_ms_p50']:.0f} ms)")
    print(f"peak RSS {results['speed']['peak_rss_mb']:.0f} MiB; {results['seconds']:.0f} s; "
          f"results in {results['folder']}")
    if gate.get("updated"):
        print(f"baseline updated: {gate['baseline']} ({results['mode']})")
    elif gate:
        for r in gate.get("regressions", []):
            kind = "relative" if r["relative"] else "absolute"
            print(f"REGRESSION {r['name']}: baseline {r['baseline']:.4g}, measured {r['measured']:.4g}, "
                  f"tolerance {r['tolerance']:.4g} ({kind}; limit {r['limit']:.4g})")
        verdict = "PASS" if gate.get("ok") else "FAIL"
        print(f"gate {verdict}: {len(gate.get('passed', []))} within tolerance, "
              f"{len(gate.get('regressions', []))} regressed, {len(gate.get('not_measured', []))} not measured, "
              f"{len(gate.get('new', []))} new (not gated until accepted)")


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")
    args = build_parser().parse_args(argv)
    try:
        options = options_from_args(args)
        results, code = run_suite(options)
    except LivenessError as exc:
        print(f"benchmarks: error [{exc.code}]: {exc.message}", file=sys.stderr)
        return EXIT_USAGE
    print_outcome(results)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
