"""Training end to end on a tiny generated data folder: catalog → build → train → export → score.

The "persons" are the shipped public-domain portrait moved along different paths; the run is
far too small to learn anything, so this checks the plumbing and the artefacts, not accuracy.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.face_fixtures import moving_portrait_frames, write_image, write_video
from training.catalog import load_catalog, person_of


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("data")
    (d / "videos").mkdir()
    (d / "images").mkdir()
    rows = ["path\tlabel\tspecies\tsubject\tsource\tnote"]
    for i in range(6):
        frames = moving_portrait_frames(40, size=(240, 208), seed=i)
        write_video(frames, d / "videos" / f"v{i}.mp4")
        rows.append(f"videos/v{i}.mp4\tbona_fide\tnone\tperson_{i}\tgen\t")
        write_image(d / "images" / f"p{i}.jpg", frames[5])
        rows.append(f"images/p{i}.jpg\tbona_fide\tnone\tperson_{i}\tgen\t")
    rows.append("videos/v0.mp4x\tattack\tanimated_photo\tperson_0\tSomeGenerator\t")
    (d / "LABELS.tsv").write_text("\n".join(rows[:-1]) + "\n")
    return d


def test_person_split_keeps_a_person_on_one_side(data_dir: Path) -> None:
    items = load_catalog(data_dir / "LABELS.tsv", seed=3)
    sides: dict[str, set[str]] = {}
    for item in items:
        sides.setdefault(item.person, set()).add(item.split)
    assert all(len(s) == 1 for s in sides.values())
    assert person_of("dflc_target_tim_chrys_3") == "tim_chrys"


def test_real_attack_samples_are_never_trainable(tmp_path: Path) -> None:
    labels = tmp_path / "LABELS.tsv"
    labels.write_text(
        "path\tlabel\tspecies\tsubject\tsource\n"
        "a.mp4\tattack\tanimated_photo\tann\tSadTalker\n"
        "b.mp4\tbona_fide\tnone\tann\tSadTalker\n"
        "c.jpg\tattack\treplay\tgroup\tLivenessDectectionForFaceSpoofingAttack\n"
    )
    items = {it.path.name: it for it in load_catalog(labels)}
    assert not items["a.mp4"].trainable and items["a.mp4"].split == "test"
    assert items["b.mp4"].split == "test"  # the person of a dev attack is held out entirely
    assert items["c.jpg"].trainable  # a source published as training data


@pytest.mark.slow
def test_train_export_and_score(data_dir: Path, tmp_path: Path) -> None:
    from liveness.models.manifest import read_manifest
    from liveness.pipeline import Scorer
    from training.build import build
    from training.export import export_run
    from training.pipeline import _stage_weights
    from training.train import TrainConfig, train

    items = load_catalog(data_dir / "LABELS.tsv", val_fraction=0.34, test_fraction=0.0, seed=1)
    assert {it.split for it in items} == {"train", "val"}
    paths = build(items, tmp_path / "samples", scale=0.4, workers=1, autoencoder_minutes=0.05)
    assert len(paths) >= 10
    with np.load(paths[0]) as sample:
        assert sample["frame_crops"].shape[1:] == (128, 128, 3)
    summary = train(paths, tmp_path, TrainConfig(frame_epochs=1, clip_epochs=1, batch_frames=16, batch_clips=4))
    assert {entry["model"] for entry in summary["log"]} == {"frame_cnn", "clip_net"}
    fusion = json.loads((tmp_path / "fusion.json").read_text())
    assert set(fusion) == {"video", "image"}
    # A resumed run keeps the sample counts the models were trained on, though the sample
    # folder changed since (here: one sample fewer).
    resumed = train(paths[1:], tmp_path, TrainConfig(frame_epochs=1, clip_epochs=1, batch_frames=16, batch_clips=4))
    assert resumed["samples"] == summary["samples"]

    weights = _stage_weights(tmp_path)
    entries = export_run(tmp_path, weights, version="smoke")
    assert set(entries) == {"frame_cnn", "clip_net"}
    manifest = read_manifest(weights)
    assert manifest["models"]["frame_cnn"]["parity_max_abs_gap"] <= 1e-3
    result = Scorer(weights_dir=weights).score(data_dir / "videos" / "v1.mp4")
    assert result.model_versions["frame_cnn"] == "smoke"
    assert result.spoof_score is not None
