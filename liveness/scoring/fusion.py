"""Fusion of per-model outputs into one calibrated ``spoof_score`` and a decision.

The fusion is a logistic regression whose weights, feature standardization and operating
thresholds are data in ``weights/manifest.json`` ("fusion"), fitted by ``training/`` on
subject-held-out validation clips. Thresholds are set at BPCER 1% (reject) and BPCER 5%
(review) on that validation set.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from liveness.errors import ModelError
from liveness.result import SPECIES_REASON, Decision

CLASSES = ("bona_fide", "animated_photo", "replay", "print", "face_swap")


def softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def spoof_logit(probs: np.ndarray) -> np.ndarray:
    """log-odds of "any attack class" from class probabilities (..., C), bona fide first."""
    p_bona = np.clip(probs[..., 0], 1e-6, 1 - 1e-6)
    return np.log((1 - p_bona) / p_bona)


def sigmoid(x: float) -> float:
    return float(1.0 / (1.0 + np.exp(-np.clip(x, -40, 40))))


@dataclass(frozen=True)
class LogisticFusion:
    """z = coef · (x - mean) / std + intercept; spoof_score = sigmoid(z)."""

    features: tuple[str, ...]
    mean: np.ndarray
    std: np.ndarray
    coef: np.ndarray
    intercept: float
    reject_threshold: float
    review_threshold: float

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LogisticFusion:
        try:
            features = tuple(data["features"])
            arrays = [np.asarray(data[k], np.float64) for k in ("mean", "std", "coef")]
            if any(a.shape != (len(features),) for a in arrays):
                raise ValueError("mean/std/coef must each have one value per feature")
            return cls(
                features=features,
                mean=arrays[0],
                std=np.where(arrays[1] > 1e-12, arrays[1], 1.0),
                coef=arrays[2],
                intercept=float(data["intercept"]),
                reject_threshold=float(data["thresholds"]["bpcer_1"]),
                review_threshold=float(data["thresholds"]["bpcer_5"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelError(f"fusion config in the manifest is invalid: {exc}") from exc

    def to_dict(self) -> dict[str, Any]:
        return {
            "features": list(self.features),
            "mean": self.mean.tolist(),
            "std": self.std.tolist(),
            "coef": self.coef.tolist(),
            "intercept": self.intercept,
            "thresholds": {"bpcer_1": self.reject_threshold, "bpcer_5": self.review_threshold},
        }

    def score(self, values: dict[str, float]) -> float:
        x = np.array([values.get(name, 0.0) for name in self.features], np.float64)
        x = np.nan_to_num((x - self.mean) / self.std, nan=0.0, posinf=0.0, neginf=0.0)
        return sigmoid(float(self.coef @ x + self.intercept))

    def decide(self, spoof_score: float) -> Decision:
        if spoof_score >= self.reject_threshold:
            return "reject"
        if spoof_score >= self.review_threshold:
            return "review"
        return "pass"


def attack_reason(class_probs: np.ndarray) -> str:
    """The reason code of the most likely attack species given mean class probabilities."""
    species = CLASSES[1 + int(np.argmax(class_probs[1:]))]
    return SPECIES_REASON[species]
