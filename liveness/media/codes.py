"""Stable ``code`` values of the media errors (``MediaError.code``), beyond the class defaults.

``MediaTooLargeError`` carries ``MEDIA_TOO_LARGE`` and ``UnsupportedMediaError`` carries
``MEDIA_UNSUPPORTED`` by default; the codes below go on a plain ``MediaError``.
"""

from __future__ import annotations

MEDIA_NOT_FOUND = "MEDIA_NOT_FOUND"
MEDIA_UNREADABLE = "MEDIA_UNREADABLE"
MEDIA_EMPTY = "MEDIA_EMPTY"
MEDIA_CORRUPT = "MEDIA_CORRUPT"
MEDIA_NO_VIDEO = "MEDIA_NO_VIDEO"
