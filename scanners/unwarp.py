"""Flatten a code printed on a bent label or sheet, using the outline of the label.

A label wrapped round a bottle or a sheet sagging on a table is a bright region whose top
and bottom edges are curves. Resampling every column between those two curves makes them
straight, and with them the code's rows, which a flat-code reader then decodes. Pure
NumPy/OpenCV resampling: OpenCV's own curved decoder (QRCodeDetector.decodeCurved)
crashes the process on some inputs in 5.0 (a segfault in divideIntoEvenSegments, known
upstream), so we do not use it.
"""

from __future__ import annotations

import cv2
import numpy as np

MIN_SIDE = 40  # px: smaller labels hold no code we could read anyway
PAD = 16  # quiet zone added around the flattened label


def flatten_label(
    grey: np.ndarray, *, transpose: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """The flattened largest bright region, and the maps back to ``grey`` coordinates.

    Returns (image, map_x, map_y): pixel (x, y) of the image came from
    (map_x[y, x], map_y[y, x]) in ``grey``. ``transpose`` flattens along the other axis
    (left and right edges curved). None when there is no plausible label.
    """
    source = np.ascontiguousarray(grey.T) if transpose else grey
    maps = _column_maps(source)
    if maps is None:
        return None
    map_x, map_y = maps
    if transpose:
        map_x, map_y = np.ascontiguousarray(map_y.T), np.ascontiguousarray(map_x.T)
    flat = cv2.remap(grey, map_x, map_y, cv2.INTER_LINEAR)
    flat = cv2.copyMakeBorder(flat, PAD, PAD, PAD, PAD, cv2.BORDER_REPLICATE)
    map_x = cv2.copyMakeBorder(map_x, PAD, PAD, PAD, PAD, cv2.BORDER_REPLICATE)
    map_y = cv2.copyMakeBorder(map_y, PAD, PAD, PAD, PAD, cv2.BORDER_REPLICATE)
    return flat, map_x, map_y


def _column_maps(grey: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    blurred = cv2.GaussianBlur(grey, (0, 0), 2.0)
    _, bright = cv2.threshold(blurred, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(bright, connectivity=4)
    if count < 2:
        return None
    label = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    x0, y0, width, height, area = (int(v) for v in stats[label])
    if min(width, height) < MIN_SIDE or area < 0.05 * grey.size:
        return None
    mask = labels[y0 : y0 + height, x0 : x0 + width] == label
    present = mask.any(axis=0)
    if present.sum() < 0.8 * width:
        return None
    # The dark modules are inside the label, so each column's first and last bright pixel
    # are the label's top and bottom edges; smoothing removes the modules' notches.
    first = np.where(present, mask.argmax(axis=0), 0) + y0
    last = np.where(present, height - 1 - mask[::-1].argmax(axis=0), height - 1) + y0
    # Edges on the frame border are the frame's, not the label's: nothing to flatten.
    if ((first <= 0) | (last >= grey.shape[0] - 1)).mean() > 0.5:
        return None
    kernel = (max(3, width // 15) | 1, 1)
    top = cv2.GaussianBlur(first.astype(np.float32).reshape(1, -1), kernel, 0).ravel()
    bottom = cv2.GaussianBlur(last.astype(np.float32).reshape(1, -1), kernel, 0).ravel()
    rows = int(np.median(bottom - top))
    if rows < MIN_SIDE:
        return None
    t = np.linspace(0.0, 1.0, rows, dtype=np.float32)[:, None]
    map_y = np.ascontiguousarray(top[None, :] + t * (bottom - top)[None, :], dtype=np.float32)
    columns = np.arange(x0, x0 + width, dtype=np.float32)
    map_x = np.ascontiguousarray(np.broadcast_to(columns[None, :], map_y.shape))
    return map_x, map_y
