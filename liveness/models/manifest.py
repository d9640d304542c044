"""The model manifest (``weights/manifest.json``): the only models the runtime will load.

Each entry is data: file, version, sha256, kind, input spec, thresholds, training data and
metrics. ``load_model(name)`` checks the file's sha256 before opening it, so a corrupted or
swapped file is refused instead of silently scoring.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort

from liveness.errors import ModelError
from liveness.models.runtime import create_session, session_provider

WEIGHTS_DIR = Path(os.environ.get("LIVENESS_WEIGHTS_DIR", Path(__file__).resolve().parents[2] / "weights"))


@dataclass(frozen=True)
class InputSpec:
    """How a model wants its input: one spec shared by training, export and runtime."""

    size: tuple[int, int] = (128, 128)  # (height, width)
    mean: tuple[float, float, float] = (0.5, 0.5, 0.5)
    std: tuple[float, float, float] = (0.5, 0.5, 0.5)
    layout: str = "NCHW"  # or NHWC, NTCHW (clips)
    crop_scale: float = 1.0  # crop side / face box side
    frames: int = 1  # clip length for temporal models

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> InputSpec:
        return cls(
            size=tuple(data.get("size", (128, 128))),  # type: ignore[arg-type]
            mean=tuple(data.get("mean", (0.5, 0.5, 0.5))),  # type: ignore[arg-type]
            std=tuple(data.get("std", (0.5, 0.5, 0.5))),  # type: ignore[arg-type]
            layout=str(data.get("layout", "NCHW")),
            crop_scale=float(data.get("crop_scale", 1.0)),
            frames=int(data.get("frames", 1)),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "size": list(self.size),
            "mean": list(self.mean),
            "std": list(self.std),
            "layout": self.layout,
            "crop_scale": self.crop_scale,
            "frames": self.frames,
        }

    def normalize(self, images_uint8: np.ndarray) -> np.ndarray:
        """(..., H, W, 3) uint8 RGB → float32 in the model's layout (channels moved)."""
        x = images_uint8.astype(np.float32) / 255.0
        x = (x - np.asarray(self.mean, np.float32)) / np.asarray(self.std, np.float32)
        if self.layout in ("NCHW", "NTCHW"):
            x = np.moveaxis(x, -1, -3)
        return np.ascontiguousarray(x, dtype=np.float32)


@dataclass(frozen=True)
class LoadedModel:
    """An ONNX Runtime session with the manifest entry it came from."""

    name: str
    session: ort.InferenceSession
    spec: InputSpec
    entry: dict[str, Any] = field(repr=False)

    @property
    def version(self) -> str:
        return str(self.entry.get("version", "0"))

    @property
    def provider(self) -> str:
        return session_provider(self.session)

    def run(self, inputs: np.ndarray | dict[str, np.ndarray]) -> list[np.ndarray]:
        if isinstance(inputs, np.ndarray):
            inputs = {self.session.get_inputs()[0].name: inputs}
        return self.session.run(None, inputs)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def manifest_path(weights_dir: Path | None = None) -> Path:
    return (weights_dir or WEIGHTS_DIR) / "manifest.json"


def read_manifest(weights_dir: Path | None = None) -> dict[str, Any]:
    path = manifest_path(weights_dir)
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError as exc:
        raise ModelError(f"model manifest not found at {path}") from exc
    except json.JSONDecodeError as exc:
        raise ModelError(f"model manifest {path} is not valid JSON: {exc}") from exc
    if not isinstance(data.get("models"), dict):
        raise ModelError(f"model manifest {path} has no 'models' table")
    return data


def video_fusion_fitted_on(weights_dir: Path | None = None) -> Path | None:
    """The LABELS.tsv whose real videos the manifest's video fusion was fitted on (resolved
    against the repository root, where training runs), or None when it was fitted on
    synthetic clips only or the manifest does not say."""
    manifest = read_manifest(weights_dir)
    fusion_metrics = (manifest.get("fusion") or {}).get("metrics") or {}
    labels = ((manifest["models"].get("frame_cnn") or {}).get("training_data") or {}).get("labels")
    if not fusion_metrics.get("video_scheme") or not labels:
        return None
    path = Path(labels)
    return (path if path.is_absolute() else WEIGHTS_DIR.parent / path).resolve()


def list_models(weights_dir: Path | None = None) -> list[str]:
    return sorted(read_manifest(weights_dir)["models"])


def model_entry(name: str, weights_dir: Path | None = None) -> dict[str, Any]:
    models = read_manifest(weights_dir)["models"]
    if name not in models:
        known = ", ".join(sorted(models)) or "none"
        raise ModelError(f"unknown model {name!r}; the manifest lists: {known}", code="MODEL_UNKNOWN")
    return dict(models[name])


def load_model(
    name: str,
    *,
    weights_dir: Path | None = None,
    threads: int | None = None,
    device: str | None = None,
    verify: bool = True,
) -> LoadedModel:
    """Open the manifest's model ``name`` after checking its sha256.

    Raises ``ModelError`` for an unknown name (listing the known ones), a missing file or a
    checksum mismatch.
    """
    root = weights_dir or WEIGHTS_DIR
    entry = model_entry(name, root)
    path = root / entry["file"]
    if not path.is_file():
        raise ModelError(f"model file {path} listed for {name!r} is missing", code="MODEL_MISSING")
    if verify:
        actual = _cached_sha256(str(path), path.stat().st_mtime_ns, path.stat().st_size)
        if actual != entry.get("sha256"):
            raise ModelError(
                f"model file {path} does not match the manifest sha256 "
                f"(expected {entry.get('sha256')}, found {actual})",
                code="MODEL_CHECKSUM",
            )
    session = create_session(path, threads=threads, device=device)
    return LoadedModel(name=name, session=session, spec=InputSpec.from_dict(entry.get("input", {})), entry=entry)


@lru_cache(maxsize=64)
def _cached_sha256(path: str, mtime_ns: int, size: int) -> str:
    return sha256_file(Path(path))
