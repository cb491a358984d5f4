"""Process groups and collectives over MPI, with ``torch.distributed``'s names and semantics.

One backend, ``"mpi"``: every rank is a process started by an MPI launcher
(``mpiexec -n 2 python train.py``), and rank and world size come from ``MPI.COMM_WORLD``.
Collectives work in place on dagrad tensors, like PyTorch's: ``all_reduce(t)`` leaves the sum in
``t`` on every rank. With ``async_op=True`` they return a :class:`Work` at once and finish in
``wait()``.

Note [Nonblocking everywhere]
MPI matches collectives by their order on a communicator, and a blocking collective never
matches a nonblocking one. So every collective here starts a nonblocking MPI call (Iallreduce,
Ibcast, ...), and ``async_op=False`` merely waits for it: a rank that calls ``all_reduce`` with
``async_op=True`` and one that calls it with ``async_op=False`` still meet. Like in PyTorch, all
ranks must call the same collectives in the same order.

Note [Timeouts]
MPI has no timeouts. ``wait()`` polls the request (``MPI_Test``) and raises ``DistBackendError``
once the group's ``timeout`` (``init_process_group(timeout=...)``, 30 minutes by default, as in
PyTorch) has passed; the uncaught error then ends the whole job (Note [Abort on uncaught
exceptions]). Each poll also advances the transfer: a large message moves in chunks, one per
MPI call. So for its first second a wait spins, yielding the CPU every 64 polls (for the other
processes of a busy machine); only a wait that has lasted a second (a peer that is late, not a
transfer under way) sleeps between polls, up to 1 ms.

Note [Abort on uncaught exceptions]
When one rank dies of an exception while the others sit in a collective, MPI waits forever:
Python's exit calls MPI_Finalize, which waits for the other ranks. ``init_process_group``
therefore chains a ``sys.excepthook`` that prints the traceback and then calls
``MPI.COMM_WORLD.Abort(1)``, so the launcher ends every rank and exits non-zero.
``destroy_process_group`` restores the previous hook.
"""
from __future__ import annotations

import atexit
import datetime
import enum
import os
import sys
import time
import warnings
from collections.abc import Callable
from typing import Any, Self

import numpy as np

from dagrad._tensor import Tensor
from dagrad.distributed import _mpi, _progress

default_pg_timeout = datetime.timedelta(minutes=30)

_NOT_INITIALIZED = ("Default process group has not been initialized, please make sure to call "
                    "init_process_group.")


class DistError(RuntimeError):
    """Raised when an error occurs in the distributed library (``torch.distributed.DistError``)."""


class DistBackendError(DistError):
    """Raised when the backend fails or times out (``torch.distributed.DistBackendError``)."""


DistError.__module__ = DistBackendError.__module__ = "dagrad.distributed"


class Backend(str):
    """A backend name, lower-cased: ``Backend("MPI") == "mpi"``. dagrad implements ``"mpi"``."""

    UNDEFINED = "undefined"
    GLOO = "gloo"
    NCCL = "nccl"
    UCC = "ucc"
    MPI = "mpi"
    XCCL = "xccl"

    def __new__(cls, name: str) -> Self:
        if not isinstance(name, str):
            msg = ("Backend constructor parameter must be string-ish, but got: "
                   f"{type(name).__name__}")
            raise ValueError(msg)  # noqa: TRY004  (PyTorch's type)
        return super().__new__(cls, name.lower())


class RedOpType(enum.IntEnum):
    SUM = 0
    AVG = 1
    PRODUCT = 2
    MIN = 3
    MAX = 4
    BAND = 5
    BOR = 6
    BXOR = 7
    PREMUL_SUM = 8


class ReduceOp:
    """The reductions of ``all_reduce``/``reduce_scatter``: ``ReduceOp.SUM``, ``AVG``, ``MAX``...

    ``AVG`` sums, then divides by the group size (integers: rounding toward zero).
    """

    SUM = RedOpType.SUM
    AVG = RedOpType.AVG
    PRODUCT = RedOpType.PRODUCT
    MIN = RedOpType.MIN
    MAX = RedOpType.MAX
    BAND = RedOpType.BAND
    BOR = RedOpType.BOR
    BXOR = RedOpType.BXOR
    PREMUL_SUM = RedOpType.PREMUL_SUM
    RedOpType = RedOpType


class ProcessGroup:
    """A communicator and what ``get_rank``/``get_world_size`` report for it.

    dagrad has one group, the default (``dagrad.distributed.group.WORLD``), over a private
    duplicate of ``MPI.COMM_WORLD`` (a user's own mpi4py traffic never mixes with it).
    """

    def __init__(self, comm: Any, timeout: datetime.timedelta) -> None:
        self.comm = comm
        self.timeout = timeout
        self._rank = comm.Get_rank()
        self._size = comm.Get_size()
        self._seq = 0
        self._progress: _progress.ProgressThread | None = None    # Note [Progress thread]

    def rank(self) -> int:
        return self._rank

    def size(self) -> int:
        return self._size

    def name(self) -> str:
        return Backend.MPI.upper()

    def __repr__(self) -> str:
        return f"ProcessGroup(backend='mpi', rank={self._rank}, size={self._size})"


class GroupMember:
    """``GroupMember.WORLD``: the default group once ``init_process_group`` ran, else None."""

    WORLD: ProcessGroup | None = None
    NON_GROUP_MEMBER = -100


class _GroupNamespace:
    """``dagrad.distributed.group.WORLD``: the default group (None before initialisation)."""

    @property
    def WORLD(self) -> ProcessGroup | None:
        return GroupMember.WORLD


group = _GroupNamespace()


class _World:
    excepthook: Callable | None = None    # the hook ours replaced (Note [Abort on ...])


# ---------------------------------------------------------------------------- Work
class Work:
    """A collective in flight (``async_op=True``): ``wait()`` finishes it, ``is_completed()``
    polls it.

    Example:
        >>> work = dist.all_reduce(t, async_op=True)
        >>> ...                            # compute while the reduction runs
        >>> work.wait()                    # now t holds the sum
        True
    """

    def __init__(self, pg: ProcessGroup, op_type: str, request: Any,
                 finish: Callable[[], None] | None, result: list[Tensor], numel: int,
                 keep: tuple = ()) -> None:
        pg._seq += 1
        self._pg = pg
        self._op_type = op_type
        self._seq = pg._seq
        self._request = request
        self._finish = finish
        self._result = result
        self._numel = numel
        self._done = False
        self._keep = keep           # buffers MPI reads or writes until the request completes

    def _complete(self) -> None:
        self._done = True
        self._request = None
        self._keep = ()
        if self._pg._progress is not None:
            self._pg._progress.discard(self)
        if self._finish is not None:
            finish, self._finish = self._finish, None
            finish()

    def is_completed(self) -> bool:
        """True once the collective has finished (drives MPI's progress engine once)."""
        if not self._done and self._request.Test():
            self._complete()
        return self._done

    def is_success(self) -> bool:
        return self.is_completed()

    def exception(self) -> None:
        return None

    def wait(self, timeout: datetime.timedelta | None = None) -> bool:
        """Block until the collective has finished and its results are in the tensors.

        Args:
            timeout: give up after this long (default: the group's timeout, Note [Timeouts]).

        Raises:
            DistBackendError: the timeout passed; the other ranks are likely stuck or dead.
        """
        if self._done:
            return True
        limit = (timeout or self._pg.timeout).total_seconds()
        request = self._request
        if not request.Test():
            start = time.monotonic()
            polls, pause = 0, 1e-4
            while not request.Test():
                polls += 1
                if polls & 63:
                    continue
                elapsed = time.monotonic() - start
                if elapsed > limit:
                    raise DistBackendError(
                        f"[Rank {self._pg.rank()}] Work(SeqNum={self._seq}, "
                        f"OpType={self._op_type}, NumelIn={self._numel}, "
                        f"Timeout(ms)={int(limit * 1000)}) ran for {int(elapsed * 1000)} "
                        "milliseconds before timing out: another rank may have failed or not "
                        "called this collective.")
                if elapsed < 1.0:
                    os.sched_yield()
                else:
                    time.sleep(pause)
                    pause = min(pause * 2, 1e-3)
        self._complete()
        return True

    def result(self) -> list[Tensor]:
        return list(self._result)

    def __repr__(self) -> str:
        state = "completed" if self._done else "pending"
        return f"Work(SeqNum={self._seq}, OpType={self._op_type}, {state})"


def _run(work: Work, async_op: bool) -> Work | None:
    if async_op:
        if work._pg._progress is not None:
            work._pg._progress.track(work)
        return work
    work.wait()
    return None


# ---------------------------------------------------------------------------- process group
def is_available() -> bool:
    """True when the distributed package can be used here (mpi4py is installed)."""
    return _mpi.available()


def is_mpi_available() -> bool:
    return _mpi.available()


def is_gloo_available() -> bool:
    return False


def is_nccl_available() -> bool:
    return False


def is_ucc_available() -> bool:
    return False


def is_initialized() -> bool:
    """True once ``init_process_group`` has run (and ``destroy_process_group`` has not)."""
    return GroupMember.WORLD is not None


def is_torchelastic_launched() -> bool:
    return False


def init_process_group(backend: str | None = None, init_method: str | None = None,
                       timeout: datetime.timedelta | None = None, world_size: int = -1,
                       rank: int = -1, store: Any = None, group_name: str = "",
                       pg_options: Any = None, device_id: Any = None) -> None:
    """Join the default process group: every process the MPI launcher started.

    Args:
        backend: ``"mpi"`` (the default and the only one dagrad has).
        init_method: ignored; the MPI launcher already connected the processes.
        timeout: how long a collective may wait before ``DistBackendError`` (default 30 min).
        world_size, rank: ignored with a warning, as in PyTorch: MPI assigns them.

    Example:
        >>> # mpiexec -n 2 python train.py
        >>> import dagrad.distributed as dist
        >>> dist.init_process_group("mpi")
        >>> dist.get_rank(), dist.get_world_size()
        (0, 2)
    """
    if GroupMember.WORLD is not None:
        raise ValueError("trying to initialize the default process group twice!")
    name = Backend(backend if backend is not None else Backend.MPI)
    if name.split(":")[0] in (Backend.GLOO, Backend.NCCL, Backend.UCC, Backend.XCCL):
        pretty = {"gloo": "Gloo", "nccl": "NCCL", "ucc": "UCC", "xccl": "XCCL"}[name]
        raise RuntimeError(f"Distributed package doesn't have {pretty} built in: dagrad's only "
                           "backend is 'mpi' (start the processes with mpiexec)")
    if name != Backend.MPI:
        raise ValueError(f"Invalid backend: '{backend}'; dagrad's only backend is 'mpi'")
    if timeout is not None and not isinstance(timeout, datetime.timedelta):
        raise TypeError(f"Expected timeout argument to be of type datetime.timedelta, got "
                        f"{timeout}")
    if world_size != -1 or rank != -1:
        warnings.warn(f"For MPI backend, world_size ({world_size}) and rank ({rank}) are ignored "
                      "since they are assigned by the MPI runtime.", stacklevel=2)
    MPI = _mpi.MPI()
    pg = ProcessGroup(MPI.COMM_WORLD.Dup(), timeout or default_pg_timeout)
    GroupMember.WORLD = pg
    if pg.size() > 1:
        _install_abort_hook(MPI)
        if _progress.ProgressThread.wanted(MPI, pg.comm):
            pg._progress = _progress.ProgressThread(pg.comm)
            atexit.register(pg._progress.stop)       # before mpi4py's MPI_Finalize (LIFO)


def destroy_process_group(group: ProcessGroup | None = None) -> None:
    """Leave the default group; ``init_process_group`` may be called again afterwards."""
    pg = GroupMember.WORLD
    if pg is None:
        raise ValueError(_NOT_INITIALIZED)
    if group is not None and group is not pg:
        raise ValueError("dagrad.distributed has only the default group to destroy")
    GroupMember.WORLD = None
    try:
        if pg._progress is not None:
            pg._progress.stop()
        pg.comm.Free()
    finally:
        if _World.excepthook is not None:
            sys.excepthook, _World.excepthook = _World.excepthook, None


_ABORT_DRAIN_SECONDS = 0.5


def _install_abort_hook(MPI: Any) -> None:
    # Note [Abort on uncaught exceptions]
    previous = sys.excepthook

    def abort_on_uncaught(exc_type: type, exc: BaseException, tb: Any) -> None:
        previous(exc_type, exc, tb)
        sys.stderr.write(f"dagrad.distributed: uncaught {exc_type.__name__} on rank "
                         f"{MPI.COMM_WORLD.Get_rank()}; aborting all ranks (MPI_Abort)\n")
        sys.stderr.flush()
        # MPI_Abort makes the launcher kill every rank at once, and output still in flight
        # through its forwarding pipes is lost (seen under load: only the traceback's first
        # line arrived). A short pause lets it drain the report above first.
        time.sleep(_ABORT_DRAIN_SECONDS)
        MPI.COMM_WORLD.Abort(1)

    _World.excepthook = previous
    sys.excepthook = abort_on_uncaught


def _get_default_group() -> ProcessGroup:
    if GroupMember.WORLD is None:
        raise ValueError(_NOT_INITIALIZED)
    return GroupMember.WORLD


def _resolve(group: ProcessGroup | None) -> ProcessGroup:
    pg = _get_default_group()
    if group is None or group is pg:
        return pg
    raise ValueError(f"dagrad.distributed has only the default group; got {group!r}")


def get_rank(group: ProcessGroup | None = None) -> int:
    """This process's rank in ``group`` (default group): 0 .. world_size - 1."""
    return _resolve(group).rank()


def get_world_size(group: ProcessGroup | None = None) -> int:
    """The number of processes in ``group`` (default group)."""
    return _resolve(group).size()


def get_backend(group: ProcessGroup | None = None) -> Backend:
    _resolve(group)
    return Backend(Backend.MPI)


# ---------------------------------------------------------------------------- argument checks
def _check_single_tensor(param: Any, param_name: str) -> None:
    if not isinstance(param, Tensor):
        raise TypeError(f"Invalid function argument. Expected parameter `{param_name}` of type "
                        f"torch.Tensor but got {type(param)} instead.")


def _check_tensor_list(param: Any, param_name: str) -> None:
    if not isinstance(param, list):
        raise TypeError(f"Invalid function argument. Expected parameter `{param_name}` of type "
                        f"List[torch.Tensor] but got {type(param)} instead.")
    if not all(isinstance(p, Tensor) for p in param):
        raise TypeError(f"Invalid function argument. Expected parameter `{param_name}` of type "
                        f"List[torch.Tensor] but got {type(param)} with elements of type "
                        f"{[type(p) for p in param]}.")


def _check_list_matches(name: str, tensors: list[Tensor], like: Tensor, size: int,
                        what: str) -> None:
    if len(tensors) != size:
        raise ValueError(f"{name}: {what} has {len(tensors)} tensors but the group has {size} "
                         "ranks; pass exactly one tensor per rank")
    for i, t in enumerate(tensors):
        if t._data.size != like._data.size or t._data.dtype != like._data.dtype:
            raise ValueError(f"{name}: {what}[{i}] has shape {list(t._data.shape)} and dtype "
                             f"{t.dtype}, but every tensor must have {like._data.size} elements "
                             f"and dtype {like.dtype}, like the tensor on this rank")


def _rank_arg(name: str, value: int | None, size: int, arg: str) -> int:
    if value is None:
        raise ValueError(f"{name}: `{arg}` (the rank that holds the data) is required")
    if not 0 <= value < size:
        raise ValueError(f"{name}: invalid {arg} rank {value}; it must be in [0, {size - 1}]")
    return value


# ---------------------------------------------------------------------------- buffers
def _work_array(t: Tensor) -> np.ndarray:
    """``t``'s array if MPI can write into it directly, else a C-contiguous copy of it."""
    a = t._data
    if a.flags.c_contiguous and a.flags.writeable:
        return a
    return np.array(a, order="C", copy=True)


def _store(t: Tensor, buf: np.ndarray) -> None:
    """Put ``buf`` (the collective's result) into ``t`` and count the in-place change."""
    if buf is not t._data:
        if not t._data.flags.writeable:
            t._data = np.array(t._data, order="C", copy=True)
        np.copyto(t._data, buf.reshape(t._data.shape), casting="unsafe")
    t._bump()


def _mpi_op(MPI: Any, op: Any, dtype: np.dtype) -> Any:
    op = RedOpType(op)
    if op == RedOpType.PREMUL_SUM:
        raise ValueError("ReduceOp.PREMUL_SUM is not supported by the MPI backend")
    if dtype.kind == "b":
        if op == RedOpType.AVG:
            raise ValueError("Cannot use ReduceOp.AVG with a bool tensor")
        # PyTorch's bool reductions: sum/max/or are any(), product/min/and are all()
        return {RedOpType.SUM: MPI.LOR, RedOpType.MAX: MPI.LOR, RedOpType.BOR: MPI.LOR,
                RedOpType.PRODUCT: MPI.LAND, RedOpType.MIN: MPI.LAND, RedOpType.BAND: MPI.LAND,
                RedOpType.BXOR: MPI.LXOR}[op]
    if op in (RedOpType.BAND, RedOpType.BOR, RedOpType.BXOR) and dtype.kind not in "iu":
        raise ValueError(f"Cannot use ReduceOp.{op.name} with non-integral dtype")
    if op in (RedOpType.MIN, RedOpType.MAX) and dtype.kind == "c":
        raise ValueError(f"Cannot use ReduceOp.{op.name} with a complex tensor")
    return {RedOpType.SUM: MPI.SUM, RedOpType.AVG: MPI.SUM, RedOpType.PRODUCT: MPI.PROD,
            RedOpType.MIN: MPI.MIN, RedOpType.MAX: MPI.MAX, RedOpType.BAND: MPI.BAND,
            RedOpType.BOR: MPI.BOR, RedOpType.BXOR: MPI.BXOR}[op]


def _average_(buf: np.ndarray, n: int) -> None:
    if buf.dtype.kind in "fc":
        np.divide(buf, n, out=buf)
    else:                                   # integers: round toward zero
        q = np.abs(buf) // n
        np.copyto(buf, np.where(buf < 0, -q, q))


# ---------------------------------------------------------------------------- collectives
def barrier(group: ProcessGroup | None = None, async_op: bool = False,
            device_ids: Any = None) -> Work | None:
    """Wait until every rank of ``group`` has reached this call."""
    pg = _resolve(group)
    return _run(Work(pg, "BARRIER", pg.comm.Ibarrier(), None, [], 0), async_op)


def all_reduce(tensor: Tensor, op: Any = ReduceOp.SUM, group: ProcessGroup | None = None,
               async_op: bool = False) -> Work | None:
    """Reduce ``tensor`` across all ranks, in place: afterwards every rank holds the result.

    Args:
        tensor: input and output; same shape and dtype on every rank.
        op: ``ReduceOp.SUM`` (default), ``AVG``, ``PRODUCT``, ``MIN``, ``MAX``, ``BAND``,
            ``BOR``, ``BXOR``.
        async_op: return a :class:`Work` (backed by MPI_Iallreduce) instead of waiting.

    Returns:
        None, or the Work when ``async_op=True``.

    Example:
        >>> t = dagrad.tensor([1., 2.]) * (dist.get_rank() + 1)     # 2 ranks
        >>> dist.all_reduce(t)
        >>> t
        tensor([3., 6.])
    """
    _check_single_tensor(tensor, "tensor")
    pg = _resolve(group)
    MPI = _mpi.MPI()
    buf = _work_array(tensor)
    mpi_op = _mpi_op(MPI, op, buf.dtype)
    wire = buf.astype(np.float32) if buf.dtype == np.float16 else buf   # MPI has no float16
    request = pg.comm.Iallreduce(MPI.IN_PLACE, wire, mpi_op)

    def finish() -> None:
        if RedOpType(op) == RedOpType.AVG:
            _average_(wire, pg.size())
        if wire is not buf:
            np.copyto(buf, wire, casting="unsafe")
        _store(tensor, buf)

    return _run(Work(pg, "ALLREDUCE", request, finish, [tensor], buf.size), async_op)


def broadcast(tensor: Tensor, src: int | None = None, group: ProcessGroup | None = None,
              async_op: bool = False, group_src: int | None = None) -> Work | None:
    """Copy ``tensor`` from rank ``src`` into ``tensor`` on every other rank, in place.

    Example:
        >>> t = dagrad.tensor([float(dist.get_rank())])
        >>> dist.broadcast(t, src=1)
        >>> t                                                   # on every rank
        tensor([1.])
    """
    _check_single_tensor(tensor, "tensor")
    pg = _resolve(group)
    root = _rank_arg("broadcast", src if src is not None else group_src, pg.size(), "src")
    buf = _work_array(tensor)
    request = pg.comm.Ibcast(buf, root=root)
    return _run(Work(pg, "BROADCAST", request, lambda: _store(tensor, buf), [tensor], buf.size),
                async_op)


def all_gather(tensor_list: list[Tensor], tensor: Tensor, group: ProcessGroup | None = None,
               async_op: bool = False) -> Work | None:
    """Gather ``tensor`` from every rank into ``tensor_list`` (one tensor per rank, in rank order).

    Example:
        >>> out = [dagrad.zeros(2) for _ in range(dist.get_world_size())]
        >>> dist.all_gather(out, dagrad.ones(2) * dist.get_rank())   # 2 ranks
        >>> out
        [tensor([0., 0.]), tensor([1., 1.])]
    """
    _check_tensor_list(tensor_list, "tensor_list")
    _check_single_tensor(tensor, "tensor")
    pg = _resolve(group)
    _check_list_matches("all_gather", tensor_list, tensor, pg.size(), "tensor_list")
    send = np.ascontiguousarray(tensor._data)
    recv = np.empty((pg.size(), send.size), dtype=send.dtype)
    request = pg.comm.Iallgather(send, recv)

    def finish() -> None:
        for t, row in zip(tensor_list, recv, strict=True):
            _store(t, row)

    return _run(Work(pg, "ALLGATHER", request, finish, tensor_list, send.size, keep=(send,)),
                async_op)


def reduce_scatter(output: Tensor, input_list: list[Tensor], op: Any = ReduceOp.SUM,
                   group: ProcessGroup | None = None, async_op: bool = False) -> Work | None:
    """Reduce ``input_list[r]`` across ranks into ``output`` on rank ``r``.

    Example:
        >>> ins = [dagrad.tensor([1., 2.]), dagrad.tensor([3., 4.])]   # same on 2 ranks
        >>> out = dagrad.zeros(2)
        >>> dist.reduce_scatter(out, ins)
        >>> out                                  # rank 0: [2., 4.]; rank 1: [6., 8.]
        tensor([2., 4.])
    """
    _check_single_tensor(output, "output")
    _check_tensor_list(input_list, "input_list")
    pg = _resolve(group)
    _check_list_matches("reduce_scatter", input_list, output, pg.size(), "input_list")
    MPI = _mpi.MPI()
    buf = _work_array(output)
    mpi_op = _mpi_op(MPI, op, buf.dtype)
    wire_dtype = np.float32 if buf.dtype == np.float16 else buf.dtype
    send = np.concatenate([np.ravel(t._data) for t in input_list]).astype(wire_dtype, copy=False)
    wire = buf if wire_dtype == buf.dtype else np.empty(buf.shape, wire_dtype)
    request = pg.comm.Ireduce_scatter_block(send, wire, mpi_op)

    def finish() -> None:
        if RedOpType(op) == RedOpType.AVG:
            _average_(wire, pg.size())
        if wire is not buf:
            np.copyto(buf, wire, casting="unsafe")
        _store(output, buf)

    return _run(Work(pg, "REDUCE_SCATTER", request, finish, [output], send.size, keep=(send,)),
                async_op)


def reduce(tensor: Tensor, dst: int | None = None, op: Any = ReduceOp.SUM,
           group: ProcessGroup | None = None, async_op: bool = False,
           group_dst: int | None = None) -> Work | None:
    """Reduce ``tensor`` across ranks into ``tensor`` on rank ``dst`` only (others: unchanged)."""
    _check_single_tensor(tensor, "tensor")
    pg = _resolve(group)
    root = _rank_arg("reduce", dst if dst is not None else group_dst, pg.size(), "dst")
    MPI = _mpi.MPI()
    buf = _work_array(tensor)
    mpi_op = _mpi_op(MPI, op, buf.dtype)
    wire = buf.astype(np.float32) if buf.dtype == np.float16 else buf
    if pg.rank() == root:
        request = pg.comm.Ireduce(MPI.IN_PLACE, wire, mpi_op, root=root)
    else:
        request = pg.comm.Ireduce(wire, None, mpi_op, root=root)

    def finish() -> None:
        if pg.rank() != root:
            return
        if RedOpType(op) == RedOpType.AVG:
            _average_(wire, pg.size())
        if wire is not buf:
            np.copyto(buf, wire, casting="unsafe")
        _store(tensor, buf)

    return _run(Work(pg, "REDUCE", request, finish, [tensor], buf.size), async_op)


def all_gather_object(object_list: list, obj: Any, group: ProcessGroup | None = None) -> None:
    """Gather any picklable ``obj`` from every rank into ``object_list`` (length world_size)."""
    pg = _resolve(group)
    if len(object_list) != pg.size():
        raise ValueError(f"all_gather_object: object_list has {len(object_list)} entries but "
                         f"the group has {pg.size()} ranks")
    object_list[:] = pg.comm.allgather(obj)


def broadcast_object_list(object_list: list, src: int | None = None,
                          group: ProcessGroup | None = None, device: Any = None,
                          group_src: int | None = None) -> None:
    """Replace ``object_list``'s entries on every rank with those of rank ``src``, in place."""
    pg = _resolve(group)
    root = _rank_arg("broadcast_object_list", src if src is not None else group_src, pg.size(),
                     "src")
    object_list[:] = pg.comm.bcast(list(object_list) if pg.rank() == root else None, root=root)
