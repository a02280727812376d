"""Decode rate and speed of our cascade against the engines it is built from.

    python -m bench.scan_bench [--samples DIR] [--generated N] [--seed S] [--steps]

Data sets: the real photographs in shared/data/qr-samples (an image N.<ext> with its
payload in N.txt or, for binary payloads, N.bin; images without one, such as the parts
of a structured-append set, are skipped and counted), and N generated images per
degradation kind (bench/degrade.py). An image counts as decoded when every expected
payload is among the decoder's results (for "multi" frames: all three codes). Payloads
are compared as bytes: the decoder's raw bytes or its text in UTF-8, so neither a
charset guess nor binary content is held against anyone.

Decoders, all given the same BGR image:
  cascade  scanners.cascade.scan_frame (stops after the first step that finds something)
  opencv   cv2.QRCodeDetector().detectAndDecode (bytes variant: the str one raises on
           non-UTF-8 payloads)
  aruco    cv2.QRCodeDetectorAruco().detectAndDecodeMulti
  zxing    zxingcpp.read_barcodes(image) with its defaults (all formats)
``--steps`` also prints which cascade step decoded each image first, and each step's
decodes and time when run alone.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import zxingcpp

from bench.degrade import KINDS, generate
from scanners.cascade import STEPS, scan_frame
from scanners.engines import ENGINES, aruco, opencv_single
from scanners.frames import load_image_file
from scanners.variants import Views

DEFAULT_SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "data" / "qr-samples"
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif"}


@dataclass(frozen=True)
class Item:
    group: str  # "real", or the degradation kind
    name: str
    image: np.ndarray
    expected: tuple[bytes, ...]


def real_items(root: Path) -> tuple[list[Item], int]:
    """Every sample image with an expected payload, and how many had none."""
    items, skipped = [], 0
    for path in sorted(root.rglob("*")):
        if path.suffix.lower() not in IMAGE_SUFFIXES:
            continue
        txt, binary = path.with_suffix(".txt"), path.with_suffix(".bin")
        expected = binary.read_bytes() if binary.exists() else None
        if expected is None and txt.exists():
            expected = txt.read_bytes()
        if expected is None:
            skipped += 1
            continue
        name = str(path.relative_to(root))
        items.append(Item("real", name, load_image_file(path), (expected,)))
    return items, skipped


def generated_items(per_kind: int, seed: int) -> Iterator[Item]:
    for i, sample in enumerate(generate(per_kind, seed=seed)):
        name = f"{sample.kind}-{i:03d}-s{sample.severity:.2f}"
        expected = tuple(text.encode() for text in sample.expected)
        yield Item(sample.kind, name, sample.image, expected)


# --- decoders: image -> every payload found, as bytes (raw and UTF-8 text) ---------------


def run_cascade(image: np.ndarray) -> set[bytes]:
    return {p for f in scan_frame(image).found for p in (f.raw, f.text.encode())}


def run_opencv(image: np.ndarray) -> set[bytes]:
    return {d.raw for d in opencv_single(image)}


def run_aruco(image: np.ndarray) -> set[bytes]:
    return {d.raw for d in aruco(image)}


def run_zxing(image: np.ndarray) -> set[bytes]:
    return {p for b in zxingcpp.read_barcodes(image) for p in (bytes(b.bytes), b.text.encode())}


DECODERS: dict[str, Callable[[np.ndarray], set[bytes]]] = {
    "cascade": run_cascade,
    "opencv": run_opencv,
    "aruco": run_aruco,
    "zxing": run_zxing,
}


@dataclass
class Tally:
    decoded: int = 0
    total: int = 0
    ms: list[float] = field(default_factory=list)

    def add(self, ok: bool, ms: float) -> None:
        self.decoded += ok
        self.total += 1
        self.ms.append(ms)

    @property
    def rate(self) -> float:
        return self.decoded / self.total if self.total else 0.0

    @property
    def median_ms(self) -> float:
        return statistics.median(self.ms) if self.ms else 0.0


def measure(items: list[Item]) -> dict[str, dict[str, Tally]]:
    """tallies[decoder][group] and tallies[decoder]["all"]."""
    tallies: dict[str, dict[str, Tally]] = {d: defaultdict(Tally) for d in DECODERS}
    for decode in DECODERS.values():  # warm up: first calls load tables, spawn threads
        decode(items[0].image)
    for item in items:
        for name, decode in DECODERS.items():
            start = time.perf_counter()
            found = decode(item.image)
            ms = (time.perf_counter() - start) * 1000
            ok = all(e in found for e in item.expected)
            tallies[name][item.group].add(ok, ms)
            tallies[name]["all"].add(ok, ms)
    return tallies


def report(title: str, tallies: dict[str, dict[str, Tally]], groups: list[str]) -> None:
    total = tallies["cascade"]["all"].total
    print(f"\n== {title}: {total} images")
    print(f"{'decoder':10s} {'decoded':>9s} {'rate':>7s} {'median ms':>10s} {'mean ms':>8s}")
    for name, by_group in tallies.items():
        t = by_group["all"]
        mean = statistics.fmean(t.ms) if t.ms else 0.0
        print(
            f"{name:10s} {t.decoded:4d}/{t.total:<4d} {t.rate:7.1%} {t.median_ms:10.1f} {mean:8.1f}"
        )
    ours = tallies["cascade"]["all"]
    for name in list(tallies)[1:]:
        peer = tallies[name]["all"]
        ratio = f"{ours.rate / peer.rate:.2f}x" if peer.rate else "inf"
        speed = f"{ours.median_ms / peer.median_ms:.2f}x" if peer.median_ms else "-"
        print(f"cascade / {name:8s} decode rate {ratio:>6s}   median time {speed:>6s}")
    if len(groups) > 1:
        print(f"\n{'kind':15s}" + "".join(f"{d:>10s}" for d in tallies))
        for group in groups:
            cells = "".join(
                f"{tallies[d][group].decoded:>4d}/{tallies[d][group].total:<5d}" for d in tallies
            )
            print(f"{group:15s}{cells}")


def step_report(title: str, items: list[Item]) -> None:
    """Which step decoded each image first in the cascade, and each step run alone."""
    first: Counter[str] = Counter()
    for item in items:
        result = scan_frame(item.image)
        found = {p for f in result.found for p in (f.raw, f.text.encode())}
        if all(e in found for e in item.expected):
            first[result.found[0].step] += 1
    solo: Counter[str] = Counter()
    only: Counter[str] = Counter()
    cost: dict[str, list[float]] = defaultdict(list)
    for item in items:
        views = Views(item.image)
        hits = []
        for step in STEPS:
            start = time.perf_counter()
            found = set()
            for view in views.get(step.view):
                found |= {
                    p for d in ENGINES[step.engine](view.image) for p in (d.raw, d.text.encode())
                }
            cost[step.name].append((time.perf_counter() - start) * 1000)
            if all(e in found for e in item.expected):
                solo[step.name] += 1
                hits.append(step.name)
        if len(hits) == 1:
            only[hits[0]] += 1
    print(f"\n-- cascade steps on {title} ({len(items)} images)")
    print(f"{'step':26s} {'first':>6s} {'alone':>6s} {'only':>5s} {'mean ms':>8s}")
    for step in STEPS:
        n = step.name
        mean = statistics.fmean(cost[n])
        print(f"{n:26s} {first[n]:6d} {solo[n]:6d} {only[n]:5d} {mean:8.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=Path, default=DEFAULT_SAMPLES)
    parser.add_argument("--generated", type=int, default=10, help="images per degradation kind")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--steps", action="store_true", help="per-step contributions too")
    args = parser.parse_args()

    real, skipped = real_items(args.samples)
    note = f" ({skipped} without an expected payload skipped)" if skipped else ""
    report(f"real photographs in {args.samples}{note}", measure(real), ["real"])
    generated = list(generated_items(args.generated, args.seed)) if args.generated else []
    if generated:
        kinds = [k for k in KINDS if any(i.group == k for i in generated)]
        title = f"generated, {args.generated} per kind, seed {args.seed}"
        report(title, measure(generated), kinds)
    if args.steps:
        step_report("real photographs", real)
        if generated:
            step_report("generated", generated)


if __name__ == "__main__":
    main()
