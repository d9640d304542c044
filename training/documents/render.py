"""Fill a cached template side: field texts, the portrait and its ghost, a SPECIMEN mark.

Text is drawn with PIL in the field's font, size, tracking and colour (measured from the
template, :class:`~training.documents.templates.TextSlot`), character by character so the
tracking is exact, and warped onto the card along the field's direction (a few fields run
vertically or mirrored). A value too long for its room is condensed horizontally, as card
printers do. The portrait goes in through the slot's gain (``base + gain * portrait``), so the
security print over it stays on top; the ghost is a light grey copy of the same face.

Every document carries a visible diagonal SPECIMEN mark (the pool's rule for synthetic IDs).
:func:`draw_text` is also what the text-edit forgery uses to re-type a field with a near-miss
style (:class:`TextStyle`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from liveness.errors import DocumentError
from training.documents.fonts import FontSpec, load_font, matplotlib_font_dir
from training.documents.templates import DOC_SYNTH_BAD_ARGUMENT, TemplateSide, TextSlot, iter_slots

__all__ = [
    "PrintedField",
    "RenderedDocument",
    "TextStyle",
    "add_specimen_mark",
    "composite_portrait",
    "draw_text",
    "ghost_of",
    "render_document",
    "slot_style",
    "split_lines",
]

SPECIMEN_TEXT = "SPECIMEN"
_MIN_SQUEEZE = 0.55  # below this a long value overflows rather than become unreadable


@dataclass(frozen=True)
class TextStyle:
    """How a text is printed: font, size (px), tracking (px), colour, opacity.

    ``shift`` moves the text (along, down) in px; ``blur`` is a Gaussian sigma in px;
    ``aliased`` draws without anti-aliasing (a crisp, jagged edit); ``squeeze`` scales the
    advance direction (None = only as much as the room needs).
    """

    font: FontSpec
    size: float
    tracking: float
    color: tuple[int, int, int]
    opacity: float = 1.0
    shift: tuple[float, float] = (0.0, 0.0)
    blur: float = 0.0
    aliased: bool = False
    squeeze: float | None = None


@dataclass
class PrintedField:
    """A text as printed: its slot, text, style and ink box (x0, y0, x1, y1) or None if empty."""

    slot: TextSlot
    text: str
    style: TextStyle
    box: tuple[int, int, int, int] | None


@dataclass
class RenderedDocument:
    """A filled, flat document side (before any forgery or capture).

    ``image`` is RGB uint8 composited over white; ``shape`` is the card's alpha (uint8, 0 off
    the rounded corners). ``fields`` lists every printed text; ``photo_box``/``ghost_box`` are
    the portrait and ghost slots (x0, y0, x1, y1) or None; ``values`` the identity used.
    """

    image: np.ndarray
    shape: np.ndarray
    fields: list[PrintedField]
    photo_box: tuple[int, int, int, int] | None
    ghost_box: tuple[int, int, int, int] | None
    template: TemplateSide
    values: dict[str, str] = field(default_factory=dict)
    portrait: np.ndarray | None = None


def slot_style(slot: TextSlot) -> TextStyle:
    """The template's own style of a slot."""
    return TextStyle(slot.font, slot.size, slot.tracking, slot.color, slot.opacity)


def draw_text(
    image: np.ndarray, slot: TextSlot, text: str, style: TextStyle, *, max_length: float | None = None
) -> tuple[int, int, int, int] | None:
    """Print ``text`` on ``image`` (RGB uint8, changed in place) at ``slot``'s place.

    Returns the ink box (x0, y0, x1, y1) in image pixels, or None when nothing was drawn.

    Examples
    --------
    >>> from training.documents.templates import TextSlot
    >>> from training.documents.fonts import FontBook
    >>> spec = FontBook([]).resolve(["DejaVu Sans"])
    >>> slot = TextSlot("x_field", "x", 0, (10.0, 30.0), (1.0, 0.0), (0.0, 1.0), 20.0, 0.0,
    ...                 (0, 0, 0), 1.0, spec, 200.0, (10, 15, 100, 30))
    >>> page = np.full((50, 220, 3), 255, np.uint8)
    >>> box = draw_text(page, slot, "ABC", slot_style(slot))
    >>> box[0] >= 10 and box[3] <= 36 and int(page.min()) < 100
    True
    """
    if not text.strip():
        return None
    font = load_font(style.font, style.size)
    advances = [font.getlength(ch) + style.tracking for ch in text]
    total = max(sum(advances) - style.tracking, 1.0)
    room = slot.max_length if max_length is None else max_length
    squeeze = style.squeeze if style.squeeze is not None else 1.0
    if total * squeeze > room > 0:
        squeeze = max(room / total, _MIN_SQUEEZE)
    ascent, descent = font.getmetrics()
    pad = math.ceil(style.size * 0.3 + 2 * style.blur + 2)
    width = math.ceil(total + abs(style.tracking) + 2 * pad)
    height = int(ascent + descent + 2 * pad)
    canvas = Image.new("L", (width, height), 0)
    draw = ImageDraw.Draw(canvas)
    if style.aliased:
        draw.fontmode = "1"
    x, baseline = float(pad), float(pad + ascent)
    for ch, adv in zip(text, advances, strict=True):
        draw.text((x, baseline), ch, font=font, fill=255, anchor="ls")
        x += adv
    if style.blur > 0:
        canvas = canvas.filter(ImageFilter.GaussianBlur(style.blur))
    layer = np.asarray(canvas)
    ax, ay = slot.advance
    bx, by = slot.down
    ox = slot.origin[0] + style.shift[0] * ax + style.shift[1] * bx
    oy = slot.origin[1] + style.shift[0] * ay + style.shift[1] * by
    m = np.array(
        [
            [squeeze * ax, bx, ox - squeeze * ax * pad - bx * baseline],
            [squeeze * ay, by, oy - squeeze * ay * pad - by * baseline],
        ],
        np.float64,
    )
    corners = np.array([[0, 0, 1], [width, 0, 1], [0, height, 1], [width, height, 1]], np.float64) @ m.T
    h, w = image.shape[:2]
    x0, y0 = max(math.floor(corners[:, 0].min()), 0), max(math.floor(corners[:, 1].min()), 0)
    x1, y1 = min(math.ceil(corners[:, 0].max()) + 1, w), min(math.ceil(corners[:, 1].max()) + 1, h)
    if x1 <= x0 or y1 <= y0:
        return None
    m[:, 2] -= (x0, y0)
    alpha = cv2.warpAffine(layer, m, (x1 - x0, y1 - y0), flags=cv2.INTER_LINEAR, borderValue=0)
    a = alpha.astype(np.float32)[..., None] * (style.opacity / 255.0)
    patch = image[y0:y1, x0:x1].astype(np.float32)
    color = np.asarray(style.color, np.float32)
    image[y0:y1, x0:x1] = np.clip(patch + a * (color - patch) + 0.5, 0, 255).astype(np.uint8)
    ys, xs = np.nonzero(alpha > 24)
    if len(xs) == 0:
        return None
    return x0 + int(xs.min()), y0 + int(ys.min()), x0 + int(xs.max()) + 1, y0 + int(ys.max()) + 1


def split_lines(value: str, n_lines: int, *, key: str = "") -> list[str]:
    """A value spread over ``n_lines`` printed lines (``n_lines`` 1 joins it on one line).

    Examples
    --------
    >>> split_lines("Rue X 3\\n75001 Paris", 1, key="address")
    ['Rue X 3, 75001 Paris']
    >>> split_lines("Anna Maria Louisa Berg", 2)
    ['Anna Maria', 'Louisa Berg']
    """
    parts = [p.strip() for p in value.split("\n")]
    if n_lines <= 1:
        return [(", " if key == "address" else " ").join(p for p in parts if p)]
    if len(parts) == 1 and len(parts[0]) > 16 and (" " in parts[0] or "," in parts[0]):
        words = parts[0].split(" ")
        cut = min(range(1, len(words)), key=lambda i: abs(len(" ".join(words[:i])) - len(" ".join(words[i:]))))
        parts = [" ".join(words[:cut]), " ".join(words[cut:])]
    while len(parts) > n_lines:
        parts[-2:] = [" ".join(parts[-2:])]
    return parts + [""] * (n_lines - len(parts))


def _cover(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """``image`` cropped to the aspect of (width, height) around its centre, then resized."""
    h, w = image.shape[:2]
    target = width / height
    if w / h > target:
        cw = max(round(h * target), 1)
        x0 = (w - cw) // 2
        image = image[:, x0 : x0 + cw]
    else:
        ch = max(round(w / target), 1)
        y0 = max((h - ch) // 3, 0)  # keep the top of the head rather than the neck
        image = image[y0 : y0 + ch]
    interp = cv2.INTER_AREA if image.shape[1] > width else cv2.INTER_LINEAR
    return cv2.resize(image, (width, height), interpolation=interp)


def composite_portrait(
    image: np.ndarray, slot_box: tuple[int, int, int, int], gain: np.ndarray, base: np.ndarray, portrait: np.ndarray
) -> None:
    """Print ``portrait`` into an image slot of ``image`` (in place): ``base + gain * portrait``."""
    x0, y0, x1, y1 = slot_box
    p = _cover(portrait, x1 - x0, y1 - y0).astype(np.float32) / 255.0
    out = base[y0:y1, x0:x1].astype(np.float32) + gain.astype(np.float32) * p
    image[y0:y1, x0:x1] = np.clip(out + 0.5, 0, 255).astype(np.uint8)


def ghost_of(portrait: np.ndarray) -> np.ndarray:
    """The ghost image of a portrait: grey, high-key, fading to white at the border."""
    grey = cv2.cvtColor(portrait, cv2.COLOR_RGB2GRAY).astype(np.float32)
    grey = np.clip((grey - grey.mean()) * 1.3 + 150.0, 0, 255)
    h, w = grey.shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    r = np.sqrt(((xx - w / 2) / (0.55 * w)) ** 2 + ((yy - h * 0.45) / (0.6 * h)) ** 2)
    fade = np.clip((r - 0.7) / 0.3, 0, 1)
    grey = grey + (255.0 - grey) * fade
    return np.repeat(grey[..., None], 3, axis=2).astype(np.uint8)


def add_specimen_mark(image: np.ndarray, rng: np.random.Generator, *, shape: np.ndarray | None = None) -> None:
    """Stamp a diagonal SPECIMEN across ``image`` (in place): visible but not hiding the data."""
    h, w = image.shape[:2]
    font = load_font(FontSpec(str(matplotlib_font_dir() / "DejaVuSans-Bold.ttf")), max(h, w) * rng.uniform(0.1, 0.14))
    left, top, right, bottom = font.getbbox(SPECIMEN_TEXT)
    canvas = Image.new("L", (right - left + 8, bottom - top + 8), 0)
    ImageDraw.Draw(canvas).text((4 - left, 4 - top), SPECIMEN_TEXT, font=font, fill=255)
    layer = np.asarray(canvas)
    angle = rng.uniform(18, 32) * (1 if rng.random() < 0.5 else -1)
    center = (w * rng.uniform(0.42, 0.58), h * rng.uniform(0.42, 0.58))
    m = cv2.getRotationMatrix2D((layer.shape[1] / 2, layer.shape[0] / 2), angle, 1.0)
    m[:, 2] += (center[0] - layer.shape[1] / 2, center[1] - layer.shape[0] / 2)
    alpha = cv2.warpAffine(layer, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=0).astype(np.float32) / 255.0
    if shape is not None:
        alpha *= shape.astype(np.float32) / 255.0
    reds = ((200, 30, 40), (170, 20, 30), (90, 90, 100), (30, 60, 160))
    color = np.asarray(reds[int(rng.integers(len(reds)))], np.float32)
    a = (alpha * rng.uniform(0.16, 0.3))[..., None]
    ys, xs = np.nonzero(alpha > 0)
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    patch = image[y0:y1, x0:x1].astype(np.float32)
    image[y0:y1, x0:x1] = np.clip(patch + a[y0:y1, x0:x1] * (color - patch) + 0.5, 0, 255).astype(np.uint8)


def render_document(
    side: TemplateSide,
    values: Mapping[str, str],
    portrait: np.ndarray | None,
    *,
    rng: np.random.Generator,
    specimen: bool = True,
) -> RenderedDocument:
    """Fill ``side`` with ``values`` and ``portrait`` and stamp SPECIMEN.

    Parameters
    ----------
    side : TemplateSide
        A cached template side.
    values : Mapping
        Field key -> text (:func:`~training.documents.values.generate_values`).
    portrait : numpy.ndarray or None
        RGB uint8 face crop for the photo and ghost slots (None leaves them blank).
    rng : numpy.random.Generator
        Drives the small print jitter and the mark's placement.
    specimen : bool
        Stamp the SPECIMEN mark (tests turn it off to see that it is there otherwise).

    Raises
    ------
    DocumentError
        ``code="DOC_SYNTH_BAD_ARGUMENT"`` for a portrait that is not RGB uint8.
    """
    if portrait is not None and (
        not isinstance(portrait, np.ndarray)
        or portrait.ndim != 3
        or portrait.shape[2] != 3
        or portrait.dtype != np.uint8
    ):
        raise DocumentError("portrait must be an RGB uint8 array", code=DOC_SYNTH_BAD_ARGUMENT)
    image = side.base.copy()
    if portrait is not None:
        if side.photo is not None:
            composite_portrait(image, side.photo.box, side.photo.gain, side.base, portrait)
        if side.ghost is not None:
            composite_portrait(image, side.ghost.box, side.ghost.gain, side.base, ghost_of(portrait))
    # Printers vary a little from card to card: ink density and a sub-pixel registration shift.
    ink = rng.uniform(-12, 12)
    registration = (rng.uniform(-0.6, 0.6), rng.uniform(-0.6, 0.6))
    fields: list[PrintedField] = []
    for key in sorted({s.key for s in side.slots}):
        slots = list(iter_slots(side, key))
        value = values.get(key, "")
        lines = split_lines(value, len(slots), key=key) if len(slots) > 1 else split_lines(value, 1, key=key)
        for slot, text in zip(slots, lines, strict=False):
            color = tuple(int(np.clip(c + ink, 0, 255)) for c in slot.color)
            style = replace(slot_style(slot), color=color, shift=registration)  # type: ignore[arg-type]
            box = draw_text(image, slot, text, style)
            fields.append(PrintedField(slot, text, style, box))
    if specimen:
        add_specimen_mark(image, rng, shape=side.shape)
    return RenderedDocument(
        image=image,
        shape=side.shape,
        fields=fields,
        photo_box=side.photo.box if side.photo else None,
        ghost_box=side.ghost.box if side.ghost else None,
        template=side,
        values=dict(values),
        portrait=portrait,
    )
