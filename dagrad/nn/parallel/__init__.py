"""``dagrad.nn.parallel``: ``DistributedDataParallel``, data parallelism across processes (MPI).

Example:
    >>> # mpiexec -n 2 python train.py
    >>> from dagrad.nn.parallel import DistributedDataParallel as DDP
    >>> dagrad.distributed.init_process_group("mpi")
    >>> model = DDP(nn.Linear(10, 1))
"""
from __future__ import annotations

from dagrad.nn.parallel.distributed import DistributedDataParallel  # noqa: F401
