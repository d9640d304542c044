"""BlazeFace raw outputs → scored boxes with 6 keypoints, and non-maximum suppression.

Raw box rows hold 16 numbers in input pixels relative to their anchor: centre offset (x, y),
size (w, h), then 6 keypoints (x, y) (right eye, left eye, nose tip, mouth, right ear, left
ear). Scores are logits, clipped to ±100 before the sigmoid as MediaPipe does.
"""

from __future__ import annotations

import numpy as np

N_KEYPOINTS = 6
RAW_BOX_VALUES = 4 + 2 * N_KEYPOINTS
SCORE_CLIP = 100.0


def sigmoid(logits: np.ndarray) -> np.ndarray:
    """Numerically safe logistic function on clipped logits."""
    # float64: exp(100) overflows float32
    clipped = np.clip(np.asarray(logits, dtype=np.float64), -SCORE_CLIP, SCORE_CLIP)
    return (1.0 / (1.0 + np.exp(-clipped))).astype(np.float32)


def decode_boxes(raw_boxes: np.ndarray, anchors: np.ndarray, input_size: int) -> np.ndarray:
    """Decode raw rows (A, 16) to (A, 16) normalized [x0, y0, x1, y1, kx0, ky0, ..., kx5, ky5].

    Coordinates are fractions of the (square, letterboxed) model input.

    >>> anchors = np.array([[0.5, 0.5]], np.float32)
    >>> raw = np.zeros((1, 16), np.float32); raw[0, 2:4] = 64.0
    >>> decode_boxes(raw, anchors, 128)[0, :4].tolist()
    [0.25, 0.25, 0.75, 0.75]
    """
    raw = np.asarray(raw_boxes, dtype=np.float32).reshape(-1, RAW_BOX_VALUES) / float(input_size)
    if raw.shape[0] != anchors.shape[0]:
        raise ValueError(f"{raw.shape[0]} raw boxes for {anchors.shape[0]} anchors")
    centre = raw[:, 0:2] + anchors
    half = raw[:, 2:4] / 2.0
    keypoints = raw[:, 4:].reshape(-1, N_KEYPOINTS, 2) + anchors[:, None, :]
    out = np.empty_like(raw)
    out[:, 0:2] = centre - half
    out[:, 2:4] = centre + half
    out[:, 4:] = keypoints.reshape(-1, 2 * N_KEYPOINTS)
    return out


def box_iou(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """IoU of one (4,) box [x0, y0, x1, y1] with each of (K, 4) boxes."""
    x0 = np.maximum(box[0], boxes[:, 0])
    y0 = np.maximum(box[1], boxes[:, 1])
    x1 = np.minimum(box[2], boxes[:, 2])
    y1 = np.minimum(box[3], boxes[:, 3])
    inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
    area = max(float((box[2] - box[0]) * (box[3] - box[1])), 0.0)
    areas = np.clip(boxes[:, 2] - boxes[:, 0], 0, None) * np.clip(boxes[:, 3] - boxes[:, 1], 0, None)
    union = area + areas - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-12), 0.0).astype(np.float32)


def non_max_suppression(
    detections: np.ndarray,
    scores: np.ndarray,
    *,
    iou_threshold: float = 0.3,
    weighted: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Suppress overlapping detections; returns (kept rows (K, D), their scores (K,)).

    ``detections`` rows start with a box [x0, y0, x1, y1]; the remaining columns (keypoints)
    are carried along. Plain NMS keeps the best row of each overlapping group. Weighted NMS
    (MediaPipe's WEIGHTED mode) replaces it by the score-weighted mean of every row of its
    group (IoU > ``iou_threshold`` with the best), which steadies boxes from frame to frame;
    the group keeps the best score. Output is sorted by score, highest first.

    >>> rows = np.array([[0, 0, 10, 10], [1, 0, 11, 10], [50, 50, 60, 60]], np.float32)
    >>> kept, kept_scores = non_max_suppression(rows, np.array([0.9, 0.9, 0.8]), weighted=True)
    >>> kept[:, 0].tolist(), [round(float(s), 2) for s in kept_scores]
    ([0.5, 50.0], [0.9, 0.8])
    """
    rows = np.asarray(detections, dtype=np.float32)
    order_scores = np.asarray(scores, dtype=np.float32)
    order = np.argsort(-order_scores, kind="stable")
    rows, order_scores = rows[order], order_scores[order]
    kept_rows: list[np.ndarray] = []
    kept_scores: list[float] = []
    remaining = np.arange(len(rows))
    while remaining.size:
        best = remaining[0]
        overlaps = box_iou(rows[best, :4], rows[remaining, :4])
        group = remaining[overlaps > iou_threshold]
        group = group if group.size else remaining[:1]
        if weighted:
            weights = order_scores[group]
            merged = (rows[group] * weights[:, None]).sum(axis=0) / max(float(weights.sum()), 1e-12)
            kept_rows.append(merged.astype(np.float32))
        else:
            kept_rows.append(rows[best])
        kept_scores.append(float(order_scores[best]))
        # the best row always leaves, even for a degenerate box whose IoU with itself is 0
        remaining = remaining[(overlaps <= iou_threshold) & (remaining != best)]
    width = rows.shape[1] if rows.ndim == 2 else 4
    if not kept_rows:
        return np.zeros((0, width), np.float32), np.zeros((0,), np.float32)
    return np.stack(kept_rows), np.asarray(kept_scores, dtype=np.float32)
