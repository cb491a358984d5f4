"""Gather/scatter, index and mask ops (``dagrad/ops/scatter.py``) and random sampling
(``dagrad/ops/random_ops.py``).

The generic op-database checks (forward vs NumPy, gradcheck, gradgradcheck, node names, error
messages, PyTorch oracle) run in ``tests/test_ops.py`` / ``tests/test_ops_vs_torch.py`` once
``op_db`` includes ``op_db_scatter.OPS``; until then ``test_generic_until_in_op_db`` runs them
here. The rest: graphs of higher derivatives, gradients at ties and zeros, warnings, properties
(hypothesis), and for sampling: shapes, dtypes, messages, seeding and moments.
"""
from __future__ import annotations

import importlib
import math
import re
import warnings
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import dagrad
from dagrad.ops import random_ops as R
from dagrad.testing import assert_close
from dagrad.testing.op_db_scatter import OPS

# the module, not the ``scatter`` function that shadows it in ``dagrad.ops`` once exported
SC = importlib.import_module("dagrad.ops.scatter")


@pytest.fixture(scope="module")
def tt() -> Any:
    return pytest.importorskip("torch")


def t64(values: Any, rg: bool = True) -> dagrad.Tensor:
    return dagrad.tensor(values, dtype=dagrad.float64, requires_grad=rg)


def to_t(tt: Any, x: dagrad.Tensor) -> Any:
    return tt.from_numpy(np.array(x.detach().numpy())).requires_grad_(x.requires_grad)


def node(t: Any) -> str | None:
    return None if t.grad_fn is None else type(t.grad_fn).__name__


# --------------------------------------------------------------------------- op database coverage


def test_op_db_entries_cover_every_scatter_op() -> None:
    from dagrad.ops._registry import registered_ops
    covered = {o.name for o in OPS} | {c for o in OPS for c in o.covers}
    mine = {n for n, op in registered_ops().items() if op.kernel.__module__ in (
        "dagrad.ops.scatter", "dagrad.ops.random_ops")}
    assert mine - covered == set()


def test_tables_name_existing_functions() -> None:
    for mod in (SC, R):
        assert all(callable(getattr(mod, n)) for n in mod.__all__)
        assert all(callable(f) for f in mod.METHODS.values())
    assert all(name.endswith("_") for name in SC.INPLACE_METHODS)
    assert not set(SC.INPLACE_METHODS) & set(R.METHODS)


# --------------------------------------------------------------------------- gather / scatter


def test_gather_out_of_range_message_from_the_issue() -> None:
    with pytest.raises(RuntimeError, match="^index 5 is out of bounds for dimension 0 with "
                       "size 3$"):
        SC.gather(dagrad.ones(3), 0, dagrad.tensor([5]))


def test_gather_sparse_grad_is_ignored_but_gradient_matches_torch(tt: Any) -> None:
    x = t64([[1.0, 2.0], [3.0, 4.0]])
    idx = dagrad.tensor([[0, 0], [1, 0]])
    y = SC.gather(x, 1, idx, sparse_grad=True)
    y.sum().backward()
    tx = to_t(tt, x.detach()).requires_grad_()
    tt.gather(tx, 1, to_t(tt, idx), sparse_grad=True).sum().backward()
    assert_close(x.grad._data, tx.grad.to_dense().numpy())
    assert node(y) == "GatherBackward0"


@pytest.mark.parametrize("case", ["gather", "scatter_add", "index_select", "masked_select",
                                  "index_add", "masked_scatter"])
def test_double_backward_graph_matches_torch(tt: Any, case: str) -> None:
    """The gradient of each op is built from the others, with PyTorch's nodes."""
    rng = np.random.default_rng(0)
    x_np, s_np = rng.uniform(-1, 1, (3, 4)), rng.uniform(-1, 1, (3, 4))
    mask = np.array([[True, False, True, True], [False] * 4, [True, True, False, False]])

    def run(lib: Any) -> tuple:
        x = lib.tensor(x_np, requires_grad=True)
        s = lib.tensor(s_np, requires_grad=True)
        idx = lib.tensor([[0, 1, 2, 0], [2, 2, 1, 0], [1, 0, 0, 2]])
        vec = lib.tensor([2, 0, 2])
        m = lib.tensor(mask)
        ops = SC if lib is dagrad else lib
        out = {"gather": lambda: ops.gather(x, 0, idx),
               "scatter_add": lambda: ops.scatter_add(x, 0, idx, s),
               "index_select": lambda: ops.index_select(x, 0, vec),
               "masked_select": lambda: ops.masked_select(x, m),
               "index_add": lambda: ops.index_add(x, 0, vec, s),
               "masked_scatter": lambda: ops.masked_scatter(x, m, s)}[case]()
        w = lib.tensor(rng_w.uniform(0.5, 1.5, tuple(out.shape)), requires_grad=True)
        gx, gs = lib.autograd.grad((out * w).sum(), (x, s), create_graph=True,
                                   allow_unused=True)
        names = tuple(node(g) if g is not None else None for g in (gx, gs))
        total = sum((g * g).sum() for g in (gx, gs) if g is not None and g.requires_grad)
        second = lib.autograd.grad(total, (w,), allow_unused=True)[0]
        return names, None if second is None else second.detach().numpy()

    rng_w = np.random.default_rng(1)
    ours = run(dagrad)
    rng_w = np.random.default_rng(1)
    theirs = run(tt)
    assert ours[0] == theirs[0]
    assert_close(ours[1], theirs[1])


def test_scatter_reduce_argument_warns_for_tensor_src_only() -> None:
    x, idx = dagrad.zeros(3), dagrad.tensor([0, 0])
    with pytest.warns(UserWarning, match=re.escape(
            "The reduce argument of dagrad.scatter with Tensor src is deprecated")):
        y = SC.scatter(x, 0, idx, dagrad.ones(2), reduce="add")
    assert y.tolist() == [2.0, 0.0, 0.0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert SC.scatter(x + 1, 0, idx, 3.0, reduce="multiply").tolist() == [9.0, 1.0, 1.0]


def test_scatter_needs_src_or_value() -> None:
    with pytest.raises(TypeError, match="^scatter\\(\\) received an invalid combination"):
        SC.scatter(dagrad.zeros(3), 0, dagrad.tensor([0]))


def test_scatter_reduce_mean_of_integers_rounds_down_like_torch(tt: Any) -> None:
    x, idx, src = [1, 2, 3, 4], [0, 0, 3], [3, 4, -7]
    for include_self in (True, False):
        ours = SC.scatter_reduce(dagrad.tensor(x), 0, dagrad.tensor(idx), dagrad.tensor(src),
                                 "mean", include_self=include_self)
        theirs = tt.tensor(x).scatter_reduce(0, tt.tensor(idx), tt.tensor(src), "mean",
                                             include_self=include_self)
        assert ours.tolist() == theirs.tolist()


@pytest.mark.parametrize("reduce", ["amax", "amin", "prod"])
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_gradients_at_ties_and_zeros_match_torch(tt: Any, reduce: str,
                                                                include_self: bool) -> None:
    x = [2.0, 0.0, 3.0]
    src = [2.0, 2.0, 0.0, 0.0, 5.0] if reduce != "amin" else [2.0, 2.0, 0.0, 0.0, -5.0]
    idx = [0, 0, 1, 1, 2]
    grads = []
    for lib in (dagrad, tt):
        a = lib.tensor(x, dtype=lib.float64, requires_grad=True)
        b = lib.tensor(src, dtype=lib.float64, requires_grad=True)
        ops = SC if lib is dagrad else lib
        y = ops.scatter_reduce(a * 1, 0, lib.tensor(idx), b, reduce, include_self=include_self)
        (y * lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64)).sum().backward()
        grads.append((a.grad.detach().numpy().copy(), b.grad.detach().numpy().copy()))
    assert_close(grads[0][0], grads[1][0])
    assert_close(grads[0][1], grads[1][1])


def test_masked_fill_value_tensor_gets_the_sum_of_masked_gradients() -> None:
    x = t64([1.0, 2.0, 3.0])
    v = t64(0.0)
    y = SC.masked_fill(x, dagrad.tensor([True, False, True]), v)
    assert node(y) == "MaskedFillBackward1"
    (y * t64([1.0, 10.0, 100.0], rg=False)).sum().backward()
    assert x.grad.tolist() == [0.0, 10.0, 0.0]
    assert v.grad.item() == 101.0


def test_masked_fill_casts_value_to_self_dtype_like_torch(tt: Any) -> None:
    m = [True, False, True, False]
    assert SC.masked_fill(dagrad.arange(4), dagrad.tensor(m), 2.7).tolist() == \
        tt.arange(4).masked_fill(tt.tensor(m), 2.7).tolist()
    out = SC.masked_fill(dagrad.zeros(3, dtype=dagrad.bool), dagrad.tensor([True, False, True]),
                         5)
    assert out.dtype == dagrad.bool and out.tolist() == [True, False, True]


def test_index_put_accepts_bool_masks_and_accumulates_repeats() -> None:
    x = dagrad.zeros(2, 3)
    out = SC.index_put(x, (dagrad.tensor([[True, False, True], [False, True, False]]),),
                       dagrad.tensor(1.0))
    assert out.tolist() == [[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]]
    out = SC.index_put(dagrad.zeros(3), (dagrad.tensor([0, 0, 1]),), dagrad.tensor([1., 2, 3]),
                       accumulate=True)
    assert out.tolist() == [3.0, 3.0, 0.0]
    with pytest.raises(RuntimeError, match="unsigned char"):
        SC.index_put(x, (dagrad.tensor([1, 0], dtype=dagrad.uint8),), dagrad.tensor(1.0))


def test_index_fill_tensor_value_with_negative_index_gets_its_gradient() -> None:
    # PyTorch's IndexFillBackward1 fails here (index_select of a negative index); dagrad wraps
    x, v = t64([[1.0, 2.0], [3.0, 4.0]]), t64(0.5)
    y = SC.index_fill(x, 1, dagrad.tensor([-1, 1]), v)
    assert y.tolist() == [[1.0, 0.5], [3.0, 0.5]]
    (y * t64([[1.0, 2.0], [3.0, 4.0]], rg=False)).sum().backward()
    assert v.grad.item() == 6.0
    assert x.grad.tolist() == [[1.0, 0.0], [3.0, 0.0]]


def test_scatter_add_with_src_larger_than_index_fails_backward_like_torch(tt: Any) -> None:
    x, src = t64(np.zeros((3, 4))), t64(np.ones((3, 4)))
    y = SC.scatter_add(x, 0, dagrad.tensor([[0, 1]]), src)
    with pytest.raises(RuntimeError) as ours:
        y.sum().backward()
    tx, ts = tt.zeros(3, 4, requires_grad=True), tt.ones(3, 4, requires_grad=True)
    with pytest.raises(RuntimeError) as theirs:
        tx.scatter_add(0, tt.tensor([[0, 1]]), ts).sum().backward()
    assert str(ours.value) == str(theirs.value)


def test_in_place_ops_reject_int_index_of_wrong_dtype_before_writing() -> None:
    x = dagrad.zeros(3)
    with pytest.raises(RuntimeError):
        SC.INPLACE_METHODS["scatter_"](x, 0, dagrad.tensor([0.0]), 1.0)
    assert x._version == 0


_settings = settings(max_examples=25, deadline=None)


@_settings
@given(st.integers(1, 4), st.integers(1, 4), st.integers(0, 1), st.integers(0, 2**31))
def test_gather_and_scatter_add_are_adjoint(rows: int, cols: int, dim: int, seed: int) -> None:
    """<gather(x, idx), y> == <x, scatter_add(0, idx, y)>: each is the other's derivative."""
    rng = np.random.default_rng(seed)
    shape = (rows, cols)
    ishape = list(shape)
    ishape[1 - dim] = rng.integers(1, shape[1 - dim] + 1)
    ishape[dim] = rng.integers(1, 6)
    idx = dagrad.tensor(rng.integers(0, shape[dim], ishape))
    x = dagrad.tensor(rng.normal(size=shape))
    y = dagrad.tensor(rng.normal(size=ishape))
    lhs = (SC.gather(x, dim, idx) * y).sum().item()
    rhs = (x * SC.scatter_add(dagrad.zeros(*shape, dtype=dagrad.float64), dim, idx, y)).sum()
    assert math.isclose(lhs, rhs.item(), rel_tol=1e-9, abs_tol=1e-9)


@_settings
@given(st.integers(1, 5), st.integers(0, 6), st.integers(0, 2**31))
def test_index_select_and_masked_select_match_numpy(n: int, k: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(n, 3))
    idx = rng.integers(0, n, k)
    assert_close(SC.index_select(dagrad.tensor(a), 0, dagrad.tensor(idx, dtype=dagrad.int64)),
                 a[idx])
    mask = rng.random((n, 3)) > 0.5
    assert_close(SC.masked_select(dagrad.tensor(a), dagrad.tensor(mask)), a[mask])


# --------------------------------------------------------------------------- random sampling


def _both_raise(tt: Any, ours: Any, theirs: Any) -> None:
    with pytest.raises(Exception) as t_err:
        theirs()
    with pytest.raises(type(t_err.value)) as d_err:
        ours()
    assert str(d_err.value) == str(t_err.value).replace("torch.", "dagrad.")


_ERRORS = [
    ("normal(mean, -std)", lambda L, F: F.normal(L.zeros(2), -1.0)),
    ("normal(mean, -std tensor)", lambda L, F: F.normal(L.zeros(2), -L.ones(2))),
    ("normal(float, float) without size", lambda L, F: F.normal(0.0, 1.0)),
    ("normal of int mean", lambda L, F: F.normal(L.zeros(3, dtype=L.int64), 1.0)),
    ("normal shapes", lambda L, F: F.normal(L.zeros(3), L.ones(2))),
    ("bernoulli p out of range", lambda L, F: F.bernoulli(L.full((2,), 1.5))),
    ("bernoulli float p", lambda L, F: F.bernoulli(L.zeros(2), 1.5)),
    ("bernoulli int", lambda L, F: F.bernoulli(L.zeros(2, dtype=L.int64))),
    ("multinomial too many", lambda L, F: F.multinomial(L.ones(3), 5)),
    ("multinomial 3-D", lambda L, F: F.multinomial(L.ones(2, 2, 3), 1)),
    ("multinomial negative", lambda L, F: F.multinomial(L.tensor([1.0, -1.0]), 1)),
    ("multinomial nan", lambda L, F: F.multinomial(L.tensor([1.0, float("nan")]), 1, True)),
    ("multinomial zero sum", lambda L, F: F.multinomial(L.zeros(3), 1)),
    ("multinomial int", lambda L, F: F.multinomial(L.tensor([1, 2]), 1)),
    ("multinomial 0 samples", lambda L, F: F.multinomial(L.ones(3), 0)),
    ("poisson negative", lambda L, F: F.poisson(L.full((2,), -3.0))),
    ("poisson int", lambda L, F: F.poisson(L.full((2,), 3))),
    ("randint_like low >= high", lambda L, F: F.randint_like(L.zeros(2), 10, 3)),
    ("randint_like out of uint8", lambda L, F: F.randint_like(L.zeros(2, dtype=L.uint8), 300)),
]


@pytest.mark.parametrize("what,call", _ERRORS, ids=[e[0] for e in _ERRORS])
def test_sampling_errors_match_torch(tt: Any, what: str, call: Any) -> None:
    _both_raise(tt, lambda: call(dagrad, R), lambda: call(tt, tt))


_FILL_ERRORS = [
    ("random_", (5, 2), "float32"), ("random_", (-200, 0), "int8"), ("random_", (0, 3), "bool"),
    ("random_", (0, 70000), "float16"), ("exponential_", (-1,), "float32"),
    ("exponential_", (), "int64"), ("geometric_", (1.0,), "float32"),
    ("cauchy_", (0, -1), "float32"), ("cauchy_", (), "int32"), ("log_normal_", (0, -1), "float32"),
    ("log_normal_", (), "int64"), ("bernoulli_", (1.5,), "float32"),
]


@pytest.mark.parametrize("name,args,dtype", _FILL_ERRORS,
                         ids=[f"{n}{a}-{d}" for n, a, d in _FILL_ERRORS])
def test_fill_errors_match_torch(tt: Any, name: str, args: tuple, dtype: str) -> None:
    _both_raise(tt, lambda: R.METHODS[name](dagrad.zeros(3, dtype=getattr(dagrad, dtype)), *args),
                lambda: getattr(tt.zeros(3, dtype=getattr(tt, dtype)), name)(*args))


def test_random_beyond_float_precision_warns_like_torch() -> None:
    with pytest.warns(UserWarning, match=re.escape(
            "to - 1 is out of bounds [-(2^24), 2^24]. Due to precision limitations float can "
            "support discrete uniform distribution only within this range.")):
        R.random_(dagrad.zeros(3), 0, 2**24 + 5)


def test_shapes_dtypes_and_nodes_match_torch(tt: Any) -> None:
    cases = [
        lambda L, F: F.normal(L.zeros(2, 3, requires_grad=True), L.ones(2, 3, requires_grad=True)),
        lambda L, F: F.normal(L.zeros(3), L.ones(2, 3)),
        lambda L, F: F.normal(L.zeros(2, 3, dtype=L.float64, requires_grad=True), 2.0),
        lambda L, F: F.normal(1.0, L.ones(2, 3, requires_grad=True)),
        lambda L, F: F.normal(0.0, 1.0, (2, 3), dtype=L.float64, requires_grad=True),
        lambda L, F: F.bernoulli(L.full((2, 3), 0.5, requires_grad=True)),
        lambda L, F: F.bernoulli(L.zeros(2, 3, requires_grad=True) * 1, 0.3),
        lambda L, F: F.multinomial(L.ones(4, 3), 5, replacement=True),
        lambda L, F: F.multinomial(L.ones(3, requires_grad=True), 2),
        lambda L, F: F.multinomial(L.ones(0, 3), 2),
        lambda L, F: F.poisson(L.full((2, 3), 3.0, dtype=L.float64, requires_grad=True)),
        lambda L, F: F.randint_like(L.zeros(2, 3, dtype=L.int32), 10),
        lambda L, F: F.randint_like(L.zeros(2, 3), 3, 10, dtype=L.int64),
        lambda L, F: F.randint_like(L.zeros(2, 3), high=10, requires_grad=True),
    ]
    for case in cases:
        ours, theirs = case(dagrad, R), case(tt, tt)
        assert tuple(ours.shape) == tuple(theirs.shape)
        assert ours.dtype.name == str(theirs.dtype).split(".")[1]
        assert ours.requires_grad == theirs.requires_grad
        assert node(ours) == node(theirs)


@pytest.mark.parametrize("name,args", [("random_", ()), ("random_", (5,)), ("random_", (1, 5)),
                                       ("exponential_", ()), ("geometric_", (0.5,)),
                                       ("cauchy_", ()), ("log_normal_", ()),
                                       ("bernoulli_", (0.5,))])
def test_fills_on_a_non_leaf_record_torch_nodes_with_zero_gradient(tt: Any, name: str,
                                                                    args: tuple) -> None:
    x = dagrad.zeros(3, requires_grad=True)
    y = R.METHODS[name](x * 1, *args)
    tx = tt.zeros(3, requires_grad=True)
    ty = getattr(tx * 1, name)(*args)
    assert node(y) == node(ty)
    y.sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0]
    with pytest.raises(RuntimeError, match="^a leaf Variable that requires grad is being used "
                       "in an in-place operation.$"):
        R.METHODS[name](x, *args)


def test_bernoulli_with_number_p_has_no_derivative_like_torch() -> None:
    y = R.bernoulli(t64([0.2, 0.4]) * 1, 0.5)
    assert node(y) == "NotImplemented"
    with pytest.raises(RuntimeError, match="^derivative for aten::bernoulli is not implemented$"):
        y.sum().backward()


def test_seeding_reproduces_every_sampler() -> None:
    def draw(gen: Any = None) -> list:
        kw = {"generator": gen}
        return [R.normal(dagrad.zeros(4), 1.0, **kw), R.normal(0.0, 2.0, (3,), **kw),
                R.bernoulli(dagrad.full((5,), 0.5), **kw),
                R.multinomial(dagrad.ones(6), 3, **kw),
                R.multinomial(dagrad.ones(6), 4, True, **kw),
                R.poisson(dagrad.full((4,), 2.0), **kw), R.randint_like(dagrad.zeros(4), 9, **kw),
                R.random_(dagrad.zeros(4), **kw), R.exponential_(dagrad.zeros(4), **kw),
                R.geometric_(dagrad.zeros(4), 0.3, **kw), R.cauchy_(dagrad.zeros(4), **kw),
                R.log_normal_(dagrad.zeros(4), **kw), R.bernoulli_(dagrad.zeros(4), 0.5, **kw)]
    dagrad.manual_seed(123)
    a = draw()
    dagrad.manual_seed(123)
    b = draw()
    c = draw(dagrad.Generator().manual_seed(7))
    d = draw(dagrad.Generator().manual_seed(7))
    for u, v, w, z in zip(a, b, c, d, strict=True):
        assert u.tolist() == v.tolist() and w.tolist() == z.tolist()
    assert any(u.tolist() != w.tolist() for u, w in zip(a, c, strict=True))


def test_moments() -> None:
    dagrad.manual_seed(0)
    n = 40000
    x = R.normal(dagrad.full((n,), 2.0, dtype=dagrad.float64), 3.0)._data
    assert abs(x.mean() - 2) < 0.05 and abs(x.std() - 3) < 0.05
    x = R.normal(dagrad.zeros(n), dagrad.full((n,), 0.5))._data
    assert abs(x.std() - 0.5) < 0.01 and x.dtype == np.float32
    assert abs(R.bernoulli(dagrad.full((n,), 0.3))._data.mean() - 0.3) < 0.01
    x = R.poisson(dagrad.full((n,), 4.0))._data
    assert abs(x.mean() - 4) < 0.05 and abs(x.var() - 4) < 0.15
    assert abs(R.exponential_(dagrad.zeros(n), 2.0)._data.mean() - 0.5) < 0.01
    g = R.geometric_(dagrad.zeros(n), 0.25)._data
    assert g.min() >= 1 and abs(g.mean() - 4) < 0.1
    assert abs(np.median(R.cauchy_(dagrad.zeros(n), 1.0, 2.0)._data) - 1) < 0.05
    assert abs(np.median(R.log_normal_(dagrad.zeros(n), 1.0, 0.5)._data) - math.e) < 0.05
    r = R.random_(dagrad.zeros(n, dtype=dagrad.int64), 3, 7)._data
    assert set(np.unique(r)) == {3, 4, 5, 6}
    r = R.random_(dagrad.zeros(n, dtype=dagrad.uint8))._data
    assert r.min() == 0 and r.max() == 255
    assert R.random_(dagrad.zeros(n, dtype=dagrad.bool))._data.mean() == pytest.approx(0.5, abs=.02)
    r = R.randint_like(dagrad.zeros(n), -2, 2)._data
    assert set(np.unique(r)) == {-2.0, -1.0, 0.0, 1.0}
    p = np.array([1.0, 2.0, 0.0, 5.0])
    picks = R.multinomial(dagrad.tensor(p), n, replacement=True)._data
    assert_close(np.bincount(picks, minlength=4) / n, p / p.sum(), rtol=0, atol=0.01)


def test_multinomial_without_replacement_draws_distinct_categories_in_proportion() -> None:
    dagrad.manual_seed(1)
    p = np.array([[1.0, 2.0, 0.0, 5.0]] * 20000)
    picks = R.multinomial(dagrad.tensor(p), 3)._data
    assert picks.shape == (20000, 3) and picks.dtype == np.int64
    assert all(len(set(row)) == 3 for row in picks[:500])
    first = np.bincount(picks[:, 0], minlength=4) / len(picks)
    assert_close(first, p[0] / p[0].sum(), rtol=0, atol=0.015)
    # categories of probability 0 come last, in order
    assert R.multinomial(dagrad.tensor([1.0, 0.0, 0.0]), 3).tolist() == [0, 1, 2]
