"""Diagnostic for issue 8: how much B1's time depends on where its input sits in memory.

    python -m bench.diag_placement

Runs B1's hand-written NumPy step (``bench/b1_two_layer.py``) with the same input ``x``
(64 x 1000 float32) copied to several offsets within a 4 KiB page, interleaved, one thread, and
prints the median per offset. Nothing else changes between the rows, so their spread is what
the placement of one array alone does to the step (cache-set and 4K-aliasing effects in the two
large products). Every backend's arrays land wherever its allocator puts them, so a B1 ratio
taken in one run carries this much placement luck on each side.
"""
from __future__ import annotations

import gc
import os
import statistics
import sys
import time

if __package__ in (None, ""):            # run as a script: the repository root on the path
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import bench  # noqa: F401  (pins the thread pools before NumPy loads)
import numpy as np

from bench.b1_two_layer import NumpyCase

OFFSETS = (0, 64, 768, 1856, 2048, 3072)


def at_offset(src: np.ndarray, offset: int) -> np.ndarray:
    """A copy of ``src`` starting ``offset`` bytes into a page."""
    buf = np.empty(src.nbytes + 8192, np.uint8)
    start = (-buf.ctypes.data) % 4096 + offset
    out = buf[start:start + src.nbytes].view(src.dtype).reshape(src.shape)
    out[...] = src
    return out


def main(samples: int = 11, reps: int = 40) -> None:
    case = NumpyCase()
    case.setup()
    xs = {off: at_offset(case.x, off) for off in OFFSETS}
    times: dict = {off: [] for off in xs}
    gc.freeze()
    try:
        for _ in range(samples):
            for off, x in xs.items():
                case.reset()
                case.x = x
                t0 = time.perf_counter()
                for _ in range(reps):
                    case.step()
                times[off].append((time.perf_counter() - t0) / reps * 1e6)
    finally:
        gc.unfreeze()
    print("B1 NumPy by hand, x at an offset within a page; medians, 1 thread, interleaved")
    for off, ts in times.items():
        print(f"  offset {off:5d} B   {statistics.median(ts):7.1f} us")


if __name__ == "__main__":
    main()
