"""Selection, sorting, scans and statistics (``dagrad/ops/selection.py``).

The generic op-database checks (forward vs NumPy, gradcheck, gradgradcheck, node names, error
messages, PyTorch oracle) run in ``tests/test_ops.py`` / ``tests/test_ops_vs_torch.py`` once
``op_db`` includes ``op_db_selection.OPS``; until then ``test_generic_*`` below runs them here.
The rest: the indices PyTorch returns (ties, nan), ``return_types`` and their repr, gradients at
ties and zeros, the argument overloads of var/std, unique, bucketing, and exact messages.
"""
from __future__ import annotations

import math
import pickle
import re
import warnings
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import dagrad
from dagrad.autograd.gradcheck import gradcheck, gradgradcheck
from dagrad.ops import selection as S
from dagrad.testing import assert_close
from dagrad.testing.op_db_selection import OPS

nan, inf = math.nan, math.inf


def t64(values: Any, rg: bool = True) -> dagrad.Tensor:
    return dagrad.tensor(values, dtype=dagrad.float64, requires_grad=rg)


class _DagradNS:
    """``dagrad`` with the selection ops, as ``dagrad`` looks once the lead exports them."""

    def __getattr__(self, name: str) -> Any:
        return getattr(S, name) if name in S.__all__ else getattr(dagrad, name)


D = _DagradNS()


@pytest.fixture(scope="module")
def tt() -> Any:
    return pytest.importorskip("torch")


def to_t(tt: Any, x: dagrad.Tensor) -> Any:
    return tt.from_numpy(np.array(x.detach().numpy())).requires_grad_(x.requires_grad)


def np_of(x: Any) -> np.ndarray:
    return x.detach().numpy() if hasattr(x, "detach") else np.asarray(x)


# --------------------------------------------------------------------------- op database coverage


def test_op_db_entries_cover_every_selection_op() -> None:
    from dagrad.ops._registry import registered_ops
    covered = {o.name for o in OPS} | {c for o in OPS for c in o.covers}
    mine = {n for n, op in registered_ops().items() if op.kernel.__module__ in (
        "dagrad.ops.selection", "dagrad.ops.special")}
    assert mine - covered == set()


# --------------------------------------------------------------------------- return types


def test_return_type_repr_matches_torch(tt: Any) -> None:
    x = dagrad.tensor([[1.0, 2.0]])
    for ours, theirs in [
        (S.max(x, 1), tt.max(to_t(tt, x), 1)),
        (S.sort(x), tt.sort(to_t(tt, x))),
        (S.aminmax(x), tt.aminmax(to_t(tt, x))),
        (S.cummin(x, 1), tt.cummin(to_t(tt, x), 1)),
    ]:
        assert repr(ours) == repr(theirs).replace("torch.", "dagrad.")
    assert repr(S.max(x, 1)) == ("dagrad.return_types.max(\nvalues=tensor([2.]),\n"
                                 "indices=tensor([1]))")


def test_return_types_are_named_tuples() -> None:
    x = t64([[3.0, 1.0, 2.0]])
    r = S.topk(x, 2)
    values, indices = r
    assert isinstance(r, tuple) and r[0] is values and r.indices is indices
    assert type(r).__name__ == "topk" and type(r).__module__ == "dagrad.return_types"
    assert r._fields == ("values", "indices")
    assert S.aminmax(x)._fields == ("min", "max")
    import dagrad.return_types as rt
    assert rt.sort is type(S.sort(x))
    assert pickle.loads(pickle.dumps(type(r))) is type(r)
    # var_mean / std_mean and unique return plain tuples, as PyTorch
    assert type(S.var_mean(x)) is tuple
    assert type(S.unique(dagrad.tensor([1, 1]), return_counts=True)) is tuple


def test_node_names_of_every_output(tt: Any) -> None:
    x = t64([[3.0, 1.0, 2.0], [0.5, 4.0, -1.0]])
    cases = [
        (lambda m, a: m.max(a, 1), "MaxBackward0"), (lambda m, a: m.min(a, 1), "MinBackward0"),
        (lambda m, a: m.sort(a), "SortBackward0"),
        (lambda m, a: m.sort(a, stable=True), "SortBackward1"),
        (lambda m, a: m.topk(a, 2), "TopkBackward0"),
        (lambda m, a: m.kthvalue(a, 2), "KthvalueBackward0"),
        (lambda m, a: m.median(a, 1), "MedianBackward1"),
        (lambda m, a: m.nanmedian(a, 0), "NanmedianBackward1"),
        (lambda m, a: m.mode(a), "ModeBackward0"), (lambda m, a: m.cummax(a, 1), "CummaxBackward0"),
        (lambda m, a: m.cummin(a, 0), "CumminBackward0"),
        (lambda m, a: m.aminmax(a, dim=0), "AminmaxBackward0"),
        (lambda m, a: m.var_mean(a, 1), "VarMeanBackward0"),
        (lambda m, a: m.std_mean(a), "StdMeanBackward0"),
    ]
    for fn, name in cases:
        ours, theirs = fn(S, x), fn(tt, to_t(tt, x))
        got = [None if o.grad_fn is None else type(o.grad_fn).__name__ for o in ours]
        want = [None if o.grad_fn is None else type(o.grad_fn).__name__ for o in theirs]
        assert got == want and name in got, (name, got, want)
        assert [o.requires_grad for o in ours] == [o.requires_grad for o in theirs]


# --------------------------------------------------------------------------- indices vs torch

DETERMINISTIC = [
    ("max", lambda m, a: m.max(a, 1)), ("min", lambda m, a: m.min(a, -1, True)),
    ("sort", lambda m, a: m.sort(a, 1)), ("sort desc", lambda m, a: m.sort(a, 1, True)),
    ("sort stable desc", lambda m, a: m.sort(a, dim=0, descending=True, stable=True)),
    ("argsort", lambda m, a: (m.argsort(a, 1, True),)),
    ("argmax", lambda m, a: (m.argmax(a, 1),)), ("argmin", lambda m, a: (m.argmin(a),)),
    ("mode", lambda m, a: m.mode(a, 1)), ("cummax", lambda m, a: m.cummax(a, 1)),
    ("cummin", lambda m, a: m.cummin(a, 1)), ("median", lambda m, a: m.median(a, 1)),
    ("nanmedian", lambda m, a: m.nanmedian(a, 1)),
]
TIES = [[1.0, 3.0, 3.0, 2.0, 3.0], [5.0, 5.0, 1.0, 1.0, 0.0]]
NANS = [[1.0, nan, 3.0, nan, 0.0], [2.0, 2.0, nan, 1.0, 1.0]]


@pytest.mark.parametrize("name,fn", DETERMINISTIC, ids=[n for n, _ in DETERMINISTIC])
def test_indices_match_torch_at_ties_and_nan(tt: Any, name: str, fn: Any) -> None:
    for values in (TIES, NANS, [[2.0], [1.0]], [[7.0, 7.0, 7.0, 7.0, 7.0]]):
        if (name == "median" and values is TIES) or (name == "mode" and values is NANS):
            continue        # PyTorch: quickselect at ties; a sort that nan leaves unordered
        x = dagrad.tensor(values)
        ours, theirs = fn(S, x), fn(tt, to_t(tt, x))
        for o, t in zip(ours, theirs, strict=True):
            np.testing.assert_array_equal(np_of(o), np_of(t), err_msg=f"{name} {values}")


@pytest.mark.parametrize("name", ["topk", "kthvalue", "median", "nanmedian"])
def test_implementation_defined_ties_pick_an_equal_element(tt: Any, name: str) -> None:
    x = dagrad.tensor(TIES)
    call = {"topk": lambda m, a: m.topk(a, 3), "kthvalue": lambda m, a: m.kthvalue(a, 2),
            "median": lambda m, a: m.median(a, 1), "nanmedian": lambda m, a: m.nanmedian(a, 1)}
    ours, theirs = call[name](S, x), call[name](tt, to_t(tt, x))
    np.testing.assert_array_equal(ours.values.numpy(), theirs.values.numpy())
    picked = np.take_along_axis(x.numpy(), ours.indices.numpy().reshape(2, -1), axis=1)
    np.testing.assert_array_equal(picked.reshape(ours.values.shape), ours.values.numpy())


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_zero_dim_and_empty_inputs_match_torch(tt: Any) -> None:
    s, e = dagrad.tensor(2.5), dagrad.ones(2, 0)
    calls = [lambda m, a: m.max(a, 0), lambda m, a: m.sort(a), lambda m, a: m.topk(a, 1),
             lambda m, a: m.kthvalue(a, 1), lambda m, a: m.median(a, 0),
             lambda m, a: m.mode(a), lambda m, a: m.cummax(a, 0), lambda m, a: m.aminmax(a),
             lambda m, a: (m.argmax(a, 0),), lambda m, a: (m.logcumsumexp(a, -1),),
             lambda m, a: (m.cumprod(a, 0),), lambda m, a: (m.prod(a, 0),)]
    for fn in calls:
        for o, t in zip(fn(S, s), fn(tt, to_t(tt, s)), strict=True):
            assert o.shape == tuple(t.shape)
            np.testing.assert_array_equal(np_of(o), np_of(t))
    for fn in (lambda m, a: m.sort(a, 1), lambda m, a: m.topk(a, 0),
               lambda m, a: m.max(a, 0), lambda m, a: m.mode(a, 0),
               lambda m, a: m.cummax(a, 1), lambda m, a: (m.cumsum(a, 1),),
               lambda m, a: (m.median(a),), lambda m, a: (m.prod(a),),
               lambda m, a: (m.var(a),), lambda m, a: (m.nansum(a, 1),)):
        for o, t in zip(fn(S, e), fn(tt, to_t(tt, e)), strict=True):
            assert o.shape == tuple(t.shape) and o.dtype.name == str(t.dtype)[6:]
            np.testing.assert_array_equal(np_of(o), np_of(t))


def test_integer_and_bool_inputs_match_torch(tt: Any) -> None:
    i = dagrad.tensor([[3, 1, 2], [0, 5, 5]])
    b = dagrad.tensor([[True, False, True], [False, False, True]])
    calls = [lambda m, a: (m.cumsum(a, 1),), lambda m, a: (m.cumprod(a, 0),),
             lambda m, a: (m.prod(a),), lambda m, a: (m.prod(a, 1, True),),
             lambda m, a: (m.nansum(a),), lambda m, a: m.sort(a, 1),
             lambda m, a: m.max(a, 1), lambda m, a: (m.amax(a, 0),), lambda m, a: m.mode(a),
             lambda m, a: m.cummax(a, 1), lambda m, a: (m.all(a, 1),), lambda m, a: (m.any(a),),
             lambda m, a: (m.count_nonzero(a, 0),), lambda m, a: (m.median(a),)]
    for x in (i, b):
        for fn in calls[:-1] if x is b else calls:
            for o, t in zip(fn(S, x), fn(tt, to_t(tt, x)), strict=True):
                assert o.dtype.name == str(t.dtype)[6:], (fn, o.dtype, t.dtype)
                np.testing.assert_array_equal(np_of(o), np_of(t))
    u8 = dagrad.tensor([1, 0], dtype=dagrad.uint8)
    assert S.all(u8).dtype == dagrad.uint8 and S.cumsum(i, 0, dtype=dagrad.float64).dtype == \
        dagrad.float64


# --------------------------------------------------------------------------- gradients


def _grads(lib: Any, fn: Any, x: Any, create: bool = False) -> Any:
    out = fn(lib, x)
    out = out[0] if isinstance(out, tuple) else out
    w = lib.from_numpy(np.linspace(0.5, 1.5, max(out.numel(), 1)).reshape(tuple(out.shape)))
    return lib.autograd.grad((out * w).sum(), x, create_graph=create)[0]


TIE_GRADS = [
    ("max dim (first)", lambda m, a: m.max(a, 1)), ("amax (split)", lambda m, a: m.amax(a, 1)),
    ("amin all (split)", lambda m, a: m.amin(a)), ("max all (split)", lambda m, a: m.max(a)),
    ("median all (split)", lambda m, a: m.median(a)),
    ("aminmax (split)", lambda m, a: sum(m.aminmax(a, dim=1))),
    ("cummax (scatter-add)", lambda m, a: m.cummax(a, 1)),
    ("mode (last)", lambda m, a: m.mode(a, 1)),
    ("sort (stable)", lambda m, a: m.sort(a, 1, True)),
]


@pytest.mark.parametrize("name,fn", TIE_GRADS, ids=[n for n, _ in TIE_GRADS])
def test_gradient_at_ties_matches_torch(tt: Any, name: str, fn: Any) -> None:
    x = t64(TIES)
    np.testing.assert_allclose(_grads(D, fn, x).numpy(),
                               _grads(tt, fn, to_t(tt, x)).numpy(), rtol=1e-12)


def test_median_all_gradient_with_nan_goes_to_the_nans(tt: Any) -> None:
    for fn in (lambda m, a: m.median(a), lambda m, a: m.nanmedian(a),
               lambda m, a: m.amax(a)):
        x = t64([1.0, 2.0, nan, 2.0, 3.0, nan])
        np.testing.assert_array_equal(_grads(D, fn, x).numpy(),
                                      _grads(tt, fn, to_t(tt, x)).numpy())


@pytest.mark.parametrize("values", [
    [2.0, 0.0, 3.0, 0.0, 4.0], [2.0, 3.0, 0.0, 5.0, 4.0], [0.0, 0.0, 0.0, 1.0, 2.0],
    [1.5, -2.0, 3.0, 0.5, 4.0], [0.0, 7.0, 7.0, 7.0, 0.0]])
def test_cumprod_and_prod_gradients_with_zeros_match_torch(tt: Any, values: list) -> None:
    x = t64([values, values[::-1]])
    for fn in (lambda m, a: m.cumprod(a, 1), lambda m, a: m.cumprod(a.t(), 0),
               lambda m, a: m.prod(a, 1), lambda m, a: m.prod(a),
               lambda m, a: m.prod(a, 0, True)):
        tx = to_t(tt, x)
        g0, t0 = _grads(D, fn, x), _grads(tt, fn, tx)
        g1, t1 = _grads(D, fn, x, create=True), _grads(tt, fn, tx, create=True)
        np.testing.assert_allclose(g0.numpy(), t0.numpy(), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(g1.detach().numpy(), t1.detach().numpy(), rtol=1e-12,
                                   atol=1e-12)
        gg = dagrad.autograd.grad(g1.sum(), x)[0]
        tg = tt.autograd.grad(t1.sum(), tx)[0]
        np.testing.assert_allclose(gg.numpy(), tg.numpy(), rtol=1e-10, atol=1e-10)


def test_cumprod_with_zeros_passes_gradgradcheck() -> None:
    x = t64([[2.0, 0.0, 3.0, 0.0, 4.0], [1.0, 2.0, 0.0, 3.0, 0.5]])
    assert gradcheck(lambda a: S.cumprod(a, 1), (x,))
    assert gradgradcheck(lambda a: S.cumprod(a, 1), (x,))
    assert gradgradcheck(lambda a: S.prod(a), (x[0],))


def test_logcumsumexp_is_stable_and_its_gradient_matches_torch(tt: Any) -> None:
    x = t64([[1000.0, -1000.0, 999.0, 0.0], [-inf, 1.0, 2.0, -3.0]])
    out = S.logcumsumexp(x, 1)
    assert np.isfinite(out.detach().numpy()[0]).all()
    assert_close(out.detach().numpy(), tt.logcumsumexp(to_t(tt, x), 1).detach().numpy())
    fn = lambda m, a: m.logcumsumexp(a, 1)  # noqa: E731
    assert_close(_grads(D, fn, x).numpy(), _grads(tt, fn, to_t(tt, x)).numpy(),
                 equal_nan=True)


def test_var_std_at_zero_dof_and_zero_spread_match_torch(tt: Any) -> None:
    for values, kw in (([1.0], {}), ([2.0, 2.0, 2.0], {}), ([[1.0, 1.0], [2.0, 3.0]], {"dim": 1}),
                       ([1.0, 2.0], {"correction": 2})):
        x = t64(values)
        for fn in (lambda m, a: m.std(a, **kw), lambda m, a: m.var(a, **kw),
                   lambda m, a: m.std_mean(a, **kw)[0]):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                assert_close(_grads(D, fn, x).numpy(),
                             _grads(tt, fn, to_t(tt, x)).numpy(), equal_nan=True)
                assert_close(fn(S, x).detach().numpy(), fn(tt, to_t(tt, x)).detach().numpy(),
                             equal_nan=True)


def test_nan_reductions_gradients_match_torch(tt: Any) -> None:
    x = t64([[1.0, nan, 3.0], [nan, nan, nan]])
    for fn in (lambda m, a: m.nansum(a, 1), lambda m, a: m.nanmean(a),
               lambda m, a: m.nanmedian(a, 1), lambda m, a: m.nanmedian(a)):
        assert_close(fn(S, x)[0] if isinstance(fn(S, x), tuple) else fn(S, x),
                     np_of(fn(tt, to_t(tt, x))[0] if isinstance(fn(S, x), tuple) else
                           fn(tt, to_t(tt, x))), equal_nan=True, check_dtype=False)
        assert_close(_grads(D, fn, x).numpy(), _grads(tt, fn, to_t(tt, x)).numpy(),
                     equal_nan=True)


# --------------------------------------------------------------------------- overloads


def test_var_std_overloads_match_torch(tt: Any) -> None:
    x = t64([[1.0, 2.0, 4.0], [3.0, -1.0, 0.5]], rg=False)
    calls = [((), {}), ((True,), {}), ((False,), {}), ((1,), {}), ((0, False, True), {}),
             ((), {"dim": (0, 1), "correction": 0.5}), ((), {"unbiased": False}),
             ((-1,), {"keepdim": True, "correction": 0})]
    for args, kw in calls:
        for name in ("var", "std", "var_mean", "std_mean"):
            ours, theirs = getattr(S, name)(x, *args, **kw), getattr(tt, name)(to_t(tt, x),
                                                                               *args, **kw)
            assert_close(ours, [np_of(t) for t in theirs] if isinstance(theirs, tuple)
                         else np_of(theirs), check_dtype=False)


def test_var_with_unbiased_and_correction_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="both 'unbiased' and 'correction'"):
        S.var(dagrad.ones(3), 0, True, correction=1)


def test_var_warns_when_degrees_of_freedom_are_not_positive() -> None:
    with pytest.warns(UserWarning, match=re.escape(
            "var(): degrees of freedom is <= 0. Correction should be strictly less than the "
            "reduction factor (input numel divided by output numel).")):
        assert math.isnan(S.var(dagrad.ones(1)).item())


def test_max_min_dispatch() -> None:
    a, b = t64([1.0, 5.0]), t64([3.0, 2.0])
    assert type(S.max(a, b).grad_fn).__name__ == "MaximumBackward0"
    assert type(S.min(a, b).grad_fn).__name__ == "MinimumBackward0"
    assert type(S.max(a).grad_fn).__name__ == "MaxBackward1"
    assert S.max(a, dim=0, keepdim=True).values.tolist() == [5.0]
    assert S.METHODS["max"](a, 0).indices.item() == 1


def test_softmax_family_faces(tt: Any) -> None:
    x = dagrad.tensor([[1, 2, 3]])
    y = S.softmax(x, 1, dtype=dagrad.float64)
    assert y.dtype == dagrad.float64
    assert_close(y.numpy(), tt.softmax(tt.tensor([[1, 2, 3]]), 1, dtype=tt.float64).numpy())
    z = t64([[1.0, 2.0, 3.0]])
    assert type(S.log_softmax(z, -1).grad_fn).__name__ == "LogSoftmaxBackward0"
    assert type(S.logsumexp(z, 1).grad_fn).__name__ == "LogsumexpBackward0"


# --------------------------------------------------------------------------- unique, logic


def test_unique_matches_torch(tt: Any) -> None:
    cases = [
        (dagrad.tensor([3, 1, 2, 3, 1]), {}), (dagrad.tensor([[1, 2], [1, 2], [0, 5]]),
                                               {"dim": 0}),
        (dagrad.tensor([[1, 2], [1, 2]]), {"dim": 1}), (dagrad.tensor(3.0), {}),
        (dagrad.ones(0), {}), (dagrad.tensor([nan, nan, 1.0]), {}),
        (dagrad.tensor([True, False, True]), {}), (dagrad.tensor([2, 1, 2]), {"sorted": False}),
    ]
    for x, kw in cases:
        for extra in ({}, {"return_inverse": True}, {"return_counts": True},
                      {"return_inverse": True, "return_counts": True}):
            ours = S.unique(x, **kw, **extra)
            theirs = tt.unique(to_t(tt, x), **kw, **extra)
            ours = ours if isinstance(ours, tuple) else (ours,)
            theirs = theirs if isinstance(theirs, tuple) else (theirs,)
            for o, t in zip(ours, theirs, strict=True):
                assert o.shape == tuple(t.shape), (x, kw, extra)
                np.testing.assert_array_equal(np_of(o), np_of(t))


def test_unique_consecutive_matches_torch(tt: Any) -> None:
    for x, kw in ((dagrad.tensor([1, 1, 2, 2, 3, 1, 1]), {}), (dagrad.ones(0), {}),
                  (dagrad.tensor([[1, 2], [1, 2], [0, 5], [1, 2]]), {"dim": 0}),
                  (dagrad.tensor([[1, 1, 2], [1, 1, 3]]), {"dim": 1})):
        ours = S.unique_consecutive(x, True, True, **kw)
        theirs = tt.unique_consecutive(to_t(tt, x), True, True, **kw)
        for o, t in zip(ours, theirs, strict=True):
            assert o.shape == tuple(t.shape)
            np.testing.assert_array_equal(np_of(o), np_of(t))


def test_unique_has_no_gradient() -> None:
    out = S.unique(t64([1.0, 2.0, 1.0]))
    assert out.grad_fn is None and not out.requires_grad


def test_allclose_isclose_equal(tt: Any) -> None:
    a, b = dagrad.tensor([1.0, 2.0, nan]), dagrad.tensor([1.0 + 1e-7, 2.0, nan])
    assert not S.allclose(a, b) and S.allclose(a, b, equal_nan=True)
    assert S.allclose(dagrad.tensor([1.0]), dagrad.tensor([1.1]), rtol=0.2)
    assert S.equal(dagrad.tensor([1, 2]), dagrad.tensor([1.0, 2.0]))
    assert not S.equal(dagrad.ones(2), dagrad.ones(3)) and not S.equal(a, a)
    assert S.isclose(dagrad.tensor([inf, -inf]), dagrad.tensor([inf, inf])).tolist() == \
        [True, False]
    with pytest.raises(RuntimeError, match=re.escape(
            "The size of tensor a (4) must match the size of tensor b (2) at non-singleton "
            "dimension 1")):
        S.allclose(dagrad.ones(3, 4), dagrad.ones(2))
    assert isinstance(S.allclose(a, a), bool) and isinstance(S.equal(a, a), bool)
    _ = tt


def test_searchsorted_bucketize_histc_against_numpy() -> None:
    seq = dagrad.tensor([1.0, 3.0, 3.0, 5.0])
    v = dagrad.tensor([[0.0, 3.0, 4.0], [5.0, 6.0, 3.0]])
    np.testing.assert_array_equal(S.searchsorted(seq, v).numpy(),
                                  np.searchsorted(seq.numpy(), v.numpy()))
    np.testing.assert_array_equal(S.searchsorted(seq, v, side="right").numpy(),
                                  np.searchsorted(seq.numpy(), v.numpy(), "right"))
    assert S.searchsorted(seq, 3.0, out_int32=True).dtype == dagrad.int32
    assert S.bucketize(v, seq, right=True).tolist() == [[0, 3, 3], [4, 4, 3]]
    h = S.histc(dagrad.tensor([0.0, 0.25, 0.5, 0.75, 1.0]), 4, 0, 1)
    assert h.tolist() == [1.0, 1.0, 1.0, 2.0] and h.dtype == dagrad.float32
    assert S.histc(dagrad.tensor([2.0, 2.0]), 4).tolist() == [0.0, 0.0, 2.0, 0.0]


# --------------------------------------------------------------------------- messages

ERRORS = [
    (lambda m, x: m.max(x, 2), IndexError,
     "Dimension out of range (expected to be in range of [-2, 1], but got 2)"),
    (lambda m, x: m.sort(x, -3), IndexError,
     "Dimension out of range (expected to be in range of [-2, 1], but got -3)"),
    (lambda m, x: m.cumsum(m.tensor(1.0), 1), IndexError,
     "Dimension out of range (expected to be in range of [-1, 0], but got 1)"),
    (lambda m, x: m.topk(x, 4), RuntimeError, "selected index k out of range"),
    (lambda m, x: m.topk(x, 1, dim=2), IndexError,
     "Dimension out of range (expected to be in range of [-2, 1], but got 2)"),
    (lambda m, x: m.kthvalue(x, 0), RuntimeError,
     "kthvalue(): selected number k out of range for dimension 1"),
    (lambda m, x: m.kthvalue(m.tensor(1.0), 2), RuntimeError,
     "kthvalue(): selected number k out of range for dimension 0"),
    (lambda m, x: m.max(m.ones(0, 3), 0), IndexError,
     "max(): Expected reduction dim 0 to have non-zero size."),
    (lambda m, x: m.median(m.ones(3, 0), 1), IndexError,
     "median(): Expected reduction dim 1 to have non-zero size."),
    (lambda m, x: m.nanmedian(m.ones(3, 0), -1), IndexError,
     "median(): Expected reduction dim 1 to have non-zero size."),
    (lambda m, x: m.mode(m.ones(0, 3), 0), IndexError,
     "mode(): Expected reduction dim 0 to have non-zero size."),
    (lambda m, x: m.argmin(m.ones(0)), IndexError,
     "argmin(): Expected reduction dim to be specified for input.numel() == 0."),
    (lambda m, x: m.amin(m.ones(0)), RuntimeError,
     "amin(): Expected reduction dim to be specified for input.numel() == 0. Specify the "
     "reduction dim with the 'dim' argument."),
    (lambda m, x: m.aminmax(m.ones(0)), RuntimeError,
     "aminmax(): cannot compute aminmax over an empty dimension as the operation has no "
     "identity."),
    (lambda m, x: m.aminmax(m.ones(3, 0), dim=1), IndexError,
     "aminmax: Expected reduction dim 1 to have non-zero size."),
    (lambda m, x: m.amax(x, (1, -1)), RuntimeError,
     "dim 1 appears multiple times in the list of dims"),
    (lambda m, x: m.var(m.tensor([1, 2])), RuntimeError,
     "std and var only support floating point and complex dtypes"),
    (lambda m, x: m.std_mean(m.tensor([1, 2])), RuntimeError,
     "std_mean only support floating point and complex dtypes"),
    (lambda m, x: m.median(m.tensor([True])), NotImplementedError,
     "\"median_cpu\" not implemented for 'Bool'"),
    (lambda m, x: m.kthvalue(m.tensor([True]), 1), NotImplementedError,
     "\"kthvalue_cpu\" not implemented for 'Bool'"),
    (lambda m, x: m.topk(m.tensor([True]), 1), RuntimeError,
     "topk does not support bool dtypes on CPU"),
    (lambda m, x: m.argmax(m.tensor([True])), RuntimeError,
     "argmax(): does not support bool input"),
    (lambda m, x: m.nanmean(m.tensor([1, 2])), RuntimeError,
     "nanmean(): expected input to have floating point or complex dtype but got Long"),
    (lambda m, x: m.logcumsumexp(m.tensor([1, 2]), 0), NotImplementedError,
     "\"logcumsumexp_out_cpu\" not implemented for 'Long'"),
    (lambda m, x: m.histc(x, bins=-1), RuntimeError,
     "torch.histogram(): bins must be > 0, but got -1 for dimension 0"),
    (lambda m, x: m.bucketize(m.ones(2), x), RuntimeError,
     "boundaries tensor must be 1 dimension, but got dim(2)"),
    (lambda m, x: m.searchsorted(x, 2.0), RuntimeError,
     "torch.searchsorted(): input value can be a scalar only when boundaries tensor dimension "
     "is 1, but we got boundaries tensor dim(2) and input value's dim(0) numel(1)"),
    (lambda m, x: m.isclose(x, x.int()), RuntimeError, "Float did not match Int"),
    (lambda m, x: m.unique(x, dim=-3), IndexError,
     "Dimension out of range (expected to be in range of [-2, 1], but got -3)"),
]


@pytest.mark.parametrize("call,exc,message", ERRORS, ids=[m[:40] for _, _, m in ERRORS])
def test_error_messages_match_torch(tt: Any, call: Any, exc: type, message: str) -> None:
    with pytest.raises(exc) as theirs:
        call(tt, tt.ones(2, 3))
    assert str(theirs.value) == message
    with pytest.raises(exc) as ours:
        call(D, dagrad.ones(2, 3))
    assert str(ours.value) == message.replace("torch.", "dagrad.")


# --------------------------------------------------------------------------- properties


@settings(max_examples=40, deadline=None)
@given(hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, max_side=5),
                  elements=st.integers(-3, 3).map(float)), st.booleans(), st.data())
def test_sort_is_a_stable_permutation(x: np.ndarray, descending: bool, data: Any) -> None:
    dim = data.draw(st.integers(-x.ndim, x.ndim - 1))
    values, indices = S.sort(dagrad.from_numpy(x), dim, descending)
    idx = indices.numpy()
    np.testing.assert_array_equal(np.take_along_axis(x, idx, dim), values.numpy())
    np.testing.assert_array_equal(np.sort(idx, axis=dim),
                                  np.broadcast_to(np.moveaxis(np.arange(x.shape[dim])[
                                      (...,) + (None,) * (x.ndim - 1)], 0, dim % x.ndim),
                                      x.shape))
    key = -x if descending else x
    np.testing.assert_array_equal(idx, np.argsort(key, axis=dim, kind="stable"))


@settings(max_examples=40, deadline=None)
@given(hnp.arrays(np.int64, hnp.array_shapes(min_dims=1, max_dims=2, max_side=6),
                  elements=st.integers(-2, 2)))
def test_mode_and_unique_agree_with_counting(x: np.ndarray) -> None:
    vals, counts = np.unique(x, return_counts=True)
    out, inv, cnt = S.unique(dagrad.from_numpy(x), return_inverse=True, return_counts=True)
    np.testing.assert_array_equal(out.numpy(), vals)
    np.testing.assert_array_equal(cnt.numpy(), counts)
    np.testing.assert_array_equal(out.numpy()[inv.numpy()], x)
    flat = dagrad.from_numpy(x.reshape(-1))
    m = S.mode(flat)
    assert m.values.item() == vals[np.argmax(counts)]
    assert m.indices.item() == np.flatnonzero(x.reshape(-1) == m.values.item())[-1]
