"""The cascade on real photographs, on generated degradations, and its stopping rules."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2
import numpy as np
import pytest
import zxingcpp

from bench.degrade import KINDS, degrade, payload, render
from scanners.cascade import STEPS, Step, scan_frame
from scanners.engines import opencv_single
from scanners.frames import load_image_file

# Every photo here defeats zxing-cpp's default read (and cv2's detector); each is read by a
# different later step: global threshold, half size, label flattening.
HARD = [
    "qrcode-2/12.webp",  # aerial photo inside the modules
    "qrcode-2/13.webp",
    "qrcode-2/28.webp",  # faint print on textured paper
    "qrcode-4/05.webp",  # codes on a curved, creased sheet
    "qrcode-4/06.webp",
    "qrcode-4/08.webp",
    "qrcode-4/09.webp",
    "qrcode-4/14.webp",
]


def _expected(image: Path) -> bytes | None:
    for suffix in (".bin", ".txt"):
        if image.with_suffix(suffix).exists():
            return image.with_suffix(suffix).read_bytes()
    return None


def _payloads(result_texts: list[tuple[bytes, str]]) -> set[bytes]:
    return {p for raw, text in result_texts for p in (raw, text.encode())}


def _ours(image: np.ndarray) -> set[bytes]:
    return _payloads([(f.raw, f.text) for f in scan_frame(image).found])


def _zxing_default(image: np.ndarray) -> set[bytes]:
    return _payloads([(bytes(b.bytes), b.text) for b in zxingcpp.read_barcodes(image)])


def _opencv(image: np.ndarray) -> set[bytes]:
    return {d.raw for d in opencv_single(image)}


def test_real_photographs_beat_zxing_and_opencv(qr_samples: Path) -> None:
    # Two folders hold most of the hard photos; the bench runs the whole set.
    paths = sorted(p for d in ("qrcode-2", "qrcode-4") for p in (qr_samples / d).iterdir())
    counts = {"ours": 0, "zxing": 0, "opencv": 0}
    total = 0
    for path in paths:
        expected = _expected(path) if path.suffix in (".png", ".jpg", ".webp") else None
        if expected is None:
            continue
        image = load_image_file(path)
        total += 1
        counts["ours"] += expected in _ours(image)
        counts["zxing"] += expected in _zxing_default(image)
        counts["opencv"] += expected in _opencv(image)
    assert total >= 75
    assert counts["ours"] >= counts["zxing"]
    assert counts["ours"] > counts["opencv"]
    assert counts["ours"] >= 0.95 * total, counts


@pytest.mark.parametrize("name", HARD)
def test_hard_photographs_are_decoded(qr_samples: Path, name: str) -> None:
    path = qr_samples / name
    result = scan_frame(load_image_file(path))
    assert _expected(path) in _payloads([(f.raw, f.text) for f in result.found])
    assert result.found[0].step != STEPS[0].name  # it took more than plain zxing


def test_gb2312_payload_keeps_its_text(qr_samples: Path) -> None:
    # Raw bytes are GB2312; zxing-cpp's charset handling gives the right characters.
    path = qr_samples / "qrcode-2" / "33.png"
    found = scan_frame(load_image_file(path)).found
    assert found[0].text.encode() == _expected(path)
    assert found[0].raw != found[0].text.encode()


@pytest.mark.parametrize("kind", list(KINDS))
def test_moderate_degradations_are_decoded(kind: str) -> None:
    sample = degrade(kind, rng=np.random.default_rng(7), severity=0.25)
    texts = scan_frame(sample.image).texts
    assert set(sample.expected) <= set(texts), (kind, len(texts))


def test_several_codes_in_one_frame_are_all_found() -> None:
    rng = np.random.default_rng(3)
    texts = [payload(rng), payload(rng, long=False), payload(rng, long=False)]
    frame = np.full((700, 1300), 235, np.uint8)
    for i, text in enumerate(texts):
        code = render(text, module_px=4)
        frame[40 : 40 + code.shape[0], 40 + 420 * i : 40 + 420 * i + code.shape[1]] = code
    result = scan_frame(frame)
    assert sorted(result.texts) == sorted(texts)
    assert result.steps == 1
    for found in result.found:
        assert found.points is not None and len(found.points) == 4


def test_exhaustive_finds_codes_only_a_later_step_reads() -> None:
    rng = np.random.default_rng(5)
    clean, noisy = payload(rng, long=False), payload(rng)
    frame = np.full((560, 1100), 230, np.uint8)
    code = render(clean, module_px=4)
    frame[40 : 40 + code.shape[0], 40 : 40 + code.shape[1]] = code
    hard = render(noisy, module_px=4).astype(np.float64)
    hard += np.random.default_rng(1).normal(0, 90, hard.shape)
    frame[40 : 40 + hard.shape[0], 560 : 560 + hard.shape[1]] = np.clip(hard, 0, 255)
    quick = scan_frame(frame)
    assert quick.texts == [clean]  # stopped after the first step that found something
    full = scan_frame(frame, exhaustive=True)
    assert set(full.texts) == {clean, noisy}
    assert full.steps == len(STEPS)


def test_accept_stops_at_the_first_accepted_text() -> None:
    sample = degrade("multi", rng=np.random.default_rng(11), severity=0.0)
    wanted = sample.expected[1]
    asked: list[str] = []

    def accept(text: str) -> bool:
        asked.append(text)
        return text == wanted

    result = scan_frame(sample.image, accept=accept)
    assert result.accepted is not None and result.accepted.text == wanted
    assert result.steps == 1
    assert wanted in asked


def test_accept_that_refuses_everything_runs_the_whole_cascade() -> None:
    sample = degrade("clean", rng=np.random.default_rng(2), severity=0.0)
    asked: list[str] = []

    def refuse(text: str) -> bool:
        asked.append(text)
        return False

    result = scan_frame(sample.image, accept=refuse)
    assert result.accepted is None
    assert result.steps == len(STEPS)
    assert asked == list(sample.expected)  # each distinct text is offered once
    assert result.texts == list(sample.expected)


def test_max_ms_bounds_a_pathological_frame() -> None:
    noise = np.random.default_rng(0).integers(0, 256, (3000, 4000), dtype=np.uint8)
    start = time.perf_counter()
    result = scan_frame(noise, max_ms=30)
    elapsed = (time.perf_counter() - start) * 1000
    assert result.timed_out
    assert result.found == []
    assert result.steps < len(STEPS)
    assert elapsed < 600  # one zxing pass over 12 MP of noise cannot be interrupted


def test_small_code_in_a_large_frame_has_frame_coordinates() -> None:
    text = payload(np.random.default_rng(4))
    frame = np.full((3000, 3000), 200, np.uint8)
    code = render(text, module_px=2)
    frame[2100 : 2100 + code.shape[0], 2000 : 2000 + code.shape[1]] = code
    result = scan_frame(frame, steps=[Step("sharp-tiles", "zxing")])
    assert result.texts == [text]
    points = np.array(result.found[0].points)
    assert points[:, 0].min() > 1990 and points[:, 0].max() < 2010 + code.shape[1]
    assert points[:, 1].min() > 2090 and points[:, 1].max() < 2110 + code.shape[0]


def test_accepts_grey_bgr_and_bgra_and_refuses_other_arrays() -> None:
    text = "CID1:SHAPES"
    grey = render(text, module_px=5)
    for image in (
        grey,
        cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR),
        cv2.cvtColor(grey, cv2.COLOR_GRAY2BGRA),
    ):
        assert scan_frame(image).texts == [text]
    with pytest.raises(ValueError, match="uint8"):
        scan_frame(grey.astype(np.float32))
    with pytest.raises(ValueError, match="shape"):
        scan_frame(np.zeros((10, 10, 2), np.uint8))
    with pytest.raises(ValueError, match="empty"):
        scan_frame(np.zeros((0, 10), np.uint8))


def test_a_frame_without_a_code_finds_nothing() -> None:
    result = scan_frame(np.full((480, 640, 3), 128, np.uint8))
    assert result.found == [] and result.accepted is None
    assert result.steps == len(STEPS)
    assert not result.timed_out


def test_threads_scanning_at_once_get_the_same_results(qr_samples: Path) -> None:
    # The API scans from a thread pool; engines must not share state across threads.
    paths = sorted((qr_samples / "qrcode-4").glob("*.webp"))[:12]
    images = [load_image_file(p) for p in paths]
    alone = [scan_frame(image).texts for image in images]
    with ThreadPoolExecutor(max_workers=4) as pool:
        together = list(pool.map(lambda image: scan_frame(image).texts, images * 3))
    assert together == alone * 3
