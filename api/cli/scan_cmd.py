"""codeid scan FILE... [--camera N] [--raw]"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import typer

from api.cli.output import CliFailure, emit, say
from api.runtime import Runtime
from api.views import verify_out
from codeid.clock import utcnow
from codeid.errors import CodeidError
from scanners.frames import camera_frames, iter_video_frames, load_image_file
from scanners.pipeline import ScanOutcome, scan_and_resolve
from scanners.raw import scan_raw_file

VIDEO_SUFFIXES = {".avi", ".mp4", ".mkv", ".mov", ".webm", ".mjpeg", ".mjpg"}


def scan(
    files: list[Path] = typer.Argument(None, help="Images or videos to scan."),
    camera: int = typer.Option(None, "--camera", help="Read frames from camera N instead."),
    raw: bool = typer.Option(
        False, "--raw", help="Only decode: every QR text per file, with the milliseconds taken."
    ),
    location: str = typer.Option("cli", help="Where the scan happens (recorded)."),
    seconds: float = typer.Option(20.0, help="With --camera: give up after this long."),
) -> None:
    """Decode, verify and resolve; one JSON object per code found. Exit 0 only if all verified."""
    if not files and camera is None:
        raise CliFailure("give image or video files, or --camera N")
    if raw:
        failed = 0
        for path in files or []:
            try:
                emit(scan_raw_file(path))
            except CodeidError as exc:
                failed += 1
                say(f"codeid: {path}: {exc.code}: {exc.message}")
        raise typer.Exit(1 if failed else 0)

    runtime = Runtime.prepared()
    ok = True
    sources: list[tuple[str, Iterable[np.ndarray]]] = []
    if camera is not None:
        sources.append((f"camera:{camera}", camera_frames(camera, timeout=seconds)))
    for path in files or []:
        sources.append((str(path), _frames_of(path)))
    for name, frames in sources:
        try:
            ok = _scan_source(runtime, name, frames, location) and ok
        except CodeidError as exc:
            ok = False
            say(f"codeid: {name}: {exc.code}: {exc.message}")
    raise typer.Exit(0 if ok else 1)


def _frames_of(path: Path) -> Iterable[np.ndarray]:
    if path.suffix.lower() in VIDEO_SUFFIXES:
        return iter_video_frames(path)
    return [load_image_file(path)]


def _scan_source(runtime: Runtime, name: str, frames: Iterable[np.ndarray], location: str) -> bool:
    """Scan frames until one holds a code; print each code found. True if all verified."""
    with runtime.session() as session:
        keys = runtime.keyring(session).public_keys()
        for frame in frames:
            outcome: ScanOutcome = scan_and_resolve(
                session, frame, keys=keys, now=utcnow(), actor="cli", location=location
            )
            if not outcome.codes:
                continue
            for code in outcome.codes:
                emit(
                    {
                        "source": name,
                        "text": code.text,
                        "engine": code.engine,
                        "ms": round(outcome.ms, 1),
                    }
                    | verify_out(code.resolved).model_dump(mode="json")
                )
            return all(code.resolved.resolved.result.ok for code in outcome.codes)
    say(f"codeid: {name}: no QR code found")
    return False
