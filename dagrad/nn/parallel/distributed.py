"""``DistributedDataParallel``: one model replica per process, gradients averaged in backward."""
from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from dagrad import distributed as dist
from dagrad.autograd.grad_mode import is_grad_enabled
from dagrad.nn.modules.module import Module
from dagrad.nn.parallel._reducer import (
    DEFAULT_FIRST_BUCKET_BYTES,
    Reducer,
    compute_bucket_assignment_by_size,
)


class DistributedDataParallel(Module):
    """Data parallelism across processes: each rank runs ``module`` on its own share of the
    batch, and backward leaves every rank with the gradients averaged over all ranks.

    At construction, rank 0's parameters and buffers are broadcast to every rank, so all replicas
    start equal; an optimizer stepping on the averaged gradients keeps them equal. Gradients are
    reduced while backward runs, in buckets (``dagrad/nn/parallel/_reducer.py``). Like PyTorch's,
    ``state_dict()`` keys start with ``module.``; save ``ddp.module.state_dict()`` for a plain
    model.

    Args:
        module: the model to replicate (same architecture on every rank).
        device_ids, output_device: for GPU modules in PyTorch; must be None here (CPU).
        dim: the batch dimension (kept for PyTorch compatibility; inputs are not split).
        broadcast_buffers: copy rank 0's buffers to every rank at the start of each forward.
        process_group: the group to reduce over (default: the default group).
        bucket_cap_mb: bucket size in MiB (default 25; the first bucket holds 1 MiB).
        find_unused_parameters: allow parameters that get no gradient in some iterations
            (they are reduced as zeros); costs a graph walk per forward.
        gradient_as_bucket_view: leave ``.grad`` as views into the buckets (fewer copies).

    Example:
        >>> # mpiexec -n 2 python train.py
        >>> dist.init_process_group("mpi")
        >>> model = DistributedDataParallel(nn.Linear(10, 1))
        >>> opt = dagrad.optim.SGD(model.parameters(), lr=0.1)
        >>> loss = model(x_local).pow(2).mean()       # x_local: this rank's share of the batch
        >>> loss.backward()                           # grads now averaged over the 2 ranks
        >>> opt.step()
    """

    def __init__(self, module: Module, device_ids: list | None = None,
                 output_device: Any = None, dim: int = 0, broadcast_buffers: bool = True,
                 process_group: Any = None, bucket_cap_mb: float | None = None,
                 find_unused_parameters: bool = False, check_reduction: bool = False,
                 gradient_as_bucket_view: bool = False, static_graph: bool = False) -> None:
        super().__init__()
        params = []
        seen: set[int] = set()
        for _, p in module.named_parameters():
            if p.requires_grad and id(p) not in seen:
                seen.add(id(p))
                params.append(p)
        if not params:
            raise RuntimeError("DistributedDataParallel is not needed when a module doesn't have "
                               "any parameter that requires a gradient.")
        if device_ids is not None and len(device_ids) > 1:
            raise ValueError("device_ids can only be None or contain a single element.")
        if device_ids or output_device is not None:
            devices = {p.device for p in module.parameters()}
            raise ValueError("DistributedDataParallel device_ids and output_device arguments only "
                             "work with single-device/multiple-device GPU modules or CPU modules, "
                             f"but got device_ids {device_ids}, output_device {output_device}, "
                             f"and module parameters {devices}.")
        self.process_group = dist.distributed_c10d._resolve(process_group)
        self.module = module
        self.device_ids = None
        self.output_device = None
        self.dim = dim
        self.broadcast_buffers = broadcast_buffers
        self.find_unused_parameters = find_unused_parameters
        self.gradient_as_bucket_view = gradient_as_bucket_view
        self.static_graph = static_graph
        self.require_backward_grad_sync = True
        self.bucket_bytes_cap = int((25 if bucket_cap_mb is None else bucket_cap_mb) * 1024 * 1024)
        self._module_buffers = list(module.buffers())
        self._verify_same_model(params)
        self._sync_module_states()
        bucket_indices = compute_bucket_assignment_by_size(
            params, [min(DEFAULT_FIRST_BUCKET_BYTES, self.bucket_bytes_cap), self.bucket_bytes_cap])
        self.reducer = Reducer(params, bucket_indices, self.process_group,
                               find_unused_parameters, gradient_as_bucket_view)

    def forward(self, *inputs: Any, **kwargs: Any) -> Any:
        """Run ``module(*inputs, **kwargs)``; when grad is enabled and not in ``no_sync()``, the
        next backward averages the gradients across ranks."""
        sync = is_grad_enabled() and self.require_backward_grad_sync
        if sync:
            self.reducer.ensure_prior_reduction_finished(self.process_group.rank())
            if self.broadcast_buffers and self._module_buffers:
                for b in self._module_buffers:
                    dist.broadcast(b, 0, group=self.process_group)
        output = self.module(*inputs, **kwargs)
        if sync:
            self.reducer.prepare_for_backward(output)
        else:
            self.reducer.skip_backward()
        return output

    @contextlib.contextmanager
    def no_sync(self) -> Iterator[None]:
        """Accumulate gradients locally: forward and backward passes inside this block do not
        communicate; the first synced backward after it averages the accumulated sums.

        Example:
            >>> with ddp.no_sync():
            ...     for x in micro_batches[:-1]:
            ...         ddp(x).sum().backward()       # local accumulation only
            >>> ddp(micro_batches[-1]).sum().backward()   # all-reduce of the accumulated grads
        """
        old = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = old

    def _verify_same_model(self, params: list) -> None:
        mine = [(tuple(p.shape), str(p.dtype)) for p in params]
        everyone: list = [None] * self.process_group.size()
        dist.all_gather_object(everyone, mine, group=self.process_group)
        rank = self.process_group.rank()
        for other, theirs in enumerate(everyone):
            if len(theirs) != len(mine):
                raise RuntimeError(f"DDP expects same model across all ranks, but Rank {rank} has "
                                   f"{len(mine)} params, while rank {other} has inconsistent "
                                   f"{len(theirs)} params.")
            for k, (a, b) in enumerate(zip(mine, theirs, strict=True)):
                if a != b:
                    raise RuntimeError(f"DDP expects same model across all ranks, but Rank {rank} "
                                       f"has {k}th param: shape {list(a[0])} dtype {a[1]} while "
                                       f"rank {other} has inconsistent shape {list(b[0])} dtype "
                                       f"{b[1]}.")

    def _sync_module_states(self) -> None:
        """Broadcast rank 0's parameters and buffers to every rank (in place, untracked)."""
        for t in [*self.module.parameters(), *self._module_buffers]:
            dist.broadcast(t, 0, group=self.process_group)

    def __del__(self) -> None:
        reducer = self.__dict__.get("reducer")
        if reducer is not None:
            reducer.remove_hooks()
