"""Load test of the scoring service: throughput and p50/p99 at concurrency 1, 8 and 32,
with dynamic batching on and off, reported as on/off ratios from one run.

For each batching setting the service is started with uvicorn in a subprocess on
127.0.0.1 (a free port, loopback only), waited on until ``/readyz`` answers 200, warmed up,
then hit by ``C`` client threads sending the same generated face video until
``--requests`` answers came back or ``--max-seconds`` passed (both bounded).

    python -m benchmarks.load_service [--requests 96] [--max-seconds 60]
                                      [--concurrency 1 8 32] [--media video|image]
                                      [--synthetic] [--out benchmarks/results]

``--synthetic`` serves a stand-in scorer (real media decoding, a small random conv net on
ONNX Runtime through the same runner) for trying the harness before trained weights
exist; its numbers say nothing about the real models. Without it the service runs
``serve.main:app`` on the shipped weights. Needs ``onnx`` only with ``--synthetic``.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"


# --- media and requests ------------------------------------------------------------------


def make_media(kind: str, folder: Path) -> tuple[str, bytes, str]:
    """A generated face attempt: (form field, bytes, content type)."""
    from tests.face_fixtures import moving_portrait_frames, write_video

    frames = moving_portrait_frames(50 if kind == "video" else 1, size=(360, 320))
    if kind == "video":
        path = write_video(frames, folder / "attempt.mp4")
        return "video", path.read_bytes(), "video/mp4"
    import cv2

    ok, encoded = cv2.imencode(".jpg", cv2.cvtColor(frames[0], cv2.COLOR_RGB2BGR))
    assert ok
    return "image", encoded.tobytes(), "image/jpeg"


def multipart(field: str, data: bytes, content_type: str) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    head = (
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; "
        f"filename=\"{field}\"\r\nContent-Type: {content_type}\r\n\r\n"
    ).encode()
    return head + data + f"\r\n--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


# --- the server --------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


class Server:
    """uvicorn in a subprocess, on loopback, with its own audit DB; stopped on exit."""

    def __init__(self, *, batching: bool, synthetic: bool, workdir: Path, extra_env: dict[str, str]):
        self.port = free_port()
        target = ["benchmarks.load_service:synthetic_app", "--factory"] if synthetic else ["serve.main:app"]
        env = {
            **os.environ,
            "PYTHONPATH": str(REPO_ROOT),
            "LIVENESS_BATCHING": "true" if batching else "false",
            "LIVENESS_AUDIT_DB": str(workdir / f"audit-{'on' if batching else 'off'}.sqlite3"),
            "LIVENESS_MAX_PENDING_REQUESTS": "256",
            "LIVENESS_REQUEST_TIMEOUT_S": "120",
            **extra_env,
        }
        env.pop("LIVENESS_API_KEYS", None)
        self.log = (workdir / f"uvicorn-{'on' if batching else 'off'}.log").open("w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", *target, "--host", HOST, "--port", str(self.port),
             "--log-level", "warning", "--no-access-log"],
            cwd=REPO_ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT,
        )

    def wait_ready(self, timeout_s: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout_s
        last: Any = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"uvicorn exited with {self.proc.returncode}; see {self.log.name}")
            try:
                conn = http.client.HTTPConnection(HOST, self.port, timeout=5)
                conn.request("GET", "/readyz")
                response = conn.getresponse()
                last = json.loads(response.read())
                conn.close()
                if response.status == 200:
                    return last
                if last.get("status") == "failed":
                    raise RuntimeError(f"the service failed to load its models: {last}")
            except OSError:
                pass
            time.sleep(0.2)
        raise TimeoutError(f"service not ready after {timeout_s} s (last /readyz: {last})")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        self.log.close()


# --- the load ----------------------------------------------------------------------------


def run_level(
    port: int, body: bytes, content_type: str, *, concurrency: int, requests: int,
    max_seconds: float,
) -> dict[str, Any]:
    """``concurrency`` threads send until ``requests`` answers or ``max_seconds``."""
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    lock = threading.Lock()
    issued = 0
    start = time.perf_counter()
    deadline = start + max_seconds

    def worker() -> None:
        nonlocal issued
        conn = http.client.HTTPConnection(HOST, port, timeout=max(30.0, max_seconds))
        while True:
            with lock:
                if issued >= requests or time.perf_counter() > deadline:
                    break
                issued += 1
            t0 = time.perf_counter()
            try:
                conn.request("POST", "/v1/attempts", body=body,
                             headers={"Content-Type": content_type})
                response = conn.getresponse()
                response.read()
                status = str(response.status)
            except (OSError, http.client.HTTPException) as exc:
                status = type(exc).__name__
                conn.close()
                conn = http.client.HTTPConnection(HOST, port, timeout=max(30.0, max_seconds))
            elapsed = time.perf_counter() - t0
            with lock:
                statuses[status] = statuses.get(status, 0) + 1
                if status == "200":
                    latencies.append(elapsed)
        conn.close()

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - start
    ok = len(latencies)
    return {
        "concurrency": concurrency,
        "sent": issued,
        "ok": ok,
        "errors": issued - ok,
        "statuses": statuses,
        "wall_s": round(wall, 3),
        "throughput_rps": round(ok / wall, 3) if wall else 0.0,
        "p50_ms": round(1000 * statistics.median(latencies), 1) if latencies else None,
        "p99_ms": round(1000 * float(np.percentile(latencies, 99)), 1) if latencies else None,
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    results: list[dict[str, Any]] = []
    readiness: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="load-service-") as tmp:
        workdir = Path(tmp)
        field, data, media_type = make_media(args.media, workdir)
        body, content_type = multipart(field, data, media_type)
        for batching in (True, False):
            server = Server(batching=batching, synthetic=args.synthetic, workdir=workdir,
                            extra_env=dict(args.env or []))
            try:
                readiness["on" if batching else "off"] = server.wait_ready(args.ready_timeout)
                run_level(server.port, body, content_type, concurrency=2, requests=4,
                          max_seconds=args.max_seconds)  # warm-up, not reported
                for concurrency in args.concurrency:
                    row = run_level(server.port, body, content_type, concurrency=concurrency,
                                    requests=max(args.requests, concurrency),
                                    max_seconds=args.max_seconds)
                    row["batching"] = batching
                    results.append(row)
                    print(f"  batching {'on ' if batching else 'off'} c={concurrency:<3} "
                          f"{row['throughput_rps']:7.2f} req/s  p50 {row['p50_ms']} ms  "
                          f"p99 {row['p99_ms']} ms  errors {row['errors']}", flush=True)
            finally:
                server.stop()
    ratios = {}
    for concurrency in args.concurrency:
        on = next(r for r in results if r["batching"] and r["concurrency"] == concurrency)
        off = next(r for r in results if not r["batching"] and r["concurrency"] == concurrency)
        ratios[str(concurrency)] = (
            round(on["throughput_rps"] / off["throughput_rps"], 3) if off["throughput_rps"] else None
        )
    return {
        "benchmark": "load_service",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "synthetic_scorer": args.synthetic,
        "media": {"field": field, "bytes": len(data), "type": media_type},
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                    "python": platform.python_version()},
        "limits": {"requests_per_level": args.requests, "max_seconds_per_level": args.max_seconds},
        "readiness": readiness,
        "results": results,
        "throughput_ratio_on_off": ratios,
    }


def print_table(report: dict[str, Any]) -> None:
    rows = report["results"]
    print()
    print(f"{'conc':>4} | {'on req/s':>9} {'p50 ms':>8} {'p99 ms':>8} | "
          f"{'off req/s':>9} {'p50 ms':>8} {'p99 ms':>8} | {'on/off':>6} | errors")
    for c, ratio in report["throughput_ratio_on_off"].items():
        on = next(r for r in rows if r["batching"] and str(r["concurrency"]) == c)
        off = next(r for r in rows if not r["batching"] and str(r["concurrency"]) == c)
        print(f"{c:>4} | {on['throughput_rps']:>9.2f} {on['p50_ms']!s:>8} {on['p99_ms']!s:>8} | "
              f"{off['throughput_rps']:>9.2f} {off['p50_ms']!s:>8} {off['p99_ms']!s:>8} | "
              f"{ratio!s:>6} | {on['errors'] + off['errors']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=96, help="answers per level (bounded)")
    parser.add_argument("--max-seconds", type=float, default=60.0, help="time cap per level")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--media", choices=["video", "image"], default="video")
    parser.add_argument("--synthetic", action="store_true", help="stand-in scorer (no weights)")
    parser.add_argument("--ready-timeout", type=float, default=180.0)
    parser.add_argument("--env", nargs=2, action="append", metavar=("NAME", "VALUE"),
                        help="extra LIVENESS_* settings for both servers")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "benchmarks" / "results")
    args = parser.parse_args(argv)
    report = run(args)
    print_table(report)
    args.out.mkdir(parents=True, exist_ok=True)
    suffix = "-synthetic" if args.synthetic else ""
    path = args.out / f"load_service{suffix}.json"
    path.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwrote {path}")
    failed = sum(r["errors"] for r in report["results"])
    return 1 if failed else 0


# --- the stand-in scorer (--synthetic) ----------------------------------------------------


def _synthetic_model(crop: int = 64) -> Any:
    """A small random conv net (ONNX, dynamic batch) standing in for the frame model."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(0)

    def weight(name: str, shape: tuple[int, ...]) -> Any:
        return numpy_helper.from_array((rng.standard_normal(shape) * 0.1).astype(np.float32), name)

    nodes = [
        helper.make_node("Conv", ["x", "w1"], ["c1"], strides=[2, 2], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c1"], ["r1"]),
        helper.make_node("Conv", ["r1", "w2"], ["c2"], strides=[2, 2], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c2"], ["r2"]),
        helper.make_node("Conv", ["r2", "w3"], ["c3"], strides=[2, 2], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c3"], ["r3"]),
        helper.make_node("GlobalAveragePool", ["r3"], ["g"]),
        helper.make_node("Flatten", ["g"], ["f"]),
        helper.make_node("Gemm", ["f", "w4"], ["y"], transB=1),
    ]
    graph = helper.make_graph(
        nodes, "synthetic_frame_net",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 3, crop, crop])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n", 2])],
        [weight("w1", (32, 3, 3, 3)), weight("w2", (64, 32, 3, 3)),
         weight("w3", (128, 64, 3, 3)), weight("w4", (2, 128))],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model.SerializeToString()


class SyntheticScorer:
    """Decodes the real media, crops frames and runs a random conv net through the runner."""

    def __init__(self, runner: Any, device: str | None = None, threads: int | None = None) -> None:
        from liveness.models.manifest import InputSpec, LoadedModel
        from liveness.models.runtime import create_session

        self.runner = runner
        session = create_session(_synthetic_model(), threads=threads, device=device)
        self.model = LoadedModel(name="synthetic_frame_net", session=session,
                                 spec=InputSpec(size=(64, 64)), entry={"version": "synthetic"})

    @property
    def model_versions(self) -> dict[str, str]:
        return {self.model.name: self.model.version}

    @property
    def provider(self) -> str:
        return self.model.provider

    def warmup(self) -> None:
        self.runner.run(self.model, np.zeros((1, 3, 64, 64), np.float32))

    def score(self, media: Any, *, name: str = "") -> Any:
        import cv2

        from liveness.media import load_media
        from liveness.result import AttemptResult

        t0 = time.perf_counter()
        frames = load_media(media)
        crops = np.stack([cv2.resize(image, (64, 64)) for image in frames.images[:16]])
        logits = self.runner.run(self.model, self.model.spec.normalize(crops))
        spoof = float(1.0 / (1.0 + np.exp(-(logits[:, 1] - logits[:, 0]).mean())))
        return AttemptResult(
            media=name, decision="reject" if spoof > 0.5 else "pass", spoof_score=spoof,
            scores={self.model.name: spoof}, model_versions=self.model_versions,
            timings_ms={"total": (time.perf_counter() - t0) * 1000},
        )


def synthetic_app() -> Any:
    """uvicorn factory: the real service app around ``SyntheticScorer``."""
    from serve.core.config import load_settings
    from serve.main import create_app

    def factory(runner: Any, settings: Any) -> SyntheticScorer:
        device = None if settings.device == "auto" else settings.device
        return SyntheticScorer(runner, device=device, threads=settings.ort_threads)

    return create_app(load_settings(), scorer_factory=factory)


if __name__ == "__main__":
    raise SystemExit(main())
