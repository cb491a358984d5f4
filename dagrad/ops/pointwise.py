"""Element-wise ops: a NumPy forward kernel + one derivative formula per input, side by side.

Formulas get ``grad`` and whatever forward argument or ``result`` they name, as dagrad Tensors,
and may return the broadcast shape; the engine sums back to the input shape (Note [Unbroadcast]).
Being dagrad ops, they are differentiable again: double backward needs nothing extra.
Formulas follow PyTorch's ``tools/autograd/derivatives.yaml``.
"""
from __future__ import annotations

import builtins

import math
import threading

import numpy as np

from dagrad._npquiet import QUIET
from dagrad.ops._fma import axpy

from dagrad._tensor import Tensor
from dagrad.ops._registry import defop

# --------------------------------------------------------------------------- arithmetic


def _accurate(fn, x, *args):
    """Evaluate a transcendental ``fn`` (of ``x`` and Python-number ``args``) for float16/float32
    in float64 and round once.

    NumPy's float32 exp/log/sin... can be 1 ulp off where PyTorch's are correctly rounded
    (float32 exp(6) is 403.4288 in PyTorch, 403.42877 in NumPy); the detour matches PyTorch.
    """
    dt = x.dtype
    if dt == np.float32 or dt == np.float16:
        if type(fn) is np.ufunc:
            # The ufunc casts to float64 in its own cache-sized buffers and rounds straight into
            # the output: the same values as the astype round trip, at ~40% of its time (no
            # full-size float64 temporaries).
            out = np.empty_like(x)
            fn(x, *args, out=out, dtype=np.float64, casting="unsafe")
            return out
        return fn(x.astype(np.float64), *args).astype(dt)
    return fn(x, *args)


def _alpha(g: Tensor, alpha: object) -> Tensor:
    return g if alpha == 1 else g * alpha


# Array-level formulas (Note [Array-level formulas] in _registry.py): the NumPy calls the dagrad
# formula beside them makes, in the same order; `grad` is an array, a saved tensor its array, a
# Python number operand an int or a float.
def _number(v: object) -> bool:
    return type(v) is int or type(v) is float


def _alpha_np(grad, alpha):
    if not _number(alpha):
        return NotImplemented
    return grad if alpha == 1 else grad * alpha


@defop(node="AddBackward0", promote="common", grads={
    "self": lambda grad: grad,
    "other": lambda grad, alpha: _alpha(grad, alpha),
}, np_grads={
    "self": lambda grad: grad,
    "other": _alpha_np,
})
def add(self, other, alpha=1):
    """``self + alpha * other``, broadcasting. Same as ``torch.add``.

    Example:
        >>> dagrad.add(dagrad.tensor([1., 2.]), 1)
        tensor([2., 3.])
    """
    with QUIET:
        if alpha != 1:
            return axpy(self, other, alpha)         # fused, as PyTorch (Note [Fused multiply-add])
        return np.add(self, other)


@defop(node="SubBackward0", promote="common", grads={
    "self": lambda grad: grad,
    "other": lambda grad, alpha: _alpha(-grad, alpha),
}, np_grads={
    "self": lambda grad: grad,
    "other": lambda grad, alpha: _alpha_np(-grad, alpha),
})
def sub(self, other, alpha=1):
    """``self - alpha * other``, broadcasting. Same as ``torch.sub``."""
    _check_bool_sub(self, other)
    with QUIET:
        if alpha != 1:
            return axpy(self, other, -alpha)        # fused, as PyTorch (Note [Fused multiply-add])
        return np.subtract(self, other)


def _check_bool_sub(a: object, b: object) -> None:
    if getattr(a, "dtype", None) == np.bool_ and getattr(b, "dtype", np.bool_) == np.bool_:
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. "
                           "Use the `^` or `logical_xor()` operator instead.")


def _rsub_node(self, other, alpha=1) -> str:
    return "RsubBackward0" if isinstance(other, Tensor) else "RsubBackward1"


@defop(node=_rsub_node, promote="common", grads={
    "self": lambda grad, alpha: _alpha(-grad, alpha),
    "other": lambda grad: grad,
}, np_grads={
    "self": lambda grad, alpha: _alpha_np(-grad, alpha),
    "other": lambda grad: grad,
})
def rsub(self, other, alpha=1):
    """``other - alpha * self`` (``1 - x`` records ``RsubBackward1``)."""
    if alpha != 1:
        with QUIET:
            return axpy(other, self, -alpha)        # fused, as PyTorch (Note [Fused multiply-add])
    return np.subtract(other, self)


@defop(node="MulBackward0", promote="common", grads={
    "self": lambda grad, other: grad * _conj(other),
    "other": lambda grad, self: grad * _conj(self),
}, np_grads={
    "self": lambda grad, other: grad * other,
    "other": lambda grad, self: grad * self,
})
def mul(self, other):
    """Multiply element-wise, broadcasting. Same as ``torch.mul``.

    Example:
        >>> dagrad.mul(dagrad.tensor([1., 2.]), 3)
        tensor([3., 6.])
    """
    with QUIET:
        return np.multiply(self, other)


def _conj(v: object) -> object:
    if isinstance(v, Tensor):
        return conj(v) if v._data.dtype.kind == "c" else v
    return v.conjugate() if isinstance(v, complex) else v


def _div_node(self, other, rounding_mode=None) -> str:
    # ATen: div.Tensor (a Python scalar is wrapped into a tensor) / div.Tensor_mode
    return "DivBackward0" if rounding_mode is None else "DivBackward2"


def _div_self(grad, other, rounding_mode):
    if rounding_mode is not None:
        return grad * 0
    return grad / _conj(other)


def _div_other(grad, self, other, rounding_mode):
    if rounding_mode is not None:
        return grad * 0
    # PyTorch's div_tensor_other_backward: -grad * ((self / other) / other).conj(), in that
    # order; div(), because ATen divides a wrapped Python number (`2.5 / t` would multiply
    # by the reciprocal)
    return -grad * _conj(div(self, other) / other)


def _div_self_np(grad, other, rounding_mode):
    if rounding_mode is not None:
        return grad * 0
    return grad / other


def _div_other_np(grad, self, other, rounding_mode):
    if rounding_mode is not None:
        return grad * 0
    return -grad * (np.divide(self, other) / other)


@defop(node=_div_node, promote="float", grads={"self": _div_self, "other": _div_other},
       np_grads={"self": _div_self_np, "other": _div_other_np})
def div(self, other, rounding_mode=None):
    """Divide element-wise (true division; ``rounding_mode='trunc'|'floor'`` rounds).

    Integer inputs give the default float dtype, as in PyTorch.
    """
    if rounding_mode is None:
        with QUIET:
            return np.true_divide(self, other)
    return _rounded_div(self, other, rounding_mode)


def _rounded_div(a, b, mode):
    with QUIET:
        if mode == "floor":
            return np.floor_divide(a, b)
        if mode == "trunc":
            q = np.true_divide(a, b)
            out = np.trunc(q)
            dt = np.result_type(a, b)
            return out.astype(dt) if dt.kind in "iu" else out
    raise ValueError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but "
                     f"found '{mode}'")


true_divide = div


@defop(node="NegBackward0", grads={"self": lambda grad: -grad},
       np_grads={"self": lambda grad: -grad})
def neg(self):
    """``-self``."""
    if self.dtype == np.bool_:
        raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. If you "
                           "are trying to invert a mask, use the `~` or `logical_not()` operator "
                           "instead.")
    return np.negative(self)


negative = neg


@defop(node="ReciprocalBackward0", promote="float",
       grads={"self": lambda grad, result: -grad * _conj(result * result)},
       np_grads={"self": lambda grad, result: -grad * (result * result)})
def reciprocal(self):
    """``1 / self``."""
    with QUIET:
        return np.reciprocal(self)


def _pow_node(self, exponent) -> str:
    if not isinstance(self, Tensor):
        return "PowBackward2"
    return "PowBackward1" if isinstance(exponent, Tensor) else "PowBackward0"


def _pow_self(grad, self, exponent):
    if isinstance(exponent, Tensor):
        return grad * _conj(exponent * pow(self, exponent - 1))
    if exponent == 0:
        return grad * 0
    return grad * _conj(exponent * pow(self, exponent - 1))


def _pow_exponent(grad, self, result, exponent):
    if isinstance(self, Tensor):
        lg = where(logical_and(eq(self, 0), ge(exponent, 0)), 0.0, log(self))
        return grad * _conj(result * lg)
    if self == 0:
        return grad * where(ge(exponent, 0), 0.0, result * float("-inf"))
    import math
    return grad * _conj(result * math.log(self))


def _pow_self_np(grad, self, exponent):
    if not _number(exponent):
        return NotImplemented
    if exponent == 0:
        return grad * 0
    # `exponent * pow(self, exponent - 1)` is Tensor.__rmul__: the tensor first
    return grad * (_pow_np(self, exponent - 1) * exponent)


def _pow_exponent_np(grad, self, result, exponent):
    if not _number(self) or self == 0:
        return NotImplemented
    import math
    return grad * (result * math.log(self))


@defop(node=_pow_node, promote="common", keep_scalars=("exponent",),
       grads={"self": _pow_self, "exponent": _pow_exponent},
       np_grads={"self": _pow_self_np, "exponent": _pow_exponent_np})
def pow(self, exponent):
    """``self ** exponent``; either may be a Python number. Same as ``torch.pow``.

    Example:
        >>> dagrad.tensor([1., 2., 3.]).pow(2)
        tensor([1., 4., 9.])
    """
    if isinstance(self, np.ndarray) and self.dtype.kind in "iu" and \
            np.any(np.asarray(exponent) < 0) and np.asarray(exponent).dtype.kind in "iu":
        raise RuntimeError("Integers to negative integer powers are not allowed.")
    with QUIET:
        return _pow_np(self, exponent)


def _pow_np(self, exponent):
    """``self ** exponent`` over arrays and Python numbers, as PyTorch's CPU kernel computes it
    (the kernel of ``pow`` and of its array-level gradient)."""
    if type(self) is np.ndarray and self.dtype.kind == "f" and \
            (type(exponent) is int or type(exponent) is float):
        return _pow_scalar(self, exponent)
    if type(exponent) is np.ndarray and exponent.dtype.kind == "f" and \
            (type(self) is int or type(self) is float):
        # a number to a tensor power: the base rounded to the tensor's dtype first, as
        # PyTorch's scalar becomes that dtype; the power in float64 rounded once
        dt = exponent.dtype
        base = np.float64(dt.type(self))
        return np.power(base, exponent, dtype=np.float64).astype(dt)
    return np.power(self, exponent)


def _pow_scalar(x: np.ndarray, e: int | float) -> np.ndarray:
    """``x ** e`` for a float array and a Python number, as PyTorch's CPU kernel computes it
    (pow_tensor_scalar_optimized): 0.5, 2, 3, -0.5, -1 and -2 by sqrt and products, any other
    exponent by ``pow`` (float32 in float64, rounded once, as its vectorized pow rounds; float16
    in float32, as PyTorch computes half-precision math). np.power's float32 pow differed from
    PyTorch's values in 20-35% of inputs for these exponents (``x ** 3`` is ``x * x * x``
    there, two roundings); now it differs only where PyTorch's own pow is not correctly
    rounded (about 2%)."""
    if e == 1:
        return x.copy()             # PyTorch copies too (and pow_backward's x ** 1 is x)
    if x.dtype == np.float16:
        x32 = x.astype(np.float32)
        if e == 0.5 or e == -0.5:
            # half precision: pow itself (pow(-0., .5) is +0.; np.power's 0.5 is sqrt)
            return np.float_power(x32, e).astype(np.float16)
        return _pow_scalar(x32, e).astype(np.float16)
    if e == 2:
        return np.multiply(x, x)
    if e == 3:
        return np.multiply(np.multiply(x, x), x)
    if e == 0.5:
        return np.sqrt(x)
    if e == -0.5:
        return np.reciprocal(np.sqrt(x))
    if e == -1:
        return np.reciprocal(x)
    if e == -2:
        return np.reciprocal(np.multiply(x, x))
    return _accurate(np.power, x, e)


@defop(node="PowBackward0", promote="common",
       grads={"self": lambda grad, self: grad * 2 * _conj(self)},
       np_grads={"self": lambda grad, self: grad * 2 * self})
def square(self):
    """``self ** 2``."""
    return np.square(self)


# --------------------------------------------------------------------------- unary math


@defop(node="ExpBackward0", promote="float",
       grads={"self": lambda grad, result: grad * _conj(result)},
       np_grads={"self": lambda grad, result: grad * result})
def exp(self):
    """Element-wise e**x. Saves its output, so an in-place change to the output breaks backward."""
    with QUIET:
        return _accurate(np.exp, self)


@defop(node="LogBackward0", promote="float",
       grads={"self": lambda grad, self: grad / _conj(self)},
       np_grads={"self": lambda grad, self: grad / self})
def log(self):
    """Natural logarithm (``nan`` below 0, ``-inf`` at 0, as in PyTorch)."""
    with QUIET:
        return _accurate(np.log, self)


@defop(node="SinBackward0", promote="float",
       grads={"self": lambda grad, self: grad * _conj(cos(self))})
def sin(self):
    """Element-wise sine."""
    return _accurate(np.sin, self)


@defop(node="CosBackward0", promote="float",
       grads={"self": lambda grad, self: grad * -_conj(sin(self))})
def cos(self):
    """Element-wise cosine."""
    return _accurate(np.cos, self)


# Note [Fused backward kernels]
# PyTorch's CPU kernels for tanh_backward compute ``grad * (1 - y * y)`` with ``1 - y * y`` as
# one fused multiply-add (one rounding): for float32 that is ``1 - y * y`` in float64 (exact
# there) rounded once, which matches PyTorch for every value, where the float32 formula differed
# for 40% of them. Half precision runs the float32 formula and rounds the product once. (Float64
# would need an exact product; it keeps the plain formula and differs in the last bit for about
# 40% of values.)
def _tanh_grad(grad, result):
    dt = result._data.dtype
    if dt == np.float32:
        r = result.double()
        return grad * (1 - r * r).float()
    if dt == np.float16:
        r = result.double()
        return (grad.float() * (1 - r * r).float()).half()
    return grad * _conj(1 - result * result)


class _Float64Scratch(threading.local):
    buf: np.ndarray | None = None


_F64_SCRATCH = _Float64Scratch()


def _float64_scratch(shape: tuple) -> np.ndarray:
    """A per-thread float64 work array of ``shape``, reused from call to call (up to 32 MiB):
    a fresh one of a few hundred KiB costs page faults on every call."""
    n = math.prod(shape)
    buf = _F64_SCRATCH.buf
    if buf is None or buf.size < n:
        if n > 1 << 22:
            return np.empty(shape, np.float64)
        buf = _F64_SCRATCH.buf = np.empty(n, np.float64)
    return buf[:n].reshape(shape)


def _tanh_grad_np(grad, result):
    dt = result.dtype
    if dt == np.float32:
        # the same values as _tanh_grad's casts (a float32 squared in float64 is exact, and the
        # multiply rounds t to float32 first), without full-size casts or a fresh float64 array
        t = _float64_scratch(result.shape)
        np.square(result, out=t, dtype=np.float64)
        np.subtract(1, t, out=t)
        return np.multiply(grad, t, dtype=np.float32, casting="unsafe")
    if dt == np.float16:
        r = result.astype(np.float64)
        return (grad.astype(np.float32) * (1 - r * r).astype(np.float32)).astype(np.float16)
    return grad * (1 - result * result)


@defop(node="TanhBackward0", promote="float", grads={"self": _tanh_grad},
       np_grads={"self": _tanh_grad_np})
def tanh(self):
    """Element-wise hyperbolic tangent. Saves its output."""
    return _accurate(np.tanh, self)


def _sigmoid_kernel(x: np.ndarray) -> np.ndarray:
    # 1 / (1 + exp(-x)) without overflow warnings for large negative x
    with QUIET:
        return np.reciprocal(1 + np.exp(-x))


def _sigmoid_grad(grad, result):
    # PyTorch's sigmoid_backward kernel: (grad * (1 - y)) * y, in that order
    if result._data.dtype.kind == "c":
        return grad * _conj(result * (1 - result))
    return grad * (1 - result) * result


def _sigmoid_grad_np(grad, result):
    if result.dtype.kind == "c":
        return NotImplemented
    return grad * (1 - result) * result


@defop(node="SigmoidBackward0", promote="float", grads={"self": _sigmoid_grad},
       np_grads={"self": _sigmoid_grad_np})
def sigmoid(self):
    """Element-wise logistic function ``1 / (1 + exp(-x))``. Saves its output."""
    if self.dtype == np.float32:
        # PyTorch's float32 kernel is (1 + exp(-x))^-1 in float32 around an exp that is nearly
        # always correctly rounded: so here, the exp rounded once from float64 and the rest in
        # float32. On a million normal(0, 4) inputs this differs from PyTorch in 4.0% of the
        # values; the whole formula in float64 rounded once differs in 35%, NumPy's float32
        # formula in 17%.
        e = np.empty_like(self)
        with QUIET:
            np.exp(np.negative(self), out=e, dtype=np.float64, casting="unsafe")
            e += np.float32(1)
            return np.reciprocal(e, out=e)
    return _accurate(_sigmoid_kernel, self)


@defop(node="ReluBackward0", grads={"self": lambda grad, result: grad * gt(result, 0)},
       np_grads={"self": lambda grad, result: grad * np.greater(result, 0)})
def relu(self):
    """``max(x, 0)`` element-wise; the gradient at 0 is 0, as in PyTorch."""
    if self.dtype == np.bool_:
        raise RuntimeError('"clamp_min_cpu" not implemented for \'Bool\'')
    return np.maximum(self, np.zeros((), self.dtype))


@defop(node="AbsBackward0", grads={"self": lambda grad, self: grad * sgn(self)},
       np_grads={"self": lambda grad, self: grad * np.sign(self)})
def abs(self):
    """Element-wise absolute value (the modulus for complex input)."""
    return np.abs(self)


absolute = abs


@defop(node="SqrtBackward0", promote="float",
       grads={"self": lambda grad, result: grad / (2 * _conj(result))},
       np_grads={"self": lambda grad, result: grad / (result * 2)})
def sqrt(self):
    """Element-wise square root (``nan`` below 0)."""
    with QUIET:
        return np.sqrt(self)


@defop(node="SignBackward0", grads={"self": lambda grad: grad * 0})
def sign(self):
    """-1, 0 or 1 by the sign of each element; its gradient is zero."""
    if self.dtype == np.bool_:
        return self.copy()
    return np.sign(self)


@defop(node="SgnBackward0", grads={"self": lambda grad, self, result: _sgn_backward(
    grad, self, result)})
def sgn(self):
    """``sign`` for real input; ``z / |z|`` for complex input."""
    if self.dtype.kind == "c":
        a = np.abs(self)
        with QUIET:
            return np.where(a == 0, 0, self / np.where(a == 0, 1, a)).astype(self.dtype)
    return np.sign(self)


def _sgn_backward(grad, self, result):
    if self._data.dtype.kind != "c":
        return grad * 0
    a = abs(self)
    safe = where(eq(a, 0), 1.0, a)
    return where(eq(a, 0), 0.0, (grad - real(grad * conj(result)) * result) / safe)


def _clamp_node(self, min=None, max=None) -> str:
    return "ClampBackward0" if isinstance(min, Tensor) or isinstance(max, Tensor) \
        else "ClampBackward1"


def _clamp_self(grad, self, min, max):
    mask = None
    if min is not None:
        mask = ge(self, min)
    if max is not None:
        m2 = le(self, max)
        mask = m2 if mask is None else logical_and(mask, m2)
    return grad * mask


def _clamp_min(grad, self, min, max):
    m = lt(self, min)
    if max is not None:
        m = logical_and(m, le(min, max))
    return grad * m


def _clamp_max(grad, self, min, max):
    m = gt(self, max)
    if min is not None:
        m = logical_or(m, gt(min, max))
    return grad * m


def _clamp_self_np(grad, self, min, max):
    if (min is not None and not _number(min)) or (max is not None and not _number(max)):
        return NotImplemented
    mask = None
    if min is not None:
        mask = np.greater_equal(self, min)
    if max is not None:
        m2 = np.less_equal(self, max)
        mask = m2 if mask is None else np.logical_and(mask, m2)
    return grad * mask


def _tensor_bound_np(grad, self, min, max):
    return NotImplemented       # a tensor min/max: the dagrad formulas


@defop(node=_clamp_node, promote="common",
       grads={"self": _clamp_self, "min": _clamp_min, "max": _clamp_max},
       np_grads={"self": _clamp_self_np, "min": _tensor_bound_np, "max": _tensor_bound_np})
def clamp(self, min=None, max=None):
    """Limit values to ``[min, max]`` (either may be None, a number or a tensor).

    Example:
        >>> dagrad.tensor([-1., 0.5, 2.]).clamp(min=0)
        tensor([0.0000, 0.5000, 2.0000])
    """
    if min is None and max is None:
        raise RuntimeError("dagrad.clamp: At least one of 'min' or 'max' must not be None")
    out = self
    if min is not None:
        out = np.maximum(out, min)
    if max is not None:
        out = np.minimum(out, max)
    if out is self:
        out = self.copy()
    return out.astype(self.dtype, copy=False) if isinstance(self, np.ndarray) else out


clip = clamp


@defop(node=None, promote="common", tensors=("self", "other"))
def floor_divide(self, other):
    """``self // other`` element-wise (rounds toward negative infinity)."""
    with QUIET:
        return np.floor_divide(self, other)


def _remainder_node(self, other) -> str:
    # ATen: remainder.Scalar is RemainderBackward0, remainder.Tensor RemainderBackward1
    return "RemainderBackward1" if isinstance(other, Tensor) else "RemainderBackward0"


@defop(node=_remainder_node, promote="common", grads={
    "self": lambda grad: grad,
    "other": lambda grad, self, other: -grad * floor_divide(self, other),
})
def remainder(self, other):
    """Python-style modulus (sign of the divisor). Same as ``torch.remainder`` and ``%``."""
    with QUIET:
        return np.remainder(self, other)


# --------------------------------------------------------------------------- complex helpers


@defop(name="conj", node="ConjBackward0", grads={"self": lambda grad: conj(grad)})
def _conj_op(self):
    return np.conjugate(self)


def conj(self: Tensor) -> Tensor:
    """Complex conjugate (a copy); a real tensor is returned itself, as in PyTorch.

    Example:
        >>> dagrad.tensor([1 + 2j]).conj()
        tensor([1.-2.j])
    """
    return _conj_op(self) if self._data.dtype.kind == "c" else self


# PyTorch computes real/imag as view_as_real(z).select(-1, 0 or 1): the node is SelectBackward0.
@defop(name="real", node="SelectBackward0", grads={"self": lambda grad: grad})
def _real(self):
    return self.real


def real(self: Tensor) -> Tensor:
    """The real part; a real tensor is returned itself, as in PyTorch."""
    return _real(self) if self._data.dtype.kind == "c" else self


@defop(node="SelectBackward0", grads={"self": lambda grad: grad * 1j})
def imag(self):
    """The imaginary part."""
    if self.dtype.kind != "c":
        raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")
    return self.imag


# --------------------------------------------------------------------------- comparisons (no grad)


def _cmp(np_fn):
    def kernel(self, other):
        return np_fn(self, other)
    return kernel


@defop(node=None, promote="common", tensors=("self", "other"))
def eq(self, other):
    """``self == other`` element-wise, as a bool tensor."""
    return np.equal(self, other)


@defop(node=None, promote="common", tensors=("self", "other"))
def ne(self, other):
    """``self != other`` element-wise."""
    return np.not_equal(self, other)


@defop(node=None, promote="common", tensors=("self", "other"))
def lt(self, other):
    """``self < other`` element-wise."""
    return np.less(self, other)


@defop(node=None, promote="common", tensors=("self", "other"))
def le(self, other):
    """``self <= other`` element-wise."""
    return np.less_equal(self, other)


@defop(node=None, promote="common", tensors=("self", "other"))
def gt(self, other):
    """``self > other`` element-wise."""
    return np.greater(self, other)


@defop(node=None, promote="common", tensors=("self", "other"))
def ge(self, other):
    """``self >= other`` element-wise."""
    return np.greater_equal(self, other)


greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne


@defop(node=None, tensors=("self", "other"))
def logical_and(self, other):
    """Element-wise logical AND (bool result)."""
    return np.logical_and(self, other)


@defop(node=None, tensors=("self", "other"))
def logical_or(self, other):
    """Element-wise logical OR (bool result)."""
    return np.logical_or(self, other)


@defop(node=None, tensors=("self", "other"))
def logical_xor(self, other):
    """Element-wise logical XOR (bool result)."""
    return np.logical_xor(self, other)


@defop(node=None, tensors=("self",))
def logical_not(self):
    """Element-wise logical NOT (bool result)."""
    return np.logical_not(self)


_SCALAR_TYPE = {"float16": "Half", "float32": "Float", "float64": "Double", "int8": "Char",
                "int16": "Short", "int32": "Int", "int64": "Long", "uint8": "Byte", "bool": "Bool",
                "complex64": "ComplexFloat", "complex128": "ComplexDouble"}


def scalar_type_name(dt: np.dtype) -> str:
    """PyTorch's ScalarType name of a NumPy dtype (``Float`` for float32), as its messages say."""
    return _SCALAR_TYPE[np.dtype(dt).name]


def _bitwise_check(name, a, b=None):
    for v in (a, b):
        if isinstance(v, np.ndarray) and v.dtype.kind in "fc":
            raise NotImplementedError(f'"{name}_cpu" not implemented for '
                                      f"'{scalar_type_name(v.dtype)}'")


@defop(node=None, promote="common", tensors=("self", "other"))
def bitwise_and(self, other):
    """Bitwise AND of integer/bool tensors (``&``)."""
    _bitwise_check("bitwise_and", self, other)
    return np.bitwise_and(self, other)


@defop(node=None, promote="common", tensors=("self", "other"))
def bitwise_or(self, other):
    """Bitwise OR of integer/bool tensors (``|``)."""
    _bitwise_check("bitwise_or", self, other)
    return np.bitwise_or(self, other)


@defop(node=None, promote="common", tensors=("self", "other"))
def bitwise_xor(self, other):
    """Bitwise XOR of integer/bool tensors (``^``)."""
    _bitwise_check("bitwise_xor", self, other)
    return np.bitwise_xor(self, other)


@defop(node=None, tensors=("self",))
def bitwise_not(self):
    """Bitwise NOT of integer/bool tensors (``~``)."""
    _bitwise_check("bitwise_not", self)
    return np.invert(self)


# --------------------------------------------------------------------------- selection


@defop(node="WhereBackward0", promote="common", tensors=("condition",),
       promote_params=("self", "other"), grads={
    "self": lambda grad, condition: where(condition, grad, 0.0),
    "other": lambda grad, condition: where(condition, 0.0, grad),
})
def where(condition, self, other):
    """``self`` where ``condition`` holds, else ``other`` (broadcasting)."""
    if not isinstance(condition, np.ndarray) or condition.dtype != np.bool_:
        if isinstance(condition, np.ndarray) and condition.dtype == np.uint8:
            condition = condition.astype(bool)
        elif isinstance(condition, np.ndarray):
            raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor "
                               f"with dtype {scalar_type_name(condition.dtype)}")
    out = np.where(condition, self, other)
    dt = _where_dtype(self, other)
    return out.astype(dt, copy=False) if dt is not None else out


def _where_dtype(a, b):
    for v in (a, b):
        if isinstance(v, np.ndarray):
            return v.dtype
    return None


@defop(node="MaximumBackward0", promote="common", grads={
    "self": lambda grad, self, other: grad * _tie_mask(self, other, gt),
    "other": lambda grad, self, other: grad * _tie_mask(other, self, gt),
})
def maximum(self, other):
    """Element-wise maximum (``nan`` propagates); ties split the gradient in half."""
    return np.maximum(self, other)


@defop(node="MinimumBackward0", promote="common", grads={
    "self": lambda grad, self, other: grad * _tie_mask(self, other, lt),
    "other": lambda grad, self, other: grad * _tie_mask(other, self, lt),
})
def minimum(self, other):
    """Element-wise minimum (``nan`` propagates); ties split the gradient in half."""
    return np.minimum(self, other)


def _tie_mask(a, b, cmp):
    # PyTorch: grad.masked_fill(a < b, 0) / 2 at ties -> 1 where a wins, 0.5 at ties
    win = cmp(a, b).to(a.dtype)
    tie = eq(a, b).to(a.dtype)
    return win + tie * 0.5


# --------------------------------------------------------------------------- casts and copies


@defop(node="ToCopyBackward0", grads={"self": lambda grad, self: _back_to(grad, self)})
def _to_copy(self, dtype):
    """A copy of ``self`` in ``dtype`` (``x.double()``, ``x.to(dagrad.float64)``)."""
    return self.astype(dtype.np)


def _back_to(grad: Tensor, like: Tensor) -> Tensor:
    if grad._data.dtype == like._data.dtype:
        return grad
    if like._data.dtype.kind != "c" and grad._data.dtype.kind == "c":
        grad = real(grad)
    return _to_copy(grad, like.dtype)


@defop(node="CloneBackward0", grads={"self": lambda grad: grad})
def clone(self, memory_format=None):
    """A copy of ``self`` that stays in the graph (``CloneBackward0``)."""
    return np.array(self, copy=True, order="C")


@defop(node="CopyBackwards", grads={"self": lambda grad: grad})
def _copy_backwards(self):
    """The copy AccumulateGrad makes of a gradient when ``create_graph=True``.

    PyTorch records it as ``CopyBackwards``.
    """
    return np.array(self, copy=True)


@defop(node=None)
def _scalar_like(value, self):
    """A 0-dim tensor holding ``value`` (for reflected operators such as ``2 // x``)."""
    return np.asarray(value)


_ = builtins
