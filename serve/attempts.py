"""One attempt from uploaded parts to an audited answer, idempotent on ``attempt_id``.

The routes hand over a ``Submission`` (their parts, already split by field); this module
reads and hashes the files off the event loop, replays a stored answer for a known
``attempt_id``, checks the sniffed types, scores through the engine, optionally keeps the
media, and writes one audit row per attempt, success or failure, before answering.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import tempfile
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import anyio.to_thread

from liveness.result import AttemptResult, combine_results
from serve.audit import AuditError, AuditLog, AuditRecord, DuplicateAttemptError, MediaRetention
from serve.core.errors import (
    AUDIT_UNAVAILABLE,
    DOCUMENTS_NOT_AVAILABLE,
    IDEMPOTENCY_CONFLICT,
    ProblemError,
    problem_for_exception,
)
from serve.engine import ScorerLike, ScoringEngine
from serve.metrics import ServiceMetrics
from serve.uploads import MediaClass, Upload, read_upload

logger = logging.getLogger("serve.attempts")

ID_NOT_CHECKED = "ID_NOT_CHECKED"
"""Reason added when ID images were sent but this version cannot check documents."""


@dataclass
class Submission:
    """The parts of one request, split by field; streams are the spooled upload files."""

    endpoint: str
    face_field: str | None = None
    face_files: list[BinaryIO] = field(default_factory=list)
    id_files: list[tuple[str, BinaryIO]] = field(default_factory=list)
    attempt_id: str | None = None
    metadata: str | None = None


@dataclass
class Outcome:
    """The answer body and whether it was replayed from the audit log."""

    body: dict[str, Any]
    replayed: bool = False


class _KeyedLocks:
    """One asyncio lock per attempt id in flight, dropped when nobody holds it."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)


def fingerprint(endpoint: str, uploads: list[Upload], api_key_id: str | None) -> str:
    """What makes two requests "the same attempt": caller, endpoint, each file's field and hash.

    The API key id is part of it so one client can never replay another client's answer.
    """
    text = "\n".join([str(api_key_id), endpoint, *(f"{u.field}:{u.sha256}" for u in uploads)])
    return hashlib.sha256(text.encode()).hexdigest()


class AttemptProcessor:
    """Scores submissions with the engine and records them in the audit log."""

    def __init__(
        self,
        engine: ScoringEngine,
        audit: AuditLog,
        metrics: ServiceMetrics,
        *,
        retention: MediaRetention | None = None,
    ) -> None:
        self.engine = engine
        self.audit = audit
        self.metrics = metrics
        self.retention = retention
        self._locks = _KeyedLocks()

    async def process(self, submission: Submission, *, api_key_id: str | None) -> Outcome:
        # Refuse before reading uploads when the service cannot score at all.
        scorer = self.engine.scorer
        uploads = await anyio.to_thread.run_sync(_read_all, submission)
        if submission.attempt_id is None:
            return await self._score_and_record(
                submission, uploads, scorer, uuid.uuid4().hex, api_key_id
            )
        attempt_id = submission.attempt_id
        async with self._locks.hold(attempt_id):
            replay = await self._replay(attempt_id, submission.endpoint, uploads, api_key_id)
            if replay is not None:
                return replay
            return await self._score_and_record(submission, uploads, scorer, attempt_id, api_key_id)

    async def _replay(
        self, attempt_id: str, endpoint: str, uploads: list[Upload], api_key_id: str | None
    ) -> Outcome | None:
        try:
            stored = await anyio.to_thread.run_sync(self.audit.find_scored, attempt_id)
        except AuditError as exc:
            raise ProblemError(AUDIT_UNAVAILABLE, "the audit log could not be read") from exc
        if stored is None:
            return None
        if stored.fingerprint != fingerprint(endpoint, uploads, api_key_id):
            raise ProblemError(
                IDEMPOTENCY_CONFLICT,
                f"attempt_id {attempt_id!r} was already scored with other files, on another "
                "endpoint or for another API key; use a new attempt_id",
            )
        return Outcome(body=stored.result, replayed=True)

    async def _score_and_record(
        self,
        submission: Submission,
        uploads: list[Upload],
        scorer: ScorerLike,
        attempt_id: str,
        api_key_id: str | None,
    ) -> Outcome:
        record = AuditRecord(
            attempt_id=attempt_id, endpoint=submission.endpoint, outcome="scored",
            http_status=200, files=[u.audit_entry() for u in uploads],
            fingerprint=fingerprint(submission.endpoint, uploads, api_key_id),
            api_key_id=api_key_id,
            metadata=submission.metadata,
        )
        try:
            result = await self._score(submission, uploads, scorer)
        except BaseException as exc:
            if isinstance(exc, Exception):
                await self._record_failure(record, exc)
            raise
        body = _answer_body(result, attempt_id=attempt_id, uploads=uploads,
                            created_at=record.created_at)
        record.result = body
        if self.retention is not None:
            record.retained_path = str(
                await anyio.to_thread.run_sync(self.retention.store, record.record_id, uploads)
            )
        try:
            await anyio.to_thread.run_sync(self.audit.record, record)
        except DuplicateAttemptError:
            # Another process scored the same id meanwhile: its answer is the one on record.
            replay = await self._replay(attempt_id, submission.endpoint, uploads, api_key_id)
            if replay is not None:
                return replay
            raise ProblemError(AUDIT_UNAVAILABLE, "the audit log refused the attempt") from None
        except AuditError as exc:
            logger.error("audit write failed for attempt %s: %s", attempt_id, exc)
            raise ProblemError(AUDIT_UNAVAILABLE) from exc
        self.metrics.audit_writes.labels("scored").inc()
        self.metrics.decisions.labels(submission.endpoint, result.decision).inc()
        return Outcome(body=body)

    async def _record_failure(self, record: AuditRecord, exc: Exception) -> None:
        problem = problem_for_exception(exc)
        record.outcome = "error"
        record.http_status = problem.problem.status
        record.problem_type = problem.problem.uri if problem.problem.slug else "about:blank"
        record.error_code = problem.code
        try:
            await anyio.to_thread.run_sync(self.audit.record, record)
        except AuditError as audit_exc:
            logger.error("audit write failed for failed attempt %s: %s", record.attempt_id, audit_exc)
            raise ProblemError(AUDIT_UNAVAILABLE) from exc
        self.metrics.audit_writes.labels("error").inc()

    async def _score(
        self, submission: Submission, uploads: list[Upload], scorer: ScorerLike
    ) -> AttemptResult:
        face = [u for u in uploads if u.field == submission.face_field]
        documents = [u for u in uploads if u.field in ("id_front", "id_back")]
        expect: MediaClass = "video" if submission.face_field == "video" else "image"
        for upload in face:
            upload.require(expect)
        # Document uploads are not type-checked here: the document intake turns a PDF, a
        # blank page or a selfie into reason codes (DOC_UNREADABLE, ...), not an error.
        score_documents = getattr(scorer, "score_documents", None)
        if not face:  # /v1/documents
            if score_documents is None:
                raise ProblemError(
                    DOCUMENTS_NOT_AVAILABLE,
                    "document checks are not available in this version; the files were "
                    "hashed into the audit log and discarded",
                )
            return await self.engine.run(_score_documents, score_documents, documents)
        name = submission.face_field or ""
        if submission.face_field == "frames":
            result = await self.engine.run(_score_frames, scorer, face, name)
        else:
            result = await self.engine.run(scorer.score, face[0].data, name=name)
        if documents:
            if score_documents is None:
                result.reasons = [*result.reasons, ID_NOT_CHECKED]
            else:
                doc_result = await self.engine.run(_score_documents, score_documents, documents)
                result = combine_results(result, doc_result)
        return result


def _read_all(submission: Submission) -> list[Upload]:
    pairs: list[tuple[str, BinaryIO]] = [
        (submission.face_field or "", stream) for stream in submission.face_files
    ]
    pairs += submission.id_files
    return [read_upload(stream, field=name) for name, stream in pairs]


def _score_frames(scorer: ScorerLike, frames: list[Upload], name: str) -> AttemptResult:
    """Score frame images: the runtime reads frame sequences from files, so they are
    written to a private temporary directory that is deleted right after scoring."""
    with tempfile.TemporaryDirectory(prefix="liveness-frames-") as folder:
        paths: list[bytes | Path] = []
        for index, upload in enumerate(frames):
            path = Path(folder) / f"frame-{index:04d}"
            path.write_bytes(upload.data)
            paths.append(path)
        return scorer.score(paths, name=name)


def _score_documents(score_documents: Any, documents: list[Upload]) -> AttemptResult:
    by_field = {u.field: u.data for u in documents}
    return score_documents(by_field.get("id_front"), by_field.get("id_back"))


def _answer_body(
    result: AttemptResult, *, attempt_id: str, uploads: list[Upload], created_at: str
) -> dict[str, Any]:
    data = result.to_dict()
    body = {
        "attempt_id": attempt_id,
        "decision": data["decision"],
        "spoof_score": data["spoof_score"],
        "scores": data["scores"],
        "reasons": list(data["reasons"]),
        "model_versions": dict(data["model_versions"]),
        "timings_ms": data["timings_ms"],
        "files": [u.audit_entry() for u in uploads],
        "created_at": created_at,
    }
    if "documents" in data:
        body["documents"] = data["documents"]
    # Fail loudly here rather than store an answer that cannot be replayed.
    json.dumps(body, allow_nan=False)
    return body

