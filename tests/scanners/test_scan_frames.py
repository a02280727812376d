"""Frames in: every unsafe or broken input is refused with its own slug, quickly."""

from __future__ import annotations

import struct
import time
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest

from codeid.codes.qr import render_png
from codeid.errors import InvalidInput
from scanners.cascade import scan_frame
from scanners.errors import ScanInputError
from scanners.frames import (
    camera_frames,
    iter_video_frames,
    load_image_bytes,
    load_image_file,
)

PAYLOAD = "CID1:HELLO WORLD 0123456789"


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png(width: int, height: int, idat: bytes) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    return (
        b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")
    )


def _encoded(ext: str, image: np.ndarray) -> bytes:
    ok, data = cv2.imencode(ext, image)
    assert ok
    return data.tobytes()


def _refused(data: bytes, slug: str, **limits: int) -> ScanInputError:
    start = time.perf_counter()
    with pytest.raises(ScanInputError) as info:
        load_image_bytes(data, **limits)
    assert (time.perf_counter() - start) < 0.5
    assert info.value.code == slug
    assert isinstance(info.value, InvalidInput)
    return info.value


def test_a_rendered_code_loads_as_bgr() -> None:
    image = load_image_bytes(render_png(PAYLOAD, scale=4, border=4))
    assert image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3
    assert scan_frame(image).texts == [PAYLOAD]


@pytest.mark.parametrize("ext", [".png", ".jpg", ".webp", ".bmp", ".gif"])
def test_each_accepted_format_decodes(ext: str) -> None:
    grey = cv2.imdecode(np.frombuffer(render_png(PAYLOAD, scale=6), np.uint8), 0)
    assert grey is not None
    image = load_image_bytes(_encoded(ext, cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR)))
    assert image.shape[:2] == grey.shape
    assert PAYLOAD in scan_frame(image).texts


def test_transparent_background_becomes_white() -> None:
    # Light modules fully transparent (and black underneath): dropping alpha would leave
    # black on black.
    grey = cv2.imdecode(np.frombuffer(render_png(PAYLOAD, scale=6), np.uint8), 0)
    assert grey is not None
    bgra = np.zeros((*grey.shape, 4), np.uint8)
    bgra[:, :, 3] = 255 - grey
    image = load_image_bytes(_encoded(".png", bgra))
    assert image.shape == (*grey.shape, 3)
    assert scan_frame(image).texts == [PAYLOAD]


def test_sixteen_bit_png_is_reduced_to_eight() -> None:
    grey = cv2.imdecode(np.frombuffer(render_png(PAYLOAD, scale=6), np.uint8), 0)
    assert grey is not None
    image = load_image_bytes(_encoded(".png", grey.astype(np.uint16) * 257))
    assert image.dtype == np.uint8 and image.max() == 255
    assert scan_frame(image).texts == [PAYLOAD]


def test_empty_bytes_are_refused() -> None:
    _refused(b"", "empty-image")


@pytest.mark.parametrize(
    "data",
    [b"hello, this is text", b"%PDF-1.7\n...", b"\x00" * 64, b"II*\x00" + b"\x00" * 60],
    ids=["text", "pdf", "zeros", "tiff"],
)
def test_non_images_and_other_formats_are_refused(data: bytes) -> None:
    _refused(data, "not-an-image")


@pytest.mark.parametrize("ext", [".png", ".jpg", ".webp", ".bmp", ".gif"])
def test_truncated_files_are_refused(ext: str) -> None:
    noise = np.random.default_rng(1).integers(0, 255, (120, 160, 3), dtype=np.uint8)
    data = _encoded(ext, noise)
    error = _refused(data[: len(data) * 2 // 3], "truncated-image")
    assert "cut short" in error.message


def test_damaged_data_behind_a_valid_header_is_refused() -> None:
    data = _png(64, 64, b"this is not zlib data")
    _refused(data, "not-an-image")


def test_20000_square_declared_png_is_refused_before_decoding() -> None:
    # The header alone: 20000x20000 with no pixel data. Decoding would allocate 400 MB.
    error = _refused(_png(20000, 20000, zlib.compress(b"")), "image-too-large")
    assert error.details["width"] == 20000
    assert "20000x20000" in error.message


def test_decompression_bomb_is_refused() -> None:
    # A real, valid 10000x10000 PNG of under 0.5 MB: 100 MP (300 MB as BGR) when decoded.
    rows = (b"\x00" + b"\xff" * 10000) * 10000
    bomb = _png(10000, 10000, zlib.compress(rows, 1))
    assert len(bomb) < 500_000
    _refused(bomb, "image-too-large")


def test_limits_are_parameters() -> None:
    data = _encoded(".png", np.zeros((100, 200, 3), np.uint8))
    assert load_image_bytes(data).shape == (100, 200, 3)
    _refused(data, "image-too-large", max_pixels=19_999)
    _refused(data, "image-too-large", max_side=199)
    error = _refused(data, "image-too-large", max_bytes=len(data) - 1)
    assert "bytes" in error.message


def test_long_strip_is_refused_by_side_limit() -> None:
    _refused(_png(40_000, 1, zlib.compress(b"")), "image-too-large")


def test_files_are_checked_the_same_way(tmp_path: Path) -> None:
    with pytest.raises(ScanInputError) as info:
        load_image_file(tmp_path / "missing.png")
    assert info.value.code == "file-not-found"
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    with pytest.raises(ScanInputError) as info:
        load_image_file(empty)
    assert info.value.code == "empty-image"
    with pytest.raises(ScanInputError) as info:
        load_image_file(tmp_path)
    assert info.value.code == "not-an-image"
    big = tmp_path / "big.png"
    big.write_bytes(render_png(PAYLOAD))
    with pytest.raises(ScanInputError) as info:
        load_image_file(big, max_bytes=100)
    assert info.value.code == "image-too-large"


def _qr_frame(text: str, size: int = 320) -> np.ndarray:
    grey = cv2.imdecode(np.frombuffer(render_png(text, scale=6, border=4), np.uint8), 0)
    assert grey is not None
    frame = np.full((size, size), 255, np.uint8)
    y = (size - grey.shape[0]) // 2
    frame[y : y + grey.shape[0], y : y + grey.shape[1]] = grey
    return cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR)


def test_video_frames_decode(tmp_path: Path) -> None:
    path = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), 10.0, (320, 320))
    assert writer.isOpened()
    blank = np.full((320, 320, 3), 255, np.uint8)
    frames = [blank, _qr_frame("CID1:FRAME ONE"), blank, _qr_frame("CID1:FRAME TWO"), blank]
    for frame in frames:
        writer.write(frame)
    writer.release()

    read = list(iter_video_frames(path))
    assert len(read) == 5
    texts = [scan_frame(f).texts for f in read]
    assert texts == [[], ["CID1:FRAME ONE"], [], ["CID1:FRAME TWO"], []]
    assert len(list(iter_video_frames(path, every_nth=2))) == 3
    assert len(list(iter_video_frames(path, max_frames=2))) == 2


def test_bad_videos_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ScanInputError) as info:
        list(iter_video_frames(tmp_path / "missing.avi"))
    assert info.value.code == "file-not-found"
    junk = tmp_path / "junk.avi"
    junk.write_bytes(b"RIFF\x00\x00\x00\x00AVI garbage" * 10)
    with pytest.raises(ScanInputError) as info:
        list(iter_video_frames(junk))
    assert info.value.code == "video-unreadable"


def test_missing_camera_fails_fast_and_clearly() -> None:
    start = time.perf_counter()
    with pytest.raises(ScanInputError) as info:
        next(camera_frames(97, max_frames=1, timeout=3.0))
    assert info.value.code == "camera-unavailable"
    assert "camera 97" in info.value.message
    assert time.perf_counter() - start < 3.5
