"""Data-parallel training of a small CNN over MPI with DistributedDataParallel.

Run (after ``pip install dagrad[distributed]``, which brings mpi4py and MPICH's ``mpiexec``):

    mpiexec -n 2 python examples/ddp_train.py

Each rank trains on its own half of every global batch (DistributedSampler); backward averages
the gradients across ranks, so the replicas stay identical. The data are 12x12 images made up
here: a horizontal bar, a vertical bar, a diagonal or a square, at random places, in noise.
``python examples/ddp_train.py`` alone runs the same code as a job of one rank.
"""
from __future__ import annotations

import argparse
import time

import numpy as np

import dagrad as torch
import dagrad.distributed as dist
from dagrad import nn
from dagrad.nn import functional as F
from dagrad.nn.parallel import DistributedDataParallel as DDP
from dagrad.utils.data import DataLoader, TensorDataset
from dagrad.utils.data.distributed import DistributedSampler

SIZE, CLASSES = 12, 4


def make_dataset(n: int, seed: int) -> TensorDataset:
    """``n`` noisy 1x12x12 images of 4 shapes and their labels (the same on every rank)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(0.0, 0.3, (n, 1, SIZE, SIZE)).astype(np.float32)
    y = rng.integers(0, CLASSES, n)
    for img, label in zip(x[:, 0], y, strict=True):
        r, c = rng.integers(2, SIZE - 6, 2)
        if label == 0:
            img[r + 2, c:c + 5] += 1.0                   # horizontal bar
        elif label == 1:
            img[r:r + 5, c + 2] += 1.0                   # vertical bar
        elif label == 2:
            img[np.arange(r, r + 5), np.arange(c, c + 5)] += 1.0     # diagonal
        else:
            img[r:r + 4, c:c + 4] += 0.6                 # filled square
    return TensorDataset(torch.from_numpy(x), torch.from_numpy(y))


class Net(nn.Module):
    """conv(8) -> pool -> conv(16) -> pool -> linear: 1x12x12 -> 4 logits."""

    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.classifier = nn.Linear(16 * 3 * 3, CLASSES)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x).flatten(1))


def evaluate(model: nn.Module, data: TensorDataset, batch_size: int) -> float:
    """Accuracy over ``data``: each rank scores its share, then the counts are summed."""
    loader = DataLoader(data, batch_size=batch_size,
                        sampler=DistributedSampler(data, shuffle=False, drop_last=True))
    counts = torch.zeros(2, dtype=torch.float64)           # [correct, seen]
    with torch.no_grad():
        for x, y in loader:
            predicted = model(x).numpy().argmax(1)
            counts += torch.tensor([float((predicted == y.numpy()).sum()), float(len(y))],
                                   dtype=torch.float64)
    dist.all_reduce(counts)
    return counts[0].item() / counts[1].item()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=64, help="global batch (all ranks)")
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--train-size", type=int, default=2048)
    args = parser.parse_args()

    dist.init_process_group("mpi")
    rank, world = dist.get_rank(), dist.get_world_size()
    torch.manual_seed(rank)                 # different inits: DDP starts every rank from rank 0's
    train, test = make_dataset(args.train_size, seed=0), make_dataset(512, seed=1)
    sampler = DistributedSampler(train, shuffle=True, seed=0)
    local_batch = max(1, args.batch_size // world)
    loader = DataLoader(train, batch_size=local_batch, sampler=sampler)
    model = DDP(Net())
    opt = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)
    if rank == 0:
        print(f"{world} rank(s), global batch {local_batch * world} ({local_batch} per rank), "
              f"{len(loader)} steps per epoch", flush=True)

    start = time.perf_counter()
    for epoch in range(args.epochs):
        sampler.set_epoch(epoch)            # a new shuffle each epoch, the same on every rank
        model.train()
        for step, (x, y) in enumerate(loader):
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()                 # gradients averaged across ranks here
            opt.step()
            if step % 10 == 0 or step == len(loader) - 1:
                print(f"[rank {rank}] epoch {epoch} step {step + 1:3d}/{len(loader)} "
                      f"local loss {loss.item():.4f}", flush=True)
        model.eval()
        acc = evaluate(model, test, local_batch)
        if rank == 0:
            print(f"epoch {epoch}: test accuracy {acc:.1%} ({time.perf_counter() - start:.1f} s)",
                  flush=True)
    if rank == 0:
        print(f"final accuracy {acc:.1%} on {len(test)} test images, {world} rank(s)", flush=True)
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
