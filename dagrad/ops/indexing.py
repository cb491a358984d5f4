"""``x[index]`` and ``x[index] = value``: basic indexing as select/slice/unsqueeze views (the nodes
PyTorch records), advanced indexing (integer and boolean tensors, lists) as ``IndexBackward0``.
"""
from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from dagrad import _errors
from dagrad._tensor import Tensor
from dagrad.ops._registry import defop
from dagrad.ops.shape import select, slice, unsqueeze


def _is_advanced(i: Any) -> bool:
    return isinstance(i, (Tensor, np.ndarray, list)) or (
        isinstance(i, bool))


def _to_np_index(i: Any) -> Any:
    if isinstance(i, Tensor):
        a = i._data
        if a.dtype.kind not in "iub":
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
        return a.astype(bool) if a.dtype == np.uint8 else a
    if isinstance(i, list):
        conv = [_to_np_index(e) if isinstance(e, (Tensor, list)) else e for e in i]
        return np.asarray(conv)
    return i


def _expand_index(index: Any, ndim: int) -> tuple:
    if not isinstance(index, tuple):
        index = (index,)
    used = builtins.sum(
        (1 if not (i is None or i is Ellipsis or isinstance(i, bool)) else 0) +
        ((_np_ndim_of_bool(i) - 1) if _is_bool_mask(i) else 0)
        for i in index)
    if used > ndim:
        raise IndexError(f"too many indices for tensor of dimension {ndim}")
    out = []
    seen_ellipsis = False
    for i in index:
        if i is Ellipsis:
            if seen_ellipsis:
                raise IndexError("an index can only have a single ellipsis ('...')")
            seen_ellipsis = True
            out.extend([builtins.slice(None)] * (ndim - used))
        else:
            out.append(i)
    return tuple(out)


def _is_bool_mask(i: Any) -> bool:
    return isinstance(i, Tensor) and i._data.dtype in (np.bool_, np.uint8)


def _np_ndim_of_bool(i: Any) -> int:
    return i._data.ndim


def getitem(self: Tensor, index: Any) -> Tensor:
    """``self[index]`` with PyTorch's graph: ``x[0]`` SelectBackward0, ``x[1:]`` SliceBackward0,
    ``x[None]`` UnsqueezeBackward0, ``x[[0, 2]]`` / ``x[x > 0]`` IndexBackward0."""
    idx = index if isinstance(index, tuple) else (index,)
    if builtins.any(_is_advanced(i) for i in idx):
        np_index = tuple(_to_np_index(i) for i in idx)
        return _index(self, np_index)
    if self.dim() == 0 and any(i is not None and i is not Ellipsis and
                               not isinstance(i, builtins.slice) for i in idx):
        raise IndexError("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or "
                         "`tensor.item<T>()` in C++ to convert a 0-dim tensor to a number")
    full = _expand_index(idx, self.dim())
    out = self
    dim = 0
    applied = False
    for pos, i in enumerate(full):
        if i is None:
            out = unsqueeze(out, dim)
            dim += 1
            applied = True
        elif isinstance(i, builtins.slice):
            if i == builtins.slice(None) or i == builtins.slice(None, None, 1):
                dim += 1
                continue
            size = out.shape[dim]
            start, stop, step = i.indices(size)
            if step <= 0:
                raise ValueError("step must be greater than zero")
            out = slice(out, dim, start, builtins.max(start, stop), step)
            dim += 1
            applied = True
        else:
            if isinstance(i, float):
                raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long "
                                 "or byte Variables are valid indices (got float)")
            try:
                k = int(i)
            except TypeError:
                raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or "
                                 "byte Variables are valid indices (got "
                                 f"{type(i).__name__})") from None
            size = out.shape[dim] if dim < out.dim() else 0
            if not -size <= k < size:
                # PyTorch's indexing message (not select()'s) counts the position in the index
                raise IndexError(_errors.INDEX_OUT_OF_RANGE.format(index=k, dim=pos, size=size))
            out = select(out, dim, k)
            applied = True
    if not applied:
        if self.dim() == 0:
            return _alias(self)
        out = slice(self, 0, 0, self.shape[0], 1)
    return out


@defop(node="AliasBackward0", view=True, grads={"self": lambda grad: grad})
def _alias(self):
    return self.view()


@defop(node="IndexBackward0", grads={
    "self": lambda grad, self_shape, indices: _index_backward(grad, self_shape, indices)})
def _index(self, indices):
    try:
        return self[indices]
    except IndexError as e:
        raise IndexError(_index_error(self, indices, e)) from None


def _index_error(arr: np.ndarray, indices: tuple, err: Exception) -> str:
    dim = 0
    for i in indices:
        if isinstance(i, (int, np.integer)) and not isinstance(i, bool):
            size = arr.shape[dim] if dim < arr.ndim else 0
            if not -size <= int(i) < size:
                return _errors.INDEX_OUT_OF_RANGE.format(index=int(i), dim=dim, size=size)
        if isinstance(i, np.ndarray) and i.dtype.kind in "iu":
            size = arr.shape[dim] if dim < arr.ndim else 0
            bad = i[(i >= size) | (i < -size)]
            if bad.size:
                return _errors.INDEX_OUT_OF_RANGE.format(index=int(bad.flat[0]), dim=dim,
                                                         size=size)
        if isinstance(i, np.ndarray) and i.dtype == np.bool_:
            dim += i.ndim
            continue
        if i is not None:
            dim += 1
    return str(err)


@defop(node="IndexPutBackward0", grads={"g": lambda grad, indices: _index(grad, indices)})
def _index_backward(g, self_shape, indices):
    out = np.zeros(self_shape, dtype=g.dtype)
    np.add.at(out, indices, g)
    return out


def setitem(self: Tensor, index: Any, value: Any) -> None:
    """``self[index] = value`` in place (see ``ops/inplace.py`` for the autograd rules)."""
    from dagrad.ops import inplace
    inplace.setitem(self, index, value)


_ = _to_np_index
