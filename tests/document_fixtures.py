"""Document images the tests make themselves: an ID-1-shaped card and a desk scene."""

from __future__ import annotations

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
