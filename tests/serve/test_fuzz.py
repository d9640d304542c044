"""Fuzz of the service: schema-driven (schemathesis) plus hostile media on the scoring path.

1. schemathesis generates requests for every operation of the OpenAPI document (valid and
   invalid fields, random files): no answer may be a 5xx, and every answer must be
   declared in the document with its content type and schema.
2. A hypothesis test sends one well-formed face field whose bytes are hostile (magic bytes
   plus noise, real images with flipped or cut bytes): no 5xx, and every attempt that
   reached scoring has exactly one audit row.

Both run in-process (ASGI), offline, in a few seconds.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, given, settings  # noqa: E402  (comes with schemathesis)
from hypothesis import strategies as st  # noqa: E402
from schemathesis import checks  # noqa: E402

from liveness.models.runner import DirectRunner  # noqa: E402
from serve.core.config import Settings  # noqa: E402
from serve.main import create_app  # noqa: E402
from tests.serve.conftest import FakeScorer, TestClient, face_png, wait_ready  # noqa: E402


def _fuzz_app():
    folder = Path(tempfile.mkdtemp(prefix="serve-fuzz-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    service = Settings(audit_db=folder / "audit.sqlite3", retention_dir=folder / "kept",
                       scoring_threads=4, max_upload_bytes=2_000_000)
    # With document checks, as the shipped weights have them: every route can answer 2xx.
    return create_app(service, scorer=FakeScorer(DirectRunner(), documents=True))


app = _fuzz_app()
schema = schemathesis.openapi.from_asgi("/openapi.json", app)

FUZZ_CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]


def _ensure_ready(case) -> None:
    engine = app.state.engine
    if engine.state == "loading":
        # The first call starts the app's lifespan; then wait for the scorer's warm-up.
        case.operation.schema["/healthz"]["GET"].Case().call()
        assert engine.wait_ready(10)


@schema.parametrize()
@settings(max_examples=25, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
def test_no_input_produces_a_server_error(case) -> None:
    _ensure_ready(case)
    case.call_and_validate(checks=FUZZ_CHECKS)


# --- the scoring path: one valid face field, hostile bytes --------------------------------

MAGIC = [b"\xff\xd8\xff\xe0", b"\x89PNG\r\n\x1a\n", b"RIFF\0\0\0\0WEBP", b"RIFF\0\0\0\0AVI ",
         b"BM", b"GIF89a", b"\x1a\x45\xdf\xa3", b"\0\0\0\x18ftypisom", b"\0\0\0\x08moov",
         b"\0\0\0\x18ftypheic", b"II*\0", b"ID3", b""]
AUDITED = {"/problems/unsupported-media-type", "/problems/invalid-media",
           "/problems/media-too-large", "/problems/no-usable-face", "/problems/model-failure"}


@pytest.fixture(scope="module")
def fuzz_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    folder = tmp_path_factory.mktemp("fuzz")
    service = Settings(audit_db=folder / "audit.sqlite3", scoring_threads=4)
    with TestClient(create_app(service, scorer=FakeScorer(DirectRunner()))) as client:
        wait_ready(client)
        yield client


@st.composite
def hostile_media(draw: st.DrawFn) -> bytes:
    """Bytes that start like media: magic + noise, or a real PNG with bytes flipped or cut."""
    if draw(st.booleans()):
        return draw(st.sampled_from(MAGIC)) + draw(st.binary(max_size=2048))
    data = bytearray(face_png(draw(st.integers(0, 3))))
    for _ in range(draw(st.integers(0, 8))):
        data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    return bytes(data[: draw(st.integers(1, len(data)))])


@given(
    field=st.sampled_from(["video", "image", "frames"]),
    payloads=st.lists(hostile_media(), min_size=1, max_size=3),
    with_id=st.booleans(),
    metadata=st.one_of(st.none(), st.text(max_size=40),
                       st.dictionaries(st.text(max_size=8), st.integers()).map(repr)),
)
@settings(max_examples=60, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
def test_hostile_media_never_5xx_and_is_always_audited(
    fuzz_client: TestClient, field: str, payloads: list[bytes], with_id: bool,
    metadata: str | None,
) -> None:
    attempt_id = f"fuzz-{uuid.uuid4().hex}"
    parts = payloads if field == "frames" else payloads[:1]
    files = [(field, (f"x{i}", data, "application/octet-stream")) for i, data in enumerate(parts)]
    if with_id:
        files.append(("id_front", ("id", payloads[0], "image/png")))
    data = {"attempt_id": attempt_id} | ({"metadata": metadata} if metadata is not None else {})
    response = fuzz_client.post("/v1/attempts", files=files, data=data)
    assert response.status_code < 500, response.text
    if response.status_code != 200:
        assert response.headers["content-type"] == "application/problem+json"
    kind = response.json().get("type") if response.status_code != 200 else "scored"
    rows = fuzz_client.app.state.processor.audit.rows(attempt_id)  # type: ignore[attr-defined]
    if kind == "scored" or kind in AUDITED:
        assert len(rows) == 1
    else:  # refused before it was an attempt: bad metadata
        assert kind == "/problems/validation-error" and rows == []
