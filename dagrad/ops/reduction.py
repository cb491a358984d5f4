"""Reductions: sum, mean, norm, max/min — kernel and derivative side by side."""
from __future__ import annotations

import builtins
import warnings

import numpy as np

from dagrad._npquiet import QUIET, broadcast_view
from dagrad.ops._cascade import cascade_sum

from dagrad import _dtypes
from dagrad._tensor import Tensor
from dagrad.ops import _formulas
from dagrad.ops._registry import defop
from dagrad.ops.pointwise import abs, div, eq, mul, pow, sgn, where


def _axis(dim, ndim):
    if dim is None:
        return None
    if isinstance(dim, (list, tuple)) and len(dim) == 0:
        return None
    dims = _formulas.normalize_dims(dim, ndim)       # validates, also for 0-dim tensors
    return dims if ndim else None


def _sum_node(self, dim=None, keepdim=False, dtype=None) -> str:
    return "SumBackward0" if dim is None else "SumBackward1"     # ATen: sum / sum.dim_IntList


def _sum_backward_np(grad, self_shape, dim, keepdim):
    """``_formulas.sum_backward`` over arrays: unsqueeze the reduced dims, then expand (a view)."""
    if not (dim is None and grad.ndim == 0) and not keepdim and len(self_shape) != grad.ndim:
        for d in _formulas.normalize_dims(dim, len(self_shape)):
            grad = grad.reshape(grad.shape[:d] + (1,) + grad.shape[d:])
    return broadcast_view(grad, self_shape)


@defop(node=_sum_node, grads={
    # `self_shape` saves only the shape, never the data.
    "self": lambda grad, self_shape, dim, keepdim: _formulas.sum_backward(
        grad, self_shape, dim, keepdim),
}, np_grads={"self": _sum_backward_np})
def sum(self, dim=None, keepdim=False, dtype=None):
    """Sum over ``dim`` (all dims if None). Shape: (*) -> reduced, or same rank if keepdim.

    Integer and bool inputs sum to int64, as in PyTorch.

    Example:
        >>> dagrad.tensor([[1., 2.], [3., 4.]]).sum(0)
        tensor([4., 6.])
    """
    out_dtype = dtype.np if dtype is not None else (
        np.dtype(np.int64) if self.dtype.kind in "biu" else self.dtype)
    axis = _axis(dim, self.ndim)
    if out_dtype is self.dtype:
        # float32/float64 added in PyTorch's order (Note [PyTorch's summation order])
        r = cascade_sum(self, axis, keepdim)
        if r is not None:
            return r
    # np.add.reduce is what np.sum calls, less its Python wrapper (~1 us a call)
    return _add_reduce(self, axis=axis, dtype=out_dtype, keepdims=keepdim)


_add_reduce = np.add.reduce


def _mean_node(self, dim=None, keepdim=False, dtype=None) -> str:
    return "MeanBackward0" if dim is None else "MeanBackward1"


def _mean_backward(grad, self_shape, dim, keepdim):
    if isinstance(dim, (list, tuple)) and len(dim) == 0:
        dim = None                                  # mean(x, dim=[]) reduces every dim
    return _formulas.sum_backward(grad, self_shape, dim, keepdim) / _formulas.reduced_numel(
        self_shape, dim)


def _mean_backward_np(grad, self_shape, dim, keepdim):
    if isinstance(dim, (list, tuple)) and len(dim) == 0:
        dim = None
    return _sum_backward_np(grad, self_shape, dim, keepdim) / _formulas.reduced_numel(
        self_shape, dim)


@defop(node=_mean_node, grads={"self": _mean_backward}, np_grads={"self": _mean_backward_np})
def mean(self, dim=None, keepdim=False, dtype=None):
    """Arithmetic mean over ``dim`` (all dims if None); floating/complex input only.

    Example:
        >>> dagrad.tensor([1., 2., 3., 4.]).mean()
        tensor(2.5000)
    """
    if dtype is not None:
        self = self.astype(dtype.np)
    if self.dtype.kind not in "fc":
        raise RuntimeError(
            "mean(): could not infer output dtype. Input dtype must be either a floating point or "
            f"complex dtype. Got: {_dtypes.from_numpy_dtype(self.dtype).name.capitalize()}"
            .replace("Int64", "Long").replace("Int32", "Int"))
    axis = _axis(dim, self.ndim)
    with QUIET:
        # PyTorch's mean is its sum divided by the count (Note [PyTorch's summation order])
        total = cascade_sum(self, axis, keepdim)
        if total is not None:
            n = self.size // max(total.size, 1)
            return np.asarray(np.true_divide(total, n), dtype=self.dtype)
        if self.size == 0:                  # nan, as PyTorch, without NumPy's warning
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                out = np.mean(self, axis=axis, keepdims=keepdim)
        else:
            out = np.mean(self, axis=axis, keepdims=keepdim)
    return np.asarray(out, dtype=self.dtype)


def _norm_backward(grad, self, result, ord, dim, keepdim):
    shape = tuple(self.shape)
    grad = _formulas.unsqueeze_to(grad, shape, dim, keepdim)
    result = _formulas.unsqueeze_to(result, shape, dim, keepdim)
    if ord == 0:
        return (grad * 0).expand(shape)             # a grad of self's shape, not result's
    if ord == 1:
        return grad * sgn(self)
    if ord == 2:
        scale = where(eq(result, 0), 0.0, div(grad, result))
        return self * scale
    if ord in (float("inf"), float("-inf")):
        mask = eq(abs(self), result).to(self.dtype)
        count = mask.sum(dim, keepdim=True) if dim is not None else mask.sum()
        return sgn(self) * mask * grad / count
    a = abs(self)
    scale = where(eq(result, 0), 0.0, div(grad, pow(result, ord - 1)))
    return sgn(self) * pow(a, ord - 1) * scale


@defop(node="LinalgVectorNormBackward0", grads={"self": _norm_backward})
def linalg_vector_norm(self, ord=2, dim=None, keepdim=False, dtype=None):
    """The vector ``ord``-norm over ``dim`` (all elements if None). Same as
    ``torch.linalg.vector_norm``."""
    if self.dtype.kind not in "fc":
        raise RuntimeError(
            "linalg.vector_norm: Expected a floating point or complex tensor as input. Got "
            + _dtypes.from_numpy_dtype(self.dtype).name.capitalize().replace("Int64", "Long"))
    x = np.abs(self)
    axis = _axis(dim, self.ndim)
    if ord == 2:
        out = np.sqrt(np.sum(x * x, axis=axis, keepdims=keepdim))
    elif ord == 1:
        out = np.sum(x, axis=axis, keepdims=keepdim)
    elif ord == float("inf"):
        out = np.max(x, axis=axis, keepdims=keepdim)
    elif ord == float("-inf"):
        out = np.min(x, axis=axis, keepdims=keepdim)
    elif ord == 0:
        out = np.sum(x != 0, axis=axis, keepdims=keepdim)
    else:
        out = np.sum(x ** ord, axis=axis, keepdims=keepdim) ** (1.0 / ord)
    return np.asarray(out, dtype=x.dtype)


def norm(input, p="fro", dim=None, keepdim=False, dtype=None):
    """``torch.norm``: the 2-norm of all elements by default; ``p`` may be a number.

    Example:
        >>> dagrad.tensor([3., 4.]).norm()
        tensor(5.)
    """
    if p == "fro" or p is None:
        p = 2
    if isinstance(dim, int):
        dim = (dim,)
    return linalg_vector_norm(input, p, dim, keepdim, dtype)


def _max_all_backward(grad, self, result):
    mask = eq(self, result).to(self.dtype)
    return mask * (grad / mask.sum())


@defop(node="MaxBackward1", grads={"self": _max_all_backward})
def _max_all(self):
    if self.size == 0:
        raise RuntimeError("max(): Expected reduction dim to be specified for input.numel() == 0. "
                           "Specify the reduction dim with the 'dim' argument.")
    return np.max(self)


@defop(node="MinBackward1", grads={"self": _max_all_backward})
def _min_all(self):
    if self.size == 0:
        raise RuntimeError("min(): Expected reduction dim to be specified for input.numel() == 0. "
                           "Specify the reduction dim with the 'dim' argument.")
    return np.min(self)


_ = (builtins, mul, Tensor)
