"""Typed errors of the liveness runtime.

The library knows no HTTP; ``serve`` maps these to problem+json in one place.

    LivenessError                 every error we raise on purpose, with a stable ``code``
    ├── MediaError                the input could not be read as media within the limits
    │   ├── MediaTooLargeError    bytes, duration, frame count or resolution over a limit
    │   └── UnsupportedMediaError not a format we decode
    ├── FaceError                 no usable face (none, several, too small/dark/blurred)
    ├── ModelError                a model file is missing, corrupt or not in the manifest
    └── DocumentError             an ID document image could not be processed
"""

from __future__ import annotations


class LivenessError(Exception):
    """Base class: ``code`` is a stable machine-readable identifier."""

    code: str = "LIVENESS_ERROR"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else self.code


class MediaError(LivenessError):
    code = "MEDIA_INVALID"


class MediaTooLargeError(MediaError):
    code = "MEDIA_TOO_LARGE"


class UnsupportedMediaError(MediaError):
    code = "MEDIA_UNSUPPORTED"


class FaceError(LivenessError):
    code = "NO_FACE"


class ModelError(LivenessError):
    code = "MODEL_ERROR"


class DocumentError(LivenessError):
    code = "DOCUMENT_INVALID"
