"""Training targets of the document model: cell targets and runtime-like rectification."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.document_fixtures import TILTED, make_card, make_scene, make_template_pool
from training.documents.captured_edits import CAPTURED_EDIT_SPECIES
from training.documents.dataset import SplitPlan, build_split, heat_target, rectify_as_runtime
from training.models.doc_forgery import CLASSES


def test_heat_target_marks_the_cells_a_mask_covers() -> None:
    mask = np.zeros((540, 856), np.uint8)
    mask[0:135, 0:214] = 1  # the top-left quarter in each direction
    target = heat_target(mask)
    assert target.shape == (18, 28)
    assert target[:4, :7].all() and target[:, 8:].sum() == 0 and target[5:].sum() == 0


def test_a_document_photographed_upside_down_gets_turned_targets() -> None:
    card = make_card()
    mask = np.zeros(card.shape[:2], np.uint8)
    mask[90:380, 30:250] = 1  # the portrait panel, on the left of the card
    upright_scene = make_scene(card, TILTED)
    # The same card turned 180 degrees in the picture: its top-left corner lies bottom right.
    turned_corners = np.roll(TILTED, 2, axis=0)
    turned_scene = make_scene(card, turned_corners)
    doc_upright, target_upright = rectify_as_runtime(upright_scene, TILTED, mask)
    doc_turned, target_turned = rectify_as_runtime(turned_scene, turned_corners, mask)
    assert target_upright[:, :3].any() and not target_upright[:, -3:].any()
    np.testing.assert_array_equal(target_turned, target_upright[::-1, ::-1])
    # The runtime sees the turned card upside down: its pixels match the upright one rotated.
    diff_rotated = np.abs(doc_turned.astype(int) - doc_upright[::-1, ::-1]).mean()
    diff_same = np.abs(doc_turned.astype(int) - doc_upright).mean()
    assert diff_rotated < diff_same / 2


def test_split_records_edits_made_after_capture_and_refuses_another_plan(tmp_path: Path) -> None:
    pool = make_template_pool(tmp_path / "pool")
    common = {"docs_dir": pool["docs"], "faces_dir": pool["faces"], "cache_dir": pool["cache"], "workers": 1}
    plan = SplitPlan("test", 12, 5, None, None, captured_edit_share=1.0, resave_share=1.0)
    data = build_split(plan, tmp_path / "split", **common)
    after = json.loads((tmp_path / "split" / "meta.json").read_text())["after_capture"]
    species = [CLASSES[k] for k in data.labels]
    assert after == [s in CAPTURED_EDIT_SPECIES for s in species] and any(after)
    assert data.images.shape[0] == 12 and (data.heat[np.array(after)].sum(axis=(1, 2)) > 0).all()
    np.testing.assert_array_equal(build_split(plan, tmp_path / "split", **common).labels, data.labels)  # reused
    with pytest.raises(ValueError, match="another plan"):
        build_split(SplitPlan("test", 12, 5, None, None), tmp_path / "split", **common)
    # a split stored before photo edits existed had none: its plan is today's default one
    meta = json.loads((tmp_path / "split" / "meta.json").read_text())
    meta["plan"] = {k: v for k, v in meta["plan"].items() if k not in ("captured_edit_share", "resave_share")}
    (tmp_path / "split" / "meta.json").write_text(json.dumps(meta))
    assert len(build_split(SplitPlan("test", 12, 5, None, None), tmp_path / "split", **common).labels) == 12


def test_a_checkpoint_is_reused_only_for_what_it_was_trained_on(tmp_path: Path) -> None:
    from training.documents.pipeline import record_checkpoint, reusable_checkpoint

    checkpoint = tmp_path / "doc_forgery.pt"
    record = {"data": [{"name": "train", "n_samples": 3200, "captured_edit_share": 0.0}], "epochs": 8, "seed": 0}
    assert not reusable_checkpoint(checkpoint, record)  # nothing to reuse
    checkpoint.write_bytes(b"weights")
    assert reusable_checkpoint(checkpoint, record)  # trained before records were kept
    record_checkpoint(checkpoint, record)
    assert reusable_checkpoint(checkpoint, json.loads(json.dumps(record)))
    rebuilt = {**record, "data": [{**record["data"][0], "captured_edit_share": 0.5}]}
    with pytest.raises(ValueError, match=r"trained on something else \(differs in: data\)"):
        reusable_checkpoint(checkpoint, rebuilt)
    with pytest.raises(ValueError, match="epochs"):
        reusable_checkpoint(checkpoint, {**record, "epochs": 4})


def test_cli_train_reports_a_refused_run_folder_without_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import training.documents.pipeline as pipeline
    from liveness.cli import EXIT_USAGE, main

    def refuse(*args: object, **kwargs: object) -> dict:
        raise ValueError(f"{tmp_path}/data_train holds a split built by another plan")

    monkeypatch.setattr(pipeline, "run_document_training", refuse)
    assert main(["train", "--kind", "document", "--out", str(tmp_path)]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "another plan" in err and "Traceback" not in err
