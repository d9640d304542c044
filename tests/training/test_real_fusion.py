"""The real-clip video fusion: folds never leak a generator or a person, thresholds and
figures come from out-of-fold scores of persons the CNNs never trained on."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from liveness.pipeline import Scorer
from training import real_fusion
from training.real_fusion import REAL_FUSION_FEATURES, RealClip, cross_validated_scores, fit_real_fusion, fold_of

GENERATORS = ("GenA", "GenB", "GenC")


def _clips(seed: int = 0, *, signal: float = 2.0) -> list[RealClip]:
    """Bona fide clips of 12 persons and animated photos from 3 generators of 6 more; every
    attack reads ``signal`` higher on the texture feature, the rest is noise."""
    rng = np.random.default_rng(seed)
    clips = []

    def values(attack: bool) -> dict[str, float]:
        v = {k: float(rng.normal()) for k in REAL_FUSION_FEATURES}
        v["face_hf_high"] += signal * attack
        return v

    for p in range(12):
        for take in range(2):
            split = "train" if p < 4 else "test"
            clips.append(RealClip(f"b{p}_{take}.mp4", "bona_fide", "none", "Live", f"person{p}", split, values(False)))
    for gen in GENERATORS:
        for p in range(2):
            for take in range(3):
                person = f"{gen}_person{p}"
                path = f"{person}_{take}.mp4"
                clips.append(RealClip(path, "attack", "animated_photo", gen, person, "test", values(True)))
    swap_person = "person5"  # a face swap of a bona fide person: person folds, never with its person
    clips.append(RealClip("swap.mp4", "attack", "face_swap", "Swapper", swap_person, "test", values(True)))
    return clips


def test_animated_photos_get_one_fold_per_generator_and_the_rest_person_folds() -> None:
    clips = _clips()
    folds = {fold_of(c) for c in clips if c.species == "animated_photo"}
    assert folds == {f"generator:{g}" for g in GENERATORS}
    swap = next(c for c in clips if c.species == "face_swap")
    bona_same_person = next(c for c in clips if c.person == swap.person and c.label == "bona_fide")
    assert fold_of(swap) == fold_of(bona_same_person)


def test_no_fold_trains_on_its_generator_or_its_persons(monkeypatch: pytest.MonkeyPatch) -> None:
    """Neither the scoring fits nor the fits that choose their L2 strength (nested inside each
    one's training clips) ever see a clip being scored, its person or its generator."""
    clips = _clips()
    outer: list[tuple[np.ndarray, np.ndarray]] = []
    selections: list[tuple[np.ndarray, list[tuple[np.ndarray, np.ndarray]]]] = []
    fit_predict, choose_l2 = real_fusion._fit_predict, real_fusion.choose_l2
    depth = [0]

    def spy_fit(
        x: np.ndarray, y: np.ndarray, synthetic: np.ndarray, train: np.ndarray, test: np.ndarray, l2: float
    ) -> np.ndarray:
        (selections[-1][1] if depth[0] else outer).append((train.copy(), test.copy()))
        return fit_predict(x, y, synthetic, train, test, l2)

    def spy_choose(*args: np.ndarray) -> float:
        selections.append((args[-1].copy(), []))
        depth[0] += 1
        try:
            return choose_l2(*args)
        finally:
            depth[0] -= 1

    monkeypatch.setattr(real_fusion, "_fit_predict", spy_fit)
    monkeypatch.setattr(real_fusion, "choose_l2", spy_choose)
    cross_validated_scores(clips)
    assert outer and sum(test.sum() for _, test in outer) == len(clips)  # every clip scored once
    assert len(selections) == len(outer)  # one L2 choice per scoring fit
    for (train, _test), (within, inner) in zip(outer, selections, strict=True):
        assert inner and np.array_equal(within, train)
        assert all(not ((t | s) & ~train).any() for t, s in inner)  # selection stays in the training clips
    for train, test in outer + [fit for _, inner in selections for fit in inner]:
        train_persons = {c.person for c, t in zip(clips, train, strict=True) if t}
        test_clips = [c for c, t in zip(clips, test, strict=True) if t]
        assert not train_persons & {c.person for c in test_clips}
        test_generators = {c.source for c in test_clips if c.species == "animated_photo"}
        train_generators = {c.source for c, t in zip(clips, train, strict=True) if t and c.is_attack}
        assert not test_generators & train_generators


def test_l2_is_chosen_from_the_grid_per_fold_and_can_be_fixed() -> None:
    clips = _clips(signal=3.0)
    metrics = fit_real_fusion(clips)[1]
    assert metrics["l2"] in real_fusion.L2_GRID
    assert set(metrics["l2_chosen_per_fold"].values()) <= set(real_fusion.L2_GRID)
    assert len(metrics["l2_chosen_per_fold"]) == len({fold_of(c) for c in clips})
    fixed = fit_real_fusion(clips, l2=0.5)[1]
    assert fixed["l2"] == 0.5 and set(fixed["l2_chosen_per_fold"].values()) == {0.5}


def test_a_real_signal_is_found_out_of_fold_and_noise_is_not() -> None:
    # One informative input among 18, on 43 clips: out of fold it must still rank attacks.
    informative = fit_real_fusion(_clips(signal=6.0))[1]["animated_photo_vs_live_video"]
    noise = fit_real_fusion(_clips(signal=0.0))[1]["animated_photo_vs_live_video"]
    assert informative["auc"] > 0.85
    assert noise["auc"] < 0.8


def test_figures_and_thresholds_use_only_persons_the_cnns_never_saw() -> None:
    clips = _clips(signal=3.0)
    fusion, metrics, records = fit_real_fusion(clips)
    assert all(not r["path"].startswith(("b0_", "b1_", "b2_", "b3_")) for r in records)
    assert metrics["animated_photo_vs_live_video"]["n_bona_fide"] == 16
    assert set(metrics["animated_photo_vs_live_video"]["per_source"]) == set(GENERATORS)
    assert metrics["face_swap_vs_live_video"]["n_attack"] == 1
    assert 0.0 < fusion.review_threshold <= fusion.reject_threshold <= 1.0
    assert fusion.features == REAL_FUSION_FEATURES
    bona = np.array([r["spoof_score"] for r in records if r["label"] == "bona_fide"])
    assert (bona >= fusion.review_threshold).mean() <= 0.0625 + 1e-9  # BPCER 5% out of fold (1 of 16)


def test_a_fold_with_one_class_left_is_a_clear_error() -> None:
    clips = [c for c in _clips() if c.label == "attack"]
    with pytest.raises(ValueError, match="single class"):
        cross_validated_scores(clips)


def test_model_card_reports_out_of_fold_figures_with_intervals(tmp_path: Path) -> None:
    from training.model_card import write_model_card

    _, metrics, _ = fit_real_fusion(_clips(signal=4.0))
    low, high = metrics["animated_photo_vs_live_video"]["auc_ci95_by_person"]
    assert 0.0 <= low <= metrics["animated_photo_vs_live_video"]["auc"] <= high <= 1.0
    metrics["synthetic_fusion_same_clips"] = {
        "animated_photo_vs_live_video": {"auc": 0.5, "apcer_at_bpcer_5": 0.9},
        "face_swap_vs_live_video": None,
    }
    card = write_model_card(tmp_path / "card.md", {"real_cv": metrics, "test": {}}).read_text()
    assert "## Videos: measured out of fold on real clips" in card
    assert "| animated photo | 0.500 |" in card  # before/after row
    assert all(f"| {g} | 6 |" in card for g in GENERATORS)
    assert "BPCER 5% on the out-of-fold bona fide" in card


def _with_presentation_attacks(clips: list[RealClip]) -> list[RealClip]:
    """A synthesized replay of every bona fide clip, reading high on ``clip_p_replay``."""
    made = []
    for c in clips:
        if c.label == "bona_fide":
            values = dict(c.values, clip_p_replay=c.values["clip_p_replay"] + 8.0)
            made.append(RealClip(f"replay-{c.path}", "attack", "replay", "synthetic.replay", c.person, c.split, values))
    return clips + made


def test_synthetic_attacks_get_their_share_of_the_attack_weight() -> None:
    y = np.array([0, 0, 1, 1, 1, 1])
    synthetic = np.array([False, False, False, False, True, True])
    weight = real_fusion.class_weights(y, synthetic)
    assert weight[y == 0].sum() == pytest.approx(0.5)
    assert weight[(y == 1) & ~synthetic].sum() == pytest.approx(0.5 * (1 - real_fusion.SYNTHETIC_ATTACK_SHARE))
    assert weight[synthetic].sum() == pytest.approx(0.5 * real_fusion.SYNTHETIC_ATTACK_SHARE)
    only_synthetic = real_fusion.class_weights(np.array([0, 1]), np.array([False, True]))
    assert only_synthetic.tolist() == [0.5, 0.5]


def test_presentation_attacks_are_learned_and_reported_apart_from_real_ones() -> None:
    clips = _with_presentation_attacks(_clips(signal=4.0))
    assert all(fold_of(c).startswith("persons:") for c in clips if c.species == "replay")
    fusion, metrics, _ = fit_real_fusion(clips)
    assert metrics["replay_vs_live_video"]["auc"] > 0.9
    assert metrics["replay_vs_live_video"]["n_attack"] == 16  # the replays of unseen persons' clips
    # "all real videos" leaves the synthesized clips out
    assert metrics["video"]["n_attack"] == metrics["animated_photo_vs_live_video"]["n_attack"] + 1
    assert fusion.coef[fusion.features.index("clip_p_replay")] > 0


def test_replay_and_print_clips_are_made_from_live_clips_and_reused(tmp_path: Path) -> None:
    from tests.face_fixtures import moving_portrait_frames, write_video
    from training.catalog import Item
    from training.real_fusion import synthesize_presentation_clips

    live = write_video(moving_portrait_frames(30, size=(240, 208)), tmp_path / "live.mp4")
    items = [
        Item(live, "bona_fide", "none", "ann", "Live", "ann", "test"),
        Item(live, "bona_fide", "none", "bob", "Live", "bob", "val"),
    ]
    made = synthesize_presentation_clips(items, tmp_path / "pa", Scorer(), progress=False)
    assert [(c.species, c.person, c.split) for c in made] == [("replay", "ann", "test"), ("print", "bob", "val")]
    assert all(c.is_synthetic and set(REAL_FUSION_FEATURES) <= set(c.values) for c in made)
    files = sorted((tmp_path / "pa").glob("*.mp4"))
    stamps = [f.stat().st_mtime_ns for f in files]
    again = synthesize_presentation_clips(items, tmp_path / "pa", Scorer(), progress=False)
    assert [f.stat().st_mtime_ns for f in files] == stamps  # reused, not re-made
    assert [c.values for c in again] == [c.values for c in made]


def test_species_namer_learns_which_attack_it_is_out_of_fold() -> None:
    """Animated photos read high on one input and face swaps on another: the namer must tell
    them apart for a generator it never saw, and report the CNNs' naming beside its own."""
    rng = np.random.default_rng(3)
    clips = []
    for gen in GENERATORS:
        for p in range(4):
            values = {k: float(rng.normal()) for k in REAL_FUSION_FEATURES}
            values["face_hf_high"] += 3.0
            values["frame_p_face_swap"] = values["clip_p_face_swap"] = 5.0  # the CNNs think otherwise
            clips.append(RealClip(f"{gen}{p}.mp4", "attack", "animated_photo", gen, f"{gen}_p{p}", "test", values))
    for p in range(12):
        values = {k: float(rng.normal()) for k in REAL_FUSION_FEATURES}
        values["skin_chroma_log_std"] += 3.0
        clips.append(RealClip(f"s{p}.mp4", "attack", "face_swap", "Swapper", f"person{p}", "test", values))
    namer, metrics = real_fusion.fit_species_namer(clips)
    assert metrics["n"] == {"animated_photo": 12, "face_swap": 12}
    assert metrics["recall_out_of_fold"]["animated_photo"] > 0.8
    assert metrics["recall_out_of_fold"]["face_swap"] > 0.8
    assert metrics["recall_cnn_naming"]["animated_photo"] < 0.2
    assert namer.name(clips[0].values) == "animated_photo"
    assert namer.name(clips[-1].values) == "face_swap"


def test_species_namer_needs_two_species() -> None:
    only_animated = [c for c in _clips() if c.species == "animated_photo"]
    with pytest.raises(ValueError, match="two attack species"):
        real_fusion.fit_species_namer(only_animated)
