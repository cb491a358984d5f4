"""utils.data: datasets, samplers, DataLoader batching/shuffling/collation."""
from __future__ import annotations

import pytest

import dagrad as torch
from dagrad.utils.data import (BatchSampler, DataLoader, Dataset, IterableDataset, Subset,
                               TensorDataset, default_collate, random_split)


def test_sequential_batches_and_drop_last() -> None:
    ds = TensorDataset(torch.arange(10.), torch.arange(10))
    batches = [(x.tolist(), y.tolist()) for x, y in DataLoader(ds, batch_size=4)]
    assert batches == [([0., 1., 2., 3.], [0, 1, 2, 3]), ([4., 5., 6., 7.], [4, 5, 6, 7]),
                       ([8., 9.], [8, 9])]
    assert len(DataLoader(ds, batch_size=4)) == 3
    assert len(DataLoader(ds, batch_size=4, drop_last=True)) == 2
    assert [x.shape[0] for x, _ in DataLoader(ds, batch_size=4, drop_last=True)] == [4, 4]


def test_shuffle_is_a_seeded_permutation() -> None:
    ds = TensorDataset(torch.arange(20))

    def order(seed):
        g = torch.Generator().manual_seed(seed)
        return [int(v) for (b,) in DataLoader(ds, batch_size=5, shuffle=True, generator=g)
                for v in b.tolist()]
    a, b, c = order(0), order(0), order(1)
    assert sorted(a) == list(range(20)) and a == b and a != c


def test_collate_structures() -> None:
    batch = [{"x": torch.ones(2), "n": 1, "f": 0.5, "s": "a"},
             {"x": torch.zeros(2), "n": 2, "f": 1.5, "s": "b"}]
    out = default_collate(batch)
    assert out["x"].tolist() == [[1., 1.], [0., 0.]]
    assert out["n"].dtype == torch.int64 and out["f"].dtype == torch.float64
    assert out["s"] == ["a", "b"]


def test_custom_dataset_iterable_and_collate_fn() -> None:
    class Squares(Dataset):
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return torch.tensor(float(i * i))
    assert [b.tolist() for b in DataLoader(Squares(), batch_size=2)] == [[0., 1.], [4., 9.], [16.]]

    class Stream(IterableDataset):
        def __iter__(self):
            return iter(range(5))
    assert [b.tolist() for b in DataLoader(Stream(), batch_size=2)] == [[0, 1], [2, 3], [4]]
    assert list(DataLoader(Squares(), batch_size=2, collate_fn=len)) == [2, 2, 1]
    with pytest.raises(ValueError, match="expected unspecified shuffle"):
        DataLoader(Stream(), shuffle=True)


def test_random_split_subset_and_batch_sampler() -> None:
    ds = TensorDataset(torch.arange(10))
    a, b = random_split(ds, [7, 3], generator=torch.Generator().manual_seed(0))
    got = sorted(int(a[i][0]) for i in range(7)) + sorted(int(b[i][0]) for i in range(3))
    assert sorted(got) == list(range(10)) and len(a) == 7
    a, b = random_split(ds, [0.5, 0.5])
    assert len(a) == len(b) == 5
    assert int(Subset(ds, [3, 1])[0][0]) == 3
    assert list(BatchSampler(range(5), 2, drop_last=False)) == [[0, 1], [2, 3], [4]]
    with pytest.raises(ValueError, match="Sum of input lengths"):
        random_split(ds, [3, 3])
