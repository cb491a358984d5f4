"""Backward helpers shared by several ops, written in dagrad ops (so they differentiate again)."""
from __future__ import annotations

from typing import Any

from dagrad import _errors


def normalize_dims(dim: Any, ndim: int) -> tuple[int, ...]:
    """``dim`` (None, an int or a sequence, possibly negative) as sorted non-negative ints."""
    if dim is None:
        return tuple(range(ndim))
    if isinstance(dim, int):
        dim = (dim,)
    n = max(ndim, 1)
    out = []
    for d in dim:
        d = int(d)
        if not -n <= d < n:
            raise IndexError(_errors.DIM_OUT_OF_RANGE.format(lo=-n, hi=n - 1, dim=d))
        d = d + n if d < 0 else d
        if ndim == 0:
            d = 0
        if d in out:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
        out.append(d)
    return tuple(sorted(out)) if ndim else ()


def unsqueeze_to(grad: Any, shape: tuple, dim: Any, keepdim: bool) -> Any:
    """Put back the dims a reduction removed, so ``grad`` broadcasts against ``shape``."""
    if keepdim or len(shape) == grad.dim():
        return grad
    for d in normalize_dims(dim, len(shape)):
        grad = grad.unsqueeze(d)
    return grad


def sum_backward(grad: Any, shape: tuple, dim: Any, keepdim: bool) -> Any:
    """The gradient of ``sum(self, dim, keepdim)``: ``grad`` broadcast back to ``shape``."""
    if dim is None and grad.dim() == 0:
        return grad.expand(shape)           # a 0-dim gradient broadcasts as it is
    return unsqueeze_to(grad, shape, dim, keepdim).expand(shape)


def reduced_numel(shape: tuple, dim: Any) -> int:
    n = 1
    for d in normalize_dims(dim, len(shape)) if dim is not None and len(
            (dim,) if isinstance(dim, int) else dim) else range(len(shape)):
        n *= shape[d]
    return n


def normalize_dims_seq(dims: Any, ndim: int) -> tuple[int, ...]:
    """Like ``normalize_dims`` but keeps the given order (for ``permute``)."""
    n = max(ndim, 1)
    out = []
    for d in dims:
        d = int(d)
        if not -n <= d < n:
            raise IndexError(_errors.DIM_OUT_OF_RANGE.format(lo=-n, hi=n - 1, dim=d))
        out.append(d + n if d < 0 else d)
    if len(set(out)) != len(out):
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return tuple(out)
