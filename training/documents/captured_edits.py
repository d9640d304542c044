"""Local forgeries made on the photo of a genuine document, as fraud rings make them.

The forgeries of :mod:`training.documents.forge` are made on the flat design and then printed
and photographed: the capture blurs, tints, adds noise to and compresses the edit like the
rest of the page, so little but the edited content is left to see. A fraud ring more often
edits the *photo* of a genuine card (the SIDTD inpaint-and-rewrite and crop-and-replace
forgeries are made so): the re-typed text or pasted photo is sharper and cleaner than the
photographed print around it, the erased
background lacks the capture's grain and security pattern, and the whole photo is exported
again. :func:`edit_photo` makes such a forgery with any forgery of ``forge``: it rectifies
the genuine photo to the flat document's frame, forges that page (text picked in the ink
colour the photo shows, as an editor's eyedropper would), and warps only the changed pixels
back into the photo.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import cv2
import numpy as np

from training.documents.forge import Forgery
from training.documents.render import RenderedDocument

__all__ = ["CAPTURED_EDIT_SPECIES", "as_photographed", "edit_photo", "pick_ink"]

# Forgeries a ring makes on the photo itself (a pasted photo too: SIDTD's crop-and-replace);
# recapture and photocopy are of the whole object.
CAPTURED_EDIT_SPECIES = ("portrait_swap", "text_edit", "copy_move")
_INK_SHARE = 0.05  # the darkest (or brightest) share of a field's pixels is its ink: thin text covers little


def pick_ink(page: np.ndarray, box: tuple[int, int, int, int]) -> tuple[int, int, int] | None:
    """The ink colour of the text in ``box`` as the photo shows it, or None when the box is
    empty: the median of its darkest or its brightest pixels, whichever lie farther from the
    background (the box's rim; light text on a dark band is printed too)."""
    x0, y0, x1, y1 = box
    patch = page[max(0, y0) : y1, max(0, x0) : x1]
    if patch.size == 0:
        return None
    weights = np.array([0.299, 0.587, 0.114])
    rim = np.concatenate([patch[0], patch[-1], patch[:, 0], patch[:, -1]])
    background = float(np.median(rim @ weights))
    pixels = patch.reshape(-1, 3)
    luma = pixels @ weights
    low, high = np.quantile(luma, [_INK_SHARE, 1.0 - _INK_SHARE])
    ink = pixels[luma <= low] if background - low >= high - background else pixels[luma >= high]
    return tuple(int(c) for c in np.median(ink, axis=0))  # type: ignore[return-value]


def as_photographed(doc: RenderedDocument, page: np.ndarray) -> RenderedDocument:
    """``doc`` with the rectified photo ``page`` as its image and each printed field's colour
    picked from that photo."""
    fields = []
    for f in doc.fields:
        ink = None if f.box is None else pick_ink(page, f.box)
        fields.append(f if ink is None else replace(f, style=replace(f.style, color=ink)))
    return replace(doc, image=page, fields=fields)


def edit_photo(
    image: np.ndarray, quad: np.ndarray, doc: RenderedDocument, forge: Callable[[RenderedDocument], Forgery]
) -> tuple[np.ndarray, Forgery]:
    """Forge the photo ``image`` of the genuine ``doc`` whose corners TL, TR, BR, BL are
    ``quad``: returns the edited photo and the forgery on the rectified page (its mask, in
    ``doc``'s frame, marks every changed pixel)."""
    dh, dw = doc.image.shape[:2]
    h, w = image.shape[:2]
    corners = np.array([[0, 0], [dw, 0], [dw, dh], [0, dh]], np.float32)
    to_photo = cv2.getPerspectiveTransform(corners, np.asarray(quad, np.float32))
    page = cv2.warpPerspective(
        image, to_photo, (dw, dh), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REPLICATE
    )
    forged = forge(as_photographed(doc, page))
    changed = ((forged.mask > 0) | np.any(forged.image != page, axis=2)).astype(np.uint8)
    # a pixel's margin, so the warped edit's edge is resampled from edited pixels only
    changed = cv2.dilate(changed, np.ones((3, 3), np.uint8))
    back = cv2.warpPerspective(forged.image, to_photo, (w, h), flags=cv2.INTER_LINEAR)
    alpha = cv2.warpPerspective(changed.astype(np.float32), to_photo, (w, h), flags=cv2.INTER_LINEAR)[..., None]
    edited = (alpha * back + (1.0 - alpha) * image).round().astype(np.uint8)
    return edited, Forgery(forged.image, changed)
