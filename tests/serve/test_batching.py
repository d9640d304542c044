"""The dynamic micro-batcher: merging, splitting, limits, failure isolation, overload."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from liveness.errors import ModelError
from liveness.models.runner import DirectRunner
from serve.batching import MicroBatcher, OverloadedError
from tests.serve.conftest import FEATURES, FakeModel


def rows(value: float, n: int = 1) -> np.ndarray:
    return np.full((n, FEATURES), value, np.float32)


@pytest.fixture
def batcher():
    made: list[MicroBatcher] = []

    def make(**kwargs: object) -> MicroBatcher:
        made.append(MicroBatcher(**kwargs))  # type: ignore[arg-type]
        return made[-1]

    yield make
    for b in made:
        b.close()


def test_concurrent_calls_are_merged_and_split_back(batcher) -> None:
    model = FakeModel(delay_s=0.01)
    observed: list[tuple[str, int, int]] = []
    b = batcher(max_batch_size=64, max_wait_ms=30,
                on_batch=lambda *args: observed.append(args))
    inputs = [rows(0.1 * i, n=1 + i % 3) for i in range(12)]
    expected = [DirectRunner().run(model, x) for x in inputs]
    model.batch_sizes.clear()
    with ThreadPoolExecutor(12) as pool:
        outputs = list(pool.map(lambda x: b.run(model, x), inputs))
    for got, want in zip(outputs, expected, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-6)
    assert len(model.batch_sizes) < len(inputs)
    assert sum(model.batch_sizes) == sum(len(x) for x in inputs)
    assert max(callers for _, _, callers in observed) > 1


def test_batches_never_exceed_max_batch_size(batcher) -> None:
    model = FakeModel(delay_s=0.005)
    b = batcher(max_batch_size=4, max_wait_ms=20)
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda i: b.run(model, rows(0.5)), range(16)))
    assert max(model.batch_sizes) <= 4
    assert sum(model.batch_sizes) == 16
    # A single caller's batch larger than the limit still runs, alone.
    assert b.run(model, rows(0.5, n=9)).shape == (9, 2)


def test_a_lone_caller_waits_at_most_max_wait(batcher) -> None:
    import time

    b = batcher(max_batch_size=32, max_wait_ms=5)
    model = FakeModel()
    start = time.perf_counter()
    b.run(model, rows(0.5))
    assert time.perf_counter() - start < 1.0  # generous: only checks nobody waits for a full batch


def test_a_failing_input_fails_only_its_own_caller(batcher) -> None:
    model = FakeModel(delay_s=0.01)
    b = batcher(max_batch_size=64, max_wait_ms=50)
    values = [0.2, 0.4, -1.0, 0.6, 0.8]  # -1: poison row
    barrier = threading.Barrier(len(values))

    def call(value: float) -> np.ndarray | Exception:
        barrier.wait()
        try:
            return b.run(model, rows(value))
        except Exception as exc:
            return exc

    with ThreadPoolExecutor(len(values)) as pool:
        results = list(pool.map(call, values))
    assert isinstance(results[2], ModelError) and results[2].code == "MODEL_RUN_FAILED"
    for i in (0, 1, 3, 4):
        assert isinstance(results[i], np.ndarray) and results[i].shape == (1, 2)
    assert max(model.batch_sizes) > 1  # the poison row was merged before being isolated


def test_inputs_of_different_shapes_are_not_merged(batcher) -> None:
    model = FakeModel(delay_s=0.01)
    b = batcher(max_batch_size=64, max_wait_ms=30)
    inputs = [rows(0.3), np.full((2, FEATURES + 1), 0.3, np.float32), rows(0.3)]
    with ThreadPoolExecutor(3) as pool:
        outputs = list(pool.map(lambda x: b.run(model, x), inputs))
    assert [o.shape for o in outputs] == [(1, 2), (2, 2), (1, 2)]


def test_wrong_output_length_is_a_model_error(batcher) -> None:
    class Broken(FakeModel):
        def run(self, batch: np.ndarray) -> list[np.ndarray]:
            return [np.zeros((batch.shape[0] + 1, 2), np.float32)]

    b = batcher(max_batch_size=8, max_wait_ms=1)
    with pytest.raises(ModelError):
        b.run(Broken(), rows(0.5))


def test_full_queue_raises_overloaded(batcher) -> None:
    gate, started = threading.Event(), threading.Event()

    class Slow(FakeModel):
        def run(self, batch: np.ndarray) -> list[np.ndarray]:
            started.set()
            gate.wait(5)
            return super().run(batch)

    model = Slow()
    b = batcher(max_batch_size=1, max_wait_ms=0, max_queue_items=2, retry_after_s=3)
    with ThreadPoolExecutor(4) as pool:
        running = pool.submit(b.run, model, rows(0.5))  # taken by the worker, blocks
        assert started.wait(5)
        queued = [pool.submit(b.run, model, rows(0.5)) for _ in range(2)]
        for _ in range(5000):
            if b.queue_depth().get(model.name, 0) >= 2:
                break
            threading.Event().wait(0.001)
        with pytest.raises(OverloadedError) as info:
            b.run(model, rows(0.5))
        assert info.value.retry_after_s == 3 and info.value.code == "OVERLOADED"
        gate.set()
        assert running.result().shape == (1, 2)
        assert all(f.result().shape == (1, 2) for f in queued)


def test_close_fails_waiting_callers_and_refuses_new_ones(batcher) -> None:
    b = batcher(max_batch_size=8, max_wait_ms=1)
    model = FakeModel()
    b.run(model, rows(0.5))
    b.close()
    with pytest.raises(ModelError):
        b.run(model, rows(0.5))


def test_a_reopened_batcher_runs_again(batcher) -> None:
    b = batcher(max_batch_size=8, max_wait_ms=1)
    model = FakeModel()
    b.close()
    b.reopen()  # what a second app lifespan does
    assert b.run(model, rows(0.5)).shape == (1, 2)


def test_empty_batch_passes_through(batcher) -> None:
    b = batcher()
    assert b.run(FakeModel(), np.zeros((0, FEATURES), np.float32)).shape == (0, 2)
