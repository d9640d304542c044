"""A peer face-liveness classifier (any ONNX model), scored on the same faces as ours.

The user describes the model they run today: input size, how much context around the face
box it was trained on (crop scale), pixel scaling and normalization, channel order and
layout, and which output is "live". Faces are found with ``liveness.faces`` (BlazeFace);
each sampled frame's best face box is enlarged by the crop scale around its centre, shifted
back inside the frame, cropped and resized to the input size: the plain box crop that
Silent-Face-style models were trained on. The spoof score of an attempt is 1 - the mean live
probability over up to ``frames`` frames; no face in any of them is a failure to acquire.

A description file is JSON (or YAML when PyYAML is installed)::

    {"onnx": "minifasnet_v2.onnx", "input": "80x80", "scale": 2.7,
     "pixel_scale": 1.0, "mean": [0, 0, 0], "std": [1, 1, 1],
     "color": "bgr", "layout": "NCHW", "live_index": 1, "output": "logits"}

Relative ``onnx`` paths are relative to the description file.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from benchmarks.common import BenchmarkError
from liveness.faces import FaceDetector
from liveness.inputs import evenly_spaced
from liveness.models.runtime import create_session
from liveness.types import Frames

LAYOUTS = ("NCHW", "NHWC")
COLORS = ("rgb", "bgr")
OUTPUTS = ("logits", "probabilities")
_KEYS = {"onnx", "name", "input", "scale", "pixel_scale", "mean", "std", "color", "layout", "live_index",
         "output", "frames"}


@dataclass(frozen=True)
class PeerConfig:
    """How to feed a peer classifier and read its answer.

    Parameters
    ----------
    onnx : the model file.
    input_size : (height, width) of its input.
    crop_scale : crop side / face box side (Silent-Face: 2.7 or 4.0 for its 80x80 models).
    pixel_scale : multiplies the 0..255 pixel values first (1/255 → 0..1; Silent-Face: 1.0).
    mean, std : then ``(x - mean) / std`` per channel, in the model's channel order.
    color : channel order the model expects, "rgb" or "bgr" (OpenCV-trained models: bgr).
    layout : "NCHW" or "NHWC".
    live_index : which output column is the live (bona fide) class.
    output : "logits" (softmax applied here; a single column goes through a sigmoid) or
        "probabilities" (used as they are).
    frames : frames scored per attempt (evenly spaced over the sampled frames).
    name : label in the reports (default: the file's stem).
    """

    onnx: Path
    input_size: tuple[int, int]
    crop_scale: float = 1.0
    pixel_scale: float = 1.0 / 255.0
    mean: tuple[float, float, float] = (0.0, 0.0, 0.0)
    std: tuple[float, float, float] = (1.0, 1.0, 1.0)
    color: str = "rgb"
    layout: str = "NCHW"
    live_index: int = 1
    output: str = "logits"
    frames: int = 8
    name: str = ""

    def __post_init__(self) -> None:
        h, w = self.input_size
        if not (isinstance(h, int) and isinstance(w, int) and 8 <= h <= 2048 and 8 <= w <= 2048):
            raise BenchmarkError(f"peer input size must be HxW between 8 and 2048 px, got {self.input_size}")
        if not (math.isfinite(self.crop_scale) and 0.1 <= self.crop_scale <= 10.0):
            raise BenchmarkError(f"peer crop scale must be in [0.1, 10], got {self.crop_scale}")
        if not (math.isfinite(self.pixel_scale) and self.pixel_scale > 0):
            raise BenchmarkError(f"peer pixel_scale must be a positive number, got {self.pixel_scale}")
        if len(self.mean) != 3 or len(self.std) != 3 or not all(math.isfinite(v) for v in (*self.mean, *self.std)):
            raise BenchmarkError("peer mean and std need three finite numbers each")
        if any(s == 0 for s in self.std):
            raise BenchmarkError(f"peer std must not contain 0, got {self.std}")
        if self.color not in COLORS:
            raise BenchmarkError(f"peer color must be one of {COLORS}, got {self.color!r}")
        if self.layout not in LAYOUTS:
            raise BenchmarkError(f"peer layout must be one of {LAYOUTS}, got {self.layout!r}")
        if self.output not in OUTPUTS:
            raise BenchmarkError(f"peer output must be one of {OUTPUTS}, got {self.output!r}")
        if self.live_index < 0:
            raise BenchmarkError(f"peer live_index must be >= 0, got {self.live_index}")
        if not 1 <= self.frames <= 64:
            raise BenchmarkError(f"peer frames must be in [1, 64], got {self.frames}")

    @property
    def label(self) -> str:
        return self.name or self.onnx.stem

    def to_dict(self) -> dict[str, Any]:
        return {
            "onnx": str(self.onnx),
            "name": self.label,
            "input": f"{self.input_size[0]}x{self.input_size[1]}",
            "scale": self.crop_scale,
            "pixel_scale": self.pixel_scale,
            "mean": list(self.mean),
            "std": list(self.std),
            "color": self.color,
            "layout": self.layout,
            "live_index": self.live_index,
            "output": self.output,
            "frames": self.frames,
        }


def parse_size(text: str) -> tuple[int, int]:
    """``"80x80"`` or ``"80"`` → (height, width).

    >>> parse_size("80x60"), parse_size("112")
    ((80, 60), (112, 112))
    """
    parts = str(text).lower().replace("×", "x").split("x")
    try:
        values = [int(p) for p in parts]
    except ValueError as exc:
        raise BenchmarkError(f"input size must look like 80x80, got {text!r}") from exc
    if len(values) == 1:
        values *= 2
    if len(values) != 2:
        raise BenchmarkError(f"input size must look like 80x80, got {text!r}")
    return values[0], values[1]


def _triple(value: Any, name: str) -> tuple[float, float, float]:
    if isinstance(value, str):
        value = [v for v in value.replace(",", " ").split() if v]
    if isinstance(value, int | float):
        value = [value] * 3
    try:
        numbers = tuple(float(v) for v in value)
    except (TypeError, ValueError) as exc:
        raise BenchmarkError(f"peer {name} must be one or three numbers, got {value!r}") from exc
    if len(numbers) == 1:
        numbers *= 3
    if len(numbers) != 3:
        raise BenchmarkError(f"peer {name} must be one or three numbers, got {value!r}")
    return numbers  # type: ignore[return-value]


def config_from_mapping(data: Mapping[str, Any], *, base_dir: Path | None = None) -> PeerConfig:
    """A ``PeerConfig`` from a description (keys as in the module docstring).

    Examples
    --------
    >>> cfg = config_from_mapping({"onnx": "m.onnx", "input": "80x80", "scale": 2.7, "color": "bgr",
    ...                            "pixel_scale": 1, "live_index": 1}, base_dir=Path("/peers"))
    >>> cfg.onnx, cfg.input_size, cfg.crop_scale, cfg.color, cfg.pixel_scale
    (PosixPath('/peers/m.onnx'), (80, 80), 2.7, 'bgr', 1.0)
    """
    if not isinstance(data, Mapping):
        raise BenchmarkError(f"a peer description must be a mapping, got {type(data).__name__}")
    unknown = sorted(set(data) - _KEYS)
    if unknown:
        raise BenchmarkError(f"unknown peer key(s) {unknown}; known: {sorted(_KEYS)}")
    for key in ("onnx", "input"):
        if key not in data:
            raise BenchmarkError(f"a peer description needs {key!r}")
    onnx = Path(str(data["onnx"])).expanduser()
    if not onnx.is_absolute() and base_dir is not None:
        onnx = base_dir / onnx
    try:
        return PeerConfig(
            onnx=onnx,
            input_size=parse_size(str(data["input"])),
            crop_scale=float(data.get("scale", 1.0)),
            pixel_scale=float(data.get("pixel_scale", 1.0 / 255.0)),
            mean=_triple(data.get("mean", 0.0), "mean"),
            std=_triple(data.get("std", 1.0), "std"),
            color=str(data.get("color", "rgb")).lower(),
            layout=str(data.get("layout", "NCHW")).upper(),
            live_index=int(data.get("live_index", 1)),
            output=str(data.get("output", "logits")).lower(),
            frames=int(data.get("frames", 8)),
            name=str(data.get("name", "")),
        )
    except (TypeError, ValueError) as exc:
        raise BenchmarkError(f"bad peer description: {exc}") from exc


def read_config(path: Path) -> PeerConfig:
    """Read a peer description file: JSON, or YAML (``.yaml``/``.yml``) when PyYAML is installed."""
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise BenchmarkError(f"cannot read peer description {path}: {exc}") from exc
    if path.suffix.lower() in (".yaml", ".yml"):
        try:
            import yaml
        except ModuleNotFoundError as exc:
            raise BenchmarkError(f"{path}: PyYAML is not installed; write the description as JSON") from exc
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise BenchmarkError(f"{path} is not valid YAML: {exc}") from exc
    else:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise BenchmarkError(f"{path} is not valid JSON: {exc}") from exc
    return config_from_mapping(data, base_dir=path.resolve().parent)


def enlarged_box(box: Sequence[float], frame_hw: tuple[int, int], scale: float) -> tuple[int, int, int, int]:
    """The face box grown ``scale`` times around its centre, kept inside the frame.

    The scale is first reduced so the box fits the frame at all; a box that then sticks out
    on one side is shifted back rather than cut, so the crop keeps its aspect ratio.

    Parameters
    ----------
    box : (x0, y0, x1, y1) in frame pixels.
    frame_hw : (height, width) of the frame.
    scale : wanted crop side / box side.

    Returns
    -------
    (x0, y0, x1, y1) integer pixel bounds (x1, y1 inclusive).

    Examples
    --------
    >>> enlarged_box((40, 40, 60, 60), (100, 100), 2.0)
    (30, 30, 70, 70)
    >>> enlarged_box((0, 0, 20, 20), (100, 100), 2.0)  # shifted back into the frame
    (0, 0, 40, 40)
    """
    height, width = frame_hw
    x0, y0, x1, y1 = (float(v) for v in box)
    box_w, box_h = max(x1 - x0, 1.0), max(y1 - y0, 1.0)
    scale = min((height - 1) / box_h, (width - 1) / box_w, scale)
    new_w, new_h = box_w * scale, box_h * scale
    cx, cy = x0 + box_w / 2, y0 + box_h / 2
    left, top = cx - new_w / 2, cy - new_h / 2
    right, bottom = cx + new_w / 2, cy + new_h / 2
    if left < 0:
        right, left = right - left, 0.0
    if top < 0:
        bottom, top = bottom - top, 0.0
    if right > width - 1:
        left, right = left - (right - width + 1), width - 1.0
    if bottom > height - 1:
        top, bottom = top - (bottom - height + 1), height - 1.0
    return int(max(left, 0)), int(max(top, 0)), int(right), int(bottom)


def crop_face(image: np.ndarray, box: Sequence[float], *, scale: float, size: tuple[int, int]) -> np.ndarray:
    """The enlarged box of ``image`` resized to ``size`` (height, width); RGB uint8 in and out."""
    x0, y0, x1, y1 = enlarged_box(box, image.shape[:2], scale)
    patch = image[y0 : y1 + 1, x0 : x1 + 1]
    return cv2.resize(patch, (size[1], size[0]), interpolation=cv2.INTER_LINEAR)


class PeerScorer:
    """Runs a peer model on the faces of already decoded frames."""

    def __init__(self, config: PeerConfig, *, detector: FaceDetector | None = None, threads: int | None = None):
        if not config.onnx.is_file():
            raise BenchmarkError(f"peer model {config.onnx} not found", code="PEER_MODEL_MISSING")
        self.config = config
        self.session = create_session(config.onnx, threads=threads, device="cpu")
        self.input_name = self.session.get_inputs()[0].name
        self.detector = detector or FaceDetector()
        self._check_input_shape()

    def _check_input_shape(self) -> None:
        shape = list(self.session.get_inputs()[0].shape)
        h, w = self.config.input_size
        expected = [None, 3, h, w] if self.config.layout == "NCHW" else [None, h, w, 3]
        if len(shape) != 4:
            raise BenchmarkError(f"peer model input has shape {shape}; a 4-D image batch was expected")
        for got, want in zip(shape[1:], expected[1:], strict=True):
            if isinstance(got, int) and got > 0 and got != want:
                raise BenchmarkError(
                    f"peer model input is {shape} but the description says {self.config.layout} {h}x{w}"
                )
        self.fixed_batch = shape[0] if isinstance(shape[0], int) and shape[0] > 0 else None

    def preprocess(self, crops_rgb: np.ndarray) -> np.ndarray:
        """(N, H, W, 3) uint8 RGB crops → the model's float32 input."""
        x = crops_rgb[..., ::-1] if self.config.color == "bgr" else crops_rgb
        x = x.astype(np.float32) * np.float32(self.config.pixel_scale)
        x = (x - np.asarray(self.config.mean, np.float32)) / np.asarray(self.config.std, np.float32)
        if self.config.layout == "NCHW":
            x = np.moveaxis(x, -1, 1)
        return np.ascontiguousarray(x, dtype=np.float32)

    def live_probability(self, batch: np.ndarray) -> np.ndarray:
        """Live probability of each item of a preprocessed batch."""
        if self.fixed_batch == 1 and len(batch) > 1:
            outputs = np.concatenate([self.session.run(None, {self.input_name: item[None]})[0] for item in batch])
        else:
            outputs = self.session.run(None, {self.input_name: batch})[0]
        outputs = np.asarray(outputs, np.float64).reshape(len(batch), -1)
        if self.config.live_index >= outputs.shape[1]:
            raise BenchmarkError(
                f"peer live_index {self.config.live_index} but the model has {outputs.shape[1]} output(s)"
            )
        if self.config.output == "probabilities":
            return outputs[:, self.config.live_index]
        if outputs.shape[1] == 1:
            return 1.0 / (1.0 + np.exp(-np.clip(outputs[:, 0], -40, 40)))
        shifted = np.exp(outputs - outputs.max(axis=1, keepdims=True))
        return (shifted / shifted.sum(axis=1, keepdims=True))[:, self.config.live_index]

    def score_frames(self, frames: Frames) -> tuple[float | None, dict[str, float]]:
        """(spoof score or None when no face was found, stage timings in ms)."""
        timings: dict[str, float] = {}
        t = time.perf_counter()
        crops = []
        for index in evenly_spaced(len(frames.images), self.config.frames):
            image = frames.images[int(index)]
            faces = self.detector.detect(image)
            if faces:
                crops.append(
                    crop_face(image, faces[0].box, scale=self.config.crop_scale, size=self.config.input_size)
                )
        timings["face"] = (time.perf_counter() - t) * 1000
        if not crops:
            timings["total"] = timings["face"]
            return None, timings
        t = time.perf_counter()
        live = self.live_probability(self.preprocess(np.stack(crops)))
        timings["model"] = (time.perf_counter() - t) * 1000
        timings["total"] = timings["face"] + timings["model"]
        return float(1.0 - live.mean()), timings
