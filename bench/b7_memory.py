"""B7: memory. (a) RSS over a long B1 training loop must stay flat; (b) a 1,000-layer chain.

(a) ``rss``: B1's iteration run 10,000 times (2,000 in --quick) in a fresh process per backend,
    with the default allocator settings: RSS after warm-up (the first tenth of the iterations),
    at ten checkpoints, and at the end; growth = (end - warm) / warm.
(b) ``chain``: h = tanh(h @ W_i) for i = 1..1000, width 256, batch 32, float32, then
    h.sum().backward() into h0 (the W_i are fixed inputs). Timed (forward + backward) and its
    peak memory measured like the other benchmarks. NumPy keeps the 1,000 activations and runs
    the hand-written backward. W_i ~ N(0, 1/256), so the signal neither explodes nor vanishes.
"""
from __future__ import annotations

import gc
from typing import Any

import numpy as np

from bench import b1_two_layer
from bench.harness import Case, Row, RssTarget, clock, load, rss_bytes

NAME = "B7"
TITLE = "memory"
ROWS = [Row("rss", "RSS growth over B1 loop", kind="rss", targets=[RssTarget(5.0)]),
        Row("chain", "1000-layer chain fwd+bwd")]

LAYERS, WIDTH, BATCH = 1000, 256, 32
RSS_ITERS, RSS_ITERS_QUICK = 10_000, 2_000

_W: list | None = None


def weights() -> list[np.ndarray]:
    """The 1,000 W_i (256 MB), made once per process and shared by every backend."""
    global _W
    if _W is None:
        block = np.random.default_rng(7).standard_normal((LAYERS, WIDTH, WIDTH), np.float32)
        block *= np.float32(1 / 16)
        _W = list(block)  # 1,000 contiguous (256, 256) views of one block
    return _W


def h0() -> np.ndarray:
    return np.random.default_rng(8).standard_normal((BATCH, WIDTH), np.float32)


class NumpyCase(Case):
    backend = "numpy"

    def setup(self) -> None:
        self.W = weights()
        self.h0 = h0()

    def step(self) -> tuple:
        acts = []
        h = self.h0
        for W in self.W:
            h = np.tanh(h.dot(W))
            acts.append(h)
        h.sum()
        g = np.ones_like(h)
        for W in reversed(self.W):
            a = acts.pop()
            g = (g * (1 - a * a)).dot(W.T)
        return h, g

    def check(self) -> dict[str, Any]:
        h, g = self.step()
        return {"h": h, "h0.grad": g}

    def run(self, n: int) -> dict[str, float]:
        t0 = clock()
        for _ in range(n):
            self.step()
        return {"chain": (clock() - t0) / n}


class TorchLikeCase(Case):
    def __init__(self, backend: str) -> None:
        self.backend = backend
        self.T = load(backend)

    def setup(self) -> None:
        T = self.T
        self.W = [T.from_numpy(W) for W in weights()]  # shares the arrays, no copy
        self.h0 = T.tensor(h0(), requires_grad=True)

    def reset(self) -> None:
        self.h0.grad = None

    def step(self) -> Any:
        h = self.h0
        for W in self.W:
            h = (h @ W).tanh()
        h.sum().backward()
        return h

    def check(self) -> dict[str, Any]:
        self.reset()
        h = self.step()
        g = self.h0.grad
        self.reset()
        return {"h": h, "h0.grad": g}

    def run(self, n: int) -> dict[str, float]:
        t0 = clock()
        for _ in range(n):
            self.h0.grad = None
            self.step()
        return {"chain": (clock() - t0) / n}


def make(backend: str, quick: bool) -> Case:
    return NumpyCase() if backend == "numpy" else TorchLikeCase(backend)


def extra_memory(backend: str, quick: bool) -> dict:
    """(a): RSS of a fresh process over a long B1 loop (run by bench.memory, one per backend)."""
    iters = RSS_ITERS_QUICK if quick else RSS_ITERS
    case = b1_two_layer.make(backend, quick)
    case.setup()
    case.reset()
    warm = max(100, iters // 10)
    for _ in range(warm):
        case.step()
    gc.collect()
    rss_warm = rss_bytes()
    checkpoints = []
    chunk = (iters - warm) // 10
    done = warm
    while done < iters:
        k = min(chunk, iters - done)
        for _ in range(k):
            case.step()
        done += k
        checkpoints.append(rss_bytes())
    rss_end = checkpoints[-1]
    return {"rss_iters": iters, "rss_warm": rss_warm, "rss_end": rss_end,
            "rss_max": max(checkpoints), "rss_checkpoints": checkpoints,
            "rss_growth_pct": 100.0 * (rss_end - rss_warm) / rss_warm}
