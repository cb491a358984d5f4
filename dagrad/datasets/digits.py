"""Synthetic handwritten-style digits: 28x28 grey images of 0-9 drawn as seven-segment strokes
with random position, size, slant, stroke width and noise — an MNIST stand-in made in code."""
from __future__ import annotations

import numpy as np

# segments: (x0, y0, x1, y1) on a unit box, top-left origin
_SEG = {
    "a": (0.0, 0.0, 1.0, 0.0), "b": (1.0, 0.0, 1.0, 0.5), "c": (1.0, 0.5, 1.0, 1.0),
    "d": (0.0, 1.0, 1.0, 1.0), "e": (0.0, 0.5, 0.0, 1.0), "f": (0.0, 0.0, 0.0, 0.5),
    "g": (0.0, 0.5, 1.0, 0.5),
}
_DIGITS = ["abcdef", "bc", "abged", "abgcd", "fgbc", "afgcd", "afgedc", "abc", "abcdefg", "abcdfg"]


def _render(digit: int, rng: np.random.Generator, size: int = 28) -> np.ndarray:
    h = rng.uniform(12, 18)
    w = h * rng.uniform(0.45, 0.7)
    cx = size / 2 + rng.uniform(-3, 3)
    cy = size / 2 + rng.uniform(-3, 3)
    slant = rng.uniform(-0.25, 0.25)
    width = rng.uniform(1.0, 2.0)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64)
    img = np.zeros((size, size))
    for s in _DIGITS[digit]:
        x0, y0, x1, y1 = _SEG[s]
        jit = rng.normal(0, 0.04, 4)
        p0 = np.array([cx + (x0 - 0.5 + jit[0]) * w - slant * (y0 - 0.5) * h,
                       cy + (y0 - 0.5 + jit[1]) * h])
        p1 = np.array([cx + (x1 - 0.5 + jit[2]) * w - slant * (y1 - 0.5) * h,
                       cy + (y1 - 0.5 + jit[3]) * h])
        d = p1 - p0
        t = np.clip(((xx - p0[0]) * d[0] + (yy - p0[1]) * d[1]) / (d @ d + 1e-9), 0, 1)
        dist = np.hypot(xx - (p0[0] + t * d[0]), yy - (p0[1] + t * d[1]))
        img = np.maximum(img, np.clip(width + 0.5 - dist, 0, 1))
    img += rng.normal(0, 0.1, img.shape)
    return np.clip(img, 0, 1)


def synthetic_digits(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` images (n, 1, 28, 28) float32 in [0, 1] and their labels (n,) int64, balanced.

    Example:
        >>> x, y = synthetic_digits(100)
        >>> x.shape, y[:10].tolist()
        ((100, 1, 28, 28), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    """
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % 10
    images = np.stack([_render(int(d), rng) for d in labels])[:, None].astype(np.float32)
    return images, labels.astype(np.int64)
