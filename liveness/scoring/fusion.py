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


def sigmoid_array(x: np.ndarray) -> np.ndarray:
    """The logistic function elementwise, on logits clipped to +-40 (no overflow warnings)."""
    return 1.0 / (1.0 + np.exp(-np.clip(np.asarray(x, np.float64), -40, 40)))


def standardize(x: np.ndarray, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    """(x - mean) / std with an unmeasured (NaN) or infinite value at 0: the fitted mean, no say."""
    return np.nan_to_num((x - mean) / std, nan=0.0, posinf=0.0, neginf=0.0)


def sigmoid(x: float) -> float:
    return float(sigmoid_array(np.asarray(x)))


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

    def contributions(self, values: dict[str, float]) -> dict[str, float]:
        """Each input's share of the log-odds, coef · (x - mean) / std (> 0: towards attack);
        an input that is missing or NaN has none (it sits at the fitted mean)."""
        x = np.array([values.get(name, np.nan) for name in self.features], np.float64)
        return dict(zip(self.features, map(float, self.coef * standardize(x, self.mean, self.std)), strict=True))

    def score(self, values: dict[str, float]) -> float:
        return sigmoid(sum(self.contributions(values).values()) + self.intercept)

    def decide(self, spoof_score: float) -> Decision:
        if spoof_score >= self.reject_threshold:
            return "reject"
        if spoof_score >= self.review_threshold:
            return "review"
        return "pass"


@dataclass(frozen=True)
class SpeciesNamer:
    """Which attack a flagged attempt most likely is, from the same inputs as the fusion: one
    logistic score per species in ``classes`` (one against the rest), the highest wins.

    Fitted by ``training/`` on labelled real attacks (manifest: "fusion" → "video_species"),
    because the CNNs' own class probabilities, learned on synthetic attacks, name real
    generators' output a print or a replay too often.
    """

    features: tuple[str, ...]
    classes: tuple[str, ...]
    mean: np.ndarray
    std: np.ndarray
    coef: np.ndarray  # (len(classes), len(features))
    intercept: np.ndarray  # (len(classes),)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SpeciesNamer:
        try:
            features, classes = tuple(data["features"]), tuple(data["classes"])
            mean, std = (np.asarray(data[k], np.float64) for k in ("mean", "std"))
            coef, intercept = np.asarray(data["coef"], np.float64), np.asarray(data["intercept"], np.float64)
            if mean.shape != (len(features),) or std.shape != (len(features),):
                raise ValueError("mean/std must each have one value per feature")
            if coef.shape != (len(classes), len(features)) or intercept.shape != (len(classes),):
                raise ValueError("coef must be (classes, features) and intercept (classes,)")
            unknown = sorted(set(classes) - set(SPECIES_REASON))
            if unknown:
                raise ValueError(f"classes without a reason code: {unknown}")
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelError(f"species namer in the manifest is invalid: {exc}") from exc
        return cls(features, classes, mean, np.where(std > 1e-12, std, 1.0), coef, intercept)

    def to_dict(self) -> dict[str, Any]:
        return {
            "features": list(self.features),
            "classes": list(self.classes),
            "mean": self.mean.tolist(),
            "std": self.std.tolist(),
            "coef": self.coef.tolist(),
            "intercept": self.intercept.tolist(),
        }

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Class indices for raw feature rows (n, features); NaN counts as the fitted mean."""
        z = standardize(np.atleast_2d(x), self.mean, self.std)
        return np.argmax(z @ self.coef.T + self.intercept, axis=1)

    def name(self, values: dict[str, float]) -> str:
        """The species with the highest score for one attempt's fusion values."""
        x = np.array([values.get(k, np.nan) for k in self.features], np.float64)
        return self.classes[int(self.predict(x)[0])]

    def reason(self, values: dict[str, float]) -> str:
        return SPECIES_REASON[self.name(values)]


def attack_reason(class_probs: np.ndarray) -> str:
    """The reason code of the most likely attack species given mean class probabilities."""
    species = CLASSES[1 + int(np.argmax(class_probs[1:]))]
    return SPECIES_REASON[species]
