"""DataLoader: batches from a dataset, in order or shuffled, collated into tensors."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Callable, Iterator

import numpy as np

from dagrad._tensor import Tensor
from dagrad.utils.data.dataset import IterableDataset
from dagrad.utils.data.sampler import BatchSampler, RandomSampler, SequentialSampler


def default_collate(batch: list) -> Any:
    """Stack a list of samples: tensors -> a stacked tensor, numbers -> a tensor, tuples/dicts
    -> collated per field (PyTorch's default_collate)."""
    from dagrad import _factories
    from dagrad.ops import stack
    elem = batch[0]
    if isinstance(elem, Tensor):
        return stack(list(batch), 0)
    if isinstance(elem, np.ndarray):
        return stack([_factories.as_tensor(b) for b in batch], 0)
    if isinstance(elem, bool):
        return _factories.tensor(batch)
    if isinstance(elem, float):
        return _factories.tensor(batch, dtype="float64")
    if isinstance(elem, int):
        return _factories.tensor(batch)
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, Mapping):
        return {k: default_collate([d[k] for d in batch]) for k in elem}
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):
        return type(elem)(*(default_collate(list(s)) for s in zip(*batch, strict=True)))
    if isinstance(elem, Sequence):
        size = len(elem)
        if any(len(e) != size for e in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        cols = [default_collate(list(s)) for s in zip(*batch, strict=True)]
        return tuple(cols) if isinstance(elem, tuple) else cols
    raise TypeError(f"default_collate: batch must contain tensors, numpy arrays, numbers, dicts "
                    f"or lists; found {type(elem)}")


class DataLoader:
    """Iterate over ``dataset`` in batches.

    Args:
        batch_size: samples per batch (None: no batching).
        shuffle: a new random order every epoch, drawn from ``generator``.
        sampler / batch_sampler: custom index order (exclusive with shuffle).
        drop_last: drop the last incomplete batch.
        collate_fn: turns a list of samples into a batch (default_collate).

    Example:
        >>> loader = DataLoader(TensorDataset(dagrad.arange(10.)), batch_size=4)
        >>> [b[0].tolist() for b in loader]
        [[0.0, 1.0, 2.0, 3.0], [4.0, 5.0, 6.0, 7.0], [8.0, 9.0]]
    """

    def __init__(self, dataset: Any, batch_size: int | None = 1, shuffle: bool | None = None,
                 sampler: Any = None, batch_sampler: Any = None, num_workers: int = 0,
                 collate_fn: Callable | None = None, pin_memory: bool = False,
                 drop_last: bool = False, timeout: float = 0, worker_init_fn: Any = None,
                 generator: Any = None, *, prefetch_factor: Any = None,
                 persistent_workers: bool = False, **_: Any) -> None:
        self.dataset = dataset
        self.num_workers = num_workers
        self.generator = generator
        self._iterable = isinstance(dataset, IterableDataset)
        if self._iterable:
            if shuffle:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified shuffle "
                                 f"option, but got shuffle={shuffle}")
            if sampler is not None or batch_sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified sampler "
                                 "option")
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, "
                                 "shuffle, sampler, and drop_last")
            batch_size = None
            drop_last = False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually "
                             "exclusive with drop_last")
        if not self._iterable and sampler is None:
            sampler = RandomSampler(dataset, generator=generator) if shuffle else \
                SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None and not self._iterable:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.collate_fn = collate_fn or (default_collate if batch_size is not None or
                                         batch_sampler is not None else (lambda x: x))

    def __iter__(self) -> Iterator:
        if self._iterable:
            yield from self._iter_stream()
            return
        if self.batch_sampler is None:
            for i in self.sampler:
                yield self.collate_fn(self.dataset[i])
            return
        for idx in self.batch_sampler:
            yield self.collate_fn([self.dataset[i] for i in idx])

    def _iter_stream(self) -> Iterator:
        if self.batch_size is None:
            for s in self.dataset:
                yield self.collate_fn(s)
            return
        batch = []
        for s in self.dataset:
            batch.append(s)
            if len(batch) == self.batch_size:
                yield self.collate_fn(batch)
                batch = []
        if batch and not self.drop_last:
            yield self.collate_fn(batch)

    def __len__(self) -> int:
        if self._iterable:
            n = len(self.dataset)
            if self.batch_size is None:
                return n
            return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
        if self.batch_sampler is not None:
            return len(self.batch_sampler)
        return len(self.sampler)
