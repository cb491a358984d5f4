"""Run by test_distributed.py: a job whose ranks fail must end, not hang.

``mpiexec -n 2 python _worker_failure.py raise``: rank 1 raises while rank 0 waits in
all_reduce; the excepthook of init_process_group aborts every rank, so mpiexec exits non-zero.
``... timeout``: rank 1 never calls the collective; rank 0's all_reduce times out after 2 s
(``init_process_group(timeout=...)``), raises DistBackendError, and that aborts the job.
"""
from __future__ import annotations

import datetime
import sys
import time

import dagrad
import dagrad.distributed as dist


def main(mode: str) -> None:
    dist.init_process_group("mpi", timeout=datetime.timedelta(seconds=2))
    rank = dist.get_rank()
    if rank == 1:
        if mode == "raise":
            raise RuntimeError("boom on rank 1")
        time.sleep(120)                       # never reaches the collective
    dist.all_reduce(dagrad.ones(3))           # rank 0 waits here for rank 1
    print(f"RANK {rank} finished, which it must not", flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
