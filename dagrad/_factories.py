"""Tensor factories: tensor, as_tensor, from_numpy, zeros, ones, empty, full, *_like, eye,
arange, linspace, rand, randn, randint — all with ``dtype=`` and ``requires_grad=``."""
from __future__ import annotations

import builtins
import math
import warnings
from typing import Any

import numpy as np

from dagrad import _dtypes, _errors, _random
from dagrad._tensor import Size, Tensor
from dagrad.autograd.grad_mode import STATE


def _finish(arr: np.ndarray, requires_grad: bool) -> Tensor:
    t = Tensor._make(arr)
    if requires_grad:
        if arr.dtype.kind not in "fc":
            raise RuntimeError(_errors.REQUIRES_GRAD_FACTORY)
        t._rg = True
    if STATE.inference:
        t._mark_inference()
    return t


def _dt(dtype: Any) -> np.dtype | None:
    return None if dtype is None else _dtypes.as_dtype(dtype).np


def _size(size: tuple) -> tuple:
    if len(size) == 1 and isinstance(size[0], (tuple, list, Size)):
        size = tuple(size[0])
    out = []
    for s in size:
        if isinstance(s, Tensor):
            s = s.item()
        if not isinstance(s, (int, np.integer)):
            raise TypeError(f"zeros(): argument 'size' must be tuple of ints, but found element of "
                            f"type {type(s).__name__}")
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: "
                               f"{list(size)}")
        out.append(int(s))
    return tuple(out)


def _infer_np(data: Any) -> np.ndarray:
    """Convert nested Python data to an array with PyTorch's dtype inference."""
    if isinstance(data, Tensor):
        return data._data
    if isinstance(data, np.ndarray):
        return data
    if isinstance(data, np.generic):
        return np.asarray(data)
    if isinstance(data, (list, tuple)) and any(isinstance(e, Tensor) for e in _flat(data)):
        data = _untensor(data)
    try:
        arr = np.asarray(data)
    except ValueError as e:
        raise ValueError(f"expected sequence of length matching at dim, but got ragged data "
                         f"({e})") from None
    if arr.dtype == object:
        raise TypeError(f"Could not infer dtype of {type(_flat(data)[0]).__name__}")
    if isinstance(data, (list, tuple, bool, int, float, complex)):
        k = arr.dtype.kind
        if k == "f":
            arr = arr.astype(_dtypes.get_default_dtype().np)
        elif k == "c":
            arr = arr.astype(_dtypes.default_complex().np)
        elif k in "iu":
            arr = arr.astype(np.int64)
        elif k not in "b":
            raise TypeError(f"Could not infer dtype of {arr.dtype}")
    return arr


def _flat(data: Any) -> list:
    out = []
    stack = [data]
    while stack:
        d = stack.pop()
        if isinstance(d, (list, tuple)):
            stack.extend(reversed(d))
        else:
            out.append(d)
    return out


def _untensor(data: Any) -> Any:
    if isinstance(data, Tensor):
        return data._data.tolist() if data._data.ndim else data._data.item()
    if isinstance(data, (list, tuple)):
        return [_untensor(e) for e in data]
    return data


def tensor(data: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False,
           pin_memory: bool = False) -> Tensor:
    """A new tensor holding a copy of ``data`` (nested lists, numbers, NumPy arrays).

    Python floats become float32 (the default dtype), ints int64, bools bool.

    Example:
        >>> dagrad.tensor([1., 2., 3.], requires_grad=True)
        tensor([1., 2., 3.], requires_grad=True)
    """
    if isinstance(data, Tensor):
        warnings.warn("To copy construct from a tensor, it is recommended to use "
                      "sourceTensor.clone().detach() or sourceTensor.clone().detach()."
                      "requires_grad_(True), rather than torch.tensor(sourceTensor).",
                      UserWarning, stacklevel=2)
    arr = _infer_np(data)
    dt = _dt(dtype)
    arr = np.array(arr, dtype=dt, copy=True, order="C")
    return _finish(arr, requires_grad)


def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """Like ``tensor`` but shares memory with a NumPy array or tensor when the dtype allows."""
    if isinstance(data, Tensor):
        return data if dtype is None or data.dtype == _dtypes.as_dtype(dtype) else data.to(dtype)
    if isinstance(data, np.ndarray) and (dtype is None or _dt(dtype) == data.dtype):
        return from_numpy(data)
    arr = _infer_np(data)
    return _finish(np.asarray(arr, dtype=_dt(dtype)), False)


asarray = as_tensor


def from_numpy(ndarray: np.ndarray) -> Tensor:
    """A tensor that shares memory with ``ndarray`` (writes show through both ways)."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    _dtypes.from_numpy_dtype(ndarray.dtype)
    return _finish(ndarray, False)


def _filled(size: tuple, value: Any, dtype: Any, requires_grad: bool, default: Any = None) -> Tensor:
    dt = _dt(dtype) or default or _dtypes.get_default_dtype().np
    return _finish(np.full(_size(size), value, dtype=dt), requires_grad)


def zeros(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False,
          layout: Any = None, out: Any = None) -> Tensor:
    """A tensor of zeros. Example: ``dagrad.zeros(2, 3)``."""
    return _filled(size, 0, dtype, requires_grad)


def ones(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False,
         layout: Any = None, out: Any = None) -> Tensor:
    """A tensor of ones. Example: ``dagrad.ones(2, 2, requires_grad=True)``."""
    return _filled(size, 1, dtype, requires_grad)


def empty(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False,
          layout: Any = None, memory_format: Any = None, pin_memory: bool = False,
          out: Any = None) -> Tensor:
    """An uninitialised tensor (dagrad fills it with zeros: NumPy's empty memory is arbitrary)."""
    return _filled(size, 0, dtype, requires_grad)


def full(size: Any, fill_value: Any, dtype: Any = None, device: Any = None,
         requires_grad: bool = False, layout: Any = None, out: Any = None) -> Tensor:
    """A tensor filled with ``fill_value``; its dtype follows the value (``full((2,), 7)`` is int64)."""
    if dtype is None:
        dtype = _dtypes.scalar_dtype(fill_value.item() if isinstance(fill_value, Tensor)
                                     else fill_value)
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    return _filled((size,) if not isinstance(size, int) else (size,), fill_value, dtype,
                   requires_grad)


def _like(t: Tensor, dtype: Any) -> tuple:
    return tuple(t.shape), (_dt(dtype) or t._data.dtype)


def zeros_like(input: Tensor, dtype: Any = None, requires_grad: bool = False, **_: Any) -> Tensor:
    shape, dt = _like(input, dtype)
    return _finish(np.zeros(shape, dt), requires_grad)


def ones_like(input: Tensor, dtype: Any = None, requires_grad: bool = False, **_: Any) -> Tensor:
    shape, dt = _like(input, dtype)
    return _finish(np.ones(shape, dt), requires_grad)


def empty_like(input: Tensor, dtype: Any = None, requires_grad: bool = False, **_: Any) -> Tensor:
    shape, dt = _like(input, dtype)
    return _finish(np.zeros(shape, dt), requires_grad)


def full_like(input: Tensor, fill_value: Any, dtype: Any = None, requires_grad: bool = False,
              **_: Any) -> Tensor:
    shape, dt = _like(input, dtype)
    return _finish(np.full(shape, fill_value, dt), requires_grad)


def rand_like(input: Tensor, dtype: Any = None, requires_grad: bool = False, **_: Any) -> Tensor:
    shape, dt = _like(input, dtype)
    return _finish(_random.uniform(shape).astype(dt), requires_grad)


def randn_like(input: Tensor, dtype: Any = None, requires_grad: bool = False, **_: Any) -> Tensor:
    shape, dt = _like(input, dtype)
    return _finish(_random.normal(shape).astype(dt), requires_grad)


def eye(n: int, m: int | None = None, dtype: Any = None, device: Any = None,
        requires_grad: bool = False, **_: Any) -> Tensor:
    """The n x m identity matrix."""
    if n < 0:
        raise RuntimeError(f"n must be greater or equal to 0, got {n}")
    return _finish(np.eye(n, m, dtype=_dt(dtype) or _dtypes.get_default_dtype().np),
                   requires_grad)


def arange(start: Any, end: Any = None, step: Any = 1, *, dtype: Any = None, device: Any = None,
           requires_grad: bool = False, **_: Any) -> Tensor:
    """Values from ``start`` to ``end`` (exclusive) by ``step``; int64 unless a bound is a float.

    Example:
        >>> dagrad.arange(5)
        tensor([0, 1, 2, 3, 4])
    """
    if end is None:
        start, end = 0, start
    vals = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    start, end, step = vals
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end - start) / step < 0:
        raise RuntimeError("upper bound and larger bound inconsistent with step sign")
    if dtype is None:
        is_float = any(isinstance(v, float) or (isinstance(v, np.generic) and
                                                 np.asarray(v).dtype.kind == "f") for v in vals)
        dt = _dtypes.get_default_dtype().np if is_float else np.dtype(np.int64)
    else:
        dt = _dt(dtype)
    n = builtins.max(0, math.ceil((end - start) / step))
    arr = (start + np.arange(n, dtype=np.float64) * step) if dt.kind == "f" or any(
        isinstance(v, float) for v in vals) else np.arange(start, end, step)
    return _finish(np.asarray(arr).astype(dt), requires_grad)


def linspace(start: Any, end: Any, steps: int, *, dtype: Any = None, device: Any = None,
             requires_grad: bool = False, **_: Any) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive.

    Computed as PyTorch does (from both ends, in the output precision), so the values match.
    """
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    dt = _dt(dtype) or _dtypes.get_default_dtype().np
    start = start.item() if isinstance(start, Tensor) else start
    end = end.item() if isinstance(end, Tensor) else end
    if steps == 0:
        arr = np.zeros(0, dt)
    elif steps == 1:
        arr = np.asarray([start], dtype=dt)
    else:
        comp = dt if dt.kind in "fc" else np.dtype(np.float32)
        step = (comp.type(end) - comp.type(start)) / comp.type(steps - 1)
        idx = np.arange(steps)
        half = steps // 2
        arr = np.where(idx < half, comp.type(start) + step * idx.astype(comp),
                       comp.type(end) - step * (steps - 1 - idx).astype(comp))
        arr = arr.astype(dt)
    return _finish(arr, requires_grad)


def logspace(start: Any, end: Any, steps: int, base: float = 10.0, *, dtype: Any = None,
             requires_grad: bool = False, **_: Any) -> Tensor:
    dt = _dt(dtype) or _dtypes.get_default_dtype().np
    return _finish(np.logspace(start, end, steps, base=base).astype(dt), requires_grad)


def rand(*size: Any, generator: Any = None, dtype: Any = None, device: Any = None,
         requires_grad: bool = False, **_: Any) -> Tensor:
    """Uniform samples on [0, 1)."""
    dt = _dt(dtype) or _dtypes.get_default_dtype().np
    return _finish(_random.uniform(_size(size), generator).astype(dt), requires_grad)


def randn(*size: Any, generator: Any = None, dtype: Any = None, device: Any = None,
          requires_grad: bool = False, **_: Any) -> Tensor:
    """Standard normal samples."""
    dt = _dt(dtype) or _dtypes.get_default_dtype().np
    return _finish(_random.normal(_size(size), generator).astype(dt), requires_grad)


def randint(low: int, high: int | None = None, size: Any = None, *, generator: Any = None,
            dtype: Any = None, device: Any = None, requires_grad: bool = False,
            **_: Any) -> Tensor:
    """Integers uniform on [low, high); ``randint(high, size)`` starts at 0."""
    if size is None:
        low, high, size = 0, low, high
    if high is None:
        raise TypeError("randint() missing required argument 'size'")
    if isinstance(high, (tuple, list)):
        low, high, size = 0, low, high
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= "
                           f"to={high}")
    arr = _random.integers(low, high, _size((size,)), generator)
    return _finish(arr.astype(_dt(dtype) or np.int64), requires_grad)


def randperm(n: int, *, generator: Any = None, dtype: Any = None, requires_grad: bool = False,
             **_: Any) -> Tensor:
    arr = _random._rng(generator).permutation(n)
    return _finish(arr.astype(_dt(dtype) or np.int64), requires_grad)


def _legacy_new(args: tuple, kwargs: dict, dtype: Any) -> Tensor:
    """``Tensor(2, 3)`` (uninitialised), ``Tensor([1, 2])`` (data), for the legacy constructors."""
    dt = _dt(dtype) or _dtypes.get_default_dtype().np
    if len(args) == 1 and isinstance(args[0], (list, tuple, np.ndarray)) and not isinstance(
            args[0], Size):
        return Tensor._make(np.array(_infer_np(args[0]), dtype=dt))
    if len(args) == 1 and isinstance(args[0], Tensor):
        return args[0]
    return Tensor._make(np.zeros(_size(args) if args else (0,), dt))


class _LegacyMeta(type):
    def __instancecheck__(cls, obj: object) -> bool:
        return isinstance(obj, Tensor) and obj._data.dtype == cls._dtype.np

    def __call__(cls, *args: Any, **kwargs: Any) -> Tensor:
        return _legacy_new(args, kwargs, cls._dtype)

    def __repr__(cls) -> str:
        return f"<class 'dagrad.{cls.__name__}'>"


def _legacy(name: str, dt: _dtypes.dtype) -> type:
    return _LegacyMeta(name, (), {"_dtype": dt})


FloatTensor = _legacy("FloatTensor", _dtypes.float32)
DoubleTensor = _legacy("DoubleTensor", _dtypes.float64)
HalfTensor = _legacy("HalfTensor", _dtypes.float16)
LongTensor = _legacy("LongTensor", _dtypes.int64)
IntTensor = _legacy("IntTensor", _dtypes.int32)
ShortTensor = _legacy("ShortTensor", _dtypes.int16)
CharTensor = _legacy("CharTensor", _dtypes.int8)
ByteTensor = _legacy("ByteTensor", _dtypes.uint8)
BoolTensor = _legacy("BoolTensor", _dtypes.bool_)
