"""clip_net: temporal model over a clip of aligned face crops (FTCN-like, few spatial weights).

A still photo warped into motion keeps its texture glued to the mesh while the pose changes;
a live head shows parallax, shading that follows the light, and sensor noise that changes
every frame. The model sees T aligned 64x64 crops plus their frame differences: a small
shared 2-D stem per frame, then 1-D temporal convolutions over the per-frame embeddings.
"""

from __future__ import annotations

import torch
from torch import nn

from training.models.frame_cnn import CLASSES
from training.models.layers import ConvBNAct, InvertedResidual
from training.models.registry import register_model


class ClipNet(nn.Module):
    def __init__(self, n_classes: int = len(CLASSES), width: int = 16, dropout: float = 0.3):
        super().__init__()
        w = width
        # 6 channels: the frame and its difference to the previous frame.
        self.stem = nn.Sequential(
            ConvBNAct(6, w, 3, 2),  # 32
            InvertedResidual(w, 2 * w, stride=2),  # 16
            InvertedResidual(2 * w, 2 * w),
            InvertedResidual(2 * w, 4 * w, stride=2),  # 8
            InvertedResidual(4 * w, 4 * w),
            InvertedResidual(4 * w, 6 * w, stride=2),  # 4
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
        )
        d = 6 * w
        self.temporal = nn.Sequential(
            nn.Conv1d(d, d, 3, padding=1, bias=False),
            nn.BatchNorm1d(d),
            nn.Hardswish(),
            nn.Conv1d(d, d, 3, padding=2, dilation=2, bias=False),
            nn.BatchNorm1d(d),
            nn.Hardswish(),
            nn.Conv1d(d, d, 3, padding=4, dilation=4, bias=False),
            nn.BatchNorm1d(d),
            nn.Hardswish(),
        )
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(2 * d, n_classes)

    def forward(self, clip: torch.Tensor) -> torch.Tensor:
        """clip: (N, T, 3, H, W) normalized crops → (N, n_classes) logits."""
        n, t, c, h, w = clip.shape
        diff = torch.cat([torch.zeros_like(clip[:, :1]), clip[:, 1:] - clip[:, :-1]], dim=1)
        x = torch.cat([clip, diff * 4.0], dim=2).reshape(n * t, 2 * c, h, w)
        emb = self.stem(x).reshape(n, t, -1).transpose(1, 2)  # (N, D, T)
        z = self.temporal(emb)
        pooled = torch.cat([z.mean(dim=2), z.amax(dim=2)], dim=1)
        return self.classifier(self.dropout(pooled))


CLIP_NET_CFG = {
    "input": {
        "size": [64, 64],
        "mean": [0.5, 0.5, 0.5],
        "std": [0.25, 0.25, 0.25],
        "layout": "NTCHW",
        "crop_scale": 1.3,
        "frames": 16,
    },
    "classes": list(CLASSES),
}


@register_model("clip_net", default_cfg=CLIP_NET_CFG)
def clip_net(**kwargs: object) -> ClipNet:
    return ClipNet(**kwargs)  # type: ignore[arg-type]
