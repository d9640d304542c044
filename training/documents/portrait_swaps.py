"""Portrait forgeries made as fraud rings make them: on the printed design, or on the photo
of a genuine card after it was taken.

- :func:`swap_printed_face`: another person's face swapped into the card's photo slot before
  the card is printed (a forged card that is then photographed): the face follows the
  original's landmarks, colour-matched and blended in a feathered hull (the video face-swap
  synthesis of :mod:`training.synth.faceswap`), so hair, clothes and the slot stay.
- :func:`swap_captured_face`: the same swap on the rectified capture, the "photoshopped ID
  image" of the fraud we exist to stop: the pasted face never went through the print, the
  lens or the sensor the rest of the page did.
- :func:`blend_captured_face`: a self-blended image (SBI, Shiohara & Yamasaki 2022) on the
  capture: the face blended with a tone-, scale- and sharpness-jittered copy of itself.
  There is no other identity to see, only the blend, which is what every swap tool leaves.
- :func:`resave`: an editor's round trip (optional resize, JPEG at a random quality), applied
  to digital forgeries and, as often, to genuine captures, so that recompression is no cue.

Each returns None when no face (or no landmarks) is found where the portrait should be.
"""

from __future__ import annotations

import cv2
import numpy as np

from liveness.documents.portrait import locate_portrait
from liveness.faces.detector import FaceDetector
from liveness.faces.landmarker import FaceLandmarker
from liveness.types import FaceDetection
from training.synth.faceswap import face_swap, self_blend

__all__ = ["blend_captured_face", "face_landmarks", "resave", "swap_captured_face", "swap_printed_face"]

MIN_PRESENCE = 0.5


def face_landmarks(image: np.ndarray, face: FaceDetection | None = None) -> np.ndarray | None:
    """(468, 2) FaceMesh points of ``face`` (default: the best short-range detection)."""
    if face is None:
        faces = FaceDetector(model_range="auto", min_score=0.5).detect(image)
        if not faces:
            return None
        face = faces[0]
    points, presence = FaceLandmarker().landmarks(image, face)
    return points[:, :2] if presence >= MIN_PRESENCE else None


def _swap(image: np.ndarray, landmarks: np.ndarray, donor: np.ndarray, rng: np.random.Generator) -> np.ndarray | None:
    donor_landmarks = face_landmarks(donor)
    if donor_landmarks is None:
        return None
    return face_swap([image], landmarks[None], donor, donor_landmarks, rng=rng)[0]


def swap_printed_face(
    document: np.ndarray, photo_box: tuple[int, int, int, int], donor: np.ndarray, rng: np.random.Generator
) -> np.ndarray | None:
    """The flat document with the face in ``photo_box`` replaced by ``donor``'s."""
    x0, y0, x1, y1 = photo_box
    slot = np.ascontiguousarray(document[y0:y1, x0:x1])
    landmarks = face_landmarks(slot)
    if landmarks is None:
        return None
    swapped = _swap(slot, landmarks, donor, rng)
    if swapped is None:
        return None
    out = document.copy()
    out[y0:y1, x0:x1] = swapped
    return out


def swap_captured_face(page: np.ndarray, donor: np.ndarray, rng: np.random.Generator) -> np.ndarray | None:
    """The rectified page with its portrait's face replaced by ``donor``'s."""
    face = locate_portrait(page)
    landmarks = None if face is None else face_landmarks(page, face)
    return None if landmarks is None else _swap(page, landmarks, donor, rng)


def blend_captured_face(page: np.ndarray, rng: np.random.Generator) -> np.ndarray | None:
    """The rectified page with its portrait's face self-blended."""
    face = locate_portrait(page)
    landmarks = None if face is None else face_landmarks(page, face)
    return None if landmarks is None else self_blend([page], landmarks[None], rng=rng)[0]


def resave(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """An image editor's export: sometimes resized down and back, then JPEG at quality 60-95."""
    out = image
    if rng.random() < 0.5:
        h, w = image.shape[:2]
        f = rng.uniform(0.6, 0.95)
        small = cv2.resize(image, (max(1, round(w * f)), max(1, round(h * f))), interpolation=cv2.INTER_AREA)
        out = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
    ok, data = cv2.imencode(".jpg", out[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(60, 96))])
    return cv2.imdecode(data, cv2.IMREAD_COLOR)[..., ::-1].copy() if ok else out
