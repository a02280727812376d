"""QR rendering throughput on one core: segno as is, segno with a fixed mask, our fast path.

    .venv/bin/python -m bench.bench_qr [--payloads N] [--rounds R]

Payloads are version-10 business codes ("CID1:" + Base45, 190..221 characters). Each
variant renders every payload once per round, rounds interleave the variants, and the best
round counts (other processes on the machine only ever slow a round down). Ratios are to
(a), measured in the same run. SVGs use scale 4, PNGs scale 8, both a 4-module border.
"""

from __future__ import annotations

import argparse
import io
import random
import time
from collections import Counter
from collections.abc import Callable

import segno

from codeid.codes import qr_fast
from codeid.codes.qr import make_qr, qr_matrix, qr_version, render_png, render_svg

BASE45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
SVG = {"scale": 4, "border": 4}  # as in (c) below: the API defaults
PNG = {"scale": 8, "border": 4}


def payloads(count: int, seed: int = 2026) -> list[str]:
    rng = random.Random(seed)
    return ["CID1:" + "".join(rng.choices(BASE45, k=rng.randint(185, 216))) for _ in range(count)]


def segno_save(kind: str, **make: object) -> Callable[[str], object]:
    options = SVG if kind == "svg" else PNG

    def render(payload: str) -> bytes:
        buffer = io.BytesIO()
        segno.make(payload, error="Q", **make).save(buffer, kind=kind, **options)  # type: ignore[arg-type]
        return buffer.getvalue()

    return render


def fixed_mask_matrix(payload: str) -> object:
    values = qr_fast.alnum_values(payload)
    assert values is not None
    return qr_fast.encode(values, qr_version(payload), segno.consts.ERROR_LEVEL_Q, mask=2)


VARIANTS: dict[str, Callable[[str], object]] = {
    "svg a": segno_save("svg"),
    "svg b": segno_save("svg", mask=2, boost_error=False),
    "svg c": lambda p: render_svg(p, scale=4, border=4),
    "png a": segno_save("png"),
    "png b": segno_save("png", mask=2, boost_error=False),
    "png c": lambda p: render_png(p, scale=8, border=4),
    "sym a": lambda p: segno.make(p, error="Q"),
    "sym b": lambda p: segno.make(p, error="Q", mask=2, boost_error=False),
    "sym c": qr_matrix,
    "sym d": fixed_mask_matrix,
}


def measure(texts: list[str], rounds: int) -> dict[str, float]:
    """Items per second of each variant, best round."""
    best = dict.fromkeys(VARIANTS, 0.0)
    for _ in range(rounds):
        for name, render in VARIANTS.items():
            start = time.perf_counter()
            for text in texts:
                render(text)
            best[name] = max(best[name], len(texts) / (time.perf_counter() - start))
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--payloads", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    texts = payloads(args.payloads)
    versions = Counter(qr_version(t) for t in texts)
    # Like for like: our symbols are segno's default ones, bit for bit.
    assert all(make_qr(t).matrix == segno.make(t, error="Q").matrix for t in texts)
    rate = measure(texts, args.rounds)

    print(
        f"QR rendering, {len(texts)} payloads of {min(map(len, texts))}-{max(map(len, texts))} "
        f"chars, QR versions {dict(versions)}, level Q; single core, best of {args.rounds}"
    )
    print(f"{'':46} {'SVG/s':>8} {'x (a)':>6} {'PNG/s':>8} {'x (a)':>6}")
    rows = {
        "a": "(a) segno.make() + save",
        "b": "(b) segno.make(mask=2, boost_error=False)",
        "c": "(c) codeid render_svg / render_png",
    }
    for key, label in rows.items():
        svg, png = rate[f"svg {key}"], rate[f"png {key}"]
        print(
            f"{label:46} {svg:8.0f} {svg / rate['svg a']:6.1f} {png:8.0f} "
            f"{png / rate['png a']:6.1f}"
        )
    print(f"\nsymbol only (module matrix, no file) {'':9} {'codes/s':>8} {'x (a)':>6}")
    symbols = {
        "a": "(a) segno.make()",
        "b": "(b) segno.make(mask=2, boost_error=False)",
        "c": "(c) codeid qr_matrix (segno's mask choice)",
        "d": "(d) codeid fast encoder, fixed mask 2",
    }
    for key, label in symbols.items():
        value = rate[f"sym {key}"]
        print(f"{label:46} {value:8.0f} {value / rate['sym a']:6.1f}")


if __name__ == "__main__":
    main()
