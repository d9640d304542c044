"""Offline OCR of document images through RapidOCR's bundled PP-OCR ONNX models (optional).

The ``rapidocr`` wheel (Apache-2.0, code and models) ships the PP-OCRv6 small detector and
recogniser and the PP-OCR text-direction classifier as ONNX files and runs them on
onnxruntime. It is not a core dependency: install it with the ``ocr`` extra. The models are
loaded from the installed package by explicit path, so nothing is ever downloaded; the engine
is built on first use and kept.

Images follow the runtime's convention (RGB ``uint8``); RapidOCR wants OpenCV's BGR, which is
converted here.
"""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from liveness.documents.errors import IMAGE_INVALID, DocumentInputError
from liveness.errors import ModelError

__all__ = ["MIN_OCR_SIDE", "OCR_UNAVAILABLE", "TextLine", "ocr_available", "read_text"]

OCR_UNAVAILABLE = "OCR_UNAVAILABLE"
MIN_OCR_SIDE = 8  # below this no glyph can be read; RapidOCR's resizer fails on such images
_MODEL_FILES = {
    "Det.model_path": "PP-OCRv6_det_small.onnx",
    "Rec.model_path": "PP-OCRv6_rec_small.onnx",
    "Cls.model_path": "ch_ppocr_mobile_v2.0_cls_mobile.onnx",
}


@dataclass(frozen=True)
class TextLine:
    """One line of text found in an image.

    ``box`` is a (4, 2) ``float32`` array of the line's corners in pixels, clockwise from
    top-left; ``confidence`` is the recogniser's mean character score in [0, 1].
    """

    text: str
    box: np.ndarray
    confidence: float


def ocr_available() -> bool:
    """Whether the optional ``rapidocr`` package is installed.

    Examples
    --------
    >>> isinstance(ocr_available(), bool)
    True
    """
    return importlib.util.find_spec("rapidocr") is not None


def read_text(image: np.ndarray, *, threads: int = 1) -> list[TextLine]:
    """Detect and read the text lines of an image.

    Parameters
    ----------
    image : ndarray
        ``uint8`` RGB (H, W, 3), RGBA (H, W, 4) or grey (H, W).
    threads : int, default 1
        onnxruntime intra-op threads; one engine is kept per value.

    Returns
    -------
    list of TextLine
        Top to bottom, as RapidOCR orders them; empty when no text is found or the image is
        smaller than ``MIN_OCR_SIDE`` pixels on a side.

    Raises
    ------
    DocumentInputError
        ``code="DOCUMENT_IMAGE_INVALID"`` when ``image`` is not a ``uint8`` array of one of
        those shapes.
    ModelError
        ``code="OCR_UNAVAILABLE"`` when ``rapidocr`` is not installed or its bundled models
        are missing.

    Examples
    --------
    >>> read_text(np.zeros((4, 4, 3), np.uint8))
    []
    """
    rgb = _as_rgb(image)
    if min(rgb.shape[:2]) < MIN_OCR_SIDE:
        return []
    if not isinstance(threads, int) or threads < 1:
        raise DocumentInputError(f"threads must be a positive int, got {threads!r}", code=IMAGE_INVALID)
    engine = _engine(threads)
    output = engine(np.ascontiguousarray(rgb[..., ::-1]))
    boxes, texts, scores = output.boxes, output.txts, output.scores
    if boxes is None or texts is None or scores is None:
        return []
    return [
        TextLine(text=str(text), box=np.asarray(box, dtype=np.float32).reshape(4, 2), confidence=float(score))
        for box, text, score in zip(boxes, texts, scores, strict=True)
    ]


def _as_rgb(image: np.ndarray) -> np.ndarray:
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8:
        raise DocumentInputError(
            f"OCR needs a uint8 numpy image, got {type(image).__name__} "
            f"{getattr(image, 'dtype', '')}".rstrip(),
            code=IMAGE_INVALID,
        )
    if image.ndim == 2:
        return np.repeat(image[..., None], 3, axis=2)
    if image.ndim == 3 and image.shape[2] in (3, 4):
        return image[..., :3]
    raise DocumentInputError(
        f"OCR needs an (H, W), (H, W, 3) or (H, W, 4) image, got {image.shape}", code=IMAGE_INVALID
    )


@lru_cache(maxsize=2)
def _engine(threads: int) -> Any:
    try:
        rapidocr = importlib.import_module("rapidocr")
    except ImportError as exc:
        raise ModelError(
            "OCR needs the optional package rapidocr (pip install 'liveness-kyc[ocr]')", code=OCR_UNAVAILABLE
        ) from exc
    model_dir = Path(rapidocr.__file__).parent / "models"
    params: dict[str, Any] = {
        "Global.log_level": "error",  # "no text found" is a normal answer, not a warning
        "EngineConfig.onnxruntime.intra_op_num_threads": threads,
        "EngineConfig.onnxruntime.inter_op_num_threads": 1,
    }
    for key, name in _MODEL_FILES.items():
        path = model_dir / name
        # Passing every model path explicitly is what keeps RapidOCR from downloading.
        if not path.is_file():
            raise ModelError(f"rapidocr is installed but its bundled model {path} is missing", code=OCR_UNAVAILABLE)
        params[key] = str(path)
    return rapidocr.RapidOCR(params=params)
