"""Image geometry for the face models: letterboxing and rotated square regions of interest.

Every crop is one affine map, kept with the crop so that model outputs go back to frame pixels
by its inverse. Angles are in radians in image coordinates (x right, y down): the angle of a
face is the direction of the line from its right eye (image left) to its left eye, so an
upright face has angle 0 and a head tilted towards its right shoulder has a positive angle.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from liveness.faces.landmark_indices import LEFT_EYE_CENTRE, RIGHT_EYE_CENTRE


@dataclass(frozen=True)
class Letterbox:
    """How a frame was fitted into a square model input: pixel = (x - pad) / scale."""

    size: int
    scale_x: float
    scale_y: float
    pad_x: float
    pad_y: float

    def to_frame(self, points: np.ndarray) -> np.ndarray:
        """Map (..., 2) points in [0, 1] of the model input back to frame pixels."""
        pts = np.asarray(points, dtype=np.float32) * self.size
        out = np.empty_like(pts)
        out[..., 0] = (pts[..., 0] - self.pad_x) / self.scale_x
        out[..., 1] = (pts[..., 1] - self.pad_y) / self.scale_y
        return out


def letterbox(image: np.ndarray, size: int) -> tuple[np.ndarray, Letterbox]:
    """Resize (H, W, 3) to fit a ``size`` square keeping the aspect ratio, padding with black.

    Downscaling uses area interpolation so small faces in large frames are not aliased away.

    >>> img = np.zeros((100, 200, 3), np.uint8)
    >>> out, box = letterbox(img, 128)
    >>> out.shape, box.pad_y, box.to_frame(np.array([[0.5, 0.5]])).tolist()
    ((128, 128, 3), 32.0, [[100.0, 50.0]])
    """
    height, width = image.shape[:2]
    factor = size / max(height, width)
    new_w = max(1, round(width * factor))
    new_h = max(1, round(height * factor))
    interp = cv2.INTER_AREA if factor < 1.0 else cv2.INTER_LINEAR
    resized = cv2.resize(image, (new_w, new_h), interpolation=interp)
    pad_x, pad_y = (size - new_w) // 2, (size - new_h) // 2
    canvas = np.zeros((size, size, 3), dtype=np.uint8)
    canvas[pad_y : pad_y + new_h, pad_x : pad_x + new_w] = resized
    return canvas, Letterbox(size, new_w / width, new_h / height, float(pad_x), float(pad_y))


@dataclass(frozen=True)
class FaceRoi:
    """A rotated square region of a frame: centre (x, y) px, side px, angle rad."""

    center_x: float
    center_y: float
    size: float
    angle: float = 0.0

    def crop_to_frame(self, out_size: int) -> np.ndarray:
        """(2, 3) affine map from crop pixels (``out_size`` square) to frame pixels."""
        k = self.size / out_size
        cos, sin = np.cos(self.angle) * k, np.sin(self.angle) * k
        half = out_size / 2.0
        # frame = centre + R(angle) @ (crop - half) * k
        return np.array(
            [
                [cos, -sin, self.center_x - cos * half + sin * half],
                [sin, cos, self.center_y - sin * half - cos * half],
            ],
            dtype=np.float64,
        )

    def frame_to_crop(self, out_size: int) -> np.ndarray:
        """(2, 3) affine map from frame pixels to crop pixels (for ``cv2.warpAffine``)."""
        return cv2.invertAffineTransform(self.crop_to_frame(out_size))

    def crop(self, image: np.ndarray, out_size: int, *, border: int = cv2.BORDER_REPLICATE) -> np.ndarray:
        """The region resampled to an ``out_size`` square, upright."""
        return cv2.warpAffine(
            image,
            self.frame_to_crop(out_size),
            (out_size, out_size),
            flags=cv2.INTER_LINEAR,
            borderMode=border,
        )


def eye_line_angle(right_eye: np.ndarray, left_eye: np.ndarray) -> float:
    """Angle of the right-eye → left-eye line (0 for an upright face)."""
    delta = np.asarray(left_eye, np.float64) - np.asarray(right_eye, np.float64)
    return float(np.arctan2(delta[1], delta[0]))


def rotate_points(points: np.ndarray, angle: float, origin: np.ndarray) -> np.ndarray:
    """Rotate (K, 2) points by ``angle`` about ``origin`` (image coordinates)."""
    cos, sin = np.cos(angle), np.sin(angle)
    rel = np.asarray(points, np.float64) - origin
    return np.stack([rel[:, 0] * cos - rel[:, 1] * sin, rel[:, 0] * sin + rel[:, 1] * cos], 1) + origin


def roi_from_box(box: np.ndarray, *, scale: float = 1.5, angle: float = 0.0) -> FaceRoi:
    """Square ROI around a (x0, y0, x1, y1) box: same centre, side = ``scale`` × longer side."""
    x0, y0, x1, y1 = (float(v) for v in np.asarray(box, dtype=np.float64).reshape(4))
    side = max(x1 - x0, y1 - y0) * scale
    return FaceRoi((x0 + x1) / 2.0, (y0 + y1) / 2.0, side, angle)


def roi_from_keypoints(box: np.ndarray, keypoints: np.ndarray, *, scale: float = 1.5) -> FaceRoi:
    """ROI of a BlazeFace detection: its box, rotated so the eyes (keypoints 0, 1) are level."""
    kps = np.asarray(keypoints, dtype=np.float64)
    return roi_from_box(box, scale=scale, angle=eye_line_angle(kps[0], kps[1]))


def roi_from_landmarks(landmarks: np.ndarray, *, scale: float = 1.5) -> FaceRoi:
    """ROI that tracks a face from its previous FaceMesh landmarks (468, 3).

    The landmarks are turned upright about their centroid by the eye-line angle, boxed, and
    the box centre is turned back, so a rolled head still gets a tight square.
    """
    xy = np.asarray(landmarks, dtype=np.float64)[:, :2]
    angle = eye_line_angle(xy[RIGHT_EYE_CENTRE].mean(0), xy[LEFT_EYE_CENTRE].mean(0))
    origin = xy.mean(axis=0)
    upright = rotate_points(xy, -angle, origin)
    lo, hi = upright.min(axis=0), upright.max(axis=0)
    centre = rotate_points(((lo + hi) / 2.0)[None], angle, origin)[0]
    side = float(max(hi - lo)) * scale
    return FaceRoi(float(centre[0]), float(centre[1]), side, angle)
