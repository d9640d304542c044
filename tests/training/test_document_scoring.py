"""The document path end to end on a freshly exported (untrained) doc_forgery model:
export + calibration in a manifest → DocumentScorer → CLI ``score --id-front/--id-back``
and ``eval --kind document``. Trained-model figures are measured by the training run."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from liveness.cli import main
from liveness.documents import reasons as R
from liveness.documents.intake import rectify_document
from liveness.documents.scorer import DocumentScorer, documents_attempt
from tests.document_fixtures import (
    TILTED,
    add_untrained_doc_model,
    front_and_back_page,
    make_card,
    make_scene,
    png_bytes,
)


@pytest.fixture(scope="module")
def doc_weights(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("doc_weights")
    add_untrained_doc_model(folder)
    return folder


@pytest.fixture(scope="module")
def card_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("cards")
    files = {
        "front": folder / "front.png",
        "pdf": folder / "scan.pdf",
        "blank": folder / "blank.png",
    }
    files["front"].write_bytes(png_bytes(make_scene(make_card(), TILTED)))
    files["pdf"].write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    files["blank"].write_bytes(png_bytes(np.full((400, 600, 3), 250, np.uint8)))
    return files


def test_scorer_returns_a_calibrated_score_species_and_regions(doc_weights: Path, card_files: dict) -> None:
    scorer = DocumentScorer(weights_dir=doc_weights, ocr=False)
    result = scorer.score(card_files["front"], side="front")
    assert result.forgery_score is not None and 0.0 <= result.forgery_score <= 1.0
    assert result.species in ("portrait_swap", "text_edit", "copy_move", "recapture", "photocopy")
    assert sum(result.species_probs.values()) == pytest.approx(1.0, abs=1e-4)
    assert result.rectified is not None and result.rectified.shape == (288, 448, 3)
    assert result.heatmap is not None and result.heatmap.shape == (18, 28)
    expected = scorer.model.calibration.decide(result.forgery_score)
    assert result.decision in (expected, "review")  # quality reasons may only raise pass to review
    data = result.to_dict()
    assert "rectified" not in data and "heatmap" not in data
    json.dumps(data, allow_nan=False)


@pytest.mark.parametrize(("name", "code"), [("pdf", R.DOC_UNREADABLE), ("blank", R.DOC_BLANK)])
def test_bad_document_input_gives_reasons_not_errors(
    doc_weights: Path, card_files: dict, name: str, code: str
) -> None:
    result = DocumentScorer(weights_dir=doc_weights, ocr=False).score(card_files[name])
    assert result.forgery_score is None and result.decision == "reject"
    assert code in result.reasons and result.error


def test_documents_attempt_takes_the_strictest_side(doc_weights: Path, card_files: dict) -> None:
    scorer = DocumentScorer(weights_dir=doc_weights, ocr=False)
    front = scorer.score(card_files["front"], side="front")
    back = scorer.score(card_files["pdf"], side="back")
    attempt = documents_attempt({"front": front, "back": back})
    assert attempt.decision == "reject" and attempt.spoof_score is None
    assert R.DOC_UNREADABLE in attempt.reasons
    assert set(attempt.documents) == {"front", "back"}
    assert attempt.scores == {"doc_forgery_front": front.forgery_score}


def test_one_page_with_front_and_back_is_scored_once_per_side(doc_weights: Path) -> None:
    # a card's two sides copied on one A4 page, sent as both the front and the back
    page, front_quad, back_quad = front_and_back_page()
    scorer = DocumentScorer(weights_dir=doc_weights, ocr=False)
    upload = png_bytes(page)
    results = {side: scorer.score(upload, side=side) for side in ("front", "back")}
    attempt = documents_attempt(results)
    cards = {side: rectify_document(page, quad).astype(np.float64) for side, quad in
             (("front", front_quad), ("back", back_quad))}
    for side, other in (("front", "back"), ("back", "front")):
        rectified = results[side].rectified
        assert rectified is not None
        own, wrong = (float(np.abs(rectified.astype(np.float64) - cards[k]).mean()) for k in (side, other))
        assert own < 10.0 and wrong > 2 * own, (side, own, wrong)  # found within a few pixels
        assert attempt.documents[side]["quality"]["documents_beside"] == 1.0


def test_cli_scores_id_images_as_one_attempt(doc_weights: Path, card_files: dict, capsys) -> None:
    code = main(["score", "--id-front", str(card_files["front"]), "--id-back", str(card_files["pdf"]),
                 "--weights", str(doc_weights), "--no-ocr", "--json"])
    lines = capsys.readouterr().out.strip().splitlines()
    assert code == 1  # one input could not be read; its line says why
    [attempt] = [json.loads(line) for line in lines]
    assert attempt["decision"] == "reject"
    assert attempt["documents"]["back"]["reasons"][0] == R.DOC_UNREADABLE
    assert attempt["documents"]["front"]["forgery_score"] is not None
    assert attempt["model_versions"] == {"doc_forgery": "test"}


def test_cli_refuses_id_images_with_several_selfies(doc_weights: Path, card_files: dict, capsys) -> None:
    code = main(["score", "a.mp4", "b.mp4", "--id-front", str(card_files["front"]), "--weights", str(doc_weights)])
    assert code == 2
    assert "at most one selfie" in capsys.readouterr().err


def test_cli_eval_kind_document_reports_metrics_and_heatmaps(
    doc_weights: Path, card_files: dict, tmp_path: Path, capsys
) -> None:
    labels = tmp_path / "LABELS.tsv"
    rows = [("front", "bona_fide", "none"), ("pdf", "attack", "photocopy"), ("blank", "attack", "recapture")]
    for name, _, _ in rows:
        (tmp_path / card_files[name].name).write_bytes(card_files[name].read_bytes())
    rows = [(card_files[name].name, label, species) for name, label, species in rows]
    labels.write_text("path\tlabel\tspecies\n" + "".join("\t".join(r) + "\n" for r in rows))
    report = tmp_path / "report"
    code = main(["eval", str(labels), "--kind", "document", "--weights", str(doc_weights), "--json",
                 "--report", str(report)])
    assert code == 0
    metrics = json.loads(capsys.readouterr().out)
    assert metrics["n_bona_fide"] == 1 and metrics["n_attack"] == 2
    assert metrics["fta"]["n"] == 2  # the PDF and the blank page could not be examined
    assert metrics["threshold"] == pytest.approx(0.7)
    assert (report / "det_curve.png").exists() and (report / "scores.csv").exists()
    assert [p.name for p in (report / "heatmaps").iterdir()] == ["front.png"]


def test_colour_gate_scores_a_grey_copy_as_a_photocopy(tmp_path: Path) -> None:
    """With a photocopy gate in the calibration, a grey copy of a colour card scores at least
    the gate's probability and is named a photocopy; the colour card keeps its fused score."""
    from liveness.documents.colour import ColourGate, colour_spread
    from liveness.documents.forgery import DocumentForgeryModel

    add_untrained_doc_model(tmp_path)
    gate = {"knee": 1.2, "slope": 8.0}
    path = tmp_path / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["models"]["doc_forgery"]["calibration"] = {**manifest["models"]["doc_forgery"]["calibration"],
                                                         "colour_gate": gate}
    path.write_text(json.dumps(manifest))
    gated = DocumentForgeryModel(weights_dir=tmp_path)
    assert gated.colour_gate == ColourGate(**gate)
    import cv2

    colour = cv2.resize(make_card(), (448, 288), interpolation=cv2.INTER_AREA)
    grey = np.repeat(cv2.cvtColor(colour, cv2.COLOR_RGB2GRAY)[..., None], 3, axis=2)
    tinted = np.clip(grey.astype(np.int16) + np.array([12, 6, -4]), 0, 255).astype(np.uint8)  # warm light
    assert colour_spread(colour) > 2.0 and colour_spread(tinted) < 0.5
    results = gated.predict(np.stack([colour, tinted]))

    manifest["models"]["doc_forgery"]["calibration"].pop("colour_gate")
    path.write_text(json.dumps(manifest))
    plain = DocumentForgeryModel(weights_dir=tmp_path).predict(np.stack([colour, tinted]))
    assert results[0].forgery_score == pytest.approx(plain[0].forgery_score)
    assert results[1].forgery_score >= gated.colour_gate.score(colour_spread(tinted)) > 0.99
    assert results[1].species == "photocopy"


def test_an_invalid_colour_gate_is_a_model_error(tmp_path: Path) -> None:
    from liveness.documents.forgery import DocumentForgeryModel
    from liveness.errors import ModelError

    add_untrained_doc_model(tmp_path)
    path = tmp_path / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["models"]["doc_forgery"]["calibration"]["colour_gate"] = {"knee": 1.6, "slope": -1.0}
    path.write_text(json.dumps(manifest))
    with pytest.raises(ModelError, match="colour gate"):
        DocumentForgeryModel(weights_dir=tmp_path)


def test_a_ghost_matching_better_than_the_ceiling_counts_as_matching(tmp_path: Path) -> None:
    """With a ``ghost_ceiling`` in the calibration, a ghost that matches its portrait better
    than the ceiling weighs like one at the ceiling (two identical reprints prove nothing); one
    that matches worse raises the score. An out-of-range ceiling is a ModelError."""
    import cv2

    from liveness.documents.forgery import DocumentForgeryModel
    from liveness.documents.portrait import PortraitResult
    from liveness.errors import ModelError
    from tests.document_fixtures import JOINT_TEST_CALIBRATION

    add_untrained_doc_model(tmp_path)
    path = tmp_path / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["models"]["doc_forgery"]["calibration"] = {**JOINT_TEST_CALIBRATION, "ghost_ceiling": 0.6}
    path.write_text(json.dumps(manifest))
    model = DocumentForgeryModel(weights_dir=tmp_path)
    page = cv2.resize(make_card(), (448, 288), interpolation=cv2.INTER_AREA)
    box = (0.05, 0.2, 0.3, 0.5)
    scores = [
        model.predict(page[None], [PortraitResult(0.0, box, ghost_similarity=similarity)])[0].forgery_score
        for similarity in (0.95, 0.6, 0.3)
    ]
    assert scores[0] == pytest.approx(scores[1])
    assert scores[2] > scores[1]

    manifest["models"]["doc_forgery"]["calibration"]["ghost_ceiling"] = 1.5
    path.write_text(json.dumps(manifest))
    with pytest.raises(ModelError, match="ghost_ceiling must lie"):
        DocumentForgeryModel(weights_dir=tmp_path)


def test_a_ghost_gate_names_a_mismatched_ghost_a_portrait_swap(tmp_path: Path) -> None:
    """With a ghost gate, a ghost that matches its portrait badly scores at least the gate's
    probability, is named a portrait swap, and its ghost and portrait lead the regions; a
    matching ghost, or none, keeps the fused score."""
    import cv2

    from liveness.documents.forgery import DocumentForgeryModel
    from liveness.documents.ghost import GhostGate
    from liveness.documents.portrait import PortraitResult
    from tests.document_fixtures import JOINT_TEST_CALIBRATION

    add_untrained_doc_model(tmp_path)
    path = tmp_path / "manifest.json"
    manifest = json.loads(path.read_text())
    gate = {"knee": 0.45, "slope": 20.0}
    calibration = {**JOINT_TEST_CALIBRATION, "coef": [1.0, 1.0, 0.0], "thresholds": {"bpcer_1": 0.999, "bpcer_5": 0.99}}
    manifest["models"]["doc_forgery"]["calibration"] = {**calibration, "ghost_gate": gate}
    path.write_text(json.dumps(manifest))
    gated = DocumentForgeryModel(weights_dir=tmp_path)
    assert gated.ghost_gate == GhostGate(**gate)
    page = cv2.resize(make_card(), (448, 288), interpolation=cv2.INTER_AREA)
    box, ghost_box = (0.05, 0.2, 0.3, 0.5), (0.8, 0.5, 0.1, 0.15)
    portraits = [PortraitResult(-5.0, box, ghost_similarity=s, ghost_box=ghost_box) for s in (0.15, 0.7)]
    results = gated.predict(np.stack([page, page, page]), [*portraits, None])

    manifest["models"]["doc_forgery"]["calibration"] = calibration
    path.write_text(json.dumps(manifest))
    plain = DocumentForgeryModel(weights_dir=tmp_path).predict(np.stack([page, page, page]), [*portraits, None])
    assert results[0].forgery_score >= gated.ghost_gate.score(0.15) > 0.99 > plain[0].forgery_score
    assert results[0].species == "portrait_swap"
    assert [(r.x, r.y) for r in results[0].regions[:2]] == [(0.8, 0.5), (0.05, 0.2)]
    for k in (1, 2):
        assert results[k].forgery_score == pytest.approx(plain[k].forgery_score)
