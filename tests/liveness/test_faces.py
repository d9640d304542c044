"""Tests of liveness.faces: anchors, decoding, NMS, geometry, alignment, detector, tracking.

The ONNX models ship in ``weights/``, so blank-image tests run everywhere; tests on real
faces use ``../shared/data`` and carry the ``data`` marker.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from liveness.errors import FaceError, MediaError
from liveness.faces import (
    FULL_RANGE,
    LOW_QUALITY,
    MULTIPLE_FACES,
    SHORT_RANGE,
    FaceDetector,
    FaceLandmarker,
    FaceRoi,
    align_faces,
    decode_boxes,
    decode_detections,
    get_model,
    non_max_suppression,
    roi_from_landmarks,
    ssd_anchors,
    track_face,
)
from liveness.faces.align import alignment_matrices, face_frames, smooth_face_frames
from liveness.faces.geometry import letterbox, rotate_points
from liveness.faces.landmark_indices import LEFT_EYE_CENTRE, RIGHT_EYE_CENTRE
from liveness.faces.tracking import count_comparable_faces, main_face
from liveness.models import list_models, load_model
from liveness.types import FaceDetection, Frames

REPO_ROOT = Path(__file__).resolve().parents[2]
FACES_DATA = REPO_ROOT.parent / "shared" / "data" / "faces"
needs_data = pytest.mark.skipif(not FACES_DATA.is_dir(), reason="../shared/data is absent")
PHOTOS = ["p0001.jpg", "p0008.jpg", "p0013.jpg", "p0020.jpg", "fas_T1.jpg"]
VIDEO = "v0003.mp4"


def _frames(images: list[np.ndarray]) -> Frames:
    kind = "image" if len(images) == 1 else "frames"
    return Frames(images=images, timestamps=np.arange(len(images)) / 8.0, kind=kind, source="test")


def _read_rgb(path: Path) -> np.ndarray:
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    assert image is not None, path
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def _synthetic_landmarks(
    *, centre=(200.0, 150.0), side: float = 100.0, angle: float = 0.0, seed: int = 0
) -> np.ndarray:
    """A (468, 3) upright face-shaped point cloud rotated by ``angle``: the eye sets sit
    level at a third of the height, everything else fills an ellipse."""
    rng = np.random.default_rng(seed)
    theta = rng.uniform(0, 2 * np.pi, 468)
    radius = np.sqrt(rng.uniform(0, 1, 468))
    xy = np.stack([0.4 * side * radius * np.cos(theta), 0.5 * side * radius * np.sin(theta)], 1)
    xy[[0, 1]] = [(-0.4 * side, 0.0), (0.4 * side, 0.0)]  # pin the extent: width 0.8 side
    xy[[2, 3]] = [(0.0, -0.5 * side), (0.0, 0.5 * side)]  # height = side
    xy[RIGHT_EYE_CENTRE] = (-0.2 * side, -0.15 * side)
    xy[LEFT_EYE_CENTRE] = (0.2 * side, -0.15 * side)
    xy = rotate_points(xy, angle, np.zeros(2)) + np.asarray(centre)
    points = np.zeros((468, 3), np.float32)
    points[:, :2] = xy
    return points


# --- anchors and decoding -------------------------------------------------------------


def test_anchor_counts_and_layout() -> None:
    short, full = ssd_anchors(SHORT_RANGE), ssd_anchors(FULL_RANGE)
    assert short.shape == (896, 2) and full.shape == (2304, 2)
    # first layer: 16x16 cells, 2 anchors each, x varies fastest
    np.testing.assert_allclose(short[:3], [[1 / 32, 1 / 32], [1 / 32, 1 / 32], [3 / 32, 1 / 32]])
    # the merged stride-16 layers: 8x8 cells with 6 anchors each
    np.testing.assert_allclose(short[512:518], np.full((6, 2), 1 / 16))
    np.testing.assert_allclose(full[[0, 1, 48]], [[1 / 96, 1 / 96], [3 / 96, 1 / 96], [1 / 96, 3 / 96]])
    assert ((short > 0) & (short < 1)).all() and ((full > 0) & (full < 1)).all()


def test_decode_hand_made_raw_output() -> None:
    anchors = ssd_anchors(SHORT_RANGE)
    raw_boxes = np.zeros((1, 896, 16), np.float32)
    raw_scores = np.full((1, 896, 1), -10.0, np.float32)
    target = 600  # an anchor of the 8x8 grid
    ax, ay = anchors[target]
    raw_boxes[0, target, :4] = [6.4, -3.2, 32.0, 16.0]  # centre shift (px), w, h (px of 128)
    raw_boxes[0, target, 4:6] = [-8.0, -4.0]  # right eye
    raw_boxes[0, target, 6:8] = [8.0, -4.0]  # left eye
    raw_scores[0, target, 0] = 3.0

    # a letterbox of a 256x128 (w x h) frame: scale 0.5, 32 px pad at top
    _, fit = letterbox(np.zeros((128, 256, 3), np.uint8), 128)
    faces = decode_detections(raw_boxes, raw_scores, anchors, input_size=128, to_frame=fit.to_frame)

    assert len(faces) == 1
    face = faces[0]
    assert face.score == pytest.approx(1 / (1 + np.exp(-3.0)), abs=1e-6)
    cx, cy = (ax * 128 + 6.4) * 2, (ay * 128 - 3.2 - 32) * 2
    np.testing.assert_allclose(face.box, [cx - 32, cy - 16, cx + 32, cy + 16], atol=1e-3)
    np.testing.assert_allclose(
        face.keypoints[:2],
        [[(ax * 128 - 8) * 2, (ay * 128 - 4 - 32) * 2], [(ax * 128 + 8) * 2, (ay * 128 - 4 - 32) * 2]],
        atol=1e-3,
    )
    # below min_score nothing is returned
    assert decode_detections(raw_boxes, raw_scores, anchors, input_size=128, min_score=0.99) == []


def test_decode_boxes_rejects_wrong_anchor_count() -> None:
    with pytest.raises(ValueError):
        decode_boxes(np.zeros((10, 16)), ssd_anchors(SHORT_RANGE), 128)


def test_nms_plain_and_weighted() -> None:
    rows = np.array(
        [
            [0, 0, 10, 10, 5, 5],
            [2, 0, 12, 10, 7, 5],  # IoU with the first = 8/12
            [40, 40, 50, 50, 45, 45],
            [0, 0, 10, 10, 1, 1],  # duplicate of the first, lowest score
        ],
        np.float32,
    )
    scores = np.array([0.9, 0.6, 0.8, 0.3], np.float32)

    plain, plain_scores = non_max_suppression(rows, scores, iou_threshold=0.3, weighted=False)
    np.testing.assert_allclose(plain, rows[[0, 2]])
    np.testing.assert_allclose(plain_scores, [0.9, 0.8])

    merged, merged_scores = non_max_suppression(rows, scores, iou_threshold=0.3, weighted=True)
    expected = (rows[0] * 0.9 + rows[1] * 0.6 + rows[3] * 0.3) / 1.8
    np.testing.assert_allclose(merged[0], expected, rtol=1e-6)
    np.testing.assert_allclose(merged[1], rows[2])
    np.testing.assert_allclose(merged_scores, [0.9, 0.8])

    # a high threshold keeps the overlapping pair apart
    kept, _ = non_max_suppression(rows, scores, iou_threshold=0.7, weighted=False)
    assert len(kept) == 3
    empty, empty_scores = non_max_suppression(np.zeros((0, 6)), np.zeros(0))
    assert empty.shape == (0, 6) and empty_scores.shape == (0,)


# --- geometry -----------------------------------------------------------------------------


def test_letterbox_maps_points_back() -> None:
    image = np.zeros((300, 120, 3), np.uint8)
    square, fit = letterbox(image, 192)
    assert square.shape == (192, 192, 3)
    frame_points = np.array([[0.0, 0.0], [120.0, 300.0], [60.0, 150.0]])
    as_input = np.stack(
        [(frame_points[:, 0] * fit.scale_x + fit.pad_x) / 192, (frame_points[:, 1] * fit.scale_y + fit.pad_y) / 192], 1
    )
    np.testing.assert_allclose(fit.to_frame(as_input), frame_points, atol=1e-3)


def test_roi_maps_are_inverse_and_crop_is_rotated() -> None:
    roi = FaceRoi(center_x=100.0, center_y=80.0, size=60.0, angle=np.deg2rad(30))
    to_frame, to_crop = roi.crop_to_frame(192), roi.frame_to_crop(192)
    crop_points = np.array([[0.0, 0.0], [96.0, 96.0], [192.0, 10.0]])
    frame_points = crop_points @ to_frame[:, :2].T + to_frame[:, 2]
    np.testing.assert_allclose(frame_points @ to_crop[:, :2].T + to_crop[:, 2], crop_points, atol=1e-9)
    np.testing.assert_allclose(frame_points[1], [100.0, 80.0])
    # a bright dot on the ROI's x axis (along the eye line) lands right of the crop centre
    image = np.zeros((200, 200, 3), np.uint8)
    dot = np.array([100.0, 80.0]) + 20 * np.array([np.cos(roi.angle), np.sin(roi.angle)])
    cv2.circle(image, (round(dot[0]), round(dot[1])), 3, (255, 255, 255), -1)
    ys, xs = np.nonzero(roi.crop(image, 192)[..., 0] > 128)
    assert xs.mean() == pytest.approx(96 + 20 * 192 / 60, abs=3)
    assert ys.mean() == pytest.approx(96, abs=3)


def test_roi_from_landmarks_recovers_rotation() -> None:
    points = _synthetic_landmarks(centre=(300, 200), side=120, angle=np.deg2rad(-25))
    roi = roi_from_landmarks(points, scale=1.5)
    assert roi.angle == pytest.approx(np.deg2rad(-25), abs=1e-6)
    assert roi.size == pytest.approx(180, rel=1e-6)
    assert (roi.center_x, roi.center_y) == pytest.approx((300, 200), abs=1e-6)


# --- alignment ---------------------------------------------------------------------------


@pytest.mark.parametrize("angle_deg", [0.0, 20.0, -35.0])
def test_alignment_levels_eyes_and_centres_face(angle_deg: float) -> None:
    points = _synthetic_landmarks(centre=(220, 170), side=100, angle=np.deg2rad(angle_deg))
    params = face_frames(points[None])
    np.testing.assert_allclose(params[0], [220, 170, 100, np.deg2rad(angle_deg)], atol=1e-4)
    matrix = alignment_matrices(params, size=128, scale=1.0)[0]
    mapped = points[:, :2] @ matrix[:, :2].T + matrix[:, 2]
    right, left = mapped[RIGHT_EYE_CENTRE].mean(0), mapped[LEFT_EYE_CENTRE].mean(0)
    assert right[1] == pytest.approx(left[1], abs=1e-4)  # eyes level
    assert right[0] < left[0]  # subject's right eye on the crop's left
    assert (right[0] + left[0]) / 2 == pytest.approx(64, abs=1e-4)  # centred
    assert left[0] - right[0] == pytest.approx(0.4 * 128, abs=1e-4)  # face side = crop side

    # the same on pixels: two dots drawn on the eyes come out level in the crop
    image = np.zeros((340, 440, 3), np.uint8)
    for eye, colour in ((RIGHT_EYE_CENTRE, (255, 0, 0)), (LEFT_EYE_CENTRE, (0, 255, 0))):
        x, y = points[eye, :2].mean(0)
        cv2.circle(image, (round(x), round(y)), 4, colour, -1)
    crop = align_faces([image], points[None], size=128, scale=2.0)[0]
    red = np.argwhere(crop[..., 0] > 100).mean(0)
    green = np.argwhere(crop[..., 1] > 100).mean(0)
    assert red[0] == pytest.approx(green[0], abs=1.0)
    assert green[1] - red[1] == pytest.approx(0.4 * 128 / 2.0, abs=1.5)


def test_alignment_context_scale_and_shape() -> None:
    points = _synthetic_landmarks(centre=(200, 150), side=80)
    images = [np.full((300, 400, 3), 200, np.uint8)] * 2
    crops = align_faces(images, np.stack([points, points]), size=96, scale=2.7)
    assert crops.shape == (2, 96, 96, 3) and crops.dtype == np.uint8
    # 2.7 x 80 px = 216 px of a 300 px frame: everything inside, no black border
    assert crops.min() == 200
    wide = align_faces(images[:1], points[None], size=96, scale=5.0)
    assert wide.min() == 0  # past the frame is black


def test_alignment_smoothing_steadies_a_still_face() -> None:
    rng = np.random.default_rng(1)
    still = _synthetic_landmarks(centre=(200, 150), side=100)
    jittered = still[None] + rng.normal(0, 1.5, size=(24, 468, 3)).astype(np.float32)
    raw = face_frames(jittered)
    smooth = smooth_face_frames(raw, sigma=2.0)
    assert smooth[:, :2].std(axis=0).max() < 0.6 * raw[:, :2].std(axis=0).max()
    assert smooth[:, 3].std() < 0.6 * raw[:, 3].std()
    # identical landmarks give identical crops
    image = np.random.default_rng(2).integers(0, 255, (300, 400, 3), dtype=np.uint8)
    crops = align_faces([image] * 4, np.stack([still] * 4), size=64)
    assert all((crops[i] == crops[0]).all() for i in range(4))
    np.testing.assert_allclose(smooth_face_frames(raw, sigma=0), raw)


def test_alignment_bad_input_raises_typed_errors() -> None:
    points = _synthetic_landmarks()[None]
    with pytest.raises(FaceError) as info:
        align_faces([np.zeros((10, 10, 3), np.uint8)], np.zeros((1, 10, 3)))
    assert info.value.code == "BAD_LANDMARKS"
    with pytest.raises(MediaError):
        align_faces([np.zeros((10, 10, 3), np.uint8)] * 2, points)
    with pytest.raises(MediaError):
        align_faces([np.zeros((10, 10), np.uint8)], points)


# --- models, detector, landmarker, tracking ----------------------------------------------


@pytest.mark.parametrize("name", ["blazeface_short", "blazeface_full", "facemesh"])
def test_models_load_from_manifest(name: str) -> None:
    assert name in list_models()
    model = load_model(name, threads=1)
    size = model.spec.size
    outputs = model.run(np.zeros((1, 3, *size), np.float32))
    expected = {"blazeface_short": (896, 16), "blazeface_full": (2304, 16), "facemesh": (1404,)}[name]
    assert outputs[0].size == int(np.prod(expected))
    assert get_model(name) is get_model(name)  # cached: one session per process


def test_blank_image_raises_no_face() -> None:
    with pytest.raises(FaceError) as info:
        track_face(_frames([np.zeros((240, 320, 3), np.uint8), np.full((240, 320, 3), 128, np.uint8)]))
    assert info.value.code == "NO_FACE"
    assert FaceDetector(model_range="full").detect(np.zeros((100, 100, 3), np.uint8)) == []


def test_bad_inputs_raise_typed_errors() -> None:
    with pytest.raises(MediaError):
        FaceDetector().detect(np.zeros((64, 64), np.uint8))
    with pytest.raises(MediaError):
        FaceDetector().detect(np.zeros((64, 64, 3), np.float32))
    with pytest.raises(MediaError):
        track_face(_frames([]))
    landmarker = FaceLandmarker()
    with pytest.raises(FaceError) as info:
        landmarker.landmarks(np.zeros((64, 64, 3), np.uint8), (10, 10, 5, 5))
    assert info.value.code == "BAD_BOX"
    with pytest.raises(FaceError):
        landmarker.track(np.zeros((64, 64, 3), np.uint8), np.zeros((10, 3)))


def test_landmarker_on_blank_crop_reports_no_presence() -> None:
    points, presence = FaceLandmarker().landmarks(np.zeros((200, 200, 3), np.uint8), (40, 40, 160, 160))
    assert points.shape == (468, 3) and points.dtype == np.float32
    assert presence < 0.5


def _det(x0: float, y0: float, side: float, score: float = 0.9) -> FaceDetection:
    box = np.array([x0, y0, x0 + side, y0 + side], np.float32)
    return FaceDetection(box=box, keypoints=np.zeros((6, 2), np.float32), score=score)


def test_main_face_and_comparable_count() -> None:
    big_corner, central, small = _det(0, 0, 120), _det(250, 190, 110), _det(500, 20, 30)
    detections = [big_corner, central, small]
    assert main_face(detections, (480, 640, 3), None) is central  # nearly as large, central
    assert main_face(detections, (480, 640, 3), np.array([5, 5, 115, 115])) is big_corner  # tracked
    assert count_comparable_faces(detections, 110, ratio=0.5, main_detected=True) == 2
    assert count_comparable_faces([small], 110, ratio=0.5, main_detected=False) == 1


# --- real faces (../shared/data) ------------------------------------------------------------


@pytest.mark.data
@needs_data
@pytest.mark.parametrize("photo", PHOTOS)
def test_one_face_with_sensible_box_and_eyes(photo: str) -> None:
    image = _read_rgb(FACES_DATA / "images" / photo)
    faces = FaceDetector().detect(image)
    assert len(faces) == 1
    face = faces[0]
    x0, y0, x1, y1 = face.box
    height, width = image.shape[:2]
    assert face.score > 0.7
    assert 0.1 * min(height, width) < x1 - x0 < min(height, width)
    right_eye, left_eye = face.keypoints[0], face.keypoints[1]
    assert x0 < right_eye[0] < left_eye[0] < x1  # subject's right eye on the image's left
    assert y0 < right_eye[1] < (y0 + y1) / 2 and y0 < left_eye[1] < (y0 + y1) / 2

    track = track_face(_frames([image]))
    assert len(track) == 1 and track.max_faces_seen == 1 and MULTIPLE_FACES not in track.reasons
    mesh = track.landmarks[0]
    eye_gap = float(np.linalg.norm(left_eye - right_eye))
    assert np.linalg.norm(mesh[RIGHT_EYE_CENTRE, :2].mean(0) - right_eye) < 0.25 * eye_gap
    assert np.linalg.norm(mesh[LEFT_EYE_CENTRE, :2].mean(0) - left_eye) < 0.25 * eye_gap
    assert track.quality["face_size_px"] > 60 and track.scores[0] > 0.9


@pytest.mark.data
@needs_data
def test_video_track_follows_one_face() -> None:
    av = pytest.importorskip("av")
    with av.open(str(FACES_DATA / "videos" / VIDEO)) as container:
        images = []
        for index, frame in enumerate(container.decode(video=0)):
            if index % 3 == 0:
                images.append(frame.to_ndarray(format="rgb24"))
            if len(images) == 16:
                break
    track = track_face(_frames(images), redetect_every=8)
    assert len(track) == len(images)
    assert track.max_faces_seen == 1 and track.reasons == ()
    assert track.quality["detection_rate"] == 1.0 and track.quality["detector_runs"] == 2.0
    # the face moves smoothly: box centres step by a small fraction of the face per frame
    centres = (track.boxes[:, :2] + track.boxes[:, 2:]) / 2
    steps = np.linalg.norm(np.diff(centres, axis=0), axis=1)
    assert steps.max() < 0.25 * track.quality["face_size_px"]
    crops = align_faces(images, track.landmarks, size=64, scale=1.0)
    assert crops.shape == (16, 64, 64, 3)


@pytest.mark.data
@needs_data
def test_two_pasted_faces_are_counted() -> None:
    image = _read_rgb(FACES_DATA / "images" / "p0013.jpg")
    track = track_face(_frames([np.concatenate([image, image], axis=1)]))
    assert track.max_faces_seen == 2
    assert MULTIPLE_FACES in track.reasons


@pytest.mark.data
@needs_data
def test_dark_face_is_low_quality_not_an_error() -> None:
    image = _read_rgb(FACES_DATA / "images" / "p0001.jpg")
    normal = track_face(_frames([image]))
    dark = track_face(_frames([(image.astype(np.float32) * 0.2).astype(np.uint8)]))
    assert LOW_QUALITY not in normal.reasons
    assert LOW_QUALITY in dark.reasons and dark.quality["brightness"] < 40


def _whole_frame_reduction_crop(image: np.ndarray, points: np.ndarray, size: int, scale: float) -> np.ndarray:
    """The reference the region-only reduction must match: area-reduce the whole frame."""
    params = face_frames(points[None])
    matrix = alignment_matrices(params, size=size, scale=scale)[0]
    shrink = scale * params[0, 2] / size
    height, width = image.shape[:2]
    new_w, new_h = round(width / shrink), round(height / shrink)
    reduced = cv2.resize(image, (new_w, new_h), interpolation=cv2.INTER_AREA)
    matrix = matrix.copy()
    matrix[:, 0] *= width / new_w
    matrix[:, 1] *= height / new_h
    return cv2.warpAffine(reduced, matrix, (size, size), flags=cv2.INTER_LINEAR, borderValue=(0, 0, 0))


@pytest.mark.parametrize(("centre", "side"), [((640, 360), 300), ((90, 80), 260), ((1200, 650), 320)])
def test_reducing_only_the_cropped_region_matches_reducing_the_whole_frame(
    centre: tuple[int, int], side: int
) -> None:
    # Fine texture everywhere (what the region choice could alias) on a 720p frame; faces in
    # the middle and hanging over the edges (black outside the frame in both).
    rng = np.random.default_rng(3)
    image = cv2.GaussianBlur(rng.integers(0, 255, (720, 1280, 3), dtype=np.uint8), (3, 3), 0)
    points = _synthetic_landmarks(centre=centre, side=side, angle=np.deg2rad(12))
    for size, scale in ((64, 1.5), (128, 2.7)):
        ours = align_faces([image], points[None], size=size, scale=scale, smoothing=0)[0].astype(int)
        reference = _whole_frame_reduction_crop(image, points, size, scale).astype(int)
        assert np.abs(ours - reference).mean() < 1.0
