"""Face-swap attacks without a generator: cross-subject pasting and self-blended images (SBI).

``face_swap`` pastes a source face into every target frame: the source image is warped piece-
wise-affinely so its landmarks land on the target's (it follows the target's expression, as a
real swap does), colour-matched to the target face in LAB (Reinhard), and blended inside a
feathered landmark-hull mask whose size and softness vary per clip (Face X-ray's blending
boundary). ``self_blend`` is SBI (Shiohara & Yamasaki, CVPR 2022): each frame is blended with
a colour- and scale-jittered copy of itself inside the same kind of mask, so the only cue is
the blending boundary and the statistics mismatch. Both keep their parameters for the whole
clip, so the artefact is temporally consistent like a real swap's.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from liveness.errors import FaceError
from training.synth._checks import BAD_LANDMARKS, check_frames, check_image, check_landmarks, check_rng
from training.synth.animated import MouthAndLidPainter
from training.synth.capture import apply_lut, color_lut
from training.synth.landmarks import (
    FACE_OVAL,
    LEFT_EYEBROW,
    LIPS_OUTER_LOWER,
    RIGHT_EYEBROW,
    apply_affine,
    face_radius,
    fit_similarity,
    invert_affine,
    outer_ring,
)
from training.synth.warp import MeshWarp

# Inner-face mask: brows down to the lower lip and the chin, narrower than the full oval.
_INNER = (*RIGHT_EYEBROW, *LEFT_EYEBROW, *LIPS_OUTER_LOWER, 152, 148, 377, 234, 454, 93, 323)


@dataclass(frozen=True)
class MaskStyle:
    """How a blending mask is cut from the landmarks: hull kind, grow (+) / shrink (-), feather.

    ``grow`` and ``feather`` are in face radii; ``opacity`` scales the whole mask.
    """

    inner: bool
    grow: float
    feather: float
    opacity: float

    @classmethod
    def random(cls, rng: np.random.Generator, *, opacity: tuple[float, float] = (1.0, 1.0)) -> MaskStyle:
        return cls(
            inner=bool(rng.random() < 0.3),
            grow=float(rng.uniform(-0.08, 0.04)),
            feather=float(rng.uniform(0.02, 0.1)),
            opacity=float(rng.uniform(*opacity)),
        )

    def reach(self, radius: float) -> float:
        """Farthest distance (px) outside the full landmark hull the mask can be non-zero."""
        return radius * (max(self.grow, 0.0) + 3.0 * self.feather) + 2.0


def hull_mask(shape: tuple[int, int], points: np.ndarray, style: MaskStyle) -> np.ndarray:
    """(H, W) float32 blending mask in [0, opacity] from (468, 2) landmarks."""
    h, w = shape
    radius = face_radius(points)
    chosen = points[list(_INNER)] if style.inner else points
    hull = cv2.convexHull(np.round(chosen * 16).astype(np.int32))
    mask = np.zeros((h, w), np.uint8)
    cv2.fillConvexPoly(mask, hull, 255, cv2.LINE_AA, shift=4)
    grow = round(abs(style.grow) * radius)
    if grow > 0:
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1, 2 * grow + 1))
        mask = cv2.dilate(mask, kernel) if style.grow > 0 else cv2.erode(mask, kernel)
    soft = mask.astype(np.float32) * (style.opacity / 255.0)
    sigma = style.feather * radius
    return cv2.GaussianBlur(soft, (0, 0), sigma) if sigma > 0.3 else soft


def _blend(target: np.ndarray, source: np.ndarray, mask: np.ndarray) -> np.ndarray:
    ys, xs = np.nonzero(mask > 1e-3)
    out = target.copy()
    if len(ys) == 0:
        return out
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    a = mask[y0:y1, x0:x1, None]
    t = target[y0:y1, x0:x1].astype(np.float32)
    out[y0:y1, x0:x1] = np.clip(t + a * (source[y0:y1, x0:x1].astype(np.float32) - t) + 0.5, 0, 255).astype(np.uint8)
    return out


def _lab_stats(image: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lab = cv2.cvtColor(image, cv2.COLOR_RGB2LAB).astype(np.float32)
    pixels = lab[mask > 0.5]
    if len(pixels) < 16:
        pixels = lab.reshape(-1, 3)
    return pixels.mean(0), pixels.std(0) + 1e-3


def transfer_color(
    source: np.ndarray, source_mask: np.ndarray, target: np.ndarray, target_mask: np.ndarray, *, strength: float = 1.0
) -> np.ndarray:
    """Reinhard colour transfer in LAB: ``source``'s masked statistics moved to ``target``'s."""
    mu_s, sd_s = _lab_stats(source, source_mask)
    mu_t, sd_t = _lab_stats(target, target_mask)
    lab = cv2.cvtColor(source, cv2.COLOR_RGB2LAB).astype(np.float32)
    moved = (lab - mu_s) * (sd_t / sd_s) + mu_t
    lab = lab + strength * (moved - lab)
    return cv2.cvtColor(np.clip(lab, 0, 255).astype(np.uint8), cv2.COLOR_LAB2RGB)


def face_swap(
    target_frames: list[np.ndarray],
    target_landmarks: np.ndarray,
    source_image: np.ndarray,
    source_landmarks: np.ndarray,
    *,
    rng: np.random.Generator | int,
) -> list[np.ndarray]:
    """Paste the source face into each target frame, following the target's landmarks.

    Parameters
    ----------
    target_frames : list of numpy.ndarray
        T RGB uint8 frames of the clip whose face is replaced.
    target_landmarks : numpy.ndarray
        (T, 468, 2|3) landmarks of ``target_frames``.
    source_image : numpy.ndarray
        RGB uint8 image of the face to paste.
    source_landmarks : numpy.ndarray
        (468, 2|3) landmarks of ``source_image``.
    rng : numpy.random.Generator or int
        All randomness (an int is a seed).

    Returns
    -------
    list of numpy.ndarray
        T RGB uint8 frames; pixels change only inside the target's landmark hull grown by
        ``MaskStyle.reach``.

    Examples
    --------
    >>> from training.synth.landmarks import synthetic_landmarks
    >>> lm = synthetic_landmarks((40, 40), 20)
    >>> frames = [np.full((80, 80, 3), 90, np.uint8)] * 2
    >>> out = face_swap(frames, np.stack([lm, lm]), np.full((80, 80, 3), 200, np.uint8), lm, rng=0)
    >>> len(out), out[0].shape
    (2, (80, 80, 3))
    """
    frames = check_frames(target_frames, name="target_frames")
    target = check_landmarks(target_landmarks, batched=True, name="target_landmarks").astype(np.float64)
    source = check_image(source_image, name="source_image")
    src_lm = check_landmarks(source_landmarks, batched=False, name="source_landmarks").astype(np.float64)
    rng = check_rng(rng)
    if len(target) != len(frames):
        raise FaceError(f"{len(frames)} target frames but {len(target)} landmark sets", code=BAD_LANDMARKS)
    h, w = frames[0].shape[:2]
    style = MaskStyle.random(rng)

    full = MaskStyle(inner=False, grow=0.0, feather=0.0, opacity=1.0)
    strength = rng.uniform(0.6, 1.0)
    source = transfer_color(
        source,
        hull_mask(source.shape[:2], src_lm, full),
        frames[0],
        hull_mask((h, w), target[0], full),
        strength=strength,
    )
    if rng.random() < 0.5:  # the swapped face is often softer than the frame around it
        source = cv2.GaussianBlur(source, (0, 0), rng.uniform(0.4, 1.2))
    # A fixed ring outside the face absorbs the non-rigid residual, so the mesh beyond it (and
    # its large triangles out to the border) never needs rasterizing; the similarity is exact.
    ring = outer_ring(src_lm, 1.5)
    mesh = MeshWarp(
        np.concatenate([src_lm, ring]),
        source.shape[:2],
        moving=np.r_[np.ones(len(src_lm), bool), np.zeros(len(ring), bool)],
    )
    painter = MouthAndLidPainter(rng, source, src_lm)
    out = []
    for frame, lm in zip(frames, target, strict=True):
        to_target = fit_similarity(src_lm, lm)
        residual = apply_affine(invert_affine(to_target), lm) - src_lm  # non-rigid part, source pixels
        displacement = np.concatenate([residual, np.zeros_like(ring)])
        warped = mesh.warp(source, displacement, out_shape=(h, w), pre_affine=to_target)
        # Where the target opens its mouth or closes its eyes further than the source face, a
        # real swap renders a mouth interior or lids; stretched source lips would be a giveaway.
        painter.paint(warped, lm, to_target[:, :2])
        out.append(_blend(frame, warped, hull_mask((h, w), lm, style)))
    return out


def self_blend(frames: list[np.ndarray], landmarks: np.ndarray, *, rng: np.random.Generator | int) -> list[np.ndarray]:
    """Self-blended images (SBI): blend each frame with a jittered copy of itself in a face mask.

    Parameters
    ----------
    frames : list of numpy.ndarray
        T RGB uint8 frames.
    landmarks : numpy.ndarray
        (T, 468, 2|3) landmarks of ``frames``.
    rng : numpy.random.Generator or int
        All randomness (an int is a seed). The jitter (tone curve, blur or sharpening,
        scale, shift) and the mask style are drawn once and kept for the clip.

    Returns
    -------
    list of numpy.ndarray
        T RGB uint8 frames.

    Examples
    --------
    >>> from training.synth.landmarks import synthetic_landmarks
    >>> lm = synthetic_landmarks((40, 40), 20)
    >>> out = self_blend([np.full((80, 80, 3), 90, np.uint8)] * 2, np.stack([lm, lm]), rng=0)
    >>> len(out)
    2
    """
    checked = check_frames(frames)
    lms = check_landmarks(landmarks, batched=True).astype(np.float64)
    rng = check_rng(rng)
    if len(lms) != len(checked):
        raise FaceError(f"{len(checked)} frames but {len(lms)} landmark sets", code=BAD_LANDMARKS)
    h, w = checked[0].shape[:2]
    lut = color_lut(rng, strength=rng.uniform(0.5, 1.5))
    scale = rng.uniform(0.95, 1.05, 2)
    shift = rng.uniform(-0.03, 0.03, 2)
    texture = rng.choice(["none", "blur", "sharpen"])
    amount = rng.uniform(0.5, 1.2)
    style = MaskStyle.random(rng, opacity=(0.5, 1.0))
    out = []
    for frame, lm in zip(checked, lms, strict=True):
        radius = face_radius(lm)
        center = lm[list(FACE_OVAL)].mean(0)
        matrix = np.array([[scale[0], 0.0, 0.0], [0.0, scale[1], 0.0]])
        matrix[:, 2] = center - scale * center + shift * radius
        copy = apply_lut(frame, lut)
        if texture == "blur":
            copy = cv2.GaussianBlur(copy, (0, 0), amount)
        elif texture == "sharpen":
            soft = cv2.GaussianBlur(copy, (0, 0), 1.0)
            copy = cv2.addWeighted(copy, 1.0 + 0.5 * amount, soft, -0.5 * amount, 0)
        copy = cv2.warpAffine(copy, matrix, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT101)
        out.append(_blend(frame, copy, hull_mask((h, w), lm, style)))
    return out
