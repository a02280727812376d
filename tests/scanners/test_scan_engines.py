"""Each engine behind one interface; how payload bytes become text."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import zxingcpp

from bench.degrade import render
from scanners.cascade import Step, scan_frame
from scanners.engines import ENGINES, text_of
from scanners.frames import load_image_file
from scanners.unwarp import flatten_label
from scanners.variants import to_grey

TEXT = "CID1:ENGINES 0123456789 $%*+-./:"


@pytest.mark.parametrize("name", sorted(ENGINES))
def test_every_engine_reads_a_clean_code_with_corners(name: str) -> None:
    image = np.pad(render(TEXT, module_px=5), 40, constant_values=235)
    found = ENGINES[name](image)
    assert [d.text for d in found] == [TEXT]
    assert found[0].raw == TEXT.encode()
    assert found[0].points is not None
    xs = [x for x, _ in found[0].points]
    assert min(xs) >= 35 and max(xs) <= image.shape[1] - 35


@pytest.mark.parametrize("name", sorted(ENGINES))
def test_engines_return_nothing_on_noise(name: str) -> None:
    noise = np.random.default_rng(0).integers(0, 256, (300, 300), dtype=np.uint8)
    assert ENGINES[name](noise) == []


def test_a_code_on_a_bent_sheet_is_read_once_the_label_is_flattened(qr_samples: Path) -> None:
    image = load_image_file(qr_samples / "qrcode-4" / "06.webp")
    expected = (qr_samples / "qrcode-4" / "06.txt").read_bytes()
    assert all(ENGINES[name](to_grey(image)) == [] for name in ENGINES)
    result = scan_frame(image, steps=[Step("unwarp", "zxing")])
    assert [f.raw for f in result.found] == [expected]
    # Corners come back through the flattening maps: on the sheet, inside the frame.
    points = np.array(result.found[0].points)
    height, width = image.shape[:2]
    assert (points >= 0).all() and (points[:, 0] < width).all() and (points[:, 1] < height).all()
    assert np.ptp(points[:, 0]) > width / 3 and np.ptp(points[:, 1]) > height / 3


def test_flattening_finds_no_label_in_noise_or_blank_frames() -> None:
    noise = np.random.default_rng(0).integers(0, 256, (200, 300), dtype=np.uint8)
    assert flatten_label(np.full((200, 300), 128, np.uint8)) is None
    for transpose in (False, True):
        flat = flatten_label(noise, transpose=transpose)
        assert flat is None or flat[0].dtype == np.uint8


def test_text_of_keeps_every_byte() -> None:
    assert text_of("Größe".encode()) == "Größe"
    raw = bytes(range(256))
    assert text_of(raw).encode("latin-1") == raw


def test_binary_payload_keeps_its_bytes() -> None:
    raw = bytes(range(128, 256)) + b"\x00\xff\xfe"
    code = zxingcpp.create_barcode(raw, zxingcpp.BarcodeFormat.QRCode)
    image = np.kron(np.asarray(code.to_image(scale=1)), np.ones((4, 4), np.uint8))
    image = np.pad(image, 40, constant_values=255)
    found = scan_frame(image).found
    assert [f.raw for f in found] == [raw]
    assert isinstance(found[0].text, str)
