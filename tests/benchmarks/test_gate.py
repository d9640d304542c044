"""The regression gate: tolerances, naming of the regressed figure, baseline updates."""

from __future__ import annotations

import doctest
import json
from pathlib import Path

import pytest

from benchmarks import common, gate
from benchmarks.common import BenchmarkError, Figure, accuracy_figure, speed_figure
from benchmarks.gate import baseline_figures, check, read_baseline, update_baseline


def test_doctests_pass() -> None:
    for module in (common, gate):
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        assert result.failed == 0 and result.attempted > 0


def test_accuracy_drop_beyond_tolerance_fails_with_the_figure_named() -> None:
    accepted = {"accuracy.faces-quick.all.auc": accuracy_figure("auc", 0.95)}
    result = check({"accuracy.faces-quick.all.auc": accuracy_figure("auc", 0.90)}, accepted)
    assert not result.ok
    (regression,) = result.regressions
    assert regression.name == "accuracy.faces-quick.all.auc"
    assert (regression.baseline, regression.measured, regression.tolerance) == (0.95, 0.90, 0.03)
    line = regression.describe()
    assert "accuracy.faces-quick.all.auc" in line and "0.95" in line and "0.9" in line and "0.03" in line


def test_within_tolerance_and_improvements_pass() -> None:
    accepted = {"auc": accuracy_figure("auc", 0.95), "eer": accuracy_figure("eer", 0.10)}
    for auc, eer in ((0.925, 0.12), (0.99, 0.01), (0.95, 0.13)):
        result = check({"auc": accuracy_figure("auc", auc), "eer": accuracy_figure("eer", eer)}, accepted)
        assert result.ok, (auc, eer)
        assert result.passed == ["auc", "eer"]
    assert not check({"eer": accuracy_figure("eer", 0.1301)}, accepted).ok


def test_speed_ratios_use_relative_tolerance_from_the_baseline() -> None:
    accepted = {"speed.clip720p.attempt_over_decode": speed_figure(1.2)}
    assert check({"speed.clip720p.attempt_over_decode": speed_figure(2.35)}, accepted).ok
    slow = check({"speed.clip720p.attempt_over_decode": speed_figure(2.45)}, accepted)
    assert [r.name for r in slow.regressions] == ["speed.clip720p.attempt_over_decode"]
    assert slow.regressions[0].limit == pytest.approx(2.4)
    # The baseline's tolerance wins over the measured figure's own.
    tight = {"speed.clip720p.attempt_over_decode": Figure(1.2, False, 0.1, relative=True)}
    assert not check({"speed.clip720p.attempt_over_decode": speed_figure(1.4)}, tight).ok


def test_unmeasured_and_new_figures_do_not_fail() -> None:
    accepted = {"accuracy.faces.all.auc": accuracy_figure("auc", 0.9)}
    result = check({"accuracy.generated.all.auc": accuracy_figure("auc", 0.5)}, accepted)
    assert result.ok
    assert result.not_measured == ["accuracy.faces.all.auc"]
    assert result.new == ["accuracy.generated.all.auc"]


def test_update_baseline_writes_figures_and_keeps_edited_tolerances(tmp_path: Path) -> None:
    path = tmp_path / "baseline.json"
    update_baseline(path, "quick", {"a.auc": accuracy_figure("auc", 0.9), "b.eer": accuracy_figure("eer", 0.1)})
    data = json.loads(path.read_text())
    assert data["modes"]["quick"]["figures"]["a.auc"] == {
        "value": 0.9, "higher_is_better": True, "tolerance": 0.03, "relative": False
    }
    data["modes"]["quick"]["figures"]["a.auc"]["tolerance"] = 0.01  # a person tightens it
    data["modes"]["quick"]["figures"]["b.eer"].update(tolerance=0.5, relative=True)  # or loosens it
    path.write_text(json.dumps(data))
    update_baseline(path, "quick", {"a.auc": accuracy_figure("auc", 0.8)})
    update_baseline(path, "full", {"c.auc": accuracy_figure("auc", 0.7)})
    figures = baseline_figures(read_baseline(path), "quick")
    assert figures["a.auc"] == Figure(0.8, True, 0.01)
    assert figures["b.eer"].value == 0.1  # not re-measured: kept
    update_baseline(path, "quick", {"b.eer": accuracy_figure("eer", 0.2)})
    assert baseline_figures(read_baseline(path), "quick")["b.eer"] == Figure(0.2, False, 0.5, True)
    assert set(baseline_figures(read_baseline(path), "full")) == {"c.auc"}
    assert check({"a.auc": accuracy_figure("auc", 0.785)}, figures).regressions[0].tolerance == 0.01


def test_missing_baseline_is_empty_and_a_broken_one_is_refused(tmp_path: Path) -> None:
    assert baseline_figures(read_baseline(tmp_path / "none.json"), "quick") == {}
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(BenchmarkError) as info:
        read_baseline(bad)
    assert info.value.code == "BASELINE_INVALID"
    bad.write_text(json.dumps({"modes": {"quick": {"figures": {"x": {"value": "high"}}}}}))
    with pytest.raises(BenchmarkError, match="x"):
        baseline_figures(read_baseline(bad), "quick")


def test_committed_baseline_is_valid_and_gates_a_fresh_clone() -> None:
    baseline = read_baseline(common.BASELINE_PATH)
    quick = baseline_figures(baseline, "quick")
    # Without ../shared/data CI scores the generated set: its figures must be in the baseline.
    assert "accuracy.generated.all.auc" in quick and "speed.clip720p.attempt_over_decode" in quick
    for mode in baseline["modes"]:
        assert baseline_figures(baseline, mode)
