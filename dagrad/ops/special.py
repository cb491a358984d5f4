"""Special and element-wise math functions: a NumPy kernel + one derivative formula per input.

The elementary functions (``exp2``, ``log1p``, ``asinh``, ``atan2``...) are NumPy ufuncs; the
special ones NumPy lacks are computed here with NumPy alone (Note [Special functions without
SciPy]). Formulas follow PyTorch's ``tools/autograd/derivatives.yaml`` and are written in dagrad
ops, so they differentiate again: ``digamma``'s derivative is ``polygamma(1, x)``, whose
derivative is ``polygamma(2, x)``, and so on.

Ops whose derivative is zero where defined (``floor``, ``ceil``, ``round``, ``trunc``) return a
zero tensor that carries no graph, as PyTorch's ``zeros_like(grad)`` does; ``frac`` passes the
gradient through.

Note [Special functions without SciPy]
dagrad depends on NumPy only. ``erf``/``erfc``/``lgamma`` come from Python's ``math`` module
(correctly rounded in double precision, applied element-wise with ``np.frompyfunc``);
``digamma``, ``polygamma(1, x)`` (trigamma), the Hurwitz zeta behind ``polygamma(n >= 2, x)``
and ``erfinv`` are NumPy translations of the algorithms PyTorch uses (``ATen/native/Math.h``),
so they agree with PyTorch to the last few bits, special values included; ``ndtri`` solves
``log_ndtr(x) = log(p)`` by Newton's method (``log_ndtr`` is concave, so it converges from any
start), ``i1`` sums its power series for ``|x| <= 25`` and its asymptotic series beyond.
float16/float32 inputs are computed in float64 and rounded once.
"""
from __future__ import annotations

import builtins
import math
from typing import Any

import numpy as np

from dagrad._npquiet import QUIET, quiet
from dagrad._tensor import Tensor
from dagrad.ops._registry import defop
from dagrad.ops.nn_ops import _ERF_UFUNC, _erf
from dagrad.ops import _fma
from dagrad.ops.pointwise import (_accurate, _conj, abs, cos, div, eq, exp, ge, gt, le, log,
                                  logical_and, logical_or, lt, pow, scalar_type_name,
                                  sigmoid, sin, where)

_PI = math.pi
_LN2 = math.log(2.0)
_LN10 = math.log(10.0)
_SQRT1_2 = math.sqrt(0.5)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_SQRT_PI_OVER_2 = math.sqrt(math.pi) / 2.0
_SQRT_2PI = math.sqrt(2.0 * math.pi)
_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)


def _f64(fn: Any, x: np.ndarray) -> np.ndarray:
    """``fn`` evaluated in float64 and rounded once to ``x``'s float dtype."""
    dt = x.dtype
    with QUIET:
        out = np.asarray(fn(np.asarray(x, dtype=np.float64)), dtype=np.float64)
        return out.astype(dt, copy=False)


def _zeros(t: Tensor) -> Tensor:
    """A zero gradient shaped like ``t`` that carries no graph (PyTorch's ``zeros_like``)."""
    return Tensor._make(np.zeros(t._data.shape, t._data.dtype))


def _const(value: float, like: Tensor) -> Tensor:
    """A 0-dim tensor of ``like``'s dtype (so ``where(c, nan, inf)`` keeps the float width)."""
    return Tensor._make(np.asarray(value, dtype=like._data.dtype))


def _not_for_ints(name: str, x: np.ndarray) -> None:
    if x.dtype.kind not in "fc":
        raise NotImplementedError(f'"{name}" not implemented for \'{scalar_type_name(x.dtype)}\'')


# --------------------------------------------------------------------------- exp / log family


@defop(node="Exp2Backward0", promote="float",
       # PyTorch's grad * result * ln 2, left to right
       grads={"self": lambda grad, result: grad * _conj(result) * _LN2})
@quiet
def exp2(self):
    """``2 ** x`` element-wise. Same as ``torch.exp2``.

    Example:
        >>> dagrad.exp2(dagrad.tensor([0., 3.]))
        tensor([1., 8.])
    """
    return _accurate(np.exp2, self)


@defop(node="Expm1Backward0", promote="float",
       grads={"self": lambda grad, result: grad * _conj(result + 1)})
@quiet
def expm1(self):
    """``exp(x) - 1``, accurate for small ``x``. Same as ``torch.expm1``."""
    return _accurate(np.expm1, self)


@defop(node="Log2Backward0", promote="float",
       grads={"self": lambda grad, self: grad / _conj(self * _LN2)})
@quiet
def log2(self):
    """Base-2 logarithm. Same as ``torch.log2``."""
    return _accurate(np.log2, self)


@defop(node="Log10Backward0", promote="float",
       grads={"self": lambda grad, self: grad / _conj(self * _LN10)})
@quiet
def log10(self):
    """Base-10 logarithm. Same as ``torch.log10``."""
    return _accurate(np.log10, self)


@defop(node="Log1PBackward0", promote="float",
       grads={"self": lambda grad, self: grad / _conj(self + 1)})
@quiet
def log1p(self):
    """``log(1 + x)``, accurate for small ``x``. Same as ``torch.log1p``."""
    return _accurate(np.log1p, self)


@defop(node="RsqrtBackward0", promote="float",
       # PyTorch's -0.5 * grad * result.pow(3), pow(3) being result * result * result
       grads={"self": lambda grad, result: grad * -0.5 * _conj(result * result * result)})
@quiet
def rsqrt(self):
    """``1 / sqrt(x)``. Same as ``torch.rsqrt``."""
    # PyTorch's kernel is 1 / sqrt(x) in the tensor's own precision (two roundings; float16 in
    # float32): rounding the float64 value once differed from it in 26% of float32 values
    if self.dtype == np.float16:
        return np.reciprocal(np.sqrt(self.astype(np.float32))).astype(np.float16)
    if self.dtype.kind in "fc":
        return np.reciprocal(np.sqrt(self))
    return _accurate(lambda a: 1.0 / np.sqrt(a), self)


# Note [logaddexp]: the derivative of log(e^a + e^b) in a is 1 / (1 + e^(b - a)).
@defop(node="LogaddexpBackward0", promote="common", grads={
    "self": lambda grad, self, other: grad / _conj(1 + exp(other - self)),
    "other": lambda grad, self, other: grad / _conj(1 + exp(self - other)),
})
@quiet
def logaddexp(self, other):
    """``log(exp(self) + exp(other))`` without overflow. Same as ``torch.logaddexp``."""
    _not_for_ints("logaddexp_cpu", np.asarray(self))
    return np.logaddexp(self, other)


@defop(node="Logaddexp2Backward0", promote="common", grads={
    "self": lambda grad, self, other: grad / (1 + pow(2.0, other - self)),
    "other": lambda grad, self, other: grad / (1 + pow(2.0, self - other)),
})
@quiet
def logaddexp2(self, other):
    """``log2(2**self + 2**other)`` without overflow. Same as ``torch.logaddexp2``."""
    _not_for_ints("logaddexp2_cpu", np.asarray(self))
    return np.logaddexp2(self, other)


def _xlogy_node(self, other) -> str:
    # ATen: xlogy.Tensor / xlogy.Scalar_Self / xlogy.Scalar_Other
    if not isinstance(self, Tensor):
        return "XlogyBackward1"
    return "XlogyBackward0" if isinstance(other, Tensor) else "XlogyBackward2"


def _xlogy_self(grad, self, other):
    # PyTorch: xlogy(grad, other).masked_fill((self == 0) & (other <= 0), 0)
    g = xlogy(grad, other)
    if isinstance(other, Tensor):
        return where(logical_and(eq(self, 0), le(other, 0)), 0.0, g)
    return where(eq(self, 0), 0.0, g) if other <= 0 else g


@defop(node=_xlogy_node, promote="float", grads={
    "self": _xlogy_self,
    "other": lambda grad, self, other: grad * self / other,
})
@quiet
def xlogy(self, other):
    """``self * log(other)``, 0 where ``self == 0`` (unless ``other`` is nan).

    Example:
        >>> dagrad.xlogy(dagrad.tensor([0., 2.]), dagrad.tensor([0., 1.]))
        tensor([0., 0.])
    """
    x, y = np.asarray(self), np.asarray(other)
    out = np.where(np.isnan(y), np.nan, np.where(x == 0, 0, x * np.log(y)))
    dt = np.result_type(self, other)
    return out.astype(dt, copy=False)


def _logit_backward(grad, self, eps):
    safe = grad / (self * (1 - self))
    if eps is None:
        out_of = logical_or(lt(self, 0), gt(self, 1))
        return where(out_of, _const(math.nan, safe), safe)
    out_of = logical_or(lt(self, eps), gt(self, 1 - eps))
    return where(out_of, 0.0, safe)


@defop(node="LogitBackward0", promote="float", grads={"self": _logit_backward})
@quiet
def logit(self, eps=None):
    """``log(x / (1 - x))``; with ``eps``, ``x`` is first clamped to ``[eps, 1 - eps]``.

    Example:
        >>> dagrad.logit(dagrad.tensor([0.5, 0.75]))
        tensor([0.0000, 1.0986])
    """
    def kernel(a):
        if eps is not None:
            a = np.clip(a, eps, 1 - eps)
        return np.log(a / (1 - a))
    return _accurate(kernel, self)


# --------------------------------------------------------------------------- trigonometry


@defop(node="SinhBackward0", promote="float",
       grads={"self": lambda grad, self: grad * _conj(cosh(self))})
@quiet
def sinh(self):
    """Hyperbolic sine. Same as ``torch.sinh``."""
    return _accurate(np.sinh, self)


@defop(node="CoshBackward0", promote="float",
       grads={"self": lambda grad, self: grad * _conj(sinh(self))})
@quiet
def cosh(self):
    """Hyperbolic cosine. Same as ``torch.cosh``."""
    return _accurate(np.cosh, self)


@defop(node="TanBackward0", promote="float",
       grads={"self": lambda grad, result: grad * _conj(result * result + 1)})
@quiet
def tan(self):
    """Tangent. Same as ``torch.tan``."""
    return _accurate(np.tan, self)


@defop(node="AsinBackward0", promote="float",
       grads={"self": lambda grad, self: grad * _conj(rsqrt(-self * self + 1))})
@quiet
def asin(self):
    """Inverse sine (nan outside [-1, 1]). Same as ``torch.asin``."""
    return _accurate(np.arcsin, self)


@defop(node="AcosBackward0", promote="float",
       grads={"self": lambda grad, self: grad * -_conj(rsqrt(-self * self + 1))})
@quiet
def acos(self):
    """Inverse cosine (nan outside [-1, 1]). Same as ``torch.acos``."""
    return _accurate(np.arccos, self)


@defop(node="AtanBackward0", promote="float",
       grads={"self": lambda grad, self: grad / _conj(self * self + 1)})
@quiet
def atan(self):
    """Inverse tangent. Same as ``torch.atan``."""
    return _accurate(np.arctan, self)


def _atan2_recip(self, other):
    # PyTorch: 1 / (self^2 + other^2), with 0 where both are 0 (the gradient there is 0)
    den = self * self + other * other
    return where(eq(den, 0), 0.0, 1 / den)


@defop(node="Atan2Backward0", promote="float", grads={
    "self": lambda grad, self, other: grad * other * _atan2_recip(self, other),
    "other": lambda grad, self, other: grad * -self * _atan2_recip(self, other),
})
@quiet
def atan2(self, other):
    """The angle of the point ``(other, self)``: ``atan(self / other)`` in the right quadrant.

    Example:
        >>> dagrad.atan2(dagrad.tensor([1.]), dagrad.tensor([-1.]))
        tensor([2.3562])
    """
    _not_complex("atan2_cpu", self)
    return np.arctan2(self, other)


def _not_complex(name: str, x: Any) -> None:
    if isinstance(x, np.ndarray) and x.dtype.kind == "c":
        raise NotImplementedError(f'"{name}" not implemented for \'{scalar_type_name(x.dtype)}\'')


@defop(node="AsinhBackward0", promote="float",
       grads={"self": lambda grad, self: grad * _conj(rsqrt(self * self + 1))})
@quiet
def asinh(self):
    """Inverse hyperbolic sine. Same as ``torch.asinh``."""
    return _accurate(np.arcsinh, self)


@defop(node="AcoshBackward0", promote="float",
       grads={"self": lambda grad, self: grad * _conj(rsqrt(self * self - 1))})
@quiet
def acosh(self):
    """Inverse hyperbolic cosine (nan below 1). Same as ``torch.acosh``."""
    return _accurate(np.arccosh, self)


@defop(node="AtanhBackward0", promote="float",
       grads={"self": lambda grad, self: grad / _conj(-self * self + 1)})
@quiet
def atanh(self):
    """Inverse hyperbolic tangent (nan outside [-1, 1]). Same as ``torch.atanh``."""
    return _accurate(np.arctanh, self)


@defop(node="HypotBackward0", promote="common", grads={
    "self": lambda grad, self, result: grad * self / result,
    "other": lambda grad, other, result: grad * other / result,
})
@quiet
def hypot(self, other):
    """``sqrt(self**2 + other**2)`` without overflow. Same as ``torch.hypot``."""
    for v in (self, other):
        if isinstance(v, np.ndarray) and v.dtype.kind not in "f":
            raise NotImplementedError(
                f'"hypot_cpu" not implemented for \'{scalar_type_name(v.dtype)}\'')
    return np.hypot(self, other)


@defop(node="Deg2RadBackward0", promote="float",
       grads={"self": lambda grad: grad * (_PI / 180.0)})
@quiet
def deg2rad(self):
    """Degrees to radians. Same as ``torch.deg2rad``."""
    return self * np.asarray(_PI / 180.0, self.dtype)


@defop(node="Rad2DegBackward0", promote="float",
       grads={"self": lambda grad: grad * (180.0 / _PI)})
@quiet
def rad2deg(self):
    """Radians to degrees. Same as ``torch.rad2deg``."""
    return self * np.asarray(180.0 / _PI, self.dtype)


def _sinc_backward(grad, self):
    # PyTorch: grad * (pi x cos(pi x) - sin(pi x)) / (pi x^2), and 0 where x == 0
    x_pi = self * _PI
    sq_pi = self * self * _PI
    out = grad * (x_pi * cos(x_pi) - sin(x_pi)) / sq_pi
    return where(eq(sq_pi, 0), 0.0, out)


@defop(node="SincBackward0", promote="float", grads={"self": _sinc_backward})
@quiet
def sinc(self):
    """The normalized sinc ``sin(pi x) / (pi x)``, 1 at 0. Same as ``torch.sinc``."""
    def kernel(a):
        p = a * _PI
        return np.where(a == 0, 1.0, np.sin(p) / p)
    return _accurate(kernel, self) if self.dtype.kind == "f" else kernel(self)


# --------------------------------------------------------------------------- error function


def erf(input: Tensor) -> Tensor:
    """The error function ``2/sqrt(pi) * integral_0^x exp(-t^2) dt``. Same as ``torch.erf``.

    (The op itself, ``ErfBackward0``, is ``nn_ops._erf``; this is its public face.)

    Example:
        >>> dagrad.erf(dagrad.tensor([0., 1.]))
        tensor([0.0000, 0.8427])
    """
    return _erf(input)


_ERFC_UFUNC = np.frompyfunc(math.erfc, 1, 1)


def _erfc_np(x: np.ndarray) -> np.ndarray:
    return np.asarray(_ERFC_UFUNC(np.asarray(x, dtype=np.float64)), dtype=np.float64)


def _erf_np64(x: np.ndarray) -> np.ndarray:
    return np.asarray(_ERF_UFUNC(np.asarray(x, dtype=np.float64)), dtype=np.float64)


@defop(node="ErfcBackward0", promote="float", grads={
    "self": lambda grad, self: grad * (exp(-(self * self)) * -_TWO_OVER_SQRT_PI)})
@quiet
def erfc(self):
    """``1 - erf(x)``, accurate where ``erf(x)`` is close to 1. Same as ``torch.erfc``."""
    return _f64(_erfc_np, self)


# The first guess of PyTorch's calc_erfinv (ATen/native/Math.h): two rational approximations.
_ERFINV_A = (0.886226899, -1.645349621, 0.914624893, -0.140543331)
_ERFINV_B = (-2.118377725, 1.442710462, -0.329097515, 0.012229801)
_ERFINV_C = (-1.970840454, -1.624906493, 3.429567803, 1.641345311)
_ERFINV_D = (3.543889200, 1.637067800)


def _erfinv_np(y: np.ndarray) -> np.ndarray:
    """PyTorch's first guess, then Newton steps: on ``erf(x) = y`` for ``|y| <= 1/2`` and on
    ``erfc(|x|) = 1 - |y|`` above (exact residuals near ±1, where ``erf(x) - y`` cancels)."""
    y = np.asarray(y, dtype=np.float64)
    a, b, c, d = _ERFINV_A, _ERFINV_B, _ERFINV_C, _ERFINV_D
    ya = np.abs(y)
    ok = ya < 1
    z = y * y
    central = y * (((a[3] * z + a[2]) * z + a[1]) * z + a[0]) / (
        (((b[3] * z + b[2]) * z + b[1]) * z + b[0]) * z + 1.0)
    zt = np.sqrt(-np.log((1.0 - np.where(ok, ya, 0.5)) / 2.0))
    tail = (((c[3] * zt + c[2]) * zt + c[1]) * zt + c[0]) / ((d[1] * zt + d[0]) * zt + 1.0)
    x = np.where(ya <= 0.7, np.abs(central), tail)          # |x|
    inner = ya <= 0.5
    target = np.where(inner, np.where(ok, ya, 0.0), 1.0 - np.where(ok, ya, 0.0))
    for _ in range(4):
        slope = _TWO_OVER_SQRT_PI * np.exp(-x * x)
        x = np.where(inner, x - (_erf_np64(x) - target) / slope,
                     x + (_erfc_np(x) - target) / slope)
    out = np.where(ok, np.copysign(x, y), np.nan)
    return np.where(ya == 1, np.copysign(np.inf, y), out)


@defop(node="ErfinvBackward0", promote="float", grads={
    "self": lambda grad, result: grad * (exp(result * result) * _SQRT_PI_OVER_2)})
@quiet
def erfinv(self):
    """The inverse of ``erf`` on (-1, 1) (±inf at ±1, nan outside). Same as ``torch.erfinv``.

    Example:
        >>> dagrad.erfinv(dagrad.tensor([0., 0.5]))
        tensor([0.0000, 0.4769])
    """
    return _f64(_erfinv_np, self)


# --------------------------------------------------------------------------- gamma family


def _lgamma1(v: float) -> float:
    try:
        return math.lgamma(v)
    except (ValueError, OverflowError):     # poles at 0, -1, -2, ... and overflow: +inf
        return math.inf


_LGAMMA_UFUNC = np.frompyfunc(_lgamma1, 1, 1)


def _lgamma_np(x: np.ndarray) -> np.ndarray:
    return np.asarray(_LGAMMA_UFUNC(np.asarray(x, dtype=np.float64)), dtype=np.float64)


@defop(node="LgammaBackward0", promote="float",
       grads={"self": lambda grad, self: grad * digamma(self)})
@quiet
def lgamma(self):
    """``log|Gamma(x)|`` (+inf at the poles 0, -1, -2, ...). Same as ``torch.lgamma``.

    Example:
        >>> dagrad.lgamma(dagrad.tensor([1., 5.]))
        tensor([0.0000, 3.1781])
    """
    return _f64(_lgamma_np, self)


_PSI_10 = 2.25175258906672110764
_DIGAMMA_A = (8.33333333333333333333E-2, -2.10927960927960927961E-2, 7.57575757575757575758E-3,
              -4.16666666666666666667E-3, 3.96825396825396825397E-3, -8.33333333333333333333E-3,
              8.33333333333333333333E-2)


def _digamma_np(x: np.ndarray) -> np.ndarray:
    """PyTorch's calc_digamma: reflection below 0, recurrence up to 10, asymptotic series."""
    x = np.asarray(x, dtype=np.float64)
    neg = x < 0
    z = np.where(neg, 1.0 - x, x)
    result = np.zeros_like(z)
    for _ in range(11):                 # push z to >= 10: psi(z) = psi(z + 1) - 1 / z
        m = z < 10
        if not m.any():
            break
        result = np.where(m, result - 1.0 / np.where(m, z, 1.0), result)
        z = np.where(m, z + 1.0, z)
    zz = 1.0 / (z * z)
    poly = 0.0
    for coef in _DIGAMMA_A:
        poly = poly * zz + coef
    y = np.where(z < 1.0e17, zz * poly, 0.0)
    out = np.where(z == 10, result + _PSI_10, result + np.log(z) - 0.5 / z - y)
    refl = _PI / np.tan(_PI * np.fmod(x, 1.0))
    out = np.where(neg, out - refl, out)
    out = np.where(neg & (x == np.trunc(x)), np.nan, out)      # negative integers, -inf
    return np.where(x == 0, np.copysign(np.inf, -x), out)


def _trigamma_np(x: np.ndarray) -> np.ndarray:
    """PyTorch's calc_trigamma: reflection below 1/2, six recurrence steps, asymptotic series."""
    x = np.asarray(x, dtype=np.float64)
    low = x < 0.5
    s = np.sin(_PI * x)
    result = np.where(low, -(_PI * _PI) / (s * s), 0.0)
    sign = np.where(low, -1.0, 1.0)
    z = np.where(low, 1.0 - x, x)
    for _ in range(6):
        result = result + 1.0 / (z * z)
        z = z + 1.0
    ixx = 1.0 / (z * z)
    result = result + (1.0 + 1.0 / (2.0 * z) + ixx * (1.0 / 6.0 - ixx * (
        1.0 / 30.0 - ixx * (1.0 / 42.0)))) / z
    return sign * result


_ZETA_A = (12.0, -720.0, 30240.0, -1209600.0, 47900160.0, -1.8924375803183791606e9,
           7.47242496e10, -2.950130727918164224e12, 1.1646782814350067249e14,
           -4.5979787224074726105e15, 1.8152105401943546773e17, -7.1661652561756670113e18)
_MACHEP = 1.11022302462515654042E-16


def _zeta_np(s: float, q: np.ndarray) -> np.ndarray:
    """The Hurwitz zeta function ``sum_k (k + q)^-s`` for an integer ``s >= 2`` (PyTorch's
    ``zeta``: Euler-Maclaurin summation, each element stopping where PyTorch's loop stops)."""
    q = np.asarray(q, dtype=np.float64)
    pole = (q <= 0) & (q == np.floor(q))
    act = ~pole & ~np.isnan(q)
    with QUIET:
        total = np.where(act, np.power(np.where(act, q, 1.0), -s), np.nan)
        a = q.copy()
        b = np.zeros_like(q)
        looping = act.copy()
        i = 0
        while True:
            looping &= (i < 9) | (a <= 9.0)
            if not looping.any():
                break
            i += 1
            a = np.where(looping, a + 1.0, a)
            b = np.where(looping, np.power(a, -s), b)
            total = np.where(looping, total + b, total)
            done = looping & (-_MACHEP * total < b) & (b < _MACHEP * total)
            act &= ~done
            looping &= ~done
        w = a
        total = np.where(act, total + b * w / (s - 1.0) - 0.5 * b, total)
        fac, k = 1.0, 0.0
        for coef in _ZETA_A:
            fac *= s + k
            b = b / w
            t = fac * b / coef
            total = np.where(act, total + t, total)
            act &= ~(np.abs(t / total) < _MACHEP)
            k += 1.0
            fac *= s + k
            b = b / w
            k += 1.0
    return np.where(pole, np.inf, total)


def _polygamma_np(n: int, x: np.ndarray) -> np.ndarray:
    if n == 0:
        return _digamma_np(x)
    if n == 1:
        return _trigamma_np(x)
    sign = 1.0 if n % 2 else -1.0
    return sign * np.exp(math.lgamma(n + 1.0)) * _zeta_np(n + 1.0, x)     # inf past n = 170


@defop(node="DigammaBackward0", promote="float",
       grads={"self": lambda grad, self: grad * polygamma(1, self)})
@quiet
def digamma(self):
    """The logarithmic derivative of Gamma, ``psi(x) = Gamma'(x) / Gamma(x)``.

    ``-inf`` at +0, ``+inf`` at -0, nan at negative integers, as in PyTorch.

    Example:
        >>> dagrad.digamma(dagrad.tensor([1.]))
        tensor([-0.5772])
    """
    return _f64(_digamma_np, self)


def _check_polygamma_n(n: Any) -> int:
    if isinstance(n, builtins.bool) or not isinstance(n, (builtins.int, np.integer)):
        raise TypeError(f"polygamma(): argument 'n' (position 1) must be int, not "
                        f"{type(n).__name__}")
    if n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")
    return builtins.int(n)


@defop(node="PolygammaBackward0", promote="float",
       grads={"self": lambda grad, n, self: grad * polygamma(n + 1, self)})
@quiet
def polygamma(n, self):
    """The ``n``-th derivative of ``digamma``. Same as ``torch.polygamma(n, input)``.

    Example:
        >>> dagrad.polygamma(1, dagrad.tensor([1.]))        # pi^2 / 6
        tensor([1.6449])
    """
    n = _check_polygamma_n(n)
    return _f64(lambda a: _polygamma_np(n, a), self)


def polygamma_method(self: Tensor, n: int) -> Tensor:
    """``x.polygamma(n)`` (the method takes ``n`` second)."""
    return polygamma(n, self)


# --------------------------------------------------------------------------- Bessel, normal


@defop(node="I0Backward0", promote="float", grads={"self": lambda grad, self: grad * i1(self)})
@quiet
def i0(self):
    """The modified Bessel function of the first kind, order 0. Same as ``torch.i0``.

    Example:
        >>> dagrad.i0(dagrad.tensor([0., 1.]))
        tensor([1.0000, 1.2661])
    """
    return _f64(np.i0, self)


def _i1_np(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    ax = np.abs(x)
    small = ax <= 25.0
    # power series: sum_k (x/2)^(2k+1) / (k! (k+1)!), all terms positive
    t = np.where(small, ax, 0.0) / 2.0
    q = t * t
    term = t.copy()
    series = t.copy()
    for k in range(1, 64):
        term = term * q / (k * (k + 1.0))
        series = series + term
    # asymptotic: e^x / sqrt(2 pi x) * sum_k (-1)^k a_k / x^k, a_k = prod (4 - (2j-1)^2) / (8j)
    z = np.where(small, 30.0, ax)
    asym = np.ones_like(z)
    coef = np.ones_like(z)
    for k in range(1, 41):
        coef = coef * -(4.0 - (2 * k - 1.0) ** 2) / (8.0 * k * z)
        asym = asym + coef
    with QUIET:
        large = np.exp(z) * (asym / np.sqrt(2.0 * _PI * z))
    val = np.where(small, series, large)
    return np.where(x < 0, -val, val)          # i1(-0.0) is +0.0, as in PyTorch (Cephes)


def _i1_backward(grad, self, result):
    # PyTorch's i1_backward: i0(x) - i1(x) / x, and 1/2 at (almost) 0
    eps = float(np.finfo(self._data.dtype).eps)
    not_tiny = gt(abs(self), eps)
    safe = where(not_tiny, self, _const(eps, self))
    gradx = i0(safe) - result * (1 / safe)
    return grad * where(not_tiny, gradx, _const(0.5, self))


@defop(node="SpecialI1Backward0", promote="float", grads={"self": _i1_backward})
@quiet
def i1(self):
    """The modified Bessel function of the first kind, order 1. Same as ``torch.special.i1``."""
    return _f64(_i1_np, self)


@defop(node="MulBackward1", promote="float", grads={"self": lambda grad, other: grad * other})
@quiet
def _mul_scalar(self, other):
    """``self * other`` for a Python number ``other`` (ATen's ``mul.Scalar``: MulBackward1)."""
    return self * np.asarray(other, self.dtype)


def ndtr(input: Tensor) -> Tensor:
    """The standard normal CDF ``(1 + erf(x / sqrt(2))) / 2``. Same as
    ``torch.special.ndtr``, which computes it this way (node ``MulBackward1``).

    Example:
        >>> dagrad.special.ndtr(dagrad.tensor([0.]))
        tensor([0.5000])
    """
    return _mul_scalar(_erf(_mul_scalar(input, _SQRT1_2)) + 1, 0.5)


def _log_ndtr_np(x: np.ndarray) -> np.ndarray:
    """``log(ndtr(x))`` accurate in both tails (asymptotic series for ``x <= -37``)."""
    x = np.asarray(x, dtype=np.float64)
    t = x * _SQRT1_2
    with QUIET:
        upper = np.log1p(-_erfc_np(np.where(x >= -1, t, 0.0)) / 2)
        middle = np.log(_erfc_np(np.where((x < -1) & (x > -37), -t, 0.0)) / 2)
        # erfcx(y) = exp(y^2) erfc(y) ~ 1/(y sqrt(pi)) * sum_k (-1)^k (2k-1)!! / (2y^2)^k
        y = np.where(x <= -37, -t, 40.0)
        inv = 1.0 / (2.0 * y * y)
        term = np.ones_like(y)
        acc = np.ones_like(y)
        for k in range(1, 12):
            term = term * -(2 * k - 1.0) * inv
            acc = acc + term
        lower = np.log(acc / (y * math.sqrt(_PI)) / 2) - t * t
    out = np.where(x >= -1, upper, np.where(x > -37, middle, lower))
    return np.where(np.isnan(x), np.nan, out)


@defop(node="SpecialLogNdtrBackward0", promote="float", grads={
    "self": lambda grad, self, result: grad / _SQRT_2PI * exp(-(result + self * self / 2))})
@quiet
def log_ndtr(self):
    """``log(ndtr(x))``, accurate far in the lower tail. Same as ``torch.special.log_ndtr``.

    Example:
        >>> dagrad.special.log_ndtr(dagrad.tensor([0.]))
        tensor([-0.6931])
    """
    return _f64(_log_ndtr_np, self)


def _ndtri_np(p: np.ndarray) -> np.ndarray:
    p = np.asarray(p, dtype=np.float64)
    ok = (p > 0) & (p < 1)
    q = np.where(ok, np.minimum(p, 1.0 - p), 0.25)          # the lower-tail probability
    log_q = np.log(q)
    t = np.sqrt(-2.0 * log_q)
    # Abramowitz & Stegun 26.2.23 (|error| < 4.5e-4), then Newton on log_ndtr(x) = log(q)
    x = -(t - (2.515517 + 0.802853 * t + 0.010328 * t * t) / (
        1.0 + 1.432788 * t + 0.189269 * t * t + 0.001308 * t * t * t))
    for _ in range(6):
        lp = _log_ndtr_np(x)
        slope = np.exp(-0.5 * x * x - _LOG_SQRT_2PI - lp)
        x = x - (lp - log_q) / slope
    out = np.where(p > 0.5, -x, x)
    out = np.where(p == 0.5, 0.0, out)
    out = np.where(ok | (p == 0.5), out, np.nan)
    out = np.where(p == 0, -np.inf, out)
    return np.where(p == 1, np.inf, out)


@defop(node="SpecialNdtriBackward0", promote="float", grads={
    "self": lambda grad, result: grad * (exp(result * result / 2) * _SQRT_2PI)})
@quiet
def ndtri(self):
    """The inverse of ``ndtr`` (the standard normal quantile). Same as ``torch.special.ndtri``.

    Example:
        >>> dagrad.special.ndtri(dagrad.tensor([0.5, 0.975]))
        tensor([0.0000, 1.9600])
    """
    return _f64(_ndtri_np, self)


@defop(node="SpecialEntrBackward0", promote="float",
       grads={"self": lambda grad, self: grad * -(1 + log(self))})
@quiet
def entr(self):
    """Element-wise entropy ``-x log(x)`` (0 at 0, -inf below 0). Same as
    ``torch.special.entr``."""
    def kernel(a):
        out = np.where(a > 0, -a * np.log(np.where(a > 0, a, 1)), np.where(a == 0, 0, -np.inf))
        return np.where(np.isnan(a), a, out)
    return _f64(kernel, self)


# --------------------------------------------------------------------------- binary arithmetic


def _fmod_node(self, other) -> str:
    return "FmodBackward1" if isinstance(other, Tensor) else "FmodBackward0"


@defop(node=_fmod_node, promote="common", grads={
    "self": lambda grad: grad,
    "other": lambda grad, self, other: -grad * div(self, other, rounding_mode="trunc"),
})
@quiet
def fmod(self, other):
    """C's ``fmod``: the remainder with the sign of the dividend. Same as ``torch.fmod``.

    Example:
        >>> dagrad.fmod(dagrad.tensor([-3., 3.]), 2)
        tensor([-1.,  1.])
    """
    if np.result_type(self, other).kind in "iub" and np.any(np.asarray(other) == 0):
        raise RuntimeError("ZeroDivisionError")
    return np.fmod(self, other)


def _fmax_keep(self, other):
    return logical_or(ge(self, other), _isnan_t(other))


def _fmin_keep(self, other):
    return logical_or(le(self, other), _isnan_t(other))


def _isnan_t(v: Any) -> Any:
    return isnan(v) if isinstance(v, Tensor) else math.isnan(v)


@defop(node="FmaxBackward0", promote="common", grads={
    "self": lambda grad, self, other: where(_fmax_keep(self, other), grad, 0.0),
    "other": lambda grad, self, other: where(_fmax_keep(self, other), 0.0, grad),
})
@quiet
def fmax(self, other):
    """Element-wise maximum that ignores nan (nan only where both are nan). Same as
    ``torch.fmax``; at ties the gradient goes to ``self``."""
    return np.fmax(self, other)


@defop(node="FminBackward0", promote="common", grads={
    "self": lambda grad, self, other: where(_fmin_keep(self, other), grad, 0.0),
    "other": lambda grad, self, other: where(_fmin_keep(self, other), 0.0, grad),
})
@quiet
def fmin(self, other):
    """Element-wise minimum that ignores nan. Same as ``torch.fmin``."""
    return np.fmin(self, other)


def _copysign_node(self, other) -> str:
    return "CopysignBackward0" if isinstance(other, Tensor) else "CopysignBackward1"


@defop(node=_copysign_node, promote="float", grads={
    "self": lambda grad, self, result: grad * where(eq(self, 0), 0.0, result / self),
    "other": lambda grad: _zeros(grad),
})
@quiet
def copysign(self, other):
    """``|self|`` with the sign of ``other`` (-0.0 counts as negative). Same as
    ``torch.copysign``."""
    return np.copysign(self, other)


@defop(node=None, tensors=("self", "values"))
def heaviside(self, values):
    """The Heaviside step: 0 below 0, ``values`` at 0, 1 above 0. Same as ``torch.heaviside``
    (which has no derivative)."""
    if isinstance(values, np.ndarray) and values.dtype != self.dtype:
        raise RuntimeError("heaviside is not yet implemented for tensors with different dtypes.")
    return np.where(self == 0, values, self > 0).astype(self.dtype)


_DTYPE_WORD = {"float16": "c10::Half", "float32": "float", "float64": "double",
               "complex64": "c10::complex<float>", "complex128": "c10::complex<double>"}


def _lerp_node(self, end, weight) -> str:
    return "LerpBackward1" if isinstance(weight, Tensor) else "LerpBackward0"


@defop(node=_lerp_node, tensors=("weight",), grads={
    "self": lambda grad, weight: grad * (1 - weight),
    "end": lambda grad, weight: grad * weight,
    "weight": lambda grad, self, end: grad * (end - self),
})
@quiet
def lerp(self, end, weight):
    """``self + weight * (end - self)``; ``weight`` a number or a tensor. Same as
    ``torch.lerp``.

    Example:
        >>> dagrad.lerp(dagrad.tensor([1.]), dagrad.tensor([3.]), 0.25)
        tensor([1.5000])
    """
    for name, v in (("end", end), ("weight", weight)):
        if isinstance(v, np.ndarray) and v.dtype != self.dtype:
            raise RuntimeError(f"expected dtype {_DTYPE_WORD.get(self.dtype.name, self.dtype.name)}"
                               f" for `{name}` but got dtype "
                               f"{_DTYPE_WORD.get(v.dtype.name, v.dtype.name)}")
    return _fma.lerp(self, end, weight)         # fused, as PyTorch (Note [Fused multiply-add])


@defop(node="AddcmulBackward0", promote="common", promote_params=("self", "tensor1", "tensor2"),
       grads={
    "self": lambda grad: grad,
    # PyTorch's grouping, grad * (tensor * value): (grad * tensor) * value differs in the last
    # bit for a third of float32 values
    "tensor1": lambda grad, tensor2, value: grad * (tensor2 * value),
    "tensor2": lambda grad, tensor1, value: grad * (tensor1 * value),
})
@quiet
def addcmul(self, tensor1, tensor2, value=1):
    """``self + value * tensor1 * tensor2``. Same as ``torch.addcmul``."""
    # PyTorch's kernel: fma(value * tensor1, tensor2, self) (Note [Fused multiply-add])
    return _fma.addcmul(self, tensor1, tensor2, value)


@defop(node="AddcdivBackward0", promote="common", promote_params=("self", "tensor1", "tensor2"),
       grads={
    "self": lambda grad: grad,
    # PyTorch's grad * (value / tensor2) (a true division: `value / t` would take the
    # reciprocal) and -grad * (value * tensor1 / (tensor2 * tensor2))
    "tensor1": lambda grad, tensor2, value: grad * div(value, tensor2),
    "tensor2": lambda grad, tensor1, tensor2, value: -grad * (
        tensor1 * value / (tensor2 * tensor2)),
})
@quiet
def addcdiv(self, tensor1, tensor2, value=1):
    """``self + value * tensor1 / tensor2``. Same as ``torch.addcdiv``."""
    if np.result_type(tensor1, tensor2).kind in "iub":
        raise RuntimeError(
            "Integer division with addcdiv is no longer supported, and in a future  release "
            "addcdiv will perform a true division of tensor1 and tensor2. The historic addcdiv "
            "behavior can be implemented as (input + value * dagrad.trunc(tensor1 / tensor2))"
            ".to(input.dtype) for integer inputs and as (input + value * tensor1 / tensor2) for "
            "float inputs. The future addcdiv behavior is just the latter implementation: "
            "(input + value * tensor1 / tensor2), for all dtypes.")
    return self + value * tensor1 / tensor2


# --------------------------------------------------------------------------- rounding


@defop(node="NanToNumBackward0", grads={"self": lambda grad, self: grad * isfinite(self)})
@quiet
def nan_to_num(self, nan=0.0, posinf=None, neginf=None):
    """nan -> ``nan``, +inf -> ``posinf``, -inf -> ``neginf`` (the dtype's largest / lowest
    finite values by default). Same as ``torch.nan_to_num``."""
    if self.dtype.kind not in "fc":
        return self.copy()
    return np.nan_to_num(self, nan=nan, posinf=posinf, neginf=neginf)


def _int_copy_or(fn: Any, name: str, x: np.ndarray) -> np.ndarray:
    if x.dtype == np.bool_:
        raise NotImplementedError(f'"{name}" not implemented for \'Bool\'')
    return x.copy() if x.dtype.kind in "iu" else fn(x)


@defop(node="FloorBackward0", grads={"self": lambda grad: _zeros(grad)})
@quiet
def floor(self):
    """Round down to an integer value (integer tensors are returned as they are)."""
    return _int_copy_or(np.floor, "floor_vml_cpu", self)


@defop(node="CeilBackward0", grads={"self": lambda grad: _zeros(grad)})
@quiet
def ceil(self):
    """Round up to an integer value. Same as ``torch.ceil``."""
    return _int_copy_or(np.ceil, "ceil_vml_cpu", self)


@defop(node="TruncBackward0", grads={"self": lambda grad: _zeros(grad)})
@quiet
def trunc(self):
    """Round toward zero. Same as ``torch.trunc`` (and ``torch.fix``)."""
    return _int_copy_or(np.trunc, "trunc_vml_cpu", self)


fix = trunc


def _round_node(self, decimals=None) -> str:
    return "RoundBackward0" if decimals is None else "RoundBackward1"    # round / round.decimals


@defop(node=_round_node, grads={"self": lambda grad: _zeros(grad)})
@quiet
def round(self, decimals=None):
    """Round half to even, to ``decimals`` decimal places (negative: to tens, hundreds...).

    Example:
        >>> dagrad.round(dagrad.tensor([0.5, 1.5, 2.5]))
        tensor([0., 2., 2.])
        >>> dagrad.round(dagrad.tensor([1.2345]), decimals=2)
        tensor([1.2300])
    """
    if decimals is None:
        return _int_copy_or(np.round, "round_cpu", self)
    _not_for_ints("round_cpu", self)
    return np.round(self, builtins.int(decimals))


@defop(node="FracBackward0", grads={"self": lambda grad: grad})
@quiet
def frac(self):
    """``x - trunc(x)``, the fractional part with the sign of ``x``. Same as ``torch.frac``."""
    _not_for_ints("frac_cpu", self)
    return self - np.trunc(self)


# --------------------------------------------------------------------------- classification


def _kind_or_false(fn: Any, x: np.ndarray, ints: bool = False) -> np.ndarray:
    if x.dtype.kind in "fc":
        return fn(x)
    return np.full(x.shape, ints, dtype=np.bool_)


@defop(node=None, tensors=("self",))
def isnan(self):
    """True where the element is nan. Same as ``torch.isnan``."""
    return _kind_or_false(np.isnan, self)


@defop(node=None, tensors=("self",))
def isinf(self):
    """True where the element is +inf or -inf. Same as ``torch.isinf``."""
    return _kind_or_false(np.isinf, self)


@defop(node=None, tensors=("self",))
def isfinite(self):
    """True where the element is neither inf nor nan. Same as ``torch.isfinite``."""
    return _kind_or_false(np.isfinite, self, ints=True)


@defop(node=None, tensors=("self",))
def isposinf(self):
    """True where the element is +inf. Same as ``torch.isposinf``."""
    if self.dtype.kind == "c":
        raise RuntimeError("isposinf does not support complex inputs.")
    return _kind_or_false(lambda a: a == np.inf, self)


@defop(node=None, tensors=("self",))
def isneginf(self):
    """True where the element is -inf. Same as ``torch.isneginf``."""
    if self.dtype.kind == "c":
        raise RuntimeError("isneginf does not support complex inputs.")
    return _kind_or_false(lambda a: a == -np.inf, self)


@defop(node=None, tensors=("self",))
def signbit(self):
    """True where the sign bit is set (-0.0 included). Same as ``torch.signbit``."""
    if self.dtype.kind == "c":
        raise NotImplementedError("signbit is not implemented for complex tensors.")
    if self.dtype == np.bool_:
        return np.zeros(self.shape, np.bool_)
    return np.signbit(self)


# --------------------------------------------------------------------------- the tables

expit = sigmoid
gammaln = lgamma
psi = digamma
arcsin, arccos, arctan, arctan2 = asin, acos, atan, atan2
arcsinh, arccosh, arctanh = asinh, acosh, atanh

#: Names for ``dagrad.<name>`` (the torch namespace); ``dagrad.special`` has its own list.
__all__ = [
    "exp2", "expm1", "log2", "log10", "log1p", "rsqrt", "logaddexp", "logaddexp2", "xlogy",
    "logit", "sinh", "cosh", "tan", "asin", "acos", "atan", "atan2", "asinh", "acosh", "atanh",
    "arcsin", "arccos", "arctan", "arctan2", "arcsinh", "arccosh", "arctanh", "hypot",
    "deg2rad", "rad2deg", "sinc", "erf", "erfc", "erfinv", "lgamma", "digamma", "polygamma",
    "i0", "fmod", "fmax", "fmin", "copysign", "heaviside", "lerp", "addcmul", "addcdiv",
    "nan_to_num", "floor", "ceil", "trunc", "fix", "round", "frac", "isnan", "isinf",
    "isfinite", "isposinf", "isneginf", "signbit",
]

#: Tensor methods: ``x.<name>(...)`` calls ``METHODS[name](x, ...)``.
METHODS = {name: globals()[name] for name in __all__ if name != "polygamma"}
METHODS["polygamma"] = polygamma_method
