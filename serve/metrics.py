"""Prometheus metrics of one service process, in a registry of its own.

Each app gets its own ``CollectorRegistry`` so several apps (tests) never clash over
metric names. Labels are bounded: endpoints are route templates, never raw paths.
"""

from __future__ import annotations

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256)


class ServiceMetrics:
    """The counters, histograms and gauges the service exports on ``/metrics``."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter(
            "liveness_http_requests", "HTTP requests answered.",
            ["endpoint", "method", "status"], registry=r,
        )
        self.latency = Histogram(
            "liveness_http_request_duration_seconds",
            "Time from request start to the end of the answer, per endpoint and decision.",
            ["endpoint", "decision"], buckets=LATENCY_BUCKETS, registry=r,
        )
        self.decisions = Counter(
            "liveness_decisions", "Attempts scored, per endpoint and decision.",
            ["endpoint", "decision"], registry=r,
        )
        self.problems = Counter(
            "liveness_problems", "Problem answers, per problem type.", ["type"], registry=r,
        )
        self.batch_items = Histogram(
            "liveness_batch_size_items", "Items per model call made by the micro-batcher.",
            ["model"], buckets=BATCH_BUCKETS, registry=r,
        )
        self.batch_callers = Histogram(
            "liveness_batch_callers", "Callers merged into one model call.",
            ["model"], buckets=BATCH_BUCKETS, registry=r,
        )
        self.queue_depth = Gauge(
            "liveness_batch_queue_depth", "Items waiting in the micro-batcher, per model.",
            ["model"], registry=r,
        )
        self.scoring_pending = Gauge(
            "liveness_scoring_pending", "Requests scoring or waiting for a scoring thread.",
            registry=r,
        )
        self.overloads = Counter(
            "liveness_overload_rejections", "Requests refused with 503 because queues were full.",
            registry=r,
        )
        self.model_info = Gauge(
            "liveness_model_info", "Loaded models (value 1) with version and provider.",
            ["model", "version", "provider"], registry=r,
        )
        self.provider_info = Gauge(
            "liveness_execution_provider_info",
            "Execution provider in use (1); requested is the configured device.",
            ["provider", "requested"], registry=r,
        )
        self.ready = Gauge(
            "liveness_ready", "1 once models are loaded and warmed up.", registry=r,
        )
        self.audit_writes = Counter(
            "liveness_audit_writes", "Audit rows written, per outcome.", ["outcome"], registry=r,
        )

    def observe_batch(self, model: str, items: int, callers: int) -> None:
        self.batch_items.labels(model).observe(items)
        self.batch_callers.labels(model).observe(callers)

    def observe_queue(self, model: str, depth: int) -> None:
        self.queue_depth.labels(model).set(depth)

    def set_models(
        self, versions: dict[str, str], *, provider: str, requested: str
    ) -> None:
        for name, version in versions.items():
            self.model_info.labels(name, version, provider).set(1)
        self.provider_info.labels(provider, requested).set(1)

    def render(self) -> bytes:
        return generate_latest(self.registry)
