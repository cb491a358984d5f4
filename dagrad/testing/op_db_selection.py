"""OpInfo entries for ``dagrad/ops/selection.py`` and ``dagrad/ops/special.py`` (issue 3).

Same format and conventions as ``dagrad/testing/op_db.py``, which appends ``OPS`` to ``op_db``.
Every ``op`` is given explicitly (the ops module's function), and ``torch_fn`` names the PyTorch
twin. Ops that return ``(values, indices)`` are entered with their differentiable ``values``
(``.dim`` variants call ``x.max(dim)[0]`` on the PyTorch side too); the indices are checked
against PyTorch in ``tests/test_selection.py``. Samples with tied values are marked ``nondiff``
and kept only where PyTorch's choice among ties is deterministic (Note [Ties and
implementation-defined indices] in ``dagrad/ops/selection.py``).
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Callable, Iterator

import numpy as np

import dagrad
from dagrad.ops import selection as S
from dagrad.ops import special as P

if TYPE_CHECKING:
    from dagrad.testing.op_db import ErrorInput, OpInfo, SampleInput, _Make, binary_samples

__all__ = ["OPS"]

# Note [Import order]: op_db.py appends ``OPS`` at its end, so this module must not import
# op_db.py when it is imported (imported first, it would then be found half-built). ``OPS`` is
# built on first access (PEP 562), when op_db's names exist, and only once.


def __getattr__(name: str) -> Any:
    if name == "OPS":
        return globals().setdefault("OPS", _build())
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _build() -> list:
    global ErrorInput, OpInfo, SampleInput, _Make, binary_samples
    from dagrad.testing.op_db import ErrorInput, OpInfo, SampleInput, _Make, binary_samples
    return _selection_entries() + _special_entries()

_DIM2 = "Dimension out of range (expected to be in range of [-2, 1], but got {})"


def _ax(x: np.ndarray, dim: Any) -> Any:
    return dim if x.ndim else None


def _first(fn: Callable) -> Callable:
    """``fn(...)[0]``: the values of a (values, indices) pair."""
    def call(*args: Any, **kwargs: Any) -> Any:
        return fn(*args, **kwargs)[0]
    call.__name__ = getattr(fn, "__name__", "fn")
    return call


def _method(name: str, pick_first: bool = False) -> Callable:
    """``x.<name>(...)`` (``[0]`` of it): runs on PyTorch tensors as on dagrad's."""
    def call(x: Any, *args: Any, **kwargs: Any) -> Any:
        out = getattr(x, name)(*args, **kwargs)
        return out[0] if pick_first else out
    return call


def _dim_errors(name: str, empty: bool = True) -> Callable:
    """A dim out of range and, for reductions that need one, an empty reduced dim."""
    def errors() -> Iterator[ErrorInput]:
        yield ErrorInput(SampleInput((dagrad.ones(2, 3), 2)), IndexError, _DIM2.format(2))
        if empty:
            yield ErrorInput(SampleInput((dagrad.ones(0, 3), 0)), IndexError,
                             f"{name}(): Expected reduction dim 0 to have non-zero size.")
    return errors


# --------------------------------------------------------------------------- samples


def _along_dim(ties: list | None = None, empty: bool = True, zero_dim: bool = True) -> Callable:
    """(3, 4) dim=1, dim=-2 keepdim, 3-D, 0-dim, empty other dim, and a tie sample."""
    def samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
        make = _Make(dtype, rg)
        yield SampleInput((make((3, 4)), 1), desc="dim=1")
        yield SampleInput((make((3, 4)), -2, True), desc="dim=-2, keepdim")
        yield SampleInput((make((2, 3, 4)),), {"dim": 1}, desc="3-D, dim kwarg")
        if zero_dim:
            yield SampleInput((make(()), 0), desc="0-dim")
        if empty:
            yield SampleInput((make((0, 3)), 1), desc="empty")
        if ties is not None:
            yield SampleInput((make((2, 4), values=ties), 1), desc="ties", nondiff=True)
    return samples


_TIES = [[1, 3, 3, 2], [5, 5, 1, 0]]


def _amax_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((3, 4)),), desc="all")
    yield SampleInput((make((3, 4)), 1), desc="dim=1")
    yield SampleInput((make((2, 3, 4)), (0, -1), True), desc="dims, keepdim")
    yield SampleInput((make(()),), desc="0-dim")
    yield SampleInput((make((0, 3)), 1), desc="empty")
    yield SampleInput((make((2, 4), values=_TIES), 1), desc="ties", nondiff=True)
    yield SampleInput((make((2, 4), values=_TIES),), desc="ties, all", nondiff=True)


def _arg_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((3, 4)),), desc="all")
    yield SampleInput((make((3, 4)), 1), desc="dim=1")
    yield SampleInput((make((3, 4)), -2, True), desc="dim=-2, keepdim")
    yield SampleInput((make((3, 4)),), {"keepdim": True}, desc="all, keepdim")
    yield SampleInput((make(()),), desc="0-dim")
    yield SampleInput((make((2, 4), values=_TIES), 1), desc="ties (first)")
    yield SampleInput((make((3,), values=[1, math.nan, 0]),), desc="nan")


def _aminmax_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((3, 4)),), desc="all")
    yield SampleInput((make((3, 4)),), {"dim": 1}, desc="dim=1")
    yield SampleInput((make((3, 4)),), {"dim": -2, "keepdim": True}, desc="dim=-2, keepdim")
    yield SampleInput((make(()),), desc="0-dim")
    yield SampleInput((make((2, 4), values=_TIES),), {"dim": 1}, desc="ties", nondiff=True)


def _sort_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((3, 4)),), desc="last dim")
    yield SampleInput((make((3, 4)), 0, True), desc="dim=0, descending")
    yield SampleInput((make((3, 4)),), {"stable": True, "dim": -2}, desc="stable=True")
    yield SampleInput((make(()),), desc="0-dim")
    yield SampleInput((make((0, 3)),), desc="empty")
    yield SampleInput((make((2, 4), values=_TIES), 1, True), desc="ties, descending",
                      nondiff=True)


def _topk_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((3, 5)), 2), desc="k=2")
    yield SampleInput((make((3, 5)), 2, 0), {"largest": False}, desc="smallest, dim=0")
    yield SampleInput((make((2, 3, 4)), 4), desc="k = size")
    yield SampleInput((make((3, 4)), 0), desc="k=0")
    yield SampleInput((make(()), 1), desc="0-dim")


def _kthvalue_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((3, 5)), 2), desc="k=2")
    yield SampleInput((make((3, 5)), 3, 0, True), desc="dim=0, keepdim")
    yield SampleInput((make(()), 1), desc="0-dim")
    yield SampleInput((make((0, 3)), 1, 1), desc="empty")


def _kthvalue_errors() -> Iterator[ErrorInput]:
    yield ErrorInput(SampleInput((dagrad.ones(2, 3), 4)), RuntimeError,
                     "kthvalue(): selected number k out of range for dimension 1")
    yield ErrorInput(SampleInput((dagrad.ones(2, 3), 0, 0)), RuntimeError,
                     "kthvalue(): selected number k out of range for dimension 0")
    yield ErrorInput(SampleInput((dagrad.ones(2, 3), 1, 2)), IndexError, _DIM2.format(2))
    yield ErrorInput(SampleInput((dagrad.ones(0, 3), 1, 0)), IndexError,
                     "kthvalue(): Expected reduction dim 0 to have non-zero size.")


def _topk_errors() -> Iterator[ErrorInput]:
    for args in ((dagrad.ones(2, 3), 4), (dagrad.ones(2, 3), -1), (dagrad.tensor(1.0), 2)):
        yield ErrorInput(SampleInput(args), RuntimeError, "selected index k out of range")
    yield ErrorInput(SampleInput((dagrad.ones(2, 3), 1, 2)), IndexError, _DIM2.format(2))


def _median_all_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((3, 4)),), desc="even count")
    yield SampleInput((make((5,)),), desc="odd count")
    yield SampleInput((make(()),), desc="0-dim")
    yield SampleInput((make((4,), values=[1, 2, 2, 3]),), desc="ties", nondiff=True)
    yield SampleInput((make((3,), values=[1, math.nan, 2]),), desc="nan", nondiff=True)


def _nanmedian_all_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    yield from _median_all_samples(dtype, rg)
    make = _Make(dtype, rg)
    yield SampleInput((make((5,), values=[1, 2, math.nan, 2, 3]),), desc="nan, ties",
                      nondiff=True)


def _median_dim_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    yield from _along_dim()(dtype, rg)
    make = _Make(dtype, rg)
    yield SampleInput((make((2, 3), values=[[1, math.nan, 0], [2, 1, 3]]), 1),
                      desc="nan in a row", nondiff=True)


def _mode_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    vals = make.rng.integers(0, 3, size=(3, 5)).astype(np.float64)
    yield SampleInput((make((3, 5), values=vals),), desc="repeats", nondiff=True)
    yield SampleInput((make((3, 5), values=vals), 0, True), desc="dim=0, keepdim",
                      nondiff=True)
    yield SampleInput((make((4,), values=[2, 1, 1, 2]),), desc="equally frequent",
                      nondiff=True)
    yield SampleInput((make((3, 4)),), desc="all distinct: the smallest")
    yield SampleInput((make(()),), desc="0-dim")


def _scan_samples(zeros: bool = False) -> Callable:
    def samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
        make = _Make(dtype, rg)
        yield SampleInput((make((3, 4), away=0.2), 1), desc="dim=1")
        yield SampleInput((make((2, 3, 4), away=0.2), -3), desc="dim=-3")
        yield SampleInput((make(()), 0), desc="0-dim")
        yield SampleInput((make((0, 3)), 1), desc="empty")
        if zeros:
            yield SampleInput((make((2, 5), values=[[2, 0, 3, 0, 4], [2, 3, 0, 5, -1]]), 1),
                              desc="zeros")
            yield SampleInput((make((3, 2), values=[[0, 1], [2, 0], [3, 4]]), 0),
                              desc="zeros, dim=0")
    return samples


def _cumsum_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    yield from _scan_samples()(dtype, rg)
    make = _Make(dtype, rg)
    yield SampleInput((make((2, 3)), 1), {"dtype": dagrad.float64}, desc="dtype=float64")


def _cummax_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    yield from _scan_samples()(dtype, rg)
    make = _Make(dtype, rg)
    yield SampleInput((make((2, 4), values=[[1, 3, 3, 2], [5, 5, 1, 0]]), 1), desc="ties",
                      nondiff=True)


def _prod_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((3, 4), away=0.2),), desc="all")
    yield SampleInput((make((3, 4), away=0.2), 1), desc="dim=1")
    yield SampleInput((make((2, 3, 2), away=0.2), -2, True), desc="dim=-2, keepdim")
    yield SampleInput((make(()),), desc="0-dim")
    yield SampleInput((make(()), 0), desc="0-dim, dim=0")
    yield SampleInput((make((0, 3)), 1), desc="empty")
    yield SampleInput((make((2, 3), values=[[2, 0, 3], [1, 2, 3]]),), desc="one zero, all")
    yield SampleInput((make((2, 3), values=[[2, 0, 3], [0, 2, 0]]), 1), desc="zeros, dim=1")
    yield SampleInput((make((4,), values=[2, 0, 3, 0]),), desc="two zeros, all")


def _nan_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    x = make((3, 4), values=np.where(np.arange(12).reshape(3, 4) % 5 == 1, np.nan,
                                     np.linspace(-1, 2, 12).reshape(3, 4)))
    yield SampleInput((x,), desc="all")
    yield SampleInput((x, 1), desc="dim=1")
    yield SampleInput((x, (0, 1), True), desc="dims, keepdim")
    yield SampleInput((make(()),), desc="0-dim")
    yield SampleInput((make((2, 3)), -1), desc="no nan")


def _var_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((3, 4)),), desc="all")
    yield SampleInput((make((3, 4)), 1), desc="dim=1")
    yield SampleInput((make((3, 4)), 0, False, True), desc="unbiased=False, keepdim")
    yield SampleInput((make((2, 3, 4)),), {"dim": (0, 2), "correction": 0}, desc="correction=0")
    yield SampleInput((make((3, 4)), False), desc="var(x, False)")
    yield SampleInput((make((3, 4)),), {"dim": -1, "correction": 2, "keepdim": True},
                      desc="correction=2")
    yield SampleInput((make((5,)),), {"dim": 0}, desc="1-D, dim=0")


def _isclose_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    a = make((2, 4), values=[[1, 2, math.nan, math.inf], [0, -1, 1e-9, 5]])
    b = make((2, 4), values=[[1 + 1e-9, 2.1, math.nan, math.inf], [1e-10, -1, 0, 5.00001]])
    yield SampleInput((a, b), desc="defaults")
    yield SampleInput((a, b), {"equal_nan": True, "rtol": 0.1}, desc="equal_nan, rtol")
    yield SampleInput((a, make((4,), values=[1, 2, 3, 4])), {"atol": 1.0}, desc="broadcast")


def _unique_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    x = dagrad.tensor([[3, 1, 2], [3, 1, 2], [0, 5, 1]])
    yield SampleInput((x,), desc="flat")
    yield SampleInput((x,), {"return_inverse": True, "return_counts": True}, desc="inverse, counts")
    yield SampleInput((x,), {"dim": 0, "return_inverse": True, "return_counts": True},
                      desc="dim=0")
    yield SampleInput((x,), {"dim": -1, "return_counts": True}, desc="dim=-1")
    yield SampleInput((_Make(dtype, False)((2, 3), values=[[1, 2, 1], [0.5, 2, 0.5]]),),
                      {"return_inverse": True}, desc="float")
    yield SampleInput((dagrad.ones(0),), {"return_counts": True}, desc="empty")


def _unique_consecutive_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    x = dagrad.tensor([1, 1, 2, 2, 3, 1, 1, 2])
    yield SampleInput((x,), desc="flat")
    yield SampleInput((x,), {"return_inverse": True, "return_counts": True}, desc="all outputs")
    m = dagrad.tensor([[1, 2], [1, 2], [0, 5], [1, 2]])
    yield SampleInput((m,), {"dim": 0, "return_counts": True}, desc="dim=0")
    yield SampleInput((m.reshape(2, 4),), {"return_inverse": True}, desc="2-D flat")


def _searchsorted_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, False)
    seq = make((5,), values=[1, 3, 5, 7, 9])
    vals = make((2, 3), values=[[3, 6, 9], [0, 10, 5]])
    yield SampleInput((seq, vals), desc="1-D boundaries")
    yield SampleInput((seq, vals), {"right": True}, desc="right")
    yield SampleInput((seq, vals), {"side": "right", "out_int32": True}, desc="side, int32")
    yield SampleInput((seq, 4.0), desc="scalar value")
    yield SampleInput((make((2, 3), values=[[1, 2, 3], [2, 4, 6]]),
                       make((2, 2), values=[[2, 3], [1, 5]])), desc="batched boundaries")
    yield SampleInput((make((3,), values=[5, 1, 3]), make((2,), values=[2, 4])),
                      {"sorter": dagrad.tensor([1, 2, 0])}, desc="sorter")


def _searchsorted_errors() -> Iterator[ErrorInput]:
    seq, vals = dagrad.tensor([1.0, 2.0, 3.0]), dagrad.tensor([1.5])
    yield ErrorInput(SampleInput((seq, vals), {"side": "middle"}), RuntimeError,
                     "dagrad.searchsorted(): side can only be 'left' or 'right' but got middle")
    yield ErrorInput(SampleInput((seq, vals), {"side": "left", "right": True}), RuntimeError,
                     "dagrad.searchsorted(): side and right can't be set to opposites, got side "
                     "of left while right was True")
    yield ErrorInput(SampleInput((dagrad.ones(3, 4), dagrad.ones(2))), RuntimeError,
                     "dagrad.searchsorted(): boundaries tensor should be 1 dimension or the first "
                     "N-1 dimensions of boundaries tensor and input value tensor must match, but "
                     "we got boundaries tensor [3, 4] and input value tensor [2]")


def _bucketize_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, False)
    b = make((4,), values=[1, 3, 5, 7])
    x = make((2, 3), values=[[3, 6, 9], [0, 1, 7]])
    yield SampleInput((x, b), desc="left")
    yield SampleInput((x, b), {"right": True, "out_int32": True}, desc="right, int32")
    yield SampleInput((3.0, b), desc="scalar")


def _histc_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, False)
    yield SampleInput((make((20,), -1.9, 1.9),), {"bins": 4, "min": -2, "max": 2}, desc="range")
    yield SampleInput((make((4, 5), -1.9, 1.9),), {"bins": 5}, desc="data range")
    yield SampleInput((make((5,), values=[0, 0.25, 0.5, 0.75, 1]), 4, 0, 1), desc="edges")
    yield SampleInput((make((3,), values=[2, 2, 2]), 4), desc="constant")
    yield SampleInput((make((0,)), 3), desc="empty")
    yield SampleInput((make((6,), values=[-5, 0.1, 0.2, 0.3, 9, 0.4]), 3, 0, 1),
                      desc="outside the range")


def _histc_errors() -> Iterator[ErrorInput]:
    yield ErrorInput(SampleInput((dagrad.ones(3),), {"bins": 0}), RuntimeError,
                     "dagrad.histogram(): bins must be > 0, but got 0 for dimension 0")
    yield ErrorInput(SampleInput((dagrad.ones(3), 4, 3, 1)), RuntimeError,
                     "dagrad.histc: max must be larger than min")
    yield ErrorInput(SampleInput((dagrad.tensor([1, 2]), 3)), NotImplementedError,
                     "\"histogram_cpu\" not implemented for 'Long'")
    yield ErrorInput(SampleInput((dagrad.tensor([1.0, math.inf]),)), RuntimeError,
                     "dagrad.histc: range of [1, inf] is not finite")


def _logic_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    x = make((3, 4), values=[[0, 1, 2, 0], [1, 1, 1, 1], [0, 0, 0, 0]])
    yield SampleInput((x,), desc="all")
    yield SampleInput((x, 1), desc="dim=1")
    yield SampleInput((x, -2, True), desc="dim=-2, keepdim")
    yield SampleInput((x, (0, 1)), desc="dims")
    yield SampleInput((dagrad.tensor([[1, 0], [2, 3]]), 0), desc="int")
    yield SampleInput((make(()),), desc="0-dim")


def _count_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    x = make((3, 4), values=[[0, 1, 2, 0], [1, 1, 1, 1], [0, 0, 0, 0]])
    yield SampleInput((x,), desc="all")
    yield SampleInput((x, 1), desc="dim=1")
    yield SampleInput((x, (0, -1)), desc="dims")
    yield SampleInput((dagrad.tensor([True, False, True]),), desc="bool")


def _np_mode(x: np.ndarray, dim: int = -1, keepdim: bool = False) -> np.ndarray:
    """The smallest most frequent value along ``dim`` (a slow, obvious reference)."""
    if x.ndim == 0:
        return x
    moved = np.moveaxis(x, dim, -1)
    out = np.empty(moved.shape[:-1], x.dtype)
    for idx in np.ndindex(*moved.shape[:-1]):
        vals, counts = np.unique(moved[idx], return_counts=True)
        out[idx] = vals[np.argmax(counts)]
    return np.expand_dims(out, dim) if keepdim else out


def _np_median(x: np.ndarray) -> np.ndarray:
    s = np.sort(x.reshape(-1))
    return s[-1] if np.isnan(s).any() else s[(s.size - 1) // 2]


def _np_nanmedian(x: np.ndarray) -> np.ndarray:
    s = np.sort(x.reshape(-1))
    s = s[~np.isnan(s)]
    return s[(s.size - 1) // 2]


def _np_median_dim(x: np.ndarray, dim: int = -1, keepdim: bool = False) -> np.ndarray:
    if x.ndim == 0:
        return x
    s = np.sort(x, axis=dim)
    n = x.shape[dim]
    out = np.take(s, [(n - 1) // 2], axis=dim)
    out = np.where(np.isnan(x).any(axis=dim, keepdims=True), np.nan, out)
    return out if keepdim else np.squeeze(out, dim)


def _np_sort(x: np.ndarray, dim: int = -1, descending: bool = False, stable: Any = None) -> Any:
    if x.ndim == 0:
        return x
    s = np.sort(x, axis=dim)
    return np.flip(s, dim) if descending else s


def _np_topk(x: np.ndarray, k: int, dim: int = -1, largest: bool = True, sorted: bool = True
             ) -> np.ndarray:
    if x.ndim == 0:
        return x
    s = _np_sort(x, dim, largest)
    return np.take(s, np.arange(k), axis=dim)


def _np_kth(x: np.ndarray, k: int, dim: int = -1, keepdim: bool = False) -> np.ndarray:
    if x.ndim == 0:
        return x
    out = np.take(np.sort(x, axis=dim), [k - 1], axis=dim)
    return out if keepdim else np.squeeze(out, dim)


def _np_scan(ufunc: Any) -> Callable:
    def ref(x: np.ndarray, dim: int, dtype: Any = None) -> np.ndarray:
        if dtype is not None:
            x = x.astype(dtype.np)
        return x if x.ndim == 0 else ufunc.accumulate(x, axis=dim)
    return ref


def _np_reduce(fn: Callable) -> Callable:
    def ref(x: np.ndarray, dim: Any = None, keepdim: bool = False, **kw: Any) -> Any:
        if isinstance(dim, list) and not dim:
            dim = None
        axis = dim if x.ndim and dim is not None else None
        return fn(x, axis=axis, keepdims=keepdim, **kw) if axis is not None or keepdim else \
            fn(x, **kw)
    return ref


def _np_var(std: bool, mean: bool = False) -> Callable:
    def ref(x: np.ndarray, dim: Any = None, unbiased: Any = None, keepdim: bool = False,
            correction: Any = None) -> Any:
        if isinstance(dim, bool):
            dim, unbiased = None, dim
        ddof = correction if correction is not None else (0 if unbiased is False else 1)
        axis = dim if x.ndim else None
        v = np.var(x, axis=axis, ddof=ddof, keepdims=keepdim)
        v = np.sqrt(v) if std else v
        return (v, np.mean(x, axis=axis, keepdims=keepdim)) if mean else v
    return ref


def _np_unique(x: np.ndarray, sorted: bool = True, return_inverse: bool = False,
               return_counts: bool = False, dim: Any = None) -> Any:
    out, inv, counts = np.unique(x, return_inverse=True, return_counts=True, axis=dim)
    inv = inv.reshape(x.shape) if dim is None else inv.reshape(-1)
    res = (out,) + ((inv,) if return_inverse else ()) + ((counts,) if return_counts else ())
    return res if len(res) > 1 else out


def _np_histc(x: np.ndarray, bins: int = 100, min: float = 0, max: float = 0) -> np.ndarray:
    lo, hi = (min, max) if min != max else ((x.min(), x.max()) if x.size else (0, 0))
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    return np.histogram(x, bins, range=(lo, hi))[0].astype(x.dtype)


def _np_searchsorted(seq: np.ndarray, v: Any, out_int32: bool = False, right: bool = False,
                     side: Any = None, sorter: Any = None) -> np.ndarray:
    how = side or ("right" if right else "left")
    if sorter is not None:
        seq = seq[sorter]
    if seq.ndim == 1:
        return np.searchsorted(seq, v, side=how)
    return np.stack([np.searchsorted(s, w, side=how) for s, w in zip(seq, v, strict=True)])


def _prod_node(s: SampleInput) -> str:
    return "ProdBackward0" if len(s.args) < 2 else "ProdBackward1"


def _sort_node(s: SampleInput) -> str:
    return "SortBackward1" if "stable" in s.kwargs else "SortBackward0"


# --------------------------------------------------------------------------- selection entries


def _selection_entries() -> list[OpInfo]:
    return [
        OpInfo("max.dim", op=_first(S.max), torch_fn=_method("max", True),
               ref=_np_reduce(np.max), samples=_along_dim(_TIES), grad_fn="MaxBackward0",
               error_inputs=_dim_errors("max"), covers=("_max_dim",)),
        OpInfo("min.dim", op=_first(S.min), torch_fn=_method("min", True),
               ref=_np_reduce(np.min), samples=_along_dim(_TIES), grad_fn="MinBackward0",
               error_inputs=_dim_errors("min"), covers=("_min_dim",)),
        OpInfo("amax", op=S.amax, torch_fn="amax", ref=_np_reduce(np.amax), samples=_amax_samples,
               grad_fn="AmaxBackward0", error_inputs=lambda: [
                   ErrorInput(SampleInput((dagrad.ones(0),)), RuntimeError,
                              "amax(): Expected reduction dim to be specified for input.numel() == "
                              "0. Specify the reduction dim with the 'dim' argument."),
                   ErrorInput(SampleInput((dagrad.ones(0, 3), 0)), IndexError,
                              "amax(): Expected reduction dim 0 to have non-zero size."),
                   ErrorInput(SampleInput((dagrad.ones(2, 3), (0, 0))), RuntimeError,
                              "dim 0 appears multiple times in the list of dims")]),
        OpInfo("amin", op=S.amin, torch_fn="amin", ref=_np_reduce(np.amin), samples=_amax_samples,
               grad_fn="AminBackward0", error_inputs=_dim_errors("amin")),
        OpInfo("argmax", op=S.argmax, torch_fn="argmax", samples=_arg_samples, supports_grad=False,
               supports_gradgrad=False, error_inputs=lambda: [
                   ErrorInput(SampleInput((dagrad.ones(0),)), IndexError,
                              "argmax(): Expected reduction dim to be specified for "
                              "input.numel() == "
                              "0."),
                   *_dim_errors("argmax")()]),
        OpInfo("argmin", op=S.argmin, torch_fn="argmin", samples=_arg_samples, supports_grad=False,
               supports_gradgrad=False, error_inputs=_dim_errors("argmin")),
        OpInfo("aminmax", op=S.aminmax, torch_fn="aminmax", samples=_aminmax_samples,
               ref=lambda x, dim=None, keepdim=False: (
                   np.amin(x, axis=_ax(x, dim), keepdims=keepdim),
                   np.amax(x, axis=_ax(x, dim), keepdims=keepdim)),
               grad_fn="AminmaxBackward0", covers=("_aminmax",), error_inputs=lambda: [
                   ErrorInput(SampleInput((dagrad.ones(0),)), RuntimeError,
                              "aminmax(): cannot compute aminmax over an empty dimension as the "
                              "operation has no identity."),
                   ErrorInput(SampleInput((dagrad.ones(0, 3),), {"dim": 0}), IndexError,
                              "aminmax: Expected reduction dim 0 to have non-zero size.")]),
        OpInfo("sort", op=_first(S.sort), torch_fn=_first(_method("sort")), ref=_np_sort,
               samples=_sort_samples, grad_fn=_sort_node, covers=("_sort",),
               error_inputs=_dim_errors("sort", empty=False)),
        OpInfo("argsort", op=S.argsort, torch_fn="argsort", samples=_sort_samples,
               supports_grad=False, supports_gradgrad=False, covers=("_argsort_op",),
               ref=lambda x, dim=-1, descending=False, stable=False: np.zeros((), np.int64) if
               x.ndim == 0 else (np.argsort(-x if descending else x, axis=dim, kind="stable"))),
        OpInfo("topk", op=_first(S.topk), torch_fn=_method("topk", True), ref=_np_topk,
               samples=_topk_samples, grad_fn="TopkBackward0", error_inputs=_topk_errors),
        OpInfo("kthvalue", op=_first(S.kthvalue), torch_fn=_method("kthvalue", True), ref=_np_kth,
               samples=_kthvalue_samples, grad_fn="KthvalueBackward0",
               error_inputs=_kthvalue_errors),
        OpInfo("median", op=S.median, torch_fn="median", ref=_np_median,
               samples=_median_all_samples,
               grad_fn="MedianBackward0", covers=("_median_all",)),
        OpInfo("median.dim", op=_first(S.median), torch_fn=_method("median", True),
               ref=_np_median_dim, samples=_median_dim_samples, grad_fn="MedianBackward1",
               covers=("_median_dim",), error_inputs=_dim_errors("median")),
        OpInfo("nanmedian", op=S.nanmedian, torch_fn="nanmedian", ref=_np_nanmedian,
               samples=_nanmedian_all_samples, grad_fn="NanmedianBackward0",
               covers=("_nanmedian_all",)),
        OpInfo("nanmedian.dim", op=_first(S.nanmedian), torch_fn=_method("nanmedian", True),
               samples=_median_dim_samples, grad_fn="NanmedianBackward1",
               covers=("_nanmedian_dim",),
               error_inputs=_dim_errors("median")),
        OpInfo("mode", op=_first(S.mode), torch_fn=_method("mode", True), ref=_np_mode,
               samples=_mode_samples, grad_fn="ModeBackward0",
               error_inputs=_dim_errors("mode")),
        OpInfo("cumsum", op=S.cumsum, torch_fn="cumsum", ref=_np_scan(np.add),
               samples=_cumsum_samples, grad_fn="CumsumBackward0", covers=("_flip",),
               error_inputs=_dim_errors("cumsum", empty=False)),
        OpInfo("cumprod", op=S.cumprod, torch_fn="cumprod", ref=_np_scan(np.multiply),
               samples=_scan_samples(zeros=True), grad_fn="CumprodBackward0",
               error_inputs=_dim_errors("cumprod", empty=False)),
        OpInfo("cummax", op=_first(S.cummax), torch_fn=_method("cummax", True),
               ref=_np_scan(np.maximum), samples=_cummax_samples, grad_fn="CummaxBackward0",
               covers=("_scatter_add_new", "_gather")),
        OpInfo("cummin", op=_first(S.cummin), torch_fn=_method("cummin", True),
               ref=_np_scan(np.minimum), samples=_cummax_samples, grad_fn="CumminBackward0"),
        OpInfo("logcumsumexp", op=S.logcumsumexp, torch_fn="logcumsumexp",
               ref=_np_scan(np.logaddexp), samples=_scan_samples(), grad_fn="LogcumsumexpBackward0",
               error_inputs=lambda: [ErrorInput(
                   SampleInput((dagrad.tensor([1, 2]), 0)), NotImplementedError,
                   "\"logcumsumexp_out_cpu\" not implemented for 'Long'")]),
        OpInfo("prod", op=S.prod, torch_fn="prod", ref=_np_reduce(np.prod), samples=_prod_samples,
               grad_fn=_prod_node, error_inputs=lambda: _dim_errors("prod", empty=False)()),
        OpInfo("nansum", op=S.nansum, torch_fn="nansum", ref=_np_reduce(np.nansum),
               samples=_nan_samples, grad_fn="NansumBackward0"),
        OpInfo("nanmean", op=S.nanmean, torch_fn="nanmean", ref=_np_reduce(np.nanmean),
               samples=_nan_samples, grad_fn="DivBackward0", error_inputs=lambda: [ErrorInput(
                   SampleInput((dagrad.tensor([1, 2]),)), RuntimeError,
                   "nanmean(): expected input to have floating point or complex dtype but got "
                   "Long")]),
        OpInfo("var", op=S.var, torch_fn="var", ref=_np_var(False), samples=_var_samples,
               grad_fn="VarBackward0", error_inputs=lambda: [ErrorInput(
                   SampleInput((dagrad.tensor([1, 2]),)), RuntimeError,
                   "std and var only support floating point and complex dtypes")]),
        OpInfo("std", op=S.std, torch_fn="std", ref=_np_var(True), samples=_var_samples,
               grad_fn="StdBackward0"),
        OpInfo("var_mean", op=S.var_mean, torch_fn="var_mean", ref=_np_var(False, True),
               samples=_var_samples, grad_fn="VarMeanBackward0"),
        OpInfo("std_mean", op=S.std_mean, torch_fn="std_mean", ref=_np_var(True, True),
               samples=_var_samples, grad_fn="StdMeanBackward0"),
        OpInfo("all", op=S.all, torch_fn="all", ref=_np_reduce(np.all), samples=_logic_samples,
               supports_grad=False, supports_gradgrad=False),
        OpInfo("any", op=S.any, torch_fn="any", ref=_np_reduce(np.any), samples=_logic_samples,
               supports_grad=False, supports_gradgrad=False,
               error_inputs=_dim_errors("any", empty=False)),
        OpInfo("count_nonzero", op=S.count_nonzero, torch_fn="count_nonzero",
               ref=lambda x, dim=None: np.count_nonzero(x, axis=dim), samples=_count_samples,
               supports_grad=False, supports_gradgrad=False),
        OpInfo("isclose", op=S.isclose, torch_fn="isclose", samples=_isclose_samples,
               ref=np.isclose, supports_grad=False, supports_gradgrad=False,
               error_inputs=lambda: [ErrorInput(
                   SampleInput((dagrad.ones(2), dagrad.ones(2, dtype=dagrad.float64))),
                   RuntimeError, "Float did not match Double")]),
        OpInfo("unique", op=S.unique, torch_fn="unique", ref=_np_unique, samples=_unique_samples,
               supports_grad=False, supports_gradgrad=False, covers=("_unique",)),
        OpInfo("unique_consecutive", op=S.unique_consecutive, torch_fn="unique_consecutive",
               samples=_unique_consecutive_samples, supports_grad=False, supports_gradgrad=False,
               covers=("_unique_consecutive",),
               error_inputs=lambda: [ErrorInput(SampleInput((dagrad.ones(2, 3),), {"dim": 2}),
                                                IndexError, _DIM2.format(2))]),
        OpInfo("searchsorted", op=S.searchsorted, torch_fn="searchsorted", ref=_np_searchsorted,
               samples=_searchsorted_samples, supports_grad=False, supports_gradgrad=False,
               covers=("_searchsorted",), error_inputs=_searchsorted_errors),
        OpInfo("bucketize", op=S.bucketize, torch_fn="bucketize",
               ref=lambda x, b, out_int32=False, right=False: np.searchsorted(
                   b, x, side="right" if right else "left"),
               samples=_bucketize_samples, supports_grad=False, supports_gradgrad=False,
               error_inputs=lambda: [ErrorInput(SampleInput((dagrad.ones(2), dagrad.ones(2, 2))),
                                                RuntimeError,
                                                "boundaries tensor must be 1 dimension, but got "
                                                "dim(2)")]),
        OpInfo("histc", op=S.histc, torch_fn="histc", ref=_np_histc, samples=_histc_samples,
               supports_grad=False, supports_gradgrad=False, error_inputs=_histc_errors),
    ]


# --------------------------------------------------------------------------- special entries


def _np_vec(fn: Callable) -> Callable:
    """A ``math`` function applied element-wise, in the input's dtype."""
    def ref(x: np.ndarray) -> np.ndarray:
        flat = [fn(float(v)) for v in np.asarray(x, np.float64).reshape(-1)]
        return np.asarray(flat, np.float64).reshape(np.shape(x)).astype(x.dtype)
    return ref


def _unary(low: float = -2.0, high: float = 2.0, away: float = 0.0,
           extra: list | None = None, extra_nondiff: bool = True) -> Callable:
    """(2, 3), 0-dim, empty, 3-D, non-contiguous, an int tensor, and ``extra`` values."""
    def samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
        make = _Make(dtype, rg)
        kw = {"low": low, "high": high, "away": away}
        yield SampleInput((make((2, 3), **kw),), desc="2-D")
        yield SampleInput((make((), **kw),), desc="0-dim")
        yield SampleInput((make((0,), **kw),), desc="empty")
        yield SampleInput((make((3, 1, 2), **kw),), desc="3-D")
        yield SampleInput((make((3, 2), noncontig=True, **kw),), desc="non-contiguous")
        if extra is not None:
            yield SampleInput((make((len(extra),), values=extra),), desc="special values",
                              nondiff=extra_nondiff)
    return samples


def _int_sample(values: list) -> Callable:
    def samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
        yield SampleInput((dagrad.tensor(values),), desc="int64")
    return samples


def _chain(*makers: Callable) -> Callable:
    def samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
        for m in makers:
            yield from m(dtype, rg)
    return samples


def _polygamma_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    for n in (0, 1, 2, 3):
        yield SampleInput((n, make((2, 3), 0.3, 4)), desc=f"n={n}")
    yield SampleInput((1, make((3,), values=[-1.7, -0.6, -2.3])), desc="negative x")
    yield SampleInput((2, make(())), desc="0-dim")


def _polygamma_errors() -> Iterator[ErrorInput]:
    yield ErrorInput(SampleInput((-1, dagrad.ones(2))), RuntimeError,
                     "polygamma(n, x) does not support negative n.")


def _binary(low: float = -2.0, high: float = 2.0, other_low: float | None = None,
            other_high: float | None = None, away: float = 0.0, scalar: bool = True,
            extra: tuple | None = None) -> Callable:
    base = binary_samples(low, high, other_low, other_high, away,
                          scalar=(other_low if other_low is not None else 1.5))

    def samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
        for s in base(dtype, rg):
            if scalar or not s.desc.startswith("scalar"):
                yield s
        if extra is not None:
            make = _Make(dtype, rg)
            yield SampleInput((make((len(extra[0]),), values=extra[0]),
                               make((len(extra[1]),), values=extra[1])), desc="special values",
                              nondiff=True)
    return samples


def _xlogy_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    yield from _binary(other_low=0.2, other_high=3.0, away=0.1,
                       extra=([0, 0, 2, 1], [0.5, 3, 1, 2]))(dtype, rg)
    make = _Make(dtype, rg)
    yield SampleInput((2.5, make((2, 3), 0.2, 3)), desc="scalar self")


def _xlogy_node(s: SampleInput) -> str:
    if not isinstance(s.args[0], dagrad.Tensor):
        return "XlogyBackward1"
    return "XlogyBackward0" if isinstance(s.args[1], dagrad.Tensor) else "XlogyBackward2"


def _logit_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    yield from _unary(0.05, 0.95)(dtype, rg)
    make = _Make(dtype, rg)
    yield SampleInput((make((2, 4), 0.05, 0.95),), {"eps": 0.2}, desc="eps")


def _lerp_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((2, 3)), make((2, 3)), 0.3), desc="scalar weight")
    yield SampleInput((make((2, 3)), make((3,)), 0.75), desc="scalar weight > 0.5, broadcast")
    yield SampleInput((make((2, 3)), make((2, 3)), make((2, 3), 0, 1)), desc="tensor weight")
    yield SampleInput((make((2, 1)), make((1, 3)), make((3,), 0, 1)), desc="broadcast all")
    yield SampleInput((make(()), make(()), make(())), desc="0-dim")


def _lerp_errors() -> Iterator[ErrorInput]:
    a, b = dagrad.ones(2), dagrad.ones(2, dtype=dagrad.float64)
    yield ErrorInput(SampleInput((a, b, 0.5)), RuntimeError,
                     "expected dtype float for `end` but got dtype double")
    yield ErrorInput(SampleInput((a, a, b)), RuntimeError,
                     "expected dtype float for `weight` but got dtype double")


def _addc_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((2, 3)), make((2, 3)), make((2, 3), away=0.3)), desc="same shape")
    yield SampleInput((make((3,)), make((2, 1)), make((2, 3), away=0.3)), {"value": 0.5},
                      desc="broadcast, value")
    yield SampleInput((make(()), make(()), make((), away=0.3)), {"value": -2}, desc="0-dim")


def _nan_to_num_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    yield from _unary()(dtype, rg)
    make = _Make(dtype, rg)
    special = make((4,), values=[1.5, math.nan, math.inf, -math.inf])
    yield SampleInput((special,), desc="nan, inf", nondiff=True)
    yield SampleInput((special, 1.0, 2.0, -3.0), desc="replacements", nondiff=True)
    yield SampleInput((dagrad.tensor([1, 2]),), desc="int64")


def _round_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    yield from _unary(-3, 3, extra=[0.5, 1.5, 2.5, -0.5, -2.5])(dtype, rg)
    make = _Make(dtype, rg)
    yield SampleInput((make((2, 3), -30, 30),), {"decimals": 2}, desc="decimals=2")
    yield SampleInput((make((2, 3), -3000, 3000),), {"decimals": -2}, desc="decimals=-2")
    yield SampleInput((dagrad.tensor([1, -2]),), desc="int64")


def _classify_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((6,), values=[1.5, math.nan, math.inf, -math.inf, -0.0, 0.0]),),
                      desc="special values")
    yield SampleInput((make((2, 3)),), desc="2-D")
    yield SampleInput((make(()),), desc="0-dim")
    yield SampleInput((dagrad.tensor([-1, 0, 2]),), desc="int64")


def _heaviside_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    x = make((2, 3), values=[[-1, 0, 2], [0, 3, -0.5]])
    yield SampleInput((x, make((3,), values=[0.5, 0.25, 1])), desc="broadcast values")
    yield SampleInput((x, make((), values=0.5)), desc="0-dim values")


def _fmax_extra() -> tuple:
    return ([1, 2, math.nan, 3, math.nan], [1, math.nan, 1, 4, math.nan])


_U = _unary()


def _special_entries() -> list[OpInfo]:
    return [
        OpInfo("exp2", op=P.exp2, torch_fn="exp2", ref=np.exp2,
               grad_fn=lambda s: "Exp2Backward0" if s.args[0].is_floating_point() else None,
               samples=_chain(_U, _int_sample([0, 3]))),
        OpInfo("expm1", op=P.expm1, torch_fn="expm1", ref=np.expm1, grad_fn="Expm1Backward0",
               samples=_unary(extra=[1e-10, -1e-8])),
        OpInfo("log2", op=P.log2, torch_fn="log2", ref=np.log2, grad_fn="Log2Backward0",
               samples=_unary(0.1, 4)),
        OpInfo("log10", op=P.log10, torch_fn="log10", ref=np.log10, grad_fn="Log10Backward0",
               samples=_unary(0.1, 4)),
        OpInfo("log1p", op=P.log1p, torch_fn="log1p", ref=np.log1p, grad_fn="Log1PBackward0",
               samples=_unary(-0.5, 3, extra=[1e-10, -1e-9])),
        OpInfo("rsqrt", op=P.rsqrt, torch_fn="rsqrt", ref=lambda x: 1 / np.sqrt(x),
               grad_fn="RsqrtBackward0", samples=_unary(0.2, 3)),
        OpInfo("sinh", op=P.sinh, torch_fn="sinh", ref=np.sinh, grad_fn="SinhBackward0",
               samples=_U),
        OpInfo("cosh", op=P.cosh, torch_fn="cosh", ref=np.cosh, grad_fn="CoshBackward0",
               samples=_U),
        OpInfo("tan", op=P.tan, torch_fn="tan", ref=np.tan, grad_fn="TanBackward0",
               samples=_unary(-1.2, 1.2)),
        OpInfo("asin", op=P.asin, torch_fn="asin", ref=np.arcsin, grad_fn="AsinBackward0",
               samples=_unary(-0.9, 0.9)),
        OpInfo("acos", op=P.acos, torch_fn="acos", ref=np.arccos, grad_fn="AcosBackward0",
               samples=_unary(-0.9, 0.9)),
        OpInfo("atan", op=P.atan, torch_fn="atan", ref=np.arctan, grad_fn="AtanBackward0",
               samples=_U),
        OpInfo("asinh", op=P.asinh, torch_fn="asinh", ref=np.arcsinh, grad_fn="AsinhBackward0",
               samples=_U),
        OpInfo("acosh", op=P.acosh, torch_fn="acosh", ref=np.arccosh, grad_fn="AcoshBackward0",
               samples=_unary(1.2, 3)),
        OpInfo("atanh", op=P.atanh, torch_fn="atanh", ref=np.arctanh, grad_fn="AtanhBackward0",
               samples=_unary(-0.9, 0.9)),
        OpInfo("atan2", op=P.atan2, torch_fn="atan2", ref=np.arctan2, grad_fn="Atan2Backward0",
               samples=_binary(away=0.2, scalar=False),
               error_inputs=lambda: [ErrorInput(
                   SampleInput((dagrad.tensor([1j]), dagrad.tensor([1j]))), NotImplementedError,
                   "\"atan2_cpu\" not implemented for 'ComplexFloat'")]),
        OpInfo("hypot", op=P.hypot, torch_fn="hypot", ref=np.hypot, grad_fn="HypotBackward0",
               samples=_binary(away=0.2, scalar=False),
               error_inputs=lambda: [ErrorInput(
                   SampleInput((dagrad.tensor([1]), dagrad.tensor([2]))), NotImplementedError,
                   "\"hypot_cpu\" not implemented for 'Long'")]),
        OpInfo("logaddexp", op=P.logaddexp, torch_fn="logaddexp", ref=np.logaddexp,
               grad_fn="LogaddexpBackward0", samples=_binary(scalar=False)),
        OpInfo("logaddexp2", op=P.logaddexp2, torch_fn="logaddexp2", ref=np.logaddexp2,
               grad_fn="Logaddexp2Backward0", samples=_binary(scalar=False)),
        OpInfo("xlogy", op=P.xlogy, torch_fn="xlogy", grad_fn=_xlogy_node, samples=_xlogy_samples,
               ref=lambda x, y: np.where(np.isnan(y), np.nan, np.where(
                   np.asarray(x) == 0, 0, np.asarray(x) * np.log(np.where(y > 0, y, 1))))),
        OpInfo("logit", op=P.logit, torch_fn="logit", grad_fn="LogitBackward0",
               samples=_logit_samples, ref=lambda x, eps=None: np.log(
                   (c := np.clip(x, eps, 1 - eps) if eps is not None else x) / (1 - c))),
        OpInfo("deg2rad", op=P.deg2rad, torch_fn="deg2rad", ref=np.deg2rad,
               grad_fn="Deg2RadBackward0", samples=_U),
        OpInfo("rad2deg", op=P.rad2deg, torch_fn="rad2deg", ref=np.rad2deg,
               grad_fn="Rad2DegBackward0", samples=_U),
        OpInfo("sinc", op=P.sinc, torch_fn="sinc", ref=np.sinc, grad_fn="SincBackward0",
               samples=_unary(away=0.1, extra=[0.0, 1.0, -2.0]),
               skips={"torch_gradgrad": "nan at 0 in both libraries; compared in test_special.py"}),
        OpInfo("erf", op=P.erf, torch_fn="erf", ref=_np_vec(math.erf), grad_fn="ErfBackward0",
               samples=_unary(-3, 3)),
        OpInfo("erfc", op=P.erfc, torch_fn="erfc", ref=_np_vec(math.erfc), grad_fn="ErfcBackward0",
               samples=_unary(-3, 3, extra=[6.0, 26.0, -30.0])),
        OpInfo("erfinv", op=P.erfinv, torch_fn="erfinv", grad_fn="ErfinvBackward0",
               samples=_unary(-0.95, 0.95, extra=[0.0, 0.999999, -0.999999])),
        OpInfo("lgamma", op=P.lgamma, torch_fn="lgamma", ref=_np_vec(math.lgamma),
               grad_fn="LgammaBackward0", samples=_unary(0.2, 5, extra=[-1.5, -0.3, 10.5])),
        OpInfo("digamma", op=P.digamma, torch_fn="digamma", grad_fn="DigammaBackward0",
               samples=_unary(0.2, 5, extra=[-1.5, -0.3, 10.0, 1e-3, 25.0], extra_nondiff=False)),
        OpInfo("polygamma", op=P.polygamma, torch_fn="polygamma", grad_fn="PolygammaBackward0",
               samples=_polygamma_samples, error_inputs=_polygamma_errors),
        OpInfo("i0", op=P.i0, torch_fn="i0", ref=np.i0, grad_fn="I0Backward0",
               samples=_unary(-3, 3, extra=[0.0, 20.0, -30.0])),
        OpInfo("i1", op=P.i1, torch_fn="special.i1", grad_fn="SpecialI1Backward0",
               samples=_unary(-3, 3, extra=[0.0, 20.0, -30.0, 26.0])),
        OpInfo("ndtr", op=P.ndtr, torch_fn="special.ndtr", grad_fn="MulBackward1",
               ref=_np_vec(lambda v: (1 + math.erf(v * math.sqrt(0.5))) * 0.5),
               samples=_unary(-4, 4), covers=("_mul_scalar",)),
        OpInfo("ndtri", op=P.ndtri, torch_fn="special.ndtri", grad_fn="SpecialNdtriBackward0",
               samples=_unary(0.05, 0.95, extra=[0.5, 1e-10, 1 - 1e-10])),
        OpInfo("log_ndtr", op=P.log_ndtr, torch_fn="special.log_ndtr",
               grad_fn="SpecialLogNdtrBackward0", samples=_unary(-5, 5, extra=[-40.0, -20.0, 8.0],
                                                                  extra_nondiff=False)),
        OpInfo("entr", op=P.entr, torch_fn="special.entr", grad_fn="SpecialEntrBackward0",
               ref=lambda x: np.where(x > 0, -x * np.log(np.abs(x) + (x == 0)), 0.0),
               samples=_unary(0.1, 2)),
        OpInfo("fmod", op=P.fmod, torch_fn="fmod", ref=np.fmod,
               grad_fn=lambda s: "FmodBackward1" if isinstance(s.args[1], dagrad.Tensor) else
               "FmodBackward0", samples=_binary(-3, 3, 0.7, 1.6)),
        OpInfo("fmax", op=P.fmax, torch_fn="fmax", ref=np.fmax, grad_fn="FmaxBackward0",
               samples=_binary(scalar=False, extra=_fmax_extra())),
        OpInfo("fmin", op=P.fmin, torch_fn="fmin", ref=np.fmin, grad_fn="FminBackward0",
               samples=_binary(scalar=False, extra=_fmax_extra())),
        OpInfo("copysign", op=P.copysign, torch_fn="copysign", ref=np.copysign,
               grad_fn=lambda s: "CopysignBackward0" if isinstance(s.args[1], dagrad.Tensor) else
               "CopysignBackward1", samples=_binary(away=0.1, extra=([0.5, -1.0, 2, -3],
                                                                     [-1, 1, -0.0, 0.0]))),
        OpInfo("heaviside", op=P.heaviside, torch_fn="heaviside", ref=np.heaviside,
               samples=_heaviside_samples, supports_grad=False, supports_gradgrad=False,
               error_inputs=lambda: [ErrorInput(
                   SampleInput((dagrad.ones(2), dagrad.ones(2, dtype=dagrad.float64))),
                   RuntimeError,
                   "heaviside is not yet implemented for tensors with different dtypes.")]),
        OpInfo("lerp", op=P.lerp, torch_fn="lerp", samples=_lerp_samples,
               ref=lambda a, b, w: a + np.asarray(w) * (b - a),
               grad_fn=lambda s: "LerpBackward1" if isinstance(s.args[2], dagrad.Tensor) else
               "LerpBackward0", error_inputs=_lerp_errors),
        OpInfo("addcmul", op=P.addcmul, torch_fn="addcmul", samples=_addc_samples,
               ref=lambda a, b, c, value=1: a + value * b * c, grad_fn="AddcmulBackward0"),
        OpInfo("addcdiv", op=P.addcdiv, torch_fn="addcdiv", samples=_addc_samples,
               ref=lambda a, b, c, value=1: a + value * b / c, grad_fn="AddcdivBackward0"),
        OpInfo("nan_to_num", op=P.nan_to_num, torch_fn="nan_to_num",
               ref=lambda x, nan=0.0, posinf=None, neginf=None: np.nan_to_num(
                   x, nan=nan, posinf=posinf, neginf=neginf),
               samples=_nan_to_num_samples,
               grad_fn=lambda s: "NanToNumBackward0" if s.args[0].is_floating_point() else None),
        OpInfo("floor", op=P.floor, torch_fn="floor", ref=np.floor,
               samples=_chain(_unary(-3, 3), _int_sample([1, -2])),
               grad_fn=lambda s: "FloorBackward0" if s.args[0].is_floating_point() else None,
               error_inputs=lambda: [ErrorInput(SampleInput((dagrad.tensor([True]),)),
                                                NotImplementedError,
                                                "\"floor_vml_cpu\" not implemented for 'Bool'")]),
        OpInfo("ceil", op=P.ceil, torch_fn="ceil", ref=np.ceil,
               samples=_chain(_unary(-3, 3), _int_sample([1, -2])),
               grad_fn=lambda s: "CeilBackward0" if s.args[0].is_floating_point() else None),
        OpInfo("trunc", op=P.trunc, torch_fn="trunc", ref=np.trunc,
               samples=_chain(_unary(-3, 3), _int_sample([1, -2])),
               grad_fn=lambda s: "TruncBackward0" if s.args[0].is_floating_point() else None),
        OpInfo("round", op=P.round, torch_fn="round",
               ref=lambda x, decimals=None: np.round(x, decimals or 0), samples=_round_samples,
               grad_fn=lambda s: None if not s.args[0].is_floating_point() else
               "RoundBackward1" if "decimals" in s.kwargs else "RoundBackward0",
               error_inputs=lambda: [ErrorInput(SampleInput((dagrad.tensor([1]),), {"decimals": 1}),
                                                NotImplementedError,
                                                "\"round_cpu\" not implemented for 'Long'")]),
        OpInfo("frac", op=P.frac, torch_fn="frac", ref=lambda x: x - np.trunc(x),
               samples=_unary(-3, 3), grad_fn="FracBackward0",
               error_inputs=lambda: [ErrorInput(SampleInput((dagrad.tensor([1]),)),
                                                NotImplementedError,
                                                "\"frac_cpu\" not implemented for 'Long'")]),
        *[OpInfo(name, op=getattr(P, name), torch_fn=name, ref=ref, samples=_classify_samples,
                 supports_grad=False, supports_gradgrad=False)
          for name, ref in (("isnan", np.isnan), ("isinf", np.isinf), ("isfinite", np.isfinite),
                            ("isposinf", np.isposinf), ("isneginf", np.isneginf),
                            ("signbit", np.signbit))],
    ]
