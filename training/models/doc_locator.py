"""doc_locator: where the document is in a photo, as a per-pixel probability map.

Input: the whole capture stretched to 192x192 RGB (what the runtime's intake sees before it
rectifies anything). Output: stride-4 logits (48x48) of "this pixel is on the document". A
small U-Net: the encoder goes down to 6x6 cells so that a decision sees the whole frame (a
card on newsprint is a card because of its shape and its print, not its local texture), and
the decoder brings the edges back with skip connections, because the quad is fitted to the
map's outline.
"""

from __future__ import annotations

import torch
from torch import nn

from training.models.layers import ConvBNAct, InvertedResidual
from training.models.registry import register_model

INPUT_SIDE = 192
OUTPUT_STRIDE = 4


class _Up(nn.Module):
    """Upsample x2, concatenate the encoder's skip, mix."""

    def __init__(self, c_in: int, c_skip: int, c_out: int):
        super().__init__()
        self.up = nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False)
        self.mix = nn.Sequential(ConvBNAct(c_in + c_skip, c_out, 1), ConvBNAct(c_out, c_out, 3, groups=c_out),
                                 ConvBNAct(c_out, c_out, 1))

    def forward(self, x: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        return self.mix(torch.cat([self.up(x), skip], dim=1))


class DocLocatorNet(nn.Module):
    def __init__(self, width: int = 16):
        super().__init__()
        w = width
        self.down1 = ConvBNAct(3, w, 3, 2)  # /2, 96
        self.down2 = nn.Sequential(ConvBNAct(w, 2 * w, 3, 2), InvertedResidual(2 * w, 2 * w))  # /4, 48
        self.down3 = nn.Sequential(InvertedResidual(2 * w, 3 * w, stride=2), InvertedResidual(3 * w, 3 * w))  # /8
        self.down4 = nn.Sequential(InvertedResidual(3 * w, 4 * w, stride=2, k=5),
                                   InvertedResidual(4 * w, 4 * w, k=5))  # /16, 12
        self.down5 = nn.Sequential(InvertedResidual(4 * w, 6 * w, stride=2, k=5),
                                   InvertedResidual(6 * w, 6 * w, k=5), InvertedResidual(6 * w, 6 * w, k=5))  # /32, 6
        self.up4 = _Up(6 * w, 4 * w, 4 * w)
        self.up3 = _Up(4 * w, 3 * w, 3 * w)
        self.up2 = _Up(3 * w, 2 * w, 2 * w)
        # stride 4 is enough: the quad is fitted to the map's interpolated outline, then snapped
        # to the image's own edges; a stride-2 decoder doubled the training time
        self.head = nn.Conv2d(2 * w, 1, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        d1 = self.down1(x)
        d2 = self.down2(d1)
        d3 = self.down3(d2)
        d4 = self.down4(d3)
        d5 = self.down5(d4)
        u = self.up2(self.up3(self.up4(d5, d4), d3), d2)
        return self.head(u)


DOC_LOCATOR_CFG = {
    "input": {
        "size": [INPUT_SIDE, INPUT_SIDE],
        "mean": [0.5, 0.5, 0.5],
        "std": [0.25, 0.25, 0.25],
        "layout": "NCHW",
        "crop_scale": 1.0,
        "frames": 1,
    },
    "classes": ["document"],
    "outputs": ["document_logits"],
    "output_stride": OUTPUT_STRIDE,
}


@register_model("doc_locator", default_cfg=DOC_LOCATOR_CFG)
def doc_locator(**kwargs: object) -> DocLocatorNet:
    return DocLocatorNet(**kwargs)  # type: ignore[arg-type]
