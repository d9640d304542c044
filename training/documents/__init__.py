"""Synthetic ID documents for the forgery model: templates, identities, forgeries, captures.

Build side only (``training/``): renders the DocXPand templates of ``../shared/data/docs`` with
resvg once (cached), fills them with fictitious identities and real faces, forges them and
simulates a phone capture. Entry point: :class:`DocumentSynthesizer`.
"""

from training.documents.capture import BACKGROUNDS, capture_document, scan_document, synth_background
from training.documents.fonts import FontBook, FontSpec
from training.documents.forge import Forgery, copy_move, genuine, photocopy, portrait_swap, recapture, text_edit
from training.documents.portraits import PortraitBank, build_portrait_cache, passport_crop
from training.documents.render import PrintedField, RenderedDocument, TextStyle, draw_text, render_document
from training.documents.synth import DOC_SPECIES, DocSample, DocumentSynthesizer, write_document_contact_sheet
from training.documents.templates import (
    DOC_SYNTH_BAD_ARGUMENT,
    DOC_TEMPLATE_INVALID,
    ImageSlot,
    TemplateSide,
    TextSlot,
    build_template_cache,
    list_template_sides,
    load_template_side,
)
from training.documents.values import REFERENCE_DATE, generate_values, make_mrz, mutate_value

__all__ = [
    "BACKGROUNDS",
    "DOC_SPECIES",
    "DOC_SYNTH_BAD_ARGUMENT",
    "DOC_TEMPLATE_INVALID",
    "REFERENCE_DATE",
    "DocSample",
    "DocumentSynthesizer",
    "FontBook",
    "FontSpec",
    "Forgery",
    "ImageSlot",
    "PortraitBank",
    "PrintedField",
    "RenderedDocument",
    "TemplateSide",
    "TextSlot",
    "TextStyle",
    "build_portrait_cache",
    "build_template_cache",
    "capture_document",
    "copy_move",
    "draw_text",
    "generate_values",
    "genuine",
    "list_template_sides",
    "load_template_side",
    "make_mrz",
    "mutate_value",
    "passport_crop",
    "photocopy",
    "portrait_swap",
    "recapture",
    "render_document",
    "scan_document",
    "synth_background",
    "text_edit",
    "write_document_contact_sheet",
]
