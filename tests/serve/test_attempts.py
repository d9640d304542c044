"""POST /v1/attempts, /v1/liveness, /v1/documents: answers, auth, limits, bad input, idempotency."""

from __future__ import annotations

import hashlib
import json
from concurrent.futures import ThreadPoolExecutor

import anyio
import pytest

from serve.middleware import key_id
from tests.serve.conftest import API_KEY, ClientFactory, TestClient, face_png, png_bytes

PROBLEM = "application/problem+json"


def audit_rows(client: TestClient, attempt_id: str | None = None) -> list[dict]:
    return client.app.state.processor.audit.rows(attempt_id)  # type: ignore[attr-defined]


def scorer_of(client: TestClient):
    return client.app.state.engine.scorer  # type: ignore[attr-defined]


def assert_problem(response, status: int, slug: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["type"] == f"/problems/{slug}"
    assert body["status"] == status
    assert "Traceback" not in response.text
    return body


# --- answers -------------------------------------------------------------------------


def test_video_attempt_answers_a_decision_and_is_audited(client: TestClient, mp4_bytes: bytes) -> None:
    response = client.post(
        "/v1/attempts",
        files={"video": ("clip.mp4", mp4_bytes, "video/mp4")},
        data={"metadata": json.dumps({"channel": "app"})},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["decision"] in ("pass", "reject", "review")
    assert 0.0 <= body["spoof_score"] <= 1.0
    assert body["model_versions"] == {"fake_cnn": "test-1"}
    assert body["files"] == [{"field": "video", "sha256": hashlib.sha256(mp4_bytes).hexdigest(),
                              "bytes": len(mp4_bytes), "media_type": "video/mp4"}]
    [row] = audit_rows(client, body["attempt_id"])
    assert row["outcome"] == "scored" and row["decision"] == body["decision"]
    assert json.loads(row["files"])[0]["sha256"] == hashlib.sha256(mp4_bytes).hexdigest()
    assert row["metadata"] == json.dumps({"channel": "app"})
    assert row["api_key_id"] is None


def test_frames_and_image_attempts(client: TestClient) -> None:
    frames = [("frames", (f"f{i}.png", face_png(i), "image/png")) for i in range(3)]
    response = client.post("/v1/liveness", files=frames)
    assert response.status_code == 200, response.text
    assert [f["field"] for f in response.json()["files"]] == ["frames"] * 3
    response = client.post("/v1/liveness", files={"image": ("x.bin", face_png(), "text/plain")})
    assert response.status_code == 200, response.text


def test_id_images_are_hashed_but_reported_not_checked(client: TestClient) -> None:
    response = client.post(
        "/v1/attempts",
        files={"image": ("selfie.png", face_png(), "image/png"),
               "id_front": ("front.png", png_bytes(120), "image/png")},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert "ID_NOT_CHECKED" in body["reasons"]
    assert {f["field"] for f in body["files"]} == {"image", "id_front"}


def test_documents_endpoint_is_501_and_audited(client: TestClient) -> None:
    response = client.post(
        "/v1/documents", files={"id_front": ("front.png", png_bytes(120), "image/png")},
        data={"attempt_id": "doc-1"},
    )
    assert_problem(response, 501, "documents-not-available")
    [row] = audit_rows(client, "doc-1")
    assert row["outcome"] == "error" and row["http_status"] == 501
    assert json.loads(row["files"])[0]["sha256"] == hashlib.sha256(png_bytes(120)).hexdigest()


def test_document_checks_are_used_when_the_scorer_has_them(make_client: ClientFactory) -> None:
    client = make_client(scorer_kwargs={"documents": True})
    files = {"id_front": ("front.png", png_bytes(120), "image/png")}
    response = client.post("/v1/documents", files=files)
    assert response.status_code == 200, response.text
    assert response.json()["decision"] == "review"
    both = {**files, "image": ("selfie.png", face_png(), "image/png")}
    body = client.post("/v1/attempts", files=both).json()
    assert "ID_NOT_CHECKED" not in body["reasons"] and "DOC_REVIEW" in body["reasons"]
    assert body["model_versions"] == {"fake_cnn": "test-1", "doc_net": "test-doc-1"}


# --- auth ----------------------------------------------------------------------------


def test_api_keys_are_required_when_configured(make_client: ClientFactory) -> None:
    client = make_client(api_keys=f"{API_KEY},other-key-0123456789abcdef")
    files = {"image": ("selfie.png", face_png(), "image/png")}
    body = assert_problem(client.post("/v1/attempts", files=files), 401, "unauthorized")
    assert "request_id" in body
    wrong = {"Authorization": "Bearer not-the-key-0123456789abcdef"}
    response = client.post("/v1/attempts", files=files, headers=wrong)
    assert_problem(response, 401, "unauthorized")
    assert response.headers["www-authenticate"] == "Bearer"
    basic = {"Authorization": f"Basic {API_KEY}"}
    assert_problem(client.post("/v1/attempts", files=files, headers=basic), 401, "unauthorized")

    good = {"Authorization": f"Bearer {API_KEY}"}
    response = client.post("/v1/attempts", files=files, headers=good)
    assert response.status_code == 200, response.text
    [row] = audit_rows(client, response.json()["attempt_id"])
    assert row["api_key_id"] == key_id(API_KEY) == hashlib.sha256(API_KEY.encode()).hexdigest()[:8]
    assert API_KEY not in json.dumps(row)
    # An attempt_id is scoped to its API key: another client cannot replay the answer.
    ids = {"attempt_id": "shared-id"}
    assert client.post("/v1/attempts", files=files, headers=good, data=ids).status_code == 200
    other = {"Authorization": "Bearer other-key-0123456789abcdef"}
    response = client.post("/v1/attempts", files=files, headers=other, data=ids)
    assert_problem(response, 409, "idempotency-conflict")
    # Probes and metrics stay open for the orchestrator.
    assert client.get("/healthz").status_code == 200


# --- limits and bad input --------------------------------------------------------------


def test_declared_body_over_the_limit_is_refused_before_reading(make_client: ClientFactory) -> None:
    client = make_client(max_upload_bytes=10_000)
    response = client.post(
        "/v1/attempts", files={"video": ("big.mp4", b"\0" * 20_000, "video/mp4")}
    )
    assert_problem(response, 413, "payload-too-large")
    assert audit_rows(client) == []


def test_streamed_body_over_the_limit_is_cut_off(make_client: ClientFactory) -> None:
    # Driven at the ASGI level: TestClient would buffer a streamed body before sending it.
    client = make_client(max_upload_bytes=10_000)
    boundary = "b0undary"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"video\"; "
            f"filename=\"a.mp4\"\r\nContent-Type: video/mp4\r\n\r\n").encode()
    chunks = [head] + [b"\0" * 4096] * 1000  # 4 MB offered, no Content-Length
    received = 0
    sent: list[dict] = []

    async def receive() -> dict:
        nonlocal received
        received += 1
        more = received < len(chunks)
        return {"type": "http.request", "body": chunks[received - 1], "more_body": more}

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": "/v1/attempts", "raw_path": b"/v1/attempts",
        "query_string": b"", "root_path": "", "server": ("testserver", 80),
        "client": ("127.0.0.1", 1234),
        "headers": [(b"content-type", f"multipart/form-data; boundary={boundary}".encode())],
    }
    anyio.run(client.app, scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    assert start["status"] == 413
    assert (b"content-type", b"application/problem+json") in start["headers"]
    body = json.loads(b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body"))
    assert body["type"] == "/problems/payload-too-large"
    assert received <= 4  # stopped reading right after the limit (10 kB of 4 MB)


def test_text_file_named_mp4_is_415(client: TestClient) -> None:
    response = client.post(
        "/v1/attempts", files={"video": ("clip.mp4", b"just some text, not a video\n", "video/mp4")},
        data={"attempt_id": "txt-1"},
    )
    body = assert_problem(response, 415, "unsupported-media-type")
    assert body["code"] == "MEDIA_UNSUPPORTED"
    [row] = audit_rows(client, "txt-1")
    assert row["outcome"] == "error" and row["error_code"] == "MEDIA_UNSUPPORTED"


def test_image_sent_as_video_is_415(client: TestClient) -> None:
    response = client.post("/v1/attempts", files={"video": ("clip.mp4", face_png(), "video/mp4")})
    assert_problem(response, 415, "unsupported-media-type")


def test_corrupt_media_is_422_invalid_media(client: TestClient, mp4_bytes: bytes) -> None:
    truncated_png = face_png()[:40]
    response = client.post("/v1/attempts", files={"image": ("x.png", truncated_png, "image/png")})
    body = assert_problem(response, 422, "invalid-media")
    assert body["code"].startswith("MEDIA_")
    broken_mp4 = mp4_bytes[:48] + bytes(2000)
    response = client.post("/v1/attempts", files={"video": ("x.mp4", broken_mp4, "video/mp4")})
    assert_problem(response, 422, "invalid-media")


def test_empty_file_is_422(client: TestClient) -> None:
    response = client.post("/v1/attempts", files={"image": ("x.png", b"", "image/png")})
    assert assert_problem(response, 422, "invalid-media")["code"] == "MEDIA_EMPTY"


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b"--xyz\r\nContent-Disposition: form-data; name=\"video\"\r\n\r\nabc", "multipart/form-data; boundary=xyz"),
        (b"garbage", "multipart/form-data"),
        (b"\xff\xfe\x00garbage", "multipart/form-data; boundary=\"unterminated"),
    ],
    ids=["unterminated", "no-boundary", "bad-boundary"],
)
def test_malformed_multipart_is_a_4xx_problem(
    client: TestClient, content: bytes, content_type: str
) -> None:
    response = client.post("/v1/attempts", content=content, headers={"Content-Type": content_type})
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["type"] in ("/problems/invalid-request", "/problems/validation-error")


@pytest.mark.parametrize(
    ("files", "data"),
    [
        ({}, {}),
        ({"image": ("a.png", png_bytes(), "image/png"), "video": ("b.mp4", b"x", "video/mp4")}, {}),
        ({"image": ("a.png", png_bytes(), "image/png")}, {"metadata": "{not json"}),
        ({"image": ("a.png", png_bytes(), "image/png")}, {"metadata": "[1, 2]"}),
        ({"image": ("a.png", png_bytes(), "image/png")}, {"attempt_id": "../../etc/passwd"}),
        ({"image": "not a file"}, {}),
    ],
    ids=["no-media", "two-media", "bad-json", "json-not-object", "bad-attempt-id", "field-not-file"],
)
def test_invalid_fields_are_422_validation_errors(client: TestClient, files: dict, data: dict) -> None:
    if files.get("image") == "not a file":
        response = client.post("/v1/attempts", data={"image": "not a file"})
    else:
        response = client.post("/v1/attempts", files=files or None, data=data or None)
    body = assert_problem(response, 422, "validation-error")
    assert body["errors"]
    assert audit_rows(client) == []


def test_id_images_sent_to_the_selfie_only_endpoint_are_refused_not_dropped(client: TestClient) -> None:
    files = {"image": ("a.png", face_png(), "image/png"), "id_front": ("front.png", png_bytes(), "image/png")}
    body = assert_problem(client.post("/v1/liveness", files=files), 422, "validation-error")
    assert "/v1/attempts" in body["detail"] and body["errors"][0]["loc"] == ["body", "id_front"]
    assert audit_rows(client) == []


def test_too_many_frames_is_refused(make_client: ClientFactory) -> None:
    client = make_client(max_frames=2)
    frames = [("frames", (f"f{i}.png", png_bytes(), "image/png")) for i in range(3)]
    response = client.post("/v1/attempts", files=frames)
    assert 400 <= response.status_code < 500
    assert response.headers["content-type"] == PROBLEM


# --- idempotency ----------------------------------------------------------------------


def test_same_attempt_id_replays_without_rescoring(client: TestClient) -> None:
    files = {"image": ("a.png", face_png(), "image/png")}
    first = client.post("/v1/attempts", files=files, data={"attempt_id": "kyc-42"})
    assert first.status_code == 200
    assert scorer_of(client).scored == 1
    second = client.post("/v1/attempts", files=files, data={"attempt_id": "kyc-42"})
    assert second.status_code == 200
    assert second.json() == first.json()
    assert second.headers["idempotent-replayed"] == "true"
    assert scorer_of(client).scored == 1
    assert len(audit_rows(client, "kyc-42")) == 1

    other = {"image": ("a.png", face_png(1), "image/png")}
    response = client.post("/v1/attempts", files=other, data={"attempt_id": "kyc-42"})
    assert_problem(response, 409, "idempotency-conflict")
    assert scorer_of(client).scored == 1


def test_concurrent_duplicates_are_scored_once(client: TestClient) -> None:
    files = {"image": ("a.png", face_png(), "image/png")}

    def send(_: int) -> dict:
        response = client.post("/v1/attempts", files=files, data={"attempt_id": "dup-1"})
        assert response.status_code == 200
        return response.json()

    with ThreadPoolExecutor(4) as pool:
        bodies = list(pool.map(send, range(4)))
    assert all(b == bodies[0] for b in bodies)
    assert scorer_of(client).scored == 1


def test_failed_attempt_id_can_be_retried(client: TestClient) -> None:
    bad = {"image": ("a.png", face_png()[:40], "image/png")}
    assert client.post("/v1/attempts", files=bad, data={"attempt_id": "retry-1"}).status_code == 422
    good = {"image": ("a.png", face_png(), "image/png")}
    assert client.post("/v1/attempts", files=good, data={"attempt_id": "retry-1"}).status_code == 200
    assert [r["outcome"] for r in audit_rows(client, "retry-1")] == ["error", "scored"]


# --- batching through the app -----------------------------------------------------------


def test_one_failing_input_in_a_merged_batch_fails_only_its_request(
    make_client: ClientFactory,
) -> None:
    from tests.serve.conftest import FakeModel

    model = FakeModel(delay_s=0.02)
    client = make_client(batch_max_wait_ms=50.0, scorer_kwargs={"model": model})
    levels = [60, 80, 255, 100, 120, 140]  # 255: a white image, poison for FakeModel

    def send(level: int) -> int:
        files = {"image": ("a.png", png_bytes(level), "image/png")}
        return client.post("/v1/liveness", files=files).status_code

    with ThreadPoolExecutor(len(levels)) as pool:
        statuses = list(pool.map(send, levels))
    assert statuses == [200, 200, 500, 200, 200, 200]
    assert max(model.batch_sizes) > 1  # requests really were merged
    rows = audit_rows(client)
    assert sorted(r["outcome"] for r in rows) == ["error"] + ["scored"] * 5
    [failed] = [r for r in rows if r["outcome"] == "error"]
    assert failed["problem_type"] == "/problems/model-failure"


def test_overload_answers_503_with_retry_after(make_client: ClientFactory) -> None:
    import threading

    gate = threading.Event()
    client = make_client(max_pending_requests=1, scoring_threads=1)
    engine = client.app.state.engine  # type: ignore[attr-defined]
    blocker = engine._executor.submit(gate.wait, 10)  # occupy the only scoring thread
    engine._pending += 1
    try:
        response = client.post("/v1/liveness", files={"image": ("a.png", face_png(), "image/png")})
        assert_problem(response, 503, "overloaded")
        assert int(response.headers["retry-after"]) >= 1
    finally:
        engine._pending -= 1
        gate.set()
        blocker.result()


def test_timeout_answers_503(make_client: ClientFactory) -> None:
    from tests.serve.conftest import FakeModel

    client = make_client(request_timeout_s=0.05, scorer_kwargs={"model": FakeModel(delay_s=0.3)})
    response = client.post("/v1/liveness", files={"image": ("a.png", face_png(), "image/png")},
                           data={"attempt_id": "slow-1"})
    assert_problem(response, 503, "scoring-timeout")
    assert "retry-after" in response.headers
    assert audit_rows(client, "slow-1")[0]["error_code"] == "SCORING_TIMEOUT"
