"""Media intake: videos, images and frame images to upright RGB ``Frames`` within limits."""

from liveness.media.codes import (
    MEDIA_CORRUPT,
    MEDIA_EMPTY,
    MEDIA_NO_VIDEO,
    MEDIA_NOT_FOUND,
    MEDIA_UNREADABLE,
)
from liveness.media.loader import MediaSource, load_media, probe_media
from liveness.media.sniff import MediaFormat, sniff_format

__all__ = [
    "MEDIA_CORRUPT",
    "MEDIA_EMPTY",
    "MEDIA_NOT_FOUND",
    "MEDIA_NO_VIDEO",
    "MEDIA_UNREADABLE",
    "MediaFormat",
    "MediaSource",
    "load_media",
    "probe_media",
    "sniff_format",
]
