"""Training pairs for the document locator: a phone capture and the mask of the document's quad.

The classical quad search (:mod:`liveness.documents.quad`) fails where a capture has more
straight edges than the document: a card on newsprint, a grey copy on the sheet it is printed
on, a card held by fingers or cut by the frame. The locator network learns what a document
*region* looks like instead, so its captures stress exactly that:

- documents rendered by :class:`~training.documents.synth.DocumentSynthesizer` (genuine, or
  as a grey photocopy or a screen recapture, or with their colours turned: the locator must
  not learn a template's palette);
- backgrounds that are synthetic (wood, cloth, newsprint, desk, clutter) or crops of real
  photographs of people (faces in the background are the portrait-anchored search's trap),
  with newsprint carrying pasted photographs, and often a sheet of paper under the document;
- placements from a quarter-frame card to one filling the frame, turned any way, tilted in
  perspective, and a third of the time running off the frame (the mask is the whole quad,
  inside the frame or not, clipped to it);
- fingers and objects over the document's edges, then the capture model of
  :func:`~training.documents.capture.capture_document` (light, blur, noise, JPEG).

Deterministic per seed. Images are stretched to a square, as the runtime stretches them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from liveness.documents.locator import LOCATOR_SIDE
from training.documents.capture import capture_document, synth_background
from training.documents.forge import photocopy, recapture
from training.documents.synth import DocumentSynthesizer

__all__ = ["FRAME_SHAPES", "LocatorSynthesizer", "quad_mask", "write_locator_contact_sheet"]

_STREAM = 7321  # the locator's own random stream (the synthesizer's streams stay untouched)
# (height, width) of the synthetic frames: phone photos both ways up, 16:9 video frames, square
# crops. Half a phone's resolution: the network sees 192 px anyway.
FRAME_SHAPES = ((480, 640), (640, 480), (360, 640), (640, 360), (512, 512))
MIN_INSIDE = 0.5  # a document running off the frame keeps at least this share of its area in it
OVERHANG_RATE = 0.35


def quad_mask(quad: np.ndarray, frame_hw: tuple[int, int], side: int = LOCATOR_SIDE) -> np.ndarray:
    """(side, side) float32 mask in [0, 1] of ``quad`` (frame pixels) in the stretched square.

    >>> m = quad_mask(np.array([[0, 0], [100, 0], [100, 50], [0, 50]], np.float32), (100, 100), 8)
    >>> float(m[:4].mean()) > 0.9, float(m[6:].max())  # edges antialiased over a pixel
    (True, 0.0)
    """
    scale = np.array([side / frame_hw[1], side / frame_hw[0]], np.float32)
    points = np.round(np.asarray(quad, np.float32) * scale * 16).astype(np.int32)  # 4 fractional bits
    mask = np.zeros((side, side), np.uint8)
    cv2.fillPoly(mask, [points], 255, lineType=cv2.LINE_AA, shift=4)
    return mask.astype(np.float32) / 255.0


class LocatorSynthesizer:
    """Captures and document masks for training the locator.

    Parameters
    ----------
    synthesizer : DocumentSynthesizer
        Renders the documents (restrict its portrait subjects to split people).
    photos : sequence of Path
        Photographs used as backgrounds and as pictures in newsprint (may be empty).
    """

    def __init__(self, synthesizer: DocumentSynthesizer, photos: Sequence[Path]) -> None:
        self.synthesizer = synthesizer
        self.photos = list(photos)
        self._photo_cache: dict[int, np.ndarray] = {}

    def sample(self, seed: int) -> tuple[np.ndarray, np.ndarray]:
        """``(image, mask)``: (S, S, 3) uint8 stretched capture and (S, S) float32 quad mask."""
        rng = np.random.default_rng([seed, _STREAM])
        doc, _ = self.synthesizer.render(seed)
        page = self._restyle(doc.image, rng)
        fh, fw = FRAME_SHAPES[int(rng.integers(len(FRAME_SHAPES)))]
        quad = _placement(rng, page.shape[:2], (fh, fw))
        background = self._background(rng, (fh, fw), quad)
        image, quad = capture_document(page, rng=rng, shape=doc.shape, frame_size=(fh, fw),
                                       background=background, quad=quad)
        image = _occlude(rng, image, quad)
        square = cv2.resize(image, (LOCATOR_SIDE, LOCATOR_SIDE), interpolation=cv2.INTER_AREA)
        return square, quad_mask(quad, (fh, fw))

    def _restyle(self, page: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        r = rng.random()
        if r < 0.25:
            return photocopy(page, rng=rng).image
        if r < 0.35:
            return recapture(page, rng=rng).image
        if r < 0.6:  # another palette: a design the templates do not have
            hsv = cv2.cvtColor(page, cv2.COLOR_RGB2HSV)
            hsv[..., 0] = ((hsv[..., 0].astype(np.int32) + int(rng.integers(20, 160))) % 180).astype(np.uint8)
            saturation = hsv[..., 1].astype(np.float32) * rng.uniform(0.5, 1.6)
            hsv[..., 1] = np.clip(saturation, 0, 255).astype(np.uint8)
            return cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)
        return page

    def _photo(self, rng: np.random.Generator, hw: tuple[int, int]) -> np.ndarray | None:
        if not self.photos:
            return None
        index = int(rng.integers(len(self.photos)))
        if index not in self._photo_cache:
            image = cv2.imread(str(self.photos[index]), cv2.IMREAD_COLOR)
            if image is None:
                return None
            scale = 640 / max(image.shape[:2])
            image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
            self._photo_cache[index] = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
        photo = self._photo_cache[index]
        h, w = photo.shape[:2]
        crop = rng.uniform(0.5, 1.0)
        ch, cw = max(8, int(h * crop)), max(8, int(w * crop))
        y0, x0 = int(rng.integers(0, h - ch + 1)), int(rng.integers(0, w - cw + 1))
        out = cv2.resize(photo[y0:y0 + ch, x0:x0 + cw], (hw[1], hw[0]), interpolation=cv2.INTER_LINEAR)
        return out[:, ::-1] if rng.random() < 0.5 else out

    def _background(self, rng: np.random.Generator, hw: tuple[int, int], quad: np.ndarray) -> np.ndarray:
        photo = self._photo(rng, hw) if rng.random() < 0.4 else None
        if photo is not None:
            background = photo.astype(np.float32)
        else:
            background = synth_background(rng, hw)
            if rng.random() < 0.5:
                background = self._paste_pictures(rng, background)
        if rng.random() < 0.35:
            background = _sheet_under(rng, background, quad)
        return background

    def _paste_pictures(self, rng: np.random.Generator, background: np.ndarray) -> np.ndarray:
        """Photographs printed on the page around the document (a newspaper's faces)."""
        h, w = background.shape[:2]
        for _ in range(int(rng.integers(1, 4))):
            ph, pw = int(rng.uniform(0.15, 0.45) * h), int(rng.uniform(0.15, 0.45) * w)
            picture = self._photo(rng, (ph, pw))
            if picture is None:
                return background
            y0, x0 = int(rng.integers(0, h - ph + 1)), int(rng.integers(0, w - pw + 1))
            background[y0:y0 + ph, x0:x0 + pw] = picture.astype(np.float32) * rng.uniform(0.7, 1.0)
        return background


def _placement(rng: np.random.Generator, doc_hw: tuple[int, int], frame_hw: tuple[int, int]) -> np.ndarray:
    """Corners TL, TR, BR, BL of the document in the frame (possibly running off it)."""
    dh, dw = doc_hw
    fh, fw = frame_hw
    r = rng.random()
    angle = rng.uniform(-15, 15) if r < 0.55 else (rng.choice([-90, 90]) + rng.uniform(-15, 15) if r < 0.75
                                                  else rng.uniform(-180, 180))
    a = math.radians(angle)
    rot = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    rect = np.array([[-dw / 2, -dh / 2], [dw / 2, -dh / 2], [dw / 2, dh / 2], [-dw / 2, dh / 2]])
    tilt = rng.uniform(0, 0.14)
    corners = (rect + rng.uniform(-tilt, tilt, (4, 2)) * (dw, dh)) @ rot.T
    overhang = rng.random() < OVERHANG_RATE
    coverage = rng.uniform(0.3, 1.1) if overhang else rng.uniform(0.1, 0.85)
    corners = corners * math.sqrt(coverage * fh * fw / (dw * dh))
    if not overhang:  # wholly inside the frame, shrunk if it must be
        span = corners.max(0) - corners.min(0)
        corners = corners * min(1.0, (fw - 4) / span[0], (fh - 4) / span[1])
        low = -corners.min(0) + 2
        high = np.array([fw, fh]) - corners.max(0) - 2
        return (corners + low + rng.uniform(0, 1, 2) * np.maximum(high - low, 0)).astype(np.float32)
    frame = np.array([[0, 0], [fw, 0], [fw, fh], [0, fh]], np.float32)
    area = abs(cv2.contourArea(corners.astype(np.float32)))
    placed = corners + np.array([fw / 2, fh / 2])
    for _ in range(20):
        candidate = (corners + rng.uniform(0.0, 1.0, 2) * (fw, fh)).astype(np.float32)
        inside, _ = cv2.intersectConvexConvex(candidate, frame)
        if inside >= MIN_INSIDE * area:
            return candidate
    return placed.astype(np.float32)


def _sheet_under(rng: np.random.Generator, background: np.ndarray, quad: np.ndarray) -> np.ndarray:
    """A sheet of paper (plain or newsprint) under the document, larger and roughly aligned."""
    centre = quad.mean(axis=0)
    grow = rng.uniform(1.15, 2.6)
    a = math.radians(rng.uniform(-8, 8))
    rot = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    sheet = ((quad - centre) * grow) @ rot.T + centre + rng.uniform(-0.2, 0.2, 2) * (quad.max(0) - quad.min(0))
    mask = np.zeros(background.shape[:2], np.uint8)
    cv2.fillPoly(mask, [np.round(sheet).astype(np.int32)], 1)
    if rng.random() < 0.6:
        paper = np.array([rng.uniform(215, 252), rng.uniform(215, 252), rng.uniform(205, 250)], np.float32)
        texture = np.broadcast_to(paper, background.shape)
    else:
        texture = synth_background(rng, background.shape[:2], "newspaper")
    return np.where(mask[..., None] > 0, texture, background).astype(np.float32)


def _occlude(rng: np.random.Generator, image: np.ndarray, quad: np.ndarray) -> np.ndarray:
    """Fingers holding the document and objects over its edges."""
    out = image.copy()
    occluded = False
    sides = np.roll(quad, -1, axis=0) - quad
    scale = float(np.linalg.norm(sides, axis=1).mean())
    if rng.random() < 0.3:
        occluded = True
        for _ in range(int(rng.integers(1, 4))):
            side = int(rng.integers(4))
            point = quad[side] + rng.uniform(0.1, 0.9) * sides[side]
            skin = (rng.uniform(170, 240), rng.uniform(120, 190), rng.uniform(100, 170))
            axes = (int(scale * rng.uniform(0.05, 0.09)), int(scale * rng.uniform(0.15, 0.35)))
            angle = math.degrees(math.atan2(sides[side][1], sides[side][0])) + 90 + rng.uniform(-30, 30)
            cv2.ellipse(out, (int(point[0]), int(point[1])), axes, angle, 0, 360, skin, -1, cv2.LINE_AA)
    if rng.random() < 0.25:
        occluded = True
        for _ in range(int(rng.integers(1, 3))):
            side = int(rng.integers(4))
            point = quad[side] + rng.uniform(0, 1) * sides[side] + rng.normal(0, 0.1 * scale, 2)
            size = int(scale * rng.uniform(0.05, 0.2))
            colour = tuple(float(v) for v in rng.uniform(0, 255, 3))
            if rng.random() < 0.5:
                cv2.circle(out, (int(point[0]), int(point[1])), size, colour, -1, cv2.LINE_AA)
            else:
                cv2.rectangle(out, (int(point[0]) - size, int(point[1]) - size // 3),
                              (int(point[0]) + size, int(point[1]) + size // 3), colour, -1, cv2.LINE_AA)
    if occluded:  # the drawn shapes' edges as soft as the camera's
        out = cv2.GaussianBlur(out, (0, 0), 0.6)
    return out


def write_locator_contact_sheet(path: Path, synthesizer: LocatorSynthesizer, *, n: int = 24, seed: int = 0) -> Path:
    """A PNG grid of ``n`` training captures (seeds from ``seed``), each with its mask outlined
    in green: what the locator learns from, at the size it sees it."""
    tiles = []
    for index in range(n):
        image, mask = synthesizer.sample(seed + index)
        tile = image.copy()
        contours, _ = cv2.findContours((mask >= 0.5).astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        cv2.drawContours(tile, contours, -1, (0, 255, 0), 1)
        tiles.append(tile)
    columns = min(6, n)
    while len(tiles) % columns:
        tiles.append(np.zeros_like(tiles[0]))
    sheet = np.vstack([np.hstack(tiles[row:row + columns]) for row in range(0, len(tiles), columns)])
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), sheet[..., ::-1])
    return path
