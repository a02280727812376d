"""Fuzzed images never crash or stall the scanner: they decode, or are refused with a slug.

Random bytes, real PNG/JPEG/WebP files (the shared QR samples and QR codes rendered here)
with bytes replaced, inserted or deleted, files cut short, headers declaring absurd sizes,
and marker or chunk floods of the largest accepted size. ``load_image_bytes`` returns a BGR
uint8 frame or raises a scanners.errors type (a CodeidError); the pipeline then returns a
text that verifies or raises NoVerifiedCodeError. Any other exception fails the test, and
each example has a deadline. Bounded and derandomized: the same examples every run.
"""

from __future__ import annotations

import contextlib
import struct
import zlib
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

import cv2
import numpy as np
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, currently_in_test_context, event, example, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from sqlmodel import Session

from codeid.codes.payload import CodeKind, sign_code
from codeid.codes.qr import render_png
from codeid.codes.verify import verify_code
from codeid.errors import CodeidError
from codeid.keys.jwks import PublicKeySet
from codeid.keys.keyring import Signer
from scanners.errors import (
    ImageTooLargeError,
    NotAnImageError,
    NoVerifiedCodeError,
    ScanInputError,
)
from scanners.frames import MAX_BYTES, MAX_PIXELS, MAX_SIDE, load_image_bytes
from scanners.pipeline import first_verified_code, scan_and_resolve

SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "data" / "qr-samples"
SIGNER = Signer.from_private_key(Ed25519PrivateKey.from_private_bytes(bytes(range(32))))
KEYS = PublicKeySet([SIGNER.public_key()])
NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
PAYLOAD = sign_code(
    kind=CodeKind.STATIC,
    uscc="91350100M000100Y43",
    cti=bytes(8),
    issued_at=NOW,
    expires_at=NOW + timedelta(days=30),
    signer=SIGNER,
)
SLUGS = {"empty-image", "not-an-image", "truncated-image", "image-too-large"}


def _run(examples: int, *, deadline_s: float = 2.0) -> settings:
    return settings(
        max_examples=examples,
        deadline=timedelta(seconds=deadline_s),
        derandomize=True,
        database=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.function_scoped_fixture,
        ],
    )


def _load(data: bytes) -> np.ndarray | None:
    """The frame, or None when refused with one of the slugs; any other exception escapes."""
    try:
        frame = load_image_bytes(data)
    except ScanInputError as refused:
        assert isinstance(refused, CodeidError) and refused.code in SLUGS, refused.code
        _count(refused.code)
        return None
    _count("decoded")
    assert frame.dtype == np.uint8 and frame.ndim == 3 and frame.shape[2] == 3
    assert frame.shape[0] * frame.shape[1] <= MAX_PIXELS
    return frame


def _count(outcome: str) -> None:
    """Tally outcomes for ``pytest --hypothesis-show-statistics`` (prints nothing otherwise)."""
    # currently_in_test_context() can be true outside a given test (another hypothesis test
    # ran before in this process), so event() is the judge.
    if currently_in_test_context():
        with contextlib.suppress(InvalidArgument):
            event(outcome)


def _encoded(ext: str, image: np.ndarray) -> bytes:
    ok, data = cv2.imencode(ext, image)
    assert ok
    return bytes(data.tobytes())


@cache
def real_files() -> tuple[bytes, ...]:
    """Small real images: the shared PNG and JPEG samples, a few WebP ones, and a genuine
    business code rendered as PNG and re-encoded as JPEG, WebP, BMP and GIF."""
    if not SAMPLES.is_dir():
        pytest.fail(f"shared test data missing: {SAMPLES}")
    paths = sorted(SAMPLES.glob("*/*.png")) + sorted(SAMPLES.glob("*/*.jpg"))
    paths += sorted(SAMPLES.glob("qrcode-2/*.webp"))[:4]
    files = [path.read_bytes() for path in paths if path.stat().st_size < 64_000]
    code = render_png(PAYLOAD, scale=3, border=4)
    grey = cv2.imdecode(np.frombuffer(code, np.uint8), cv2.IMREAD_GRAYSCALE)
    assert grey is not None
    files.append(code)
    bgr = cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR)
    files += [_encoded(ext, bgr) for ext in (".jpg", ".webp", ".bmp", ".gif")]
    return tuple(files)


def test_the_real_files_load_and_the_rendered_code_verifies() -> None:
    frames = [_load(data) for data in real_files()]
    assert len(frames) > 30 and all(frame is not None for frame in frames)
    code_frame = frames[-5]
    assert code_frame is not None
    assert first_verified_code(code_frame, keys=KEYS, now=NOW) == PAYLOAD


# --- arbitrary bytes, and real files damaged ---------------------------------------------------

MAGIC = st.sampled_from(
    [b"", b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"RIFF\x00\x00\x00\x00WEBP", b"BM", b"GIF89a"]
)


@_run(1500)
@given(magic=MAGIC, body=st.binary(max_size=600))
def test_any_bytes_decode_or_are_refused_with_a_slug(magic: bytes, body: bytes) -> None:
    _load(magic + body)


Edit = tuple[str, int, bytes]  # what, where (wraps around), which bytes
EDITS = st.lists(
    st.tuples(
        st.sampled_from(["replace", "insert", "delete"]),
        st.integers(0, 2**20),
        st.binary(min_size=1, max_size=8),
    ),
    min_size=1,
    max_size=6,
)


def _edit(data: bytes, edits: list[Edit]) -> bytes:
    out = bytearray(data)
    for what, where, chunk in edits:
        at = where % (len(out) + 1)
        if what == "replace":
            out[at : at + len(chunk)] = chunk
        elif what == "insert":
            out[at:at] = chunk
        else:
            del out[at : at + len(chunk)]
    return bytes(out)


@_run(1200)
@given(index=st.integers(0, 10**6), edits=EDITS)
def test_real_files_with_bytes_replaced_inserted_or_deleted(index: int, edits: list[Edit]) -> None:
    files = real_files()
    _load(_edit(files[index % len(files)], edits))


@_run(500)
@given(index=st.integers(0, 10**6), keep=st.floats(0, 1, exclude_max=True))
def test_a_file_cut_short_is_refused(index: int, keep: float) -> None:
    """Every format is checked complete (PNG to IEND, JPEG to its EOI, WebP to its RIFF size,
    GIF to its trailer, BMP to its last row) before decoding: a cut file never decodes."""
    files = real_files()
    data = files[index % len(files)]
    cut = data[: int(len(data) * keep)]
    assert _load(cut) is None


# --- headers that declare absurd sizes --------------------------------------------------------


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png(width: int, height: int) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return (
        b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")
    )


def _jpeg(width: int, height: int) -> bytes:
    sof = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, height, width, 1) + b"\x01\x11\x00"
    sos = b"\xff\xda" + struct.pack(">HB", 8, 1) + b"\x01\x00\x00\x3f\x00"
    return b"\xff\xd8" + sof + sos + b"\x00" * 16 + b"\xff\xd9"


def _gif(width: int, height: int) -> bytes:
    screen = struct.pack("<HHBBB", width, height, 0, 0, 0)
    image = b"\x2c" + struct.pack("<HHHHB", 0, 0, width, height, 0) + b"\x02\x02\x44\x01\x00"
    return b"GIF89a" + screen + image + b"\x3b"


def _bmp(width: int, height: int) -> bytes:
    # RLE8 (compression 1): the row count is not checked against the file size.
    info = struct.pack("<IiiHHIIiiII", 40, width, height, 1, 8, 1, 0, 2835, 2835, 0, 0)
    return b"BM" + struct.pack("<IHHI", 14 + 40 + 4, 0, 0, 14 + 40) + info + b"\x00\x01"


def _webp(width: int, height: int) -> bytes:
    vp8x = b"VP8X" + struct.pack("<I", 10) + b"\x00" * 4
    vp8x += (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    return b"RIFF" + struct.pack("<I", 4 + len(vp8x)) + b"WEBP" + vp8x


BUILDERS = {"png": _png, "jpeg": _jpeg, "gif": _gif, "bmp": _bmp, "webp": _webp}
LIMITS = {
    "png": 2**32 - 1,
    "jpeg": 2**16 - 1,
    "gif": 2**16 - 1,
    "bmp": 2**31 - 1,
    "webp": 2**24,
}


@st.composite
def declared_sizes(draw: st.DrawFn) -> tuple[str, int, int]:
    kind = draw(st.sampled_from(sorted(BUILDERS)))
    low = 1 if kind == "webp" else 0
    side = st.integers(low, LIMITS[kind]) | st.sampled_from([low, 1, MAX_SIDE, MAX_SIDE + 1])
    return kind, draw(side), draw(side)


@_run(800)
@given(declared=declared_sizes())
@example(declared=("png", 2**32 - 1, 2**32 - 1))
@example(declared=("jpeg", 65535, 65535))
@example(declared=("bmp", 2**31 - 1, 1))
@example(declared=("gif", 6400, 6400))  # 41 MP: just over the pixel limit
@example(declared=("webp", 2**24, 2**24))
def test_a_declared_size_over_the_limits_is_refused_before_decoding(
    declared: tuple[str, int, int],
) -> None:
    kind, width, height = declared
    data = BUILDERS[kind](width, height)
    if width == 0 or height == 0:
        with pytest.raises(NotAnImageError, match="empty raster"):
            load_image_bytes(data)
    elif width > MAX_SIDE or height > MAX_SIDE or width * height > MAX_PIXELS:
        with pytest.raises(ImageTooLargeError):
            load_image_bytes(data)
    else:
        _load(data)  # small: decodes, or the codec refuses the made-up data


# --- floods: the largest accepted file, made of the smallest units a header walk steps over -----


def _flood(kind: str, size: int) -> bytes:
    if kind == "jpeg-fill":  # fill bytes before a marker may repeat
        return b"\xff\xd8" + b"\xff" * size
    if kind == "jpeg-restart":  # markers without a length
        return b"\xff\xd8" + b"\xff\xd0" * (size // 2)
    if kind == "png-chunks":  # empty ancillary chunks
        head = b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", 8, 8, 8, 0, 0, 0, 0))
        return head + _chunk(b"tEXt", b"") * (size // 12)
    if kind == "gif-blocks":  # one-byte sub-blocks of an extension
        return (
            b"GIF89a"
            + struct.pack("<HHBBB", 8, 8, 0, 0, 0)
            + b"\x21\x01"
            + b"\x01\x00" * (size // 2)
        )
    raise AssertionError(kind)


@_run(24, deadline_s=2.0)
@given(
    kind=st.sampled_from(["jpeg-fill", "jpeg-restart", "png-chunks", "gif-blocks"]),
    size=st.integers(0, MAX_BYTES - 64),
)
@example(kind="jpeg-fill", size=MAX_BYTES - 64)
@example(kind="jpeg-restart", size=MAX_BYTES - 64)
@example(kind="png-chunks", size=MAX_BYTES - 64)
@example(kind="gif-blocks", size=MAX_BYTES - 64)
def test_floods_of_tiny_segments_are_refused_quickly(kind: str, size: int) -> None:
    assert _load(_flood(kind, size)) is None


# --- the pipeline on damaged frames -----------------------------------------------------------


def _daubed(frame: np.ndarray, marks: list[tuple[int, int, int, int, int]]) -> np.ndarray:
    """Paint rectangles (black, white or grey) over a frame: stains, stickers, glare."""
    out = frame.copy()
    height, width = out.shape[:2]
    for x, y, w, h, shade in marks:
        x0, y0 = x % width, y % height
        out[y0 : y0 + 1 + h % (height // 3 + 1), x0 : x0 + 1 + w % (width // 3 + 1)] = shade
    return out


MARKS = st.lists(
    st.tuples(*[st.integers(0, 2**16)] * 4, st.sampled_from([0, 128, 255])), max_size=4
)


# The rendered business code (the last five files) often, so damage that its error
# correction survives is seen too.
CODE_OR_SAMPLE = st.integers(-5, -1) | st.integers(0, 10**6)


@_run(150, deadline_s=5.0)
@given(index=CODE_OR_SAMPLE, edits=st.none() | EDITS, marks=MARKS)
@example(index=-5, edits=None, marks=[])  # the rendered code itself
def test_the_pipeline_returns_a_verified_text_or_no_code_found(
    index: int, edits: list[Edit] | None, marks: list[tuple[int, int, int, int, int]]
) -> None:
    files = real_files()
    data = files[index % len(files)]
    frame = _load(_edit(data, edits) if edits else data)
    if frame is None:
        _count("refused")
        return
    frame = _daubed(frame, marks)
    try:
        text = first_verified_code(frame, keys=KEYS, now=NOW, budget_ms=300)
    except NoVerifiedCodeError:
        _count("scanned: no verified code")
        return
    _count("scanned: the code")
    assert text == PAYLOAD
    verify_code(text, keys=KEYS, now=NOW)


def test_scan_and_resolve_on_damaged_frames(session: Session) -> None:
    """With the registry: every text the cascade finds comes back resolved with a reason.
    The rendered code is genuine but its serial is not on record here, so it is refused as
    revoked; the samples' texts are not business codes."""

    @_run(40, deadline_s=5.0)
    @given(index=CODE_OR_SAMPLE, marks=MARKS)
    @example(index=-5, marks=[])
    def scan(index: int, marks: list[tuple[int, int, int, int, int]]) -> None:
        files = real_files()
        frame = _load(files[index % len(files)])
        assert frame is not None
        outcome = scan_and_resolve(
            session,
            _daubed(frame, marks),
            keys=KEYS,
            now=NOW,
            actor="fuzz",
            location="",
            budget_ms=300,
        )
        for code in outcome.codes:
            reason = code.resolved.resolved.result.reason
            if code.text == PAYLOAD:
                assert reason == "revoked"
            else:
                assert reason in {"not-codeid", "unsupported-version", "malformed"}, reason

    scan()
    session.rollback()
