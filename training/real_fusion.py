"""Fit the video fusion on real clips, measured by leave-one-generator-out cross-validation.

The CNNs learn from synthetic attacks only; on real talking-head generators their raw
log-odds transfer poorly (AUC 0.67 on held-out persons). Which of their outputs carry over
to real generators, and how much native-resolution skin texture adds, is learned here from
the labelled real clips (``../shared/data/faces`` ships generator outputs for exactly this),
by a logistic regression small enough to fit on a few dozen clips.

Honesty rules, because the same clips give the figures:
- every clip is scored by a fusion that never saw its *generator* (animated photos: one
  fold per generator, with every person of that generator's clips left out too) or its
  *person* (bona fide and face swaps: person folds);
- figures count only persons the CNNs never trained on (catalog split val/test);
- the shipped thresholds come from those cross-validated bona fide scores, so BPCER at the
  threshold is an out-of-fold figure, not a fit.
The shipped fusion is then refit on every clip.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from liveness.errors import LivenessError
from liveness.evaluation import metrics_for
from liveness.pipeline import CLIP_SPOOF_LOGIT, FRAME_SPOOF_LOGIT, Scorer, class_probability_names
from liveness.scoring.fusion import LogisticFusion
from liveness.scoring.metrics import bootstrap_ci, roc_auc, threshold_at_bpcer
from liveness.texture import TEXTURE_NAMES
from training.catalog import Item
from training.fusion_fit import fit_fusion, fit_logistic

# Model log-odds, both models' class probabilities, and skin texture. The 19 motion features
# are left out on purpose: fitted on real generators they flip sign from one held-out
# generator to the next (cross-validated AUC 0.42 alone, and they lowered the fused AUC).
REAL_FUSION_FEATURES: tuple[str, ...] = (
    FRAME_SPOOF_LOGIT,
    CLIP_SPOOF_LOGIT,
    *class_probability_names("frame"),
    *class_probability_names("clip"),
    *TEXTURE_NAMES,
)
PERSON_FOLDS = 6
DEFAULT_L2 = 1.0
# Species whose real samples come from several generators: these get a fold per generator.
GENERATOR_FOLD_SPECIES = ("animated_photo",)


@dataclass(frozen=True)
class RealClip:
    path: str
    label: str
    species: str
    source: str
    person: str
    split: str
    values: dict[str, float]

    @property
    def is_attack(self) -> bool:
        return self.label == "attack"


def extract_clips(items: Sequence[Item], weights_dir: Path, *, progress: bool = True) -> list[RealClip]:
    """The fusion values of every real video in ``items`` (clips with no face are skipped:
    they are failures to acquire whatever the fusion)."""
    scorer = Scorer(weights_dir=weights_dir)
    clips = []
    videos = [it for it in items if it.is_video]
    for it in tqdm(videos, desc="real clip features", unit="clip", disable=not progress):
        try:
            values = scorer.attempt_features(it.path)
        except LivenessError:
            values = None
        if values is None or CLIP_SPOOF_LOGIT not in values:
            continue
        clips.append(RealClip(str(it.path), it.label, it.species, it.source, it.person, it.split, values))
    return clips


def fold_of(clip: RealClip) -> str:
    """Generator fold for multi-generator attack species, else a person fold."""
    if clip.is_attack and clip.species in GENERATOR_FOLD_SPECIES:
        return f"generator:{clip.source}"
    digest = hashlib.sha256(clip.person.encode()).digest()
    return f"persons:{int.from_bytes(digest[:4], 'big') % PERSON_FOLDS}"


def _design(clips: Sequence[RealClip], features: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    x = np.array([[c.values.get(k, 0.0) for k in features] for c in clips], np.float64)
    y = np.array([int(c.is_attack) for c in clips], np.int64)
    return np.nan_to_num(x), y


def _fit_predict(x: np.ndarray, y: np.ndarray, train: np.ndarray, test: np.ndarray, l2: float) -> np.ndarray:
    xt, yt = x[train], y[train]
    mean, std = xt.mean(0), xt.std(0)
    std = np.where(std > 1e-9, std, 1.0)
    weight = np.where(yt == 1, 0.5 / max(1, (yt == 1).sum()), 0.5 / max(1, (yt == 0).sum()))
    coef, intercept = fit_logistic((xt - mean) / std, yt.astype(np.float64), l2=l2, sample_weight=weight)
    return ((x[test] - mean) / std) @ coef + intercept


def cross_validated_scores(
    clips: Sequence[RealClip], features: Sequence[str] = REAL_FUSION_FEATURES, *, l2: float = DEFAULT_L2
) -> np.ndarray:
    """Out-of-fold spoof scores: each fold is scored by a fusion fitted without the fold's
    clips and without any clip of a person who appears in the fold."""
    x, y = _design(clips, features)
    folds = np.array([fold_of(c) for c in clips])
    persons = np.array([c.person for c in clips])
    logits = np.zeros(len(clips))
    for fold in sorted(set(folds)):
        test = folds == fold
        train = (folds != fold) & ~np.isin(persons, np.unique(persons[test]))
        if len(set(y[train])) < 2:
            raise ValueError(f"fold {fold} leaves a single class to train on; add clips of both classes")
        logits[test] = _fit_predict(x, y, train, test, l2)
    return 1.0 / (1.0 + np.exp(-np.clip(logits, -40, 40)))


def clip_records(clips: Sequence[RealClip], scores: Sequence[float]) -> list[dict[str, Any]]:
    """Scored clips in the record layout of ``liveness.evaluation.metrics_for``."""
    return [
        {
            "path": c.path,
            "label": c.label,
            "species": c.species,
            "source": c.source,
            "subject": c.person,
            "spoof_score": float(s),
            "fta": False,
        }
        for c, s in zip(clips, scores, strict=True)
    ]


def fit_real_fusion(
    clips: Sequence[RealClip], *, l2: float = DEFAULT_L2
) -> tuple[LogisticFusion, dict[str, Any], list[dict[str, Any]]]:
    """The shipped video fusion (fitted on every clip, thresholds from out-of-fold bona fide
    scores of persons the CNNs never saw), its cross-validated metrics, and the per-clip
    out-of-fold records those metrics were computed from."""
    scores = cross_validated_scores(clips, l2=l2)
    unseen = np.array([c.split != "train" for c in clips])
    records = [r for r, keep in zip(clip_records(clips, scores), unseen, strict=True) if keep]
    y_unseen = np.array([int(r["label"] == "attack") for r in records])
    s_unseen = np.array([r["spoof_score"] for r in records])
    bona = y_unseen == 0
    if bona.sum() < 2:
        raise ValueError("too few bona fide clips of persons the CNNs never trained on to set thresholds")
    x, y = _design(clips, REAL_FUSION_FEATURES)
    fusion = fit_fusion(dict(zip(REAL_FUSION_FEATURES, x.T, strict=True)), y, l2=l2)
    fusion = replace(
        fusion,
        reject_threshold=threshold_at_bpcer(y_unseen, s_unseen, bpcer=0.01),
        review_threshold=threshold_at_bpcer(y_unseen, s_unseen, bpcer=0.05),
    )
    threshold = fusion.review_threshold

    def subset(species: str | None) -> dict[str, Any] | None:
        chosen = [r for r in records if r["label"] == "bona_fide" or species in (None, r["species"])]
        if not any(r["label"] == "attack" for r in chosen):
            return None
        metrics = metrics_for(chosen, threshold=threshold)
        y_sub = [int(r["label"] == "attack") for r in chosen]
        ci = bootstrap_ci(
            roc_auc, y_sub, [r["spoof_score"] for r in chosen], groups=[r["subject"] for r in chosen], n_boot=500
        )
        # Persons, not clips, are resampled: the interval shows how few people were seen.
        metrics["auc_ci95_by_person"] = [ci.low, ci.high]
        return metrics

    metrics = {
        "scheme": "leave-one-generator-out for animated photos, person folds for bona fide and face swaps; "
        "persons of a test fold never in its training folds; figures on persons the CNNs never trained on",
        "l2": l2,
        "features": list(REAL_FUSION_FEATURES),
        "n_clips_fitted": len(clips),
        "animated_photo_vs_live_video": subset("animated_photo"),
        "face_swap_vs_live_video": subset("face_swap"),
        "video": subset(None),
        "thresholds": {"video_review_bpcer5": fusion.review_threshold, "video_reject_bpcer1": fusion.reject_threshold},
    }
    return fusion, metrics, records
