"""Complex tensors: arithmetic, PyTorch's gradient convention, and the complex ops
(``angle``, ``view_as_real``, ``view_as_complex``, ``complex``, ``polar``, ``conj_physical``).

PyTorch's convention (conjugate Wirtinger): for a real loss ``L`` of ``z = x + iy`` the gradient
is ``dL/dx + i dL/dy``, so ``z - lr * z.grad`` descends.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import dagrad
from dagrad.autograd.gradcheck import gradcheck, gradgradcheck
from dagrad.ops import complex_ops as C
from dagrad.testing import assert_close

C64, C128, F32, F64 = dagrad.complex64, dagrad.complex128, dagrad.float32, dagrad.float64


def _z(*shape: int, seed: int = 0, rg: bool = True, dtype: Any = C128) -> dagrad.Tensor:
    rng = np.random.default_rng(seed)
    a = rng.uniform(-1, 1, shape) + 1j * rng.uniform(-1, 1, shape) + 0.3
    return dagrad.tensor(a, dtype=dtype, requires_grad=rg)


# --------------------------------------------------------------------------- golden gradients


def test_gradient_of_abs_squared_at_1_plus_1j_is_2_plus_2j() -> None:
    z = dagrad.tensor(1 + 1j, requires_grad=True)
    (z.abs() ** 2).backward()
    assert z.grad.item() == pytest.approx(2 + 2j)
    z = dagrad.tensor(1 + 1j, requires_grad=True)
    (z * z.conj()).real.backward()
    assert z.grad.item() == pytest.approx(2 + 2j)


def test_gradient_of_real_part_of_z_squared_at_1_plus_2j_is_2_minus_4j() -> None:
    z = dagrad.tensor(1 + 2j, requires_grad=True)
    (z * z).real.backward()
    assert z.grad.item() == pytest.approx(2 - 4j)


def test_angle_gradient_golden() -> None:
    z = dagrad.tensor([1 + 1j, 0j], requires_grad=True)
    C.angle(z).sum().backward()
    # d angle = Im(dz / z): the gradient is i z / |z|^2, and 0 at z = 0
    assert_close(z.grad, np.array([(-1 + 1j) / 2, 0]).astype(np.complex64))


def test_gradient_descent_on_a_complex_parameter_converges() -> None:
    target = dagrad.tensor([2 - 1j, -0.5 + 3j], dtype=C128)
    z = dagrad.zeros(2, dtype=C128, requires_grad=True)
    for _ in range(50):
        loss = ((z - target).abs() ** 2).sum()
        (g,) = dagrad.autograd.grad(loss, z)
        with dagrad.no_grad():
            z = (z - 0.25 * g).requires_grad_()
    assert_close(z, target)


def test_backward_of_a_complex_scalar_needs_a_gradient() -> None:
    z = dagrad.tensor([1 + 2j], requires_grad=True)
    with pytest.raises(RuntimeError, match=re.escape(
            "grad can be implicitly created only for real scalar outputs but got "
            "dagrad.complex64")):
        (z * 2).sum().backward()


# --------------------------------------------------------------------------- arithmetic


def test_complex_arithmetic_values_and_dtypes() -> None:
    a, b = _z(2, 3, rg=False), _z(2, 3, seed=1, rg=False)
    x, y = a._data, b._data
    for got, want in [(a + b, x + y), (a - b, x - y), (a * b, x * y), (a / b, x / y),
                      (a ** 2, x ** 2), (a ** b, x ** y), (a.exp(), np.exp(x)),
                      (a.log(), np.log(x)), (a.sin(), np.sin(x)), (a.cos(), np.cos(x)),
                      (a.tanh(), np.tanh(x)), (a.sqrt(), np.sqrt(x)), (a.abs(), np.abs(x)),
                      (a.conj(), np.conj(x)), (a.real, x.real), (a.imag, x.imag),
                      (a.reciprocal(), 1 / x), (a.sum(0), x.sum(0)), (a.mean(), x.mean()),
                      (a @ b.mT, x @ y.T), (-a, -x), (a * 2j, x * 2j), (1 - a, 1 - x)]:
        assert_close(got, want, check_dtype=False)
    assert (a.abs()).dtype == F64 and a.real.dtype == F64
    # PyTorch's promotion: complex64 with a float64 tensor is complex128, a Python complex
    # turns a float32 tensor complex64, and an integer tensor complex64
    assert (dagrad.ones(2, dtype=C64) + dagrad.ones(2, dtype=F64)).dtype == C128
    assert (dagrad.ones(2) * 1j).dtype == C64
    assert (dagrad.tensor([1, 2]) + 1j).dtype == C64
    assert (dagrad.ones(2, dtype=C64) / 2).dtype == C64


_POINTWISE: list[tuple[str, Callable, int]] = [
    ("mul", lambda a, b: a * b, 2), ("div", lambda a, b: a / b, 2),
    ("add_alpha", lambda a, b: a.add(b, alpha=2), 2), ("sub", lambda a, b: a - b, 2),
    ("pow_tensor", lambda a, b: a ** b, 2), ("pow_scalar", lambda a: a ** 2.5, 1),
    ("rpow", lambda a: 2 ** a, 1), ("reciprocal", lambda a: a.reciprocal(), 1),
    ("exp", lambda a: a.exp(), 1), ("log", lambda a: a.log(), 1), ("sin", lambda a: a.sin(), 1),
    ("cos", lambda a: a.cos(), 1), ("tanh", lambda a: a.tanh(), 1),
    ("sigmoid", lambda a: a.sigmoid(), 1), ("sqrt", lambda a: a.sqrt(), 1),
    ("abs", lambda a: a.abs(), 1), ("sgn", lambda a: a.sgn(), 1),
    ("conj", lambda a: a.conj() * a, 1), ("real", lambda a: a.real, 1),
    ("imag", lambda a: a.imag, 1), ("sum", lambda a: a.sum(0), 1), ("mean", lambda a: a.mean(), 1),
    ("norm", lambda a: a.norm(), 1), ("mm", lambda a, b: a.mm(b.mT), 2),
    ("matmul_batched", lambda a, b: a.unsqueeze(0).expand(2, 3, 3) @ b.mT, 2),
    ("mv", lambda a, b: a.mv(b[0]), 2), ("dot", lambda a, b: a[0].dot(b[1]), 2),
    ("where", lambda a, b: _where(a, b), 2),
    ("scalar_mul", lambda a: a * (2 + 1j), 1), ("scalar_div", lambda a: a / (2 + 1j), 1),
    ("to_complex", lambda a: a.real.to(a.dtype) * a, 1),
]


def _where(a: Any, b: Any) -> Any:
    import sys
    lib = dagrad if isinstance(a, dagrad.Tensor) else sys.modules["torch"]
    return lib.where(a.real > 0.3, a, b)


@pytest.mark.parametrize(("name", "fn", "n"), _POINTWISE, ids=[c[0] for c in _POINTWISE])
def test_complex_pointwise_gradcheck(name: str, fn: Callable, n: int) -> None:
    args = tuple(_z(3, 3, seed=i) for i in range(n))
    assert gradcheck(fn, args)
    dagrad.manual_seed(0)
    assert gradgradcheck(fn, args)


# Note [Known complex gradient bugs]
# Two formulas outside this files ignore the conjugate PyTorch applies; the owners of
# pointwise.py and nn_ops.py were told (repro: the gradient of Re(z.square()) at 1+2j is 2+4j
# in dagrad, 2-4j in PyTorch). strict: the xfail fails once they are fixed, so it gets removed.
_BUGGY = [
    ("square", lambda lib, a: lib.square(a), 1),
    ("addmm", lambda lib, a, b: (lib.addmm if hasattr(lib, "addmm") else _addmm)(a, a, b.mT), 2),
]


def _addmm(*args: Any) -> Any:
    from dagrad.ops.nn_ops import addmm
    return addmm(*args)


def _oracle(torch: Any, fn: Callable, n: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    arrs = [rng.uniform(-1, 1, (3, 3)) + 1j * rng.uniform(-1, 1, (3, 3)) + 0.3 for _ in range(n)]
    w = rng.uniform(0.5, 1.5, (3, 3)) + 1j * rng.uniform(0.5, 1.5, (3, 3))
    res = []
    for lib in (dagrad, torch):
        xs = [lib.tensor(a, dtype=lib.complex128, requires_grad=True) for a in arrs]
        out = fn(lib, *xs)
        ww = lib.tensor(w if out.dim() == 2 else (w[0] if out.dim() == 1 else w[0, 0]))
        loss = (out * ww).real.sum() if out.is_complex() else (out * ww.real).sum()
        gs = lib.autograd.grad(loss, xs, create_graph=True, allow_unused=True)
        gs = [g if g is not None else xs[0] * 0 for g in gs]
        h = sum((g * g.conj() * xs[0] * (1 + 0.5j)).real.sum() for g in gs)
        ggs = lib.autograd.grad(h, xs, allow_unused=True)

        def arr(t: Any) -> np.ndarray:
            if t is None:
                return np.zeros((3, 3), complex)
            return t._data if isinstance(t, dagrad.Tensor) else t.detach().resolve_conj().numpy()
        res.append(([arr(g) for g in gs], [arr(g) for g in ggs]))
    for ours, theirs in zip(res[0], res[1], strict=True):
        for a, b in zip(ours, theirs, strict=True):
            assert_close(a, b, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize(("name", "fn", "n"), _POINTWISE, ids=[c[0] for c in _POINTWISE])
def test_complex_pointwise_gradients_match_torch(name: str, fn: Callable, n: int) -> None:
    torch = pytest.importorskip("torch")
    _oracle(torch, lambda lib, *xs: fn(*xs), n)


@pytest.mark.parametrize(("name", "fn", "n"), _BUGGY, ids=[c[0] for c in _BUGGY])
def test_known_complex_gradient_bugs(name: str, fn: Callable, n: int) -> None:
    torch = pytest.importorskip("torch")
    _oracle(torch, fn, n)


# --------------------------------------------------------------------------- complex ops


def test_view_as_real_and_view_as_complex_share_memory() -> None:
    z = dagrad.tensor([1 + 2j, 3 - 4j])
    r = C.view_as_real(z)
    assert r.tolist() == [[1.0, 2.0], [3.0, -4.0]]
    r.mul_(2)
    assert z.tolist() == [2 + 4j, 6 - 8j]
    assert z._version == r._version == 1
    x = dagrad.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=F64)
    c = C.view_as_complex(x)
    assert c.dtype == C128 and c.tolist() == [1 + 2j, 3 + 4j]
    c.mul_(1j)
    assert x.tolist() == [[-2.0, 1.0], [-4.0, 3.0]]
    # strided: every other row of a contiguous tensor is still a valid complex view
    y = dagrad.arange(16, dtype=F32).reshape(4, 4)[::2, 2:]
    assert C.view_as_complex(y).tolist() == [2 + 3j, 10 + 11j]
    with pytest.raises(RuntimeError, match="^Tensor must have a storage_offset divisible by 2$"):
        C.view_as_complex(dagrad.arange(8, dtype=F32)[1:7].reshape(3, 2))
    with pytest.raises(RuntimeError, match="^view_as_real is only supported for complex tensors$"):
        C.view_as_real(dagrad.ones(2))


def test_view_as_real_gradients() -> None:
    z = _z(2, 3)
    w = dagrad.tensor(np.arange(12.0).reshape(2, 3, 2))
    (C.view_as_real(z) * w).sum().backward()
    assert_close(z.grad, w._data[..., 0] + 1j * w._data[..., 1])
    x = dagrad.tensor(np.ones((3, 2)), requires_grad=True)
    (C.view_as_complex(x) * (1 + 2j)).real.sum().backward()
    assert_close(x.grad, np.tile([1.0, -2.0], (3, 1)))
    assert gradgradcheck(lambda t: C.view_as_real(t) ** 2, (_z(2, 2),))
    assert gradgradcheck(lambda t: C.view_as_complex(t) ** 2, (dagrad.tensor(
        np.random.default_rng(0).uniform(-1, 1, (3, 2)), requires_grad=True),))


def test_complex_and_polar_values_and_gradients() -> None:
    re_ = dagrad.tensor([1.0, -2.0], dtype=F64, requires_grad=True)
    im = dagrad.tensor([0.5, 2.0], dtype=F64, requires_grad=True)
    z = C.complex(re_, im)
    assert z.dtype == C128 and z.tolist() == [1 + 0.5j, -2 + 2j]
    z.abs().sum().backward()
    a = np.abs(z._data)
    assert_close(re_.grad, z._data.real / a)
    assert_close(im.grad, z._data.imag / a)
    r = dagrad.tensor([2.0, 0.5], dtype=F64, requires_grad=True)
    t = dagrad.tensor([0.3, -1.2], dtype=F64, requires_grad=True)
    p = C.polar(r, t)
    assert_close(p, r._data * np.exp(1j * t._data))
    (p.real + 2 * p.imag).sum().backward()
    assert_close(r.grad, np.cos(t._data) + 2 * np.sin(t._data))
    assert_close(t.grad, r._data * (-np.sin(t._data) + 2 * np.cos(t._data)))
    assert gradgradcheck(C.polar, (r, t))
    assert gradgradcheck(C.complex, (re_, im))
    assert C.complex(dagrad.ones(2), dagrad.ones(2)).dtype == C64


def test_angle_of_real_numbers_and_conj_physical() -> None:
    x = dagrad.tensor([-1.0, 0.0, float("nan"), 2.0], requires_grad=True)
    out = C.angle(x)
    assert_close(out, np.array([np.pi, 0.0, np.nan, 0.0], np.float32), equal_nan=True)
    assert type(out.grad_fn).__name__ == "AngleBackward0"
    out.sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0, 0.0]
    assert C.angle(dagrad.tensor([1, -2])).dtype == F32
    z = _z(3)
    assert C.conj_physical(z).tolist() == np.conj(z._data).tolist()
    assert type(C.conj_physical(z).grad_fn).__name__ == "ConjPhysicalBackward0"
    assert C.conj_physical(x) is x
    assert C.resolve_conj(z) is z and C.resolve_neg(z) is z and not C.is_conj(z)


def test_complex_ops_gradcheck() -> None:
    z = _z(2, 3)
    for f in (C.angle, lambda t: C.view_as_real(t).sum(-1), C.conj_physical):
        assert gradcheck(f, (z,))
        assert gradgradcheck(f, (z,))
