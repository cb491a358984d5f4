"""Data-parallel scaling over MPI: 2 ranks vs 1 on the same global batch, and what bucketing with
overlapped all-reduce saves over one all-reduce after backward.

    python bench/bench_ddp.py [--global-batch 256] [--steps 5] [--rounds 7] [--pin]

Needs ``pip install dagrad[distributed]``. The driver starts ``mpiexec -n 1`` and ``mpiexec -n 2``
on this file (``--worker``) and prints one table. A training step is forward, cross-entropy,
backward and SGD on an MLP 512-1024-1024-1024-1024-10 (3.7M float32 parameters, 14.7 MB of
gradients per step), with the global batch split evenly over the ranks. Per variant, each round
times ``--steps`` steps after a barrier and keeps the slowest rank's time per step; the table
shows the median over rounds, the variants interleaved round by round so that load from other
processes on the machine hits them alike. BLAS/OpenMP are pinned to one thread per process;
``--pin`` also pins rank r to CPU r.

Variants on 2 ranks:
    compute only            no communication at all: the floor for 2 ranks
    one all-reduce after    backward, then every gradient in one flat all-reduce, then SGD
    DDP, N MiB buckets      DistributedDataParallel: bucketed all-reduces launched during backward

Scaling efficiency = T(1 rank) / (2 x T(2 ranks, DDP default)). Overlap gain = time saved per
step by DDP over "one all-reduce after", also as a share of the communication cost
(T(after) - T(compute only)).
"""
from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
             "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Callable  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
WIDTHS = (512, 1024, 1024, 1024, 1024, 10)


def _model(nn: object) -> object:
    layers = []
    for a, b in zip(WIDTHS[:-1], WIDTHS[1:], strict=True):
        layers += [nn.Linear(a, b), nn.ReLU()]
    return nn.Sequential(*layers[:-1])


def worker(args: argparse.Namespace) -> None:
    import numpy as np

    import dagrad as torch
    import dagrad.distributed as dist
    from dagrad import nn
    from dagrad.nn import functional as F
    from dagrad.nn.parallel import DistributedDataParallel as DDP

    dist.init_process_group("mpi")
    rank, world = dist.get_rank(), dist.get_world_size()
    if args.pin and hasattr(os, "sched_setaffinity"):
        cpus = sorted(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpus[rank % len(cpus)]})
    local = args.global_batch // world
    torch.manual_seed(rank)
    x = torch.randn(local, WIDTHS[0])
    y = torch.from_numpy(np.random.default_rng(rank).integers(0, WIDTHS[-1], local))

    def plain_step(model: object, opt: object, after: Callable[[object], None] | None) -> None:
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        if after is not None:
            after(model)
        opt.step()

    def one_allreduce(model: object) -> None:
        grads = [p.grad.numpy() for p in model.parameters()]
        flat = torch.from_numpy(np.concatenate([g.ravel() for g in grads]))
        flat /= world
        dist.all_reduce(flat)
        offset = 0
        for g in grads:
            g[...] = flat.numpy()[offset:offset + g.size].reshape(g.shape)
            offset += g.size

    variants: dict[str, Callable[[], None]] = {}
    info: dict[str, int] = {}

    def add_plain(name: str, after: Callable | None) -> None:
        model = _model(nn)
        opt = torch.optim.SGD(model.parameters(), lr=1e-3)
        variants[name] = lambda: plain_step(model, opt, after)

    def add_ddp(name: str, cap: float) -> None:
        model = DDP(_model(nn), bucket_cap_mb=cap)
        opt = torch.optim.SGD(model.parameters(), lr=1e-3)
        variants[name] = lambda: plain_step(model, opt, None)
        info[name] = len(model.reducer.buckets)

    if world == 1:
        add_plain("local step", None)
    else:
        add_plain("compute only", None)
        add_plain("one all-reduce after", one_allreduce)
        add_ddp("DDP, 25 MiB buckets", 25)
        add_ddp("DDP, 4 MiB buckets", 4)
        add_ddp("DDP, 1 MiB buckets", 1)
    names = list(variants)
    for name in names:                                    # warm-up
        for _ in range(2):
            variants[name]()
    times: dict[str, list[float]] = {n: [] for n in names}
    for r in range(args.rounds):
        order = names[r % len(names):] + names[:r % len(names)]
        for name in order:
            dist.barrier()
            start = time.perf_counter()
            for _ in range(args.steps):
                variants[name]()
            per_step = torch.tensor([(time.perf_counter() - start) / args.steps],
                                    dtype=torch.float64)
            dist.all_reduce(per_step, op=dist.ReduceOp.MAX)
            times[name].append(per_step.item())
    if rank == 0:
        print("RESULT " + json.dumps({"world": world, "times": times, "buckets": info}),
              flush=True)
    dist.destroy_process_group()


def launch(n: int, args: argparse.Namespace) -> dict:
    mpiexec = Path(sys.executable).parent / "mpiexec"
    mpiexec = str(mpiexec) if mpiexec.exists() else shutil.which("mpiexec")
    if mpiexec is None:
        sys.exit("mpiexec not found: pip install dagrad[distributed]")
    cmd = [mpiexec, "-n", str(n), sys.executable, __file__, "--worker",
           "--global-batch", str(args.global_batch), "--steps", str(args.steps),
           "--rounds", str(args.rounds)] + (["--pin"] if args.pin else [])
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900)
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
    med = {(1, k): statistics.median(v) for k, v in one["times"].items()}
    med.update({(2, k): statistics.median(v) for k, v in two["times"].items()})
    params = sum(a * b + b for a, b in zip(WIDTHS[:-1], WIDTHS[1:], strict=True))
    print(f"MLP {'-'.join(map(str, WIDTHS))}: {params / 1e6:.2f}M float32 parameters "
          f"({params * 4 / 2**20:.1f} MiB of gradients); global batch {args.global_batch}; "
          f"median of {args.rounds} rounds x {args.steps} steps; {os.cpu_count()} CPUs"
          + (", ranks pinned" if args.pin else ""))
    print(f"{'ranks':>5}  {'variant':<24} {'buckets':>7} {'ms/step':>9} {'samples/s':>10}")
    for (n, name), t in med.items():
        buckets = two["buckets"].get(name, "") if n == 2 else ""
        print(f"{n:>5}  {name:<24} {buckets!s:>7} {t * 1e3:9.1f} {args.global_batch / t:10.0f}")
    t1 = med[(1, "local step")]
    ddp = med[(2, "DDP, 25 MiB buckets")]
    best = min((med[(2, k)], k) for k in two["times"] if k.startswith("DDP"))
    after, floor = med[(2, "one all-reduce after")], med[(2, "compute only")]
    print(f"scaling efficiency, 2 ranks vs 1 (DDP default buckets): {t1 / (2 * ddp):.0%} "
          f"(speed-up {t1 / ddp:.2f}x); with {best[1]}: {t1 / (2 * best[0]):.0%}")
    print(f"ceiling without communication (compute only): {t1 / (2 * floor):.0%}")
    comm = after - floor
    for t, name in sorted((med[(2, k)], k) for k in two["times"] if k.startswith("DDP")):
        hidden = f", {(after - t) / comm:.0%} of the communication time" if comm > 0 else ""
        print(f"overlap gain, {name} vs one all-reduce after backward: "
              f"{(after - t) * 1e3:+.1f} ms/step ({after / t - 1:+.1%} throughput{hidden})")


if __name__ == "__main__":
    main()
