"""Run by test_distributed.py as ``mpiexec -n 2 python tests/distributed/_worker_equivalence.py``.

DistributedDataParallel on W ranks with per-rank batch B must train exactly like one process on
batch W*B: same initial model (rank 0's, broadcast by DDP), same data split. Every rank also
trains that single-process reference locally on the whole batch and compares, in float64, after
every configuration: one bucket, many small buckets, gradient_as_bucket_view, no_sync gradient
accumulation, and find_unused_parameters with branches used on some ranks only. Prints
``RANK r OK name`` per check; any failure raises, which aborts the whole job.
"""
from __future__ import annotations

import copy
import os
import sys

import numpy as np

import dagrad
import dagrad.distributed as dist
from dagrad import nn
from dagrad.nn.parallel import DistributedDataParallel as DDP

STEPS = 4
B = 5                      # per-rank batch
IN, HID, OUT = 6, 16, 3


class Branchy(nn.Module):
    """A body and two heads; ``forward(x, head)`` uses one head. ``never`` is never used."""

    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Linear(IN, HID), nn.Tanh(), nn.Linear(HID, HID), nn.Tanh())
        self.head_a = nn.Linear(HID, OUT)
        self.head_b = nn.Linear(HID, OUT)
        self.never = nn.Linear(OUT, OUT)

    def forward(self, x: dagrad.Tensor, head: str = "a") -> dagrad.Tensor:
        h = self.body(x)
        return self.head_a(h) if head == "a" else self.head_b(h)


class Plain(nn.Module):
    """Every parameter is used in every forward (``head`` is ignored)."""

    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Linear(IN, HID), nn.Tanh(), nn.Linear(HID, HID), nn.Tanh(),
                                  nn.Linear(HID, OUT))

    def forward(self, x: dagrad.Tensor, head: str = "a") -> dagrad.Tensor:
        return self.body(x)


def check(cond: bool, what: str) -> None:
    if not cond:
        raise AssertionError(f"rank {dist.get_rank()}: {what}")


def max_rel_diff(a: nn.Module, b: nn.Module) -> float:
    worst = 0.0
    for (na, pa), (nb, pb) in zip(a.named_parameters(), b.named_parameters(), strict=True):
        check(na == nb, f"parameter names differ: {na} vs {nb}")
        x, y = pa.detach().numpy(), pb.detach().numpy()
        worst = max(worst, float(np.max(np.abs(x - y) / np.maximum(np.abs(y), 1e-12))))
    return worst


def same_on_all_ranks(model: nn.Module) -> bool:
    flat = np.concatenate([p.detach().numpy().ravel() for p in model.parameters()])
    everyone = [dagrad.zeros(flat.size, dtype=dagrad.float64) for _ in range(dist.get_world_size())]
    dist.all_gather(everyone, dagrad.from_numpy(flat))
    return all(np.array_equal(e.numpy(), flat) for e in everyone)


def heads_for(step: int, world: int) -> list[str]:
    """Which head each rank uses at ``step`` (the find_unused_parameters configuration)."""
    if step % 3 == 0:
        return ["a"] * world                       # head_b unused everywhere
    if step % 3 == 1:
        return ["b"] * world                       # head_a unused everywhere
    return ["a" if r % 2 == 0 else "b" for r in range(world)]   # each head used on some rank


def run(name: str, rank: int, world: int, micro: int = 1, branches: bool = False,
        **ddp_kwargs: object) -> None:
    dagrad.manual_seed(100 + rank)                 # different on every rank: DDP must broadcast
    model = Branchy() if branches else Plain()
    ddp = DDP(model, **ddp_kwargs)
    ref = copy.deepcopy(model)                     # rank 0's initial weights, on every rank
    check(same_on_all_ranks(model), f"{name}: initial parameters differ across ranks")
    opt = dagrad.optim.SGD(ddp.parameters(), lr=0.1, momentum=0.9)
    ref_opt = dagrad.optim.SGD(ref.parameters(), lr=0.1, momentum=0.9)
    rng = np.random.default_rng(7)                 # the same data on every rank
    for step in range(STEPS):
        xs = rng.standard_normal((micro, world * B, IN))
        ys = rng.standard_normal((micro, world * B, OUT))
        opt.zero_grad()
        ref_opt.zero_grad()
        for k in range(micro):
            # with branches, a head may be used in a no_sync micro-batch and not in the synced one
            heads = heads_for(step * micro + k, world) if branches else ["a"] * world
            x = dagrad.from_numpy(xs[k, rank * B:(rank + 1) * B].copy())
            y = dagrad.from_numpy(ys[k, rank * B:(rank + 1) * B].copy())
            if k < micro - 1:
                with ddp.no_sync():
                    nn.functional.mse_loss(ddp(x, heads[rank]), y).backward()
            else:
                nn.functional.mse_loss(ddp(x, heads[rank]), y).backward()
            # reference: the mean over the whole batch, as the average of the ranks' shares
            parts = []
            for r in range(world):
                xr = dagrad.from_numpy(xs[k, r * B:(r + 1) * B].copy())
                yr = dagrad.from_numpy(ys[k, r * B:(r + 1) * B].copy())
                parts.append(nn.functional.mse_loss(ref(xr, heads[r]), yr))
            (sum(parts) / world).backward()
        for (n, p), q in zip(model.named_parameters(), ref.parameters(), strict=True):
            check((p.grad is None) == (q.grad is None),
                  f"{name} step {step}: {n}.grad is {p.grad} but the reference has {q.grad}")
            if p.grad is not None:
                check(np.allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-9, atol=1e-12),
                      f"{name} step {step}: {n}.grad differs from the single-process gradient")
        opt.step()
        ref_opt.step()
    diff = max_rel_diff(model, ref)
    check(diff < 1e-6, f"{name}: parameters differ from the single-process run by {diff:.3g}")
    check(same_on_all_ranks(model), f"{name}: parameters differ across ranks after training")
    if branches:
        check(model.never.weight.grad is None, f"{name}: a never-used parameter got a gradient")
    if ddp_kwargs.get("gradient_as_bucket_view"):
        views = ddp.reducer.views
        check(all(p.grad is None or p.grad.numpy() is views[i]
                  for i, p in enumerate(ddp.reducer.params)),
              f"{name}: .grad is not a view of the bucket")
    print(f"RANK {rank} OK {name} (max relative difference {diff:.2e}, "
          f"{len(ddp.reducer.buckets)} buckets)", flush=True)


def unfinished_reduction_raises(rank: int) -> None:
    ddp = DDP(Branchy())
    x = dagrad.ones(2, IN, dtype=dagrad.float64)
    ddp(x, "a").sum().backward()                   # head_b and `never` get no gradient
    try:
        ddp(x, "a")
    except RuntimeError as e:
        check("Expected to have finished reduction in the prior iteration" in str(e), str(e))
        check("find_unused_parameters=True" in str(e), str(e))
    else:
        raise AssertionError("a forward after an incomplete reduction did not raise")
    print(f"RANK {rank} OK unfinished reduction raises", flush=True)


def main() -> None:
    dagrad.set_default_dtype(dagrad.float64)
    dist.init_process_group("mpi")
    rank, world = dist.get_rank(), dist.get_world_size()
    check(world >= 2, f"run with mpiexec -n 2 or more (world size {world})")
    if os.environ.get("DAGRAD_MPI_PROGRESS_THREAD") == "1":
        check(dist.group.WORLD._progress is not None, "DAGRAD_MPI_PROGRESS_THREAD=1: no thread")
    branchy = {"branches": True, "find_unused_parameters": True}
    run("one bucket", rank, world)
    run("many buckets", rank, world, bucket_cap_mb=0.0002)
    run("gradient_as_bucket_view", rank, world, bucket_cap_mb=0.0002, gradient_as_bucket_view=True)
    run("no_sync accumulation", rank, world, micro=3, bucket_cap_mb=0.0002)
    run("find_unused_parameters", rank, world, bucket_cap_mb=0.0002, **branchy)
    run("find_unused_parameters + bucket view + no_sync", rank, world, micro=2,
        bucket_cap_mb=0.002, gradient_as_bucket_view=True, **branchy)
    unfinished_reduction_raises(rank)
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
    sys.exit(0)
