"""Shared building blocks: conv-bn-act, depthwise-separable inverted residuals, SE."""

from __future__ import annotations

import torch
from torch import nn


class ConvBNAct(nn.Sequential):
    def __init__(self, c_in: int, c_out: int, k: int = 3, stride: int = 1, groups: int = 1, act: bool = True):
        layers: list[nn.Module] = [
            nn.Conv2d(c_in, c_out, k, stride, k // 2, groups=groups, bias=False),
            nn.BatchNorm2d(c_out),
        ]
        if act:
            layers.append(nn.Hardswish())
        super().__init__(*layers)


class SqueezeExcite(nn.Module):
    """Channel attention; exports to ReduceMean, which is why we keep opset 18."""

    def __init__(self, channels: int, reduction: int = 4):
        super().__init__()
        hidden = max(8, channels // reduction)
        self.fc1 = nn.Conv2d(channels, hidden, 1)
        self.fc2 = nn.Conv2d(hidden, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        w = x.mean(dim=(2, 3), keepdim=True)
        w = torch.relu(self.fc1(w))
        return x * torch.sigmoid(self.fc2(w))


class InvertedResidual(nn.Module):
    """MobileNetV3-style block: expand 1x1, depthwise kxk, SE, project 1x1."""

    def __init__(self, c_in: int, c_out: int, *, stride: int = 1, expand: int = 3, k: int = 3, se: bool = True):
        super().__init__()
        hidden = c_in * expand
        self.use_residual = stride == 1 and c_in == c_out
        self.block = nn.Sequential(
            ConvBNAct(c_in, hidden, 1),
            ConvBNAct(hidden, hidden, k, stride, groups=hidden),
            SqueezeExcite(hidden) if se else nn.Identity(),
            ConvBNAct(hidden, c_out, 1, act=False),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.block(x)
        return x + out if self.use_residual else out
