"""Forgeries of a rendered document, each with a mask of where the document was forged.

Local forgeries (what a forger does in an image editor) change a part of the page:

- :func:`portrait_swap`: another person's photo pasted over the portrait slot, as a hard
  paste, a feathered blend, or colour-matched and re-lit to the original (random); the
  printed security overlay over the photo is lost inside the pasted rectangle, as in a real
  cut-and-paste. Sometimes the ghost image is swapped too.
- :func:`text_edit`: one to three fields erased (inpainting, cloning the background next to
  the line, or a flat fill) and re-typed with a near-miss value and a near-miss style: another
  but similar font or weight, size, tracking, baseline shift, colour, blur or aliasing.
- :func:`copy_move`: a patch of the same page (a run of characters, a background patch that
  hides a field, or any region) pasted elsewhere on it.

Global ones make a different object of the whole page, so their mask is all ones:

- :func:`recapture`: the page shown on a screen and photographed (display tone curve, pixel
  grid and moiré, glare, colour cast, softness);
- :func:`photocopy`: a grey print-out or photocopy (levels, halftone screen, toner speckle,
  paper texture, banding).

:func:`genuine` is the untouched page with an all-zero mask. Masks are uint8 (H, W) with 1
where forged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

import cv2
import numpy as np

from liveness.errors import DocumentError
from training.documents.fonts import FontBook, FontSpec, load_font
from training.documents.render import PrintedField, RenderedDocument, TextStyle, draw_text, ghost_of
from training.documents.templates import DOC_SYNTH_BAD_ARGUMENT
from training.documents.values import mutate_value

__all__ = ["Forgery", "copy_move", "genuine", "photocopy", "portrait_swap", "recapture", "text_edit"]

Box = tuple[int, int, int, int]
_KEY_FIELDS = ("name", "date", "birth", "expires", "number", "nationality", "gender", "issued")


@dataclass
class Forgery:
    """A forged flat document and its uint8 (H, W) mask, 1 where forged."""

    image: np.ndarray
    mask: np.ndarray


def _clip_box(box: Box, shape: tuple[int, ...]) -> Box:
    h, w = shape[:2]
    x0, y0, x1, y1 = box
    return max(0, x0), max(0, y0), min(w, x1), min(h, y1)


def _grow(box: Box, pad: int, shape: tuple[int, ...]) -> Box:
    return _clip_box((box[0] - pad, box[1] - pad, box[2] + pad, box[3] + pad), shape)


def _overlaps(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _feather(h: int, w: int, ramp: float) -> np.ndarray:
    """(h, w) float32 alpha: 1 inside, falling linearly to ~0 over ``ramp`` px at the border."""
    if ramp <= 0:
        return np.ones((h, w), np.float32)
    ys = np.minimum(np.arange(h), np.arange(h)[::-1]).astype(np.float32)
    xs = np.minimum(np.arange(w), np.arange(w)[::-1]).astype(np.float32)
    d = np.minimum(ys[:, None], xs[None, :]) + 0.5
    return np.clip(d / ramp, 0, 1)


def _paste(image: np.ndarray, patch: np.ndarray, x0: int, y0: int, alpha: np.ndarray | None = None) -> Box:
    h, w = patch.shape[:2]
    if alpha is None:
        image[y0 : y0 + h, x0 : x0 + w] = patch
    else:
        a = alpha[..., None]
        base = image[y0 : y0 + h, x0 : x0 + w].astype(np.float32)
        image[y0 : y0 + h, x0 : x0 + w] = np.clip(base + a * (patch.astype(np.float32) - base) + 0.5, 0, 255).astype(
            np.uint8
        )
    return x0, y0, x0 + w, y0 + h


def _mark(mask: np.ndarray, box: Box, alpha: np.ndarray | None = None) -> None:
    x0, y0, x1, y1 = box
    if alpha is None:
        mask[y0:y1, x0:x1] = 1
    else:
        mask[y0:y1, x0:x1] |= (alpha > 0.05).astype(np.uint8)


def genuine(doc: RenderedDocument) -> Forgery:
    """The document as printed, with an all-zero mask."""
    return Forgery(doc.image.copy(), np.zeros(doc.image.shape[:2], np.uint8))


def _cover_resize(image: np.ndarray, w: int, h: int) -> np.ndarray:
    ih, iw = image.shape[:2]
    scale = max(w / iw, h / ih)
    nw, nh = max(int(np.ceil(iw * scale)), w), max(int(np.ceil(ih * scale)), h)
    resized = cv2.resize(image, (nw, nh), interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    x0, y0 = (nw - w) // 2, max((nh - h) // 3, 0)
    return resized[y0 : y0 + h, x0 : x0 + w]


def _reinhard(source: np.ndarray, target: np.ndarray, strength: float) -> np.ndarray:
    """``source`` with ``target``'s LAB mean and spread (Reinhard colour transfer)."""
    s = cv2.cvtColor(source, cv2.COLOR_RGB2LAB).astype(np.float32)
    t = cv2.cvtColor(target, cv2.COLOR_RGB2LAB).astype(np.float32)
    mu_s, sd_s = s.reshape(-1, 3).mean(0), s.reshape(-1, 3).std(0) + 1e-3
    mu_t, sd_t = t.reshape(-1, 3).mean(0), t.reshape(-1, 3).std(0) + 1e-3
    moved = (s - mu_s) * (sd_t / sd_s) + mu_t
    out = s + strength * (moved - s)
    return cv2.cvtColor(np.clip(out, 0, 255).astype(np.uint8), cv2.COLOR_LAB2RGB)


def portrait_swap(doc: RenderedDocument, donor: np.ndarray, *, rng: np.random.Generator) -> Forgery:
    """Paste ``donor`` (an RGB face crop of another person) over the portrait.

    Raises
    ------
    DocumentError
        ``code="DOC_SYNTH_BAD_ARGUMENT"`` when the side has no portrait slot.
    """
    if doc.photo_box is None:
        raise DocumentError("this document side has no portrait to swap", code=DOC_SYNTH_BAD_ARGUMENT)
    image, mask = doc.image.copy(), np.zeros(doc.image.shape[:2], np.uint8)
    targets = [doc.photo_box]
    if doc.ghost_box is not None and rng.random() < 0.35:
        targets.append(doc.ghost_box)
    mode = ("hard", "feather", "matched")[int(rng.integers(3))]
    for k, box in enumerate(targets):
        x0, y0, x1, y1 = box
        w, h = x1 - x0, y1 - y0
        if rng.random() < 0.5:  # the cut-out rarely matches the slot exactly
            dx, dy = (rng.uniform(-0.04, 0.04, 2) * (w, h)).astype(int)
            dw, dh = (rng.uniform(-0.05, 0.06, 2) * (w, h)).astype(int)
            x0, y0, x1, y1 = _clip_box((x0 + dx, y0 + dy, x1 + dx + dw, y1 + dy + dh), image.shape)
            w, h = x1 - x0, y1 - y0
        face = donor if k == 0 else ghost_of(donor)
        patch = _cover_resize(face, w, h)
        original = image[y0:y1, x0:x1]
        alpha = None
        if mode != "hard":
            alpha = _feather(h, w, rng.uniform(2, max(3.0, 0.06 * min(w, h))))
        if mode == "matched":
            patch = _reinhard(patch, original, rng.uniform(0.5, 1.0))
            light = np.linspace(rng.uniform(0.9, 1.05), rng.uniform(0.95, 1.1), w, dtype=np.float32)[None, :, None]
            patch = np.clip(patch.astype(np.float32) * light, 0, 255).astype(np.uint8)
            if rng.random() < 0.5:
                patch = cv2.GaussianBlur(patch, (0, 0), rng.uniform(0.4, 0.9))
        pasted = _paste(image, patch, x0, y0, alpha)
        _mark(mask, pasted, alpha)
    return Forgery(image, mask)


def _erase(image: np.ndarray, box: Box, avoid: list[Box], rng: np.random.Generator) -> None:
    """Remove what is printed in ``box`` (in place): inpaint, clone the background, or fill."""
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    method = rng.choice(["inpaint", "clone", "fill"], p=[0.5, 0.3, 0.2])
    if method == "clone":
        H, W = image.shape[:2]
        for dy in (-(h + 2), h + 2, -2 * (h + 2), 2 * (h + 2)):
            src = (x0, y0 + dy, x1, y1 + dy)
            if src[1] < 0 or src[3] > H or src[2] > W or any(_overlaps(src, b) for b in avoid):
                continue
            patch = image[src[1] : src[3], src[0] : src[2]].copy()
            _paste(image, patch, x0, y0, _feather(h, w, 2.0))
            return
        method = "inpaint"
    if method == "fill":
        ring = np.concatenate(
            [image[max(y0 - 2, 0) : y0, x0:x1].reshape(-1, 3), image[y1 : y1 + 2, x0:x1].reshape(-1, 3)]
        )
        color = np.median(ring, axis=0) if len(ring) else np.array([235, 235, 235])
        noise = rng.normal(0, 2.0, (h, w, 3))
        image[y0:y1, x0:x1] = np.clip(color + noise, 0, 255).astype(np.uint8)
        return
    m = 8
    cx0, cy0, cx1, cy1 = _grow(box, m, image.shape)
    crop = image[cy0:cy1, cx0:cx1]
    hole = np.zeros(crop.shape[:2], np.uint8)
    hole[y0 - cy0 : y1 - cy0, x0 - cx0 : x1 - cx0] = 255
    flag = cv2.INPAINT_TELEA if rng.random() < 0.5 else cv2.INPAINT_NS
    image[cy0:cy1, cx0:cx1] = cv2.inpaint(crop, hole, 3, flag)


def _near_miss_style(style: TextStyle, book: FontBook, rng: np.random.Generator) -> TextStyle:
    """``style`` with one to three perceptible but small changes."""
    changes = rng.choice(
        ["font", "size", "tracking", "shift", "color", "sharpness"], size=int(rng.integers(1, 4)), replace=False
    )
    out = style
    for change in changes:
        if change == "font":
            options = book.similar(style.font)
            if options:
                font = options[int(rng.integers(len(options)))]
                # A forger matches the printed letter height by eye: keep the cap height.
                out = replace(out, font=font, size=out.size * _cap_height(style.font) / _cap_height(font))
            else:
                out = replace(out, size=out.size * rng.choice([0.92, 1.08]))
        elif change == "size":
            out = replace(out, size=out.size * float(rng.choice([-1, 1]) * rng.uniform(0.04, 0.12) + 1))
        elif change == "tracking":
            out = replace(
                out, tracking=out.tracking + float(rng.choice([-1, 1]) * rng.uniform(0.03, 0.12) * style.size)
            )
        elif change == "shift":
            out = replace(
                out,
                shift=(out.shift[0] + rng.uniform(-4, 4), out.shift[1] + rng.choice([-1, 1]) * rng.uniform(0.8, 2.5)),
            )
        elif change == "color":
            delta = rng.uniform(12, 40) * rng.choice([-1, 1]) * rng.uniform(0.5, 1.0, 3)
            out = replace(out, color=tuple(int(np.clip(c + d, 0, 255)) for c, d in zip(out.color, delta, strict=True)))
        elif rng.random() < 0.5:
            out = replace(out, blur=rng.uniform(0.5, 1.2))
        else:
            out = replace(out, aliased=True)
    return out


def _cap_height(font: FontSpec) -> float:
    top, bottom = load_font(font, 100.0).getbbox("H", anchor="ls")[1::2]
    return max(bottom - top, 1) / 100.0


def _field_weight(f: PrintedField) -> float:
    return 3.0 if any(k in f.slot.key for k in _KEY_FIELDS) else 1.0


def text_edit(
    doc: RenderedDocument,
    *,
    rng: np.random.Generator,
    book: FontBook,
    alternatives: Mapping[str, str] | None = None,
) -> Forgery:
    """Erase one to three printed fields and re-type them with near-miss values and styles.

    ``alternatives`` (another identity's values) sometimes supplies the new value whole.

    Raises
    ------
    DocumentError
        ``code="DOC_SYNTH_BAD_ARGUMENT"`` when nothing is printed on the side.
    """
    printed = [f for f in doc.fields if f.box is not None and f.text.strip()]
    if not printed:
        raise DocumentError("no printed field to edit", code=DOC_SYNTH_BAD_ARGUMENT)
    image, mask = doc.image.copy(), np.zeros(doc.image.shape[:2], np.uint8)
    weights = np.array([_field_weight(f) for f in printed])
    n = min(len(printed), int(rng.choice([1, 2, 3], p=[0.6, 0.3, 0.1])))
    chosen = rng.choice(len(printed), size=n, replace=False, p=weights / weights.sum())
    others = [f.box for f in doc.fields if f.box is not None] + [b for b in (doc.photo_box, doc.ghost_box) if b]
    for i in chosen:
        f = printed[int(i)]
        pad = max(2, round(0.12 * f.style.size))
        region = _grow(f.box, pad, image.shape)  # type: ignore[arg-type]
        _erase(image, region, [b for b in others if b != f.box], rng)
        alt = (alternatives or {}).get(f.slot.key) if f.slot.line == 0 else None
        text = mutate_value(f.text, rng, alternative=alt.replace("\n", " ") if alt else None)
        style = _near_miss_style(f.style, book, rng)
        box = draw_text(image, f.slot, text, style)
        _mark(mask, region)
        if box is not None:
            _mark(mask, _grow(box, 1, image.shape))
    return Forgery(image, mask)


def _rim(patch: np.ndarray) -> np.ndarray:
    """Median colour of a patch's one-pixel border."""
    rim = np.concatenate([patch[0], patch[-1], patch[:, 0], patch[:, -1]]).astype(np.float32)
    return np.median(rim, axis=0)


def _inside_card(doc: RenderedDocument, box: Box) -> bool:
    x0, y0, x1, y1 = box
    return x1 > x0 and y1 > y0 and bool(doc.shape[y0:y1, x0:x1].min() > 250)


def copy_move(doc: RenderedDocument, *, rng: np.random.Generator) -> Forgery:
    """Copy a patch of the page to another place on it (characters, a cover-up, or a region)."""
    image, mask = doc.image.copy(), np.zeros(doc.image.shape[:2], np.uint8)
    H, W = image.shape[:2]
    printed = [f for f in doc.fields if f.box is not None and f.text.strip()]
    fields = [f.box for f in printed]
    mode = rng.choice(["characters", "cover", "region"], p=[0.45, 0.25, 0.3]) if printed else "region"
    for _attempt in range(40):
        if mode == "characters":  # a run of glyphs onto another field or further along its own
            src_field = printed[int(rng.integers(len(printed)))].box
            x0, y0, x1, y1 = src_field  # type: ignore[misc]
            horizontal = (x1 - x0) >= (y1 - y0)
            length = (x1 - x0) if horizontal else (y1 - y0)
            run = max(int(length * rng.uniform(0.2, 0.6)), 4)
            start = int(rng.integers(0, max(length - run, 0) + 1))
            src = (x0 + start, y0, x0 + start + run, y1) if horizontal else (x0, y0 + start, x1, y0 + start + run)
            dst_field = printed[int(rng.integers(len(printed)))].box
            dx0, dy0, dx1, dy1 = dst_field  # type: ignore[misc]
            if horizontal:
                off = int(rng.integers(0, max(dx1 - dx0 - run, 0) + 1))
                dst_xy = (dx0 + off, dy1 - (y1 - y0))
            else:
                off = int(rng.integers(0, max(dy1 - dy0 - run, 0) + 1))
                dst_xy = (dx1 - (x1 - x0), dy0 + off)
        elif mode == "cover":  # background copied over a field to hide it
            target = fields[int(rng.integers(len(fields)))]
            w, h = target[2] - target[0] + 4, target[3] - target[1] + 4  # type: ignore[index]
            sx, sy = int(rng.integers(0, max(W - w, 1))), int(rng.integers(0, max(H - h, 1)))
            src = (sx, sy, sx + w, sy + h)
            if any(_overlaps(src, b) for b in fields):
                continue
            dst_xy = (target[0] - 2, target[1] - 2)  # type: ignore[index]
        else:
            w = int(W * rng.uniform(0.05, 0.18))
            h = int(H * rng.uniform(0.05, 0.18))
            sx, sy = int(rng.integers(0, W - w)), int(rng.integers(0, H - h))
            src = (sx, sy, sx + w, sy + h)
            dst_xy = (int(rng.integers(0, W - w)), int(rng.integers(0, H - h)))
        sw, sh = src[2] - src[0], src[3] - src[1]
        dst = (dst_xy[0], dst_xy[1], dst_xy[0] + sw, dst_xy[1] + sh)
        if sw < 3 or sh < 3 or not (_inside_card(doc, src) and _inside_card(doc, dst)):
            continue
        if min(src[0], src[1], dst[0], dst[1]) < 0 or max(src[2], dst[2]) > W or max(src[3], dst[3]) > H:
            continue  # a patch cut by the image edge
        if abs(dst[0] - src[0]) < sw // 2 and abs(dst[1] - src[1]) < sh // 2:
            continue  # pasting onto itself would forge nothing
        patch = image[src[1] : src[3], src[0] : src[2]].copy()
        under = image[dst[1] : dst[3], dst[0] : dst[2]]
        if np.abs(patch.astype(np.int16) - under).mean() < 3:
            continue  # invisible: a flat patch over flat background
        if np.abs(_rim(patch) - _rim(under)).max() > 28:
            continue  # a forger matches the surroundings: no purple block on white paper
        alpha = _feather(sh, sw, rng.uniform(1.0, 3.0)) if rng.random() < 0.5 else None
        pasted = _paste(image, patch, dst[0], dst[1], alpha)
        _mark(mask, pasted, alpha)
        return Forgery(image, mask)
    # Fallback that always forges: a field's box duplicated at a shifted place.
    box = fields[0] if fields else (W // 4, H // 4, W // 2, H // 2)
    x0, y0, x1, y1 = box
    patch = image[y0:y1, x0:x1].copy()
    nx, ny = min(max(x0 + (x1 - x0) // 2 + 3, 0), W - (x1 - x0)), y0
    pasted = _paste(image, patch, nx, ny)
    _mark(mask, pasted)
    return Forgery(image, mask)


def _moire(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    """(H, W, 3) float32 gain around 1: a screen's RGB stripe grid beating with the camera grid."""
    h, w = shape
    pitch = rng.uniform(2.2, 4.5)
    angle = np.deg2rad(rng.uniform(-6, 6))
    beat = rng.uniform(0.03, 0.12)  # the grid alias: a slow beat of slightly different pitch
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    u = (xs * np.float32(np.cos(angle)) + ys * np.float32(np.sin(angle))) * np.float32(2 * np.pi / pitch)
    v = (ys * np.float32(np.cos(angle)) - xs * np.float32(np.sin(angle))) * np.float32(2 * np.pi / pitch)
    slow = np.float32(beat) * (xs * np.float32(np.cos(angle * 3 + 0.4)) + ys * np.float32(np.sin(angle * 3 + 0.4)))
    depth = rng.uniform(0.06, 0.2)
    rows = 1.0 - np.float32(rng.uniform(0.05, 0.25)) * (0.5 + 0.5 * np.cos(v)) ** 4
    out = np.empty((h, w, 3), np.float32)
    for c in range(3):
        stripe = 0.5 + 0.5 * np.cos(u + np.float32(2 * np.pi * c / 3))
        out[..., c] = 1.0 - depth + depth * 2 * stripe * rows * (0.75 + 0.25 * np.cos(slow))
    return out


def recapture(image: np.ndarray, *, rng: np.random.Generator) -> Forgery:
    """The page shown on a screen and photographed again; mask = the whole page."""
    h, w = image.shape[:2]
    x = image.astype(np.float32) / 255.0
    gamma = rng.uniform(0.75, 1.35)
    black, white = rng.uniform(0.02, 0.12), rng.uniform(0.8, 0.98)
    temperature = rng.uniform(-1.0, 1.0)
    tint = np.array([1.0 - 0.07 * temperature, 1.0, 1.0 + 0.09 * temperature], np.float32)
    x = black + (white - black) * np.power(np.clip(x, 0, 1), gamma) * (tint / tint.max())
    x = x * _moire(rng, (h, w))
    if rng.random() < 0.7:  # specular glare of the glass
        cy, cx = rng.uniform(0, h), rng.uniform(0, w)
        sy, sx = rng.uniform(0.1, 0.4) * h, rng.uniform(0.1, 0.4) * w
        ys, xs = np.ogrid[0:h, 0:w]
        glare = np.exp(-(((ys - cy) / sy) ** 2 + ((xs - cx) / sx) ** 2)).astype(np.float32)
        x = x + rng.uniform(0.1, 0.45) * glare[..., None]
    if rng.random() < 0.4:  # rolling refresh band
        rows = np.arange(h, dtype=np.float32)[:, None, None]
        x = x * (1.0 - rng.uniform(0.02, 0.08) * (0.5 + 0.5 * np.cos(2 * np.pi * rows / rng.uniform(h / 3, h * 1.5))))
    out = np.clip(x * 255.0 + 0.5, 0, 255).astype(np.uint8)
    out = cv2.GaussianBlur(out, (0, 0), rng.uniform(0.5, 1.3))
    return Forgery(out, np.ones((h, w), np.uint8))


def photocopy(image: np.ndarray, *, rng: np.random.Generator) -> Forgery:
    """A grey print-out or photocopy of the page; mask = the whole page."""
    h, w = image.shape[:2]
    grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).astype(np.float32) / 255.0
    black, white = rng.uniform(0.05, 0.3), rng.uniform(0.65, 0.92)  # copiers crush both ends
    grey = np.clip((grey - black) / (white - black), 0, 1) ** rng.uniform(0.8, 1.4)
    if rng.random() < 0.6:  # halftone screen, partly resolved
        pitch = rng.uniform(2.5, 4.5)
        angle = np.deg2rad(rng.choice([45.0, 15.0, 75.0]) + rng.uniform(-3, 3))
        ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
        u = (xs * np.float32(np.cos(angle)) + ys * np.float32(np.sin(angle))) * np.float32(2 * np.pi / pitch)
        v = (ys * np.float32(np.cos(angle)) - xs * np.float32(np.sin(angle))) * np.float32(2 * np.pi / pitch)
        screen = 0.5 + 0.25 * (np.cos(u) + np.cos(v))
        dots = ((1.0 - grey) > screen).astype(np.float32)
        dots = cv2.GaussianBlur(1.0 - dots, (0, 0), 0.6)
        grey = grey + rng.uniform(0.4, 0.8) * (dots - grey)
    else:  # ordered dither of a coarse toner
        bayer = np.array([[0, 8, 2, 10], [12, 4, 14, 6], [3, 11, 1, 9], [15, 7, 13, 5]], np.float32) / 16.0
        tiles = np.tile(bayer, (h // 4 + 1, w // 4 + 1))[:h, :w]
        dither = (grey > tiles).astype(np.float32)
        grey = grey + rng.uniform(0.2, 0.5) * (cv2.GaussianBlur(dither, (0, 0), 0.7) - grey)
    speckle = rng.random((h, w)) < rng.uniform(0.0005, 0.004)
    grey[speckle] *= rng.uniform(0.0, 0.4)
    paper = cv2.resize(
        rng.normal(0, 1, (h // 16 + 1, w // 16 + 1)).astype(np.float32), (w, h), interpolation=cv2.INTER_CUBIC
    )
    grey = grey * (1.0 + rng.uniform(0.01, 0.04) * paper) + rng.normal(0, 0.015, (h, w)).astype(np.float32)
    if rng.random() < 0.5:  # drum / scan banding
        rows = np.arange(h, dtype=np.float32)[:, None]
        grey = grey * (1.0 + rng.uniform(0.01, 0.05) * np.sin(2 * np.pi * rows / rng.uniform(8.0, 60.0)))
    tint = np.array([1.0, rng.uniform(0.97, 1.0), rng.uniform(0.92, 1.0)], np.float32)  # paper white
    rgb = np.clip(grey[..., None] * tint * 255.0 + 0.5, 0, 255).astype(np.uint8)
    rgb = cv2.GaussianBlur(rgb, (0, 0), rng.uniform(0.3, 0.9))
    return Forgery(rgb, np.ones((h, w), np.uint8))
