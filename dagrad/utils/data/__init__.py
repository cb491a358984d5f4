"""``dagrad.utils.data``: datasets, samplers and the DataLoader, with PyTorch's API.

    loader = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True,
                        generator=dagrad.Generator().manual_seed(0))
    for xb, yb in loader: ...
"""
from dagrad.utils.data.dataloader import DataLoader, default_collate  # noqa: F401
from dagrad.utils.data.dataset import (  # noqa: F401
    ConcatDataset, Dataset, IterableDataset, Subset, TensorDataset, random_split)
from dagrad.utils.data.sampler import (  # noqa: F401
    BatchSampler, RandomSampler, Sampler, SequentialSampler, SubsetRandomSampler)
from dagrad.utils.data.distributed import DistributedSampler  # noqa: E402,F401
