"""The ASGI layer in front of the routes: request ids, API keys, body limit, metrics.

Auth and the body limit sit here, not in route dependencies, because FastAPI parses a
multipart body before it runs dependencies: a client without a key, or with a body over
the limit, is refused before its upload is read (a declared Content-Length over the limit
is refused before a single body byte; an undeclared one as soon as the count passes it).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import time
import uuid
from typing import Any

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from serve.core.errors import (
    PAYLOAD_TOO_LARGE,
    UNAUTHORIZED,
    ProblemError,
    problem_response,
)
from serve.metrics import ServiceMetrics

logger = logging.getLogger("serve.middleware")

PROTECTED_PREFIX = "/v1/"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class BodyTooLargeError(HTTPException):
    """Raised from ``receive`` when the streamed body passes the limit."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body exceeds {limit} bytes")


def key_id(key: str) -> str:
    """The id of an API key kept in logs and the audit: 8 hex chars of its SHA-256.

    >>> key_id("correct horse battery staple")
    'c4bbcb1f'
    """
    return hashlib.sha256(key.encode()).hexdigest()[:8]


class ApiKeys:
    """Constant-time check of a bearer token against the configured keys."""

    def __init__(self, keys: list[str]) -> None:
        self._digests = [hashlib.sha256(k.encode()).digest() for k in keys]

    @property
    def enabled(self) -> bool:
        return bool(self._digests)

    def check(self, authorization: str | None) -> str | None:
        """The key id when ``authorization`` is ``Bearer <valid key>``, else None."""
        if not authorization:
            return None
        scheme, _, token = authorization.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return None
        # Compare digests (fixed length) against every key without an early exit.
        digest = hashlib.sha256(token.encode("utf-8", "surrogateescape")).digest()
        matched = False
        for known in self._digests:
            matched |= hmac.compare_digest(digest, known)
        return digest.hex()[:8] if matched else None


class ServiceMiddleware:
    """Request id, auth on ``/v1/``, the streamed body limit and request metrics."""

    def __init__(
        self, app: ASGIApp, *, api_keys: ApiKeys, max_body_bytes: int, metrics: ServiceMetrics
    ) -> None:
        self.app = app
        self.api_keys = api_keys
        self.max_body_bytes = max_body_bytes
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started_at = time.perf_counter()
        headers = Headers(scope=scope)
        state: dict[str, Any] = scope.setdefault("state", {})
        incoming_id = headers.get("x-request-id", "")
        request_id = incoming_id if _REQUEST_ID.match(incoming_id) else uuid.uuid4().hex
        state["request_id"] = request_id
        status = {"code": 500, "started": False}

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = int(message["status"])
                status["started"] = True
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            refusal = self._refuse_early(scope, headers, state)
            if refusal is not None:
                state["problem_type"] = refusal.problem.slug
                response = problem_response(refusal, instance=scope["path"], request_id=request_id)
                await response(scope, receive, send_with_id)
                return
            await self.app(scope, self._limited(receive), send_with_id)
        except BodyTooLargeError as exc:
            # Raised outside FastAPI's form parsing (which turns it into a handled 413).
            if status["started"]:
                raise
            error = ProblemError(PAYLOAD_TOO_LARGE, str(exc.detail))
            state["problem_type"] = error.problem.slug
            response = problem_response(error, instance=scope["path"], request_id=request_id)
            await response(scope, receive, send_with_id)
        finally:
            self._record(scope, state, int(status["code"]), time.perf_counter() - started_at)

    def _refuse_early(
        self, scope: Scope, headers: Headers, state: dict[str, Any]
    ) -> ProblemError | None:
        if scope["path"].startswith(PROTECTED_PREFIX) and self.api_keys.enabled:
            found = self.api_keys.check(headers.get("authorization"))
            if found is None:
                return ProblemError(UNAUTHORIZED, "a valid `Authorization: Bearer <key>` is required")
            state["api_key_id"] = found
        declared = headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
            return ProblemError(
                PAYLOAD_TOO_LARGE,
                f"the declared body of {declared} bytes exceeds {self.max_body_bytes} bytes",
            )
        return None

    def _limited(self, receive: Receive) -> Receive:
        received = 0
        limit = self.max_body_bytes

        async def receive_limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLargeError(limit)
            return message

        return receive_limited

    def _record(self, scope: Scope, state: dict[str, Any], status: int, seconds: float) -> None:
        route = scope.get("route")
        endpoint = getattr(route, "path", None) or "unmatched"
        decision = str(state.get("decision") or ("error" if status >= 400 else "none"))
        self.metrics.requests.labels(endpoint, scope.get("method", ""), str(status)).inc()
        self.metrics.latency.labels(endpoint, decision).observe(seconds)
        problem = state.get("problem_type")
        if problem:
            self.metrics.problems.labels(problem).inc()
