"""dagrad's demo: train a LeNet-style CNN on synthetic digits, written as PyTorch code.

    python examples/demo.py            # about half a minute on 2 cores

It generates 28x28 digit images in code (no download), trains with `import dagrad as torch`
exactly as one would with PyTorch, shows progress (tqdm if installed), reports test accuracy,
and writes pictures to ./demo_out/: the loss curve (SVG; also PNG with matplotlib) and the
saliency map of one test image — the gradient of its class score w.r.t. the input pixels,
obtained with a module forward hook and `backward()` (seed 003's CAM/saliency idea).
"""
from __future__ import annotations

import os
import struct
import sys
import time
import zlib

import numpy as np

import dagrad as torch
from dagrad import nn
from dagrad.datasets import synthetic_digits
from dagrad.utils.data import DataLoader, TensorDataset

OUT = os.environ.get("DAGRAD_DEMO_OUT", "demo_out")


class LeNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, 5), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 5), nn.ReLU(), nn.MaxPool2d(2))
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(16 * 4 * 4, 10))

    def forward(self, x):
        return self.classifier(self.features(x))


def progress(iterable, total: int, desc: str):
    try:
        from tqdm import tqdm
        yield from tqdm(iterable, total=total, desc=desc, leave=False)
        return
    except ImportError:
        pass
    live = sys.stderr.isatty()          # a bar on terminals; quiet in logs and CI
    for i, item in enumerate(iterable, 1):
        if live and (i % 5 == 0 or i == total):
            bar = "#" * (30 * i // total)
            print(f"\r{desc} [{bar:<30}] {i}/{total}", end="", file=sys.stderr, flush=True)
        yield item
    if live:
        print("\r" + " " * 60 + "\r", end="", file=sys.stderr)


def main() -> None:
    torch.manual_seed(0)
    t0 = time.time()
    x_np, y_np = synthetic_digits(6000, seed=1)
    x_train, y_train = torch.from_numpy(x_np[:5000]), torch.from_numpy(y_np[:5000])
    x_test, y_test = torch.from_numpy(x_np[5000:]), torch.from_numpy(y_np[5000:])
    loader = DataLoader(TensorDataset(x_train, y_train), batch_size=32, shuffle=True,
                        generator=torch.Generator().manual_seed(0))
    model = LeNet()
    print(model)
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    loss_fn = nn.CrossEntropyLoss()
    losses = []
    for epoch in range(3):
        model.train()
        for xb, yb in progress(loader, len(loader), f"epoch {epoch + 1}"):
            optimizer.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        model.eval()
        with torch.no_grad():
            acc = (model(x_test).argmax(1) == y_test).float().mean().item()
        print(f"epoch {epoch + 1}: loss {np.mean(losses[-len(loader):]):.4f}  "
              f"test accuracy {100 * acc:.2f}%  ({time.time() - t0:.1f} s)")
    os.makedirs(OUT, exist_ok=True)
    write_loss_curve(losses, os.path.join(OUT, "loss.svg"))
    write_saliency(model, x_test[:1], int(y_test[0]), os.path.join(OUT, "saliency.png"))
    print(f"final test accuracy: {100 * acc:.2f}%  — pictures in {OUT}/")


def write_loss_curve(losses: list[float], path: str) -> None:
    w, h, n = 600, 300, len(losses)
    top = max(losses)
    pts = " ".join(f"{40 + 540 * i / max(n - 1, 1):.1f},{260 - 220 * v / top:.1f}"
                   for i, v in enumerate(losses))
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}">'
           f'<rect width="{w}" height="{h}" fill="white"/>'
           f'<polyline points="{pts}" fill="none" stroke="#1f77b4" stroke-width="1.5"/>'
           f'<line x1="40" y1="260" x2="580" y2="260" stroke="black"/>'
           f'<line x1="40" y1="40" x2="40" y2="260" stroke="black"/>'
           f'<text x="300" y="290" text-anchor="middle" font-family="sans-serif" '
           f'font-size="13">training step</text>'
           f'<text x="45" y="30" font-family="sans-serif" font-size="13">cross-entropy loss '
           f'(max {top:.2f})</text></svg>')
    with open(path, "w") as f:
        f.write(svg)
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        plt.figure(figsize=(6, 3))
        plt.plot(losses)
        plt.xlabel("training step")
        plt.ylabel("loss")
        plt.tight_layout()
        plt.savefig(path.replace(".svg", ".png"))
        plt.close()
    except ImportError:
        pass


def write_saliency(model: nn.Module, image, label: int, path: str) -> None:
    """|d score_label / d pixel|, captured with a forward hook on the first conv (seed 003)."""
    acts = []
    handle = model.features[0].register_forward_hook(lambda m, i, o: acts.append(o))
    x = image.clone().requires_grad_(True)
    score = model(x)[0, label]
    score.backward()
    handle.remove()
    sal = x.grad.abs()[0, 0].numpy()
    sal = sal / (sal.max() + 1e-12)
    img = image[0, 0].numpy()
    both = np.concatenate([img, np.ones((28, 2)), sal], axis=1)
    big = np.kron(both, np.ones((8, 8)))
    write_png(path, (255 * np.clip(big, 0, 1)).astype(np.uint8))


def write_png(path: str, grey: np.ndarray) -> None:
    """A minimal greyscale PNG writer (no dependency)."""
    h, w = grey.shape
    raw = b"".join(b"\x00" + grey[r].tobytes() for r in range(h))

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(
            ">I", zlib.crc32(tag + data) & 0xFFFFFFFF)
    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)) +
           chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))
    with open(path, "wb") as f:
        f.write(png)


if __name__ == "__main__":
    main()
