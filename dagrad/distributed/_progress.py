"""A background thread that keeps nonblocking collectives moving while Python computes.

Note [Progress thread]
MPI moves a nonblocking collective forward only while some MPI call runs on that process (MPICH
and Open MPI have no progress of their own by default): a large all-reduce travels in steps,
one or a few per call. Without help, an all-reduce launched early in backward advances only
when the reducer polls it (once per gradient hook) and in the final ``wait()``. So while an
``async_op=True`` collective is in flight, a daemon thread enters MPI's progress engine
(``MPI_Iprobe``) every ~50 us. NumPy kernels release the GIL, so these calls run alongside
backward's arithmetic; each costs a few microseconds. PyTorch's MPI backend likewise drives MPI
from a thread of its own.

The thread only polls: it never tests or completes a request (requests belong to the thread
that waits on them), so no MPI request handle is shared between threads. It needs MPI's
THREAD_MULTIPLE level (mpi4py asks for it by default). It is worth it only with a spare core:
where a node has no more cores than ranks (2 ranks on this project's 2-core machines), its
wake-ups take time from backward, and bench/bench_ddp.py measured no consistent gain there
(between -10% and +10% from run to run). So by default it runs only where the node has more
CPUs than MPI ranks; ``DAGRAD_MPI_PROGRESS_THREAD=1`` forces it on, ``=0`` off. The thread
stops when its process group is destroyed, and before MPI is finalized at exit.
"""
from __future__ import annotations

import os
import threading
import time
import weakref
from typing import Any

#: seconds between two progress calls while a collective is in flight
INTERVAL = 5e-5


class ProgressThread:
    """Drive MPI progress on ``comm`` while any tracked Work is pending."""

    def __init__(self, comm: Any) -> None:
        self._comm = comm
        self._pending: weakref.WeakSet = weakref.WeakSet()
        self._cv = threading.Condition()
        self._stop = False
        self._thread: threading.Thread | None = None

    @staticmethod
    def wanted(MPI: Any, comm: Any) -> bool:
        """Whether to start one for ``comm`` (collective: every rank must call it)."""
        setting = os.environ.get("DAGRAD_MPI_PROGRESS_THREAD", "auto")
        node = comm.Split_type(MPI.COMM_TYPE_SHARED)
        ranks_here = node.Get_size()
        node.Free()
        if setting == "0" or MPI.Query_thread() < MPI.THREAD_MULTIPLE:
            return False
        return setting == "1" or (os.cpu_count() or 1) > ranks_here

    def track(self, work: Any) -> None:
        """Poll until ``work`` is discarded (done) or garbage."""
        with self._cv:
            self._pending.add(work)
            if self._thread is None and not self._stop:
                self._thread = threading.Thread(target=self._run, name="dagrad-mpi-progress",
                                                daemon=True)
                self._thread.start()
            self._cv.notify()

    def discard(self, work: Any) -> None:
        self._pending.discard(work)

    def _run(self) -> None:
        comm = self._comm
        while True:
            with self._cv:
                while not self._stop and len(self._pending) == 0:
                    self._cv.wait()
                if self._stop:
                    return
            comm.Iprobe()                     # enters the progress engine; matches nothing
            time.sleep(INTERVAL)

    def stop(self) -> None:
        with self._cv:
            self._stop = True
            self._cv.notify()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join()
