"""/healthz, /readyz (loading, ready, failed, provider fallback), /metrics, /problems, config."""

from __future__ import annotations

import threading

import pytest
from pydantic import ValidationError

from liveness.models.runtime import create_session, session_provider
from serve.core.config import Settings
from serve.core.errors import PROBLEM_TYPES
from tests.serve.conftest import ClientFactory, TestClient, face_png, wait_ready


def test_healthz(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}


def test_readyz_waits_for_warmup(make_client: ClientFactory) -> None:
    gate = threading.Event()
    client = make_client(wait=False, scorer_kwargs={"warmup_gate": gate})
    assert client.get("/healthz").status_code == 200
    response = client.get("/readyz")
    assert response.status_code == 503 and response.json()["status"] == "loading"
    attempt = client.post("/v1/liveness", files={"image": ("a.png", face_png(), "image/png")})
    assert attempt.status_code == 503
    assert attempt.json()["type"] == "/problems/not-ready"
    assert "retry-after" in attempt.headers
    gate.set()
    info = wait_ready(client)
    assert info["status"] == "ready"
    assert info["model_versions"] == {"fake_cnn": "test-1"}
    assert info["provider"] == "CPUExecutionProvider"
    assert client.app.state.engine.scorer.warmed  # type: ignore[attr-defined]


def test_readyz_lists_the_document_model_when_documents_are_scored(make_client: ClientFactory) -> None:
    info = wait_ready(make_client(scorer_kwargs={"documents": True}))
    assert info["model_versions"] == {"fake_cnn": "test-1", "doc_net": "test-doc-1"}


def test_readyz_reports_a_failed_load(make_client: ClientFactory) -> None:
    client = make_client(scorer_kwargs={"fail_warmup": True})
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["status"] == "failed"
    assert response.json()["error_code"] == "MODEL_MISSING"
    assert client.get("/healthz").status_code == 200


def _tiny_onnx() -> bytes:
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper

    graph = helper.make_graph(
        [helper.make_node("Identity", ["x"], ["y"])], "tiny",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n", 4])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return onnx._serialize(model) if hasattr(onnx, "_serialize") else model.SerializeToString()


def test_gpu_request_falls_back_to_cpu_and_says_so(make_client: ClientFactory) -> None:
    import onnxruntime as ort

    if "CUDAExecutionProvider" in ort.get_available_providers():
        pytest.skip("this machine has CUDA: there is no fallback to observe")
    # A real ORT session asked for CUDA on a machine without it runs on CPU.
    provider = session_provider(create_session(_tiny_onnx(), device="cuda"))
    assert provider == "CPUExecutionProvider"
    client = make_client(device="cuda", scorer_kwargs={"provider": provider})
    info = client.get("/readyz").json()
    assert info["requested_device"] == "cuda"
    assert info["provider"] == "CPUExecutionProvider"
    assert info["provider_fallback"] is True
    metrics = client.get("/metrics").text
    assert ('liveness_execution_provider_info{provider="CPUExecutionProvider",requested="cuda"} 1.0'
            in metrics)


def test_cpu_by_choice_is_not_a_fallback(make_client: ClientFactory) -> None:
    client = make_client(device="cpu")
    assert client.get("/readyz").json()["provider_fallback"] is False


def test_metrics_count_requests_decisions_batches_and_models(client: TestClient) -> None:
    for _ in range(2):
        client.post("/v1/liveness", files={"image": ("a.png", face_png(), "image/png")})
    client.post("/v1/liveness", files={"image": ("a.txt", b"text", "image/png")})
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert 'liveness_http_requests_total{endpoint="/v1/liveness",method="POST",status="200"} 2.0' in text
    assert 'liveness_http_requests_total{endpoint="/v1/liveness",method="POST",status="415"} 1.0' in text
    assert 'liveness_http_request_duration_seconds_count{decision="error",endpoint="/v1/liveness"} 1.0' in text
    assert 'liveness_problems_total{type="unsupported-media-type"} 1.0' in text
    assert 'liveness_batch_size_items_count{model="fake_cnn"}' in text
    assert 'liveness_batch_queue_depth{model="fake_cnn"}' in text
    assert 'liveness_model_info{model="fake_cnn",provider="CPUExecutionProvider",version="test-1"} 1.0' in text
    assert "liveness_ready 1.0" in text
    assert 'liveness_audit_writes_total{outcome="scored"} 2.0' in text


def test_unknown_paths_are_problems_and_every_type_is_documented(client: TestClient) -> None:
    response = client.get("/no/such/path")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "about:blank"
    listed = {p["type"] for p in client.get("/problems").json()}
    assert listed == {f"/problems/{slug}" for slug in PROBLEM_TYPES}
    doc = client.get("/problems/payload-too-large").json()
    assert doc["status"] == 413 and doc["description"]
    assert client.get("/problems/nope").status_code == 404
    assert client.delete("/healthz").status_code == 405


def test_openapi_documents_endpoints_and_examples(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    for path in ("/v1/attempts", "/v1/liveness", "/v1/documents", "/healthz", "/readyz", "/metrics"):
        assert path in spec["paths"]
    assert spec["components"]["schemas"]["AttemptAnswer"]["examples"]
    assert "HTTPBearer" in spec["components"]["securitySchemes"]


def test_settings_from_environment(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv("LIVENESS_API_KEYS", " first-key-0123456789 ,second-key-0123456789,")
    monkeypatch.setenv("LIVENESS_BATCH_MAX_SIZE", "8")
    monkeypatch.setenv("LIVENESS_BATCHING", "false")
    settings = Settings()
    assert settings.api_keys == ["first-key-0123456789", "second-key-0123456789"]
    assert settings.batch_max_size == 8 and settings.batching is False
    assert "first-key" not in repr(settings)

    env_file = tmp_path / "service.env"
    env_file.write_text("LIVENESS_REQUEST_TIMEOUT_S=7.5\nLIVENESS_BATCH_MAX_SIZE=4\n")
    monkeypatch.setenv("LIVENESS_SETTINGS_FILE", str(env_file))
    from serve.core.config import load_settings

    loaded = load_settings()
    assert loaded.request_timeout_s == 7.5
    assert loaded.batch_max_size == 8  # the environment wins over the file


def test_settings_refuse_weak_or_missing_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValidationError):
        Settings(api_keys="short")
    with pytest.raises(ValidationError):
        Settings(require_api_keys=True)


def test_a_second_lifespan_of_the_same_app_scores_again(make_client: ClientFactory) -> None:
    # Embedded servers and test suites enter an app's lifespan more than once; the thread
    # pool and the micro-batcher closed by the first exit must come back.
    client = make_client(batching=True)
    image = {"image": ("a.png", face_png(), "image/png")}
    assert client.post("/v1/liveness", files=image).status_code == 200
    client.__exit__(None, None, None)
    client.__enter__()
    wait_ready(client)
    assert client.post("/v1/liveness", files=image).status_code == 200
