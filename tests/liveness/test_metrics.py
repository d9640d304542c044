"""Tests for liveness.scoring.metrics: worked examples, properties against brute force."""

from __future__ import annotations

import doctest
import functools
import json
import math

import numpy as np
import pytest

from liveness.errors import LivenessError
from liveness.scoring import metrics
from liveness.scoring.metrics import (
    MetricInputError,
    acer,
    apcer_at_bpcer,
    apcer_bpcer,
    apcer_per_species,
    bootstrap_ci,
    bpcer_at_apcer,
    det_curve,
    eer,
    evaluate,
    roc_auc,
    threshold_at_apcer,
    threshold_at_bpcer,
)

EVALUATE_KEYS = {
    "n_bona_fide", "n_attack", "auc", "threshold", "bpcer", "apcer", "apcer_max", "acer",
    "bpcer_at_apcer_5", "apcer_at_bpcer_1", "fta", "eer", "bpcer_at_apcer_1",
    "apcer_at_bpcer_5", "auc_per_species",
}


def brute_rates(y_true: np.ndarray, y_score: np.ndarray, threshold: float) -> tuple[float, float]:
    """APCER, BPCER by the definition, one sample at a time."""
    attacks = [s for y, s in zip(y_true, y_score, strict=True) if y == 1]
    bona_fide = [s for y, s in zip(y_true, y_score, strict=True) if y == 0]
    apcer = sum(s < threshold for s in attacks) / len(attacks)
    bpcer = sum(s >= threshold for s in bona_fide) / len(bona_fide)
    return apcer, bpcer


def brute_auc(y_true: np.ndarray, y_score: np.ndarray) -> float:
    attacks = y_score[y_true == 1]
    bona_fide = y_score[y_true == 0]
    wins = sum((a > b) + 0.5 * (a == b) for a in attacks for b in bona_fide)
    return wins / (len(attacks) * len(bona_fide))


def random_case(seed: int, n_bona_fide: int = 40, n_attack: int = 25, levels: int = 12):
    """Scores on a coarse grid so ties between and within classes are common."""
    rng = np.random.default_rng(seed)
    y_true = np.r_[np.zeros(n_bona_fide, int), np.ones(n_attack, int)]
    y_score = np.r_[
        rng.integers(0, levels - 3, n_bona_fide), rng.integers(3, levels, n_attack)
    ] / levels
    order = rng.permutation(y_true.size)
    return y_true[order], y_score[order]


def test_doctests_pass() -> None:
    result = doctest.testmod(metrics, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 15
    assert result.failed == 0


# --------------------------------------------------------------------------- worked examples


def test_perfect_separation() -> None:
    y_true = [0, 0, 0, 1, 1]
    y_score = [0.1, 0.2, 0.3, 0.7, 0.9]
    assert roc_auc(y_true, y_score) == 1.0
    assert eer(y_true, y_score) == 0.0
    assert bpcer_at_apcer(y_true, y_score, apcer=0.0) == 0.0
    assert apcer_at_bpcer(y_true, y_score, bpcer=0.0) == 0.0
    # The smallest threshold rejecting no bona fide sample is the lowest attack score.
    assert threshold_at_bpcer(y_true, y_score, bpcer=0.0) == 0.7
    # The largest threshold accepting no attack is that same score.
    assert threshold_at_apcer(y_true, y_score, apcer=0.0) == 0.7
    assert apcer_bpcer(y_true, y_score, threshold=0.5) == (0.0, 0.0)


def test_inverted_scores() -> None:
    y_true = [1, 1, 0, 0]
    y_score = [0.1, 0.2, 0.8, 0.9]
    assert roc_auc(y_true, y_score) == 0.0
    assert eer(y_true, y_score) == 1.0
    assert apcer_bpcer(y_true, y_score, threshold=0.5) == (1.0, 1.0)
    # Keeping every attack out means rejecting every bona fide sample.
    assert bpcer_at_apcer(y_true, y_score, apcer=0.0) == 1.0


def test_ties_use_average_ranks() -> None:
    assert roc_auc([0, 1], [0.5, 0.5]) == 0.5
    assert roc_auc([0, 0, 1, 1], [0.3, 0.3, 0.3, 0.3]) == 0.5
    # Attack 0.5 ties bona fide 0.5 (1/2), beats 0.2 (1); attack 0.9 beats both: 3.5 / 4.
    assert roc_auc([0, 0, 1, 1], [0.2, 0.5, 0.5, 0.9]) == pytest.approx(0.875)


@pytest.mark.parametrize("seed", range(5))
def test_auc_matches_pairwise_count(seed: int) -> None:
    y_true, y_score = random_case(seed)
    assert roc_auc(y_true, y_score) == pytest.approx(brute_auc(y_true, y_score), abs=1e-12)


def test_eer_interpolates_between_det_points() -> None:
    # Candidates 0.1 0.2 0.25 0.3 0.35 +: APCER 0 0 0 .5 .5 1, BPCER 1 2/3 1/3 1/3 0 0.
    # The gap crosses zero between 0.25 (-1/3) and 0.3 (+1/6): 2/3 of the way, EER = 1/3.
    assert eer([0, 0, 0, 1, 1], [0.1, 0.2, 0.3, 0.25, 0.35]) == pytest.approx(1 / 3)


def test_iso_bpcer20_worked_example() -> None:
    # 20 attacks: one scores 0.1, the others 0.9. 10 bona fide: 0.0 .. 0.9 in steps of 0.1.
    # APCER <= 5 % allows that one attack through, so the threshold may rise to 0.9 where
    # only the bona fide sample scored 0.9 is rejected: BPCER20 = 1/10.
    y_true = [1] * 20 + [0] * 10
    y_score = [0.1] + [0.9] * 19 + [i / 10 for i in range(10)]
    assert threshold_at_apcer(y_true, y_score, apcer=0.05) == 0.9
    assert bpcer_at_apcer(y_true, y_score, apcer=0.05) == pytest.approx(0.1)
    # APCER <= 1 % forbids it: the threshold must stay at 0.1 and rejects 9 of 10.
    assert bpcer_at_apcer(y_true, y_score, apcer=0.01) == pytest.approx(0.9)
    # BPCER <= 10 % first allowed at 0.9, where 1 attack of 20 passes.
    assert apcer_at_bpcer(y_true, y_score, bpcer=0.1) == pytest.approx(0.05)


def test_apcer_per_species_and_acer() -> None:
    y_true = [0, 0, 0, 0, 1, 1, 1, 1, 1]
    y_score = [0.1, 0.2, 0.3, 0.6, 0.9, 0.4, 0.2, 0.8, 0.7]
    species = ["none"] * 4 + ["replay", "replay", "print", "face_swap", "face_swap"]
    per_species = apcer_per_species(y_true, y_score, species, threshold=0.5)
    assert per_species == {"face_swap": 0.0, "print": 1.0, "replay": 0.5}
    assert list(per_species) == sorted(per_species)
    # BPCER at 0.5 is 1/4; worst species APCER is print's 1.0.
    assert acer(y_true, y_score, species, threshold=0.5) == pytest.approx((1.0 + 0.25) / 2)
    # Without species the 5 attacks are one species: 2 of 5 accepted.
    assert acer(y_true, y_score, threshold=0.5) == pytest.approx((0.4 + 0.25) / 2)
    assert apcer_per_species([0, 0], [0.1, 0.2], ["none", "none"], threshold=0.5) == {}


def test_threshold_is_inclusive() -> None:
    # A score equal to the threshold is an attack decision.
    assert apcer_bpcer([0, 1], [0.5, 0.5], threshold=0.5) == (0.0, 1.0)
    assert apcer_bpcer([0, 1], [0.5, 0.5], threshold=0.50001) == (1.0, 0.0)


def test_rates_with_one_class_are_nan() -> None:
    apcer, bpcer = apcer_bpcer([0, 0], [0.2, 0.7], threshold=0.5)
    assert math.isnan(apcer)
    assert bpcer == 0.5


@pytest.mark.parametrize(
    "function",
    [roc_auc, det_curve, eer, bpcer_at_apcer, apcer_at_bpcer,
     functools.partial(acer, threshold=0.5)],
)
@pytest.mark.parametrize("labels", [[0, 0, 0], [1, 1, 1]])
def test_one_class_raises_value_error(function, labels: list[int]) -> None:
    with pytest.raises(ValueError, match="only"):
        function(labels, [0.1, 0.5, 0.9])


def test_threshold_search_needs_its_class() -> None:
    with pytest.raises(MetricInputError, match="bona fide"):
        threshold_at_bpcer([1, 1], [0.1, 0.2])
    with pytest.raises(MetricInputError, match="attack"):
        threshold_at_apcer([0, 0], [0.1, 0.2])
    # Each search needs only its own class.
    assert threshold_at_bpcer([0, 0, 0, 0], [0.1, 0.2, 0.3, 0.4], bpcer=0.25) == 0.4


@pytest.mark.parametrize(
    ("y_true", "y_score", "message"),
    [
        ([0, 1], [0.1, float("nan")], "NaN"),
        ([0, 1, 1], [0.1, 0.2], "length"),
        ([0, 2], [0.1, 0.2], "only 0"),
        (["bona_fide", "attack"], [0.1, 0.2], "dtype"),
        ([], [], "empty"),
        ([[0, 1]], [[0.1, 0.2]], "1-D"),
        ([0, 1], ["low", "high"], "numeric"),
    ],
)
def test_bad_input_raises_typed_error(y_true, y_score, message: str) -> None:
    with pytest.raises(MetricInputError, match=message) as caught:
        roc_auc(y_true, y_score)
    assert isinstance(caught.value, LivenessError)
    assert caught.value.code == "METRICS_INPUT_INVALID"


@pytest.mark.parametrize(
    "call",
    [
        lambda: bpcer_at_apcer([0, 1], [0.1, 0.9], apcer=1.5),
        lambda: apcer_at_bpcer([0, 1], [0.1, 0.9], bpcer=-0.1),
        lambda: threshold_at_bpcer([0, 1], [0.1, 0.9], bpcer="5%"),
        lambda: apcer_bpcer([0, 1], [0.1, 0.9], threshold=float("nan")),
        lambda: apcer_bpcer([0, 1], [0.1, 0.9], threshold=None),
        lambda: apcer_per_species([0, 1], [0.1, 0.9], ["none"], threshold=0.5),
        lambda: bootstrap_ci(roc_auc, [0, 1], [0.1, 0.9], n_boot=0),
        lambda: bootstrap_ci(roc_auc, [0, 1], [0.1, 0.9], alpha=0.0),
        lambda: bootstrap_ci(roc_auc, [0, 1], [0.1, 0.9], groups=["a"]),
        lambda: bootstrap_ci("roc_auc", [0, 1], [0.1, 0.9]),
    ],
)
def test_bad_options_raise_typed_error(call) -> None:
    with pytest.raises(MetricInputError):
        call()


def test_bool_labels_accepted() -> None:
    assert roc_auc(np.array([False, True]), [0.1, 0.9]) == 1.0


# --------------------------------------------------------------------------- DET and thresholds


@pytest.mark.parametrize("seed", range(6))
def test_det_curve_monotone_and_exact(seed: int) -> None:
    y_true, y_score = random_case(seed)
    apcer, bpcer, thresholds = det_curve(y_true, y_score)
    assert np.all(np.diff(thresholds) > 0)
    assert np.all(np.diff(apcer) >= 0)
    assert np.all(np.diff(bpcer) <= 0)
    # Ends: everything rejected at the lowest score, nothing above the highest.
    assert (apcer[0], bpcer[0]) == (0.0, 1.0)
    assert (apcer[-1], bpcer[-1]) == (1.0, 0.0)
    assert thresholds[-1] > y_score.max()
    np.testing.assert_array_equal(thresholds[:-1], np.unique(y_score))
    for t, a, b in zip(thresholds, apcer, bpcer, strict=True):
        assert (a, b) == pytest.approx(brute_rates(y_true, y_score, t))


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("target", [0.0, 0.01, 0.05, 0.1, 0.3, 1.0])
def test_threshold_at_bpcer_is_smallest_meeting_target(seed: int, target: float) -> None:
    y_true, y_score = random_case(seed)
    threshold = threshold_at_bpcer(y_true, y_score, bpcer=target)
    assert brute_rates(y_true, y_score, threshold)[1] <= target + 1e-12
    # Every lower score would reject too many bona fide samples.
    for lower in np.unique(y_score[y_score < threshold]):
        assert brute_rates(y_true, y_score, lower)[1] > target


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("target", [0.0, 0.01, 0.05, 0.1, 0.3, 1.0])
def test_threshold_at_apcer_is_largest_meeting_target(seed: int, target: float) -> None:
    y_true, y_score = random_case(seed)
    threshold = threshold_at_apcer(y_true, y_score, apcer=target)
    assert brute_rates(y_true, y_score, threshold)[0] <= target + 1e-12
    higher = [*np.unique(y_score[y_score > threshold]), np.nextafter(y_score.max(), np.inf)]
    for candidate in higher:
        if candidate > threshold:
            assert brute_rates(y_true, y_score, candidate)[0] > target


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("target", [0.01, 0.05, 0.2])
def test_operating_points_are_optimal(seed: int, target: float) -> None:
    y_true, y_score = random_case(seed)
    candidates = [*np.unique(y_score), np.nextafter(y_score.max(), np.inf)]
    rates = [brute_rates(y_true, y_score, t) for t in candidates]
    best_bpcer = min(b for a, b in rates if a <= target + 1e-12)
    best_apcer = min(a for a, b in rates if b <= target + 1e-12)
    assert bpcer_at_apcer(y_true, y_score, apcer=target) == pytest.approx(best_bpcer)
    assert apcer_at_bpcer(y_true, y_score, bpcer=target) == pytest.approx(best_apcer)


def test_target_rate_is_met_exactly_despite_rounding() -> None:
    # 1/20 must count as meeting a 0.05 target.
    y_true = [0] * 20 + [1]
    y_score = [i / 100 for i in range(20)] + [0.5]
    assert threshold_at_bpcer(y_true, y_score, bpcer=0.05) == 0.19


def test_infinite_scores_are_always_rejected_or_accepted() -> None:
    # A bona fide +inf is rejected at every threshold, so BPCER cannot go below 1/3; the
    # smallest threshold reaching 1/3 is 0.9, which still catches the attack.
    y_true = [0, 0, 0, 1]
    y_score = [0.1, 0.2, math.inf, 0.9]
    assert threshold_at_bpcer(y_true, y_score, bpcer=0.0) == 0.9
    assert apcer_bpcer(y_true, y_score, threshold=0.9) == (0.0, pytest.approx(1 / 3))
    # Symmetrically an attack at -inf caps the APCER at 1/2; the largest threshold at 1/2.
    assert threshold_at_apcer([0, 1, 1], [0.2, -math.inf, 0.9], apcer=0.0) == 0.9
    # An attack at -inf is never caught.
    assert apcer_bpcer([0, 1, 1], [0.1, -math.inf, 0.9], threshold=0.5) == (0.5, 0.0)


# --------------------------------------------------------------------------- evaluate


def test_evaluate_keys_and_worked_values() -> None:
    y_true = [0, 0, 0, 0, 1, 1, 1, 1]
    y_score = [0.1, 0.2, 0.3, 0.6, 0.9, 0.8, 0.4, 0.7]
    species = ["none"] * 4 + ["replay", "replay", "print", "print"]
    result = evaluate(y_true, y_score, species, threshold=0.5)
    assert set(result) == EVALUATE_KEYS
    assert result["n_bona_fide"] == 4
    assert result["n_attack"] == 4
    assert result["threshold"] == 0.5
    assert result["bpcer"] == 0.25
    assert result["apcer"] == {"print": 0.5, "replay": 0.0}
    assert result["apcer_max"] == 0.5
    assert result["acer"] == pytest.approx(0.375)
    # Of 16 attack/bona fide pairs only (0.4, 0.6) is misordered.
    assert result["auc"] == pytest.approx(15 / 16)
    assert result["auc_per_species"] == {"print": pytest.approx(7 / 8), "replay": 1.0}
    assert result["fta"] == {
        "n": 0, "rate": 0.0, "n_bona_fide": 0, "bona_fide_rate": 0.0,
        "n_attack": 0, "attack_rate": 0.0,
    }
    json.dumps(result, allow_nan=False)


def test_evaluate_counts_fta_as_rejected() -> None:
    y_true = [0, 0, 0, 0, 1, 1, 1, 1]
    y_score = [0.1, 0.2, 0.3, 0.4, 0.9, 0.8, 0.2, 0.3]
    species = ["none"] * 4 + ["replay"] * 4
    fta = np.array([False, False, False, True, False, False, False, True])
    result = evaluate(y_true, y_score, species, threshold=0.5, fta=fta)
    # The bona fide FTA is a false reject; the attack FTA counts as detected.
    assert result["bpcer"] == 0.25
    assert result["apcer"] == {"replay": 0.25}
    assert result["fta"] == {
        "n": 2, "rate": 0.25, "n_bona_fide": 1, "bona_fide_rate": 0.25,
        "n_attack": 1, "attack_rate": 0.25,
    }
    # Without the mask, the same scores give BPCER 0 and APCER 0.5.
    plain = evaluate(y_true, y_score, species, threshold=0.5)
    assert (plain["bpcer"], plain["apcer"]) == (0.0, {"replay": 0.5})
    # FTAs rank above every score.
    assert result["auc"] == pytest.approx(brute_auc(
        np.array(y_true), np.where(fta, np.inf, y_score)
    ))


def test_evaluate_nan_score_is_fta_and_json_safe() -> None:
    y_true = [0, 0, 0, 1, 1]
    y_score = [0.1, float("nan"), 0.2, 0.9, float("nan")]
    result = evaluate(y_true, y_score, ["none"] * 3 + ["replay"] * 2, threshold=0.5)
    assert result["fta"]["n"] == 2
    assert result["bpcer"] == pytest.approx(1 / 3)
    assert result["apcer"] == {"replay": 0.0}
    text = json.dumps(result, allow_nan=False)
    assert "NaN" not in text


def test_evaluate_chooses_threshold_at_bpcer_target() -> None:
    y_true, y_score = random_case(3, n_bona_fide=60)
    species = np.where(y_true == 1, "replay", "none")
    result = evaluate(y_true, y_score, species, bpcer_target=0.1)
    expected = threshold_at_bpcer(y_true, y_score, bpcer=0.1)
    assert result["threshold"] == expected
    assert result["bpcer"] <= 0.1
    assert result["bpcer_at_apcer_5"] == bpcer_at_apcer(y_true, y_score, apcer=0.05)
    assert result["bpcer_at_apcer_1"] == bpcer_at_apcer(y_true, y_score, apcer=0.01)
    assert result["apcer_at_bpcer_1"] == apcer_at_bpcer(y_true, y_score, bpcer=0.01)
    assert result["apcer_at_bpcer_5"] == apcer_at_bpcer(y_true, y_score, bpcer=0.05)
    assert result["eer"] == eer(y_true, y_score)


def test_evaluate_with_fta_beyond_target_picks_lowest_bpcer() -> None:
    # 2 of 4 bona fide fail to acquire: BPCER 5 % is out of reach, 50 % is the best.
    result = evaluate([0, 0, 0, 0, 1], [0.1, 0.2, 0.3, 0.4, 0.9], ["none"] * 4 + ["replay"],
                      fta=np.array([True, True, False, False, False]))
    assert result["bpcer"] == 0.5
    assert result["threshold"] == 0.9
    assert result["apcer"] == {"replay": 0.0}


def test_evaluate_when_everything_fails_to_acquire() -> None:
    # All bona fide and one attack are rejected at every threshold, so the APCER (at most
    # 1/2) never meets the BPCER (always 1); the EER falls back to the last point's mean.
    result = evaluate([0, 0, 1, 1], [math.nan, math.nan, math.nan, 0.4],
                      ["none", "none", "replay", "replay"], threshold=0.5)
    assert (result["bpcer"], result["apcer"]) == (1.0, {"replay": 0.5})
    assert result["eer"] == 0.75
    assert result["fta"]["rate"] == 0.75
    json.dumps(result, allow_nan=False)


def test_evaluate_one_class_gives_none_not_error() -> None:
    bona_fide_only = evaluate([0, 0, 0], [0.1, 0.2, 0.9], ["none"] * 3, threshold=0.5)
    assert bona_fide_only["auc"] is None
    assert bona_fide_only["eer"] is None
    assert bona_fide_only["bpcer"] == pytest.approx(1 / 3)
    assert bona_fide_only["apcer"] == {}
    assert bona_fide_only["apcer_max"] is None
    assert bona_fide_only["acer"] is None
    attack_only = evaluate([1, 1], [0.1, 0.9], ["replay", "print"])
    assert attack_only["threshold"] is None
    assert attack_only["bpcer"] is None
    assert attack_only["fta"]["bona_fide_rate"] is None
    json.dumps(attack_only, allow_nan=False)


def test_evaluate_rejects_bad_fta_mask() -> None:
    with pytest.raises(MetricInputError, match="fta"):
        evaluate([0, 1], [0.1, 0.9], ["none", "replay"], fta=[0, 1])
    with pytest.raises(MetricInputError, match="fta"):
        evaluate([0, 1], [0.1, 0.9], ["none", "replay"], fta=np.array([True]))


# --------------------------------------------------------------------------- bootstrap


def test_bootstrap_ci_contains_estimate() -> None:
    y_true, y_score = random_case(7, n_bona_fide=60, n_attack=40)
    for metric_fn in (roc_auc, eer, functools.partial(bpcer_at_apcer, apcer=0.05)):
        result = bootstrap_ci(metric_fn, y_true, y_score, n_boot=300, seed=1)
        assert result.estimate == metric_fn(y_true, y_score)
        assert result.low <= result.estimate <= result.high
        assert result.low < result.high
        assert result.n_valid == 300


def test_bootstrap_is_reproducible_and_seed_dependent() -> None:
    y_true, y_score = random_case(2)
    first = bootstrap_ci(roc_auc, y_true, y_score, n_boot=100, seed=5)
    assert bootstrap_ci(roc_auc, y_true, y_score, n_boot=100, seed=5) == first
    assert bootstrap_ci(roc_auc, y_true, y_score, n_boot=100, seed=6) != first


def test_bootstrap_resamples_whole_groups_within_labels() -> None:
    # Group g holds bona fide scores g + 0.1 and g + 0.2 and attack score g + 0.5, so a
    # resample keeps groups whole iff each group's two bona fide scores appear equally often.
    n_groups = 8
    groups = np.repeat(np.arange(n_groups), 3)
    y_true = np.tile([0, 0, 1], n_groups)
    y_score = groups + np.tile([0.1, 0.2, 0.5], n_groups)
    seen: list[int] = []

    def checking_metric(labels: np.ndarray, scores: np.ndarray) -> float:
        assert labels.sum() == n_groups  # stratified: class sizes kept
        bona_fide = scores[labels == 0]
        for g in range(n_groups):
            first = np.isclose(bona_fide, g + 0.1).sum()
            assert first == np.isclose(bona_fide, g + 0.2).sum()
        seen.append(len(np.unique(np.floor(bona_fide))))
        return roc_auc(labels, scores)

    result = bootstrap_ci(checking_metric, y_true, y_score, groups=groups, n_boot=50)
    assert result.n_valid == 50
    assert min(seen) < n_groups  # some groups were drawn twice, others left out


def test_bootstrap_missing_group_is_its_own_unit() -> None:
    # With all groups None each sample must be able to vary independently.
    y_true = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    y_score = np.array([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8])
    grouped = bootstrap_ci(roc_auc, y_true, y_score, groups=[None] * 8, n_boot=20)
    assert grouped == bootstrap_ci(roc_auc, y_true, y_score, n_boot=20)


def test_bootstrap_without_stratify_skips_undefined_resamples() -> None:
    result = bootstrap_ci(roc_auc, [0, 1], [0.2, 0.8], n_boot=200, stratify=False)
    # Half the resamples hold one class only, where the AUC is undefined.
    assert 60 < result.n_valid < 140
    assert result.low == result.high == 1.0


def test_bootstrap_passes_species() -> None:
    y_true = [0, 0, 0, 1, 1, 1]
    y_score = [0.1, 0.2, 0.6, 0.7, 0.4, 0.9]
    species = ["none"] * 3 + ["replay", "print", "replay"]
    result = bootstrap_ci(
        functools.partial(acer, threshold=0.5), y_true, y_score, species=species, n_boot=100
    )
    assert result.estimate == pytest.approx((1.0 + 1 / 3) / 2)
    assert 0.0 <= result.low <= result.estimate <= result.high <= 1.0
