"""Uploaded files: read once, hashed, and typed by their leading bytes.

The client's file name and Content-Type are never trusted: a text file named ``clip.mp4``
is refused with ``UnsupportedMediaError`` (415) before any decoder sees it. Sniffing uses
the runtime's ``liveness.media.sniff_format``; it is a cheap gate on magic bytes, and the
decoder still checks the rest and raises ``MediaError`` (422) for corrupt files.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import BinaryIO, Literal

from liveness.errors import MediaError, UnsupportedMediaError
from liveness.media.sniff import HEAD_BYTES, sniff_format

MediaClass = Literal["video", "image"]

VIDEO_FORMATS = "mp4, mov, webm, mkv, avi"
IMAGE_FORMATS = "jpeg, png, webp, bmp, gif"


def sniff_media_type(head: bytes) -> str | None:
    """``kind/name`` of a supported format sniffed from the first bytes, else None.

    Examples
    --------
    >>> sniff_media_type(b"\\xff\\xd8\\xff\\xe0" + bytes(8))
    'image/jpeg'
    >>> sniff_media_type(b"\\x00\\x00\\x00\\x18ftypisom\\x00\\x00\\x02\\x00")
    'video/mp4'
    >>> sniff_media_type(b"hello, I am a text file") is None
    True
    """
    fmt = sniff_format(head)
    if fmt is None or not fmt.supported or fmt.kind == "audio":
        return None
    return f"{fmt.kind}/{fmt.name}"


def media_class(media_type: str) -> MediaClass:
    return "video" if media_type.startswith("video/") else "image"


@dataclass(frozen=True)
class Upload:
    """One uploaded file, read into memory: what the audit log keeps is its hash, not it.

    ``media_type`` is the sniffed type, None when the bytes are no known media.
    """

    field: str
    data: bytes
    media_type: str | None
    sha256: str

    @property
    def size(self) -> int:
        return len(self.data)

    def audit_entry(self) -> dict[str, str | int | None]:
        return {"field": self.field, "sha256": self.sha256, "bytes": self.size,
                "media_type": self.media_type}

    def require(self, expect: MediaClass) -> None:
        """Raise unless this file is a non-empty ``expect`` (video or image) format.

        Raises ``MediaError`` (code ``MEDIA_EMPTY``) for an empty file and
        ``UnsupportedMediaError`` when the bytes are no ``expect`` format.
        """
        if not self.data:
            raise MediaError(f"the {self.field!r} file is empty", code="MEDIA_EMPTY")
        if self.media_type is None or media_class(self.media_type) != expect:
            found = f"a {self.media_type} file" if self.media_type else "no known media format"
            allowed = VIDEO_FORMATS if expect == "video" else IMAGE_FORMATS
            raise UnsupportedMediaError(
                f"the {self.field!r} file is {found}; it must be one of: {allowed}"
            )


def read_upload(stream: BinaryIO, *, field: str) -> Upload:
    """Read an uploaded file from the start, hash it and sniff its type."""
    stream.seek(0)
    data = stream.read()
    return Upload(field=field, data=data, media_type=sniff_media_type(data[:HEAD_BYTES]),
                  sha256=hashlib.sha256(data).hexdigest())
