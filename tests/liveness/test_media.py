"""liveness.media: formats, rotation, frame folders, limits and bad input, on generated media."""

from __future__ import annotations

import doctest
import os
from pathlib import Path

import numpy as np
import pytest

import liveness.media
import liveness.media.loader
import liveness.media.orientation
import liveness.media.sniff
import liveness.media.video
from liveness.config import MediaLimits, SamplingConfig
from liveness.errors import LivenessError, MediaError, MediaTooLargeError, UnsupportedMediaError
from liveness.media import load_media, probe_media, sniff_format
from liveness.media.orientation import transform_from_degrees
from tests import media_factory as mf

VIDEO_FIXTURES = ["h264_mp4", "vp9_webm", "mkv_video", "mov_video"]


def assert_error(exc_info: pytest.ExceptionInfo[LivenessError], kind: type, code: str) -> None:
    assert type(exc_info.value) is kind
    assert exc_info.value.code == code


# --- videos ---------------------------------------------------------------------------


@pytest.mark.parametrize("fixture", VIDEO_FIXTURES)
def test_video_formats_decode_sampled_upright_frames(fixture: str, request: pytest.FixtureRequest) -> None:
    path: Path = request.getfixturevalue(fixture)
    frames = load_media(path)
    assert frames.kind == "video"
    assert frames.source == str(path)
    assert frames.fps == pytest.approx(25.0)
    assert frames.n_decoded == 25
    assert frames.duration_s == pytest.approx(1.0, abs=0.05)
    # every 3rd frame at 25 fps (~8 per second): the rule training samples with too
    kept = SamplingConfig().select(25, 25.0)
    assert kept == [0, 3, 6, 9, 12, 15, 18, 21, 24]
    np.testing.assert_allclose(frames.timestamps, np.array(kept) / 25.0, atol=1e-6)
    for image, time_s in zip(frames.images, frames.timestamps, strict=True):
        assert image.shape == (48, 64, 3)
        assert image.dtype == np.uint8
        assert image.flags.c_contiguous
        index = round(time_s * 25)
        assert mf.read_index(image) == index % 12, "timestamp does not match the frame kept"
        assert mf.is_upright(image, index)


def test_avi_mpeg4(tmp_path: Path) -> None:
    path = mf.write_video(tmp_path / "clip.avi", codec="mpeg4")
    frames = load_media(path)
    assert frames.kind == "video"
    assert frames.n_decoded == 25
    assert all(mf.is_upright(image) for image in frames.images)


def test_video_with_an_audio_track(tmp_path: Path) -> None:
    path = mf.write_video(tmp_path / "phone.mp4", audio=True)
    assert probe_media(path)["has_audio"] is True
    frames = load_media(path)
    assert frames.n_decoded == 25
    assert [mf.read_index(image) for image in frames.images] == [i % 12 for i in range(0, 25, 3)]


def test_video_bytes_give_the_same_frames_as_the_path(h264_mp4: Path) -> None:
    from_path = load_media(h264_mp4)
    from_bytes = load_media(h264_mp4.read_bytes())
    assert from_bytes.source == "<bytes>"
    np.testing.assert_array_equal(from_bytes.timestamps, from_path.timestamps)
    for a, b in zip(from_bytes.images, from_path.images, strict=True):
        np.testing.assert_array_equal(a, b)


def test_sampling_stops_decoding_at_max_frames(h264_mp4: Path) -> None:
    frames = load_media(h264_mp4, sampling=SamplingConfig(max_frames=3, target_fps=8.0))
    assert len(frames) == 3
    assert frames.n_decoded == 7  # frames 0, 3, 6 kept, then decoding stopped
    np.testing.assert_allclose(frames.timestamps, [0.0, 0.12, 0.24], atol=1e-6)


def test_sampling_above_the_video_rate_keeps_every_frame(h264_mp4: Path) -> None:
    frames = load_media(h264_mp4, sampling=SamplingConfig(max_frames=100, target_fps=60.0))
    assert len(frames) == frames.n_decoded == 25
    assert [mf.read_index(image) for image in frames.images] == [i % 12 for i in range(25)]


@pytest.mark.parametrize(
    ("name", "codec", "display_rotation", "hflip"),
    [
        ("phone.mp4", "libx264", -90, False),  # what a phone tags rotate=90 (portrait)
        ("phone.mov", "libx264", 90, False),
        ("upside_down.webm", "libvpx-vp9", 180, False),
        ("selfie.mp4", "libx264", 90, True),
        ("mirror.mkv", "libx264", 0, True),
    ],
)
def test_display_matrix_is_applied(
    tmp_path: Path, name: str, codec: str, display_rotation: int, hflip: bool
) -> None:
    width, height = (48, 64) if display_rotation % 180 else (64, 48)
    path = mf.write_video(
        tmp_path / name,
        codec=codec,
        width=width,
        height=height,
        n_frames=5,
        display_rotation=display_rotation,
        hflip=hflip,
    )
    frames = load_media(path)
    assert frames.images[0].shape == (height, width, 3)
    assert all(mf.is_upright(image) for image in frames.images)


def test_rotated_fixture_is_stored_sideways_and_comes_out_upright(rotated_phone_mp4: Path) -> None:
    info = probe_media(rotated_phone_mp4)
    assert (info["width"], info["height"]) == (64, 48)  # coded (sensor) size
    frames = load_media(rotated_phone_mp4)
    assert frames.images[0].shape == (64, 48, 3)
    assert mf.is_upright(frames.images[0], 0)


def test_upright_check_rejects_turned_frames() -> None:
    upright = mf.upright_pattern(48, 64)
    assert mf.is_upright(upright, 0)
    assert not mf.is_upright(np.rot90(upright, 2))
    assert not mf.is_upright(upright[:, ::-1])
    assert not mf.is_upright(upright[::-1])


@pytest.mark.parametrize(("degrees", "turns"), [(0, 0), (90, -1), (180, 2), (270, 1), (-90, 1)])
def test_legacy_rotate_tag_means_clockwise(degrees: int, turns: int) -> None:
    image = mf.upright_pattern(6, 10)
    np.testing.assert_array_equal(transform_from_degrees(degrees).apply(image), np.rot90(image, turns))


# --- frames ---------------------------------------------------------------------------


def test_frames_directory_in_natural_order(tmp_path: Path) -> None:
    directory = tmp_path / "frames"
    mf.write_frames_dir(directory, n_frames=12)  # frame_0 ... frame_11: frame_10 after frame_9
    (directory / ".DS_Store").write_bytes(b"junk that is not an image")
    (directory / "nested").mkdir()
    frames = load_media(directory)
    assert frames.kind == "frames"
    assert frames.source == str(directory)
    assert frames.fps is None
    assert frames.n_decoded == 12
    assert [mf.read_index(image) for image in frames.images] == list(range(12))
    np.testing.assert_allclose(frames.timestamps, np.arange(12) / 8.0)
    assert all(image.shape == (24, 32, 3) for image in frames.images)


def test_frames_keep_the_first_max_frames(tmp_path: Path) -> None:
    mf.write_frames_dir(tmp_path, n_frames=12)
    frames = load_media(tmp_path, sampling=SamplingConfig(max_frames=4))
    assert frames.n_decoded == 12
    assert [mf.read_index(image) for image in frames.images] == [0, 1, 2, 3]
    np.testing.assert_allclose(frames.timestamps, np.arange(4) / 8.0)


def test_frames_list_keeps_the_given_order(frames_dir: Path) -> None:
    paths = sorted(frames_dir.iterdir(), reverse=True)
    frames = load_media(paths)
    assert frames.kind == "frames"
    assert [mf.read_index(image) for image in frames.images] == [4, 3, 2, 1, 0]


def test_frames_may_be_bytes(frames_dir: Path) -> None:
    uploads = [path.read_bytes() for path in sorted(frames_dir.iterdir())]
    frames = load_media(uploads)
    assert frames.kind == "frames"
    assert frames.source == "<frames>"
    assert [mf.read_index(image) for image in frames.images] == [0, 1, 2, 3, 4]
    assert probe_media(uploads)["n_images"] == 5
    with pytest.raises(MediaError, match="<frame 1>") as exc_info:
        load_media([uploads[0], b""])
    assert_error(exc_info, MediaError, "MEDIA_EMPTY")


def test_frames_may_be_jpeg(tmp_path: Path) -> None:
    mf.write_frames_dir(tmp_path, n_frames=3, image_format="JPEG")
    frames = load_media(tmp_path)
    assert len(frames) == 3
    assert all(mf.is_upright(image) for image in frames.images)


def test_frames_must_all_be_images(frames_dir: Path, h264_mp4: Path) -> None:
    (frames_dir / "notes.txt").write_text("frame list\n")
    with pytest.raises(UnsupportedMediaError) as exc_info:
        load_media(frames_dir)
    assert_error(exc_info, UnsupportedMediaError, "MEDIA_UNSUPPORTED")
    with pytest.raises(UnsupportedMediaError, match="frame sequences hold images only"):
        load_media([h264_mp4])


@pytest.mark.parametrize("source", [[], "empty_dir"])
def test_no_frames_is_empty(tmp_path: Path, source: list[Path] | str) -> None:
    if source == "empty_dir":
        (tmp_path / "empty_dir").mkdir()
        source = str(tmp_path / "empty_dir")
    with pytest.raises(MediaError) as exc_info:
        load_media(source)
    assert_error(exc_info, MediaError, "MEDIA_EMPTY")


# --- images ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("image_format", "options"),
    [("PNG", {}), ("JPEG", {"quality": 95}), ("WEBP", {"lossless": True}), ("BMP", {}), ("GIF", {})],
)
def test_image_formats(image_format: str, options: dict[str, object]) -> None:
    data = mf.image_bytes(mf.upright_pattern(24, 32), image_format, **options)
    frames = load_media(data)
    assert frames.kind == "image"
    assert frames.n_decoded == 1
    assert frames.fps is None
    np.testing.assert_array_equal(frames.timestamps, [0.0])
    assert frames.images[0].shape == (24, 32, 3)
    assert frames.images[0].dtype == np.uint8
    assert mf.is_upright(frames.images[0], 0)


def test_image_fixtures(png_image: Path, jpeg_image: Path) -> None:
    np.testing.assert_array_equal(load_media(png_image).images[0], mf.upright_pattern(24, 32))
    assert mf.is_upright(load_media(jpeg_image).images[0], 0)


@pytest.mark.parametrize(
    ("orientation", "stored_turns", "mirror"),
    # EXIF 3: rotate 180 to show; 6: rotate 90 clockwise; 8: 90 counter-clockwise; 2: mirror
    [(3, 2, False), (6, 1, False), (8, -1, False), (2, 0, True)],
)
def test_exif_orientation_is_applied(orientation: int, stored_turns: int, mirror: bool) -> None:
    upright = mf.upright_pattern(24, 32)
    stored = np.rot90(upright[:, ::-1] if mirror else upright, stored_turns)
    data = mf.image_bytes(
        np.ascontiguousarray(stored), "JPEG", exif_orientation=orientation, quality=95
    )
    image = load_media(data).images[0]
    assert image.shape == (24, 32, 3)
    assert mf.is_upright(image, 0)
    assert probe_media(data)["width"] == 32


def test_png_alpha_is_composited_on_white() -> None:
    rgba = np.zeros((8, 8, 4), dtype=np.uint8)
    rgba[:, :4] = (200, 10, 10, 255)  # opaque red
    rgba[:, 4:] = (0, 255, 0, 0)  # fully transparent green, hidden under alpha 0
    image = load_media(mf.image_bytes(rgba, "PNG")).images[0]
    assert image.shape == (8, 8, 3)
    assert np.all(image[:, :4] == (200, 10, 10))
    assert np.all(image[:, 4:] == 255)


def test_palette_transparency_is_composited() -> None:
    rgba = np.zeros((4, 4, 4), dtype=np.uint8)
    rgba[:2] = (0, 0, 255, 255)
    data = mf.image_bytes(rgba, "GIF")  # GIF: palette with one transparent index
    image = load_media(data).images[0]
    assert np.all(image[:2] == (0, 0, 255))
    assert np.all(image[2:] == 255)


@pytest.mark.parametrize(
    ("grey", "expected"),
    [
        (np.full((4, 6), 77, dtype=np.uint8), 77),
        (np.full((4, 6), 65535, dtype=np.uint16), 255),  # 16-bit PNG scaled, not clipped
        (np.full((4, 6), 32896, dtype=np.uint16), 128),
    ],
)
def test_greyscale_becomes_three_channels(grey: np.ndarray, expected: int) -> None:
    image = load_media(mf.image_bytes(grey, "PNG")).images[0]
    assert image.shape == (4, 6, 3)
    assert np.all(image == expected)


def test_animated_gif_gives_its_first_frame_only(tmp_path: Path) -> None:
    from PIL import Image

    path = tmp_path / "anim.gif"
    first = Image.new("RGB", (8, 8), (255, 0, 0))
    second = Image.new("RGB", (8, 8), (0, 0, 255))
    first.save(path, save_all=True, append_images=[second], duration=100, loop=0)
    frames = load_media(path)
    assert frames.kind == "image"
    assert len(frames) == 1
    assert np.all(frames.images[0] == (255, 0, 0))


# --- limits ---------------------------------------------------------------------------


def test_byte_limit_refuses_before_reading(h264_mp4: Path) -> None:
    limits = MediaLimits(max_bytes=1000)
    size = h264_mp4.stat().st_size
    for source in (h264_mp4, h264_mp4.read_bytes()):
        with pytest.raises(MediaTooLargeError, match=rf"{size} bytes.*max_bytes=1000") as exc_info:
            load_media(source, limits=limits)
        assert_error(exc_info, MediaTooLargeError, "MEDIA_TOO_LARGE")


def test_byte_limit_counts_all_frame_images(frames_dir: Path) -> None:
    one_frame = next(frames_dir.iterdir()).stat().st_size
    with pytest.raises(MediaTooLargeError, match="max_bytes"):
        load_media(frames_dir, limits=MediaLimits(max_bytes=2 * one_frame + 1))


def test_declared_duration_is_refused(h264_mp4: Path) -> None:
    with pytest.raises(MediaTooLargeError, match=r"declared duration .* 1\.00 s.*max_duration_s=0\.5"):
        load_media(h264_mp4, limits=MediaLimits(max_duration_s=0.5))


def test_decoded_duration_is_refused_when_none_is_declared(tmp_path: Path) -> None:
    path = mf.write_video(tmp_path / "live.mkv", streamed=True)
    assert probe_media(path)["duration"] is None
    assert len(load_media(path)) > 0
    with pytest.raises(MediaTooLargeError, match=r"decoded duration.*max_duration_s=0\.5") as exc_info:
        load_media(path, limits=MediaLimits(max_duration_s=0.5))
    assert_error(exc_info, MediaTooLargeError, "MEDIA_TOO_LARGE")


def test_declared_frame_count_is_refused(h264_mp4: Path) -> None:
    with pytest.raises(MediaTooLargeError, match=r"declared length .* 25 frames.*max_decoded_frames=10"):
        load_media(h264_mp4, limits=MediaLimits(max_decoded_frames=10))


def test_decoded_frame_count_is_refused(mkv_video: Path) -> None:
    assert probe_media(mkv_video)["n_frames"] is None  # Matroska declares no frame count
    sampling = SamplingConfig(max_frames=100, target_fps=100.0)
    with pytest.raises(MediaTooLargeError, match=r"decoded length .* 11 frames"):
        load_media(mkv_video, limits=MediaLimits(max_decoded_frames=10), sampling=sampling)


@pytest.mark.parametrize(
    ("limits", "match"),
    [
        (MediaLimits(max_side_px=60), "64x48 px.*max_side_px=60"),
        (MediaLimits(max_pixels=3000), "64x48 = 3072 px.*max_pixels=3000"),
    ],
)
def test_video_resolution_is_refused_before_decoding(
    h264_mp4: Path, limits: MediaLimits, match: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_decoding(*args: object) -> None:
        raise AssertionError("decoding started before the resolution check")

    monkeypatch.setattr(liveness.media.video, "_decoded_frames", no_decoding)
    with pytest.raises(MediaTooLargeError, match=match) as exc_info:
        load_media(h264_mp4, limits=limits)
    assert_error(exc_info, MediaTooLargeError, "MEDIA_TOO_LARGE")


@pytest.mark.parametrize(
    ("data", "limits", "match"),
    [
        # Each file is under 100 bytes and its IDAT/LZW data holds almost nothing: decoding
        # would fail as corrupt, so TOO_LARGE proves the header alone was checked.
        (
            mf.png_declaring_size(3000, 3000),
            MediaLimits(max_pixels=4_000_000),
            "3000x3000 = 9000000 px.*max_pixels=4000000",
        ),
        (mf.png_declaring_size(5000, 5000), MediaLimits(), "5000x5000 px.*max_side_px=4096"),
        (mf.png_declaring_size(12000, 12000), MediaLimits(), "12000x12000 px.*max_side_px"),  # Pillow only warns
        (mf.png_declaring_size(30000, 30000), MediaLimits(), "900000000 px.*max_pixels"),  # Pillow refuses
        (mf.png_declaring_size(100_000, 1), MediaLimits(), "100000x1 px.*max_side_px"),
        (mf.gif_declaring_size(65535, 65535), MediaLimits(), "4294836225 px.*max_pixels"),
        (mf.gif_declaring_size(4000, 3000), MediaLimits(max_pixels=10**7), "4000x3000 = 12000000 px"),
    ],
    ids=["png-pixels", "png-side", "png-12k", "png-30k", "png-wide", "gif-64k", "gif-pixels"],
)
def test_decompression_bombs_are_refused_from_the_header(
    data: bytes, limits: MediaLimits, match: str
) -> None:
    assert len(data) < 100
    with pytest.raises(MediaTooLargeError, match=match) as exc_info:
        load_media(data, limits=limits)
    assert_error(exc_info, MediaTooLargeError, "MEDIA_TOO_LARGE")


def test_a_bomb_among_frames_is_refused(frames_dir: Path) -> None:
    (frames_dir / "frame_9.png").write_bytes(mf.png_declaring_size(30000, 30000))
    with pytest.raises(MediaTooLargeError):
        load_media(frames_dir)


def test_image_count_limit(frames_dir: Path) -> None:
    limits = MediaLimits(max_images=3)
    with pytest.raises(MediaTooLargeError, match="max_images=3") as exc_info:
        load_media(frames_dir, limits=limits)
    assert_error(exc_info, MediaTooLargeError, "MEDIA_TOO_LARGE")
    with pytest.raises(MediaTooLargeError, match="5 images"):
        load_media(sorted(frames_dir.iterdir()), limits=limits)


# --- bad input ------------------------------------------------------------------------


def test_zero_bytes_is_empty(tmp_path: Path) -> None:
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    for source in (b"", empty):
        with pytest.raises(MediaError) as exc_info:
            load_media(source)
        assert_error(exc_info, MediaError, "MEDIA_EMPTY")


def test_truncated_mp4_without_index_is_corrupt(h264_mp4: Path) -> None:
    data = h264_mp4.read_bytes()
    for cut in (len(data) // 2, 1024):
        with pytest.raises(MediaError) as exc_info:
            load_media(data[:cut])
        assert_error(exc_info, MediaError, "MEDIA_CORRUPT")


def test_truncated_faststart_mp4_keeps_the_frames_before_the_cut(tmp_path: Path) -> None:
    path = mf.write_video(tmp_path / "fast.mp4", n_frames=50, faststart=True)
    data = path.read_bytes()
    frames = load_media(data[: int(len(data) * 0.8)], sampling=SamplingConfig(max_frames=100))
    assert 0 < frames.n_decoded < 50
    assert all(mf.is_upright(image, round(t * 25)) for image, t in zip(frames.images, frames.timestamps, strict=True))


def test_damage_mid_stream_keeps_what_decodes(tmp_path: Path) -> None:
    path = mf.write_video(tmp_path / "long.mp4", n_frames=100, faststart=True)
    data = bytearray(path.read_bytes())
    start = int(len(data) * 0.75)
    data[start : start + 300] = np.random.default_rng(0).integers(0, 256, 300, dtype=np.uint8).tobytes()
    frames = load_media(bytes(data), sampling=SamplingConfig(max_frames=100))
    assert frames.n_decoded >= 50
    assert mf.read_index(frames.images[0]) == 0


@pytest.mark.parametrize(
    "data",
    [
        np.random.default_rng(1).integers(0, 256, 4096, dtype=np.uint8).tobytes(),
        b"This is a text file, not a video.\n" * 20,
        b"\x00\x00\x00\x18ftypheic" + bytes(64),  # HEIC: recognised, not supported
        b"II*\x00" + bytes(64),  # TIFF
        b"BMW 320d, 2011, grey, 140000 km, one owner\n",
    ],
    ids=["random", "text", "heic", "tiff", "text-starting-with-BM"],
)
def test_not_media_is_unsupported(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "upload.mp4"  # the name must not matter
    path.write_bytes(data)
    for source in (path, data):
        with pytest.raises(UnsupportedMediaError) as exc_info:
            load_media(source)
        assert_error(exc_info, UnsupportedMediaError, "MEDIA_UNSUPPORTED")


def test_garbage_after_a_video_signature_is_corrupt() -> None:
    data = b"\x00\x00\x00\x18ftypisom" + np.random.default_rng(2).integers(0, 256, 2000, dtype=np.uint8).tobytes()
    with pytest.raises(MediaError) as exc_info:
        load_media(data)
    assert_error(exc_info, MediaError, "MEDIA_CORRUPT")


def test_truncated_png_is_corrupt(png_image: Path) -> None:
    with pytest.raises(MediaError) as exc_info:
        load_media(png_image.read_bytes()[:60])
    assert_error(exc_info, MediaError, "MEDIA_CORRUPT")


@pytest.mark.parametrize("name", ["voice.m4a", "voice.wav"])
def test_audio_only_has_no_video(tmp_path: Path, name: str) -> None:
    path = mf.write_audio_only(tmp_path / name)
    for call in (load_media, probe_media):
        with pytest.raises(MediaError) as exc_info:
            call(path)
        assert_error(exc_info, MediaError, "MEDIA_NO_VIDEO")


def test_missing_path_is_not_found(tmp_path: Path) -> None:
    for source in (tmp_path / "nope.mp4", str(tmp_path / "nope" / "dir"), [tmp_path / "nope.png"], ""):
        with pytest.raises(MediaError) as exc_info:
            load_media(source)
        assert_error(exc_info, MediaError, "MEDIA_NOT_FOUND")


def test_special_files_are_refused(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(UnsupportedMediaError, match="not a regular file"):
        load_media(fifo)


def test_wrong_source_type_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        load_media(42)  # type: ignore[arg-type]


# --- probe and sniff ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fixture", "fmt", "codec"),
    [
        ("h264_mp4", "mp4", "h264"),
        ("vp9_webm", "webm", "vp9"),
        ("mkv_video", "mkv", "h264"),
        ("mov_video", "mov", "h264"),
    ],
)
def test_probe_video(fixture: str, fmt: str, codec: str, request: pytest.FixtureRequest) -> None:
    info = probe_media(request.getfixturevalue(fixture))
    assert info["kind"] == "video"
    assert (info["format"], info["codec"]) == (fmt, codec)
    assert (info["width"], info["height"]) == (64, 48)
    assert info["duration"] == pytest.approx(1.0, abs=0.05)
    assert info["fps"] == pytest.approx(25.0)


def test_probe_images_and_frames(png_image: Path, frames_dir: Path) -> None:
    info = probe_media(png_image.read_bytes())
    assert (info["kind"], info["codec"], info["width"], info["height"]) == ("image", "png", 32, 24)
    info = probe_media(frames_dir)
    assert (info["kind"], info["n_images"], info["width"], info["height"]) == ("frames", 5, 32, 24)
    # probe reports sizes without enforcing limits
    assert probe_media(mf.png_declaring_size(5000, 5000))["width"] == 5000


@pytest.mark.parametrize(
    ("head", "kind", "name"),
    [
        (b"\xff\xd8\xff\xe0", "image", "jpeg"),
        (b"GIF89a", "image", "gif"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image", "webp"),
        (b"RIFF\x00\x00\x00\x00AVI LIST", "video", "avi"),
        (b"RIFF\x00\x00\x00\x00WAVEfmt ", "audio", "wav"),
        (b"\x1a\x45\xdf\xa3\x9fB\x86\x81\x01B\xf7\x81\x01B\xf2\x81\x04B\xf3\x81\x08B\x82\x84webm", "video", "webm"),
        (b"\x00\x00\x00\x14ftypqt  ", "video", "mov"),
        (b"\x00\x00\x00\x1cftypM4A ", "audio", "m4a"),
        (b"ID3\x04", "audio", "mp3"),
    ],
)
def test_sniff_format(head: bytes, kind: str, name: str) -> None:
    fmt = sniff_format(head)
    assert fmt is not None
    assert (fmt.kind, fmt.name) == (kind, name)


@pytest.mark.parametrize(
    "module", [liveness.media.loader, liveness.media.sniff, liveness.media.orientation]
)
def test_docstring_examples(module: object) -> None:
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)  # type: ignore[arg-type]
    assert result.attempted > 0
    assert result.failed == 0


def test_exported_members() -> None:
    for name in liveness.media.__all__:
        assert hasattr(liveness.media, name)
