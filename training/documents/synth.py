"""Synthetic ID-document samples for the forgery model: genuine or forged, then captured.

:class:`DocumentSynthesizer` draws, per seed: a template side, a fictitious identity
(:mod:`~training.documents.values`), a portrait of an allowed subject, the filled document
(:mod:`~training.documents.render`), one forgery species (:mod:`~training.documents.forge`)
and a phone capture of the result (:mod:`~training.documents.capture`). Every step has its
own random stream derived from the seed, so a seed gives identical arrays every time, and
the capture stream does not depend on the species: the same seed captured as ``none`` and as
``text_edit`` is the same photo of two different documents.

Species are drawn uniformly from :data:`DOC_SPECIES` unless the caller fixes one; a portrait
swap only draws sides that have a portrait.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from liveness.errors import DocumentError
from training.documents.capture import capture_document, scan_document
from training.documents.captured_edits import CAPTURED_EDIT_SPECIES, edit_photo
from training.documents.fonts import FontBook
from training.documents.forge import Forgery, copy_move, genuine, photocopy, portrait_swap, recapture, text_edit
from training.documents.portraits import PortraitBank
from training.documents.render import RenderedDocument, render_document
from training.documents.templates import (
    DOC_SYNTH_BAD_ARGUMENT,
    TemplateSide,
    build_template_cache,
    template_fonts,
)
from training.documents.values import generate_values

__all__ = ["DOC_SPECIES", "DocSample", "DocumentSynthesizer", "write_document_contact_sheet"]

DOC_SPECIES = ("none", "portrait_swap", "text_edit", "copy_move", "recapture", "photocopy")
# Independent random streams per step (numpy SeedSequence keys), fixed forever for determinism.
_STREAM_PICK, _STREAM_PORTRAIT, _STREAM_RENDER, _STREAM_FORGE, _STREAM_CAPTURE, _STREAM_SCAN = 1, 2, 3, 4, 5, 6


@dataclass
class DocSample:
    """One synthetic sample.

    ``image`` is the RGB uint8 capture (document on a background); ``quad`` the (4, 2)
    float32 corners TL, TR, BR, BL of the document in ``image``; ``document`` the flat RGB
    uint8 document after forgery and before capture; ``mask`` a uint8 (H, W) map of
    ``document``, 1 where forged (all 0 for ``none``, all 1 for ``recapture``/``photocopy``).
    """

    image: np.ndarray
    quad: np.ndarray
    document: np.ndarray
    mask: np.ndarray
    species: str
    template: str
    side: str
    seed: int


class DocumentSynthesizer:
    """Genuine and forged ID-document captures from the DocXPand templates.

    Parameters
    ----------
    docs_dir : Path
        The document pool (``templates/docxpand``, ``fonts``).
    faces_dir : Path
        The face pool (or a folder of face images) for portraits.
    cache_dir : Path
        Where template renders and portrait crops are cached (built on first use: about a
        minute for all templates, a few seconds for the portraits).
    portrait_subjects : sequence of str, optional
        Only these people appear on the documents (None = everyone): split people between
        training and validation with it.
    templates : sequence of str, optional
        Only these templates (None = every side that has an SVG).

    Raises
    ------
    DocumentError
        ``code="DOC_SYNTH_BAD_ARGUMENT"`` when no template side or no portrait is available.
    """

    def __init__(
        self,
        docs_dir: Path,
        faces_dir: Path,
        cache_dir: Path,
        portrait_subjects: Sequence[str] | None = None,
        *,
        templates: Sequence[str] | None = None,
    ) -> None:
        self.docs_dir, self.cache_dir = Path(docs_dir), Path(cache_dir)
        start = time.perf_counter()
        self.sides: list[TemplateSide] = build_template_cache(
            self.docs_dir, self.cache_dir / "templates", templates=templates
        )
        self.template_seconds = time.perf_counter() - start
        if not self.sides:
            raise DocumentError(f"no template side with an SVG under {self.docs_dir}", code=DOC_SYNTH_BAD_ARGUMENT)
        self.portraits = PortraitBank(Path(faces_dir), self.cache_dir, subjects=portrait_subjects)
        self.book: FontBook = template_fonts(self.docs_dir)
        self._photo_sides = [s for s in self.sides if s.photo is not None]

    def _pick_side(self, rng: np.random.Generator, species: str) -> TemplateSide:
        pool = self._photo_sides if species == "portrait_swap" else self.sides
        if not pool:
            raise DocumentError("no template side has a portrait to swap", code=DOC_SYNTH_BAD_ARGUMENT)
        return pool[int(rng.integers(len(pool)))]

    def render(self, seed: int, side: TemplateSide | None = None) -> tuple[RenderedDocument, str]:
        """The genuine document of ``seed`` (and its portrait's subject), before any forgery."""
        pick = np.random.default_rng([seed, _STREAM_PICK])
        side = side or self._pick_side(pick, "none")
        values = generate_values(side.generator, seed=seed, extra_fields=sorted({s.key for s in side.slots}))
        subject, face = self.portraits.pick(np.random.default_rng([seed, _STREAM_PORTRAIT]))
        doc = render_document(side, values, face, rng=np.random.default_rng([seed, _STREAM_RENDER]))
        return doc, subject

    def sample(self, seed: int, species: str | None = None, *, after_capture: bool = False) -> DocSample:
        """One sample; the same (seed, species, after_capture) gives identical arrays.

        ``after_capture`` makes a portrait paste, text edit or copy-move on the photo of the genuine document
        instead of on the design before it is printed (:mod:`~training.documents.captured_edits`):
        the same photo as the genuine sample of the seed, edited.

        Raises
        ------
        DocumentError
            ``code="DOC_SYNTH_BAD_ARGUMENT"`` for a negative or non-int seed, an unknown
            species, or ``after_capture`` with a species not made on photos.
        """
        if not isinstance(seed, int | np.integer) or isinstance(seed, bool) or seed < 0:
            raise DocumentError(f"seed must be a non-negative int, got {seed!r}", code=DOC_SYNTH_BAD_ARGUMENT)
        seed = int(seed)
        pick = np.random.default_rng([seed, _STREAM_PICK])
        if species is None:
            species = DOC_SPECIES[int(pick.integers(len(DOC_SPECIES)))]
        elif species not in DOC_SPECIES:
            raise DocumentError(f"unknown species {species!r}; known: {DOC_SPECIES}", code=DOC_SYNTH_BAD_ARGUMENT)
        if after_capture and species not in CAPTURED_EDIT_SPECIES:
            raise DocumentError(
                f"only {CAPTURED_EDIT_SPECIES} are made on the photo, not {species!r}", code=DOC_SYNTH_BAD_ARGUMENT
            )
        side = self._pick_side(pick, species)
        doc, subject = self.render(seed, side)
        if after_capture:
            photo, quad = self.capture(doc.image, doc.shape, seed)
            image, forged = edit_photo(photo, quad, doc, lambda page: self._forge(page, species, subject, seed))
            return DocSample(image, quad, forged.image, forged.mask, species, side.template, side.side, seed)
        forged = self._forge(doc, species, subject, seed)
        image, quad = self.capture(forged.image, doc.shape, seed)
        return DocSample(image, quad, forged.image, forged.mask, species, side.template, side.side, seed)

    def portrait_document(self, seed: int) -> tuple[RenderedDocument, str]:
        """The genuine document of ``seed`` on a side with a portrait (the side a portrait
        swap of the same seed would use), and the portrait's subject."""
        return self.render(seed, self._pick_side(np.random.default_rng([seed, _STREAM_PICK]), "portrait_swap"))

    def capture(self, document: np.ndarray, shape: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
        """The phone capture of a flat document for ``seed``: (image, quad) as in :meth:`sample`."""
        return capture_document(document, rng=np.random.default_rng([seed, _STREAM_CAPTURE]), shape=shape)

    def scan(
        self, document: np.ndarray, shape: np.ndarray, seed: int, beside: RenderedDocument | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The flatbed scan (a whole A4 page) of a flat document for ``seed``, with ``beside``
        (its other side) laid next to it: (image, quad of ``document``)."""
        return scan_document(
            document,
            rng=np.random.default_rng([seed, _STREAM_SCAN]),
            shape=shape,
            beside=None if beside is None else (beside.image, beside.shape),
        )

    def other_side(self, side: TemplateSide) -> TemplateSide | None:
        """The same template's other side (a card's back for its front), when it has one."""
        return next((s for s in self.sides if s.template == side.template and s.side != side.side), None)

    def _forge(self, doc: RenderedDocument, species: str, subject: str, seed: int) -> Forgery:
        rng = np.random.default_rng([seed, _STREAM_FORGE])
        if species == "none":
            return genuine(doc)
        if species == "portrait_swap":
            _, donor = self.portraits.pick(rng, exclude=subject)
            return portrait_swap(doc, donor, rng=rng)
        if species == "text_edit":
            other = generate_values(doc.template.generator, seed=seed + 7919, extra_fields=sorted(doc.values))
            return text_edit(doc, rng=rng, book=self.book, alternatives=other)
        if species == "copy_move":
            return copy_move(doc, rng=rng)
        if species == "recapture":
            return recapture(doc.image, rng=rng)
        return photocopy(doc.image, rng=rng)


def _tile(image: np.ndarray, height: int) -> np.ndarray:
    scale = height / image.shape[0]
    return cv2.resize(image, (max(int(image.shape[1] * scale), 1), height), interpolation=cv2.INTER_AREA)


def _outline(document: np.ndarray, mask: np.ndarray) -> np.ndarray:
    out = document.copy()
    if mask.any() and not mask.all():
        contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        cv2.drawContours(out, contours, -1, (255, 0, 255), max(2, document.shape[1] // 400))
    elif mask.all():
        cv2.rectangle(
            out, (0, 0), (out.shape[1] - 1, out.shape[0] - 1), (255, 0, 255), max(3, document.shape[1] // 200)
        )
    return out


def write_document_contact_sheet(
    out_png: Path, synthesizer: DocumentSynthesizer, n_per_species: int = 4, seed: int = 0
) -> Path:
    """A grid PNG: one row per species, then one per forgery made on the photo (labelled
    ``<species> on photo``; its top image is the forged rectified photo), each cell the flat
    document (mask outlined in magenta) above its capture (quad drawn in green), labelled with
    species, template and seed.

    Raises
    ------
    DocumentError
        ``code="DOC_SYNTH_BAD_ARGUMENT"`` for ``n_per_species`` < 1.
    """
    if not isinstance(n_per_species, int) or n_per_species < 1:
        raise DocumentError("n_per_species must be a positive int", code=DOC_SYNTH_BAD_ARGUMENT)
    cell_w, doc_h, cap_h, label_h = 420, 270, 240, 22
    rows = []
    kinds = [(species, False) for species in DOC_SPECIES] + [(species, True) for species in CAPTURED_EDIT_SPECIES]
    for r, (species, after) in enumerate(kinds):
        cells = []
        for k in range(n_per_species):
            s = synthesizer.sample(seed + r * n_per_species + k, species, after_capture=after)
            doc = _tile(_outline(s.document, s.mask), doc_h)
            capture = s.image.copy()
            cv2.polylines(
                capture, [np.round(s.quad).astype(np.int32)], True, (0, 255, 0), max(2, capture.shape[1] // 300)
            )
            cap = _tile(capture, cap_h)
            cell = np.full((label_h + doc_h + cap_h + 8, cell_w, 3), 255, np.uint8)
            cell[label_h : label_h + doc_h, : min(doc.shape[1], cell_w)] = doc[:, :cell_w]
            cell[label_h + doc_h + 4 : label_h + doc_h + 4 + cap_h, : min(cap.shape[1], cell_w)] = cap[:, :cell_w]
            cv2.putText(
                cell,
                f"{species}{' on photo' if after else ''} | {s.template}/{s.side} | {s.seed}",
                (4, 16),
                cv2.FONT_HERSHEY_SIMPLEX,
                0.45,
                (0, 0, 0),
                1,
                cv2.LINE_AA,
            )
            cells.append(cell)
        rows.append(np.concatenate([np.pad(c, ((0, 0), (0, 6), (0, 0)), constant_values=255) for c in cells], axis=1))
    sheet = np.concatenate([np.pad(r, ((0, 10), (0, 0), (0, 0)), constant_values=200) for r in rows], axis=0)
    out_png = Path(out_png)
    out_png.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(out_png), sheet[..., ::-1]):
        raise DocumentError(f"could not write {out_png}", code=DOC_SYNTH_BAD_ARGUMENT)
    return out_png
