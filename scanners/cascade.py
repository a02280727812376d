"""One frame in, every QR text out: a cascade of (view, engine) steps, cheap first.

zxing-cpp on the plain grey frame decodes most real photos in about a millisecond, so it
runs first; each later step reads a preprocessed view (scanners.variants: OpenCV filters,
resampling, tiles, label flattening) and was kept only because it decoded images that all
the others missed, on the real photographs or on generated degradations of several seeds
(`python -m bench.scan_bench --steps` prints each step's share). OpenCV's own detectors
(QRCodeDetector, QRCodeDetectorAruco) added no decode on top of these steps while costing
5-10 ms each, so they are engines the bench compares against, not steps.

Stopping: without ``accept``, after the first step that finds anything (that step
reports every code it sees; ``exhaustive=True`` runs every step to collect codes only a
later step can read); with ``accept``, at the first text for which ``accept(text)`` is
true, whatever ``exhaustive`` says. ``max_ms`` bounds the whole scan: it is checked
between steps and between tiles. A frame without any code runs every step: about 20 ms
at 640x480, 50 ms at 1920x1080, 100-400 ms at 12 MP (noise being the worst case).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from scanners.engines import ENGINES
from scanners.variants import Views

Points = tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class Step:
    view: str  # a name in scanners.variants.BUILDERS
    engine: str  # a name in scanners.engines.ENGINES

    @property
    def name(self) -> str:
        return f"{self.engine}@{self.view}"


# Order: decodes added per millisecond on the bench sets; what each step rescues:
STEPS: tuple[Step, ...] = (
    Step("full", "zxing"),  # most codes, ~1 ms; zxing-cpp itself tries rotations, inversion
    Step("work", "zxing-hist"),  # one global threshold: textured paper, blotchy print
    Step("half", "zxing-hist"),  # half size: noise, photos inside the modules
    Step("smooth-clahe", "zxing"),  # noise, faint print, glare
    Step("smooth-clahe", "zxing-hist"),
    Step("clahe", "zxing"),  # strong glare
    Step("double", "zxing"),  # frames under 640 px: 1-2 px modules, JPEG blocks
    Step("sharpen", "zxing"),  # out of focus, photographed screens
    Step("unwarp", "zxing"),  # codes on bent labels and sagging sheets
    Step("sharp-tiles", "zxing-hist"),  # frames over 1280 px: a small code in a big photo
    Step("sharp-tiles", "zxing"),
)


@dataclass(frozen=True)
class Found:
    text: str
    engine: str
    step: str
    raw: bytes
    points: Points | None = None  # corners in frame coordinates, when the engine gives them


@dataclass
class ScanResult:
    found: list[Found] = field(default_factory=list)
    steps: int = 0  # steps run (a step whose view does not apply still counts)
    tried: list[str] = field(default_factory=list)
    ms: float = 0.0
    accepted: Found | None = None  # the text accept() said yes to, if any
    timed_out: bool = False

    @property
    def texts(self) -> list[str]:
        return [f.text for f in self.found]


def scan_frame(
    image: np.ndarray,
    *,
    accept: Callable[[str], bool] | None = None,
    max_ms: float | None = None,
    exhaustive: bool = False,
    steps: Sequence[Step] = STEPS,
) -> ScanResult:
    """Decode every QR code in a grey, BGR or BGRA uint8 frame.

    ``accept`` is called once per new distinct text; the scan stops at the first True.
    ``max_ms`` (None: no budget) stops the cascade once exceeded.
    """
    start = time.perf_counter()
    _check_frame(image)
    result = ScanResult()
    seen: set[bytes] = set()
    views = Views(image)
    for step in steps:
        if max_ms is not None and _ms_since(start) > max_ms:
            result.timed_out = True
            break
        result.steps += 1
        result.tried.append(step.name)
        engine = ENGINES[step.engine]
        new = 0
        for view in views.get(step.view):
            if max_ms is not None and _ms_since(start) > max_ms:
                result.timed_out = True
                break
            for decoded in engine(view.image):
                if decoded.raw in seen:
                    continue
                seen.add(decoded.raw)
                new += 1
                points = None
                if decoded.points is not None:
                    frame_pts = view.points_to_frame(decoded.points)
                    points = tuple((float(x), float(y)) for x, y in frame_pts)
                found = Found(decoded.text, step.engine, step.name, decoded.raw, points)
                result.found.append(found)
                if accept is not None and result.accepted is None and accept(found.text):
                    result.accepted = found
            if result.accepted is not None:
                break
        if result.accepted is not None or result.timed_out:
            break
        # Without accept, the first step that finds anything ends the scan.
        if accept is None and new and not exhaustive:
            break
    result.ms = _ms_since(start)
    return result


def _check_frame(image: np.ndarray) -> None:
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8:
        raise ValueError("a frame must be a uint8 numpy array")
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] not in (1, 3, 4)):
        raise ValueError(f"a frame must be grey, BGR or BGRA, not shape {image.shape}")
    if image.size == 0:
        raise ValueError("the frame is empty")


def _ms_since(start: float) -> float:
    return (time.perf_counter() - start) * 1000.0


def scan_text(text: str) -> str:
    """Normalise what a USB scan gun typed into a field.

    A scan gun is a keyboard: the payload arrives with a trailing CR/LF or Tab, and goes
    through the host's keyboard settings. We drop control characters anywhere (CR, LF,
    Tab, a gun's STX/ETX framing), strip surrounding whitespace, and map full-width ASCII
    forms (an East Asian IME left on) to ASCII. Case is left alone: a text inverted by
    Caps Lock is upper-cased by codeid.codes.payload, which knows that our prefix and
    Base45 have no lower case, whereas here the text could be anything (a URL). Other
    layout mix-ups (AZERTY digits) cannot be undone safely; such a payload then fails
    verification with its reason.
    """
    ascii_forms = text.translate(_FULL_WIDTH)
    return "".join(ch for ch in ascii_forms if ch.isprintable()).strip()


# U+FF01..U+FF5E are full-width forms of ASCII 0x21..0x7E; U+3000 is a full-width space.
_FULL_WIDTH = {0xFF01 + i: 0x21 + i for i in range(0x5E)} | {0x3000: 0x20}
