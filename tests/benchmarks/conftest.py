"""Weights folders for the suite tests, built in a second without torch export.

- ``standin_weights``: the shipped face models + small random ONNX nets named frame_cnn and
  clip_net with the registry's input specs and a plain fusion (spoof score = the frame
  model's), so the plumbing runs before any training.
- ``randomized_copy``: a copy of a trained weights folder whose frame_cnn / clip_net keep
  their graph but get freshly initialized weights (He-normal conv/linear weights, zero
  biases, identity batch norms): the "randomly initialized model swapped in" of the issue.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from liveness.models.manifest import WEIGHTS_DIR, read_manifest, sha256_file
from liveness.motion import FEATURE_NAMES
from liveness.scoring.fusion import CLASSES

SPOOF_MODELS = ("frame_cnn", "clip_net")
# Kept in step with training.models (frame_cnn / clip_net default_cfg), without importing torch.
STANDIN_INPUTS = {
    "frame_cnn": {"size": [128, 128], "mean": [0.5] * 3, "std": [0.25] * 3, "layout": "NCHW", "crop_scale": 2.0,
                  "frames": 1},
    "clip_net": {"size": [64, 64], "mean": [0.5] * 3, "std": [0.25] * 3, "layout": "NTCHW", "crop_scale": 1.3,
                 "frames": 16},
}


def plain_fusion() -> dict[str, Any]:
    def table(features: list[str]) -> dict[str, Any]:
        return {
            "features": features,
            "mean": [0.0] * len(features),
            "std": [1.0] * len(features),
            "coef": [1.0] + [0.0] * (len(features) - 1),
            "intercept": 0.0,
            "thresholds": {"bpcer_1": 0.9, "bpcer_5": 0.7},
        }

    return {"video": table(["frame_spoof_logit", "clip_spoof_logit", *FEATURE_NAMES]),
            "image": table(["frame_spoof_logit"])}


def _standin_model(name: str, seed: int) -> bytes:
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper, numpy_helper

    spec = STANDIN_INPUTS[name]
    h, w = spec["size"]
    frames = spec["frames"]
    rng = np.random.default_rng(seed)
    channels = 3 * frames
    shape = ["n", 3, h, w] if name == "frame_cnn" else ["n", frames, 3, h, w]
    nodes = []
    source = "x"
    if name == "clip_net":  # stack the clip's frames as channels
        nodes.append(helper.make_node("Reshape", ["x", "stack"], ["xs"]))
        source = "xs"
    nodes += [
        helper.make_node("Conv", [source, "w1"], ["c1"], strides=[4, 4], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c1"], ["r1"]),
        helper.make_node("GlobalAveragePool", ["r1"], ["g"]),
        helper.make_node("Flatten", ["g"], ["f"]),
        helper.make_node("Gemm", ["f", "w2"], ["logits"], transB=1),
    ]
    inits = [
        numpy_helper.from_array((rng.standard_normal((8, channels, 3, 3)) * 0.3).astype(np.float32), "w1"),
        numpy_helper.from_array((rng.standard_normal((len(CLASSES), 8)) * 0.5).astype(np.float32), "w2"),
        numpy_helper.from_array(np.array([0, channels, h, w], np.int64), "stack"),
    ]
    graph = helper.make_graph(
        nodes, f"standin_{name}", [helper.make_tensor_value_info("x", TensorProto.FLOAT, shape)],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["n", len(CLASSES)])], inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model.SerializeToString()


def _write_manifest(folder: Path, models: dict[str, Any], fusion: dict[str, Any]) -> None:
    (folder / "manifest.json").write_text(json.dumps({"schema": 1, "models": models, "fusion": fusion}, indent=2))


def build_standin_weights(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    models = {k: v for k, v in read_manifest(WEIGHTS_DIR)["models"].items()
              if v["kind"] in ("face_detector", "face_landmarks")}
    for entry in models.values():
        shutil.copy2(WEIGHTS_DIR / entry["file"], folder / entry["file"])
    for seed, name in enumerate(SPOOF_MODELS):
        (folder / f"{name}.onnx").write_bytes(_standin_model(name, seed))
        models[name] = {"file": f"{name}.onnx", "version": "standin", "sha256": sha256_file(folder / f"{name}.onnx"),
                        "kind": "spoof_classifier", "input": STANDIN_INPUTS[name]}
    _write_manifest(folder, models, plain_fusion())
    return folder


def randomized_copy(source: Path, folder: Path, *, seed: int = 0) -> Path:
    """``source`` copied with frame_cnn / clip_net re-initialized (same graph, new weights)."""
    onnx = pytest.importorskip("onnx")
    from onnx import numpy_helper

    shutil.copytree(source, folder)
    manifest = read_manifest(folder)
    rng = np.random.default_rng(seed)
    for name in SPOOF_MODELS:
        entry = manifest["models"][name]
        model = onnx.load(str(folder / entry["file"]))
        inits = {init.name: init for init in model.graph.initializer}
        fresh: dict[str, np.ndarray] = {}
        for node in model.graph.node:
            names = [n for n in node.input if n in inits]
            if node.op_type in ("Conv", "Gemm", "MatMul", "ConvTranspose"):
                for index, input_name in enumerate(node.input):
                    if input_name not in inits:
                        continue
                    array = numpy_helper.to_array(inits[input_name])
                    if index == 1 and array.ndim >= 2:
                        fan_in = array.size // array.shape[0] if node.op_type != "MatMul" else array.shape[0]
                        fresh[input_name] = (rng.standard_normal(array.shape) * np.sqrt(2.0 / max(fan_in, 1)))
                    elif index == 2:
                        fresh[input_name] = np.zeros_like(array)
            elif node.op_type == "BatchNormalization" and len(names) == 4:
                scale, bias, mean, var = node.input[1:5]
                for key, value in ((scale, 1.0), (bias, 0.0), (mean, 0.0), (var, 1.0)):
                    fresh[key] = np.full_like(numpy_helper.to_array(inits[key]), value)
        if not fresh:
            raise AssertionError(f"{name}: no weights found to re-initialize")
        for key, array in fresh.items():
            dtype = numpy_helper.to_array(inits[key]).dtype
            inits[key].CopyFrom(numpy_helper.from_array(array.astype(dtype), key))
        onnx.save(model, str(folder / entry["file"]))
        entry["sha256"] = sha256_file(folder / entry["file"])
        entry["version"] = "random-init"
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2))
    return folder


@pytest.fixture(scope="session")
def standin_weights(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_standin_weights(tmp_path_factory.mktemp("standin-weights"))
