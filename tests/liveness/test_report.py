"""Tests for liveness.scoring.report: files written, their format, and atomic replacement."""

from __future__ import annotations

import csv
import doctest
import io
import json
import math
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from liveness.errors import LivenessError
from liveness.scoring import report
from liveness.scoring.metrics import evaluate
from liveness.scoring.report import (
    CSV_COLUMNS,
    ReportError,
    det_plot_png,
    score_hist_png,
    write_report,
)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def scored_rows(seed: int = 0) -> list[dict]:
    """A small scored set: bona fide low, three attack species, two failures to acquire."""
    rng = np.random.default_rng(seed)
    rows: list[dict] = []
    for i in range(30):
        rows.append({"path": f"bf/{i}.mp4", "label": "bona_fide", "species": "none",
                     "source": "phone", "spoof_score": float(rng.beta(2, 6)), "reasons": []})
    for species, n, (a, b) in [("replay", 12, (6, 2)), ("face_swap", 8, (3, 3)),
                               ("print", 1, (5, 2))]:
        for i in range(n):
            rows.append({"path": f"{species}/{i}.mp4", "label": "attack", "species": species,
                         "source": "gen", "spoof_score": float(rng.beta(a, b)),
                         "reasons": ["MOIRE", "FLAT"]})
    rows[0].update(spoof_score=None, reasons=["NO_FACE"], fta=True)
    rows[31].update(fta=True, reasons="LOW_QUALITY")
    return rows


def metrics_of(rows: list[dict]) -> dict:
    y_true = [int(r["label"] == "attack") for r in rows]
    y_score = [math.nan if r["spoof_score"] is None else r["spoof_score"] for r in rows]
    fta = np.array([bool(r.get("fta")) for r in rows])
    return evaluate(y_true, y_score, [r["species"] for r in rows], fta=fta, threshold=0.5)


def assert_png(data: bytes) -> None:
    assert data[:8] == PNG_MAGIC
    assert len(data) > 10_000  # axes, curves and text, not an empty canvas
    image = Image.open(io.BytesIO(data))
    image.load()
    assert image.size[0] >= 600 and image.size[1] >= 500
    pixels = np.asarray(image.convert("L"), dtype=np.float64)
    assert pixels.std() > 10  # something is drawn


def test_doctests_pass() -> None:
    result = doctest.testmod(report)
    assert result.attempted >= 4
    assert result.failed == 0


def test_write_report_files(tmp_path: Path) -> None:
    rows = scored_rows()
    metrics = metrics_of(rows)
    written = write_report(tmp_path / "out", rows, metrics, title="unit test")
    assert written == {
        "scores": tmp_path / "out" / "scores.csv",
        "metrics": tmp_path / "out" / "metrics.json",
        "det_curve": tmp_path / "out" / "det_curve.png",
        "score_hist": tmp_path / "out" / "score_hist.png",
    }
    assert_png(written["det_curve"].read_bytes())
    assert_png(written["score_hist"].read_bytes())
    assert json.loads(written["metrics"].read_text()) == json.loads(json.dumps(metrics))
    # Only the four report files: no temporary file left behind.
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "det_curve.png", "metrics.json", "score_hist.png", "scores.csv",
    ]


def test_scores_csv_content(tmp_path: Path) -> None:
    rows = scored_rows()
    write_report(tmp_path, rows, {"threshold": 0.5})
    with (tmp_path / "scores.csv").open(newline="") as handle:
        table = list(csv.reader(handle))
    assert tuple(table[0]) == CSV_COLUMNS
    assert tuple(CSV_COLUMNS) == (
        "path", "label", "species", "source", "spoof_score", "decision", "reasons", "fta",
    )
    assert len(table) == 1 + len(rows)
    body = [dict(zip(table[0], line, strict=True)) for line in table[1:]]
    # Row 0: failed to acquire, no score, decided attack.
    assert body[0] == {"path": "bf/0.mp4", "label": "bona_fide", "species": "none",
                       "source": "phone", "spoof_score": "", "decision": "attack",
                       "reasons": "NO_FACE", "fta": "true"}
    # Scores round-trip exactly; list reasons are joined with ';'.
    assert float(body[1]["spoof_score"]) == rows[1]["spoof_score"]
    assert body[30]["reasons"] == "MOIRE;FLAT"
    assert body[31]["fta"] == "true" and body[31]["decision"] == "attack"
    for row, line in zip(rows[1:], body[1:], strict=True):
        if not row.get("fta"):
            expected = "attack" if row["spoof_score"] >= 0.5 else "bona_fide"
            assert line["decision"] == expected


def test_given_decision_and_defaults_are_kept(tmp_path: Path) -> None:
    rows = [
        {"path": "a.jpg", "label": "bona_fide", "spoof_score": 0.7, "decision": "review"},
        {"path": Path("b.jpg"), "label": "attack", "spoof_score": np.float32(0.25)},
        {"path": "c.jpg", "label": "attack", "spoof_score": float("nan")},
    ]
    write_report(tmp_path, rows, {"threshold": None, "auc": float("nan")})
    lines = (tmp_path / "scores.csv").read_text().splitlines()
    assert lines[1] == "a.jpg,bona_fide,none,,0.7,review,,false"
    assert lines[2] == "b.jpg,attack,unknown,,0.25,,,false"  # no threshold: no decision
    assert lines[3] == "c.jpg,attack,unknown,,,attack,,true"  # NaN score is an FTA
    assert json.loads((tmp_path / "metrics.json").read_text()) == {"threshold": None, "auc": None}


def test_metrics_json_is_strict_json(tmp_path: Path) -> None:
    metrics = {"auc": np.float64(0.9), "n": np.int64(3), "eer": math.inf,
               "apcer": {"replay": np.float32(0.5)}, "curve": np.array([0.1, math.nan])}
    write_report(tmp_path, scored_rows(), metrics)
    text = (tmp_path / "metrics.json").read_text()
    assert "NaN" not in text and "Infinity" not in text
    assert json.loads(text) == {"auc": 0.9, "n": 3, "eer": None, "apcer": {"replay": 0.5},
                                "curve": [0.1, None]}


def test_rewrite_replaces_files(tmp_path: Path) -> None:
    write_report(tmp_path, scored_rows(0), {"threshold": 0.5, "run": 1})
    write_report(tmp_path, scored_rows(1)[:10], {"threshold": 0.5, "run": 2})
    assert json.loads((tmp_path / "metrics.json").read_text())["run"] == 2
    assert len((tmp_path / "scores.csv").read_text().splitlines()) == 11
    assert len(list(tmp_path.iterdir())) == 4


def test_failed_write_keeps_previous_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_report(tmp_path, scored_rows(), {"threshold": 0.5, "run": 1})
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}

    def crash(fd: int) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(report.os, "fsync", crash)
    with pytest.raises(OSError, match="disk full"):
        write_report(tmp_path, scored_rows(), {"threshold": 0.5, "run": 2})
    monkeypatch.undo()
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_bad_rows_write_nothing(tmp_path: Path) -> None:
    rows = scored_rows()
    rows[5] = {"path": "x.mp4", "label": "spoof", "spoof_score": 0.3}
    with pytest.raises(ReportError, match=r"row 5 .*label") as caught:
        write_report(tmp_path / "out", rows, {})
    assert isinstance(caught.value, LivenessError)
    assert caught.value.code == "REPORT_INVALID"
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"label": "attack", "spoof_score": 0.3}, "missing path"),
        ({"path": "a", "label": "attack", "spoof_score": "high"}, "not a number"),
        ({"path": "a", "label": "attack", "spoof_score": 0.1, "reasons": 3}, "reasons"),
        ("a.mp4", "mapping"),
    ],
)
def test_bad_row_messages(tmp_path: Path, row, message: str) -> None:
    with pytest.raises(ReportError, match=message):
        write_report(tmp_path, [row], {})


def test_bad_metrics_raise_report_error(tmp_path: Path) -> None:
    with pytest.raises(ReportError, match="JSON"):
        write_report(tmp_path, scored_rows(), {"model": object()})
    with pytest.raises(ReportError, match="threshold"):
        write_report(tmp_path, scored_rows(), {"threshold": "high"})
    with pytest.raises(ReportError, match="mapping"):
        write_report(tmp_path, scored_rows(), [("auc", 0.5)])
    assert list(tmp_path.iterdir()) == []


def test_det_plot_standalone_and_deterministic() -> None:
    rows = scored_rows()
    y_true = [int(r["label"] == "attack") for r in rows]
    y_score = [math.nan if r["spoof_score"] is None else r["spoof_score"] for r in rows]
    species = [r["species"] for r in rows]
    first = det_plot_png(y_true, y_score, species, threshold=0.5, title="model x")
    assert_png(first)
    assert det_plot_png(y_true, y_score, species, threshold=0.5, title="model x") == first
    assert det_plot_png(y_true, y_score, species, threshold=0.6, title="model x") != first


@pytest.mark.parametrize("labels", [[0, 0, 0], [1, 1, 1]])
def test_plots_with_one_class_still_render(labels: list[int]) -> None:
    species = ["none" if y == 0 else "replay" for y in labels]
    assert det_plot_png(labels, [0.1, 0.5, 0.9], species, threshold=0.5)[:8] == PNG_MAGIC
    assert score_hist_png(labels, [0.1, 0.5, 0.9], species, threshold=0.5)[:8] == PNG_MAGIC


def test_score_hist_handles_unbounded_scores_and_all_fta() -> None:
    assert_png(score_hist_png([0, 0, 1, 1], [-3.0, 0.5, 2.0, 7.5], ["none"] * 2 + ["x"] * 2))
    png = score_hist_png([0, 1], [math.nan, math.nan], ["none", "replay"])
    assert png[:8] == PNG_MAGIC


@pytest.mark.parametrize(
    "call",
    [
        lambda: det_plot_png([0, 1], [0.1], ["none", "replay"]),
        lambda: det_plot_png([0, 2], [0.1, 0.2], ["none", "replay"]),
        lambda: det_plot_png([0, 1], [0.1, 0.2], ["none"]),
        lambda: det_plot_png([0, 1], [0.1, 0.2], ["none", "x"], fta=[1, 0]),
        lambda: score_hist_png([0, 1], [0.1, 0.2], ["none", "x"], threshold=math.inf),
    ],
)
def test_plot_bad_input_raises_report_error(call) -> None:
    with pytest.raises(ReportError):
        call()


def test_no_temporary_files_after_success(tmp_path: Path) -> None:
    write_report(tmp_path, scored_rows(), {})
    assert not [name for name in os.listdir(tmp_path) if name.startswith(".")]
