"""Frames in: image bytes or files, video files and cameras, as BGR uint8 arrays.

Untrusted images are checked before decoding: byte size, format (PNG, JPEG, WebP, BMP,
GIF only), declared dimensions and completeness, all from the header (see
scanners.imageheader). Only then does OpenCV decode, so a 20000x20000 declaration or a
decompression bomb never allocates its raster.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

from scanners.errors import (
    CameraUnavailableError,
    EmptyImageError,
    ImageFileMissingError,
    ImageTooLargeError,
    NotAnImageError,
    VideoUnreadableError,
)
from scanners.imageheader import read_header

MAX_BYTES = 20 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a 7200x5400 photo; larger phone photos are refused, not slowed
MAX_SIDE = 16_384  # also refuses absurd strips such as 1 x 40 million


def check_size(width: int, height: int, *, max_pixels: int, max_side: int) -> None:
    if width <= 0 or height <= 0:
        raise NotAnImageError(f"image declares an empty raster {width}x{height}")
    if width > max_side or height > max_side or width * height > max_pixels:
        raise ImageTooLargeError(
            f"image is {width}x{height} pixels; the limit is {max_pixels} pixels "
            f"and {max_side} per side",
            width=width,
            height=height,
            max_pixels=max_pixels,
        )


def load_image_bytes(
    data: bytes,
    *,
    max_bytes: int = MAX_BYTES,
    max_pixels: int = MAX_PIXELS,
    max_side: int = MAX_SIDE,
) -> np.ndarray:
    """Decode an uploaded image to a BGR uint8 array, refusing anything unsafe first."""
    if not data:
        raise EmptyImageError("the image is empty (0 bytes)")
    if len(data) > max_bytes:
        raise ImageTooLargeError(
            f"image file is {len(data)} bytes; the limit is {max_bytes}",
            size=len(data),
            max_bytes=max_bytes,
        )
    header = read_header(data)
    check_size(header.width, header.height, max_pixels=max_pixels, max_side=max_side)
    buffer = np.frombuffer(data, dtype=np.uint8)
    try:
        # JPEG has no alpha but may carry an EXIF rotation, which IMREAD_COLOR applies.
        flags = cv2.IMREAD_COLOR if header.kind == "jpeg" else cv2.IMREAD_UNCHANGED
        image = cv2.imdecode(buffer, flags)
    except cv2.error as exc:  # e.g. a header that passed us but not the codec
        raise NotAnImageError(f"{header.kind} image could not be decoded: {exc.err}") from exc
    if image is None or image.size == 0:
        raise NotAnImageError(f"{header.kind} image data is damaged and could not be decoded")
    height, width = image.shape[:2]
    # EXIF orientation may swap the sides; anything else means the header lied.
    if {width, height} != {header.width, header.height} and header.kind != "gif":
        raise NotAnImageError(
            f"{header.kind} header says {header.width}x{header.height}, data is {width}x{height}"
        )
    return _to_bgr8(image)


def _to_bgr8(image: np.ndarray) -> np.ndarray:
    """8-bit BGR; a transparent background becomes white, as a viewer shows it.

    Exported QR PNGs often have transparent light modules: dropping the alpha channel
    would leave black modules on black.
    """
    if image.dtype == np.uint16:
        image = (image >> 8).astype(np.uint8)
    elif image.dtype != np.uint8:
        raise NotAnImageError(f"unsupported pixel type {image.dtype}")
    if image.ndim == 2:
        image = image[:, :, None]
    if image.shape[2] in (2, 4):  # with alpha: composite onto white
        alpha = image[:, :, -1:].astype(np.uint16)
        colour = image[:, :, :-1].astype(np.uint16)
        image = ((colour * alpha + (255 - alpha) * 255) // 255).astype(np.uint8)
    if image.shape[2] == 1:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    return np.ascontiguousarray(image)


def load_image_file(
    path: str | Path,
    *,
    max_bytes: int = MAX_BYTES,
    max_pixels: int = MAX_PIXELS,
    max_side: int = MAX_SIDE,
) -> np.ndarray:
    """Read a file with the same checks; the size is checked before reading it."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise NotAnImageError(f"{path} is not a regular file")
        if size > max_bytes:
            raise ImageTooLargeError(
                f"{path} is {size} bytes; the limit is {max_bytes}", size=size, max_bytes=max_bytes
            )
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)  # the file may grow after stat()
    except FileNotFoundError as exc:
        raise ImageFileMissingError(f"no such image file: {path}") from exc
    except IsADirectoryError as exc:
        raise NotAnImageError(f"{path} is a directory") from exc
    except PermissionError as exc:
        raise NotAnImageError(f"{path} cannot be read: permission denied") from exc
    return load_image_bytes(data, max_bytes=max_bytes, max_pixels=max_pixels, max_side=max_side)


def iter_video_frames(
    path: str | Path,
    *,
    every_nth: int = 1,
    max_frames: int | None = None,
    max_pixels: int = MAX_PIXELS,
    max_side: int = MAX_SIDE,
) -> Iterator[np.ndarray]:
    """Yield every n-th frame of a video file (at most ``max_frames`` of them)."""
    if every_nth < 1:
        raise ValueError("every_nth must be at least 1")
    path = Path(path)
    if not path.is_file():
        raise ImageFileMissingError(f"no such video file: {path}")
    capture = cv2.VideoCapture(str(path))
    try:
        if not capture.isOpened():
            raise VideoUnreadableError(f"{path} is not a video OpenCV can read")
        width = int(capture.get(cv2.CAP_PROP_FRAME_WIDTH))
        height = int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
        check_size(width, height, max_pixels=max_pixels, max_side=max_side)
        yielded = 0
        index = 0
        while max_frames is None or yielded < max_frames:
            # grab() skips decoding the frames we do not want.
            if not capture.grab():
                break
            if index % every_nth == 0:
                ok, frame = capture.retrieve()
                if not ok or frame is None:
                    break
                yielded += 1
                yield frame
            index += 1
        if yielded == 0 and index == 0:
            raise VideoUnreadableError(f"{path} holds no readable frame")
    finally:
        capture.release()


def camera_frames(
    index: int, *, max_frames: int | None = None, timeout: float = 10.0
) -> Iterator[np.ndarray]:
    """Frames from camera ``index`` until ``max_frames`` or ``timeout`` seconds in total.

    Opening a camera can block (a busy or absent device), so it happens in a helper thread
    and we wait at most ``timeout`` for it; a camera that never opens, or that stops
    delivering frames, raises CameraUnavailableError.
    """
    deadline = time.monotonic() + timeout
    capture = _open_camera(index, timeout)
    try:
        yielded = 0
        while (max_frames is None or yielded < max_frames) and time.monotonic() < deadline:
            ok, frame = capture.read()
            if not ok or frame is None:
                if yielded == 0:
                    raise CameraUnavailableError(f"camera {index} opened but delivers no frames")
                break
            yielded += 1
            yield frame
    finally:
        capture.release()


def _open_camera(index: int, timeout: float) -> cv2.VideoCapture:
    opened: list[cv2.VideoCapture] = []

    def open_it() -> None:
        opened.append(cv2.VideoCapture(index))

    worker = threading.Thread(target=open_it, name=f"camera-{index}", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise CameraUnavailableError(f"camera {index} did not open within {timeout:g} s")
    if not opened or not opened[0].isOpened():
        if opened:
            opened[0].release()
        raise CameraUnavailableError(f"camera {index} is not available")
    return opened[0]
