"""doc_forgery: forgery classifier with a coarse localisation map for rectified ID documents.

Input: a rectified document (the runtime's intake output), 288x448 RGB, landscape.
Outputs: class logits over ``CLASSES`` (genuine or one forgery species) and a stride-16
heatmap of per-cell forgery logits (18x28) that says *where* it looks forged. Local edits (a
swapped portrait, a re-typed field) cover a few cells, so the classifier pools the feature
map both by mean and by max: an average alone would dilute one edited field into a page of
genuine print.
"""

from __future__ import annotations

import torch
from torch import nn

from training.models.layers import ConvBNAct, InvertedResidual
from training.models.registry import register_model

CLASSES = ("none", "portrait_swap", "text_edit", "copy_move", "recapture", "photocopy")
INPUT_HW = (288, 448)
HEATMAP_STRIDE = 16


class DocForgeryNet(nn.Module):
    def __init__(self, n_classes: int = len(CLASSES), width: int = 16, dropout: float = 0.2):
        super().__init__()
        w = width
        # Plain strided convs at full resolution: inverted residuals there cost most of the time.
        self.stem = nn.Sequential(ConvBNAct(3, w, 3, 2), ConvBNAct(w, 2 * w, 3, 2))  # /4
        self.features = nn.Sequential(
            InvertedResidual(2 * w, 2 * w),
            InvertedResidual(2 * w, 3 * w, stride=2),  # /8
            InvertedResidual(3 * w, 3 * w),
            InvertedResidual(3 * w, 5 * w, stride=2, k=5),  # /16
            InvertedResidual(5 * w, 5 * w, k=5),
            InvertedResidual(5 * w, 6 * w, k=5),
        )
        # Context for the map: a cell decides better knowing its neighbourhood (field vs photo).
        self.context = nn.Sequential(ConvBNAct(6 * w, 6 * w, 5, groups=6 * w), ConvBNAct(6 * w, 6 * w, 1))
        self.heatmap_head = nn.Conv2d(6 * w, 1, 1)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(12 * w + 1, n_classes)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        f = self.features(self.stem(x))
        f = f + self.context(f)
        heatmap = self.heatmap_head(f)
        pooled = torch.cat(
            [f.mean(dim=(2, 3)), f.amax(dim=(2, 3)), heatmap.amax(dim=(2, 3))],
            dim=1,
        )
        return self.classifier(self.dropout(pooled)), heatmap


DOC_FORGERY_CFG = {
    "input": {
        "size": list(INPUT_HW),
        "mean": [0.5, 0.5, 0.5],
        "std": [0.25, 0.25, 0.25],
        "layout": "NCHW",
        "crop_scale": 1.0,
        "frames": 1,
    },
    "classes": list(CLASSES),
    "outputs": ["logits", "heatmap"],
    "heatmap_stride": HEATMAP_STRIDE,
}


@register_model("doc_forgery", default_cfg=DOC_FORGERY_CFG)
def doc_forgery(**kwargs: object) -> DocForgeryNet:
    return DocForgeryNet(**kwargs)  # type: ignore[arg-type]
