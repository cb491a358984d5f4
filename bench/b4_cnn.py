"""B4: a LeNet-style CNN step on 32 1x28x28 images, float32.

    conv 1->8 k5, relu, maxpool 2, conv 8->16 k5, relu, maxpool 2, linear 256->10,
    cross-entropy (mean), backward, SGD (p -= lr * p.grad; p.grad = None)

PyTorch / dagrad (the same code): torch.nn.functional's conv2d, relu, max_pool2d,
cross_entropy. dagrad runs only when dagrad.nn.functional has them (else "n/a").
NumPy by hand (NHWC inside): im2col through sliding_window_view plus one GEMM per
convolution, col2im by k*k strided adds, max-pool as the maximum of four strided slices,
softmax cross-entropy, all hand-derived backwards.
"""
from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from bench.harness import Case, NotAvailable, Row, TimeTarget, has, load, resolve

NAME = "B4"
TITLE = "LeNet-style CNN step"
ROWS = [Row("step", "iteration (batch 32)", targets=[TimeTarget("step", "torch", 1.5)])]

BATCH, K = 32, 5
LR = 1e-2


def data(seed: int = 4) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    f32 = np.float32

    def u(shape: tuple, fan_in: int) -> np.ndarray:
        b = 1 / np.sqrt(fan_in)
        return rng.uniform(-b, b, shape).astype(f32)

    return {"x": rng.standard_normal((BATCH, 1, 28, 28), f32),
            "labels": rng.integers(0, 10, BATCH).astype(np.int64),
            "w1": u((8, 1, K, K), 25), "b1": u((8,), 25),
            "w2": u((16, 8, K, K), 200), "b2": u((16,), 200),
            "w3": u((256, 10), 256), "b3": u((10,), 256)}


PARAMS = ("w1", "b1", "w2", "b2", "w3", "b3")


# --------------------------------------------------------------------------- NumPy by hand
# Activations are NHWC inside the NumPy version (the GEMM's natural output layout, and what a
# hand-written CNN would use); weights keep PyTorch's (out, in, k, k) layout.
def conv_fwd(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> tuple:
    n, h, wd, c = x.shape
    o, _, k, _ = w.shape
    ho, wo = h - k + 1, wd - k + 1
    win = sliding_window_view(x, (k, k), axis=(1, 2))           # (n, ho, wo, c, k, k) view
    cols = win.reshape(n * ho * wo, c * k * k)                   # im2col (one copy)
    out = cols.dot(w.reshape(o, -1).T) + b                       # one GEMM
    return out.reshape(n, ho, wo, o), cols


def conv_bwd(g: np.ndarray, cols: np.ndarray, w: np.ndarray, x_shape: tuple,
             need_dx: bool) -> tuple:
    o, c, k, _ = w.shape
    n, ho, wo, _ = g.shape
    g2 = g.reshape(-1, o)                                        # (n*ho*wo, o)
    gw = g2.T.dot(cols).reshape(w.shape)
    gb = g2.sum(0)
    if not need_dx:
        return None, gw, gb
    gcols = g2.dot(w.reshape(o, -1)).reshape(n, ho, wo, c, k, k)
    gx = np.zeros(x_shape, g.dtype)
    for i in range(k):                                           # col2im
        for j in range(k):
            gx[:, i:i + ho, j:j + wo, :] += gcols[:, :, :, :, i, j]
    return gx, gw, gb


def pool_fwd(x: np.ndarray) -> tuple:
    quads = (x[:, 0::2, 0::2], x[:, 0::2, 1::2], x[:, 1::2, 0::2], x[:, 1::2, 1::2])
    out = np.maximum(np.maximum(quads[0], quads[1]), np.maximum(quads[2], quads[3]))
    return out, quads


def pool_bwd(g: np.ndarray, quads: tuple, out: np.ndarray, x_shape: tuple) -> np.ndarray:
    # Ties inside a window only happen between zeros (the input is a ReLU output), and the
    # ReLU's backward zeroes those anyway, so the equality masks match PyTorch's argmax.
    gx = np.empty(x_shape, g.dtype)
    for (i, j), q in zip(((0, 0), (0, 1), (1, 0), (1, 1)), quads):
        np.multiply(g, q == out, out=gx[:, i::2, j::2])
    return gx


class NumpyCase(Case):
    backend = "numpy"

    def setup(self) -> None:
        self.init = data()

    def reset(self) -> None:
        self.p = {k: self.init[k].copy() for k in PARAMS}

    def step(self, update: bool = True) -> tuple:
        p, labels = self.p, self.init["labels"]
        x = self.init["x"].transpose(0, 2, 3, 1)                 # NCHW -> NHWC (a view)
        c1, cols1 = conv_fwd(x, p["w1"], p["b1"])
        r1 = np.maximum(c1, 0)
        p1, q1 = pool_fwd(r1)
        c2, cols2 = conv_fwd(p1, p["w2"], p["b2"])
        r2 = np.maximum(c2, 0)
        p2, q2 = pool_fwd(r2)
        flat = p2.transpose(0, 3, 1, 2).reshape(BATCH, -1)       # PyTorch's (c, h, w) order
        z = flat.dot(p["w3"]) + p["b3"]
        m = z.max(1, keepdims=True)
        e = np.exp(z - m)
        s = e.sum(1, keepdims=True)
        rows = np.arange(BATCH)
        loss = (np.log(s[:, 0]) + m[:, 0] - z[rows, labels]).mean()
        # backward
        gz = e / s
        gz[rows, labels] -= 1
        gz /= BATCH
        grads = {"w3": flat.T.dot(gz), "b3": gz.sum(0)}
        g = gz.dot(p["w3"].T).reshape(p2.shape[0], p2.shape[3], p2.shape[1], p2.shape[2])
        g = pool_bwd(g.transpose(0, 2, 3, 1), q2, p2, r2.shape)
        g *= c2 > 0
        g, grads["w2"], grads["b2"] = conv_bwd(g, cols2, p["w2"], p1.shape, True)
        g = pool_bwd(g, q1, p1, r1.shape)
        g *= c1 > 0
        _, grads["w1"], grads["b1"] = conv_bwd(g, cols1, p["w1"], x.shape, False)
        if update:
            for k in PARAMS:
                p[k] -= LR * grads[k]
        return loss, grads

    def check(self) -> dict[str, Any]:
        self.reset()
        loss, grads = self.step(update=False)
        return {"loss": loss, **{f"{k}.grad": v for k, v in grads.items()}}


# --------------------------------------------------------------------------- dagrad / PyTorch
class TorchLikeCase(Case):
    def __init__(self, backend: str) -> None:
        self.backend = backend
        self.T = load(backend)
        missing = [f for f in ("conv2d", "max_pool2d", "cross_entropy", "relu")
                   if not has(self.T, f"nn.functional.{f}")]
        if missing:
            raise NotAvailable(f"{', '.join(missing)} not yet in {backend}.nn.functional")
        self.F = resolve(self.T, "nn.functional")

    def setup(self) -> None:
        T = self.T
        self.init = data()
        self.x = T.tensor(self.init["x"])
        self.labels = T.tensor(self.init["labels"])

    def reset(self) -> None:
        self.p = {k: self.T.tensor(self.init[k], requires_grad=True) for k in PARAMS}

    def loss(self) -> Any:
        F, p = self.F, self.p
        h = F.max_pool2d(F.relu(F.conv2d(self.x, p["w1"], p["b1"])), 2)
        h = F.max_pool2d(F.relu(F.conv2d(h, p["w2"], p["b2"])), 2)
        z = h.reshape(BATCH, 256).mm(p["w3"]) + p["b3"]
        return F.cross_entropy(z, self.labels)

    def step(self) -> None:
        self.loss().backward()
        with self.T.no_grad():
            for t in self.p.values():
                t -= LR * t.grad
                t.grad = None

    def check(self) -> dict[str, Any]:
        self.reset()
        loss = self.loss()
        loss.backward()
        return {"loss": loss, **{f"{k}.grad": t.grad for k, t in self.p.items()}}


def make(backend: str, quick: bool) -> Case:
    return NumpyCase() if backend == "numpy" else TorchLikeCase(backend)
