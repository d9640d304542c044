"""Simulated generator texture: faces re-synthesized by small autoencoders we train ourselves.

Talking-head and face-swap generators paint the face with a decoder that upsamples from a
low-resolution code; that leaves smooth skin, lost pores and upsampling patterns that a
warp of a real photo does not have. Following AutoGAN (Zhang, Karaman, Chang, WIFS 2019),
we simulate them without any generator's weights: autoencoders trained for a few minutes on
the training persons' real face crops, one with transposed convolutions (checkerboard
artifacts) and one with resize-convolutions (smooth), reconstruct the face of each frame,
and the reconstruction is blended back under a feathered mask, as generators paste faces.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import torch
from torch import nn
from tqdm import tqdm

AE_SIZE = 128
FACE_OVAL = (
    10,
    338,
    297,
    332,
    284,
    251,
    389,
    356,
    454,
    323,
    361,
    288,
    397,
    365,
    379,
    378,
    400,
    377,
    152,
    148,
    176,
    149,
    150,
    136,
    172,
    58,
    132,
    93,
    234,
    127,
    162,
    21,
    54,
    103,
    67,
    109,
)


class FaceAutoencoder(nn.Module):
    """128 → 16x16 code → 128, with one narrow skip at 32x32: structure survives, pores and
    fine texture do not, and the decoder's upsampling leaves its own pattern."""

    def __init__(self, *, upsample: str = "transpose", width: int = 32, skip: int = 16):
        super().__init__()
        w = width

        def down(c_in: int, c_out: int) -> nn.Module:
            return nn.Sequential(nn.Conv2d(c_in, c_out, 4, 2, 1), nn.LeakyReLU(0.1))

        def up(c_in: int, c_out: int, last: bool = False) -> nn.Module:
            act: nn.Module = nn.Identity() if last else nn.LeakyReLU(0.1)
            if upsample == "transpose":
                return nn.Sequential(nn.ConvTranspose2d(c_in, c_out, 4, 2, 1), act)
            return nn.Sequential(
                nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False), nn.Conv2d(c_in, c_out, 3, 1, 1), act
            )

        self.down1, self.down2, self.down3 = down(3, w), down(w, 2 * w), down(2 * w, 4 * w)
        self.skip = nn.Conv2d(2 * w, skip, 1)
        self.up3, self.up2, self.up1 = up(4 * w, 2 * w), up(2 * w + skip, w), up(w, 3, last=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h32 = self.down2(self.down1(x))
        h = self.up3(self.down3(h32))
        h = self.up2(torch.cat([h, self.skip(h32)], dim=1))
        return torch.tanh(self.up1(h))


def face_square(landmarks: np.ndarray, scale: float = 1.25) -> tuple[float, float, float]:
    """Centre and side of a square around the landmarks (x, y, side)."""
    x0, y0 = landmarks[:, :2].min(0)
    x1, y1 = landmarks[:, :2].max(0)
    return float((x0 + x1) / 2), float((y0 + y1) / 2), float(max(x1 - x0, y1 - y0) * scale)


def crop_square(
    frame: np.ndarray, cx: float, cy: float, side: float, size: int = AE_SIZE
) -> tuple[np.ndarray, np.ndarray]:
    """Resampled square crop and the 2x3 matrix that maps frame → crop."""
    s = size / side
    matrix = np.array([[s, 0, size / 2 - s * cx], [0, s, size / 2 - s * cy]], np.float32)
    crop = cv2.warpAffine(frame, matrix, (size, size), flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REFLECT)
    return crop, matrix


def train_autoencoders(crops: np.ndarray, *, minutes: float = 4.0, seed: int = 0) -> list[dict]:
    """Train the two autoencoders on real face crops (N, 128, 128, 3) uint8; returns state dicts."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    states = []
    for kind in ("transpose", "resize"):
        model = FaceAutoencoder(upsample=kind)
        opt = torch.optim.Adam(model.parameters(), lr=2e-3)
        deadline = time.time() + minutes * 60 / 2
        bar = tqdm(desc=f"autoencoder ({kind})", unit="batch")
        while time.time() < deadline:
            idx = rng.integers(0, len(crops), 32)
            x = torch.from_numpy(crops[idx]).float().div(127.5).sub(1).permute(0, 3, 1, 2)
            if rng.random() < 0.5:
                x = x.flip(-1)
            loss = (model(x) - x).abs().mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            bar.update(1)
            bar.set_postfix(l1=f"{loss.item():.3f}")
        bar.close()
        states.append({"kind": kind, "state": {k: v.detach().clone() for k, v in model.state_dict().items()}})
    return states


def export_autoencoders(states: list[dict], out_dir: Path) -> list[Path]:
    """Write each trained autoencoder as ONNX, so synthesis workers run them on ONNX Runtime.

    Forked workers must not touch torch: a parent that has used torch's OpenMP threads
    (a test session, say) leaves the child's OpenMP in a state that deadlocks.
    """
    from training.export import OPSET

    paths = []
    for entry in states:
        model = FaceAutoencoder(upsample=entry["kind"])
        model.load_state_dict(entry["state"])
        path = out_dir / f"autoencoder_{entry['kind']}.onnx"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                model.eval(),
                (torch.zeros(1, 3, AE_SIZE, AE_SIZE),),
                str(path),
                input_names=["input"],
                output_names=["output"],
                opset_version=OPSET,
                dynamic_shapes=({0: torch.export.Dim("batch")},),
                external_data=False,
                dynamo=True,
                verbose=False,
            )
        paths.append(path)
    return paths


class OnnxAutoencoder:
    """An exported autoencoder on ONNX Runtime: uint8 crops (N, 128, 128, 3) in and out."""

    def __init__(self, path: Path) -> None:
        from liveness.models.runtime import create_session

        self.session = create_session(path, threads=1, device="cpu")

    def __call__(self, crops: np.ndarray) -> np.ndarray:
        x = (crops.astype(np.float32) / 127.5 - 1.0).transpose(0, 3, 1, 2)
        y = self.session.run(None, {"input": np.ascontiguousarray(x)})[0]
        return ((y.transpose(0, 2, 3, 1) + 1.0) * 127.5).clip(0, 255).astype(np.uint8)


def oval_mask(landmarks: np.ndarray, shape: tuple[int, int], *, feather: float) -> np.ndarray:
    mask = np.zeros(shape, np.uint8)
    cv2.fillConvexPoly(mask, cv2.convexHull(landmarks[list(FACE_OVAL), :2].astype(np.int32)), 255)
    k = max(3, int(feather) | 1)
    return cv2.GaussianBlur(mask, (k, k), 0).astype(np.float32)[..., None] / 255.0


def resynthesize_faces(
    frames: list[np.ndarray],
    landmarks: np.ndarray,
    model: Callable[[np.ndarray], np.ndarray],
    rng: np.random.Generator,
) -> list[np.ndarray]:
    """Each frame's face replaced by its autoencoder reconstruction under a feathered mask."""
    squares = np.array([face_square(lm) for lm in landmarks])
    # Generators crop from a smoothed track; so do we (keeps the paste from jittering).
    kernel = np.ones(5) / 5
    for j in range(3):
        padded = np.pad(squares[:, j], 2, mode="edge")
        squares[:, j] = np.convolve(padded, kernel, mode="valid")
    crops, matrices = zip(*(crop_square(f, *sq) for f, sq in zip(frames, squares, strict=True)), strict=True)
    recon = model(np.stack(crops))
    feather = float(rng.uniform(0.04, 0.12))
    shrink = float(rng.uniform(0.9, 1.0))
    out = []
    for frame, lm, rec, matrix in zip(frames, landmarks, recon, matrices, strict=True):
        h, w = frame.shape[:2]
        inverse = cv2.invertAffineTransform(matrix)
        pasted = cv2.warpAffine(rec, inverse, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
        centre = lm[:, :2].mean(0)
        hull = centre + (lm[:, :2] - centre) * shrink
        side = float(np.ptp(lm[:, 0]))
        mask = oval_mask(hull, (h, w), feather=feather * side * 2)
        out.append((pasted * mask + frame * (1 - mask)).astype(np.uint8))
    return out
