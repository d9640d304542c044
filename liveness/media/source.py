"""One media file given as a path or as bytes, size-checked before anything is read."""

from __future__ import annotations

import io
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from liveness.config import MediaLimits
from liveness.errors import MediaError, UnsupportedMediaError
from liveness.media.codes import MEDIA_EMPTY, MEDIA_NOT_FOUND, MEDIA_UNREADABLE
from liveness.media.limits import check_bytes
from liveness.media.sniff import HEAD_BYTES, MediaFormat, sniff_format

BYTES_NAME = "<bytes>"


@dataclass(frozen=True)
class MediaBlob:
    """A media file: ``path`` on disk or ``data`` in memory (exactly one is set).

    ``name`` names it in messages and in ``Frames.source``; ``size`` is its length in bytes.
    """

    name: str
    size: int
    path: Path | None = None
    data: bytes | None = field(default=None, repr=False)

    def open(self) -> BinaryIO:
        """A binary file object positioned at the start (the caller closes it)."""
        if self.data is not None:
            return io.BytesIO(self.data)
        assert self.path is not None
        try:
            return self.path.open("rb")
        except FileNotFoundError as exc:
            raise MediaError(f"{self.name} disappeared while reading", code=MEDIA_NOT_FOUND) from exc
        except OSError as exc:
            raise MediaError(f"cannot read {self.name}: {exc.strerror}", code=MEDIA_UNREADABLE) from exc

    def head(self, n_bytes: int = HEAD_BYTES) -> bytes:
        """The first ``n_bytes`` bytes (fewer if the file is shorter)."""
        if self.data is not None:
            return self.data[:n_bytes]
        with self.open() as handle:
            try:
                return handle.read(n_bytes)
            except OSError as exc:
                raise MediaError(f"cannot read {self.name}: {exc}", code=MEDIA_UNREADABLE) from exc

    def sniff(self) -> MediaFormat:
        """The format found in the magic bytes; ``UnsupportedMediaError`` if none matches."""
        fmt = sniff_format(self.head())
        if fmt is None:
            raise UnsupportedMediaError(
                f"{self.name} is not a supported video or image "
                "(expected mp4, mov, webm, mkv, avi, jpeg, png, webp, bmp or gif)"
            )
        return fmt


def blob_from_bytes(
    data: bytes | bytearray | memoryview, limits: MediaLimits, *, name: str = BYTES_NAME
) -> MediaBlob:
    """Wrap uploaded bytes, refusing empty or oversized input."""
    payload = bytes(data)
    if not payload:
        raise MediaError(f"the uploaded media {name} is empty (0 bytes)", code=MEDIA_EMPTY)
    check_bytes(len(payload), limits, what=f"the uploaded media {name}")
    return MediaBlob(name=name, size=len(payload), data=payload)


def blob_from_path(path: str | os.PathLike[str], limits: MediaLimits) -> MediaBlob:
    """Wrap a regular file, refusing missing, empty, special or oversized files.

    The size comes from ``stat`` so an oversized file is refused without reading it; a
    device or FIFO (``/dev/zero``) is refused since its size says nothing.
    """
    file_path = as_path(path)
    info = stat_path(file_path)
    if not stat.S_ISREG(info.st_mode):
        raise UnsupportedMediaError(f"{file_path} is not a regular file")
    if info.st_size == 0:
        raise MediaError(f"{file_path} is empty (0 bytes)", code=MEDIA_EMPTY)
    check_bytes(info.st_size, limits, what=str(file_path))
    return MediaBlob(name=str(file_path), size=info.st_size, path=file_path)


def as_path(path: str | os.PathLike[str]) -> Path:
    """``Path(path)``, refusing the empty string (which ``Path`` would read as ``"."``)."""
    if not os.fspath(path):
        raise MediaError("empty path", code=MEDIA_NOT_FOUND)
    return Path(path)


def stat_path(path: Path) -> os.stat_result:
    """``os.stat`` with missing or unreadable paths turned into ``MediaError``."""
    try:
        return path.stat()
    except (FileNotFoundError, NotADirectoryError) as exc:
        raise MediaError(f"no such file or directory: {path}", code=MEDIA_NOT_FOUND) from exc
    except ValueError as exc:  # e.g. an embedded NUL byte: no file can have that name
        raise MediaError(f"invalid path {path!r}: {exc}", code=MEDIA_NOT_FOUND) from exc
    except OSError as exc:
        raise MediaError(f"cannot access {path}: {exc.strerror}", code=MEDIA_UNREADABLE) from exc
