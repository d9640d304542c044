"""Locator training data, training loop and export, on the tests' own one-template pool."""

from __future__ import annotations

import doctest
import json
from pathlib import Path

import numpy as np
import pytest

from liveness.cli import main as cli_main
from liveness.documents.locator import LOCATOR_SIDE, document_probability
from liveness.models.manifest import load_model
from tests.document_fixtures import make_template_pool
from training.documents import locator_data
from training.documents.locator_data import LocatorSynthesizer, quad_mask
from training.documents.locator_set import build_locator_set
from training.documents.locator_train import located_share, predict_probabilities, ship_locator_run, train_locator
from training.documents.synth import DocumentSynthesizer


@pytest.fixture(scope="module")
def pool(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return make_template_pool(tmp_path_factory.mktemp("locpool"))


@pytest.fixture(scope="module")
def locator_synth(pool: dict[str, Path]) -> LocatorSynthesizer:
    synthesizer = DocumentSynthesizer(pool["docs"], pool["faces"], pool["cache"])
    return LocatorSynthesizer(synthesizer, sorted(pool["faces"].glob("*.jpg")))


def test_doctests_pass() -> None:
    assert doctest.testmod(locator_data).failed == 0


def test_sample_is_deterministic_and_its_mask_is_the_document(locator_synth: LocatorSynthesizer) -> None:
    for seed in range(6):
        image, mask = locator_synth.sample(seed)
        again, mask_again = locator_synth.sample(seed)
        assert image.shape == (LOCATOR_SIDE, LOCATOR_SIDE, 3) and image.dtype == np.uint8
        assert mask.shape == (LOCATOR_SIDE, LOCATOR_SIDE) and mask.min() >= 0.0 and mask.max() <= 1.0
        np.testing.assert_array_equal(image, again)
        np.testing.assert_array_equal(mask, mask_again)
        # a document covers from a tenth of the frame to all of it, never nothing
        assert 0.05 < float(mask.mean()) <= 1.0
    assert not np.array_equal(locator_synth.sample(0)[0], locator_synth.sample(1)[0])


def test_quad_running_off_the_frame_is_clipped_in_the_mask() -> None:
    quad = np.array([[50, 10], [150, 10], [150, 60], [50, 60]], np.float32)  # right half outside
    mask = quad_mask(quad, (100, 100), 20)
    assert mask[:, 10:].mean() > 0.3 and mask[:, :9].max() == 0.0 and mask[15:].max() == 0.0


def test_set_is_cached_in_shards_and_reloaded(pool: dict[str, Path], tmp_path: Path) -> None:
    args = (pool["docs"], pool["faces"], tmp_path, range(0, 5), ("test_card",))
    built = build_locator_set(*args, name="t", workers=1)
    assert built.images.shape == (5, LOCATOR_SIDE, LOCATOR_SIDE, 3) and built.masks.dtype == np.uint8
    assert list((tmp_path / "locator_t").glob("*.npz")) and not list((tmp_path / "locator_t").glob("*.partial*"))
    again = build_locator_set(*args, name="t", workers=1)
    np.testing.assert_array_equal(built.images, again.images)


def test_train_measure_and_ship(pool: dict[str, Path], tmp_path: Path) -> None:
    data = build_locator_set(pool["docs"], pool["faces"], tmp_path / "cache", range(0, 8), ("test_card",),
                             name="t", workers=1)
    log: list[dict] = []
    model = train_locator(data, epochs=1, batch=4, log=log)
    assert len(log) == 1 and np.isfinite(log[0]["loss"])
    probabilities = predict_probabilities(model, data.images)
    assert probabilities.shape == (8, LOCATOR_SIDE // 4, LOCATOR_SIDE // 4)
    measured = located_share(probabilities, data.masks)
    assert measured["n"] == 8 and 0.0 <= measured["located"] <= 1.0
    # perfect maps locate every document
    perfect = data.masks[:, 2::4, 2::4].astype(np.float32) / 255.0
    assert located_share(perfect, data.masks)["located"] >= 0.75

    run = tmp_path / "run"
    run.mkdir()
    import torch

    torch.save(model.state_dict(), run / "doc_locator.pt")
    (run / "metrics.json").write_text(json.dumps({"training_data": {"n": 8}, "val": measured}))
    weights = tmp_path / "weights"
    weights.mkdir()
    entries = ship_locator_run(run, weights, version="test")
    entry = json.loads((weights / "manifest.json").read_text())["models"]["doc_locator"]
    assert entry["sha256"] == entries["doc_locator"]["sha256"] and entry["kind"] == "document_locator"
    assert entry["metrics"]["validation_designs"] == measured and list(entry["outputs"]) == ["document_logits"]
    assert "doc_locator test" in (weights / "LOCATOR_MODEL_CARD.md").read_text()
    loaded = load_model("doc_locator", weights_dir=weights)
    x = loaded.spec.normalize(data.images[:2])
    assert loaded.run(x)[0].shape == (2, 1, LOCATOR_SIDE // 4, LOCATOR_SIDE // 4)


def test_cli_train_needs_the_validation_designs(pool: dict[str, Path], tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    code = cli_main(["train", "--kind", "locator", "--data", str(pool["docs"]), "--faces", str(pool["faces"]),
                     "--out", str(tmp_path / "run"), "--locator-samples", "4", "--workers", "1"])
    assert code == 2
    assert "need templates both in and out of" in capsys.readouterr().err


def test_shipped_locator_is_listed_and_runs() -> None:
    entry = load_model("doc_locator")
    assert entry.entry["kind"] == "document_locator" and entry.entry["metrics"]["validation_designs"]["n"] > 0
    assert document_probability(np.zeros((300, 400, 3), np.uint8)) is not None


def test_capture_takes_the_callers_background_and_quad() -> None:
    from liveness.errors import DocumentError
    from training.documents.capture import capture_document

    doc = np.full((50, 80, 3), 230, np.uint8)
    background = np.zeros((120, 160, 3), np.float32)
    quad = np.array([[100, 30], [200, 40], [190, 100], [95, 95]], np.float32)  # runs off the right edge
    image, placed = capture_document(doc, rng=np.random.default_rng(0), frame_size=(120, 160),
                                     background=background, quad=quad)
    np.testing.assert_array_equal(placed, quad)
    assert image[60:80, 110:150].mean() > 120 and image[:, :60].mean() < 40  # the card where asked, dark elsewhere
    with pytest.raises(DocumentError, match="frame_size"):
        capture_document(doc, rng=np.random.default_rng(0), quad=quad)
    with pytest.raises(DocumentError, match="does not match the frame"):
        capture_document(doc, rng=np.random.default_rng(0), frame_size=(100, 100), background=background)


def test_cli_contact_sheet_of_locator_captures(pool: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "locator.png"
    code = cli_main(["synth", "--kind", "locator", "--data", str(pool["docs"]), "--faces", str(pool["faces"]),
                     "--cache", str(pool["cache"]), "--preview", str(out), "-n", "8"])
    assert code == 0
    import cv2

    sheet = cv2.imread(str(out))
    assert sheet.shape == (2 * LOCATOR_SIDE, 6 * LOCATOR_SIDE, 3)
    green = (sheet[..., 1] == 255) & (sheet[..., 0] == 0) & (sheet[..., 2] == 0)
    assert green.sum() > 8 * 100  # every capture's outline is drawn
