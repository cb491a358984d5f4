"""B2: per-op overhead on tiny tensors (seed 002's profiler loop, 10 elements).

dagrad / PyTorch: x, y, z of 10 elements requiring grad;
    for _ in range(1000): z = (z / x) * y          # 2,000 forward ops (timed: "fwd/op")
    s = z.sum(); s.backward()                      # 2,000 backward nodes (+ sum, timed: "bwd/node")
NumPy: the same 2,000 array ops, keeping what the backward needs, and the hand-written backward.

x is drawn from [0.5, 1.5] and y = x * (1 + 1e-3 * noise), so z stays near 1 over the 1,000
steps (no overflow, no denormals) and the gradients stay finite.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from bench.harness import Case, Row, TimeTarget, clock, load

NAME = "B2"
TITLE = "per-op overhead (10 elements)"
ROWS = [Row("fwd_op", "forward, per op", targets=[TimeTarget("fwd_op", "torch", 1.0)]),
        Row("bwd_node", "backward, per node", targets=[TimeTarget("bwd_node", "torch", 1.0)],
            show_mem=False)]

SIZE, STEPS = 10, 1000
OPS = 2 * STEPS


def data(seed: int = 2) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = (rng.random(SIZE) + 0.5).astype(np.float32)
    y = (x * (1 + 1e-3 * rng.standard_normal(SIZE))).astype(np.float32)
    return {"x": x, "y": y, "z": np.ones(SIZE, np.float32)}


class NumpyCase(Case):
    backend = "numpy"

    def setup(self) -> None:
        self.init = data()

    def forward(self) -> tuple:
        x, y = self.init["x"], self.init["y"]
        z = self.init["z"]
        qs = []  # q_k = z_k / x: the mul's d/dy, and the div's d/dx = -g * q_k / x
        for _ in range(STEPS):
            q = z / x
            qs.append(q)
            z = q * y
        return z, qs

    def backward(self, z: np.ndarray, qs: list) -> tuple:
        x, y = self.init["x"], self.init["y"]
        g = np.ones_like(z)
        gx = np.zeros_like(x)
        gy = np.zeros_like(y)
        for q in reversed(qs):
            gy += g * q          # z_{k+1} = q * y: d/dy
            g = g * y            #                  d/dq
            g = g / x            # q = z_k / x:     d/dz_k
            gx -= g * q          #                  d/dx = -(g_q / x) * q
        return g, gx, gy

    def check(self) -> dict[str, Any]:
        z, qs = self.forward()
        gz, gx, gy = self.backward(z, qs)
        return {"z": z, "x.grad": gx, "y.grad": gy, "z.grad": gz}

    def run(self, n: int) -> dict[str, float]:
        tf = tb = 0.0
        for _ in range(n):
            t0 = clock()
            z, qs = self.forward()
            t1 = clock()
            self.backward(z, qs)
            t2 = clock()
            tf += t1 - t0
            tb += t2 - t1
        return {"fwd_op": tf / (n * OPS), "bwd_node": tb / (n * OPS)}


class TorchLikeCase(Case):
    def __init__(self, backend: str) -> None:
        self.backend = backend
        self.T = load(backend)

    def setup(self) -> None:
        self.init = data()

    def reset(self) -> None:
        T = self.T
        self.x = T.tensor(self.init["x"], requires_grad=True)
        self.y = T.tensor(self.init["y"], requires_grad=True)
        self.z = T.tensor(self.init["z"], requires_grad=True)

    def forward(self) -> Any:
        x, y, z = self.x, self.y, self.z
        for _ in range(STEPS):
            z = (z / x) * y
        return z

    def check(self) -> dict[str, Any]:
        self.reset()
        z = self.forward()
        z.sum().backward()
        return {"z": z, "x.grad": self.x.grad, "y.grad": self.y.grad, "z.grad": self.z.grad}

    def run(self, n: int) -> dict[str, float]:
        tf = tb = 0.0
        for _ in range(n):
            self.x.grad = self.y.grad = self.z.grad = None
            t0 = clock()
            z = self.forward()
            t1 = clock()
            s = z.sum()
            t2 = clock()
            s.backward()
            t3 = clock()
            tf += t1 - t0
            tb += t3 - t2
            del z, s
        return {"fwd_op": tf / (n * OPS), "bwd_node": tb / (n * OPS)}


def make(backend: str, quick: bool) -> Case:
    return NumpyCase() if backend == "numpy" else TorchLikeCase(backend)
