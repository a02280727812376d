"""Degraded QR images from known payloads: what a window scanner meets in real life.

Every sample is drawn from a seeded generator, so a run is reproducible. ``severity`` in
[0, 1] scales each degradation from "moderate" (0) to "hard" (1); the bench draws it
uniformly, the tests use fixed moderate values. Payloads look like ours ("CID1:" and
~200 Base45 characters) or are short.

    python -m bench.degrade OUT_DIR [--per-kind N] [--seed S]   # writes PNGs to look at
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from codeid.codes.qr import render_png

BASE45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
Rng = np.random.Generator


@dataclass(frozen=True)
class Sample:
    kind: str
    severity: float
    image: np.ndarray  # BGR uint8
    expected: tuple[str, ...]


def payload(rng: Rng, *, long: bool = True) -> str:
    """A codeid-like payload (~200 chars) or a short one."""
    n = int(rng.integers(190, 215)) if long else int(rng.integers(8, 40))
    body = "".join(BASE45[i] for i in rng.integers(0, len(BASE45), n))
    return "CID1:" + body if long else body.strip() or "X"


def render(text: str, *, module_px: float, border: int = 4) -> np.ndarray:
    """Grey code at any (fractional) module size: render big, then area-resample."""
    scale = max(1, int(np.ceil(module_px))) * 4
    png = np.frombuffer(render_png(text, scale=scale, border=border), np.uint8)
    grey = cv2.imdecode(png, cv2.IMREAD_GRAYSCALE)
    assert grey is not None
    size = max(8, round(grey.shape[0] * module_px / scale))
    return cv2.resize(grey, (size, size), interpolation=cv2.INTER_AREA)


def _paper(rng: Rng, height: int, width: int, level: int = 225) -> np.ndarray:
    """A lit sheet: a smooth brightness gradient plus fine grain."""
    gx, gy = rng.uniform(-30, 30, 2)
    xs = np.linspace(0, gx, width, dtype=np.float32)[None, :]
    ys = np.linspace(0, gy, height, dtype=np.float32)[:, None]
    grain = rng.standard_normal((height, width), dtype=np.float32) * 3
    sheet: np.ndarray = np.clip(grain + xs + ys + level, 0, 255)
    return sheet


def _place(canvas: np.ndarray, code: np.ndarray, x: int, y: int) -> None:
    """Print the code's dark modules onto the canvas (ink multiplies with the paper)."""
    h, w = code.shape
    canvas[y : y + h, x : x + w] *= code.astype(np.float32) / 255.0


def _on_paper(rng: Rng, code: np.ndarray, margin: float = 0.3) -> np.ndarray:
    side = code.shape[0]
    pad = int(side * margin)
    canvas = _paper(rng, side + 2 * pad, side + 2 * pad)
    _place(canvas, code, pad, pad)
    return canvas


def _to_bgr(grey: np.ndarray) -> np.ndarray:
    bgr: np.ndarray = cv2.cvtColor(np.clip(grey, 0, 255).astype(np.uint8), cv2.COLOR_GRAY2BGR)
    return bgr


def _rotate(image: np.ndarray, angle: float, fill: float) -> np.ndarray:
    h, w = image.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    cos, sin = abs(matrix[0, 0]), abs(matrix[0, 1])
    nw, nh = int(h * sin + w * cos), int(h * cos + w * sin)
    matrix[0, 2] += nw / 2 - w / 2
    matrix[1, 2] += nh / 2 - h / 2
    return cv2.warpAffine(image, matrix, (nw, nh), flags=cv2.INTER_LINEAR, borderValue=fill)


# --- one function per kind: (rng, severity, texts) -> BGR image ---------------------------


def _clean(rng: Rng, s: float, texts: list[str]) -> np.ndarray:
    return _to_bgr(_on_paper(rng, render(texts[0], module_px=4)))


def _blur(rng: Rng, s: float, texts: list[str]) -> np.ndarray:
    img = _on_paper(rng, render(texts[0], module_px=6))
    return _to_bgr(cv2.GaussianBlur(img, (0, 0), 1.5 + 3.5 * s))  # up to 0.8 module


def _noise(rng: Rng, s: float, texts: list[str]) -> np.ndarray:
    img = _on_paper(rng, render(texts[0], module_px=4))
    return _to_bgr(img + rng.normal(0, 30 + 80 * s, img.shape))


def _perspective(rng: Rng, s: float, texts: list[str]) -> np.ndarray:
    img = _on_paper(rng, render(texts[0], module_px=4.0 - 1.8 * s), margin=0.6)
    h, w = img.shape
    src = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float32)
    jitter = rng.uniform(0, 0.15 + 0.2 * s, (4, 2)) * [w, h]
    dst = (src + np.where(src == 0, 1, -1) * jitter).astype(np.float32)
    matrix = cv2.getPerspectiveTransform(src, dst)
    warped = cv2.warpPerspective(img, matrix, (w, h), borderValue=60.0)
    return _to_bgr(cv2.GaussianBlur(warped, (0, 0), 0.8 + 0.6 * s))


def _rotation(rng: Rng, s: float, texts: list[str]) -> np.ndarray:
    img = _on_paper(rng, render(texts[0], module_px=3.0 - 1.6 * s))
    return _to_bgr(
        cv2.GaussianBlur(_rotate(img, rng.uniform(0, 360), 200.0), (0, 0), 0.6 + 0.5 * s)
    )


def _jpeg(rng: Rng, s: float, texts: list[str]) -> np.ndarray:
    img = _to_bgr(_on_paper(rng, render(texts[0], module_px=2.6 - 1.2 * s)))
    quality = round(15 - 13 * s)
    _, data = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, quality])
    decoded = cv2.imdecode(data, cv2.IMREAD_COLOR)
    assert decoded is not None
    return decoded


def _low_contrast(rng: Rng, s: float, texts: list[str]) -> np.ndarray:
    img = _on_paper(rng, render(texts[0], module_px=4)) / 255.0
    span = 30 - 26 * s  # grey levels between ink and paper
    low = rng.uniform(60, 170)
    return _to_bgr(low + img * span + rng.normal(0, 1.5 + 2 * s, img.shape))


def _small_modules(rng: Rng, s: float, texts: list[str]) -> np.ndarray:
    return _to_bgr(_on_paper(rng, render(texts[0], module_px=1.8 - 0.8 * s)))


def _glare(rng: Rng, s: float, texts: list[str]) -> np.ndarray:
    img = _on_paper(rng, render(texts[0], module_px=5))
    h, w = img.shape
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    cx, cy = rng.uniform(0.3, 0.7) * w, rng.uniform(0.3, 0.7) * h
    radius = (0.15 + 0.2 * s) * w
    blob = np.exp(-((xs - cx) ** 2 + (ys - cy) ** 2) / (2 * radius**2))
    return _to_bgr(img + (110 + 170 * s) * blob)  # saturates: dark modules wash out


def _screen(rng: Rng, s: float, texts: list[str]) -> np.ndarray:
    """A phone or monitor photographed: pixel grid, moire, blur, colour cast; maybe dark mode."""
    code = render(texts[0], module_px=6).astype(np.float32)
    if rng.random() < 0.4:  # dark mode: light modules on black
        code = 255 - code
    code = 30 + code * 0.8  # a screen's black is not black
    h, w = code.shape
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    angle, period = rng.uniform(-0.2, 0.2), rng.uniform(2.6, 3.4)
    phase = (xs * np.cos(angle) + ys * np.sin(angle)) * 2 * np.pi / period
    grid = 1 - (0.3 + 0.5 * s) * (0.5 + 0.5 * np.sin(phase))
    img = cv2.GaussianBlur(code * grid, (0, 0), 1.5 + 2.0 * s)
    cast = np.array([1.15, 1.0, 0.8]) if rng.random() < 0.5 else np.array([0.85, 1.0, 1.1])
    bgr = img[..., None] * cast[None, None, :] + rng.normal(0, 4, (h, w, 3))
    out: np.ndarray = np.clip(bgr, 0, 255).astype(np.uint8)
    return out


def _multi(rng: Rng, s: float, texts: list[str]) -> np.ndarray:
    codes = [render(t, module_px=3.0 - 1.5 * s) for t in texts]
    cell = max(c.shape[0] for c in codes) + 40
    canvas = _paper(rng, cell * 2, cell * 2)
    cells = rng.permutation(4)[: len(codes)]
    for code, index in zip(codes, cells, strict=False):
        y, x = divmod(int(index), 2)
        jitter = rng.integers(0, 30, 2)
        _place(canvas, code, x * cell + int(jitter[0]), y * cell + int(jitter[1]))
    return _to_bgr(cv2.GaussianBlur(canvas, (0, 0), 0.6))


def _small_in_large(rng: Rng, s: float, texts: list[str]) -> np.ndarray:
    """A 12 MP photo of a desk with the code in one corner of it."""
    height, width = 3000, 4000
    canvas = _paper(rng, height, width, level=170)
    for _ in range(40):  # clutter: dark rectangles like text blocks and objects
        x, y = rng.integers(0, width - 200), rng.integers(0, height - 200)
        bw, bh = rng.integers(20, 400, 2)
        canvas[y : y + bh, x : x + bw] *= rng.uniform(0.3, 0.9)
    code = render(texts[0], module_px=2.4 - 1.1 * s)
    x, y = rng.integers(0, width - code.shape[0]), rng.integers(0, height - code.shape[0])
    canvas[y : y + code.shape[0], x : x + code.shape[1]] = 225.0  # its own white label
    _place(canvas, code, int(x), int(y))
    return _to_bgr(cv2.GaussianBlur(canvas, (0, 0), 0.8))


KINDS: dict[str, Callable[[Rng, float, list[str]], np.ndarray]] = {
    "clean": _clean,
    "blur": _blur,
    "noise": _noise,
    "perspective": _perspective,
    "rotation": _rotation,
    "jpeg": _jpeg,
    "low-contrast": _low_contrast,
    "small-modules": _small_modules,
    "glare": _glare,
    "screen": _screen,
    "multi": _multi,
    "small-in-large": _small_in_large,
}


def degrade(kind: str, *, rng: Rng, severity: float, long: bool = True) -> Sample:
    count = 3 if kind == "multi" else 1
    texts = [payload(rng, long=long if i == 0 else not long) for i in range(count)]
    image = KINDS[kind](rng, severity, texts)
    return Sample(kind=kind, severity=severity, image=image, expected=tuple(texts))


def generate(per_kind: int, *, seed: int = 0, kinds: tuple[str, ...] = ()) -> Iterator[Sample]:
    """``per_kind`` samples of each kind; three in four carry a long codeid-like payload."""
    for kind in kinds or tuple(KINDS):
        rng = np.random.default_rng([seed, *kind.encode()])
        for i in range(per_kind):
            yield degrade(kind, rng=rng, severity=float(rng.uniform(0, 1)), long=i % 4 != 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument("--per-kind", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for i, sample in enumerate(generate(args.per_kind, seed=args.seed)):
        name = f"{sample.kind}-{i:03d}-s{sample.severity:.2f}.png"
        cv2.imwrite(str(args.out / name), sample.image)
        (args.out / name).with_suffix(".txt").write_text("\n".join(sample.expected))
    print(f"wrote {i + 1} samples to {args.out}")


if __name__ == "__main__":
    main()
