from __future__ import annotations

import numpy as np
import pytest

from liveness.errors import ModelError
from liveness.scoring.fusion import CLASSES, LogisticFusion, SpeciesNamer, attack_reason, softmax, spoof_logit


def _fusion() -> LogisticFusion:
    return LogisticFusion.from_dict(
        {
            "features": ["x"],
            "mean": [0.0],
            "std": [1.0],
            "coef": [2.0],
            "intercept": 0.0,
            "thresholds": {"bpcer_1": 0.9, "bpcer_5": 0.6},
        }
    )


def test_decisions_follow_the_two_thresholds() -> None:
    f = _fusion()
    assert f.decide(f.score({"x": 3.0})) == "reject"
    assert f.decide(f.score({"x": 0.3})) == "review"
    assert f.decide(f.score({"x": -1.0})) == "pass"
    assert f.score({}) == pytest.approx(0.5)  # a missing feature sits at its mean


def test_invalid_fusion_config_is_a_model_error() -> None:
    with pytest.raises(ModelError):
        LogisticFusion.from_dict(
            {
                "features": ["x", "y"],
                "mean": [0],
                "std": [1],
                "coef": [1],
                "intercept": 0,
                "thresholds": {"bpcer_1": 1, "bpcer_5": 0.5},
            }
        )


def test_spoof_logit_and_reason() -> None:
    probs = softmax(np.array([[0.0, 3.0, 0.0, 0.0, 0.0]]))
    assert spoof_logit(probs)[0] > 0
    assert attack_reason(probs[0]) == "ANIMATED_PHOTO"
    live = softmax(np.array([[5.0, 0, 0, 0, 0]]))
    assert spoof_logit(live)[0] < 0
    assert len(CLASSES) == probs.shape[1]


def _namer() -> SpeciesNamer:
    # "a" high → animated photo, "b" high → print, neither → face swap (the intercepts).
    return SpeciesNamer.from_dict({
        "features": ["a", "b"],
        "classes": ["animated_photo", "print", "face_swap"],
        "mean": [0.0, 0.0],
        "std": [1.0, 2.0],
        "coef": [[2.0, 0.0], [0.0, 2.0], [0.0, 0.0]],
        "intercept": [0.0, 0.0, 1.0],
    })


def test_species_namer_names_the_highest_scoring_species() -> None:
    namer = _namer()
    assert namer.name({"a": 3.0, "b": 0.0}) == "animated_photo"
    assert namer.name({"a": 0.0, "b": 6.0}) == "print"  # 6 / std 2 = 3 → score 6
    assert namer.name({"a": 0.0, "b": 0.0}) == "face_swap"
    assert namer.name({"b": float("nan")}) == "face_swap"  # unmeasured values count as the mean
    assert namer.reason({"a": 3.0}) == "ANIMATED_PHOTO"
    assert namer.predict(np.array([[3.0, 0.0], [0.0, 6.0]])).tolist() == [0, 1]
    assert SpeciesNamer.from_dict(namer.to_dict()).to_dict() == namer.to_dict()


@pytest.mark.parametrize(
    "change",
    [
        {"coef": [[1.0, 0.0]]},  # one row for three classes
        {"mean": [0.0]},
        {"classes": ["animated_photo", "print", "selfie"]},  # no reason code for "selfie"
        {"intercept": None},
    ],
)
def test_invalid_species_namer_is_a_model_error(change: dict) -> None:
    config = {**_namer().to_dict(), **change}
    with pytest.raises(ModelError, match="species namer"):
        SpeciesNamer.from_dict(config)


def test_contributions_add_up_to_the_score_and_leave_unmeasured_inputs_out() -> None:
    fusion = LogisticFusion.from_dict(
        {
            "features": ["page", "ghost"],
            "mean": [1.0, 0.8],
            "std": [2.0, 0.1],
            "coef": [1.5, -2.0],
            "intercept": -0.5,
            "thresholds": {"bpcer_1": 0.9, "bpcer_5": 0.6},
        }
    )
    parts = fusion.contributions({"page": 3.0, "ghost": 0.6})
    assert parts == pytest.approx({"page": 1.5, "ghost": 4.0})  # a poor ghost match points to attack
    assert fusion.score({"page": 3.0, "ghost": 0.6}) == pytest.approx(1 / (1 + np.exp(-(1.5 + 4.0 - 0.5))))
    assert fusion.contributions({"page": 3.0, "ghost": float("nan")})["ghost"] == 0.0
    # a missing input is unmeasured too, not a measured 0.0 (the ghost's mean is 0.8)
    assert fusion.contributions({"page": 3.0})["ghost"] == 0.0
    assert fusion.score({"page": 3.0}) == pytest.approx(fusion.score({"page": 3.0, "ghost": 0.8}))
