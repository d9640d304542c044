"""ID-photo crops of real faces, cut once from the face pool and cached as JPEG files.

The crops come from bona fide photos and the first and middle frame of bona fide videos
(``<faces>/LABELS.tsv``, column ``subject`` names the person). A folder without a
``LABELS.tsv`` (tests) is read as loose images, one subject per file stem. BlazeFace
(:class:`liveness.faces.FaceDetector`) finds the face; the crop is framed like a passport photo
(head and shoulders, face about 55 % of the height, aspect 0.78) and stored under
``<cache>/portraits/`` with an ``index.json``. :class:`PortraitBank` then serves crops of the
subjects a caller allows, so people can be split between training and validation.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from liveness.errors import DocumentError
from training.documents.templates import DOC_SYNTH_BAD_ARGUMENT

__all__ = ["PORTRAIT_SIZE", "PortraitBank", "build_portrait_cache", "passport_crop"]

PORTRAIT_SIZE = (240, 308)  # (width, height): the 0.78 aspect of the templates' photo slots
INDEX_VERSION = 1
_IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".bmp")
_VIDEO_SUFFIXES = (".mp4", ".mov", ".webm", ".mkv", ".avi")
_MIN_FACE_PX = 48


def passport_crop(image: np.ndarray, box: Sequence[float]) -> np.ndarray:
    """A head-and-shoulders crop around a face box (x0, y0, x1, y1), at :data:`PORTRAIT_SIZE`."""
    x0, y0, x1, y1 = (float(v) for v in box)
    face = max(x1 - x0, y1 - y0)
    height = 1.85 * face
    width = height * PORTRAIT_SIZE[0] / PORTRAIT_SIZE[1]
    cx = (x0 + x1) / 2
    top = y0 - 0.5 * face
    src = np.float32([[cx - width / 2, top], [cx + width / 2, top], [cx - width / 2, top + height]])
    dst = np.float32([[0, 0], [PORTRAIT_SIZE[0], 0], [0, PORTRAIT_SIZE[1]]])
    m = cv2.getAffineTransform(src, dst)
    interp = cv2.INTER_AREA if width > PORTRAIT_SIZE[0] else cv2.INTER_LINEAR
    return cv2.warpAffine(image, m, PORTRAIT_SIZE, flags=interp, borderMode=cv2.BORDER_REPLICATE)


def _sources(faces_dir: Path) -> list[tuple[str, Path]]:
    """(subject, path) of every bona fide photo or video."""
    labels = faces_dir / "LABELS.tsv"
    if labels.is_file():
        with labels.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle, delimiter="\t"))
        return [
            (row["subject"], faces_dir / row["path"])
            for row in rows
            if row.get("label") == "bona_fide" and row.get("subject") and (faces_dir / row["path"]).is_file()
        ]
    files = sorted(p for p in faces_dir.rglob("*") if p.suffix.lower() in _IMAGE_SUFFIXES + _VIDEO_SUFFIXES)
    return [(p.stem, p) for p in files]


def _frames(path: Path) -> list[np.ndarray]:
    if path.suffix.lower() in _IMAGE_SUFFIXES:
        try:
            return [np.asarray(Image.open(path).convert("RGB"))]
        except OSError:
            return []
    import av

    frames = []
    try:
        with av.open(str(path)) as container:
            decoded = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    except (av.FFmpegError, OSError):
        return []
    if decoded:
        frames.append(decoded[0])
        if len(decoded) > 10:
            frames.append(decoded[len(decoded) // 2])
    return frames


def build_portrait_cache(faces_dir: Path, cache_dir: Path) -> Path:
    """Cut and store the crops (once); returns the index path ``<cache>/portraits/index.json``."""
    from liveness.faces import FaceDetector

    out_dir = Path(cache_dir) / "portraits"
    index_path = out_dir / "index.json"
    if index_path.is_file():
        try:
            if json.loads(index_path.read_text())["version"] == INDEX_VERSION:
                return index_path
        except (OSError, ValueError, KeyError):
            pass
    faces_dir = Path(faces_dir)
    if not faces_dir.is_dir():
        raise DocumentError(f"no face folder at {faces_dir}", code=DOC_SYNTH_BAD_ARGUMENT)
    detector = FaceDetector(min_score=0.6)
    out_dir.mkdir(parents=True, exist_ok=True)
    crops = []
    for subject, path in _sources(faces_dir):
        for k, frame in enumerate(_frames(path)):
            faces = detector.detect(np.ascontiguousarray(frame))
            if not faces:
                continue
            box = faces[0].box
            if min(box[2] - box[0], box[3] - box[1]) < _MIN_FACE_PX:
                continue
            name = f"{path.stem}_{k}.jpg"
            Image.fromarray(passport_crop(frame, box)).save(out_dir / name, quality=93)
            crops.append({"subject": subject, "file": name, "source": str(path.relative_to(faces_dir))})
    index_path.write_text(json.dumps({"version": INDEX_VERSION, "crops": crops}, indent=1))
    return index_path


class PortraitBank:
    """Cached portrait crops of some subjects.

    Parameters
    ----------
    faces_dir : Path
        The face pool (``LABELS.tsv`` + media) or a folder of loose face images.
    cache_dir : Path
        Where the crops are cut to on first use.
    subjects : sequence of str, optional
        Only these people (None = everyone). At least two are needed for a portrait swap.

    Raises
    ------
    DocumentError
        ``code="DOC_SYNTH_BAD_ARGUMENT"`` when no crop of the allowed subjects exists.
    """

    def __init__(self, faces_dir: Path, cache_dir: Path, *, subjects: Sequence[str] | None = None) -> None:
        index_path = build_portrait_cache(faces_dir, cache_dir)
        entries = json.loads(index_path.read_text())["crops"]
        allowed = None if subjects is None else set(subjects)
        self._dir = index_path.parent
        self._by_subject: dict[str, list[str]] = {}
        for entry in entries:
            if allowed is None or entry["subject"] in allowed:
                self._by_subject.setdefault(entry["subject"], []).append(entry["file"])
        self.subjects = tuple(sorted(self._by_subject))
        if not self.subjects:
            raise DocumentError(
                f"no portrait crops for the requested subjects in {faces_dir}", code=DOC_SYNTH_BAD_ARGUMENT
            )
        self._cache: dict[str, np.ndarray] = {}

    def __len__(self) -> int:
        return sum(len(v) for v in self._by_subject.values())

    def _load(self, name: str) -> np.ndarray:
        crop = self._cache.get(name)
        if crop is None:
            crop = np.asarray(Image.open(self._dir / name).convert("RGB"))
            if len(self._cache) < 2048:
                self._cache[name] = crop
        return crop

    def pick(self, rng: np.random.Generator, *, exclude: str | None = None) -> tuple[str, np.ndarray]:
        """A random (subject, crop), the subject differing from ``exclude`` when possible."""
        subjects = [s for s in self.subjects if s != exclude] or list(self.subjects)
        subject = subjects[int(rng.integers(len(subjects)))]
        files = self._by_subject[subject]
        crop = self._load(files[int(rng.integers(len(files)))])
        if rng.random() < 0.5:
            crop = crop[:, ::-1]
        return subject, np.ascontiguousarray(crop)
