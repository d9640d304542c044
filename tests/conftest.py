"""Shared fixtures: small synthetic media written to ``tmp_path`` (see ``tests/media_factory``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import media_factory


@pytest.fixture
def h264_mp4(tmp_path: Path) -> Path:
    """1 s of 64x48 H.264 at 25 fps in mp4 showing ``media_factory.upright_pattern``."""
    return media_factory.write_video(tmp_path / "clip.mp4")


@pytest.fixture
def vp9_webm(tmp_path: Path) -> Path:
    """1 s of 64x48 VP9 at 25 fps in WebM."""
    return media_factory.write_video(tmp_path / "clip.webm", codec="libvpx-vp9")


@pytest.fixture
def mkv_video(tmp_path: Path) -> Path:
    """1 s of 64x48 H.264 at 25 fps in Matroska."""
    return media_factory.write_video(tmp_path / "clip.mkv")


@pytest.fixture
def mov_video(tmp_path: Path) -> Path:
    """1 s of 64x48 H.264 at 25 fps in QuickTime."""
    return media_factory.write_video(tmp_path / "clip.mov")


@pytest.fixture
def rotated_phone_mp4(tmp_path: Path) -> Path:
    """A portrait 48x64 clip stored as 64x48 with a display matrix, like a phone's."""
    return media_factory.write_video(
        tmp_path / "phone.mp4", width=48, height=64, display_rotation=-90
    )


@pytest.fixture
def png_image(tmp_path: Path) -> Path:
    """A 32x24 RGB PNG of ``media_factory.upright_pattern``."""
    return media_factory.write_image(tmp_path / "face.png", media_factory.upright_pattern(24, 32))


@pytest.fixture
def jpeg_image(tmp_path: Path) -> Path:
    """A 32x24 JPEG of ``media_factory.upright_pattern`` (quality 95)."""
    return media_factory.write_image(
        tmp_path / "face.jpg", media_factory.upright_pattern(24, 32), "JPEG", quality=95
    )


@pytest.fixture
def frames_dir(tmp_path: Path) -> Path:
    """A directory of five 32x24 PNG frames named frame_0.png ... frame_4.png."""
    media_factory.write_frames_dir(tmp_path / "frames")
    return tmp_path / "frames"
