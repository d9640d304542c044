"""The regression gate: compare a run's figures with the accepted ones in ``baseline.json``.

``baseline.json`` keeps one table of figures per mode (``quick``, ``full``), since the two
modes measure different sets::

    {"schema": 1,
     "modes": {"quick": {"updated": "...", "figures": {
         "accuracy.faces-quick.all.auc": {"value": 0.91, "higher_is_better": true,
                                          "tolerance": 0.03, "relative": false}, ...}}}}

A figure regresses when it is worse than its baseline by more than its tolerance. Figures in
the baseline that this run did not measure (e.g. the shared data set on a fresh clone) are
listed as not measured and do not fail the run; new figures are listed as new.
``update_baseline`` writes the run's figures as the accepted ones, keeping a tolerance that a
person edited in the file.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.common import BenchmarkError, Figure, write_json

SCHEMA = 1


@dataclass(frozen=True)
class Regression:
    """One figure worse than its baseline by more than its tolerance."""

    name: str
    baseline: float
    measured: float
    tolerance: float
    relative: bool
    higher_is_better: bool
    limit: float

    def describe(self) -> str:
        """One line naming the figure, e.g. for CI logs.

        >>> print(Regression("accuracy.x.auc", 0.95, 0.80, 0.03, False, True, 0.92).describe())
        REGRESSION accuracy.x.auc: baseline 0.95, measured 0.8, tolerance 0.03 (absolute, higher is better; ...)
        """
        kind = "relative" if self.relative else "absolute"
        better = "higher" if self.higher_is_better else "lower"
        return (
            f"REGRESSION {self.name}: baseline {self.baseline:.4g}, measured {self.measured:.4g}, "
            f"tolerance {self.tolerance:.4g} ({kind}, {better} is better; limit {self.limit:.4g})"
        )


@dataclass(frozen=True)
class GateResult:
    regressions: list[Regression] = field(default_factory=list)
    passed: list[str] = field(default_factory=list)
    not_measured: list[str] = field(default_factory=list)
    new: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.regressions

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "regressions": [r.__dict__ for r in self.regressions],
            "passed": self.passed,
            "not_measured": self.not_measured,
            "new": self.new,
        }


def read_baseline(path: Path) -> dict[str, Any]:
    """The baseline file, or an empty one when it does not exist yet.

    Raises ``BenchmarkError`` (code ``BASELINE_INVALID``) for a file that is not a baseline.
    """
    if not path.exists():
        return {"schema": SCHEMA, "modes": {}}
    try:
        data = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BenchmarkError(f"cannot read baseline {path}: {exc}", code="BASELINE_INVALID") from exc
    if not isinstance(data, dict) or not isinstance(data.get("modes"), dict):
        raise BenchmarkError(f"baseline {path} has no 'modes' table", code="BASELINE_INVALID")
    return data


def baseline_figures(baseline: Mapping[str, Any], mode: str, *, where: str = "baseline") -> dict[str, Figure]:
    """The accepted figures of ``mode`` (empty when the mode has none yet)."""
    table = baseline.get("modes", {}).get(mode, {}).get("figures", {})
    if not isinstance(table, dict):
        raise BenchmarkError(f"{where}: modes.{mode}.figures is not a table", code="BASELINE_INVALID")
    out = {}
    for name, entry in table.items():
        if not isinstance(entry, Mapping):
            raise BenchmarkError(f"{where}: figure {name} is not a table", code="BASELINE_INVALID")
        out[name] = Figure.from_dict(entry, where=f"{where}: {name}")
    return out


def check(measured: Mapping[str, Figure], accepted: Mapping[str, Figure]) -> GateResult:
    """Compare measured figures with accepted ones, using the *baseline's* tolerances.

    Examples
    --------
    >>> accepted = {"auc": Figure(0.95, higher_is_better=True, tolerance=0.03)}
    >>> check({"auc": Figure(0.93, higher_is_better=True, tolerance=0.03)}, accepted).ok
    True
    >>> [r.name for r in check({"auc": Figure(0.90, higher_is_better=True, tolerance=0.03)},
    ...                        accepted).regressions]
    ['auc']
    """
    regressions, passed = [], []
    for name in sorted(set(measured) & set(accepted)):
        base = accepted[name]
        rule = Figure(measured[name].value, base.higher_is_better, base.tolerance, base.relative)
        if rule.regressed(base.value):
            regressions.append(
                Regression(
                    name=name,
                    baseline=base.value,
                    measured=rule.value,
                    tolerance=base.tolerance,
                    relative=base.relative,
                    higher_is_better=base.higher_is_better,
                    limit=rule.limit(base.value),
                )
            )
        else:
            passed.append(name)
    return GateResult(
        regressions=regressions,
        passed=passed,
        not_measured=sorted(set(accepted) - set(measured)),
        new=sorted(set(measured) - set(accepted)),
    )


def update_baseline(path: Path, mode: str, measured: Mapping[str, Figure], *, note: str = "") -> dict[str, Any]:
    """Accept ``measured`` as the figures of ``mode`` and write ``path``.

    Figures of this mode that the run did not measure are kept (a run without the shared
    data must not erase its figures); a tolerance already in the file is kept with its kind
    (relative or absolute), so hand-tuned tolerances survive an update. Returns the written baseline.
    """
    baseline = read_baseline(path)
    old = baseline_figures(baseline, mode, where=str(path))
    figures = {name: figure.to_dict() for name, figure in old.items()}
    for name, figure in measured.items():
        entry = figure.to_dict()
        if name in old:
            entry["tolerance"] = old[name].tolerance
            entry["relative"] = old[name].relative
        figures[name] = entry
    baseline["schema"] = SCHEMA
    baseline["modes"][mode] = {
        "updated": datetime.now(UTC).isoformat(timespec="seconds"),
        "note": note,
        "figures": dict(sorted(figures.items())),
    }
    write_json(path, baseline)
    return baseline
