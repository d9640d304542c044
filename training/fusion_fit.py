"""Fit the logistic fusion and its operating thresholds (numpy only, no sklearn)."""

from __future__ import annotations

import numpy as np

from liveness.scoring.fusion import LogisticFusion, sigmoid_array
from liveness.scoring.metrics import threshold_at_bpcer


def fit_logistic(
    x: np.ndarray, y: np.ndarray, *, l2: float = 1.0, sample_weight: np.ndarray | None = None, iters: int = 50
) -> tuple[np.ndarray, float]:
    """L2-regularized logistic regression by Newton's method on standardized ``x`` (n, d)."""
    n, d = x.shape
    w = np.ones(n) if sample_weight is None else np.asarray(sample_weight, np.float64)
    w = w * n / w.sum()
    xb = np.hstack([x, np.ones((n, 1))])
    beta = np.zeros(d + 1)
    reg = np.full(d + 1, l2)
    reg[-1] = 0.0
    for _ in range(iters):
        p = 1 / (1 + np.exp(-np.clip(xb @ beta, -30, 30)))
        grad = xb.T @ (w * (p - y)) + reg * beta
        hess = (xb * (w * p * (1 - p))[:, None]).T @ xb + np.diag(reg + 1e-9)
        step = np.linalg.solve(hess, grad)
        beta -= step
        if np.abs(step).max() < 1e-8:
            break
    return beta[:-1], float(beta[-1])


def fit_fusion(
    features: dict[str, np.ndarray], y: np.ndarray, *, l2: float = 1.0, sample_weight: np.ndarray | None = None
) -> LogisticFusion:
    """Fusion over the named feature columns; classes weighted equally unless
    ``sample_weight`` says otherwise; thresholds at BPCER 1% (reject) and 5% (review) on the
    bona fide of the same set."""
    names = tuple(features)
    x = np.stack([np.asarray(features[k], np.float64) for k in names], axis=1)
    mean, std = x.mean(0), x.std(0)
    std = np.where(std > 1e-9, std, 1.0)
    xs = (x - mean) / std
    if sample_weight is None:
        sample_weight = np.where(y == 1, 0.5 / max(1, (y == 1).sum()), 0.5 / max(1, (y == 0).sum()))
    coef, intercept = fit_logistic(xs, y.astype(np.float64), l2=l2, sample_weight=sample_weight)
    scores = sigmoid_array(xs @ coef + intercept)
    return LogisticFusion(
        features=names,
        mean=mean,
        std=std,
        coef=coef,
        intercept=intercept,
        reject_threshold=threshold_at_bpcer(y, scores, bpcer=0.01),
        review_threshold=threshold_at_bpcer(y, scores, bpcer=0.05),
    )
