"""Model loading: the manifest, sha256 checks and ONNX Runtime sessions."""

from liveness.models.manifest import InputSpec, LoadedModel, list_models, load_model, read_manifest
from liveness.models.runtime import create_session, select_providers

__all__ = [
    "InputSpec",
    "LoadedModel",
    "create_session",
    "list_models",
    "load_model",
    "read_manifest",
    "select_providers",
]
