"""Media intake: one call turns an upload (video, image, frame images) into ``Frames``."""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeAlias

import numpy as np

from liveness.config import MediaLimits, SamplingConfig
from liveness.errors import MediaError, UnsupportedMediaError
from liveness.media.codes import MEDIA_EMPTY, MEDIA_NO_VIDEO, MEDIA_UNREADABLE
from liveness.media.image import decode_image, open_image, probe_image
from liveness.media.limits import check_bytes, check_image_count
from liveness.media.sniff import MediaFormat
from liveness.media.source import MediaBlob, as_path, blob_from_bytes, blob_from_path, stat_path
from liveness.media.video import decode_video, probe_video
from liveness.types import Frames

PathLike: TypeAlias = str | os.PathLike[str]
BytesLike: TypeAlias = bytes | bytearray | memoryview
MediaSource: TypeAlias = PathLike | BytesLike | Sequence[PathLike | BytesLike]

DEFAULT_LIMITS = MediaLimits()
DEFAULT_SAMPLING = SamplingConfig()
# probe_media reports sizes instead of refusing them; only decoding enforces limits.
_PROBE_LIMITS = MediaLimits(
    max_bytes=2**63 - 1, max_side_px=2**31 - 1, max_pixels=2**62, max_images=2**31 - 1
)
_DIGITS = re.compile(r"(\d+)")


def load_media(
    source: MediaSource,
    *,
    limits: MediaLimits = DEFAULT_LIMITS,
    sampling: SamplingConfig = DEFAULT_SAMPLING,
) -> Frames:
    """Read an attempt's media into upright RGB frames, within ``limits``.

    Parameters
    ----------
    source : path, bytes or sequence of paths or bytes
        A video file (mp4, mov, webm, mkv, avi), an image file (JPEG, PNG, WebP, BMP, GIF:
        first frame only for animated files), a directory of frame images (read in natural
        name order: ``f2`` before ``f10``; hidden files and subdirectories are ignored), a
        list of frame images (paths or bytes, in the given order), or raw bytes of a video
        or image. The type is always
        sniffed from the content's magic bytes, never from a file name.
    limits : MediaLimits
        Size, duration, frame-count and resolution limits, checked on declared values
        before reading or decoding and again on what is actually decoded.
    sampling : SamplingConfig
        Videos keep every ``sampling.frame_stride(fps)``-th decoded frame from the start
        (about ``target_fps`` per second), at most ``max_frames``; frame sequences keep
        their first ``max_frames`` images (``sampling.select(n, None)``).

    Returns
    -------
    Frames
        ``kind`` is ``"video"``, ``"image"`` or ``"frames"``. Video timestamps are seconds
        from the first decoded frame (from pts); frame images carry no time, so they are
        assumed ``1 / target_fps`` apart and ``fps`` is None. ``n_decoded`` counts the
        frames decoded (a video stops decoding once ``max_frames`` are kept) or, for frame
        images, the images given.

    Raises
    ------
    MediaTooLargeError
        A limit is exceeded (``code`` ``MEDIA_TOO_LARGE``).
    UnsupportedMediaError
        Not a supported video or image (``MEDIA_UNSUPPORTED``).
    MediaError
        ``MEDIA_NOT_FOUND``, ``MEDIA_UNREADABLE``, ``MEDIA_EMPTY``, ``MEDIA_CORRUPT`` (no
        frame decodes; a partly damaged video returns the frames that decode) or
        ``MEDIA_NO_VIDEO`` (audio only).

    Examples
    --------
    >>> import io
    >>> from PIL import Image
    >>> buffer = io.BytesIO()
    >>> Image.new("L", (4, 2), color=128).save(buffer, format="PNG")
    >>> frames = load_media(buffer.getvalue())
    >>> frames.kind, frames.images[0].shape, int(frames.images[0][0, 0, 2])
    ('image', (2, 4, 3), 128)
    """
    if isinstance(source, bytes | bytearray | memoryview):
        return _load_blob(blob_from_bytes(source, limits), limits, sampling)
    if isinstance(source, str | os.PathLike):
        path = as_path(source)
        if stat.S_ISDIR(stat_path(path).st_mode):
            return _load_frames(list_frame_files(path, limits), limits, sampling, str(path))
        return _load_blob(blob_from_path(path, limits), limits, sampling)
    if isinstance(source, Sequence):
        items = list(source)
        return _load_frames(items, limits, sampling, _sequence_name(items))
    raise TypeError(f"media source must be a path, bytes or a list of paths, not {type(source)}")


def probe_media(source: MediaSource) -> dict[str, Any]:
    """Header facts about media, without decoding pixels or enforcing size limits.

    Returns a dict with ``kind`` (``video``, ``image`` or ``frames``), ``format``,
    ``codec``, ``width``, ``height`` (video: coded size, before rotation; image: upright
    size), ``duration`` (s, None if undeclared), ``fps`` (None if unknown) and ``bytes``;
    frame sequences add ``n_images`` and describe their first image. Bad input raises the
    same errors as :func:`load_media`.

    Examples
    --------
    >>> import io
    >>> from PIL import Image
    >>> buffer = io.BytesIO()
    >>> Image.new("RGB", (64, 48)).save(buffer, format="JPEG")
    >>> info = probe_media(buffer.getvalue())
    >>> info["kind"], info["codec"], info["width"], info["height"]
    ('image', 'jpeg', 64, 48)
    """
    limits = _PROBE_LIMITS
    if isinstance(source, bytes | bytearray | memoryview):
        return _probe_blob(blob_from_bytes(source, limits))
    if isinstance(source, str | os.PathLike):
        path = as_path(source)
        if stat.S_ISDIR(stat_path(path).st_mode):
            return _probe_frames(list_frame_files(path, limits))
        return _probe_blob(blob_from_path(path, limits))
    if isinstance(source, Sequence):
        return _probe_frames(list(source))
    raise TypeError(f"media source must be a path, bytes or a list of paths, not {type(source)}")


def list_frame_files(directory: Path, limits: MediaLimits) -> list[Path]:
    """Regular, non-hidden files of ``directory`` in natural name order.

    Stops listing once ``max_images`` is exceeded, so a huge directory is refused cheaply.
    """
    files: list[Path] = []
    try:
        with os.scandir(directory) as entries:
            for entry in entries:
                if entry.name.startswith(".") or not entry.is_file():
                    continue
                files.append(Path(entry.path))
                check_image_count(len(files), limits, what=f"directory {directory}")
    except OSError as exc:
        raise MediaError(
            f"cannot list {directory}: {exc.strerror}", code=MEDIA_UNREADABLE
        ) from exc
    return sorted(files, key=_natural_key)


def _load_blob(blob: MediaBlob, limits: MediaLimits, sampling: SamplingConfig) -> Frames:
    fmt = _supported_format(blob)
    if fmt.kind == "video":
        return decode_video(blob, fmt, limits, sampling)
    image = decode_image(blob, fmt, limits)
    return Frames(
        images=[image],
        timestamps=np.zeros(1, dtype=np.float64),
        kind="image",
        source=blob.name,
        fps=None,
        n_decoded=1,
        duration_s=0.0,
    )


def _load_frames(
    items: Sequence[PathLike | BytesLike], limits: MediaLimits, sampling: SamplingConfig, name: str
) -> Frames:
    """Frame images: every header checked before any image is decoded."""
    if not items:
        raise MediaError(f"{name} holds no frame images", code=MEDIA_EMPTY)
    check_image_count(len(items), limits, what=name)
    blobs = [_frame_blob(item, index, limits) for index, item in enumerate(items)]
    check_bytes(sum(blob.size for blob in blobs), limits, what=f"the {len(blobs)} frame images")
    formats = [_frame_format(blob) for blob in blobs]
    for blob, fmt in zip(blobs, formats, strict=True):
        with open_image(blob, fmt, limits):
            pass  # opening checks the declared size
    keep = sampling.select(len(blobs), None)
    images = [decode_image(blobs[i], formats[i], limits) for i in keep]
    return Frames(
        images=images,
        timestamps=np.asarray(keep, dtype=np.float64) / sampling.target_fps,
        kind="frames",
        source=name,
        fps=None,
        n_decoded=len(blobs),
        duration_s=len(blobs) / sampling.target_fps,
    )


def _probe_blob(blob: MediaBlob) -> dict[str, Any]:
    fmt = _supported_format(blob)
    if fmt.kind == "video":
        return probe_video(blob, fmt)
    return probe_image(blob, fmt, _PROBE_LIMITS)


def _probe_frames(items: Sequence[PathLike | BytesLike]) -> dict[str, Any]:
    if not items:
        raise MediaError("no frame images given", code=MEDIA_EMPTY)
    blobs = [_frame_blob(item, index, _PROBE_LIMITS) for index, item in enumerate(items)]
    info = probe_image(blobs[0], _frame_format(blobs[0]), _PROBE_LIMITS)
    info.update(kind="frames", n_images=len(blobs), duration=None, animated=False)
    info["bytes"] = sum(blob.size for blob in blobs)
    return info


def _frame_blob(item: PathLike | BytesLike, index: int, limits: MediaLimits) -> MediaBlob:
    if isinstance(item, bytes | bytearray | memoryview):
        return blob_from_bytes(item, limits, name=f"<frame {index}>")
    if isinstance(item, str | os.PathLike):
        return blob_from_path(item, limits)
    raise TypeError(f"a frame must be a path or bytes, not {type(item)}")


def _supported_format(blob: MediaBlob) -> MediaFormat:
    fmt = blob.sniff()
    if not fmt.supported:
        raise UnsupportedMediaError(f"{blob.name} is a {fmt.name} file, which is not supported")
    if fmt.kind == "audio":
        raise MediaError(f"{blob.name} is {fmt.name} audio, not a video", code=MEDIA_NO_VIDEO)
    return fmt


def _frame_format(blob: MediaBlob) -> MediaFormat:
    fmt = _supported_format(blob)
    if fmt.kind != "image":
        raise UnsupportedMediaError(
            f"frame {blob.name} is a {fmt.name} {fmt.kind}; frame sequences hold images only"
        )
    return fmt


def _natural_key(path: Path) -> list[int | str]:
    return [int(part) if part.isdigit() else part for part in _DIGITS.split(path.name)]


def _sequence_name(items: Sequence[PathLike | BytesLike]) -> str:
    """The folder all frame paths share, else ``<frames>``."""
    parents = {str(Path(item).parent) if isinstance(item, str | os.PathLike) else None for item in items}
    only = parents.pop() if len(parents) == 1 else None
    return only or "<frames>"
