"""Peak memory of a deep chain's forward + backward, with and without activation checkpointing.

    python bench/bench_checkpoint.py

Each variant runs in its own process; peak is measured with tracemalloc (NumPy reports its
array allocations to it) and wall time is the median of 3 runs. Gradients are checked equal.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

DEPTH, WIDTH, BATCH, SEGMENT = 200, 128, 512, 20


def run(mode: str) -> dict:
    import time
    import tracemalloc

    import numpy as np

    import dagrad as torch
    from dagrad.utils.checkpoint import checkpoint

    torch.manual_seed(0)
    ws = [torch.randn(WIDTH, WIDTH, dtype=torch.float64) / WIDTH ** 0.5 for _ in range(DEPTH)]
    for w in ws:
        w.requires_grad_()
    x = torch.randn(BATCH, WIDTH, dtype=torch.float64)

    def segment(h, lo):
        for w in ws[lo:lo + SEGMENT]:
            h = (h @ w).tanh()
        return h

    times = []
    for _ in range(3):
        for w in ws:
            w.grad = None
        tracemalloc.start()
        t0 = time.perf_counter()
        h = x
        for lo in range(0, DEPTH, SEGMENT):
            if mode == "checkpoint":
                h = checkpoint(segment, h, lo, use_reentrant=False)
            else:
                h = segment(h, lo)
        h.pow(2).sum().backward()
        times.append(time.perf_counter() - t0)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    g = float(np.sum([w.grad.numpy().sum() for w in ws]))
    return {"mode": mode, "peak_mb": peak / 2**20, "time_s": sorted(times)[1], "grad_sum": g}


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] in ("plain", "checkpoint"):
        print(json.dumps(run(sys.argv[1])))
        return
    res = {}
    for mode in ("plain", "checkpoint"):
        out = subprocess.run([sys.executable, __file__, mode], capture_output=True, text=True,
                             check=True)
        res[mode] = json.loads(out.stdout.strip().splitlines()[-1])
    p, c = res["plain"], res["checkpoint"]
    assert abs(p["grad_sum"] - c["grad_sum"]) <= 1e-9 * max(1.0, abs(p["grad_sum"])), res
    print(f"chain of {DEPTH} x tanh(h @ W), width {WIDTH}, batch {BATCH}, float64; "
          f"checkpoint every {SEGMENT} layers")
    print(f"{'variant':12s} {'peak MiB':>10s} {'time s':>8s}")
    for m in ("plain", "checkpoint"):
        print(f"{m:12s} {res[m]['peak_mb']:10.1f} {res[m]['time_s']:8.3f}")
    print(f"peak memory ratio checkpoint/plain: {c['peak_mb'] / p['peak_mb']:.2f}; "
          f"time ratio: {c['time_s'] / p['time_s']:.2f}; gradients equal")


if __name__ == "__main__":
    main()
