"""Probes and metrics: ``/healthz`` (process up), ``/readyz`` (models warm), ``/metrics``."""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from serve.api.deps import EngineDep, MetricsDep
from serve.api.schemas import Readiness

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Liveness probe: the process is up")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    response_model=Readiness,
    responses={503: {"model": Readiness, "description": "Models loading, or failed to load."}},
    summary="Readiness probe: models loaded and a warm-up inference done",
)
async def readyz(engine: EngineDep) -> JSONResponse:
    info = engine.readiness()
    return JSONResponse(info, status_code=200 if info["status"] == "ready" else 503)


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text format."}},
    summary="Prometheus metrics",
)
async def metrics(metrics: MetricsDep) -> Response:
    return Response(metrics.render(), media_type=metrics.content_type)

