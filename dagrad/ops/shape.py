"""Shape ops: views (view, reshape, t, transpose, permute, expand, squeeze, unsqueeze, select,
slice), joins (cat, stack) and splits (unbind). Views share memory and the version counter.
"""
from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from dagrad import _errors
from dagrad._npquiet import broadcast_view
from dagrad._tensor import Size, Tensor
from dagrad.ops import _formulas
from dagrad.ops._registry import defop


def _shape_arg(shape: tuple) -> tuple:
    """Accept ``f(2, 3)``, ``f((2, 3))``, ``f([2, 3])`` and ``f(dagrad.Size([2, 3]))``."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list, Size)):
        shape = tuple(shape[0])
    return tuple(int(s) for s in shape)


def _infer_shape(shape: tuple, numel: int) -> tuple:
    neg = [i for i, s in enumerate(shape) if s == -1]
    if len(neg) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = 1
    for s in shape:
        if s != -1:
            if s < 0:
                raise RuntimeError(f"invalid shape dimension {s}")
            known *= s
    if neg:
        if known == 0 or numel % known:
            raise RuntimeError(_errors.VIEW_SHAPE.format(shape=list(shape), numel=numel))
        shape = tuple(numel // known if s == -1 else s for s in shape)
    elif known != numel:
        raise RuntimeError(_errors.VIEW_SHAPE.format(shape=list(shape), numel=numel))
    return shape


# --------------------------------------------------------------------------- views


@defop(node="ViewBackward0", view=True,
       grads={"self": lambda grad, self_shape: grad.reshape(self_shape)},
       np_grads={"self": lambda grad, self_shape: grad.reshape(self_shape)})
def _view(self, shape):
    shape = _infer_shape(shape, self.size)
    out = self.view()
    try:
        out.shape = shape
    except AttributeError:
        raise RuntimeError(_errors.VIEW_STRIDE) from None
    return out


def view(self: Tensor, *shape: Any) -> Tensor:
    """The same data seen with another shape (no copy; ``-1`` is inferred).

    Example:
        >>> dagrad.arange(6).view(2, 3).shape
        dagrad.Size([2, 3])
    """
    if len(shape) == 1 and not isinstance(shape[0], (int, tuple, list, Size)):
        return self.to(shape[0])           # x.view(dtype) reinterpretation is not supported
    return _view(self, _shape_arg(shape))


@defop(node="UnsafeViewBackward0",
       grads={"self": lambda grad, self_shape: grad.reshape(self_shape)},
       np_grads={"self": lambda grad, self_shape: grad.reshape(self_shape)})
def _unsafe_view(self, shape):
    return np.reshape(self, shape)


def reshape(self: Tensor, *shape: Any) -> Tensor:
    """Like ``view`` when the data allow it, else a copy.

    The nodes are PyTorch's: ``ViewBackward0`` (contiguous input), ``ReshapeAliasBackward0``
    (non-contiguous but viewable), ``CloneBackward0`` + ``UnsafeViewBackward0`` (a copy).
    """
    shape = _infer_shape(_shape_arg(shape), self._data.size)
    if self._data.flags.c_contiguous:
        return _view(self, shape)
    if _viewable(self._data, shape):
        return _reshape_alias(self, shape)
    return _unsafe_view(clone_contiguous(self), shape)


@defop(node="ReshapeAliasBackward0", view=True,
       grads={"self": lambda grad, self_shape: grad.reshape(self_shape)})
def _reshape_alias(self, shape):
    # reshape() of a non-contiguous tensor whose strides allow a view (PyTorch: _reshape_alias)
    out = self.view()
    out.shape = shape
    return out


def _viewable(arr: np.ndarray, shape: tuple) -> bool:
    out = arr.view()
    try:
        out.shape = shape
    except AttributeError:
        return False
    return True


def clone_contiguous(self: Tensor) -> Tensor:
    from dagrad.ops.pointwise import clone
    return clone(self)


def view_as(self: Tensor, other: Tensor) -> Tensor:
    return view(self, tuple(other.shape))


def reshape_as(self: Tensor, other: Tensor) -> Tensor:
    return reshape(self, tuple(other.shape))


def flatten(self: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dims ``start_dim..end_dim`` into one."""
    shape = tuple(self.shape)
    if not shape:
        return reshape(self, (1,))
    s = _formulas.normalize_dims(start_dim, len(shape))[0]
    e = _formulas.normalize_dims(end_dim, len(shape))[0]
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if s == e:
        return self
    n = 1
    for d in shape[s:e + 1]:
        n *= d
    return reshape(self, shape[:s] + (n,) + shape[e + 1:])


@defop(node="TBackward0", view=True, grads={"self": lambda grad: t(grad)},
       np_grads={"self": lambda grad: grad.T})
def t(self):
    """Transpose a matrix (``<= 2`` dims). Same as ``torch.t``."""
    if self.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {self.ndim}D")
    return self.T


@defop(node="TransposeBackward0", view=True,
       grads={"self": lambda grad, dim0, dim1: transpose(grad, dim0, dim1)},
       np_grads={"self": lambda grad, dim0, dim1: np.swapaxes(grad, dim0, dim1)})
def transpose(self, dim0, dim1):
    """Swap dims ``dim0`` and ``dim1`` (a view)."""
    d0 = _formulas.normalize_dims(dim0, self.ndim)
    d1 = _formulas.normalize_dims(dim1, self.ndim)
    if not d0:
        return self.view()
    return np.swapaxes(self, d0[0], d1[0])


swapaxes = swapdims = transpose


def _permute_back(grad, dims):
    inv = [0] * len(dims)
    for i, d in enumerate(_formulas.normalize_dims_seq(dims, len(dims))):
        inv[d] = i
    return permute(grad, tuple(inv))


@defop(node="PermuteBackward0", view=True, grads={"self": _permute_back})
def _permute(self, dims):
    d = _formulas.normalize_dims_seq(dims, self.ndim)
    if len(d) != self.ndim:
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does "
                           f"not match the length of the desired ordering of dimensions i.e. "
                           f"input.dim() = {self.ndim} is not equal to len(dims) = {len(d)}")
    return np.transpose(self, d)


def permute(self: Tensor, *dims: Any) -> Tensor:
    """Reorder the dims (a view). ``x.permute(1, 0)`` transposes a matrix."""
    return _permute(self, _shape_arg(dims))


def _expand_shape(shape: tuple, size: tuple, dtype: np.dtype) -> tuple:
    if len(size) < len(shape):
        from dagrad._tensor import legacy_type_name
        name = legacy_type_name(dtype)
        raise RuntimeError(f"expand({name}{{{list(shape)}}}, size={list(size)}): the number of "
                           f"sizes provided ({len(size)}) must be greater or equal to the number "
                           f"of dimensions in the tensor ({len(shape)})")
    lead = len(size) - len(shape)
    out = []
    for i, s in enumerate(size):
        if i < lead:
            if s < 0:
                raise RuntimeError(f"The expanded size of the tensor ({s}) isn't allowed in a "
                                   f"leading, non-existing dimension {i}")
            out.append(s)
            continue
        cur = shape[i - lead]
        if s == -1:
            out.append(cur)
        elif cur == 1 or cur == s:
            out.append(s)
        else:
            raise RuntimeError(f"The expanded size of the tensor ({s}) must match the existing "
                               f"size ({cur}) at non-singleton dimension {i}.  Target sizes: "
                               f"{list(size)}.  Tensor sizes: {list(shape)}")
    return tuple(out)


@defop(node="ExpandBackward0", view=True,
       grads={"self": lambda grad, self_shape: sum_to(grad, self_shape)})
def _expand(self, size):
    return broadcast_view(self, _expand_shape(self.shape, size, self.dtype))


def expand(self: Tensor, *size: Any) -> Tensor:
    """Broadcast singleton dims to ``size`` without copying (``-1`` keeps a dim)."""
    return _expand(self, _shape_arg(size))


def expand_as(self: Tensor, other: Tensor) -> Tensor:
    return _expand(self, tuple(other.shape))


def broadcast_to(self: Tensor, size: Any) -> Tensor:
    return _expand(self, _shape_arg((size,)))


def sum_to(grad: Tensor, shape: tuple) -> Tensor:
    """Sum ``grad`` down to ``shape`` (the inverse of broadcasting)."""
    gs = tuple(grad.shape)
    shape = tuple(shape)
    if gs == shape:
        return grad
    lead = len(gs) - len(shape)
    dims = tuple(range(lead)) + tuple(lead + i for i, s in enumerate(shape)
                                      if s == 1 and gs[lead + i] != 1)
    if dims:
        grad = grad.sum(dims, keepdim=True)
    if lead:
        grad = grad.reshape(shape)
    return grad


@defop(node="UnsqueezeBackward0", view=True,
       grads={"self": lambda grad, dim: squeeze(grad, dim)})
def unsqueeze(self, dim):
    """Insert a dim of size 1 at ``dim`` (a view)."""
    n = self.ndim + 1
    if not -n <= dim < n:
        raise IndexError(_errors.DIM_OUT_OF_RANGE.format(lo=-n, hi=n - 1, dim=dim))
    d = dim if dim >= 0 else dim + n
    return self.reshape(self.shape[:d] + (1,) + self.shape[d:])     # a view, like expand_dims


def _squeeze_node(self, dim=None) -> str:
    if dim is None:
        return "SqueezeBackward0"
    return "SqueezeBackward1" if isinstance(dim, int) else "SqueezeBackward2"


@defop(node=_squeeze_node, view=True,
       grads={"self": lambda grad, self_shape: grad.reshape(self_shape)})
def squeeze(self, dim=None):
    """Remove dims of size 1 (all, or only ``dim`` when it has size 1)."""
    if dim is None:
        return np.squeeze(self)
    dims = _formulas.normalize_dims(dim, self.ndim)
    dims = tuple(d for d in dims if self.shape[d] == 1)
    return np.squeeze(self, dims) if dims else self.view()


@defop(node="SelectBackward0", view=True, grads={
    "self": lambda grad, self_shape, dim, index: _select_backward(grad, self_shape, dim, index)})
def select(self, dim, index):
    """The slice at ``index`` along ``dim``, with that dim removed.

    ``x[i]`` is ``select(x, 0, i)``.
    """
    if self.ndim == 0:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    d = _formulas.normalize_dims(dim, self.ndim)[0]
    size = self.shape[d]
    index = int(index)
    if not -size <= index < size:
        raise IndexError(f"select(): index {index} out of range for tensor of size "
                         f"{list(self.shape)} at dimension {d}")
    return self[(builtins.slice(None),) * d + (index, Ellipsis)]


@defop(node="SelectBackwardBackward0", grads={
    "g": lambda grad, dim, index: select(grad, dim, index)})
def _select_backward(g, self_shape, dim, index):
    out = np.zeros(self_shape, dtype=g.dtype)
    d = _formulas.normalize_dims(dim, len(self_shape))[0]
    out[(builtins.slice(None),) * d + (index,)] = g
    return out


@defop(node="SliceBackward0", view=True, grads={
    "self": lambda grad, self_shape, dim, start, end, step: _slice_backward(
        grad, self_shape, dim, start, end, step)})
def slice(self, dim=0, start=None, end=None, step=1):
    """``x[start:end:step]`` along ``dim`` (a view; ``step`` must be positive)."""
    if step is not None and step <= 0:
        raise ValueError("step must be greater than zero")
    d = _formulas.normalize_dims(dim, self.ndim)[0]
    return self[(builtins.slice(None),) * d + (builtins.slice(start, end, step), Ellipsis)]


@defop(node="SliceBackwardBackward0", grads={
    "g": lambda grad, dim, start, end, step: slice(grad, dim, start, end, step)})
def _slice_backward(g, self_shape, dim, start, end, step):
    out = np.zeros(self_shape, dtype=g.dtype)
    d = _formulas.normalize_dims(dim, len(self_shape))[0]
    out[(builtins.slice(None),) * d + (builtins.slice(start, end, step),)] = g
    return out


def narrow(self: Tensor, dim: int, start: int, length: int) -> Tensor:
    """``length`` elements of ``dim`` from ``start`` (a view)."""
    return slice(self, dim, start, start + length, 1)


def contiguous(self: Tensor, memory_format: Any = None) -> Tensor:
    """Self if already contiguous, else a contiguous copy."""
    if self._data.flags.c_contiguous:
        return self
    return clone_contiguous(self)


# --------------------------------------------------------------------------- join and split


@defop(node="UnbindBackward0", outputs=-1, view=True, multi_view=True,
       grads={"self": lambda grads, dim: stack(grads, dim)})
def unbind(self, dim=0):
    """Split into a tuple of slices along ``dim``, that dim removed."""
    if self.ndim == 0:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    d = _formulas.normalize_dims(dim, self.ndim)[0]
    return tuple(self[(builtins.slice(None),) * d + (i, Ellipsis)] for i in range(self.shape[d]))


def _cat_backward(grad, tensors, dim):
    out = []
    d = None
    offset = 0
    for t in tensors:
        shape = tuple(t.shape) if isinstance(t, Tensor) else np.shape(t)
        if len(shape) == 1 and shape[0] == 0 and grad.dim() != 1:
            out.append(None)
            continue
        if d is None:
            d = _formulas.normalize_dims(dim, grad.dim())[0]
        n = shape[d]
        out.append(narrow(grad, d, offset, n))
        offset += n
    return out


@defop(node="CatBackward0", promote="common", lists=("tensors",),
       grads={"tensors": _cat_backward})
def cat(tensors, dim=0):
    """Join tensors along an existing dim.

    Example:
        >>> dagrad.cat([dagrad.zeros(1, 2), dagrad.ones(1, 2)]).shape
        dagrad.Size([2, 2])
    """
    if len(tensors) == 0:
        raise ValueError("dagrad.cat(): expected a non-empty list of Tensors")
    arrs = [a for a in tensors if not (a.ndim == 1 and a.shape[0] == 0)] or list(tensors)
    d = _formulas.normalize_dims(dim, arrs[0].ndim)[0]
    ref = arrs[0].shape
    for i, a in enumerate(arrs):
        if a.ndim != len(ref):
            raise RuntimeError(f"Tensors must have same number of dimensions: got {len(ref)} and "
                               f"{a.ndim}")
        for k in range(len(ref)):
            if k != d and a.shape[k] != ref[k]:
                raise RuntimeError(f"Sizes of tensors must match except in dimension {d}. Expected "
                                   f"size {ref[k]} but got size {a.shape[k]} for tensor number "
                                   f"{i} in the list.")
    return np.concatenate(arrs, axis=d)


concat = concatenate = cat


@defop(node="StackBackward0", promote="common", lists=("tensors",),
       grads={"tensors": lambda grad, dim: unbind(grad, dim)})
def stack(tensors, dim=0):
    """Join same-shape tensors along a new dim ``dim``."""
    if len(tensors) == 0:
        raise RuntimeError("stack expects a non-empty TensorList")
    for i, a in enumerate(tensors):
        if a.shape != tensors[0].shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got "
                               f"{list(tensors[0].shape)} at entry 0 and {list(a.shape)} at entry "
                               f"{i}")
    n = tensors[0].ndim + 1
    if not -n <= dim < n:
        raise IndexError(_errors.DIM_OUT_OF_RANGE.format(lo=-n, hi=n - 1, dim=dim))
    return np.stack(tensors, axis=dim)
