"""Document images the tests make themselves: an ID-1-shaped card and a desk scene."""

from __future__ import annotations

import base64
import gzip
import io
import json
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw

# a card in mild perspective in a 640x480 frame (TL, TR, BR, BL)
TILTED = np.array([[120, 100], [530, 80], [560, 360], [100, 390]], dtype=np.float32)


def make_card(width: int = 856, height: int = 540, *, seed: int = 0) -> np.ndarray:
    """An ID-1-shaped card: pale body, header band, portrait panel, text lines, an MRZ line."""
    rng = np.random.default_rng(seed)
    card = Image.new("RGB", (width, height), (205, 218, 232))
    draw = ImageDraw.Draw(card)
    draw.rectangle([0, 0, width, 60], fill=(120, 160, 210))
    draw.rectangle([30, 90, 250, 380], fill=(200, 180, 160))
    draw.ellipse([80, 130, 200, 270], fill=(120, 90, 70))
    for line in range(9):
        top = 100 + line * 42
        draw.rectangle([290, top, 290 + int(rng.integers(200, 520)), top + 18], fill=(240, 240, 235))
        draw.text((300, top + 2), "SPECIMEN 0123456789 ABCDEFG", fill=(10, 10, 10))
    draw.text((40, 470), "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", fill=(0, 0, 0))
    return np.asarray(card)


def card_with_portrait() -> np.ndarray:
    """The fixture card with a real face in its portrait panel (the upright reference)."""
    from tests.face_fixtures import portrait

    card = make_card().copy()
    face = cv2.resize(portrait()[40:560, 60:460], (220, 290), interpolation=cv2.INTER_AREA)
    card[90:380, 30:250] = face
    return card


GHOST_SLOT = (720, 300, 800, 405)  # x0, y0, x1, y1 on the fixture card, right of the text


def card_with_ghost(ghost_source: np.ndarray | None = None) -> np.ndarray:
    """:func:`card_with_portrait` with a ghost image: a small, pale grey copy of the portrait
    (or of ``ghost_source``, an RGB face photo, for a ghost that does not match)."""
    card = card_with_portrait()
    source = card[90:380, 30:250] if ghost_source is None else ghost_source
    x0, y0, x1, y1 = GHOST_SLOT
    grey = cv2.cvtColor(cv2.resize(source, (x1 - x0, y1 - y0), interpolation=cv2.INTER_AREA), cv2.COLOR_RGB2GRAY)
    pale = 255.0 - 0.5 * (255.0 - grey.astype(np.float64))
    card[y0:y1, x0:x1] = np.repeat(pale.astype(np.uint8)[..., None], 3, axis=2)
    return card


def make_scene(
    document: np.ndarray, corners: np.ndarray, size: tuple[int, int] = (640, 480), *, seed: int = 1
) -> np.ndarray:
    """``document`` warped onto ``corners`` of a dark, blotchy desk-like background with sensor noise."""
    rng = np.random.default_rng(seed)
    width, height = size
    blotches = rng.integers(10, 90, (height // 16, width // 16, 3)).astype(np.uint8)
    background = cv2.GaussianBlur(cv2.resize(blotches, (width, height), interpolation=cv2.INTER_CUBIC), (0, 0), 3)
    doc_h, doc_w = document.shape[:2]
    source = np.float32([[0, 0], [doc_w, 0], [doc_w, doc_h], [0, doc_h]])
    matrix = cv2.getPerspectiveTransform(source, np.float32(corners))
    warped = cv2.warpPerspective(document, matrix, (width, height))
    mask = cv2.warpPerspective(np.full((doc_h, doc_w), 255, np.uint8), matrix, (width, height))
    scene = np.where(mask[..., None] > 127, warped, background).astype(np.float64)
    return np.clip(scene + rng.normal(0, 2.0, scene.shape), 0, 255).astype(np.uint8)


def png_bytes(image: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="PNG")
    return buffer.getvalue()


# A calibration that leaves the forgery log-odds as they are, with round thresholds.
TEST_CALIBRATION = {
    "features": ["forgery_logit"],
    "mean": [0.0],
    "std": [1.0],
    "coef": [1.0],
    "intercept": 0.0,
    "thresholds": {"bpcer_1": 0.9, "bpcer_5": 0.7},
}


def add_untrained_doc_model(folder: Path) -> dict:
    """Export an untrained (seeded) doc_forgery model into ``folder`` and add it to the
    folder's manifest (created when absent); returns its manifest entry. Needs torch."""
    import torch

    from training.documents.pipeline import MODEL, manifest_extra
    from training.export import export_entry
    from training.models.registry import create_model

    torch.manual_seed(0)
    model = create_model(MODEL, width=8).eval()
    entry = export_entry(
        model, MODEL, folder, version="test", kind="document_forgery", training_data={}, metrics={},
        extra=manifest_extra(TEST_CALIBRATION),
    )
    path = folder / "manifest.json"
    manifest = json.loads(path.read_text()) if path.exists() else {"schema": 1, "models": {}}
    manifest["models"][MODEL] = entry
    path.write_text(json.dumps(manifest, indent=2))
    return entry


# The shipped kind of calibration: the page's forgery log-odds and the portrait's swap
# log-odds, both as they are.
JOINT_TEST_CALIBRATION = {
    "features": ["forgery_logit", "portrait_logit", "ghost_similarity"],
    "mean": [0.0, 0.0, 0.8],
    "std": [1.0, 1.0, 0.1],
    "coef": [1.0, 1.0, -1.0],
    "intercept": 0.0,
    "thresholds": {"bpcer_1": 0.9, "bpcer_5": 0.7},
}


def add_untrained_portrait_model(folder: Path) -> dict:
    """Export an untrained doc_portrait model into ``folder``'s manifest and switch its
    doc_forgery calibration to :data:`JOINT_TEST_CALIBRATION` (call after
    :func:`add_untrained_doc_model`); returns the portrait entry. Needs torch."""
    import torch

    from training.documents.pipeline import PORTRAIT_MODEL
    from training.export import export_entry
    from training.models.registry import create_model

    torch.manual_seed(1)
    model = create_model(PORTRAIT_MODEL, width=8).eval()
    entry = export_entry(
        model, PORTRAIT_MODEL, folder, version="test", kind="document_portrait", training_data={}, metrics={}
    )
    path = folder / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["models"][PORTRAIT_MODEL] = entry
    manifest["models"]["doc_forgery"]["calibration"] = JOINT_TEST_CALIBRATION
    path.write_text(json.dumps(manifest, indent=2))
    return entry


def _png_data_uri(value: int) -> str:
    buf = io.BytesIO()
    Image.new("RGB", (22, 28), (value, value, value)).save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


# An ID-1 card: background gradient and guilloche lines, labels, five fields, an MRZ and a
# portrait slot with a security line printed over it.
TEMPLATE_SVG = f"""<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"
     viewBox="0 0 242.65 153.01">
  <defs>
    <style>.lbl {{ fill: #2a5d8f; font-family: 'DejaVu Sans'; font-size: 4px; }}
      .val {{ fill: #1d1d1b; font-family: 'DejaVuSans-Bold', 'DejaVu Sans'; font-size: 7px; font-weight: 700; }}
      .mrz {{ fill: #111; font-family: 'DejaVu Sans Mono'; font-size: 9px; }}</style>
    <linearGradient id="bg">
      <stop offset="0" stop-color="#f3e6c8"/><stop offset="1" stop-color="#c9e0f0"/>
    </linearGradient>
  </defs>
  <rect width="242.65" height="153.01" rx="9" fill="url(#bg)"/>
  <path d="M0,40 C60,10 120,70 242,30 M0,80 C60,50 120,110 242,70 M0,120 C60,90 120,150 242,110"
        stroke="#d9a441" stroke-width="0.5" fill="none"/>
  <text class="lbl" transform="translate(8 12)">REPUBLIC OF TESTLAND - IDENTITY CARD</text>
  <image id="photo_image" x="10" y="24" width="62" height="80" preserveAspectRatio="none"
         xlink:href="{_png_data_uri(128)}"/>
  <path d="M8,60 L78,40" stroke="#b04a4a" stroke-width="0.6"/>
  <text class="lbl" transform="translate(82 26)">SURNAME</text>
  <text id="family_name_field" class="val" transform="translate(82 34)"><tspan x="0" y="0">Surname</tspan></text>
  <text class="lbl" transform="translate(82 44)">GIVEN NAMES</text>
  <text id="given_name_field" class="val" transform="translate(82 52)"><tspan x="0" y="0">Given</tspan></text>
  <text class="lbl" transform="translate(82 62)">DATE OF BIRTH</text>
  <text id="birth_date_field" class="val" transform="translate(82 70)"><tspan x="0" y="0">01.01.1990</tspan></text>
  <text class="lbl" transform="translate(150 62)">DOCUMENT NO</text>
  <text id="document_number_field" class="val" transform="translate(150 70)"><tspan x="0" y="0">X0000000</tspan></text>
  <text id="mrz_field_1" class="mrz" transform="translate(10 122)">MRZ</text>
  <text id="mrz_field_2" class="mrz" transform="translate(10 133)">MRZ</text>
  <text id="mrz_field_3" class="mrz" transform="translate(10 144)">MRZ</text>
</svg>
"""

GENERATOR = {
    "width": 506,  # half of DocXPand's ID-1 width: the test renders at 480 px
    "height": 319,
    "context": {"gender": {"male": 0.5, "female": 0.5}, "locale": "en_GB", "name_locale": {"en_GB": 1.0}},
    "sides": {
        "front": {
            "fields": [
                {"name": "family_name", "type": "name", "provider": {"__method__": "last_name_{gender}"}},
                {"name": "given_name", "type": "name", "provider": {"__method__": "first_name_{gender}"}},
                {"name": "birth_date", "type": "date", "format": "%d.%m.%Y"},
                {
                    "name": "document_number",
                    "type": "text",
                    "provider": {"__method__": "bothify", "call_args": {"text": "??#?#??##"}},
                },
                {"name": "photo", "type": "photo"},
                {"name": "mrz", "type": "mrz", "provider": {"__method__": "td1", "call_args": {"document_code": "ID"}}},
            ]
        }
    },
}


def make_template_pool(root: Path) -> dict[str, Path]:
    """A document pool under ``root`` with one tiny template (:data:`TEMPLATE_SVG`) and a face pool of
    two "persons" (the sample portrait and a mirrored, colour-shifted copy as a swap donor)."""
    from tests.face_fixtures import portrait

    tpl = root / "docs" / "templates" / "docxpand" / "test_card"
    tpl.mkdir(parents=True)
    (tpl / "front.svgz").write_bytes(gzip.compress(TEMPLATE_SVG.encode()))
    (tpl / "generator.json").write_text(json.dumps(GENERATOR))
    (root / "docs" / "fonts").mkdir()
    faces = root / "faces"
    faces.mkdir()
    face = portrait()
    Image.fromarray(face).save(faces / "hopper_a.jpg")
    other = np.clip(face[:, ::-1].astype(np.int16) + np.array([30, -10, -25]), 0, 255).astype(np.uint8)
    Image.fromarray(other).save(faces / "hopper_b.jpg")
    return {"docs": root / "docs", "faces": faces, "cache": root / "cache"}


# the card's corners in newsprint_scene(): a grey copy in a 576x1024 phone frame
NEWSPRINT_CARD = np.array([[95, 420], [505, 408], [512, 668], [98, 676]], dtype=np.float32)


def newsprint_scene(*, seed: int = 3) -> np.ndarray:
    """A pale grey copy of :func:`card_with_portrait` on a white sheet lying on a newspaper,
    filmed upright by a phone (576x1024): DLC-2021's hard case. The sheet, the newspaper's
    photo block and its text columns are all better-edged quads than the faint copy."""
    rng = np.random.default_rng(seed)
    height, width = 1024, 576
    scene = np.full((height, width, 3), 215, np.uint8)
    for y in range(6, height, 14):  # three columns of text lines
        for x0 in (8, 200, 392):
            cv2.rectangle(scene, (x0, y), (x0 + int(rng.integers(120, 180)), y + 6), (60, 60, 60), -1)
    cv2.rectangle(scene, (30, 40), (300, 230), (90, 80, 70), -1)  # the newspaper's photo
    sheet = np.array([[60, 260], [540, 250], [560, 1000], [70, 1010]], dtype=np.int32)
    cv2.fillConvexPoly(scene, sheet, (238, 238, 236))
    grey = cv2.cvtColor(card_with_portrait(), cv2.COLOR_RGB2GRAY).astype(np.float32)
    copy = np.repeat((255.0 - 0.9 * (255.0 - grey)).astype(np.uint8)[..., None], 3, axis=2)
    source = np.float32([[0, 0], [copy.shape[1], 0], [copy.shape[1], copy.shape[0]], [0, copy.shape[0]]])
    matrix = cv2.getPerspectiveTransform(source, NEWSPRINT_CARD)
    warped = cv2.warpPerspective(copy, matrix, (width, height))
    mask = cv2.warpPerspective(np.full(copy.shape[:2], 255, np.uint8), matrix, (width, height))
    scene = np.where(mask[..., None] > 127, warped, scene).astype(np.float64)
    return np.clip(scene + rng.normal(0, 2.0, scene.shape), 0, 255).astype(np.uint8)


def front_and_back_page(*, landscape: bool = True, across: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A card's front (with a face) and back copied side by side on one A4 page at 150 dpi, on
    the white lid (``across``: both laid a quarter turned, their portraits on their side); the
    page and the two cards' corners (a quad's area is what the tests compare, not its order)."""
    rng = np.random.default_rng(4)
    height, width = (1240, 1754) if landscape else (1754, 1240)
    page = np.clip(np.full((height, width, 3), 242, np.float32) + rng.normal(0, 1.5, (height, width, 3)), 0, 255)
    front = cv2.resize(card_with_portrait(), (506, 319), interpolation=cv2.INTER_AREA)
    back = cv2.resize(make_card(seed=7), (506, 319), interpolation=cv2.INTER_AREA)
    back[50:240, 18:150] = back[5, 5]  # a back has no portrait panel
    if across:
        front, back = np.ascontiguousarray(np.rot90(front)), np.ascontiguousarray(np.rot90(back))
    card_h, card_w = front.shape[:2]
    places = [(60, 80), (660, 80)] if landscape else [(80, 90), (80, 660)]
    quads = []
    for card, (x, y) in zip((front, back), places, strict=True):
        page[y : y + card_h, x : x + card_w] = card
        quads.append(np.array([[x, y], [x + card_w - 1, y], [x + card_w - 1, y + card_h - 1], [x, y + card_h - 1]],
                              np.float32))
    return page.astype(np.uint8), quads[0], quads[1]
