"""Input checks for the synthesizers: bad input becomes a typed error, never a raw exception."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from liveness.errors import FaceError, LivenessError, MediaError
from training.synth.landmarks import N_LANDMARKS

BAD_ARGUMENT = "SYNTH_BAD_ARGUMENT"
BAD_FRAMES = "SYNTH_BAD_FRAMES"
BAD_LANDMARKS = "BAD_LANDMARKS"


def check_image(image: object, *, name: str = "image") -> np.ndarray:
    """``image`` as a contiguous (H, W, 3) uint8 array, or ``MediaError``."""
    if not isinstance(image, np.ndarray) or image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        desc = f"{image.dtype} {image.shape}" if isinstance(image, np.ndarray) else type(image).__name__
        raise MediaError(f"{name} must be an RGB uint8 array of shape (H, W, 3), got {desc}", code=BAD_FRAMES)
    if image.shape[0] < 16 or image.shape[1] < 16:
        raise MediaError(f"{name} of shape {image.shape} is too small (< 16 px)", code=BAD_FRAMES)
    return np.ascontiguousarray(image)


def check_frames(frames: object, *, name: str = "frames") -> list[np.ndarray]:
    """A non-empty list of equally sized RGB uint8 frames, or ``MediaError``."""
    if isinstance(frames, np.ndarray) and frames.ndim == 4:
        frames = list(frames)
    if not isinstance(frames, Sequence) or isinstance(frames, str | bytes) or len(frames) == 0:
        raise MediaError(f"{name} must be a non-empty list of RGB uint8 frames", code=BAD_FRAMES)
    out = [check_image(f, name=f"{name}[{i}]") for i, f in enumerate(frames)]
    if any(f.shape != out[0].shape for f in out):
        raise MediaError(f"{name} differ in size", code=BAD_FRAMES)
    return out


def check_landmarks(landmarks: object, *, batched: bool, name: str = "landmarks") -> np.ndarray:
    """FaceMesh landmarks as float32 x/y: (468, 2) or, batched, (N, 468, 2); else ``FaceError``."""
    try:
        array = np.asarray(landmarks, dtype=np.float32)
    except (TypeError, ValueError) as exc:
        raise FaceError(f"{name} are not numeric: {exc}", code=BAD_LANDMARKS) from exc
    ndim = 3 if batched else 2
    if array.ndim != ndim or array.shape[-2] != N_LANDMARKS or array.shape[-1] not in (2, 3):
        want = "(N, 468, 2|3)" if batched else "(468, 2|3)"
        raise FaceError(f"{name} must have shape {want}, got {array.shape}", code=BAD_LANDMARKS)
    if batched and len(array) == 0:
        raise FaceError(f"{name} hold no frame", code=BAD_LANDMARKS)
    if not np.isfinite(array[..., :2]).all():
        raise FaceError(f"{name} hold NaN or infinite coordinates", code=BAD_LANDMARKS)
    return np.ascontiguousarray(array[..., :2])


def check_rng(rng: object) -> np.random.Generator:
    """``rng`` as a ``numpy.random.Generator`` (an int is taken as a seed)."""
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, int | np.integer) and not isinstance(rng, bool):
        return np.random.default_rng(int(rng))
    raise LivenessError(
        f"rng must be a numpy.random.Generator or an int seed, got {type(rng).__name__}", code=BAD_ARGUMENT
    )


def check_choice(value: object, options: tuple[str, ...], *, name: str) -> str:
    """``value`` if it is one of ``options``, else ``LivenessError``."""
    if value not in options:
        raise LivenessError(f"{name} must be one of {options}, got {value!r}", code=BAD_ARGUMENT)
    return str(value)


def check_count(value: object, *, name: str, minimum: int = 1) -> int:
    """``value`` as an int >= ``minimum``, else ``LivenessError``."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise LivenessError(f"{name} must be an int >= {minimum}, got {value!r}", code=BAD_ARGUMENT)
    return int(value)
