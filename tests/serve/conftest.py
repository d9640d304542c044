"""A scorer double with the ``liveness.pipeline.Scorer`` interface, and app/client fixtures.

``FakeScorer`` decodes media with the real ``liveness.media.load_media`` (so corrupt or
oversized media fail exactly as in production), turns frames into a small feature batch
and runs it through the runner it was given: with batching on, requests really are merged
by the ``MicroBatcher``. ``FakeModel`` refuses any batch holding a "poison" row (a row
whose first feature is negative), which a pure-white image produces: that is how tests
make one request's model call fail inside a merged batch.
"""

from __future__ import annotations

import threading
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from starlette.exceptions import StarletteDeprecationWarning

from liveness.media import load_media
from liveness.models.runner import ModelRunner
from liveness.result import AttemptResult
from serve.core.config import Settings
from serve.main import create_app
from tests import media_factory

with warnings.catch_warnings():
    # starlette warns at import when it finds httpx instead of httpx2; both work.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

FEATURES = 8
API_KEY = "test-key-0123456789abcdef"


class FakeModel:
    """Duck-typed ``LoadedModel``: maps (N, FEATURES) rows to (N, 2) class probabilities."""

    def __init__(self, name: str = "fake_cnn", version: str = "test-1", delay_s: float = 0.0):
        self.name = name
        self.version = version
        self.delay_s = delay_s
        self.batch_sizes: list[int] = []
        self._lock = threading.Lock()

    @property
    def provider(self) -> str:
        return "CPUExecutionProvider"

    def run(self, batch: np.ndarray) -> list[np.ndarray]:
        with self._lock:
            self.batch_sizes.append(int(batch.shape[0]))
        if self.delay_s:
            time.sleep(self.delay_s)
        if (batch[:, 0] < 0).any():
            raise RuntimeError("poison row in batch")
        spoof = 1.0 / (1.0 + np.exp(-(batch.mean(axis=1) - 0.5) * 8.0))
        return [np.stack([1.0 - spoof, spoof], axis=1).astype(np.float32)]


class FakeScorer:
    """The ``Scorer`` interface over ``FakeModel``; counts the attempts it scores."""

    def __init__(
        self,
        runner: ModelRunner,
        *,
        model: FakeModel | None = None,
        provider: str = "CPUExecutionProvider",
        warmup_gate: threading.Event | None = None,
        fail_warmup: bool = False,
        documents: bool = False,
    ) -> None:
        self.runner = runner
        self.model = model or FakeModel()
        self._provider = provider
        self._warmup_gate = warmup_gate
        self._fail_warmup = fail_warmup
        self.scored = 0
        self.warmed = False
        self._lock = threading.Lock()
        if documents:
            self.score_documents = self._score_documents
            self.documents = SimpleNamespace(model_versions={"doc_net": "test-doc-1"})

    @property
    def model_versions(self) -> dict[str, str]:
        return {self.model.name: self.model.version}

    @property
    def provider(self) -> str:
        return self._provider

    def warmup(self) -> None:
        if self._warmup_gate is not None:
            self._warmup_gate.wait(10)
        if self._fail_warmup:
            from liveness.errors import ModelError

            raise ModelError("weights missing in the test double", code="MODEL_MISSING")
        self.runner.run(self.model, np.zeros((1, FEATURES), np.float32))
        self.warmed = True

    def score(self, media: Any, *, name: str = "") -> AttemptResult:
        t0 = time.perf_counter()
        frames = load_media(media)
        with self._lock:
            self.scored += 1
        rows = []
        for image in frames.images[:4]:
            level = float(image.mean()) / 255.0
            first = -1.0 if level > 0.99 else level
            rows.append([first, *([level] * (FEATURES - 1))])
        probs = self.runner.run(self.model, np.asarray(rows, np.float32))
        spoof = float(probs[:, 1].mean())
        decision = "reject" if spoof > 0.5 else "pass"
        return AttemptResult(
            media=name, decision=decision, spoof_score=spoof, scores={self.model.name: spoof},
            reasons=["REPLAY"] if decision == "reject" else [],
            model_versions=self.model_versions,
            timings_ms={"total": (time.perf_counter() - t0) * 1000},
        )

    def _score_documents(self, id_front: bytes | None, id_back: bytes | None) -> AttemptResult:
        return AttemptResult(
            media="id", decision="review", spoof_score=None, scores={"document": 0.4},
            reasons=["DOC_REVIEW"], model_versions={"doc_net": "test-doc-1"},
            timings_ms={"total": 1.0},
        )


# --- media ----------------------------------------------------------------------------


def png_bytes(level: int = 90, size: tuple[int, int] = (24, 32)) -> bytes:
    """A flat grey PNG; level 255 (white) makes ``FakeModel`` fail (a poison input)."""
    return media_factory.image_bytes(np.full((*size, 3), level, np.uint8))


def face_png(index: int = 0) -> bytes:
    return media_factory.image_bytes(media_factory.upright_pattern(24, 32, index))


@pytest.fixture(scope="session")
def mp4_bytes(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = tmp_path_factory.mktemp("media") / "clip.mp4"
    return media_factory.write_video(path, n_frames=8).read_bytes()


# --- apps and clients -----------------------------------------------------------------

ClientFactory = Callable[..., TestClient]


def wait_ready(client: TestClient, timeout_s: float = 10.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while True:
        info = client.get("/readyz").json()
        if info["status"] != "loading" or time.monotonic() > deadline:
            return info
        time.sleep(0.01)


@pytest.fixture
def make_client(tmp_path: Path) -> Iterator[ClientFactory]:
    """``make_client(scorer_kwargs=..., **settings)`` → a started, ready ``TestClient``.

    The app's scorer is a ``FakeScorer`` built on the engine's runner; it is reachable as
    ``client.app.state.engine.scorer``. Each client gets its own audit DB in ``tmp_path``.
    """
    clients: list[TestClient] = []

    def factory(
        *, scorer_kwargs: dict[str, Any] | None = None, wait: bool = True, **overrides: Any
    ) -> TestClient:
        values: dict[str, Any] = {
            "audit_db": tmp_path / f"audit-{len(clients)}.sqlite3",
            "retention_dir": tmp_path / "retained",
            "scoring_threads": 8,
            "batch_max_wait_ms": 2.0,
        }
        values.update(overrides)
        settings = Settings(**values)
        kwargs = scorer_kwargs or {}
        app = create_app(settings, scorer_factory=lambda runner, _s: FakeScorer(runner, **kwargs))
        client = TestClient(app, raise_server_exceptions=False)
        client.__enter__()
        clients.append(client)
        if wait:
            wait_ready(client)
        return client

    yield factory
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client: ClientFactory) -> TestClient:
    return make_client()
