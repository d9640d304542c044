"""Animated-photo attacks: one still portrait driven by another person's landmark motion.

What a cheap talking-head app does, without its generator: the still is cut into a Delaunay
mesh over its 468 FaceMesh points (plus rings around the face and the image border) and each
frame moves the mesh vertices (:class:`~training.synth.warp.MeshWarp`). The motion comes from
a real clip's landmark track, normalized so only its relative motion is kept (translation,
scale and roll relative to the track's median face, in face-size units, and the non-rigid
expression deltas in the median face's frame), retargeted to the still's face size and roll.
Without a driver, procedural motion (smooth head bob and roll, speech-rate mouth opening)
stands in for it.

On top come synthetic blinks (upper lid onto the lower lid, lid region tinted with skin
sampled above the eye), mouth opening (lower lip and jaw down, a dark mouth interior with an
optional teeth band painted into the inner-lip polygon), small yaw/pitch turns (a pseudo-3-D
squeeze of one side) and, unless the background is static, a slight camera shake.

Backgrounds: ``"static"`` keeps every pixel beyond a ring around the face fixed (the usual
photo-animation look); ``"jitter"`` adds whole-frame camera shake; ``"drag"`` lets rings of
background points follow part of the head motion, so the background bends with the face.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import cv2
import numpy as np

from training.synth._checks import check_choice, check_count, check_image, check_landmarks, check_rng
from training.synth.landmarks import (
    EYES,
    FACE_OVAL,
    LIPS_INNER_LOWER,
    LIPS_INNER_UPPER,
    LIPS_OUTER_LOWER,
    LIPS_OUTER_UPPER,
    N_LANDMARKS,
    apply_affine,
    compose_affine,
    eye_roll,
    face_center,
    face_radius,
    fit_similarity,
    invert_affine,
    outer_ring,
)
from training.synth.signals import FPS, blink_curve, smooth_series, speech_curve
from training.synth.warp import MeshWarp

Background = Literal["static", "jitter", "drag"]
BACKGROUNDS: tuple[str, ...] = ("static", "jitter", "drag")

# Limits on the retargeted driver motion: beyond them the ring of fixed background points
# around a static face would fold over (the mesh warp needs a field gradient below 1).
MAX_SHIFT = 0.25  # face radii
MAX_LOG_SCALE = 0.1
MAX_ROLL = np.deg2rad(12.0)
MAX_EXPRESSION = 0.25  # face radii, per point


def _rotation(angle: float | np.ndarray) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, -s], [s, c]])


@dataclass(frozen=True)
class _Face:
    """Geometry of the still, computed once per clip."""

    points: np.ndarray  # (468, 2) float64
    center: np.ndarray  # (2,)
    radius: float
    roll: float
    local: np.ndarray  # (468, 2) points in the upright face frame, face radii
    depth: np.ndarray  # (468,) forward depth in face radii, 0 on the oval

    @classmethod
    def of(cls, landmarks: np.ndarray) -> _Face:
        points = np.asarray(landmarks[:, :2], dtype=np.float64)
        center, radius, roll = face_center(points), face_radius(points), eye_roll(points)
        local = (points - center) @ _rotation(-roll).T / radius
        if landmarks.shape[1] == 3 and np.ptp(landmarks[:, 2]) > 1e-3 * radius:
            z = np.asarray(landmarks[:, 2], dtype=np.float64)  # FaceMesh: smaller z = nearer
            depth = (z[list(FACE_OVAL)].mean() - z) / radius
        else:  # an ellipsoid through the oval stands in for the head
            oval = local[list(FACE_OVAL)]
            ax, ay = np.abs(oval[:, 0]).max(), np.abs(oval[:, 1]).max()
            depth = 0.75 * np.sqrt(np.clip(1.0 - (local[:, 0] / ax) ** 2 - (local[:, 1] / ay) ** 2, 0.0, 1.0))
        return cls(points, center, radius, roll, local, np.clip(depth, -0.5, 1.5))

    def to_image(self, local: np.ndarray) -> np.ndarray:
        return self.center + self.radius * local @ _rotation(self.roll).T


@dataclass(frozen=True)
class _Motion:
    """Per-frame motion of the still, in still pixels and radians."""

    shift: np.ndarray  # (T, 2) px
    log_scale: np.ndarray  # (T,)
    roll: np.ndarray  # (T,)
    yaw: np.ndarray  # (T,)
    pitch: np.ndarray  # (T,)
    expression: np.ndarray  # (T, 468, 2) px
    closure: np.ndarray  # (T,) synthetic blink, 0..1
    mouth: np.ndarray  # (T,) synthetic opening, face radii


def retarget_driver(
    still_points: np.ndarray, driver: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Relative motion of a driver track, expressed for the still's face.

    Parameters
    ----------
    still_points : numpy.ndarray
        (468, 2) landmarks of the still.
    driver : numpy.ndarray
        (T, 468, 2) landmark track of the driving clip.

    Returns
    -------
    shift, log_scale, roll, expression
        (T, 2) face-centre shift in still pixels, (T,) log scale and (T,) roll relative to
        the driver's median face, and (T, 468, 2) non-rigid deltas in still pixels. Rigid
        motion is shrunk uniformly (its shape kept) to the module limits; deltas are clipped
        per point.
    """
    ref = np.median(driver, axis=0)
    to_still = fit_similarity(ref, still_points)
    linear = to_still[:, :2]
    still_radius = face_radius(still_points)
    n = len(driver)
    shift = np.zeros((n, 2))
    log_scale, roll = np.zeros(n), np.zeros(n)
    expression = np.zeros((n, N_LANDMARKS, 2))
    ref_center = face_center(ref)
    for t in range(n):
        m = fit_similarity(ref, driver[t])
        log_scale[t] = 0.5 * np.log(max(abs(np.linalg.det(m[:, :2])), 1e-12))
        roll[t] = np.arctan2(m[1, 0], m[0, 0])
        shift[t] = linear @ (face_center(driver[t]) - ref_center)
        expression[t] = (apply_affine(invert_affine(m), driver[t]) - ref) @ linear.T
    peak = np.abs(shift).max() / still_radius if n else 0.0
    if peak > MAX_SHIFT:
        shift *= MAX_SHIFT / peak
    for series, limit in ((log_scale, MAX_LOG_SCALE), (roll, MAX_ROLL)):
        peak = np.abs(series).max(initial=0.0)
        if peak > limit:
            series *= limit / peak
    norm = np.linalg.norm(expression, axis=2, keepdims=True)
    limit = MAX_EXPRESSION * still_radius
    expression *= np.minimum(1.0, limit / np.maximum(norm, 1e-9))
    return shift, log_scale, roll, expression


def _procedural_rigid(rng: np.random.Generator, n: int, radius: float, fps: float) -> tuple[np.ndarray, ...]:
    shift = rng.uniform(0.01, 0.06) * radius * np.clip(smooth_series(rng, n, hz=0.5, dims=2, fps=fps), -2.5, 2.5)
    log_scale = rng.uniform(0.005, 0.03) * np.clip(smooth_series(rng, n, hz=0.3, fps=fps)[:, 0], -2.5, 2.5)
    roll = np.deg2rad(rng.uniform(1.0, 5.0)) * np.clip(smooth_series(rng, n, hz=0.4, fps=fps)[:, 0], -2.5, 2.5)
    return shift, log_scale, roll


def _make_motion(
    rng: np.random.Generator,
    face: _Face,
    driver: np.ndarray | None,
    n: int,
    *,
    blink: bool,
    mouth: bool,
    head_turn: bool,
    fps: float,
) -> _Motion:
    if driver is None:
        shift, log_scale, roll = _procedural_rigid(rng, n, face.radius, fps)
        expression = np.zeros((n, N_LANDMARKS, 2))
        turn_deg, talk = (rng.uniform(3.0, 10.0), rng.uniform(2.0, 7.0)), rng.uniform(0.4, 0.9)
    else:
        shift, log_scale, roll, expression = retarget_driver(face.points, driver)
        turn_deg, talk = (rng.uniform(1.0, 4.0), rng.uniform(1.0, 3.0)), rng.uniform(0.0, 0.4)
    turns = np.clip(smooth_series(rng, n, hz=0.4, dims=2, fps=fps), -2.5, 2.5) * np.deg2rad(turn_deg)
    if not head_turn:
        turns[:] = 0.0
    closure = blink_curve(rng, n, fps=fps) if blink else np.zeros(n)
    opening = rng.uniform(0.1, 0.28) * speech_curve(rng, n, fps=fps, talk_fraction=talk) if mouth else np.zeros(n)
    return _Motion(shift, log_scale, roll, turns[:, 0], turns[:, 1], expression, closure, opening)


def _jaw_weights(face: _Face) -> np.ndarray:
    """How far each point follows a jaw opening (0 = fixed, 1 = like the lower lip)."""
    local = face.local
    lip = local[list(LIPS_INNER_LOWER)]
    order = np.argsort(lip[:, 0])
    lip_y = np.interp(local[:, 0], lip[order, 0], lip[order, 1])  # flat beyond the corners
    below = local[:, 1] - lip_y
    oval_x = np.abs(local[list(FACE_OVAL), 0]).max()
    # The mandible turns about the ear axis: frontal points (chin, lips) travel furthest.
    lateral = np.sqrt(np.clip(1.0 - (local[:, 0] / oval_x) ** 2, 0.0, 1.0))
    gate = np.clip(below / 0.05, 0.0, 1.0)
    w = gate * gate * (3 - 2 * gate) * (0.15 + 0.85 * lateral**1.5)
    corners = [LIPS_INNER_UPPER[0], LIPS_INNER_UPPER[-1], LIPS_OUTER_UPPER[0], LIPS_OUTER_UPPER[-1]]
    w[list(LIPS_INNER_UPPER[1:-1] + LIPS_OUTER_UPPER[1:-1])] = 0.0
    w[list(LIPS_INNER_LOWER[1:-1] + LIPS_OUTER_LOWER[1:-1])] = (
        0.15 + 0.85 * lateral[list(LIPS_INNER_LOWER[1:-1] + LIPS_OUTER_LOWER[1:-1])] ** 1.5
    )
    w[corners] = 0.4
    return w


def _close_eyes(points: np.ndarray, closure: float) -> np.ndarray:
    """Move each upper lid (and, less, the skin above it) towards its lower lid."""
    if closure <= 0.0:
        return points
    out = points.copy()
    for upper, lower, above in EYES:
        gap = points[list(lower[1:-1])] - points[list(upper[1:-1])]
        out[list(upper[1:-1])] += 0.97 * closure * gap
        out[list(above)] += 0.3 * closure * gap
    return out


def _turn(face: _Face, points: np.ndarray, yaw: float, pitch: float) -> np.ndarray:
    """Pseudo-3-D yaw/pitch: points shift by their depth, the near side widens, the far narrows."""
    if yaw == 0.0 and pitch == 0.0:
        return points
    local = (points - face.center) @ _rotation(-face.roll).T / face.radius
    local[:, 0] = local[:, 0] * np.cos(yaw) + face.depth * np.sin(yaw)
    local[:, 1] = local[:, 1] * np.cos(pitch) + face.depth * np.sin(pitch)
    return face.to_image(local)


def _shake(rng: np.random.Generator, n: int, shape: tuple[int, int], amplitude_px: float, fps: float) -> np.ndarray:
    """(T, 2, 3) small smooth camera motions, zoomed just enough to hide the frame border."""
    h, w = shape
    moves = np.clip(smooth_series(rng, n, hz=rng.uniform(1.0, 3.0), dims=3, fps=fps), -2.5, 2.5)
    angle = np.deg2rad(amplitude_px * 0.15) * moves[:, 2]
    zoom = 1.0 + 2.0 * (2.5 * amplitude_px + 0.5 * max(h, w) * np.deg2rad(amplitude_px * 0.4)) / min(h, w)
    center = np.array([(w - 1) / 2.0, (h - 1) / 2.0])
    out = np.zeros((n, 2, 3))
    for t in range(n):
        lin = zoom * _rotation(angle[t])
        out[t, :, :2] = lin
        out[t, :, 2] = center - lin @ center + amplitude_px * moves[t, :2]
    return out


def _polygon_mean_color(image: np.ndarray, polygon: np.ndarray, fallback: np.ndarray) -> np.ndarray:
    mask = np.zeros(image.shape[:2], np.uint8)
    cv2.fillPoly(mask, [np.round(polygon).astype(np.int32)], 255)
    pixels = image[mask > 0]
    return np.median(pixels, axis=0).astype(np.float32) if len(pixels) >= 4 else fallback


Paint = np.ndarray | Callable[[int, int, int, int], np.ndarray]


def _blend_polygon(image: np.ndarray, polygon: np.ndarray, paint: Paint, alpha: float, *, feather: float) -> None:
    """Alpha-blend ``paint`` into ``image`` (in place) inside a feathered ``polygon``.

    ``paint`` is an RGB colour, or a function of the box ``(x0, y0, x1, y1)`` returning an
    (y1 - y0, x1 - x0, 3) float layer for it.
    """
    h, w = image.shape[:2]
    pad = int(np.ceil(2 * feather)) + 1
    x0, y0 = np.maximum(np.floor(polygon.min(0)).astype(int) - pad, 0)
    x1, y1 = np.minimum(np.ceil(polygon.max(0)).astype(int) + pad + 1, [w, h])
    if x1 <= x0 or y1 <= y0 or alpha <= 0:
        return
    mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
    cv2.fillPoly(mask, [np.round((polygon - (x0, y0)) * 16).astype(np.int32)], 255, cv2.LINE_AA, shift=4)
    a = mask.astype(np.float32) * (alpha / 255.0)
    if feather > 0:
        a = cv2.GaussianBlur(a, (0, 0), feather)
    roi = image[y0:y1, x0:x1].astype(np.float32)
    layer = paint(int(x0), int(y0), int(x1), int(y1)) if callable(paint) else np.asarray(paint, np.float32)
    image[y0:y1, x0:x1] = np.clip(roi + a[..., None] * (layer - roi), 0, 255).astype(np.uint8)


class MouthAndLidPainter:
    """Paints lowered eyelids and the inside of an opened mouth onto warped copies of one face.

    Parameters
    ----------
    rng : numpy.random.Generator
        Draws the clip's paint style (lid/lash strength, mouth colour, teeth or not).
    still : numpy.ndarray
        The face image being warped (skin colour is sampled above its eyes).
    landmarks : numpy.ndarray
        (468, 2) landmarks of ``still``: the rest state that openings are measured against.
    """

    def __init__(self, rng: np.random.Generator, still: np.ndarray, landmarks: np.ndarray) -> None:
        pts = np.asarray(landmarks, dtype=np.float64)[:, :2]
        fallback = _polygon_mean_color(still, pts[list(FACE_OVAL)], np.full(3, 160.0, np.float32))
        self.skin = [
            _polygon_mean_color(still, np.concatenate([pts[list(upper)], pts[list(above)][::-1]]), fallback)
            for upper, _, above in EYES
        ]
        self.lid_strength = rng.uniform(0.3, 0.8)
        self.lash_strength = rng.uniform(0.3, 0.8)
        self.eye_open = [
            np.linalg.norm(pts[list(up[1:-1])] - pts[list(lo[1:-1])], axis=1).mean() + 1e-6 for up, lo, _ in EYES
        ]
        self.lip_gap = np.linalg.norm(
            pts[list(LIPS_INNER_UPPER[1:-1])] - pts[list(LIPS_INNER_LOWER[1:-1])], axis=1
        ).mean()
        self.radius = face_radius(pts)
        self.interior = rng.uniform([25, 6, 8], [75, 28, 32]).astype(np.float32)
        teeth = rng.uniform(150, 225) * np.array([1.0, rng.uniform(0.93, 0.99), rng.uniform(0.82, 0.93)])
        self.teeth = teeth.astype(np.float32) if rng.random() < 0.6 else None
        self.teeth_count = rng.uniform(6.0, 10.0)
        self.still_points = pts

    def paint(self, frame: np.ndarray, points: np.ndarray, linear: np.ndarray) -> None:
        """Paint in place; ``linear`` is the 2x2 linear part of the frame's rigid motion."""
        unit = float(np.sqrt(abs(np.linalg.det(linear))))
        for (upper, lower, _), skin, open_gap in zip(EYES, self.skin, self.eye_open, strict=True):
            cur_upper, cur_lower = points[list(upper)], points[list(lower)]
            gap = np.linalg.norm(cur_upper[1:-1] - cur_lower[1:-1], axis=1).mean() / unit
            closure = float(np.clip(1.0 - gap / open_gap, 0.0, 1.0))
            if closure < 0.05:
                continue
            rest = self.still_points[list(upper)] - self.still_points[list(lower)]
            open_upper = cur_lower + rest @ linear.T
            lid = np.concatenate([open_upper, cur_upper[::-1]])
            _blend_polygon(frame, lid, skin, self.lid_strength * closure, feather=0.08 * open_gap * unit + 0.3)
            # The lash line: a thin dark band along the lowered lid.
            thickness = max(0.12 * open_gap * unit, 0.8)
            normal = np.array([0.0, 1.0]) @ linear.T / unit * thickness
            lash = np.concatenate([cur_upper - 0.5 * normal, (cur_upper + 0.5 * normal)[::-1]])
            _blend_polygon(frame, lash, skin * 0.35, self.lash_strength * closure, feather=0.5)
        self._paint_mouth(frame, points, unit)

    def _paint_mouth(self, frame: np.ndarray, points: np.ndarray, unit: float) -> None:
        upper, lower = points[list(LIPS_INNER_UPPER)], points[list(LIPS_INNER_LOWER)]
        gap = float(np.linalg.norm(upper[1:-1] - lower[1:-1], axis=1).mean())
        alpha = float(np.clip((gap / unit - self.lip_gap) / (0.03 * self.radius), 0.0, 1.0))
        if alpha <= 0.0:
            return
        polygon = np.concatenate([upper, lower[::-1]])
        mid_y = float(polygon[:, 1].mean())
        half = max(gap / 2.0, 1.0)
        down = lower[1:-1].mean(0) - upper[1:-1].mean(0)
        down = down / (np.linalg.norm(down) + 1e-9) * float(np.clip(0.3 * gap, 1.0, 0.08 * self.radius * unit))
        teeth_poly = np.concatenate([upper, (upper + down)[::-1]])
        width = max(float(np.ptp(polygon[:, 0])), 1.0)
        left = float(polygon[:, 0].min())

        def layer(x0: int, y0: int, x1: int, y1: int) -> np.ndarray:
            ys = np.arange(y0, y1, dtype=np.float32)
            shade = 0.6 + 0.4 * np.clip(np.abs(ys - mid_y) / half, 0.0, 1.0)
            out = np.broadcast_to(self.interior * shade[:, None, None], (y1 - y0, x1 - x0, 3)).copy()
            if self.teeth is not None:
                tmask = np.zeros((y1 - y0, x1 - x0), np.uint8)
                pts = np.round((teeth_poly - (x0, y0)) * 16).astype(np.int32)
                cv2.fillPoly(tmask, [pts], 255, cv2.LINE_AA, shift=4)
                xs = (np.arange(x0, x1, dtype=np.float32) - left) / width
                # Faint gaps between teeth, and teeth fading into shadow towards the corners.
                gaps = (0.93 + 0.07 * np.abs(np.cos(np.pi * self.teeth_count * xs))) * (
                    1.0 - 0.45 * np.clip(np.abs(2.0 * xs - 1.0), 0, 1) ** 2
                )
                t = (tmask.astype(np.float32) / 255.0)[..., None]
                out += t * (self.teeth * gaps[None, :, None] - out)
            return out

        _blend_polygon(frame, polygon, layer, alpha, feather=0.7)


def _background_rings(
    rng: np.random.Generator, face: _Face, shape: tuple[int, int], background: str
) -> tuple[np.ndarray, np.ndarray]:
    """Ring points around the face and, per point, the share of head motion it follows."""
    h, w = shape
    if background == "drag":
        inner = rng.uniform(0.5, 0.9)
        specs = [(1.5, inner), (2.2, inner * rng.uniform(0.2, 0.5))]
    else:
        specs = [(1.6, 0.0)]
    rings, follow = [], []
    for factor, share in specs:
        ring = outer_ring(face.points, factor)
        inside = (ring[:, 0] > 2) & (ring[:, 0] < w - 3) & (ring[:, 1] > 2) & (ring[:, 1] < h - 3)
        rings.append(ring[inside])
        follow.append(np.full(int(inside.sum()), share))
    return np.concatenate(rings), np.concatenate(follow)


def animate_photo(
    still: np.ndarray,
    still_landmarks: np.ndarray,
    driver_landmarks: np.ndarray | None = None,
    *,
    rng: np.random.Generator | int,
    blink: bool = True,
    mouth: bool = True,
    head_turn: bool = True,
    background: Background = "static",
    n_frames: int | None = None,
    fps: float = FPS,
) -> tuple[list[np.ndarray], np.ndarray]:
    """Animate a still portrait along a driver's landmark motion (or procedural motion).

    Parameters
    ----------
    still : numpy.ndarray
        (H, W, 3) RGB uint8 portrait.
    still_landmarks : numpy.ndarray
        (468, 2) or (468, 3) FaceMesh landmarks of ``still`` in pixels (z, if given, is used
        as depth for the head turns).
    driver_landmarks : numpy.ndarray, optional
        (T, 468, 2|3) landmark track of another person's real clip. Its motion relative to
        its median face is retargeted (see :func:`retarget_driver`). ``None``: procedural
        head bob/roll and speech-like mouth motion.
    rng : numpy.random.Generator or int
        All randomness (an int is a seed): same seed, same bytes.
    blink, mouth, head_turn : bool
        Add synthetic blinks (0.1-0.4 s), mouth opening and small yaw/pitch turns.
    background : {"static", "jitter", "drag"}
        Fixed background; fixed background plus camera shake; background dragged along by
        the head, plus slight shake.
    n_frames : int, optional
        Output length. Default: the driver's length, or 100 without a driver. A driver
        shorter than ``n_frames`` is played forward and backward.
    fps : float
        Frame rate the blink and speech timings assume.

    Returns
    -------
    frames : list of numpy.ndarray
        ``n_frames`` (H, W, 3) RGB uint8 frames.
    landmarks : numpy.ndarray
        (n_frames, 468, 2) float32: where the still's landmarks went in each frame.

    Examples
    --------
    >>> from training.synth.landmarks import synthetic_landmarks
    >>> still = np.full((96, 96, 3), 128, np.uint8)
    >>> frames, lm = animate_photo(still, synthetic_landmarks((48, 50), 25), rng=0, n_frames=3)
    >>> len(frames), frames[0].shape, lm.shape
    (3, (96, 96, 3), (3, 468, 2))
    """
    image = check_image(still, name="still")
    rng = check_rng(rng)
    background = check_choice(background, BACKGROUNDS, name="background")
    raw = np.asarray(still_landmarks)
    lm = check_landmarks(still_landmarks, batched=False, name="still_landmarks")
    face = _Face.of(raw.astype(np.float64) if raw.shape[-1] == 3 else lm.astype(np.float64))
    driver = None
    if driver_landmarks is not None:
        driver = check_landmarks(driver_landmarks, batched=True, name="driver_landmarks").astype(np.float64)
    n = check_count(n_frames if n_frames is not None else (len(driver) if driver is not None else 100), name="n_frames")
    if driver is not None:
        bounce = np.concatenate([np.arange(len(driver)), np.arange(len(driver) - 2, 0, -1)])
        driver = driver[bounce[np.arange(n) % len(bounce)]]

    motion = _make_motion(rng, face, driver, n, blink=blink, mouth=mouth, head_turn=head_turn, fps=fps)
    rings, follow = _background_rings(rng, face, image.shape[:2], background)
    control = np.concatenate([face.points, rings])
    mesh = MeshWarp(control, image.shape[:2], moving=np.r_[np.ones(N_LANDMARKS, bool), follow > 0])
    shake_px = {"static": 0.0, "jitter": rng.uniform(1.0, 3.0), "drag": rng.uniform(0.3, 1.2)}[background]
    shakes = _shake(rng, n, image.shape[:2], shake_px, fps) if shake_px > 0 else None
    painter = MouthAndLidPainter(rng, image, face.points)
    jaw = _jaw_weights(face)[:, None] * (_rotation(face.roll) @ np.array([0.0, 1.0]))[None, :] * face.radius

    frames: list[np.ndarray] = []
    out_landmarks = np.zeros((n, N_LANDMARKS, 2), np.float32)
    for t in range(n):
        lin = np.exp(motion.log_scale[t]) * _rotation(motion.roll[t])
        rigid = np.zeros((2, 3))
        rigid[:, :2] = lin
        rigid[:, 2] = face.center + motion.shift[t] - lin @ face.center
        points = face.points + motion.expression[t]
        points = _close_eyes(points, float(motion.closure[t]))
        points = points + motion.mouth[t] * jaw
        points = _turn(face, points, float(motion.yaw[t]), float(motion.pitch[t]))
        points = apply_affine(rigid, points)
        displacement = np.concatenate([points - face.points, follow[:, None] * (apply_affine(rigid, rings) - rings)])
        shake = None if shakes is None else shakes[t]
        frame = mesh.warp(image, displacement, pre_affine=shake)
        final = points if shake is None else apply_affine(shake, points)
        total = rigid if shake is None else compose_affine(shake, rigid)
        painter.paint(frame, final, total[:, :2])
        frames.append(frame)
        out_landmarks[t] = final
    return frames, out_landmarks
