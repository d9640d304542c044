"""Piecewise-affine mesh warp of one source image, set up once and applied to many frames.

A Delaunay mesh over control points (face landmarks, optional rings around the face, the
image border) is built once per clip. Per frame the caller gives one displacement per control
point (and optionally a global affine in front, e.g. camera shake or the similarity that puts a
source face onto a target frame); the mesh, moved, is rasterized on the output grid in one
vectorized pass (every active triangle's bounding-box pixels, kept where their barycentric
coordinates are inside) and each covered pixel gets its source position from the same
barycentric weights. That is the exact inverse of the piecewise-affine map, also where
triangles collapse (a closing eyelid) or stretch (an opening mouth).

Only triangles that touch a moving vertex are rasterized: the star of the moving vertices is
bounded by fixed vertices, so it covers the same area before and after the move, and every
other pixel just follows the global affine. On large images the map is solved on a grid of
pitch 2 and upsampled; the map is piecewise-linear, so that costs a fraction of a pixel.
"""

from __future__ import annotations

import cv2
import numpy as np
from scipy.spatial import Delaunay

from liveness.errors import LivenessError
from training.synth._checks import BAD_ARGUMENT
from training.synth.landmarks import apply_affine, invert_affine


def border_points(shape: tuple[int, int], *, per_side: int = 4) -> np.ndarray:
    """Points along the image border, one pixel outside it, ``per_side`` segments per side."""
    h, w = shape
    xs = np.linspace(-1.0, w, per_side + 1)
    ys = np.linspace(-1.0, h, per_side + 1)
    top = np.stack([xs, np.full_like(xs, -1.0)], 1)
    bottom = np.stack([xs, np.full_like(xs, float(h))], 1)
    left = np.stack([np.full_like(ys[1:-1], -1.0), ys[1:-1]], 1)
    right = np.stack([np.full_like(ys[1:-1], float(w)), ys[1:-1]], 1)
    return np.concatenate([top, bottom, left, right])


class MeshWarp:
    """Piecewise-affine warp of a source image of ``shape`` driven by control-point displacements.

    Parameters
    ----------
    points : numpy.ndarray
        (N, 2) control points in source pixel coordinates. Border points are added (fixed).
    shape : tuple of int
        (H, W) of the source image.
    moving : numpy.ndarray, optional
        (N,) bool, which control points may move (default: all). Displacements of fixed
        points are ignored; fixing points lets the mesh skip the triangles that never change.
    grid_step : int, optional
        Pitch (px) of the grid the backward map is solved on before bilinear upsampling.
        Default: 2 for images of 200 px and more, else 1.

    Examples
    --------
    >>> pts = np.array([[20.0, 20.0], [40.0, 20.0], [30.0, 40.0]])
    >>> mesh = MeshWarp(pts, (64, 64))
    >>> img = np.zeros((64, 64, 3), np.uint8)
    >>> mesh.warp(img, np.zeros((3, 2))).shape
    (64, 64, 3)
    """

    def __init__(
        self,
        points: np.ndarray,
        shape: tuple[int, int],
        *,
        moving: np.ndarray | None = None,
        grid_step: int | None = None,
    ) -> None:
        pts = np.asarray(points, dtype=np.float64)
        if pts.ndim != 2 or pts.shape[1] != 2 or not np.isfinite(pts).all():
            raise LivenessError(f"control points must be finite (N, 2), got {pts.shape}", code=BAD_ARGUMENT)
        self.shape = (int(shape[0]), int(shape[1]))
        self.step = int(grid_step) if grid_step is not None else (2 if min(self.shape) >= 200 else 1)
        if self.step < 1:
            raise LivenessError(f"grid_step must be >= 1, got {grid_step}", code=BAD_ARGUMENT)
        self.n_control = len(pts)
        self._points = np.concatenate([pts, border_points(self.shape)])
        self._moving = np.zeros(len(self._points), dtype=bool)
        self._moving[: self.n_control] = True if moving is None else np.asarray(moving, dtype=bool)
        try:
            tri = Delaunay(self._points)
        except Exception as exc:  # scipy raises QhullError (a RuntimeError) on degenerate input
            raise LivenessError(f"cannot triangulate the control points: {exc}", code=BAD_ARGUMENT) from exc
        simplices = tri.simplices.astype(np.int64)
        self.triangles = simplices[self._moving[simplices].any(axis=1)]  # (K, 3) the ones that can change
        src = self._points[self.triangles]
        self._src_origin = src[:, 0]  # (K, 2)
        self._src_edges = np.stack([src[:, 1] - src[:, 0], src[:, 2] - src[:, 0]], axis=2)  # (K, 2, 2)
        self._grids: dict[tuple[int, int], np.ndarray] = {}

    def _grid(self, out_h: int, out_w: int) -> np.ndarray:
        """Full-resolution positions of the solver-grid samples of an output, (gh, gw, 2)."""
        if (out_h, out_w) not in self._grids:
            half = 0.5 * (self.step - 1)
            gx = np.arange(-(-out_w // self.step), dtype=np.float32) * self.step + half
            gy = np.arange(-(-out_h // self.step), dtype=np.float32) * self.step + half
            xs, ys = np.meshgrid(gx, gy)
            self._grids[(out_h, out_w)] = np.stack([xs, ys], axis=2)
        return self._grids[(out_h, out_w)]

    def destination(self, displacement: np.ndarray, pre_affine: np.ndarray | None = None) -> np.ndarray:
        """Where the control points land in the output, (N, 2): ``A(p + d)`` for moving points."""
        d = self._check_displacement(displacement)
        moved = self._points[: self.n_control] + np.where(self._moving[: self.n_control, None], d, 0.0)
        return moved if pre_affine is None else apply_affine(np.asarray(pre_affine, np.float64), moved)

    def _check_displacement(self, displacement: np.ndarray) -> np.ndarray:
        d = np.asarray(displacement, dtype=np.float64)
        if d.shape != (self.n_control, 2) or not np.isfinite(d).all():
            raise LivenessError(f"displacement must be finite ({self.n_control}, 2), got {d.shape}", code=BAD_ARGUMENT)
        return d

    def backward_map(
        self,
        displacement: np.ndarray,
        *,
        out_shape: tuple[int, int] | None = None,
        pre_affine: np.ndarray | None = None,
    ) -> np.ndarray:
        """Source coordinates (H_out, W_out, 2) float32 for every output pixel.

        The output pixel ``x`` shows source point ``s`` with ``x = A(f(s))``, ``f`` the
        piecewise-affine map that moves each control point ``p`` to ``p + d``, ``A``
        ``pre_affine`` ((2, 3), source -> output) or the identity.
        """
        d = self._check_displacement(displacement)
        out_h, out_w = out_shape or self.shape
        affine = None if pre_affine is None else np.asarray(pre_affine, dtype=np.float64)
        base = self._grid(out_h, out_w)
        if affine is not None:
            inv = invert_affine(affine).astype(np.float32)
            base = base @ inv[:, :2].T + inv[:, 2]
        else:
            base = base.copy()
        if len(self.triangles):
            moved = self._points.copy()
            moved[: self.n_control] += np.where(self._moving[: self.n_control, None], d, 0.0)
            if affine is not None:
                moved = apply_affine(affine, moved)
            self._rasterize(base, (moved - 0.5 * (self.step - 1)) / self.step)
        if self.step == 1:
            return base
        # Pad one sample per side by linear extrapolation so the border pixels interpolate too,
        # then upsample: padded sample i sits at full-resolution (i - 1) * step + (step - 1) / 2,
        # which is exactly where cv2.resize puts it for a step-times larger image.
        padded = np.pad(base, ((1, 1), (1, 1), (0, 0)), mode="reflect", reflect_type="odd")
        gh, gw = base.shape[:2]
        big = cv2.resize(padded, ((gw + 2) * self.step, (gh + 2) * self.step), interpolation=cv2.INTER_LINEAR)
        return big[self.step : self.step + out_h, self.step : self.step + out_w]

    def _rasterize(self, out: np.ndarray, moved_grid: np.ndarray) -> None:
        """Write source positions into ``out`` (grid) for every grid pixel inside a moved triangle."""
        gh, gw = out.shape[:2]
        dst = moved_grid[self.triangles]  # (K, 3, 2) in grid units
        x0 = np.clip(np.ceil(dst[..., 0].min(1) - 1e-6), 0, gw).astype(np.int32)
        y0 = np.clip(np.ceil(dst[..., 1].min(1) - 1e-6), 0, gh).astype(np.int32)
        x1 = np.clip(np.floor(dst[..., 0].max(1) + 1e-6) + 1, 0, gw).astype(np.int32)
        y1 = np.clip(np.floor(dst[..., 1].max(1) + 1e-6) + 1, 0, gh).astype(np.int32)
        e = np.stack([dst[:, 1] - dst[:, 0], dst[:, 2] - dst[:, 0]], axis=2)  # (K, 2, 2) columns = edges
        det = e[:, 0, 0] * e[:, 1, 1] - e[:, 0, 1] * e[:, 1, 0]
        keep = (x1 > x0) & (y1 > y0) & (np.abs(det) > 1e-9)
        if not keep.any():
            return
        x0, y0, x1, y1, e, det, origin = x0[keep], y0[keep], x1[keep], y1[keep], e[keep], det[keep], dst[keep, 0]
        # Per triangle, barycentric (b1, b2) and the source position are affine in the output
        # pixel (px, py): rows of coef hold (a_x, a_y, a_0) for b1, b2, source x, source y.
        inv = np.stack([np.stack([e[:, 1, 1], -e[:, 0, 1]], 1), np.stack([-e[:, 1, 0], e[:, 0, 0]], 1)], 1)
        inv /= det[:, None, None]  # (K, 2, 2): (b1, b2) = inv @ (p - origin)
        bary = np.concatenate([inv, (-inv @ origin[:, :, None])], axis=2)  # (K, 2, 3)
        src = self._src_edges[keep] @ bary  # (K, 2, 3)
        src[:, :, 2] += self._src_origin[keep]
        coef = np.concatenate([bary, src], axis=1).astype(np.float32)  # (K, 4, 3)
        # Enumerate the bounding-box pixels of every triangle, row by row.
        heights, widths = y1 - y0, x1 - x0
        row_tri = np.repeat(np.arange(len(heights), dtype=np.int32), heights)
        row_y = y0[row_tri] + (
            np.arange(len(row_tri), dtype=np.int32) - np.repeat(np.cumsum(heights, dtype=np.int32) - heights, heights)
        )
        row_len = widths[row_tri]
        tri = np.repeat(row_tri, row_len)
        py = np.repeat(row_y, row_len)
        px = x0[tri] + (
            np.arange(len(tri), dtype=np.int32) - np.repeat(np.cumsum(row_len, dtype=np.int32) - row_len, row_len)
        )
        c = coef[tri]  # (P, 4, 3)
        fx, fy = px.astype(np.float32), py.astype(np.float32)
        b1 = c[:, 0, 0] * fx + c[:, 0, 1] * fy + c[:, 0, 2]
        b2 = c[:, 1, 0] * fx + c[:, 1, 1] * fy + c[:, 1, 2]
        inside = (b1 >= -1e-3) & (b2 >= -1e-3) & (b1 + b2 <= 1.0 + 1e-3)
        c, fx, fy, px, py = c[inside], fx[inside], fy[inside], px[inside], py[inside]
        out[py, px, 0] = c[:, 2, 0] * fx + c[:, 2, 1] * fy + c[:, 2, 2]
        out[py, px, 1] = c[:, 3, 0] * fx + c[:, 3, 1] * fy + c[:, 3, 2]

    def warp(
        self,
        image: np.ndarray,
        displacement: np.ndarray,
        *,
        out_shape: tuple[int, int] | None = None,
        pre_affine: np.ndarray | None = None,
        border_mode: int = cv2.BORDER_REFLECT101,
    ) -> np.ndarray:
        """Warp ``image`` (the source, of this mesh's shape) into an output of ``out_shape``."""
        coords = self.backward_map(displacement, out_shape=out_shape, pre_affine=pre_affine)
        return cv2.remap(image, coords, None, cv2.INTER_LINEAR, borderMode=border_mode)
