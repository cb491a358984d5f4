"""Gather, scatter, index and mask ops — ``gather``, ``scatter``, ``scatter_add``,
``scatter_reduce``, ``index_select``, ``index_add``, ``index_copy``, ``index_fill``, ``index_put``,
``masked_fill``, ``masked_select``, ``masked_scatter``, ``put`` — their in-place variants, and the
in-place methods of the pointwise and special ops (``INPLACE_METHODS``, with ``clamp_min`` and
``clamp_max``, which ``clamp_min_``/``clamp_max_`` need).

Each op is a NumPy kernel, PyTorch's node name and one derivative formula per input, as
everywhere in ``dagrad/ops``. The formulas are written with the ops of this module — gather's
derivative is a scatter_add, scatter_add's is a gather, masked_select's a masked_scatter — so
every order differentiates. Arguments are checked before any work, with PyTorch's messages.

Note [Gather/scatter geometry]
``gather(self, dim, index)[i][j][k] == self[i][index[i][j][k]][k]`` (for ``dim == 1``), and
scatter writes the other way round. ``index`` may be smaller than ``self`` (and than ``src``) in
every dim but ``dim``; only its own extent is read or written. A 0-dim tensor counts as a 1-D
tensor of one element. Out-of-range indices are an error (never wrapped), except for
``index_fill`` and ``put``, which accept ``-size <= i < 0`` as PyTorch does.

Note [Scatter with repeated indices]
``scatter``, ``index_copy`` and ``index_put`` (without ``accumulate``) are nondeterministic in
PyTorch when an index repeats; dagrad keeps the last write (NumPy's order). The accumulating ops
(``scatter_add``, ``scatter_reduce``, ``index_add``, ``put``/``index_put`` with ``accumulate``)
combine every write, so they are deterministic.
"""
from __future__ import annotations

import warnings
from types import MethodType
from typing import Any, Callable

import numpy as np

from dagrad import _errors
from dagrad._npquiet import quiet
from dagrad._tensor import Tensor
from dagrad.ops import _formulas, inplace, pointwise as P, special as S
from dagrad.ops._registry import defop
from dagrad.ops.indexing import _index, _index_error
from dagrad.ops.pointwise import eq, logical_and, scalar_type_name, where
from dagrad.ops.shape import _expand_shape

# --------------------------------------------------------------------------- helpers

# C++ type names, as PyTorch's masked_fill and cauchy_ messages print them
_CPP_NAME = {"float16": "c10::Half", "float32": "float", "float64": "double",
             "complex64": "c10::complex<float>", "complex128": "c10::complex<double>",
             "uint8": "unsigned char", "int8": "signed char", "int16": "short int", "int32": "int",
             "int64": "long int", "bool": "bool"}
_INT32_64 = (np.dtype(np.int32), np.dtype(np.int64))


def _wrap(dim: Any, ndim: int) -> int:
    """``dim`` as a non-negative int (0 for a 0-dim tensor), raising PyTorch's IndexError."""
    dims = _formulas.normalize_dims(int(dim), ndim)
    return dims[0] if ndim else 0


def _as1d(a: np.ndarray) -> np.ndarray:
    """A 0-dim array as a 1-element 1-D view (Note [Gather/scatter geometry])."""
    return a.reshape(1) if a.ndim == 0 else a


def _first_bad(index: np.ndarray, lo: int, hi: int) -> int | None:
    """The first element of ``index`` (in C order) outside ``[lo, hi)``, or None."""
    bad = (index < lo) | (index >= hi)
    if not bad.any():
        return None
    return int(np.asarray(index)[bad].flat[0])


def _check_bounds(index: np.ndarray, size: int, dim: int, *, negative: bool = False,
                  prefix: str = "", error: type = RuntimeError) -> None:
    v = _first_bad(index, -size if negative else 0, size)
    if v is not None:
        raise error(prefix + _errors.INDEX_OUT_OF_RANGE.format(index=v, dim=dim, size=size))


def _broadcast(a: tuple, b: tuple) -> tuple:
    """``np.broadcast_shapes(a, b)`` with PyTorch's message (``a`` is "tensor a")."""
    try:
        return np.broadcast_shapes(a, b)
    except ValueError:
        n = max(len(a), len(b))
        for i in range(n - 1, -1, -1):
            off = n - 1 - i
            sa = a[len(a) - 1 - off] if off < len(a) else 1
            sb = b[len(b) - 1 - off] if off < len(b) else 1
            if sa != sb and sa != 1 and sb != 1:
                raise RuntimeError(_errors.BROADCAST.format(a=sa, b=sb, dim=i)) from None
        raise


def _grid(index: np.ndarray, d: int) -> tuple:
    """The NumPy index that addresses ``[i0, ..., index[i0, ...], ...]`` (``index`` along d)."""
    grid = list(np.indices(index.shape, sparse=True))
    grid[d] = index
    return tuple(grid)


def _leading(a: np.ndarray, shape: tuple) -> np.ndarray:
    """The leading ``shape`` corner of ``a`` (a view)."""
    return a[tuple(slice(0, n) for n in shape)]


def _zeros(shape: tuple, like: Tensor) -> Tensor:
    return Tensor._make(np.zeros(shape, like._data.dtype))


def _zeros_like(t: Tensor) -> Tensor:
    return Tensor._make(np.zeros(t._data.shape, t._data.dtype))


def _alpha(t: Tensor, alpha: Any) -> Tensor:
    return t if alpha == 1 else t * alpha


# --------------------------------------------------------------------------- gather


def _gather_checks(self: np.ndarray, d: int, index: np.ndarray) -> None:
    if index.dtype not in _INT32_64:
        raise RuntimeError("gather(): Expected dtype int32/int64 for index")
    if index.size == 0:
        return
    n = max(self.ndim, 1)
    if max(index.ndim, 1) != n:
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
    x, i = _as1d(self), _as1d(index)
    for k in range(n):
        if k != d and i.shape[k] > x.shape[k]:
            raise RuntimeError(f"Size does not match at dimension {k} expected index "
                               f"{list(index.shape)} to be no larger than self "
                               f"{list(self.shape)} apart from dimension {d}")
    _check_bounds(i, x.shape[d], d)


@defop(node="GatherBackward0", tensors=("index",), grads={
    "self": lambda grad, self_shape, dim, index: scatter_add(_zeros(self_shape, grad), dim,
                                                             index, grad)})
def gather(self, dim, index, sparse_grad=False):
    """Values of ``self`` along ``dim`` at ``index``: for ``dim == 1``,
    ``out[i][j] = self[i][index[i][j]]``. ``index`` has ``self``'s number of dims and may be
    smaller in the others; ``sparse_grad`` is accepted and ignored. Same as ``torch.gather``.

    Shape:
        self (*), index (*) int64/int32 -> out: index's shape, self's dtype

    Example:
        >>> dagrad.gather(dagrad.tensor([[1., 2.], [3., 4.]]), 1, dagrad.tensor([[0, 0], [1, 0]]))
        tensor([[1., 1.],
                [4., 3.]])
    """
    d = _wrap(dim, self.ndim)
    _gather_checks(self, d, index)
    if index.size == 0:
        return np.zeros(index.shape, self.dtype)
    i = _as1d(index)
    return _as1d(self)[_grid(i, d)].reshape(index.shape)


# --------------------------------------------------------------------------- scatter family


def _scatter_checks(self: np.ndarray, d: int, index: np.ndarray, src: Any) -> None:
    """PyTorch's scatter_gather_dtype_check and scatter_shape_check (``src`` None: a value)."""
    if index.dtype not in _INT32_64:
        raise RuntimeError("scatter(): Expected dtype int32/int64 for index")
    has_src = isinstance(src, np.ndarray)
    if has_src and src.dtype != self.dtype:
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
    if index.size == 0:
        return
    n = max(index.ndim, 1)
    if max(self.ndim, 1) != n:
        raise RuntimeError("Index tensor must have the same number of dimensions as self tensor")
    x, i = _as1d(self), _as1d(index)
    wrong = any(k != d and i.shape[k] > x.shape[k] for k in range(n))
    if has_src:
        if max(src.ndim, 1) != n:
            raise RuntimeError("Index tensor must have the same number of dimensions as src "
                               "tensor")
        wrong = wrong or any(i.shape[k] > _as1d(src).shape[k] for k in range(n))
        if wrong:
            raise RuntimeError(f"Expected index {list(index.shape)} to be no larger than self "
                               f"{list(self.shape)} apart from dimension {d} and to be no larger "
                               f"size than src {list(src.shape)}")
    elif wrong:
        raise RuntimeError(f"Expected index {list(index.shape)} to be no larger than self "
                           f"{list(self.shape)} apart from dimension {d}")
    _check_bounds(i, x.shape[d], d)


def _scatter_kernel(self: np.ndarray, dim: Any, index: np.ndarray, src: Any,
                    ufunc: Any = None, identity: Any = None) -> np.ndarray:
    """A copy of ``self`` with ``src`` (an array or a number) written at ``index`` along
    ``dim``; with ``ufunc``, combined by ``ufunc.at`` (after setting the written places to
    ``identity`` if given)."""
    d = _wrap(dim, self.ndim)
    _scatter_checks(self, d, index, src)
    out = np.array(self, copy=True, order="C")
    if index.size == 0:
        return out
    i = _as1d(index)
    where_ = _grid(i, d)
    view = _as1d(out)
    values = _leading(_as1d(src), i.shape) if isinstance(src, np.ndarray) else src
    if ufunc is None:
        view[where_] = values
        return out
    if identity is not None:
        view[where_] = identity
    ufunc.at(view, where_, values)
    return out


@defop(node="ScatterBackward0", tensors=("index",), grads={
    "self": lambda grad, dim, index: _scatter_value(grad, dim, index, 0),
    "src": lambda grad, dim, index: gather(grad, dim, index),
})
def _scatter_src(self, dim, index, src):
    return _scatter_kernel(self, dim, index, src)


@defop(node="ScatterBackward1", tensors=("index",), grads={
    "self": lambda grad, dim, index: _scatter_value(grad, dim, index, 0),
})
def _scatter_value(self, dim, index, value):
    return _scatter_kernel(self, dim, index, value)


_REDUCE_UFUNC = {"add": np.add, "multiply": np.multiply}


def _no_scatter_derivative(grad: Tensor, aten: str) -> Tensor:
    raise RuntimeError(f"derivative for aten::{aten} is not implemented")


@defop(node="NotImplemented", tensors=("index",), grads={
    "self": _no_scatter_derivative, "src": _no_scatter_derivative})
def _scatter_legacy(self, dim, index, src, value, reduce, aten="scatter"):
    """``scatter(..., reduce='add'|'multiply')``: PyTorch has no derivative for it (``aten``
    names the op in the message: ``scatter`` or ``scatter_``)."""
    return _scatter_kernel(self, dim, index, src if src is not None else value,
                           _REDUCE_UFUNC[reduce])


_SCATTER_SIGNATURES = (
    "scatter() received an invalid combination of arguments - got ({got}), but expected one "
    "of:\n * (Tensor input, int dim, Tensor index, Tensor src, *, Tensor out = None)\n"
    " * (Tensor input, int dim, Tensor index, Tensor src, *, str reduce, Tensor out = None)\n"
    " * (Tensor input, int dim, Tensor index, Number value, *, Tensor out = None)\n"
    " * (Tensor input, int dim, Tensor index, Number value, *, str reduce, Tensor out = None)\n")


def scatter(input: Tensor, dim: int, index: Tensor, src: Any = None, value: Any = None, *,
            reduce: str | None = None) -> Tensor:
    """A copy of ``input`` with ``src`` (a tensor) or ``value`` (a number) written at
    ``index`` along ``dim``: for ``dim == 0``, ``out[index[i][j]][j] = src[i][j]``. With
    ``reduce='add'`` or ``'multiply'`` the writes combine with what is there (not
    differentiable, as in PyTorch; prefer ``scatter_reduce``). Same as ``torch.scatter``.

    Shape:
        input (*), index (*) int64/int32, src (*) -> out: input's shape

    Example:
        >>> dagrad.scatter(dagrad.zeros(2, 3), 0, dagrad.tensor([[1, 0, 1]]),
        ...                dagrad.tensor([[1., 2., 3.]]))
        tensor([[0., 2., 0.],
                [1., 0., 3.]])
    """
    return _scatter(input, dim, index, src, value, reduce, "scatter")


def _scatter(input: Tensor, dim: int, index: Tensor, src: Any, value: Any, reduce: str | None,
             aten: str) -> Tensor:
    """``scatter`` (``aten="scatter"``) and the op ``scatter_`` runs (``"scatter_"``)."""
    if src is None and value is None or src is not None and value is not None:
        got = ", ".join(type(a).__name__ for a in (input, dim, index) + ((src,) if src is not None
                                                                        else ()))
        raise TypeError(_SCATTER_SIGNATURES.format(got=got))
    if src is not None and not isinstance(src, Tensor):
        src, value = None, src
    if reduce is not None:
        if reduce not in _REDUCE_UFUNC:
            raise RuntimeError("reduce argument must be either add or multiply.")
        if src is not None:
            warnings.warn("The reduce argument of dagrad.scatter with Tensor src is deprecated "
                          "and will be removed in a future PyTorch release. Use "
                          "dagrad.scatter_reduce instead for more reduction options.",
                          UserWarning, stacklevel=3)
        return _scatter_legacy(input, dim, index, src, value, reduce, aten)
    if src is not None:
        return _scatter_src(input, dim, index, src)
    return _scatter_value(input, dim, index, value)


@defop(node="ScatterAddBackward0", tensors=("index",), grads={
    "self": lambda grad: grad,
    "src": lambda grad, dim, index: gather(grad, dim, index),
})
@quiet
def scatter_add(self, dim, index, src):
    """A copy of ``self`` with ``src`` added at ``index`` along ``dim`` (repeated indices add
    up): for ``dim == 0``, ``out[index[i][j]][j] += src[i][j]``. Same as ``torch.scatter_add``.

    Example:
        >>> dagrad.scatter_add(dagrad.zeros(3), 0, dagrad.tensor([0, 0, 2]),
        ...                    dagrad.tensor([1., 2., 3.]))
        tensor([3., 0., 3.])
    """
    return _scatter_kernel(self, dim, index, src, np.add)


_REDUCTIONS = ("sum", "prod", "mean", "amax", "amin")


def _identity(reduce: str, dt: np.dtype) -> Any:
    """The value a place takes before the first write when ``include_self=False``."""
    if reduce in ("sum", "mean"):
        return 0
    if reduce == "prod":
        return 1
    if dt == np.bool_:
        return reduce == "amin"
    if dt.kind in "iu":
        info = np.iinfo(dt)
        return info.min if reduce == "amax" else info.max
    return -np.inf if reduce == "amax" else np.inf


def _mean_count(like: np.ndarray, dim: Any, index: np.ndarray, include_self: bool) -> np.ndarray:
    """How many values each place of scatter_reduce(..., 'mean') averages (at least 1)."""
    count = np.full(like.shape, 1 if include_self else 0, np.int64)
    count = _scatter_kernel(count, dim, index.astype(np.int64), 1, np.add)
    count[count == 0] = 1
    return count


def _check_reduce(reduce: str) -> None:
    if reduce not in _REDUCTIONS:
        raise RuntimeError("reduce argument must be either sum, prod, mean, amax or amin, got "
                           f"{reduce}")


# Note [scatter_reduce derivative]: PyTorch's scatter_reduce_backward, term by term. prod
# divides the result by each factor, with zeros masked so a single zero still gets the product
# of the others; amax/amin split the gradient evenly among every value equal to the result
# (self included); without include_self, self's places that were written get no gradient.


def _sr_self(grad, self, index, src, result, dim, reduce, include_self):
    if reduce == "sum":
        g = grad
    elif reduce == "prod":
        masked_self = masked_fill(self, eq(self, 0), 1)
        g = grad * scatter_reduce(masked_self, dim, index, src, reduce, include_self) / masked_self
    elif reduce == "mean":
        count = _mean_count(grad._data, dim, index._data, include_self)
        g = grad / Tensor._make(count.astype(grad._data.dtype))
    else:
        self_is_result = eq(self, result).to(self.dtype)
        src_is_result = eq(src, gather(result, dim, index)).to(self.dtype)
        g = self_is_result * (grad / scatter_add(self_is_result, dim, index, src_is_result))
    return g if include_self else _scatter_value(g, dim, index, 0)


def _sr_src(grad, self, index, src, result, dim, reduce, include_self):
    if reduce == "sum":
        return gather(grad, dim, index)
    if reduce == "prod":
        src_zero = eq(src, 0)
        zeros = scatter_add(_zeros_like(self), dim, index, src_zero.to(self.dtype))
        single_zero = logical_and(src_zero, eq(gather(zeros, dim, index), 1))
        masked_result = scatter_reduce(self, dim, index, masked_fill(src, single_zero, 1), reduce,
                                       include_self)
        return where(single_zero, gather(grad * masked_result, dim, index),
                     gather(grad * result, dim, index) / masked_fill(src, src_zero, 1))
    if reduce == "mean":
        count = _mean_count(grad._data, dim, index._data, include_self)
        return gather(grad / Tensor._make(count.astype(grad._data.dtype)), dim, index)
    self_is_result = eq(self, result).to(self.dtype)
    src_is_result = eq(src, gather(result, dim, index)).to(self.dtype)
    share = grad / scatter_add(self_is_result, dim, index, src_is_result)
    return src_is_result * gather(share, dim, index)


@defop(node="ScatterReduceBackward0", tensors=("index",), grads={"self": _sr_self, "src": _sr_src})
@quiet
def scatter_reduce(self, dim, index, src, reduce, include_self=True):
    """A copy of ``self`` where each place written by ``src`` (at ``index`` along ``dim``)
    becomes the ``reduce`` ("sum", "prod", "mean", "amax" or "amin") of the values written
    there, and of its own value if ``include_self``. Integer "mean" rounds down. Same as
    ``torch.scatter_reduce``.

    Example:
        >>> dagrad.scatter_reduce(dagrad.tensor([1., 2.]), 0, dagrad.tensor([0, 0, 1]),
        ...                       dagrad.tensor([3., 5., 4.]), "amax")
        tensor([5., 4.])
    """
    _check_reduce(reduce)
    ufunc = {"sum": np.add, "mean": np.add, "prod": np.multiply, "amax": np.maximum,
             "amin": np.minimum}[reduce]
    identity = None if include_self else _identity(reduce, self.dtype)
    out = _scatter_kernel(self, dim, index, src, ufunc, identity)
    if reduce == "mean":
        count = _mean_count(out, dim, index, include_self)
        if out.dtype.kind in "iub":
            out = np.floor_divide(out, count).astype(out.dtype)
        else:
            out = (out / count).astype(out.dtype)
    return out


# --------------------------------------------------------------------------- index_* family


def _moved(a: np.ndarray, d: int) -> np.ndarray:
    """``a`` with ``d`` first (a view; a 0-dim array as one element)."""
    return np.moveaxis(_as1d(a), d, 0)


def _without(shape: tuple, d: int) -> list:
    rest = list(shape)
    if d < len(rest):
        del rest[d]
    return rest


@defop(node="IndexSelectBackward0", tensors=("index",), grads={
    "self": lambda grad, self_shape, dim, index: index_add(_zeros(self_shape, grad), dim, index,
                                                           grad)})
def index_select(self, dim, index):
    """The slices of ``self`` along ``dim`` at the positions in ``index`` (a vector).
    Same as ``torch.index_select``.

    Shape:
        self (*, n, *), index (k,) -> (*, k, *)

    Example:
        >>> dagrad.index_select(dagrad.tensor([[1., 2.], [3., 4.]]), 1, dagrad.tensor([1, 1]))
        tensor([[2., 2.],
                [4., 4.]])
    """
    if index.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    if self.ndim == 0 and index.size != 1:
        raise RuntimeError("index_select(): Index to scalar can have only 1 value, got "
                           f"{index.size} value(s)")
    if index.dtype not in _INT32_64:
        raise RuntimeError("index_select(): Expected dtype int32 or int64 for index")
    d = _wrap(dim, self.ndim)
    x = _as1d(self)
    if _first_bad(index, 0, x.shape[d]) is not None:
        raise IndexError("index out of range in self")
    out = np.take(x, index.reshape(-1), axis=d)
    return out.reshape(()) if self.ndim == 0 else out


def _index_add_checks(self: np.ndarray, d: int, index: np.ndarray, source: np.ndarray) -> None:
    if index.ndim > 1:
        raise IndexError(f"index_add_(): Index is supposed to be a vector, but got dim: "
                         f"{index.ndim} with type: {scalar_type_name(index.dtype)} and size: "
                         f"{list(index.shape)}")
    if index.dtype not in _INT32_64:
        raise RuntimeError("index_add_(): Expected dtype int32/int64 for index but got: "
                           f"{scalar_type_name(index.dtype)}")
    if self.dtype != source.dtype:
        raise RuntimeError(f"index_add_(): self ({scalar_type_name(self.dtype)}) and source "
                           f"({scalar_type_name(source.dtype)}) must have the same scalar type")
    n = source.shape[d] if source.ndim > d else 1
    if index.size != n:
        raise RuntimeError(f"index_add_(): Number of indices ({index.size}) should be equal to "
                           f"source.size(dim): ({n}), for dim: {d}")
    if (self.ndim and source.ndim and self.ndim != source.ndim) or \
            _without(self.shape, d) != _without(source.shape, d) or \
            (self.ndim == 0 and source.ndim):
        raise RuntimeError("source tensor shape must match self tensor shape, excluding the "
                           f"specified dimension. Got self.shape = {list(self.shape)} "
                           f"source.shape = {list(source.shape)}")
    _check_bounds(index, _as1d(self).shape[d], d)


@defop(node="IndexAddBackward0", tensors=("index",), grads={
    "self": lambda grad: grad,
    "source": lambda grad, dim, index, source_shape, alpha: _alpha(
        index_select(grad, dim, index).expand(source_shape), alpha),
})
@quiet
def index_add(self, dim, index, source, alpha=1):
    """A copy of ``self`` with ``alpha * source`` added to the slices along ``dim`` at
    ``index`` (repeated indices add up). Same as ``torch.index_add``.

    Example:
        >>> dagrad.index_add(dagrad.zeros(3), 0, dagrad.tensor([0, 0]), dagrad.tensor([1., 2.]))
        tensor([3., 0., 0.])
    """
    d = _wrap(dim, self.ndim)
    _index_add_checks(self, d, index, source)
    out = np.array(self, copy=True, order="C")
    if alpha != 1:
        source = np.multiply(source, alpha).astype(self.dtype)
    np.add.at(_moved(out, d), index.reshape(-1), _moved(source, d))
    return out


def _index_copy_checks(self: np.ndarray, d: int, index: np.ndarray, source: np.ndarray) -> None:
    if index.ndim >= 2:
        raise IndexError(f"index_copy_(): Index should have dimension 1 or 0 (got {index.ndim})")
    if source.ndim == 0 and index.size != 1:
        raise IndexError("index_copy_(): When source is scalar, index should have one element "
                         f"(got {index.size})")
    if source.ndim != self.ndim and source.ndim != 0 and self.ndim != 0:
        raise IndexError("index_copy_(): When source and destination are not scalars, their "
                         f"dimensionality must match. Source dimensionality ({source.ndim}), "
                         f"destination dimensionality ({self.ndim})")
    if index.dtype != np.int64:
        raise RuntimeError("index_copy_(): Expected a long tensor for index, but got "
                           f"{scalar_type_name(index.dtype)}")
    if self.dtype != source.dtype:
        raise RuntimeError("index_copy_(): self and source expected to have the same dtype, but "
                           f"got (self) {scalar_type_name(self.dtype)} and (source) "
                           f"{scalar_type_name(source.dtype)}")
    a, b = _without(self.shape, d), _without(source.shape, d)
    if a != b:
        raise RuntimeError("index_copy_(): Source/destination tensor must have same slice "
                           f"shapes. Destination slice shape: {' '.join(map(str, a))} at "
                           f"dimension {d} and source slice shape: {' '.join(map(str, b))} at "
                           "dimension 0.")
    if source.ndim and index.size != source.shape[d]:
        raise IndexError(f"index_copy_(): Number of indices ({index.size}) should be equal to "
                         f"source.size(dim) ({source.shape[d]})")
    _check_bounds(index, _as1d(self).shape[d], d, prefix="index_copy_(): ", error=IndexError)


@defop(node="IndexCopyBackward0", tensors=("index",), grads={
    "self": lambda grad, dim, index: index_fill(grad, dim, index, 0),
    "source": lambda grad, dim, index: index_select(grad, dim, index),
})
def index_copy(self, dim, index, source):
    """A copy of ``self`` whose slices along ``dim`` at ``index`` are replaced by the slices of
    ``source`` (Note [Scatter with repeated indices]). Same as ``torch.index_copy``.

    Example:
        >>> dagrad.index_copy(dagrad.zeros(3), 0, dagrad.tensor([2, 0]), dagrad.tensor([1., 2.]))
        tensor([2., 0., 1.])
    """
    d = _wrap(dim, self.ndim)
    _index_copy_checks(self, d, index, source)
    out = np.array(self, copy=True, order="C")
    _moved(out, d)[index.reshape(-1)] = _moved(source, d)
    return out


def _unique_index(index: Tensor, size: int) -> Tensor:
    i = index._data.reshape(-1)
    return Tensor._make(np.unique(np.where(i < 0, i + size, i)))


def _index_fill_node(self, dim, index, value) -> str:
    return "IndexFillBackward1" if isinstance(value, Tensor) else "IndexFillBackward0"


@defop(node=_index_fill_node, tensors=("index",), grads={
    "self": lambda grad, dim, index: index_fill(grad, dim, index, 0),
    "value": lambda grad, dim, index: index_select(
        grad, dim, _unique_index(index, _as1d(grad._data).shape[_wrap(dim, grad.dim())])).sum(),
})
def index_fill(self, dim, index, value):
    """A copy of ``self`` whose slices along ``dim`` at ``index`` are set to ``value`` (a number
    or a 0-dim tensor, which is differentiable). Same as ``torch.index_fill``.

    Example:
        >>> dagrad.index_fill(dagrad.zeros(2, 2), 1, dagrad.tensor([1]), 5.)
        tensor([[0., 5.],
                [0., 5.]])
    """
    if isinstance(value, np.ndarray) and value.ndim:
        raise RuntimeError("index_fill_ only supports a 0-dimensional value tensor, but got "
                           f"tensor with {value.ndim} dimension(s).")
    if index.dtype != np.int64:
        raise IndexError("index_fill_(): Expected dtype int64 for index.")
    d = _wrap(dim, self.ndim)
    if index.ndim > 1:
        raise RuntimeError("Index has to be a vector/scalar")
    size = _as1d(self).shape[d]
    _check_bounds(index, size, d, negative=True, error=IndexError)
    out = np.array(self, copy=True, order="C")
    _moved(out, d)[index.reshape(-1)] = value
    return out


# --------------------------------------------------------------------------- index_put, put


def _index_put_values_grad(grad: Tensor, indices: tuple) -> Tensor:
    return _index(grad, indices)


@defop(name="_index_put_impl", node="IndexPutBackward0", grads={
    "self": lambda grad, indices, values, accumulate: grad if accumulate else _index_put_impl(
        grad, indices, _zeros_like(values), False),
    "values": lambda grad, indices: _index_put_values_grad(grad, indices),
})
@quiet
def _index_put_impl(self, indices, values, accumulate):
    """``self[indices] = values`` (``+=`` with ``accumulate``) on a copy; ``indices`` a tuple
    of NumPy integer arrays."""
    try:
        target = self[indices]
    except IndexError as e:
        raise IndexError(_index_error(self, indices, e)) from None
    try:
        vals = np.broadcast_to(values, target.shape)
    except ValueError:
        raise RuntimeError(f"shape mismatch: value tensor of shape {list(np.shape(values))} cannot "
                           f"be broadcast to indexing result of shape {list(target.shape)}"
                           ) from None
    out = np.array(self, copy=True, order="C")
    if accumulate:
        np.add.at(out, indices, vals)
    else:
        out[indices] = vals
    return out


def _np_indices(indices: Any, fn: str) -> tuple:
    """The tuple of index tensors as NumPy integer arrays (bool masks become their nonzeros)."""
    if not isinstance(indices, (tuple, list)):
        raise TypeError(f"{fn}(): argument 'indices' (position 1) must be tuple of Tensors, not "
                        f"{type(indices).__name__}")
    out = []
    for k, t in enumerate(indices):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {k} in argument 1, but got "
                            f"{type(t).__name__}")
        a = t._data
        if a.dtype == np.bool_:
            out.extend(np.nonzero(a))
        elif a.dtype == np.uint8:
            raise RuntimeError("masked_fill_ only supports boolean masks, but got mask with "
                               "dtype unsigned char")
        elif a.dtype.kind in "iu":
            out.append(a)
        else:
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
    return tuple(out)


def index_put(input: Tensor, indices: tuple, values: Tensor, accumulate: bool = False) -> Tensor:
    """``input[indices] = values`` on a copy (``+=`` with ``accumulate``, where repeated
    indices add up); ``indices`` is a tuple of integer or bool tensors, ``values`` broadcasts
    to the indexed shape. Same as ``torch.index_put``.

    Example:
        >>> dagrad.index_put(dagrad.zeros(3), (dagrad.tensor([0, 0]),), dagrad.tensor([1., 2.]),
        ...                  accumulate=True)
        tensor([3., 0., 0.])
    """
    idx = _np_indices(indices, "index_put")
    n = sum(t._data.ndim if t._data.dtype == np.bool_ else 1 for t in indices)
    if n > input.dim():
        raise IndexError(f"too many indices for tensor of dimension {input.dim()} (got {n})")
    if values._data.dtype != input._data.dtype:
        raise RuntimeError("Index put requires the source and destination dtypes match, got "
                           f"{scalar_type_name(input._data.dtype)} for the destination and "
                           f"{scalar_type_name(values._data.dtype)} for the source.")
    return _index_put_impl(input, idx, values, bool(accumulate))


def _take_grad(grad: Tensor, index: Tensor, source_shape: tuple) -> Tensor:
    """``grad.take(index)`` shaped like ``source`` (put's derivative for ``source``)."""
    return _index(grad.reshape(-1), (index._data.reshape(-1),)).reshape(source_shape)


@defop(node="PutBackward0", tensors=("index",), grads={
    "self": lambda grad, index, source, accumulate: grad if accumulate else put(
        grad, index, _zeros_like(source), False),
    "source": lambda grad, index, source_shape: _take_grad(grad, index, source_shape),
})
@quiet
def put(self, index, source, accumulate=False):
    """A copy of ``self``, seen as 1-D, with ``source`` written at the flat positions
    ``index`` (added up with ``accumulate``; negative positions count from the end).
    Same as ``torch.put``.

    Example:
        >>> dagrad.put(dagrad.zeros(2, 2), dagrad.tensor([3, 0]), dagrad.tensor([1., 2.]))
        tensor([[2., 0.],
                [0., 1.]])
    """
    if index.dtype != np.int64:
        raise RuntimeError(f"put_(): Expected a long tensor for index, but got "
                           f"{scalar_type_name(index.dtype)}")
    if self.dtype != source.dtype:
        raise RuntimeError("put_(): self and source expected to have the same dtype, but got "
                           f"self.dtype = {scalar_type_name(self.dtype)} and source.dtype = "
                           f"{scalar_type_name(source.dtype)}")
    if index.size != source.size:
        raise IndexError("put_(): Expected source and index to have the same number of "
                         f"elements, but got source.numel() = {source.size}, index.numel() = "
                         f"{index.size}")
    v = _first_bad(index, -self.size, self.size)
    if v is not None:
        raise IndexError(f"out of range: tried to access index {v} on a tensor of {self.size} "
                         "elements.")
    out = np.array(self, copy=True, order="C")
    flat = out.reshape(-1)
    if accumulate:
        np.add.at(flat, index.reshape(-1), source.reshape(-1))
    else:
        flat[index.reshape(-1)] = source.reshape(-1)
    return out


# --------------------------------------------------------------------------- masked family


def _masked_fill_node(self, mask, value) -> str:
    return "MaskedFillBackward1" if isinstance(value, Tensor) else "MaskedFillBackward0"


@defop(node=_masked_fill_node, tensors=("mask",), grads={
    "self": lambda grad, mask: masked_fill(grad, mask, 0),
    "value": lambda grad, mask: masked_select(grad, mask).sum(),
})
def masked_fill(self, mask, value):
    """A copy of ``self`` set to ``value`` where the bool ``mask`` (broadcast) is True;
    ``value`` is a number or a 0-dim tensor, which is differentiable. Same as
    ``torch.masked_fill``.

    Example:
        >>> x = dagrad.tensor([1., -2., 3.])
        >>> dagrad.masked_fill(x, x < 0, 0.)
        tensor([1., 0., 3.])
    """
    if mask.dtype != np.bool_:
        raise RuntimeError("masked_fill_ only supports boolean masks, but got mask with dtype "
                           f"{_CPP_NAME.get(mask.dtype.name, mask.dtype.name)}")
    if isinstance(value, np.ndarray) and value.ndim:
        raise RuntimeError("masked_fill_ only supports a 0-dimensional value tensor, but got "
                           f"tensor with {value.ndim} dimension(s).")
    shape = _broadcast(mask.shape, self.shape)
    out = np.array(np.broadcast_to(self, shape), order="C")
    out[np.broadcast_to(mask, shape)] = value
    return out


def _masked_select_backward(grad: Tensor, self_shape: tuple, mask: Tensor) -> Tensor:
    shape = np.broadcast_shapes(self_shape, mask._data.shape)
    return masked_scatter(_zeros(shape, grad), mask, grad)


@defop(node="MaskedSelectBackward0", tensors=("mask",), grads={
    "self": lambda grad, self_shape, mask: _masked_select_backward(grad, self_shape, mask)})
def masked_select(self, mask):
    """The elements of ``self`` where the bool ``mask`` (broadcast) is True, as a 1-D tensor.
    Same as ``torch.masked_select``.

    Example:
        >>> x = dagrad.tensor([[1., -2.], [3., -4.]])
        >>> dagrad.masked_select(x, x > 0)
        tensor([1., 3.])
    """
    if mask.dtype != np.bool_:
        raise RuntimeError("masked_select: expected BoolTensor for mask")
    shape = _broadcast(mask.shape, self.shape)
    return np.broadcast_to(self, shape)[np.broadcast_to(mask, shape)]


@defop(node="MaskedScatterBackwardBackward0", tensors=("mask",), grads={
    "grad_output": lambda grad, grad_output_shape, mask: masked_scatter(
        _zeros(grad_output_shape, grad), mask, grad)})
def _masked_scatter_backward(grad_output, mask, sizes):
    """masked_scatter's derivative for ``source`` (PyTorch's ``masked_scatter_backward``): the
    elements of ``grad_output`` where ``mask`` is True, zero-padded to ``sizes``."""
    shape = np.broadcast_shapes(grad_output.shape, mask.shape)
    picked = np.broadcast_to(grad_output, shape)[np.broadcast_to(mask, shape)]
    out = np.zeros(int(np.prod(sizes)), grad_output.dtype)
    out[:picked.size] = picked
    return out.reshape(sizes)


@defop(node="MaskedScatterBackward0", tensors=("mask",), grads={
    "self": lambda grad, mask: masked_fill(grad, mask, 0),
    "source": lambda grad, mask, source_shape: _masked_scatter_backward(grad, mask,
                                                                        source_shape),
})
def masked_scatter(self, mask, source):
    """A copy of ``self`` where the places the bool ``mask`` (broadcast) marks take the
    elements of ``source``, in order. Same as ``torch.masked_scatter``.

    Example:
        >>> dagrad.masked_scatter(dagrad.zeros(4), dagrad.tensor([True, False, True, False]),
        ...                       dagrad.tensor([1., 2., 3.]))
        tensor([1., 0., 2., 0.])
    """
    if mask.dtype != np.bool_:
        raise RuntimeError("masked_scatter_ only supports boolean masks, but got mask with "
                           f"dtype {scalar_type_name(mask.dtype)}")
    if source.dtype != self.dtype:
        raise RuntimeError("masked_scatter: expected self and source to have same dtypes but "
                           f"got{scalar_type_name(self.dtype)} and "
                           f"{scalar_type_name(source.dtype)}")
    shape = _broadcast(mask.shape, self.shape)
    out = np.array(np.broadcast_to(self, shape), order="C")
    m = np.broadcast_to(mask, shape)
    n = int(m.sum())
    if n > source.size:
        raise RuntimeError("Number of elements of source < number of ones in mask")
    out[m] = source.reshape(-1)[:n]
    return out


# --------------------------------------------------------------------------- clamp_min/max


def _clamp_min_node(self, min) -> str:
    return "ClampMinBackward1" if isinstance(min, Tensor) else "ClampMinBackward0"


def _clamp_max_node(self, max) -> str:
    return "ClampMaxBackward1" if isinstance(max, Tensor) else "ClampMaxBackward0"


@defop(node=_clamp_min_node, promote="common", grads={
    "self": lambda grad, self, min: where(P.ge(self, min), grad, 0.0),
    "min": lambda grad, self, min: where(P.lt(self, min), grad, 0.0),
})
def clamp_min(self, min):
    """``max(self, min)`` element-wise (nan in ``self`` stays nan). Same as
    ``torch.clamp_min``.

    Example:
        >>> dagrad.clamp_min(dagrad.tensor([-1., 2.]), 0.)
        tensor([0., 2.])
    """
    return np.where(np.isnan(self) if self.dtype.kind in "fc" else False, self,
                    np.maximum(self, min)).astype(np.result_type(self, min), copy=False)


@defop(node=_clamp_max_node, promote="common", grads={
    "self": lambda grad, self, max: where(P.le(self, max), grad, 0.0),
    "max": lambda grad, self, max: where(P.gt(self, max), grad, 0.0),
})
def clamp_max(self, max):
    """``min(self, max)`` element-wise (nan in ``self`` stays nan). Same as
    ``torch.clamp_max``.

    Example:
        >>> dagrad.clamp_max(dagrad.tensor([-1., 2.]), 0.)
        tensor([-1.,  0.])
    """
    return np.where(np.isnan(self) if self.dtype.kind in "fc" else False, self,
                    np.minimum(self, max)).astype(np.result_type(self, max), copy=False)


# --------------------------------------------------------------------------- in-place variants


def scatter_(self: Tensor, dim: int, index: Tensor, src: Any = None, value: Any = None, *,
             reduce: str | None = None) -> Tensor:
    """``scatter`` in place."""
    return inplace.apply(self, _scatter, dim, index, src, value, reduce, "scatter_")


def scatter_add_(self: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    """``scatter_add`` in place."""
    return inplace.apply(self, scatter_add, dim, index, src)


def scatter_reduce_(self: Tensor, dim: int, index: Tensor, src: Tensor, reduce: str, *,
                    include_self: bool = True) -> Tensor:
    """``scatter_reduce`` in place."""
    return inplace.apply(self, scatter_reduce, dim, index, src, reduce, include_self)


def index_add_(self: Tensor, dim: int, index: Tensor, source: Tensor, *,
               alpha: Any = 1) -> Tensor:
    """``index_add`` in place."""
    return inplace.apply(self, index_add, dim, index, source, alpha)


def index_copy_(self: Tensor, dim: int, index: Tensor, source: Tensor) -> Tensor:
    """``index_copy`` in place."""
    return inplace.apply(self, index_copy, dim, index, source)


def index_fill_(self: Tensor, dim: int, index: Tensor, value: Any) -> Tensor:
    """``index_fill`` in place."""
    return inplace.apply(self, index_fill, dim, index, value)


def index_put_(self: Tensor, indices: tuple, values: Tensor, accumulate: bool = False) -> Tensor:
    """``index_put`` in place."""
    return inplace.apply(self, index_put, indices, values, accumulate)


def put_(self: Tensor, index: Tensor, source: Tensor, accumulate: bool = False) -> Tensor:
    """``put`` in place."""
    return inplace.apply(self, put, index, source, accumulate)


def masked_fill_(self: Tensor, mask: Tensor, value: Any) -> Tensor:
    """``masked_fill`` in place (``mask`` must broadcast to ``self``'s shape)."""
    return inplace.apply(self, masked_fill, mask, value)


def masked_scatter_(self: Tensor, mask: Tensor, source: Tensor) -> Tensor:
    """``masked_scatter`` in place (``mask`` must broadcast to ``self``'s shape)."""
    if isinstance(mask, Tensor):
        _expand_shape(mask._data.shape, self._data.shape, mask._data.dtype)
    return inplace.apply(self, masked_scatter, mask, source)


# --------------------------------------------------------------------------- pointwise in place


def _nondiff_node_name(self, other, value, node, aten) -> str:
    return node


def _nondiff_formula(grad: Tensor, node: str, aten: str) -> Tensor:
    if node == "NotImplemented":
        raise RuntimeError(f"derivative for aten::{aten} is not implemented")
    return _zeros_like(grad)


@defop(node=_nondiff_node_name, grads={"self": _nondiff_formula, "other": _nondiff_formula})
def _nondiff_node(self, other, value, node, aten):
    """``value`` (an array) recorded as an output of ``self``/``other`` under the node
    ``node``, whose derivative is zero (comparisons in place, random sampling) or, for
    ``"NotImplemented"``, raises PyTorch's ``derivative for aten::<aten> is not implemented``.
    """
    return value


class _Inplace:
    """``x.<name>(*args)``: ``op(x, *args)`` written into ``x`` (``inplace.apply``).

    An instance per method (``INPLACE_METHODS``), so each is greppable; it binds like a
    function when set on Tensor.
    """

    def __init__(self, name: str, op: Callable) -> None:
        self.op = op
        self.__name__ = name
        self.__doc__ = f"``{getattr(op, '__name__', name[:-1])}`` in place."

    def __call__(self, tensor: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        return inplace.apply(tensor, self.op, *args, **kwargs)

    def __get__(self, obj: Any, objtype: Any = None) -> Any:
        return self if obj is None else MethodType(self, obj)

    def __repr__(self) -> str:
        return f"<dagrad in-place method {self.__name__}>"


class _InplaceNondiff(_Inplace):
    """An in-place method whose op records no node (comparisons, ``floor_divide``,
    ``heaviside``): on a tensor in the graph, PyTorch still moves ``self`` onto a node —
    ``EqBackward0``/``EqBackward1`` (a zero derivative) for comparisons, ``NotImplemented``
    for the others. ``node`` is that node's stem (``"Eq"``) or ``"NotImplemented"``."""

    def __init__(self, name: str, op: Callable, node: str) -> None:
        super().__init__(name, op)
        self.node = node

    def __call__(self, tensor: Tensor, other: Any, *args: Any) -> Tensor:
        inplace.check_inplace(tensor)
        result = self.op(tensor, other, *args)
        if tensor._data.dtype.kind in "fc":
            # recorded only when the inputs are in the graph (or carry a forward-AD tangent,
            # which becomes zero); otherwise a plain tensor
            if self.node == "NotImplemented":
                node = "NotImplemented"
            else:
                node = f"{self.node}Backward{1 if isinstance(other, Tensor) else 0}"
            result = _nondiff_node(tensor, other, result._data.astype(tensor._data.dtype),
                                   node, self.__name__)
        inplace.commit(tensor, result)
        return tensor


# Note [In-place node names]: PyTorch records a node of its own for a few in-place ops:
# ``polygamma_`` is ``PolygammaBackward1`` (same derivative), and ``acosh_``/``asinh_``/``atanh_``
# are ``AcoshBackward1``... whose backward raises (derivatives.yaml: not_implemented("inplace
# version of acosh")). These ops give the in-place methods those nodes.


@defop(name="_polygamma_inplace", node="PolygammaBackward1", promote="float",
       grads={"self": lambda grad, n, self: grad * S.polygamma(n + 1, self)})
def _polygamma_inplace(self, n):
    return S.polygamma.kernel(n, self)


def _no_inplace_derivative(grad: Tensor, name: str) -> Tensor:
    raise RuntimeError(f"the derivative for 'inplace version of {name}' is not implemented.")


def _inplace_node(self, name) -> str:
    return {"acosh": "AcoshBackward1", "asinh": "AsinhBackward1", "atanh": "AtanhBackward1"}[name]


@defop(name="_inverse_hyperbolic_inplace", node=_inplace_node, promote="float",
       grads={"self": _no_inplace_derivative})
def _inverse_hyperbolic_inplace(self, name):
    """``acosh``/``asinh``/``atanh`` of ``self`` (``name``), with PyTorch's in-place node."""
    return {"acosh": S.acosh, "asinh": S.asinh, "atanh": S.atanh}[name].kernel(self)


def _polygamma_(self: Tensor, n: int) -> Tensor:
    return _polygamma_inplace(self, n)


def _acosh_(self: Tensor) -> Tensor:
    return _inverse_hyperbolic_inplace(self, "acosh")


def _asinh_(self: Tensor) -> Tensor:
    return _inverse_hyperbolic_inplace(self, "asinh")


def _atanh_(self: Tensor) -> Tensor:
    return _inverse_hyperbolic_inplace(self, "atanh")


_ELEMENTWISE = {
    # pointwise.py
    "absolute_": P.abs, "negative_": P.neg, "sign_": P.sign, "sgn_": P.sgn,
    "remainder_": P.remainder, "logical_and_": P.logical_and, "logical_or_": P.logical_or,
    "logical_xor_": P.logical_xor, "logical_not_": P.logical_not,
    "bitwise_and_": P.bitwise_and, "bitwise_or_": P.bitwise_or, "bitwise_xor_": P.bitwise_xor,
    "bitwise_not_": P.bitwise_not, "clamp_min_": clamp_min, "clamp_max_": clamp_max,
    # special.py
    "exp2_": S.exp2, "expm1_": S.expm1, "log2_": S.log2, "log10_": S.log10, "log1p_": S.log1p,
    "rsqrt_": S.rsqrt, "xlogy_": S.xlogy, "logit_": S.logit, "sinh_": S.sinh, "cosh_": S.cosh,
    "tan_": S.tan, "asin_": S.asin, "acos_": S.acos, "atan_": S.atan, "atan2_": S.atan2,
    "asinh_": _asinh_, "acosh_": _acosh_, "atanh_": _atanh_, "arcsin_": S.asin,
    "arccos_": S.acos, "arctan_": S.atan, "arctan2_": S.atan2, "arcsinh_": _asinh_,
    "arccosh_": _acosh_, "arctanh_": _atanh_, "hypot_": S.hypot, "deg2rad_": S.deg2rad,
    "rad2deg_": S.rad2deg, "sinc_": S.sinc, "erf_": S.erf, "erfc_": S.erfc,
    "erfinv_": S.erfinv, "lgamma_": S.lgamma, "digamma_": S.digamma, "polygamma_": _polygamma_,
    "i0_": S.i0, "fmod_": S.fmod, "copysign_": S.copysign, "lerp_": S.lerp,
    "addcmul_": S.addcmul, "addcdiv_": S.addcdiv, "nan_to_num_": S.nan_to_num,
    "floor_": S.floor, "ceil_": S.ceil, "trunc_": S.trunc, "fix_": S.trunc, "round_": S.round,
    "frac_": S.frac,
}

_COMPARISONS = {
    "eq_": (P.eq, "Eq"), "ne_": (P.ne, "Ne"), "lt_": (P.lt, "Lt"), "le_": (P.le, "Le"),
    "gt_": (P.gt, "Gt"), "ge_": (P.ge, "Ge"), "greater_": (P.gt, "Gt"),
    "greater_equal_": (P.ge, "Ge"), "less_": (P.lt, "Lt"), "less_equal_": (P.le, "Le"),
    "not_equal_": (P.ne, "Ne"),
    "floor_divide_": (P.floor_divide, "NotImplemented"),
    "heaviside_": (S.heaviside, "NotImplemented"),
}

#: In-place Tensor methods for the lead to attach: ``setattr(Tensor, name, fn)``. The scatter
#: family first, then the pointwise/special ones dagrad did not have yet.
INPLACE_METHODS: dict[str, Callable] = {
    "scatter_": scatter_, "scatter_add_": scatter_add_, "scatter_reduce_": scatter_reduce_,
    "index_add_": index_add_, "index_copy_": index_copy_, "index_fill_": index_fill_,
    "index_put_": index_put_, "put_": put_, "masked_fill_": masked_fill_,
    "masked_scatter_": masked_scatter_,
    **{name: _Inplace(name, op) for name, op in _ELEMENTWISE.items()},
    **{name: _InplaceNondiff(name, op, node) for name, (op, node) in _COMPARISONS.items()},
}

# --------------------------------------------------------------------------- the tables

#: Names for ``dagrad.<name>``.
__all__ = [
    "gather", "scatter", "scatter_add", "scatter_reduce", "index_select", "index_add",
    "index_copy", "index_fill", "index_put", "put", "masked_fill", "masked_select",
    "masked_scatter", "clamp_min", "clamp_max",
]

#: Tensor methods: ``x.<name>(...)`` calls ``METHODS[name](x, ...)`` (out-of-place; the in-place
#: ones are in ``INPLACE_METHODS``).
METHODS: dict[str, Callable] = {name: globals()[name] for name in __all__}
