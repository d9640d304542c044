"""Presentation-attack-detection metrics (ISO/IEC 30107-3), numpy only.

Shared by the runtime CLI, ``training/`` and ``benchmarks/``. Conventions, used everywhere:

- ``y_score`` is a *spoof* score: higher means more likely an attack.
- ``y_true`` is 1 for an attack presentation and 0 for a bona fide one (bools work too).
- A sample is classified *attack* when ``score >= threshold``.
- ``+inf`` is a score that is rejected at every threshold (e.g. a failure to acquire) and
  ``-inf`` one that is accepted at every threshold; ``NaN`` is refused (``evaluate`` maps it
  to a failure to acquire).

Error rates follow ISO/IEC 30107-3:

- APCER: the share of attack presentations classified bona fide (reported per species, and
  the worst species is the headline number).
- BPCER: the share of bona fide presentations classified attack.
- BPCER20 / BPCER100: the BPCER at the threshold where the APCER is at most 5 % / 1 %
  (``bpcer_at_apcer(apcer=0.05)`` / ``apcer=0.01``).

Every threshold-sweeping function uses one counting core over the *candidate* thresholds:
the distinct finite scores in increasing order, then one value just above the largest
finite score (the "nothing is rejected by score" point). Any other threshold gives the same
decisions as one of these.

Input errors raise :class:`MetricInputError`, which is both a
:class:`~liveness.errors.LivenessError` (code ``METRICS_INPUT_INVALID``) and a ``ValueError``
as in scikit-learn.

References
----------
ISO/IEC 30107-3, *Information technology — Biometric presentation attack detection —
Part 3: Testing and reporting* (2017; 2nd ed. 2023).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from liveness.errors import LivenessError

__all__ = [
    "BootstrapResult",
    "MetricInputError",
    "acer",
    "apcer_at_bpcer",
    "apcer_bpcer",
    "apcer_per_species",
    "bootstrap_ci",
    "bpcer_at_apcer",
    "det_curve",
    "eer",
    "evaluate",
    "roc_auc",
    "threshold_at_apcer",
    "threshold_at_bpcer",
]

# Rates are count / n; a target given as a decimal (0.05) must accept 1/20 despite rounding.
_RATE_TOLERANCE = 1e-12


class MetricInputError(LivenessError, ValueError):
    """Labels, scores or options that a metric cannot be computed from."""

    code = "METRICS_INPUT_INVALID"


class BootstrapResult(NamedTuple):
    """A percentile bootstrap interval around a metric's value on the full sample."""

    estimate: float
    low: float
    high: float
    n_valid: int  # resamples on which the metric was defined


# --------------------------------------------------------------------------- validation


def _check_labels_scores(y_true: Any, y_score: Any) -> tuple[np.ndarray, np.ndarray]:
    """Return (bool attack mask, float scores), refusing shapes, NaNs and non-binary labels."""
    try:
        labels = np.asarray(y_true)
        scores = np.asarray(y_score, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise MetricInputError(f"y_true / y_score are not numeric arrays: {exc}") from exc
    if labels.ndim != 1 or scores.ndim != 1:
        raise MetricInputError(
            f"y_true and y_score must be 1-D, got shapes {labels.shape} and {scores.shape}"
        )
    if labels.shape != scores.shape:
        raise MetricInputError(
            f"y_true and y_score differ in length: {labels.shape[0]} != {scores.shape[0]}"
        )
    if labels.size == 0:
        raise MetricInputError("y_true and y_score are empty")
    if labels.dtype == bool:
        attack = labels.copy()
    else:
        if labels.dtype.kind not in "iuf":
            raise MetricInputError(f"y_true must hold 0/1 or bools, got dtype {labels.dtype}")
        values = set(np.unique(labels).tolist())
        if not values <= {0, 1}:
            raise MetricInputError(
                f"y_true must hold only 0 (bona fide) and 1 (attack), found {sorted(values)}"
            )
        attack = labels == 1
    if np.isnan(scores).any():
        raise MetricInputError(
            "y_score contains NaN; score failures to acquire as +inf "
            "(or pass them to evaluate() as fta)"
        )
    return attack, scores


def _require_both_classes(attack: np.ndarray) -> None:
    n_attack = int(attack.sum())
    if n_attack == 0 or n_attack == attack.size:
        only = "attack" if n_attack else "bona fide"
        raise MetricInputError(
            f"only {only} samples given: this metric needs both attack and bona fide samples"
        )


def _check_rate(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.floating | np.integer):
        raise MetricInputError(f"{name} must be a number in [0, 1], got {value!r}")
    rate = float(value)
    if not 0.0 <= rate <= 1.0:
        raise MetricInputError(f"{name} must be in [0, 1], got {value!r}")
    return rate


def _check_threshold(value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.floating | np.integer):
        raise MetricInputError(f"threshold must be a finite number, got {value!r}")
    threshold = float(value)
    if not math.isfinite(threshold):
        raise MetricInputError(f"threshold must be a finite number, got {value!r}")
    return threshold


def _check_species(species: Any, n: int) -> np.ndarray:
    names = np.asarray(species, dtype=object)
    if names.ndim != 1 or names.shape[0] != n:
        raise MetricInputError(
            f"species must be 1-D with one entry per sample ({n}), got shape {names.shape}"
        )
    return np.array([str(name) for name in names], dtype=object)


# --------------------------------------------------------------------------- counting core


def _candidate_thresholds(scores: np.ndarray) -> np.ndarray:
    """Distinct finite scores (increasing) plus one value above the largest of them."""
    finite = np.unique(scores[np.isfinite(scores)])
    if finite.size == 0:
        # Every score is ±inf: all finite thresholds give the same decisions.
        return np.array([0.0])
    return np.append(finite, np.nextafter(finite[-1], np.inf))


def _error_counts(
    attack: np.ndarray, scores: np.ndarray, thresholds: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(attacks accepted, bona fide rejected) at each threshold, for ``score >= t`` = attack."""
    attack_sorted = np.sort(scores[attack])
    bona_fide_sorted = np.sort(scores[~attack])
    attacks_accepted = np.searchsorted(attack_sorted, thresholds, side="left")
    bona_fide_rejected = bona_fide_sorted.size - np.searchsorted(
        bona_fide_sorted, thresholds, side="left"
    )
    return attacks_accepted, bona_fide_rejected


def _det_points(attack: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    thresholds = _candidate_thresholds(scores)
    accepted, rejected = _error_counts(attack, scores, thresholds)
    n_attack = int(attack.sum())
    n_bona_fide = attack.size - n_attack
    apcer = accepted / n_attack if n_attack else np.full(thresholds.shape, np.nan)
    bpcer = rejected / n_bona_fide if n_bona_fide else np.full(thresholds.shape, np.nan)
    return apcer, bpcer, thresholds


def _threshold_at_bpcer(attack: np.ndarray, scores: np.ndarray, target: float) -> float:
    _, bpcer, thresholds = _det_points(attack, scores)
    # BPCER is non-increasing in the threshold: the first candidate that meets the target is
    # the smallest one. When none does (bona fide scored +inf), aim at the lowest BPCER.
    reachable = max(target, float(bpcer.min()))
    return float(thresholds[np.flatnonzero(bpcer <= reachable + _RATE_TOLERANCE)[0]])


def _threshold_at_apcer(attack: np.ndarray, scores: np.ndarray, target: float) -> float:
    apcer, _, thresholds = _det_points(attack, scores)
    # APCER is non-decreasing in the threshold: the last candidate that meets the target is
    # the largest one, i.e. the one with the fewest bona fide rejections. When none does
    # (attacks scored -inf), aim at the lowest APCER.
    reachable = max(target, float(apcer.min()))
    return float(thresholds[np.flatnonzero(apcer <= reachable + _RATE_TOLERANCE)[-1]])


def _rates_at(attack: np.ndarray, scores: np.ndarray, threshold: float) -> tuple[float, float]:
    accepted, rejected = _error_counts(attack, scores, np.array([threshold]))
    n_attack = int(attack.sum())
    n_bona_fide = attack.size - n_attack
    apcer = float(accepted[0]) / n_attack if n_attack else math.nan
    bpcer = float(rejected[0]) / n_bona_fide if n_bona_fide else math.nan
    return apcer, bpcer


def _average_ranks(values: np.ndarray) -> np.ndarray:
    """1-based ranks with ties given the mean of the ranks they span."""
    order = np.argsort(values, kind="mergesort")
    sorted_values = values[order]
    # Start index of each run of equal values, and the run each sorted position belongs to.
    starts = np.flatnonzero(np.r_[True, sorted_values[1:] != sorted_values[:-1]])
    run_of = np.cumsum(np.r_[True, sorted_values[1:] != sorted_values[:-1]]) - 1
    ends = np.r_[starts[1:], values.size]  # exclusive
    run_rank = (starts + 1 + ends) / 2.0  # mean of ranks starts+1 .. ends
    ranks = np.empty(values.size, dtype=np.float64)
    ranks[order] = run_rank[run_of]
    return ranks


def _roc_auc(attack: np.ndarray, scores: np.ndarray) -> float:
    n_attack = int(attack.sum())
    n_bona_fide = attack.size - n_attack
    ranks = _average_ranks(scores)
    rank_sum = float(ranks[attack].sum())
    return (rank_sum - n_attack * (n_attack + 1) / 2.0) / (n_attack * n_bona_fide)


def _eer(attack: np.ndarray, scores: np.ndarray) -> float:
    apcer, bpcer, _ = _det_points(attack, scores)
    gap = apcer - bpcer
    # gap is non-decreasing and, with finite scores, runs from -1 to 1. Interpolate linearly
    # between the last point below the diagonal and the first one on or above it. Infinite
    # scores can keep the curve on one side; then the nearest end is the best estimate.
    crossing = np.flatnonzero(gap >= 0)
    if crossing.size == 0:
        return float((apcer[-1] + bpcer[-1]) / 2.0)
    first = int(crossing[0])
    if first == 0:
        return float((apcer[0] + bpcer[0]) / 2.0)
    before = first - 1
    fraction = -gap[before] / (gap[first] - gap[before])
    return float(apcer[before] + fraction * (apcer[first] - apcer[before]))


# --------------------------------------------------------------------------- public metrics


def roc_auc(y_true: Any, y_score: Any) -> float:
    """Area under the ROC curve: the chance an attack outscores a bona fide sample.

    Computed from the Mann-Whitney U statistic; tied scores are given average ranks, so a
    tie between an attack and a bona fide sample counts one half.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        1 for attack, 0 for bona fide.
    y_score : array-like of shape (n_samples,)
        Spoof scores, higher = more likely attack.

    Returns
    -------
    float
        AUC in [0, 1]; 0.5 is chance, 1.0 perfect separation.

    Raises
    ------
    MetricInputError
        (a ``ValueError``) if only one class is present or the input is malformed.

    See Also
    --------
    det_curve : error rates at every threshold.

    Examples
    --------
    >>> roc_auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    0.75
    >>> roc_auc([0, 1], [0.5, 0.5])
    0.5
    """
    attack, scores = _check_labels_scores(y_true, y_score)
    _require_both_classes(attack)
    return _roc_auc(attack, scores)


def det_curve(y_true: Any, y_score: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """APCER and BPCER at every distinct threshold (a detection error tradeoff curve).

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        1 for attack, 0 for bona fide.
    y_score : array-like of shape (n_samples,)
        Spoof scores, higher = more likely attack.

    Returns
    -------
    apcer : ndarray of shape (n_thresholds,)
        Share of attacks with ``score < threshold``; non-decreasing.
    bpcer : ndarray of shape (n_thresholds,)
        Share of bona fide samples with ``score >= threshold``; non-increasing.
    thresholds : ndarray of shape (n_thresholds,)
        The distinct finite scores in increasing order, then one value just above the
        largest (where no sample is rejected by its score).

    Raises
    ------
    MetricInputError
        (a ``ValueError``) if only one class is present or the input is malformed.

    References
    ----------
    ISO/IEC 30107-3, clause on APCER and BPCER; Martin et al., "The DET curve in assessment
    of detection task performance", Eurospeech 1997.

    Examples
    --------
    >>> apcer, bpcer, thresholds = det_curve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    >>> thresholds[:4].tolist()
    [0.1, 0.35, 0.4, 0.8]
    >>> apcer.tolist()
    [0.0, 0.0, 0.5, 0.5, 1.0]
    >>> bpcer.tolist()
    [1.0, 0.5, 0.5, 0.0, 0.0]
    """
    attack, scores = _check_labels_scores(y_true, y_score)
    _require_both_classes(attack)
    return _det_points(attack, scores)


def apcer_bpcer(y_true: Any, y_score: Any, *, threshold: float) -> tuple[float, float]:
    """APCER and BPCER at one threshold (attack when ``score >= threshold``).

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        1 for attack, 0 for bona fide.
    y_score : array-like of shape (n_samples,)
        Spoof scores, higher = more likely attack.
    threshold : float
        Finite decision threshold.

    Returns
    -------
    apcer : float
        Share of attacks classified bona fide (NaN when there is no attack).
    bpcer : float
        Share of bona fide samples classified attack (NaN when there is none).

    Examples
    --------
    >>> apcer_bpcer([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8], threshold=0.4)
    (0.5, 0.5)
    """
    attack, scores = _check_labels_scores(y_true, y_score)
    return _rates_at(attack, scores, _check_threshold(threshold))


def apcer_per_species(
    y_true: Any, y_score: Any, species: Any, *, threshold: float
) -> dict[str, float]:
    """APCER of each attack species at one threshold.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        1 for attack, 0 for bona fide.
    y_score : array-like of shape (n_samples,)
        Spoof scores, higher = more likely attack.
    species : array-like of str, shape (n_samples,)
        Attack species (presentation attack instrument type) of each sample; ignored for
        bona fide samples.
    threshold : float
        Finite decision threshold.

    Returns
    -------
    dict of str to float
        Species name (sorted) to the share of its attacks classified bona fide. Empty when
        there is no attack.

    Examples
    --------
    >>> apcer_per_species([0, 1, 1, 1], [0.2, 0.9, 0.3, 0.7],
    ...                   ["none", "replay", "replay", "print"], threshold=0.5)
    {'print': 0.0, 'replay': 0.5}
    """
    attack, scores = _check_labels_scores(y_true, y_score)
    names = _check_species(species, attack.size)
    return _apcer_per_species(attack, scores, names, _check_threshold(threshold))


def _apcer_per_species(
    attack: np.ndarray, scores: np.ndarray, names: np.ndarray, threshold: float
) -> dict[str, float]:
    result: dict[str, float] = {}
    for name in sorted(set(names[attack].tolist())):
        members = attack & (names == name)
        result[name] = float(np.mean(scores[members] < threshold))
    return result


def threshold_at_bpcer(y_true: Any, y_score: Any, *, bpcer: float = 0.05) -> float:
    """The smallest threshold whose BPCER is at most ``bpcer``.

    Among the thresholds that keep the bona fide rejection rate within the target this one
    rejects the most attacks (lowest APCER). The result is one of the candidate thresholds of
    :func:`det_curve`, so it is a score of the sample (or just above the largest score).

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        1 for attack, 0 for bona fide; at least one bona fide sample.
    y_score : array-like of shape (n_samples,)
        Spoof scores, higher = more likely attack.
    bpcer : float, default=0.05
        Target BPCER in [0, 1].

    Returns
    -------
    float
        The threshold. If no threshold reaches the target (only when bona fide samples score
        ``+inf``), the smallest one with the lowest attainable BPCER.

    Examples
    --------
    >>> y_true = [0] * 10 + [1] * 2
    >>> y_score = [0.1 * i for i in range(10)] + [0.5, 0.95]
    >>> round(threshold_at_bpcer(y_true, y_score, bpcer=0.2), 6)
    0.8
    >>> round(threshold_at_bpcer(y_true, y_score, bpcer=0.0), 6)
    0.95
    """
    attack, scores = _check_labels_scores(y_true, y_score)
    if attack.all():
        raise MetricInputError("threshold_at_bpcer needs at least one bona fide sample")
    return _threshold_at_bpcer(attack, scores, _check_rate("bpcer", bpcer))


def threshold_at_apcer(y_true: Any, y_score: Any, *, apcer: float = 0.05) -> float:
    """The largest threshold whose APCER is at most ``apcer``.

    Among the thresholds that keep the attack acceptance rate within the target this one
    rejects the fewest bona fide samples (lowest BPCER).

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        1 for attack, 0 for bona fide; at least one attack.
    y_score : array-like of shape (n_samples,)
        Spoof scores, higher = more likely attack.
    apcer : float, default=0.05
        Target APCER in [0, 1].

    Returns
    -------
    float
        The threshold. If no threshold reaches the target (only when attacks score ``-inf``),
        the largest one with the lowest attainable APCER.

    Examples
    --------
    >>> threshold_at_apcer([0, 0, 1, 1, 1, 1], [0.1, 0.6, 0.3, 0.7, 0.8, 0.9], apcer=0.25)
    0.7
    >>> threshold_at_apcer([0, 0, 1, 1, 1, 1], [0.1, 0.6, 0.3, 0.7, 0.8, 0.9], apcer=0.0)
    0.3
    """
    attack, scores = _check_labels_scores(y_true, y_score)
    if not attack.any():
        raise MetricInputError("threshold_at_apcer needs at least one attack sample")
    return _threshold_at_apcer(attack, scores, _check_rate("apcer", apcer))


def bpcer_at_apcer(y_true: Any, y_score: Any, *, apcer: float = 0.05) -> float:
    """The lowest BPCER reachable while the APCER stays at most ``apcer``.

    ISO/IEC 30107-3 names ``apcer=0.05`` BPCER20 and ``apcer=0.01`` BPCER100.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        1 for attack, 0 for bona fide.
    y_score : array-like of shape (n_samples,)
        Spoof scores, higher = more likely attack.
    apcer : float, default=0.05
        Target APCER in [0, 1].

    Returns
    -------
    float
        BPCER at :func:`threshold_at_apcer`.

    Raises
    ------
    MetricInputError
        (a ``ValueError``) if only one class is present or the input is malformed.

    Examples
    --------
    >>> bpcer_at_apcer([0, 0, 1, 1, 1, 1], [0.1, 0.6, 0.3, 0.7, 0.8, 0.9], apcer=0.25)
    0.0
    >>> bpcer_at_apcer([0, 0, 1, 1, 1, 1], [0.1, 0.6, 0.3, 0.7, 0.8, 0.9], apcer=0.0)
    0.5
    """
    attack, scores = _check_labels_scores(y_true, y_score)
    _require_both_classes(attack)
    threshold = _threshold_at_apcer(attack, scores, _check_rate("apcer", apcer))
    return _rates_at(attack, scores, threshold)[1]


def apcer_at_bpcer(y_true: Any, y_score: Any, *, bpcer: float = 0.01) -> float:
    """The lowest APCER reachable while the BPCER stays at most ``bpcer``.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        1 for attack, 0 for bona fide.
    y_score : array-like of shape (n_samples,)
        Spoof scores, higher = more likely attack.
    bpcer : float, default=0.01
        Target BPCER in [0, 1].

    Returns
    -------
    float
        APCER at :func:`threshold_at_bpcer`.

    Examples
    --------
    >>> apcer_at_bpcer([0, 0, 1, 1, 1, 1], [0.1, 0.6, 0.3, 0.7, 0.8, 0.9], bpcer=0.5)
    0.0
    >>> apcer_at_bpcer([0, 0, 1, 1, 1, 1], [0.1, 0.6, 0.3, 0.7, 0.8, 0.9], bpcer=0.0)
    0.25
    """
    attack, scores = _check_labels_scores(y_true, y_score)
    _require_both_classes(attack)
    threshold = _threshold_at_bpcer(attack, scores, _check_rate("bpcer", bpcer))
    return _rates_at(attack, scores, threshold)[0]


def acer(y_true: Any, y_score: Any, species: Any = None, *, threshold: float) -> float:
    """Average classification error rate: (worst-species APCER + BPCER) / 2.

    The ACER was used by early PAD competitions and drafts of ISO/IEC 30107-3; the standard
    asks for APCER and BPCER to be reported separately, so prefer those. It is kept here for
    comparison with published results.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        1 for attack, 0 for bona fide.
    y_score : array-like of shape (n_samples,)
        Spoof scores, higher = more likely attack.
    species : array-like of str, shape (n_samples,), optional
        Attack species per sample; without it all attacks form one species.
    threshold : float
        Finite decision threshold.

    Returns
    -------
    float

    Examples
    --------
    >>> acer([0, 0, 1, 1, 1], [0.2, 0.6, 0.9, 0.3, 0.7],
    ...      ["none", "none", "replay", "replay", "print"], threshold=0.5)
    0.5
    """
    attack, scores = _check_labels_scores(y_true, y_score)
    _require_both_classes(attack)
    threshold = _check_threshold(threshold)
    names = (
        np.full(attack.size, "attack", dtype=object)
        if species is None
        else _check_species(species, attack.size)
    )
    worst_apcer = max(_apcer_per_species(attack, scores, names, threshold).values())
    return (worst_apcer + _rates_at(attack, scores, threshold)[1]) / 2.0


def eer(y_true: Any, y_score: Any) -> float:
    """Equal error rate: where the APCER and BPCER curves cross.

    Found by linear interpolation between the two adjacent points of :func:`det_curve` that
    straddle APCER = BPCER. If infinite scores keep the curves from crossing, the mean of
    APCER and BPCER at the nearest end of the curve is returned.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        1 for attack, 0 for bona fide.
    y_score : array-like of shape (n_samples,)
        Spoof scores, higher = more likely attack.

    Returns
    -------
    float

    Examples
    --------
    >>> eer([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9])
    0.0
    >>> eer([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    0.5
    """
    attack, scores = _check_labels_scores(y_true, y_score)
    _require_both_classes(attack)
    return _eer(attack, scores)


def _group_ids(groups: Any, n: int) -> np.ndarray:
    """Integer group of each sample; a missing group (None or "") is a group of its own."""
    if groups is None:
        return np.arange(n)
    values = np.asarray(groups, dtype=object)
    if values.ndim != 1 or values.shape[0] != n:
        raise MetricInputError(
            f"groups must be 1-D with one entry per sample ({n}), got shape {values.shape}"
        )
    keys = [
        f"\0sample{i}" if value is None or value == "" else f"={value}"
        for i, value in enumerate(values.tolist())
    ]
    return np.unique(np.array(keys), return_inverse=True)[1]


class _UnitSampler:
    """Draws as many resampling units as there are, with replacement, as sample indices."""

    def __init__(self, indices: np.ndarray, unit_of: np.ndarray) -> None:
        order = np.argsort(unit_of, kind="stable")
        self._members = indices[order]
        _, self._starts, self._sizes = np.unique(
            unit_of[order], return_index=True, return_counts=True
        )

    def draw(self, rng: np.random.Generator) -> np.ndarray:
        chosen = rng.integers(0, self._sizes.size, size=self._sizes.size)
        sizes = self._sizes[chosen]
        # Offset of every drawn sample inside its unit, then shift to the unit's start.
        within = np.arange(sizes.sum()) - np.repeat(np.cumsum(sizes) - sizes, sizes)
        return self._members[np.repeat(self._starts[chosen], sizes) + within]


def bootstrap_ci(
    metric_fn: Callable[..., float],
    y_true: Any,
    y_score: Any,
    *,
    species: Any = None,
    groups: Any = None,
    n_boot: int = 1000,
    alpha: float = 0.05,
    seed: int = 0,
    stratify: bool = True,
) -> BootstrapResult:
    """Percentile bootstrap confidence interval of a metric.

    With ``groups`` (e.g. subject ids) whole groups are resampled, so samples of one person
    stay together and the interval reflects how few people were seen. With ``stratify`` the
    resampling is done within each label (units are (label, group) pairs), so every
    resample keeps both classes and their sizes; without it, resamples on which the metric is
    undefined (it raises ``ValueError``, e.g. one class only) are skipped and counted out of
    ``n_valid``.

    Parameters
    ----------
    metric_fn : callable
        ``metric_fn(y_true, y_score)`` or, when ``species`` is given,
        ``metric_fn(y_true, y_score, species)``, returning a float. Bind options with
        ``functools.partial``.
    y_true : array-like of shape (n_samples,)
        1 for attack, 0 for bona fide.
    y_score : array-like of shape (n_samples,)
        Spoof scores, higher = more likely attack.
    species : array-like of str, shape (n_samples,), optional
        Resampled alongside and passed to ``metric_fn``.
    groups : array-like of shape (n_samples,), optional
        Resampling unit of each sample; each sample is its own unit when omitted.
    n_boot : int, default=1000
        Number of resamples (at least 1).
    alpha : float, default=0.05
        The interval covers ``1 - alpha``.
    seed : int, default=0
        Seed of the resampling generator, for reproducible intervals.
    stratify : bool, default=True
        Resample within each label.

    Returns
    -------
    BootstrapResult
        ``estimate`` on the full sample, ``low`` and ``high`` bounds (NaN if no resample was
        valid), and ``n_valid``.

    Examples
    --------
    >>> result = bootstrap_ci(roc_auc, [0, 0, 0, 1, 1, 1], [0.1, 0.2, 0.7, 0.6, 0.8, 0.9],
    ...                       n_boot=200)
    >>> round(result.estimate, 4)
    0.8889
    >>> result.low <= result.estimate <= result.high
    True
    """
    attack, scores = _check_labels_scores(y_true, y_score)
    if not callable(metric_fn):
        raise MetricInputError(f"metric_fn must be callable, got {metric_fn!r}")
    if isinstance(n_boot, bool) or not isinstance(n_boot, int | np.integer) or n_boot < 1:
        raise MetricInputError(f"n_boot must be a positive integer, got {n_boot!r}")
    alpha = _check_rate("alpha", alpha)
    if not 0.0 < alpha < 1.0:
        raise MetricInputError(f"alpha must be in (0, 1), got {alpha!r}")
    names = None if species is None else _check_species(species, attack.size)
    group_ids = _group_ids(groups, attack.size)
    labels01 = attack.astype(np.int64)

    def call(index: np.ndarray) -> float:
        if names is None:
            return float(metric_fn(labels01[index], scores[index]))
        return float(metric_fn(labels01[index], scores[index], names[index]))

    estimate = call(np.arange(attack.size))

    strata = [attack, ~attack] if stratify else [np.ones(attack.size, dtype=bool)]
    samplers = [_UnitSampler(np.flatnonzero(s), group_ids[s]) for s in strata if s.any()]
    rng = np.random.default_rng(seed)
    values: list[float] = []
    for _ in range(int(n_boot)):
        index = np.concatenate([sampler.draw(rng) for sampler in samplers])
        try:
            value = call(index)
        except ValueError:
            continue
        if math.isfinite(value):
            values.append(value)
    if not values:
        return BootstrapResult(estimate, math.nan, math.nan, 0)
    low, high = np.quantile(np.asarray(values), [alpha / 2.0, 1.0 - alpha / 2.0])
    return BootstrapResult(estimate, float(low), float(high), len(values))


# --------------------------------------------------------------------------- evaluate


def _json_float(value: float) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


def evaluate(
    y_true: Any,
    y_score: Any,
    species: Any,
    *,
    threshold: float | None = None,
    fta: Any = None,
    bpcer_target: float = 0.05,
) -> dict[str, Any]:
    """All the numbers of one evaluation run, as JSON-ready plain values.

    Failures to acquire (FTA: attempts where no face or media could be processed, given as
    the boolean mask ``fta``, and every NaN score) are *rejected*, i.e. decided "attack", at
    every threshold: a bona fide FTA counts against the BPCER and an attack FTA counts as
    detected. They are ranked above every score for the AUC and the curves.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        1 for attack, 0 for bona fide.
    y_score : array-like of shape (n_samples,)
        Spoof scores, higher = more likely attack; NaN for a failure to acquire.
    species : array-like of str, shape (n_samples,)
        Attack species per sample (ignored for bona fide samples).
    threshold : float, optional
        Operating threshold. The CLI passes the model manifest's threshold. When omitted it
        is chosen on *these* labels as the smallest threshold with BPCER <= ``bpcer_target``
        (FTA included); the APCER reported at such a threshold is optimistic, since the
        threshold was fitted to the data it is measured on.
    fta : array-like of bool, shape (n_samples,), optional
        True where the attempt failed to acquire.
    bpcer_target : float, default=0.05
        BPCER target used to choose the threshold when none is given.

    Returns
    -------
    dict
        ``n_bona_fide``, ``n_attack`` (ints); ``auc``, ``eer``; ``threshold`` and, at it,
        ``bpcer``, ``apcer`` (species → APCER), ``apcer_max`` and ``acer``;
        ``bpcer_at_apcer_5`` (BPCER20), ``bpcer_at_apcer_1`` (BPCER100),
        ``apcer_at_bpcer_1``, ``apcer_at_bpcer_5``; ``auc_per_species`` (each species
        against all bona fide); ``fta`` = ``{"n", "rate", "n_bona_fide", "bona_fide_rate",
        "n_attack", "attack_rate"}``. Undefined values (e.g. the AUC with one class) are
        ``None``.

    Examples
    --------
    >>> result = evaluate([0, 0, 0, 0, 1, 1, 1], [0.1, 0.2, 0.3, float("nan"), 0.9, 0.8, 0.25],
    ...                   ["none"] * 4 + ["replay", "replay", "print"], threshold=0.5)
    >>> result["bpcer"], result["apcer"], result["apcer_max"]
    (0.25, {'print': 1.0, 'replay': 0.0}, 1.0)
    >>> result["fta"]["bona_fide_rate"], result["auc_per_species"]
    (0.25, {'print': 0.5, 'replay': 0.75})
    """
    labels = np.asarray(y_true)
    try:
        raw_scores = np.asarray(y_score, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise MetricInputError(f"y_score is not a numeric array: {exc}") from exc
    if raw_scores.ndim != 1:
        raise MetricInputError(f"y_score must be 1-D, got shape {raw_scores.shape}")
    failed = np.isnan(raw_scores)
    if fta is not None:
        fta_mask = np.asarray(fta)
        if fta_mask.shape != raw_scores.shape or fta_mask.dtype != bool:
            raise MetricInputError(
                f"fta must be a boolean mask of shape {raw_scores.shape}, "
                f"got {fta_mask.dtype} of shape {fta_mask.shape}"
            )
        failed = failed | fta_mask
    # A failure to acquire is rejected at every threshold: +inf does exactly that.
    scores = np.where(failed, np.inf, raw_scores)
    attack, scores = _check_labels_scores(labels, scores)
    names = _check_species(species, attack.size)
    bpcer_target = _check_rate("bpcer_target", bpcer_target)

    n_attack = int(attack.sum())
    n_bona_fide = attack.size - n_attack
    both = n_attack > 0 and n_bona_fide > 0

    if threshold is not None:
        chosen = _check_threshold(threshold)
    elif n_bona_fide:
        chosen = _threshold_at_bpcer(attack, scores, bpcer_target)
    else:
        chosen = None

    def at_bpcer(target: float) -> float | None:
        if not both:
            return None
        return _rates_at(attack, scores, _threshold_at_bpcer(attack, scores, target))[0]

    def at_apcer(target: float) -> float | None:
        if not both:
            return None
        return _rates_at(attack, scores, _threshold_at_apcer(attack, scores, target))[1]

    apcer_by_species: dict[str, float] = {}
    bpcer: float | None = None
    if chosen is not None:
        apcer_by_species = _apcer_per_species(attack, scores, names, chosen)
        bpcer = _rates_at(attack, scores, chosen)[1]
    apcer_max = max(apcer_by_species.values()) if apcer_by_species else None

    auc_per_species: dict[str, float] = {}
    if n_bona_fide:
        for name in sorted(set(names[attack].tolist())):
            subset = ~attack | (names == name)
            auc_per_species[name] = _roc_auc(attack[subset], scores[subset])

    def rate(mask: np.ndarray) -> float | None:
        return float(failed[mask].mean()) if mask.any() else None

    return {
        "n_bona_fide": n_bona_fide,
        "n_attack": n_attack,
        "auc": _json_float(_roc_auc(attack, scores)) if both else None,
        "eer": _json_float(_eer(attack, scores)) if both else None,
        "threshold": chosen,
        "bpcer": None if bpcer is None else _json_float(bpcer),
        "apcer": apcer_by_species,
        "apcer_max": apcer_max,
        "acer": (apcer_max + bpcer) / 2.0 if apcer_max is not None and bpcer is not None else None,
        "bpcer_at_apcer_5": at_apcer(0.05),
        "bpcer_at_apcer_1": at_apcer(0.01),
        "apcer_at_bpcer_1": at_bpcer(0.01),
        "apcer_at_bpcer_5": at_bpcer(0.05),
        "auc_per_species": auc_per_species,
        "fta": {
            "n": int(failed.sum()),
            "rate": float(failed.mean()),
            "n_bona_fide": int((failed & ~attack).sum()),
            "bona_fide_rate": rate(~attack),
            "n_attack": int((failed & attack).sum()),
            "attack_rate": rate(attack),
        },
    }
