"""Scan-gun text normalisation and the CLI's raw scan of a file."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from codeid.codes.qr import render_png
from scanners.cascade import scan_text
from scanners.errors import ScanInputError
from scanners.raw import scan_raw_file

CODE = "CID1:6BFOXN*TS0BI$ZD4N9:9S6RCVN5+O30K3/XIV0W23NTDEMWK4MI$"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        (CODE + "\r\n", CODE),
        ("  " + CODE + "\t", CODE),
        ("\x02" + CODE + "\x03\r", CODE),  # a gun's STX/ETX framing
        (CODE[:20] + "\n" + CODE[20:], CODE),  # a line break typed inside
        (CODE.lower() + "\r", CODE.lower()),  # case: codeid.codes.payload's business
        ("ＣＩＤ１：ＡＢＣ　Ｘ", "CID1:ABC X"),  # full-width forms from an IME
        ("https://example.com/a/b\r\n", "https://example.com/a/b"),
        ("Hello World", "Hello World"),
        ("\r\n", ""),
    ],
)
def test_scan_text_normalises_what_a_gun_types(typed: str, expected: str) -> None:
    assert scan_text(typed) == expected


def test_scan_raw_file_lists_texts_as_json(tmp_path: Path) -> None:
    path = tmp_path / "code.png"
    path.write_bytes(render_png(CODE, scale=5, border=4))
    result = scan_raw_file(path)
    assert result["file"] == str(path)
    assert result["texts"] == [CODE]
    assert result["engines"] == ["zxing"]
    assert result["binary"] == []
    assert result["steps"] == ["zxing@full"]
    assert isinstance(result["ms"], float) and not result["timed_out"]
    json.dumps(result)


def test_scan_raw_file_of_an_image_without_a_code(tmp_path: Path) -> None:
    path = tmp_path / "blank.png"
    _, data = cv2.imencode(".png", np.full((200, 300), 255, np.uint8))
    path.write_bytes(data.tobytes())
    result = scan_raw_file(path)
    assert result["texts"] == [] and len(result["steps"]) > 1


def test_scan_raw_file_refuses_bad_files(tmp_path: Path) -> None:
    path = tmp_path / "notes.png"
    path.write_text("not an image")
    with pytest.raises(ScanInputError) as info:
        scan_raw_file(path)
    assert info.value.code == "not-an-image"
