"""Reason codes of the ID-document checks.

A rule that fails is a *reason*, not an exception: every check returns a list of these codes
(empty when the document passes) so the scorer can report all of them at once. Exceptions
(:mod:`liveness.documents.errors`) are kept for input that cannot be examined at all.

The rule-check codes are produced now; the forgery and capture-quality codes are reserved for
the forgery model and the document intake, so that every producer uses the same vocabulary.
"""

from __future__ import annotations

__all__ = [
    "ALL_REASONS",
    "DOCUMENT_EXPIRED",
    "DOC_BLANK",
    "DOC_BLUR",
    "DOC_CROPPED",
    "DOC_GLARE",
    "DOC_NOT_A_DOCUMENT",
    "DOC_NOT_FOUND",
    "DOC_TOO_SMALL",
    "DOC_UNREADABLE",
    "ID_COPY_MOVE",
    "ID_FIELDS_MISMATCH",
    "ID_NUMBER_BIRTHDATE",
    "ID_NUMBER_CHECKSUM",
    "ID_NUMBER_FORMAT",
    "ID_NUMBER_REGION",
    "ID_PHOTOCOPY",
    "ID_PORTRAIT_SWAP",
    "ID_RECAPTURE",
    "ID_TEXT_EDITED",
    "MRZ_CHECKSUM",
    "MRZ_FORMAT",
    "REASON_MESSAGES",
]

# Chinese resident identity number (GB 11643-1999).
ID_NUMBER_FORMAT = "ID_NUMBER_FORMAT"
ID_NUMBER_CHECKSUM = "ID_NUMBER_CHECKSUM"
ID_NUMBER_BIRTHDATE = "ID_NUMBER_BIRTHDATE"
ID_NUMBER_REGION = "ID_NUMBER_REGION"

# ICAO 9303 machine-readable zone and validity.
MRZ_FORMAT = "MRZ_FORMAT"
MRZ_CHECKSUM = "MRZ_CHECKSUM"
DOCUMENT_EXPIRED = "DOCUMENT_EXPIRED"
# Printed fields that contradict the MRZ or the ID number (OCR cross-check).
ID_FIELDS_MISMATCH = "ID_FIELDS_MISMATCH"

# Forgery species (forgery model).
ID_PORTRAIT_SWAP = "ID_PORTRAIT_SWAP"
ID_TEXT_EDITED = "ID_TEXT_EDITED"
ID_RECAPTURE = "ID_RECAPTURE"
ID_PHOTOCOPY = "ID_PHOTOCOPY"
ID_COPY_MOVE = "ID_COPY_MOVE"

# Capture quality (document intake).
DOC_NOT_FOUND = "DOC_NOT_FOUND"
DOC_TOO_SMALL = "DOC_TOO_SMALL"
DOC_GLARE = "DOC_GLARE"
DOC_BLUR = "DOC_BLUR"
DOC_CROPPED = "DOC_CROPPED"
DOC_UNREADABLE = "DOC_UNREADABLE"
DOC_BLANK = "DOC_BLANK"
DOC_NOT_A_DOCUMENT = "DOC_NOT_A_DOCUMENT"

REASON_MESSAGES: dict[str, str] = {
    ID_NUMBER_FORMAT: "the ID number is not 17 digits followed by a digit or X",
    ID_NUMBER_CHECKSUM: "the ID number's check character does not match (ISO 7064 MOD 11-2)",
    ID_NUMBER_BIRTHDATE: "the ID number's birth date is not a real date, lies in the future or before 1900",
    ID_NUMBER_REGION: "the ID number's region code is unknown or was retired before the holder was born",
    MRZ_FORMAT: "the machine-readable zone does not follow the ICAO 9303 layout",
    MRZ_CHECKSUM: "a check digit of the machine-readable zone does not match",
    DOCUMENT_EXPIRED: "the document expired before the check date",
    ID_FIELDS_MISMATCH: "printed fields contradict the machine-readable zone or the ID number",
    ID_PORTRAIT_SWAP: "the portrait looks replaced",
    ID_TEXT_EDITED: "printed text looks edited or re-typed",
    ID_RECAPTURE: "the document looks photographed from a screen",
    ID_PHOTOCOPY: "the document looks like a photocopy or print-out",
    ID_COPY_MOVE: "part of the document looks copied from elsewhere on it",
    DOC_NOT_FOUND: "no document was found in the image",
    DOC_TOO_SMALL: "the document is too small in the image to be checked",
    DOC_GLARE: "glare hides part of the document",
    DOC_BLUR: "the document is too blurred to be checked",
    DOC_CROPPED: "a corner or edge of the document is outside the image",
    DOC_UNREADABLE: "the upload is not a readable image (a PDF, text, a truncated file or a tiny image)",
    DOC_BLANK: "the image is blank: an empty page or a uniform surface",
    DOC_NOT_A_DOCUMENT: "the image shows a face (a selfie) rather than an ID document",
}

ALL_REASONS: tuple[str, ...] = tuple(REASON_MESSAGES)
