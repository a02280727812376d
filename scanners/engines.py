"""QR decoding engines behind one interface: an image in, the codes found out.

Payloads are bytes; ``Decoded.raw`` is authoritative and is what the cascade de-duplicates
on. ``Decoded.text`` is the convenient form: zxing-cpp's own text (it honours ECI and
guesses Shift_JIS/GB2312 as readers do), otherwise UTF-8 when the bytes are valid UTF-8,
otherwise Latin-1, which maps each byte to one character and so loses nothing. Our own
codes are ASCII (Base45), for which all of these agree.

OpenCV's detectors keep state and are not documented as thread-safe, so each thread gets
its own (the API scans from a thread pool). QRCodeDetector.decodeCurved is deliberately
absent: in OpenCV 5.0 it still crashes the process (segfault) on some detections, even
well-formed ones; scanners.unwarp covers bent labels instead.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import cv2
import numpy as np
import zxingcpp

Points = tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class Decoded:
    raw: bytes
    text: str
    points: Points | None = None  # corners in the image given to the engine


Engine = Callable[[np.ndarray], list[Decoded]]


def text_of(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _points(corners: np.ndarray | Sequence[Sequence[float]] | None) -> Points | None:
    if corners is None:
        return None
    array = np.asarray(corners, dtype=np.float64).reshape(-1, 2)
    return tuple((float(x), float(y)) for x, y in array)


# --- zxing-cpp -------------------------------------------------------------------------

# Model 1 and 2; our codes are plain QR, so Micro QR and rMQR are not searched for.
_QR = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
LOCAL_AVERAGE = zxingcpp.Binarizer.LocalAverage
GLOBAL_HISTOGRAM = zxingcpp.Binarizer.GlobalHistogram


def zxing(
    image: np.ndarray,
    *,
    binarizer: zxingcpp.Binarizer = LOCAL_AVERAGE,
    try_rotate: bool = True,
    try_downscale: bool = True,
    try_invert: bool = True,
) -> list[Decoded]:
    """zxing-cpp ``read_barcodes`` restricted to QR, text kept as is (no HRI escaping)."""
    barcodes = zxingcpp.read_barcodes(
        np.ascontiguousarray(image),
        formats=_QR,
        try_rotate=try_rotate,
        try_downscale=try_downscale,
        try_invert=try_invert,
        text_mode=zxingcpp.TextMode.Plain,
        binarizer=binarizer,
    )
    found = []
    for barcode in barcodes:
        pos = barcode.position
        corners = [pos.top_left, pos.top_right, pos.bottom_right, pos.bottom_left]
        found.append(
            Decoded(
                raw=bytes(barcode.bytes),
                text=barcode.text,
                points=tuple((float(p.x), float(p.y)) for p in corners),
            )
        )
    return found


def zxing_histogram(image: np.ndarray) -> list[Decoded]:
    """Global-histogram binarizer: one threshold, better on textured or blotchy codes."""
    return zxing(image, binarizer=GLOBAL_HISTOGRAM)


# --- OpenCV ------------------------------------------------------------------------------

_local = threading.local()


def _detector() -> cv2.QRCodeDetector:
    if not hasattr(_local, "qr"):
        _local.qr = cv2.QRCodeDetector()
    detector: cv2.QRCodeDetector = _local.qr
    return detector


def _aruco() -> cv2.QRCodeDetectorAruco:
    if not hasattr(_local, "aruco"):
        _local.aruco = cv2.QRCodeDetectorAruco()
    detector: cv2.QRCodeDetectorAruco = _local.aruco
    return detector


def _collect(payloads: Sequence[bytes] | None, corners: np.ndarray | None) -> list[Decoded]:
    found = []
    for i, payload in enumerate(payloads or ()):
        raw = bytes(payload)
        if raw:  # OpenCV reports detected-but-undecoded codes as empty payloads
            pts = _points(corners[i]) if corners is not None and len(corners) > i else None
            found.append(Decoded(raw=raw, text=text_of(raw), points=pts))
    return found


def opencv(image: np.ndarray) -> list[Decoded]:
    """cv2.QRCodeDetector, every code in the frame. Unsupported modes raise; we skip them."""
    try:
        _ok, payloads, corners, _ = _detector().detectAndDecodeBytesMulti(image)
    except cv2.error:
        return []
    return _collect(payloads, corners)


def opencv_single(image: np.ndarray) -> list[Decoded]:
    """cv2.QRCodeDetector.detectAndDecode: the plain one-code call (the bench's baseline)."""
    try:
        payload, corners, _ = _detector().detectAndDecodeBytes(image)
    except cv2.error:
        return []
    return _collect([payload] if payload else [], corners)


def aruco(image: np.ndarray) -> list[Decoded]:
    """cv2.QRCodeDetectorAruco: finder patterns found like ArUco markers; every code."""
    try:
        _ok, payloads, corners, _ = _aruco().detectAndDecodeBytesMulti(image)
    except cv2.error:
        return []
    return _collect(payloads, corners)


ENGINES: dict[str, Engine] = {
    "zxing": zxing,
    "zxing-hist": zxing_histogram,
    "opencv": opencv,
    "aruco": aruco,
}
