"""`codeid scan --raw`: decode one image file, no verification; a JSON-ready dict."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from scanners.cascade import scan_frame
from scanners.frames import load_image_file

RAW_BUDGET_MS = 3000.0  # one file on the command line: worth a thorough look


def scan_raw_file(
    path: str | Path, *, max_ms: float | None = RAW_BUDGET_MS, exhaustive: bool = False
) -> dict[str, Any]:
    """Every QR text in an image file, with the engine and step that read each.

    Raises a ScanInputError (an InvalidInput) for a missing, unsafe or unreadable file.
    Like scan_frame, it stops after the first step that finds anything (that step reports
    every code it sees); ``exhaustive=True`` runs the whole cascade to list codes only a
    later step can read. ``ms`` covers decoding only, not reading the file. A payload
    that is not valid UTF-8 is given as Latin-1 text (one character per byte) and listed
    in ``binary`` as hex.
    """
    frame = load_image_file(path)
    result = scan_frame(frame, max_ms=max_ms, exhaustive=exhaustive)
    return {
        "file": str(path),
        "texts": [f.text for f in result.found],
        "engines": [f.engine for f in result.found],
        "steps": result.tried,
        "binary": [f.raw.hex() for f in result.found if not _is_utf8(f.raw)],
        "ms": round(result.ms, 1),
        "timed_out": result.timed_out,
    }


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
