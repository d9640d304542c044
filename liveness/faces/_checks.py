"""Input checks shared by the face modules: bad input becomes a typed error, never a crash."""

from __future__ import annotations

import numpy as np

from liveness.errors import FaceError, MediaError

N_LANDMARKS = 468


def check_image(image: object) -> np.ndarray:
    """Return ``image`` as a contiguous (H, W, 3) uint8 array or raise ``MediaError``."""
    if not isinstance(image, np.ndarray):
        raise MediaError(f"expected an RGB uint8 numpy array, got {type(image).__name__}")
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise MediaError(
            f"expected an RGB uint8 array of shape (H, W, 3), got {image.dtype} {image.shape}"
        )
    if image.shape[0] < 2 or image.shape[1] < 2:
        raise MediaError(f"image of shape {image.shape} is too small to hold a face")
    return np.ascontiguousarray(image)


def check_landmarks(landmarks: object, *, batched: bool) -> np.ndarray:
    """Return FaceMesh landmarks as float32 (468, 3) (or (N, 468, 3)) or raise ``FaceError``."""
    array = np.asarray(landmarks, dtype=np.float32) if landmarks is not None else None
    expected = (N_LANDMARKS, 3)
    if array is None or array.shape[-2:] != expected or array.ndim != (3 if batched else 2):
        shape = None if array is None else array.shape
        want = "(N, 468, 3)" if batched else "(468, 3)"
        raise FaceError(f"expected FaceMesh landmarks of shape {want}, got {shape}",
                        code="BAD_LANDMARKS")
    if not np.isfinite(array[..., :2]).all():
        raise FaceError("landmarks hold NaN or infinite coordinates", code="BAD_LANDMARKS")
    return array
