"""Errors of the document checks: only for input that cannot be examined at all.

A value that can be read but breaks a rule (a wrong check digit, an expired date) is a reason
code from :mod:`liveness.documents.reasons`, never an exception::

    DocumentError (liveness.errors)
    └── DocumentInputError        wrong type, or text that cannot be read as the asked-for field
"""

from __future__ import annotations

from liveness.errors import DocumentError

__all__ = [
    "DATE_UNREADABLE",
    "DOCUMENT_INPUT_INVALID",
    "ID_NUMBER_UNPARSEABLE",
    "IMAGE_INVALID",
    "MRZ_INPUT_INVALID",
    "DocumentInputError",
]

DOCUMENT_INPUT_INVALID = "DOCUMENT_INPUT_INVALID"
ID_NUMBER_UNPARSEABLE = "ID_NUMBER_UNPARSEABLE"
MRZ_INPUT_INVALID = "MRZ_INPUT_INVALID"
DATE_UNREADABLE = "DATE_UNREADABLE"
IMAGE_INVALID = "DOCUMENT_IMAGE_INVALID"


class DocumentInputError(DocumentError):
    """The input of a document check has the wrong type or cannot be read as that field."""

    code = DOCUMENT_INPUT_INVALID
