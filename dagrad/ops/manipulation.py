"""Shape manipulation beyond the basic views of ``shape.py``: unflatten, movedim, repeat, tile,
repeat_interleave, flip, roll, rot90, split/chunk/tensor_split, the *stack joins, diag/diagonal/
diag_embed, tril/triu, trace, meshgrid, nonzero, take, take_along_dim, atleast_*d, ravel,
narrow_copy.

Ops PyTorch records as their own node (``RepeatBackward0``, ``FlipBackward0``, ``SplitBackward0``,
``DiagonalBackward0``...) are registered here with a NumPy kernel and their derivative, written
in dagrad ops as everywhere in ``dagrad/ops``. Ops PyTorch builds from others (``tile`` is
``repeat``, ``hstack`` is ``cat``, ``tensor_split`` is ``slice``...) are plain functions composed
the same way, so they record the same nodes PyTorch does. ``flip``, ``repeat`` and ``split``
take PyTorch's varargs/overloaded arguments in a plain function that calls a private kernel
(``_flip``...) registered under the public name.

Note [Split outputs are views]
``split``, ``split_with_sizes`` and ``chunk`` return views of their input that share one node
(``SplitBackward0``), like ``unbind``: they are registered with ``multi_view=True``, so an in-place
op on one of them raises PyTorch's "... is the output of a function that returns multiple views"
error. ``tensor_split``/``hsplit``/``vsplit``/``dsplit`` are separate ``slice`` views
(``SliceBackward0``) in PyTorch, and here: in-place on them is allowed.

Note [Writable diagonal]
``np.diagonal`` returns a read-only view, but ``x.diagonal().mul_(2)`` must write through to
``x``. ``_diagonal_view`` builds the same view with ``as_strided`` (the stride of the diagonal is
the sum of the two dims' strides), writable whenever its input is.
"""
from __future__ import annotations

import builtins
import warnings
from collections.abc import Sequence
from itertools import pairwise
from typing import Any

import numpy as np

from dagrad import _errors
from dagrad._tensor import Tensor
from dagrad.ops import _formulas
from dagrad.ops._registry import defop
from dagrad.ops.indexing import _alias
from dagrad.ops.pointwise import clone, scalar_type_name
from dagrad.ops.pointwise import where as _where_select
from dagrad.ops.selection import _gather
from dagrad.ops.shape import (
    _infer_shape,
    _slice_backward,
    cat,
    contiguous,
    expand,
    flatten,
    permute,
    reshape,
    slice,
    unbind,
    unsqueeze,
    view,
)

_ALL = builtins.slice(None)

# --------------------------------------------------------------------------- helpers


def _wrap_dim(dim: int, ndim: int) -> int:
    """PyTorch's ``maybe_wrap_dim``: a 0-dim tensor accepts dims -1 and 0 (both mean 0)."""
    n = max(ndim, 1)
    dim = int(dim)
    if not -n <= dim < n:
        raise IndexError(_errors.DIM_OUT_OF_RANGE.format(lo=-n, hi=n - 1, dim=dim))
    return dim + n if dim < 0 else dim


def _no_dims(dim: int) -> IndexError:
    return IndexError(f"Dimension specified as {dim} but tensor has no dimensions")


def _int_tuple(args: tuple, keyword: Any) -> tuple[int, ...]:
    """``f(1, 2)``, ``f((1, 2))``, ``f([1, 2])`` or ``f(name=(1, 2))`` as ``(1, 2)``."""
    if keyword is not None:
        if args:
            raise TypeError("got the sizes both positionally and by keyword")
        args = (keyword,)
    if len(args) == 1 and not isinstance(args[0], (int, np.integer)):
        args = tuple(args[0])
    return tuple(int(a) for a in args)


def _infer_size(a: Sequence[int], b: Sequence[int]) -> tuple[int, ...]:
    """The broadcast shape of ``a`` and ``b`` (PyTorch's ``infer_size`` and its message)."""
    n = max(len(a), len(b))
    out = []
    for i in range(n):
        sa = a[len(a) - n + i] if len(a) - n + i >= 0 else 1
        sb = b[len(b) - n + i] if len(b) - n + i >= 0 else 1
        if sa != sb and sa != 1 and sb != 1:
            raise RuntimeError(_errors.BROADCAST.format(a=sa, b=sb, dim=i))
        out.append(sb if sa == 1 else sa)
    return tuple(out)


# --------------------------------------------------------------------------- views and moves


def unflatten(self: Tensor, dim: int, sizes: Sequence[int]) -> Tensor:
    """Split dim ``dim`` into ``sizes`` (one ``-1`` is inferred). A view (``ViewBackward0``).

    Shape:
        (*, sizes.prod(), *) -> (*, *sizes, *)

    Example:
        >>> dagrad.zeros(4, 6).unflatten(1, (2, 3)).shape
        dagrad.Size([4, 2, 3])
    """
    shape = tuple(self.shape)
    d = _wrap_dim(dim, len(shape))
    sizes = tuple(int(s) for s in sizes)
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    if not shape:
        raise RuntimeError("unflatten got an unexpected error:\n" + str(_no_dims(dim)))
    try:
        inferred = _infer_shape(sizes, shape[d])
    except RuntimeError as e:
        if "shape '[" in str(e):
            raise RuntimeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to the "
                               f"size of dim {d} ({shape[d]}) in the input tensor") from None
        raise RuntimeError(f"unflatten got an unexpected error:\n{e}") from None
    return view(self, shape[:d] + tuple(inferred) + shape[d + 1:])


def movedim(self: Tensor, source: int | Sequence[int], destination: int | Sequence[int]) -> Tensor:
    """Move dims ``source`` to positions ``destination``; the others keep their order.

    A view: ``PermuteBackward0`` (``AliasBackward0`` for a 0-dim tensor).

    Example:
        >>> dagrad.zeros(2, 3, 4).movedim(0, -1).shape
        dagrad.Size([3, 4, 2])
    """
    src = (source,) if isinstance(source, int) else tuple(source)
    dst = (destination,) if isinstance(destination, int) else tuple(destination)
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({list(src)} "
                           f"dims) should contain the same number of dims as destination "
                           f"({list(dst)} dims)")
    ndim = self.dim()
    nsrc = [_wrap_dim(d, ndim) for d in src]
    ndst = [_wrap_dim(d, ndim) for d in dst]
    if len(set(nsrc)) != len(nsrc):
        raise RuntimeError(f"movedim: repeated dim in `source` ({list(src)})")
    if len(set(ndst)) != len(ndst):
        raise RuntimeError(f"movedim: repeated dim in `destination` ({list(dst)})")
    if ndim == 0:
        return _alias(self)
    order = [-1] * ndim
    for s, d in zip(nsrc, ndst, strict=True):
        order[d] = s
    rest = iter(i for i in range(ndim) if i not in nsrc)
    order = [next(rest) if o == -1 else o for o in order]
    return permute(self, tuple(order))


moveaxis = movedim


def ravel(self: Tensor) -> Tensor:
    """The elements as a 1-D tensor: a view when contiguous, else a copy (``ViewBackward0``)."""
    return view(contiguous(self), (-1,))


def _atleast_1d(t: Tensor) -> Tensor:
    return reshape(t, (1,)) if t.dim() == 0 else t


def _atleast_2d(t: Tensor) -> Tensor:
    if t.dim() == 0:
        return reshape(t, (1, 1))
    return unsqueeze(t, 0) if t.dim() == 1 else t


def _atleast_3d(t: Tensor) -> Tensor:
    n = t.dim()
    if n == 0:
        return reshape(t, (1, 1, 1))
    if n == 1:
        return unsqueeze(unsqueeze(t, 0), -1)
    return unsqueeze(t, -1) if n == 2 else t


def _atleast(name: str, fn: Any, tensors: tuple) -> Tensor | tuple[Tensor, ...]:
    if len(tensors) == 1:
        tensors = tensors[0]
        if isinstance(tensors, Tensor):
            return fn(tensors)
    if not isinstance(tensors, (tuple, list)) or not all(isinstance(t, Tensor) for t in tensors):
        raise TypeError(f"{name}() expects Tensors, or one list or tuple of Tensors")
    return tuple(fn(t) for t in tensors)


def atleast_1d(*tensors: Any) -> Tensor | tuple[Tensor, ...]:
    """Each input with at least one dim (a 0-dim tensor becomes shape (1,)).

    One tensor in, one out; several (or a list), a tuple.

    Example:
        >>> dagrad.atleast_1d(dagrad.tensor(1.)).shape
        dagrad.Size([1])
    """
    return _atleast("atleast_1d", _atleast_1d, tensors)


def atleast_2d(*tensors: Any) -> Tensor | tuple[Tensor, ...]:
    """Each input with at least two dims: () -> (1, 1), (n,) -> (1, n)."""
    return _atleast("atleast_2d", _atleast_2d, tensors)


def atleast_3d(*tensors: Any) -> Tensor | tuple[Tensor, ...]:
    """Each input with at least three dims: () -> (1, 1, 1), (n,) -> (1, n, 1),
    (m, n) -> (m, n, 1)."""
    return _atleast("atleast_3d", _atleast_3d, tensors)


# --------------------------------------------------------------------------- repeat, tile


def _repeat_backward(grad: Tensor, shape: tuple, repeats: tuple) -> Tensor:
    """Sum each block a repeat made back onto the input (PyTorch's ``repeat_backward``)."""
    if 0 in repeats:
        return grad.new_zeros(shape)
    lead = len(repeats) - len(shape)
    for _ in range(lead):
        grad = grad.sum(0)
    grad_size: list[int] = []
    sum_dims: list[int] = []
    for d, size in enumerate(shape):
        r = repeats[d + lead]
        if r != 1:                      # (r * size,) -> (r, size), then sum over r
            grad_size.append(r)
            sum_dims.append(len(grad_size) - 1)
        grad_size.append(size)
    if sum_dims:
        grad = grad.reshape(tuple(grad_size)).sum(tuple(sum_dims))
    return grad


@defop(name="repeat", node="RepeatBackward0", grads={
    "self": lambda grad, self_shape, repeats: _repeat_backward(grad, self_shape, repeats)})
def _repeat(self, repeats):
    if len(repeats) < self.ndim:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number of "
                           "dimensions of tensor")
    padded = (1,) * (len(repeats) - self.ndim) + self.shape
    target = [s * r for s, r in zip(padded, repeats, strict=True)]
    for t in target:
        if t < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {t}: {target}")
    return np.tile(self, repeats)


def repeat(self: Tensor, *sizes: Any, repeats: Any = None) -> Tensor:
    """Tile ``self`` ``sizes[i]`` times along dim i; extra leading sizes add dims. A copy.

    Same as ``torch.Tensor.repeat``; ``x.repeat(2, 1)`` and ``x.repeat((2, 1))`` both work.

    Shape:
        (s_1, ..., s_n) -> (r_1 * s_1, ..., r_n * s_n), ``s`` padded with leading 1s to ``len(r)``

    Example:
        >>> dagrad.tensor([1., 2.]).repeat(2, 2)
        tensor([[1., 2., 1., 2.],
                [1., 2., 1., 2.]])
    """
    return _repeat(self, _int_tuple(sizes, repeats))


def tile(self: Tensor, *dims_: Any, dims: Any = None) -> Tensor:
    """Like ``repeat``, but fewer ``dims`` than the tensor has are padded with leading 1s."""
    reps = _int_tuple(dims_, dims)
    reps = (1,) * (self.dim() - len(reps)) + reps
    return _repeat(self, reps)


@defop(node="IndexSelectBackward0", tensors=("index",), grads={
    "self": lambda grad, self_shape, dim, index: _index_select_backward(grad, self_shape, dim,
                                                                        index)})
def _index_select(self, dim, index):
    # rows ``index`` of ``self`` along ``dim`` (``torch.index_select``, for repeat_interleave; a
    # private twin of scatter.py's public index_select, so this module does not depend on it)
    return np.take(self, index, axis=_wrap_dim(dim, self.ndim))


@defop(node="IndexAddBackward0", tensors=("index",), grads={
    "g": lambda grad, dim, index: _index_select(grad, dim, index)})
def _index_select_backward(g, self_shape, dim, index):
    # zeros of ``self_shape`` with ``g`` added at ``index`` along ``dim`` (repeats add up)
    out = np.zeros(self_shape, g.dtype)
    np.add.at(out, (_ALL,) * _wrap_dim(dim, len(self_shape)) + (index,), g)
    return out


@defop(node=None, tensors=("repeats",))
def _repeat_interleave_counts(repeats, output_size=None):
    # torch.repeat_interleave(repeats): index i repeated repeats[i] times
    if repeats.dtype not in (np.int32, np.int64):
        raise NotImplementedError(f"\"repeat_interleave_cpu\" not implemented for "
                                  f"'{scalar_type_name(repeats.dtype)}'")
    if repeats.ndim != 1:
        raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
    if (repeats < 0).any():
        raise RuntimeError("repeats can not be negative")
    if output_size is not None and repeats.size and output_size != int(repeats.sum()):
        raise RuntimeError("allocated size does not match required size")
    return np.repeat(np.arange(repeats.shape[0], dtype=repeats.dtype), repeats)


def repeat_interleave(self: Tensor, repeats: int | Tensor | None = None, dim: int | None = None,
                      *, output_size: int | None = None) -> Tensor:
    """Repeat each element (each slice along ``dim``) ``repeats`` times, like ``np.repeat``.

    ``dim=None`` flattens first. ``repeats`` is an int or a tensor with one count per slice
    (``IndexSelectBackward0``; an int records ``ViewBackward0``). ``repeat_interleave(counts)``
    with one int tensor returns ``0, 0, ..., 1, 1, ...`` (``counts[i]`` copies of ``i``).

    Example:
        >>> dagrad.tensor([1., 2.]).repeat_interleave(2)
        tensor([1., 1., 2., 2.])
    """
    if repeats is None:
        return _repeat_interleave_counts(self, output_size)
    inp = self if dim is not None else flatten(self)
    if isinstance(repeats, Tensor):
        d = 0 if dim is None else dim
        if inp.dim() == 0:
            raise _no_dims(d)
        n = inp.shape[_wrap_dim(d, inp.dim())]
        if repeats.dim() == 0 or (repeats.dim() == 1 and repeats.shape[0] == 1):
            repeats = expand(reshape(repeats, (1,)), n)
        elif repeats.dim() == 1:
            if repeats.shape[0] != n:
                raise RuntimeError(f"repeats must have the same size as input along dim, but got "
                                   f"repeats.size(0) = {repeats.shape[0]} and input.size({d}) = "
                                   f"{n}")
        else:
            raise RuntimeError("repeats must be 0-dim or 1-dim tensor")
        return _index_select(inp, d, _repeat_interleave_counts(repeats, output_size))
    d = _wrap_dim(0 if dim is None else dim, self.dim())
    repeats = int(repeats)
    if repeats < 0:
        raise RuntimeError("Repeats must be non-negative")
    inp = unsqueeze(inp, d + 1)
    size = list(inp.shape)
    size[d + 1] = repeats
    if output_size is not None and output_size != repeats * size[d]:
        raise RuntimeError(f"repeat_interleave: Invalid output_size, expected {repeats * size[d]} "
                           f"but got {output_size}")
    return flatten(clone(expand(inp, tuple(size))), d, d + 1)


# --------------------------------------------------------------------------- flip, roll, rot90


@defop(name="flip", node="FlipBackward0", grads={"self": lambda grad, dims: _flip(grad, dims)})
def _flip(self, dims):
    d = _formulas.normalize_dims(dims, self.ndim)
    return np.flip(self, d).copy() if d else self.copy()


def flip(self: Tensor, *dims_: Any, dims: Any = None) -> Tensor:
    """Reverse the order of the elements along ``dims``. A copy (``FlipBackward0``).

    Example:
        >>> dagrad.tensor([[1., 2.], [3., 4.]]).flip(0)
        tensor([[3., 4.],
                [1., 2.]])
    """
    return _flip(self, _int_tuple(dims_, dims))


def fliplr(self: Tensor) -> Tensor:
    """Reverse dim 1 (left/right). Needs at least 2 dims."""
    if self.dim() < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return _flip(self, (1,))


def flipud(self: Tensor) -> Tensor:
    """Reverse dim 0 (up/down). Needs at least 1 dim."""
    if self.dim() < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return _flip(self, (0,))


def _negate(shifts: int | Sequence[int]) -> int | tuple[int, ...]:
    if isinstance(shifts, (int, np.integer)):
        return -int(shifts)
    return tuple(-int(s) for s in shifts)


@defop(node="RollBackward0", grads={
    "self": lambda grad, shifts, dims: roll(grad, _negate(shifts), dims)})
def roll(self: np.ndarray, shifts: int | Sequence[int],
         dims: int | Sequence[int] | None = None) -> np.ndarray:
    """Shift the elements ``shifts`` places along ``dims``, wrapping around (``dims=None``: the
    flattened tensor, then the shape restored). A copy.

    Example:
        >>> dagrad.tensor([1., 2., 3.]).roll(1)
        tensor([3., 1., 2.])
    """
    shifts = (int(shifts),) if isinstance(shifts, (int, np.integer)) else tuple(shifts)
    dims = () if dims is None else (dims,) if isinstance(dims, (int, np.integer)) else tuple(dims)
    if not shifts:
        raise RuntimeError("`shifts` required")
    if not dims and len(shifts) == 1:
        return np.roll(self, shifts[0])
    if len(shifts) != len(dims):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, "
                           f"dims:{len(dims)}")
    if self.ndim == 0:
        raise _no_dims(dims[0])
    return np.roll(self, shifts, tuple(_wrap_dim(d, self.ndim) for d in dims))


@defop(node="Rot90Backward0", grads={"self": lambda grad, k, dims: rot90(grad, -k, dims)})
def rot90(self: np.ndarray, k: int = 1, dims: Sequence[int] = (0, 1)) -> np.ndarray:
    """Rotate by ``k`` quarter turns in the plane of ``dims``, from the first dim towards the
    second. A copy.

    Example:
        >>> dagrad.tensor([[1., 2.], [3., 4.]]).rot90()
        tensor([[2., 4.],
                [1., 3.]])
    """
    dims = tuple(int(d) for d in dims)
    n = self.ndim
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if n < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {n}")
    if dims[0] == dims[1] or abs(dims[0] - dims[1]) == n:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {dims[0]} and "
                           f"dim1 = {dims[1]}")
    d0, d1 = _wrap_dim(dims[0], n), _wrap_dim(dims[1], n)
    k = int(k) % 4
    # PyTorch's strides: a transposed copy for odd k
    if k == 1:
        return np.swapaxes(np.flip(self, d1).copy(), d0, d1)
    if k == 2:
        return np.flip(self, (d0, d1)).copy()
    if k == 3:
        return np.swapaxes(np.flip(self, d0).copy(), d0, d1)
    return self.copy()


# --------------------------------------------------------------------------- split


@defop(name="split", node="SplitBackward0", outputs=-1, view=True, multi_view=True,
       grads={"self": lambda grads, dim: cat(grads, dim)})
def _split(self, split_size, dim=0):
    if self.ndim == 0:
        raise RuntimeError("split expects at least a 1-dimensional tensor")
    if split_size < 0:
        raise RuntimeError(f"split expects split_size be non-negative, but got "
                           f"split_size={split_size}")
    d = _wrap_dim(dim, self.ndim)
    n = self.shape[d]
    if split_size == 0 and n != 0:
        raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got dimension "
                           f"size of {n}")
    count = 1 if split_size == 0 else max(-(-n // split_size), 1)
    lead = (_ALL,) * d
    return tuple(self[lead + (builtins.slice(i * split_size, (i + 1) * split_size),)]
                 for i in range(count))


@defop(node="SplitWithSizesBackward0", outputs=-1, view=True, multi_view=True,
       grads={"self": lambda grads, dim: cat(grads, dim)})
def split_with_sizes(self: np.ndarray, split_sizes: Sequence[int],
                     dim: int = 0) -> tuple[np.ndarray, ...]:
    """Split into pieces of ``split_sizes`` along ``dim`` (views; see ``split``)."""
    if self.ndim == 0:
        raise RuntimeError("split expects at least a 1-dimensional tensor")
    d = _wrap_dim(dim, self.ndim)
    sizes = [int(s) for s in split_sizes]
    if any(s < 0 for s in sizes):
        raise RuntimeError(f"split_with_sizes expects split_sizes have only non-negative entries, "
                           f"but got split_sizes={sizes}")
    if builtins.sum(sizes) != self.shape[d]:
        raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to "
                           f"{self.shape[d]} (input tensor's size at dimension {dim}), but got "
                           f"split_sizes={sizes}")
    lead = (_ALL,) * d
    bounds = np.cumsum([0] + sizes).tolist()
    return tuple(self[lead + (builtins.slice(a, b),)] for a, b in pairwise(bounds))


def split(tensor: Tensor, split_size_or_sections: int | Sequence[int],
          dim: int = 0) -> tuple[Tensor, ...]:
    """Split into pieces of ``split_size`` (the last may be smaller), or of the given sizes.

    The pieces are views sharing one node, ``SplitBackward0`` (``SplitWithSizesBackward0`` for
    a list): modifying one in place is an error (Note [Split outputs are views]).

    Example:
        >>> [t.shape[0] for t in dagrad.zeros(5, 2).split(2)]
        [2, 2, 1]
    """
    if isinstance(split_size_or_sections, (list, tuple)):
        return split_with_sizes(tensor, split_size_or_sections, dim)
    return _split(tensor, int(split_size_or_sections), dim)


def _split_method(self: Tensor, split_size: int | Sequence[int], dim: int = 0) -> tuple:
    """``Tensor.split(split_size, dim=0)``: ``split`` with the method's parameter name."""
    return split(self, split_size, dim)


def chunk(self: Tensor, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
    """Split into ``chunks`` pieces of ``ceil(size / chunks)`` along ``dim`` (maybe fewer).

    Views, like ``split`` (``SplitBackward0``).
    """
    if self.dim() == 0:
        raise RuntimeError("chunk expects at least a 1-dimensional tensor")
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    n = self.shape[_wrap_dim(dim, self.dim())]
    size = -(-n // chunks)
    if size == 0 and n == 0:            # keep `chunks` empty pieces
        return split_with_sizes(self, [0] * chunks, dim)
    return _split(self, size, dim)


def _one_of(*args: Any) -> Any:
    """The one argument of an overloaded call that was given (PyTorch's keyword overloads)."""
    given = [a for a in args if a is not None]
    if len(given) != 1:
        raise TypeError("expected exactly one of indices_or_sections, sections, indices or "
                        "tensor_indices_or_sections")
    return given[0]


def tensor_split(self: Tensor, indices_or_sections: Any = None, dim: int = 0, *,
                 sections: int | None = None, indices: Sequence[int] | None = None,
                 tensor_indices_or_sections: Tensor | None = None) -> tuple[Tensor, ...]:
    """Split into ``sections`` near-equal pieces (the first ``size % sections`` one longer), or
    at ``indices``, along ``dim``. Each piece is a ``slice`` view (``SliceBackward0``).

    ``indices_or_sections`` may be an int, a list of ints, or an int64 tensor (0-dim: sections;
    1-D: indices); PyTorch's keywords ``sections``/``indices``/``tensor_indices_or_sections`` work.

    Example:
        >>> [t.shape[0] for t in dagrad.zeros(7).tensor_split(3)]
        [3, 2, 2]
    """
    arg = _one_of(indices_or_sections, sections, indices, tensor_indices_or_sections)
    if self.dim() == 0:
        raise RuntimeError(f"tensor_split expected at least a 1-dimensional tensor, but got a "
                           f"tensor with {self.dim()} dims")
    if isinstance(arg, Tensor):
        if arg._data.dtype != np.int64:
            raise RuntimeError(f"tensor_split expected tensor_indices_or_sections to have dtype "
                               f"of long, but got {scalar_type_name(arg._data.dtype)}")
        if arg.dim() > 1:
            raise RuntimeError(f"tensor_split expected tensor_indices_or_sections to be a "
                               f"zero-dimensional or one-dimensional tensor, but got a tensor "
                               f"with {arg.dim()} dims")
        arg = arg._data.tolist()
    d = _wrap_dim(dim, self.dim())
    n = self.shape[d]
    if isinstance(arg, (list, tuple)):
        bounds = [0, *(int(i) for i in arg), n]
    else:
        sections = int(arg)
        if sections <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {sections}")
        size, extra = divmod(n, sections)
        bounds = [0]
        for i in range(sections):
            bounds.append(bounds[-1] + size + (1 if i < extra else 0))
    return tuple(slice(self, d, a, b, 1) for a, b in pairwise(bounds))


def _split_along(name: str, self: Tensor, arg: Any, min_dims: int, dim: int) -> tuple:
    if self.dim() < min_dims:
        raise RuntimeError(f"dagrad.{name} requires a tensor with at least {min_dims} dimension, "
                           f"but got a tensor with {self.dim()} dimensions!")
    if isinstance(arg, Tensor):
        arg = arg._data.tolist()
    if not isinstance(arg, (list, tuple)):
        arg = int(arg)
        size = self.shape[dim]
        if arg == 0 or size % arg != 0:
            raise RuntimeError(f"dagrad.{name} attempted to split along dimension {dim}, but the "
                               f"size of the dimension {size} is not divisible by the split_size "
                               f"{arg}!")
    return tensor_split(self, arg, dim)


def hsplit(self: Tensor, indices_or_sections: Any = None, *, sections: int | None = None,
           indices: Sequence[int] | None = None) -> tuple[Tensor, ...]:
    """``tensor_split`` along dim 1 (dim 0 for a 1-D tensor); ``sections`` must divide it."""
    arg = _one_of(indices_or_sections, sections, indices)
    return _split_along("hsplit", self, arg, 1, 0 if self.dim() == 1 else 1)


def vsplit(self: Tensor, indices_or_sections: Any = None, *, sections: int | None = None,
           indices: Sequence[int] | None = None) -> tuple[Tensor, ...]:
    """``tensor_split`` along dim 0 of a tensor with at least 2 dims."""
    arg = _one_of(indices_or_sections, sections, indices)
    return _split_along("vsplit", self, arg, 2, 0)


def dsplit(self: Tensor, indices_or_sections: Any = None, *, sections: int | None = None,
           indices: Sequence[int] | None = None) -> tuple[Tensor, ...]:
    """``tensor_split`` along dim 2 of a tensor with at least 3 dims."""
    arg = _one_of(indices_or_sections, sections, indices)
    return _split_along("dsplit", self, arg, 3, 2)


# --------------------------------------------------------------------------- stacks


def _tensor_list(name: str, tensors: Any) -> list[Tensor]:
    if isinstance(tensors, Tensor):
        raise TypeError(f"{name}(): argument 'tensors' (position 1) must be tuple of Tensors, "
                        f"not Tensor")
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError(f"{name} expects a non-empty TensorList")
    return tensors


def hstack(tensors: Sequence[Tensor]) -> Tensor:
    """Join column-wise: ``cat`` along dim 1, or dim 0 for 1-D tensors (``CatBackward0``).

    Example:
        >>> dagrad.hstack([dagrad.zeros(2, 1), dagrad.ones(2, 2)]).shape
        dagrad.Size([2, 3])
    """
    ts = [_atleast_1d(t) for t in _tensor_list("hstack", tensors)]
    return cat(ts, 0 if ts[0].dim() == 1 else 1)


def vstack(tensors: Sequence[Tensor]) -> Tensor:
    """Join row-wise: ``cat`` along dim 0 after ``atleast_2d`` ((n,) becomes (1, n))."""
    return cat([_atleast_2d(t) for t in _tensor_list("vstack", tensors)], 0)


def row_stack(tensors: Sequence[Tensor]) -> Tensor:
    """Same as ``vstack``."""
    if isinstance(tensors, Tensor):
        _tensor_list("row_stack", tensors)          # raises PyTorch's TypeError, naming row_stack
    return vstack(tensors)


def dstack(tensors: Sequence[Tensor]) -> Tensor:
    """Join depth-wise: ``cat`` along dim 2 after ``atleast_3d``."""
    return cat([_atleast_3d(t) for t in _tensor_list("dstack", tensors)], 2)


def column_stack(tensors: Sequence[Tensor]) -> Tensor:
    """Join as columns: 0-D and 1-D tensors become (n, 1) columns, then ``hstack``."""
    ts = [reshape(t, (t.numel(), 1)) if t.dim() <= 1 else t
          for t in _tensor_list("column_stack", tensors)]
    return hstack(ts)


def meshgrid(*tensors: Any, indexing: str | None = None) -> tuple[Tensor, ...]:
    """Grids from 1-D (or 0-D) tensors: output i varies along dim i (``indexing="ij"``); ``"xy"``
    swaps the first two dims, as ``numpy.meshgrid``. Each output is an expanded view
    (``ExpandBackward0``). Without ``indexing``, warns and uses ``"ij"``, as PyTorch does.

    Example:
        >>> [g.shape for g in dagrad.meshgrid(dagrad.zeros(2), dagrad.zeros(3), indexing="ij")]
        [dagrad.Size([2, 3]), dagrad.Size([2, 3])]
    """
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing is None:
        warnings.warn("dagrad.meshgrid: in an upcoming release, it will be required to pass the "
                      "indexing argument.", UserWarning, stacklevel=2)
        indexing = "ij"
    if not tensors:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    for a, b in pairwise(tensors):
        if a.dtype != b.dtype:
            raise RuntimeError("meshgrid expects all tensors to have the same dtype")
    ts = list(tensors)
    swap = False
    if indexing == "xy":
        swap = len(ts) >= 2
        if swap:
            ts[0], ts[1] = ts[1], ts[0]
    elif indexing != "ij":
        raise RuntimeError(f'dagrad.meshgrid: indexing must be one of "xy" or "ij", but '
                           f'received: {indexing}')
    for t in ts:
        if t.dim() > 1:
            raise RuntimeError(f"dagrad.meshgrid: Expected 0D or 1D tensor in the tensor list but "
                               f"got a tensor of shape {list(t.shape)}")
    shape = tuple(t.numel() for t in ts)
    grids = []
    for i, t in enumerate(ts):
        view_shape = [1] * len(ts)
        view_shape[i] = -1
        grids.append(expand(view(t, tuple(view_shape)), shape))
    if swap:
        grids[0], grids[1] = grids[1], grids[0]
    return tuple(grids)


# --------------------------------------------------------------------------- diagonals


def _diag_size(shape: tuple, offset: int, d1: int, d2: int) -> int:
    if offset >= 0:
        return max(min(shape[d1], shape[d2] - offset), 0)
    return max(min(shape[d1] + offset, shape[d2]), 0)


def _diagonal_view(a: np.ndarray, offset: int, d1: int, d2: int) -> np.ndarray:
    """The diagonal of dims ``d1``, ``d2`` as the last dim: a writable view (Note [Writable
    diagonal])."""
    size = _diag_size(a.shape, offset, d1, d2)
    idx = [_ALL] * a.ndim
    if size:
        if offset >= 0:
            idx[d2] = builtins.slice(offset, None)
        else:
            idx[d1] = builtins.slice(-offset, None)
    sub = a[tuple(idx)]
    rest = [i for i in range(a.ndim) if i not in (d1, d2)]
    return np.lib.stride_tricks.as_strided(
        sub, tuple(a.shape[i] for i in rest) + (size,),
        tuple(a.strides[i] for i in rest) + (a.strides[d1] + a.strides[d2],))


def _diag_dims(ndim: int, dim1: int, dim2: int) -> tuple[int, int]:
    d1, d2 = _wrap_dim(dim1, ndim), _wrap_dim(dim2, ndim)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return d1, d2


def _diagonal_grad(grad: Tensor, self_shape: tuple, offset: int, dim1: int, dim2: int) -> Tensor:
    return _diagonal_backward(grad, self_shape, offset, dim1, dim2)


@defop(node="DiagonalBackward0", view=True, grads={"self": _diagonal_grad})
def diagonal(self: np.ndarray, offset: int = 0, dim1: int = 0, dim2: int = 1) -> np.ndarray:
    """The diagonal of dims ``dim1`` and ``dim2`` (``offset`` > 0: above it), as the last dim.

    A view: writing into it writes into ``self``.

    Example:
        >>> dagrad.tensor([[1., 2.], [3., 4.]]).diagonal()
        tensor([1., 4.])
    """
    d1, d2 = _diag_dims(self.ndim, dim1, dim2)
    return _diagonal_view(self, offset, d1, d2)


@defop(node="DiagonalBackward0_copy", grads={"self": _diagonal_grad})
def _diagonal_copy(self, offset=0, dim1=0, dim2=1):
    # PyTorch's diagonal_copy (what diag of a matrix records)
    d1, d2 = _diag_dims(self.ndim, dim1, dim2)
    return _diagonal_view(self, offset, d1, d2).copy()


@defop(node="DiagonalBackwardBackward0", grads={
    "g": lambda grad, offset, dim1, dim2: diagonal(grad, offset, dim1, dim2)})
def _diagonal_backward(g, self_shape, offset, dim1, dim2):
    # zeros of ``self_shape`` with ``g`` on the diagonal
    out = np.zeros(self_shape, g.dtype)
    d1, d2 = _diag_dims(len(self_shape), dim1, dim2)
    _diagonal_view(out, offset, d1, d2)[...] = g
    return out


@defop(node="DiagEmbedBackward0", grads={
    "self": lambda grad, offset, dim1, dim2: diagonal(grad, offset, dim1, dim2)})
def diag_embed(self: np.ndarray, offset: int = 0, dim1: int = -2, dim2: int = -1) -> np.ndarray:
    """Put the last dim of ``self`` on the ``offset`` diagonal of new dims ``dim1``, ``dim2``
    (zeros elsewhere).

    Shape:
        (*, n) -> (*, n + |offset|, n + |offset|) for the default dims

    Example:
        >>> dagrad.diag_embed(dagrad.tensor([1., 2.]))
        tensor([[1., 0.],
                [0., 2.]])
    """
    nd = self.ndim + 1
    d1, d2 = _wrap_dim(dim1, nd), _wrap_dim(dim2, nd)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    k = abs(offset) + self.shape[-1]
    sizes = list(self.shape[:-1])
    sizes.insert(min(d1, d2), k)
    sizes.insert(max(d1, d2), k)
    out = np.zeros(sizes, self.dtype)
    _diagonal_view(out, offset, d1, d2)[...] = self
    return out


def diag(self: Tensor, diagonal: int = 0) -> Tensor:
    """1-D -> the 2-D matrix with ``self`` on diagonal ``diagonal`` (``DiagEmbedBackward0``);
    2-D -> a copy of that diagonal (``DiagonalBackward0_copy``).

    Example:
        >>> dagrad.diag(dagrad.tensor([[1., 2.], [3., 4.]]), 1)
        tensor([2.])
    """
    if self.dim() == 1:
        return diag_embed(self, diagonal)
    if self.dim() == 2:
        return _diagonal_copy(self, diagonal, 0, 1)
    raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {self.dim()}D")


def diagflat(self: Tensor, offset: int = 0) -> Tensor:
    """The flattened input on diagonal ``offset`` of a square matrix (``DiagEmbedBackward0``)."""
    return diag(view(contiguous(self), (-1,)), offset)


@defop(node="TrilBackward0", grads={"self": lambda grad, diagonal: tril(grad, diagonal)})
def tril(self: np.ndarray, diagonal: int = 0) -> np.ndarray:
    """The lower triangle of the last two dims (on and below diagonal ``diagonal``), zeros above.

    Example:
        >>> dagrad.ones(2, 2).tril()
        tensor([[1., 0.],
                [1., 1.]])
    """
    if self.ndim < 2:
        raise RuntimeError("tril: input tensor must have at least 2 dimensions")
    return np.tril(self, diagonal)


@defop(node="TriuBackward0", grads={"self": lambda grad, diagonal: triu(grad, diagonal)})
def triu(self: np.ndarray, diagonal: int = 0) -> np.ndarray:
    """The upper triangle of the last two dims (on and above diagonal ``diagonal``), zeros below."""
    if self.ndim < 2:
        raise RuntimeError("triu: input tensor must have at least 2 dimensions")
    return np.triu(self, diagonal)


def _trace_backward(grad: Tensor, self_shape: tuple) -> Tensor:
    return _diagonal_backward(grad.expand(min(self_shape)), self_shape, 0, 0, 1)


@defop(node="TraceBackward0", grads={"self": _trace_backward})
def trace(self: np.ndarray) -> np.ndarray:
    """The sum of the main diagonal of a matrix (integers sum as int64).

    Example:
        >>> dagrad.tensor([[1., 2.], [3., 4.]]).trace()
        tensor(5.)
    """
    if self.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {self.ndim}")
    if self.dtype == np.bool_:
        raise NotImplementedError("\"trace\" not implemented for 'Bool'")
    return np.asarray(np.trace(self, dtype=np.int64 if self.dtype.kind in "iu" else self.dtype))


# --------------------------------------------------------------------------- indices


@defop(node=None, tensors=("self",))
def _nonzero(self):
    # (number of nonzeros, ndim) int64 indices (``torch.nonzero``)
    return np.argwhere(self).astype(np.int64, copy=False)


def nonzero(self: Tensor, *, as_tuple: bool = False) -> Tensor | tuple[Tensor, ...]:
    """Indices of the nonzero elements: an int64 (n, ndim) tensor, or with ``as_tuple`` one 1-D
    tensor per dim (a 0-dim input counts as 1-D). Not differentiable.

    Example:
        >>> dagrad.tensor([[0., 1.], [2., 0.]]).nonzero()
        tensor([[0, 1],
                [1, 0]])
    """
    if not as_tuple:
        return _nonzero(self)
    return unbind(_nonzero(self if self.dim() else reshape(self, (1,))), 1)


def argwhere(self: Tensor) -> Tensor:
    """Same as ``nonzero(self)``: the (n, ndim) indices of the nonzero elements."""
    return _nonzero(self)


class _NoArg:
    def __repr__(self) -> str:
        return "<not given>"


_NO_ARG = _NoArg()


def where(condition: Tensor, input: Any = _NO_ARG, other: Any = _NO_ARG) -> Any:
    """``where(condition, input, other)``: ``input`` where ``condition`` holds, else ``other``
    (``WhereBackward0``); ``where(condition)``: ``nonzero(condition, as_tuple=True)``.

    Example:
        >>> dagrad.where(dagrad.tensor([0., 3., 4.]))
        (tensor([1, 2]),)
    """
    if input is _NO_ARG and other is _NO_ARG:
        return nonzero(condition, as_tuple=True)
    if input is _NO_ARG or other is _NO_ARG:
        raise TypeError("where() takes 1 or 3 arguments: where(condition) or "
                        "where(condition, input, other)")
    return _where_select(condition, input, other)


@defop(node="TakeBackward0", tensors=("index",), grads={
    "self": lambda grad, self_shape, index: _take_backward(grad, self_shape, index)})
def take(self: np.ndarray, index: np.ndarray) -> np.ndarray:
    """The elements of the flattened ``self`` at int64 ``index`` (negative counts from the end);
    the result has the shape of ``index``.

    Example:
        >>> dagrad.tensor([[1., 2.], [3., 4.]]).take(dagrad.tensor([0, -1]))
        tensor([1., 4.])
    """
    if index.dtype != np.int64:
        raise RuntimeError(f"take(): Expected a long tensor for index, but got "
                           f"{scalar_type_name(index.dtype)}")
    n = self.size
    if n == 0 and index.size:
        raise IndexError("take(): tried to take from an empty tensor")
    bad = (index < -n) | (index >= n)
    if bad.any():
        raise IndexError(f"out of range: tried to access index {index[bad].flat[0]} on a tensor "
                         f"of {n} elements.")
    return self.reshape(-1)[index]


@defop(node="PutBackward0", tensors=("index",), grads={
    "g": lambda grad, index: take(grad, index)})
def _take_backward(g, self_shape, index):
    # zeros of ``self_shape`` with ``g`` added at the flat ``index`` (repeats add up)
    out = np.zeros(int(np.prod(self_shape)), g.dtype)
    np.add.at(out, index.reshape(-1), g.reshape(-1))
    return out.reshape(self_shape)


def _check_gather_index(index: Tensor, dim: int, size: int) -> None:
    a = index._data
    bad = (a < 0) | (a >= size)
    if bad.any():
        raise RuntimeError(f"index {a[bad].flat[0]} is out of bounds for dimension {dim} with "
                           f"size {size}")


def take_along_dim(self: Tensor, indices: Tensor, dim: int | None = None) -> Tensor:
    """Pick along ``dim`` at ``indices`` (the output of ``argsort``/``argmax(keepdim=True)``),
    broadcasting the other dims; ``dim=None`` works on the flattened tensors. Records
    ``GatherBackward0``. Along a dim, indices wrap around (Note [take_along_dim wraps indices]).

    Example:
        >>> x = dagrad.tensor([[3., 1.], [2., 4.]])
        >>> dagrad.take_along_dim(x, x.argsort(1), 1)
        tensor([[1., 3.],
                [2., 4.]])
    """
    if dim is None:
        if indices._data.dtype not in (np.int32, np.int64):
            raise RuntimeError("gather(): Expected dtype int32/int64 for index")
        flat, idx = view(self, (-1,)), view(indices, (-1,))
        _check_gather_index(idx, 0, flat.shape[0])
        return _gather(flat, 0, idx)
    if self.dim() != indices.dim():
        raise RuntimeError(f"dagrad.take_along_dim(): input and indices should have the same "
                           f"number of dimensions, but got {self.dim()} dimensions for input, and "
                           f"{indices.dim()} dimensions for indices")
    if indices._data.dtype != np.int64:
        raise RuntimeError(f"dagrad.take_along_dim(): dtype of indices should be Long but got "
                           f"{scalar_type_name(indices._data.dtype)}")
    if self.dim() == 0:
        raise _no_dims(dim)
    d = _wrap_dim(dim, self.dim())
    self_sizes = list(self.shape)
    self_sizes[d] = indices.shape[d]
    indices = expand(indices, _infer_size(self_sizes, tuple(indices.shape)))
    index_sizes = list(indices.shape)
    index_sizes[d] = self.shape[d]
    self = expand(self, _infer_size(index_sizes, tuple(self.shape)))
    size = self.shape[d]
    if size == 0:
        _check_gather_index(indices, d, size)
    # Note [take_along_dim wraps indices]: with a dim, PyTorch 2.13 takes the indices modulo
    # the size of that dim (-1 is the last, size + 1 the second); without one it bounds-checks.
    indices = Tensor._make(np.mod(indices._data, max(size, 1)))
    return _gather(self, d, indices)


# --------------------------------------------------------------------------- copies


def _narrow_start(shape: tuple, dim: int, start: int, length: int) -> tuple[int, int]:
    """``(dim, start)`` made non-negative, checked as ``narrow_copy`` does."""
    if not shape:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    d = _wrap_dim(dim, len(shape))
    size = shape[d]
    if not -size <= start <= size:
        raise IndexError(f"start out of range (expected to be in range of [{-size}, {size}], but "
                         f"got {start})")
    if start < 0:
        start += size
    if length < 0 or start > size - length:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size "
                           f"({size}).")
    return d, start


def _narrow_copy_backward(grad: Tensor, self_shape: tuple, dim: int, start: int,
                          length: int) -> Tensor:
    d, s = _narrow_start(self_shape, dim, start, length)
    return _slice_backward(grad, self_shape, d, s, s + length, 1)


@defop(node="NarrowCopyBackward0", grads={"self": _narrow_copy_backward})
def narrow_copy(self: np.ndarray, dim: int, start: int, length: int) -> np.ndarray:
    """``length`` elements of ``dim`` from ``start``, as a copy (``narrow`` returns a view)."""
    d, s = _narrow_start(self.shape, int(dim), int(start), int(length))
    return self[(_ALL,) * d + (builtins.slice(s, s + int(length)),)].copy()


# --------------------------------------------------------------------------- exports

__all__ = [
    "unflatten", "movedim", "moveaxis", "ravel", "atleast_1d", "atleast_2d", "atleast_3d",
    "repeat", "tile", "repeat_interleave", "flip", "fliplr", "flipud", "roll", "rot90", "split",
    "split_with_sizes", "chunk", "tensor_split", "hsplit", "vsplit", "dsplit", "hstack", "vstack",
    "row_stack", "dstack", "column_stack", "meshgrid", "diagonal", "diag_embed", "diag",
    "diagflat", "tril", "triu", "trace", "nonzero", "argwhere", "where", "take", "take_along_dim",
    "narrow_copy",
]

#: Tensor methods: ``x.<name>(...)`` calls ``METHODS[name](x, ...)``. (``Tensor.where`` keeps its
#: own ``where(condition, other)`` method.)
METHODS = {name: globals()[name] for name in __all__ if name not in (
    "atleast_1d", "atleast_2d", "atleast_3d", "hstack", "vstack", "row_stack", "dstack",
    "column_stack", "meshgrid", "where")}
METHODS["split"] = _split_method
