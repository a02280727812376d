"""Preprocessed views of a frame for the cascade, built lazily and cached per scan.

A view is an image plus the way back to frame coordinates: a 2x3 affine matrix, after an
optional per-pixel lookup (for a flattened label), so corner points found on a resized
tile or a flattened label still land on the frame.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from scanners.unwarp import flatten_label

# zxing-cpp reads a 12 MP frame in ~20 ms, so it sees the full frame first; the filters
# work on a frame reduced to WORK_SIDE, label flattening on one reduced to SMALL_SIDE.
WORK_SIDE = 1280
SMALL_SIDE = 640
UPSCALE_BELOW = 640  # frames smaller than this (max side) are also tried at 2x
TILE = 1024  # tiles of the full-resolution frame, for a small code in a large photo
TILE_OVERLAP = 0.25


@dataclass(frozen=True)
class View:
    image: np.ndarray
    to_frame: np.ndarray  # 2x3 affine: (looked-up) view coordinates -> frame coordinates
    lookup: tuple[np.ndarray, np.ndarray] | None = None  # per-pixel source x, y maps

    def points_to_frame(self, points: tuple[tuple[float, float], ...]) -> np.ndarray:
        array = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        if self.lookup is not None:
            map_x, map_y = self.lookup
            cols = np.clip(np.rint(array[:, 0]), 0, map_x.shape[1] - 1).astype(int)
            rows = np.clip(np.rint(array[:, 1]), 0, map_x.shape[0] - 1).astype(int)
            array = np.stack([map_x[rows, cols], map_y[rows, cols]], axis=1).astype(np.float64)
        mapped: np.ndarray = array @ self.to_frame[:, :2].T + self.to_frame[:, 2]
        return mapped


def _scaled(scale: float, dx: float = 0.0, dy: float = 0.0) -> np.ndarray:
    return np.array([[1 / scale, 0, dx], [0, 1 / scale, dy]], dtype=np.float64)


IDENTITY = _scaled(1.0)


def to_grey(frame: np.ndarray) -> np.ndarray:
    if frame.ndim == 2:
        return frame
    if frame.shape[2] == 1:
        return frame[:, :, 0]
    code = cv2.COLOR_BGRA2GRAY if frame.shape[2] == 4 else cv2.COLOR_BGR2GRAY
    return cv2.cvtColor(frame, code)


class Views:
    """Named views of one frame; each is computed at most once."""

    def __init__(self, frame: np.ndarray) -> None:
        self.frame = frame
        self._cache: dict[str, list[View]] = {}

    def get(self, name: str) -> list[View]:
        if name not in self._cache:
            self._cache[name] = BUILDERS[name](self)
        return self._cache[name]

    def one(self, name: str) -> View:
        return self.get(name)[0]


def _full(v: Views) -> list[View]:
    return [View(to_grey(v.frame), IDENTITY)]


def _reduced(source: str, side: int) -> Callable[[Views], list[View]]:
    def build(v: Views) -> list[View]:
        base = v.one(source)
        if max(base.image.shape) <= side:
            return [base]
        scale = side / max(base.image.shape)
        small = cv2.resize(base.image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        return [View(small, base.to_frame @ np.vstack([_scaled(scale), [0, 0, 1]]))]

    return build


def _derived(
    fn: Callable[[np.ndarray], np.ndarray], source: str = "work"
) -> Callable[[Views], list[View]]:
    def build(v: Views) -> list[View]:
        base = v.one(source)
        return [View(fn(base.image), base.to_frame)]

    return build


def _clahe(grey: np.ndarray) -> np.ndarray:
    return cv2.createCLAHE(clipLimit=2.0, tileGridSize=(8, 8)).apply(grey)


def _sharpen(grey: np.ndarray) -> np.ndarray:
    """A strong unsharp mask: restores module edges of an out-of-focus or screen shot."""
    blurred = cv2.GaussianBlur(grey, (0, 0), 3.0)
    return cv2.addWeighted(grey, 4.0, blurred, -3.0, 0)


def _sharpen_mild(grey: np.ndarray) -> np.ndarray:
    blurred = cv2.GaussianBlur(grey, (0, 0), 2.0)
    return cv2.addWeighted(grey, 3.0, blurred, -2.0, 0)


def _smooth_clahe(grey: np.ndarray) -> np.ndarray:
    """Denoise, then stretch local contrast: a faint code under noise or glare."""
    return _clahe(cv2.GaussianBlur(grey, (0, 0), 1.5))


def _half(v: Views) -> list[View]:
    base = v.one("work")
    small = cv2.resize(base.image, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    return [View(small, base.to_frame @ np.vstack([_scaled(0.5), [0, 0, 1]]))]


def _upscaled(factor: float, below: int) -> Callable[[Views], list[View]]:
    """Small frames resampled up: modules of 1-2 px become sampleable."""

    def build(v: Views) -> list[View]:
        base = v.one("work")
        if max(base.image.shape) > below:
            return []
        big = cv2.resize(base.image, None, fx=factor, fy=factor, interpolation=cv2.INTER_CUBIC)
        return [View(big, base.to_frame @ np.vstack([_scaled(factor), [0, 0, 1]]))]

    return build


def _flattened(v: Views) -> list[View]:
    """The largest bright region (a label, a sheet) flattened along each axis."""
    base = v.one("small")
    views = []
    for transpose in (False, True):
        flat = flatten_label(base.image, transpose=transpose)
        if flat is not None:
            image, map_x, map_y = flat
            views.append(View(image, base.to_frame, (map_x, map_y)))
    return views


def _tiles(v: Views) -> list[View]:
    """Overlapping full-resolution tiles; none when the frame is hardly larger than one."""
    return _tile(v.one("full").image)


def _sharp_tiles(v: Views) -> list[View]:
    return [View(_sharpen_mild(t.image), t.to_frame) for t in v.get("tiles")]


def _tile(full: np.ndarray) -> list[View]:
    height, width = full.shape
    if max(height, width) <= TILE * 1.25:
        return []
    step = int(TILE * (1 - TILE_OVERLAP))
    views = []
    for y in range(0, max(1, height - TILE + step), step):
        for x in range(0, max(1, width - TILE + step), step):
            y0, x0 = min(y, max(0, height - TILE)), min(x, max(0, width - TILE))
            tile = full[y0 : y0 + TILE, x0 : x0 + TILE]
            views.append(View(tile, _scaled(1.0, x0, y0)))
    return views


BUILDERS: dict[str, Callable[[Views], list[View]]] = {
    "full": _full,
    "work": _reduced("full", WORK_SIDE),
    "small": _reduced("work", SMALL_SIDE),
    "sharpen": _derived(_sharpen),
    "smooth-clahe": _derived(_smooth_clahe),
    "clahe": _derived(_clahe),
    "half": _half,
    "double": _upscaled(2.0, UPSCALE_BELOW),
    "tiles": _tiles,
    "sharp-tiles": _sharp_tiles,
    "unwarp": _flattened,
}
