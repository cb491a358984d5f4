"""The gradient reducer of DistributedDataParallel: buckets, hooks, overlapped all-reduce.

PyTorch's ``reducer.cpp`` in Python. Parameters are packed, in reverse order of
``module.parameters()`` (the order backward produces their gradients), into flat per-dtype
buckets of about ``bucket_cap_mb``. During backward, each parameter's post-accumulate-grad hook
copies its ``.grad`` into its bucket slot; a bucket whose slots are all filled is divided by the
world size and launched as a nonblocking all-reduce (MPI_Iallreduce) while backward goes on
computing the remaining gradients. When the last parameter is ready, the reducer waits for the
outstanding reductions and writes the averaged gradients back into every ``.grad``. (PyTorch
rebuilds its buckets after the first iteration in the order the gradients arrived; dagrad
assumes reverse parameter order from the start, with PyTorch's 1 MiB first bucket.)

Note [Bucket order]
MPI matches collectives by their order, so every rank must launch the buckets in the same
order even when their gradients become ready in a different one. A ready bucket is launched
only when all buckets before it have been launched (``next_bucket``), as in PyTorch.

Note [Waiting at the end of backward]
The engine has no ``queue_callback`` to run code once backward is over, so the reducer waits
for the outstanding reductions inside the hook of the last parameter to become ready. Nodes
that run after it (gradients flowing to inputs that require grad) then run after the wait: less
overlap, same result. A backward that leaves some parameter without a gradient never finishes
the reduction; the next forward reports it with PyTorch's error.

Note [Unused parameters]
With ``find_unused_parameters=True``, the forward pass walks the graph from the outputs and
records the parameters it does not reach. At the first hook of the next backward they are
marked ready, so that their buckets complete: their slots get the ``.grad`` they already have
(accumulated under ``no_sync()``, say), or zeros. Every hook, synced or not, also marks its
parameter in a used-parameter bitmap, which is all-reduced after the last bucket and then
cleared: a parameter unused on every rank since the last synchronisation keeps its ``.grad``
untouched; one used on some rank gets the average, as in PyTorch.
"""
from __future__ import annotations

import weakref
from collections.abc import Sequence
from typing import Any

import numpy as np

from dagrad import distributed as dist
from dagrad._tensor import Tensor

#: PyTorch's first bucket is small, so that the first all-reduce starts early.
DEFAULT_FIRST_BUCKET_BYTES = 1024 * 1024


def compute_bucket_assignment_by_size(params: Sequence[Tensor],
                                      size_limits: Sequence[int]) -> list[list[int]]:
    """Group parameter indices into buckets, in the order the buckets will be reduced.

    Parameters are taken in reverse order (the order backward produces their gradients) and
    grouped by dtype; a bucket closes once it holds ``size_limits[k]`` bytes, where ``k`` counts
    the buckets already closed for that dtype (the last limit repeats).

    Example:
        >>> compute_bucket_assignment_by_size([a, b, c], [1 << 20, 25 << 20])   # small params
        [[2, 1, 0]]
    """
    buckets: list[list[int]] = []
    open_: dict[Any, tuple[list[int], int]] = {}          # dtype -> (indices, bytes)
    closed: dict[Any, int] = {}
    for i in reversed(range(len(params))):
        a = params[i]._data
        indices, nbytes = open_.get(a.dtype, ([], 0))
        if not indices:
            buckets.append(indices)
        indices.append(i)
        nbytes += a.nbytes
        limit = size_limits[min(closed.get(a.dtype, 0), len(size_limits) - 1)]
        if nbytes >= limit:
            closed[a.dtype] = closed.get(a.dtype, 0) + 1
            open_[a.dtype] = ([], 0)
        else:
            open_[a.dtype] = (indices, nbytes)
    return buckets


class _Bucket:
    __slots__ = ("buffer", "members", "pending", "tensor", "work")

    def __init__(self, members: list[int], buffer: np.ndarray) -> None:
        self.members = members
        self.buffer = buffer
        self.tensor = Tensor._make(buffer)
        self.pending = len(members)
        self.work: Any = None


class Reducer:
    """Average the gradients of ``params`` across ``process_group`` during backward.

    Args:
        params: the parameters that require grad, in ``module.parameters()`` order.
        bucket_indices: from :func:`compute_bucket_assignment_by_size`.
        find_unused_parameters: Note [Unused parameters].
        gradient_as_bucket_view: leave each ``.grad`` as a view into its bucket, saving the
            copies into and out of the bucket from the second iteration on.
    """

    def __init__(self, params: list[Tensor], bucket_indices: list[list[int]], process_group: Any,
                 find_unused_parameters: bool, gradient_as_bucket_view: bool) -> None:
        self.params = params
        self.process_group = process_group
        self.world_size = dist.get_world_size(process_group)
        self.find_unused_parameters = find_unused_parameters
        self.gradient_as_bucket_view = gradient_as_bucket_view
        self.buckets: list[_Bucket] = []
        self.bucket_of = [0] * len(params)
        self.views: list[np.ndarray] = [None] * len(params)     # type: ignore[list-item]
        for b, members in enumerate(bucket_indices):
            dtype = params[members[0]]._data.dtype
            buffer = np.zeros(sum(params[i]._data.size for i in members), dtype=dtype)
            offset = 0
            for i in members:
                a = params[i]._data
                self.views[i] = buffer[offset:offset + a.size].reshape(a.shape)
                self.bucket_of[i] = b
                offset += a.size
            self.buckets.append(_Bucket(members, buffer))
        # per-iteration state (prepare_for_backward resets it)
        self.expect_hooks = False
        self.ready = bytearray(len(params))
        self.num_ready = 0
        self.next_bucket = 0
        self.unused: list[int] = []
        self.unused_marked = True
        self.locally_used = np.zeros(len(params), dtype=np.int32)
        self.handles = []
        ref = weakref.ref(self)
        for i, p in enumerate(params):
            self.handles.append(p.register_post_accumulate_grad_hook(_Hook(ref, i)))

    def remove_hooks(self) -> None:
        for h in self.handles:
            h.remove()
        self.handles = []

    # ------------------------------------------------------------------ iteration
    def ensure_prior_reduction_finished(self, rank: int) -> None:
        """Raise PyTorch's error when the last backward left some parameter without a gradient."""
        if not self.expect_hooks or self.num_ready == 0:
            return
        missing = [i for i in range(len(self.params)) if not self.ready[i]]
        self.expect_hooks = False
        if self.find_unused_parameters:
            advice = ("Since `find_unused_parameters=True` is enabled, this likely  means that not "
                      "all `forward` outputs participate in computing loss. You can fix this by "
                      "making sure all `forward` function outputs participate in calculating "
                      "loss. \n")
        else:
            advice = ("You can enable unused parameter detection by passing the keyword argument "
                      "`find_unused_parameters=True` to "
                      "`torch.nn.parallel.DistributedDataParallel`, and by \nmaking sure all "
                      "`forward` function outputs participate in calculating loss. \n")
        raise RuntimeError(
            "Expected to have finished reduction in the prior iteration before starting a new "
            "one. This error indicates that your module has parameters that were not used in "
            "producing loss. " + advice + "If you already have done the above, then the "
            "distributed data parallel module wasn't able to locate the output tensors in the "
            "return value of your module's `forward` function. Please include the loss function "
            "and the structure of the return value of `forward` of your module when reporting "
            "this issue (e.g. list, dict, iterable).\nParameter indices which did not receive "
            f"grad for rank {rank}: {' '.join(map(str, missing))}")

    def prepare_for_backward(self, outputs: Any) -> None:
        """Start an iteration: the next backward reduces (``outputs``: Note [Unused parameters])."""
        self.expect_hooks = True
        self.ready = bytearray(len(self.params))
        self.num_ready = 0
        self.next_bucket = 0
        for b in self.buckets:
            b.pending = len(b.members)
            b.work = None
        if self.find_unused_parameters:
            reached = _reached_leaves(outputs)
            self.unused = [i for i, p in enumerate(self.params) if id(p) not in reached]
            self.unused_marked = False

    def skip_backward(self) -> None:
        """The next backward does not reduce (``no_sync`` or grad disabled)."""
        self.expect_hooks = False

    # ------------------------------------------------------------------ hooks
    def autograd_hook(self, i: int) -> None:
        self.locally_used[i] = 1            # in no_sync passes too (Note [Unused parameters])
        if not self.expect_hooks:
            return
        if not self.unused_marked:
            self.unused_marked = True
            for j in self.unused:
                if j != i:
                    self._mark_ready(j)
        if self.ready[i]:
            b = self.buckets[self.bucket_of[i]]
            if self.find_unused_parameters and i in self.unused and b.work is None:
                # found unused by the forward walk but used after all (e.g. in the loss)
                b.pending += 1
                self.ready[i] = 0
                self.num_ready -= 1
            else:
                raise RuntimeError(
                    "Expected to mark a variable ready only once. This error is caused by one of "
                    "the following reasons: 1) Use of a module parameter outside the `forward` "
                    "function. Please make sure model parameters are not shared across multiple "
                    "concurrent forward-backward passes. 2) Reused parameters in multiple "
                    "reentrant backward passes. For example, if you use multiple `checkpoint` "
                    f"functions to wrap the same part of your model. Parameter index: {i}")
        self._mark_ready(i)

    def _mark_ready(self, i: int) -> None:
        view = self.views[i]
        grad = self.params[i]._grad
        if grad is None:
            view.fill(0)
        elif grad._data is not view:
            np.copyto(view, grad._data, casting="unsafe")
        self.ready[i] = 1
        self.num_ready += 1
        b = self.buckets[self.bucket_of[i]]
        b.pending -= 1
        if b.pending == 0:
            self._launch_ready_buckets()
        if self.num_ready == len(self.params):
            self._finalize()
        elif 0 < self.next_bucket:
            # MPI progresses a nonblocking collective only inside MPI calls: poke it once
            self.buckets[self.next_bucket - 1].work.is_completed()

    def _launch_ready_buckets(self) -> None:
        # Note [Bucket order]
        while self.next_bucket < len(self.buckets) and self.buckets[self.next_bucket].pending == 0:
            b = self.buckets[self.next_bucket]
            if self.world_size > 1:
                np.divide(b.buffer, self.world_size, out=b.buffer)
            b.work = dist.all_reduce(b.tensor, group=self.process_group, async_op=True)
            self.next_bucket += 1

    def _finalize(self) -> None:
        # Note [Waiting at the end of backward]
        used = None
        if self.find_unused_parameters:
            used = Tensor._make(self.locally_used.copy())
            used_work = dist.all_reduce(used, group=self.process_group, async_op=True)
            self.locally_used[:] = 0
        for b in self.buckets:
            b.work.wait()
            b.work = None
        if used is not None:
            used_work.wait()
        for i, p in enumerate(self.params):
            if used is not None and used._data[i] == 0:
                continue                      # unused on every rank: .grad stays as it was
            self._write_back(p, self.views[i])
        self.expect_hooks = False

    def _write_back(self, p: Tensor, view: np.ndarray) -> None:
        grad = p._grad
        if grad is not None and grad._data is view:
            grad._bump()
        elif self.gradient_as_bucket_view:
            p.grad = Tensor._make(view)
        elif grad is not None and grad._data.flags.writeable and grad._data.shape == view.shape:
            np.copyto(grad._data, view)
            grad._bump()
        else:
            p.grad = Tensor._make(view.copy())


class _Hook:
    """``register_post_accumulate_grad_hook`` callback for parameter ``i`` (holds the reducer
    weakly, so that parameters do not keep a dropped DDP wrapper alive)."""

    __slots__ = ("index", "reducer")

    def __init__(self, reducer: weakref.ref, index: int) -> None:
        self.reducer = reducer
        self.index = index

    def __call__(self, param: Tensor) -> None:
        reducer = self.reducer()
        if reducer is not None:
            reducer.autograd_hook(self.index)


def _reached_leaves(outputs: Any) -> set[int]:
    """ids of the leaves that the graph of the tensors in ``outputs`` reaches (iterative walk)."""
    stack: list = []
    reached: set[int] = set()
    for t in _tensors_in(outputs):
        if t.grad_fn is not None:
            stack.append(t.grad_fn)
        elif t.requires_grad:
            reached.add(id(t))
    seen = {id(fn) for fn in stack}
    while stack:
        fn = stack.pop()
        variable = getattr(fn, "variable", None)
        if variable is not None:
            reached.add(id(variable))
        for nxt, _ in fn.next_functions:
            if nxt is not None and id(nxt) not in seen:
                seen.add(id(nxt))
                stack.append(nxt)
    return reached


def _tensors_in(obj: Any) -> list[Tensor]:
    """The tensors in a forward's return value: a tensor, or lists/tuples/dicts of them."""
    found, stack = [], [obj]
    while stack:
        o = stack.pop()
        if isinstance(o, Tensor):
            found.append(o)
        elif isinstance(o, dict):
            stack.extend(o.values())
        elif isinstance(o, (list, tuple)):
            stack.extend(o)
    return found
