"""Seed 003 ("Introduction to torch.autograd", velog 2021): every tensor/autograd snippet.

Golden strings are PyTorch 2.13's output (``torch.`` written ``dagrad.``). The post prints
``tensor([300.0000, 0.3000])``: PyTorch 2.13 right-aligns the columns, so it prints
``tensor([300.0000,   0.3000])``. The post says a second ``backward()`` without
``retain_graph=True`` raises a RuntimeError, which holds for ``y = x * 3`` (MulBackward0 saved
the scalar 3) and is checked with PyTorch's full message.

Skipped (other issues): the CAM/hook sections use ``nn.Module`` hooks
(``register_forward_hook``, ``register_forward_pre_hook``, ``register_backward_hook``,
``handle.remove()``) on a small CNN; their code is only in images.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from types import ModuleType
from typing import Any

import numpy as np
import pytest

import dagrad

BACKWARD_TWICE = (
    "Trying to backward through the graph a second time (or directly access saved tensors after "
    "they have already been freed). Saved intermediate values of the graph are freed when you "
    "call .backward() or autograd.grad(). Specify retain_graph=True if you need to backward "
    "through the graph a second time or if you need to access saved tensors after calling "
    "backward.")

ADDR = re.compile(r" at 0x[0-9a-f]+")
X = [0.5, -1.5]      # stands in for torch.randn(2): the post never prints x


def _randn_returning(monkeypatch: pytest.MonkeyPatch, lib: ModuleType, values: Any) -> None:
    def randn(*size: Any, requires_grad: bool = False, **_: Any) -> Any:
        t = lib.tensor(values, requires_grad=requires_grad)
        assert tuple(t.shape) == tuple(size)
        return t
    monkeypatch.setattr(lib, "randn", randn)


# ------------------------------------------------------------------------------------------
# The snippets, as in the post
# ------------------------------------------------------------------------------------------

def backward_with_gradients(torch: ModuleType) -> None:
    x = torch.randn(2, requires_grad=True)  # x는 2dimension의 변수로 선언
    y = x * 3  # y함수를 x에 대한 연산으로 정의
    gradients = torch.tensor([100, 0.1], dtype=torch.float)

    y.backward(gradients)
    print(x.grad)  # x.grad를 통해 delta y/ delta x 를 출력해준다


def second_backward_fails(torch: ModuleType) -> None:
    x = torch.randn(2, requires_grad=True)
    y = x * 3
    gradients = torch.tensor([100, 0.1], dtype=torch.float)
    y.backward(gradients)
    try:
        y.backward(gradients)       # "두번 호출하게 되면 runtimeerror가 난다"
    except RuntimeError as e:
        print(f"RuntimeError: {e}")
    print(x.grad)


def retain_graph(torch: ModuleType) -> None:
    x = torch.randn(2, requires_grad=True)
    y = x * 3
    gradients = torch.tensor([100, 0.1], dtype=torch.float)
    y.backward(gradients, retain_graph=True)
    print(x.grad)
    y.backward(gradients)
    print(x.grad)  # gradients are accumulated


def grad_fn_attribute(torch: ModuleType) -> None:
    # "x로 부터 y, z, w 를 만들어 computational graph을 형성한다 ... w 바로 직전에 computational
    # graph의 operation은 더하기 이고 이 더하기에 x, y 변수가 걸려있다" (code only in an image)
    x = torch.randn(2, requires_grad=True)
    y = x * 3
    z = x ** 2
    w = x + y
    print(y)
    print(z)
    print(w)
    print(w.grad_fn)
    print(w.grad_fn.next_functions)


GOLDEN: list[tuple[Callable[[ModuleType], Any], str]] = [
    (backward_with_gradients, "tensor([300.0000,   0.3000])\n"),
    (second_backward_fails, f"RuntimeError: {BACKWARD_TWICE}\ntensor([300.0000,   0.3000])\n"),
    (retain_graph, "tensor([300.0000,   0.3000])\ntensor([600.0000,   0.6000])\n"),
    (grad_fn_attribute,
     "tensor([ 1.5000, -4.5000], grad_fn=<MulBackward0>)\n"
     "tensor([0.2500, 2.2500], grad_fn=<PowBackward0>)\n"
     "tensor([ 2., -6.], grad_fn=<AddBackward0>)\n"
     "<AddBackward0 object at 0x...>\n"
     "((<AccumulateGrad object at 0x...>, 0), (<MulBackward0 object at 0x...>, 0))\n"),
]


@pytest.mark.parametrize("snippet, expected", GOLDEN, ids=[f.__name__ for f, _ in GOLDEN])
def test_golden(snippet: Callable[[ModuleType], Any], expected: str,
                capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    _randn_returning(monkeypatch, dagrad, X)
    snippet(dagrad)
    assert ADDR.sub(" at 0x...", capsys.readouterr().out) == expected


@pytest.mark.parametrize("snippet, expected", GOLDEN, ids=[f.__name__ for f, _ in GOLDEN])
def test_same_output_as_torch(snippet: Callable[[ModuleType], Any], expected: str,
                              capsys: pytest.CaptureFixture[str],
                              monkeypatch: pytest.MonkeyPatch) -> None:
    torch = pytest.importorskip("torch")
    _randn_returning(monkeypatch, torch, X)
    snippet(torch)
    out = ADDR.sub(" at 0x...", capsys.readouterr().out).replace("torch.", "dagrad.")
    assert out == expected


# ------------------------------------------------------------------------------------------
# With dagrad's own random numbers
# ------------------------------------------------------------------------------------------

def test_gradient_argument_multiplies_the_jacobian() -> None:
    x = dagrad.randn(2, requires_grad=True)
    y = x * 3
    gradients = dagrad.tensor([100, 0.1], dtype=dagrad.float)
    assert gradients.dtype is dagrad.float32
    y.backward(gradients, retain_graph=True)
    expected = np.array([300, 0.3], dtype=np.float32)   # 3 * gradients, whatever x is
    np.testing.assert_array_equal(x.grad.numpy(), np.float32(3) * gradients.numpy())
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-6)
    y.backward(gradients)
    np.testing.assert_allclose(x.grad.numpy(), 2 * expected, rtol=1e-6)
    with pytest.raises(RuntimeError) as info:
        y.backward(gradients)
    assert str(info.value) == BACKWARD_TWICE


def test_backward_without_requires_grad_fails() -> None:
    # "requires_grad = False로 해서 ... backward 하게 되면 에러가 난다"
    x = dagrad.randn(2)
    y = x * 3
    with pytest.raises(RuntimeError, match=r"^element 0 of tensors does not require grad and "
                                           r"does not have a grad_fn$"):
        y.backward(dagrad.tensor([100, 0.1], dtype=dagrad.float))


def test_grad_fn_of_every_computed_tensor() -> None:
    x = dagrad.randn(2, requires_grad=True)
    y, z = x * 3, x ** 2
    w = x + y
    assert x.grad_fn is None
    assert [t.grad_fn.name() for t in (y, z, w)] == ["MulBackward0", "PowBackward0",
                                                     "AddBackward0"]
    (acc, i), (mul, j) = w.grad_fn.next_functions
    assert acc.variable is x and mul is y.grad_fn and (i, j) == (0, 0)
    w.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.full(2, 4.0, np.float32))
