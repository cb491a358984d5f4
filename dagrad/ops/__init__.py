"""All ops, by family: pointwise, reduction, shape, indexing, linalg, inplace.

Where an op lives: ``dagrad/ops/<family>.py`` (kernel + derivative), its test entry:
``dagrad/testing/op_db.py``. This module also makes the ops Tensor methods (``x.exp()``): the
table ``_METHODS`` below lists every one, so each is greppable.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from dagrad._tensor import Tensor
from dagrad.ops import inplace
from dagrad.ops.indexing import getitem, setitem  # noqa: F401
from dagrad.ops.inplace import as_strided, copy_, fill_, normal_, uniform_, zero_  # noqa: F401
from dagrad.ops.linalg import bmm, dot, matmul, mm, mv  # noqa: F401
from dagrad.ops.pointwise import (  # noqa: F401
    _copy_backwards, _scalar_like, _to_copy, abs, absolute, add, bitwise_and, bitwise_not,
    bitwise_or, bitwise_xor, clamp, clip, clone, conj, cos, div, eq, exp, floor_divide, ge,
    greater, greater_equal, gt, imag, le, less, less_equal, log, logical_and, logical_not,
    logical_or, logical_xor, lt, maximum, minimum, mul, ne, neg, negative, not_equal, pow, real,
    reciprocal, relu, remainder, rsub, sgn, sigmoid, sign, sin, sqrt, square, sub, tanh,
    true_divide, where)
from dagrad.ops.reduction import linalg_vector_norm, mean, norm, sum  # noqa: F401
from dagrad.ops.shape import (  # noqa: F401
    broadcast_to, cat, concat, concatenate, contiguous, expand, expand_as, flatten, narrow,
    permute, reshape, reshape_as, select, slice, squeeze, stack, sum_to, swapaxes, swapdims, t,
    transpose, unbind, unsqueeze, view, view_as)

multiply, subtract, divide = mul, sub, div


# --------------------------------------------------------------------------- Tensor methods
# Ops whose first parameter is `self` are methods as they are.
_METHODS = [
    add, sub, mul, div, true_divide, floor_divide, remainder, neg, negative, reciprocal, pow,
    square, exp, log, sin, cos, tanh, sigmoid, relu, abs, absolute, sqrt, sign, sgn, clamp, clip,
    conj, eq, ne, lt, le, gt, ge, greater, greater_equal, less, less_equal, not_equal,
    logical_and, logical_or, logical_xor, logical_not, bitwise_and, bitwise_or, bitwise_xor,
    bitwise_not, maximum, minimum, clone, sum, mean, norm, dot, mv, mm, matmul, bmm, t,
    transpose, swapaxes, swapdims, permute, view, view_as, reshape, reshape_as, flatten, expand,
    expand_as, broadcast_to, unsqueeze, squeeze, select, narrow, contiguous, unbind,
    copy_, fill_, zero_, normal_, uniform_, as_strided, multiply, subtract, divide,
]
for _m in _METHODS:
    setattr(Tensor, _m.__name__, _m)
# Families in their own modules: each lists its Tensor methods in METHODS.
# (Imported under private names: a public `special` or `linalg` here would shadow the
# `dagrad.special` / `dagrad.linalg` namespaces after `from dagrad.ops import *`.)
from dagrad.ops import complex_ops as _complex_ops  # noqa: E402
from dagrad.ops import conv as _conv  # noqa: E402,F401
from dagrad.ops import linalg_decomp as _linalg_decomp  # noqa: E402
from dagrad.ops import manipulation as _manipulation  # noqa: E402
from dagrad.ops import random_ops as _random_ops  # noqa: E402
from dagrad.ops import scatter as _scatter_ops  # noqa: E402
from dagrad.ops import nn_ops as _nn_ops  # noqa: E402
from dagrad.ops import selection as _selection  # noqa: E402
from dagrad.ops import special as _special  # noqa: E402
from dagrad.ops.complex_ops import (  # noqa: E402,F401
    angle, complex, conj_physical, is_conj, polar, resolve_conj, resolve_neg, view_as_complex,
    view_as_real)
from dagrad.ops.linalg_decomp import (  # noqa: E402,F401
    addmv, baddbmm, cholesky_solve, cross, einsum, kron, logdet, outer, pinverse, tensordot,
    triangular_solve, vdot)
from dagrad.ops.nn_ops import addmm  # noqa: E402,F401
from dagrad.ops.manipulation import *  # noqa: E402,F401,F403
from dagrad.ops.random_ops import *  # noqa: E402,F401,F403
from dagrad.ops.scatter import *  # noqa: E402,F401,F403
from dagrad.ops.selection import *  # noqa: E402,F401,F403
from dagrad.ops.special import *  # noqa: E402,F401,F403

det = _linalg_decomp.linalg_det
inverse = _linalg_decomp.linalg_inv
slogdet = _linalg_decomp.linalg_slogdet
ger = outer

for _name, _fn in {**_selection.METHODS, **_special.METHODS, **_manipulation.METHODS,
                   **_scatter_ops.METHODS, **_scatter_ops.INPLACE_METHODS,
                   **_random_ops.METHODS}.items():
    setattr(Tensor, _name, _fn)
for _m in (addmv, baddbmm, cross, outer, vdot, kron, logdet, pinverse, cholesky_solve,
           triangular_solve, angle, conj_physical, resolve_conj, resolve_neg, is_conj, addmm):
    setattr(Tensor, _m.__name__, _m)
Tensor.ger = outer
Tensor.det = det
Tensor.inverse = inverse
Tensor.slogdet = slogdet
Tensor.mH = property(lambda self: conj(transpose(self, -2, -1)))
Tensor.softmax = _selection.METHODS.get("softmax", _nn_ops.softmax)
Tensor.log_softmax = _selection.METHODS.get("log_softmax", _nn_ops.log_softmax)
Tensor.logsumexp = _selection.METHODS.get("logsumexp", _nn_ops.logsumexp)
Tensor.real = property(real)
Tensor.imag = property(imag)
Tensor.T = property(lambda self: permute(self, tuple(range(self.dim() - 1, -1, -1))))
Tensor.mT = property(lambda self: transpose(self, -2, -1))
Tensor.H = property(lambda self: conj(t(self)))


def _where_method(self: Tensor, condition: Tensor, other: Any) -> Tensor:
    return where(condition, self, other)


Tensor.where = _where_method


# --------------------------------------------------------------------------- in-place methods
# add_/sub_/mul_/div_ write straight into self's memory when nothing is recorded (the SGD update
# `w -= lr * w.grad` under no_grad): no temporary, no copy.
def add_(self: Tensor, other: Any, *, alpha: Any = 1) -> Tensor:
    if alpha == 1 and inplace.fast(self, other, np.add):
        return self
    return inplace.apply(self, add, other, alpha=alpha)


def sub_(self: Tensor, other: Any, *, alpha: Any = 1) -> Tensor:
    if alpha == 1 and inplace.fast(self, other, np.subtract):
        return self
    return inplace.apply(self, sub, other, alpha=alpha)


def mul_(self: Tensor, other: Any) -> Tensor:
    if inplace.fast(self, other, np.multiply):
        return self
    return inplace.apply(self, mul, other)


def div_(self: Tensor, other: Any, *, rounding_mode: Any = None) -> Tensor:
    if rounding_mode is None and self._data.dtype.kind in "fc" and \
            inplace.fast(self, other, np.true_divide):
        return self
    return inplace.apply(self, div, other, rounding_mode=rounding_mode)


def pow_(self: Tensor, exponent: Any) -> Tensor:
    return inplace.apply(self, pow, exponent)


def neg_(self: Tensor) -> Tensor:
    return inplace.apply(self, neg)


def exp_(self: Tensor) -> Tensor:
    return inplace.apply(self, exp)


def log_(self: Tensor) -> Tensor:
    return inplace.apply(self, log)


def sin_(self: Tensor) -> Tensor:
    return inplace.apply(self, sin)


def cos_(self: Tensor) -> Tensor:
    return inplace.apply(self, cos)


def tanh_(self: Tensor) -> Tensor:
    return inplace.apply(self, tanh)


def sigmoid_(self: Tensor) -> Tensor:
    return inplace.apply(self, sigmoid)


def relu_(self: Tensor) -> Tensor:
    return inplace.apply(self, relu)


def abs_(self: Tensor) -> Tensor:
    return inplace.apply(self, abs)


def sqrt_(self: Tensor) -> Tensor:
    return inplace.apply(self, sqrt)


def clamp_(self: Tensor, min: Any = None, max: Any = None) -> Tensor:
    return inplace.apply(self, clamp, min, max)


def reciprocal_(self: Tensor) -> Tensor:
    return inplace.apply(self, reciprocal)


def square_(self: Tensor) -> Tensor:
    return inplace.apply(self, square)


_INPLACE = [add_, sub_, mul_, div_, pow_, neg_, exp_, log_, sin_, cos_, tanh_, sigmoid_, relu_,
            abs_, sqrt_, clamp_, reciprocal_, square_]
for _m in _INPLACE:
    setattr(Tensor, _m.__name__, _m)
Tensor.clip_ = clamp_
Tensor.true_divide_ = div_
Tensor.multiply_ = mul_
Tensor.subtract_ = sub_
