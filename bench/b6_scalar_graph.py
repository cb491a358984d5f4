"""B6: a micrograd-style graph of ~10,000 0-dim tensor ops and its backward, float32.

A scalar MLP as micrograd writes it: 24 inputs, 5 hidden layers of 32 tanh neurons, one
linear output, loss (out - 0.5) ** 2. Every weight is its own 0-dim tensor requiring grad;
a neuron is ``act = b; for w, x: act = act + w * x; act.tanh()`` (2 * fan_in + 1 ops), so the
forward is 9,954 ops and the backward 9,954 nodes (plus one AccumulateGrad per weight).
Reported per forward op and per backward node (backward time / 9,954).
NumPy: the same arithmetic on NumPy float32 scalars and a hand-written backward over the
same loops.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from bench.harness import Case, Row, TimeTarget, clock, load

NAME = "B6"
TITLE = "10k scalar-op graph"
ROWS = [Row("fwd_op", "forward, per op", targets=[TimeTarget("fwd_op", "torch", 1.0)]),
        Row("bwd_node", "backward, per node", targets=[TimeTarget("bwd_node", "torch", 1.0)],
            show_mem=False)]

N_IN, WIDTH, DEPTH = 24, 32, 5
TARGET = 0.5
SIZES = [N_IN] + [WIDTH] * DEPTH + [1]
OPS = sum(fo * 2 * fi + (fo if k < DEPTH else 0)
          for k, (fi, fo) in enumerate(zip(SIZES[:-1], SIZES[1:]))) + 2


def data(seed: int = 6) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    layers = []
    for fi, fo in zip(SIZES[:-1], SIZES[1:]):
        bound = 1 / np.sqrt(fi)
        layers.append([(rng.uniform(-bound, bound, fi).astype(np.float32),
                        np.float32(rng.uniform(-bound, bound))) for _ in range(fo)])
    return {"x": rng.uniform(-1, 1, N_IN).astype(np.float32), "layers": layers}


def flat_grads(layers: list) -> np.ndarray:
    """Weight grads in layer, neuron, (w..., b) order; ``layers`` holds (gw list, gb) pairs."""
    out = []
    for layer in layers:
        for gw, gb in layer:
            out.extend(gw)
            out.append(gb)
    return np.array([float(v) for v in out])


class NumpyCase(Case):
    backend = "numpy"

    def setup(self) -> None:
        init = data()
        self.x = [np.float32(v) for v in init["x"]]
        self.layers = [[([np.float32(v) for v in w], b) for w, b in layer]
                       for layer in init["layers"]]

    def forward(self) -> tuple:
        h = self.x
        hs = [h]
        last = len(self.layers) - 1
        for li, layer in enumerate(self.layers):
            nxt = []
            for ws, b in layer:
                act = b
                for wi, xi in zip(ws, h):
                    act = act + wi * xi
                nxt.append(act if li == last else np.tanh(act))
            h = nxt
            hs.append(h)
        d = h[0] - np.float32(TARGET)
        return d * d, hs

    def backward(self, hs: list) -> list:
        last = len(self.layers) - 1
        g_next = [np.float32(2) * (hs[-1][0] - np.float32(TARGET))]
        grads = [None] * len(self.layers)
        for li in range(last, -1, -1):
            h_in, h_out = hs[li], hs[li + 1]
            g_in = [np.float32(0)] * len(h_in) if li else None
            lg = []
            for j, (ws, _b) in enumerate(self.layers[li]):
                g = g_next[j]
                if li != last:
                    t = h_out[j]
                    g = g * (1 - t * t)
                lg.append(([g * xi for xi in h_in], g))
                if g_in is not None:
                    for i, wi in enumerate(ws):
                        g_in[i] = g_in[i] + g * wi
            grads[li] = lg
            g_next = g_in
        return grads

    def check(self) -> dict[str, Any]:
        loss, hs = self.forward()
        return {"loss": loss, "grads": flat_grads(self.backward(hs))}

    def run(self, n: int) -> dict[str, float]:
        tf = tb = 0.0
        for _ in range(n):
            t0 = clock()
            _, hs = self.forward()
            t1 = clock()
            self.backward(hs)
            tb += clock() - t1
            tf += t1 - t0
        return {"fwd_op": tf / (n * OPS), "bwd_node": tb / (n * OPS)}


class TorchLikeCase(Case):
    def __init__(self, backend: str) -> None:
        self.backend = backend
        self.T = load(backend)

    def setup(self) -> None:
        T = self.T
        init = data()
        self.x = [T.tensor(float(v)) for v in init["x"]]
        self.layers = [[([T.tensor(float(v), requires_grad=True) for v in w],
                         T.tensor(float(b), requires_grad=True)) for w, b in layer]
                       for layer in init["layers"]]
        self.params = [p for layer in self.layers for ws, b in layer for p in (*ws, b)]

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    def reset(self) -> None:
        self.zero_grad()

    def forward(self) -> Any:
        h = self.x
        last = len(self.layers) - 1
        for li, layer in enumerate(self.layers):
            nxt = []
            for ws, b in layer:
                act = b
                for wi, xi in zip(ws, h):
                    act = act + wi * xi
                nxt.append(act if li == last else act.tanh())
            h = nxt
        return (h[0] - TARGET) ** 2

    def check(self) -> dict[str, Any]:
        self.zero_grad()
        loss = self.forward()
        loss.backward()
        grads = [[([w.grad for w in ws], b.grad) for ws, b in layer] for layer in self.layers]
        self.zero_grad()
        return {"loss": loss, "grads": flat_grads(grads)}

    def run(self, n: int) -> dict[str, float]:
        tf = tb = 0.0
        for _ in range(n):
            self.zero_grad()
            t0 = clock()
            loss = self.forward()
            t1 = clock()
            loss.backward()
            tb += clock() - t1
            tf += t1 - t0
            del loss
        return {"fwd_op": tf / (n * OPS), "bwd_node": tb / (n * OPS)}


def make(backend: str, quick: bool) -> Case:
    return NumpyCase() if backend == "numpy" else TorchLikeCase(backend)
