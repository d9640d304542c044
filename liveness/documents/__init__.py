"""ID documents: intake (quad, rectification, capture quality), the forgery model, rule checks
on the Chinese resident ID number and ICAO 9303 MRZs, expiry, and (optional) offline OCR.

The scorer (:class:`liveness.documents.scorer.DocumentScorer`) ties them together; import it
from its module (it opens the model manifest).

Rule failures are reason codes (:mod:`liveness.documents.reasons`), returned as lists;
exceptions (:class:`DocumentInputError`, a :class:`liveness.errors.DocumentError`) are only
raised for input that cannot be examined at all.
"""

from liveness.documents import reasons
from liveness.documents.cn_id import (
    CnIdInfo,
    RegionPeriod,
    cn_id_check_char,
    cn_region_periods,
    parse_cn_id,
    validate_cn_id,
)
from liveness.documents.errors import DocumentInputError
from liveness.documents.expiry import ValidityPeriod, check_expiry, parse_printed_date, parse_validity_period
from liveness.documents.intake import (
    DOC_CANONICAL_SIZE,
    DocumentQuad,
    PreparedDocument,
    decode_document_image,
    find_document_quad,
    prepare_document,
    rectify_document,
)
from liveness.documents.mrz import MrzLayout, MrzResult, mrz_check_digit, mrz_lines_from_text, parse_mrz
from liveness.documents.ocr import TextLine, ocr_available, read_text

__all__ = [
    "DOC_CANONICAL_SIZE",
    "CnIdInfo",
    "DocumentInputError",
    "DocumentQuad",
    "MrzLayout",
    "MrzResult",
    "PreparedDocument",
    "RegionPeriod",
    "TextLine",
    "ValidityPeriod",
    "check_expiry",
    "cn_id_check_char",
    "cn_region_periods",
    "decode_document_image",
    "find_document_quad",
    "mrz_check_digit",
    "mrz_lines_from_text",
    "ocr_available",
    "parse_cn_id",
    "parse_mrz",
    "parse_printed_date",
    "parse_validity_period",
    "prepare_document",
    "read_text",
    "reasons",
    "rectify_document",
    "validate_cn_id",
]
