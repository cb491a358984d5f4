"""Forward-mode AD (dual tensors): PyTorch's API and reprs; JVPs agree with reverse mode."""
from __future__ import annotations

import numpy as np
import pytest

import dagrad as torch
import dagrad.autograd.forward_ad as fwAD


def test_make_dual_needs_a_level() -> None:
    with pytest.raises(RuntimeError, match="no level exists, make sure to enter_dual_level"):
        fwAD.make_dual(torch.ones(3), torch.ones(3))


def test_tangent_shape_must_match() -> None:
    with fwAD.dual_level():
        with pytest.raises(RuntimeError, match=r"Tensor is of size \[3\] while the given forward "
                                               r"gradient is of size \[2\]\."):
            fwAD.make_dual(torch.ones(3), torch.ones(2))


def test_reprs_and_unpack_match_pytorch() -> None:
    x = torch.tensor([1., 2., 3.])
    with fwAD.dual_level():
        d = fwAD.make_dual(x, torch.ones(3))
        assert repr(d) == "tensor([1., 2., 3.], tangent=tensor([1., 1., 1.]))"
        y = d.sin() * 2
        assert repr(y) == ("tensor([1.6829, 1.8186, 0.2822], "
                           "tangent=tensor([ 1.0806, -0.8323, -1.9800]))")
        p = fwAD.unpack_dual(y)
        assert type(p).__name__ == "UnpackedDualTensor"
        assert repr(p.tangent) == "tensor([ 1.0806, -0.8323, -1.9800])"
        assert fwAD.unpack_dual(x).tangent is None
        assert repr(d.sum()) == "tensor(6., tangent=3.0)"
        w = torch.ones(3, requires_grad=True)
        assert repr(fwAD.make_dual(w, torch.ones(3))) == (
            "tensor([1., 1., 1.], grad_fn=<ViewBackward0>, tangent=tensor([1., 1., 1.]))")
    assert fwAD.unpack_dual(y).tangent is None          # tangents end with the level


def _jac_reverse(f, x: np.ndarray) -> np.ndarray:
    rows = []
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    y = f(xt)
    for i in range(y.numel()):
        (g,) = torch.autograd.grad(y.reshape(-1)[i], xt, retain_graph=True)
        rows.append(g.numpy().reshape(-1))
    return np.array(rows)


def _jac_forward(f, x: np.ndarray) -> np.ndarray:
    cols = []
    for j in range(x.size):
        e = np.zeros(x.size)
        e[j] = 1.0
        with fwAD.dual_level():
            d = fwAD.make_dual(torch.tensor(x, dtype=torch.float64),
                               torch.tensor(e.reshape(x.shape), dtype=torch.float64))
            cols.append(fwAD.unpack_dual(f(d)).tangent.numpy().reshape(-1))
    return np.array(cols).T


FUNCS = {
    "pointwise": lambda x: (x.sin() * x.exp() + x.tanh() / (1 + x * x)).sqrt(),
    "reductions": lambda x: x.sum(0) * x.mean(1, keepdim=True) + x.norm(),
    "matmul": lambda x: (x @ x.t()).sigmoid() @ x,
    "shape": lambda x: x.t().reshape(-1)[1:5].unsqueeze(0).expand(2, 4) * x[0, 1],
    "clamp_relu_pow": lambda x: x.clamp(min=-0.2, max=0.7).relu() ** 3 + x.abs() ** 1.5,
    "cat_stack": lambda x: torch.cat([x.sum(1), x[:, 0] * 2])[2:5] * torch.stack([x[1], x[2]]).sum(0),
}


@pytest.mark.parametrize("name", sorted(FUNCS))
def test_forward_jacobian_equals_reverse(name: str) -> None:
    rng = np.random.default_rng(1)
    x = rng.uniform(0.1, 1.0, size=(3, 3))
    np.testing.assert_allclose(_jac_forward(FUNCS[name], x), _jac_reverse(FUNCS[name], x),
                               rtol=1e-12, atol=1e-12)


def test_inplace_on_dual_moves_tangent() -> None:
    with fwAD.dual_level():
        d = fwAD.make_dual(torch.tensor([1., 2.]), torch.tensor([1., 0.]))
        y = d * 1
        y.mul_(3)
        assert fwAD.unpack_dual(y).tangent.tolist() == [3., 0.]


def test_forward_over_reverse_hvp() -> None:
    # tangents flow through a gradient computed with create_graph: the Hessian-vector product
    x = torch.tensor([0.5, -1.0], dtype=torch.float64, requires_grad=True)
    v = torch.tensor([1.0, 2.0], dtype=torch.float64)
    with fwAD.dual_level():
        d = fwAD.make_dual(x, v)
        y = (d ** 3).sum() + (d[0] * d[1]).sin()
        (g,) = torch.autograd.grad(y, d, create_graph=True)
        hv = fwAD.unpack_dual(g).tangent
    a, b = 0.5, -1.0
    h = np.array([[6 * a - b * b * np.sin(a * b), np.cos(a * b) - a * b * np.sin(a * b)],
                  [np.cos(a * b) - a * b * np.sin(a * b), 6 * b - a * a * np.sin(a * b)]])
    np.testing.assert_allclose(hv.detach().numpy(), h @ np.array([1.0, 2.0]), rtol=1e-12)


def test_vs_torch_forward_ad() -> None:
    tt = pytest.importorskip("torch")
    import torch.autograd.forward_ad as tfw
    x = np.array([[0.3, -0.7], [1.2, 0.4]])
    t = np.array([[1.0, 0.5], [-2.0, 0.25]])
    with fwAD.dual_level():
        d = fwAD.make_dual(torch.tensor(x), torch.tensor(t))
        ours = fwAD.unpack_dual((d @ d).tanh().sum(0) * d.exp().mean()).tangent.numpy()
    with tfw.dual_level():
        d = tfw.make_dual(tt.tensor(x), tt.tensor(t))
        theirs = tfw.unpack_dual((d @ d).tanh().sum(0) * d.exp().mean()).tangent.numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)
