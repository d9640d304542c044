"""A flat document photographed with a phone (or scanned): background, pose, light, camera.

:func:`capture_document` places the card on a synthetic background (wood, cloth, newspaper-
like printed paper, a plain desk, a gradient, or cluttered objects), under a random
perspective, rotation and scale (the card covering about 25-95 % of the frame, or the whole
frame as in a flat scan), then adds a drop shadow, a lighting gradient, sometimes a cast
shadow or glare, white balance or a grey, washed-out light, defocus or motion blur, sensor
noise and a JPEG round trip at a random quality.

Genuine and forged documents must go through this same distribution: the capture depends on
the random generator only, never on the forgery, so a detector cannot learn capture cues.
"""

from __future__ import annotations

import math

import cv2
import numpy as np
from PIL import Image, ImageDraw

from liveness.errors import DocumentError
from training.documents.fonts import FontSpec, load_font, matplotlib_font_dir
from training.documents.templates import DOC_SYNTH_BAD_ARGUMENT

__all__ = ["BACKGROUNDS", "SCAN_BEDS", "capture_document", "scan_document", "synth_background"]

BACKGROUNDS = ("wood", "cloth", "newspaper", "desk", "gradient", "clutter")
DEFAULT_FRAME = (720, 960)  # (height, width), landscape; portrait frames swap it
# A flatbed scan (scan_document): an A4 page (mm) at SCAN_DPI, on the closed white lid, the
# open lid's dark view of the room, or a grey mat; cards and data pages at their ISO sizes.
A4_MM = (210.0, 297.0)
SCAN_DPI = (100.0, 200.0)
SCAN_BEDS = ("lid", "open", "mat")
ID1_MM, TD3_MM = (85.6, 53.98), (125.0, 88.0)
_LETTERS = "abcdefghijklmnopqrstuvwxyzaeiouaeioun"


def _smooth(rng: np.random.Generator, shape: tuple[int, int], cells: tuple[int, int]) -> np.ndarray:
    """Unit-ish smooth noise of ``shape`` from a ``cells`` grid, float32."""
    coarse = rng.standard_normal((max(cells[0], 2), max(cells[1], 2))).astype(np.float32)
    return cv2.resize(coarse, (shape[1], shape[0]), interpolation=cv2.INTER_CUBIC)


def _wood(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    angle = rng.uniform(0, np.pi)
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    t = xs * np.float32(math.cos(angle)) + ys * np.float32(math.sin(angle))
    warp = _smooth(rng, (h, w), (3, 3)) * np.float32(rng.uniform(10, 40))
    rings = 0.5 + 0.5 * np.sin((t + warp) * np.float32(2 * np.pi / rng.uniform(12, 45)))
    grain = cv2.resize(rng.standard_normal((4, w // 2 + 1)).astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR)
    if abs(math.cos(angle)) > 0.7:
        grain = cv2.resize(
            rng.standard_normal((h // 2 + 1, 4)).astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR
        )
    base = np.array(
        [(150, 100, 60), (190, 150, 105), (110, 70, 40), (210, 180, 140), (90, 60, 45)][int(rng.integers(5))],
        np.float32,
    )
    shade = 0.78 + 0.18 * rings + 0.04 * grain
    return base * shade[..., None]


def _cloth(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    pitch = rng.uniform(2.5, 7.0)
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    k = np.float32(2 * np.pi / pitch)
    weave = 0.5 + 0.25 * (np.sin(xs * k) * np.sign(np.sin(ys * k * 0.5)) + np.sin(ys * k))
    color = rng.uniform(30, 220, 3).astype(np.float32)
    shade = 0.85 + 0.12 * weave + 0.06 * _smooth(rng, (h, w), (6, 6))
    return color * shade[..., None]


def _newspaper(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    paper = np.array([rng.uniform(215, 250), rng.uniform(210, 245), rng.uniform(190, 235)])
    canvas = Image.new("RGB", (w, h), tuple(int(c) for c in paper))
    draw = ImageDraw.Draw(canvas)
    body = load_font(FontSpec(str(matplotlib_font_dir() / "DejaVuSerif.ttf")), rng.uniform(9, 16))
    head = load_font(FontSpec(str(matplotlib_font_dir() / "DejaVuSans-Bold.ttf")), rng.uniform(22, 44))
    ink = int(rng.uniform(10, 70))
    n_cols = int(rng.integers(2, 6))
    col_w = w / n_cols
    for c in range(n_cols):
        x0 = int(c * col_w + 6)
        y = int(rng.uniform(-10, 30))
        while y < h:
            r = rng.random()
            if r < 0.08:  # headline
                words = " ".join("".join(rng.choice(list(_LETTERS), int(rng.integers(3, 9)))) for _ in range(3)).title()
                draw.text((x0, y), words, font=head, fill=(ink, ink, ink))
                y += int(head.size * 1.3)
            elif r < 0.12:  # photo block
                bh = int(rng.uniform(40, 140))
                tone = tuple(int(v) for v in rng.uniform(60, 200, 3))
                draw.rectangle((x0, y, int(x0 + col_w - 14), y + bh), fill=tone)
                y += bh + 8
            else:
                n_chars = int(col_w / (body.size * 0.55))
                line = "".join(rng.choice(list(_LETTERS + "    "), n_chars))
                draw.text((x0, y), line, font=body, fill=(ink, ink, ink))
                y += int(body.size * 1.35)
    out = np.asarray(canvas).astype(np.float32)
    if rng.random() < 0.5:  # not lying square to the camera
        m = cv2.getRotationMatrix2D((w / 2, h / 2), rng.uniform(-25, 25), rng.uniform(1.0, 1.4))
        out = cv2.warpAffine(out, m, (w, h), borderMode=cv2.BORDER_REFLECT)
    return out


def _desk(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    color = rng.uniform(20, 240, 3).astype(np.float32)
    return color * (1.0 + 0.04 * _smooth(rng, (h, w), (5, 5)))[..., None]


def _gradient(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    a, b = rng.uniform(20, 240, 3), rng.uniform(20, 240, 3)
    angle = rng.uniform(0, 2 * np.pi)
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    t = (xs / w - 0.5) * np.float32(math.cos(angle)) + (ys / h - 0.5) * np.float32(math.sin(angle)) + 0.5
    t = np.clip(t, 0, 1)[..., None]
    return (a * (1 - t) + b * t).astype(np.float32)


def _clutter(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    canvas = Image.fromarray(np.clip(_desk(rng, h, w), 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(canvas)
    for _ in range(int(rng.integers(4, 14))):
        x0, y0 = rng.uniform(-0.2, 1.0) * w, rng.uniform(-0.2, 1.0) * h
        x1, y1 = x0 + rng.uniform(0.05, 0.5) * w, y0 + rng.uniform(0.05, 0.5) * h
        fill = tuple(int(v) for v in rng.uniform(0, 255, 3))
        if rng.random() < 0.5:
            draw.rectangle((x0, y0, x1, y1), fill=fill)
        else:
            draw.ellipse((x0, y0, x1, y1), fill=fill)
    return cv2.GaussianBlur(np.asarray(canvas).astype(np.float32), (0, 0), rng.uniform(0.5, 3.0))


_MAKERS = {
    "wood": _wood,
    "cloth": _cloth,
    "newspaper": _newspaper,
    "desk": _desk,
    "gradient": _gradient,
    "clutter": _clutter,
}


def synth_background(rng: np.random.Generator, shape: tuple[int, int], kind: str | None = None) -> np.ndarray:
    """A (H, W, 3) float32 background in [0, 255] of one of :data:`BACKGROUNDS` (random if None)."""
    if kind is None:
        kind = BACKGROUNDS[int(rng.choice(len(BACKGROUNDS), p=[0.18, 0.14, 0.22, 0.2, 0.1, 0.16]))]
    if kind not in _MAKERS:
        raise DocumentError(f"unknown background {kind!r}; known: {BACKGROUNDS}", code=DOC_SYNTH_BAD_ARGUMENT)
    return np.clip(_MAKERS[kind](rng, *shape), 0, 255).astype(np.float32)


def _place(rng: np.random.Generator, doc_hw: tuple[int, int], frame_hw: tuple[int, int]) -> np.ndarray:
    """The card's corners (TL, TR, BR, BL) in the frame: scale, rotation, perspective, position."""
    dh, dw = doc_hw
    fh, fw = frame_hw
    coverage = rng.uniform(0.25, 0.95)
    r = rng.random()
    angle = rng.uniform(-12, 12) if r < 0.8 else (rng.uniform(-100, -80) if r < 0.9 else rng.uniform(80, 100))
    if rng.random() < 0.04:
        angle += 180
    a = math.radians(angle)
    rot = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    rect = np.array([[-dw / 2, -dh / 2], [dw / 2, -dh / 2], [dw / 2, dh / 2], [-dw / 2, dh / 2]])
    tilt = rng.uniform(0, 0.09)
    corners = rect @ rot.T + rng.uniform(-tilt, tilt, (4, 2)) * (dw, dh) @ rot.T
    scale = math.sqrt(coverage * fh * fw / (dw * dh))
    corners = corners * scale
    span = corners.max(0) - corners.min(0)
    fit = min(1.0, (fw - 4) / span[0], (fh - 4) / span[1])
    corners = corners * fit
    span = corners.max(0) - corners.min(0)
    low = -corners.min(0) + 2
    high = np.array([fw, fh]) - corners.max(0) - 2
    offset = low + rng.uniform(0, 1, 2) * np.maximum(high - low, 0)
    return (corners + offset).astype(np.float32)


def _scan_place(rng: np.random.Generator, doc_hw: tuple[int, int], frame_hw: tuple[int, int]) -> np.ndarray:
    dh, dw = doc_hw
    fh, fw = frame_hw
    margin = rng.uniform(0.0, 0.03)
    scale = min(fw * (1 - 2 * margin) / dw, fh * (1 - 2 * margin) / dh)
    a = math.radians(rng.uniform(-1.5, 1.5))
    rot = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    rect = np.array([[-dw / 2, -dh / 2], [dw / 2, -dh / 2], [dw / 2, dh / 2], [-dw / 2, dh / 2]]) * scale * 0.985
    corners = rect @ rot.T + (fw / 2, fh / 2)
    return np.clip(corners, 0.5, (fw - 0.5, fh - 0.5)).astype(np.float32)


def capture_document(
    document: np.ndarray,
    *,
    rng: np.random.Generator,
    shape: np.ndarray | None = None,
    frame_size: tuple[int, int] | None = None,
    background: np.ndarray | None = None,
    quad: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Photograph (or scan) a flat document.

    Parameters
    ----------
    document : numpy.ndarray
        (H, W, 3) RGB uint8 flat document.
    rng : numpy.random.Generator
        The only source of randomness: same state, same capture.
    shape : numpy.ndarray, optional
        (H, W) uint8 alpha of the card (rounded corners); opaque when omitted.
    frame_size : (int, int), optional
        (height, width) of the picture; default 720x960, portrait 960x720 a third of the time,
        and the document's own aspect for a flat scan.
    background : numpy.ndarray, optional
        (height, width, 3) float32 background in [0, 255] of the frame size (needs
        ``frame_size``); a synthetic one of :data:`BACKGROUNDS` when omitted.
    quad : numpy.ndarray, optional
        (4, 2) corners TL, TR, BR, BL where the document lands (may lie outside the frame;
        needs ``frame_size``); a random hand-held placement when omitted.

    Returns
    -------
    image : numpy.ndarray
        (h, w, 3) RGB uint8 capture.
    quad : numpy.ndarray
        (4, 2) float32 corners TL, TR, BR, BL of the document in ``image`` pixels.

    Raises
    ------
    DocumentError
        ``code="DOC_SYNTH_BAD_ARGUMENT"`` for a document that is not RGB uint8 or a
        ``shape`` of another size.

    Examples
    --------
    >>> doc = np.full((100, 160, 3), 200, np.uint8)
    >>> image, quad = capture_document(doc, rng=np.random.default_rng(0), frame_size=(120, 160))
    >>> image.shape, quad.shape, bool((quad >= 0).all() and (quad[:, 0] <= 160).all())
    ((120, 160, 3), (4, 2), True)
    """
    shape = _flat_document(document, shape)
    dh, dw = document.shape[:2]
    if (background is not None or quad is not None) and frame_size is None:
        raise DocumentError("a given background or quad needs frame_size", code=DOC_SYNTH_BAD_ARGUMENT)
    if background is not None and background.shape != (int(frame_size[0]), int(frame_size[1]), 3):
        raise DocumentError(f"background {background.shape} does not match the frame {frame_size}",
                            code=DOC_SYNTH_BAD_ARGUMENT)
    scan = frame_size is None and rng.random() < 0.1
    if frame_size is None:
        if scan:
            frame_size = (round(DEFAULT_FRAME[1] * dh / dw), DEFAULT_FRAME[1])
        else:
            frame_size = DEFAULT_FRAME if rng.random() < 0.67 else (DEFAULT_FRAME[1], DEFAULT_FRAME[0])
    fh, fw = int(frame_size[0]), int(frame_size[1])
    if background is None:
        background = synth_background(rng, (fh, fw), "desk" if scan and rng.random() < 0.7 else None)
    else:
        background = background.astype(np.float32)
    if quad is None:
        quad = _scan_place(rng, (dh, dw), (fh, fw)) if scan else _place(rng, (dh, dw), (fh, fw))
    else:
        quad = np.asarray(quad, np.float32).reshape(4, 2)
    warped, alpha = _warp_onto(document, shape, quad, (fh, fw))
    alpha = alpha[..., None]
    if not scan:  # drop shadow of the card's thickness
        shift = np.float32([[1, 0, rng.uniform(-6, 6)], [0, 1, rng.uniform(0, 8)]])
        shadow = cv2.warpAffine(alpha[..., 0], shift, (fw, fh))
        shadow = cv2.GaussianBlur(shadow, (0, 0), rng.uniform(2, 8))[..., None]
        background = background * (1.0 - rng.uniform(0.15, 0.5) * shadow)
    image = background * (1.0 - alpha) + warped * alpha
    # Light: a smooth gradient, sometimes a cast shadow or a glare spot.
    ys, xs = np.mgrid[0:fh, 0:fw].astype(np.float32)
    g = rng.uniform(-0.25, 0.25, 2)
    light = 1.0 + g[0] * (xs / fw - 0.5) + g[1] * (ys / fh - 0.5)
    cy, cx = rng.uniform(0, fh), rng.uniform(0, fw)
    light -= rng.uniform(0.0, 0.25) * (((xs - cx) / fw) ** 2 + ((ys - cy) / fh) ** 2)
    if rng.random() < 0.25:
        blob = np.zeros((fh, fw), np.float32)
        center = (int(rng.uniform(0, fw)), int(rng.uniform(0, fh)))
        axes = (int(rng.uniform(0.15, 0.5) * fw), int(rng.uniform(0.1, 0.4) * fh))
        cv2.ellipse(blob, center, axes, rng.uniform(0, 180), 0, 360, 1.0, -1)
        blob = cv2.GaussianBlur(blob, (0, 0), rng.uniform(5, 40))
        light *= 1.0 - rng.uniform(0.2, 0.5) * blob
    image = image * light[..., None]
    if rng.random() < 0.15:
        gy, gx = rng.uniform(0, fh), rng.uniform(0, fw)
        spot = np.exp(-(((ys - gy) / (0.08 * fh)) ** 2 + ((xs - gx) / (0.12 * fw)) ** 2))
        image = image + rng.uniform(60, 160) * (spot * alpha[..., 0])[..., None]
    # Camera: white balance, sometimes a grey washed-out light (not only photocopies are grey).
    image = image * rng.uniform(0.9, 1.1, 3).astype(np.float32)
    if rng.random() < 0.15:
        grey = image.mean(axis=2, keepdims=True)
        image = grey + rng.uniform(0.1, 0.5) * (image - grey)
    image = np.clip(image, 0, 255).astype(np.uint8)
    r = rng.random()
    if r < 0.45:
        image = cv2.GaussianBlur(image, (0, 0), rng.uniform(0.3, 1.6))
    elif r < 0.6:
        length = int(rng.integers(3, 10))
        kernel = np.zeros((length, length), np.float32)
        kernel[length // 2, :] = 1.0 / length
        rot = cv2.getRotationMatrix2D((length / 2 - 0.5, length / 2 - 0.5), rng.uniform(0, 180), 1.0)
        kernel = cv2.warpAffine(kernel, rot, (length, length))
        image = cv2.filter2D(image, -1, kernel / max(kernel.sum(), 1e-6))
    noise = rng.standard_normal((fh, fw, 3), dtype=np.float32) * np.float32(rng.uniform(1.0, 6.0))
    image = np.clip(image.astype(np.float32) + noise, 0, 255).astype(np.uint8)
    ok, buf = cv2.imencode(".jpg", image[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(45, 96))])
    if ok:
        image = cv2.imdecode(buf, cv2.IMREAD_COLOR)[..., ::-1]
    return np.ascontiguousarray(image), quad


def _scan_bed(rng: np.random.Generator, kind: str, h: int, w: int) -> np.ndarray:
    """The page around the document: even white, a dim room seen through the open lid, or grey."""
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    g = rng.uniform(-1.0, 1.0, 2)
    if kind == "lid":
        level, ramp = rng.uniform(228, 250), rng.uniform(0, 4)
    elif kind == "open":
        level, ramp = rng.uniform(12, 45), rng.uniform(0, 14)
    else:
        level, ramp = rng.uniform(150, 205), rng.uniform(0, 6)
    bed = level + ramp * (g[0] * (xs / w - 0.5) + g[1] * (ys / h - 0.5))
    tint = rng.uniform(-3, 3, 3).astype(np.float32)
    return np.repeat(bed[..., None], 3, axis=2) + tint


def _flat_document(document: np.ndarray, shape: np.ndarray | None) -> np.ndarray:
    """The card's alpha for ``document`` (opaque when None), checking both."""
    if (
        not isinstance(document, np.ndarray)
        or document.ndim != 3
        or document.shape[2] != 3
        or document.dtype != np.uint8
    ):
        raise DocumentError("document must be an RGB uint8 (H, W, 3) array", code=DOC_SYNTH_BAD_ARGUMENT)
    dh, dw = document.shape[:2]
    if shape is None:
        return np.full((dh, dw), 255, np.uint8)
    if shape.shape != (dh, dw):
        raise DocumentError(f"shape {shape.shape} does not match the document {(dh, dw)}", code=DOC_SYNTH_BAD_ARGUMENT)
    return shape


def _laid_on_glass(document: np.ndarray, px_per_mm: float, turned: bool, rng: np.random.Generator) -> np.ndarray:
    """A document's corners (rows: its own TL, TR, BR, BL) at its ISO size, centred on 0,
    turned a quarter when ``turned`` and up to 4 degrees either way."""
    dh, dw = document.shape[:2]
    size_mm = TD3_MM if max(dw, dh) / min(dw, dh) < 1.5 else ID1_MM
    scale = size_mm[0] * px_per_mm / max(dw, dh)
    a = math.radians(rng.uniform(-4, 4))
    rot = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    rect = np.array([[-dw / 2, -dh / 2], [dw / 2, -dh / 2], [dw / 2, dh / 2], [-dw / 2, dh / 2]]) * scale
    if turned:
        rect = rect @ np.array([[0.0, -1.0], [1.0, 0.0]])
    return rect @ rot.T


def _warp_onto(
    document: np.ndarray, shape: np.ndarray, quad: np.ndarray, frame_hw: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray]:
    """``document`` and its alpha warped onto ``quad`` of a frame, shrunk with area averaging
    first (the warp alone would alias fine print)."""
    dh, dw = document.shape[:2]
    scale = math.sqrt(cv2.contourArea(quad.astype(np.float32)) / float(dh * dw))
    if scale < 0.7:
        size = (max(int(dw * scale * 1.25), 8), max(int(dh * scale * 1.25), 8))
        document = cv2.resize(document, size, interpolation=cv2.INTER_AREA)
        shape = cv2.resize(shape, size, interpolation=cv2.INTER_AREA)
        dh, dw = document.shape[:2]
    src = np.float32([[0, 0], [dw, 0], [dw, dh], [0, dh]])
    matrix = cv2.getPerspectiveTransform(src, quad.astype(np.float32))
    fh, fw = frame_hw
    warped = cv2.warpPerspective(document, matrix, (fw, fh), flags=cv2.INTER_LINEAR).astype(np.float32)
    alpha = cv2.warpPerspective(shape, matrix, (fw, fh), flags=cv2.INTER_LINEAR).astype(np.float32) / 255.0
    return warped, alpha


def scan_document(
    document: np.ndarray,
    *,
    rng: np.random.Generator,
    shape: np.ndarray | None = None,
    beside: tuple[np.ndarray, np.ndarray | None] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """A flat document laid on a flatbed scanner and scanned as a whole A4 page.

    The page is portrait or landscape, 100-200 dpi; the document (an ID-1 card, or a TD3 data
    page when it is under 1.5:1) is laid in a corner of the glass half of the time, else
    anywhere, turned up to 4 degrees, on one of :data:`SCAN_BEDS`; the card's edge casts a thin
    shadow under the lid; the scanner blurs a little, adds little noise and saves a JPEG.
    ``beside`` (another document and its alpha: the card's other side) is laid next to it,
    5-40 mm away along the page's long side, as people copy an ID's front and back on one page.
    Returns (image, quad of ``document``) like :func:`capture_document`.

    Examples
    --------
    >>> doc = np.full((270, 428, 3), 120, np.uint8)
    >>> image, quad = scan_document(doc, rng=np.random.default_rng(0))
    >>> quad.shape, bool((quad >= 0).all() and (quad[:, 0] <= image.shape[1]).all())
    ((4, 2), True)
    """
    shape = _flat_document(document, shape)
    docs = [(document, shape)]
    if beside is not None:
        docs.append((beside[0], _flat_document(beside[0], beside[1])))
    px_per_mm = rng.uniform(*SCAN_DPI) / 25.4
    short, long = round(A4_MM[0] * px_per_mm), round(A4_MM[1] * px_per_mm)
    fh, fw = (short, long) if rng.random() < 0.5 else (long, short)
    turned = rng.random() < 0.2  # laid upright on a landscape page, or across a portrait one
    laid = [_laid_on_glass(doc, px_per_mm, turned, rng) for doc, _ in docs]
    if len(laid) == 2:
        along = 0 if fw >= fh else 1  # side by side on a landscape page, one above the other on a portrait one
        gap = rng.uniform(5, 40) * px_per_mm
        step = laid[0][:, along].max() - laid[1][:, along].min() + gap
        laid[1] = laid[1] + np.eye(2)[along] * step
    group = np.concatenate(laid)
    low, high = -group.min(0), np.array([fw, fh]) - group.max(0)
    if rng.random() < 0.5:  # against a corner of the glass, a few mm off its edges
        margin = rng.uniform(2, 10, 2) * px_per_mm
        corner = rng.integers(0, 2, 2)
        offset = np.where(corner == 0, low + margin, high - margin)
    else:
        offset = low + rng.uniform(0.05, 0.95, 2) * np.maximum(high - low, 0)
    quads = [(corners + offset).astype(np.float32) for corners in laid]
    kind = SCAN_BEDS[int(rng.integers(len(SCAN_BEDS)))]
    image = _scan_bed(rng, kind, fh, fw)
    shadow_shift = np.float32([[1, 0, rng.uniform(-2, 2)], [0, 1, rng.uniform(-2, 2)]])
    shadow_blur, shadow_depth = rng.uniform(0.8, 2.0), rng.uniform(0.1, 0.4)
    for (doc, doc_shape), quad in zip(docs, quads, strict=True):
        warped, alpha = _warp_onto(doc, doc_shape, quad, (fh, fw))
        if kind != "open":  # under the lid, the card's edge shades a line of the lid beside it
            rim = cv2.GaussianBlur(cv2.warpAffine(alpha, shadow_shift, (fw, fh)), (0, 0), shadow_blur)
            image = image * (1.0 - shadow_depth * rim[..., None])
        image = image * (1.0 - alpha[..., None]) + warped * alpha[..., None]
    image = cv2.GaussianBlur(np.clip(image, 0, 255), (0, 0), rng.uniform(0.3, 0.8))
    image = image + rng.standard_normal(image.shape, dtype=np.float32) * np.float32(rng.uniform(0.5, 2.5))
    image = np.clip(image, 0, 255).astype(np.uint8)
    ok, buf = cv2.imencode(".jpg", image[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(70, 96))])
    if ok:
        image = cv2.imdecode(buf, cv2.IMREAD_COLOR)[..., ::-1]
    return np.ascontiguousarray(image), quads[0]
