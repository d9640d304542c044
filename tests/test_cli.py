"""The CLI contract that CI benchmark scripts depend on (README: `liveness score` / `eval`)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from liveness.cli import EXIT_INPUT_ERROR, EXIT_OK, EXIT_USAGE, main
from tests import media_factory
from tests.face_fixtures import moving_portrait_frames, portrait, write_image, write_video

SCORE_KEYS = {"media", "decision", "spoof_score", "scores", "reasons", "model_versions", "timings_ms"}
EVAL_KEYS = {
    "n_bona_fide",
    "n_attack",
    "auc",
    "threshold",
    "bpcer",
    "apcer",
    "apcer_max",
    "acer",
    "bpcer_at_apcer_5",
    "apcer_at_bpcer_1",
    "fta",
}


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("cli")
    frames = moving_portrait_frames(40)
    out = {
        "mp4": write_video(frames, d / "selfie.mp4"),
        "webm": write_video(frames, d / "selfie.webm", codec="libvpx-vp9"),
        "image": write_image(d / "photo.jpg"),
        "blank": write_image(d / "blank.png", np.full((240, 320, 3), 128, np.uint8)),
        "empty": d / "empty.mp4",
        "random": d / "random.mp4",
    }
    # A phone video: frames stored sideways with a display matrix that turns them upright.
    still = portrait()
    out["phone"] = media_factory.write_video(
        d / "phone.mp4",
        width=240,
        height=320,
        n_frames=30,
        display_rotation=-90,
        pattern=lambda h, w, i: np.ascontiguousarray(__import__("cv2").resize(still, (w, h))),
    )
    out["empty"].write_bytes(b"")
    out["random"].write_bytes(np.random.default_rng(0).bytes(4096))
    return out


def _lines(capsys: pytest.CaptureFixture[str]) -> list[dict]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]


def test_score_json_lines_in_input_order(media: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    names = [str(media[k]) for k in ("mp4", "webm", "phone", "image")]
    assert main(["score", *names, "--json"]) == EXIT_OK
    lines = _lines(capsys)
    assert [line["media"] for line in lines] == names
    for line in lines:
        assert set(line) >= SCORE_KEYS
        assert line["decision"] in {"pass", "review", "reject"}
        assert 0.0 <= line["spoof_score"] <= 1.0
        assert "NO_FACE" not in line["reasons"]
        assert line["timings_ms"]["total"] > 0
        assert {"frame_cnn", "face_detector", "face_landmarks"} <= set(line["model_versions"])
    assert "clip_net" in lines[0]["scores"] and "clip_net" not in lines[3]["scores"]


def test_score_reports_bad_inputs_without_stopping(media: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    names = [str(media[k]) for k in ("empty", "random", "blank", "image")] + ["/no/such/file.mp4"]
    assert main(["score", *names, "--json"]) == EXIT_INPUT_ERROR
    lines = _lines(capsys)
    assert [line["media"] for line in lines] == names
    empty, random, blank, image, missing = lines
    assert empty["reasons"] == ["MEDIA_EMPTY"] and empty["spoof_score"] is None and empty["error"]
    assert random["reasons"] == ["MEDIA_UNSUPPORTED"]
    assert blank["reasons"] == ["NO_FACE"] and blank["decision"] == "reject"
    assert image["spoof_score"] is not None
    assert missing["reasons"] == ["MEDIA_NOT_FOUND"]


def test_score_human_output(media: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["score", str(media["image"])]) == EXIT_OK
    out = capsys.readouterr().out
    assert "spoof=" in out and str(media["image"]) in out


def test_eval_json_and_report(media: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    labels = tmp_path / "LABELS.tsv"
    rows = [
        "path\tlabel\tspecies\tsubject",
        f"{media['mp4']}\tbona_fide\tnone\ta",
        f"{media['image']}\tbona_fide\tnone\tb",
        f"{media['webm']}\tattack\treplay\tc",
        f"{media['blank']}\tattack\tprint\td",
    ]
    labels.write_text("\n".join(rows) + "\n")
    report = tmp_path / "report"
    assert main(["eval", str(labels), "--json", "--report", str(report)]) == EXIT_OK
    metrics = json.loads(capsys.readouterr().out)
    assert set(metrics) >= EVAL_KEYS
    assert metrics["n_bona_fide"] == 2 and metrics["n_attack"] == 2
    assert set(metrics["apcer"]) == {"replay", "print"}
    assert metrics["apcer"]["print"] == 0.0  # the blank "print" has no face: a failure to acquire is a reject
    assert metrics["fta"]["n"] == 1
    for name in ("scores.csv", "metrics.json", "det_curve.png", "score_hist.png"):
        assert (report / name).stat().st_size > 0


def test_eval_says_when_the_video_fusion_was_fitted_on_the_set(
    media: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import shutil

    from liveness.models.manifest import WEIGHTS_DIR, video_fusion_fitted_on

    labels = tmp_path / "LABELS.tsv"
    labels.write_text(f"path\tlabel\tspecies\n{media['mp4']}\tbona_fide\tnone\n{media['webm']}\tattack\treplay\n")
    weights = tmp_path / "weights"
    shutil.copytree(WEIGHTS_DIR, weights)
    manifest = json.loads((weights / "manifest.json").read_text())
    manifest["models"]["frame_cnn"]["training_data"]["labels"] = str(labels)
    (weights / "manifest.json").write_text(json.dumps(manifest))
    assert video_fusion_fitted_on(weights) == labels.resolve()
    assert main(["eval", str(labels), "--json", "--weights", str(weights)]) == EXIT_OK
    captured = capsys.readouterr()
    assert "in_sample" in json.loads(captured.out) and "in-sample" in captured.err
    other = tmp_path / "OTHER.tsv"
    shutil.copy(labels, other)
    assert main(["eval", str(other), "--json", "--weights", str(weights)]) == EXIT_OK
    assert "in_sample" not in json.loads(capsys.readouterr().out)


def test_eval_bad_labels_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    labels = tmp_path / "LABELS.tsv"
    labels.write_text("path\tlabel\tspecies\nx.mp4\tmaybe\tnone\n")
    assert main(["eval", str(labels)]) == EXIT_USAGE
    assert "LABELS_INVALID" in capsys.readouterr().err


def test_models_lists_the_manifest(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models"]) == EXIT_OK
    out = capsys.readouterr().out
    for name in ("frame_cnn", "clip_net", "blazeface_short", "facemesh"):
        assert name in out


def test_missing_weights_dir_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["score", "x.mp4", "--weights", str(tmp_path)]) == EXIT_USAGE
    assert "manifest" in capsys.readouterr().err


@pytest.mark.parametrize("share", ["2", "-0.1", "half"])
def test_photo_edit_share_must_be_a_fraction(share: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["train", "--kind", "document", "--photo-edit-share", share])
    assert exit_info.value.code == EXIT_USAGE
    assert "--photo-edit-share: must be a number from 0 to 1" in capsys.readouterr().err
