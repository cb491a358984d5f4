"""``DistributedSampler``: each rank of a data-parallel job reads its own share of a dataset."""
from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

from dagrad.utils.data.sampler import Sampler


class DistributedSampler(Sampler):
    """Split the indices of ``dataset`` into ``num_replicas`` disjoint, equal-sized shares.

    Rank ``r`` gets indices ``r, r + num_replicas, r + 2 * num_replicas, ...`` of the (shuffled)
    index list, padded by repeating its start so that every rank gets the same number of samples
    (or cut short with ``drop_last=True``). With ``shuffle=True`` the permutation is drawn from
    ``seed + epoch``: call ``set_epoch(epoch)`` at the start of each epoch, with the same value
    on every rank, so that the ranks agree on it and it changes between epochs.

    Args:
        dataset: anything with ``len()``.
        num_replicas: number of ranks (default: ``dagrad.distributed.get_world_size()``).
        rank: this rank (default: ``dagrad.distributed.get_rank()``).
        shuffle: permute the indices each epoch.
        seed: base seed of the permutation; must be the same on every rank.
        drop_last: drop the tail instead of padding, so that the shares divide evenly.

    Example:
        >>> s = DistributedSampler(range(10), num_replicas=3, rank=0, shuffle=False)
        >>> list(s)
        [0, 3, 6, 9]
        >>> loader = DataLoader(dataset, batch_size=32, sampler=sampler)
        >>> for epoch in range(epochs):
        ...     sampler.set_epoch(epoch)
        ...     for x, y in loader: ...
    """

    def __init__(self, dataset: Any, num_replicas: int | None = None, rank: int | None = None,
                 shuffle: bool = True, seed: int = 0, drop_last: bool = False) -> None:
        if num_replicas is None or rank is None:
            from dagrad import distributed as dist
            if not dist.is_available():
                raise RuntimeError("Requires distributed package to be available")
            if num_replicas is None:
                num_replicas = dist.get_world_size()
            if rank is None:
                rank = dist.get_rank()
        if rank >= num_replicas or rank < 0:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval "
                             f"[0, {num_replicas - 1}]")
        self.dataset = dataset
        self.num_replicas = num_replicas
        self.rank = rank
        self.epoch = 0
        self.drop_last = drop_last
        n = len(dataset)
        if drop_last and n % num_replicas != 0:
            self.num_samples = math.ceil((n - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(n / num_replicas)
        self.total_size = self.num_samples * num_replicas
        self.shuffle = shuffle
        self.seed = seed

    def __iter__(self) -> Iterator[int]:
        n = len(self.dataset)
        if self.shuffle:
            from dagrad import _random
            from dagrad._factories import randperm
            g = _random.Generator().manual_seed(self.seed + self.epoch)
            indices = randperm(n, generator=g).tolist()
        else:
            indices = list(range(n))
        if not self.drop_last:
            padding = self.total_size - len(indices)
            if padding <= len(indices):
                indices += indices[:padding]
            else:
                indices += (indices * math.ceil(padding / len(indices)))[:padding]
        else:
            indices = indices[:self.total_size]
        return iter(indices[self.rank:self.total_size:self.num_replicas])

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Use ``seed + epoch`` for the next permutation (call with the same epoch on all ranks)."""
        self.epoch = epoch
