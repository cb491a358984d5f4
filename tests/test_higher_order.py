"""create_graph: second and third derivatives, the create_graph warning, checkpointing."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import dagrad as torch
from dagrad.utils.checkpoint import checkpoint


def test_third_derivative_of_polynomial_and_transcendentals() -> None:
    x = torch.tensor([0.5, 1.5], dtype=torch.float64, requires_grad=True)
    y = (x ** 4 + x.sin() * x.exp()).sum()
    (g1,) = torch.autograd.grad(y, x, create_graph=True)
    (g2,) = torch.autograd.grad(g1.sum(), x, create_graph=True)
    (g3,) = torch.autograd.grad(g2.sum(), x)
    xv = np.array([0.5, 1.5])
    # d3/dx3 [x^4 + sin(x) e^x] = 24x + e^x (-2 sin x + 2 cos x)
    expected = 24 * xv + np.exp(xv) * (-2 * np.sin(xv) + 2 * np.cos(xv))
    np.testing.assert_allclose(g3.numpy(), expected, rtol=1e-12)
    assert g1.grad_fn is not None and g2.grad_fn is not None and g3.grad_fn is None


def test_hessian_vector_product_through_matmul_tanh() -> None:
    rng = np.random.default_rng(0)
    a = rng.standard_normal((3, 3))
    x = torch.tensor(rng.standard_normal(3), dtype=torch.float64, requires_grad=True)
    A = torch.tensor(a, dtype=torch.float64)
    f = (A @ x).tanh().pow(2).sum()
    (g,) = torch.autograd.grad(f, x, create_graph=True)
    v = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64)
    (hv,) = torch.autograd.grad(g, x, grad_outputs=v)
    # finite differences of the gradient along v
    eps = 1e-6

    def grad_at(xv: np.ndarray) -> np.ndarray:
        t = np.tanh(a @ xv)
        return a.T @ (2 * t * (1 - t ** 2))
    fd = (grad_at(x.detach().numpy() + eps * v.numpy()) -
          grad_at(x.detach().numpy() - eps * v.numpy())) / (2 * eps)
    np.testing.assert_allclose(hv.numpy(), fd, rtol=1e-6, atol=1e-9)


def test_backward_create_graph_warns_and_grad_has_copy_backwards() -> None:
    x = torch.ones(2, requires_grad=True)
    with pytest.warns(UserWarning, match="Using backward\\(\\) with create_graph=True will create "
                                         "a reference cycle"):
        (x * x).sum().backward(create_graph=True)
    assert repr(x.grad) == "tensor([2., 2.], grad_fn=<CopyBackwards>)"
    x.grad.sum().backward()          # d/dx sum(2x) = 2 accumulated into x.grad
    assert x.grad.detach().tolist() == [4., 4.]


def test_no_warning_when_inputs_are_given() -> None:
    b = torch.ones(2, requires_grad=True)
    c = b * 2
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        torch.autograd.backward((c * c).sum(), create_graph=True, inputs=[c])


def test_seed000_create_graph_example() -> None:
    x = torch.tensor([1., 2., 3.]).requires_grad_()
    phi = x.pow(2).sum()
    g1, = torch.autograd.grad(phi, x, create_graph=True)
    assert repr(g1) == "tensor([2., 4., 6.], grad_fn=<MulBackward0>)"
    psi = g1[0].exp() - g1[2].exp()
    g2, = torch.autograd.grad(psi, x)
    assert repr(g2) == "tensor([  14.7781,    0.0000, -806.8576])"


@pytest.mark.parametrize("use_reentrant", [False, True])
def test_checkpoint_gives_the_same_gradients(use_reentrant: bool) -> None:
    torch.manual_seed(0)
    w = torch.randn(8, 8, dtype=torch.float64, requires_grad=True)
    x = torch.randn(4, 8, dtype=torch.float64)

    def block(h):
        for _ in range(3):
            h = (h @ w).tanh()
        return h
    checkpoint(block, x, use_reentrant=use_reentrant).pow(2).sum().backward()
    g_ckpt = w.grad.clone()
    w.grad = None
    block(x).pow(2).sum().backward()
    np.testing.assert_allclose(g_ckpt.numpy(), w.grad.numpy(), rtol=1e-14)


def test_checkpoint_recomputes_instead_of_saving() -> None:
    calls = []
    w = torch.ones(3, requires_grad=True)

    def f(h):
        calls.append(1)
        return (h * w).exp()
    y = checkpoint(f, torch.ones(3), use_reentrant=False)
    assert calls == [1]
    y.sum().backward()
    assert calls == [1, 1]
    np.testing.assert_allclose(w.grad.numpy(), [math.e] * 3, rtol=1e-6)


def test_checkpoint_without_use_reentrant_warns() -> None:
    with pytest.warns(UserWarning, match="the use_reentrant parameter should be passed explicitly"):
        checkpoint(lambda h: h * 2, torch.ones(2, requires_grad=True))


def test_higher_order_vs_torch() -> None:
    tt = pytest.importorskip("torch")
    vals = [0.3, -1.2, 2.0]
    res = []
    for lib in (torch, tt):
        x = lib.tensor(vals, dtype=lib.float64, requires_grad=True)
        y = (x.sigmoid() * x.tanh() + (x * x).sqrt().log()).sum()
        (g1,) = lib.autograd.grad(y, x, create_graph=True)
        (g2,) = lib.autograd.grad(g1.pow(2).sum(), x, create_graph=True)
        (g3,) = lib.autograd.grad(g2.sum(), x)
        res.append([g1.tolist(), g2.tolist(), g3.tolist()])
    for a, b in zip(res[0], res[1], strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-10)
