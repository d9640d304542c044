"""doc_portrait: genuine vs swapped ID portrait, on the high-resolution portrait crop.

Input: :func:`liveness.documents.portrait.crop_portrait` of the page rectified at twice the
forgery model's size, 160x160 RGB (the face, the rest of the photo and its edge on the card).
Output: two logits (genuine, portrait_swap). The backbone is the face side's frame CNN: the
cues are of one kind (a face re-rendered, blended or pasted into a picture that was not).
"""

from __future__ import annotations

from training.models.frame_cnn import FRAME_CNN_CFG, FrameCNN
from training.models.registry import register_model

CLASSES = ("genuine", "portrait_swap")
CROP_SIZE = 160

# the frame CNN's input convention (normalization, crop scale 2x the face), at a larger size
DOC_PORTRAIT_CFG = {
    "input": {**FRAME_CNN_CFG["input"], "size": [CROP_SIZE, CROP_SIZE]},
    "classes": list(CLASSES),
}


@register_model("doc_portrait", default_cfg=DOC_PORTRAIT_CFG)
def doc_portrait(**kwargs: object) -> FrameCNN:
    return FrameCNN(n_classes=len(CLASSES), **kwargs)  # type: ignore[arg-type]
