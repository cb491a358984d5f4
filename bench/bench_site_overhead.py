"""Cost of naming source lines in version errors (Note [Source sites]) on the B1/B2/B3 workloads.

    python bench/bench_site_overhead.py

Each node records the user's (file, line) that created it, and each in-place op the line that
ran it. This script times the same workloads with that capture on and off (swapped in the same
process, interleaved samples, threads pinned to 1) and prints the median ratio.
"""
from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import statistics  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

import dagrad as torch  # noqa: E402
from dagrad.autograd import graph  # noqa: E402


def b1():
    r = np.random.default_rng(0)
    x = torch.tensor(r.standard_normal((64, 1000)).astype(np.float32))
    y = torch.tensor(r.standard_normal((64, 10)).astype(np.float32))
    w1 = torch.tensor(r.standard_normal((1000, 100)).astype(np.float32), requires_grad=True)
    w2 = torch.tensor(r.standard_normal((100, 10)).astype(np.float32), requires_grad=True)

    def step():
        loss = (x.mm(w1).clamp(min=0).mm(w2) - y).pow(2).sum()
        loss.backward()
        with torch.no_grad():
            for w in (w1, w2):
                w -= 1e-6 * w.grad
                w.grad = None
    return step, 20


def b2():
    x = torch.ones(10, requires_grad=True)
    y = torch.full((10,), 1.0001, requires_grad=True)

    def step():
        z = torch.ones(10, requires_grad=True)
        for _ in range(200):
            z = (z / x) * y
        z.sum().backward()
    return step, 3


def b3():
    r = np.random.default_rng(1)
    ws = [torch.tensor(r.standard_normal((256, 256)).astype(np.float32) / 16, requires_grad=True)
          for _ in range(8)]
    x = torch.tensor(r.standard_normal((128, 256)).astype(np.float32))

    def step():
        h = x
        for w in ws:
            h = (h @ w).tanh()
        h.pow(2).mean().backward()
        with torch.no_grad():
            for w in ws:
                w -= 0.01 * w.grad
                w.grad = None
    return step, 3


def main() -> None:
    real = graph.user_site
    print(f"{'workload':10s} {'sites on':>12s} {'sites off':>12s} {'ratio':>7s}")
    for name, make in (("B1", b1), ("B2", b2), ("B3", b3)):
        step, n = make()
        for _ in range(3):
            step()
        on, off = [], []
        for _ in range(15):
            for flag, bucket in ((True, on), (False, off)):
                graph.user_site = real if flag else (lambda depth=2: None)
                t0 = time.perf_counter()
                for _ in range(n):
                    step()
                bucket.append((time.perf_counter() - t0) / n)
        graph.user_site = real
        a, b = statistics.median(on), statistics.median(off)
        print(f"{name:10s} {a * 1e3:10.3f}ms {b * 1e3:10.3f}ms {a / b:7.3f}")


if __name__ == "__main__":
    main()
