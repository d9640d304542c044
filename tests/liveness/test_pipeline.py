"""The scorer end to end on generated media, on a weights folder built in the test.

frame_cnn/clip_net are exported untrained here: these tests check the plumbing (stages,
timings, FTA, reasons, manifest checks), not accuracy — that is the benchmarks' job.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from liveness.errors import MediaError, ModelError
from liveness.models.manifest import WEIGHTS_DIR, load_model, read_manifest
from liveness.models.runtime import CPU, select_providers
from liveness.motion import FEATURE_NAMES
from liveness.pipeline import Scorer
from liveness.types import Frames
from tests.face_fixtures import moving_portrait_frames, portrait, write_image, write_video


@pytest.fixture(scope="module")
def weights(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from liveness.models.manifest import sha256_file
    from training.export import export_onnx, update_manifest
    from training.models.registry import create_model, default_cfg

    d = tmp_path_factory.mktemp("weights")
    manifest = read_manifest(WEIGHTS_DIR)
    face = {k: v for k, v in manifest["models"].items() if v["kind"] in ("face_detector", "face_landmarks")}
    for entry in face.values():
        shutil.copy2(WEIGHTS_DIR / entry["file"], d / entry["file"])
    (d / "manifest.json").write_text(json.dumps({"schema": 1, "models": face}))
    entries = {}
    for name in ("frame_cnn", "clip_net"):
        export_onnx(create_model(name, width=8), name, d / f"{name}.onnx")
        entries[name] = {
            "file": f"{name}.onnx",
            "version": "test",
            "sha256": sha256_file(d / f"{name}.onnx"),
            "kind": "spoof_classifier",
            "input": default_cfg(name)["input"],
        }
    names = ["frame_spoof_logit", "clip_spoof_logit", *FEATURE_NAMES]
    video = {
        "features": names,
        "mean": [0.0] * len(names),
        "std": [1.0] * len(names),
        "coef": [1.0] + [0.0] * (len(names) - 1),
        "intercept": 0.0,
        "thresholds": {"bpcer_1": 0.9, "bpcer_5": 0.7},
    }
    image = {
        "features": ["frame_spoof_logit"],
        "mean": [0.0],
        "std": [1.0],
        "coef": [1.0],
        "intercept": 0.0,
        "thresholds": {"bpcer_1": 0.9, "bpcer_5": 0.7},
    }
    update_manifest(d, entries, {"video": video, "image": image})
    return d


@pytest.fixture(scope="module")
def scorer(weights: Path) -> Scorer:
    return Scorer(weights_dir=weights, device="cpu")


def test_video_attempt_runs_every_stage(scorer: Scorer, tmp_path: Path) -> None:
    clip = write_video(moving_portrait_frames(60), tmp_path / "a.mp4")
    result = scorer.score(clip)
    assert result.decision in {"pass", "review", "reject"}
    assert 0.0 <= result.spoof_score <= 1.0
    assert {"decode", "face", "crops", "frame_cnn", "clip_net", "total"} <= set(result.timings_ms)
    assert set(result.scores) == {"frame_cnn", "clip_net"}
    assert result.model_versions["frame_cnn"] == "test"
    assert result.media == str(clip)


def test_image_attempt_uses_the_frame_model_alone(scorer: Scorer) -> None:
    frames = Frames(images=[portrait()], timestamps=np.zeros(1), kind="image", source="p")
    result = scorer.score_frames(frames, name="p")
    assert set(result.scores) == {"frame_cnn"}
    assert "clip_net" not in result.timings_ms


def test_no_face_is_a_failure_to_acquire(scorer: Scorer) -> None:
    frames = Frames(
        images=[np.zeros((200, 200, 3), np.uint8)] * 3, timestamps=np.arange(3) / 8, kind="video", source="dark"
    )
    result = scorer.score_frames(frames, name="dark")
    assert result.spoof_score is None and result.failed_to_acquire
    assert result.decision == "reject" and result.reasons == ["NO_FACE"]
    assert result.to_dict()["spoof_score"] is None


def test_two_faces_are_flagged(scorer: Scorer) -> None:
    face = portrait()
    pair = np.concatenate([face, face], axis=1)
    frames = Frames(images=[pair], timestamps=np.zeros(1), kind="image", source="pair")
    assert "MULTIPLE_FACES" in scorer.score_frames(frames).reasons


def test_bad_media_raises_a_typed_error(scorer: Scorer) -> None:
    with pytest.raises(MediaError):
        scorer.score(b"not a video at all")


def test_checksum_mismatch_is_refused(weights: Path, tmp_path: Path) -> None:
    broken = tmp_path / "w"
    shutil.copytree(weights, broken)
    with (broken / "frame_cnn.onnx").open("ab") as f:
        f.write(b"\0")
    with pytest.raises(ModelError) as info:
        load_model("frame_cnn", weights_dir=broken)
    assert info.value.code == "MODEL_CHECKSUM"


def test_unknown_model_lists_known_names(weights: Path) -> None:
    with pytest.raises(ModelError, match="frame_cnn"):
        load_model("nope", weights_dir=weights)


def test_cuda_request_falls_back_to_cpu_without_a_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    import liveness.models.runtime as runtime

    runtime.available_providers.cache_clear()
    monkeypatch.setattr(runtime.ort, "get_available_providers", lambda: [CPU])
    assert select_providers("cuda") == [CPU]
    assert select_providers(None) == [CPU]
    runtime.available_providers.cache_clear()
    monkeypatch.setattr(runtime.ort, "get_available_providers", lambda: ["CUDAExecutionProvider", CPU])
    assert select_providers(None) == ["CUDAExecutionProvider", CPU]
    assert select_providers("cpu") == [CPU]
    runtime.available_providers.cache_clear()


def test_scorer_reports_its_provider(scorer: Scorer) -> None:
    assert scorer.provider == CPU


def test_documents_are_checked_when_the_manifest_ships_the_model(weights: Path, tmp_path: Path) -> None:
    from liveness.documents.reasons import DOC_UNREADABLE
    from tests.document_fixtures import TILTED, add_untrained_doc_model, make_card, make_scene, png_bytes

    folder = tmp_path / "weights"
    shutil.copytree(weights, folder)
    add_untrained_doc_model(folder)
    scorer = Scorer(weights_dir=folder, device="cpu", document_ocr=False)
    scorer.warmup()
    front = png_bytes(make_scene(make_card(), TILTED))
    result = scorer.score_documents(front, b"%PDF-1.4\n%%EOF\n")
    assert result.documents["front"]["forgery_score"] is not None
    assert result.documents["back"]["reasons"] == [DOC_UNREADABLE]
    assert result.decision == "reject" and DOC_UNREADABLE in result.reasons
    assert result.model_versions == {"doc_forgery": "test"}


def test_documents_without_their_model_are_a_model_error(scorer: Scorer) -> None:
    assert scorer.documents is None
    with pytest.raises(ModelError, match="doc_forgery"):
        scorer.score_documents(b"image", None)


def test_attempt_features_make_every_input_the_real_fusion_uses(scorer: Scorer, tmp_path: Path) -> None:
    from training.real_fusion import REAL_FUSION_FEATURES

    clip = write_video(moving_portrait_frames(40), tmp_path / "f.mp4")
    values = scorer.attempt_features(clip)
    assert values is not None
    assert set(REAL_FUSION_FEATURES) <= set(values)
    assert all(np.isfinite(v) for v in values.values())
    probs = [values[f"clip_p_{c}"] for c in ("bona_fide", "animated_photo", "replay", "print", "face_swap")]
    assert abs(sum(probs) - 1.0) < 1e-4


def test_attempt_features_are_none_without_a_face(scorer: Scorer, tmp_path: Path) -> None:
    dark = write_video([np.full((200, 200, 3), 40, np.uint8)] * 12, tmp_path / "dark.mp4")
    assert scorer.attempt_features(dark) is None


def test_a_fusion_needing_unknown_inputs_is_refused(weights: Path, tmp_path: Path) -> None:
    copy = tmp_path / "w"
    shutil.copytree(weights, copy)
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest["fusion"]["video"]["features"][0] = "pulse_snr"
    (copy / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ModelError, match="pulse_snr"):
        Scorer(weights_dir=copy)


def _with_fusion(weights: Path, folder: Path, change: dict) -> Path:
    shutil.copytree(weights, folder)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["fusion"].update(change)
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder


def test_a_flagged_video_is_named_by_the_species_namer(weights: Path, tmp_path: Path) -> None:
    flag_everything = {"features": ["frame_spoof_logit"], "mean": [0.0], "std": [1.0], "coef": [0.0],
                       "intercept": 5.0, "thresholds": {"bpcer_1": 0.999, "bpcer_5": 0.5}}
    namer = {"features": ["frame_spoof_logit"], "classes": ["animated_photo", "face_swap"], "mean": [0.0],
             "std": [1.0], "coef": [[0.0], [0.0]], "intercept": [0.0, 1.0]}  # always "face_swap"
    fusions = {"video": flag_everything, "image": flag_everything}
    named = Scorer(weights_dir=_with_fusion(weights, tmp_path / "named", {**fusions, "video_species": namer}))
    unnamed = Scorer(weights_dir=_with_fusion(weights, tmp_path / "unnamed", fusions))
    video = named.score(write_video(moving_portrait_frames(40), tmp_path / "v.mp4"))
    assert video.decision == "review" and video.reasons[0] == "FACE_SWAP"
    # Images have no namer: the CNNs name the attack, as without one.
    image = tmp_path / "face.png"
    write_image(image)
    assert named.score(image).reasons == unnamed.score(image).reasons != []


def test_a_namer_needing_unknown_inputs_is_refused(weights: Path, tmp_path: Path) -> None:
    namer = {"features": ["pulse_snr"], "classes": ["animated_photo", "face_swap"], "mean": [0.0], "std": [1.0],
             "coef": [[1.0], [0.0]], "intercept": [0.0, 0.0]}
    with pytest.raises(ModelError, match="pulse_snr"):
        Scorer(weights_dir=_with_fusion(weights, tmp_path / "w", {"video_species": namer}))
