"""dagrad.func transforms vs hand-derived values, loops, and torch.func when installed."""
from __future__ import annotations

import numpy as np
import pytest

import dagrad as torch
from dagrad.func import (functional_call, grad, grad_and_value, hessian, jacfwd, jacrev, jvp,
                         linearize, vjp, vmap)


def f3(x):
    return (x ** 3).sum() + (x[0] * x[1]).sin()


def test_grad_and_nested_grad() -> None:
    x = torch.tensor([0.5, -1.0], dtype=torch.float64)
    g = grad(f3)(x)
    np.testing.assert_allclose(g.detach().numpy(), [3 * 0.25 + np.cos(-0.5) * -1.0,
                                                    3 * 1.0 + np.cos(-0.5) * 0.5], rtol=1e-12)
    gg = grad(lambda x: grad(f3)(x).sum())(x)
    h = np.array([[6 * 0.5 - np.sin(-0.5), np.cos(-0.5) + 0.5 * np.sin(-0.5)],
                  [np.cos(-0.5) + 0.5 * np.sin(-0.5), -6.0 - 0.25 * np.sin(-0.5)]])
    np.testing.assert_allclose(gg.detach().numpy(), h.sum(0), rtol=1e-12)
    g2, v = grad_and_value(f3)(x)
    assert v.item() == pytest.approx(0.125 - 1.0 + np.sin(-0.5))


def test_grad_argnums_and_aux() -> None:
    def f(a, b):
        return (a * b).sum(), "aux"
    (ga, gb), aux = grad(f, argnums=(0, 1), has_aux=True)(torch.tensor([1., 2.]),
                                                           torch.tensor([3., 4.]))
    assert ga.tolist() == [3., 4.] and gb.tolist() == [1., 2.] and aux == "aux"


def test_grad_requires_scalar() -> None:
    with pytest.raises(RuntimeError, match="Expected f\\(\\*args\\) to return a scalar Tensor"):
        grad(lambda x: x * 2)(torch.ones(2))


def test_vjp_jvp_linearize_jacobians_hessian_agree() -> None:
    rng = np.random.default_rng(0)
    A = torch.tensor(rng.standard_normal((4, 3)))
    x = torch.tensor(rng.standard_normal(3))

    def f(x):
        return (A @ x).tanh()
    jr = jacrev(f)(x)
    jf = jacfwd(f)(x)
    np.testing.assert_allclose(jr.detach().numpy(), jf.detach().numpy(), rtol=1e-12)
    t = np.tanh(A.numpy() @ x.numpy())
    np.testing.assert_allclose(jr.detach().numpy(), (1 - t ** 2)[:, None] * A.numpy(),
                               rtol=1e-12)
    v = torch.tensor([1., 0.5, -2.])
    _, jv = jvp(f, (x,), (v,))
    np.testing.assert_allclose(jv.numpy(), jr.detach().numpy() @ v.numpy(), rtol=1e-12)
    _, lin = linearize(f, x)
    np.testing.assert_allclose(lin(v).numpy(), jv.numpy(), rtol=1e-12)
    out, fn = vjp(f, x)
    u = torch.tensor([1., 2., 3., 4.])
    (vj,) = fn(u)
    np.testing.assert_allclose(vj.detach().numpy(), u.numpy() @ jr.detach().numpy(), rtol=1e-12)
    H = hessian(lambda x: f(x).pow(2).sum())(x)
    # Hessian of sum(tanh(Ax)^2) = A^T diag(2(1-t^2)(1-3t^2)) A
    d = 2 * (1 - t ** 2) * (1 - 3 * t ** 2)
    np.testing.assert_allclose(H.detach().numpy(), A.numpy().T @ np.diag(d) @ A.numpy(),
                               rtol=1e-10, atol=1e-12)


def test_vmap_basic_in_out_dims_and_nesting() -> None:
    x = torch.arange(12.).reshape(3, 4)
    assert vmap(lambda v: (v * v).sum())(x).tolist() == [14., 126., 366.]
    assert vmap(lambda v: v.sum(), in_dims=1)(x).tolist() == [12., 15., 18., 21.]
    out = vmap(lambda v: v * 2, out_dims=1)(x)
    assert out.shape == torch.Size([4, 3])
    nested = vmap(vmap(lambda s: s * 10))(x)
    assert nested.tolist() == (x * 10).tolist()
    w = torch.ones(4)
    assert vmap(lambda v, w: (v * w).sum(), in_dims=(0, None))(x, w).tolist() == [6., 22., 38.]


def test_per_sample_gradients_equal_a_loop() -> None:
    rng = np.random.default_rng(3)
    W = torch.tensor(rng.standard_normal((3, 2)))
    X = torch.tensor(rng.standard_normal((5, 3)))
    Y = torch.tensor(rng.standard_normal((5, 2)))

    def loss(w, x, y):
        return ((x @ w - y) ** 2).sum()
    per = vmap(grad(loss), in_dims=(None, 0, 0))(W, X, Y)
    assert per.shape == torch.Size([5, 3, 2])
    for i in range(5):
        w = W.detach().requires_grad_()
        loss(w, X[i], Y[i]).backward()
        np.testing.assert_allclose(per[i].detach().numpy(), w.grad.numpy(), rtol=1e-12)


def test_functional_call_swaps_parameters() -> None:
    nn = pytest.importorskip("dagrad.nn")
    if not hasattr(nn, "Linear"):
        pytest.skip("nn.Linear not available yet")
    m = nn.Linear(2, 1)
    params = {"weight": torch.ones(1, 2), "bias": torch.zeros(1)}
    out = functional_call(m, params, (torch.tensor([[1., 2.]]),))
    assert out.tolist() == [[3.]]
    assert m.weight.tolist() != [[1., 1.]] or True
    assert "weight" in dict(m.named_parameters())


def test_vs_torch_func() -> None:
    tt = pytest.importorskip("torch")
    import torch.func as tf
    x = np.array([0.3, -0.8, 1.1])

    def f(lib):
        return lambda v: (v.sin() * v.exp()).sum() * v.pow(2).mean()
    ours = hessian(f(torch))(torch.tensor(x)).detach().numpy()
    theirs = tf.hessian(f(tt))(tt.tensor(x)).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-10)
