"""``liveness`` command line: score, eval, synth, train, export, models.

Exit codes: 0 = every input was processed (whatever the decisions); 1 = at least one input
could not be read (its line still says why); 2 = bad usage or unusable models/labels.
train/export/synth import ``training`` (and torch) only when run.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from liveness.errors import LivenessError

EXIT_OK, EXIT_INPUT_ERROR, EXIT_USAGE = 0, 1, 2


def _scorer(args: argparse.Namespace) -> Any:
    from liveness.pipeline import Scorer

    weights = Path(args.weights) if getattr(args, "weights", None) else None
    return Scorer(weights_dir=weights, device=args.device)


def _document_scorer(args: argparse.Namespace) -> Any:
    from liveness.documents.scorer import DocumentScorer

    weights = Path(args.weights) if getattr(args, "weights", None) else None
    return DocumentScorer(weights_dir=weights, device=args.device, ocr=getattr(args, "ocr", None))


def _failed_result(media: str, exc: LivenessError, versions: dict[str, str]) -> Any:
    from liveness.result import AttemptResult

    return AttemptResult(
        media=media, decision="reject", spoof_score=None, reasons=[exc.code], model_versions=versions, error=exc.message
    )


def _print_line(result: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(result, ensure_ascii=False), flush=True)
        return
    score = "  n/a" if result.get("spoof_score") is None else f"{result['spoof_score']:.3f}"
    reasons = ",".join(result["reasons"]) or "-"
    extra = f"  ({result['error']})" if result.get("error") else ""
    print(f"{result['decision']:7s} spoof={score} reasons={reasons} {result['media']}{extra}", flush=True)
    for side, doc in (result.get("documents") or {}).items():
        forgery = "  n/a" if doc["forgery_score"] is None else f"{doc['forgery_score']:.3f}"
        doc_reasons = ",".join(doc["reasons"]) or "-"
        print(f"  {side:5s} {doc['decision']:7s} forgery={forgery} reasons={doc_reasons} {doc['media']}", flush=True)


def cmd_score(args: argparse.Namespace) -> int:
    from liveness.result import combine_results

    documents = {side: path for side, path in (("front", args.id_front), ("back", args.id_back)) if path}
    if documents and len(args.media) > 1:
        raise LivenessError("--id-front/--id-back belong to one attempt: give at most one selfie MEDIA", code="USAGE")
    if not documents and not args.media:
        raise LivenessError("nothing to score: give MEDIA and/or --id-front/--id-back", code="USAGE")
    scorer = _scorer(args) if args.media else None
    status = EXIT_OK
    results = []
    for media in args.media:
        assert scorer is not None
        try:
            results.append(scorer.score(media, name=media))
        except LivenessError as exc:
            status = EXIT_INPUT_ERROR
            results.append(_failed_result(media, exc, scorer.model_versions))
    if documents:
        from liveness.documents.reasons import DOC_UNREADABLE
        from liveness.documents.scorer import documents_attempt

        doc_scorer = _document_scorer(args)
        doc_results = {side: doc_scorer.score(path, name=path, side=side) for side, path in documents.items()}
        if any(DOC_UNREADABLE in r.reasons for r in doc_results.values()):
            status = EXIT_INPUT_ERROR
        attempt = documents_attempt(doc_results, media=documents.get("front") or documents["back"])
        results = [combine_results(results[0], attempt) if results else attempt]
    for result in results:
        _print_line(result.to_dict(), args.json)
    return status


def cmd_eval(args: argparse.Namespace) -> int:
    from liveness.evaluation import metrics_for, score_rows
    from liveness.models.manifest import video_fusion_fitted_on
    from liveness.scoring.labels import read_labels

    rows = read_labels(args.labels)
    progress = not args.json and sys.stderr.isatty()
    heatmaps: dict[str, Any] = {}
    if args.kind == "document":
        scorer = _document_scorer(args)

        def score_document(path: str) -> Any:
            result = scorer.score(path, name=path)
            if args.report and result.heatmap is not None:
                heatmaps[path] = (result.rectified, result.heatmap)
            return result

        records = score_rows(rows, score_document, progress=progress)
        default_threshold = scorer.review_threshold
    else:
        scorer = _scorer(args)
        records = score_rows(rows, lambda p: scorer.score(p, name=p), progress=progress)
        default_threshold = scorer.video_fusion.review_threshold
    threshold = args.threshold if args.threshold is not None else default_threshold
    metrics = metrics_for(records, threshold=threshold)
    metrics["model_versions"] = scorer.model_versions
    if args.kind != "document" and video_fusion_fitted_on(scorer.weights_dir) == Path(args.labels).resolve():
        # Not an error: a regression check on the training set is useful, an accuracy claim is not.
        metrics["in_sample"] = "the video fusion was fitted on this set's videos"
        print(
            "note: the shipped video fusion was fitted on this set's videos, so its video figures are "
            "in-sample; the out-of-fold ones are in weights/MODEL_CARD.md",
            file=sys.stderr,
        )
    if args.report:
        from liveness.scoring.report import write_report

        write_report(args.report, records, metrics, title=f"liveness eval: {Path(args.labels).name}")
        if heatmaps:
            from liveness.documents.report import write_heatmaps

            write_heatmaps(Path(args.report) / "heatmaps", heatmaps, root=Path(args.labels).resolve().parent)
    if args.json:
        print(json.dumps(metrics, ensure_ascii=False))
    else:
        _print_metrics(metrics)
    return EXIT_OK


def _print_metrics(m: dict[str, Any]) -> None:
    def fmt(v: Any) -> str:
        return "n/a" if v is None else (f"{v:.4f}" if isinstance(v, float) else str(v))

    print(f"bona fide {m['n_bona_fide']}  attacks {m['n_attack']}  threshold {fmt(m['threshold'])}")
    print(f"AUC {fmt(m['auc'])}  BPCER {fmt(m['bpcer'])}  APCER max {fmt(m['apcer_max'])}  ACER {fmt(m['acer'])}")
    print(f"BPCER@APCER5% {fmt(m['bpcer_at_apcer_5'])}  APCER@BPCER1% {fmt(m['apcer_at_bpcer_1'])}")
    for species, value in (m.get("apcer") or {}).items():
        print(f"  APCER {species:15s} {fmt(value)}  AUC {fmt((m.get('auc_per_species') or {}).get(species))}")
    for source, entry in (m.get("per_source") or {}).items():
        print(f"  source {source:28s} n={entry['n']:3d} AUC {fmt(entry.get('auc'))} APCER {fmt(entry.get('apcer'))}")


def cmd_models(args: argparse.Namespace) -> int:
    from liveness.models.manifest import read_manifest

    manifest = read_manifest(Path(args.weights) if args.weights else None)
    for name, entry in sorted(manifest["models"].items()):
        print(f"{name:18s} {entry.get('version', '?'):38s} {entry.get('kind', '?'):16s} {entry.get('file')}")
    return EXIT_OK


def cmd_synth(args: argparse.Namespace) -> int:
    if args.kind == "locator":
        from training.documents.locator_data import LocatorSynthesizer, write_locator_contact_sheet
        from training.documents.synth import DocumentSynthesizer

        faces = Path(args.faces)
        synthesizer = DocumentSynthesizer(Path(args.data or "../shared/data/docs"), faces, Path(args.cache))
        photos = sorted((faces / "images").glob("*.jpg")) if (faces / "images").is_dir() else []
        path = write_locator_contact_sheet(Path(args.preview), LocatorSynthesizer(synthesizer, photos),
                                           n=max(1, args.n), seed=args.seed)
        print(f"wrote {path}")
        return EXIT_OK
    if args.kind == "document":
        from training.documents.synth import DocumentSynthesizer, write_document_contact_sheet

        data = Path(args.data or "../shared/data/docs")
        synthesizer = DocumentSynthesizer(data, Path(args.faces), Path(args.cache))
        path = write_document_contact_sheet(Path(args.preview), synthesizer, n_per_species=args.n, seed=args.seed)
        print(f"wrote {path}")
        return EXIT_OK
    from training.preview import write_preview

    data = Path(args.data or "../shared/data/faces")
    path = write_preview(data, Path(args.preview), seed=args.seed, n_sources=args.n)
    print(f"wrote {path}")
    return EXIT_OK


def _share(text: str) -> float:
    """argparse type: a fraction in [0, 1]."""
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be a number from 0 to 1, got {text!r}")
    return value


def cmd_train(args: argparse.Namespace) -> int:
    if args.kind == "locator":
        from training.documents.locator_train import run_locator_training

        out = Path(args.out or "runs/locator")
        try:
            result = run_locator_training(
                Path(args.data or "../shared/data/docs"), Path(args.faces), out,
                n_train=args.locator_samples, n_val=max(200, args.locator_samples // 10),
                epochs=args.locator_epochs, seed=args.seed, workers=args.workers,
            )
        except ValueError as exc:  # data without the validation designs
            print(f"liveness: error: {exc}", file=sys.stderr)
            return EXIT_USAGE
        print(json.dumps(result["val"], indent=2))
        print(f"run written to {out}")
        return EXIT_OK
    if args.kind == "document":
        from training.documents.pipeline import run_document_training

        try:
            result = run_document_training(
                Path(args.data or "../shared/data/docs"),
                Path(args.faces),
                Path(args.out or "runs/documents"),
                n_train=args.doc_samples,
                n_val=max(100, args.doc_samples // 5),
                photo_edit_share=args.photo_edit_share,
                epochs=args.doc_epochs,
                n_portraits=args.portrait_samples,
                n_val_portraits=args.portrait_val_samples,
                portrait_epochs=args.portrait_epochs,
                portrait_init=Path(args.portrait_init) if args.portrait_init else None,
                seed=args.seed,
                workers=args.workers,
            )
        except ValueError as exc:  # a run folder built by another plan, data without a species, ...
            print(f"liveness: error: {exc}", file=sys.stderr)
            return EXIT_USAGE
        dev = result.get("dev") or {}
        print(json.dumps({"val_auc": result["val"].get("auc"), "dev_auc": dev.get("auc")}, indent=2))
        print(f"run written to {args.out or 'runs/documents'}")
        return EXIT_OK
    from training.pipeline import run_training

    summary = run_training(
        Path(args.data or "../shared/data/faces"),
        Path(args.out or "runs/latest"),
        scale=args.scale,
        seed=args.seed,
        frame_epochs=args.frame_epochs,
        clip_epochs=args.clip_epochs,
        workers=args.workers,
    )
    print(json.dumps(summary.get("test_metrics_summary", {}), indent=2))
    print(f"run written to {args.out or 'runs/latest'}")
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    weights = Path(args.weights) if args.weights else None
    if args.kind == "locator":
        from training.documents.locator_train import ship_locator_run

        if not args.version:
            raise LivenessError("--version is required to ship a locator model", code="USAGE")
        entries = ship_locator_run(Path(args.run or "runs/locator"), weights, version=args.version)
    elif args.kind == "document":
        from training.documents.pipeline import ship_document_run

        if not args.version:
            raise LivenessError("--version is required to ship a document model", code="USAGE")
        entries = ship_document_run(Path(args.run or "runs/documents"), weights, version=args.version)
    else:
        from training.pipeline import ship_run

        entries = ship_run(Path(args.run or "runs/latest"), weights, version=args.version)
    for name, entry in entries.items():
        gap = entry["parity_max_abs_gap"]
        print(f"exported {name} {entry['version']} sha256={entry['sha256'][:12]} parity gap={gap:.1e}")
    return EXIT_OK


def _add_ocr_flag(p: argparse.ArgumentParser, *, default: bool | None, when: str) -> None:
    p.add_argument(
        "--ocr",
        action=argparse.BooleanOptionalAction,
        default=default,
        help=f"read ID text offline and check MRZ / ID number / printed fields ({when})",
    )


def _add_kind(p: argparse.ArgumentParser, *, locator: bool = False) -> None:
    if locator:
        p.add_argument("--kind", choices=["face", "document", "locator"], default="face",
                       help="face liveness, ID documents, or the document locator of the intake")
    else:
        p.add_argument("--kind", choices=["face", "document"], default="face", help="face liveness or ID documents")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="liveness", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--device",
        choices=["auto", "cpu", "cuda"],
        default=None,
        help="execution provider (default auto: CUDA when available)",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("score", help="score attempts: videos, frame folders or images")
    p.add_argument("media", nargs="*", help="video file, folder of frames, or image (the selfie)")
    p.add_argument("--id-front", help="ID card front / passport data page image of the same attempt")
    p.add_argument("--id-back", help="ID card back image of the same attempt")
    _add_ocr_flag(p, default=None, when="default: when the [ocr] extra is installed")
    p.add_argument("--json", action="store_true", help="one JSON object per input (JSON Lines)")
    p.add_argument("--weights", help="weights folder with manifest.json (default: shipped)")
    p.set_defaults(func=cmd_score)

    p = sub.add_parser("eval", help="ISO/IEC 30107-3 metrics on a LABELS.tsv")
    p.add_argument("labels", help="TSV with header and columns path, label, species")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--report", help="folder for scores.csv, metrics.json and DET curve PNG")
    _add_kind(p)
    _add_ocr_flag(p, default=False, when="documents only; default off: metrics use the forgery score")
    p.add_argument(
        "--threshold",
        type=float,
        default=None,
        help="operating threshold (default: the manifest's BPCER-5%% review threshold)",
    )
    p.add_argument("--weights", help="weights folder with manifest.json (default: shipped)")
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("models", help="list the models in the manifest")
    p.add_argument("--weights")
    p.set_defaults(func=cmd_models)

    p = sub.add_parser("synth", help="synthesize attacks (needs the [train] extra)")
    _add_kind(p, locator=True)
    p.add_argument("--data", default=None, help="folder with LABELS.tsv (default ../shared/data/faces or /docs)")
    p.add_argument("--faces", default="../shared/data/faces", help="documents: the portrait pool")
    p.add_argument("--cache", default="runs/documents/cache", help="documents: rendered-template cache")
    p.add_argument("--preview", required=True, help="contact-sheet PNG to write")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("-n", type=int, default=4, help="real sources to synthesize from (locator: captures)")
    p.set_defaults(func=cmd_synth)

    p = sub.add_parser("train", help="build data, train, evaluate (needs the [train] extra)")
    _add_kind(p, locator=True)
    p.add_argument("--data", default=None, help="folder with LABELS.tsv (default ../shared/data/faces or /docs)")
    p.add_argument("--faces", default="../shared/data/faces", help="documents: the portrait pool")
    p.add_argument("--out", default=None, help="run folder (default runs/latest, documents: runs/documents)")
    p.add_argument("--scale", type=float, default=1.0, help="synthetic samples per real clip, relative")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--frame-epochs", type=int, default=14)
    p.add_argument("--clip-epochs", type=int, default=30)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--doc-samples", type=int, default=3200, help="documents: synthesized training documents")
    p.add_argument(
        "--photo-edit-share", type=_share, default=0.0,
        help="documents: share of portrait pastes, text edits and copy-moves made on the photo of the genuine card "
        "instead of before print, also measured in validation (0.5 did not help the shipped page model; see README)",
    )
    p.add_argument("--doc-epochs", type=int, default=7, help="documents: training epochs")
    p.add_argument(
        "--portrait-samples", type=int, default=30000,
        help="documents: synthesized portrait training crops (genuine/forged twins, in shards of 10000)",
    )
    p.add_argument(
        "--portrait-val-samples", type=int, default=900, help="documents: whole validation documents (calibration)"
    )
    p.add_argument("--portrait-epochs", type=int, default=6, help="documents: portrait model epochs")
    p.add_argument("--locator-samples", type=int, default=10000, help="locator: synthesized training captures")
    p.add_argument("--locator-epochs", type=int, default=12, help="locator: training epochs")
    p.add_argument(
        "--portrait-init",
        default=None,
        help="documents: start the portrait model from this trained frame_cnn checkpoint (a face run's "
        "frame_cnn.pt, e.g. runs/latest/frame_cnn.pt); default random weights",
    )
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("export", help="ship a training run into weights/ (needs the [train] extra)")
    _add_kind(p, locator=True)
    p.add_argument("--run", default=None, help="run folder (default runs/latest, documents: runs/documents)")
    p.add_argument("--weights", default=None)
    p.add_argument("--version", default=None)
    p.set_defaults(func=cmd_export)
    return parser


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.device == "auto":
        args.device = None
    try:
        return int(args.func(args))
    except LivenessError as exc:
        print(f"liveness: error [{exc.code}]: {exc.message}", file=sys.stderr)
        return EXIT_USAGE
    except ModuleNotFoundError as exc:
        print(
            f"liveness: {exc.name} is not installed; `pip install -e .[train]` for train/export/synth", file=sys.stderr
        )
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
