"""Selection, sorting, scans and statistics along a dim: ``max(x, dim)``, ``sort``, ``topk``,
``median``, ``cumsum``, ``cumprod``, ``var``, ``unique``... — NumPy kernel and derivative side by
side, as everywhere in ``dagrad/ops``.

Ops that pick elements (max/min along a dim, sort, topk, kthvalue, median along a dim, mode,
cummax/cummin) send the gradient back to the picked positions (PyTorch's
``value_selecting_reduction_backward``: ``_scatter_add_new`` below); the ones that reduce to one
value over ties (amax, amin, aminmax, median of all elements) split it evenly among the ties.
Pairs come back as the named tuples of ``dagrad.return_types`` (``values``, ``indices``),
printed as PyTorch prints them.

Note [Ties and implementation-defined indices]
Sorting is stable, so ``sort``/``argsort`` (both directions) return PyTorch's indices for equal
values, and so do ``max``/``min`` along a dim (first occurrence), ``mode`` (last occurrence),
``cummax``/``cummin`` (last occurrence) and every op at nan (nan sorts last; the first nan is
picked). For equal values, ``topk``, ``kthvalue`` and ``median`` along a dim pick the element a
stable sort puts at that rank; PyTorch's quickselect may pick another of the equal elements.
The values agree; the gradient then lands on a different one of the tied elements.
"""
from __future__ import annotations

import builtins
import collections
import math
import sys
import types
import warnings
from typing import Any

import numpy as np

from dagrad._npquiet import QUIET, quiet
from dagrad._tensor import Tensor
from dagrad.autograd.grad_mode import STATE
from dagrad.ops import _formulas, nn_ops
from dagrad.ops._registry import defop
from dagrad.ops.pointwise import (_accurate, abs, div, eq, exp, gt, log, logical_not, lt,
                                  maximum, minimum, scalar_type_name, where)
from dagrad.ops.reduction import _max_all, _mean_backward, _min_all
from dagrad.ops.shape import cat, narrow
from dagrad.ops.special import isnan

# --------------------------------------------------------------------------- return types


def _return_type(name: str, fields: tuple[str, ...]) -> type:
    """A named tuple printed like PyTorch's ``torch.return_types.<name>``."""
    base = collections.namedtuple(name, fields)

    def __repr__(self: Any) -> str:
        body = ",\n".join(f"{f}={v!r}" for f, v in zip(self._fields, self, strict=True))
        return f"dagrad.return_types.{name}(\n{body})"

    return type(name, (base,), {"__slots__": (), "__repr__": __repr__,
                                "__module__": "dagrad.return_types",
                                "__doc__": f"The ({', '.join(fields)}) pair of ``{name}``."})


# Note [dagrad.return_types]: the classes live in a module object registered as
# ``dagrad.return_types`` (so ``import dagrad.return_types`` and pickling find them).
return_types = types.ModuleType("dagrad.return_types", "The named tuples ops return "
                                "(``torch.return_types``).")
for _name in ("max", "min", "sort", "topk", "kthvalue", "median", "nanmedian", "mode",
              "cummax", "cummin"):
    setattr(return_types, _name, _return_type(_name, ("values", "indices")))
return_types.aminmax = _return_type("aminmax", ("min", "max"))
sys.modules.setdefault("dagrad.return_types", return_types)
_RT = return_types

# --------------------------------------------------------------------------- helpers


def _wrap(dim: Any, ndim: int) -> int:
    """``dim`` as a non-negative int (0 for a 0-dim tensor), raising PyTorch's IndexError."""
    dims = _formulas.normalize_dims(dim, ndim)
    return dims[0] if ndim else 0


def _dims(dim: Any) -> Any:
    """None for "every dim" (``None``, ``()`` or ``[]``), else ``dim``."""
    if dim is None or (isinstance(dim, (tuple, list)) and len(dim) == 0):
        return None
    return dim


def _axes(dim: Any, ndim: int) -> Any:
    """A NumPy ``axis`` for ``dim`` (None: all), validated with PyTorch's messages."""
    dim = _dims(dim)
    if dim is None:
        return None
    dims = _formulas.normalize_dims(dim, ndim)
    return dims if ndim else None


def _nonempty(name: str, x: np.ndarray, d: int, sep: str = "():") -> None:
    if x.ndim and x.shape[d] == 0:
        raise IndexError(f"{name}{sep} Expected reduction dim {d} to have non-zero size.")


def _int64(a: Any) -> np.ndarray:
    return np.asarray(a, dtype=np.int64)


def _pick(x: np.ndarray, idx: np.ndarray, d: int, keepdim: bool) -> tuple:
    """``(values, indices)`` of ``x`` at ``idx`` (one per slice, kept dim) along ``d``."""
    vals = np.take_along_axis(x, idx, axis=d)
    if not keepdim:
        vals, idx = vals.squeeze(d), idx.squeeze(d)
    return vals, _int64(idx)


def _argsort(x: np.ndarray, axis: int, descending: bool) -> np.ndarray:
    """Stable argsort; nan last ascending, first descending; equal values keep their order."""
    if not descending:
        return np.argsort(x, axis=axis, kind="stable")
    n = x.shape[axis]
    idx = np.argsort(np.flip(x, axis), axis=axis, kind="stable")
    return np.flip(n - 1 - idx, axis)


def _nan_count(x: np.ndarray, d: int) -> np.ndarray:
    if x.dtype.kind not in "fc":
        return np.zeros(x.shape[:d] + (1,) + x.shape[d + 1:], np.int64)
    return np.sum(np.isnan(x), axis=d, keepdims=True)


def _float_only(name: str, x: np.ndarray) -> None:
    if x.dtype.kind not in "fc":
        raise RuntimeError(f"{name} only support floating point and complex dtypes")


# --------------------------------------------------------------------------- gather / scatter


@defop(node="GatherBackward0", tensors=("index",), grads={
    "self": lambda grad, self_shape, dim, index: _scatter_add_new(grad, dim, index,
                                                                   self_shape)})
def _gather(self, dim, index):
    """``self`` taken along ``dim`` at ``index`` (``torch.gather``)."""
    if self.ndim == 0:
        return self.copy()
    return np.take_along_axis(self, index, axis=dim)


@defop(node="ScatterAddBackward0", tensors=("index",), grads={
    "src": lambda grad, dim, index: _gather(grad, dim, index)})
@quiet
def _scatter_add_new(src, dim, index, shape):
    """Zeros of ``shape`` plus ``src`` at ``index`` along ``dim`` (repeated indices add up).

    The backward of every op that picks elements; its own backward is ``_gather``.
    """
    out = np.zeros(shape, src.dtype)
    if len(shape) == 0:
        return out + src
    grid = list(np.indices(index.shape, sparse=True))
    grid[dim] = index
    np.add.at(out, tuple(grid), src)
    return out


def _select_backward(grad: Tensor, dim: Any, indices: Tensor, shape: tuple,
                     keepdim: bool) -> Tensor:
    """PyTorch's ``value_selecting_reduction_backward``: ``grad`` put back at ``indices``."""
    if len(shape) == 0:
        return grad
    d = _wrap(dim, len(shape))
    indices = indices.detach()
    if not keepdim:
        grad, indices = grad.unsqueeze(d), indices.unsqueeze(d)
    return _scatter_add_new(grad, d, indices, shape)


def _evenly(grad: Tensor, self: Tensor, value: Tensor, dim: Any = None,
            keepdim: bool = True, nan_aware: bool = False) -> Tensor:
    """``grad`` split evenly among the elements equal to ``value``; ``nan_aware`` (median's
    ``evenly_distribute_backward``): a nan value among the nans. Without it (amax's
    ``scale_grad_by_count``) a nan value makes the whole gradient nan, as in PyTorch."""
    shape = tuple(self.shape)
    dim = _dims(dim)
    grad = _formulas.unsqueeze_to(grad, shape, dim, keepdim)
    value = _formulas.unsqueeze_to(value, shape, dim, keepdim)
    mask = eq(self, value)
    if nan_aware and value._data.dtype.kind == "f" and np.isnan(value._data).any():
        mask = mask | (isnan(self) & isnan(value))
    mask = mask.to(self.dtype)
    count = mask.sum() if dim is None else mask.sum(dim, keepdim=True)
    with QUIET:     # count 0 at nan: nan, as PyTorch
        return mask * (grad / count)


# --------------------------------------------------------------------------- max / min


def _max_dim_kernel(name: str, arg: Any, x: np.ndarray, dim: Any, keepdim: bool) -> tuple:
    d = _wrap(dim, x.ndim)
    if x.ndim == 0:
        return x.copy(), _int64(0)
    _nonempty(name, x, d)
    return _pick(x, arg(x, axis=d, keepdims=True), d, keepdim)


def _select_formula(grad, result, self_shape, dim, keepdim):
    return _select_backward(grad, dim, result[1], self_shape, keepdim)


@defop(node="MaxBackward0", outputs=2, nondiff_outputs=(1,), returns=_RT.max,
       grads={"self": _select_formula})
def _max_dim(self, dim, keepdim=False):
    """``(values, indices)`` of the largest element along ``dim`` (the first one at ties)."""
    return _max_dim_kernel("max", np.argmax, self, dim, keepdim)


@defop(node="MinBackward0", outputs=2, nondiff_outputs=(1,), returns=_RT.min,
       grads={"self": _select_formula})
def _min_dim(self, dim, keepdim=False):
    """``(values, indices)`` of the smallest element along ``dim`` (the first one at ties)."""
    return _max_dim_kernel("min", np.argmin, self, dim, keepdim)


def max(input: Tensor, dim: Any = None, keepdim: bool = False) -> Any:
    """The largest element; along ``dim`` a ``(values, indices)`` pair; with a tensor second
    argument the element-wise ``maximum``. Same as ``torch.max``.

    Example:
        >>> dagrad.max(dagrad.tensor([[1., 5.], [4., 2.]]), 1)
        dagrad.return_types.max(
        values=tensor([5., 4.]),
        indices=tensor([1, 0]))
    """
    if isinstance(dim, Tensor):
        return maximum(input, dim)
    if dim is None:
        return _max_all(input)
    return _max_dim(input, dim, keepdim)


def min(input: Tensor, dim: Any = None, keepdim: bool = False) -> Any:
    """The smallest element; along ``dim`` a ``(values, indices)`` pair; with a tensor second
    argument the element-wise ``minimum``. Same as ``torch.min``."""
    if isinstance(dim, Tensor):
        return minimum(input, dim)
    if dim is None:
        return _min_all(input)
    return _min_dim(input, dim, keepdim)


def _amax_kernel(name: str, fn: Any, x: np.ndarray, dim: Any, keepdim: bool) -> np.ndarray:
    axis = _axes(dim, x.ndim)
    if x.size == 0:
        if axis is None:
            raise RuntimeError(f"{name}(): Expected reduction dim to be specified for "
                               "input.numel() == 0. Specify the reduction dim with the 'dim' "
                               "argument.")
        for d in axis:
            _nonempty(name, x, d)
    return fn(x, axis=axis, keepdims=keepdim)


def _amax_backward(grad, self, result, dim, keepdim):
    return _evenly(grad, self, result, dim, keepdim)


@defop(node="AmaxBackward0", grads={"self": _amax_backward})
@quiet
def amax(self, dim=(), keepdim=False):
    """The largest value over ``dim`` (all dims by default); the gradient is split evenly among
    tied maxima. Same as ``torch.amax``.

    Example:
        >>> dagrad.amax(dagrad.tensor([[1., 5.], [4., 2.]]), 0)
        tensor([4., 5.])
    """
    return _amax_kernel("amax", np.amax, self, dim, keepdim)


@defop(node="AminBackward0", grads={"self": _amax_backward})
@quiet
def amin(self, dim=(), keepdim=False):
    """The smallest value over ``dim`` (all dims by default). Same as ``torch.amin``."""
    return _amax_kernel("amin", np.amin, self, dim, keepdim)


def _arg_kernel(name: str, fn: Any, x: np.ndarray, dim: Any, keepdim: bool) -> np.ndarray:
    if x.dtype == np.bool_:
        raise RuntimeError(f"{name}(): does not support bool input")
    if dim is None:
        if x.size == 0:
            raise IndexError(f"{name}(): Expected reduction dim to be specified for "
                             "input.numel() == 0.")
        i = fn(x.reshape(-1))
        return np.full((1,) * x.ndim, i, np.int64) if keepdim else _int64(i)
    d = _wrap(dim, x.ndim)
    if x.ndim == 0:
        return _int64(0)
    _nonempty(name, x, d)
    return _int64(fn(x, axis=d, keepdims=keepdim))


@defop(node=None, tensors=("self",))
def argmax(self, dim=None, keepdim=False):
    """The index of the largest element (of the flattened tensor if ``dim`` is None).

    Example:
        >>> dagrad.argmax(dagrad.tensor([[1., 5.], [4., 2.]]), 1)
        tensor([1, 0])
    """
    return _arg_kernel("argmax", np.argmax, self, dim, keepdim)


@defop(node=None, tensors=("self",))
def argmin(self, dim=None, keepdim=False):
    """The index of the smallest element (of the flattened tensor if ``dim`` is None)."""
    return _arg_kernel("argmin", np.argmin, self, dim, keepdim)


@defop(node="AminmaxBackward0", outputs=2, returns=_RT.aminmax, grads={
    "self": lambda grads, self, result, dim, keepdim: (
        _evenly(grads[0], self, result[0], dim, keepdim)
        + _evenly(grads[1], self, result[1], dim, keepdim))})
@quiet
def _aminmax(self, dim=None, keepdim=False):
    if dim is None:
        if self.size == 0:
            raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the "
                               "operation has no identity.")
        return np.amin(self, keepdims=keepdim), np.amax(self, keepdims=keepdim)
    d = _wrap(dim, self.ndim)
    if self.ndim == 0:
        return self.copy(), self.copy()
    _nonempty("aminmax", self, d, sep=":")
    return np.amin(self, axis=d, keepdims=keepdim), np.amax(self, axis=d, keepdims=keepdim)


def aminmax(input: Tensor, *, dim: int | None = None, keepdim: bool = False) -> Any:
    """``(min, max)`` in one call; ties split the gradient evenly. Same as ``torch.aminmax``.

    Example:
        >>> dagrad.aminmax(dagrad.tensor([3., 1., 2.]))
        dagrad.return_types.aminmax(
        min=tensor(1.),
        max=tensor(3.))
    """
    return _aminmax(input, dim, keepdim)


# --------------------------------------------------------------------------- sort, topk, kth


def _sort_node(self, dim=-1, descending=False, stable=None) -> str:
    return "SortBackward0" if stable is None else "SortBackward1"      # sort / sort.stable


@defop(node=_sort_node, outputs=2, nondiff_outputs=(1,), returns=_RT.sort, grads={
    "self": lambda grad, result, self_shape, dim: _select_backward(grad, dim, result[1],
                                                                   self_shape, True)})
def _sort(self, dim=-1, descending=False, stable=None):
    d = _wrap(dim, self.ndim)
    if self.ndim == 0:
        return self.copy(), _int64(0)
    idx = _argsort(self, d, descending)
    return np.take_along_axis(self, idx, axis=d), _int64(idx)


def sort(input: Tensor, dim: int = -1, descending: bool = False, *,
         stable: bool | None = None) -> Any:
    """``(values, indices)`` sorted along ``dim``; always stable (equal values keep their order;
    nan sorts as the largest value). Same as ``torch.sort``.

    Example:
        >>> dagrad.sort(dagrad.tensor([3., 1., 2.]), descending=True)
        dagrad.return_types.sort(
        values=tensor([3., 2., 1.]),
        indices=tensor([0, 2, 1]))
    """
    return _sort(input, dim, descending, stable)


@defop(node=None, tensors=("self",))
def _argsort_op(self, dim=-1, descending=False):
    d = _wrap(dim, self.ndim)
    if self.ndim == 0:
        return _int64(0)
    return _int64(_argsort(self, d, descending))


def argsort(input: Tensor, dim: int = -1, descending: bool = False, *,
            stable: bool = False) -> Tensor:
    """The indices that sort ``input`` along ``dim`` (stable). Same as ``torch.argsort``."""
    return _argsort_op(input, dim, descending)


@defop(node="TopkBackward0", outputs=2, nondiff_outputs=(1,), returns=_RT.topk, grads={
    "self": lambda grad, result, self_shape, dim: _select_backward(grad, dim, result[1],
                                                                   self_shape, True)})
def topk(self, k, dim=-1, largest=True, sorted=True):
    """The ``k`` largest (``largest=False``: smallest) elements along ``dim`` and their indices,
    largest first. Same as ``torch.topk`` (Note [Ties and implementation-defined indices]).

    Example:
        >>> dagrad.topk(dagrad.tensor([1., 4., 2., 3.]), 2)
        dagrad.return_types.topk(
        values=tensor([4., 3.]),
        indices=tensor([1, 3]))
    """
    d = _wrap(dim, self.ndim)
    if self.dtype == np.bool_:
        raise RuntimeError("topk does not support bool dtypes on CPU")
    n = self.shape[d] if self.ndim else 1
    if not 0 <= k <= n:
        raise RuntimeError("selected index k out of range")
    if self.ndim == 0:
        return self.copy(), _int64(0)
    idx = np.take(_argsort(self, d, largest), np.arange(k), axis=d)
    return np.take_along_axis(self, idx, axis=d), _int64(idx)


@defop(node="KthvalueBackward0", outputs=2, nondiff_outputs=(1,), returns=_RT.kthvalue,
       grads={"self": _select_formula})
def kthvalue(self, k, dim=-1, keepdim=False):
    """The ``k``-th smallest element along ``dim`` (``k`` from 1) and its index. Same as
    ``torch.kthvalue``.

    Example:
        >>> dagrad.kthvalue(dagrad.tensor([3., 1., 2.]), 2)
        dagrad.return_types.kthvalue(
        values=tensor(2.),
        indices=tensor(2))
    """
    d = _wrap(dim, self.ndim)
    _no_bool("kthvalue_cpu", self)
    if self.ndim == 0:
        if k != 1:
            raise RuntimeError("kthvalue(): selected number k out of range for dimension 0")
        return self.copy(), _int64(0)
    _nonempty("kthvalue", self, d)
    if not 1 <= k <= self.shape[d]:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {d}")
    idx = np.take(_argsort(self, d, False), [k - 1], axis=d)
    return _pick(self, idx, d, keepdim)


# --------------------------------------------------------------------------- median, mode


def _no_bool(name: str, x: np.ndarray) -> None:
    if x.dtype == np.bool_:
        raise NotImplementedError(f'"{name}" not implemented for \'Bool\'')


def _median_all_kernel(x: np.ndarray, ignore_nan: bool) -> np.ndarray:
    _no_bool("median_cpu", x)
    s = np.sort(x.reshape(-1))
    nan = int(np.isnan(s).sum()) if s.dtype.kind == "f" else 0
    if s.size == 0:
        return np.asarray(np.nan if s.dtype.kind == "f" else np.iinfo(s.dtype).min, s.dtype)
    if nan and not ignore_nan:
        return np.asarray(s[-1])
    m = s.size - nan
    return np.asarray(s[(m - 1) // 2] if m else s[-1])


def _median_dim_kernel(name: str, x: np.ndarray, dim: Any, keepdim: bool,
                       ignore_nan: bool) -> tuple:
    d = _wrap(dim, x.ndim)
    _no_bool("median_out", x)
    if x.ndim == 0:
        return x.copy(), _int64(0)
    _nonempty(name, x, d)
    order = _argsort(x, d, False)
    n, nan = x.shape[d], _nan_count(x, d)
    if ignore_nan:
        m = n - nan
        idx = np.take_along_axis(order, np.where(m > 0, (m - 1) // 2, 0), axis=d)
        idx = np.where(m > 0, idx, 0)           # an all-nan slice: nan at index 0, as PyTorch
    else:                                       # nan propagates: the first nan is picked
        idx = np.take_along_axis(order, np.where(nan > 0, n - nan, (n - 1) // 2), axis=d)
    return _pick(x, idx, d, keepdim)


@defop(node="MedianBackward0", grads={"self": lambda grad, self, result: _evenly(
    grad, self, result, nan_aware=True)})
def _median_all(self):
    return _median_all_kernel(self, ignore_nan=False)


@defop(node="MedianBackward1", outputs=2, nondiff_outputs=(1,), returns=_RT.median,
       grads={"self": _select_formula})
def _median_dim(self, dim, keepdim=False):
    return _median_dim_kernel("median", self, dim, keepdim, ignore_nan=False)


def median(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Any:
    """The lower median (of all elements; along ``dim`` with its index). nan propagates.
    Same as ``torch.median``.

    Example:
        >>> dagrad.median(dagrad.tensor([4., 1., 3., 2.]))
        tensor(2.)
    """
    if dim is None:
        return _median_all(input)
    return _median_dim(input, dim, keepdim)


@defop(node="NanmedianBackward0", grads={"self": lambda grad, self, result: _evenly(
    grad, self, result, nan_aware=True)})
def _nanmedian_all(self):
    return _median_all_kernel(self, ignore_nan=True)


@defop(node="NanmedianBackward1", outputs=2, nondiff_outputs=(1,), returns=_RT.nanmedian,
       grads={"self": _select_formula})
def _nanmedian_dim(self, dim, keepdim=False):
    return _median_dim_kernel("median", self, dim, keepdim, ignore_nan=True)   # sic, PyTorch


def nanmedian(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Any:
    """``median`` ignoring nan (nan only where every element is nan). Same as
    ``torch.nanmedian``."""
    if dim is None:
        return _nanmedian_all(input)
    return _nanmedian_dim(input, dim, keepdim)


@defop(node="ModeBackward0", outputs=2, nondiff_outputs=(1,), returns=_RT.mode,
       grads={"self": _select_formula})
def mode(self, dim=-1, keepdim=False):
    """The most frequent value along ``dim`` (the smallest among equally frequent ones) and
    the index of its last occurrence. Same as ``torch.mode``.

    Example:
        >>> dagrad.mode(dagrad.tensor([2., 1., 2., 1., 3.]))
        dagrad.return_types.mode(
        values=tensor(1.),
        indices=tensor(3))
    """
    d = _wrap(dim, self.ndim)
    if self.ndim == 0:
        return self.copy(), _int64(0)
    _nonempty("mode", self, d)
    moved = np.moveaxis(self, d, -1)
    n = moved.shape[-1]
    rows = moved.reshape(-1, n)
    s = np.sort(rows, axis=1)
    new_run = np.ones(s.shape, np.bool_)
    new_run[:, 1:] = s[:, 1:] != s[:, :-1]             # nan != nan: each nan is its own run
    pos = np.arange(n)
    run = pos - np.maximum.accumulate(np.where(new_run, pos, 0), axis=1) + 1
    best = np.argmax(run, axis=1)                       # first longest run = smallest value
    vals = s[np.arange(s.shape[0]), best]
    last = n - 1 - np.argmax((rows == vals[:, None])[:, ::-1], axis=1)
    vals = vals.reshape(moved.shape[:-1])
    idx = _int64(last.reshape(moved.shape[:-1]))
    if keepdim:
        vals, idx = np.expand_dims(vals, d), np.expand_dims(idx, d)
    return vals, idx


# --------------------------------------------------------------------------- scans


@defop(node="FlipBackward0", grads={"self": lambda grad, dims: _flip(grad, dims)})
def _flip(self, dims):
    """``self`` reversed along ``dims`` (``torch.flip``)."""
    if self.ndim == 0:
        return self.copy()
    return np.flip(self, axis=dims).copy()


def _reverse_cumsum(grad: Tensor, dim: Any) -> Tensor:
    if grad.dim() == 0:
        return grad
    d = _wrap(dim, grad.dim())
    return _flip(cumsum(_flip(grad, d), d), d)


def _scan_input(x: np.ndarray, dtype: Any) -> np.ndarray:
    if dtype is not None:
        return x.astype(dtype.np)
    return x.astype(np.int64) if x.dtype.kind in "biu" else x


# PyTorch's CPU scans accumulate in a wider type (at::acc_type: float32 in float64, float16 in
# float32) and round each running value once; NumPy accumulates in the input's type, which
# drifts visibly over long float32 scans (1e-4 after 20,000 terms of magnitude 1).
_SCAN_ACC = {np.dtype(np.float16): np.dtype(np.float32), np.dtype(np.float32): np.dtype(np.float64),
             np.dtype(np.complex64): np.dtype(np.complex128)}


def _scan(fn: Any, x: np.ndarray, d: int) -> np.ndarray:
    acc = _SCAN_ACC.get(x.dtype)
    if acc is None:
        return fn(x, axis=d)
    return fn(x, axis=d, dtype=acc).astype(x.dtype)


@defop(node="CumsumBackward0", grads={"self": lambda grad, dim: _reverse_cumsum(grad, dim)})
@quiet
def cumsum(self, dim, dtype=None):
    """Running sum along ``dim`` (integers and bool accumulate in int64). Same as
    ``torch.cumsum``.

    Example:
        >>> dagrad.cumsum(dagrad.tensor([1., 2., 3.]), 0)
        tensor([1., 3., 6.])
    """
    d = _wrap(dim, self.ndim)
    x = _scan_input(self, dtype)
    return x.copy() if x.ndim == 0 else _scan(np.cumsum, x, d)


def _cumprod_grad_np(g: np.ndarray, x: np.ndarray, y: np.ndarray, d: int) -> np.ndarray:
    """The O(n) gradient of ``cumprod`` along ``d`` when ``x`` has zeros (PyTorch's).

    Before the first zero: the usual ``rev_cumsum(g * y) / x``; at the first zero ``z``:
    ``prod(x[:z]) * sum_{i >= z} g[i] * prod(x[z+1:i+1])``; after it: 0.
    """
    is_zero = x == 0
    cz = np.cumsum(is_zero, axis=d)
    before = cz == 0
    w = np.where(before, g * y, 0)
    rev = np.flip(np.cumsum(np.flip(w, d), axis=d), d)
    out = np.where(before, rev / np.where(before, x, 1), 0)
    first = is_zero & (cz == 1)
    head = np.prod(np.where(before, x, 1), axis=d, keepdims=True)
    tail = np.cumprod(np.where(before | first, 1, x), axis=d)
    total = np.sum(np.where(cz >= 1, g * tail, 0), axis=d, keepdims=True)
    return np.where(first, head * total, out).astype(g.dtype, copy=False)


def _cumprod_backward(grad: Tensor, self: Tensor, result: Tensor, dim: Any) -> Tensor:
    # Note [cumprod gradient with zeros]: PyTorch's cumprod_backward. Without zeros the
    # gradient is rev_cumsum(grad * result) / self. With zeros and grad mode off (a first
    # derivative) an O(n) NumPy formula; with grad mode on (create_graph: it must differentiate
    # again) the O(n^2) composite: grad_k = sum_{i >= k} grad_i * prod_{j <= i, j != k} x_j.
    if self.dim() == 0 or self.numel() <= 1:
        return grad
    d = _wrap(dim, self.dim())
    n = self.shape[d]
    if n == 1:
        return grad
    if not (self._data == 0).any():
        return _reverse_cumsum(grad * result, d) / self
    if not STATE.grad:
        return Tensor._make(_cumprod_grad_np(grad._data, self._data, result._data, d))
    xt = self.transpose(d, -1)                                  # (..., n)
    gt_ = grad.transpose(d, -1)
    eye = Tensor._make(np.eye(n, dtype=np.bool_))
    # omit[..., k, j] = x_j, except 1 at j == k; its cumprod over j is prod_{j<=i, j!=k} x_j
    omit = where(eye, 1.0, xt.unsqueeze(-2).expand(*xt.shape[:-1], n, n))
    upper = Tensor._make(np.triu(np.ones((n, n), self._data.dtype)))   # i >= k
    out = (gt_.unsqueeze(-2) * cumprod(omit, -1) * upper).sum(-1)
    return out.transpose(d, -1)


@defop(node="CumprodBackward0", grads={"self": lambda grad, self, result, dim: _cumprod_backward(
    grad, self, result, dim)})
@quiet
def cumprod(self, dim, dtype=None):
    """Running product along ``dim``; its gradient is exact with zeros in the input. Same as
    ``torch.cumprod``.

    Example:
        >>> dagrad.cumprod(dagrad.tensor([1., 2., 3.]), 0)
        tensor([1., 2., 6.])
    """
    d = _wrap(dim, self.ndim)
    x = _scan_input(self, dtype)
    return x.copy() if x.ndim == 0 else _scan(np.cumprod, x, d)


def _cummax_kernel(x: np.ndarray, dim: Any, acc: Any) -> tuple:
    d = _wrap(dim, x.ndim)
    if x.ndim == 0:
        return x.copy(), _int64(0)
    vals = acc.accumulate(x, axis=d)
    # an element becomes the running extreme when it equals it (ties: the later one) or is nan
    upd = x == vals
    if x.dtype.kind in "fc":
        upd |= np.isnan(x)
    shape = [1] * x.ndim
    shape[d] = x.shape[d]
    pos = np.arange(x.shape[d]).reshape(shape)
    return vals, _int64(np.maximum.accumulate(np.where(upd, pos, 0), axis=d))


def _cummax_backward(grad, result, self_shape, dim):
    if len(self_shape) == 0:
        return grad
    return _scatter_add_new(grad, _wrap(dim, len(self_shape)), result[1].detach(), self_shape)


@defop(node="CummaxBackward0", outputs=2, nondiff_outputs=(1,), returns=_RT.cummax,
       grads={"self": _cummax_backward})
@quiet
def cummax(self, dim):
    """Running maximum along ``dim`` and where it was found (the last index at ties). Same as
    ``torch.cummax``.

    Example:
        >>> dagrad.cummax(dagrad.tensor([1., 3., 2., 3.]), 0)
        dagrad.return_types.cummax(
        values=tensor([1., 3., 3., 3.]),
        indices=tensor([0, 1, 1, 3]))
    """
    return _cummax_kernel(self, dim, np.maximum)


@defop(node="CumminBackward0", outputs=2, nondiff_outputs=(1,), returns=_RT.cummin,
       grads={"self": _cummax_backward})
@quiet
def cummin(self, dim):
    """Running minimum along ``dim`` and where it was found. Same as ``torch.cummin``."""
    return _cummax_kernel(self, dim, np.minimum)


def _logcumsumexp_backward(grad, self, result, dim):
    # PyTorch's (after TensorFlow's): the positive and negative parts of grad in log space
    if grad.dim() == 0 or grad.numel() == 0:
        return grad
    d = _wrap(dim, grad.dim())
    lowest = float(np.finfo(grad._data.dtype).min)
    log_abs = log(abs(grad))
    pos = where(gt(grad, 0), log_abs, lowest)
    neg = where(lt(grad, 0), log_abs, lowest)

    def reverse(t: Tensor) -> Tensor:
        return _flip(logcumsumexp(_flip(t, d), d), d)

    with QUIET:    # -inf inputs give nan, as PyTorch
        return exp(reverse(pos - result) + self) - exp(reverse(neg - result) + self)


@defop(node="LogcumsumexpBackward0", grads={"self": _logcumsumexp_backward})
@quiet
def logcumsumexp(self, dim):
    """``log(cumsum(exp(x)))`` along ``dim``, without overflow. Same as
    ``torch.logcumsumexp``."""
    d = _wrap(dim, self.ndim)
    if self.dtype.kind not in "fc":
        raise NotImplementedError('"logcumsumexp_out_cpu" not implemented for '
                                  f"'{scalar_type_name(self.dtype)}'")
    if self.ndim == 0:
        return self.copy()
    return _accurate(lambda a: np.logaddexp.accumulate(a, axis=d), self)


# --------------------------------------------------------------------------- prod, nansum


def _prod_node(self, dim=None, keepdim=False, dtype=None) -> str:
    return "ProdBackward0" if dim is None else "ProdBackward1"


def _exclusive_prods(x: Tensor, d: int) -> Tensor:
    """``prod_{j != k} x_j`` along ``d`` for every k, exact with zeros (PyTorch's
    ``prod_safe_zeros_backward``): exclusive cumprods from the left times from the right."""
    n = x.shape[d]
    ones_shape = list(x.shape)
    ones_shape[d] = 1
    ones = Tensor._make(np.ones(ones_shape, x._data.dtype))
    left = cumprod(cat([ones, narrow(x, d, 0, n - 1)], d), d)
    right = _flip(cumprod(cat([ones, _flip(narrow(x, d, 1, n - 1), d)], d), d), d)
    return left * right


def _prod_backward(grad, self, result, dim, keepdim):
    if self.dim() == 0:
        return grad
    zeros = int((self._data == 0).sum())
    if dim is None:
        if zeros == 0:
            return grad * (result / self)
        if zeros > 1 and not STATE.grad:
            return Tensor._make(np.zeros(self._data.shape, grad._data.dtype))
        return (grad * _exclusive_prods(self.reshape(-1), 0)).reshape(tuple(self.shape))
    d = _wrap(dim, self.dim())
    if not keepdim:
        grad, result = grad.unsqueeze(d), result.unsqueeze(d)
    if zeros == 0:
        return grad * (result / self)
    return grad * _exclusive_prods(self, d)


@defop(node=_prod_node, grads={"self": _prod_backward})
@quiet
def prod(self, dim=None, keepdim=False, dtype=None):
    """The product of all elements, or along ``dim``; the gradient is exact with zeros.
    Same as ``torch.prod``.

    Example:
        >>> dagrad.prod(dagrad.tensor([[1., 2.], [3., 4.]]), 1)
        tensor([ 2., 12.])
    """
    out = dtype.np if dtype is not None else (
        np.dtype(np.int64) if self.dtype.kind in "biu" else self.dtype)
    if dim is None:
        return np.prod(self, dtype=out)
    d = _wrap(dim, self.ndim)
    if self.ndim == 0:
        return self.astype(out)
    return np.prod(self, axis=d, keepdims=keepdim, dtype=out)


@defop(node="NansumBackward0", grads={
    "self": lambda grad, self, dim, keepdim: _formulas.sum_backward(
        grad, tuple(self.shape), _dims(dim), keepdim) * logical_not(isnan(self))})
@quiet
def nansum(self, dim=None, keepdim=False, dtype=None):
    """``sum`` treating nan as zero. Same as ``torch.nansum``."""
    out = dtype.np if dtype is not None else (
        np.dtype(np.int64) if self.dtype.kind in "biu" else self.dtype)
    return np.asarray(np.nansum(self, axis=_axes(dim, self.ndim), keepdims=keepdim, dtype=out))


def nanmean(input: Tensor, dim: Any = None, keepdim: bool = False, *,
            dtype: Any = None) -> Tensor:
    """``mean`` over the elements that are not nan: ``nansum / count`` (so the node is
    ``DivBackward0``, as in PyTorch). Same as ``torch.nanmean``."""
    if not (input.is_floating_point() or input.is_complex()):
        raise RuntimeError("nanmean(): expected input to have floating point or complex dtype "
                           f"but got {scalar_type_name(input._data.dtype)}")
    count = logical_not(isnan(input)).sum(_dims(dim), keepdim)
    return div(nansum(input, dim, keepdim, dtype), count)


# --------------------------------------------------------------------------- var, std


def _var_np(x: np.ndarray, dim: Any, correction: float, keepdim: bool, name: str,
            root: bool = False) -> tuple:
    """``(var, mean)`` computed in float64 (complex128) and returned in ``x``'s dtype (the
    variance of complex input is real); with ``root``, the standard deviation in place of the
    variance, its square root taken in float64 too (PyTorch's std rounds once: sqrt of the
    rounded float32 variance differed from it in 12% of values)."""
    _float_only(name if name.endswith("_mean") else "std and var", x)
    axis = _axes(dim, x.ndim)
    n = x.size if axis is None else int(np.prod([x.shape[a] for a in axis], dtype=np.int64))
    if n - correction <= 0:
        warnings.warn(f"{name}(): degrees of freedom is <= 0. Correction should be strictly "
                      "less than the reduction factor (input numel divided by output numel).",
                      UserWarning, stacklevel=6)
    work = x.astype(np.complex128 if x.dtype.kind == "c" else np.float64)
    with QUIET:
        mean = np.sum(work, axis=axis, keepdims=True) / n
        var = np.sum(np.abs(work - mean) ** 2, axis=axis, keepdims=keepdim) / builtins.max(
            n - correction, 0)
        if root:
            var = np.sqrt(var)
    if not keepdim:
        mean = mean.reshape(()) if axis is None else np.squeeze(mean, axis=axis)
    real = np.empty(0, x.dtype).real.dtype
    return np.asarray(var).astype(real), np.asarray(mean).astype(x.dtype)


def _var_backward(grad, self, dim, correction, keepdim):
    dim = _dims(dim)
    if self.dim() == 0 or dim is None:
        dof = self.numel() - correction
        if dof <= 0:
            # 2 / 0 is inf: inf * 0 = nan where self equals its mean, inf elsewhere
            nan_inf = where(eq(self, self.mean()), _full(math.nan, self), _full(math.inf, self))
            return grad * nan_inf
        return (2.0 / dof) * grad * (self - self.mean())
    shape = tuple(self.shape)
    grad = _formulas.unsqueeze_to(grad, shape, dim, keepdim)
    dof = _formulas.reduced_numel(shape, dim) - correction
    scale = 2.0 / dof if dof != 0 else math.inf
    return scale * grad * (self - self.mean(dim, keepdim=True))


def _full(value: float, like: Tensor) -> Tensor:
    return Tensor._make(np.asarray(value, dtype=like._data.dtype))


def _std_backward(grad, self, result, dim, correction, keepdim):
    grad_var = where(eq(result, 0), 0.0, grad / (result * 2))
    return _var_backward(grad_var, self, dim, correction, keepdim)


@defop(name="var", node="VarBackward0", grads={"self": _var_backward})
@quiet
def _var(self, dim=None, correction=1, keepdim=False):
    return _var_np(self, dim, correction, keepdim, "var")[0]


@defop(name="std", node="StdBackward0", grads={
    "self": lambda grad, self, result, dim, correction, keepdim: _std_backward(
        grad, self, result, dim, correction, keepdim)})
@quiet
def _std(self, dim=None, correction=1, keepdim=False):
    return _var_np(self, dim, correction, keepdim, "std", root=True)[0]


@defop(name="var_mean", node="VarMeanBackward0", outputs=2, grads={
    "self": lambda grads, self, dim, correction, keepdim: (
        _var_backward(grads[0], self, dim, correction, keepdim)
        + _mean_backward(grads[1], tuple(self.shape), _dims(dim), keepdim))})
@quiet
def _var_mean(self, dim=None, correction=1, keepdim=False):
    return _var_np(self, dim, correction, keepdim, "var_mean")


@defop(name="std_mean", node="StdMeanBackward0", outputs=2, grads={
    "self": lambda grads, self, result, dim, correction, keepdim: (
        _std_backward(grads[0], self, result[0], dim, correction, keepdim)
        + _mean_backward(grads[1], tuple(self.shape), _dims(dim), keepdim))})
@quiet
def _std_mean(self, dim=None, correction=1, keepdim=False):
    return _var_np(self, dim, correction, keepdim, "std_mean", root=True)


def _correction(name: str, dim: Any, unbiased: Any, correction: Any) -> tuple:
    """PyTorch's overloads: ``var(x, unbiased)``, ``var(x, dim, unbiased, keepdim)`` and
    ``var(x, dim, *, correction, keepdim)``."""
    if isinstance(dim, builtins.bool):
        dim, unbiased = None, dim
    if unbiased is not None and correction is not None:
        raise TypeError(f"{name}() received an invalid combination of arguments - got both "
                        "'unbiased' and 'correction'")
    if correction is None:
        correction = 0 if unbiased is False else 1
    return dim, correction


def var(input: Tensor, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False, *,
        correction: float | None = None) -> Tensor:
    """The variance over ``dim`` (all by default), dividing by ``N - correction`` (1 by
    default; ``unbiased=False`` is ``correction=0``). Same as ``torch.var``.

    Example:
        >>> dagrad.var(dagrad.tensor([1., 2., 3., 4.]))
        tensor(1.6667)
    """
    dim, correction = _correction("var", dim, unbiased, correction)
    return _var(input, dim, correction, keepdim)


def std(input: Tensor, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False, *,
        correction: float | None = None) -> Tensor:
    """The standard deviation, ``sqrt(var(...))``. Same as ``torch.std``."""
    dim, correction = _correction("std", dim, unbiased, correction)
    return _std(input, dim, correction, keepdim)


def var_mean(input: Tensor, dim: Any = None, unbiased: bool | None = None,
             keepdim: bool = False, *, correction: float | None = None) -> tuple:
    """``(var, mean)`` in one pass (a plain tuple, as in PyTorch). Same as
    ``torch.var_mean``."""
    dim, correction = _correction("var_mean", dim, unbiased, correction)
    return _var_mean(input, dim, correction, keepdim)


def std_mean(input: Tensor, dim: Any = None, unbiased: bool | None = None,
             keepdim: bool = False, *, correction: float | None = None) -> tuple:
    """``(std, mean)`` in one pass. Same as ``torch.std_mean``."""
    dim, correction = _correction("std_mean", dim, unbiased, correction)
    return _std_mean(input, dim, correction, keepdim)


# --------------------------------------------------------------------------- softmax family
# The ops are nn_ops.softmax / log_softmax / logsumexp; these are their torch-namespace faces.


def softmax(input: Tensor, dim: int, dtype: Any = None) -> Tensor:
    """``exp(x) / exp(x).sum(dim)``, computed stably, after an optional cast to ``dtype``.
    Same as ``torch.softmax``."""
    if dtype is not None:
        input = input.to(dtype)
    return nn_ops.softmax(input, dim)


def log_softmax(input: Tensor, dim: int, dtype: Any = None) -> Tensor:
    """``log(softmax(x, dim))``, computed stably. Same as ``torch.log_softmax``."""
    if dtype is not None:
        input = input.to(dtype)
    return nn_ops.log_softmax(input, dim)


logsumexp = nn_ops.logsumexp


# --------------------------------------------------------------------------- logic, counting


def _all_any(fn: Any, x: np.ndarray, dim: Any, keepdim: bool) -> np.ndarray:
    if isinstance(dim, (tuple, list)) and len(dim) == 0:
        out = x.astype(np.bool_)              # an empty dim list reduces nothing
    else:
        out = fn(x, axis=_axes(dim, x.ndim) if dim is not None else None, keepdims=keepdim)
    return np.asarray(out).astype(np.uint8 if x.dtype == np.uint8 else np.bool_)


@defop(node=None, tensors=("self",))
def all(self, dim=None, keepdim=False):
    """True where every element (over ``dim``) is non-zero. Same as ``torch.all``."""
    return _all_any(np.all, self, dim, keepdim)


@defop(node=None, tensors=("self",))
def any(self, dim=None, keepdim=False):
    """True where some element (over ``dim``) is non-zero. Same as ``torch.any``."""
    return _all_any(np.any, self, dim, keepdim)


@defop(node=None, tensors=("self",))
def count_nonzero(self, dim=None):
    """The number of non-zero elements over ``dim`` (all by default), as int64."""
    return _int64(np.count_nonzero(self, axis=_axes(dim, self.ndim)))


@defop(node=None, tensors=("self", "other"))
@quiet
def isclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """``|self - other| <= atol + rtol * |other|`` element-wise (infs equal themselves).

    Example:
        >>> dagrad.isclose(dagrad.tensor([1., 2.]), dagrad.tensor([1., 2.1]))
        tensor([ True, False])
    """
    if isinstance(other, np.ndarray) and other.dtype != self.dtype:
        raise RuntimeError(f"{scalar_type_name(self.dtype)} did not match "
                           f"{scalar_type_name(other.dtype)}")
    return np.isclose(self, other, rtol=rtol, atol=atol, equal_nan=equal_nan)


def allclose(input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08,
             equal_nan: bool = False) -> bool:
    """True if ``isclose`` holds everywhere. Same as ``torch.allclose``."""
    return builtins.bool(isclose(input, other, rtol, atol, equal_nan)._data.all())


def equal(input: Tensor, other: Tensor) -> bool:
    """True if both have the same shape and elements (nan is never equal). Same as
    ``torch.equal``."""
    a, b = input._data, other._data
    return a.shape == b.shape and builtins.bool(np.array_equal(a, b))


# --------------------------------------------------------------------------- unique


def _unique_flat(x: np.ndarray) -> tuple:
    flat = x.reshape(-1)
    order = np.argsort(flat, kind="stable")
    s = flat[order]
    start = np.ones(s.shape, np.bool_)
    start[1:] = s[1:] != s[:-1]                          # nan != nan: every nan is kept
    group = np.cumsum(start) - 1
    inverse = np.empty(flat.shape, np.int64)
    inverse[order] = group
    counts = np.diff(np.append(np.flatnonzero(start), s.size))
    return s[start], inverse.reshape(x.shape), counts


@defop(node=None, tensors=("self",), outputs=3)
def _unique(self, dim=None):
    if dim is None:
        out, inv, counts = _unique_flat(self)
        return out, _int64(inv), _int64(counts)
    d = _wrap(dim, self.ndim)
    out, inv, counts = np.unique(self, axis=d, return_inverse=True, return_counts=True)
    return out, _int64(inv).reshape(-1), _int64(counts)


def _unique_result(outs: tuple, return_inverse: bool, return_counts: bool) -> Any:
    if not return_inverse and not return_counts:
        return outs[0]
    res = (outs[0],) + ((outs[1],) if return_inverse else ()) + (
        (outs[2],) if return_counts else ())
    return res


def unique(input: Tensor, sorted: bool = True, return_inverse: bool = False,
           return_counts: bool = False, dim: int | None = None) -> Any:
    """The sorted unique elements (or unique slices along ``dim``), with the inverse indices
    and counts on request. Not differentiable. Same as ``torch.unique``.

    Example:
        >>> dagrad.unique(dagrad.tensor([3, 1, 3]), return_counts=True)
        (tensor([1, 3]), tensor([1, 2]))
    """
    return _unique_result(_unique(input, dim), return_inverse, return_counts)


@defop(node=None, tensors=("self",), outputs=3)
def _unique_consecutive(self, dim=None):
    if dim is None:
        x = self.reshape(-1)
        shape = self.shape
        keys = x
    else:
        d = _wrap(dim, self.ndim)
        x = np.moveaxis(self, d, 0)
        shape = (x.shape[0],)
        keys = x.reshape(x.shape[0], -1)
    n = keys.shape[0]
    start = np.ones(n, np.bool_)
    if n > 1:
        diff = keys[1:] != keys[:-1]
        start[1:] = diff if diff.ndim == 1 else diff.any(axis=1)
    out = x[start]
    if dim is not None:
        out = np.moveaxis(out, 0, d)
    inverse = (np.cumsum(start) - 1).reshape(shape)
    counts = np.diff(np.append(np.flatnonzero(start), n))
    return out, _int64(inverse), _int64(counts)


def unique_consecutive(input: Tensor, return_inverse: bool = False,
                       return_counts: bool = False, dim: int | None = None) -> Any:
    """Collapse runs of equal consecutive elements (or slices along ``dim``). Same as
    ``torch.unique_consecutive``."""
    return _unique_result(_unique_consecutive(input, dim), return_inverse, return_counts)


# --------------------------------------------------------------------------- bucketing


@defop(node=None, tensors=("sorted_sequence", "input", "sorter"))
def _searchsorted(sorted_sequence, input, out_int32=False, right=False, side=None,
                  sorter=None):
    seq, vals = sorted_sequence, np.asarray(input)
    scalar = not isinstance(input, np.ndarray)
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError("dagrad.searchsorted(): side can only be 'left' or 'right' but "
                               f"got {side}")
        if right and side == "left":
            raise RuntimeError("dagrad.searchsorted(): side and right can't be set to "
                               "opposites, got side of left while right was True")
        right = side == "right"
    if scalar and seq.ndim != 1:
        raise RuntimeError("dagrad.searchsorted(): input value can be a scalar only when "
                           f"boundaries tensor dimension is 1, but we got boundaries tensor "
                           f"dim({seq.ndim}) and input value's dim(0) numel(1)")
    if seq.ndim > 1 and (vals.ndim != seq.ndim or seq.shape[:-1] != vals.shape[:-1]):
        raise RuntimeError("dagrad.searchsorted(): boundaries tensor should be 1 dimension or the "
                           "first N-1 dimensions of boundaries tensor and input value tensor "
                           f"must match, but we got boundaries tensor {list(seq.shape)} and "
                           f"input value tensor {list(vals.shape)}")
    if sorter is not None:
        seq = np.take_along_axis(seq, sorter, axis=-1)
    how = "right" if right else "left"
    if seq.ndim <= 1:
        out = np.searchsorted(seq.reshape(-1), vals, side=how)
    else:
        rows_s = seq.reshape(-1, seq.shape[-1])
        rows_v = vals.reshape(-1, vals.shape[-1])
        out = np.stack([np.searchsorted(s, v, side=how) for s, v in zip(rows_s, rows_v,
                                                                           strict=True)])
        out = out.reshape(vals.shape)
    return np.asarray(out, dtype=np.int32 if out_int32 else np.int64)


def searchsorted(sorted_sequence: Tensor, input: Any, *, out_int32: bool = False,
                 right: bool = False, side: str | None = None, sorter: Any = None) -> Tensor:
    """Where ``input`` would be inserted into the innermost dim of ``sorted_sequence`` to keep
    it sorted (``right=True``/``side='right'``: after equal elements). Same as
    ``torch.searchsorted``.

    Example:
        >>> dagrad.searchsorted(dagrad.tensor([1, 3, 5, 7]), dagrad.tensor([3, 6]))
        tensor([1, 3])
    """
    return _searchsorted(sorted_sequence, input, out_int32, right, side, sorter)


def bucketize(input: Any, boundaries: Tensor, *, out_int32: bool = False,
              right: bool = False) -> Tensor:
    """The bucket of each element: ``i`` with ``boundaries[i-1] < x <= boundaries[i]``
    (``right=True``: ``boundaries[i-1] <= x < boundaries[i]``). Same as ``torch.bucketize``."""
    if boundaries.dim() != 1:
        raise RuntimeError("boundaries tensor must be 1 dimension, but got "
                           f"dim({boundaries.dim()})")
    return _searchsorted(boundaries, input, out_int32, right, None, None)


@defop(node=None, tensors=("self",))
@quiet
def histc(self, bins=100, min=0, max=0):
    """A histogram of ``bins`` equal bins over ``[min, max]`` (the data's range if both are 0);
    elements outside are ignored. Same as ``torch.histc``.

    Example:
        >>> dagrad.histc(dagrad.tensor([1., 2., 1.]), bins=4, min=0, max=3)
        tensor([0., 2., 1., 0.])
    """
    if self.dtype.kind != "f":
        raise NotImplementedError('"histogram_cpu" not implemented for '
                                  f"'{scalar_type_name(self.dtype)}'")
    if bins <= 0:
        raise RuntimeError(f"dagrad.histogram(): bins must be > 0, but got {bins} for dimension 0")
    lo, hi = float(min), float(max)
    if lo > hi:
        raise RuntimeError("dagrad.histc: max must be larger than min")
    if lo == hi and self.size:
        lo, hi = float(np.min(self)), float(np.max(self))
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise RuntimeError(f"dagrad.histc: range of [{lo:g}, {hi:g}] is not finite")
    x = self.reshape(-1)
    keep = (x >= lo) & (x <= hi)
    x = x[keep]
    lo_t, hi_t = np.asarray(lo, self.dtype), np.asarray(hi, self.dtype)
    pos = ((x - lo_t) / (hi_t - lo_t) * bins).astype(np.int64)
    pos = np.minimum(pos, bins - 1)
    return np.bincount(pos, minlength=bins).astype(self.dtype)


# --------------------------------------------------------------------------- the tables

#: Names for ``dagrad.<name>``.
__all__ = [
    "return_types", "max", "min", "amax", "amin", "argmax", "argmin", "aminmax", "sort",
    "argsort", "topk", "kthvalue", "median", "nanmedian", "mode", "cumsum", "cumprod", "cummax",
    "cummin", "logcumsumexp", "prod", "nansum", "nanmean", "var", "std", "var_mean", "std_mean",
    "softmax", "log_softmax", "logsumexp", "all", "any", "count_nonzero", "unique",
    "unique_consecutive", "allclose", "isclose", "equal", "searchsorted", "bucketize", "histc",
]

#: Tensor methods: ``x.<name>(...)`` calls ``METHODS[name](x, ...)``.
METHODS = {name: globals()[name] for name in __all__ if name not in (
    "return_types", "var_mean", "std_mean", "searchsorted", "bucketize")}
