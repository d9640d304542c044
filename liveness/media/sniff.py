"""Recognise a media format from its first bytes (never from a file name).

The sniffed format also picks the demuxer PyAV may use, so FFmpeg never probes an upload
itself: probing is what lets a playlist or concat script pretending to be a video make
FFmpeg open other files or URLs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

FormatKind = Literal["video", "image", "audio"]

#: How many leading bytes :func:`sniff_format` needs.
HEAD_BYTES = 64

# ISO-BMFF brands of still-image files (HEIF/AVIF) that share the mp4 box layout.
_IMAGE_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1", b"avif", b"avis"})
_AUDIO_BRANDS = frozenset({b"M4A ", b"M4B ", b"M4P "})
# Sizes of the BMP info header versions: "BM" alone starts too many text files.
_BMP_INFO_SIZES = frozenset({12, 16, 40, 52, 56, 64, 108, 124})
# QuickTime files written by old cameras may open with one of these boxes instead of ftyp.
_QUICKTIME_BOXES = frozenset({b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"})


@dataclass(frozen=True)
class MediaFormat:
    """A sniffed format.

    ``name`` is a short format name (``mp4``, ``png``...); ``demuxer`` is the FFmpeg demuxer
    PyAV must use for videos, ``None`` for images; ``supported`` is False for formats we
    recognise only to refuse them with a clear message (HEIC, TIFF).
    """

    kind: FormatKind
    name: str
    demuxer: str | None = None
    supported: bool = True


def sniff_format(head: bytes) -> MediaFormat | None:
    """Return the format whose magic bytes start ``head``, or None if none matches.

    Parameters
    ----------
    head : bytes
        The first bytes of the file (:data:`HEAD_BYTES` are enough; fewer are accepted).

    Examples
    --------
    >>> sniff_format(b"\\x89PNG\\r\\n\\x1a\\n" + bytes(8)).name
    'png'
    >>> sniff_format(b"hello world") is None
    True
    """
    if head.startswith(b"\xff\xd8\xff"):
        return MediaFormat("image", "jpeg")
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return MediaFormat("image", "png")
    if head.startswith((b"GIF87a", b"GIF89a")):
        return MediaFormat("image", "gif")
    if head.startswith(b"BM") and int.from_bytes(head[14:18], "little") in _BMP_INFO_SIZES:
        return MediaFormat("image", "bmp")
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return MediaFormat("image", "tiff", supported=False)
    if head.startswith(b"RIFF") and len(head) >= 12:
        riff_type = head[8:12]
        if riff_type == b"WEBP":
            return MediaFormat("image", "webp")
        if riff_type == b"AVI ":
            return MediaFormat("video", "avi", demuxer="avi")
        if riff_type == b"WAVE":
            return MediaFormat("audio", "wav")
        return None
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        # WebM is Matroska with a restricted codec set; one demuxer reads both.
        name = "webm" if b"webm" in head else "mkv"
        return MediaFormat("video", name, demuxer="matroska")
    box_type = head[4:8]
    if box_type == b"ftyp":
        brand = head[8:12]
        if brand in _IMAGE_BRANDS:
            return MediaFormat("image", "heif", supported=False)
        if brand in _AUDIO_BRANDS:
            return MediaFormat("audio", "m4a")
        name = "mov" if brand == b"qt  " else "mp4"
        return MediaFormat("video", name, demuxer="mov")
    if box_type in _QUICKTIME_BOXES:
        return MediaFormat("video", "mov", demuxer="mov")
    if head.startswith((b"ID3", b"fLaC", b"OggS")):
        return MediaFormat("audio", {b"I": "mp3", b"f": "flac", b"O": "ogg"}[head[:1]])
    return None
