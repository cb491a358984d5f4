"""Run by test_distributed.py as ``mpiexec -n 2 python tests/distributed/_worker_collectives.py``.

Every collective on known tensors, with exact expected values computed from the rank numbers
(any world size >= 2): SUM/AVG/MAX/MIN/PRODUCT over several dtypes, async Work, broadcast from
every rank, all_gather, reduce_scatter, reduce, object collectives, non-contiguous tensors;
then the errors (wrong list lengths, bad ops, init twice, DDP misuse) and DistributedSampler
defaults from the group. Prints ``RANK r OK name`` per check; any failure aborts the job.
"""
from __future__ import annotations

import re
import warnings
from collections.abc import Callable

import numpy as np

import dagrad
import dagrad.distributed as dist
from dagrad import nn
from dagrad.distributed import ReduceOp
from dagrad.nn.parallel import DistributedDataParallel as DDP
from dagrad.utils.data.distributed import DistributedSampler


def check(cond: bool, what: str) -> None:
    if not cond:
        raise AssertionError(f"rank {dist.get_rank()}: {what}")


def equal(t: dagrad.Tensor, expected: np.ndarray, what: str) -> None:
    got = t.numpy()
    check(got.dtype == expected.dtype and got.shape == expected.shape
          and np.array_equal(got, expected), f"{what}: got {got!r}, expected {expected!r}")


def raises(exc: type, pattern: str, fn: Callable[[], object], what: str) -> None:
    try:
        fn()
    except exc as e:
        check(re.search(pattern, str(e)) is not None, f"{what}: message {str(e)!r}")
    else:
        raise AssertionError(f"{what}: no {exc.__name__} raised")


def reductions(rank: int, world: int) -> None:
    ranks = range(world)
    for dtype in (np.float64, np.float32, np.float16, np.int64, np.int32, np.complex128):
        base = np.array([1, -2, 3, 4], dtype=dtype)
        per_rank = [base * (r + 1) for r in ranks]     # rank r holds base * (r + 1)
        expected = {
            ReduceOp.SUM: sum(per_rank),
            ReduceOp.PRODUCT: np.prod(per_rank, axis=0).astype(dtype),
        }
        if dtype != np.complex128:
            expected[ReduceOp.MAX] = np.max(per_rank, axis=0)
            expected[ReduceOp.MIN] = np.min(per_rank, axis=0)
        if np.dtype(dtype).kind in "fc":
            expected[ReduceOp.AVG] = (sum(per_rank) / world).astype(dtype)
        else:
            s = sum(per_rank)
            expected[ReduceOp.AVG] = (np.sign(s) * (np.abs(s) // world)).astype(dtype)
        for op, want in expected.items():
            for async_op in (False, True):
                t = dagrad.from_numpy(per_rank[rank].copy())
                v0 = t._version
                work = dist.all_reduce(t, op=op, async_op=async_op)
                if async_op:
                    check(isinstance(work, dist.Work), "async all_reduce returns a Work")
                    check(work.wait() is True and work.is_completed(), "Work.wait/is_completed")
                    check(work.result()[0] is t, "Work.result() is [tensor]")
                else:
                    check(work is None, "sync all_reduce returns None")
                equal(t, want.astype(dtype), f"all_reduce {op.name} {np.dtype(dtype)}")
                check(t._version > v0, "all_reduce counts an in-place change")
    flags = dagrad.tensor([rank == 0, True, False])
    dist.all_reduce(flags)
    equal(flags, np.array([True, True, False]), "all_reduce SUM on bool is any()")
    flags = dagrad.tensor([rank == 0, True, False])
    dist.all_reduce(flags, op=ReduceOp.MIN)
    equal(flags, np.array([False, True, False]), "all_reduce MIN on bool is all()")
    bits = dagrad.tensor([1 << rank, 3])
    dist.all_reduce(bits, op=ReduceOp.BOR)
    equal(bits, np.array([(1 << world) - 1, 3]), "all_reduce BOR")
    # a non-contiguous view: reduced through a copy, written back into the view
    big = dagrad.arange(12.).reshape(3, 4) * (rank + 1)
    col = big[:, 1]
    dist.all_reduce(col)
    want = np.arange(12.).reshape(3, 4) * (rank + 1)
    want[:, 1] = np.array([1., 5., 9.]) * sum(r + 1 for r in ranks)
    equal(big, want, "all_reduce into a non-contiguous view")
    print(f"RANK {rank} OK all_reduce SUM/AVG/MAX/MIN/PRODUCT/BOR, sync and async", flush=True)


def others(rank: int, world: int) -> None:
    for src in range(world):
        t = dagrad.tensor([float(rank), 10. * rank])
        dist.broadcast(t, src=src)
        equal(t, np.array([src, 10. * src]), f"broadcast from {src}")
    t = dagrad.full((2, 2), float(rank))
    dist.broadcast(t, src=world - 1, async_op=True).wait()
    equal(t, np.full((2, 2), world - 1.), "async broadcast")
    out = [dagrad.zeros(2, 2) for _ in range(world)]
    dist.all_gather(out, dagrad.full((2, 2), float(rank)))
    for r in range(world):
        equal(out[r], np.full((2, 2), float(r)), f"all_gather slot {r}")
    ints = [dagrad.zeros(3, dtype=dagrad.int64) for _ in range(world)]
    dist.all_gather(ints, dagrad.tensor([rank, rank * 2, 7]), async_op=True).wait()
    for r in range(world):
        equal(ints[r], np.array([r, 2 * r, 7]), f"async all_gather slot {r}")
    # reduce_scatter: rank q contributes inputs[r] = (q + 1) * (r + 1) * [1, 2, 3]
    total = sum(q + 1 for q in range(world))
    for op, want in ((ReduceOp.SUM, total * (rank + 1) * np.array([1., 2., 3.])),
                     (ReduceOp.AVG, total * (rank + 1) * np.array([1., 2., 3.]) / world),
                     (ReduceOp.MAX, world * (rank + 1) * np.array([1., 2., 3.]))):
        ins = [dagrad.tensor([1., 2., 3.]) * ((rank + 1) * (r + 1)) for r in range(world)]
        o = dagrad.zeros(3)
        dist.reduce_scatter(o, ins, op=op)
        equal(o, want, f"reduce_scatter {op.name}")
    t = dagrad.tensor([float(rank + 1)])
    dist.reduce(t, dst=0)
    equal(t, np.array([float(total)] if rank == 0 else [float(rank + 1)]),
          "reduce to rank 0")
    objs: list = [None] * world
    dist.all_gather_object(objs, {"rank": rank})
    check(objs == [{"rank": r} for r in range(world)], f"all_gather_object: {objs}")
    lst = [rank, "x"] if rank == 1 else [None, None]
    dist.broadcast_object_list(lst, src=1)
    check(lst == [1, "x"], f"broadcast_object_list: {lst}")
    dist.barrier()
    dist.barrier(async_op=True).wait()
    print(f"RANK {rank} OK broadcast, all_gather, reduce_scatter, reduce, objects, barrier",
          flush=True)


def errors(rank: int, world: int) -> None:
    raises(ValueError, "trying to initialize the default process group twice!",
           lambda: dist.init_process_group("mpi"), "init twice")
    raises(ValueError, f"tensor_list has {world + 1} tensors but the group has {world} ranks",
           lambda: dist.all_gather([dagrad.zeros(1)] * (world + 1), dagrad.zeros(1)),
           "all_gather list length")
    raises(ValueError, r"tensor_list\[0\] has shape \[2\]",
           lambda: dist.all_gather([dagrad.zeros(2)] * world, dagrad.zeros(1)),
           "all_gather shape")
    raises(ValueError, "Cannot use ReduceOp.BAND with non-integral dtype",
           lambda: dist.all_reduce(dagrad.zeros(1), op=ReduceOp.BAND), "BAND on float")
    raises(ValueError, "invalid src rank", lambda: dist.broadcast(dagrad.zeros(1), src=world),
           "broadcast src")
    raises(TypeError, "Expected parameter `tensor` of type torch.Tensor",
           lambda: dist.all_reduce([1.0]), "all_reduce a list")
    raises(RuntimeError, "DistributedDataParallel is not needed when a module doesn't have any "
           "parameter that requires a gradient.", lambda: DDP(nn.ReLU()), "DDP without params")
    raises(ValueError, re.escape("but got device_ids [0], output_device None, and module "
                                 "parameters {device(type='cpu')}."),
           lambda: DDP(nn.Linear(2, 2), device_ids=[0]), "DDP device_ids")
    check(dist.get_backend() == "mpi" and dist.is_initialized(), "get_backend/is_initialized")
    check(dist.group.WORLD is dist.GroupMember.WORLD is not None, "group.WORLD")
    print(f"RANK {rank} OK error messages", flush=True)


def ddp_details(rank: int, world: int) -> None:
    dagrad.manual_seed(rank)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    model.register_buffer("steps", dagrad.tensor([float(rank)]))
    ddp = DDP(model)
    check(ddp.module is model, "DDP.module")
    check(list(ddp.state_dict()) == ["module." + k for k in model.state_dict()],
          f"DDP.state_dict keys: {list(ddp.state_dict())}")
    check(model.steps.item() == 0.0, "buffers broadcast from rank 0 at construction")
    model.steps.fill_(float(rank + 5))
    ddp(dagrad.ones(1, 3))
    check(model.steps.item() == 5.0, "buffers broadcast from rank 0 before forward")
    flat = np.concatenate([p.detach().numpy().ravel() for p in model.parameters()])
    everyone = [dagrad.zeros(flat.size) for _ in range(world)]
    dist.all_gather(everyone, dagrad.from_numpy(flat.copy()))
    check(all(np.array_equal(e.numpy(), flat) for e in everyone),
          "parameters broadcast from rank 0")
    print(f"RANK {rank} OK DDP module, state_dict, parameter and buffer broadcast", flush=True)


def sampler(rank: int, world: int) -> None:
    s = DistributedSampler(list(range(11)), shuffle=False)
    check(s.num_replicas == world and s.rank == rank, "sampler defaults from the group")
    mine = dagrad.tensor(list(s))
    shares = [dagrad.zeros(len(s), dtype=dagrad.int64) for _ in range(world)]
    dist.all_gather(shares, mine)
    seen = sorted(i for sh in shares for i in sh.tolist())
    check(set(seen) == set(range(11)) and len(seen) == len(s) * world,
          f"sampler shares cover the dataset: {seen}")
    print(f"RANK {rank} OK DistributedSampler defaults", flush=True)


def main() -> None:
    dagrad.set_default_dtype(dagrad.float64)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        dist.init_process_group("mpi", world_size=99, rank=7)
    check(any("are ignored since they are assigned by the MPI runtime" in str(w.message)
              for w in caught), "world_size/rank warning")
    rank, world = dist.get_rank(), dist.get_world_size()
    check(world >= 2, f"run with mpiexec -n 2 or more (world size {world})")
    reductions(rank, world)
    others(rank, world)
    errors(rank, world)
    ddp_details(rank, world)
    sampler(rank, world)
    dist.destroy_process_group()
    check(not dist.is_initialized(), "destroy_process_group")
    dist.init_process_group()
    t = dagrad.ones(1)
    dist.all_reduce(t)
    equal(t, np.array([float(world)]), "all_reduce after re-init")
    dist.destroy_process_group()
    print(f"RANK {rank} OK destroy and re-init", flush=True)


if __name__ == "__main__":
    main()
