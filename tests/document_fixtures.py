"""Document images the tests make themselves: an ID-1-shaped card and a desk scene."""

from __future__ import annotations

import io

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
