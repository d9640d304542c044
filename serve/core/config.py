"""Service settings from ``LIVENESS_*`` environment variables or an env file.

Every field maps to one variable: ``max_upload_bytes`` is ``LIVENESS_MAX_UPLOAD_BYTES``.
``LIVENESS_SETTINGS_FILE`` names an optional env file (``KEY=value`` lines) read before the
environment, which wins. With no variables set the service runs with auth disabled (and
says so in its log), batching on and the audit log in ``./var/audit.sqlite3``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Literal, Self

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


def _default_scoring_threads() -> int:
    # Scoring threads mostly wait on the batcher or in GIL-free decode/ORT code, so a few
    # per core keep the batcher fed without oversubscribing two cores.
    return max(4, 4 * (os.cpu_count() or 1))


class Settings(BaseSettings):
    """Configuration of one service process.

    Examples
    --------
    >>> Settings(api_keys="key-one-0123456789, key-two-0123456789").api_keys
    ['key-one-0123456789', 'key-two-0123456789']
    """

    model_config = SettingsConfigDict(
        env_prefix="LIVENESS_",
        extra="ignore",
        frozen=True,
    )

    # --- security ---------------------------------------------------------------
    api_keys: Annotated[list[str], NoDecode] = Field(default_factory=list, repr=False)
    """Comma-separated API keys; empty disables auth (a warning is logged at startup)."""
    require_api_keys: bool = False
    """Refuse to start without API keys (set it in production)."""
    max_upload_bytes: int = Field(default=50 * 1024 * 1024, gt=0)
    """Whole request body limit, enforced while the body streams in (413 past it)."""
    max_frames: int = Field(default=64, ge=1, le=1000)
    """Most ``frames`` parts one attempt may carry."""
    max_metadata_bytes: int = Field(default=16 * 1024, ge=0)
    request_timeout_s: float = Field(default=30.0, gt=0)
    """Budget for scoring one request (decode + models); past it the answer is 503."""

    # --- models and threads -------------------------------------------------------
    weights_dir: Path | None = None
    device: Literal["auto", "cpu", "cuda"] = "auto"
    """Execution provider: auto = CUDA when onnxruntime-gpu sees a GPU, else CPU."""
    ort_threads: int | None = Field(default=None, ge=1)
    """Intra-op threads per ONNX Runtime session (None = the runtime's default)."""
    scoring_threads: int = Field(default_factory=_default_scoring_threads, ge=1)
    """Worker threads that decode and score requests off the event loop."""
    max_pending_requests: int = Field(default=64, ge=1)
    """Requests scoring or waiting to; past it new ones get 503 + Retry-After."""
    retry_after_s: int = Field(default=2, ge=1)

    # --- dynamic micro-batching -------------------------------------------------
    batching: bool = True
    batch_max_size: int = Field(default=32, ge=1)
    """Most items (crops) merged into one model call."""
    batch_max_wait_ms: float = Field(default=4.0, ge=0)
    """How long the first queued item waits for others before its batch runs."""
    batch_max_queue: int = Field(default=1024, ge=1)
    """Items waiting per model; past it model calls fail fast with an overload error."""

    # --- data handling ----------------------------------------------------------
    audit_db: Path = Path("var/audit.sqlite3")
    retain_media: bool = False
    """Keep uploaded files for manual review (off by default: nothing is kept)."""
    retention_dir: Path = Path("var/retained")
    retention_ttl_hours: float = Field(default=72.0, gt=0)
    purge_interval_s: float = Field(default=3600.0, gt=0)

    # --- docs ---------------------------------------------------------------------
    docs: bool = True
    """Serve /docs and /openapi.json."""

    @field_validator("api_keys", mode="before")
    @classmethod
    def _split_keys(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("api_keys")
    @classmethod
    def _check_keys(cls, keys: list[str]) -> list[str]:
        for key in keys:
            if len(key) < 16:
                raise ValueError("each API key must be at least 16 characters long")
        return keys

    @model_validator(mode="after")
    def _keys_when_required(self) -> Self:
        if self.require_api_keys and not self.api_keys:
            raise ValueError("LIVENESS_REQUIRE_API_KEYS is set but LIVENESS_API_KEYS is empty")
        return self

    @property
    def auth_enabled(self) -> bool:
        return bool(self.api_keys)


def load_settings() -> Settings:
    """Settings from the environment, over ``LIVENESS_SETTINGS_FILE`` when it is set."""
    env_file = os.environ.get("LIVENESS_SETTINGS_FILE")
    return Settings(_env_file=env_file) if env_file else Settings()  # type: ignore[call-arg]
