"""The scoring engine: one scorer per process, loaded in the background, run off the loop.

The engine owns what scoring needs besides HTTP: the scorer (built once, warmed up in a
background thread so ``/healthz`` answers while models load), the model runner (the
micro-batcher, or direct calls when batching is off), a bounded thread pool that decodes
and scores requests away from the event loop, admission control (at most
``max_pending_requests`` scoring or waiting) and the per-request timeout.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, Literal, Protocol, TypeVar, runtime_checkable

from liveness.errors import LivenessError
from liveness.models.runner import DirectRunner, ModelRunner
from liveness.result import AttemptResult
from serve.batching import MicroBatcher, OverloadedError
from serve.core.config import Settings
from serve.metrics import ServiceMetrics

logger = logging.getLogger("serve.engine")

CUDA = "CUDAExecutionProvider"
T = TypeVar("T")
Media = str | Path | bytes | list[bytes | Path]


@runtime_checkable
class ScorerLike(Protocol):
    """What the service needs from ``liveness.pipeline.Scorer``."""

    def score(self, media: Media, *, name: str = "") -> AttemptResult: ...

    def warmup(self) -> None: ...

    @property
    def model_versions(self) -> dict[str, str]: ...

    @property
    def provider(self) -> str: ...


ScorerFactory = Callable[[ModelRunner, Settings], ScorerLike]


class NotReadyError(LivenessError):
    """Models are still loading or warming up, or failed to load."""

    code = "NOT_READY"


class ScoringTimeoutError(LivenessError):
    """A request was not scored within its time budget."""

    code = "SCORING_TIMEOUT"


def build_pipeline_scorer(runner: ModelRunner, settings: Settings) -> ScorerLike:
    """The real ``liveness.pipeline.Scorer`` on the shipped weights (imported lazily)."""
    from liveness.pipeline import Scorer  # the runtime's pipeline; heavy imports

    if settings.ort_threads is not None:
        # The runtime reads its ORT thread budget from the environment.
        os.environ["LIVENESS_ORT_THREADS"] = str(settings.ort_threads)
    kwargs: dict[str, Any] = {
        "weights_dir": settings.weights_dir,
        "runner": runner,
        "device": None if settings.device == "auto" else settings.device,
    }
    if "threads" in inspect.signature(Scorer).parameters:
        kwargs["threads"] = settings.ort_threads
    return Scorer(**kwargs)


class ScoringEngine:
    """Loads the scorer and runs scoring work with admission control and timeouts."""

    def __init__(
        self,
        settings: Settings,
        metrics: ServiceMetrics,
        *,
        scorer: ScorerLike | None = None,
        scorer_factory: ScorerFactory | None = None,
    ) -> None:
        self.settings = settings
        self.metrics = metrics
        self.runner: ModelRunner
        self.batcher: MicroBatcher | None = None
        if settings.batching:
            self.batcher = MicroBatcher(
                max_batch_size=settings.batch_max_size,
                max_wait_ms=settings.batch_max_wait_ms,
                max_queue_items=settings.batch_max_queue,
                retry_after_s=settings.retry_after_s,
                on_batch=metrics.observe_batch,
                on_queue=metrics.observe_queue,
            )
            self.runner = self.batcher
        else:
            self.runner = DirectRunner()
        self._scorer = scorer
        self._factory = scorer_factory or build_pipeline_scorer
        self.state: Literal["loading", "ready", "failed"] = "loading"
        self.error: str | None = None
        self.error_code: str | None = None
        self.warmup_ms: float | None = None
        self._ready = threading.Event()
        self._executor = self._new_executor()
        self._closed = False
        self._pending = 0
        self._pending_lock = threading.Lock()
        self._loader: threading.Thread | None = None

    # -- lifecycle -----------------------------------------------------------------

    def _new_executor(self) -> ThreadPoolExecutor:
        return ThreadPoolExecutor(max_workers=self.settings.scoring_threads, thread_name_prefix="score")

    def start(self) -> None:
        """Build (unless injected) and warm up the scorer in a background thread."""
        if self._closed:  # the app's lifespan runs again (tests, embedded servers): a new pool
            self._executor = self._new_executor()
            if self.batcher is not None:
                self.batcher.reopen()
            self._closed = False
        self._loader = threading.Thread(target=self._load, name="scorer-loader", daemon=True)
        self._loader.start()

    def wait_ready(self, timeout: float | None = None) -> bool:
        """Block until loading ended (ready or failed); True when ready."""
        self._ready.wait(timeout)
        return self.state == "ready"

    def _load(self) -> None:
        start = time.perf_counter()
        try:
            scorer = self._scorer or self._factory(self.runner, self.settings)
            scorer.warmup()
            self._scorer = scorer
            self.warmup_ms = (time.perf_counter() - start) * 1000
            self.metrics.set_models(
                dict(scorer.model_versions), provider=scorer.provider,
                requested=self.settings.device,
            )
            self.state = "ready"
            self.metrics.ready.set(1)
            logger.info(
                "scorer ready in %.0f ms on %s (models: %s)", self.warmup_ms,
                scorer.provider, scorer.model_versions,
            )
        except Exception as exc:
            self.state = "failed"
            self.error = f"{type(exc).__name__}: {exc}"[:500]
            self.error_code = getattr(exc, "code", type(exc).__name__)
            logger.error("scorer failed to load: %s", self.error, exc_info=exc)
        finally:
            self._ready.set()

    def close(self) -> None:
        self._closed = True
        self._executor.shutdown(wait=False, cancel_futures=True)
        if self.batcher is not None:
            self.batcher.close()

    # -- what /readyz reports ------------------------------------------------------------

    @property
    def scorer(self) -> ScorerLike:
        if self.state != "ready" or self._scorer is None:
            detail = "models are loading and warming up"
            if self.state == "failed":
                detail = f"models failed to load ({self.error_code})"
            raise NotReadyError(detail)
        return self._scorer

    def readiness(self) -> dict[str, Any]:
        info: dict[str, Any] = {
            "status": self.state,
            "requested_device": self.settings.device,
            "batching": {
                "enabled": self.batcher is not None,
                "max_batch_size": self.settings.batch_max_size,
                "max_wait_ms": self.settings.batch_max_wait_ms,
            },
            "scoring_threads": self.settings.scoring_threads,
        }
        if self.state == "ready" and self._scorer is not None:
            provider = self._scorer.provider
            info.update(
                provider=provider,
                provider_fallback=self._is_fallback(provider),
                model_versions=dict(self._scorer.model_versions) | self._document_versions(),
                warmup_ms=round(self.warmup_ms or 0.0, 1),
            )
        if self.state == "failed":
            info.update(error_code=self.error_code, error=self.error)
        return info

    def _document_versions(self) -> dict[str, str]:
        # Scorers without the document model (no doc weights installed, or a test scorer)
        # have no ``documents``: then /readyz lists the face models only.
        documents = getattr(self._scorer, "documents", None)
        return dict(documents.model_versions) if documents is not None else {}

    def _is_fallback(self, provider: str) -> bool:
        """True when a GPU was asked for (or auto found CUDA) but the models run elsewhere."""
        if provider == CUDA:
            return False
        if self.settings.device == "cuda":
            return True
        if self.settings.device == "auto":
            import onnxruntime as ort

            return CUDA in ort.get_available_providers()
        return False

    # -- running work -------------------------------------------------------------

    @property
    def pending(self) -> int:
        return self._pending

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run ``fn`` in the scoring pool within the request timeout.

        Raises ``OverloadedError`` when ``max_pending_requests`` are already admitted and
        ``ScoringTimeoutError`` past ``request_timeout_s``. A timed-out call keeps its slot
        until its thread finishes, so timeouts cannot pile up unbounded work.
        """
        with self._pending_lock:
            if self._pending >= self.settings.max_pending_requests:
                self.metrics.overloads.inc()
                raise OverloadedError(
                    f"{self._pending} requests are already scoring or queued",
                    retry_after_s=self.settings.retry_after_s,
                )
            self._pending += 1
            self.metrics.scoring_pending.set(self._pending)
        try:
            future: Future[T] = self._executor.submit(fn, *args, **kwargs)
        except RuntimeError as exc:  # pool shut down during shutdown
            self._release()
            raise NotReadyError("the service is shutting down") from exc
        future.add_done_callback(lambda _f: self._release())
        try:
            return await asyncio.wait_for(
                asyncio.wrap_future(future), timeout=self.settings.request_timeout_s
            )
        except TimeoutError as exc:
            raise ScoringTimeoutError(
                f"not scored within {self.settings.request_timeout_s:g} s"
            ) from exc
        except OverloadedError:
            self.metrics.overloads.inc()
            raise

    def _release(self) -> None:
        with self._pending_lock:
            self._pending -= 1
            self.metrics.scoring_pending.set(self._pending)
