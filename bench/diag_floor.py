"""Diagnostic for issue 8: how much of B1's and B3's gap to hand-written NumPy any library
running the benchmark's code must pay, how much is dagrad's float fidelity, and how much is
bookkeeping.

    python -m bench.diag_floor              # B1 and B3, about 40 s
    python -m bench.diag_floor --only B1

Rows, timed interleaved in one process (bench.harness.run_samples: one thread, glibc's heap
thresholds fixed, medians of 15 samples):

B1 (seed 004's two-layer net step)
  - NumPy by hand: bench/b1_two_layer.py's NumPy version (fresh gradient arrays, no .grad);
  - NumPy, the step's semantics: the same kernels, plus what the benchmark's own code asks of
    any autograd library: each gradient added into the parameter's persistent ``.grad``
    (AccumulateGrad; the grads were zeroed, not set to None), the update read from ``.grad``,
    and ``.grad.zero_()``. That is two more passes over each weight (100,000 floats for w1);
  - dagrad eager and PyTorch eager: the benchmark's code.

B3 (8x256 tanh MLP step)
  - NumPy by hand: bench/b3_mlp.py's NumPy version (float32 tanh, 1 - a*a in float32);
  - NumPy, PyTorch's values: the same, with tanh and its gradient computed as dagrad does to give
    PyTorch's float32 bits (tanh in float64 rounded once, 1 - y*y in float64; np.tanh's float32
    values agree with PyTorch's for 68% of inputs, the float64 ones for 98-99%), and the bias
    gradients summed in PyTorch's order (dagrad.ops._cascade.fsum, Note [PyTorch's summation
    order]);
  - dagrad eager; dagrad eager with float32 tanh (both kernels swapped for the NumPy-by-hand
    ones, in this process only): what the fidelity costs inside dagrad;
  - PyTorch eager.

The ratio "floor / NumPy by hand" is the least any library can reach on the benchmark as
written (with that float fidelity); what dagrad adds above its floor is bookkeeping. B3's floor
gives dagrad's loss and gradients bit for bit (checked when this was written), so it is dagrad's
arithmetic without dagrad. (In B1 and B3 the gradients of all three differ from PyTorch's in
the last bits for ~95% of the elements anyway: PyTorch's matrix products are MKL's, NumPy's are
OpenBLAS's. The float fidelity pays off where no matrix product intervenes.)
"""
from __future__ import annotations

import argparse
import os
import sys
from typing import Any

if __package__ in (None, ""):            # run as a script: the repository root on the path
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import bench  # noqa: F401  (pins the thread pools before NumPy loads)
import numpy as np

from bench import b1_two_layer as B1
from bench import b3_mlp as B3
from bench import harness
from dagrad.ops._cascade import fsum


class B1Semantics(B1.NumpyCase):
    backend = "numpy, the step's semantics"

    def reset(self) -> None:
        super().reset()
        self.g1 = np.zeros_like(self.w1)
        self.g2 = np.zeros_like(self.w2)

    def step(self) -> tuple:
        loss, grad_w1, grad_w2 = self.loss_and_grads()
        self.g1 += grad_w1                      # AccumulateGrad into the zeroed .grad
        self.g2 += grad_w2
        self.w1 -= B1.LR * self.g1              # w1 -= lr * w1.grad
        self.w2 -= B1.LR * self.g2
        self.g1.fill(0)                         # w1.grad.zero_()
        self.g2.fill(0)
        return loss, self.g1, self.g2


class B3Values(B3.NumpyCase):
    """B3's NumPy step with dagrad's float32 arithmetic (pointwise.tanh's kernel and
    _tanh_grad_np's, the engine's bias sums)."""

    backend = "numpy, PyTorch's values"

    @staticmethod
    def tanh(z: np.ndarray) -> np.ndarray:
        out = np.empty_like(z)
        np.tanh(z, out=out, dtype=np.float64, casting="unsafe")
        return out

    @staticmethod
    def tanh_grad(g: np.ndarray, a: np.ndarray) -> np.ndarray:
        t = np.square(a, dtype=np.float64)
        np.subtract(1, t, out=t)
        return np.multiply(g, t, dtype=np.float32, casting="unsafe")

    @staticmethod
    def bias_grad(g: np.ndarray) -> np.ndarray:
        return fsum(g, (0,))


class B3Float32Tanh(B3.TorchLikeCase):
    """dagrad with tanh's kernels swapped for float32 ones while it runs."""

    def __init__(self) -> None:
        super().__init__("dagrad")
        self.backend = "dagrad, float32 tanh"
        from dagrad.ops import pointwise
        self._pw = pointwise
        self._fwd = (pointwise.tanh.kernel, pointwise.tanh.kernel.__code__,
                     (lambda self: np.tanh(self)).__code__)
        self._bwd = (pointwise._tanh_grad_np, pointwise._tanh_grad_np.__code__,
                     (lambda grad, result: grad * (1 - result * result)).__code__)

    def _swap(self, on: bool) -> None:
        for fn, old, new in (self._fwd, self._bwd):
            fn.__code__ = new if on else old

    def step(self) -> None:
        self._swap(True)
        try:
            super().step()
        finally:
            self._swap(False)


def run(name: str, samples: int, budget: float) -> list[str]:
    mod, floor, floor_label, title = {
        "B1": (B1, B1Semantics, "NumPy, the step's semantics", "B1 (two-layer net step)"),
        "B3": (B3, B3Values, "NumPy, PyTorch's values", "B3 (8x256 tanh MLP step)"),
    }[name]
    cases: dict[str, Any] = {"numpy": mod.NumpyCase(), "floor": floor(),
                             "dagrad": mod.TorchLikeCase("dagrad")}
    if name == "B3":
        cases["dagrad32"] = B3Float32Tanh()
    try:
        cases["torch"] = mod.TorchLikeCase("torch")
    except harness.NotAvailable:
        pass
    for c in cases.values():
        c.setup()
        c.reset()
    res = harness.run_samples(cases, samples, budget)
    med = {b: r["metrics"]["step"]["median"] for b, r in res.items() if "metrics" in r}
    labels = {"numpy": "NumPy by hand", "floor": floor_label, "dagrad": "dagrad eager",
              "dagrad32": "dagrad, float32 tanh", "torch": "PyTorch eager"}
    out = [title]
    for b, label in labels.items():
        if b in med:
            out.append(f"  {label:30s} {harness.fmt_time(med[b]):>9s}  "
                       f"{med[b] / med['numpy']:5.2f}x NumPy by hand  "
                       f"{med[b] / med['floor']:5.2f}x floor")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.diag_floor", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", default="B1,B3")
    ap.add_argument("--samples", type=int, default=15)
    a = ap.parse_args(argv)
    print(f"allocator: {harness.pin_allocator()}; 1 thread; medians of {a.samples} samples")
    for name in [n.strip().upper() for n in a.only.split(",") if n.strip()]:
        for line in run(name, a.samples, 0.15):
            print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
