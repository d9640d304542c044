"""Hand-made motion and texture features of a tracked face (numpy only).

They target what a driven still cannot fake cheaply (RESEARCH.md §2-3): eyelid and mouth
curves, head-pose variation, how far landmark motion departs from one 2-D similarity
transform (a real head shows parallax), whether skin texture stays glued to the mesh while
the pose changes (shading of a live face follows the light, not the skin), sensor noise
that changes every frame, and how the background moves relative to the face.
"""

from __future__ import annotations

import cv2
import numpy as np

from liveness.types import FaceTrack

# MediaPipe FaceMesh indices.
RIGHT_EYE = (33, 160, 158, 133, 153, 144)  # corner, upper, upper, corner, lower, lower
LEFT_EYE = (362, 385, 387, 263, 373, 380)
MOUTH_INNER = (13, 14, 78, 308)  # upper, lower, corner, corner
NOSE_TIP, FOREHEAD, CHIN, RIGHT_CHEEK, LEFT_CHEEK = 1, 10, 152, 234, 454
# Points on bone (forehead, nose bridge, temples, jaw corners) that move rigidly with the head.
RIGID_POINTS = (10, 151, 9, 8, 168, 6, 197, 195, 5, 4, 1, 234, 454, 127, 356, 21, 251, 33, 263, 133, 362)

FEATURE_NAMES = (
    "ear_std",
    "ear_range",
    "ear_lr_corr",
    "mouth_std",
    "mouth_range",
    "yaw_std",
    "pitch_std",
    "roll_std",
    "scale_cv",
    "rigid_residual",
    "nonrigid_per_pose",
    "texture_change",
    "texture_per_pose",
    "temporal_noise",
    "noise_face_bg_ratio",
    "bg_motion",
    "face_bg_motion_corr",
    "sharpness_face_bg_ratio",
    "landmark_jitter",
)


def _ear(points: np.ndarray, idx: tuple[int, ...]) -> np.ndarray:
    p = points[:, idx, :2]
    vertical = np.linalg.norm(p[:, 1] - p[:, 5], axis=1) + np.linalg.norm(p[:, 2] - p[:, 4], axis=1)
    horizontal = np.linalg.norm(p[:, 0] - p[:, 3], axis=1) + 1e-6
    return vertical / (2.0 * horizontal)


def _similarity_residual(src: np.ndarray, dst: np.ndarray) -> float:
    """RMS residual after the best 2-D similarity fit of ``src`` onto ``dst`` (Umeyama)."""
    mu_s, mu_d = src.mean(0), dst.mean(0)
    s, d = src - mu_s, dst - mu_d
    cov = d.T @ s / len(src)
    u, sig, vt = np.linalg.svd(cov)
    sign = np.sign(np.linalg.det(u @ vt)) or 1.0
    rot = u @ np.diag([1.0, sign]) @ vt
    scale = (sig * np.array([1.0, sign])).sum() / max((s**2).sum() / len(src), 1e-9)
    fitted = scale * s @ rot.T
    return float(np.sqrt(((fitted - d) ** 2).sum(1).mean()))


def _safe_corr(a: np.ndarray, b: np.ndarray) -> float:
    if len(a) < 3 or a.std() < 1e-9 or b.std() < 1e-9:
        return 0.0
    return float(np.corrcoef(a, b)[0, 1])


def _grey(image: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).astype(np.float32)


def _background_patch(image: np.ndarray, box: np.ndarray) -> np.ndarray | None:
    """The widest strip of the frame beside the face (left or right), grey, or None."""
    w = image.shape[1]
    x0, x1 = int(max(0, box[0] - 0.25 * (box[2] - box[0]))), int(min(w, box[2] + 0.25 * (box[2] - box[0])))
    left, right = image[:, :x0], image[:, x1:]
    strip = left if left.shape[1] >= right.shape[1] else right
    if strip.shape[1] < 16:
        top = image[: int(max(0, box[1] - 0.2 * (box[3] - box[1])))]
        strip = top
    if strip.shape[0] < 16 or strip.shape[1] < 16:
        return None
    return _grey(strip)


def motion_features(images: list[np.ndarray], track: FaceTrack, face_crops: np.ndarray) -> np.ndarray:
    """Features of one tracked clip, in ``FEATURE_NAMES`` order (float32, finite).

    Parameters
    ----------
    images : list of (H, W, 3) uint8
        The sampled frames the track refers to.
    track : FaceTrack
        Landmarks (N, 468, 3) in frame pixels for ``track.frame_indices``.
    face_crops : (N, S, S, 3) uint8
        Aligned face crops for the same frames (pose-stabilized), used for texture change.
    """
    lm = track.landmarks[:, :, :2].astype(np.float64)
    n = len(lm)
    out = np.zeros(len(FEATURE_NAMES), np.float32)
    if n < 3:
        return out
    face_size = np.linalg.norm(lm[:, FOREHEAD] - lm[:, CHIN], axis=1) + 1e-6
    ear_r, ear_l = _ear(lm, RIGHT_EYE), _ear(lm, LEFT_EYE)
    ear = 0.5 * (ear_r + ear_l)
    mouth = np.linalg.norm(lm[:, MOUTH_INNER[0]] - lm[:, MOUTH_INNER[1]], axis=1) / face_size
    width = lm[:, LEFT_CHEEK, 0] - lm[:, RIGHT_CHEEK, 0]
    yaw = (lm[:, NOSE_TIP, 0] - lm[:, RIGHT_CHEEK, 0]) / np.where(np.abs(width) < 1e-6, 1e-6, width) - 0.5
    pitch = (lm[:, NOSE_TIP, 1] - lm[:, FOREHEAD, 1]) / face_size
    eye_vec = lm[:, 263] - lm[:, 33]
    roll = np.arctan2(eye_vec[:, 1], eye_vec[:, 0])

    rigid = lm[:, RIGID_POINTS]
    residuals = np.array([_similarity_residual(rigid[0], rigid[t]) for t in range(1, n)]) / face_size[1:]
    full_res = np.array([_similarity_residual(lm[0], lm[t]) for t in range(1, n)]) / face_size[1:]
    pose_change = np.abs(yaw[1:] - yaw[0]) + np.abs(pitch[1:] - pitch[0]) + 1e-3
    jitter = np.linalg.norm(np.diff(lm[:, RIGID_POINTS], n=2, axis=0), axis=2).mean(1) / face_size[2:]

    crops = np.stack([_grey(c) for c in face_crops]) / 255.0
    s = crops.shape[1]
    core = crops[:, s // 4 : 3 * s // 4, s // 4 : 3 * s // 4]
    texture_change = np.abs(core[1:] - core[0]).mean(axis=(1, 2))
    hp = core - np.stack([cv2.GaussianBlur(c, (0, 0), 1.5) for c in core])
    face_noise = float(np.abs(np.diff(hp, axis=0)).mean())

    bg_noise, bg_shift, face_shift, bg_sharp, face_sharp = [], [], [], [], []
    prev_bg = None
    for t, fi in enumerate(track.frame_indices):
        patch = _background_patch(images[int(fi)], track.boxes[t])
        face_sharp.append(float(cv2.Laplacian(core[t].astype(np.float32), cv2.CV_32F).var()))
        if patch is None:
            continue
        patch = cv2.resize(patch, (min(128, patch.shape[1]), min(128, patch.shape[0]))) / 255.0
        bg_sharp.append(float(cv2.Laplacian(patch.astype(np.float32), cv2.CV_32F).var()))
        if prev_bg is not None and prev_bg.shape == patch.shape:
            (dx, dy), _ = cv2.phaseCorrelate(prev_bg.astype(np.float64), patch.astype(np.float64))
            bg_shift.append(float(np.hypot(dx, dy)))
            php = patch - cv2.GaussianBlur(patch, (0, 0), 1.5)
            qhp = prev_bg - cv2.GaussianBlur(prev_bg, (0, 0), 1.5)
            bg_noise.append(float(np.abs(php - qhp).mean()))
            face_shift.append(float(np.linalg.norm(lm[t, NOSE_TIP] - lm[t - 1, NOSE_TIP]) / face_size[t]))
        prev_bg = patch

    out[:] = (
        ear.std(),
        np.percentile(ear, 95) - np.percentile(ear, 5),
        _safe_corr(ear_r, ear_l),
        mouth.std(),
        np.percentile(mouth, 95) - np.percentile(mouth, 5),
        yaw.std(),
        pitch.std(),
        roll.std(),
        face_size.std() / face_size.mean(),
        float(np.median(residuals)),
        float(np.median((full_res - residuals) / pose_change)),
        float(texture_change.mean()),
        float(np.median(texture_change / pose_change)),
        face_noise,
        face_noise / (np.mean(bg_noise) + 1e-4) if bg_noise else 1.0,
        float(np.mean(bg_shift)) if bg_shift else 0.0,
        _safe_corr(np.asarray(face_shift), np.asarray(bg_shift)) if bg_shift else 0.0,
        float(np.log((np.mean(face_sharp) + 1e-6) / (np.mean(bg_sharp) + 1e-6))) if bg_sharp else 0.0,
        float(jitter.mean()) if len(jitter) else 0.0,
    )
    return np.nan_to_num(out, nan=0.0, posinf=0.0, neginf=0.0)
