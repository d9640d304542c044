"""The face models (BlazeFace, FaceMesh), opened once per process.

Opening an ONNX Runtime session costs tens of milliseconds and a sha256 pass over the file,
so sessions are cached by (name, threads, weights dir). One intra-op thread is the default:
the models are small (a few MFLOPs) and the machines have 2 cores shared with other work.
"""

from __future__ import annotations

import threading
from pathlib import Path

from liveness.models import LoadedModel, load_model

BLAZEFACE_SHORT = "blazeface_short"
BLAZEFACE_FULL = "blazeface_full"
FACEMESH = "facemesh"

_CACHE: dict[tuple[str, int, str | None], LoadedModel] = {}
_LOCK = threading.Lock()


def get_model(name: str, *, threads: int = 1, weights_dir: Path | None = None) -> LoadedModel:
    """The manifest model ``name``, loaded on first use and shared afterwards.

    Raises ``ModelError`` (from ``load_model``) for an unknown, missing or corrupt model.
    """
    key = (name, threads, None if weights_dir is None else str(weights_dir))
    with _LOCK:
        model = _CACHE.get(key)
        if model is None:
            model = load_model(name, threads=threads, weights_dir=weights_dir)
            _CACHE[key] = model
    return model


def clear_model_cache() -> None:
    """Forget every cached session (tests, or after the weights were swapped)."""
    with _LOCK:
        _CACHE.clear()
