"""How much of B2's and B6's time goes to Python's cyclic garbage collector.

    python -m bench.diag_gc          # about 10 s

Runs dagrad's B2 and B6 cases (forward and backward, as the suite times them, with the same
gc.freeze() of everything alive before), and reports, per op, the time spent in collections of
each generation (through gc.callbacks) and how many there were, beside the forward and backward
medians. Every container a graph keeps alive is tracked by the collector; this is the measure
behind Note [Fewer tracked objects] in dagrad/ops/_registry.py. For comparison, PyTorch's nodes
are C++ objects the collector never sees.
"""
from __future__ import annotations

import gc
import statistics
import time

import bench  # noqa: F401  (pins the thread pools before NumPy loads)
from bench import b2_op_overhead, b6_scalar_graph


def measure(module: object, n: int, ops: int, rounds: int = 5) -> dict:
    case = module.make("dagrad", False)
    case.setup()
    case.reset()
    case.run(n)                                    # warm-up
    stats: dict[int, list] = {}
    start = [0.0]

    def callback(phase: str, info: dict) -> None:
        if phase == "start":
            start[0] = time.perf_counter()
        else:
            s = stats.setdefault(info["generation"], [0, 0.0])
            s[0] += 1
            s[1] += time.perf_counter() - start[0]

    gc.collect()
    gc.freeze()
    gc.callbacks.append(callback)
    try:
        t0 = time.perf_counter()
        runs = [case.run(n) for _ in range(rounds)]
        total = time.perf_counter() - t0
    finally:
        gc.callbacks.remove(callback)
        gc.unfreeze()
    units = ops * n * rounds
    return {"total_us": total / units * 1e6,
            "gc": {g: (c, t / units * 1e6) for g, (c, t) in sorted(stats.items())},
            "fwd_us": statistics.median(r["fwd_op"] for r in runs) * 1e6,
            "bwd_us": statistics.median(r["bwd_node"] for r in runs) * 1e6}


def main() -> None:
    for module, n, ops in ((b2_op_overhead, 3, b2_op_overhead.OPS),
                           (b6_scalar_graph, 1, b6_scalar_graph.OPS)):
        r = measure(module, n, ops)
        gcs = ", ".join(f"gen{g}: {c} collections {t:.3f} us/op" for g, (c, t) in r["gc"].items())
        print(f"{module.NAME}: forward {r['fwd_us']:.2f} us/op, "
              f"backward {r['bwd_us']:.2f} us/node, all {r['total_us']:.2f} us/op; "
              f"collector: {gcs or 'none'}")


if __name__ == "__main__":
    main()
