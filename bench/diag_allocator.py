"""Diagnostic for issue 8: how much B1's time depends on glibc's heap state.

    python -m bench.diag_allocator          # about 20 s

Runs B1's hand-written NumPy step (``bench/b1_two_layer.py``) in six rows that differ only in
where the input ``x`` (64 x 1000 float32) sits within a 4 KiB page, interleaved, one thread,
and prints per row the median time and the page faults per step (``ru_minflt``): first with
glibc's default settings, then with the thresholds the suite fixes (``harness.pin_allocator``).

With the defaults, every other row is ~60% slower, whatever its offset (reverse the offsets and
the slow rows move with the position, not the offset), and the slow rows take ~160 page faults
a step. The step frees two fresh 400 KB arrays (the w1 gradient and ``LR * grad``); depending on
what ran just before, glibc hands that memory back to the kernel (the heap top is trimmed, or
the block was mmap'd) and the next step faults it in again, page by page. With the thresholds
fixed, the rows agree within a few percent and take no page faults. (An earlier version of this
script read the spread as cache or 4K-aliasing effects of the offset; it is the allocator.)
"""
from __future__ import annotations

import gc
import os
import resource
import statistics
import sys
import time

if __package__ in (None, ""):            # run as a script: the repository root on the path
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import bench  # noqa: F401  (pins the thread pools before NumPy loads)
import numpy as np

from bench import harness
from bench.b1_two_layer import NumpyCase

OFFSETS = (0, 64, 768, 1856, 2048, 3072)


def at_offset(src: np.ndarray, offset: int) -> np.ndarray:
    """A copy of ``src`` starting ``offset`` bytes into a page."""
    buf = np.empty(src.nbytes + 8192, np.uint8)
    start = (-buf.ctypes.data) % 4096 + offset
    out = buf[start:start + src.nbytes].view(src.dtype).reshape(src.shape)
    out[...] = src
    return out


def measure(samples: int, reps: int) -> dict:
    """{offset: (median us per step, median page faults per step)}, rows interleaved."""
    case = NumpyCase()
    case.setup()
    xs = {off: at_offset(case.x, off) for off in OFFSETS}
    times: dict = {off: [] for off in xs}
    faults: dict = {off: [] for off in xs}
    gc.freeze()
    try:
        for _ in range(samples):
            for off, x in xs.items():
                case.reset()
                case.x = x
                f0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
                t0 = time.perf_counter()
                for _ in range(reps):
                    case.step()
                times[off].append((time.perf_counter() - t0) / reps * 1e6)
                faults[off].append((resource.getrusage(resource.RUSAGE_SELF).ru_minflt - f0)
                                   / reps)
    finally:
        gc.unfreeze()
    return {off: (statistics.median(times[off]), statistics.median(faults[off])) for off in xs}


def main(samples: int = 11, reps: int = 40) -> None:
    print("B1 NumPy by hand, x at an offset within a page; medians, 1 thread, interleaved")
    for title in ("glibc defaults", None):
        if title is None:
            title = harness.pin_allocator()
        print(f"  allocator: {title}")
        for off, (t, f) in measure(samples, reps).items():
            print(f"    offset {off:5d} B   {t:7.1f} us   {f:6.1f} page faults per step")


if __name__ == "__main__":
    main()
