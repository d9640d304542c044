"""Pieces shared by the benchmark suite: paths, the typed error, gated figures, memory.

A *figure* is one named number the suite measures (``accuracy.faces-quick.all.auc``,
``speed.attempt_over_decode``) together with how it may move before the gate calls it a
regression: which direction is better, and by how much it may get worse (absolute for
accuracy, relative for ratios measured in the same run).
"""

from __future__ import annotations

import json
import math
import os
import resource
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from liveness.errors import LivenessError
from liveness.scoring.report import json_ready as _json_ready

REPO_ROOT = Path(__file__).resolve().parents[1]
BENCH_DIR = REPO_ROOT / "benchmarks"
RESULTS_DIR = BENCH_DIR / "results"
BASELINE_PATH = BENCH_DIR / "baseline.json"


class BenchmarkError(LivenessError):
    """Bad benchmark input: a peer description, a baseline file, a labelled set."""

    code = "BENCHMARK_INVALID"


@dataclass(frozen=True)
class Figure:
    """A measured number and its regression rule.

    Parameters
    ----------
    value : the measurement.
    higher_is_better : direction of improvement.
    tolerance : how much worse than the baseline is still accepted.
    relative : ``tolerance`` is a share of the baseline value (ratios) rather than an
        absolute amount (error rates, AUC).

    Examples
    --------
    >>> Figure(0.95, higher_is_better=True, tolerance=0.03).limit(0.95)
    0.92
    >>> round(Figure(1.2, higher_is_better=False, tolerance=0.5, relative=True).limit(1.0), 3)
    1.5
    """

    value: float
    higher_is_better: bool
    tolerance: float
    relative: bool = False

    def limit(self, baseline: float) -> float:
        """The worst value still accepted against ``baseline``."""
        slack = abs(baseline) * self.tolerance if self.relative else self.tolerance
        return round(baseline - slack if self.higher_is_better else baseline + slack, 12)

    def regressed(self, baseline: float) -> bool:
        limit = self.limit(baseline)
        return self.value < limit if self.higher_is_better else self.value > limit

    def to_dict(self) -> dict[str, Any]:
        return {
            "value": self.value,
            "higher_is_better": self.higher_is_better,
            "tolerance": self.tolerance,
            "relative": self.relative,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, where: str = "figure") -> Figure:
        try:
            value = float(data["value"])
            tolerance = float(data["tolerance"])
            higher = data["higher_is_better"]
            relative = data.get("relative", False)
        except (KeyError, TypeError, ValueError) as exc:
            raise BenchmarkError(f"{where}: needs numeric value and tolerance and higher_is_better ({exc})") from exc
        if not isinstance(higher, bool) or not isinstance(relative, bool):
            raise BenchmarkError(f"{where}: higher_is_better and relative must be true or false")
        if not math.isfinite(value) or not math.isfinite(tolerance) or tolerance < 0:
            raise BenchmarkError(f"{where}: value must be finite and tolerance finite and >= 0")
        return cls(value=value, higher_is_better=higher, tolerance=tolerance, relative=relative)


# Accuracy tolerances are absolute; a small set moves in steps of 1/n, hence the looser
# per-species ones. Speed figures are ratios of the same run, allowed to worsen by a share:
# on a shared 2-core machine a best-of-5 attempt/decode ratio moved by half between runs.
ACCURACY_RULES: dict[str, tuple[bool, float]] = {
    "auc": (True, 0.03),
    "eer": (False, 0.03),
    "bpcer_at_apcer_5": (False, 0.10),
    "apcer_at_bpcer_5": (False, 0.10),
    "fta_bona_fide_rate": (False, 0.05),
    "auc_species": (True, 0.05),
    # ID documents, at the forgery model's review threshold: a species' APCER may rise by 0.10
    # (or one file's worth when it has fewer than ten: ``benchmarks.documents.apcer_tolerance``).
    "bpcer": (False, 0.10),
    "apcer_species": (False, 0.10),
    "fta_rate": (False, 0.05),
}
SPEED_RATIO_TOLERANCE = 1.0
SPEEDUP_TOLERANCE = 0.5
MEMORY_TOLERANCE = 1.0


def accuracy_figure(kind: str, value: float) -> Figure:
    """A figure for accuracy metric ``kind`` (a key of ``ACCURACY_RULES``)."""
    higher, tolerance = ACCURACY_RULES[kind]
    return Figure(float(value), higher_is_better=higher, tolerance=tolerance)


def speed_figure(value: float, *, higher_is_better: bool = False) -> Figure:
    """A same-run speed ratio: a time ratio may grow by ``SPEED_RATIO_TOLERANCE`` of itself, a
    speed-up may fall by ``SPEEDUP_TOLERANCE`` of itself.

    >>> speed_figure(1.2).limit(1.2), speed_figure(0.8, higher_is_better=True).limit(0.8)
    (2.4, 0.4)
    """
    tolerance = SPEEDUP_TOLERANCE if higher_is_better else SPEED_RATIO_TOLERANCE
    return Figure(float(value), higher_is_better=higher_is_better, tolerance=tolerance, relative=True)


def display_path(path: Path | str) -> str:
    """``path`` relative to the repository when that is shorter (reports and the committed
    baseline should not carry one machine's absolute paths).

    >>> display_path(REPO_ROOT / "benchmarks" / "baseline.json")
    'benchmarks/baseline.json'
    """
    relative = os.path.relpath(Path(path).resolve(), REPO_ROOT)
    return relative if len(relative) < len(str(path)) else str(path)


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MiB (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def json_ready(value: Any) -> Any:
    """``liveness.scoring.report.json_ready`` that also knows our ``Figure``."""
    return _json_ready(value, default=lambda item: item.to_dict() if isinstance(item, Figure) else item)


def write_json(path: Path, data: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(json_ready(data), indent=2, allow_nan=False) + "\n")
    return path
