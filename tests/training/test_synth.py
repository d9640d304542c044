"""Attack synthesis (training/synth): shapes, determinism, locality and geometry, on drawn faces."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from liveness.errors import FaceError, LivenessError, MediaError
from training.synth import landmarks as L
from training.synth.animated import animate_photo, retarget_driver
from training.synth.capture import decode_video, encode_mp4, simulate_capture
from training.synth.faceswap import face_swap, self_blend
from training.synth.preview import contact_sheet
from training.synth.printed import print_attack
from training.synth.replay import replay_attack
from training.synth.warp import MeshWarp

SIZE = 160


def draw_face(seed: int = 0, size: int = SIZE, tone: tuple[int, int, int] = (205, 160, 130)
              ) -> tuple[np.ndarray, np.ndarray]:
    """A textured background with a drawn face (oval, eyes, brows, lips) and its landmarks."""
    rng = np.random.default_rng(seed)
    image = cv2.GaussianBlur(rng.integers(0, 255, (size, size, 3), dtype=np.uint8), (0, 0), 2.0)
    lm = L.synthetic_landmarks((size / 2, size * 0.52), size * 0.22, seed=seed)
    as_int = lambda idx: np.round(lm[list(idx)]).astype(np.int32)  # noqa: E731
    cv2.fillPoly(image, [as_int(L.FACE_OVAL)], tone)
    for upper, lower, _ in L.EYES:
        cv2.fillPoly(image, [np.concatenate([as_int(upper), as_int(lower)[::-1]])], (240, 240, 240))
        center = np.round(lm[list(upper + lower)].mean(0)).astype(int)
        cv2.circle(image, (int(center[0]), int(center[1])), 3, (60, 40, 20), -1)
    for brow in (L.RIGHT_EYEBROW, L.LEFT_EYEBROW):
        cv2.polylines(image, [as_int(brow[:5])], False, (60, 40, 30), 2)
    lips = np.concatenate([as_int(L.LIPS_OUTER_UPPER), as_int(L.LIPS_OUTER_LOWER)[::-1]])
    cv2.fillPoly(image, [lips], (170, 70, 70))
    return image, lm


@pytest.fixture(scope="module")
def face() -> tuple[np.ndarray, np.ndarray]:
    return draw_face(0)


@pytest.fixture(scope="module")
def clip(face: tuple[np.ndarray, np.ndarray]) -> tuple[list[np.ndarray], np.ndarray]:
    still, lm = face
    frames, track = animate_photo(still, lm, rng=11, n_frames=6, background="jitter")
    return frames, track


def _far_from(points: np.ndarray, shape: tuple[int, int], distance: float) -> np.ndarray:
    """Mask of pixels farther than ``distance`` from the convex hull of ``points``."""
    hull = np.zeros(shape, np.uint8)
    cv2.fillConvexPoly(hull, cv2.convexHull(np.round(points).astype(np.int32)), 255)
    dist = cv2.distanceTransform(255 - hull, cv2.DIST_L2, 5)
    return dist > distance


def test_synthetic_landmarks_are_distinct_and_named_sets_are_valid() -> None:
    lm = L.synthetic_landmarks((50.0, 60.0), 20.0)
    assert lm.shape == (468, 2) and np.isfinite(lm).all()
    assert len(np.unique(lm.round(3), axis=0)) == 468
    for idx in (L.FACE_OVAL, L.JAW, *L.EYES[0], *L.EYES[1], L.LIPS_INNER_UPPER, L.LIPS_OUTER_LOWER):
        assert max(idx) < 468 and len(set(idx)) == len(idx)
    assert L.face_radius(lm) == pytest.approx(20.0, rel=0.05)


def test_fit_similarity_recovers_a_known_transform() -> None:
    src = L.synthetic_landmarks((50.0, 60.0), 20.0)
    angle, scale = 0.3, 1.7
    m = np.array([[scale * np.cos(angle), -scale * np.sin(angle), 5.0], [scale * np.sin(angle), scale * np.cos(angle),
                                                                         -3.0]])
    fitted = L.fit_similarity(src, L.apply_affine(m, src))
    np.testing.assert_allclose(fitted, m, atol=1e-6)
    np.testing.assert_allclose(L.compose_affine(L.invert_affine(m), m), np.eye(3)[:2], atol=1e-9)


def test_mesh_warp_moves_control_point_content_to_its_destination() -> None:
    rng = np.random.default_rng(0)
    gx, gy = np.meshgrid(np.arange(25, 140, 20.0), np.arange(25, 140, 20.0))
    pts = np.stack([gx.ravel(), gy.ravel()], 1) + rng.uniform(-3, 3, (gx.size, 2))
    n = len(pts)
    image = np.zeros((SIZE, SIZE, 3), np.uint8)
    image[60:100, 60:100] = 255
    disp = rng.uniform(-4, 4, (n, 2))  # small against the 20 px spacing: no triangle folds
    for step in (1, 2):
        mesh = MeshWarp(pts, (SIZE, SIZE), grid_step=step)
        coords = mesh.backward_map(disp)
        # The backward map sends each control point's destination back to the control point.
        dest = mesh.destination(disp)
        got = np.stack([cv2.remap(coords[..., k], dest[:, :1].astype(np.float32), dest[:, 1:].astype(np.float32),
                                  cv2.INTER_LINEAR)[:, 0] for k in range(2)], axis=1)
        np.testing.assert_allclose(got, pts, atol=0.6)
    # A uniform shift of every point (and a matching pre-affine) is an exact translation.
    mesh = MeshWarp(pts, (SIZE, SIZE), moving=np.zeros(n, bool))
    shift = np.array([[1.0, 0.0, 7.0], [0.0, 1.0, -5.0]])
    moved = mesh.warp(image, np.zeros((n, 2)), pre_affine=shift)
    np.testing.assert_array_equal(moved[55:95, 67:107], image[60:100, 60:100])


def test_animate_photo_outputs_and_determinism(face: tuple[np.ndarray, np.ndarray]) -> None:
    still, lm = face
    a, lm_a = animate_photo(still, lm, rng=3, n_frames=5, background="drag")
    b, lm_b = animate_photo(still, lm, rng=np.random.default_rng(3), n_frames=5, background="drag")
    c, _ = animate_photo(still, lm, rng=4, n_frames=5, background="drag")
    assert len(a) == 5 and all(f.shape == still.shape and f.dtype == np.uint8 for f in a)
    assert lm_a.shape == (5, 468, 2) and lm_a.dtype == np.float32
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True)) and np.array_equal(lm_a, lm_b)
    assert any(not np.array_equal(x, y) for x, y in zip(a, c, strict=True))


def test_identity_driver_returns_the_still(face: tuple[np.ndarray, np.ndarray]) -> None:
    still, lm = face
    driver = np.repeat(L.synthetic_landmarks((70.0, 80.0), 30.0, seed=5)[None], 4, axis=0)
    frames, out_lm = animate_photo(still, lm, driver, rng=0, blink=False, mouth=False, head_turn=False)
    assert len(frames) == 4
    for frame in frames:
        assert np.abs(frame.astype(int) - still).max() <= 1
    np.testing.assert_allclose(out_lm, np.repeat(lm[None], 4, axis=0), atol=1e-3)


def test_driver_motion_is_retargeted_to_the_still(face: tuple[np.ndarray, np.ndarray]) -> None:
    _, lm = face
    ref = L.synthetic_landmarks((300.0, 250.0), 90.0, seed=2)  # another, bigger, jittered face
    rolls = np.deg2rad([-4.0, 0.0, 0.0, 4.0, 0.0])
    driver = []
    for i, roll in enumerate(rolls):
        rot = np.array([[np.cos(roll), -np.sin(roll)], [np.sin(roll), np.cos(roll)]])
        c = L.face_center(ref)
        driver.append((ref - c) @ rot.T + c + [9.0 * (i == 2), 0.0])
    shift, log_scale, roll, expression = retarget_driver(lm.astype(np.float64), np.array(driver))
    np.testing.assert_allclose(roll, rolls, atol=1e-3)
    np.testing.assert_allclose(log_scale, 0.0, atol=1e-3)
    ratio = L.face_radius(lm) / L.face_radius(ref)
    assert shift[2, 0] == pytest.approx(9.0 * ratio, rel=0.02)
    assert np.abs(expression).max() < 0.01 * L.face_radius(lm)  # rigid motion does not leak into it


def test_blink_changes_the_eyes_and_not_the_far_background(face: tuple[np.ndarray, np.ndarray]) -> None:
    still, lm = face
    frames, out_lm = animate_photo(still, lm, rng=1, n_frames=60, mouth=False, head_turn=False)
    up, lo = L.RIGHT_EYE_UPPER[1:-1], L.RIGHT_EYE_LOWER[1:-1]
    gap = np.linalg.norm(out_lm[:, list(up)] - out_lm[:, list(lo)], axis=2).mean(1)
    still_gap = np.linalg.norm(lm[list(up)] - lm[list(lo)], axis=1).mean()
    closed = int(np.argmin(gap))
    assert gap[closed] < 0.3 * still_gap  # a blink happened within 2.4 s
    eye = lm[list(up + lo)].mean(0).round().astype(int)
    patch = (slice(eye[1] - 2, eye[1] + 3), slice(eye[0] - 4, eye[0] + 5))
    assert np.abs(frames[closed][patch].astype(int) - still[patch]).mean() > 20
    far = _far_from(lm[list(L.FACE_OVAL)], still.shape[:2], 0.7 * L.face_radius(lm))
    for frame in frames:
        np.testing.assert_array_equal(frame[far], still[far])


def test_mouth_opening_paints_a_dark_mouth(face: tuple[np.ndarray, np.ndarray]) -> None:
    still, lm = face
    frames, out_lm = animate_photo(still, lm, rng=2, n_frames=50, blink=False, head_turn=False)
    gap = np.linalg.norm(out_lm[:, list(L.LIPS_INNER_UPPER)] - out_lm[:, list(L.LIPS_INNER_LOWER)], axis=2).mean(1)
    t = int(np.argmax(gap))
    assert gap[t] > 0.05 * L.face_radius(lm)
    inner = np.concatenate([out_lm[t, list(L.LIPS_INNER_UPPER)], out_lm[t, list(L.LIPS_INNER_LOWER)][::-1]])
    mask = np.zeros(still.shape[:2], np.uint8)
    cv2.fillPoly(mask, [np.round(inner).astype(np.int32)], 255)
    mask = cv2.erode(mask, np.ones((3, 3), np.uint8))
    lips_mean = still[np.round(lm[list(L.LIPS_OUTER_LOWER)]).astype(int)[:, 1],
                      np.round(lm[list(L.LIPS_OUTER_LOWER)]).astype(int)[:, 0]].mean()
    assert mask.any() and frames[t][mask > 0].mean() < lips_mean + 40


def test_procedural_backgrounds(face: tuple[np.ndarray, np.ndarray]) -> None:
    still, lm = face
    far = _far_from(lm[list(L.FACE_OVAL)], still.shape[:2], 0.7 * L.face_radius(lm))
    static, _ = animate_photo(still, lm, rng=5, n_frames=8, background="static")
    jitter, _ = animate_photo(still, lm, rng=5, n_frames=8, background="jitter")
    assert all(np.array_equal(f[far], still[far]) for f in static)
    assert not all(np.array_equal(f[far], still[far]) for f in jitter)


def test_face_swap_changes_only_the_face_region(clip: tuple[list[np.ndarray], np.ndarray]) -> None:
    frames, track = clip
    source, src_lm = draw_face(7, tone=(120, 90, 70))
    out = face_swap(frames, track, source, src_lm, rng=0)
    again = face_swap(frames, track, source, src_lm, rng=0)
    assert len(out) == len(frames) and all(o.shape == f.shape and o.dtype == np.uint8 for o, f in zip(out, frames,
                                                                                                     strict=True))
    assert all(np.array_equal(a, b) for a, b in zip(out, again, strict=True))
    for o, f, lm in zip(out, frames, track, strict=True):
        far = _far_from(lm, f.shape[:2], 0.45 * L.face_radius(lm))
        np.testing.assert_array_equal(o[far], f[far])
        inside = ~_far_from(lm, f.shape[:2], 0.0)
        inner = cv2.erode(inside.astype(np.uint8), np.ones((15, 15), np.uint8)) > 0
        assert inner.sum() > 500
        assert np.abs(o[inner].astype(int) - f[inner]).mean() > 5


def test_self_blend_is_local_and_deterministic(clip: tuple[list[np.ndarray], np.ndarray]) -> None:
    frames, track = clip
    out = self_blend(frames, track, rng=1)
    assert all(np.array_equal(a, b) for a, b in zip(out, self_blend(frames, track, rng=1), strict=True))
    changed = False
    for o, f, lm in zip(out, frames, track, strict=True):
        far = _far_from(lm, f.shape[:2], 0.45 * L.face_radius(lm))
        np.testing.assert_array_equal(o[far], f[far])
        changed |= not np.array_equal(o, f)
    assert changed


@pytest.mark.parametrize("attack", ["replay", "print_image", "print_frames"])
def test_replay_and_print_outputs(attack: str, clip: tuple[list[np.ndarray], np.ndarray]) -> None:
    frames, _ = clip

    def run(seed: int) -> list[np.ndarray]:
        if attack == "replay":
            return replay_attack(frames, rng=seed)
        if attack == "print_image":
            return print_attack(frames[0], rng=seed, n_frames=4)
        return print_attack(frames, rng=seed, n_frames=4)

    out = run(3)
    assert len(out) == (len(frames) if attack == "replay" else 4)
    assert all(o.shape == frames[0].shape and o.dtype == np.uint8 for o in out)
    assert all(np.array_equal(a, b) for a, b in zip(out, run(3), strict=True))
    assert not np.array_equal(out[0], run(4)[0])
    assert np.abs(out[0].astype(int) - frames[0]).mean() > 3  # visibly a different picture


def test_capture_round_trip_and_encode(tmp_path, clip: tuple[list[np.ndarray], np.ndarray]) -> None:
    frames, _ = clip
    out = simulate_capture(frames, rng=0, short_side=(96, 128))
    assert len(out) == len(frames)
    assert 96 <= min(out[0].shape[:2]) <= 128 and out[0].shape[0] % 2 == 0 and out[0].dtype == np.uint8
    assert all(np.array_equal(a, b) for a, b in zip(out, simulate_capture(frames, rng=0, short_side=(96, 128)),
                                                    strict=True))
    path = tmp_path / "clip.mp4"
    encode_mp4(frames, path, crf=18)
    decoded = decode_video(path)
    assert len(decoded) == len(frames)
    assert np.abs(decoded[0].astype(int) - frames[0]).mean() < 6


def test_contact_sheet_writes_a_png(tmp_path, clip: tuple[list[np.ndarray], np.ndarray]) -> None:
    frames, _ = clip
    path = contact_sheet({"bona fide": frames, "short": frames[:2]}, tmp_path / "sheet.png", frames_per_clip=4,
                         tile=48)
    sheet = cv2.imread(str(path))
    assert sheet is not None and sheet.shape[0] == 2 * 48 and sheet.shape[1] > 4 * 48


def test_bad_inputs_raise_typed_errors(face: tuple[np.ndarray, np.ndarray]) -> None:
    still, lm = face
    with pytest.raises(MediaError):
        animate_photo(still.astype(np.float32), lm, rng=0, n_frames=2)
    with pytest.raises(FaceError):
        animate_photo(still, lm[:100], rng=0, n_frames=2)
    with pytest.raises(FaceError):
        animate_photo(still, lm, np.full((3, 468, 2), np.nan), rng=0)
    with pytest.raises(LivenessError):
        animate_photo(still, lm, rng=0, n_frames=2, background="moving")  # type: ignore[arg-type]
    with pytest.raises(LivenessError):
        animate_photo(still, lm, rng="seed", n_frames=2)  # type: ignore[arg-type]
    with pytest.raises(MediaError):
        replay_attack([], rng=0)
    with pytest.raises(FaceError):
        self_blend([still, still], lm[None], rng=0)
    with pytest.raises(MediaError):
        simulate_capture([still, still[:50]], rng=0)
    with pytest.raises(LivenessError):
        contact_sheet({}, "/tmp/unused.png")
