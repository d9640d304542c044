"""Contact sheets: one labelled row of evenly spaced frames per clip, for a human to look at."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import cv2
import numpy as np

from liveness.errors import LivenessError, MediaError
from training.synth._checks import BAD_ARGUMENT, check_count, check_frames

LABEL_WIDTH = 150


def _fit(frame: np.ndarray, tile: int) -> np.ndarray:
    """``frame`` scaled to fit a ``tile`` x ``tile`` square, letterboxed in dark grey."""
    h, w = frame.shape[:2]
    scale = tile / max(h, w)
    nh, nw = max(1, round(h * scale)), max(1, round(w * scale))
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    small = cv2.resize(frame, (nw, nh), interpolation=interp)
    out = np.full((tile, tile, 3), 32, np.uint8)
    y0, x0 = (tile - nh) // 2, (tile - nw) // 2
    out[y0 : y0 + nh, x0 : x0 + nw] = small
    return out


def _label(text: str, height: int) -> np.ndarray:
    panel = np.full((height, LABEL_WIDTH, 3), 255, np.uint8)
    words, lines, line = text.split(), [], ""
    for word in words:  # wrap to the panel width, ~16 characters a line
        if line and len(line) + 1 + len(word) > 16:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    lines.append(line)
    for i, part in enumerate(lines[: max(1, height // 18)]):
        cv2.putText(panel, part[:20], (6, 20 + 18 * i), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 1, cv2.LINE_AA)
    return panel


def contact_sheet(
    clips: Mapping[str, Sequence[np.ndarray]],
    path: str | Path,
    *,
    frames_per_clip: int = 6,
    tile: int = 160,
) -> Path:
    """Write a PNG with one row per clip: its label, then ``frames_per_clip`` evenly spaced frames.

    Parameters
    ----------
    clips : mapping of str to list of numpy.ndarray
        Label -> RGB uint8 frames (clips may differ in size and length).
    path : str or pathlib.Path
        Output PNG path (parent directories are created).
    frames_per_clip : int
        Frames shown per row (fewer if a clip is shorter).
    tile : int
        Side of the square cell each frame is fitted into, in pixels.

    Returns
    -------
    pathlib.Path
        The written file.

    Examples
    --------
    >>> import tempfile, os
    >>> clip = [np.zeros((40, 60, 3), np.uint8)] * 3
    >>> out = contact_sheet({"demo": clip}, os.path.join(tempfile.mkdtemp(), "s.png"), tile=32)
    >>> out.exists()
    True
    """
    if not isinstance(clips, Mapping) or not clips:
        raise LivenessError("clips must be a non-empty mapping of label -> frames", code=BAD_ARGUMENT)
    frames_per_clip = check_count(frames_per_clip, name="frames_per_clip")
    tile = check_count(tile, name="tile", minimum=16)
    rows = []
    for label, frames in clips.items():
        checked = check_frames(frames, name=f"clips[{label!r}]")
        picks = np.unique(np.linspace(0, len(checked) - 1, min(frames_per_clip, len(checked))).round().astype(int))
        cells = [_fit(checked[i], tile) for i in picks]
        cells += [np.full((tile, tile, 3), 32, np.uint8)] * (frames_per_clip - len(cells))
        rows.append(np.concatenate([_label(str(label), tile), *cells], axis=1))
    sheet = np.concatenate(rows, axis=0)
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(out), cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR)):
        raise MediaError(f"could not write {out}", code="SYNTH_WRITE_FAILED")
    return out
