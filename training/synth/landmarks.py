"""MediaPipe FaceMesh (468 points) index sets and small geometry helpers for attack synthesis.

Index sets are ordered polylines in the image as seen by the camera: "right" is the
subject's right, i.e. the left side of the image. Lid and lip curves run from the image-left
corner to the image-right corner so the upper and lower curve of one feature pair up by
position. The iris points (468-477) exist only in the refined 478-point model.
"""

from __future__ import annotations

import numpy as np

N_LANDMARKS = 468

# Closed loop, clockwise in the image, starting at the top of the forehead.
FACE_OVAL = (
    10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377,
    152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109,
)  # fmt: skip
# Lower half of the oval: the points that move with the mandible.
JAW = (132, 58, 172, 136, 150, 149, 176, 148, 152, 377, 400, 378, 379, 365, 397, 288, 361)
CHIN = 152
RIGHT_CHEEK, LEFT_CHEEK = 234, 454

# Eyelids from the image-left to the image-right corner (right eye: outer -> inner, left eye:
# inner -> outer), so both curves of one eye share their corner points at the ends.
RIGHT_EYE_UPPER = (33, 246, 161, 160, 159, 158, 157, 173, 133)
RIGHT_EYE_LOWER = (33, 7, 163, 144, 145, 153, 154, 155, 133)
LEFT_EYE_UPPER = (362, 398, 384, 385, 386, 387, 388, 466, 263)
LEFT_EYE_LOWER = (362, 382, 381, 380, 374, 373, 390, 249, 263)
# The ring of mesh points just above each upper lid (the skin that folds over a closing eye).
RIGHT_EYE_ABOVE = (247, 30, 29, 27, 28, 56, 190)
LEFT_EYE_ABOVE = (414, 286, 258, 257, 259, 260, 467)
RIGHT_EYEBROW = (46, 53, 52, 65, 55, 70, 63, 105, 66, 107)
LEFT_EYEBROW = (276, 283, 282, 295, 285, 300, 293, 334, 296, 336)
RIGHT_IRIS = (468, 469, 470, 471, 472)  # centre first; refined model only
LEFT_IRIS = (473, 474, 475, 476, 477)

# Lips, right corner -> left corner (image left to right).
LIPS_OUTER_UPPER = (61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291)
LIPS_OUTER_LOWER = (61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291)
LIPS_INNER_UPPER = (78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308)
LIPS_INNER_LOWER = (78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308)

EYES = (
    (RIGHT_EYE_UPPER, RIGHT_EYE_LOWER, RIGHT_EYE_ABOVE),
    (LEFT_EYE_UPPER, LEFT_EYE_LOWER, LEFT_EYE_ABOVE),
)


def xy(landmarks: np.ndarray) -> np.ndarray:
    """The x/y columns of (..., 468, 2|3) landmarks as float32 (z dropped)."""
    return np.ascontiguousarray(np.asarray(landmarks)[..., :2], dtype=np.float32)


def face_center(points: np.ndarray) -> np.ndarray:
    """Centroid of the face-oval points of (468, 2) landmarks, shape (2,)."""
    return points[list(FACE_OVAL)].mean(axis=0)


def face_radius(points: np.ndarray) -> float:
    """Radius of the circle with the face oval's area: the face-size unit used throughout."""
    oval = points[list(FACE_OVAL)].astype(np.float64)
    x, y = oval[:, 0], oval[:, 1]
    area = 0.5 * abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))
    return float(np.sqrt(max(area, 1e-6) / np.pi))


def eye_roll(points: np.ndarray) -> float:
    """In-plane roll (radians) of the line from the right to the left eye centre."""
    right = points[list(RIGHT_EYE_UPPER + RIGHT_EYE_LOWER)].mean(axis=0)
    left = points[list(LEFT_EYE_UPPER + LEFT_EYE_LOWER)].mean(axis=0)
    d = left - right
    return float(np.arctan2(d[1], d[0]))


def fit_similarity(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Least-squares 2-D similarity (Umeyama) mapping ``src`` (N, 2) onto ``dst`` (N, 2).

    Returns
    -------
    numpy.ndarray
        (2, 3) float64 matrix ``M`` with ``dst ≈ src @ M[:, :2].T + M[:, 2]``.
    """
    s = np.asarray(src, dtype=np.float64)
    d = np.asarray(dst, dtype=np.float64)
    mu_s, mu_d = s.mean(0), d.mean(0)
    s0, d0 = s - mu_s, d - mu_d
    var_s = max(float((s0**2).sum() / len(s)), 1e-12)
    cov = d0.T @ s0 / len(s)
    u, sig, vt = np.linalg.svd(cov)
    sign = 1.0 if np.linalg.det(u @ vt) >= 0 else -1.0
    rot = u @ np.diag([1.0, sign]) @ vt
    scale = float((sig * np.array([1.0, sign])).sum() / var_s)
    m = np.zeros((2, 3))
    m[:, :2] = scale * rot
    m[:, 2] = mu_d - m[:, :2] @ mu_s
    return m


def apply_affine(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Apply a (2, 3) affine matrix to (..., 2) points."""
    return points @ matrix[:, :2].T + matrix[:, 2]


def invert_affine(matrix: np.ndarray) -> np.ndarray:
    """Inverse of a (2, 3) affine matrix."""
    full = np.vstack([matrix, [0.0, 0.0, 1.0]])
    return np.linalg.inv(full)[:2]


def compose_affine(outer: np.ndarray, inner: np.ndarray) -> np.ndarray:
    """The (2, 3) affine ``outer ∘ inner`` (apply ``inner`` first)."""
    return (np.vstack([outer, [0.0, 0.0, 1.0]]) @ np.vstack([inner, [0.0, 0.0, 1.0]]))[:2]


def outer_ring(points: np.ndarray, factor: float) -> np.ndarray:
    """The face-oval points pushed away from the face centre by ``factor`` (> 1), (36, 2)."""
    center = face_center(points)
    return center + factor * (points[list(FACE_OVAL)] - center)


def synthetic_landmarks(center: tuple[float, float], radius: float, *, seed: int = 0) -> np.ndarray:
    """A plausible frontal (468, 2) FaceMesh layout for tests and demos (not a real mesh).

    The named sets of this module (oval, lids, brows, lips) sit where they belong on an
    upright face of equivalent radius ``radius``; every other index gets a distinct point of
    a jittered grid inside the oval, away from the eye and mouth openings.

    Examples
    --------
    >>> lm = synthetic_landmarks((100.0, 120.0), 50.0)
    >>> lm.shape, lm.dtype.name
    ((468, 2), 'float32')
    """
    cx, cy = center
    ax, ay = 0.85, 1.15  # half-width, half-height of the oval (area-equivalent radius ≈ 1)
    out = np.full((N_LANDMARKS, 2), np.nan, dtype=np.float64)
    angles = np.linspace(0.0, 2 * np.pi, len(FACE_OVAL), endpoint=False)
    out[list(FACE_OVAL)] = np.stack([ax * np.sin(angles), -ay * np.cos(angles)], axis=1)

    def place(indices: tuple[int, ...], xs: np.ndarray, ys: np.ndarray) -> None:
        for i, x, y in zip(indices, xs, ys, strict=True):
            if np.isnan(out[i, 0]):
                out[i] = (x, y)

    eye_half_w, eye_half_h = 0.17, 0.07
    for side, (upper, lower, above) in zip((-1.0, 1.0), EYES, strict=True):
        ex, ey = side * 0.33, -0.22
        t = np.linspace(-1.0, 1.0, len(upper))
        place(upper, ex + eye_half_w * t, ey - eye_half_h * np.sqrt(1 - t**2))
        place(lower, ex + eye_half_w * t, ey + eye_half_h * np.sqrt(1 - t**2))
        ta = np.linspace(-1.0, 1.0, len(above))
        place(above, ex + 1.15 * eye_half_w * ta, ey - 1.9 * eye_half_h - 0.03 * np.sqrt(1 - ta**2))
    for side, brow in zip((-1.0, 1.0), (RIGHT_EYEBROW, LEFT_EYEBROW), strict=True):
        t = np.linspace(-1.0, 1.0, 5)
        x = side * 0.33 + 0.2 * t
        place(brow[:5], x, np.full(5, -0.40) - 0.03 * np.sqrt(1 - t**2))
        place(brow[5:], x, np.full(5, -0.46) - 0.03 * np.sqrt(1 - t**2))
    mouth_y, mouth_half_w = 0.5, 0.28
    t = np.linspace(-1.0, 1.0, len(LIPS_OUTER_UPPER))
    bulge = np.sqrt(1 - t**2)
    place(LIPS_OUTER_UPPER, mouth_half_w * t, mouth_y - 0.09 * bulge)
    place(LIPS_OUTER_LOWER, mouth_half_w * t, mouth_y + 0.11 * bulge)
    place(LIPS_INNER_UPPER, 0.85 * mouth_half_w * t, mouth_y - 0.004 * bulge)
    place(LIPS_INNER_LOWER, 0.85 * mouth_half_w * t, mouth_y + 0.004 * bulge)

    rest = np.flatnonzero(np.isnan(out[:, 0]))
    rng = np.random.default_rng(seed)
    step = 0.075
    gx, gy = np.meshgrid(np.arange(-ax, ax + 1e-9, step), np.arange(-ay, ay + 1e-9, step))
    cand = np.stack([gx.ravel(), gy.ravel()], axis=1)
    inside = (cand[:, 0] / (0.92 * ax)) ** 2 + (cand[:, 1] / (0.92 * ay)) ** 2 < 1.0
    near_eye = np.zeros(len(cand), dtype=bool)
    for ex in (-0.33, 0.33):
        near_eye |= ((cand[:, 0] - ex) / 0.22) ** 2 + ((cand[:, 1] + 0.22) / 0.12) ** 2 < 1.0
    near_mouth = (cand[:, 0] / 0.33) ** 2 + ((cand[:, 1] - mouth_y) / 0.17) ** 2 < 1.0
    cand = cand[inside & ~near_eye & ~near_mouth]
    if len(cand) < len(rest):  # cannot happen with the constants above; guards edits
        raise AssertionError("synthetic layout grid too coarse")
    pick = np.linspace(0, len(cand) - 1, len(rest)).round().astype(int)
    # Jitter after picking, so every seed gives the same index -> region correspondence.
    out[rest] = cand[pick] + rng.uniform(-0.2, 0.2, (len(rest), 2)) * step
    return (np.array([cx, cy]) + radius * out).astype(np.float32)
