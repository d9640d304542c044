"""The service's ASGI app: ``uvicorn serve.main:app`` (or ``make serve``).

``create_app`` wires settings, metrics, the scoring engine, the audit log and the routes.
The scorer is built in a background thread at startup (``/readyz`` answers 503 until it
is warm); tests inject a scorer or a factory instead of the real pipeline.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import FastAPI

import liveness
from serve.api.main import api_router
from serve.attempts import AttemptProcessor
from serve.audit import AuditLog, MediaRetention
from serve.core.config import Settings, load_settings
from serve.core.errors import install_error_handlers
from serve.engine import ScorerFactory, ScorerLike, ScoringEngine
from serve.metrics import ServiceMetrics
from serve.middleware import ApiKeys, ServiceMiddleware

logger = logging.getLogger("serve")

DESCRIPTION = """
Face-liveness scoring for KYC. Upload a selfie video (or frames, or one image) and get a
decision (`pass` | `reject` | `review`), a calibrated `spoof_score`, per-check scores and
reason codes. Every error is RFC 9457 `application/problem+json` with a stable `type`
documented under `/problems/{slug}`. Uploaded media is not kept unless retention is on;
the audit log keeps SHA-256 hashes.
"""


def create_app(
    settings: Settings | None = None,
    scorer: ScorerLike | None = None,
    *,
    scorer_factory: ScorerFactory | None = None,
) -> FastAPI:
    """Build the service.

    Parameters
    ----------
    settings
        Defaults to ``load_settings()`` (``LIVENESS_*`` environment variables).
    scorer
        A ready-built scorer; by default ``liveness.pipeline.Scorer`` is built at startup
        with the engine's model runner (the micro-batcher when batching is on).
    scorer_factory
        ``factory(runner, settings) -> scorer``, used instead of the real pipeline.
    """
    settings = settings or load_settings()
    _configure_logging()
    metrics = ServiceMetrics()
    engine = ScoringEngine(settings, metrics, scorer=scorer, scorer_factory=scorer_factory)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if not settings.auth_enabled:
            logger.warning(
                "LIVENESS_API_KEYS is not set: authentication is DISABLED; "
                "set it before exposing this service beyond localhost"
            )
        audit = await anyio.to_thread.run_sync(AuditLog, settings.audit_db)
        retention = None
        purger: asyncio.Task[None] | None = None
        if settings.retain_media:
            retention = MediaRetention(
                settings.retention_dir, ttl_s=settings.retention_ttl_hours * 3600
            )
            purger = asyncio.create_task(_purge_forever(retention, settings.purge_interval_s))
            logger.warning("media retention is ON: uploads kept under %s for %g h",
                           settings.retention_dir, settings.retention_ttl_hours)
        app.state.processor = AttemptProcessor(engine, audit, metrics, retention=retention)
        engine.start()
        try:
            yield
        finally:
            if purger is not None:
                purger.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await purger
            engine.close()
            audit.close()

    app = FastAPI(
        title="liveness-kyc scoring service",
        version=liveness.__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url="/docs" if settings.docs else None,
        redoc_url=None,
        openapi_url="/openapi.json" if settings.docs else None,
        form_limits={
            "max_files": settings.max_frames + 2,
            "max_fields": 8,
            "max_part_size": settings.max_metadata_bytes + 1024,
        },
    )
    app.state.settings = settings
    app.state.metrics = metrics
    app.state.engine = engine
    install_error_handlers(app)
    app.add_middleware(
        ServiceMiddleware,
        api_keys=ApiKeys(settings.api_keys),
        max_body_bytes=settings.max_upload_bytes,
        metrics=metrics,
    )
    app.include_router(api_router)
    return app


async def _purge_forever(retention: MediaRetention, interval_s: float) -> None:
    """Purge expired media now and then every ``interval_s`` seconds."""
    while True:
        try:
            removed = await anyio.to_thread.run_sync(retention.purge)
            if removed:
                logger.info("purged %d expired media directories", removed)
        except Exception as exc:  # a failed purge must not stop later ones
            logger.error("media purge failed: %s", exc)
        await asyncio.sleep(interval_s)


def _configure_logging() -> None:
    service_logger = logging.getLogger("serve")
    if not service_logger.handlers and not logging.getLogger().handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s:     %(name)s: %(message)s"))
        service_logger.addHandler(handler)
        service_logger.setLevel(logging.INFO)


app = create_app()
