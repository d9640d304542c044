"""468 FaceMesh landmarks in frame pixels, from a detection or from the previous frame."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from liveness.errors import FaceError
from liveness.faces._checks import N_LANDMARKS, check_image, check_landmarks
from liveness.faces.decoding import sigmoid
from liveness.faces.geometry import FaceRoi, roi_from_box, roi_from_keypoints, roi_from_landmarks
from liveness.faces.models import FACEMESH, get_model
from liveness.types import FaceDetection

FaceRegion = FaceDetection | FaceRoi | np.ndarray | tuple[float, float, float, float]


class FaceLandmarker:
    """MediaPipe FaceMesh: a rotated square around the face → 468 (x, y, z) landmarks.

    ``x``, ``y`` are frame pixels; ``z`` is depth in the same pixel scale, relative to the
    face centre (smaller is nearer the camera). The presence score is the model's face
    probability for the crop: below ~0.5 the crop holds no face and tracking is lost.

    Parameters
    ----------
    roi_scale : float
        Crop side relative to the detection box (or the landmarks' extent when tracking);
        1.5 as in MediaPipe's face landmark graphs.
    threads : int
        ONNX Runtime intra-op threads of the (shared, cached) session.
    weights_dir : Path, optional
        Manifest folder; defaults to the repository's ``weights/``.

    Examples
    --------
    >>> marker = FaceLandmarker()
    >>> points, presence = marker.landmarks(np.zeros((200, 200, 3), np.uint8), (50, 50, 150, 150))
    >>> points.shape, presence < 0.5
    ((468, 3), True)
    """

    def __init__(
        self, *, roi_scale: float = 1.5, threads: int = 1, weights_dir: Path | None = None
    ) -> None:
        if roi_scale <= 0:
            raise ValueError(f"roi_scale must be positive, got {roi_scale}")
        self.roi_scale = float(roi_scale)
        self.threads = threads
        self.weights_dir = weights_dir

    def roi(self, region: FaceRegion) -> FaceRoi:
        """The crop region for a detection (eye-levelled), a box (x0, y0, x1, y1) or a ROI."""
        if isinstance(region, FaceRoi):
            return region
        if isinstance(region, FaceDetection):
            return roi_from_keypoints(region.box, region.keypoints, scale=self.roi_scale)
        box = np.asarray(region, dtype=np.float64).reshape(-1)
        if box.shape != (4,) or not np.isfinite(box).all() or box[2] <= box[0] or box[3] <= box[1]:
            raise FaceError(f"expected a face box (x0, y0, x1, y1), got {region!r}", code="BAD_BOX")
        return roi_from_box(box, scale=self.roi_scale)

    def landmarks(self, image: np.ndarray, region: FaceRegion) -> tuple[np.ndarray, float]:
        """Landmarks (468, 3) float32 and face presence in [0, 1] for one face of ``image``.

        ``region`` is a ``FaceDetection``, a box (x0, y0, x1, y1) in pixels or a ``FaceRoi``.
        Raises ``MediaError`` for a bad image and ``FaceError`` (code ``BAD_BOX``) for a bad box.
        """
        frame = check_image(image)
        return self._run(frame, self.roi(region))

    def track(self, image: np.ndarray, previous_landmarks: np.ndarray) -> tuple[np.ndarray, float]:
        """Landmarks in ``image`` from a crop placed by the previous frame's landmarks.

        MediaPipe-style tracking: no detector run while the presence stays high. Raises
        ``FaceError`` (code ``BAD_LANDMARKS``) for landmarks that are not (468, 3).
        """
        frame = check_image(image)
        previous = check_landmarks(previous_landmarks, batched=False)
        return self._run(frame, roi_from_landmarks(previous, scale=self.roi_scale))

    def _run(self, frame: np.ndarray, roi: FaceRoi) -> tuple[np.ndarray, float]:
        if not (roi.size > 1.0 and np.isfinite([roi.center_x, roi.center_y, roi.angle]).all()):
            raise FaceError(f"face region {roi} is degenerate", code="BAD_BOX")
        model = get_model(FACEMESH, threads=self.threads, weights_dir=self.weights_dir)
        size = model.spec.size[0]
        crop = roi.crop(frame, size)
        raw_points, raw_flag = model.session.run(
            ["landmarks", "face_flag"], {"image": model.spec.normalize(crop[None])}
        )
        points = np.asarray(raw_points, dtype=np.float64).reshape(N_LANDMARKS, 3)
        to_frame = roi.crop_to_frame(size)
        out = np.empty((N_LANDMARKS, 3), dtype=np.float32)
        out[:, :2] = points[:, :2] @ to_frame[:, :2].T + to_frame[:, 2]
        out[:, 2] = points[:, 2] * (roi.size / size)
        presence = float(sigmoid(np.asarray(raw_flag).reshape(-1))[0])
        return out, presence
