"""The audit log (durable across a killed process) and media retention with TTL purge."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from serve.audit import AuditLog, AuditRecord, DuplicateAttemptError, MediaRetention
from serve.uploads import read_upload
from tests.serve.conftest import ClientFactory, face_png

REPO_ROOT = Path(__file__).resolve().parents[2]


def record(attempt_id: str, outcome: str = "scored", **kwargs: object) -> AuditRecord:
    return AuditRecord(
        attempt_id=attempt_id, endpoint="/v1/attempts", outcome=outcome,
        http_status=200 if outcome == "scored" else 422,
        files=[{"field": "video", "sha256": "ab" * 32, "bytes": 3, "media_type": "video/mp4"}],
        fingerprint="f" * 64,
        result={"decision": "pass", "spoof_score": 0.1, "scores": {"m": 0.1}, "reasons": [],
                "model_versions": {"m": "1"}, "timings_ms": {"total": 1.0}},
        **kwargs,  # type: ignore[arg-type]
    )


def test_wal_full_sync_and_roundtrip(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "nested" / "dir" / "audit.sqlite3")
    try:
        assert log.journal_mode == "wal"
        assert log._conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        log.record(record("a-1", api_key_id="1234abcd", metadata='{"k": 1}'))
        [row] = log.rows("a-1")
        assert row["decision"] == "pass" and row["api_key_id"] == "1234abcd"
        assert json.loads(row["reasons"]) == [] and row["metadata"] == '{"k": 1}'
        stored = log.find_scored("a-1")
        assert stored is not None and stored.result["decision"] == "pass"
    finally:
        log.close()


def test_one_scored_row_per_attempt_id_but_errors_may_repeat(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.sqlite3")
    try:
        log.record(record("a-1", outcome="error"))
        log.record(record("a-1", outcome="error"))
        log.record(record("a-1"))
        with pytest.raises(DuplicateAttemptError):
            log.record(record("a-1"))
        assert [r["outcome"] for r in log.rows("a-1")] == ["error", "error", "scored"]
    finally:
        log.close()


def test_rows_survive_a_killed_process(tmp_path: Path) -> None:
    db = tmp_path / "audit.sqlite3"
    script = textwrap.dedent(
        f"""
        import sys, time
        from serve.audit import AuditLog, AuditRecord
        log = AuditLog({str(db)!r})
        for i in range(3):
            log.record(AuditRecord(attempt_id=f"killed-{{i}}", endpoint="/v1/attempts",
                                   outcome="scored", http_status=200, files=[],
                                   fingerprint="f", result={{"decision": "pass"}}))
        print("written", flush=True)
        time.sleep(60)
        """
    )
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    with subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, env=env) as proc:
        try:
            assert proc.stdout is not None
            assert proc.stdout.readline().strip() == b"written"
            proc.send_signal(signal.SIGKILL)  # no close, no checkpoint: only the WAL has them
            proc.wait(10)
        finally:
            if proc.poll() is None:
                proc.kill()
    assert proc.returncode == -signal.SIGKILL
    log = AuditLog(db)
    try:
        assert [r["attempt_id"] for r in log.rows()] == ["killed-0", "killed-1", "killed-2"]
    finally:
        log.close()


def test_retention_stores_private_files_and_purges_after_ttl(tmp_path: Path) -> None:
    import io

    retention = MediaRetention(tmp_path / "kept", ttl_s=3600)
    upload = read_upload(io.BytesIO(face_png()), field="image")
    folder = retention.store("rec1", [upload, upload])
    files = sorted(p.name for p in folder.iterdir())
    assert files == ["image-000.png", "image-001.png"]
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE((folder / "image-000.png").stat().st_mode) == 0o600
    assert retention.purge() == 0
    assert retention.purge(now=time.time() + 3601) == 1
    assert not folder.exists()


def test_media_is_not_kept_by_default(client, tmp_path: Path) -> None:
    response = client.post("/v1/attempts", files={"image": ("a.png", face_png(), "image/png")})
    assert response.status_code == 200
    assert not (tmp_path / "retained").exists()
    [row] = client.app.state.processor.audit.rows()
    assert row["retained_path"] is None


def test_media_is_kept_when_retention_is_on(make_client: ClientFactory, tmp_path: Path) -> None:
    client = make_client(retain_media=True)
    response = client.post("/v1/attempts", files={"image": ("a.png", face_png(), "image/png")})
    assert response.status_code == 200
    [row] = client.app.state.processor.audit.rows()  # type: ignore[attr-defined]
    kept = Path(row["retained_path"])
    assert kept.parent == tmp_path / "retained"
    assert (kept / "image-000.png").read_bytes() == face_png()
