"""What the profiler costs when it is off: seed 002's loop before any profile() and after one.

    python bench/bench_profiler_overhead.py [--rounds 7] [--repeats 9] [--iters 1000]

Each round runs two fresh processes, one after the other: "before" times the loop in a process that
never profiled; "after" first enters and leaves a ``profile()`` block (which swaps ``Op.__call__``
and back, Note [Observing op calls]) and then times the same loop. Alternating the two cancels
drift in the machine's load. Each process reports the median of ``--repeats`` timings; the table
shows the median over rounds and the after/before ratio (1.00 = no cost). The cost while
profiling is shown too. Threads are pinned to 1 (BLAS/OpenMP) and the process to one CPU.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
             "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS"):
    os.environ[_var] = "1"


def _pin() -> None:
    if hasattr(os, "sched_setaffinity"):
        cpus = sorted(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpus[-1]})


def _loop_time(torch: object, iters: int, profiled: bool = False) -> float:
    """Seconds for seed 002's ``z = (z / x) * y`` loop, ``iters`` times."""
    import contextlib
    torch.manual_seed(0)
    x = torch.rand(2, 3, requires_grad=True) + 1      # no overflow over 1000 divisions
    y = torch.rand(2, 3, requires_grad=True)
    z = torch.ones(2, 3, requires_grad=True)
    ctx = torch.autograd.profiler.profile() if profiled else contextlib.nullcontext()
    with ctx:
        t0 = time.perf_counter()
        for _ in range(iters):
            z = (z / x) * y
        t1 = time.perf_counter()
    return t1 - t0


def _child(mode: str, repeats: int, iters: int) -> None:
    _pin()
    import dagrad as torch
    import dagrad.autograd.profiler
    from dagrad.ops import _registry
    plain = _registry.Op.__call__
    _loop_time(torch, iters)                           # warm-up
    if mode == "after":
        with torch.autograd.profiler.profile():
            (torch.ones(2) * 2).sum()
        assert _registry.Op.__call__ is plain, "profile() left Op.__call__ wrapped"
    if mode == "on":
        times = [_loop_time(torch, iters, profiled=True) for _ in range(repeats)]
    else:
        times = [_loop_time(torch, iters) for _ in range(repeats)]
    print(statistics.median(times))


def _run(mode: str, repeats: int, iters: int) -> float:
    out = subprocess.run([sys.executable, __file__, "--child", mode, "--repeats", str(repeats),
                          "--iters", str(iters)], check=True, capture_output=True, text=True)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--repeats", type=int, default=9)
    ap.add_argument("--iters", type=int, default=1000)
    ap.add_argument("--child", choices=("before", "after", "on"))
    args = ap.parse_args()
    if args.child:
        _child(args.child, args.repeats, args.iters)
        return
    res: dict[str, list[float]] = {"before": [], "after": [], "on": []}
    for _ in range(args.rounds):
        for mode, times in res.items():
            times.append(_run(mode, args.repeats, args.iters))
    med = {m: statistics.median(v) for m, v in res.items()}
    per_op = 2 * args.iters
    print(f"seed 002 loop, {args.iters} iterations ({per_op} ops), median of {args.rounds} "
          f"rounds x {args.repeats} repeats, 1 thread")
    for mode, label in (("before", "never profiled"), ("after", "after a profile() block"),
                        ("on", "inside profile()")):
        print(f"  {label:<26}{med[mode] * 1e3:9.3f} ms  {med[mode] / per_op * 1e6:7.3f} us/op")
    ratios = [a / b for a, b in zip(res["after"], res["before"], strict=True)]
    print(f"  after / before: {med['after'] / med['before']:.3f} "
          f"(per-round ratios {min(ratios):.3f}..{max(ratios):.3f})")
    print(f"  profiling on / off: {med['on'] / med['before']:.2f}")


if __name__ == "__main__":
    main()
