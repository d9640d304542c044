"""frame_cnn: per-frame texture classifier (screen moiré, print, blending and generator artifacts).

Input: an aligned face crop with context (crop side = 2x the face), 128x128 RGB.
Outputs: class logits over ``CLASSES`` and, for the auxiliary loss, a low-resolution
Fourier-magnitude map prediction (Silent-Face's idea: the spectrum tells screens and prints
from skin). Only the logits are exported.
"""

from __future__ import annotations

import torch
from torch import nn

from training.models.layers import ConvBNAct, InvertedResidual
from training.models.registry import register_model

CLASSES = ("bona_fide", "animated_photo", "replay", "print", "face_swap")


class FrameCNN(nn.Module):
    def __init__(self, n_classes: int = len(CLASSES), width: int = 16, dropout: float = 0.2):
        super().__init__()
        w = width
        self.stem = ConvBNAct(3, w, 3, 2)  # 64
        self.features = nn.Sequential(
            InvertedResidual(w, w, expand=2),
            InvertedResidual(w, 2 * w, stride=2),  # 32
            InvertedResidual(2 * w, 2 * w),
            InvertedResidual(2 * w, 4 * w, stride=2),  # 16
            InvertedResidual(4 * w, 4 * w),
            InvertedResidual(4 * w, 6 * w, stride=2),  # 8
            InvertedResidual(6 * w, 6 * w),
            InvertedResidual(6 * w, 8 * w, stride=2),  # 4
        )
        self.fourier_head = nn.Conv2d(4 * w, 1, 1)
        self.head = nn.Sequential(ConvBNAct(8 * w, 16 * w, 1), nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(16 * w, n_classes)
        self.embed_dim = 16 * w

    def forward_features(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.stem(x)
        mid = None
        for i, layer in enumerate(self.features):
            x = layer(x)
            if i == 4:
                mid = x
        assert mid is not None
        return self.head(x), mid

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        embedding, _ = self.forward_features(x)
        return self.classifier(self.dropout(embedding))

    def forward_train(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        embedding, mid = self.forward_features(x)
        return self.classifier(self.dropout(embedding)), self.fourier_head(mid)


FRAME_CNN_CFG = {
    "input": {
        "size": [128, 128],
        "mean": [0.5, 0.5, 0.5],
        "std": [0.25, 0.25, 0.25],
        "layout": "NCHW",
        "crop_scale": 2.0,
        "frames": 1,
    },
    "classes": list(CLASSES),
}


@register_model("frame_cnn", default_cfg=FRAME_CNN_CFG)
def frame_cnn(**kwargs: object) -> FrameCNN:
    return FrameCNN(**kwargs)  # type: ignore[arg-type]
