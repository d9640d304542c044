"""Peer descriptions, the Silent-Face-style box crop and a tiny ONNX peer built here."""

from __future__ import annotations

import doctest
import json
from pathlib import Path

import numpy as np
import pytest

from benchmarks import peer as peer_module
from benchmarks.common import BenchmarkError
from benchmarks.peer import PeerConfig, PeerScorer, config_from_mapping, crop_face, enlarged_box, read_config
from benchmarks.run import build_parser, peer_from_args
from liveness.types import Frames
from tests.face_fixtures import moving_portrait_frames


def tiny_peer(path: Path, *, size: int = 16, layout: str = "NCHW", classes: int = 3) -> Path:
    """Average pool → linear: class 1 ("live") logit = mean of the first input channel."""
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper, numpy_helper

    weight = np.zeros((classes, 3), np.float32)
    weight[1, 0] = 4.0
    nodes = []
    source = "x"
    if layout == "NHWC":
        nodes.append(helper.make_node("Transpose", ["x"], ["xt"], perm=[0, 3, 1, 2]))
        source = "xt"
    nodes += [
        helper.make_node("GlobalAveragePool", [source], ["g"]),
        helper.make_node("Flatten", ["g"], ["f"]),
        helper.make_node("Gemm", ["f", "w"], ["logits"], transB=1),
    ]
    shape = ["n", 3, size, size] if layout == "NCHW" else ["n", size, size, 3]
    graph = helper.make_graph(
        nodes, "tiny_peer",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, shape)],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["n", classes])],
        [numpy_helper.from_array(weight, "w")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    path.write_bytes(model.SerializeToString())
    return path


def test_doctests_pass() -> None:
    assert doctest.testmod(peer_module).failed == 0


def test_cli_options_describe_the_peer(tmp_path: Path) -> None:
    args = build_parser().parse_args([
        "--compare-onnx", str(tmp_path / "m.onnx"), "--compare-input", "80x60", "--compare-scale", "2.7",
        "--compare-pixel-scale", "1", "--compare-mean", "0,0,0", "--compare-std", "1 1 1",
        "--compare-color", "bgr", "--compare-layout", "NHWC", "--compare-live-index", "2",
    ])
    cfg = peer_from_args(args)
    assert cfg == PeerConfig(onnx=tmp_path / "m.onnx", input_size=(80, 60), crop_scale=2.7, pixel_scale=1.0,
                             color="bgr", layout="NHWC", live_index=2)
    assert peer_from_args(build_parser().parse_args([])) is None
    with pytest.raises(BenchmarkError, match="--compare-input"):
        peer_from_args(build_parser().parse_args(["--compare-onnx", "m.onnx"]))
    both = build_parser().parse_args(["--compare-onnx", "m.onnx", "--compare-config", "p.json"])
    with pytest.raises(BenchmarkError, match="not both"):
        peer_from_args(both)


def test_json_and_yaml_descriptions(tmp_path: Path) -> None:
    (tmp_path / "peer.json").write_text(json.dumps(
        {"onnx": "models/p.onnx", "input": "80x80", "scale": 4.0, "std": 0.5, "name": "minifas"}
    ))
    cfg = read_config(tmp_path / "peer.json")
    assert cfg.onnx == tmp_path / "models" / "p.onnx"  # relative to the description
    assert (cfg.crop_scale, cfg.std, cfg.label, cfg.pixel_scale) == (4.0, (0.5, 0.5, 0.5), "minifas", 1 / 255)
    pytest.importorskip("yaml")
    (tmp_path / "peer.yaml").write_text("onnx: /abs/p.onnx\ninput: 112x112\ncolor: BGR\nmean: [0.5, 0.4, 0.3]\n")
    cfg = read_config(tmp_path / "peer.yaml")
    assert (cfg.onnx, cfg.input_size, cfg.color, cfg.mean) == (Path("/abs/p.onnx"), (112, 112), "bgr", (0.5, 0.4, 0.3))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"input": "80x80"}, "needs 'onnx'"),
        ({"onnx": "a.onnx", "input": "eighty"}, "80x80"),
        ({"onnx": "a.onnx", "input": "80x80", "colour": "bgr"}, "unknown peer key"),
        ({"onnx": "a.onnx", "input": "80x80", "color": "hsv"}, "color"),
        ({"onnx": "a.onnx", "input": "80x80", "std": [1, 0, 1]}, "std"),
        ({"onnx": "a.onnx", "input": "80x80", "mean": [1, 2]}, "mean"),
        ({"onnx": "a.onnx", "input": "80x80", "scale": "wide"}, "bad peer description"),
        ({"onnx": "a.onnx", "input": "4x4"}, "input size"),
        ({"onnx": "a.onnx", "input": "80x80", "layout": "CHW"}, "layout"),
    ],
)
def test_bad_descriptions_raise_typed_errors(data: dict, message: str) -> None:
    with pytest.raises(BenchmarkError, match=message):
        config_from_mapping(data)


def test_unreadable_description_files(tmp_path: Path) -> None:
    with pytest.raises(BenchmarkError, match="cannot read"):
        read_config(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text("[1, 2")
    with pytest.raises(BenchmarkError, match="not valid JSON"):
        read_config(tmp_path / "bad.json")
    (tmp_path / "list.json").write_text("[1, 2]")
    with pytest.raises(BenchmarkError, match="mapping"):
        read_config(tmp_path / "list.json")


def test_enlarged_box_stays_inside_and_shrinks_when_too_big() -> None:
    assert enlarged_box((100, 100, 140, 150), (480, 640), 2.7) == (66, 57, 174, 192)
    # A 2.7x crop cannot fit: the scale is reduced to what fits, the box shifted inside.
    x0, y0, x1, y1 = enlarged_box((10, 10, 90, 90), (100, 100), 2.7)
    assert (x0, y0) >= (0, 0) and (x1, y1) <= (99, 99) and x1 - x0 == y1 - y0 == 99
    x0, y0, x1, y1 = enlarged_box((600, 400, 640, 480), (480, 640), 2.0)
    assert x1 == 639 and y1 == 479 and x1 - x0 == 80 and y1 - y0 == 160
    crop = crop_face(np.zeros((480, 640, 3), np.uint8), (100, 100, 140, 150), scale=2.7, size=(80, 60))
    assert crop.shape == (80, 60, 3)


def test_preprocess_follows_color_layout_and_scaling(tmp_path: Path) -> None:
    crops = np.zeros((2, 16, 16, 3), np.uint8)
    crops[..., 0] = 200  # red
    rgb = PeerScorer(PeerConfig(onnx=tiny_peer(tmp_path / "p.onnx"), input_size=(16, 16)))
    x = rgb.preprocess(crops)
    assert x.shape == (2, 3, 16, 16) and x.dtype == np.float32
    assert x[0, 0, 0, 0] == pytest.approx(200 / 255) and x[0, 2, 0, 0] == 0
    bgr = PeerScorer(PeerConfig(onnx=tmp_path / "p.onnx", input_size=(16, 16), color="bgr", pixel_scale=1.0,
                                mean=(10, 10, 10), std=(2, 2, 2)))
    x = bgr.preprocess(crops)
    assert x[0, 2, 0, 0] == pytest.approx(95.0) and x[0, 0, 0, 0] == pytest.approx(-5.0)
    nhwc = PeerScorer(PeerConfig(onnx=tiny_peer(tmp_path / "q.onnx", layout="NHWC"), input_size=(16, 16),
                                 layout="NHWC"))
    assert nhwc.preprocess(crops).shape == (2, 16, 16, 3)


def test_live_probability_reads_the_live_column(tmp_path: Path) -> None:
    model = tiny_peer(tmp_path / "p.onnx")
    scorer = PeerScorer(PeerConfig(onnx=model, input_size=(16, 16)))
    red = np.zeros((1, 16, 16, 3), np.uint8)
    red[..., 0] = 255
    live_red = scorer.live_probability(scorer.preprocess(red))[0]
    live_dark = scorer.live_probability(scorer.preprocess(np.zeros_like(red)))[0]
    assert live_red == pytest.approx(np.exp(4) / (np.exp(4) + 2)) and live_dark == pytest.approx(1 / 3)
    spoof_col = PeerScorer(PeerConfig(onnx=model, input_size=(16, 16), live_index=0))
    assert spoof_col.live_probability(spoof_col.preprocess(red))[0] == pytest.approx(1 / (np.exp(4) + 2))
    too_far = PeerScorer(PeerConfig(onnx=model, input_size=(16, 16), live_index=5))
    with pytest.raises(BenchmarkError, match="live_index"):
        too_far.live_probability(too_far.preprocess(red))


def test_model_and_description_must_agree(tmp_path: Path) -> None:
    with pytest.raises(BenchmarkError, match="not found"):
        PeerScorer(PeerConfig(onnx=tmp_path / "none.onnx", input_size=(16, 16)))
    model = tiny_peer(tmp_path / "p.onnx", size=16)
    with pytest.raises(BenchmarkError, match="80x80"):
        PeerScorer(PeerConfig(onnx=model, input_size=(80, 80)))


def test_peer_scores_the_faces_of_frames_and_fails_to_acquire_without_one(tmp_path: Path) -> None:
    scorer = PeerScorer(PeerConfig(onnx=tiny_peer(tmp_path / "p.onnx", size=32), input_size=(32, 32),
                                   crop_scale=1.5, frames=3))
    images = moving_portrait_frames(6, size=(240, 200))
    spoof, timings = scorer.score_frames(Frames(images=images, timestamps=np.arange(6) / 8, kind="video", source="v"))
    assert spoof is not None and 0.0 < spoof < 1.0
    assert set(timings) == {"face", "model", "total"}
    dark = [np.zeros((120, 120, 3), np.uint8)] * 2
    spoof, timings = scorer.score_frames(Frames(images=dark, timestamps=np.arange(2) / 8, kind="video", source="d"))
    assert spoof is None and "model" not in timings

