"""Video files (mp4, mov, webm, mkv, avi) to sampled, upright RGB frames with PyAV.

Every frame is decoded (codecs need their references) but only the sampled ones (every
``SamplingConfig.frame_stride(fps)``-th, the rule training uses too) are converted to RGB
arrays, which is most of the per-frame cost; decoding stops once ``max_frames`` are kept.
A damaged stream keeps the frames decoded before (and between) the damage; only a file with
no decodable frame is refused.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import av
import numpy as np
from av.container import InputContainer
from av.stream import Disposition
from av.video.stream import VideoStream

from liveness.config import MediaLimits, SamplingConfig
from liveness.errors import MediaError
from liveness.media.codes import MEDIA_CORRUPT, MEDIA_NO_VIDEO
from liveness.media.limits import (
    check_duration,
    check_frame_count,
    check_resolution,
)
from liveness.media.orientation import frame_transform
from liveness.media.sniff import MediaFormat
from liveness.media.source import MediaBlob
from liveness.types import Frames

logger = logging.getLogger(__name__)

# What PyAV raises on damaged input: its errors subclass these builtins as well.
AV_DECODE_ERRORS = (av.FFmpegError, OSError, ValueError, EOFError)

# A stream this damaged is not worth decoding further: keep what we have.
MAX_BAD_PACKETS = 16


@contextmanager
def open_video(blob: MediaBlob, fmt: MediaFormat) -> Iterator[tuple[InputContainer, VideoStream]]:
    """Open ``blob`` with the sniffed demuxer and yield it with its main video stream.

    FFmpeg reads through a Python file object, never a path: a path string would be parsed
    as a URL (``concat:``, ``http:``...).
    """
    with blob.open() as handle:
        try:
            container = av.open(handle, mode="r", format=fmt.demuxer)
        except AV_DECODE_ERRORS as exc:
            raise MediaError(
                f"{blob.name} is not a readable {fmt.name} file: {exc}", code=MEDIA_CORRUPT
            ) from exc
        with container:
            yield container, _main_video_stream(container, blob, fmt)


def decode_video(
    blob: MediaBlob, fmt: MediaFormat, limits: MediaLimits, sampling: SamplingConfig
) -> Frames:
    """Decode a video into about ``sampling.target_fps`` upright RGB frames per second.

    Keeps decoded frames 0, s, 2s... with ``s = sampling.frame_stride(fps)``, i.e. the
    indices ``sampling.select(n_decoded, fps)``, and stops at ``max_frames``. Declared
    resolution, duration and frame count are checked before decoding; the actual frame
    sizes, decoded time and decoded frame count while decoding.
    """
    with open_video(blob, fmt) as (container, stream):
        check_resolution(stream.width, stream.height, limits, what=f"video {blob.name}")
        declared_duration = _declared_duration(container, stream)
        if declared_duration is not None:
            check_duration(declared_duration, limits, what=f"declared duration of {blob.name}")
        if stream.frames:
            check_frame_count(stream.frames, limits, what=f"declared length of {blob.name}")
        fps = _stream_fps(stream)
        stream.codec_context.thread_type = "AUTO"

        stride = sampling.frame_stride(fps)
        first_time_s: float | None = None
        checked_size = (stream.width, stream.height)
        rotate_tag = stream.metadata.get("rotate")
        images: list[np.ndarray] = []
        timestamps: list[float] = []
        n_decoded = 0
        last_time_s = 0.0
        for frame in _decoded_frames(container, stream, blob.name):
            n_decoded += 1
            check_frame_count(n_decoded, limits, what=f"decoded length of {blob.name}")
            if (frame.width, frame.height) != checked_size:
                # the stream changed size mid-way: check before converting a frame of it
                check_resolution(frame.width, frame.height, limits, what=f"a frame of {blob.name}")
                checked_size = (frame.width, frame.height)
            frame_time = frame.time
            if frame_time is None:
                frame_time = (n_decoded - 1) / (fps or sampling.target_fps)
            if first_time_s is None:
                first_time_s = frame_time
            time_s = frame_time - first_time_s
            check_duration(time_s, limits, what=f"decoded duration of {blob.name}")
            last_time_s = max(last_time_s, time_s)
            if (n_decoded - 1) % stride:
                continue
            rgb = frame.to_ndarray(format="rgb24")
            images.append(frame_transform(frame, rotate_tag).apply(rgb))
            timestamps.append(time_s)
            if len(images) >= sampling.max_frames:
                break

    if not images:
        raise MediaError(f"no frame of {blob.name} could be decoded", code=MEDIA_CORRUPT)
    decoded_span = last_time_s + (1.0 / fps if fps else 0.0)
    return Frames(
        images=images,
        timestamps=np.asarray(timestamps, dtype=np.float64),
        kind="video",
        source=blob.name,
        fps=fps,
        n_decoded=n_decoded,
        duration_s=declared_duration if declared_duration is not None else decoded_span,
    )


def probe_video(blob: MediaBlob, fmt: MediaFormat) -> dict[str, Any]:
    """Header facts of a video (nothing decoded): coded size, duration, fps, codec."""
    with open_video(blob, fmt) as (container, stream):
        return {
            "kind": "video",
            "format": fmt.name,
            "codec": stream.codec_context.name,
            "width": stream.width,
            "height": stream.height,
            "duration": _declared_duration(container, stream),
            "fps": _stream_fps(stream),
            "n_frames": stream.frames or None,
            "has_audio": bool(container.streams.audio),
            "bytes": blob.size,
        }


def _main_video_stream(container: InputContainer, blob: MediaBlob, fmt: MediaFormat) -> VideoStream:
    # Cover art in a music file is a one-picture "video" stream: not a video.
    streams = [
        stream
        for stream in container.streams.video
        if not stream.disposition & Disposition.attached_pic
    ]
    if not streams:
        raise MediaError(
            f"{blob.name} ({fmt.name}) holds no video stream (audio only?)", code=MEDIA_NO_VIDEO
        )
    return streams[0]


def _decoded_frames(
    container: InputContainer, stream: VideoStream, name: str
) -> Iterator[av.VideoFrame]:
    """Decoded frames in presentation order; damaged packets are skipped, not fatal."""
    bad_packets = 0
    try:
        for packet in container.demux(stream):
            try:
                frames = packet.decode()
            except AV_DECODE_ERRORS as exc:
                bad_packets += 1
                logger.debug("%s: undecodable packet: %s", name, exc)
                if bad_packets > MAX_BAD_PACKETS:
                    break
                continue
            yield from frames  # type: ignore[misc]
    except AV_DECODE_ERRORS as exc:
        # The demuxer gave up (truncated or damaged container): drain what the decoder holds.
        logger.warning("%s: damaged container, stopped reading: %s", name, exc)
        try:
            flushed = stream.codec_context.decode(None)
        except AV_DECODE_ERRORS:
            flushed = []
        yield from flushed  # type: ignore[misc]
    if bad_packets:
        logger.warning("%s: skipped %d undecodable packets", name, bad_packets)


def _declared_duration(container: InputContainer, stream: VideoStream) -> float | None:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / av.time_base
    return None


def _stream_fps(stream: VideoStream) -> float | None:
    rate = stream.average_rate or stream.guessed_rate
    return float(rate) if rate else None
