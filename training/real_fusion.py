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
  threshold is an out-of-fold figure, not a fit;
- the L2 strength is a choice made from data too, so each fold chooses its own from its
  training clips alone, by the same scheme one level down (nested cross-validation).
The shipped fusion is then refit on every clip.

The labelled data has no replay or print *videos*, and a fusion fitted on generator outputs
alone learns to ignore the CNNs' replay/print evidence (out of fold on synthesized ones:
replay AUC 0.84, print 0.47). So every bona fide clip is also filmed off a screen or printed
by ``training.synth`` (the CNNs' own attack recipes) and joins the fit as an attack of its
person, with a tenth of the attack weight. Measured out of fold with 0.3.1 (before the skin
chroma input and the L2 choice; share: animated photo / replay / print AUC): 0 → 0.848 /
0.835 / 0.467; 0.05 → 0.841 / 0.985 / 0.736; 0.1 → 0.832 / 0.996 / 0.827; 0.2 → 0.810 /
0.999 / 0.908. A tenth keeps screen replays caught for a small
cost on animated photos.
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
from liveness.result import SPECIES_REASON
from liveness.scoring.fusion import CLASSES, LogisticFusion, SpeciesNamer, attack_reason, sigmoid_array
from liveness.scoring.metrics import bootstrap_ci, roc_auc, threshold_at_bpcer
from liveness.skin_color import SKIN_COLOR_NAMES
from liveness.texture import TEXTURE_DYNAMICS_NAMES, TEXTURE_NAMES
from training.catalog import Item
from training.fusion_fit import fit_fusion

# Model log-odds, both models' class probabilities, skin texture, skin chroma dynamics
# (``liveness.skin_color``: lower than live video for every generator; out of fold it lifted
# animated photos 0.832 → 0.852, other species within ±0.015) and the frame-to-frame spread
# of skin detail (``liveness.texture``: animated photos 0.866 → 0.915, face swaps 0.546 →
# 0.574, replay 0.993 → 0.990, synthesized prints 0.849 → 0.799). The 19 motion features are
# left out on purpose: fitted on real generators they flip sign from one held-out
# generator to the next (cross-validated AUC 0.42 alone, and they lowered the fused AUC).
REAL_FUSION_FEATURES: tuple[str, ...] = (
    FRAME_SPOOF_LOGIT,
    CLIP_SPOOF_LOGIT,
    *class_probability_names("frame"),
    *class_probability_names("clip"),
    *TEXTURE_NAMES,
    *SKIN_COLOR_NAMES,
    *TEXTURE_DYNAMICS_NAMES,
)
PERSON_FOLDS = 6
# L2 strengths tried; each fit takes the one its own training clips pick by the same
# leave-one-generator-out scheme (nested: the clips being scored never take part). Measured
# out of fold on animated photos: fixed 1.0 → 0.851; nested choice → 0.866 (folds chose
# 0.01–1.0, mostly 0.03–0.3).
L2_GRID = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0)
# Species whose real samples come from several generators: these get a fold per generator.
GENERATOR_FOLD_SPECIES = ("animated_photo",)
# Share of the attack class weight given to the synthesized replay/print clips.
SYNTHETIC_ATTACK_SHARE = 0.1
SYNTHETIC_SOURCE_PREFIX = "synthetic."
PRESENTATION_SPECIES = ("replay", "print")
# Attack species with their own figures (``<species>_vs_live_video``).
REPORTED_SPECIES = ("animated_photo", "face_swap", *PRESENTATION_SPECIES)


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

    @property
    def is_synthetic(self) -> bool:
        return self.source.startswith(SYNTHETIC_SOURCE_PREFIX)


def extract_clips(items: Sequence[Item], scorer: Scorer, *, progress: bool = True) -> list[RealClip]:
    """The fusion values of every real video in ``items`` (clips with no face are skipped:
    they are failures to acquire whatever the fusion)."""
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


def synthesize_presentation_clips(
    items: Sequence[Item], out_dir: Path, scorer: Scorer, *, progress: bool = True
) -> list[RealClip]:
    """Film every bona fide video of ``items`` off a screen (even ones) or as a held-up print
    (odd ones) with ``training.synth``, encode it like the data (H.264, CRF 23) into
    ``out_dir`` (kept: a rerun reuses it), and return the clips with their fusion values.
    Each inherits its source's person and split, so folds and figures treat it like that
    person's clips. Deterministic (seeded by position)."""
    from training.synth.capture import decode_video, encode_mp4
    from training.synth.printed import print_attack
    from training.synth.replay import replay_attack

    out_dir.mkdir(parents=True, exist_ok=True)
    sources = [it for it in items if it.is_video and it.label == "bona_fide"]
    clips = []
    for k, item in enumerate(tqdm(sources, desc="replay/print clips", unit="clip", disable=not progress)):
        species = PRESENTATION_SPECIES[k % len(PRESENTATION_SPECIES)]
        path = out_dir / f"{species}-{k:04d}-{item.path.stem}.mp4"
        try:
            if not path.exists():
                frames = decode_video(item.path)
                made = (
                    replay_attack(frames, rng=k)
                    if species == "replay"
                    else print_attack(frames, rng=k, n_frames=len(frames))
                )
                encode_mp4(made, path)
            values = scorer.attempt_features(path)
        except LivenessError:
            values = None
        if values is None or CLIP_SPOOF_LOGIT not in values:
            continue
        source = f"{SYNTHETIC_SOURCE_PREFIX}{species}"
        clips.append(RealClip(str(path), "attack", species, source, item.person, item.split, values))
    return clips


def fold_of(clip: RealClip) -> str:
    """Generator fold for multi-generator attack species, else a person fold."""
    if clip.is_attack and clip.species in GENERATOR_FOLD_SPECIES:
        return f"generator:{clip.source}"
    digest = hashlib.sha256(clip.person.encode()).digest()
    return f"persons:{int.from_bytes(digest[:4], 'big') % PERSON_FOLDS}"


def _design(clips: Sequence[RealClip], features: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x = np.array([[c.values.get(k, np.nan) for k in features] for c in clips], np.float64)
    y = np.array([int(c.is_attack) for c in clips], np.int64)
    synthetic = np.array([c.is_synthetic for c in clips], bool)
    # A value the runtime could not measure (NaN) is scored as the fitted mean (standardized
    # 0, ``LogisticFusion.score``); fit it the same way, not as a raw 0.
    x[~np.isfinite(x)] = np.nan
    column_means = np.nan_to_num(np.nanmean(np.where(np.isnan(x).all(0), 0.0, x), axis=0))
    return np.where(np.isnan(x), column_means, x), y, synthetic


def class_weights(y: np.ndarray, synthetic: np.ndarray) -> np.ndarray:
    """Half the weight to bona fide, half to attacks, of which synthesized clips share
    ``SYNTHETIC_ATTACK_SHARE`` (all of it when there are no real attacks)."""
    weight = np.zeros(len(y))
    real_attack, synthetic_attack = (y == 1) & ~synthetic, (y == 1) & synthetic
    share = SYNTHETIC_ATTACK_SHARE if real_attack.any() else 1.0
    weight[y == 0] = 0.5 / max(1, (y == 0).sum())
    weight[real_attack] = 0.5 * (1 - share) / max(1, real_attack.sum())
    weight[synthetic_attack] = 0.5 * share / max(1, synthetic_attack.sum())
    return weight


def _fit(
    x: np.ndarray, y: np.ndarray, synthetic: np.ndarray, l2: float, features: Sequence[str] | None = None
) -> LogisticFusion:
    names = features or [f"x{i}" for i in range(x.shape[1])]
    return fit_fusion(dict(zip(names, x.T, strict=True)), y, l2=l2, sample_weight=class_weights(y, synthetic))


def _fit_predict(
    x: np.ndarray, y: np.ndarray, synthetic: np.ndarray, train: np.ndarray, test: np.ndarray, l2: float
) -> np.ndarray:
    fusion = _fit(x[train], y[train], synthetic[train], l2)
    return ((x[test] - fusion.mean) / fusion.std) @ fusion.coef + fusion.intercept


def _fold_arrays(clips: Sequence[RealClip]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each clip's fold (``fold_of``), its person, and whether it is an animated photo."""
    folds = np.array([fold_of(c) for c in clips])
    persons = np.array([c.person for c in clips])
    animated = np.array([c.is_attack and c.species in GENERATOR_FOLD_SPECIES for c in clips])
    return folds, persons, animated


def _splits(folds: np.ndarray, persons: np.ndarray, within: np.ndarray) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """(fold, train, test) masks over the clips in ``within``: each fold of them is tested
    against the rest, minus every clip of a person who appears in the fold."""
    out = []
    for fold in sorted(set(folds[within])):
        test = within & (folds == fold)
        train = within & (folds != fold) & ~np.isin(persons, np.unique(persons[test]))
        out.append((str(fold), train, test))
    return out


def choose_l2(
    x: np.ndarray,
    y: np.ndarray,
    synthetic: np.ndarray,
    animated: np.ndarray,
    folds: np.ndarray,
    persons: np.ndarray,
    within: np.ndarray,
) -> float:
    """The ``L2_GRID`` strength whose out-of-fold scores, computed inside ``within`` only and
    with the same fold rules, rank animated photos above live clips best (ties go to the
    stronger one)."""
    best, best_auc = L2_GRID[-1], -1.0
    splits = [(train, test) for _, train, test in _splits(folds, persons, within) if len(set(y[train])) == 2]
    for l2 in sorted(L2_GRID, reverse=True):
        logits = np.full(len(y), np.nan)
        for train, test in splits:
            logits[test] = _fit_predict(x, y, synthetic, train, test, l2)
        judged = within & ~np.isnan(logits) & ((y == 0) | animated)
        if len(set(y[judged])) < 2:
            return best
        auc = roc_auc(y[judged], logits[judged])
        if auc > best_auc + 1e-12:
            best, best_auc = l2, auc
    return best


def _nested_logits(
    clips: Sequence[RealClip], features: Sequence[str], l2: float | None
) -> tuple[np.ndarray, dict[str, float]]:
    x, y, synthetic = _design(clips, features)
    folds, persons, animated = _fold_arrays(clips)
    logits = np.zeros(len(clips))
    chosen: dict[str, float] = {}
    for fold, train, test in _splits(folds, persons, np.ones(len(clips), bool)):
        if len(set(y[train])) < 2:
            raise ValueError(f"fold {fold} leaves a single class to train on; add clips of both classes")
        chosen[fold] = l2 if l2 is not None else choose_l2(x, y, synthetic, animated, folds, persons, train)
        logits[test] = _fit_predict(x, y, synthetic, train, test, chosen[fold])
    return logits, chosen


def cross_validated_scores(
    clips: Sequence[RealClip], features: Sequence[str] = REAL_FUSION_FEATURES, *, l2: float | None = None
) -> np.ndarray:
    """Out-of-fold spoof scores: each fold is scored by a fusion fitted without the fold's
    clips and without any clip of a person who appears in the fold; its L2 strength is
    ``l2``, or (None) chosen by :func:`choose_l2` on that fusion's own training clips."""
    return sigmoid_array(_nested_logits(clips, features, l2)[0])


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
    clips: Sequence[RealClip], *, l2: float | None = None
) -> tuple[LogisticFusion, dict[str, Any], list[dict[str, Any]]]:
    """The shipped video fusion (fitted on every clip, thresholds from out-of-fold bona fide
    scores of persons the CNNs never saw), its cross-validated metrics, and the per-clip
    out-of-fold records those metrics were computed from."""
    logits, l2_by_fold = _nested_logits(clips, REAL_FUSION_FEATURES, l2)
    scores = sigmoid_array(logits)
    unseen = np.array([c.split != "train" for c in clips])
    records = [r for r, keep in zip(clip_records(clips, scores), unseen, strict=True) if keep]
    y_unseen = np.array([int(r["label"] == "attack") for r in records])
    s_unseen = np.array([r["spoof_score"] for r in records])
    bona = y_unseen == 0
    if bona.sum() < 2:
        raise ValueError("too few bona fide clips of persons the CNNs never trained on to set thresholds")
    x, y, synthetic = _design(clips, REAL_FUSION_FEATURES)
    if l2 is None:
        folds, persons, animated = _fold_arrays(clips)
        l2 = choose_l2(x, y, synthetic, animated, folds, persons, np.ones(len(clips), bool))
    fusion = replace(
        _fit(x, y, synthetic, l2, REAL_FUSION_FEATURES),
        reject_threshold=threshold_at_bpcer(y_unseen, s_unseen, bpcer=0.01),
        review_threshold=threshold_at_bpcer(y_unseen, s_unseen, bpcer=0.05),
    )
    threshold = fusion.review_threshold

    def subset(species: str | None) -> dict[str, Any] | None:
        """Bona fide against one attack species, or against every *real* attack (None)."""
        chosen = [
            r
            for r in records
            if r["label"] == "bona_fide"
            or r["species"] == species
            or (species is None and not r["source"].startswith(SYNTHETIC_SOURCE_PREFIX))
        ]
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
        "l2_chosen_per_fold": l2_by_fold,
        "features": list(REAL_FUSION_FEATURES),
        "n_clips_fitted": len(clips),
        **{f"{species}_vs_live_video": subset(species) for species in REPORTED_SPECIES},
        "synthetic_attack_share": SYNTHETIC_ATTACK_SHARE,
        "video": subset(None),
        "thresholds": {"video_review_bpcer5": fusion.review_threshold, "video_reject_bpcer1": fusion.reject_threshold},
    }
    return fusion, metrics, records


# The species a flagged video is named as; fitted on the attack clips only.
NAMER_CLASSES = ("animated_photo", "face_swap", "replay", "print")
NAMER_L2 = 1.0


def _fit_namer(x: np.ndarray, species: np.ndarray, l2: float = NAMER_L2) -> SpeciesNamer:
    """One logistic regression per species against the other attacks (``fit_fusion``: the
    same standardization, and each side weighted equally, so a species with few clips still
    counts)."""
    columns = dict(zip(REAL_FUSION_FEATURES, x.T, strict=True))
    fits = [fit_fusion(columns, (species == k).astype(np.int64), l2=l2) for k in range(len(NAMER_CLASSES))]
    return SpeciesNamer(
        REAL_FUSION_FEATURES,
        NAMER_CLASSES,
        fits[0].mean,
        fits[0].std,
        np.array([f.coef for f in fits]),
        np.array([f.intercept for f in fits]),
    )


def _named_by_cnns(clip: RealClip) -> str:
    """The reason code the runtime gives without a namer: ``attack_reason`` of the CNNs' mean
    class probabilities."""
    probs = [0.5 * clip.values.get(f"frame_p_{k}", 0.0) + 0.5 * clip.values.get(f"clip_p_{k}", 0.0) for k in CLASSES]
    return attack_reason(np.array(probs))


def fit_species_namer(clips: Sequence[RealClip]) -> tuple[SpeciesNamer, dict[str, Any]]:
    """The shipped namer (fitted on every attack clip of a ``NAMER_CLASSES`` species) and its
    out-of-fold recall per species (same folds as the fusion: animated photos named by a
    namer that never saw their generator), next to the CNNs' naming of the same clips."""
    attacks = [c for c in clips if c.is_attack and c.species in NAMER_CLASSES]
    if len({c.species for c in attacks}) < 2:
        raise ValueError("naming attacks needs clips of at least two attack species")
    x = _design(attacks, REAL_FUSION_FEATURES)[0]
    species = np.array([NAMER_CLASSES.index(c.species) for c in attacks])
    folds, persons, _ = _fold_arrays(attacks)
    named = np.full(len(attacks), -1)
    for _, train, test in _splits(folds, persons, np.ones(len(attacks), bool)):
        if len(set(species[train])) < 2:
            continue
        named[test] = _fit_namer(x[train], species[train]).predict(x[test])
    cnn_right = np.array([_named_by_cnns(c) == SPECIES_REASON[c.species] for c in attacks])
    metrics: dict[str, Any] = {"l2": NAMER_L2, "recall_out_of_fold": {}, "recall_cnn_naming": {}, "n": {}}
    for k, name in enumerate(NAMER_CLASSES):
        mine = species == k
        if mine.any():
            metrics["n"][name] = int(mine.sum())
            metrics["recall_out_of_fold"][name] = float((named[mine] == k).mean())
            metrics["recall_cnn_naming"][name] = float(cnn_right[mine].mean())
    return _fit_namer(x, species), metrics
