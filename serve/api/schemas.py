"""Response bodies as pydantic models: they drive the OpenAPI document and its examples."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class FileDigest(BaseModel):
    """An uploaded file as the audit log keeps it: its hash, never its bytes."""

    field: str = Field(description="Form field the file came in.")
    sha256: str
    bytes: int
    media_type: str | None = Field(description="Type sniffed from the file's bytes.")


class AttemptAnswer(BaseModel):
    """The decision on one attempt (also returned, unchanged, for an idempotent replay)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "attempt_id": "kyc-7f3a9c",
                    "decision": "reject",
                    "spoof_score": 0.93,
                    "scores": {"frame": 0.91, "temporal": 0.95},
                    "reasons": ["ANIMATED_PHOTO"],
                    "model_versions": {"frame_cnn": "1.0.0", "temporal": "1.0.0"},
                    "timings_ms": {"decode": 84.2, "faces": 40.1, "models": 22.7, "total": 151.3},
                    "files": [
                        {"field": "video", "sha256": "9f86d081884c7d659a2feaa0c55ad015"
                         "a3bf4f1b2b0b822cd15d6c15b0f00a08", "bytes": 812345,
                         "media_type": "video/mp4"}
                    ],
                    "created_at": "2025-01-31T12:00:00.000+00:00",
                }
            ]
        }
    )

    attempt_id: str = Field(description="The client's attempt_id, or one generated for it.")
    decision: Literal["pass", "reject", "review"]
    spoof_score: float | None = Field(
        description="Calibrated: 0 = live, 1 = attack; null when the attempt could not be "
        "scored (then `reasons` say why)."
    )
    scores: dict[str, float | None] = Field(description="Per-check scores.")
    reasons: list[str] = Field(description="The runtime's reason codes, e.g. REPLAY, NO_FACE.")
    model_versions: dict[str, str]
    timings_ms: dict[str, float]
    files: list[FileDigest]
    created_at: str = Field(description="When the attempt was first scored (ISO 8601, UTC).")
    documents: dict[str, dict[str, Any]] | None = Field(
        default=None,
        description="Per ID image (front, back): decision, calibrated forgery_score, species, "
        "forged regions (fractions of the rectified document), reasons, capture quality, read fields.",
    )


class Problem(BaseModel):
    """RFC 9457 problem details (``application/problem+json``)."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "type": "/problems/unsupported-media-type",
                    "title": "Unsupported media type",
                    "status": 415,
                    "detail": "the 'video' file is no known media format; it must be one of: "
                    "mp4, mov, webm, mkv, avi",
                    "instance": "/v1/attempts",
                    "code": "MEDIA_UNSUPPORTED",
                    "request_id": "5d0c0f5e9f0b4c52a8d1f0e5b2f7a9c1",
                }
            ]
        },
    )

    type: str = Field(description="Stable URI of the problem type, documented at that path.")
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    code: str | None = Field(default=None, description="The runtime's error code, if any.")
    request_id: str | None = None


class Readiness(BaseModel):
    """What /readyz reports: loading state, execution provider, models, batching."""

    model_config = ConfigDict(extra="allow")

    status: Literal["loading", "ready", "failed"]
    requested_device: str
    provider: str | None = None
    provider_fallback: bool | None = Field(
        default=None, description="True when a GPU was asked for or found but models run on CPU."
    )
    model_versions: dict[str, str] | None = None


class ProblemTypeDoc(BaseModel):
    type: str
    title: str
    status: int
    description: str


def problem_responses(*statuses: int) -> dict[int | str, dict[str, object]]:
    """OpenAPI ``responses`` entries for the problem statuses an endpoint can answer."""
    schema = Problem.model_json_schema()
    return {
        status: {"content": {"application/problem+json": {"schema": schema}},
                 "description": "Problem details (RFC 9457)."}
        for status in statuses
    }
