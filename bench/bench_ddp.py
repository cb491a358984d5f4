"""Data-parallel scaling over MPI: 2 ranks vs 1 on the same global batch, and what bucketing with
overlapped all-reduce saves over one all-reduce after backward.

    python bench/bench_ddp.py [--global-batch 256] [--steps 5] [--rounds 7] [--pin]

Needs ``pip install dagrad[distributed]``. The driver starts ``mpiexec -n 1`` and ``mpiexec -n 2``
on this file (``--worker``) and prints one table. A training step is forward, cross-entropy,
backward and SGD on an MLP 512-1024-1024-1024-1024-10 (3.7M float32 parameters, 14.1 MiB of
gradients per step), the global batch split evenly over the ranks. Per variant, each round times
``--steps`` steps after a barrier and keeps the slowest rank's time per step; the table shows the
median over rounds, the variants interleaved round by round so that load from other processes on
the machine hits them alike. BLAS/OpenMP use one thread per process; ``--pin`` also pins rank r
to CPU r.

Variants on 2 ranks:
    compute only           no communication at all: the floor for 2 ranks
    one all-reduce after   backward, then every gradient in one flat all-reduce, then SGD
    DDP, N MiB buckets     DistributedDataParallel: bucketed all-reduces launched during backward
    ... + progress thread  the same with MPI progress driven by a thread during backward
                           (Note [Progress thread]; off by default where ranks >= cores)

"exposed" is the time per step spent waiting for communication after backward: the flat
all-reduce, or DDP's wait for its outstanding buckets at the end of backward.
Scaling efficiency = T(1 rank) / (2 x T(2 ranks, DDP default)). Overlap gain = time per step
saved by DDP over "one all-reduce after".
"""
from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
             "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS"):
    os.environ[_var] = "1"

import argparse
import itertools
import json
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WIDTHS = (512, 1024, 1024, 1024, 1024, 10)


def _model(nn: object) -> object:
    layers = []
    for a, b in itertools.pairwise(WIDTHS):
        layers += [nn.Linear(a, b), nn.ReLU()]
    return nn.Sequential(*layers[:-1])


class _Timer:
    """Accumulates the seconds spent inside the functions it wraps."""

    def __init__(self) -> None:
        self.total = 0.0

    def wrap(self, fn: Callable) -> Callable:
        def timed(*a: object) -> object:
            start = time.perf_counter()
            try:
                return fn(*a)
            finally:
                self.total += time.perf_counter() - start
        return timed


def worker(args: argparse.Namespace) -> None:
    import numpy as np

    import dagrad as torch
    import dagrad.distributed as dist
    from dagrad import nn
    from dagrad.nn import functional as F
    from dagrad.nn.parallel import DistributedDataParallel as DDP

    dist.init_process_group("mpi")
    rank, world = dist.get_rank(), dist.get_world_size()
    pg = dist.group.WORLD
    progress = pg._progress
    if args.pin and hasattr(os, "sched_setaffinity"):
        cpus = sorted(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpus[rank % len(cpus)]})
    local = args.global_batch // world
    torch.manual_seed(rank)
    x = torch.randn(local, WIDTHS[0])
    y = torch.from_numpy(np.random.default_rng(rank).integers(0, WIDTHS[-1], local))

    variants: dict[str, Callable[[], None]] = {}
    timers: dict[str, _Timer] = {}
    buckets: dict[str, int] = {}

    def add(name: str, model: object, thread: bool = True) -> None:
        opt = torch.optim.SGD(model.parameters(), lr=1e-3)

        def step() -> None:
            pg._progress = progress if thread else None
            opt.zero_grad()
            F.cross_entropy(model(x), y).backward()
            opt.step()
        variants[name] = step
        timers[name] = _Timer()

    def one_allreduce(model: object) -> None:
        grads = [p.grad.numpy() for p in model.parameters()]
        flat = torch.from_numpy(np.concatenate([g.ravel() for g in grads]))
        flat /= world
        dist.all_reduce(flat)
        offset = 0
        for g in grads:
            g[...] = flat.numpy()[offset:offset + g.size].reshape(g.shape)
            offset += g.size

    def add_ddp(name: str, cap: float, thread: bool = True) -> None:
        model = DDP(_model(nn), bucket_cap_mb=cap)
        add(name, model, thread=thread)
        model.reducer._finalize = timers[name].wrap(model.reducer._finalize)
        buckets[name] = len(model.reducer.buckets)

    if world == 1:
        add("local step", _model(nn))
    else:
        add("compute only", _model(nn))
        timers["one all-reduce after"] = _Timer()          # its all-reduce: no thread
        model_after = _model(nn)
        opt_after = torch.optim.SGD(model_after.parameters(), lr=1e-3)
        reduce_after = timers["one all-reduce after"].wrap(one_allreduce)

        def step_after() -> None:
            pg._progress = None
            opt_after.zero_grad()
            F.cross_entropy(model_after(x), y).backward()
            reduce_after(model_after)
            opt_after.step()
        variants["one all-reduce after"] = step_after
        add_ddp("DDP, 25 MiB buckets", 25, thread=False)
        add_ddp("DDP, 4 MiB buckets", 4, thread=False)
        if progress is not None:
            add_ddp("DDP, 25 MiB + progress thread", 25)
            add_ddp("DDP, 4 MiB + progress thread", 4)
    names = list(variants)
    for name in names:                                    # warm-up
        for _ in range(2):
            variants[name]()
    times: dict[str, list[float]] = {n: [] for n in names}
    exposed: dict[str, list[float]] = {n: [] for n in names}
    for r in range(args.rounds):
        order = names[r % len(names):] + names[:r % len(names)]
        for name in order:
            dist.barrier()
            timers[name].total = 0.0
            start = time.perf_counter()
            for _ in range(args.steps):
                variants[name]()
            per_step = torch.tensor([(time.perf_counter() - start) / args.steps,
                                     timers[name].total / args.steps], dtype=torch.float64)
            dist.all_reduce(per_step, op=dist.ReduceOp.MAX)
            times[name].append(per_step[0].item())
            exposed[name].append(per_step[1].item())
    pg._progress = progress
    if rank == 0:
        print("RESULT " + json.dumps({"world": world, "times": times, "exposed": exposed,
                                      "buckets": buckets}), flush=True)
    dist.destroy_process_group()


def launch(n: int, args: argparse.Namespace) -> dict:
    mpiexec = Path(sys.executable).parent / "mpiexec"
    mpiexec = str(mpiexec) if mpiexec.exists() else shutil.which("mpiexec")
    if mpiexec is None:
        sys.exit("mpiexec not found: pip install dagrad[distributed]")
    cmd = [mpiexec, "-n", str(n), sys.executable, __file__, "--worker",
           "--global-batch", str(args.global_batch), "--steps", str(args.steps),
           "--rounds", str(args.rounds)] + (["--pin"] if args.pin else [])
    env = dict(os.environ, PYTHONPATH=str(ROOT), DAGRAD_MPI_PROGRESS_THREAD="1")
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900,
                         check=False)
    for line in out.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT "):])
    sys.exit(f"mpiexec -n {n} failed:\n{out.stdout}\n{out.stderr}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--global-batch", type=int, default=256)
    p.add_argument("--steps", type=int, default=5, help="steps per timing round")
    p.add_argument("--rounds", type=int, default=7)
    p.add_argument("--pin", action="store_true", help="pin rank r to CPU r")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker:
        worker(args)
        return
    one, two = launch(1, args), launch(2, args)
    rows = [(1, k, v, None) for k, v in one["times"].items()]
    rows += [(2, k, v, two["exposed"][k]) for k, v in two["times"].items()]
    med = {(n, k): statistics.median(v) for n, k, v, _ in rows}
    params = sum(a * b + b for a, b in itertools.pairwise(WIDTHS))
    print(f"MLP {'-'.join(map(str, WIDTHS))}: {params / 1e6:.2f}M float32 parameters "
          f"({params * 4 / 2**20:.1f} MiB of gradients); global batch {args.global_batch}; "
          f"median of {args.rounds} rounds x {args.steps} steps; {os.cpu_count()} CPUs"
          + (", ranks pinned" if args.pin else ""))
    print(f"{'ranks':>5}  {'variant':<32} {'buckets':>7} {'ms/step':>8} {'exposed':>8} "
          f"{'samples/s':>10}")
    for n, name, _, exp in rows:
        t = med[(n, name)]
        b = two["buckets"].get(name, "") if n == 2 else ""
        e = f"{statistics.median(exp) * 1e3:8.1f}" if exp and name != "compute only" else ""
        print(f"{n:>5}  {name:<32} {b!s:>7} {t * 1e3:8.1f} {e:>8} "
              f"{args.global_batch / t:10.0f}")
    t1, ddp = med[(1, "local step")], med[(2, "DDP, 25 MiB buckets")]
    after, floor = med[(2, "one all-reduce after")], med[(2, "compute only")]
    print(f"scaling efficiency, 2 ranks vs 1 (DDP default buckets): {t1 / (2 * ddp):.0%} "
          f"(speed-up {t1 / ddp:.2f}x); without any communication: {t1 / (2 * floor):.0%}")
    for n, name, _, _ in rows:
        if name.startswith("DDP"):
            t = med[(n, name)]
            print(f"overlap gain, {name} vs one all-reduce after backward: "
                  f"{(after - t) * 1e3:+.1f} ms/step ({after / t - 1:+.1%} throughput)")


if __name__ == "__main__":
    main()
