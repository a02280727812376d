"""QR rendering of code payloads: the only module that knows segno.

segno's ``make()`` scores all eight masks to pick the best one, which is most of its
time. A mask chosen once per payload *shape* would do as well for readability, but the
cheapest sound shortcut is to fix the mask: every mask pattern is valid per ISO/IEC 18004
and decoders handle all of them; the penalty score only avoids patterns that are slightly
harder to read. We therefore fix the version (smallest that fits) and the mask, which
makes rendering several times faster (see bench/bench_qr.py).
"""

from __future__ import annotations

import io

import segno

ERROR_LEVEL = "Q"  # survives ~25% damage: scratched prints, glare on phone screens
FAST_MASK = 2  # fixed mask pattern (vertical stripes every third column); see module doc


def make_qr(payload: str, *, fast: bool = True) -> segno.QRCode:
    """A QR symbol for the payload at level Q. ``fast`` fixes the mask."""
    return segno.make_qr(
        payload,
        error=ERROR_LEVEL,
        boost_error=False,
        mask=FAST_MASK if fast else None,
    )


def qr_version(payload: str) -> int:
    version: int = make_qr(payload).version
    return version


def render_svg(payload: str, *, scale: int = 4, border: int = 4, fast: bool = True) -> bytes:
    buffer = io.BytesIO()
    make_qr(payload, fast=fast).save(
        buffer, kind="svg", scale=scale, border=border, xmldecl=False, svgns=True
    )
    return buffer.getvalue()


def render_png(payload: str, *, scale: int = 8, border: int = 4, fast: bool = True) -> bytes:
    buffer = io.BytesIO()
    make_qr(payload, fast=fast).save(buffer, kind="png", scale=scale, border=border)
    return buffer.getvalue()


def render_terminal(payload: str) -> str:
    """Compact text rendering (two modules per character) for a terminal."""
    buffer = io.StringIO()
    make_qr(payload).terminal(out=buffer, compact=True)
    return buffer.getvalue()
