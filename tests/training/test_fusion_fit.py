from __future__ import annotations

import numpy as np
import pytest

from liveness.scoring.fusion import LogisticFusion
from training.fusion_fit import fit_fusion, fit_logistic


def test_logistic_recovers_the_informative_feature() -> None:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 2000)
    x = np.stack([y * 2.0 + rng.normal(size=2000), rng.normal(size=2000)], axis=1)
    coef, _ = fit_logistic(x, y.astype(float), l2=0.1)
    assert coef[0] > 1.0
    assert abs(coef[1]) < 0.2


def test_fit_fusion_round_trips_through_the_manifest_format() -> None:
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 400)
    feats = {"a": y + rng.normal(0, 0.5, 400), "b": rng.normal(size=400)}
    fusion = fit_fusion(feats, y)
    again = LogisticFusion.from_dict(fusion.to_dict())
    sample = {"a": 1.2, "b": -0.3}
    assert again.score(sample) == pytest.approx(fusion.score(sample))
    assert fusion.reject_threshold >= fusion.review_threshold
    bona_scores = np.array(
        [fusion.score({"a": a, "b": b}) for a, b, t in zip(feats["a"], feats["b"], y, strict=True) if t == 0]
    )
    assert (bona_scores >= fusion.review_threshold).mean() <= 0.05 + 1e-9
    assert fusion.decide(1.0) == "reject" and fusion.decide(0.0) == "pass"
