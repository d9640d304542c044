"""Follow the main face of an attempt across its frames (detector + FaceMesh tracking)."""

from __future__ import annotations

import numpy as np

from liveness.errors import FaceError, MediaError
from liveness.faces._checks import N_LANDMARKS, check_image
from liveness.faces.decoding import box_iou
from liveness.faces.detector import FaceDetector
from liveness.faces.landmarker import FaceLandmarker
from liveness.faces.quality import (
    SHARPNESS_INNER,
    QualityLimits,
    brightness,
    face_patch_gray,
    face_side_px,
    low_quality_causes,
    sharpness,
)
from liveness.types import FaceDetection, FaceTrack, Frames

MULTIPLE_FACES = "MULTIPLE_FACES"
LOW_QUALITY = "LOW_QUALITY"


def landmarks_box(landmarks: np.ndarray) -> np.ndarray:
    """Axis-aligned (x0, y0, x1, y1) box of landmarks' x, y."""
    xy = landmarks[:, :2]
    return np.concatenate([xy.min(axis=0), xy.max(axis=0)]).astype(np.float32)


def _box_side(box: np.ndarray) -> float:
    return float(max(box[2] - box[0], box[3] - box[1]))


def main_face(
    detections: list[FaceDetection], frame_shape: tuple[int, ...], previous_box: np.ndarray | None
) -> FaceDetection:
    """The face to follow: the one overlapping the tracked face, else the largest and most
    central (area weighted down by up to half towards the frame's corners)."""
    if previous_box is not None:
        overlaps = box_iou(previous_box, np.stack([d.box for d in detections]))
        if overlaps.max() > 0.1:
            return detections[int(overlaps.argmax())]
    height, width = frame_shape[:2]
    centre = np.array([width / 2.0, height / 2.0])
    half_diagonal = float(np.hypot(width, height)) / 2.0

    def weight(det: FaceDetection) -> float:
        box_centre = (det.box[:2] + det.box[2:]) / 2.0
        off_centre = min(float(np.linalg.norm(box_centre - centre)) / half_diagonal, 1.0)
        return _box_side(det.box) ** 2 * (1.0 - 0.5 * off_centre)

    return max(detections, key=weight)


def count_comparable_faces(
    detections: list[FaceDetection], main_side: float, *, ratio: float, main_detected: bool
) -> int:
    """Faces whose box side is at least ``ratio`` × ``main_side`` (the main face's).

    When the tracked main face was not among the detections it still counts as one face.
    """
    comparable = sum(_box_side(d.box) >= ratio * main_side for d in detections)
    return comparable + (0 if main_detected else 1)


def track_face(
    frames: Frames,
    *,
    detector: FaceDetector | None = None,
    landmarker: FaceLandmarker | None = None,
    redetect_every: int = 8,
    min_presence: float = 0.5,
    comparable_ratio: float = 0.5,
    limits: QualityLimits | None = None,
) -> FaceTrack:
    """Landmarks of the main face in every frame where it is found.

    The detector runs on the first frame, whenever tracking is lost, and every
    ``redetect_every`` frames (to count faces and re-anchor); between, FaceMesh is cropped
    from the previous frame's landmarks. ``boxes`` in the track are the landmarks' boxes;
    ``scores`` the FaceMesh presence. ``max_faces_seen`` counts detected faces at least
    ``comparable_ratio`` × the main face's size, at any detector run.

    ``quality`` holds medians over tracked frames of ``face_size_px``, ``brightness`` and
    ``sharpness`` (see ``liveness.faces.quality``), plus ``detection_rate`` (share of frames
    with the face), ``presence`` (mean) and ``detector_runs``. ``reasons`` gets
    ``MULTIPLE_FACES`` when more than one comparable face was seen and ``LOW_QUALITY`` when a
    measure is under ``limits``.

    Raises ``FaceError`` (code ``NO_FACE``) when no frame holds a face and ``MediaError`` for
    empty frames or frames that are not RGB uint8 images.

    Examples
    --------
    >>> blank = Frames(images=[np.zeros((120, 160, 3), np.uint8)], timestamps=np.zeros(1),
    ...                kind="image", source="blank")
    >>> track_face(blank)
    Traceback (most recent call last):
    ...
    liveness.errors.FaceError: no face found in 1 frame(s)
    """
    if len(frames.images) == 0:
        raise MediaError("no frames to track a face in", code="MEDIA_EMPTY")
    if redetect_every < 1:
        raise ValueError(f"redetect_every must be >= 1, got {redetect_every}")
    detector = detector or FaceDetector()
    landmarker = landmarker or FaceLandmarker()
    limits = limits or QualityLimits()

    indices: list[int] = []
    boxes: list[np.ndarray] = []
    points: list[np.ndarray] = []
    presences: list[float] = []
    previous: np.ndarray | None = None
    max_faces = 0
    detector_runs = 0
    for index, raw in enumerate(frames.images):
        image = check_image(raw)
        found: np.ndarray | None = None
        presence = 0.0
        if previous is not None:
            found, presence = landmarker.track(image, previous)
            if presence < min_presence:
                found = None
        if found is None or index % redetect_every == 0:
            detections = detector.detect(image)
            detector_runs += 1
            if found is None and detections:
                hint = None if previous is None else landmarks_box(previous)
                main = main_face(detections, image.shape, hint)
                found, presence = landmarker.landmarks(image, main)
                if presence < min_presence:
                    found = None
            if found is not None:
                faces = _faces_in_frame(detections, landmarks_box(found), comparable_ratio)
                max_faces = max(max_faces, faces)
        previous = found
        if found is not None:
            indices.append(index)
            boxes.append(landmarks_box(found))
            points.append(found)
            presences.append(presence)

    if not indices:
        raise FaceError(f"no face found in {len(frames.images)} frame(s)", code="NO_FACE")

    quality = _quality(frames, indices, boxes, presences, detector_runs)
    reasons: list[str] = []
    if max_faces > 1:
        reasons.append(MULTIPLE_FACES)
    if low_quality_causes(quality, limits):
        reasons.append(LOW_QUALITY)
    return FaceTrack(
        frame_indices=np.asarray(indices, dtype=np.int64),
        boxes=np.stack(boxes).astype(np.float32),
        landmarks=np.stack(points).astype(np.float32).reshape(-1, N_LANDMARKS, 3),
        scores=np.asarray(presences, dtype=np.float32),
        max_faces_seen=max(max_faces, 1),
        reasons=tuple(reasons),
        quality=quality,
    )


def _faces_in_frame(detections: list[FaceDetection], face_box: np.ndarray, ratio: float) -> int:
    """Comparable faces in a frame whose main face has the landmarks' box ``face_box``."""
    if detections:
        overlaps = box_iou(face_box, np.stack([d.box for d in detections]))
        if overlaps.max() > 0.1:
            main = detections[int(overlaps.argmax())]
            return count_comparable_faces(
                detections, _box_side(main.box), ratio=ratio, main_detected=True
            )
    # a BlazeFace box is about as wide as the mesh, whose box is taller (forehead to chin)
    main_side = float(face_box[2] - face_box[0])
    return count_comparable_faces(detections, main_side, ratio=ratio, main_detected=False)


def _quality(
    frames: Frames,
    indices: list[int],
    boxes: list[np.ndarray],
    presences: list[float],
    detector_runs: int,
) -> dict[str, float]:
    sizes, lumas, sharps = [], [], []
    for index, box in zip(indices, boxes, strict=True):
        sizes.append(face_side_px(box))
        patch = face_patch_gray(frames.images[index], box)
        inner = face_patch_gray(frames.images[index], box, keep=SHARPNESS_INNER)
        if patch is not None:
            lumas.append(brightness(patch))
        if inner is not None:
            sharps.append(sharpness(inner))
    return {
        "face_size_px": float(np.median(sizes)),
        "brightness": float(np.median(lumas)) if lumas else 0.0,
        "sharpness": float(np.median(sharps)) if sharps else 0.0,
        "detection_rate": len(indices) / len(frames.images),
        "presence": float(np.mean(presences)),
        "detector_runs": float(detector_runs),
    }
