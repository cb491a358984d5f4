"""B5 in detail: ``autograd.functional.hessian`` of f(x) = sum(tanh(A @ x) ** 2), x of size 100.

Times dagrad (vectorize False and True, and with the batched pass switched off: one backward per
row) against PyTorch (vectorize False and True), one thread everywhere, interleaved rounds,
medians. The issue's target: dagrad's hessian <= 0.5x PyTorch's.

    python bench/b5_hessian_functional.py [--rounds 15] [--reps 5]

Standalone: it does not use bench/harness.py (but pins the threads the same way).
"""
from __future__ import annotations

import argparse
import gc
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

for _v in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
           "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_v] = "1"                # before NumPy (and its BLAS) loads: imported below

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

DIM = 100


def data(seed: int = 5) -> tuple[Any, Any]:
    import numpy as np
    rng = np.random.default_rng(seed)
    return rng.standard_normal((DIM, DIM)) / np.sqrt(DIM), rng.standard_normal(DIM)


def make_f(lib: Any, a: Any) -> Callable:
    A = lib.tensor(a)

    def f(x: Any) -> Any:
        return (A @ x).tanh().pow(2).sum()
    return f


def closed_form(a: Any, x: Any) -> Any:
    import numpy as np
    t = np.tanh(a @ x)
    return (a.T * (2 * (1 - t * t) * (1 - 3 * t * t))) @ a


class _RowLoop:
    """dagrad with the batched pass off (Note [Batched backward]): one backward per row."""

    def __enter__(self) -> None:
        import dagrad.autograd.functional as dfunctional
        self.saved = dfunctional._MAX_BATCHED_ELEMENTS
        dfunctional._MAX_BATCHED_ELEMENTS = 0

    def __exit__(self, *exc: object) -> None:
        import dagrad.autograd.functional as dfunctional
        dfunctional._MAX_BATCHED_ELEMENTS = self.saved


def cases(a: Any, x: Any) -> dict[str, Callable[[], Any]]:
    import dagrad
    import dagrad.autograd.functional as dfunctional
    fd, xd = make_f(dagrad, a), dagrad.tensor(x)
    out = {
        "dagrad vectorize=False": lambda: dfunctional.hessian(fd, xd),
        "dagrad vectorize=True": lambda: dfunctional.hessian(fd, xd, vectorize=True),
    }

    def row_loop() -> Any:
        with _RowLoop():
            return dfunctional.hessian(fd, xd)
    out["dagrad row loop (batching off)"] = row_loop
    try:
        import torch
    except ImportError:
        print("torch not installed: dagrad only")
        return out
    torch.set_num_threads(1)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass
    ft, xt = make_f(torch, a), torch.tensor(x)
    out["torch vectorize=False"] = lambda: torch.autograd.functional.hessian(ft, xt)
    out["torch vectorize=True"] = lambda: torch.autograd.functional.hessian(ft, xt,
                                                                             vectorize=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=15, help="interleaved rounds (>= 7)")
    ap.add_argument("--reps", type=int, default=5, help="calls per case per round")
    args = ap.parse_args()
    rounds = max(args.rounds, 7)
    import numpy as np

    a, x = data()
    want = closed_form(a, x)
    runs = cases(a, x)
    for name, fn in runs.items():        # correctness and warm-up
        got = np.asarray(fn().detach().numpy())
        err = float(np.abs(got - want).max())
        assert err < 1e-10, f"{name}: max error {err}"

    times: dict[str, list[float]] = {name: [] for name in runs}
    names = list(runs)
    for r in range(rounds):
        for name in names[r % len(names):] + names[:r % len(names)]:    # rotate the order
            fn = runs[name]
            gc.collect()                 # another case's garbage is not this one's time
            gc.disable()
            t0 = time.perf_counter()
            for _ in range(args.reps):
                fn()
            times[name].append((time.perf_counter() - t0) / args.reps)
            gc.enable()

    med = {name: statistics.median(ts) for name, ts in times.items()}
    print(f"hessian of sum(tanh(A @ x)^2), x of size {DIM}, float64, 1 thread; "
          f"median of {rounds} interleaved rounds x {args.reps} calls")
    print(f"python {platform.python_version()}, numpy {np.__version__}, "
          f"{platform.machine()}")
    for name in names:
        spread = f"[{min(times[name]) * 1e3:.3f} .. {max(times[name]) * 1e3:.3f}]"
        print(f"  {name:34s} {med[name] * 1e3:9.3f} ms   {spread}")
    if "torch vectorize=False" in med:
        print("ratios (dagrad / torch; the target is <= 0.5 against torch's default):")
        for d in ("dagrad vectorize=False", "dagrad vectorize=True",
                  "dagrad row loop (batching off)"):
            for t in ("torch vectorize=False", "torch vectorize=True"):
                print(f"  {d:34s} / {t:22s} = {med[d] / med[t]:6.3f}")


if __name__ == "__main__":
    main()
