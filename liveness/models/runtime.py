"""ONNX Runtime sessions: execution provider chosen once, threads kept from fighting.

CUDA is used when onnxruntime-gpu is installed and sees a device, else CPU. On 2 cores two
sessions with spinning intra-op threads slow each other down, so spinning is off and each
session gets a small thread budget (``LIVENESS_ORT_THREADS`` overrides it).
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import onnxruntime as ort

from liveness.errors import ModelError

CUDA = "CUDAExecutionProvider"
CPU = "CPUExecutionProvider"


@lru_cache(maxsize=1)
def available_providers() -> tuple[str, ...]:
    return tuple(ort.get_available_providers())


def select_providers(preferred: str | None = None) -> list[str]:
    """Providers for a new session: CUDA first when present, CPU always last.

    ``preferred`` ("cuda" | "cpu" | None = auto, or env ``LIVENESS_DEVICE``) forces a choice;
    asking for CUDA where it is missing falls back to CPU rather than failing.

    >>> select_providers("cpu")
    ['CPUExecutionProvider']
    """
    choice = (preferred or os.environ.get("LIVENESS_DEVICE", "auto")).lower()
    if choice == "cpu":
        return [CPU]
    if CUDA in available_providers():
        return [CUDA, CPU]
    return [CPU]


def default_threads() -> int:
    env = os.environ.get("LIVENESS_ORT_THREADS")
    if env:
        return max(1, int(env))
    return max(1, min(4, (os.cpu_count() or 1)))


def create_session(
    path: str | Path | bytes,
    *,
    threads: int | None = None,
    device: str | None = None,
) -> ort.InferenceSession:
    """Open an ONNX model (path or serialized bytes) with our session defaults."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads or default_threads()
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.log_severity_level = 3
    source = path if isinstance(path, bytes) else str(path)
    try:
        return ort.InferenceSession(source, sess_options=options, providers=select_providers(device))
    except Exception as exc:  # ORT raises its own untyped errors for bad files
        raise ModelError(f"could not load ONNX model {str(path)[:200]!r}: {exc}") from exc


def session_provider(session: ort.InferenceSession) -> str:
    """The provider that actually runs the session (first in its list)."""
    return session.get_providers()[0]
