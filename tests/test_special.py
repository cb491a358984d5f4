"""Special and element-wise math functions (``dagrad/ops/special.py``, ``dagrad.special``).

The generic op-database checks run in ``tests/test_ops.py`` / ``tests/test_ops_vs_torch.py``
once ``op_db`` includes ``op_db_selection.OPS`` (until then ``test_generic_*`` runs them here).
The rest: values against high-precision references (mpmath, when installed) and Python's
``math``, PyTorch's special values (poles, ±inf, nan, ±0), gradients at those points, result
dtypes, the ``dagrad.special`` namespace and exact error messages.
"""
from __future__ import annotations

import math
import re
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import dagrad
import dagrad.special
from dagrad.autograd.gradcheck import gradcheck, gradgradcheck
from dagrad.ops import special as P
from dagrad.testing import assert_close

nan, inf = math.nan, math.inf


@pytest.fixture(scope="module")
def tt() -> Any:
    return pytest.importorskip("torch")


def to_t(tt: Any, x: Any) -> Any:
    if not isinstance(x, dagrad.Tensor):
        return x
    return tt.from_numpy(np.array(x.detach().numpy())).requires_grad_(x.requires_grad)


def t64(values: Any, rg: bool = True) -> dagrad.Tensor:
    return dagrad.tensor(values, dtype=dagrad.float64, requires_grad=rg)


# --------------------------------------------------------------------------- references

MP_CASES = [
    ("digamma", P.digamma, lambda mp, x: mp.digamma(x),
     [-20.3, -2.5, -0.7, 1e-6, 0.1, 1.4616321449683622, 3.7, 9.99, 10.0, 27.5, 1e5, 1e18]),
    ("trigamma", lambda x: P.polygamma(1, x), lambda mp, x: mp.polygamma(1, x),
     [-2.5, -0.7, 1e-4, 0.5, 3.7, 30.0]),
    ("polygamma 2", lambda x: P.polygamma(2, x), lambda mp, x: mp.polygamma(2, x),
     [-2.5, -0.7, 1e-3, 0.5, 3.7, 30.0, 1e4]),
    ("polygamma 5", lambda x: P.polygamma(5, x), lambda mp, x: mp.polygamma(5, x),
     [-1.5, 0.3, 2.0, 12.0]),
    ("lgamma", P.lgamma, lambda mp, x: mp.log(abs(mp.gamma(x))),
     [-30.5, -2.5, -0.3, 1e-8, 0.5, 1.0, 2.0, 7.3, 170.5, 1e5]),
    ("erfinv", P.erfinv, lambda mp, x: mp.erfinv(x),
     [-0.999999999999, -0.7, -1e-300, 1e-10, 0.3, 0.5, 0.9, 1 - 2 ** -52]),
    ("erfc", P.erfc, lambda mp, x: mp.erfc(x), [-5.0, -1.0, 0.0, 0.5, 3.0, 10.0, 26.0]),
    ("i0", P.i0, lambda mp, x: mp.besseli(0, x), [-30.0, -1.0, 0.0, 0.5, 8.0, 100.0, 700.0]),
    ("i1", P.i1, lambda mp, x: mp.besseli(1, x),
     [-30.0, -1.0, 0.0, 1e-200, 0.5, 8.0, 24.99, 25.01, 100.0, 700.0]),
    ("ndtri", P.ndtri, lambda mp, x: mp.sqrt(2) * mp.erfinv(2 * mp.mpf(x) - 1),
     [1e-300, 1e-20, 1e-5, 0.01, 0.3, 0.5, 0.7, 0.975, 1 - 1e-10]),
    ("log_ndtr", P.log_ndtr, lambda mp, x: mp.log(mp.ncdf(x)),
     [-1e5, -200.0, -37.5, -36.9, -10.0, -1.0001, -1.0, -0.5, 0.0, 3.0, 9.0]),
    ("ndtr", dagrad.special.ndtr, lambda mp, x: mp.ncdf(x), [-3.0, -1.0, 0.0, 0.7, 5.0]),
    ("entr", P.entr, lambda mp, x: -x * mp.log(x), [1e-300, 0.1, 1.0, 3.0]),
    ("sinc", P.sinc, lambda mp, x: mp.sinpi(x) / (mp.pi * x), [-2.5, 1e-9, 0.3, 1.5]),
]


@pytest.mark.parametrize("name,fn,ref,xs", MP_CASES, ids=[c[0] for c in MP_CASES])
def test_values_against_mpmath(name: str, fn: Any, ref: Any, xs: list) -> None:
    mp = pytest.importorskip("mpmath")
    for dtype in (np.float64, np.float32):
        x = np.asarray(xs, dtype=dtype)
        x = x[np.abs(x) < 1] if name == "erfinv" else x[x < 1] if name == "ndtri" else \
            x[x > 0] if name == "entr" else x
        with mp.workdps(350 if name == "ndtri" else 40):     # ndtri's reference needs 2p - 1
            want = np.array([float(ref(mp, mp.mpf(float(v)))) for v in x])
        got = fn(dagrad.from_numpy(x)).numpy()
        assert got.dtype == dtype
        if dtype == np.float64:
            # trigamma is PyTorch's (accurate to ~1e-9); digamma has a root near 1.46
            rtol = 1e-8 if name == "trigamma" else 1e-12
            np.testing.assert_allclose(got, want, rtol=rtol, atol=1e-15, err_msg=name)
        else:
            with np.errstate(over="ignore"):
                want32 = want.astype(np.float32)
            np.testing.assert_allclose(got, want32, rtol=2e-6, atol=1e-30, err_msg=name)


def test_values_against_math_module() -> None:
    xs = np.linspace(-4, 4, 41)
    x = dagrad.tensor(xs, dtype=dagrad.float64)
    np.testing.assert_allclose(P.erf(x).numpy(), [math.erf(v) for v in xs], rtol=1e-15)
    np.testing.assert_allclose(P.erfc(x).numpy(), [math.erfc(v) for v in xs], rtol=1e-15)
    np.testing.assert_allclose(P.expm1(x).numpy(), [math.expm1(v) for v in xs], rtol=1e-15)
    np.testing.assert_allclose(P.log1p(x[x > -1]).numpy(), [math.log1p(v) for v in xs if v > -1],
                               rtol=1e-15)
    pos = xs[xs > 0]
    np.testing.assert_allclose(P.lgamma(dagrad.tensor(pos)).numpy(),
                               [math.lgamma(v) for v in pos], rtol=1e-6)
    y = dagrad.tensor(xs[::-1].copy(), dtype=dagrad.float64)
    np.testing.assert_allclose(P.atan2(x, y).numpy(),
                               [math.atan2(a, b) for a, b in zip(xs, xs[::-1], strict=True)],
                               rtol=1e-15)
    np.testing.assert_allclose(P.hypot(x, 2.5).numpy(), [math.hypot(v, 2.5) for v in xs],
                               rtol=1e-15)


# --------------------------------------------------------------------------- special values

SPECIAL_X = [0.0, -0.0, 1.0, -1.0, -2.0, 0.5, -0.5, 1.5, inf, -inf, nan, 1e-300, 40.0, -40.0]
UNARY = ["exp2", "expm1", "log2", "log10", "log1p", "rsqrt", "sinh", "cosh", "tan", "asin",
         "acos", "atan", "asinh", "acosh", "atanh", "logit", "erf", "erfc", "erfinv", "lgamma",
         "digamma", "i0", "sinc", "deg2rad", "rad2deg", "nan_to_num", "floor", "ceil", "trunc",
         "round", "frac", "isnan", "isinf", "isfinite", "isposinf", "isneginf", "signbit"]
SPECIAL_NS = ["i1", "ndtr", "ndtri", "log_ndtr", "entr", "expit", "gammaln", "psi"]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", UNARY + SPECIAL_NS)
def test_special_values_match_torch(tt: Any, name: str, dtype: str) -> None:
    x = dagrad.tensor(SPECIAL_X, dtype=getattr(dagrad, dtype))
    ours = getattr(dagrad.special if name in SPECIAL_NS else P, name)(x)
    theirs = getattr(tt.special if name in SPECIAL_NS else tt, name)(to_t(tt, x))
    o, t = ours.numpy(), theirs.numpy()
    assert o.dtype == t.dtype
    if dtype == "float32":
        # PyTorch computes in float32 (digamma, sinc(1) = sin(pi)/pi lose digits); dagrad in
        # float64, rounded once
        np.testing.assert_allclose(o, t, rtol=2e-6, atol=1e-7, equal_nan=True, err_msg=name)
        return
    np.testing.assert_allclose(o, t, rtol=1e-14, atol=0, equal_nan=True, err_msg=name)
    np.testing.assert_array_equal(np.signbit(o[t == 0]), np.signbit(t[t == 0]))


@pytest.mark.parametrize("n", [1, 2, 3])
def test_polygamma_special_values_match_torch(tt: Any, n: int) -> None:
    x = dagrad.tensor([0.0, -1.0, -1.5, 0.5, 1e-5, inf, nan, -inf, 100.0], dtype=dagrad.float64)
    np.testing.assert_allclose(P.polygamma(n, x).numpy(),
                               tt.polygamma(n, to_t(tt, x)).numpy(), rtol=1e-14, equal_nan=True)


def test_binary_special_values_match_torch(tt: Any) -> None:
    a = dagrad.tensor([0.0, 0.0, 0.0, -0.0, 2.0, -3.0, nan, inf, 1.0, -inf], dtype=dagrad.float64)
    b = dagrad.tensor([0.0, nan, 3.0, -1.0, -0.0, 0.0, 1.0, inf, -inf, 2.0], dtype=dagrad.float64)
    for name in ("xlogy", "atan2", "hypot", "fmod", "fmax", "fmin", "copysign", "logaddexp",
                 "logaddexp2", "heaviside"):
        ours, theirs = getattr(P, name)(a, b), getattr(tt, name)(to_t(tt, a), to_t(tt, b))
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-15, equal_nan=True,
                                   err_msg=name)
    assert P.xlogy(2.0, dagrad.tensor([0.5])).item() == pytest.approx(2.0 * math.log(0.5))
    assert P.xlogy(dagrad.tensor([0.0, 3.0]), 0.0).tolist() == [0.0, -inf]


def test_rounding_and_replacement(tt: Any) -> None:
    x = dagrad.tensor([0.5, 1.5, 2.5, -0.5, -2.5, 1.2345, 1250.0, 1350.0, 12345.678])
    for kw in ({}, {"decimals": 0}, {"decimals": 2}, {"decimals": -2}):
        np.testing.assert_array_equal(P.round(x, **kw).numpy(), tt.round(to_t(tt, x), **kw))
    np.testing.assert_array_equal(dagrad.special.round(x).numpy(), tt.special.round(to_t(tt, x)))
    y = dagrad.tensor([nan, inf, -inf, 1.0])
    np.testing.assert_array_equal(P.nan_to_num(y).numpy(), tt.nan_to_num(to_t(tt, y)).numpy())
    np.testing.assert_array_equal(P.nan_to_num(y, 1.0, 2.0, -3.0).numpy(), [1.0, 2.0, -3.0, 1.0])
    np.testing.assert_array_equal(P.nan_to_num(y, posinf=7.0).numpy(),
                                  tt.nan_to_num(to_t(tt, y), posinf=7.0).numpy())
    np.testing.assert_allclose(P.logit(dagrad.tensor([-0.1, 0.0, 1.0, 0.5]), eps=0.1).numpy(),
                               tt.logit(tt.tensor([-0.1, 0.0, 1.0, 0.5]), eps=0.1), rtol=1e-6)
    lerp = P.lerp(dagrad.tensor([1.0, 2.0]), dagrad.tensor([3.0, 4.0]), dagrad.tensor(0.75))
    assert lerp.tolist() == [2.5, 3.5]


# --------------------------------------------------------------------------- gradients

GRAD_POINTS = [
    ("xlogy", lambda m, a, b: m.xlogy(a, b), [0.0, 0.0, 2.0, 1.0, 0.0], [0.0, 3.0, nan, 2.0, -1.0]),
    ("atan2 at 0", lambda m, a, b: m.atan2(a, b), [0.0, 1.0, -0.0], [0.0, 0.0, 2.0]),
    ("copysign", lambda m, a, b: m.copysign(a, b), [0.0, -0.0, 2.0, -3.0],
     [-1.0, 1.0, -0.0, 1.0]),
    ("hypot at 0", lambda m, a, b: m.hypot(a, b), [0.0, 3.0], [0.0, 4.0]),
    ("fmax nan", lambda m, a, b: m.fmax(a, b), [1.0, 2.0, nan, 3.0, nan],
     [1.0, nan, 1.0, 4.0, nan]),
    ("fmin nan", lambda m, a, b: m.fmin(a, b), [1.0, 2.0, nan, 3.0, nan],
     [1.0, nan, 1.0, 4.0, nan]),
    ("logit", lambda m, a, b: m.logit(a), [-0.1, 0.0, 0.5, 1.0, 1.1], [0.0] * 5),
    ("logit eps", lambda m, a, b: m.logit(a, 0.2), [0.1, 0.2, 0.5, 0.8, 0.9], [0.0] * 5),
    ("sinc at 0", lambda m, a, b: m.sinc(a), [0.0, 1.0, -2.0, 0.5], [0.0] * 4),
    ("i0/i1 at 0", lambda m, a, b: m.i0(a) + m.special.i1(a), [0.0, 1e-20, 2.0], [0.0] * 3),
    ("entr", lambda m, a, b: m.special.entr(a), [0.0, 1.0, 2.0], [0.0] * 3),
    ("nan_to_num", lambda m, a, b: m.nan_to_num(a), [1.0, nan, inf, -inf], [0.0] * 4),
    ("erfinv/ndtri", lambda m, a, b: m.erfinv(a) + m.special.ndtri(b), [1.0, -1.0, 0.5],
     [0.0, 1.0, 0.5]),
    ("lgamma/digamma poles", lambda m, a, b: m.lgamma(a) + m.digamma(b), [-1.5, 0.5, 3.0],
     [-0.5, 1e-3, 2.0]),
    ("rounding", lambda m, a, b: m.floor(a) + m.ceil(a) + m.trunc(a) + m.round(a, decimals=1)
     + m.frac(b), [0.5, 1.5, -2.3], [0.5, -1.5, 2.0]),
    ("log_ndtr tail", lambda m, a, b: m.special.log_ndtr(a), [-50.0, -5.0, 10.0], [0.0] * 3),
]


class _NS:
    """The dagrad side of the calls above: the ops of special.py, ``special`` = dagrad.special."""

    special = dagrad.special

    def __getattr__(self, name: str) -> Any:
        return getattr(P, name)


@pytest.mark.parametrize("name,fn,a,b", GRAD_POINTS, ids=[c[0] for c in GRAD_POINTS])
def test_first_and_second_gradients_at_special_points_match_torch(tt: Any, name: str, fn: Any,
                                                                  a: list, b: list) -> None:
    da, db = t64(a), t64(b)
    ta, tb = to_t(tt, da), to_t(tt, db)
    ours, theirs = fn(_NS(), da, db), fn(tt, ta, tb)
    assert_close(ours.detach().numpy(), theirs.detach().numpy(), equal_nan=True)
    g = dagrad.autograd.grad(ours.sum(), (da, db), create_graph=True, allow_unused=True)
    h = tt.autograd.grad(theirs.sum(), (ta, tb), create_graph=True, allow_unused=True)
    for x, gi, hi in zip((da, db), g, h, strict=True):
        got = np.zeros(x.shape) if gi is None else gi.detach().numpy()
        want = np.zeros(x.shape) if hi is None else hi.detach().numpy()
        assert_close(got, want, equal_nan=True, msg=f"{name}: first order {got} {want}")
    live = [(gi, hi) for gi, hi in zip(g, h, strict=True)
            if gi is not None and hi is not None and gi.requires_grad and hi.requires_grad]
    for gi, hi in live:
        g2 = dagrad.autograd.grad(gi.sum(), (da, db), allow_unused=True, retain_graph=True)
        h2 = tt.autograd.grad(hi.sum(), (ta, tb), allow_unused=True, retain_graph=True)
        for x, u, v in zip((da, db), g2, h2, strict=True):
            got = np.zeros(x.shape) if u is None else u.numpy()
            want = np.zeros(x.shape) if v is None else v.numpy()
            assert_close(got, want, equal_nan=True, msg=f"{name}: second order {got} {want}")


def test_digamma_chain_of_derivatives_matches_torch(tt: Any) -> None:
    x = t64([0.3, 1.7, -2.5])
    tx = to_t(tt, x)
    ours, theirs = P.lgamma(x), tt.lgamma(tx)
    for order in range(4):
        ours = dagrad.autograd.grad(ours.sum(), x, create_graph=True)[0]
        theirs = tt.autograd.grad(theirs.sum(), tx, create_graph=True)[0]
        np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-8)
        assert type(ours.grad_fn).__name__ == "MulBackward0", order


def test_gradcheck_on_tails_and_two_argument_forms() -> None:
    x = t64([-30.0, -3.0, 0.2, 4.0])
    assert gradgradcheck(P.log_ndtr, (x,))
    assert gradgradcheck(P.i1, (t64([-26.0, -1.0, 0.3, 30.0]),))
    w = t64([0.2, 0.7, 0.9, 0.1])
    assert gradgradcheck(lambda a, b, c: P.lerp(a, b, c), (t64([1.0, 2, 3, 4]), x, w))
    assert gradgradcheck(lambda a: P.xlogy(2.5, a), (t64([0.5, 1.5]),))
    assert gradcheck(lambda a, b: P.addcdiv(a, x, b, value=0.5), (w, t64([1.0, 2, -3, 4])))


# --------------------------------------------------------------------------- dtypes, names


def test_result_dtypes_match_torch(tt: Any) -> None:
    i = dagrad.tensor([1, 2, 3])
    for name in ("exp2", "expm1", "log2", "log1p", "rsqrt", "sinh", "atan", "lgamma", "digamma",
                 "erf", "erfc", "erfinv", "i0", "sinc", "deg2rad", "logit", "floor", "ceil",
                 "trunc", "round", "nan_to_num", "isnan", "isinf", "isfinite", "signbit",
                 "isposinf"):
        ours, theirs = getattr(P, name)(i), getattr(tt, name)(to_t(tt, i))
        assert ours.dtype.name == str(theirs.dtype)[6:], name
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6, atol=1e-7)
    for name in ("atan2", "xlogy", "copysign", "fmod", "fmax"):
        ours, theirs = getattr(P, name)(i, i), getattr(tt, name)(to_t(tt, i), to_t(tt, i))
        assert ours.dtype.name == str(theirs.dtype)[6:], name
    f = dagrad.tensor([1.5], dtype=dagrad.float64)
    assert P.xlogy(f, 2.0).dtype == dagrad.float64 and P.fmod(f, 2).dtype == dagrad.float64
    assert P.addcmul(dagrad.ones(2), dagrad.ones(2, dtype=dagrad.float64), dagrad.ones(2)).dtype \
        == dagrad.float64


def test_special_namespace_mirrors_torch_special(tt: Any) -> None:
    for name in dagrad.special.__all__:
        assert hasattr(tt.special, name), name
    x = t64([0.2, 0.8])
    assert type(dagrad.special.expit(x).grad_fn).__name__ == "SigmoidBackward0"
    assert dagrad.special.gammaln is P.lgamma and dagrad.special.psi is P.digamma
    assert type(dagrad.special.round(x).grad_fn).__name__ == "RoundBackward1"
    assert type(P.round(x).grad_fn).__name__ == "RoundBackward0"
    assert type(dagrad.special.ndtr(x).grad_fn).__name__ == "MulBackward1"
    sm = dagrad.special.softmax(dagrad.tensor([1, 2]), 0, dtype=dagrad.float64)
    assert sm.dtype == dagrad.float64
    assert_close(sm.numpy(), tt.special.softmax(tt.tensor([1, 2]), 0, dtype=tt.float64).numpy())
    assert type(dagrad.special.log_softmax(x, 0).grad_fn).__name__ == "LogSoftmaxBackward0"
    assert type(dagrad.special.logsumexp(x, 0).grad_fn).__name__ == "LogsumexpBackward0"
    assert dagrad.special.polygamma(1, x).grad_fn is not None
    assert P.METHODS["polygamma"](x, 2).tolist() == P.polygamma(2, x).tolist()


def test_zero_gradient_ops_carry_no_graph() -> None:
    x = t64([0.4, 1.6])
    for fn in (P.floor, P.ceil, P.trunc, P.round, lambda a: P.round(a, decimals=1)):
        (g,) = dagrad.autograd.grad(fn(x).sum(), x, create_graph=True)
        assert g.tolist() == [0.0, 0.0] and g.grad_fn is None
    (g,) = dagrad.autograd.grad(P.frac(x).sum(), x)
    assert g.tolist() == [1.0, 1.0]


# --------------------------------------------------------------------------- messages

ERRORS = [
    (lambda m: m.polygamma(-1, m.ones(2)), RuntimeError,
     "polygamma(n, x) does not support negative n."),
    (lambda m: m.polygamma(1.5, m.ones(2)), TypeError,
     "polygamma(): argument 'n' (position 1) must be int, not float"),
    (lambda m: m.lerp(m.ones(2), m.ones(2, dtype=m.float64), 0.5), RuntimeError,
     "expected dtype float for `end` but got dtype double"),
    (lambda m: m.lerp(m.ones(2, dtype=m.float64), m.ones(2, dtype=m.float64), m.ones(2)),
     RuntimeError, "expected dtype double for `weight` but got dtype float"),
    (lambda m: m.heaviside(m.ones(2), m.ones(2, dtype=m.float64)), RuntimeError,
     "heaviside is not yet implemented for tensors with different dtypes."),
    (lambda m: m.fmod(m.tensor([1, 2]), 0), RuntimeError, "ZeroDivisionError"),
    (lambda m: m.logaddexp(m.tensor([1]), m.tensor([2])), NotImplementedError,
     "\"logaddexp_cpu\" not implemented for 'Long'"),
    (lambda m: m.round(m.tensor([1]), decimals=1), NotImplementedError,
     "\"round_cpu\" not implemented for 'Long'"),
    (lambda m: m.frac(m.tensor([1])), NotImplementedError,
     "\"frac_cpu\" not implemented for 'Long'"),
    (lambda m: m.floor(m.tensor([True])), NotImplementedError,
     "\"floor_vml_cpu\" not implemented for 'Bool'"),
    (lambda m: m.signbit(m.tensor([1j])), NotImplementedError,
     "signbit is not implemented for complex tensors."),
    (lambda m: m.isposinf(m.tensor([1j])), RuntimeError, "isposinf does not support complex "
     "inputs."),
    (lambda m: m.hypot(m.tensor([1]), m.tensor([2])), NotImplementedError,
     "\"hypot_cpu\" not implemented for 'Long'"),
    (lambda m: m.atan2(m.tensor([1j]), m.tensor([1j])), NotImplementedError,
     "\"atan2_cpu\" not implemented for 'ComplexFloat'"),
    (lambda m: m.addcdiv(m.tensor([1]), m.tensor([1]), m.tensor([2])), RuntimeError,
     "Integer division with addcdiv is no longer supported, and in a future  release addcdiv "
     "will perform a true division of tensor1 and tensor2. The historic addcdiv behavior can be "
     "implemented as (input + value * torch.trunc(tensor1 / tensor2)).to(input.dtype) for "
     "integer inputs and as (input + value * tensor1 / tensor2) for float inputs. The future "
     "addcdiv behavior is just the latter implementation: (input + value * tensor1 / "
     "tensor2), for all dtypes."),
]


class _Dagrad:
    def __getattr__(self, name: str) -> Any:
        return getattr(P, name) if name in P.__all__ else getattr(dagrad, name)


@pytest.mark.parametrize("call,exc,message", ERRORS, ids=[m[:40] for _, _, m in ERRORS])
def test_error_messages_match_torch(tt: Any, call: Any, exc: type, message: str) -> None:
    with pytest.raises(exc) as theirs:
        call(tt)
    assert str(theirs.value) == message
    with pytest.raises(exc, match=f"^{re.escape(message.replace('torch.', 'dagrad.'))}$"):
        call(_Dagrad())


# --------------------------------------------------------------------------- properties

_FLOATS = st.floats(-6, 6, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(st.lists(_FLOATS, min_size=1, max_size=8))
def test_inverse_pairs_round_trip(xs: list) -> None:
    x = dagrad.tensor(xs, dtype=dagrad.float64)
    np.testing.assert_allclose(P.erfinv(P.erf(x * 0.5)).numpy(), x.numpy() * 0.5,
                               rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(P.ndtri(dagrad.special.ndtr(x)).numpy(), x.numpy(), rtol=1e-7,
                               atol=1e-7)
    np.testing.assert_allclose(P.logit(dagrad.special.expit(x)).numpy(), x.numpy(), atol=1e-9)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0.05, 40), min_size=1, max_size=8))
def test_gamma_family_recurrences(xs: list) -> None:
    x = dagrad.tensor(xs, dtype=dagrad.float64)
    a = x.numpy()
    np.testing.assert_allclose(P.lgamma(x + 1).numpy(), P.lgamma(x).numpy() + np.log(a),
                               rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(P.digamma(x + 1).numpy(), P.digamma(x).numpy() + 1 / a,
                               rtol=1e-11, atol=1e-11)
    np.testing.assert_allclose(P.polygamma(2, x + 1).numpy(),
                               P.polygamma(2, x).numpy() + 2 / a ** 3, rtol=1e-10)
