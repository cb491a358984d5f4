"""B5: the Hessian of f(x) = sum(tanh(A @ x) ** 2), x of size 100, float64.

PyTorch / dagrad: ``autograd.functional.hessian(f, x)`` with its defaults (dagrad: "n/a" until
dagrad.autograd.functional.hessian exists).
NumPy by hand: with u = A x, t = tanh(u), f'' = A^T diag(2 (1 - t^2)(1 - 3 t^2)) A.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from bench.harness import Case, Row, TimeTarget, clock, load, resolve

NAME = "B5"
TITLE = "Hessian, functional API"
ROWS = [Row("hessian", "hessian(f, x), n=100", targets=[TimeTarget("hessian", "torch", 0.5)])]

DIM = 100


def data(seed: int = 5) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {"A": rng.standard_normal((DIM, DIM)) / np.sqrt(DIM), "x": rng.standard_normal(DIM)}


class NumpyCase(Case):
    backend = "numpy"

    def setup(self) -> None:
        self.init = data()

    def hessian(self) -> np.ndarray:
        A, x = self.init["A"], self.init["x"]
        t = np.tanh(A.dot(x))
        t2 = t * t
        d = 2 * (1 - t2) * (1 - 3 * t2)
        return (A.T * d).dot(A)

    def check(self) -> dict[str, Any]:
        A, x = self.init["A"], self.init["x"]
        return {"f": np.square(np.tanh(A.dot(x))).sum(), "hessian": self.hessian()}

    def run(self, n: int) -> dict[str, float]:
        h = self.hessian
        t0 = clock()
        for _ in range(n):
            h()
        return {"hessian": (clock() - t0) / n}


class TorchLikeCase(Case):
    def __init__(self, backend: str) -> None:
        self.backend = backend
        self.T = load(backend)
        self.hess = resolve(self.T, "autograd.functional.hessian")

    def setup(self) -> None:
        self.init = data()
        self.A = self.T.tensor(self.init["A"])
        self.x = self.T.tensor(self.init["x"])

    def f(self, x: Any) -> Any:
        return (self.A @ x).tanh().pow(2).sum()

    def check(self) -> dict[str, Any]:
        return {"f": self.f(self.x), "hessian": self.hess(self.f, self.x)}

    def run(self, n: int) -> dict[str, float]:
        hess, f, x = self.hess, self.f, self.x
        t0 = clock()
        for _ in range(n):
            hess(f, x)
        return {"hessian": (clock() - t0) / n}


def make(backend: str, quick: bool) -> Case:
    return NumpyCase() if backend == "numpy" else TorchLikeCase(backend)
