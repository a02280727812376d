"""QR rendering of code payloads (PNG, SVG, terminal); with qr_fast, the only segno users.

Symbols are level Q (survives ~25% damage: scratched prints, glare on phone screens),
boosted to H when that fits the same version, in the smallest version that holds the
payload; business codes must fit version 10 (``MAX_VERSION``), larger ones are refused.

Speed. segno's ``make()`` takes ~13 ms per version-10 code, most of it scoring the eight
masks, the rest encoding module by module in pure Python; a portal refreshing dynamic
codes needs over ten times that rate. ``qr_fast`` precomputes everything constant per
(version, level) from segno's own encoder and does the per-payload work with numpy, and
the writers below serialise its module matrix directly (SVG: one path of horizontal runs;
PNG: a minimal 1-bit encoder): ~50x for SVG and ~75x for PNG (bench/bench_qr.py).

Mask. Fixing it would be valid: ISO/IEC 18004 allows all eight, the penalty score only
prefers patterns that are easier to read. We keep the standard's choice anyway: scored
at once on 64-bit words it costs ~0.1 ms, and it makes the fast symbol bit-identical to
``segno.make_qr(payload, error="Q")``, which the tests check on random payloads; that is
the correctness argument. (On 600 clean renders, decode rates of zxing-cpp and OpenCV
differed between masks within noise.) Payloads outside the alphanumeric mode (not Base45)
and versions above 10 take segno's own, slower path.
"""

from __future__ import annotations

import io
import struct
import zlib
from functools import cache
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt
import segno
from segno import consts as _consts
from segno import encoder as _encoder

from codeid.codes import qr_fast
from codeid.errors import InvalidInput

# segno types its public API only; these modules are its internals, used as documented
# in their source (ISO/IEC 18004 steps); treat them as untyped.
consts: Any = _consts
encoder: Any = _encoder

ERROR_LEVEL = "Q"
MAX_VERSION = 10  # business codes must stay small enough for window scanners
_LEVEL_Q = consts.ERROR_LEVEL_Q


class QRTooLarge(InvalidInput):
    """The payload needs a larger QR symbol than allowed."""

    code = "qr-too-large"


class BadRendering(InvalidInput):
    """Scale or border out of range."""

    code = "bad-qr-rendering"


class _Segment(NamedTuple):  # segno.QRCode only reads the mode of a single segment
    mode: int


class _Symbol(NamedTuple):
    matrix: qr_fast.U8
    version: int
    error: int  # segno's constant
    mask: int


def qr_version(payload: str) -> int:
    """The QR version ``make_qr`` uses for the payload (no limit applied)."""
    return _version(payload, qr_fast.alnum_values(payload))


def _version(payload: str, values: bytes | None) -> int:
    if values is not None:
        version = qr_fast.choose_version(len(values), _LEVEL_Q)
    else:
        segments = encoder.prepare_data(payload, None, None)
        try:
            version = encoder.find_version(segments, _LEVEL_Q, eci=False, micro=False)
        except encoder.DataOverflowError:
            version = None
    if version is None:
        raise QRTooLarge(f"payload of {len(payload)} characters does not fit any QR code")
    return version


def _check_version(payload: str, values: bytes | None, max_version: int) -> int:
    version = _version(payload, values)
    if version > max_version:
        raise QRTooLarge(
            f"payload of {len(payload)} characters needs QR version {version} at level "
            f"{ERROR_LEVEL}; at most version {max_version} is allowed",
            version=version,
            max_version=max_version,
        )
    return version


def _fast_symbol(payload: str, max_version: int) -> _Symbol | None:
    """The symbol via the numpy encoder; None where only segno applies."""
    values = qr_fast.alnum_values(payload)
    version = _check_version(payload, values, max_version)
    if values is None or version > qr_fast.MAX_FAST_VERSION:
        return None
    error = qr_fast.boosted_error(len(values), version, _LEVEL_Q)
    matrix, mask = qr_fast.encode(values, version, error)
    return _Symbol(matrix, version, error, mask)


def _segno_code(payload: str, max_version: int) -> segno.QRCode:
    _check_version(payload, qr_fast.alnum_values(payload), max_version)
    return segno.make_qr(payload, error=ERROR_LEVEL)


def qr_matrix(payload: str, *, max_version: int = MAX_VERSION) -> qr_fast.U8:
    """The module matrix (uint8, 1 = dark, no quiet zone) of the payload's symbol."""
    symbol = _fast_symbol(payload, max_version)
    if symbol is None:
        return np.array(_segno_code(payload, max_version).matrix, np.uint8)
    return symbol.matrix


def make_qr(payload: str, *, fast: bool = True, max_version: int = MAX_VERSION) -> segno.QRCode:
    """The symbol as a segno QRCode; ``fast=False`` lets segno build it (same result)."""
    symbol = _fast_symbol(payload, max_version) if fast else None
    if symbol is None:
        return _segno_code(payload, max_version)
    rows = tuple(bytearray(row) for row in symbol.matrix.tolist())
    segments = [_Segment(consts.MODE_ALPHANUMERIC)]
    code = encoder.Code(rows, symbol.version, symbol.error, symbol.mask, segments)
    return segno.QRCode(code)  # type: ignore[call-arg]  # the constructor is not in segno's stubs


def render_svg(
    payload: str, *, scale: int = 4, border: int = 4, fast: bool = True,
    max_version: int = MAX_VERSION,
) -> bytes:  # fmt: skip
    """An SVG document, ``scale`` px per module, ``border`` modules of white quiet zone."""
    _check_geometry(scale, border)
    if not fast:
        buffer = io.BytesIO()
        _segno_code(payload, max_version).save(
            buffer, kind="svg", scale=scale, border=border, xmldecl=False, light="#fff"
        )
        return buffer.getvalue()
    matrix = qr_matrix(payload, max_version=max_version)
    size = matrix.shape[0]
    # Horizontal runs of dark modules, each a 1-module-wide stroke placed relative to the
    # end of the previous run (as segno does) to keep the path short.
    padded = np.zeros((size, size + 2), np.int8)
    padded[:, 1:-1] = matrix
    edges = padded[:, 1:] - padded[:, :-1]
    rows, starts = np.nonzero(edges == 1)
    ends = np.nonzero(edges == -1)[1]
    moves, lengths = _path_tokens(size)
    tokens = np.empty((len(rows), 2), object)
    previous_end = np.concatenate([[0], ends[:-1]])
    tokens[:, 0] = moves[rows - np.concatenate([[0], rows[:-1]]), starts - previous_end + size]
    tokens[:, 1] = lengths[ends - starts]
    path = "".join(tokens.ravel().tolist())  # joining cached strings beats %-formatting 4x
    total = size + 2 * border
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{total * scale}" '
        f'height="{total * scale}" viewBox="0 0 {total} {total}" shape-rendering="crispEdges">'
        f'<rect width="{total}" height="{total}" fill="#fff"/>'
        f'<path stroke="#000" d="M{border} {border}.5{path}"/></svg>\n'
    ).encode("ascii")


@cache
def _path_tokens(size: int) -> tuple[npt.NDArray[np.object_], npt.NDArray[np.object_]]:
    """Path pieces "m{dx} {dy}" indexed [dy, dx + size] and "h{length}" indexed [length]."""
    moves = [[f"m{dx} {dy}" for dx in range(-size, size + 1)] for dy in range(size)]
    return np.array(moves, object), np.array([f"h{n}" for n in range(size + 1)], object)


def render_png(
    payload: str, *, scale: int = 8, border: int = 4, fast: bool = True,
    max_version: int = MAX_VERSION,
) -> bytes:  # fmt: skip
    """A 1-bit greyscale PNG, ``scale`` px per module, ``border`` modules of quiet zone."""
    _check_geometry(scale, border)
    if not fast:
        buffer = io.BytesIO()
        _segno_code(payload, max_version).save(buffer, kind="png", scale=scale, border=border)
        return buffer.getvalue()
    matrix = qr_matrix(payload, max_version=max_version)
    modules = matrix.shape[0] + 2 * border
    light = np.ones((modules, modules), np.uint8)  # PNG greyscale: 1 = white
    light[border : modules - border, border : modules - border] = matrix ^ 1
    packed = np.packbits(np.repeat(light, scale, axis=1), axis=1)
    # Each module row gives `scale` equal scanlines: the first unfiltered, the others
    # filter type 2 ("Up": same as the line above), all-zero bytes that deflate to nothing.
    lines = np.zeros((modules, scale, 1 + packed.shape[1]), np.uint8)
    lines[:, 0, 1:] = packed
    lines[:, 1:, 0] = 2
    pixels = modules * scale
    header = struct.pack(">IIBBBBB", pixels, pixels, 1, 0, 0, 0, 0)  # 1 bit, greyscale
    return b"".join(
        [
            b"\x89PNG\r\n\x1a\n",
            _chunk(b"IHDR", header),
            _chunk(b"IDAT", zlib.compress(lines.tobytes(), 1)),  # 6 is 7x slower, 25% smaller
            _chunk(b"IEND", b""),
        ]
    )


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _check_geometry(scale: int, border: int) -> None:
    if not 1 <= scale <= 64:
        raise BadRendering(f"scale must be 1..64 pixels per module, got {scale}")
    if not 0 <= border <= 16:
        raise BadRendering(f"border must be 0..16 modules, got {border}")


def render_terminal(payload: str, *, max_version: int = MAX_VERSION) -> str:
    """Compact text rendering (half blocks: two module rows per line) for a terminal."""
    buffer = io.StringIO()
    make_qr(payload, max_version=max_version).terminal(out=buffer, compact=True)
    return buffer.getvalue()
