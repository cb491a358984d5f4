"""dagrad.autograd.functional (jacobian, hessian, vjp, jvp, hvp, vhp) against PyTorch's.

The seed 002 examples (the autograd tutorial's high-level API section) with PyTorch's printed
results; strict-mode messages word for word; tuple conventions; create_graph; the strategies;
the batched backward pass (Note [Batched backward] in functional.py).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import dagrad
import dagrad.autograd.functional as F
from dagrad.autograd import engine

FUNCS = ("jacobian", "hessian", "vjp", "jvp", "hvp", "vhp")


def _torch() -> Any:
    return pytest.importorskip("torch")


def _to_torch(t: dagrad.Tensor) -> Any:
    torch = _torch()
    return torch.from_numpy(t.detach().numpy().copy())


def _from_torch(t: Any) -> dagrad.Tensor:
    return dagrad.from_numpy(t.detach().numpy().copy())


def _np(x: Any) -> Any:
    """Nested tuples of tensors (either library) -> nested tuples of arrays."""
    if isinstance(x, tuple):
        return tuple(_np(e) for e in x)
    return x.detach().numpy()


def _assert_same(ours: Any, theirs: Any, atol: float = 1e-6) -> None:
    """Same nesting, shapes, dtypes and values."""
    if isinstance(theirs, tuple):
        assert isinstance(ours, tuple) and len(ours) == len(theirs), (ours, theirs)
        for o, t in zip(ours, theirs, strict=True):
            _assert_same(o, t, atol)
        return
    assert isinstance(ours, dagrad.Tensor), type(ours)
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert str(ours.dtype).replace("dagrad.", "") == str(theirs.dtype).replace("torch.", "")
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), atol=atol,
                               rtol=1e-6)


def _torch_repr(x: Any) -> str:
    """PyTorch's repr with ``torch.`` written ``dagrad.``, as dagrad prints it."""
    return repr(x).replace("torch.", "dagrad.")


def exp_adder(T: Any) -> Callable:
    def f(x: Any, y: Any) -> Any:
        return 2 * x.exp() + 3 * y
    return f


def do_some_doubling(x: Any) -> Any:
    y = x * 2
    while y.data.norm() < 1000:
        y = y * 2
    return y


# --------------------------------------------------------------------------- seed 002


@pytest.mark.parametrize("n", [1, 3])
def test_seed_jacobian_of_exp_adder_prints_like_pytorch(n: int) -> None:
    torch = _torch()
    tin = (torch.rand(n), torch.rand(n))
    din = tuple(_from_torch(t) for t in tin)
    theirs = torch.autograd.functional.jacobian(exp_adder(torch), tin)
    ours = F.jacobian(exp_adder(dagrad), din)
    _assert_same(ours, theirs)
    assert repr(ours) == _torch_repr(theirs)
    # the first output is 2 e^x on the diagonal, the second 3 I
    np.testing.assert_allclose(ours[0].numpy(), np.diag(2 * np.exp(din[0].numpy())), rtol=1e-6)
    np.testing.assert_array_equal(ours[1].numpy(), 3 * np.eye(n))


def test_seed_hessian_of_exp_adder() -> None:
    torch = _torch()
    tin = (torch.rand(1), torch.rand(1))
    din = tuple(_from_torch(t) for t in tin)
    theirs = torch.autograd.functional.hessian(exp_adder(torch), tin)
    ours = F.hessian(exp_adder(dagrad), din)
    _assert_same(ours, theirs)
    assert repr(ours) == _torch_repr(theirs)
    # with three elements the output is not a scalar: the same error as PyTorch
    tin3 = (torch.rand(3), torch.rand(3))
    with pytest.raises(RuntimeError) as theirs_err:
        torch.autograd.functional.hessian(exp_adder(torch), tin3)
    with pytest.raises(RuntimeError) as ours_err:
        F.hessian(exp_adder(dagrad), tuple(_from_torch(t) for t in tin3))
    assert str(ours_err.value) == str(theirs_err.value)


def test_seed_vjp_of_do_some_doubling_prints_like_pytorch() -> None:
    torch = _torch()
    tx = torch.randn(3)
    v = [0.1, 1.0, 0.0001]
    out_t, vjp_t = torch.autograd.functional.vjp(do_some_doubling, tx, torch.tensor(v))
    out_d, vjp_d = F.vjp(do_some_doubling, _from_torch(tx), dagrad.tensor(v))
    assert repr(out_d) == _torch_repr(out_t)
    assert repr(vjp_d) == _torch_repr(vjp_t)
    # all powers of two: v times 2^k with 2^k * |x| >= 1000
    k = np.log2(vjp_d.numpy()[1] / 1.0)
    assert k == int(k)


def test_seed_vjp_of_do_some_doubling_needs_v() -> None:
    with pytest.raises(RuntimeError, match="The vector v can only be None if the user-provided "
                                           "function returns a single Tensor with a single "
                                           "element."):
        F.vjp(do_some_doubling, dagrad.randn(3))


# --------------------------------------------------------------------------- PyTorch's docs


def _doc_cases(T: Any) -> list:
    def exp_reducer(x: Any) -> Any:
        return x.exp().sum(dim=1)

    def adder(x: Any, y: Any) -> Any:
        return 2 * x + 3 * y

    def pow_reducer(x: Any) -> Any:
        return x.pow(3).sum()

    def pow_adder_reducer(x: Any, y: Any) -> Any:
        return (2 * x.pow(2) + 3 * y.pow(2)).sum()

    rng = np.random.default_rng(2)
    a44, a22 = rng.random((4, 4)), rng.random((2, 2))
    a2, b2 = rng.random(2), rng.random(2)
    t = T.tensor
    return [
        ("vjp", exp_reducer, (t(a44),), t(np.ones(4))),
        ("vjp", adder, (t(a2), t(b2)), t(np.ones(2))),
        ("jvp", exp_reducer, (t(a44),), t(np.ones((4, 4)))),
        ("jvp", adder, (t(a2), t(b2)), (t(np.ones(2)), t(np.ones(2)))),
        ("vhp", pow_reducer, (t(a22),), t(np.ones((2, 2)))),
        ("vhp", pow_adder_reducer, (t(a2), t(b2)), (t(np.zeros(2)), t(np.ones(2)))),
        ("hvp", pow_reducer, (t(a22),), t(np.ones((2, 2)))),
        ("hvp", pow_adder_reducer, (t(a2), t(b2)), (t(np.zeros(2)), t(np.ones(2)))),
        ("jacobian", exp_reducer, (t(a22),), None),
        ("jacobian", adder, (t(a2), t(b2)), None),
        ("hessian", pow_reducer, (t(a22),), None),
        ("hessian", pow_adder_reducer, (t(a2), t(b2)), None),
    ]


def _call(mod: Any, name: str, func: Callable, inputs: tuple, v: Any, **kw: Any) -> Any:
    inp = inputs[0] if len(inputs) == 1 else inputs
    fn = getattr(mod, name)
    if name in ("jacobian", "hessian"):
        return fn(func, inp, **kw)
    return fn(func, inp, v, **kw)


@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("case", range(12))
def test_docstring_examples_match_pytorch(case: int, create_graph: bool) -> None:
    torch = _torch()
    name, tfunc, tin, tv = _doc_cases(torch)[case]
    _, dfunc, din, dv = _doc_cases(dagrad)[case]
    theirs = _call(torch.autograd.functional, name, tfunc, tin, tv, create_graph=create_graph)
    ours = _call(F, name, dfunc, din, dv, create_graph=create_graph)
    _assert_same(ours, theirs, atol=1e-12)
    assert repr(ours) == _torch_repr(theirs)


# --------------------------------------------------------------------------- 100 variables


def _tanh_sq(T: Any, a: np.ndarray) -> Callable:
    A = T.tensor(a)

    def f(x: Any) -> Any:
        return (A @ x).tanh().pow(2).sum()
    return f


@pytest.mark.parametrize("kw", [{}, {"vectorize": True},
                                {"outer_jacobian_strategy": "forward-mode", "vectorize": True},
                                {"outer_jacobian_strategy": "forward-mode"},
                                {"outer_jacobian_strategy": "auto"}], ids=str)
def test_hessian_of_100_variables_matches_pytorch(kw: dict) -> None:
    torch = _torch()
    rng = np.random.default_rng(5)
    a, x = rng.standard_normal((100, 100)) / 10, rng.standard_normal(100)
    theirs = torch.autograd.functional.hessian(_tanh_sq(torch, a), torch.tensor(x))
    ours = F.hessian(_tanh_sq(dagrad, a), dagrad.tensor(x), **kw)
    assert ours.dtype == dagrad.float64 and tuple(ours.shape) == (100, 100)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=0, atol=1e-10)
    # and the closed form A^T diag(2 (1 - t^2)(1 - 3 t^2)) A
    t = np.tanh(a @ x)
    np.testing.assert_allclose(ours.numpy(), (a.T * (2 * (1 - t * t) * (1 - 3 * t * t))) @ a,
                               rtol=0, atol=1e-10)


def test_hessian_rows_take_one_backward_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    # the gradient is one engine call; the 100 rows of the Hessian none (the batched pass)
    calls = []
    real_grad = engine.grad
    monkeypatch.setattr(engine, "grad", lambda *a, **k: calls.append(1) or real_grad(*a, **k))
    rng = np.random.default_rng(5)
    a, x = rng.standard_normal((100, 100)) / 10, rng.standard_normal(100)
    for vectorize in (False, True):
        calls.clear()
        F.hessian(_tanh_sq(dagrad, a), dagrad.tensor(x), vectorize=vectorize)
        assert len(calls) == 1


# --------------------------------------------------------------------------- strict mode


def _strict_cases(T: Any) -> list:
    def indep_y(x: Any, y: Any) -> Any:
        return x * 2

    def const(x: Any) -> Any:
        return T.ones(3)

    def linear(x: Any) -> Any:
        return (3 * x).sum()

    def linear_vec(x: Any) -> Any:
        return 3 * x

    def square_sum(x: Any) -> Any:
        return (x * x).sum()

    def xy(T: Any = T) -> tuple:
        return (T.tensor([1.0, 2.0, 3.0]), T.tensor([4.0, 5.0, 6.0]))

    x = T.tensor([1.0, 2.0, 3.0])
    v3 = T.ones(3)
    fns = T.autograd.functional
    return [
        lambda: fns.vjp(indep_y, xy(), v3, strict=True),
        lambda: fns.vjp(const, x, v3, strict=True),
        lambda: fns.jvp(indep_y, xy(), (v3, v3), strict=True),
        lambda: fns.jvp(const, x, v3, strict=True),
        lambda: fns.jacobian(indep_y, xy(), strict=True),
        lambda: fns.hessian(lambda x, y: (x * y.pow(2)).sum(), xy(), strict=True),
        lambda: fns.jacobian(linear_vec, x, strict=True, create_graph=True),
        lambda: fns.jacobian(const, x, strict=True),
        lambda: fns.jacobian(linear_vec, x, strict=True, vectorize=True),
        lambda: fns.jacobian(linear_vec, x, strict=True, strategy="forward-mode"),
        lambda: fns.jacobian(linear_vec, x, create_graph=True, strategy="forward-mode"),
        lambda: fns.jacobian(linear_vec, x, strategy="sideways"),
        lambda: fns.hessian(linear, x, strict=True),
        lambda: fns.hessian(linear_vec, x),
        lambda: fns.hessian(lambda x: (x, x), x),
        lambda: fns.hessian(square_sum, x, strict=True, create_graph=True),
        lambda: fns.vhp(linear, x, v3, strict=True),
        lambda: fns.hvp(linear, x, v3, strict=True),
        lambda: fns.vhp(square_sum, x, strict=True),
        lambda: fns.hvp(square_sum, x, T.ones(2)),
        lambda: fns.vhp(lambda x, y: (x * y).sum(), xy(), (v3,)),
        lambda: fns.vjp(linear_vec, x, T.ones(2)),
        lambda: fns.vjp(linear_vec, [x], v3),
        lambda: fns.vjp(linear_vec, (x, 3), v3),
    ]


@pytest.mark.parametrize("case", range(24))
def test_errors_match_pytorch_word_for_word(case: int) -> None:
    torch = _torch()
    theirs_fn = _strict_cases(torch)[case]
    ours_fn = _strict_cases(dagrad)[case]
    with pytest.raises(Exception) as theirs:
        theirs_fn()
    with pytest.raises(Exception) as ours:
        ours_fn()
    assert type(ours.value) is type(theirs.value)
    expected = str(theirs.value).replace("torch.", "dagrad.")
    if case == 11:      # dagrad also accepts "auto" (Note [Choosing the strategy])
        expected = expected.replace('either "forward-mode" or "reverse-mode"',
                                    'either "forward-mode", "reverse-mode" or "auto"')
    assert str(ours.value) == expected


def test_strict_passes_when_everything_depends_on_everything() -> None:
    x = dagrad.tensor([1.0, 2.0], dtype=dagrad.float64)
    h = F.hessian(lambda x: (x ** 3).sum(), x, strict=True, create_graph=True)
    assert h.requires_grad
    np.testing.assert_allclose(h.detach().numpy(), np.diag([6.0, 12.0]))


# --------------------------------------------------------------------------- create_graph


@pytest.mark.parametrize("name", FUNCS)
def test_create_graph_results_are_differentiable(name: str) -> None:
    torch = _torch()

    def f(T: Any) -> Callable:
        return lambda x, y: (x.sin() * y.pow(2)).sum() if name in ("hessian", "hvp", "vhp") \
            else x.sin() * y.pow(2)

    rng = np.random.default_rng(7)
    xs, ys = rng.standard_normal(3), rng.standard_normal(3)
    vout, vin = rng.standard_normal(3), (rng.standard_normal(3), rng.standard_normal(3))
    grads = []
    for T, fns in ((torch, torch.autograd.functional), (dagrad, F)):
        x = T.tensor(xs, requires_grad=True)
        y = T.tensor(ys, requires_grad=True)
        v = T.tensor(vout) if name == "vjp" else tuple(T.tensor(a) for a in vin)
        res = _call(fns, name, f(T), (x, y), v, create_graph=True)
        flat = _flatten(res)
        total = sum(((e * e).sum() for e in flat if e.requires_grad), T.tensor(0.0,
                                                                           dtype=T.float64))
        assert total.requires_grad
        grads.append(T.autograd.grad(total, (x, y)))
    _assert_same(grads[1], grads[0], atol=1e-10)


def test_create_graph_false_returns_detached() -> None:
    x = dagrad.tensor([1.0, 2.0], requires_grad=True)
    for res in (F.jacobian(lambda x: x * x, x), F.hessian(lambda x: (x ** 3).sum(), x),
                F.vjp(lambda x: x * x, x, dagrad.ones(2))[1]):
        assert not res.requires_grad and res.grad_fn is None


def test_create_graph_hessian_grad_fn_is_view_like_pytorch() -> None:
    torch = _torch()
    rng = np.random.default_rng(1)
    a = rng.random((2, 2))

    def pow_reducer(x: Any) -> Any:
        return x.pow(3).sum()
    theirs = torch.autograd.functional.hessian(pow_reducer, torch.tensor(a), create_graph=True)
    ours = F.hessian(pow_reducer, dagrad.tensor(a), create_graph=True)
    assert repr(ours) == _torch_repr(theirs)


# --------------------------------------------------------------------------- tuple conventions


def _structure(x: Any) -> Any:
    if isinstance(x, tuple):
        return tuple(_structure(e) for e in x)
    return tuple(x.shape)


@pytest.mark.parametrize("name", FUNCS)
@pytest.mark.parametrize("tuple_in", [False, True])
@pytest.mark.parametrize("tuple_out", [False, True])
def test_tuple_conventions_match_pytorch(name: str, tuple_in: bool, tuple_out: bool) -> None:
    torch = _torch()
    scalar = name in ("hessian", "hvp", "vhp")
    if scalar and tuple_out:
        pytest.skip("these functions need a single scalar output")
    rng = np.random.default_rng(3)
    xs, ys = rng.standard_normal((2, 3)), rng.standard_normal(4)
    results = []
    for T, fns in ((torch, torch.autograd.functional), (dagrad, F)):
        def f(*args: Any, T: Any = T) -> Any:
            x = args[0]
            y = args[1] if len(args) > 1 else T.ones(4, dtype=T.float64)
            if scalar:
                return (x.sin().sum() * y.exp()).sum()
            a = x.exp() * 2
            return (a, (y * x.sum()).tanh()) if tuple_out else a.sum(0) * y[:3]
        inputs = (T.tensor(xs), T.tensor(ys)) if tuple_in else T.tensor(xs)
        outs = f(*(inputs if tuple_in else (inputs,)))
        if name == "vjp":
            v = tuple(T.ones_like(o) for o in outs) if tuple_out else T.ones_like(outs)
        elif name in ("jvp", "hvp", "vhp"):
            v = tuple(T.ones_like(i) for i in inputs) if tuple_in else T.ones_like(inputs)
        else:
            v = None
        fn = getattr(fns, name)
        results.append(fn(f, inputs) if v is None else fn(f, inputs, v))
    assert _structure(results[1]) == _structure(results[0])
    _assert_same(results[1], results[0], atol=1e-10)


# --------------------------------------------------------------------------- strategies


def _multi(T: Any) -> Callable:
    def f(x: Any, y: Any) -> tuple:
        return (x.unsqueeze(1) * y.sin(), (x.sum() * y).exp(), x.t().mm(x).sum(0))
    return f


@pytest.mark.parametrize("vectorize", [False, True])
def test_forward_mode_equals_reverse_mode(vectorize: bool) -> None:
    rng = np.random.default_rng(11)
    inputs = (dagrad.tensor(rng.standard_normal((3, 2))), dagrad.tensor(rng.standard_normal(2)))
    rev = F.jacobian(_multi(dagrad), inputs)
    fwd = F.jacobian(_multi(dagrad), inputs, strategy="forward-mode", vectorize=vectorize)
    assert _structure(fwd) == _structure(rev)
    _assert_close_nested(fwd, rev)
    # a single tensor in and out
    x = inputs[0]
    _assert_close_nested(F.jacobian(lambda x: x.exp().sum(1), x, strategy="forward-mode",
                                    vectorize=vectorize),
                         F.jacobian(lambda x: x.exp().sum(1), x))


def test_forward_mode_matches_pytorch_vectorized() -> None:
    torch = _torch()
    rng = np.random.default_rng(12)
    arrs = (rng.standard_normal((3, 2)), rng.standard_normal(2))
    theirs = torch.autograd.functional.jacobian(
        _multi(torch), tuple(torch.tensor(a) for a in arrs), strategy="forward-mode",
        vectorize=True)
    ours = F.jacobian(_multi(dagrad), tuple(dagrad.tensor(a) for a in arrs),
                      strategy="forward-mode")
    # PyTorch's forward-mode path returns lists of lists here (an accident of its code: its
    # docs and every other path say tuples); dagrad returns tuples
    assert isinstance(theirs, list)
    _assert_same(ours, tuple(tuple(row) for row in theirs), atol=1e-12)


def test_forward_mode_independent_output_gives_zeros() -> None:
    x, y = dagrad.ones(2), dagrad.ones(3)
    jac = F.jacobian(lambda x, y: (x * 2, dagrad.ones(4)), (x, y), strategy="forward-mode")
    np.testing.assert_array_equal(jac[0][0].numpy(), 2 * np.eye(2))
    np.testing.assert_array_equal(jac[0][1].numpy(), np.zeros((2, 3)))
    np.testing.assert_array_equal(jac[1][0].numpy(), np.zeros((4, 2)))


def _assert_close_nested(a: Any, b: Any) -> None:
    for x, y in zip(_flatten(a), _flatten(b), strict=True):
        np.testing.assert_allclose(x.numpy(), y.numpy(), rtol=1e-12, atol=1e-12)


def _flatten(x: Any) -> list:
    return [e for sub in x for e in _flatten(sub)] if isinstance(x, tuple) else [x]


def test_auto_strategy_picks_by_total_sizes() -> None:
    small, big = (dagrad.ones(2), dagrad.ones(1)), (dagrad.ones(2, 2),)
    assert F._auto_strategy(small, big, False, False) == "forward-mode"      # 3 < 4
    assert F._auto_strategy(big, small, False, False) == "reverse-mode"      # 4 > 3
    assert F._auto_strategy(big, big, False, False) == "reverse-mode"        # ties: reverse
    assert F._auto_strategy(small, big, True, False) == "reverse-mode"       # create_graph
    assert F._auto_strategy(small, big, False, True) == "reverse-mode"       # strict


def test_auto_strategy_is_observable_through_the_dtype() -> None:
    # forward mode gives the output's dtype, reverse mode the input's (as PyTorch documents)
    x = dagrad.ones(2, dtype=dagrad.float32)

    def widen(x: dagrad.Tensor) -> dagrad.Tensor:
        return x.double().repeat(3) if hasattr(x, "repeat") else dagrad.cat([x.double()] * 3)

    def narrow_(x: dagrad.Tensor) -> dagrad.Tensor:
        return x.double().sum(0, keepdim=True)

    assert F.jacobian(widen, x, strategy="auto").dtype == dagrad.float64       # 2 < 6: forward
    assert F.jacobian(narrow_, x, strategy="auto").dtype == dagrad.float32     # 2 > 1: reverse
    assert F.jacobian(widen, x, strategy="auto", create_graph=True).dtype == dagrad.float32
    np.testing.assert_array_equal(F.jacobian(widen, x, strategy="auto").numpy(),
                                  np.tile(np.eye(2), (3, 1)))


# --------------------------------------------------------------------------- batched backward


def _many_ops(T: Any) -> Callable:
    # sum(dim)/mean/transpose/permute/unsqueeze/select/slice/stack/cat/unbind/mm/mv/dot/expand/
    # batched matmul/reshape: the ops with batching rules, inside a Hessian
    def f(x: Any) -> Any:
        m = x.reshape(3, 4)
        a = m.t().mm(m.tanh()).sum(0)                        # (4,)
        b = m.transpose(0, 1).permute(1, 0).mean(1)          # (3,)
        c = T.stack([m[0], m[2]], 1).unsqueeze(0).sin()      # (1, 4, 2)
        d = T.cat([m[1:2], m[:2] * m[:, 1:3].sum()], 0)      # (3, 4)
        e = T.matmul(c.expand(2, 4, 2).transpose(1, 2), m.t().unsqueeze(0))   # (2, 2, 3)
        u0, u1, u2 = m.unbind(0)
        return ((a * a).sum() + b.dot(b) + (d @ a).pow(2).sum() + e.exp().sum()
                + (u0 * u2).sum() + m.mv(u1).sum() + (x ** 3).sum(dim=0, keepdim=True).sum())
    return f


@pytest.mark.parametrize("vectorize", [False, True])
def test_batching_rules_match_pytorch(vectorize: bool) -> None:
    torch = _torch()
    xs = np.random.default_rng(9).standard_normal(12) / 2
    theirs = torch.autograd.functional.hessian(_many_ops(torch), torch.tensor(xs))
    ours = F.hessian(_many_ops(dagrad), dagrad.tensor(xs), vectorize=vectorize)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=0, atol=1e-10)
    # jacobian of a vector function through the same ops, both strategies
    def g(T: Any) -> Callable:
        return lambda x: T.stack([_many_ops(T)(x), (x * x).sum()])
    jt = torch.autograd.functional.jacobian(g(torch), torch.tensor(xs))
    for strategy in ("reverse-mode", "forward-mode"):
        jd = F.jacobian(g(dagrad), dagrad.tensor(xs), vectorize=vectorize, strategy=strategy)
        np.testing.assert_allclose(jd.numpy(), jt.numpy(), rtol=0, atol=1e-10)


def test_nodes_without_a_rule_run_row_by_row() -> None:
    # fancy indexing and a custom Function have no batching rule: vectorize=True loops over the
    # rows of those nodes only; vectorize=False falls back to one backward per row
    class Cube(dagrad.autograd.Function):
        @staticmethod
        def forward(ctx: Any, x: dagrad.Tensor) -> dagrad.Tensor:
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx: Any, g: dagrad.Tensor) -> dagrad.Tensor:
            (x,) = ctx.saved_tensors
            return 3 * x * x * g

    idx = dagrad.tensor([2, 0, 1, 2])

    def f(x: dagrad.Tensor) -> dagrad.Tensor:
        return Cube.apply(x[idx]) * x.sum()

    xs = np.array([0.5, -1.0, 2.0])
    x = dagrad.tensor(xs, dtype=dagrad.float64)
    ref = np.zeros((4, 3))
    for r, i in enumerate([2, 0, 1, 2]):
        ref[r] = xs[i] ** 3
        ref[r, i] += 3 * xs[i] ** 2 * xs.sum()
    for vectorize in (False, True):
        np.testing.assert_allclose(F.jacobian(f, x, vectorize=vectorize).numpy(), ref,
                                   rtol=1e-12)
        np.testing.assert_allclose(
            F.jacobian(f, x, vectorize=vectorize, strategy="forward-mode").numpy(), ref,
            rtol=1e-12)


def test_hooks_see_one_gradient_per_row() -> None:
    # a hook inside func expects unbatched gradients: dagrad then runs one backward per row
    seen = []

    def f(x: dagrad.Tensor) -> dagrad.Tensor:
        y = x * 2
        y.register_hook(lambda g: seen.append(tuple(g.shape)))
        return y.exp()

    x = dagrad.tensor([0.0, 1.0, 2.0], dtype=dagrad.float64)
    for vectorize in (False, True):
        seen.clear()
        jac = F.jacobian(f, x, vectorize=vectorize)
        np.testing.assert_allclose(jac.numpy(), np.diag(2 * np.exp(2 * x.numpy())))
        assert seen == [(3,)] * 3


def test_batched_vjp_equals_one_backward_per_row() -> None:
    rng = np.random.default_rng(4)
    x = dagrad.tensor(rng.standard_normal((2, 3)), requires_grad=True)
    w = dagrad.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    out = (x @ w).sigmoid().sum(1) * x.mean()
    basis = dagrad.tensor(rng.standard_normal((5, 2)))
    batched = F._batched_vjp((out,), (x, w), (basis,), create_graph=False)
    for b in range(5):
        row = dagrad.autograd.grad(out, (x, w), basis[b], retain_graph=True)
        for got, want in zip(batched, row, strict=True):
            np.testing.assert_allclose(got[b].numpy(), want.numpy(), rtol=1e-12, atol=1e-14)


def test_jacobian_of_unused_and_identity_inputs() -> None:
    x, y = dagrad.tensor([1.0, 2.0]), dagrad.tensor([3.0])
    jac = F.jacobian(lambda x, y: (x, x * 0 + 1), (x, y))
    np.testing.assert_array_equal(jac[0][0].numpy(), np.eye(2))
    np.testing.assert_array_equal(jac[0][1].numpy(), np.zeros((2, 1)))
    np.testing.assert_array_equal(jac[1][0].numpy(), np.zeros((2, 2)))
    for vectorize in (False, True):
        jac = F.jacobian(lambda x: x, x, vectorize=vectorize)
        np.testing.assert_array_equal(jac.numpy(), np.eye(2))


def _op_db_cases() -> list:
    from dagrad.testing.op_db import op_db
    cases = []
    for op in op_db:
        if not op.supports_grad:
            continue
        for k, sample in enumerate(op.samples(dagrad.float64, True)):
            cases.append(pytest.param(op, sample, id=f"{op.name}-{k}"))
    return cases


def _leaves(obj: Any) -> list:
    if isinstance(obj, dagrad.Tensor):
        return [obj] if obj.requires_grad else []
    if isinstance(obj, (list, tuple)):
        return [t for e in obj for t in _leaves(e)]
    if isinstance(obj, dict):
        return [t for e in obj.values() for t in _leaves(e)]
    return []


@pytest.mark.parametrize(("op", "sample"), _op_db_cases())
def test_batched_vjp_equals_row_by_row_for_every_op(op: Any, sample: Any) -> None:
    # Every op of the op database through the batched pass, with batch sizes that equal the
    # output's dims (a rule that mixed the batch dim with a data dim would go unnoticed with a
    # batch size that matches none), exact (rules only) and vectorized (rows where no rule).
    ins = _leaves((sample.args, sample.kwargs))
    out = op.op(*sample.args, **sample.kwargs)
    outs = tuple(o for o in (out if isinstance(out, tuple) else (out,))
                 if isinstance(o, dagrad.Tensor) and o.requires_grad)
    if not ins or not outs:
        pytest.skip("nothing differentiable")
    rng = np.random.default_rng(0)
    for batch in sorted({3, *(d for o in outs for d in o.shape if d > 1)}):
        gouts = tuple(dagrad.tensor(rng.standard_normal((batch, *o.shape)), dtype=o.dtype)
                      for o in outs)
        rows = [dagrad.autograd.grad(outs, ins, tuple(g[b] for g in gouts), retain_graph=True,
                                     allow_unused=True) for b in range(batch)]
        for exact in (True, False):
            got = F._run_batched(outs, tuple(ins), gouts, create_graph=False, exact=exact)
            if got is None:
                assert exact, "the vectorized pass always applies here"
                continue
            for j, g in enumerate(got):
                if g is None:
                    assert all(r[j] is None for r in rows)
                    continue
                want = np.stack([np.zeros(ins[j].shape) if r[j] is None else r[j].numpy()
                                 for r in rows])
                assert tuple(g.shape) == want.shape
                np.testing.assert_allclose(g.numpy(), want, rtol=1e-12, atol=1e-12)
