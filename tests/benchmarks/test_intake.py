"""The intake benchmark on captures made here: located / found shares, the gated figure, the
summary section, and the notes for sets whose data or extra is missing."""

from __future__ import annotations

import doctest
import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from benchmarks import intake as bench_intake
from tests.document_fixtures import TILTED, make_card, make_scene


def test_doctests_pass() -> None:
    assert doctest.testmod(bench_intake).failed == 0


def test_measure_counts_located_found_and_missed() -> None:
    scene = make_scene(make_card(), TILTED)
    elsewhere = TILTED + np.float32([0, 60])  # true corners the intake cannot match
    blank = np.full((480, 640, 3), 90, np.uint8)  # nothing to find
    captures = iter(
        [("card", scene, TILTED, None), ("shifted", scene, elsewhere, "front"), ("blank", blank, TILTED, None)]
    )
    entry = bench_intake.measure("set", "made here", captures).to_dict()
    assert entry["n"] == 3
    assert entry["located"] == pytest.approx(1 / 3)
    assert entry["found"] == pytest.approx(2 / 3)
    assert entry["missed"] == ["shifted", "blank"]
    # the edge search alone, on the same captures, is measured beside it
    assert entry["located_edges_only"] == pytest.approx(1 / 3) and entry["ms_p50_edges_only"] > 0


def test_run_intake_scores_the_dlc_layout_and_notes_what_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    frames = tmp_path / "dlc2021"
    frames.mkdir()
    quads = {}
    for k in range(2):
        name = f"frame_{k}.jpg"
        cv2.imwrite(str(frames / name), cv2.cvtColor(make_scene(make_card(seed=k), TILTED, seed=k), cv2.COLOR_RGB2BGR))
        quads[name] = {"doc_quad_xy_resized": TILTED.tolist()}
    (frames / "doc_quads.json").write_text(json.dumps(quads))
    monkeypatch.setattr(bench_intake, "DLC_QUADS", frames / "doc_quads.json")
    monkeypatch.setattr(bench_intake, "SHARED_DATA", tmp_path / "no-shared-data")
    result = bench_intake.run_intake("quick", tmp_path / "cache")
    assert result["sets"]["dlc2021"]["located"] == 1.0
    figure = result["figures"]["accuracy.intake.dlc2021.located"]
    assert figure.value == 1.0 and figure.higher_is_better and figure.tolerance == bench_intake.LOCATED_TOLERANCE
    assert "synthetic" not in result["sets"] and any("synthetic" in note for note in result["skipped"])
    assert "scans" not in result["sets"] and any("scans" in note for note in result["skipped"])
    section = "\n".join(bench_intake.intake_section(result))
    assert "## Document intake" in section and "| dlc2021 | 2 | 1.000 | 1.000 |" in section

    monkeypatch.setattr(bench_intake, "DLC_QUADS", tmp_path / "absent.json")
    assert any("dlc2021" in note for note in bench_intake.run_intake("quick", tmp_path / "cache")["skipped"])
