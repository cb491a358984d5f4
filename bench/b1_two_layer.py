"""B1: seed 004's two-layer net, one SGD iteration (N=64, D_in=1000, H=100, D_out=10, float32).

dagrad / PyTorch (the same code):
    y_pred = x.mm(w1).clamp(min=0).mm(w2)
    loss = (y_pred - y).pow(2).sum()
    loss.backward()
    with no_grad():  w1 -= lr * w1.grad;  w2 -= lr * w2.grad;  w1.grad.zero_();  w2.grad.zero_()
NumPy: the same forward and the hand-derived backward of "Learning PyTorch with Examples".
"""
from __future__ import annotations

from typing import Any

import numpy as np

from bench.harness import Case, Row, TimeTarget, load

NAME = "B1"
TITLE = "two-layer net step"
ROWS = [Row("step", "iteration (fwd+bwd+SGD)", targets=[TimeTarget("step", "numpy", 1.10)])]

N, D_IN, H, D_OUT = 64, 1000, 100, 10
LR = 1e-6


def data(seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    f32 = np.float32
    return {"x": rng.standard_normal((N, D_IN), f32), "y": rng.standard_normal((N, D_OUT), f32),
            "w1": rng.standard_normal((D_IN, H), f32), "w2": rng.standard_normal((H, D_OUT), f32)}


class NumpyCase(Case):
    backend = "numpy"

    def setup(self) -> None:
        self.init = data()
        self.x, self.y = self.init["x"], self.init["y"]

    def reset(self) -> None:
        self.w1 = self.init["w1"].copy()
        self.w2 = self.init["w2"].copy()

    def loss_and_grads(self) -> tuple:
        x, y, w1, w2 = self.x, self.y, self.w1, self.w2
        h = x.dot(w1)
        h_relu = np.maximum(h, 0)
        y_pred = h_relu.dot(w2)
        diff = y_pred - y
        loss = np.square(diff).sum()
        grad_y_pred = 2.0 * diff
        grad_w2 = h_relu.T.dot(grad_y_pred)
        grad_h = grad_y_pred.dot(w2.T)
        grad_h[h < 0] = 0
        grad_w1 = x.T.dot(grad_h)
        return loss, grad_w1, grad_w2

    def step(self) -> tuple:
        loss, grad_w1, grad_w2 = self.loss_and_grads()
        self.w1 -= LR * grad_w1
        self.w2 -= LR * grad_w2
        return loss, grad_w1, grad_w2

    def check(self) -> dict[str, Any]:
        self.reset()
        loss, g1, g2 = self.step()
        return {"loss": loss, "w1.grad": g1, "w2.grad": g2}


class TorchLikeCase(Case):
    """dagrad or PyTorch: ``self.T`` is the library module."""

    def __init__(self, backend: str) -> None:
        self.backend = backend
        self.T = load(backend)

    def setup(self) -> None:
        T = self.T
        self.init = data()
        self.x = T.tensor(self.init["x"])
        self.y = T.tensor(self.init["y"])

    def reset(self) -> None:
        T = self.T
        self.w1 = T.tensor(self.init["w1"], requires_grad=True)
        self.w2 = T.tensor(self.init["w2"], requires_grad=True)

    def step(self) -> Any:
        x, y, w1, w2 = self.x, self.y, self.w1, self.w2
        y_pred = x.mm(w1).clamp(min=0).mm(w2)
        loss = (y_pred - y).pow(2).sum()
        loss.backward()
        with self.T.no_grad():
            w1 -= LR * w1.grad
            w2 -= LR * w2.grad
            w1.grad.zero_()
            w2.grad.zero_()
        return loss

    def check(self) -> dict[str, Any]:
        self.reset()
        x, y, w1, w2 = self.x, self.y, self.w1, self.w2
        loss = (x.mm(w1).clamp(min=0).mm(w2) - y).pow(2).sum()
        loss.backward()
        return {"loss": loss, "w1.grad": w1.grad, "w2.grad": w2.grad}


def make(backend: str, quick: bool) -> Case:
    return NumpyCase() if backend == "numpy" else TorchLikeCase(backend)
