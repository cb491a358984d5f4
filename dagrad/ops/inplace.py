"""In-place ops (``x.add_(1)``, ``x += 1``, ``x[0] = 5``) and their autograd rules.

An in-place op runs its out-of-place twin, writes the result into ``self``'s memory, bumps the
version counter shared by every view of that memory, and moves ``self`` onto the twin's node.

Note [In-place on a view]
When ``self`` is a view of ``base`` and the op is recorded, ``base`` changes too. As PyTorch does,
``base`` gets a ``CopySlices`` node: its backward takes the gradient of the whole base, runs the
op's node on the viewed region, and writes the result back into that region; the view itself then
becomes an ``AsStridedBackward0`` view of the new base. So ``y = x * 1; y[0] = 0;
y.sum().backward()`` gives ``x.grad == [0, 1, ...]``.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from dagrad import _errors
from dagrad._tensor import Tensor
from dagrad.autograd.grad_mode import STATE
from dagrad.autograd.graph import Node, SavedTensor, edge_of
from dagrad.ops._registry import defop


def check_inplace(self: Tensor) -> None:
    """Raise PyTorch's error when an in-place op on ``self`` is not allowed."""
    ex = self._extra
    if ex and ex.get("inference") and not STATE.inference:
        raise RuntimeError(_errors.INFERENCE_INPLACE)
    if not STATE.grad:
        return
    base = self._base
    if base is None:
        if self._rg and self.grad_fn is None:
            raise RuntimeError(_errors.LEAF_INPLACE)
        return
    cfv = ex.get("custom_function_view") if ex else None
    if cfv is not None and self._rg:
        raise RuntimeError(_errors.CUSTOM_FUNCTION_VIEW_INPLACE.format(output_nr=cfv[0],
                                                                       node=cfv[1]))
    if base._rg and base.grad_fn is None:
        raise RuntimeError(_errors.VIEW_OF_LEAF_INPLACE)
    if ex and ex.get("view_no_grad") and (base._rg or self._rg):
        raise RuntimeError(_errors.NO_GRAD_VIEW_INPLACE)
    if ex and ex.get("multi_view") and self.grad_fn is not None:
        raise RuntimeError(_errors.MULTI_VIEW_INPLACE.format(
            output_nr=self._out_nr, node=self.grad_fn._forward_name()))


def fast(self: Tensor, other: Any, ufunc: Any) -> bool:
    """``self <op>= other`` directly in self's memory when no graph is recorded and dtypes agree
    (same dtype, or a Python number of the same kind). Returns False to take the general path."""
    if STATE.grad and (self._rg or (isinstance(other, Tensor) and other._rg)):
        return False
    check_inplace(self)
    ex = self._extra
    if ex and (ex.get("inference") or ex.get("tangent") is not None):
        return False
    dst = self._data
    if isinstance(other, Tensor):
        o = other._data
        if o.dtype != dst.dtype or (ex and ex.get("tangent") is not None) or \
                (other._extra and other._extra.get("tangent") is not None):
            return False
    elif type(other) is float:
        if dst.dtype.kind not in "fc":
            return False
        o = other
    elif type(other) is int:
        if dst.dtype.kind not in "fciu":
            return False
        o = other
    else:
        return False
    if not dst.flags.writeable:
        return False
    try:
        ufunc(dst, o, out=dst)
    except ValueError as e:
        raise _translate_value_error_inplace(dst, o, e) from None
    self._bump()
    return True


def _translate_value_error_inplace(dst: Any, o: Any, e: ValueError) -> Exception:
    msg = str(e)
    if "broadcast" in msg:
        try:
            full = np.broadcast_shapes(dst.shape, np.shape(o))
        except ValueError:
            from dagrad import _errors
            a, b = dst.shape, np.shape(o)
            n = max(len(a), len(b))
            for i in range(n - 1, -1, -1):
                off = n - 1 - i
                sa = a[len(a) - 1 - off] if off < len(a) else 1
                sb = b[len(b) - 1 - off] if off < len(b) else 1
                if sa != sb and sa != 1 and sb != 1:
                    return RuntimeError(_errors.BROADCAST.format(a=sa, b=sb, dim=i))
            return RuntimeError(msg)
        return RuntimeError(f"output with shape {list(dst.shape)} doesn't match the broadcast "
                            f"shape {list(full)}")
    return RuntimeError(msg)


def apply(self: Tensor, op: Callable, *args: Any, **kwargs: Any) -> Tensor:
    """Run ``op(self, *args)`` and store the result in ``self`` (the body of every ``foo_``)."""
    check_inplace(self)
    result = op(self, *args, **kwargs)
    commit(self, result)
    return self


def commit(self: Tensor, result: Tensor) -> None:
    """Write ``result`` into ``self``'s memory and move ``self`` onto ``result``'s node."""
    r = result._data
    dst = self._data
    if r.dtype != dst.dtype and not np.can_cast(r.dtype, dst.dtype, "same_kind") and \
            not (r.dtype.kind == "f" and dst.dtype.kind == "f"):
        from dagrad._dtypes import from_numpy_dtype
        names = {"float32": "Float", "float64": "Double", "int64": "Long", "int32": "Int",
                 "bool": "Bool", "float16": "Half", "uint8": "Byte", "int16": "Short",
                 "int8": "Char", "complex64": "ComplexFloat", "complex128": "ComplexDouble"}
        raise RuntimeError(f"result type {names[from_numpy_dtype(r.dtype).name]} can't be cast to "
                           f"the desired output type {names[from_numpy_dtype(dst.dtype).name]}")
    if r.shape != dst.shape:
        if np.broadcast_shapes(r.shape, dst.shape) != dst.shape:
            raise RuntimeError(f"output with shape {list(dst.shape)} doesn't match the broadcast "
                               f"shape {list(np.broadcast_shapes(r.shape, dst.shape))}")
    fn = result.grad_fn
    if fn is not None:
        _snapshot_self(fn, self)
    if r is not dst:
        try:
            np.copyto(dst, r, casting="unsafe")
        except ValueError:
            raise RuntimeError("unsupported operation: more than one element of the written-to "
                               "tensor refers to a single memory location. Please clone() the "
                               "tensor before performing the operation.") from None
    self._bump()
    if result._extra and result._extra.get("tangent") is not None:
        _move_tangent(self, result._extra["tangent"])
    if fn is None:
        return
    if self._base is not None:
        _rebase_view(self, result)
    else:
        self.grad_fn = fn
        self._rg = True
        self._out_nr = result._out_nr
        _repoint_saved_result(fn, self)
    _regenerate_views(self._base if self._base is not None else self, self)


def _has_tangent(*ts: Any) -> bool:
    return any(t is not None and t._extra and t._extra.get("tangent") is not None for t in ts)


def _move_tangent(self: Tensor, tangent: Tensor) -> None:
    """Forward AD: ``self`` takes the result's tangent; for a view, the base's tangent gets it
    in the viewed region (the forward twin of CopySlices)."""
    from dagrad.autograd import forward_ad
    base = self._base
    if base is None or not base._data.flags.c_contiguous:
        forward_ad._set_tangent(self, tangent)
        return
    old = base._extra.get("tangent") if base._extra else None
    bt = np.zeros_like(base._data) if old is None else np.array(old._data, copy=True)
    size, stride, offset = _geometry(self._data, base._data)
    region = _strided(bt, size, stride, offset)
    region[...] = tangent._data
    forward_ad._set_tangent(base, Tensor._make(bt))
    forward_ad._set_tangent(self, Tensor._make(region))


def _snapshot_self(fn: Node, self: Tensor) -> None:
    """Keep the value ``self`` had before the in-place op where its node saved it.

    ``y[1:] *= w`` needs the old ``y[1:]`` for ``w``'s gradient: PyTorch saves ``original_self``
    for in-place ops. The snapshot keeps ``self``'s place in the graph (same grad_fn), so higher
    derivatives still flow.
    """
    saved = fn._saved
    if not saved:
        return
    v = saved.get("self")
    if type(v) is not SavedTensor or v.tensor is not self:
        return
    if any(type(o) is SavedTensor and o.tensor is self for k, o in saved.items() if k != "self"):
        return      # `y *= y`: `other` is the modified tensor too, so backward must fail
    snap = Tensor._make(self._data.copy())
    snap.grad_fn = self.grad_fn
    snap._rg = self._rg
    snap._out_nr = self._out_nr
    if self.grad_fn is None and self._rg:
        snap._acc = self._acc
    saved["self"] = SavedTensor(snap)


def _regenerate_views(root: Tensor, modified: Tensor) -> None:
    """After ``root``'s graph changed, re-point the other live views of it (AsStridedBackward0),
    as PyTorch regenerates a view's grad_fn when its base was modified in place."""
    ex = root._extra
    if not ex:
        return
    views = ex.get("views")
    if not views:
        return
    alive = []
    for ref in views:
        v = ref()
        if v is None:
            continue
        alive.append(ref)
        if v is modified or v._data.size == 0:
            continue
        size, stride, offset = _geometry(v._data, root._data)
        v.grad_fn = as_strided(root, size, stride, offset).grad_fn
        v._rg = True
        v._out_nr = 0
    ex["views"] = alive


def _repoint_saved_result(fn: Node, t: Tensor) -> None:
    saved = fn._saved
    if saved and "result" in saved:
        saved["result"] = SavedTensor(t, is_output=True)


# --------------------------------------------------------------------------- CopySlices


def _geometry(view: np.ndarray, base: np.ndarray) -> tuple:
    """The view's (shape, strides, offset) in elements of the C-contiguous layout of ``base``."""
    if not base.flags.c_contiguous:
        raise RuntimeError("in-place modification of a view of a non-contiguous tensor that "
                           "requires grad is not supported by dagrad; clone() the base first")
    item = base.itemsize
    offset = (view.__array_interface__["data"][0] - base.__array_interface__["data"][0]) // item
    return view.shape, tuple(s // item for s in view.strides), offset


def _strided(arr: np.ndarray, shape: tuple, strides: tuple, offset: int) -> np.ndarray:
    flat = arr.reshape(-1)
    return np.lib.stride_tricks.as_strided(
        flat[offset:], shape=shape, strides=tuple(s * arr.itemsize for s in strides))


@defop(node="AsStridedBackward0", view=True, grads={
    "self": lambda grad, self_shape, size, stride, storage_offset: _as_strided_scatter(
        _zeros_of(grad, self_shape), grad, size, stride, storage_offset)})
def as_strided(self, size, stride, storage_offset=0):
    """A view with explicit ``size``/``stride`` (in elements) over self's contiguous memory."""
    base = self if self.flags.c_contiguous else np.ascontiguousarray(self)
    return _strided(base, tuple(size), tuple(stride), int(storage_offset))


def _zeros_of(like: Tensor, shape: tuple) -> Tensor:
    return Tensor._make(np.zeros(shape, like._data.dtype))


@defop(node="AsStridedScatterBackward0", grads={
    "self": lambda grad, size, stride, storage_offset: _as_strided_scatter(
        grad, _zeros_of(grad, tuple(size)), size, stride, storage_offset),
    "src": lambda grad, size, stride, storage_offset: as_strided(
        grad, size, stride, storage_offset),
})
def _as_strided_scatter(self, src, size, stride, storage_offset=0):
    out = np.array(self, copy=True, order="C")
    _strided(out, tuple(size), tuple(stride), int(storage_offset))[...] = src
    return out


class CopySlices(Node):
    """The node of a base whose view was modified in place (Note [In-place on a view])."""

    __slots__ = ("fn", "geometry")

    def name(self) -> str:
        return "torch::autograd::CopySlices"

    def apply(self, grads: list) -> list:
        g = grads[0]
        size, stride, offset = self.geometry
        region = as_strided(g, size, stride, offset)
        if not STATE.grad:
            region = Tensor._make(np.ascontiguousarray(region._data))
        res = list(self.fn.apply([region]))
        res = _validate_inner(self.fn, res)
        first = res[0]
        if first is None:
            first = _zeros_of(g, size)
        out = _as_strided_scatter(g, first, size, stride, offset)
        return [out] + res[1:]

    def _release(self) -> None:
        self.fn._release()


def _validate_inner(fn: Node, res: list) -> list:
    from dagrad.autograd.engine import _validate
    return _validate(fn, res)


def _rebase_view(view: Tensor, result: Tensor) -> None:
    base = view._base
    fn = result.grad_fn
    node = CopySlices()
    node.fn = fn
    node.geometry = _geometry(view._data, base._data)
    node.next_functions = (edge_of(base),) + tuple(fn.next_functions[1:])
    node._meta = ((base._data.shape, base._data.dtype),) + tuple(fn._meta[1:])
    base.grad_fn = node
    base._rg = True
    base._out_nr = 0
    size, stride, offset = node.geometry
    fresh = as_strided(base, size, stride, offset)       # records AsStridedBackward0 on base
    view.grad_fn = fresh.grad_fn
    view._rg = True
    view._out_nr = 0
    _repoint_saved_result(fn, view)


# --------------------------------------------------------------------------- copy_ and setitem


@defop(node="CopyBackwards", promote=None, grads={
    "self": lambda grad: grad * 0,
    "src": lambda grad: grad,
})
def _copy_from(self, src):
    out = np.empty_like(self)
    out[...] = src
    return out


def copy_(self: Tensor, src: Any, non_blocking: bool = False) -> Tensor:
    """Copy ``src`` (broadcast, cast) into self, in place."""
    if not isinstance(src, Tensor):
        src = Tensor._make(np.asarray(src))
    return apply(self, _copy_from, src)


@defop(node="IndexPutBackward0", tensors=("values",), grads={
    "self": lambda grad, indices: _index_fill_zero(grad, indices),
    "values": lambda grad, indices: _index_get(grad, indices),
})
def _index_put(self, indices, values):
    out = self.copy()
    out[indices] = values
    return out


def _index_fill_zero(grad: Tensor, indices: tuple) -> Tensor:
    return _index_put(grad, indices, 0.0)


def _index_get(grad: Tensor, indices: tuple) -> Tensor:
    from dagrad.ops.indexing import _index
    return _index(grad, indices)


def setitem(self: Tensor, index: Any, value: Any) -> None:
    """``self[index] = value``: basic indices copy into a view; advanced ones use index_put."""
    from dagrad.ops import indexing
    idx = index if isinstance(index, tuple) else (index,)
    advanced = any(indexing._is_advanced(i) for i in idx)
    value_t = value if isinstance(value, Tensor) else None
    needs_graph = STATE.grad and (self._rg or (value_t is not None and value_t._rg))
    if not needs_graph and _has_tangent(self, value_t):
        needs_graph = True          # forward AD: take the op path so tangents follow
    if not needs_graph:
        check_inplace(self)
        np_index = tuple(indexing._to_np_index(i) for i in idx)
        v = value._data if value_t is not None else value
        try:
            self._data[np_index if advanced else index] = v
        except IndexError as e:
            raise IndexError(indexing._index_error(self._data, np_index, e)) from None
        except ValueError as e:
            # PyTorch's message: the value expands to the indexed region's shape
            from dagrad.ops.shape import _expand_shape
            target = self._data[np_index if advanced else index]
            _expand_shape(np.shape(v), np.shape(target), np.asarray(v).dtype)
            raise RuntimeError(str(e)) from None
        self._bump()
        return
    if advanced:
        check_inplace(self)
        np_index = tuple(indexing._to_np_index(i) for i in idx)
        if value_t is None:
            value_t = Tensor._make(np.asarray(value, dtype=self._data.dtype))
        commit(self, _index_put(self, np_index, value_t))
        return
    view = indexing.getitem(self, index)
    copy_(view, value if value_t is not None else Tensor._make(
        np.asarray(value, dtype=self._data.dtype)))


# --------------------------------------------------------------------------- initialisers


def fill_(self: Tensor, value: Any) -> Tensor:
    """Set every element to ``value``, in place."""
    if isinstance(value, Tensor) and value._rg and STATE.grad:
        return copy_(self, value.expand(tuple(self.shape)))
    check_inplace(self)
    if STATE.grad and self._rg:
        return copy_(self, Tensor._make(np.full(self._data.shape, value, self._data.dtype)))
    if type(value) is int or type(value) is float:
        self._data.fill(value)      # ndarray.fill: the cast of `[...] =`, without indexing
    else:
        self._data[...] = value._data if isinstance(value, Tensor) else value
    self._bump()
    return self


def zero_(self: Tensor) -> Tensor:
    """Set every element to 0, in place."""
    return fill_(self, 0)


def _init_(self: Tensor, values: np.ndarray, kernel: str = "normal_kernel_cpu") -> Tensor:
    if self._data.dtype.kind not in "fc":
        from dagrad.ops.pointwise import scalar_type_name
        raise NotImplementedError(f'"{kernel}" not implemented for '
                                  f"'{scalar_type_name(self._data.dtype)}'")
    check_inplace(self)
    if STATE.grad and self._rg:
        return copy_(self, Tensor._make(values))
    self._data[...] = values
    self._bump()
    return self


def normal_(self: Tensor, mean: float = 0.0, std: float = 1.0, *, generator: Any = None) -> Tensor:
    """Fill with samples from N(mean, std**2), in place."""
    from dagrad import _random
    return _init_(self, _random.normal(self._data.shape, generator) * std + mean)


def uniform_(self: Tensor, a: float = 0.0, b: float = 1.0, *, generator: Any = None) -> Tensor:
    """Fill with samples from U(a, b), in place."""
    from dagrad import _random
    return _init_(self, _random.uniform(self._data.shape, generator) * (b - a) + a,
                  "check_uniform_bounds")
