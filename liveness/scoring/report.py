"""Evaluation report files: per-file scores, metrics and plots.

``write_report`` produces, in one folder::

    scores.csv       one row per file: path, label, species, source, spoof_score, decision,
                     reasons, fta
    metrics.json     the metrics dict (from ``metrics.evaluate``), NaN/inf written as null
    det_curve.png    DET curve of each attack species against all bona fide, probit axes
    score_hist.png   spoof-score distribution of bona fide and of each attack species

Every file is rendered in memory first and then written to a temporary name and renamed,
so an interrupted run leaves either the previous file or the new one, never half of one.
Plots use matplotlib's Agg canvas directly (no pyplot, so no global backend state).
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import uuid
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from statistics import NormalDist
from typing import TYPE_CHECKING, Any

import numpy as np

from liveness.errors import LivenessError
from liveness.scoring.metrics import apcer_bpcer, det_curve, roc_auc

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "CSV_COLUMNS",
    "ReportError",
    "det_plot_png",
    "score_hist_png",
    "write_report",
]

CSV_COLUMNS = ("path", "label", "species", "source", "spoof_score", "decision", "reasons", "fta")

# DET axes span 0.1 % .. 99.9 %; rates of 0 or 1 are drawn on the frame.
_DET_LIMITS = (0.001, 0.999)
_DET_TICKS = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 0.9, 0.95, 0.98, 0.99, 0.995, 0.999)
_BONA_FIDE_COLOR = "0.25"
_SPECIES_COLORS = (
    "tab:red",
    "tab:blue",
    "tab:orange",
    "tab:green",
    "tab:purple",
    "tab:brown",
    "tab:pink",
    "tab:olive",
    "tab:cyan",
)
_PNG_DPI = 120


class ReportError(LivenessError):
    """Rows or metrics that cannot be written as a report."""

    code = "REPORT_INVALID"


# --------------------------------------------------------------------------- public API


def write_report(
    out_dir: str | Path,
    rows: Sequence[Mapping[str, Any]],
    metrics: Mapping[str, Any],
    *,
    title: str = "",
) -> dict[str, Path]:
    """Write ``scores.csv``, ``metrics.json``, ``det_curve.png`` and ``score_hist.png``.

    Parameters
    ----------
    out_dir : str or Path
        Output folder, created if missing; existing report files are replaced.
    rows : sequence of mapping
        One per file with ``path`` and ``label`` (``bona_fide`` or ``attack``), and
        optionally ``species``, ``source``, ``spoof_score`` (None/NaN for a failure to
        acquire), ``decision``, ``reasons`` (str or list of codes) and ``fta`` (bool).
        A missing ``decision`` is derived from ``metrics["threshold"]`` when there is one.
    metrics : mapping
        Written as JSON; ``threshold`` and ``auc_per_species`` are also used by the plots.
    title : str, optional
        Plot title (e.g. model name and data set).

    Returns
    -------
    dict of str to Path
        File kind (``scores``, ``metrics``, ``det_curve``, ``score_hist``) to written path.

    Raises
    ------
    ReportError
        For rows without a path or a valid label, a non-numeric score, or metrics that are
        not JSON-serializable.

    Examples
    --------
    >>> import tempfile
    >>> rows = [{"path": "a.mp4", "label": "bona_fide", "spoof_score": 0.1},
    ...         {"path": "b.mp4", "label": "attack", "species": "replay", "spoof_score": 0.9}]
    >>> written = write_report(tempfile.mkdtemp(), rows, {"threshold": 0.5}, title="demo")
    >>> sorted(written)
    ['det_curve', 'metrics', 'score_hist', 'scores']
    >>> written["scores"].read_text().splitlines()[2]
    'b.mp4,attack,replay,,0.9,attack,,false'
    """
    if not isinstance(metrics, Mapping):
        raise ReportError(f"metrics must be a mapping, got {type(metrics).__name__}")
    records = [_normalize_row(row, index) for index, row in enumerate(rows)]
    threshold = _optional_threshold(metrics.get("threshold"))

    y_true = np.array([r["label"] == "attack" for r in records], dtype=np.int64)
    y_score = np.array([r["score"] for r in records], dtype=np.float64)
    species = [r["species"] for r in records]
    fta = np.array([r["fta"] for r in records], dtype=bool)

    contents = {
        "scores": ("scores.csv", _scores_csv(records, threshold).encode("utf-8")),
        "metrics": ("metrics.json", _metrics_json(metrics).encode("utf-8")),
        "det_curve": (
            "det_curve.png",
            det_plot_png(y_true, y_score, species, threshold=threshold, fta=fta, title=title),
        ),
        "score_hist": (
            "score_hist.png",
            score_hist_png(y_true, y_score, species, threshold=threshold, fta=fta, title=title),
        ),
    }
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    for kind, (name, data) in contents.items():
        written[kind] = _write_atomic(folder / name, data)
    return written


def det_plot_png(
    y_true: Any,
    y_score: Any,
    species: Any,
    *,
    threshold: float | None = None,
    fta: Any = None,
    title: str = "",
) -> bytes:
    """A DET plot (APCER vs BPCER on normal-deviate axes) of each species, as PNG bytes.

    Each attack species is plotted against all bona fide samples. Failures to acquire (the
    ``fta`` mask and NaN scores) are rejected at every threshold, as in
    :func:`liveness.scoring.metrics.evaluate`. The operating point at ``threshold`` is
    marked on each curve and the legend gives each species' AUC and size.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        1 for attack, 0 for bona fide.
    y_score : array-like of shape (n_samples,)
        Spoof scores, higher = more likely attack; NaN for a failure to acquire.
    species : array-like of str, shape (n_samples,)
        Attack species per sample (ignored for bona fide).
    threshold : float, optional
        Operating threshold to mark.
    fta : array-like of bool, shape (n_samples,), optional
        True where the attempt failed to acquire.
    title : str, optional
        Plot title.

    Returns
    -------
    bytes
        A PNG image. With only one class present the axes carry a note instead of curves.

    References
    ----------
    Martin et al., "The DET curve in assessment of detection task performance",
    Eurospeech 1997; ISO/IEC 30107-3.

    Examples
    --------
    >>> png = det_plot_png([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8], ["none", "none", "replay", "print"])
    >>> png[:8] == b"\\x89PNG\\r\\n\\x1a\\n"
    True
    """
    attack, scores, names = _plot_inputs(y_true, y_score, species, fta)
    threshold = _optional_threshold(threshold)
    figure, axes = _new_figure()
    probit = np.vectorize(NormalDist().inv_cdf, otypes=[np.float64])
    low, high = probit(np.asarray(_DET_LIMITS))

    def to_axis(rates: np.ndarray) -> np.ndarray:
        return probit(np.clip(rates, *_DET_LIMITS))

    # Each curve needs bona fide samples; without them there is nothing to draw.
    attack_species = sorted(set(names[attack].tolist())) if (~attack).any() else []
    if not attack_species:
        _note(axes, "DET needs both bona fide and attack samples")
    for color, name in zip(_colors(len(attack_species)), attack_species, strict=True):
        subset = ~attack | (names == name)
        labels, subset_scores = attack[subset].astype(np.int64), scores[subset]
        apcer, bpcer, _ = det_curve(labels, subset_scores)
        auc = roc_auc(labels, subset_scores)
        axes.plot(
            to_axis(apcer),
            to_axis(bpcer),
            color=color,
            linewidth=1.6,
            label=f"{name} (AUC {auc:.3f}, n={int(labels.sum())})",
        )
        if threshold is not None:
            point_apcer, point_bpcer = apcer_bpcer(labels, subset_scores, threshold=threshold)
            axes.plot(
                to_axis(np.array([point_apcer])),
                to_axis(np.array([point_bpcer])),
                marker="o",
                markersize=7,
                markerfacecolor="white",
                markeredgewidth=2,
                color=color,
                linestyle="none",
            )
    axes.plot([low, high], [low, high], color="0.6", linestyle=":", linewidth=1, label="EER line")
    if threshold is not None and attack_species:
        axes.plot(
            [],
            [],
            marker="o",
            markerfacecolor="white",
            color="0.3",
            linestyle="none",
            label=f"operating point (t = {threshold:.4g})",
        )
    ticks = probit(np.asarray(_DET_TICKS))
    tick_labels = [f"{100 * rate:g}" for rate in _DET_TICKS]
    axes.set_xticks(ticks, tick_labels, fontsize=7)
    axes.set_yticks(ticks, tick_labels, fontsize=7)
    axes.set_xlim(low, high)
    axes.set_ylim(low, high)
    axes.set_xlabel("APCER (%): attacks accepted as bona fide")
    axes.set_ylabel("BPCER (%): bona fide rejected as attacks")
    n_bona_fide = int((~attack).sum())
    n_fta = int(np.isinf(scores).sum())
    axes.set_title(_title(title, f"DET per attack species (bona fide n={n_bona_fide}, FTA n={n_fta})"), fontsize=10)
    axes.grid(True, color="0.9")
    if axes.get_legend_handles_labels()[0]:
        axes.legend(loc="upper right", fontsize=8)
    return _png_bytes(figure)


def score_hist_png(
    y_true: Any,
    y_score: Any,
    species: Any,
    *,
    threshold: float | None = None,
    fta: Any = None,
    title: str = "",
) -> bytes:
    """Histograms of the spoof score of bona fide and of each attack species, as PNG bytes.

    Each group's bars sum to 1 so groups of very different sizes can be compared; group
    sizes and failures to acquire (not drawn) are in the legend.

    Parameters
    ----------
    y_true, y_score, species, threshold, fta, title
        As in :func:`det_plot_png`.

    Returns
    -------
    bytes
        A PNG image.

    Examples
    --------
    >>> png = score_hist_png([0, 1], [0.2, 0.7], ["none", "replay"], threshold=0.5)
    >>> png.startswith(b"\\x89PNG")
    True
    """
    attack, scores, names = _plot_inputs(y_true, y_score, species, fta)
    threshold = _optional_threshold(threshold)
    figure, axes = _new_figure()
    acquired = np.isfinite(scores)
    edges = _bin_edges(scores[acquired])
    attack_species = sorted(set(names[attack].tolist()))
    groups = [("bona fide", ~attack, _BONA_FIDE_COLOR)] + [
        (name, attack & (names == name), color)
        for name, color in zip(attack_species, _colors(len(attack_species)), strict=True)
    ]
    for label, members, color in groups:
        if not members.any():
            continue
        values = scores[members & acquired]
        n_fta = int((members & ~acquired).sum())
        legend = f"{label} (n={int(members.sum())}" + (f", FTA {n_fta})" if n_fta else ")")
        if values.size:
            axes.hist(
                values,
                bins=edges,
                weights=np.full(values.size, 1.0 / values.size),
                histtype="step",
                linewidth=1.6,
                color=color,
                label=legend,
            )
        else:
            axes.plot([], [], color=color, label=legend)
    if threshold is not None:
        axes.axvline(threshold, color="black", linestyle="--", linewidth=1, label=f"threshold {threshold:.4g}")
    if not groups[0][1].any() and not attack.any():
        _note(axes, "no samples")
    axes.set_xlabel("spoof score (attack if score >= threshold)")
    axes.set_ylabel("share of the group")
    axes.set_title(_title(title, "Spoof-score distribution per species"), fontsize=10)
    axes.grid(True, color="0.9")
    if axes.get_legend_handles_labels()[0]:
        axes.legend(loc="upper center", fontsize=8)
    return _png_bytes(figure)


# --------------------------------------------------------------------------- rows and files


def _normalize_row(row: Mapping[str, Any], index: int) -> dict[str, Any]:
    where = f"row {index}"
    if not isinstance(row, Mapping):
        raise ReportError(f"{where}: expected a mapping, got {type(row).__name__}")
    path = row.get("path")
    if path is None or str(path) == "":
        raise ReportError(f"{where}: missing path")
    label = str(row.get("label", ""))
    if label not in ("bona_fide", "attack"):
        raise ReportError(f"{where} ({path}): label must be bona_fide or attack, got {label!r}")
    raw_score = row.get("spoof_score")
    if raw_score is None:
        score = math.nan
    else:
        try:
            score = float(raw_score)
        except (TypeError, ValueError) as exc:
            raise ReportError(f"{where} ({path}): spoof_score {raw_score!r} is not a number") from exc
    fta = bool(row.get("fta", False)) or math.isnan(score)
    species = str(row.get("species") or ("none" if label == "bona_fide" else "unknown"))
    reasons = row.get("reasons") or ()
    if isinstance(reasons, str):
        reasons_text = reasons
    elif isinstance(reasons, Sequence):
        reasons_text = ";".join(str(reason) for reason in reasons)
    else:
        raise ReportError(f"{where} ({path}): reasons must be a string or a list of codes")
    return {
        "path": str(path),
        "label": label,
        "species": species,
        "source": "" if row.get("source") is None else str(row.get("source")),
        "score": math.inf if fta else score,
        "raw_score": score,
        "decision": None if row.get("decision") is None else str(row.get("decision")),
        "reasons": reasons_text,
        "fta": fta,
    }


def _scores_csv(records: list[dict[str, Any]], threshold: float | None) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for record in records:
        decision = record["decision"]
        if decision is None:
            if record["fta"]:
                decision = "attack"
            elif threshold is not None:
                decision = "attack" if record["score"] >= threshold else "bona_fide"
            else:
                decision = ""
        raw = record["raw_score"]
        writer.writerow(
            [
                record["path"],
                record["label"],
                record["species"],
                record["source"],
                repr(raw) if math.isfinite(raw) else "",
                decision,
                record["reasons"],
                "true" if record["fta"] else "false",
            ]
        )
    return buffer.getvalue()


def json_ready(value: Any, *, default: Callable[[Any], Any] | None = None) -> Any:
    """Plain JSON values: NaN/inf → None, numpy scalars and arrays → Python, paths → str.

    ``default`` converts any other object (e.g. a dataclass to its dict); its result is
    made JSON-ready in turn.

    >>> json_ready({"a": float("nan"), "b": np.arange(2)})
    {'a': None, 'b': [0, 1]}
    """
    if isinstance(value, Mapping):
        return {str(key): json_ready(item, default=default) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_ready(item, default=default) for item in value]
    if isinstance(value, np.ndarray):
        return [json_ready(item, default=default) for item in value.tolist()]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Path):
        return str(value)
    if default is not None and not isinstance(value, str | int | float | bool | type(None)):
        converted = default(value)
        return value if converted is value else json_ready(converted, default=default)
    return value


def _metrics_json(metrics: Mapping[str, Any]) -> str:
    try:
        return json.dumps(json_ready(metrics), indent=2, allow_nan=False) + "\n"
    except (TypeError, ValueError) as exc:
        raise ReportError(f"metrics are not JSON-serializable: {exc}") from exc


def _write_atomic(path: Path, data: bytes) -> Path:
    """Write to a unique temporary name in the same folder, then rename over ``path``."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with temporary.open("xb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return path


# --------------------------------------------------------------------------- plotting helpers


def _plot_inputs(y_true: Any, y_score: Any, species: Any, fta: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(attack mask, scores with failures to acquire as +inf, species names)."""
    try:
        labels = np.asarray(y_true)
        scores = np.asarray(y_score, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ReportError(f"y_true / y_score are not numeric arrays: {exc}") from exc
    if labels.ndim != 1 or labels.shape != scores.shape:
        raise ReportError(f"y_true {labels.shape} and y_score {scores.shape} must be 1-D and equal")
    if labels.size and not set(np.unique(labels).tolist()) <= {0, 1}:
        raise ReportError("y_true must hold only 0 (bona fide) and 1 (attack)")
    failed = np.isnan(scores)
    if fta is not None:
        mask = np.asarray(fta)
        if mask.shape != scores.shape or mask.dtype != bool:
            raise ReportError(f"fta must be a boolean mask of shape {scores.shape}")
        failed |= mask
    names = np.array([str(name) for name in np.asarray(species, dtype=object).ravel()], dtype=object)
    if names.shape != scores.shape:
        raise ReportError(f"species must have one entry per sample ({scores.size})")
    return labels.astype(bool), np.where(failed, np.inf, scores), names


def _optional_threshold(value: Any) -> float | None:
    if value is None:
        return None
    try:
        threshold = float(value)
    except (TypeError, ValueError) as exc:
        raise ReportError(f"threshold {value!r} is not a number") from exc
    if not math.isfinite(threshold):
        raise ReportError(f"threshold must be finite, got {value!r}")
    return threshold


def _bin_edges(values: np.ndarray) -> np.ndarray:
    if values.size == 0 or (values.min() >= 0.0 and values.max() <= 1.0):
        return np.linspace(0.0, 1.0, 41)
    low, high = float(values.min()), float(values.max())
    if high - low < 1e-12:
        low, high = low - 0.5, high + 0.5
    return np.linspace(low, high, 41)


def _colors(count: int) -> list[str]:
    return [_SPECIES_COLORS[i % len(_SPECIES_COLORS)] for i in range(count)]


def _title(title: str, subtitle: str) -> str:
    return f"{title}\n{subtitle}" if title else subtitle


def _note(axes: Axes, text: str) -> None:
    axes.text(0.5, 0.5, text, transform=axes.transAxes, ha="center", va="center", color="0.4")


def _new_figure() -> tuple[Figure, Axes]:
    # Imported here: only report writers pay matplotlib's import time, not the server.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6.4, 5.6), layout="constrained")
    FigureCanvasAgg(figure)
    return figure, figure.add_subplot()


def _png_bytes(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    # No timestamp metadata, so the same inputs give the same bytes.
    figure.savefig(buffer, format="png", dpi=_PNG_DPI, metadata={"Software": None})
    return buffer.getvalue()
