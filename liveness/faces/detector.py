"""Face detection with MediaPipe's BlazeFace (short and full range) on ONNX Runtime."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from liveness.faces._checks import check_image
from liveness.faces.anchors import FULL_RANGE, SHORT_RANGE, AnchorConfig, ssd_anchors
from liveness.faces.decoding import N_KEYPOINTS, decode_boxes, non_max_suppression, sigmoid
from liveness.faces.geometry import letterbox
from liveness.faces.models import BLAZEFACE_FULL, BLAZEFACE_SHORT, get_model
from liveness.types import FaceDetection

DetectorRange = Literal["short", "full", "auto"]


@dataclass(frozen=True)
class _Variant:
    model_name: str
    anchors: AnchorConfig


_VARIANTS = {
    "short": _Variant(BLAZEFACE_SHORT, SHORT_RANGE),
    "full": _Variant(BLAZEFACE_FULL, FULL_RANGE),
}


class FaceDetector:
    """BlazeFace detector returning faces in frame pixels, best score first.

    Parameters
    ----------
    model_range : {"auto", "short", "full"}
        ``"short"`` (128 px input) suits selfies, faces within ~2 m; ``"full"`` (192 px)
        finds small, far faces; ``"auto"`` runs short range and falls back to full range
        when short range finds nothing.
    min_score : float
        Minimum face probability of a kept detection.
    iou_threshold : float
        Overlap above which detections are merged by non-maximum suppression.
    weighted_nms : bool
        Blend overlapping detections by score (MediaPipe) instead of keeping the best only.
    threads : int
        ONNX Runtime intra-op threads of the (shared, cached) sessions.
    weights_dir : Path, optional
        Manifest folder; defaults to the repository's ``weights/``.

    Examples
    --------
    >>> detector = FaceDetector(min_score=0.6)
    >>> detector.detect(np.zeros((240, 320, 3), np.uint8))
    []
    """

    def __init__(
        self,
        *,
        model_range: DetectorRange = "auto",
        min_score: float = 0.5,
        iou_threshold: float = 0.3,
        weighted_nms: bool = True,
        threads: int = 1,
        weights_dir: Path | None = None,
    ) -> None:
        if model_range not in ("auto", "short", "full"):
            raise ValueError(f"model_range must be 'auto', 'short' or 'full', not {model_range!r}")
        if not 0.0 < min_score < 1.0:
            raise ValueError(f"min_score must lie in (0, 1), got {min_score}")
        self.model_range: DetectorRange = model_range
        self.min_score = float(min_score)
        self.iou_threshold = float(iou_threshold)
        self.weighted_nms = weighted_nms
        self.threads = threads
        self.weights_dir = weights_dir

    def detect(self, image: np.ndarray) -> list[FaceDetection]:
        """Faces in an RGB uint8 (H, W, 3) frame, sorted by score (highest first).

        Boxes are (x0, y0, x1, y1) in frame pixels and may reach past the frame's edges for a
        cut-off face. Raises ``MediaError`` for an array that is not an RGB uint8 image.
        """
        frame = check_image(image)
        if self.model_range == "auto":
            faces = self._detect(frame, _VARIANTS["short"])
            return faces if faces else self._detect(frame, _VARIANTS["full"])
        return self._detect(frame, _VARIANTS[self.model_range])

    def _detect(self, frame: np.ndarray, variant: _Variant) -> list[FaceDetection]:
        model = get_model(variant.model_name, threads=self.threads, weights_dir=self.weights_dir)
        size = model.spec.size[0]
        square, fit = letterbox(frame, size)
        raw_boxes, raw_scores = model.session.run(
            ["boxes", "scores"], {"image": model.spec.normalize(square[None])}
        )
        return decode_detections(
            raw_boxes,
            raw_scores,
            ssd_anchors(variant.anchors),
            input_size=size,
            to_frame=fit.to_frame,
            min_score=self.min_score,
            iou_threshold=self.iou_threshold,
            weighted_nms=self.weighted_nms,
        )


def decode_detections(
    raw_boxes: np.ndarray,
    raw_scores: np.ndarray,
    anchors: np.ndarray,
    *,
    input_size: int,
    to_frame: Callable[[np.ndarray], np.ndarray] | None = None,
    min_score: float = 0.5,
    iou_threshold: float = 0.3,
    weighted_nms: bool = True,
) -> list[FaceDetection]:
    """Raw BlazeFace outputs (1, A, 16) and (1, A, 1) → detections sorted by score.

    ``to_frame`` maps (..., 2) normalized input points to frame pixels (a ``Letterbox``'s
    ``to_frame``); without it coordinates stay in [0, 1] of the model input.
    """
    scores = sigmoid(np.asarray(raw_scores).reshape(-1))
    keep = np.flatnonzero(scores >= min_score)
    if keep.size == 0:
        return []
    decoded = decode_boxes(np.asarray(raw_boxes).reshape(-1, 16), anchors, input_size)[keep]
    rows, kept_scores = non_max_suppression(
        decoded, scores[keep], iou_threshold=iou_threshold, weighted=weighted_nms
    )
    points = rows.reshape(-1, 2 + N_KEYPOINTS, 2)  # box corners then keypoints, as (x, y)
    if to_frame is not None:
        points = to_frame(points)
    return [
        FaceDetection(
            box=points[i, :2].reshape(4).astype(np.float32),
            keypoints=points[i, 2:].astype(np.float32),
            score=float(kept_scores[i]),
        )
        for i in range(len(rows))
    ]
