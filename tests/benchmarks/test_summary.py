"""The Markdown summary and the plots, from a hand-made results dict."""

from __future__ import annotations

from pathlib import Path

from benchmarks.summary import det_png, latency_png, write_summary


def _metrics(auc: float) -> dict:
    return {
        "n_bona_fide": 10, "n_attack": 12, "auc": auc, "eer": 0.125, "threshold": 0.5, "bpcer": 0.1,
        "apcer": {"replay": 0.25, "print": 0.0}, "apcer_max": 0.25, "bpcer_at_apcer_5": 0.3, "apcer_at_bpcer_5": 0.4,
        "auc_per_species": {"replay": 0.8, "print": 1.0}, "fta": {"rate": 0.05},
        "per_source": {"SadTalker": {"n": 6, "species": ["animated_photo"], "auc": 0.7, "apcer": 0.5}},
    }


def _results(gate: dict) -> dict:
    attempt = {"runs": 3, "decode_ms_p50": 400.0, "attempt_ms_p50": 500.0, "attempt_over_decode": 1.25,
               "target_ratio": 1.5, "stages_ms_p50": {"decode": 100.0, "face": 300.0},
               "stages_over_decode": {"decode": 0.25, "face": 0.75}}
    return {
        "timestamp": "20260101T000000Z", "mode": "quick",
        "machine": {"cpus": 2, "platform": "Linux", "python": "3.11"}, "provider": "CPUExecutionProvider",
        "model_versions": {"frame_cnn": "v1"},
        "accuracy": {"sets": {"faces-quick": {
            "origin": "LABELS.tsv (quick subset)", "n_files": 22, "seconds": 12.0,
            "views": {"all": _metrics(0.912), "held_out": _metrics(0.876)},
            "peer_views": {"all": _metrics(0.611), "held_out": _metrics(0.6)},
            "stages": {"decode": {"n": 22, "p50_ms": 50.0, "p90_ms": 70.0}, "total": {"n": 22, "p50_ms": 250.0,
                                                                                        "p90_ms": 300.0}},
            "peer_stages": {"total": {"n": 22, "p50_ms": 120.0, "p90_ms": 130.0}},
            "plots": ["det_faces-quick_all.png"],
        }}},
        "peer": {"name": "minifas", "config": {"input": "80x80", "scale": 2.7, "color": "bgr", "layout": "NCHW"}},
        "speed": {"attempt": attempt, "peak_rss_mb": 512.0, "plot": "latency_stages.png",
                  "throughput": {"frame_cnn": {"kind": "spoof_classifier", "batches": {
                      "1": {"items_per_s": 100.0, "speedup": 1.0}, "32": {"items_per_s": 400.0, "speedup": 4.0}}}}},
        "service": {"results": [{"concurrency": 8, "batching": True, "throughput_rps": 3.5, "p50_ms": 900.0,
                                 "p99_ms": 1500.0, "errors": 0}]},
        "gate": gate,
    }


def test_summary_has_tables_plots_and_the_gate(tmp_path: Path) -> None:
    gate = {"baseline": "benchmarks/baseline.json", "ok": False, "passed": ["a"], "not_measured": [], "new": [],
            "regressions": [{"name": "accuracy.faces-quick.all.auc", "baseline": 0.95, "measured": 0.912,
                             "tolerance": 0.03, "relative": False}]}
    text = write_summary(tmp_path / "summary.md", _results(gate)).read_text()
    assert text.startswith("# Benchmark 20260101T000000Z (quick)")
    assert "**Gate: FAIL**" in text
    assert "REGRESSION `accuracy.faces-quick.all.auc`: baseline 0.95, measured 0.912, tolerance 0.03" in text
    assert "| faces-quick/all | 10 | 12 | 0.912 | 0.125 | 0.250 | 0.100 | 0.300 | 0.400 | 0.050 |" in text
    assert "### faces-quick (held_out): per species and per source" in text
    assert "| replay | 0.800 | 0.250 |" in text and "| SadTalker | 6 | animated_photo | 0.700 | 0.500 |" in text
    assert "| faces-quick/held_out | minifas | 0.600 |" in text and "| faces-quick/all | liveness-kyc | 0.912 |" in text
    assert "**attempt/decode 1.25**" in text and "| face | 300.0 | 0.750 |" in text
    assert "| frame_cnn | spoof_classifier | 100.0 | – | 400.0 | 4.000 |" in text
    assert "Peak RSS: 512 MiB." in text and "![latency per stage](latency_stages.png)" in text
    assert "![DET faces-quick](det_faces-quick_all.png)" in text
    assert "| 8 | on | 3.500 | 900.0 | 1500.0 | 0 |" in text


def test_summary_of_a_passing_run_without_peer_or_speed(tmp_path: Path) -> None:
    results = _results({"baseline": "b.json", "ok": True, "passed": ["a", "b"], "regressions": [],
                        "not_measured": ["c"], "new": []})
    results.update(peer=None, speed={}, service=None)
    text = write_summary(tmp_path / "summary.md", results).read_text()
    assert "**Gate: PASS**" in text and "2 figures within tolerance, 0 regressed, 1 not measured" in text
    assert "Side by side" not in text and "## Speed" not in text and "## Service" not in text


def test_plots_are_png() -> None:
    records = [{"label": "bona_fide", "species": "none", "spoof_score": 0.1},
               {"label": "attack", "species": "replay", "spoof_score": 0.8},
               {"label": "attack", "species": "print", "spoof_score": None, "fta": True}]
    assert det_png(records, threshold=0.5, title="t")[:4] == b"\x89PNG"
    png = latency_png({"720p clip": {"decode": 100.0, "face": 300.0}, "set": {"decode": 50.0, "clip_net": 9.0}})
    assert png[:4] == b"\x89PNG"


def _documents() -> dict:
    metrics = {"n_bona_fide": 38, "n_attack": 64, "auc": 0.874, "eer": 0.2, "bpcer": 0.053, "apcer_max": 0.5,
               "bpcer_at_apcer_5": 0.6, "apcer": {"photocopy": 0.25, "portrait_swap": 0.5},
               "auc_per_species": {"photocopy": 0.9, "portrait_swap": 0.7},
               "fta": {"rate": 0.02, "bona_fide_rate": 0.0}}
    stages = {"decode": {"n": 90, "p50_ms": 4.0, "p90_ms": 9.0}, "total": {"n": 90, "p50_ms": 100.0, "p90_ms": 150.0}}
    return {"sets": {"docs": {
        "origin": "../shared/data/docs/LABELS.tsv", "n_files": 102, "seconds": 11.0, "threshold": 0.5161,
        "model_versions": {"doc_forgery": "0.1.0"}, "metrics": metrics,
        "species_n": {"photocopy": 60, "portrait_swap": 2},
        "stages": stages, "stages_over_decode": {"decode": 1.0, "total": 25.0}, "total_over_decode": 25.0,
        "n_timed": 90, "plots": ["det_docs_all.png"],
        "report": {"scores": "report_docs/scores.csv", "metrics": "report_docs/metrics.json",
                   "score_hist": "report_docs/score_hist.png"},
    }}}


def test_summary_document_section(tmp_path: Path) -> None:
    results = _results({"baseline": "b.json", "ok": True, "passed": [], "regressions": [], "not_measured": [],
                        "new": ["accuracy.docs.all.auc"]})
    results["documents"] = _documents()
    text = write_summary(tmp_path / "summary.md", results).read_text()
    assert text.index("## ID documents") < text.index("## Speed")
    assert "1 new)" in text and "doc_forgery 0.1.0" in text and "t = 0.5161" in text
    assert "| docs | 38 | 64 | 0.874 | 0.200 | 0.053 | 0.500 | 0.600 | 0.020 | 0.000 |" in text
    assert "| portrait_swap | 2 | 0.700 | 0.500 |" in text and "| photocopy | 60 | 0.900 | 0.250 |" in text
    assert "| total | 90 | 100.0 | 150.0 | 25.000 |" in text and "**document total/decode 25.00**" in text
    assert "![DET docs](det_docs_all.png)" in text and "![scores docs](report_docs/score_hist.png)" in text

    results["documents"] = {"skipped": "weights/manifest.json has no doc_forgery model"}
    text = write_summary(tmp_path / "summary.md", results).read_text()
    assert "## ID documents\n\nNot scored: weights/manifest.json has no doc_forgery model." in text
    results["documents"] = {}
    assert "ID documents" not in write_summary(tmp_path / "summary.md", results).read_text()
