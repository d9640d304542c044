"""Report images of the document checks: the rectified document with its forgery heatmap."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import numpy as np
from PIL import Image

from liveness.documents.forgery import heatmap_overlay

__all__ = ["write_heatmaps"]


def write_heatmaps(
    out_dir: Path, items: Mapping[str, tuple[np.ndarray, np.ndarray]], *, root: Path | None = None
) -> list[Path]:
    """Write one PNG per scored document (``path -> (rectified, heatmap)``), named by the path
    relative to ``root`` (the labels' folder) with separators flattened, so reports of
    nested sets do not collide."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, (rectified, heatmap) in items.items():
        path = Path(name).with_suffix("")
        if root is not None and path.is_relative_to(root):
            path = path.relative_to(root)
        stem = re.sub(r"[^A-Za-z0-9._-]+", "_", path.as_posix()).strip("_")[-120:] or "document"
        path = out_dir / f"{stem}.png"
        Image.fromarray(heatmap_overlay(rectified, heatmap)).save(path)
        written.append(path)
    return written
