"""Dependencies of the routes, as ``Annotated`` aliases (one engine per app, built at startup)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from serve.attempts import AttemptProcessor
from serve.core.config import Settings
from serve.engine import ScoringEngine
from serve.metrics import ServiceMetrics

# Declares the scheme in the OpenAPI document; the check itself runs in the middleware,
# before the multipart body is read.
bearer_scheme = HTTPBearer(
    auto_error=False,
    description="One of the keys in LIVENESS_API_KEYS (auth is off when none are set).",
)


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_engine(request: Request) -> ScoringEngine:
    return request.app.state.engine


def get_processor(request: Request) -> AttemptProcessor:
    return request.app.state.processor


def get_metrics(request: Request) -> ServiceMetrics:
    return request.app.state.metrics


def get_api_key_id(
    request: Request,
    _credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> str | None:
    """The id of the caller's API key (checked by the middleware), None when auth is off."""
    return request.scope.get("state", {}).get("api_key_id")


SettingsDep = Annotated[Settings, Depends(get_settings)]
EngineDep = Annotated[ScoringEngine, Depends(get_engine)]
ProcessorDep = Annotated[AttemptProcessor, Depends(get_processor)]
MetricsDep = Annotated[ServiceMetrics, Depends(get_metrics)]
ApiKeyDep = Annotated[str | None, Depends(get_api_key_id)]
