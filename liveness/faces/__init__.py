"""Faces: BlazeFace detection, FaceMesh landmarks and tracking, aligned crops (ONNX Runtime).

Models are MediaPipe's (Apache-2.0), converted to ONNX by ``training/convert_mediapipe.py``
and listed in ``weights/manifest.json`` as ``blazeface_short``, ``blazeface_full`` and
``facemesh``; each is opened once per process (``liveness.faces.models.get_model``).
"""

from liveness.faces.align import align_faces
from liveness.faces.anchors import FULL_RANGE, SHORT_RANGE, AnchorConfig, ssd_anchors
from liveness.faces.decoding import decode_boxes, non_max_suppression
from liveness.faces.detector import FaceDetector, decode_detections
from liveness.faces.geometry import FaceRoi, roi_from_box, roi_from_keypoints, roi_from_landmarks
from liveness.faces.landmarker import FaceLandmarker
from liveness.faces.models import clear_model_cache, get_model
from liveness.faces.quality import QualityLimits
from liveness.faces.tracking import LOW_QUALITY, MULTIPLE_FACES, landmarks_box, track_face

__all__ = [
    "FULL_RANGE",
    "LOW_QUALITY",
    "MULTIPLE_FACES",
    "SHORT_RANGE",
    "AnchorConfig",
    "FaceDetector",
    "FaceLandmarker",
    "FaceRoi",
    "QualityLimits",
    "align_faces",
    "clear_model_cache",
    "decode_boxes",
    "decode_detections",
    "get_model",
    "landmarks_box",
    "non_max_suppression",
    "roi_from_box",
    "roi_from_keypoints",
    "roi_from_landmarks",
    "ssd_anchors",
    "track_face",
]
