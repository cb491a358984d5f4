"""Measure one benchmark's memory for one backend, in this (fresh) process; print JSON.

    python -m bench.memory B3 dagrad [--quick] [--rss]

Run by bench.run, one process per benchmark and backend, so one backend's allocations and
imports never count against another's. Without --rss: the peak of one unit of work
(harness.measure_peak; --quick skips its tracemalloc pass). With --rss: the module's
extra_memory() (B7's RSS over a long loop).
"""
from __future__ import annotations

import argparse
import json
import sys
import traceback

import bench  # noqa: F401  (pins the thread pools first)
from bench import harness


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.memory")
    ap.add_argument("bench")
    ap.add_argument("backend", choices=harness.BACKENDS)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--rss", action="store_true")
    a = ap.parse_args(argv)
    from bench.run import MODULES
    mod = MODULES[a.bench]
    try:
        if a.rss:
            out = mod.extra_memory(a.backend, a.quick)
        else:
            case = mod.make(a.backend, a.quick)
            case.setup()
            out = harness.measure_peak(case, trace=not a.quick)
    except harness.NotAvailable as e:
        out = {"na": str(e)}
    except Exception as e:
        traceback.print_exc()
        out = {"error": f"{type(e).__name__}: {e}"}
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
