"""The audit log (SQLite, WAL, durable commits) and the optional media retention.

One row per attempt that reached scoring, whatever its outcome: attempt id, time, endpoint,
decision, scores, reasons, model versions, the API key's id (never the key), the SHA-256
of each uploaded file, the client's metadata as sent, and the answer itself so an
idempotent retry replays it instead of scoring again. Each row is committed with
``synchronous=FULL`` before the client gets its answer, so a decision the client saw
survives a killed process or a power cut.

No uploaded image is kept unless retention is switched on; then files go under one
directory per attempt (mode 0700/0600) and are purged after a TTL.
"""

from __future__ import annotations

import json
import logging
import shutil
import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from serve.uploads import Upload

logger = logging.getLogger("serve.audit")

SCHEMA = """
CREATE TABLE IF NOT EXISTS attempts (
    record_id      TEXT PRIMARY KEY,
    attempt_id     TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    endpoint       TEXT NOT NULL,
    outcome        TEXT NOT NULL CHECK (outcome IN ('scored', 'error')),
    http_status    INTEGER NOT NULL,
    decision       TEXT,
    spoof_score    REAL,
    scores         TEXT,
    reasons        TEXT,
    model_versions TEXT,
    timings_ms     TEXT,
    api_key_id     TEXT,
    files          TEXT NOT NULL,
    fingerprint    TEXT NOT NULL,
    metadata       TEXT,
    result         TEXT,
    problem_type   TEXT,
    error_code     TEXT,
    retained_path  TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS attempts_scored_attempt_id
    ON attempts (attempt_id) WHERE outcome = 'scored';
CREATE INDEX IF NOT EXISTS attempts_created_at ON attempts (created_at);
"""

_COLUMNS = (
    "record_id", "attempt_id", "created_at", "endpoint", "outcome", "http_status", "decision",
    "spoof_score", "scores", "reasons", "model_versions", "timings_ms", "api_key_id", "files",
    "fingerprint", "metadata", "result", "problem_type", "error_code", "retained_path",
)


class AuditError(Exception):
    """The audit log could not record or read a row."""


class DuplicateAttemptError(AuditError):
    """A scored row with this attempt_id already exists (a concurrent duplicate)."""


@dataclass
class AuditRecord:
    """One attempt as it is written to the log."""

    attempt_id: str
    endpoint: str
    outcome: str
    http_status: int
    files: list[dict[str, Any]]
    fingerprint: str
    api_key_id: str | None = None
    metadata: str | None = None
    result: dict[str, Any] | None = None
    problem_type: str | None = None
    error_code: str | None = None
    retained_path: str | None = None
    record_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    created_at: str = field(
        default_factory=lambda: datetime.now(UTC).isoformat(timespec="milliseconds")
    )

    def row(self) -> tuple[Any, ...]:
        result = self.result or {}

        def dumps(value: Any) -> str | None:
            return None if value is None else json.dumps(value, sort_keys=True)

        return (
            self.record_id, self.attempt_id, self.created_at, self.endpoint, self.outcome,
            self.http_status, result.get("decision"), result.get("spoof_score"),
            dumps(result.get("scores")), dumps(result.get("reasons")),
            dumps(result.get("model_versions")), dumps(result.get("timings_ms")),
            self.api_key_id, json.dumps(self.files), self.fingerprint, self.metadata,
            dumps(self.result), self.problem_type, self.error_code, self.retained_path,
        )


@dataclass(frozen=True)
class StoredAttempt:
    """A scored attempt read back for an idempotent replay."""

    attempt_id: str
    fingerprint: str
    result: dict[str, Any]


class AuditLog:
    """Append-only attempt log in one SQLite file (created with its directory).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> log = AuditLog(pathlib.Path(tempfile.mkdtemp()) / "audit.sqlite3")
    >>> log.journal_mode
    'wal'
    >>> log.close()
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # Autocommit: each INSERT is its own transaction, durable when execute returns.
            self._conn = sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=False, timeout=10.0
            )
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=FULL")
            self._conn.executescript(SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise AuditError(f"cannot open the audit log at {self.path}: {exc}") from exc
        self._lock = threading.Lock()

    @property
    def journal_mode(self) -> str:
        with self._lock:
            return str(self._conn.execute("PRAGMA journal_mode").fetchone()[0])

    def record(self, record: AuditRecord) -> None:
        """Write one row durably; ``DuplicateAttemptError`` if its scored id exists."""
        placeholders = ", ".join("?" for _ in _COLUMNS)
        sql = f"INSERT INTO attempts ({', '.join(_COLUMNS)}) VALUES ({placeholders})"
        try:
            with self._lock:
                self._conn.execute(sql, record.row())
        except sqlite3.IntegrityError as exc:
            raise DuplicateAttemptError(f"attempt {record.attempt_id!r} is already scored") from exc
        except sqlite3.Error as exc:
            raise AuditError(f"audit write failed: {exc}") from exc

    def find_scored(self, attempt_id: str) -> StoredAttempt | None:
        """The scored attempt stored under ``attempt_id``, if any."""
        try:
            with self._lock:
                row = self._conn.execute(
                    "SELECT fingerprint, result FROM attempts "
                    "WHERE attempt_id = ? AND outcome = 'scored'",
                    (attempt_id,),
                ).fetchone()
        except sqlite3.Error as exc:
            raise AuditError(f"audit read failed: {exc}") from exc
        if row is None:
            return None
        return StoredAttempt(attempt_id=attempt_id, fingerprint=row[0], result=json.loads(row[1]))

    def rows(self, attempt_id: str | None = None) -> list[dict[str, Any]]:
        """All rows (or those of one attempt id), oldest first, as dicts."""
        sql = f"SELECT {', '.join(_COLUMNS)} FROM attempts"
        params: tuple[str, ...] = ()
        if attempt_id is not None:
            sql += " WHERE attempt_id = ?"
            params = (attempt_id,)
        with self._lock:
            cursor = self._conn.execute(sql + " ORDER BY created_at, rowid", params)
            return [dict(zip(_COLUMNS, row, strict=True)) for row in cursor.fetchall()]

    def close(self) -> None:
        with self._lock:
            self._conn.close()


_EXTENSIONS = {
    "video/mp4": ".mp4", "video/quicktime": ".mov", "video/webm": ".webm",
    "video/x-msvideo": ".avi", "image/jpeg": ".jpg", "image/png": ".png",
    "image/webp": ".webp", "image/bmp": ".bmp",
}


class MediaRetention:
    """Keeps an attempt's files for manual review for ``ttl_s`` seconds, then deletes them.

    Directories are named by the server's record id, never by client input.
    """

    def __init__(self, root: Path, *, ttl_s: float) -> None:
        self.root = Path(root)
        self.ttl_s = ttl_s

    def store(self, record_id: str, uploads: list[Upload]) -> Path:
        target = self.root / record_id
        target.mkdir(parents=True, mode=0o700)
        counts: dict[str, int] = {}
        for upload in uploads:
            index = counts.get(upload.field, 0)
            counts[upload.field] = index + 1
            path = target / f"{upload.field}-{index:03d}{_EXTENSIONS.get(upload.media_type, '')}"
            path.touch(mode=0o600)
            path.write_bytes(upload.data)
        return target

    def purge(self, *, now: float | None = None) -> int:
        """Delete attempt directories older than the TTL; return how many were deleted."""
        if not self.root.is_dir():
            return 0
        cutoff = (now if now is not None else time.time()) - self.ttl_s
        removed = 0
        for entry in self.root.iterdir():
            try:
                if entry.is_dir() and entry.stat().st_mtime < cutoff:
                    shutil.rmtree(entry)
                    removed += 1
            except OSError as exc:  # keep purging the rest
                logger.warning("could not purge %s: %s", entry, exc)
        return removed
