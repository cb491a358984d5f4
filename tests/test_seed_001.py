"""Seed 001 ("PyTorch Gradient 관련 설명 (Autograd)", 2019 blog post): every snippet.

Each snippet is a function taking the library as ``torch`` and printing what the post prints;
the golden strings are PyTorch 2.13's output (``torch.`` written ``dagrad.``). The post's
``torch.randn`` examples print one random draw; here they run twice: with dagrad's own random
numbers (checking relations that must hold, e.g. ``x.grad == 2 * (x + 2)``), and with
``randn`` replaced by the very numbers the post printed, so the whole printed output is golden.
With PyTorch installed, every snippet also runs under both libraries on the same inputs.
"""
from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from types import ModuleType
from typing import Any

import numpy as np
import pytest

import dagrad

NONLEAF_GRAD_WARNING = (
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad "
    "attribute won't be populated during autograd.backward(). If you indeed want the .grad field "
    "to be populated for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. If you "
    "access the non-leaf Tensor by mistake, make sure you access the leaf Tensor instead. See "
    "github.com/pytorch/pytorch/pull/30531 for more information.")

# The x the post printed for its randn examples (four decimals, so z differs in the last digit).
POST_X = [[2.5455, 1.3913], [-0.4362, -0.5303]]


def _randn_returning(monkeypatch: pytest.MonkeyPatch, lib: ModuleType, values: Any) -> None:
    def randn(*size: Any, requires_grad: bool = False, **_: Any) -> Any:
        t = lib.tensor(values, requires_grad=requires_grad)
        assert tuple(t.shape) == tuple(size)
        return t
    monkeypatch.setattr(lib, "randn", randn)


# ------------------------------------------------------------------------------------------
# The snippets, as in the post
# ------------------------------------------------------------------------------------------

def ones_and_requires_grad(torch: ModuleType) -> None:
    x1 = torch.ones(2, 2)
    print(x1)

    x2 = torch.ones(2, 2, requires_grad=True)
    print(x2)


def add_constant(torch: ModuleType) -> None:
    x1 = torch.ones(2, 2)
    print(x1)

    y1 = x1 + 2
    print(y1)

    x2 = torch.ones(2, 2, requires_grad=True)
    print(x2)
    y2 = x2 + 2
    print(y2)


def four_operations(torch: ModuleType) -> None:
    x = torch.ones(2, 2, requires_grad=True)
    y1 = x + 2
    print(y1)

    y2 = x - 2
    print(y2)

    y3 = x * 2
    print(y3)

    y4 = x / 2
    print(y4)


def requires_grad_afterwards(torch: ModuleType) -> None:
    x = torch.ones(2, 2)
    y = x + 2

    print(x)
    print(y)

    y.requires_grad_(True)

    print(x)
    print(y)


def polynomial_derivative(torch: ModuleType) -> None:
    x = torch.tensor(2.0, requires_grad=True)
    y = 9*x**4 + 2*x**3 + 3*x**2 + 6*x + 1
    y.backward()
    print(x.grad)


def non_scalar_backward(torch: ModuleType) -> None:
    x = torch.randn(2, 2, requires_grad=True)
    y = x + 2
    z = (y * y)
    try:
        z.backward()
    except RuntimeError as e:
        print(f"RuntimeError: {e}")


def scalar_backward(torch: ModuleType) -> None:
    x = torch.randn(2, 2, requires_grad=True)
    y = x + 2
    z = (y * y).sum()
    z.backward()

    print(x)
    print(y)
    print(z)
    print(x.grad)
    print(y.grad)
    print(z.grad)


def backward_with_gradient(torch: ModuleType) -> None:
    x = torch.randn(2, 2, requires_grad=True)
    y = x + 2
    z = (y * y)
    y.backward(z)

    print(x.grad)


def matrix_mean(torch: ModuleType) -> None:
    x = torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    print(x)
    y = x + 2
    print(y)
    z = y * y * 3
    print(z)
    out = z.mean()
    print(out)
    out.backward()
    print(x.grad)


def partial_derivative(torch: ModuleType) -> None:
    x = torch.tensor(1.0, requires_grad=True)
    z = torch.tensor(2.0, requires_grad=True)
    y = x**2 + z**3
    y.backward()
    print(x.grad, z.grad)


def no_grad_mode(torch: ModuleType) -> None:
    x = torch.tensor(1.0, requires_grad=True)
    print(x.requires_grad)

    with torch.no_grad():
        print(x.requires_grad)
        print((x**2).requires_grad)

    print(x.requires_grad)


# ------------------------------------------------------------------------------------------
# Golden outputs
# ------------------------------------------------------------------------------------------

GOLDEN: list[tuple[Callable[[ModuleType], Any], str]] = [
    (ones_and_requires_grad,
     "tensor([[1., 1.],\n        [1., 1.]])\n"
     "tensor([[1., 1.],\n        [1., 1.]], requires_grad=True)\n"),
    (add_constant,
     "tensor([[1., 1.],\n        [1., 1.]])\n"
     "tensor([[3., 3.],\n        [3., 3.]])\n"
     "tensor([[1., 1.],\n        [1., 1.]], requires_grad=True)\n"
     "tensor([[3., 3.],\n        [3., 3.]], grad_fn=<AddBackward0>)\n"),
    (four_operations,
     "tensor([[3., 3.],\n        [3., 3.]], grad_fn=<AddBackward0>)\n"
     "tensor([[-1., -1.],\n        [-1., -1.]], grad_fn=<SubBackward0>)\n"
     "tensor([[2., 2.],\n        [2., 2.]], grad_fn=<MulBackward0>)\n"
     "tensor([[0.5000, 0.5000],\n        [0.5000, 0.5000]], grad_fn=<DivBackward0>)\n"),
    (requires_grad_afterwards,
     "tensor([[1., 1.],\n        [1., 1.]])\n"
     "tensor([[3., 3.],\n        [3., 3.]])\n"
     "tensor([[1., 1.],\n        [1., 1.]])\n"
     "tensor([[3., 3.],\n        [3., 3.]], requires_grad=True)\n"),
    (polynomial_derivative, "tensor(330.)\n"),
    (matrix_mean,
     "tensor([[1., 2.],\n        [3., 4.]], requires_grad=True)\n"
     "tensor([[3., 4.],\n        [5., 6.]], grad_fn=<AddBackward0>)\n"
     "tensor([[ 27.,  48.],\n        [ 75., 108.]], grad_fn=<MulBackward0>)\n"
     "tensor(64.5000, grad_fn=<MeanBackward0>)\n"
     "tensor([[4.5000, 6.0000],\n        [7.5000, 9.0000]])\n"),
    (partial_derivative, "tensor(2.) tensor(12.)\n"),
    (no_grad_mode, "True\nTrue\nFalse\nTrue\n"),
]

# The randn snippets, fed the x the post printed.
GOLDEN_POST_X: list[tuple[Callable[[ModuleType], Any], str]] = [
    (non_scalar_backward, "RuntimeError: grad can be implicitly created only for scalar outputs\n"),
    # The post prints z = tensor(36.7684, ...) and x.grad[0, 1] = 6.7827: its x had more digits
    # than the four it printed. These are PyTorch 2.13's numbers for the printed x.
    (scalar_backward,
     "tensor([[ 2.5455,  1.3913],\n        [-0.4362, -0.5303]], requires_grad=True)\n"
     "tensor([[4.5455, 3.3913],\n        [1.5638, 1.4697]], grad_fn=<AddBackward0>)\n"
     "tensor(36.7680, grad_fn=<SumBackward0>)\n"
     "tensor([[9.0910, 6.7826],\n        [3.1276, 2.9394]])\n"
     "None\nNone\n"),
    # The post's x.grad here came from another draw; for its printed x, x.grad = (x + 2)**2.
    (backward_with_gradient, "tensor([[20.6616, 11.5009],\n        [ 2.4455,  2.1600]])\n"),
]


@pytest.mark.parametrize("snippet, expected", GOLDEN, ids=[f.__name__ for f, _ in GOLDEN])
def test_golden(snippet: Callable[[ModuleType], Any], expected: str,
                capsys: pytest.CaptureFixture[str]) -> None:
    snippet(dagrad)
    assert capsys.readouterr().out == expected


@pytest.mark.filterwarnings("ignore:The .grad attribute of a Tensor that is not a leaf")
@pytest.mark.parametrize("snippet, expected", GOLDEN_POST_X,
                         ids=[f.__name__ for f, _ in GOLDEN_POST_X])
def test_golden_with_the_posts_x(snippet: Callable[[ModuleType], Any], expected: str,
                                 capsys: pytest.CaptureFixture[str],
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    _randn_returning(monkeypatch, dagrad, POST_X)
    snippet(dagrad)
    assert capsys.readouterr().out == expected


ALL = [f for f, _ in GOLDEN + GOLDEN_POST_X]


@pytest.mark.filterwarnings("ignore:The .grad attribute of a Tensor that is not a leaf")
@pytest.mark.parametrize("snippet", ALL, ids=[f.__name__ for f in ALL])
def test_same_output_as_torch(snippet: Callable[[ModuleType], Any],
                              capsys: pytest.CaptureFixture[str],
                              monkeypatch: pytest.MonkeyPatch) -> None:
    torch = pytest.importorskip("torch")
    _randn_returning(monkeypatch, dagrad, POST_X)
    snippet(dagrad)
    ours = capsys.readouterr().out
    _randn_returning(monkeypatch, torch, POST_X)
    snippet(torch)
    assert ours == capsys.readouterr().out.replace("torch.", "dagrad.")


# ------------------------------------------------------------------------------------------
# The randn snippets with dagrad's own random numbers
# ------------------------------------------------------------------------------------------

def test_randn_non_scalar_backward_raises() -> None:
    x = dagrad.randn(2, 2, requires_grad=True)
    z = (x + 2) * (x + 2)
    with pytest.raises(RuntimeError, match=r"^grad can be implicitly created only for scalar "
                                           r"outputs$"):
        z.backward()
    assert x.grad is None


def test_randn_scalar_backward_relations() -> None:
    x = dagrad.randn(2, 2, requires_grad=True)
    y = x + 2
    z = (y * y).sum()
    z.backward()
    xs = x.detach().numpy()
    assert re.fullmatch(r"tensor\(-?\d+\.\d{4}, grad_fn=<SumBackward0>\)", repr(z))
    np.testing.assert_allclose(z.item(), ((xs + 2) ** 2).sum(), rtol=1e-6)
    np.testing.assert_allclose(x.grad.numpy(), 2 * (xs + 2), rtol=1e-6)
    assert x.grad.dtype is dagrad.float32 and x.grad.grad_fn is None
    for non_leaf in (y, z):
        with pytest.warns(UserWarning) as record:
            assert non_leaf.grad is None
        assert [str(w.message) for w in record] == [NONLEAF_GRAD_WARNING]


def test_randn_backward_with_gradient_relation() -> None:
    x = dagrad.randn(2, 2, requires_grad=True)
    y = x + 2
    z = (y * y)
    y.backward(z)
    # dy/dx is the identity, so x.grad is the gradient passed in: (x + 2)**2
    np.testing.assert_allclose(x.grad.numpy(), (x.detach().numpy() + 2) ** 2, rtol=1e-6)
    # z still holds its graph: y's node did not save anything z needs
    assert z.grad_fn.name() == "MulBackward0"


def test_no_grad_mode_leaves_requires_grad_unchanged() -> None:
    x = dagrad.tensor(1.0, requires_grad=True)
    with dagrad.no_grad():
        y = x ** 2
        assert x.requires_grad and not y.requires_grad and y.grad_fn is None
        assert not dagrad.is_grad_enabled()
    assert dagrad.is_grad_enabled() and (x ** 2).requires_grad


def test_post_x_gradients_are_exact_formulas() -> None:
    # f(x) = 9x^4 + 2x^3 + 3x^2 + 6x + 1, f'(2) = 330: exact in float32 as well
    x = dagrad.tensor(2.0, requires_grad=True)
    (9*x**4 + 2*x**3 + 3*x**2 + 6*x + 1).backward()
    assert x.grad.item() == 330.0 and x.grad.shape == dagrad.Size([])
    with warnings.catch_warnings():
        warnings.simplefilter("error")       # no warning when reading a leaf's grad
        assert repr(x.grad) == "tensor(330.)"
