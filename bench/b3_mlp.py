"""B3: an 8-hidden-layer tanh MLP (width 256, batch 128, MSE), one SGD iteration, float32.

dagrad / PyTorch with raw tensor ops (the same code):
    h = x;  for W, b in hidden: h = (h.mm(W) + b).tanh()
    out = h.mm(W9) + b9;  loss = ((out - y) ** 2).mean();  loss.backward()
    with no_grad(): p -= lr * p.grad;  p.grad = None        (zero_grad(set_to_none=True))
NumPy: the same forward, keeping the activations, and the hand-derived backward.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from bench.harness import Case, MemTarget, Row, TimeTarget, load

NAME = "B3"
TITLE = "8x256 tanh MLP step"
ROWS = [Row("step", "iteration, raw ops",
            targets=[TimeTarget("step", "numpy", 1.2), MemTarget("numpy", 1.3)])]

BATCH, D_IN, WIDTH, HIDDEN, D_OUT = 128, 256, 256, 8, 10
LR = 1e-2


def data(seed: int = 3) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    f32 = np.float32
    dims = [D_IN] + [WIDTH] * HIDDEN + [D_OUT]
    params = []
    for fan_in, fan_out in zip(dims[:-1], dims[1:]):
        bound = 1 / np.sqrt(fan_in)
        params.append(((rng.uniform(-bound, bound, (fan_in, fan_out))).astype(f32),
                       (rng.uniform(-bound, bound, fan_out)).astype(f32)))
    return {"x": rng.standard_normal((BATCH, D_IN), f32),
            "y": rng.standard_normal((BATCH, D_OUT), f32), "params": params}


class NumpyCase(Case):
    backend = "numpy"

    def setup(self) -> None:
        self.init = data()
        self.x, self.y = self.init["x"], self.init["y"]

    def reset(self) -> None:
        self.params = [(W.copy(), b.copy()) for W, b in self.init["params"]]

    # the three array steps bench/diag_floor.py replaces with dagrad's float32 arithmetic
    @staticmethod
    def tanh(z: np.ndarray) -> np.ndarray:
        return np.tanh(z)

    @staticmethod
    def tanh_grad(g: np.ndarray, a: np.ndarray) -> np.ndarray:
        return g * (1 - a * a)

    @staticmethod
    def bias_grad(g: np.ndarray) -> np.ndarray:
        return g.sum(0)

    def step(self, update: bool = True) -> tuple:
        params = self.params
        acts = [self.x]
        h = self.x
        for W, b in params[:-1]:
            h = self.tanh(h.dot(W) + b)
            acts.append(h)
        W9, b9 = params[-1]
        out = h.dot(W9) + b9
        d = out - self.y
        loss = np.square(d).mean()
        g = d * np.float32(2.0 / d.size)
        grads = [None] * len(params)
        grads[-1] = (h.T.dot(g), self.bias_grad(g))
        g = g.dot(W9.T)
        for i in range(len(params) - 2, -1, -1):
            g = self.tanh_grad(g, acts[i + 1])
            grads[i] = (acts[i].T.dot(g), self.bias_grad(g))
            if i:
                g = g.dot(params[i][0].T)
        if update:
            for (W, b), (gW, gb) in zip(params, grads):
                W -= LR * gW
                b -= LR * gb
        return loss, grads

    def check(self) -> dict[str, Any]:
        self.reset()
        loss, grads = self.step(update=False)
        out = {"loss": loss}
        for i, (gW, gb) in enumerate(grads):
            out[f"W{i}.grad"], out[f"b{i}.grad"] = gW, gb
        return out


class TorchLikeCase(Case):
    def __init__(self, backend: str) -> None:
        self.backend = backend
        self.T = load(backend)

    def setup(self) -> None:
        self.init = data()
        self.x = self.T.tensor(self.init["x"])
        self.y = self.T.tensor(self.init["y"])

    def reset(self) -> None:
        T = self.T
        self.params = [(T.tensor(W, requires_grad=True), T.tensor(b, requires_grad=True))
                       for W, b in self.init["params"]]
        self.flat = [p for pair in self.params for p in pair]

    def loss(self) -> Any:
        h = self.x
        for W, b in self.params[:-1]:
            h = (h.mm(W) + b).tanh()
        W9, b9 = self.params[-1]
        out = h.mm(W9) + b9
        return ((out - self.y) ** 2).mean()

    def step(self) -> None:
        self.loss().backward()
        with self.T.no_grad():
            for p in self.flat:
                p -= LR * p.grad
                p.grad = None

    def check(self) -> dict[str, Any]:
        self.reset()
        loss = self.loss()
        loss.backward()
        out = {"loss": loss}
        for i, (W, b) in enumerate(self.params):
            out[f"W{i}.grad"], out[f"b{i}.grad"] = W.grad, b.grad
        return out


def make(backend: str, quick: bool) -> Case:
    return NumpyCase() if backend == "numpy" else TorchLikeCase(backend)
