"""The portrait-swap path: synthesized portrait forgeries, the portrait split, the joint
calibration, and the scorer fusing a freshly exported (untrained) doc_portrait model.
Trained-model figures are measured by the training run."""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import numpy as np
import pytest

from liveness.documents.forgery import DocumentForgeryModel
from liveness.documents.intake import prepare_document
from liveness.documents.portrait import PortraitResult, locate_portrait, portrait_page
from liveness.documents.scorer import DocumentScorer
from liveness.scoring.fusion import LogisticFusion
from tests.document_fixtures import (
    TILTED,
    add_untrained_doc_model,
    add_untrained_portrait_model,
    card_with_ghost,
    card_with_portrait,
    make_card,
    make_scene,
    make_template_pool,
    png_bytes,
)
from tests.face_fixtures import portrait
from training.documents.pipeline import PORTRAIT_SHARD, portrait_plans
from training.documents.portrait_set import (
    OTHER_SPECIES,
    PHOTO_EDITS,
    PORTRAIT_VARIANTS,
    PortraitPlan,
    PortraitSet,
    _same_plan,
    build_portrait_split,
)
from training.documents.portrait_swaps import blend_captured_face, resave, swap_captured_face, swap_printed_face
from training.documents.train import add_gates, calibrate_joint, fit_colour_gate, fit_ghost_gate, gated_scores
from training.train import normalize_images


@pytest.fixture(scope="module")
def joint_weights(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("joint_weights")
    add_untrained_doc_model(folder)
    add_untrained_portrait_model(folder)
    return folder


@pytest.fixture(scope="module")
def pool(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return make_template_pool(tmp_path_factory.mktemp("docpool"))


@pytest.fixture(scope="module")
def card_page() -> np.ndarray:
    image = make_scene(card_with_portrait(), TILTED)
    prepared = prepare_document(image)
    assert prepared.quad is not None
    return portrait_page(image, prepared.quad.corners)


def _changed(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    return np.abs(before.astype(np.int16) - after.astype(np.int16)).max(-1) > 8


def test_captured_swap_and_blend_change_the_face_only(card_page: np.ndarray) -> None:
    face = locate_portrait(card_page)
    assert face is not None
    x0, y0, x1, y1 = face.box
    pad = 0.6 * (x1 - x0)
    for edited in (
        swap_captured_face(card_page, portrait()[:, ::-1].copy(), np.random.default_rng(0)),
        blend_captured_face(card_page, np.random.default_rng(1)),
    ):
        assert edited is not None and edited.shape == card_page.shape
        changed = _changed(card_page, edited)
        assert changed.sum() > 200
        ys, xs = np.nonzero(changed)
        assert xs.min() >= x0 - pad and xs.max() <= x1 + pad
        assert ys.min() >= y0 - pad and ys.max() <= y1 + pad


def test_swaps_need_a_face() -> None:
    card = make_card()
    rng = np.random.default_rng(0)
    assert swap_captured_face(card, portrait(), rng) is None
    assert blend_captured_face(card, rng) is None
    assert swap_printed_face(card, (30, 90, 250, 380), portrait(), rng) is None


def test_printed_swap_stays_in_the_photo_slot() -> None:
    card = card_with_portrait()
    swapped = swap_printed_face(card, (30, 90, 250, 380), portrait()[:, ::-1].copy(), np.random.default_rng(2))
    assert swapped is not None
    changed = _changed(card, swapped)
    assert changed.sum() > 200
    outside = changed.copy()
    outside[90:380, 30:250] = False
    assert not outside.any()


def test_resave_keeps_the_image_and_recompresses_it(card_page: np.ndarray) -> None:
    out = resave(card_page, np.random.default_rng(3))
    assert out.shape == card_page.shape and out.dtype == np.uint8
    difference = np.abs(out.astype(np.int16) - card_page.astype(np.int16))
    assert 0 < difference.mean() < 12


def test_portrait_split_labels_variants_and_stores_pages(pool: dict[str, Path], tmp_path: Path) -> None:
    plan = PortraitPlan("test", 10, 77, None, None, 64, True)
    data = build_portrait_split(
        plan, tmp_path / "split", docs_dir=pool["docs"], faces_dir=pool["faces"], cache_dir=pool["cache"], workers=1
    )
    n = len(data.labels)
    assert 5 <= n <= 10  # a few attempts may be dropped when no face is found
    assert data.crops.shape == (n, 64, 64, 3)
    assert data.pages is not None and data.pages.shape == (n, 288, 448, 3)
    assert data.ghost is not None and data.ghost.shape == (n,)  # NaN: the pool's cards have no ghost
    assert [int(v != "none") for v in data.variants] == data.labels.tolist()
    assert set(json.loads((tmp_path / "split" / "meta.json").read_text())["forged"]) == set(
        PORTRAIT_VARIANTS[1:] + OTHER_SPECIES
    )
    assert data.has_portrait.any()
    # crops without a portrait are blank; with one, they show a picture
    assert not data.crops[~data.has_portrait].any()
    assert all(data.crops[i].std() > 5 for i in np.flatnonzero(data.has_portrait))
    again = build_portrait_split(
        plan, tmp_path / "split", docs_dir=pool["docs"], faces_dir=pool["faces"], cache_dir=pool["cache"]
    )
    np.testing.assert_array_equal(again.labels, data.labels)  # reused, not rebuilt
    other = PortraitPlan("test", 12, 77, None, None, 64, True)
    with pytest.raises(ValueError, match="another plan"):
        build_portrait_split(
            other, tmp_path / "split", docs_dir=pool["docs"], faces_dir=pool["faces"], cache_dir=pool["cache"]
        )


def test_validation_with_photo_edits_draws_them_and_does_not_reuse_a_split_without(
    pool: dict[str, Path], tmp_path: Path
) -> None:
    plan = PortraitPlan("val", 10, 77, None, None, 64, True)
    # a split stored before photo edits existed: its plan does not name them, only its counts tell
    counts = {v: 1 for v in PORTRAIT_VARIANTS + OTHER_SPECIES}
    stored = {k: v for k, v in json.loads(json.dumps(plan.__dict__)).items() if k != "photo_edits"}
    (tmp_path / "meta.json").write_text(json.dumps({"variants": list(counts), "counts": counts, "plan": stored}))
    common = {"docs_dir": pool["docs"], "faces_dir": pool["faces"], "cache_dir": pool["cache"]}
    assert _same_plan(json.loads((tmp_path / "meta.json").read_text()), plan)  # today's plan without edits
    edits = PortraitPlan("val", 40, 77, None, None, 64, True, photo_edits=True)
    with pytest.raises(ValueError, match="another plan"):
        build_portrait_split(edits, tmp_path, **common)
    data = build_portrait_split(edits, tmp_path / "edits", **common, workers=1)
    assert set(data.variants) & set(PHOTO_EDITS)


def test_training_split_is_genuine_and_forged_twins(pool: dict[str, Path], tmp_path: Path) -> None:
    plan = PortraitPlan("test", 8, 91, None, None, 64, False)
    data = build_portrait_split(
        plan, tmp_path / "pairs", docs_dir=pool["docs"], faces_dir=pool["faces"], cache_dir=pool["cache"], workers=1
    )
    n = len(data.labels)
    assert n >= 4 and n % 2 == 0 and data.pages is None
    assert data.labels.tolist() == [0, 1] * (n // 2)
    assert all(v != "none" for v in data.variants[1::2])
    assert data.has_portrait.all()
    for genuine, forged in zip(data.crops[0::2], data.crops[1::2], strict=True):
        # the same card in the same capture: close, but not the same picture
        difference = np.abs(genuine.astype(np.int16) - forged.astype(np.int16)).mean()
        assert 0.5 < difference < 60


def test_portrait_training_shards_grow_without_changing_the_first() -> None:
    split = (("tpl",), ("person",))
    small, val = portrait_plans(0, split, split, n_train=PORTRAIT_SHARD, n_val=50)
    big, _ = portrait_plans(0, split, split, n_train=2 * PORTRAIT_SHARD + 7, n_val=50)
    assert [p.n_samples for p in big] == [PORTRAIT_SHARD, PORTRAIT_SHARD, 7]
    assert big[0].seed_offset == small[0].seed_offset and big[0].n_samples == small[0].n_samples
    offsets = [p.seed_offset for p in big]
    # seed blocks never overlap each other or the validation split
    assert all(b - a >= PORTRAIT_SHARD for a, b in itertools.pairwise(offsets))
    assert all(abs(o - val.seed_offset) >= PORTRAIT_SHARD for o in offsets)
    assert val.with_pages and not any(p.with_pages for p in big)


def test_portrait_sets_concatenate_in_order() -> None:
    def part(n: int, label: int) -> PortraitSet:
        return PortraitSet(
            crops=np.full((n, 4, 4, 3), label, np.uint8),
            has_portrait=np.ones(n, bool),
            labels=np.full(n, label, np.int64),
            variants=["none" if label == 0 else "paste"] * n,
            pages=None,
        )

    joined = PortraitSet.concat([part(2, 0), part(3, 1)])
    assert joined.labels.tolist() == [0, 0, 1, 1, 1]
    assert joined.crops.shape == (5, 4, 4, 3) and joined.crops[2:].min() == 1
    assert joined.variants == ["none", "none", "paste", "paste", "paste"]


def test_joint_calibration_gives_a_missing_portrait_or_ghost_no_say() -> None:
    rng = np.random.default_rng(0)
    y = np.r_[np.zeros(300), np.ones(300)].astype(np.int64)
    forgery = rng.normal(y * 1.5, 1.0)
    portrait_logit = rng.normal(y * 2.0, 1.0)
    portrait_logit[::3] = np.nan  # backs: no portrait
    ghost = rng.normal(0.85 - 0.2 * y, 0.05)
    ghost[::2] = np.nan  # most cards have no ghost image
    fusion = LogisticFusion.from_dict(
        calibrate_joint({"forgery_logit": forgery, "portrait_logit": portrait_logit, "ghost_similarity": ghost}, y)
    )
    assert fusion.features == ("forgery_logit", "portrait_logit", "ghost_similarity")
    assert fusion.coef[0] > 0 and fusion.coef[1] > 0 and fusion.coef[2] < 0  # a poor ghost match: forged
    means = {"portrait_logit": float(np.nanmean(portrait_logit)), "ghost_similarity": float(np.nanmean(ghost))}
    for f in (-1.0, 0.5, 2.0):
        for name, mean in means.items():
            values = {"forgery_logit": f, "portrait_logit": 0.3, "ghost_similarity": 0.7}
            missing = fusion.score({**values, name: math.nan})
            assert missing == pytest.approx(fusion.score({**values, name: mean}))


def test_colour_gate_knee_and_slope_come_from_genuine_and_photocopied_documents() -> None:
    rng = np.random.default_rng(0)
    variants = np.array(["none"] * 400 + ["photocopy"] * 100 + ["paste"] * 100, dtype=object)
    spread = np.r_[rng.normal(2.9, 0.5, 400), rng.normal(1.6, 0.4, 100), rng.normal(2.9, 0.5, 100)]
    gate = fit_colour_gate(spread, variants, review_threshold=0.7)
    assert gate.slope > 0
    assert gate.score(float(np.percentile(spread[:400], 1.0))) == pytest.approx(0.7)
    genuine_reviewed = np.mean([gate.score(x) >= 0.7 for x in spread[:400]])
    assert 0.005 <= genuine_reviewed <= 0.011
    assert np.mean([gate.score(x) >= 0.7 for x in spread[400:500]]) > 0.3  # copies greyer than that
    with pytest.raises(ValueError, match="genuine and photocopied"):
        fit_colour_gate(spread[:400], variants[:400], 0.7)
    with pytest.raises(ValueError, match="not lower"):
        fit_colour_gate(np.r_[spread[:400], spread[:400][:100] + 2.0], variants[:500], 0.7)


def test_gated_thresholds_are_fitted_on_the_gated_score() -> None:
    rng = np.random.default_rng(1)
    variants = np.array(["none"] * 300 + ["photocopy"] * 100 + ["paste"] * 200, dtype=object)
    y = (variants != "none").astype(np.int64)
    joint = {"forgery_logit": rng.normal(1.5 * y, 1.0)}
    spread = np.where(variants == "photocopy", rng.normal(1.2, 0.3, y.size), rng.normal(2.9, 0.5, y.size))
    calibration = add_gates(calibrate_joint(joint, y), joint, spread, variants, y)
    scores = gated_scores(calibration, joint, spread)
    fused = gated_scores({k: v for k, v in calibration.items() if k != "colour_gate"}, joint, spread)
    assert (scores >= fused).all() and (scores > fused).any()
    genuine = scores[y == 0]
    assert np.mean(genuine >= calibration["thresholds"]["bpcer_5"]) <= 0.05
    assert np.mean(genuine >= calibration["thresholds"]["bpcer_5"]) >= 0.03
    # the gate catches the grey copies the page model misses
    copies = variants == "photocopy"
    threshold = calibration["thresholds"]["bpcer_5"]
    assert np.mean(scores[copies] >= threshold) > np.mean(fused[copies] >= threshold) + 0.2


def test_forgery_model_fuses_the_portrait_and_names_the_swap(joint_weights: Path) -> None:
    model = DocumentForgeryModel(weights_dir=joint_weights)
    assert model.wants_portrait
    page = np.full((1, 288, 448, 3), 200, np.uint8)
    none, low, high = (
        model.predict(page, [p])[0]
        for p in (None, PortraitResult(-3.0, (0.1, 0.2, 0.3, 0.4)), PortraitResult(3.0, (0.1, 0.2, 0.3, 0.4)))
    )
    assert low.forgery_score < none.forgery_score < high.forgery_score
    assert high.species == "portrait_swap" and high.portrait_logit == 3.0
    assert high.regions[0].x == pytest.approx(0.1) and high.regions[0].score == pytest.approx(1 / (1 + math.exp(-3)))
    assert none.portrait_logit is None
    with pytest.raises(ValueError):
        model.predict(np.repeat(page, 2, axis=0), [None])


def test_a_ghost_that_does_not_match_names_the_swap_and_shows_where(joint_weights: Path) -> None:
    model = DocumentForgeryModel(weights_dir=joint_weights)
    page = np.full((1, 288, 448, 3), 200, np.uint8)
    box, ghost_box = (0.1, 0.2, 0.3, 0.4), (0.8, 0.5, 0.1, 0.15)
    same, other = (
        model.predict(page, [PortraitResult(-0.5, box, ghost_similarity=s, ghost_box=ghost_box)])[0]
        for s in (0.9, 0.5)
    )
    assert same.forgery_score < other.forgery_score
    assert other.species == "portrait_swap" and other.ghost_similarity == 0.5
    # the portrait model itself says genuine: only the ghost is shown
    assert [(r.x, r.y) for r in other.regions[:1]] == [(0.8, 0.5)]
    assert all((r.x, r.y) != (0.1, 0.2) for r in other.regions)
    assert "ghost_similarity" in other.to_dict()


def test_scorer_scores_the_portrait_of_a_front_only(joint_weights: Path, tmp_path: Path) -> None:
    scorer = DocumentScorer(weights_dir=joint_weights, ocr=False)
    assert scorer.model_versions == {"doc_forgery": "test", "doc_portrait": "test"}
    front = scorer.score(png_bytes(make_scene(card_with_ghost(), TILTED)), side="front")
    assert front.portrait_logit is not None and math.isfinite(front.portrait_logit)
    assert front.ghost_similarity is not None and front.ghost_similarity > 0.8  # the same photo
    assert "doc_portrait" in front.timings_ms
    back = scorer.score(png_bytes(make_scene(make_card(), TILTED)), side="back")
    assert back.portrait_logit is None and back.forgery_score is not None and back.ghost_similarity is None
    assert "portrait_logit" in front.to_dict()


def test_a_page_only_manifest_does_not_load_the_portrait_model(tmp_path: Path) -> None:
    add_untrained_doc_model(tmp_path)
    scorer = DocumentScorer(weights_dir=tmp_path, ocr=False)
    assert scorer.portrait is None and scorer.model_versions == {"doc_forgery": "test"}


def test_the_ghost_check_runs_only_when_the_calibration_fuses_it(tmp_path: Path) -> None:
    add_untrained_doc_model(tmp_path)
    add_untrained_portrait_model(tmp_path)
    assert DocumentScorer(weights_dir=tmp_path, ocr=False).portrait.presence is not None
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    calibration = manifest["models"]["doc_forgery"]["calibration"]
    for key in ("features", "mean", "std", "coef"):
        calibration[key] = calibration[key][:2]  # forgery and portrait only
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    scorer = DocumentScorer(weights_dir=tmp_path, ocr=False)
    assert scorer.portrait is not None and scorer.portrait.presence is None
    front = scorer.score(png_bytes(make_scene(card_with_ghost(), TILTED)), side="front")
    assert front.portrait_logit is not None and front.ghost_similarity is None


def test_portrait_model_starts_from_a_frame_cnn(tmp_path: Path) -> None:
    import torch

    from training.documents.train import portrait_init_state
    from training.models.registry import create_model

    torch.manual_seed(0)
    frame = create_model("frame_cnn")
    torch.save(frame.state_dict(), tmp_path / "frame_cnn.pt")
    state = portrait_init_state(tmp_path / "frame_cnn.pt")
    portrait_net = create_model("doc_portrait")
    portrait_net.load_state_dict(state)  # strict: every tensor has its place
    weight = frame.state_dict()["classifier.weight"]
    torch.testing.assert_close(portrait_net.state_dict()["classifier.weight"], weight[[0, 4]])
    x = torch.rand(2, 3, 160, 160)
    frame.eval(), portrait_net.eval()
    with torch.no_grad():
        torch.testing.assert_close(portrait_net(x), frame(x)[:, [0, 4]])


def test_portrait_training_logs_validation_auc_per_forgery() -> None:
    from training.documents.train import train_portrait_model
    from training.train import TrainConfig

    rng = np.random.default_rng(0)
    n = 16
    labels = np.array([0, 1] * (n // 2), np.int64)
    # forged crops are brighter: a separable toy set
    crops = (rng.integers(0, 120, (n, 64, 64, 3)) + 100 * labels[:, None, None, None]).astype(np.uint8)
    variants = ["none" if y == 0 else ("paste", "swap_printed")[(i // 2) % 2] for i, y in enumerate(labels)]
    data = PortraitSet(crops=crops, has_portrait=np.ones(n, bool), labels=labels, variants=variants, pages=None)
    log: list[dict] = []
    train_portrait_model(data, TrainConfig(seed=0), 2, log, val=data)
    assert [entry["epoch"] for entry in log] == [0, 1]
    for entry in log:
        assert set(entry["val"]) == {"paste", "swap_printed"}
        assert all(0.0 <= v <= 1.0 for v in entry["val"].values())


def test_portrait_log_odds_average_the_mirror_image_when_the_manifest_says_so(tmp_path: Path) -> None:
    import torch

    from liveness.documents.portrait import MIRROR_KEY, PortraitForgeryModel
    from training.documents.train import predict_portraits
    from training.export import export_entry
    from training.models.registry import create_model

    torch.manual_seed(1)
    model = create_model("doc_portrait", width=8)
    rng = np.random.default_rng(4)
    crops = rng.integers(0, 256, (4, 160, 160, 3), dtype=np.uint8)
    crops[:2, :, :80] //= 4  # dark left halves: the mirror image is another input
    crops[2:, :40] //= 4
    # batch-norm statistics from these crops, so that the untrained model's output depends on them
    for module in model.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.momentum = None
    model.train()
    with torch.no_grad():
        model(normalize_images(np.concatenate([crops, crops[:, :, ::-1]])))
    model.eval()
    for mirror in (False, True):
        folder = tmp_path / f"mirror_{mirror}"
        folder.mkdir()
        entry = export_entry(
            model, "doc_portrait", folder, version="test", kind="document_portrait", training_data={}, metrics={},
            extra={MIRROR_KEY: True} if mirror else {},
        )
        (folder / "manifest.json").write_text(json.dumps({"schema": 1, "models": {"doc_portrait": entry}}))
        runtime = PortraitForgeryModel(weights_dir=folder, ghost=False)
        assert runtime.mirrored is mirror  # an entry that does not say so: the crop alone, as calibrated then
        # training's calibration inputs are the runtime's
        expected = predict_portraits(model, crops, np.ones(len(crops), bool), mirror=mirror)
        np.testing.assert_allclose(runtime.logits(crops), expected, atol=1e-4)
    alone = predict_portraits(model, crops, np.ones(len(crops), bool), mirror=False)
    flipped = predict_portraits(model, crops[:, :, ::-1], np.ones(len(crops), bool), mirror=False)
    assert np.abs(alone - flipped).max() > 1e-3
    np.testing.assert_allclose(runtime.logits(crops), (alone + flipped) / 2, atol=1e-4)


def test_the_ghost_ceiling_is_the_median_of_genuine_ghosts_found() -> None:
    from training.documents.train import fit_ghost_ceiling

    similarity = np.r_[np.linspace(0.4, 0.8, 21), np.full(5, np.nan), np.full(10, 0.2)]
    labels = np.r_[np.zeros(26, int), np.ones(10, int)]
    assert fit_ghost_ceiling(similarity, labels) == pytest.approx(0.6)
    assert fit_ghost_ceiling(similarity[16:], labels[16:]) is None  # 5 genuine ghosts: too few


def test_ghost_gate_is_fitted_on_genuine_ghosts_against_ghosts_left_by_a_swap() -> None:
    rng = np.random.default_rng(2)
    variants = np.array(["none"] * 300 + ["swap_printed"] * 40 + ["swap_captured"] * 40 + ["paste"] * 40
                        + ["text_edit"] * 80, dtype=object)
    found = rng.random(variants.size) < 0.4
    level = {"none": 0.6, "swap_printed": 0.35, "swap_captured": 0.3, "paste": 0.75, "text_edit": 0.6}
    similarity = np.array([rng.normal(level[v], 0.07) for v in variants])
    similarity[~found] = np.nan
    gate = fit_ghost_gate(similarity, variants, review_threshold=0.7)
    assert gate is not None and gate.slope > 0
    genuine = similarity[(variants == "none") & found]
    assert gate.score(float(np.percentile(genuine, 5.0))) == pytest.approx(0.7)
    swapped = similarity[np.isin(variants, ["swap_printed", "swap_captured"]) & found]
    assert np.mean([gate.score(x) >= 0.7 for x in swapped]) > 0.8
    # too few ghosts found: no gate
    assert fit_ghost_gate(np.where(np.arange(variants.size) < 310, similarity, np.nan), variants, 0.7) is None

    # the gate joins the score only where a ghost was found, and the thresholds follow it
    y = (variants != "none").astype(np.int64)
    joint = {"forgery_logit": rng.normal(0.8 * y, 1.0)}
    spread = np.where(rng.random(variants.size) < 0.1, 1.0, 2.9) + rng.normal(0, 0.2, variants.size)
    variants_with_copies = np.where(spread < 1.6, "photocopy", variants).astype(object)
    calibration = add_gates(calibrate_joint(joint, y), joint, spread, variants_with_copies, y, similarity)
    assert "ghost_gate" in calibration
    with_gate = gated_scores(calibration, joint, spread, similarity)
    without = gated_scores(calibration, joint, spread)
    assert (with_gate[~found] == without[~found]).all()
    assert (with_gate >= without).all() and (with_gate[found] > without[found]).any()
    assert np.mean(with_gate[y == 0] >= calibration["thresholds"]["bpcer_5"]) <= 0.05
