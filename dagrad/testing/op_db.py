"""The op database: one ``OpInfo`` per op, driving every generic op test (DESIGN decision 5).

Each entry names the op, a NumPy reference, sample inputs, the node PyTorch records, how to call
the PyTorch twin, and error inputs with PyTorch's exact message. ``tests/test_ops.py`` runs, for
every entry and sample: forward vs reference (float32, float64), gradcheck and gradgradcheck
(float64), the ``grad_fn`` name, the error inputs, and a coverage check against
``dagrad.ops._registry.registered_ops()``; ``tests/test_ops_vs_torch.py`` compares values, first
and second derivatives, node names and errors with PyTorch.

Conventions:
    * ``op=None`` means ``dagrad.<name>`` and, on the PyTorch side, ``torch.<torch_fn or name>``.
      An explicit ``op`` is written with methods and operators only (``lambda x, s: x.view(s)``),
      so the same callable runs on PyTorch tensors unless ``torch_fn`` says otherwise.
    * Samples are deterministic (a fixed NumPy seed) and small; ``SampleInput.nondiff`` marks
      samples at non-differentiable points (ties of max, ...): compared with PyTorch, not
      gradchecked.
    * ``covers`` lists the private registered ops (``_view``...) this entry exercises.

Example:
    >>> from dagrad.testing.op_db import op_db
    >>> exp = next(o for o in op_db if o.name == "exp")
    >>> s = next(iter(exp.samples(dagrad.float64, True)))
    >>> exp.op(*s.args, **s.kwargs).grad_fn
    <ExpBackward0 object at ...>
"""
from __future__ import annotations

import builtins
import math
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator

import numpy as np

import dagrad
from dagrad._tensor import Tensor

__all__ = ["ErrorInput", "OpInfo", "SampleInput", "op_db", "to_numpy_args"]


@dataclass
class SampleInput:
    """One call of an op: ``op(*args, **kwargs)``.

    ``nondiff`` marks a sample that gradcheck skips: a point where the op is not differentiable,
    or a float32 output (too coarse for finite differences); ``desc`` says what it exercises.
    """

    args: tuple
    kwargs: dict = field(default_factory=dict)
    desc: str = ""
    nondiff: bool = False

    def __repr__(self) -> str:
        return f"SampleInput({self.desc or _describe(self.args)})"


@dataclass
class ErrorInput:
    """A call that must raise ``error_type`` with exactly ``message``."""

    sample: SampleInput
    error_type: type
    message: str


@dataclass
class OpInfo:
    """Everything the generic tests need to know about one op.

    Attributes:
        name: the public name (``dagrad.<name>`` unless ``op`` is given).
        op: the callable under test (default ``dagrad.<name>``).
        ref: NumPy reference taking the sample with tensors turned into arrays, or None.
        samples: ``samples(dtype, requires_grad) -> iterable of SampleInput``.
        grad_fn: expected node name (a str, or a callable of the sample); None: no node.
        torch_fn: PyTorch twin: a dotted name under ``torch`` or a callable (see module doc).
        supports_grad / supports_gradgrad: run gradcheck / gradgradcheck.
        error_inputs: ``() -> iterable of ErrorInput``.
        skips: test name -> reason, for tests that do not apply.
        covers: private registered ops exercised through this entry.
    """

    name: str
    op: Callable | None = None
    ref: Callable | None = None
    samples: Callable[[Any, bool], Iterable[SampleInput]] = lambda dtype, rg: ()
    grad_fn: str | Callable[[SampleInput], str | None] | None = None
    torch_fn: str | Callable | None = None
    supports_grad: bool = True
    supports_gradgrad: bool = True
    error_inputs: Callable[[], Iterable[ErrorInput]] = lambda: ()
    skips: dict[str, str] = field(default_factory=dict)
    covers: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        self._generic = self.op is not None
        if self.op is None:
            self.op = getattr(dagrad, self.name, None) or getattr(dagrad.ops, self.name)

    def __str__(self) -> str:
        return self.name

    def expected_grad_fn(self, sample: SampleInput) -> str | None:
        return self.grad_fn(sample) if callable(self.grad_fn) else self.grad_fn

    def get_torch_fn(self, torch: Any) -> Callable | None:
        """The PyTorch twin, given the ``torch`` module (dagrad itself never imports it)."""
        fn = self.torch_fn
        if callable(fn):
            return fn
        if fn is None and self._generic:
            return self.op
        obj = torch
        for part in (fn or self.name).split("."):
            obj = getattr(obj, part)
        return obj


def _describe(args: Any) -> str:
    parts = []
    for a in args:
        if isinstance(a, Tensor):
            parts.append(f"{a.dtype.name}{list(a.shape)}")
        elif isinstance(a, (list, tuple)) and any(isinstance(e, Tensor) for e in a):
            parts.append("[" + _describe(a) + "]")
        else:
            parts.append(repr(a))
    return ", ".join(parts)


def to_numpy_args(obj: Any) -> Any:
    """The sample with every Tensor replaced by its NumPy array (for the references)."""
    if isinstance(obj, Tensor):
        return obj._data
    if isinstance(obj, tuple):
        return tuple(to_numpy_args(o) for o in obj)
    if isinstance(obj, list):
        return [to_numpy_args(o) for o in obj]
    if isinstance(obj, dict):
        return {k: to_numpy_args(v) for k, v in obj.items()}
    return obj


# --------------------------------------------------------------------------- sample makers


class _Make:
    """Deterministic tensors for samples: ``make((2, 3))`` in the sample dtype."""

    def __init__(self, dtype: Any, requires_grad: bool, seed: int = 0) -> None:
        self.dtype = dtype
        self.rg = requires_grad
        self.rng = np.random.default_rng(seed)

    def __call__(self, shape: tuple, low: float = -2.0, high: float = 2.0, *,
                 away: float = 0.0, rg: bool | None = None, dtype: Any = None,
                 noncontig: bool = False, values: Any = None) -> Tensor:
        dt = dtype or self.dtype
        if values is not None:
            arr = np.asarray(values, dtype=np.float64).reshape(shape)
        else:
            arr = self.rng.uniform(low, high, size=shape)
            if away:
                arr = np.where(np.abs(arr) < away, np.sign(arr + 1e-12) * away * 2, arr)
        if dt.is_complex:
            arr = arr + 1j * self.rng.uniform(low, high, size=shape)
        arr = np.asarray(arr).astype(dt.np)
        if noncontig and arr.ndim >= 2:
            arr = np.asfortranarray(arr)        # same values, column-major strides
        t = dagrad.from_numpy(arr)
        if (self.rg if rg is None else rg) and dt.np.kind in "fc":
            t.requires_grad_(True)
        return t

    def ints(self, shape: tuple, low: int = -3, high: int = 4) -> Tensor:
        return dagrad.from_numpy(np.asarray(self.rng.integers(low, high, size=shape), np.int64))

    def bools(self, shape: tuple) -> Tensor:
        return dagrad.from_numpy(np.asarray(self.rng.random(shape) > 0.5))


def _complex_of(dtype: Any) -> Any:
    return dagrad.complex128 if dtype == dagrad.float64 else dagrad.complex64


def unary_samples(low: float = -2.0, high: float = 2.0, away: float = 0.0,
                  complex_too: bool = False) -> Callable:
    """Shapes (2, 3), (), (0,), (3, 1, 2) and a non-contiguous (3, 2) input."""
    def samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
        make = _Make(dtype, rg)
        kw = {"low": low, "high": high, "away": away}
        yield SampleInput((make((2, 3), **kw),), desc="2-D")
        yield SampleInput((make((), **kw),), desc="0-dim")
        yield SampleInput((make((0,), **kw),), desc="empty")
        yield SampleInput((make((3, 1, 2), **kw),), desc="3-D")
        yield SampleInput((make((3, 2), noncontig=True, **kw),), desc="non-contiguous")
        if complex_too:
            yield SampleInput((make((2, 3), dtype=_complex_of(dtype), **kw),), desc="complex")
    return samples


def binary_samples(low: float = -2.0, high: float = 2.0, other_low: float | None = None,
                   other_high: float | None = None, away: float = 0.0, scalar: float = 1.5,
                   alpha: bool = False, rscalar: bool = True) -> Callable:
    """Same shapes, broadcasting both ways, 0-dim, empty, Python scalars (and ``alpha=``)."""
    olo = low if other_low is None else other_low
    ohi = high if other_high is None else other_high

    def samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
        make = _Make(dtype, rg)
        a = {"low": low, "high": high, "away": away}
        b = {"low": olo, "high": ohi, "away": away}
        yield SampleInput((make((2, 3), **a), make((2, 3), **b)), desc="same shape")
        yield SampleInput((make((2, 3), **a), make((3,), **b)), desc="broadcast other")
        yield SampleInput((make((2, 1), **a), make((1, 3), **b)), desc="broadcast both")
        yield SampleInput((make((3,), **a), make((2, 1, 3), **b)), desc="broadcast self")
        yield SampleInput((make((2, 3), **a), make((), **b)), desc="0-dim other")
        yield SampleInput((make((), **a), make((), **b)), desc="0-dim both")
        yield SampleInput((make((0, 3), **a), make((3,), **b)), desc="empty")
        yield SampleInput((make((2, 3), **a), scalar), desc="scalar other")
        if alpha:
            yield SampleInput((make((2, 3), **a), make((3,), **b)), {"alpha": 2}, desc="alpha")
    return samples


def _np_float(fn: Callable) -> Callable:
    """A NumPy reference that computes in the input's float dtype (ints give float32)."""
    def ref(x: np.ndarray, *args: Any) -> np.ndarray:
        with np.errstate(all="ignore"):
            return fn(x, *args)
    return ref


# --------------------------------------------------------------------------- pointwise


def _div_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    yield from binary_samples(other_low=0.5, other_high=2.0, scalar=2.0)(dtype, rg)
    make = _Make(dtype, rg, seed=1)
    for mode in ("trunc", "floor"):
        yield SampleInput((make((2, 3), -3, 3), make((3,), 0.5, 2)), {"rounding_mode": mode},
                          desc=f"rounding_mode={mode}")
        yield SampleInput((make((2, 3), -3, 3), 2.0), {"rounding_mode": mode},
                          desc=f"rounding_mode={mode}, scalar")


def _div_node(s: SampleInput) -> str:
    return "DivBackward0" if s.kwargs.get("rounding_mode") is None else "DivBackward2"


def _div_ref(x: np.ndarray, y: Any, rounding_mode: str | None = None) -> np.ndarray:
    with np.errstate(all="ignore"):
        q = np.true_divide(x, y)
        if rounding_mode == "trunc":
            return np.trunc(q)
        if rounding_mode == "floor":
            return np.floor_divide(x, y)
        return q


def _pow_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((2, 3), 0.5, 2), make((2, 3), -1, 2)), desc="tensor ** tensor")
    yield SampleInput((make((2, 3), 0.5, 2), make((3,), -1, 2)), desc="broadcast")
    yield SampleInput((make((2, 3), 0.5, 2), make((), -1, 2)), desc="0-dim exponent")
    yield SampleInput((make((2, 3), -2, 2), 2), desc="integer exponent")
    yield SampleInput((make((2, 3), -2, 2), 3.0), desc="float exponent 3")
    yield SampleInput((make((2, 3), 0.5, 2), -1.5), desc="negative exponent")
    yield SampleInput((make((2, 3), -2, 2), 0), desc="exponent 0")
    yield SampleInput((make((0, 2), 0.5, 2), 2.5), desc="empty")
    yield SampleInput((2.0, make((2, 3), -1, 1)), desc="scalar base")


def _pow_node(s: SampleInput) -> str:
    if not isinstance(s.args[0], Tensor):
        return "PowBackward2"
    return "PowBackward1" if isinstance(s.args[1], Tensor) else "PowBackward0"


def _pow_errors() -> Iterator[ErrorInput]:
    yield ErrorInput(SampleInput((dagrad.tensor([1, 2]), -1)), RuntimeError,
                     "Integers to negative integer powers are not allowed.")


def _sub_errors() -> Iterator[ErrorInput]:
    yield ErrorInput(SampleInput((dagrad.tensor([True]), dagrad.tensor([False]))), RuntimeError,
                     "Subtraction, the `-` operator, with two bool tensors is not supported. "
                     "Use the `^` or `logical_xor()` operator instead.")


def _neg_errors() -> Iterator[ErrorInput]:
    yield ErrorInput(SampleInput((dagrad.tensor([True]),)), RuntimeError,
                     "Negation, the `-` operator, on a bool tensor is not supported. If you are "
                     "trying to invert a mask, use the `~` or `logical_not()` operator instead.")


def _clamp_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((2, 3)),), {"min": -0.5}, desc="min only")
    yield SampleInput((make((2, 3)),), {"max": 0.5}, desc="max only")
    yield SampleInput((make((2, 3)), -0.5, 0.5), desc="min and max")
    yield SampleInput((make(()), -0.5, 0.5), desc="0-dim")
    yield SampleInput((make((0, 2)), -0.5, 0.5), desc="empty")
    yield SampleInput((make((2, 3)), make((3,), -1, 0), make((2, 1), 0, 1)),
                      desc="tensor min and max, broadcast")
    yield SampleInput((make((2, 3)),), {"min": make((2, 3), -1, 0)}, desc="tensor min only")


def _clamp_node(s: SampleInput) -> str:
    bounds = list(s.args[1:]) + list(s.kwargs.values())
    return "ClampBackward0" if any(isinstance(b, Tensor) for b in bounds) else "ClampBackward1"


def _clamp_ref(x: np.ndarray, min: Any = None, max: Any = None) -> np.ndarray:
    out = x
    if min is not None:
        out = np.maximum(out, min)
    if max is not None:
        out = np.minimum(out, max)
    return out


def _clamp_errors() -> Iterator[ErrorInput]:
    yield ErrorInput(SampleInput((dagrad.tensor([1.0]),)), RuntimeError,
                     "dagrad.clamp: At least one of 'min' or 'max' must not be None")


def _remainder_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((2, 3), -3, 3), make((2, 3), 0.7, 2)), desc="same shape")
    yield SampleInput((make((2, 3), -3, 3), make((3,), -2, -0.7)), desc="negative divisor")
    yield SampleInput((make((2, 3), -3, 3), 1.3), desc="scalar other")
    yield SampleInput((make((), -3, 3), make((), 0.7, 2)), desc="0-dim")


def _remainder_node(s: SampleInput) -> str:
    return "RemainderBackward1" if isinstance(s.args[1], Tensor) else "RemainderBackward0"


def _cmp_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    a = make((2, 3), values=[-1, 0, 1, 2, 0, -2])
    yield SampleInput((a, make((2, 3), values=[-1, 1, 1, 0, 0, 2])), desc="same shape")
    yield SampleInput((a, make((3,), values=[0, 1, 2])), desc="broadcast")
    yield SampleInput((a, 1.0), desc="scalar")
    yield SampleInput((make((), values=1), make((), values=1)), desc="0-dim")
    yield SampleInput((make((0,)), make((1,))), desc="empty")
    yield SampleInput((make((2, 3), values=[-1, 0, 1, 2, 0, -2], rg=False), dagrad.tensor(1)),
                      desc="int 0-dim other")


def _logical_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((2, 3), values=[-1, 0, 1, 2, 0, -2]),
                       make((2, 3), values=[0, 0, 1, 1, 2, 0])), desc="floats")
    yield SampleInput((make((2, 3), values=[-1, 0, 1, 2, 0, -2]), make((3,), values=[0, 1, 1])),
                      desc="broadcast")
    yield SampleInput((make.bools((2, 3)), make.bools((2, 3))), desc="bools")
    yield SampleInput((make.ints((2, 3)), make.bools((3,))), desc="ints and bools")
    yield SampleInput((make((0,)), make((0,))), desc="empty")


def _logical_not_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((2, 3), values=[-1, 0, 1, 2, 0, -2]),), desc="floats")
    yield SampleInput((make.bools((2, 3)),), desc="bools")
    yield SampleInput((make.ints(()),), desc="0-dim int")


def _bitwise_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make.ints((2, 3)), make.ints((2, 3))), desc="ints")
    yield SampleInput((make.ints((2, 3)), make.ints((3,))), desc="broadcast")
    yield SampleInput((make.bools((2, 3)), make.bools((2, 3))), desc="bools")
    yield SampleInput((make.ints((2, 3)), 5), desc="scalar")
    yield SampleInput((make.bools((2,)), True), desc="bool scalar")


def _bitwise_not_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make.ints((2, 3)),), desc="ints")
    yield SampleInput((make.bools((2, 3)),), desc="bools")


def _bitwise_errors(name: str, nargs: int) -> Callable:
    def errors() -> Iterator[ErrorInput]:
        args = (dagrad.tensor([1.0, 2.0]),) * nargs
        yield ErrorInput(SampleInput(args), NotImplementedError,
                         f"\"{name}_cpu\" not implemented for 'Float'")
    return errors


def _where_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    cond = make.bools((2, 3))
    yield SampleInput((cond, make((2, 3)), make((2, 3))), desc="same shape")
    yield SampleInput((cond, make((3,)), make((2, 1))), desc="broadcast")
    yield SampleInput((make.bools((3,)), make((2, 3)), 0.0), desc="scalar other")
    yield SampleInput((make.bools((2, 3)), 1.0, make((2, 3))), desc="scalar self")
    yield SampleInput((make.bools(()), make(()), make(())), desc="0-dim")
    yield SampleInput((make.bools((0,)), make((0,)), make((1,))), desc="empty")


def _where_errors() -> Iterator[ErrorInput]:
    yield ErrorInput(SampleInput((dagrad.tensor([1.0, 0.0]), dagrad.tensor([1.0, 2.0]),
                                  dagrad.tensor([3.0, 4.0]))), RuntimeError,
                     "where expected condition to be a boolean tensor, but got a tensor with "
                     "dtype Float")


def _minmax_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    yield from binary_samples(rscalar=False)(dtype, rg)
    make = _Make(dtype, rg, seed=2)
    yield SampleInput((make((4,), values=[1, 2, 3, 4]), make((4,), values=[1, 0, 3, 5])),
                      desc="ties", nondiff=True)


def _minmax_binary_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    for s in _minmax_samples(dtype, rg):
        if isinstance(s.args[1], Tensor):
            yield s


def _to_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    other = dagrad.float32 if dtype == dagrad.float64 else dagrad.float64
    yield SampleInput((make((2, 3)), other), desc=f"to {other.name}",
                      nondiff=other == dagrad.float32)    # float32 finite differences are coarse
    yield SampleInput((make(()), other), desc="0-dim", nondiff=other == dagrad.float32)
    yield SampleInput((make((2, 3)), _complex_of(dtype)), desc="to complex")


def _sgn_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    yield from unary_samples(away=0.2, complex_too=True)(dtype, rg)


# --------------------------------------------------------------------------- reductions


def _reduction_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((2, 3, 2)),), desc="all")
    yield SampleInput((make((2, 3, 2)), 1), desc="dim=1")
    yield SampleInput((make((2, 3, 2)), -1, True), desc="dim=-1, keepdim")
    yield SampleInput((make((2, 3, 2)), (0, 2)), desc="dims (0, 2)")
    yield SampleInput((make((2, 3, 2)), (0, -1), True), desc="dims (0, -1), keepdim")
    yield SampleInput((make((2, 3)),), {"dim": 0, "keepdim": True}, desc="kwargs")
    yield SampleInput((make(()),), desc="0-dim")
    yield SampleInput((make(()), 0), desc="0-dim, dim=0")
    yield SampleInput((make((0, 3)), 1), desc="empty")
    yield SampleInput((make((2, 3)), []), desc="dim=[]")


def _sum_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    yield from _reduction_samples(dtype, rg)
    make = _Make(dtype, rg, seed=3)
    yield SampleInput((make((0, 3)),), desc="empty, all")
    yield SampleInput((make((2, 3)), 1), {"dtype": dagrad.float64}, desc="dtype=float64")


def _sum_node(s: SampleInput) -> str:
    dim = s.args[1] if len(s.args) > 1 else s.kwargs.get("dim")
    return "SumBackward0" if dim is None else "SumBackward1"


def _mean_node(s: SampleInput) -> str:
    dim = s.args[1] if len(s.args) > 1 else s.kwargs.get("dim")
    return "MeanBackward0" if dim is None else "MeanBackward1"


def _dim_axis(x: np.ndarray, dim: Any) -> Any:
    if dim is None or (isinstance(dim, (list, tuple)) and len(dim) == 0) or x.ndim == 0:
        return None
    return tuple(dim) if isinstance(dim, (list, tuple)) else dim


def _sum_ref(x: np.ndarray, dim: Any = None, keepdim: bool = False, dtype: Any = None) -> Any:
    out = np.sum(x, axis=_dim_axis(x, dim), keepdims=keepdim)
    return out.astype(dtype.np) if dtype is not None else out


def _mean_ref(x: np.ndarray, dim: Any = None, keepdim: bool = False) -> Any:
    with np.errstate(all="ignore"):
        return np.mean(x, axis=_dim_axis(x, dim), keepdims=keepdim)


def _reduction_errors(name: str) -> Callable:
    def errors() -> Iterator[ErrorInput]:
        x = dagrad.ones(2, 3)
        yield ErrorInput(SampleInput((x, 2)), IndexError,
                         "Dimension out of range (expected to be in range of [-2, 1], but got 2)")
        yield ErrorInput(SampleInput((x, (0, 0))), RuntimeError,
                         "dim 0 appears multiple times in the list of dims")
        if name == "mean":
            yield ErrorInput(SampleInput((dagrad.tensor([1, 2]),)), RuntimeError,
                             "mean(): could not infer output dtype. Input dtype must be either a "
                             "floating point or complex dtype. Got: Long")
    return errors


def _norm_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    for ord in (2, 1, 3, math.inf, -math.inf, 0.5):
        away = 0.2 if ord in (1, 0.5) else 0.0
        yield SampleInput((make((2, 3), away=away), ord), desc=f"ord={ord}")
    yield SampleInput((make((2, 3, 2), away=0.2), 2, 1), desc="dim=1")
    yield SampleInput((make((2, 3, 2), away=0.2), 2, (0, -1), True), desc="dims, keepdim")
    yield SampleInput((make((2, 3), away=0.2), 1, -1), desc="ord=1, dim=-1")
    yield SampleInput((make((2, 3)), math.inf, 0, True), desc="inf, dim, keepdim")
    yield SampleInput((make((), away=0.2),), desc="0-dim")
    yield SampleInput((make((0, 3)), 2, 1), desc="empty")
    yield SampleInput((make((2, 3), values=[1, 0, 2, 0, 0, 3]), 0), desc="ord=0", nondiff=True)
    yield SampleInput((make((2, 2), values=[1, -2, 2, 0.5]), math.inf), desc="inf ties",
                      nondiff=True)


def _norm_ref(x: np.ndarray, ord: Any = 2, dim: Any = None, keepdim: bool = False) -> Any:
    axis = _dim_axis(x, dim)
    a = np.abs(x)
    if ord == math.inf:
        return np.max(a, axis=axis, keepdims=keepdim) if a.size else np.zeros(())
    if ord == -math.inf:
        return np.min(a, axis=axis, keepdims=keepdim)
    if ord == 0:
        return np.sum(a != 0, axis=axis, keepdims=keepdim).astype(x.dtype)
    return np.sum(a ** ord, axis=axis, keepdims=keepdim) ** (1.0 / ord)


def _norm_errors() -> Iterator[ErrorInput]:
    yield ErrorInput(SampleInput((dagrad.tensor([1, 2]),)), RuntimeError,
                     "linalg.vector_norm: Expected a floating point or complex tensor as input. "
                     "Got Long")


def _torch_norm_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((2, 3)),), desc="default")
    yield SampleInput((make((2, 3), away=0.2), 1), desc="p=1")
    yield SampleInput((make((2, 3, 2)), 2, 1), desc="p=2, dim=1")
    yield SampleInput((make((2, 3, 2)),), {"dim": (0, -1), "keepdim": True}, desc="dims")
    yield SampleInput((make((2, 3)), "fro"), desc="fro")


def _max_all_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((2, 3)),), desc="2-D")
    yield SampleInput((make(()),), desc="0-dim")
    yield SampleInput((make((3,), values=[1, 3, 3]),), desc="ties", nondiff=True)
    yield SampleInput((make((3,), values=[-1, -3, -3]),), desc="ties (min)", nondiff=True)


def _max_errors(name: str) -> Callable:
    def errors() -> Iterator[ErrorInput]:
        yield ErrorInput(SampleInput((dagrad.ones(0),)), RuntimeError,
                         f"{name}(): Expected reduction dim to be specified for input.numel() == "
                         "0. Specify the reduction dim with the 'dim' argument.")
    return errors


# --------------------------------------------------------------------------- shape ops


def _view_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((2, 3)), (3, 2)), desc="(3, 2)")
    yield SampleInput((make((2, 3)), (-1,)), desc="-1")
    yield SampleInput((make((2, 3, 2)), (2, -1)), desc="(2, -1)")
    yield SampleInput((make(()), (1,)), desc="0-dim to (1,)")
    yield SampleInput((make((1,)), ()), desc="(1,) to 0-dim")
    yield SampleInput((make((0, 3)), (3, 0)), desc="empty")


def _view_errors(name: str) -> Callable:
    def errors() -> Iterator[ErrorInput]:
        yield ErrorInput(SampleInput((dagrad.ones(2, 3), (4,))), RuntimeError,
                         "shape '[4]' is invalid for input of size 6")
        yield ErrorInput(SampleInput((dagrad.ones(2, 3), (-1, -1))), RuntimeError,
                         "only one dimension can be inferred")
        if name == "view":
            yield ErrorInput(SampleInput((dagrad.ones(2, 3).t(), (6,))), RuntimeError,
                             "view size is not compatible with input tensor's size and stride (at "
                             "least one dimension spans across two contiguous subspaces). Use "
                             ".reshape(...) instead.")
    return errors


def _reshape_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    yield from _view_samples(dtype, rg)
    make = _Make(dtype, rg, seed=4)
    yield SampleInput((make((3, 2), noncontig=True), (6,)), desc="non-contiguous (copies)")
    yield SampleInput((make((3, 2), noncontig=True), (3, 2)), desc="non-contiguous, same shape")


def _reshape_node(s: SampleInput) -> str:
    x, shape = s.args
    if x._data.flags.c_contiguous:
        return "ViewBackward0"
    arr = x._data.view()
    try:
        arr.shape = tuple(int(d) for d in shape)
        return "ReshapeAliasBackward0"
    except AttributeError:
        return "UnsafeViewBackward0"


def _flatten_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((2, 3, 2)),), desc="all")
    yield SampleInput((make((2, 3, 2)), 1), desc="start_dim=1")
    yield SampleInput((make((2, 3, 2, 2)), 1, -2), desc="1..-2")
    yield SampleInput((make(()),), desc="0-dim")


def _flatten_node(s: SampleInput) -> str | None:
    x = s.args[0]
    if x.dim() == 0:
        return "ViewBackward0"
    start = s.args[1] if len(s.args) > 1 else 0
    end = s.args[2] if len(s.args) > 2 else -1
    n = x.dim()
    return None if (start % n) == (end % n) else "ViewBackward0"


def _flatten_ref(x: np.ndarray, start_dim: int = 0, end_dim: int = -1) -> np.ndarray:
    if x.ndim == 0:
        return x.reshape(1)
    s, e = start_dim % x.ndim, end_dim % x.ndim
    return x.reshape(x.shape[:s] + (-1,) + x.shape[e + 1:])


def _t_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((2, 3)),), desc="2-D")
    yield SampleInput((make((3,)),), desc="1-D")
    yield SampleInput((make(()),), desc="0-dim")


def _t_errors() -> Iterator[ErrorInput]:
    yield ErrorInput(SampleInput((dagrad.ones(2, 3, 4),)), RuntimeError,
                     "t() expects a tensor with <= 2 dimensions, but self is 3D")


def _transpose_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((2, 3)), 0, 1), desc="0, 1")
    yield SampleInput((make((2, 3, 2)), -1, 0), desc="-1, 0")
    yield SampleInput((make((2, 3)), 1, 1), desc="same dim")
    yield SampleInput((make(()), 0, -1), desc="0-dim")


def _transpose_errors() -> Iterator[ErrorInput]:
    yield ErrorInput(SampleInput((dagrad.ones(2, 3), 0, 2)), IndexError,
                     "Dimension out of range (expected to be in range of [-2, 1], but got 2)")


def _permute_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((2, 3, 2)), 2, 0, 1), desc="2, 0, 1")
    yield SampleInput((make((2, 3)), (-1, 0)), desc="tuple, negative")
    yield SampleInput((make(()), ()), desc="0-dim")


def _permute_errors() -> Iterator[ErrorInput]:
    yield ErrorInput(SampleInput((dagrad.ones(2, 3), 0, 0)), RuntimeError,
                     "permute(): duplicate dims are not allowed.")
    yield ErrorInput(SampleInput((dagrad.ones(2, 3), 0)), RuntimeError,
                     "permute(sparse_coo): number of dimensions in the tensor input does not "
                     "match the length of the desired ordering of dimensions i.e. input.dim() = "
                     "2 is not equal to len(dims) = 1")


def _permute_ref(x: np.ndarray, *dims: Any) -> np.ndarray:
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = tuple(dims[0])
    return np.transpose(x, dims) if x.ndim else x


def _expand_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((2, 1)), 2, 3), desc="(2, 1) -> (2, 3)")
    yield SampleInput((make((3,)), (2, 3)), desc="new leading dim")
    yield SampleInput((make((2, 1)), -1, 4), desc="-1 keeps a dim")
    yield SampleInput((make(()), (2, 2)), desc="0-dim")
    yield SampleInput((make((1, 3)), (0, 3)), desc="to empty")


def _expand_errors() -> Iterator[ErrorInput]:
    yield ErrorInput(SampleInput((dagrad.ones(2, 3), 3, 3)), RuntimeError,
                     "The expanded size of the tensor (3) must match the existing size (2) at "
                     "non-singleton dimension 0.  Target sizes: [3, 3].  Tensor sizes: [2, 3]")
    yield ErrorInput(SampleInput((dagrad.ones(2, 3), (3,))), RuntimeError,
                     "expand(dagrad.FloatTensor{[2, 3]}, size=[3]): the number of sizes provided "
                     "(1) must be greater or equal to the number of dimensions in the tensor (2)")


def _expand_ref(x: np.ndarray, *size: Any) -> np.ndarray:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    lead = len(size) - x.ndim
    full = tuple(x.shape[i - lead] if s == -1 else s for i, s in enumerate(size))
    return np.broadcast_to(x, full)


def _expand_as_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((2, 1)), make((2, 3), rg=False)), desc="(2, 1) as (2, 3)")
    yield SampleInput((make(()), make((3,), rg=False)), desc="0-dim")


def _broadcast_to_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((2, 1)), (2, 3)), desc="(2, 1) -> (2, 3)")
    yield SampleInput((make((3,)), (2, 2, 3)), desc="new dims")


def _unsqueeze_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((2, 3)), 0), desc="0")
    yield SampleInput((make((2, 3)), -1), desc="-1")
    yield SampleInput((make((2, 3)), 1), desc="middle")
    yield SampleInput((make(()), 0), desc="0-dim")


def _unsqueeze_errors() -> Iterator[ErrorInput]:
    yield ErrorInput(SampleInput((dagrad.ones(2, 3), 3)), IndexError,
                     "Dimension out of range (expected to be in range of [-3, 2], but got 3)")


def _squeeze_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((2, 1, 3, 1)),), desc="all")
    yield SampleInput((make((2, 1, 3)), 1), desc="dim=1")
    yield SampleInput((make((2, 1, 3)), -2), desc="dim=-2")
    yield SampleInput((make((2, 1, 3)), 0), desc="dim of size 2 (no-op)")
    yield SampleInput((make((2, 1, 3, 1)), (1, 3)), desc="dims tuple")
    yield SampleInput((make(()),), desc="0-dim")
    yield SampleInput((make(()), 0), desc="0-dim, dim=0")


def _squeeze_node(s: SampleInput) -> str:
    if len(s.args) == 1:
        return "SqueezeBackward0"
    return "SqueezeBackward1" if isinstance(s.args[1], int) else "SqueezeBackward2"


def _squeeze_ref(x: np.ndarray, dim: Any = None) -> np.ndarray:
    if dim is None:
        return np.squeeze(x)
    if x.ndim == 0:
        return x
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    dims = tuple(d % x.ndim for d in dims if x.shape[d] == 1)
    return np.squeeze(x, dims) if dims else x


def _select_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((2, 3)), 0, 1), desc="dim 0")
    yield SampleInput((make((2, 3, 2)), -1, -1), desc="negative dim and index")
    yield SampleInput((make((3,)), 0, 2), desc="1-D")


def _select_ref(x: np.ndarray, dim: int, index: int) -> np.ndarray:
    return np.take(x, index, axis=dim)


def _select_errors() -> Iterator[ErrorInput]:
    yield ErrorInput(SampleInput((dagrad.ones(2, 3), 1, 3)), IndexError,
                     "select(): index 3 out of range for tensor of size [2, 3] at dimension 1")
    yield ErrorInput(SampleInput((dagrad.tensor(1.0), 0, 0)), IndexError,
                     "select() cannot be applied to a 0-dim tensor.")


def _slice_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((4, 3)), 0, 1, 3, 1), desc="dim 0")
    yield SampleInput((make((2, 5)), 1, 0, 5, 2), desc="step 2")
    yield SampleInput((make((2, 5)), 1, 3, 3, 1), desc="empty")


def _slice_ref(x: np.ndarray, dim: int, start: int, end: int, step: int) -> np.ndarray:
    return x[(builtins.slice(None),) * dim + (builtins.slice(start, end, step),)]


def _slice_torch(x: Any, dim: int, start: int, end: int, step: int) -> Any:
    return x[(builtins.slice(None),) * dim + (builtins.slice(start, end, step),)]


def _narrow_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((4, 3)), 0, 1, 2), desc="dim 0")
    yield SampleInput((make((2, 5)), -1, 2, 3), desc="dim -1")


def _contiguous_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((3, 2), noncontig=True),), desc="non-contiguous")


def _unbind_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((3, 2)),), desc="dim 0")
    yield SampleInput((make((2, 3)), -1), desc="dim -1")
    yield SampleInput((make((2, 0)), 0), desc="empty slices")


def _unbind_ref(x: np.ndarray, dim: int = 0) -> tuple:
    return tuple(np.moveaxis(x, dim, 0))


def _unbind_errors() -> Iterator[ErrorInput]:
    yield ErrorInput(SampleInput((dagrad.tensor(1.0),)), IndexError,
                     "Dimension specified as 0 but tensor has no dimensions")


def _cat_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput(([make((2, 3)), make((1, 3))],), desc="dim 0")
    yield SampleInput(([make((2, 3)), make((2, 1)), make((2, 2))], -1), desc="dim -1, three")
    yield SampleInput(((make((2, 3)), make((0, 3))),), desc="tuple, empty part")
    yield SampleInput(([make((2, 3)), make((0,))], 1), desc="legacy empty (0,)")
    yield SampleInput(([make((2,)), make((3,), rg=False)],), desc="one constant")


def _cat_errors() -> Iterator[ErrorInput]:
    yield ErrorInput(SampleInput(([dagrad.ones(2, 3), dagrad.ones(2, 2)],)), RuntimeError,
                     "Sizes of tensors must match except in dimension 0. Expected size 3 but got "
                     "size 2 for tensor number 1 in the list.")
    yield ErrorInput(SampleInput(([],)), ValueError,
                     "dagrad.cat(): expected a non-empty list of Tensors")
    yield ErrorInput(SampleInput(([dagrad.ones(2, 3), dagrad.ones(3)],)), RuntimeError,
                     "Tensors must have same number of dimensions: got 2 and 1")


def _stack_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput(([make((2, 3)), make((2, 3))],), desc="dim 0")
    yield SampleInput(([make((2, 3)), make((2, 3)), make((2, 3))], -1), desc="dim -1")
    yield SampleInput(((make(()), make(())),), desc="0-dim")
    yield SampleInput(([make((0, 2)), make((0, 2))], 1), desc="empty")


def _stack_errors() -> Iterator[ErrorInput]:
    yield ErrorInput(SampleInput(([dagrad.ones(2, 3), dagrad.ones(3, 2)],)), RuntimeError,
                     "stack expects each tensor to be equal size, but got [2, 3] at entry 0 and "
                     "[3, 2] at entry 1")
    yield ErrorInput(SampleInput(([],)), RuntimeError, "stack expects a non-empty TensorList")
    yield ErrorInput(SampleInput(([dagrad.ones(2), dagrad.ones(2)], 2)), IndexError,
                     "Dimension out of range (expected to be in range of [-2, 1], but got 2)")


def _as_strided_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((2, 3)), (3, 2), (1, 3)), desc="transpose-like")
    yield SampleInput((make((6,)), (2, 2), (2, 1), 1), desc="offset")
    yield SampleInput((make((2, 3)), (2,), (4,)), desc="diagonal-like")


def _as_strided_ref(x: np.ndarray, size: Any, stride: Any, offset: int = 0) -> np.ndarray:
    flat = np.ascontiguousarray(x).reshape(-1)
    return np.lib.stride_tricks.as_strided(flat[offset:], shape=tuple(size),
                                           strides=tuple(s * x.itemsize for s in stride))


# --------------------------------------------------------------------------- indexing


def _getitem_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    x = lambda: make((3, 4))  # noqa: E731
    yield SampleInput((x(), 1), desc="int")
    yield SampleInput((x(), -1), desc="negative int")
    yield SampleInput((x(), builtins.slice(1, None)), desc="slice")
    yield SampleInput((x(), (builtins.slice(None), builtins.slice(None, None, 2))),
                      desc="step slice")
    yield SampleInput((x(), (None, 0)), desc="None, int")
    yield SampleInput((x(), (Ellipsis, 1)), desc="Ellipsis, int")
    yield SampleInput((x(), (1, builtins.slice(0, 3), None)), desc="int, slice, None")
    yield SampleInput((x(), dagrad.tensor([0, 2, 2])), desc="int tensor (repeated)")
    yield SampleInput((x(), [0, -1]), desc="list")
    yield SampleInput((x(), (builtins.slice(None), dagrad.tensor([[1, 0], [3, 3]]))),
                      desc="slice, 2-D int tensor")
    yield SampleInput((make((2, 3), values=[1, -1, 2, -2, 0.5, -0.5]),
                       dagrad.tensor([[True, False, True], [False, True, True]])),
                      desc="bool mask")
    yield SampleInput((make(()), Ellipsis), desc="0-dim, ...")
    yield SampleInput((make(()), None), desc="0-dim, None")
    yield SampleInput((x(), builtins.slice(None)), desc="full slice")
    yield SampleInput((x(), (builtins.slice(None), builtins.slice(5, 9))), desc="empty slice")


def _getitem(x: Any, index: Any) -> Any:
    return x[index]


def _getitem_node(s: SampleInput) -> str:
    x, index = s.args
    idx = index if isinstance(index, tuple) else (index,)
    if any(isinstance(i, (Tensor, list)) for i in idx):
        return "IndexBackward0"
    if x.dim() == 0:
        return "UnsqueezeBackward0" if None in idx else "AliasBackward0"
    for i in reversed(idx):
        if i is None:
            return "UnsqueezeBackward0"
        if isinstance(i, int):
            return "SelectBackward0"
        if isinstance(i, builtins.slice):
            if i == builtins.slice(None) and len(idx) > 1:
                continue
            return "SliceBackward0"
    return "SliceBackward0"


def _getitem_errors() -> Iterator[ErrorInput]:
    yield ErrorInput(SampleInput((dagrad.ones(2, 3), 2)), IndexError,
                     "index 2 is out of bounds for dimension 0 with size 2")
    yield ErrorInput(SampleInput((dagrad.ones(2, 3), (None, 0, -4))), IndexError,
                     "index -4 is out of bounds for dimension 2 with size 3")
    yield ErrorInput(SampleInput((dagrad.ones(2, 3), (0, 0, 0))), IndexError,
                     "too many indices for tensor of dimension 2")
    yield ErrorInput(SampleInput((dagrad.ones(2, 3), dagrad.tensor([0, 5]))), IndexError,
                     "index 5 is out of bounds for dimension 0 with size 2")
    yield ErrorInput(SampleInput((dagrad.ones(2, 3), dagrad.tensor([0.0]))), IndexError,
                     "tensors used as indices must be long, int, byte or bool tensors")


def _setitem(x: Any, index: Any, value: Any) -> Any:
    y = x.clone()
    y[index] = value
    return y


def _setitem_ref(x: np.ndarray, index: Any, value: Any) -> np.ndarray:
    y = x.copy()
    y[index] = value
    return y


def _setitem_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((3, 4)), 1, make((4,))), desc="row from tensor")
    yield SampleInput((make((3, 4)), (builtins.slice(None), 0), make((3,))), desc="column")
    yield SampleInput((make((3, 4)), builtins.slice(0, 2), make((1,))), desc="broadcast value")
    yield SampleInput((make((3, 4)), 0, 1.5), desc="scalar value")
    yield SampleInput((make((3, 4)), dagrad.tensor([0, 2]), make((2, 4))), desc="int tensor")
    yield SampleInput((make((2, 3), values=[1, -1, 2, -2, 0.5, -0.5]),
                       dagrad.tensor([[True, False, True], [False, True, True]]), make((4,))),
                      desc="bool mask")


def _setitem_node(s: SampleInput) -> str:
    idx = s.args[1] if isinstance(s.args[1], tuple) else (s.args[1],)
    if any(isinstance(i, (Tensor, list)) for i in idx):
        return "IndexPutBackward0"
    return "CopySlices"


# --------------------------------------------------------------------------- linalg


def _dot_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((3,)), make((3,))), desc="(3,) . (3,)")
    yield SampleInput((make((0,)), make((0,))), desc="empty")


def _dot_errors() -> Iterator[ErrorInput]:
    yield ErrorInput(SampleInput((dagrad.ones(3), dagrad.ones(2))), RuntimeError,
                     "inconsistent tensor size, expected tensor [3] and src [2] to have the same "
                     "number of elements, but got 3 and 2 elements respectively")
    yield ErrorInput(SampleInput((dagrad.ones(2, 2), dagrad.ones(2))), RuntimeError,
                     "1D tensors expected, but got 2D and 1D tensors")
    yield ErrorInput(SampleInput((dagrad.ones(2), dagrad.ones(2, dtype=dagrad.float64))),
                     RuntimeError, "dot : expected both vectors to have same dtype, but found "
                     "Float and Double")


def _mv_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((2, 3)), make((3,))), desc="(2, 3) @ (3,)")
    yield SampleInput((make((3, 2), noncontig=True), make((2,))), desc="non-contiguous")


def _mv_errors() -> Iterator[ErrorInput]:
    yield ErrorInput(SampleInput((dagrad.ones(2, 3), dagrad.ones(2))), RuntimeError,
                     "size mismatch, got input (2), mat (2x3), vec (2)")
    yield ErrorInput(SampleInput((dagrad.ones(2, 3), dagrad.ones(3, dtype=dagrad.float64))),
                     RuntimeError, "addmv input tensors must have the same dtype, but got Double, "
                     "Float, and Double")


def _mm_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((2, 3)), make((3, 4))), desc="(2, 3) @ (3, 4)")
    yield SampleInput((make((3, 2), noncontig=True), make((2, 2))), desc="non-contiguous")
    yield SampleInput((make((0, 3)), make((3, 2))), desc="empty")


def _mm_errors() -> Iterator[ErrorInput]:
    yield ErrorInput(SampleInput((dagrad.ones(2, 3), dagrad.ones(2, 3))), RuntimeError,
                     "mat1 and mat2 shapes cannot be multiplied (2x3 and 2x3)")
    yield ErrorInput(SampleInput((dagrad.ones(2, 3), dagrad.ones(3))), RuntimeError,
                     "mat2 must be a matrix")
    yield ErrorInput(SampleInput((dagrad.ones(2, 3), dagrad.ones(3, 2, dtype=dagrad.float64))),
                     RuntimeError, "expected m1 and m2 to have the same dtype, but got: float != "
                     "double")


def _matmul_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((3,)), make((3,))), desc="1-D @ 1-D")
    yield SampleInput((make((2, 3)), make((3,))), desc="2-D @ 1-D")
    yield SampleInput((make((3,)), make((3, 2))), desc="1-D @ 2-D")
    yield SampleInput((make((2, 3)), make((3, 2))), desc="2-D @ 2-D")
    yield SampleInput((make((2, 2, 3)), make((3, 2))), desc="3-D @ 2-D")
    yield SampleInput((make((2, 3)), make((2, 3, 2))), desc="2-D @ 3-D")
    yield SampleInput((make((2, 1, 2, 3)), make((3, 3, 2))), desc="batch broadcast")
    yield SampleInput((make((2, 2, 3)), make((3,))), desc="3-D @ 1-D")
    yield SampleInput((make((3,)), make((2, 3, 2))), desc="1-D @ 3-D")


def _matmul_node(s: SampleInput) -> str:
    """PyTorch's last node (samples whose operands both require grad)."""
    a, b = (t.dim() for t in s.args)
    return {(1, 1): "DotBackward0", (2, 1): "MvBackward0", (1, 2): "SqueezeBackward4",
            (2, 2): "MmBackward0", (2, 3): "CloneBackward0"}.get((a, b), "UnsafeViewBackward0")


def _matmul_errors() -> Iterator[ErrorInput]:
    yield ErrorInput(SampleInput((dagrad.ones(2, 3), dagrad.ones(2, 3))), RuntimeError,
                     "mat1 and mat2 shapes cannot be multiplied (2x3 and 2x3)")
    yield ErrorInput(SampleInput((dagrad.ones(2, 2, 3), dagrad.ones(4, 2))), RuntimeError,
                     "mat1 and mat2 shapes cannot be multiplied (4x3 and 4x2)")
    yield ErrorInput(SampleInput((dagrad.tensor(1.0), dagrad.ones(2))), RuntimeError,
                     "both arguments to matmul need to be at least 1D, but they are 0D and 1D")


def _bmm_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((2, 2, 3)), make((2, 3, 2))), desc="(2, 2, 3) @ (2, 3, 2)")
    yield SampleInput((make((0, 2, 3)), make((0, 3, 2))), desc="empty batch")


def _bmm_errors() -> Iterator[ErrorInput]:
    yield ErrorInput(SampleInput((dagrad.ones(2, 3), dagrad.ones(2, 3, 2))), RuntimeError,
                     "batch1 must be a 3D tensor")
    yield ErrorInput(SampleInput((dagrad.ones(2, 2, 3), dagrad.ones(3, 3, 2))), RuntimeError,
                     "Expected size for first two dimensions of batch2 tensor to be: [2, 3] but "
                     "got: [3, 3].")


# --------------------------------------------------------------------------- the database

_NO_TORCH = {"torch": "no public PyTorch function to compare with"}

op_db: list[OpInfo] = [
    # ------------------------------------------------------------------ arithmetic
    OpInfo("add", ref=lambda x, y, alpha=1: x + alpha * np.asarray(y),
           samples=binary_samples(alpha=True), grad_fn="AddBackward0"),
    OpInfo("sub", ref=lambda x, y, alpha=1: x - alpha * np.asarray(y),
           samples=binary_samples(alpha=True), grad_fn="SubBackward0", error_inputs=_sub_errors),
    OpInfo("rsub", ref=lambda x, y, alpha=1: np.asarray(y) - alpha * x,
           samples=binary_samples(alpha=True),
           grad_fn=lambda s: "RsubBackward0" if isinstance(s.args[1], Tensor) else
           "RsubBackward1"),
    OpInfo("mul", ref=np.multiply, samples=binary_samples(), grad_fn="MulBackward0"),
    OpInfo("div", ref=_div_ref, samples=_div_samples, grad_fn=_div_node),
    OpInfo("neg", ref=np.negative, samples=unary_samples(), grad_fn="NegBackward0",
           error_inputs=_neg_errors),
    OpInfo("reciprocal", ref=np.reciprocal, samples=unary_samples(away=0.3),
           grad_fn="ReciprocalBackward0"),
    OpInfo("pow", ref=_np_float(np.power), samples=_pow_samples, grad_fn=_pow_node,
           error_inputs=_pow_errors),
    OpInfo("square", ref=np.square, samples=unary_samples(), grad_fn="PowBackward0"),
    OpInfo("exp", ref=np.exp, samples=unary_samples(), grad_fn="ExpBackward0"),
    OpInfo("log", ref=np.log, samples=unary_samples(0.1, 5), grad_fn="LogBackward0"),
    OpInfo("sin", ref=np.sin, samples=unary_samples(), grad_fn="SinBackward0"),
    OpInfo("cos", ref=np.cos, samples=unary_samples(), grad_fn="CosBackward0"),
    OpInfo("tanh", ref=np.tanh, samples=unary_samples(), grad_fn="TanhBackward0"),
    OpInfo("sigmoid", ref=lambda x: 1 / (1 + np.exp(-x)), samples=unary_samples(),
           grad_fn="SigmoidBackward0"),
    OpInfo("relu", ref=lambda x: np.maximum(x, 0), samples=unary_samples(away=0.1),
           grad_fn="ReluBackward0"),
    OpInfo("abs", ref=np.abs, samples=unary_samples(away=0.1, complex_too=True),
           grad_fn="AbsBackward0"),
    OpInfo("sqrt", ref=np.sqrt, samples=unary_samples(0.1, 4), grad_fn="SqrtBackward0"),
    OpInfo("sign", ref=np.sign, samples=unary_samples(away=0.1), grad_fn="SignBackward0"),
    OpInfo("sgn", ref=lambda x: np.sign(x) if x.dtype.kind != "c" else x / np.abs(x),
           samples=_sgn_samples, grad_fn="SgnBackward0"),
    OpInfo("clamp", ref=_clamp_ref, samples=_clamp_samples, grad_fn=_clamp_node,
           error_inputs=_clamp_errors),
    OpInfo("floor_divide", ref=np.floor_divide,
           samples=binary_samples(other_low=0.5, other_high=2, scalar=2.0),
           supports_grad=False, supports_gradgrad=False,
           skips={"torch_grad": "PyTorch records a NotImplemented node; dagrad records none"}),
    OpInfo("__rfloordiv__", op=lambda x, v: v // x, ref=lambda x, v: np.floor_divide(v, x),
           samples=lambda dtype, rg: [SampleInput((_Make(dtype, False)((2, 3), 0.5, 2), 5.0))],
           supports_grad=False, supports_gradgrad=False, covers=("_scalar_like",)),
    OpInfo("remainder", ref=np.remainder, samples=_remainder_samples, grad_fn=_remainder_node),
    OpInfo("conj", ref=np.conjugate, samples=unary_samples(complex_too=True),
           grad_fn=lambda s: "ConjBackward0" if s.args[0].is_complex() else None),
    OpInfo("real", ref=np.real, samples=unary_samples(complex_too=True),
           grad_fn=lambda s: "SelectBackward0" if s.args[0].is_complex() else None),
    OpInfo("imag", ref=np.imag,
           samples=lambda dtype, rg: [s for s in unary_samples(complex_too=True)(dtype, rg)
                                      if s.args[0].is_complex()],
           grad_fn="SelectBackward0",
           error_inputs=lambda: [ErrorInput(SampleInput((dagrad.ones(2),)), RuntimeError,
                                            "imag is not implemented for tensors with non-complex "
                                            "dtypes.")]),
    # ------------------------------------------------------------------ comparisons, logic
    *[OpInfo(name, ref=getattr(np, npname), samples=_cmp_samples, supports_grad=False,
             supports_gradgrad=False)
      for name, npname in (("eq", "equal"), ("ne", "not_equal"), ("lt", "less"),
                           ("le", "less_equal"), ("gt", "greater"), ("ge", "greater_equal"))],
    *[OpInfo(name, ref=getattr(np, name), samples=_logical_samples, supports_grad=False,
             supports_gradgrad=False)
      for name in ("logical_and", "logical_or", "logical_xor")],
    OpInfo("logical_not", ref=np.logical_not, samples=_logical_not_samples, supports_grad=False,
           supports_gradgrad=False),
    *[OpInfo(name, ref=getattr(np, name), samples=_bitwise_samples, supports_grad=False,
             supports_gradgrad=False, error_inputs=_bitwise_errors(name, 2))
      for name in ("bitwise_and", "bitwise_or", "bitwise_xor")],
    OpInfo("bitwise_not", ref=np.invert, samples=_bitwise_not_samples, supports_grad=False,
           supports_gradgrad=False, error_inputs=_bitwise_errors("bitwise_not", 1)),
    # ------------------------------------------------------------------ selection, copies
    OpInfo("where", ref=np.where, samples=_where_samples, grad_fn="WhereBackward0",
           error_inputs=_where_errors),
    OpInfo("maximum", ref=np.maximum, samples=_minmax_binary_samples,
           grad_fn="MaximumBackward0"),
    OpInfo("minimum", ref=np.minimum, samples=_minmax_binary_samples,
           grad_fn="MinimumBackward0"),
    OpInfo("to", op=lambda x, dtype: x.to(dtype), ref=lambda x, dtype: x.astype(dtype.np),
           samples=_to_samples, grad_fn="ToCopyBackward0", covers=("_to_copy",)),
    OpInfo("clone", ref=np.copy, samples=unary_samples(), grad_fn="CloneBackward0"),
    OpInfo("_copy_backwards", ref=np.copy, samples=unary_samples(), grad_fn="CopyBackwards",
           skips=_NO_TORCH),
    # ------------------------------------------------------------------ reductions
    OpInfo("sum", ref=_sum_ref, samples=_sum_samples, grad_fn=_sum_node,
           error_inputs=_reduction_errors("sum")),
    OpInfo("mean", ref=_mean_ref, samples=_reduction_samples, grad_fn=_mean_node,
           error_inputs=_reduction_errors("mean")),
    OpInfo("linalg_vector_norm", ref=_norm_ref, samples=_norm_samples,
           grad_fn="LinalgVectorNormBackward0", torch_fn="linalg.vector_norm",
           error_inputs=_norm_errors),
    OpInfo("norm", ref=lambda x, p="fro", dim=None, keepdim=False: _norm_ref(
        x, 2 if p == "fro" else p, dim, keepdim), samples=_torch_norm_samples,
           grad_fn="LinalgVectorNormBackward0"),
    OpInfo("max", ref=np.max, samples=_max_all_samples, grad_fn="MaxBackward1",
           error_inputs=_max_errors("max"), covers=("_max_all",)),
    OpInfo("min", ref=np.min, samples=_max_all_samples, grad_fn="MinBackward1",
           error_inputs=_max_errors("min"), covers=("_min_all",)),
    # ------------------------------------------------------------------ views and shapes
    OpInfo("view", op=lambda x, shape: x.view(shape), ref=lambda x, s: x.reshape(s),
           samples=_view_samples, grad_fn="ViewBackward0", error_inputs=_view_errors("view"),
           covers=("_view",)),
    OpInfo("reshape", ref=lambda x, s: x.reshape(s), samples=_reshape_samples,
           grad_fn=_reshape_node, error_inputs=_view_errors("reshape"),
           covers=("_unsafe_view", "_reshape_alias")),
    OpInfo("flatten", ref=_flatten_ref, samples=_flatten_samples, grad_fn=_flatten_node),
    OpInfo("t", ref=lambda x: x.T, samples=_t_samples,
           grad_fn=lambda s: "TBackward0", error_inputs=_t_errors),
    OpInfo("transpose", ref=lambda x, a, b: np.swapaxes(x, a, b) if x.ndim else x,
           samples=_transpose_samples, grad_fn="TransposeBackward0",
           error_inputs=_transpose_errors),
    OpInfo("permute", op=lambda x, *dims: x.permute(*dims), ref=_permute_ref,
           samples=_permute_samples, grad_fn="PermuteBackward0", error_inputs=_permute_errors,
           covers=("_permute",)),
    OpInfo("expand", op=lambda x, *size: x.expand(*size), ref=_expand_ref,
           samples=_expand_samples, grad_fn="ExpandBackward0", error_inputs=_expand_errors,
           covers=("_expand",)),
    OpInfo("expand_as", op=lambda x, other: x.expand_as(other),
           ref=lambda x, o: np.broadcast_to(x, o.shape), samples=_expand_as_samples,
           grad_fn="ExpandBackward0"),
    OpInfo("broadcast_to", ref=np.broadcast_to, samples=_broadcast_to_samples,
           grad_fn="ExpandBackward0"),
    OpInfo("unsqueeze", ref=np.expand_dims, samples=_unsqueeze_samples,
           grad_fn="UnsqueezeBackward0", error_inputs=_unsqueeze_errors),
    OpInfo("squeeze", ref=_squeeze_ref, samples=_squeeze_samples, grad_fn=_squeeze_node),
    OpInfo("select", ref=_select_ref, samples=_select_samples, grad_fn="SelectBackward0",
           error_inputs=_select_errors, covers=("_select_backward",)),
    OpInfo("slice", op=dagrad.ops.slice, ref=_slice_ref, samples=_slice_samples,
           grad_fn="SliceBackward0", torch_fn=_slice_torch, covers=("_slice_backward",)),
    OpInfo("narrow", ref=lambda x, d, s, n: np.take(x, range(s, s + n), axis=d),
           samples=_narrow_samples, grad_fn="SliceBackward0"),
    OpInfo("contiguous", op=lambda x: x.contiguous(), ref=np.ascontiguousarray,
           samples=_contiguous_samples, grad_fn="CloneBackward0"),
    OpInfo("unbind", ref=_unbind_ref, samples=_unbind_samples, grad_fn="UnbindBackward0",
           error_inputs=_unbind_errors),
    OpInfo("cat", ref=lambda ts, dim=0: np.concatenate(
        [t for t in ts if t.shape != (0,)], axis=dim), samples=_cat_samples,
           grad_fn="CatBackward0", error_inputs=_cat_errors),
    OpInfo("stack", ref=lambda ts, dim=0: np.stack(ts, axis=dim), samples=_stack_samples,
           grad_fn="StackBackward0", error_inputs=_stack_errors),
    OpInfo("as_strided", op=lambda x, *a: x.as_strided(*a), ref=_as_strided_ref,
           samples=_as_strided_samples, grad_fn="AsStridedBackward0",
           covers=("_as_strided_scatter",)),
    # ------------------------------------------------------------------ indexing
    OpInfo("__getitem__", op=_getitem, ref=lambda x, i: x[i], samples=_getitem_samples,
           grad_fn=_getitem_node, error_inputs=_getitem_errors,
           covers=("_alias", "_index", "_index_backward")),
    OpInfo("__setitem__", op=_setitem, ref=_setitem_ref, samples=_setitem_samples,
           grad_fn=_setitem_node, covers=("_copy_from", "_index_put")),
    # ------------------------------------------------------------------ linalg
    OpInfo("dot", ref=np.dot, samples=_dot_samples, grad_fn="DotBackward0",
           error_inputs=_dot_errors),
    OpInfo("mv", ref=np.matmul, samples=_mv_samples, grad_fn="MvBackward0",
           error_inputs=_mv_errors),
    OpInfo("mm", ref=np.matmul, samples=_mm_samples, grad_fn="MmBackward0",
           error_inputs=_mm_errors),
    OpInfo("matmul", ref=np.matmul, samples=_matmul_samples, grad_fn=_matmul_node,
           error_inputs=_matmul_errors, covers=("_bmm", "_matmul_squeeze")),
    OpInfo("bmm", ref=np.matmul, samples=_bmm_samples, grad_fn="BmmBackward0",
           error_inputs=_bmm_errors),
]



# --------------------------------------------------------------------------- nn ops
# The ops of dagrad/ops/nn_ops.py and dagrad/ops/conv.py, called through dagrad.nn.functional
# (as user code calls them) and compared with torch.nn.functional.


class _Lazy:
    """``dagrad.nn.functional.<name>`` looked up on first call (op_db imports no nn code)."""

    def __init__(self, module: str, name: str) -> None:
        self.module, self.name = module, name

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        import importlib
        return getattr(importlib.import_module(self.module), self.name)(*args, **kwargs)

    def __repr__(self) -> str:
        return f"{self.module}.{self.name}"


def _nn(name: str, samples: Callable, grad_fn: Any, *, covers: tuple[str, ...] = (),
        torch_name: str | None = None, module: str = "dagrad.nn.functional", **kw: Any) -> OpInfo:
    return OpInfo(name, op=_Lazy(module, name), samples=samples,
                  grad_fn=grad_fn, torch_fn=torch_name or f"nn.functional.{name}", covers=covers,
                  **kw)


def _with_kwargs(base: Callable, *variants: dict) -> Callable:
    """``base`` samples, then the 2-D sample again with each kwargs variant."""
    def samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
        yield from base(dtype, rg)
        make = _Make(dtype, rg, seed=5)
        for kw in variants:
            yield SampleInput((make((2, 3), -3, 3, away=0.1),), dict(kw), desc=str(kw))
    return samples


def _softmax_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((2, 3)),), {"dim": -1}, desc="dim=-1")
    yield SampleInput((make((2, 3, 2)),), {"dim": 1}, desc="dim=1")
    yield SampleInput((make(()),), {"dim": 0}, desc="0-dim")
    yield SampleInput((make((0, 3)),), {"dim": 1}, desc="empty")


def _logsumexp_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((2, 3)), 1), desc="dim=1")
    yield SampleInput((make((2, 3, 2)), (0, -1), True), desc="dims, keepdim")
    yield SampleInput((make(()), 0), desc="0-dim")


def _loss_samples(target_grad: bool, low: float = -2.0, high: float = 2.0, tlow: float = -2.0,
                  thigh: float = 2.0, **extra: Any) -> Callable:
    def samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
        make = _Make(dtype, rg)
        for reduction in ("mean", "sum", "none"):
            yield SampleInput((make((2, 3), low, high),
                               make((2, 3), tlow, thigh, rg=rg and target_grad)),
                              {"reduction": reduction, **extra}, desc=f"reduction={reduction}")
        yield SampleInput((make((), low, high), make((), tlow, thigh, rg=rg and target_grad)),
                          desc="0-dim")
    return samples


def _nll_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    target = dagrad.tensor([0, 2, 1, 2])
    for reduction in ("mean", "sum", "none"):
        yield SampleInput((make((4, 3)), target), {"reduction": reduction},
                          desc=f"reduction={reduction}")
    yield SampleInput((make((4, 3)), target), {"weight": make((3,), 0.5, 2, rg=False)},
                      desc="weight")
    yield SampleInput((make((4, 3)), target), {"ignore_index": 2}, desc="ignore_index")
    yield SampleInput((make((3,)), dagrad.tensor(1)), desc="unbatched")


def _cross_entropy_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((4, 3)), dagrad.tensor([0, 2, 1, 2])), desc="class indices")
    p = np.exp(make.rng.uniform(-1, 1, (4, 3)))
    yield SampleInput((make((4, 3)), dagrad.from_numpy((p / p.sum(1, keepdims=True)).astype(
        dtype.np))), desc="probabilities")
    yield SampleInput((make((4, 3)), dagrad.tensor([0, 2, 1, 2])), {"label_smoothing": 0.1},
                      desc="label smoothing")


def _addmm_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((2, 4)), make((2, 3)), make((3, 4))), desc="matrix bias")
    yield SampleInput((make((4,)), make((2, 3)), make((3, 4))), {"beta": 0.5, "alpha": 2},
                      desc="vector bias, beta, alpha")


def _layer_norm_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((2, 3, 4)), (4,), make((4,)), make((4,))), desc="affine")
    yield SampleInput((make((2, 3)), (2, 3)), desc="no affine, two dims")


def _embedding_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((dagrad.tensor([[0, 2], [4, 2]]), make((5, 3))), desc="2-D indices")
    yield SampleInput((dagrad.tensor([1, 0, 1]), make((5, 3))), {"padding_idx": 1},
                      desc="padding_idx", nondiff=True)   # the padding row gets no gradient


def _conv_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((1, 2, 4, 4)), make((3, 2, 3, 3)), make((3,))), desc="bias")
    yield SampleInput((make((2, 2, 5, 4)), make((2, 2, 2, 3))), {"stride": 2, "padding": 1},
                      desc="stride, padding")
    yield SampleInput((make((1, 4, 4, 4)), make((2, 2, 2, 2))), {"groups": 2, "dilation": 2},
                      desc="groups, dilation")


def _conv1d_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((2, 2, 5)), make((3, 2, 3)), make((3,))), {"padding": 1},
                      desc="padding, bias")


def _conv_transpose_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((1, 2, 3, 3)), make((2, 3, 2, 2)), make((3,))), {"stride": 2},
                      desc="stride 2, bias")


def _pool_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((1, 2, 4, 4)), 2), desc="kernel 2")
    yield SampleInput((make((2, 1, 5, 4)), 3), {"stride": 1, "padding": 1},
                      desc="stride 1, padding 1")


def _pad_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((2, 3)), (1, 2)), desc="last dim")
    yield SampleInput((make((2, 3)), (1, 1, 2, 0)), {"value": 0.5}, desc="two dims, value")


_ACT = unary_samples(-3, 3, away=0.1)
_CONV = "dagrad.nn._functional_conv"

op_db += [
    _nn("leaky_relu", _with_kwargs(_ACT, {"negative_slope": 0.2}), "LeakyReluBackward0",
        covers=("_leaky_relu_result",)),
    _nn("elu", _with_kwargs(_ACT, {"alpha": 0.5}), "EluBackward0", covers=("_elu_result",)),
    _nn("celu", _with_kwargs(_ACT, {"alpha": 2.0}), "CeluBackward0", covers=("_celu_result",)),
    _nn("gelu", _with_kwargs(_ACT, {"approximate": "tanh"}), "GeluBackward0", covers=("_erf",)),
    _nn("silu", _ACT, "SiluBackward0"),
    _nn("softplus", _with_kwargs(_ACT, {"beta": 2.0, "threshold": 3.0}), "SoftplusBackward0"),
    _nn("mish", _ACT, "MishBackward0"),
    _nn("hardtanh", _with_kwargs(_ACT, {"min_val": -0.5, "max_val": 2.0}), "HardtanhBackward0"),
    _nn("logsigmoid", _ACT, "LogSigmoidBackward0"),
    _nn("hardsigmoid", unary_samples(-4, 4, away=0.1), "HardsigmoidBackward0",
        skips={"torch_gradgrad": "PyTorch has no double backward for hardsigmoid"}),
    _nn("hardswish", unary_samples(-4, 4, away=0.1), "HardswishBackward0"),
    _nn("softshrink", _with_kwargs(_ACT, {"lambd": 1.0}), "SoftshrinkBackward0"),
    _nn("hardshrink", _with_kwargs(_ACT, {"lambd": 1.0}), "HardshrinkBackward0"),
    _nn("softmax", _softmax_samples, "SoftmaxBackward0"),
    _nn("log_softmax", _softmax_samples, "LogSoftmaxBackward0"),
    OpInfo("logsumexp", op=_Lazy("dagrad.ops.nn_ops", "logsumexp"), samples=_logsumexp_samples,
           grad_fn="LogsumexpBackward0", torch_fn="logsumexp"),
    _nn("mse_loss", _loss_samples(True), lambda s: "MseLossBackward0"),
    _nn("smooth_l1_loss", _loss_samples(True, beta=0.5), "SmoothL1LossBackward0"),
    _nn("huber_loss", _loss_samples(True, delta=0.5), "HuberLossBackward0"),
    _nn("binary_cross_entropy", _loss_samples(False, 0.1, 0.9, 0, 1),
        "BinaryCrossEntropyBackward0"),
    _nn("binary_cross_entropy_with_logits", _loss_samples(True, tlow=0, thigh=1),
        "BinaryCrossEntropyWithLogitsBackward0"),
    _nn("nll_loss", _nll_samples, "NllLossBackward0",
        covers=("_nll_loss_backward", "_div_scalar")),
    _nn("cross_entropy", _cross_entropy_samples,
        lambda s: "DivBackward1" if s.args[1].is_floating_point() else
        "AddBackward0" if s.kwargs.get("label_smoothing") else "NllLossBackward0"),
    OpInfo("addmm", op=_Lazy("dagrad.ops.nn_ops", "addmm"), samples=_addmm_samples,
           grad_fn="AddmmBackward0", torch_fn="addmm"),
    _nn("layer_norm", _layer_norm_samples, "NativeLayerNormBackward0",
        covers=("native_layer_norm",)),
    _nn("embedding", _embedding_samples, "EmbeddingBackward0", covers=("_embedding_backward",)),
    _nn("conv2d", _conv_samples, "ConvolutionBackward0", module=_CONV,
        covers=("_convolution", "_conv_input_grad", "_conv_weight_grad")),
    _nn("conv1d", _conv1d_samples, "ConvolutionBackward0", module=_CONV),
    _nn("conv_transpose2d", _conv_transpose_samples, "ConvolutionBackward0", module=_CONV,
        covers=("_conv_transpose",)),
    _nn("max_pool2d", _pool_samples, "MaxPool2DWithIndicesBackward0", module=_CONV,
        covers=("_max_pool", "_max_pool_backward", "_take_indices")),
    _nn("avg_pool2d", _pool_samples, "AvgPool2DBackward0", module=_CONV,
        covers=("_avg_pool", "_avg_pool_backward")),
    _nn("pad", _pad_samples, "ConstantPadNdBackward0", module=_CONV,
        covers=("constant_pad_nd",)),
]


# Families registered in their own files keep their entries beside them.
from dagrad.testing.op_db_linalg import op_db_linalg  # noqa: E402
from dagrad.testing.op_db_selection import OPS as _SELECTION_OPS  # noqa: E402

op_db += op_db_linalg
op_db += _SELECTION_OPS
from dagrad.testing.op_db_nn import op_db_nn  # noqa: E402

op_db += op_db_nn
from dagrad.testing.op_db_manipulation import OPS as _MANIPULATION_OPS  # noqa: E402

op_db += _MANIPULATION_OPS
from dagrad.testing.op_db_scatter import OPS as _SCATTER_OPS  # noqa: E402

op_db += _SCATTER_OPS
