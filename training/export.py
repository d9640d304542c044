"""Export trained models to ONNX, check ORT/torch parity, and record them in the manifest.

Opset 18 is kept on purpose: down-converting to 17 breaks ReduceMean in the SE blocks.
"""

from __future__ import annotations

import json
import tempfile
import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import torch

from liveness.models.manifest import manifest_path, sha256_file
from liveness.models.runtime import create_session
from training.models.registry import create_model, default_cfg

OPSET = 18
PARITY_ATOL = 1e-3


def example_input(name: str, batch: int = 2, *, seed: int = 0) -> torch.Tensor:
    spec = default_cfg(name)["input"]
    h, w = spec["size"]
    gen = torch.Generator().manual_seed(seed)
    if spec["layout"] == "NTCHW":
        return torch.randn(batch, spec["frames"], 3, h, w, generator=gen)
    return torch.randn(batch, 3, h, w, generator=gen)


def _outputs(model: torch.nn.Module, x: torch.Tensor) -> list[np.ndarray]:
    with torch.no_grad():
        out = model(x)
    return [t.numpy() for t in (out if isinstance(out, tuple) else (out,))]


def export_onnx(model: torch.nn.Module, name: str, path: Path) -> float:
    """Write ``model`` as ONNX at ``path`` (dynamic batch) and return the max |ORT - torch| gap
    over every output (named by the model's default cfg, ``logits`` when it names none)."""
    import onnx

    model = model.eval()
    x = example_input(name)
    output_names = list(default_cfg(name).get("outputs", ["logits"]))
    batch = torch.export.Dim("batch", min=1, max=256)
    # The exporter's own deprecation chatter is not ours to act on; keep test runs (-W error) clean.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model,
            (x,),
            str(path),
            input_names=["input"],
            output_names=output_names,
            opset_version=OPSET,
            dynamic_shapes=({0: batch},),
            external_data=False,
            dynamo=True,
            verbose=False,
        )
    exported = onnx.load(str(path))
    _drop_trace_metadata(exported)
    onnx.save(exported, str(path))
    onnx.checker.check_model(exported, full_check=True)
    session = create_session(path, threads=1, device="cpu")
    gap = 0.0
    for xb in (x, example_input(name, batch=5, seed=1)):
        expected = _outputs(model, xb)
        got = session.run(None, {"input": xb.numpy()})
        if len(got) != len(expected):
            raise RuntimeError(f"{name}: ONNX has {len(got)} outputs, torch {len(expected)}")
        for g, e in zip(got, expected, strict=True):
            gap = max(gap, float(np.abs(g - e).max()))
    if not np.isfinite(gap) or gap > PARITY_ATOL:
        raise RuntimeError(f"ONNX Runtime and torch disagree on {name}: max gap {gap:.2e} > {PARITY_ATOL}")
    return gap


def _drop_trace_metadata(model: Any) -> None:
    """Remove what the exporter records of how each node was traced (Python stack traces with
    the checkout's file paths, module scopes): it does not run, and it made the same weights
    give another sha256 in another folder."""
    graphs = [model.graph]
    while graphs:
        graph = graphs.pop()
        for node in graph.node:
            del node.metadata_props[:]
            node.doc_string = ""
            for attribute in node.attribute:
                graphs.extend([attribute.g] if attribute.HasField("g") else [])
                graphs.extend(attribute.graphs)


def load_trained(name: str, checkpoint: Path) -> torch.nn.Module:
    model = create_model(name)
    model.load_state_dict(torch.load(checkpoint, map_location="cpu", weights_only=True))
    return model.eval()


def update_manifest(
    weights_dir: Path, entries: dict[str, dict[str, Any]], fusion: dict[str, Any] | None = None
) -> None:
    path = manifest_path(weights_dir)
    manifest = json.loads(path.read_text()) if path.exists() else {"schema": 1, "models": {}}
    manifest.setdefault("models", {}).update(entries)
    if fusion is not None:
        manifest["fusion"] = fusion
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(manifest, indent=2) + "\n")
    tmp.replace(path)


def export_entry(
    model: torch.nn.Module,
    name: str,
    weights_dir: Path,
    *,
    version: str,
    training_data: dict[str, Any],
    metrics: dict[str, Any],
    kind: str = "spoof_classifier",
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Export ``model`` to ``weights_dir/<name>.onnx`` (staged, so a failed parity check
    leaves the shipped file alone) and return its manifest entry."""
    target = weights_dir / f"{name}.onnx"
    with tempfile.TemporaryDirectory() as tmp:
        staged = Path(tmp) / f"{name}.onnx"
        gap = export_onnx(model, name, staged)
        staged.replace(target)
    cfg = default_cfg(name)
    extra = dict(extra or {})
    outputs = {"logits": "class logits, softmax → probabilities in 'classes' order"} | extra.pop("outputs", {})
    return {
        "file": target.name,
        "version": version,
        "sha256": sha256_file(target),
        "kind": kind,
        "input": cfg["input"],
        "classes": cfg["classes"],
        "outputs": outputs,
        "opset": OPSET,
        "parity_max_abs_gap": gap,
        "params": int(sum(p.numel() for p in model.parameters())),
        "license": "Apache-2.0",
        "training_data": training_data,
        "metrics": metrics,
        **extra,
    }


def export_run(
    run_dir: Path,
    weights_dir: Path,
    *,
    version: str | None = None,
    metrics: dict[str, Any] | None = None,
    training_data: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Export a training run's models + fusion into ``weights_dir`` and its manifest."""
    version = version or datetime.now(UTC).strftime("%Y.%m.%d")
    entries = {}
    for name in ("frame_cnn", "clip_net"):
        model = load_trained(name, run_dir / f"{name}.pt")
        entries[name] = export_entry(
            model,
            name,
            weights_dir,
            version=version,
            training_data=training_data or {},
            metrics=(metrics or {}).get(name, {}),
        )
    update_manifest(weights_dir, entries, fusion_entry(run_dir, version=version, metrics=metrics))
    return entries


def fusion_entry(run_dir: Path, *, version: str, metrics: dict[str, Any] | None = None) -> dict[str, Any]:
    """The manifest's "fusion" block from a run's ``fusion.json``."""
    fusion = json.loads((run_dir / "fusion.json").read_text())
    return {"version": version, **fusion, "metrics": (metrics or {}).get("fusion", {})}
