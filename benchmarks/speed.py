"""Per-attempt CPU time of a 5 s 720p video, per stage, as a ratio to decoding the same video.

Both are measured in the same run on the same file, so the ratio holds across machines of
different speed. The clip is generated (a shipped public-domain portrait moved like a
hand-held phone), so the benchmark needs no data folder.

    python -m benchmarks.speed [--runs 7] [--out benchmarks/results]

Target (issue #3): p50 attempt time <= 1.5x p50 decode time on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import av
import numpy as np

TARGET_RATIO = 1.5


def make_clip(path: Path, *, seconds: float = 5.0, fps: int = 25, size: tuple[int, int] = (720, 1280)) -> Path:
    from tests.face_fixtures import moving_portrait_frames, write_video

    frames = moving_portrait_frames(int(seconds * fps), size=size)
    return write_video(frames, path, fps=fps)


def decode_all(path: Path) -> int:
    """The reference: decode every frame of the video to RGB, as a plain reader would."""
    n = 0
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        for frame in container.decode(stream):
            frame.to_ndarray(format="rgb24")
            n += 1
    return n


def run(runs: int, out_dir: Path) -> dict:
    from liveness.pipeline import Scorer

    with tempfile.TemporaryDirectory() as tmp:
        clip = make_clip(Path(tmp) / "clip_720p.mp4")
        scorer = Scorer()
        scorer.warmup()
        decode_ms, attempt_ms, stages = [], [], {}
        for _ in range(runs):
            t = time.perf_counter()
            n_frames = decode_all(clip)
            decode_ms.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            result = scorer.score(clip)
            attempt_ms.append((time.perf_counter() - t) * 1000)
            for stage, ms in result.timings_ms.items():
                stages.setdefault(stage, []).append(ms)
    p50_decode, p50_attempt = statistics.median(decode_ms), statistics.median(attempt_ms)
    report = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "clip": {"seconds": 5, "size": "1280x720", "fps": 25, "frames": n_frames},
        "provider": scorer.provider,
        "runs": runs,
        "decode_ms_p50": p50_decode,
        "attempt_ms_p50": p50_attempt,
        "attempt_over_decode": p50_attempt / p50_decode,
        "target_ratio": TARGET_RATIO,
        "stages_ms_p50": {k: statistics.median(v) for k, v in stages.items()},
        "stages_over_decode": {k: statistics.median(v) / p50_decode for k, v in stages.items()},
        "decision": result.decision,
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / f"speed-{datetime.now(UTC):%Y%m%dT%H%M%S}.json").write_text(json.dumps(report, indent=2))
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--out", default="benchmarks/results")
    args = parser.parse_args()
    report = run(args.runs, Path(args.out))
    print(
        f"decode (all frames → RGB) p50 {report['decode_ms_p50']:.0f} ms; "
        f"attempt p50 {report['attempt_ms_p50']:.0f} ms; ratio {report['attempt_over_decode']:.2f} "
        f"(target ≤ {TARGET_RATIO})"
    )
    print(f"{'stage':12s} {'ms p50':>8s} {'× decode':>9s}")
    for stage, ms in report["stages_ms_p50"].items():
        print(f"{stage:12s} {ms:8.1f} {report['stages_over_decode'][stage]:9.2f}")
    return 0 if report["attempt_over_decode"] <= TARGET_RATIO else 1


if __name__ == "__main__":
    np.seterr(all="ignore")
    raise SystemExit(main())
