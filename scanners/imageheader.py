"""Image dimensions and completeness read from the container header, before any decoding.

OpenCV allocates the whole raster as soon as it has read a header, and its own pixel
limit (OPENCV_IO_MAX_IMAGE_PIXELS) is read once when the library loads, so a library
cannot set it reliably. We therefore parse the few formats we accept ourselves: this
refuses a decompression bomb (a small file declaring a huge raster) without touching the
decoder, and a file cut short is reported as such instead of decoding half an image.
Every other format OpenCV could read (TIFF, JPEG 2000, AVIF, HDR...) is refused, which
also keeps rarely used decoders away from untrusted uploads.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass

from scanners.errors import NotAnImageError, TruncatedImageError


@dataclass(frozen=True)
class ImageHeader:
    kind: str  # "png" | "jpeg" | "webp" | "bmp" | "gif"
    width: int
    height: int


def read_header(data: bytes) -> ImageHeader:
    """The format and declared size; raises NotAnImageError or TruncatedImageError."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return _png(data)
    if data.startswith(b"\xff\xd8\xff"):
        return _jpeg(data)
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return _webp(data)
    if data.startswith(b"BM"):
        return _bmp(data)
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return _gif(data)
    raise NotAnImageError("not a PNG, JPEG, WebP, BMP or GIF image")


def _need(data: bytes, end: int, kind: str) -> None:
    if len(data) < end:
        raise TruncatedImageError(f"{kind} file is cut short ({len(data)} bytes)", kind=kind)


def _png(data: bytes) -> ImageHeader:
    _need(data, 33, "png")
    length, ctype = struct.unpack(">I4s", data[8:16])
    if ctype != b"IHDR" or length != 13:
        raise NotAnImageError("PNG without an IHDR header chunk")
    width, height = struct.unpack(">II", data[16:24])
    # Walk the chunk list (lengths only, no inflating) to make sure the file ends properly.
    pos = 8
    while True:
        _need(data, pos + 12, "png")
        length, ctype = struct.unpack(">I4s", data[pos : pos + 8])
        pos += 12 + length
        if ctype == b"IEND":
            break
    _need(data, pos, "png")
    return ImageHeader("png", width, height)


# Start-of-frame markers carry the size; C4 (DHT), C8 (JPG) and CC (DAC) share the range.
_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
# A run of FF: fill bytes, then the FF that starts the next marker. Skipped in one regex
# step, and the markers before the image data are counted: a file of nothing but fill bytes
# or length-less markers (20 MB of them) took seconds to walk one step at a time. Real
# files have a few dozen segments before their scan.
_FILL_RUN = re.compile(rb"\xff+")
_MAX_JPEG_MARKERS = 65_536
# GIF data comes in length-prefixed sub-blocks of up to 255 bytes; a file of a million
# one-byte blocks is not an image anyone made, and walking it would take seconds.
_MAX_GIF_BLOCKS = 1_000_000


def _jpeg(data: bytes) -> ImageHeader:
    pos = 2
    size: tuple[int, int] | None = None
    for _ in range(_MAX_JPEG_MARKERS):
        _need(data, pos + 4, "jpeg")
        if data[pos] != 0xFF:
            raise NotAnImageError("JPEG with a damaged marker sequence")
        run = _FILL_RUN.match(data, pos)
        assert run is not None  # data[pos] is FF
        pos = run.end() - 1
        _need(data, pos + 4, "jpeg")
        marker = data[pos + 1]  # not FF: the run took every fill byte
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:  # markers without a length
            pos += 2
            continue
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        if length < 2:
            raise NotAnImageError("JPEG segment with an impossible length")
        if marker in _SOF:
            _need(data, pos + 9, "jpeg")
            height, width = struct.unpack(">HH", data[pos + 5 : pos + 9])
            size = (width, height)
        if marker == 0xDA:  # start of scan: entropy-coded data follows
            if size is None:
                raise NotAnImageError("JPEG without a frame header before its scan")
            # Inside scan data 0xFF is always stuffed or a restart marker, so an EOI after
            # the scan header can only be the real end of the image.
            if data.rfind(b"\xff\xd9") < pos + 2 + length:
                raise TruncatedImageError("JPEG file is cut short (no end-of-image marker)")
            return ImageHeader("jpeg", size[0], size[1])
        pos += 2 + length
    raise NotAnImageError(f"JPEG with more than {_MAX_JPEG_MARKERS} markers before its image")


def _webp(data: bytes) -> ImageHeader:
    (riff_size,) = struct.unpack("<I", data[4:8])
    _need(data, 8 + riff_size, "webp")
    _need(data, 30, "webp")
    chunk = data[12:16]
    if chunk == b"VP8X":
        width = 1 + int.from_bytes(data[24:27], "little")
        height = 1 + int.from_bytes(data[27:30], "little")
    elif chunk == b"VP8 ":
        if data[23:26] != b"\x9d\x01\x2a":
            raise NotAnImageError("WebP lossy frame without its start code")
        w, h = struct.unpack("<HH", data[26:30])
        width, height = w & 0x3FFF, h & 0x3FFF
    elif chunk == b"VP8L":
        if data[20] != 0x2F:
            raise NotAnImageError("WebP lossless frame without its signature")
        bits = int.from_bytes(data[21:25], "little")
        width, height = 1 + (bits & 0x3FFF), 1 + ((bits >> 14) & 0x3FFF)
    else:
        raise NotAnImageError(f"WebP with an unknown first chunk {chunk!r}")
    return ImageHeader("webp", width, height)


def _bmp(data: bytes) -> ImageHeader:
    _need(data, 26, "bmp")
    offset, dib = struct.unpack("<II", data[10:18])
    if dib == 12:  # OS/2 BITMAPCOREHEADER: 16-bit sizes
        width, height = struct.unpack("<HH", data[18:22])
        bpp, compression = struct.unpack("<H", data[24:26])[0], 0
    elif dib >= 40:
        _need(data, 34, "bmp")
        width, height = struct.unpack("<ii", data[18:26])
        bpp, compression = struct.unpack("<HI", data[28:34])
    else:
        raise NotAnImageError("BMP with an unknown header")
    width, height = abs(width), abs(height)
    if compression in (0, 3):  # uncompressed rows: the file must hold all of them
        stride = ((width * bpp + 31) // 32) * 4
        _need(data, offset + stride * height, "bmp")
    return ImageHeader("bmp", width, height)


def _gif(data: bytes) -> ImageHeader:
    """Screen size, and every frame must fit it; the block walk also finds a cut file."""
    _need(data, 13, "gif")
    width, height, flags = struct.unpack("<HHB", data[6:11])
    pos = 13 + ((3 << ((flags & 7) + 1)) if flags & 0x80 else 0)
    budget = [_MAX_GIF_BLOCKS]
    while True:
        _need(data, pos + 1, "gif")
        block = data[pos]
        if block == 0x3B:  # trailer
            return ImageHeader("gif", width, height)
        if block == 0x21:  # extension: label, then sub-blocks
            pos = _skip_sub_blocks(data, pos + 2, budget)
        elif block == 0x2C:  # image descriptor
            _need(data, pos + 10, "gif")
            left, top, w, h, iflags = struct.unpack("<HHHHB", data[pos + 1 : pos + 10])
            width, height = max(width, left + w), max(height, top + h)
            pos += 10 + ((3 << ((iflags & 7) + 1)) if iflags & 0x80 else 0)
            pos = _skip_sub_blocks(data, pos + 1, budget)  # after the LZW code size byte
        else:
            raise NotAnImageError("GIF with an unknown block")


def _skip_sub_blocks(data: bytes, pos: int, budget: list[int]) -> int:
    while True:
        _need(data, pos + 1, "gif")
        budget[0] -= 1
        if budget[0] < 0:
            raise NotAnImageError(f"GIF of more than {_MAX_GIF_BLOCKS} data blocks")
        size = data[pos]
        pos += 1 + size
        if size == 0:
            return pos
