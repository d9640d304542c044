"""Face media for tests on a fresh clone, made from a photo that a dependency ships.

matplotlib ships ``grace_hopper.jpg`` (a public-domain US Navy portrait) in its sample data;
we animate it (pan, zoom, small rotation) into videos so the whole pipeline can run without
../shared/data.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import cv2
import matplotlib.cbook
import numpy as np
from PIL import Image


def portrait() -> np.ndarray:
    path = matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)
    return np.asarray(Image.open(path).convert("RGB"))


def moving_portrait_frames(
    n_frames: int = 50, *, size: tuple[int, int] = (360, 320), seed: int = 0
) -> list[np.ndarray]:
    """The portrait moved like a hand-held phone: smooth pan, zoom and roll, plus sensor noise."""
    rng = np.random.default_rng(seed)
    image = portrait()
    h, w = size
    frames = []
    for t in range(n_frames):
        phase = 2 * np.pi * t / max(n_frames, 1)
        angle = 3.0 * np.sin(phase)
        scale = 0.62 + 0.03 * np.sin(2 * phase)
        matrix = cv2.getRotationMatrix2D((image.shape[1] / 2, image.shape[0] / 2), angle, scale)
        matrix[0, 2] += (w - image.shape[1]) / 2 + 6 * np.sin(phase)
        matrix[1, 2] += (h - image.shape[0]) / 2 + 4 * np.cos(phase)
        frame = cv2.warpAffine(image, matrix, (w, h), borderMode=cv2.BORDER_REFLECT)
        noise = rng.normal(0, 2.0, frame.shape)
        frames.append(np.clip(frame + noise, 0, 255).astype(np.uint8))
    return frames


def write_video(
    frames: list[np.ndarray], path: Path, *, codec: str = "libx264", fps: int = 25, rotation: int | None = None
) -> Path:
    """Encode frames with PyAV (yuv420p); ``rotation`` sets a display-matrix rotation."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=Fraction(fps, 1))
        stream.width, stream.height = frames[0].shape[1], frames[0].shape[0]
        stream.pix_fmt = "yuv420p"
        if rotation is not None:
            stream.metadata["rotate"] = str(rotation)
        for frame in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def write_image(path: Path, image: np.ndarray | None = None) -> Path:
    Image.fromarray(portrait() if image is None else image).save(path)
    return path
