"""The one place where errors become RFC 9457 ``application/problem+json`` answers.

Every answer that is not a success carries a stable ``type`` (``/problems/<slug>``, each
documented at that path by the service), a ``title`` fixed per type, the HTTP ``status``,
a ``detail`` for this occurrence, the ``instance`` path and, for runtime errors, the
runtime's ``code``. No answer ever carries a stack trace: unexpected exceptions are logged
and answered with ``/problems/internal-error``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from liveness.errors import (
    DocumentError,
    FaceError,
    LivenessError,
    MediaError,
    MediaTooLargeError,
    ModelError,
    UnsupportedMediaError,
)
from serve.batching import OverloadedError
from serve.engine import NotReadyError, ScoringTimeoutError

logger = logging.getLogger("serve.errors")

PROBLEM_JSON = "application/problem+json"
PROBLEM_PREFIX = "/problems/"
DEFAULT_RETRY_AFTER_S = 2


@dataclass(frozen=True)
class ProblemType:
    """One kind of problem: its ``type`` URI never changes once published."""

    slug: str
    status: int
    title: str
    description: str

    @property
    def uri(self) -> str:
        return PROBLEM_PREFIX + self.slug


def _problem(slug: str, status: int, title: str, description: str) -> ProblemType:
    return ProblemType(slug=slug, status=status, title=title, description=description)


UNAUTHORIZED = _problem(
    "unauthorized", 401, "Missing or invalid API key",
    "Send `Authorization: Bearer <key>` with one of the keys in LIVENESS_API_KEYS.",
)
INVALID_REQUEST = _problem(
    "invalid-request", 400, "Malformed request",
    "The body could not be parsed, e.g. broken multipart framing or too many parts.",
)
VALIDATION_ERROR = _problem(
    "validation-error", 422, "Request fields are invalid",
    "A field is missing, has the wrong type, or the combination of parts is not allowed; "
    "`errors` lists each problem.",
)
PAYLOAD_TOO_LARGE = _problem(
    "payload-too-large", 413, "Request body too large",
    "The request body exceeds LIVENESS_MAX_UPLOAD_BYTES; it was refused while streaming.",
)
MEDIA_TOO_LARGE = _problem(
    "media-too-large", 413, "Media exceeds a decoding limit",
    "The media is over a duration, frame-count or resolution limit of the runtime.",
)
UNSUPPORTED_MEDIA = _problem(
    "unsupported-media-type", 415, "Unsupported media type",
    "The bytes of an uploaded file are not a video or image format that the field accepts; "
    "types are sniffed from content, never from file names or headers.",
)
INVALID_MEDIA = _problem(
    "invalid-media", 422, "Media could not be decoded",
    "The file looks like a supported format but is corrupt, truncated or empty.",
)
NO_USABLE_FACE = _problem(
    "no-usable-face", 422, "No usable face",
    "The runtime refused the media: no face, several faces, or a face too small or dark.",
)
INVALID_DOCUMENT = _problem(
    "invalid-document", 422, "ID document could not be processed",
    "An ID document image could not be processed.",
)
LIVENESS_ERROR = _problem(
    "liveness-error", 422, "Attempt could not be scored",
    "The runtime refused the attempt; `code` says why.",
)
IDEMPOTENCY_CONFLICT = _problem(
    "idempotency-conflict", 409, "attempt_id already used with different files",
    "An attempt_id is an idempotency key: reusing it with identical files replays the stored "
    "result, reusing it with other files is refused.",
)
DOCUMENTS_NOT_AVAILABLE = _problem(
    "documents-not-available", 501, "Document checks not available in this version",
    "This version scores faces only; ID images are hashed into the audit log but not checked.",
)
OVERLOADED = _problem(
    "overloaded", 503, "Service overloaded",
    "Too many requests are waiting to be scored; retry after the Retry-After delay.",
)
SCORING_TIMEOUT = _problem(
    "scoring-timeout", 503, "Scoring timed out",
    "The attempt was not scored within LIVENESS_REQUEST_TIMEOUT_S; retry later.",
)
NOT_READY = _problem(
    "not-ready", 503, "Service not ready",
    "Models are loading or warming up, or failed to load; see /readyz.",
)
AUDIT_UNAVAILABLE = _problem(
    "audit-unavailable", 503, "Audit log unavailable",
    "The attempt could not be recorded in the audit log, so no decision is returned.",
)
MODEL_FAILURE = _problem(
    "model-failure", 500, "Model failure",
    "A model could not run on this attempt.",
)
INTERNAL_ERROR = _problem(
    "internal-error", 500, "Internal error",
    "An unexpected error; it was logged with the request id.",
)

PROBLEM_TYPES: dict[str, ProblemType] = {
    p.slug: p
    for p in (
        UNAUTHORIZED, INVALID_REQUEST, VALIDATION_ERROR, PAYLOAD_TOO_LARGE, MEDIA_TOO_LARGE,
        UNSUPPORTED_MEDIA, INVALID_MEDIA, NO_USABLE_FACE, INVALID_DOCUMENT, LIVENESS_ERROR,
        IDEMPOTENCY_CONFLICT, DOCUMENTS_NOT_AVAILABLE, OVERLOADED, SCORING_TIMEOUT, NOT_READY,
        AUDIT_UNAVAILABLE, MODEL_FAILURE, INTERNAL_ERROR,
    )
}

# Most specific class first: the first isinstance match wins.
_LIVENESS_PROBLEMS: tuple[tuple[type[LivenessError], ProblemType], ...] = (
    (OverloadedError, OVERLOADED),
    (NotReadyError, NOT_READY),
    (ScoringTimeoutError, SCORING_TIMEOUT),
    (MediaTooLargeError, MEDIA_TOO_LARGE),
    (UnsupportedMediaError, UNSUPPORTED_MEDIA),
    (MediaError, INVALID_MEDIA),
    (FaceError, NO_USABLE_FACE),
    (DocumentError, INVALID_DOCUMENT),
    (ModelError, MODEL_FAILURE),
    (LivenessError, LIVENESS_ERROR),
)

_HTTP_PROBLEMS: dict[int, ProblemType] = {
    400: INVALID_REQUEST,
    401: UNAUTHORIZED,
    413: PAYLOAD_TOO_LARGE,
    415: UNSUPPORTED_MEDIA,
    422: VALIDATION_ERROR,
    503: NOT_READY,
}


class ProblemError(Exception):
    """Raised by the service to answer with ``problem``; ``extra`` adds members to the body."""

    def __init__(
        self,
        problem: ProblemType,
        detail: str | None = None,
        *,
        headers: dict[str, str] | None = None,
        code: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail or problem.title)
        self.problem = problem
        self.detail = detail or problem.title
        self.headers = headers or {}
        self.code = code
        self.extra = extra or {}


def problem_for_liveness_error(exc: LivenessError) -> ProblemType:
    """The problem type a runtime error maps to (``liveness-error`` for unknown subclasses)."""
    for cls, problem in _LIVENESS_PROBLEMS:
        if isinstance(exc, cls):
            return problem
    return LIVENESS_ERROR


def problem_for_exception(exc: BaseException) -> ProblemError:
    """Any exception as the ``ProblemError`` it is answered with (used by handlers and audit)."""
    if isinstance(exc, ProblemError):
        return exc
    if isinstance(exc, LivenessError):
        problem = problem_for_liveness_error(exc)
        headers = {}
        if problem.status == 503:
            headers["Retry-After"] = str(getattr(exc, "retry_after_s", DEFAULT_RETRY_AFTER_S))
        # Model failures are server-side: their messages may name files, so say less.
        detail = problem.title if problem.status == 500 else exc.message
        return ProblemError(problem, detail, code=exc.code, headers=headers)
    if isinstance(exc, StarletteHTTPException):
        problem = _HTTP_PROBLEMS.get(exc.status_code)
        detail = str(exc.detail) if exc.detail else None
        if problem is None:
            phrase = _phrase(exc.status_code)
            problem = ProblemType("", exc.status_code, phrase, phrase)
        return ProblemError(problem, detail, headers=dict(exc.headers or {}))
    return ProblemError(INTERNAL_ERROR)


def problem_body(error: ProblemError, *, instance: str, request_id: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": error.problem.uri if error.problem.slug else "about:blank",
        "title": error.problem.title,
        "status": error.problem.status,
        "detail": error.detail,
        "instance": instance,
    }
    if error.code:
        body["code"] = error.code
    if request_id:
        body["request_id"] = request_id
    body.update(error.extra)
    return body


def problem_response(error: ProblemError, *, instance: str, request_id: str | None) -> JSONResponse:
    headers = dict(error.headers)
    if error.problem.status == 401:
        headers.setdefault("WWW-Authenticate", "Bearer")
    return JSONResponse(
        problem_body(error, instance=instance, request_id=request_id),
        status_code=error.problem.status,
        headers=headers,
        media_type=PROBLEM_JSON,
    )


def request_id_of(request: Request) -> str | None:
    return request.scope.get("state", {}).get("request_id")


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    # Pydantic echoes the offending input; uploads must never be echoed back.
    return [
        {"loc": [str(part) for part in err.get("loc", ())], "msg": str(err.get("msg", "")),
         "type": str(err.get("type", ""))}
        for err in exc.errors()
    ]


def answer(request: Request, error: ProblemError) -> JSONResponse:
    """The problem+json response for ``error``, noted in the request state for metrics."""
    state = request.scope.setdefault("state", {})
    state["problem_type"] = error.problem.slug or "about:blank"
    return problem_response(error, instance=request.url.path, request_id=request_id_of(request))


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that turn every error into problem+json."""

    async def on_problem(request: Request, exc: Exception) -> JSONResponse:
        return answer(request, problem_for_exception(exc))

    async def on_validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = _validation_errors(exc)
        detail = "; ".join(f"{'.'.join(e['loc'])}: {e['msg']}" for e in errors)[:500]
        return answer(request, ProblemError(VALIDATION_ERROR, detail or None, extra={"errors": errors}))

    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        logger.error(
            "unhandled error on %s %s (request %s)", request.method, request.url.path,
            request_id_of(request), exc_info=exc,
        )
        return answer(request, ProblemError(INTERNAL_ERROR))

    app.add_exception_handler(ProblemError, on_problem)
    app.add_exception_handler(LivenessError, on_problem)
    app.add_exception_handler(StarletteHTTPException, on_problem)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(Exception, on_unexpected)
