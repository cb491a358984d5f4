"""B3nn: B3's MLP written with nn (informational; the issue's B3 target is on the raw-op row).

dagrad / PyTorch (the same code), the same weights as B3:
    model = nn.Sequential(Linear(256, 256), Tanh(), ... x8 ..., Linear(256, 10))
    loss = F.mse_loss(model(x), y);  loss.backward()
    with no_grad(): p -= lr * p.grad;  p.grad = None       for p in model.parameters()
NumPy: B3's hand-written version (the same arithmetic). dagrad is "n/a" until it has
nn.Linear, nn.Tanh, nn.Sequential and nn.functional.mse_loss.
"""
from __future__ import annotations

from typing import Any

from bench import b3_mlp
from bench.harness import Case, NotAvailable, Row, has, load

NAME = "B3nn"
TITLE = "8x256 tanh MLP step, nn"
ROWS = [Row("step", "iteration, nn.Sequential")]
MEMORY = False  # the raw-op row (B3) carries the memory target


class TorchLikeCase(Case):
    def __init__(self, backend: str) -> None:
        self.backend = backend
        self.T = load(backend)
        missing = [n for n in ("nn.Linear", "nn.Tanh", "nn.Sequential",
                               "nn.functional.mse_loss") if not has(self.T, n)]
        if missing:
            raise NotAvailable(f"{', '.join(missing)} not yet in {backend}")

    def setup(self) -> None:
        self.init = b3_mlp.data()
        self.x = self.T.tensor(self.init["x"])
        self.y = self.T.tensor(self.init["y"])

    def reset(self) -> None:
        T, nn = self.T, self.T.nn
        layers = []
        for W, b in self.init["params"]:
            lin = nn.Linear(W.shape[0], W.shape[1])
            with T.no_grad():
                lin.weight.copy_(T.tensor(W.T.copy()))
                lin.bias.copy_(T.tensor(b))
            layers += [lin, nn.Tanh()]
        self.model = nn.Sequential(*layers[:-1])
        self.params = list(self.model.parameters())

    def loss(self) -> Any:
        return self.T.nn.functional.mse_loss(self.model(self.x), self.y)

    def step(self) -> None:
        self.loss().backward()
        with self.T.no_grad():
            for p in self.params:
                p -= b3_mlp.LR * p.grad
                p.grad = None

    def check(self) -> dict[str, Any]:
        self.reset()
        loss = self.loss()
        loss.backward()
        out = {"loss": loss}
        lins = [m for m in self.model if isinstance(m, self.T.nn.Linear)]
        for i, lin in enumerate(lins):
            out[f"W{i}.grad"] = lin.weight.grad.t()
            out[f"b{i}.grad"] = lin.bias.grad
        return out


def make(backend: str, quick: bool) -> Case:
    return b3_mlp.NumpyCase() if backend == "numpy" else TorchLikeCase(backend)
