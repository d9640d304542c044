"""Face-liveness and ID-forgery detection for KYC on ONNX Runtime (no torch at run time)."""

__version__ = "0.1.0"
