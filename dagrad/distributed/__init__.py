"""``dagrad.distributed``: data-parallel training across processes and machines, over MPI.

PyTorch's ``torch.distributed`` API with one backend, ``"mpi"``. Start N processes with the MPI
launcher; each learns its rank and the world size from it:

    # mpiexec -n 2 python train.py
    import dagrad.distributed as dist
    dist.init_process_group("mpi")
    t = dagrad.ones(3) * dist.get_rank()
    dist.all_reduce(t)                   # in place: tensor([1., 1., 1.]) on both ranks

Importing this package does not load MPI; ``init_process_group`` does (mpi4py, installed with
``pip install dagrad[distributed]``). Model training: ``dagrad.nn.parallel.DistributedDataParallel``
and ``dagrad.utils.data.distributed.DistributedSampler``.
"""
from __future__ import annotations

from dagrad.distributed.distributed_c10d import (  # noqa: F401
    Backend,
    DistBackendError,
    DistError,
    GroupMember,
    ProcessGroup,
    RedOpType,
    ReduceOp,
    Work,
    all_gather,
    all_gather_object,
    all_reduce,
    barrier,
    broadcast,
    broadcast_object_list,
    default_pg_timeout,
    destroy_process_group,
    get_backend,
    get_rank,
    get_world_size,
    group,
    init_process_group,
    is_available,
    is_gloo_available,
    is_initialized,
    is_mpi_available,
    is_nccl_available,
    is_torchelastic_launched,
    is_ucc_available,
    reduce,
    reduce_scatter,
)
