"""dagrad.distributed without MPI: what works in one process with no launcher (and no mpi4py)."""
from __future__ import annotations

import re
import subprocess
import sys

import pytest

import dagrad
import dagrad.distributed as dist
from dagrad.distributed import _mpi
from dagrad.nn.parallel._reducer import compute_bucket_assignment_by_size
from dagrad.utils.data.distributed import DistributedSampler

NOT_INITIALIZED = ("Default process group has not been initialized, please make sure to call "
                   "init_process_group.")


def test_import_does_not_load_mpi() -> None:
    code = ("import sys, dagrad, dagrad.distributed, dagrad.nn.parallel, "
            "dagrad.utils.data.distributed; print('mpi4py' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("call", [
    lambda: dist.get_rank(), lambda: dist.get_world_size(), lambda: dist.barrier(),
    lambda: dist.all_reduce(dagrad.ones(1)), lambda: dist.broadcast(dagrad.ones(1), 0),
    lambda: dist.destroy_process_group(),
    lambda: dagrad.nn.parallel.DistributedDataParallel(dagrad.nn.Linear(1, 1)),
])
def test_before_init_raises_torch_message(call) -> None:
    assert not dist.is_initialized()
    with pytest.raises(ValueError, match=re.escape(NOT_INITIALIZED)):
        call()


def test_other_backends_are_refused_before_touching_mpi() -> None:
    with pytest.raises(RuntimeError, match="Distributed package doesn't have Gloo built in"):
        dist.init_process_group("gloo")
    with pytest.raises(RuntimeError, match="Distributed package doesn't have NCCL built in"):
        dist.init_process_group(backend="nccl")
    assert not dist.is_initialized()


def test_missing_mpi4py_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "mpi4py", None)      # makes `import mpi4py` fail
    with pytest.raises(ImportError, match=re.escape("pip install dagrad[distributed]")):
        _mpi.MPI()


def test_reduce_op_and_backend_names() -> None:
    assert dist.ReduceOp.SUM.name == "SUM" and dist.ReduceOp.AVG != dist.ReduceOp.SUM
    assert dist.Backend("MPI") == dist.Backend.MPI == "mpi"
    assert dist.group.WORLD is None


@pytest.mark.parametrize("n,replicas,drop_last", [
    (10, 3, False), (10, 3, True), (9, 3, False), (9, 3, True), (2, 3, False), (1, 4, False),
    (17, 2, True), (17, 2, False)])
def test_sampler_matches_torch_without_shuffle(n: int, replicas: int, drop_last: bool) -> None:
    torch_data = pytest.importorskip("torch.utils.data.distributed")
    for rank in range(replicas):
        ours = DistributedSampler(range(n), replicas, rank, shuffle=False, drop_last=drop_last)
        theirs = torch_data.DistributedSampler(range(n), replicas, rank, shuffle=False,
                                               drop_last=drop_last)
        assert list(ours) == list(theirs) and len(ours) == len(theirs)


def test_sampler_shuffle_is_a_shared_permutation_per_epoch() -> None:
    def shares(epoch: int, seed: int = 0) -> list[list[int]]:
        out = []
        for rank in range(3):
            s = DistributedSampler(range(12), num_replicas=3, rank=rank, seed=seed)
            s.set_epoch(epoch)
            out.append(list(s))
        return out
    e0 = shares(0)
    assert sorted(i for share in e0 for i in share) == list(range(12))   # a partition
    assert all(len(share) == 4 for share in e0)
    assert shares(0) == e0 and shares(1) != e0 and shares(0, seed=1) != e0


def test_sampler_bad_rank_raises_torch_message() -> None:
    with pytest.raises(ValueError, match=re.escape(
            "Invalid rank 2, rank should be in the interval [0, 1]")):
        DistributedSampler(range(4), num_replicas=2, rank=2)


def test_sampler_with_dataloader() -> None:
    from dagrad.utils.data import DataLoader, TensorDataset
    ds = TensorDataset(dagrad.arange(10))
    loader = DataLoader(ds, batch_size=2, sampler=DistributedSampler(ds, 2, 1, shuffle=False))
    assert [b.tolist() for (b,) in loader] == [[1, 3], [5, 7], [9]]


def test_buckets_reverse_order_first_bucket_small() -> None:
    # float64 parameters of 1000, 200000 (1.6 MB), 10, 10 elements
    ps = [dagrad.zeros(1000, dtype=dagrad.float64), dagrad.zeros(200000, dtype=dagrad.float64),
          dagrad.zeros(10, dtype=dagrad.float64), dagrad.zeros(10, dtype=dagrad.float64)]
    assert compute_bucket_assignment_by_size(ps, [1 << 20, 25 << 20]) == [[3, 2, 1], [0]]
    assert compute_bucket_assignment_by_size(ps, [100, 100]) == [[3, 2], [1], [0]]
    mixed = [dagrad.zeros(3), dagrad.zeros(3, dtype=dagrad.float64), dagrad.zeros(3)]
    assert compute_bucket_assignment_by_size(mixed, [1 << 20]) == [[2, 0], [1]]


def test_sampler_without_replicas_needs_an_initialised_group() -> None:
    # Like PyTorch: without mpi4py the package is "not available"; with it, not initialised.
    if dist.is_available():
        with pytest.raises(ValueError, match=re.escape(NOT_INITIALIZED)):
            DistributedSampler(range(4))
    else:
        with pytest.raises(RuntimeError, match="Requires distributed package to be available"):
            DistributedSampler(range(4))
