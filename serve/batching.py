"""Dynamic micro-batching: merge concurrent callers' model inputs into one model call.

``MicroBatcher`` is a ``liveness.models.runner.ModelRunner``: the scorer hands it a batch
and blocks until its own rows of the output come back. Behind it one worker thread per
model takes queued batches, concatenates them along axis 0 (up to ``max_batch_size``
items, waiting at most ``max_wait_ms`` after the oldest arrived), runs the model once and
splits the output back to the callers.

Under light load a caller waits at most ``max_wait_ms``; under heavy load batches form by
themselves while the previous one runs, so nobody waits on the timer. If a merged call
fails, each caller's batch is run again on its own: one bad input fails only its own
request. The queue is bounded: a caller that would overfill it gets ``OverloadedError``
at once instead of waiting behind a backlog it cannot beat.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from liveness.errors import LivenessError, ModelError
from liveness.models.manifest import LoadedModel
from liveness.models.runner import DirectRunner, ModelRunner

logger = logging.getLogger("serve.batching")


class OverloadedError(LivenessError):
    """The service has more work queued than it accepts; retry after ``retry_after_s``."""

    code = "OVERLOADED"

    def __init__(self, message: str, *, retry_after_s: int = 1) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


BatchObserver = Callable[[str, int, int], None]
"""Called after each model call with (model name, items, callers merged)."""

QueueObserver = Callable[[str, int], None]
"""Called when a model's queue changes, with (model name, items waiting)."""


@dataclass
class _Pending:
    batch: np.ndarray
    enqueued_at: float
    done: threading.Event = field(default_factory=threading.Event)
    output: np.ndarray | None = None
    error: BaseException | None = None

    @property
    def size(self) -> int:
        return int(self.batch.shape[0])

    def signature(self) -> tuple[tuple[int, ...], str]:
        return tuple(self.batch.shape[1:]), self.batch.dtype.str


class _ModelQueue:
    """The queue and worker thread of one model."""

    def __init__(self, batcher: MicroBatcher, model: LoadedModel) -> None:
        self.batcher = batcher
        self.model = model
        self.pending: deque[_Pending] = deque()
        self.items = 0
        self.cond = threading.Condition()
        self.closed = False
        self.thread = threading.Thread(
            target=self._loop, name=f"batcher-{model.name}", daemon=True
        )
        self.thread.start()

    def submit(self, batch: np.ndarray) -> _Pending:
        request = _Pending(batch=batch, enqueued_at=time.monotonic())
        with self.cond:
            if self.closed:
                raise ModelError("the batcher is closed", code="BATCHER_CLOSED")
            limit = self.batcher.max_queue_items
            if self.items and self.items + request.size > limit:
                raise OverloadedError(
                    f"model {self.model.name!r} has {self.items} items queued (limit {limit})",
                    retry_after_s=self.batcher.retry_after_s,
                )
            self.pending.append(request)
            self.items += request.size
            depth = self.items
            self.cond.notify()
        self.batcher.observe_queue(self.model.name, depth)
        return request

    def close(self) -> None:
        with self.cond:
            self.closed = True
            self.cond.notify_all()
        self.thread.join(timeout=5)

    def _take(self) -> list[_Pending] | None:
        """Wait for work, then return one compatible group of requests (None when closed)."""
        max_items = self.batcher.max_batch_size
        max_wait = self.batcher.max_wait_s
        with self.cond:
            while not self.pending and not self.closed:
                self.cond.wait()
            if not self.pending:
                return None
            deadline = self.pending[0].enqueued_at + max_wait
            while not self.closed and self.items < max_items:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self.cond.wait(remaining)
            signature = self.pending[0].signature()
            taken: list[_Pending] = []
            kept: deque[_Pending] = deque()
            total = 0
            while self.pending:
                request = self.pending.popleft()
                fits = not taken or total + request.size <= max_items
                if fits and request.signature() == signature:
                    taken.append(request)
                    total += request.size
                else:
                    kept.append(request)
            self.pending = kept
            self.items -= total
            depth = self.items
        self.batcher.observe_queue(self.model.name, depth)
        return taken

    def _loop(self) -> None:
        while True:
            group = self._take()
            if group is None:
                break
            try:
                self.batcher.run_group(self.model, group)
            except BaseException as exc:  # keep the worker alive whatever happens
                for request in group:
                    if not request.done.is_set():
                        request.error = exc
                        request.done.set()
        with self.cond:
            leftover, self.pending, self.items = list(self.pending), deque(), 0
        for request in leftover:
            request.error = ModelError("the batcher was closed", code="BATCHER_CLOSED")
            request.done.set()


class MicroBatcher:
    """A thread-safe ``ModelRunner`` that merges concurrent calls per model.

    Parameters
    ----------
    max_batch_size
        Most items (rows along axis 0) merged into one model call. A single caller's
        batch larger than this still runs, alone.
    max_wait_ms
        How long the oldest queued item may wait for others to join its batch.
    max_queue_items
        Items that may wait per model; a submit past it raises ``OverloadedError``.
    runner
        What actually runs a merged batch (``DirectRunner`` by default).
    on_batch, on_queue
        Optional observers for metrics.

    Examples
    --------
    >>> batcher = MicroBatcher(max_batch_size=8, max_wait_ms=1)
    >>> batcher.max_wait_s
    0.001
    >>> batcher.close()
    """

    def __init__(
        self,
        *,
        max_batch_size: int = 32,
        max_wait_ms: float = 4.0,
        max_queue_items: int = 1024,
        retry_after_s: int = 1,
        runner: ModelRunner | None = None,
        on_batch: BatchObserver | None = None,
        on_queue: QueueObserver | None = None,
    ) -> None:
        if max_batch_size < 1 or max_queue_items < 1 or max_wait_ms < 0:
            raise ValueError("max_batch_size and max_queue_items must be >= 1, max_wait_ms >= 0")
        self.max_batch_size = max_batch_size
        self.max_wait_s = max_wait_ms / 1000.0
        self.max_queue_items = max_queue_items
        self.retry_after_s = retry_after_s
        self.runner: ModelRunner = runner or DirectRunner()
        self._on_batch = on_batch
        self._on_queue = on_queue
        self._queues: dict[int, _ModelQueue] = {}
        self._lock = threading.Lock()
        self._closed = False

    def run(self, model: LoadedModel, batch: np.ndarray) -> np.ndarray:
        """Run ``model`` on ``batch`` merged with other callers'; return this batch's rows."""
        batch = np.asarray(batch)
        if batch.ndim == 0:
            raise ModelError("a model batch needs a first (item) axis", code="MODEL_INPUT")
        if batch.shape[0] == 0:
            return self.runner.run(model, batch)
        request = self._queue_for(model).submit(batch)
        request.done.wait()
        if request.error is not None:
            raise request.error
        assert request.output is not None
        return request.output

    def queue_depth(self) -> dict[str, int]:
        with self._lock:
            queues = list(self._queues.values())
        return {q.model.name: q.items for q in queues}

    def close(self) -> None:
        """Stop the workers; callers still queued get a ``ModelError``."""
        with self._lock:
            self._closed = True
            queues, self._queues = list(self._queues.values()), {}
        for queue in queues:
            queue.close()

    def reopen(self) -> None:
        """Accept calls again after ``close`` (a new app lifespan); workers start on demand."""
        with self._lock:
            self._closed = False

    # -- worker side ---------------------------------------------------------------

    def run_group(self, model: LoadedModel, group: list[_Pending]) -> None:
        """Run a compatible group as one call; on failure retry each request alone."""
        if len(group) == 1:
            self._run_alone(model, group[0])
            return
        merged = np.concatenate([r.batch for r in group], axis=0)
        try:
            output = self._call(model, merged)
        except Exception as exc:
            logger.warning(
                "merged call of %s on %d items failed (%s); retrying each caller alone",
                model.name, merged.shape[0], type(exc).__name__,
            )
            for request in group:
                self._run_alone(model, request)
            return
        self._observe_batch(model.name, int(merged.shape[0]), len(group))
        start = 0
        for request in group:
            request.output = output[start : start + request.size]
            start += request.size
            request.done.set()

    def _run_alone(self, model: LoadedModel, request: _Pending) -> None:
        try:
            request.output = self._call(model, request.batch)
            self._observe_batch(model.name, request.size, 1)
        except Exception as exc:
            request.error = exc if isinstance(exc, LivenessError) else ModelError(
                f"model {model.name!r} failed: {type(exc).__name__}: {exc}"[:500],
                code="MODEL_RUN_FAILED",
            )
        request.done.set()

    def _call(self, model: LoadedModel, batch: np.ndarray) -> np.ndarray:
        output = np.asarray(self.runner.run(model, batch))
        if output.ndim == 0 or output.shape[0] != batch.shape[0]:
            raise ModelError(
                f"model {model.name!r} returned shape {output.shape} for {batch.shape[0]} items",
                code="MODEL_OUTPUT",
            )
        return output

    def _queue_for(self, model: LoadedModel) -> _ModelQueue:
        # Keyed by the model object: two LoadedModels with one name are distinct sessions.
        key = id(model)
        with self._lock:
            if self._closed:
                raise ModelError("the batcher is closed", code="BATCHER_CLOSED")
            queue = self._queues.get(key)
            if queue is None or queue.model is not model:
                queue = _ModelQueue(self, model)
                self._queues[key] = queue
            return queue

    def observe_queue(self, name: str, depth: int) -> None:
        if self._on_queue is not None:
            self._on_queue(name, depth)

    def _observe_batch(self, name: str, items: int, callers: int) -> None:
        if self._on_batch is not None:
            self._on_batch(name, items, callers)
