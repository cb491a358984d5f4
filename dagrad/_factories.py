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


_NO_SIZE = object()


def _is_int_like(s: Any) -> bool:
    if isinstance(s, bool):
        return False
    if isinstance(s, (int, np.integer)):
        return True
    return isinstance(s, Tensor) and s._data.dtype.kind in "iu" and s._data.size == 1


def _size(size: tuple, fn: str = "zeros", size_kw: Any = _NO_SIZE) -> tuple:
    """Parse ``*size`` (or ``size=``) as PyTorch's argument parser does, with its messages.

    ``zeros(2, 3)``, ``zeros((2, 3))``, ``zeros([2, 3])``, ``zeros(dagrad.Size([2, 3]))`` and
    ``zeros(size=(2, 3))`` all give ``(2, 3)``.
    """
    keyword = size_kw is not _NO_SIZE
    if keyword:
        if size:
            raise TypeError(f"{fn}() got multiple values for argument 'size'")
        if not isinstance(size_kw, (tuple, list)):
            if not _is_int_like(size_kw):
                raise TypeError(f"{fn}(): argument 'size' must be tuple of ints, not "
                                f"{type(size_kw).__name__}")
            size_kw = (size_kw,)
        seq, single, where = tuple(size_kw), True, ""
    elif len(size) == 0:
        raise TypeError(f'{fn}() missing 1 required positional arguments: "size"')
    elif len(size) == 1 and isinstance(size[0], (tuple, list)):
        seq, single, where = tuple(size[0]), True, " (position 1)"
    elif len(size) == 1:
        if not _is_int_like(size[0]):
            raise TypeError(f"{fn}(): argument 'size' (position 1) must be tuple of ints, not "
                            f"{type(size[0]).__name__}")
        seq, single, where = size, False, ""
    else:
        if not _is_int_like(size[0]):
            raise TypeError(f"{fn}() takes 1 positional argument but {len(size)} were given")
        seq, single, where = size, False, ""
    out = []
    for k, s in enumerate(seq):
        if not _is_int_like(s):
            if k == 0 and single:
                raise TypeError(f"{fn}(): argument 'size'{where} must be tuple of ints, but found "
                                f"element of type {type(s).__name__} at pos 0")
            raise TypeError(f"{fn}(): argument 'size' failed to unpack the object at pos {k + 1} "
                            f'with error "type must be tuple of ints,but got {type(s).__name__}"')
        out.append(int(s.item() if isinstance(s, Tensor) else s))
    for s in out:
        if s < 0:
            if fn == "zeros":
                raise RuntimeError("zeros: Dimension size must be non-negative.")
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {out}")
    return tuple(out)


# Note [Data inference]
# `tensor(data)` follows torch/csrc/utils/tensor_new.cpp: the shape comes from following the
# first element at every level (compute_sizes); the dtype from promoting every leaf's own dtype
# (infer_scalar_type: float -> default dtype, int -> int64, bool -> bool, complex -> default
# complex, a Tensor or NumPy scalar -> its dtype); then every sequence is checked against the
# shape with PyTorch's messages ("expected sequence of length 2 at dim 1 (got 1)").
_INT64_MIN, _INT64_MAX = -(2 ** 63), 2 ** 63 - 1
_TORCH_TYPE_NAME = {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char",
                    "uint8": "Byte", "bool": "Bool", "float16": "Half", "float32": "Float",
                    "float64": "Double", "complex64": "ComplexFloat",
                    "complex128": "ComplexDouble"}
_C_TYPE_NAME = {"uint8": "uint8_t", "int8": "int8_t", "int16": "int16_t", "int32": "int",
                "int64": "int64_t"}


def _is_seq(x: Any) -> bool:
    return isinstance(x, (list, tuple, np.ndarray)) and not (
        isinstance(x, np.ndarray) and x.ndim == 0)


def _leaf_dtype(x: Any) -> _dtypes.dtype:
    if isinstance(x, bool):
        return _dtypes.bool_
    if isinstance(x, int):
        return _dtypes.int64
    if isinstance(x, float):
        return _dtypes.get_default_dtype()
    if isinstance(x, complex):
        return _dtypes.default_complex()
    if isinstance(x, Tensor):
        return x.dtype
    if isinstance(x, (np.generic, np.ndarray)):
        return _dtypes.from_numpy_dtype(x.dtype)
    if isinstance(x, str):
        raise TypeError(f"new(): invalid data type '{type(x).__name__}'")
    raise RuntimeError(f"Could not infer dtype of {type(x).__name__}")


def _compute_sizes(data: Any) -> list[int]:
    sizes = []
    obj = data
    while _is_seq(obj) or isinstance(obj, str):
        if isinstance(obj, str) or len(sizes) >= 64:
            raise ValueError(f"too many dimensions '{type(obj).__name__}'")
        sizes.append(len(obj))
        if len(obj) == 0:
            break
        obj = obj[0]
    return sizes


def _leaf_value(x: Any, dt: np.dtype) -> Any:
    """One leaf as a Python/NumPy scalar, with PyTorch's conversion errors."""
    if isinstance(x, Tensor):
        if x._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return x._data.reshape(()).item()
    if isinstance(x, (bool, int, float, complex, np.generic)):
        if isinstance(x, int) and not isinstance(x, bool) and dt.kind in "iub":
            _check_int_fits(x, dt)
        return x
    if dt.kind in "iub":
        raise TypeError(f"'{type(x).__name__}' object cannot be interpreted as an integer")
    if dt.kind == "f":
        raise TypeError(f"must be real number, not {type(x).__name__}")
    raise TypeError(f"must be complex number, not {type(x).__name__}")


def _check_int_fits(v: int, dt: np.dtype) -> None:
    if not _INT64_MIN <= v <= _INT64_MAX:
        raise ValueError("Overflow when unpacking long long")
    if dt.kind == "b" or dt == np.int64:
        return
    info = np.iinfo(dt)
    # c10::overflows: unsigned targets accept negatives down to -max (they wrap around)
    lo = -int(info.max) if dt.kind == "u" else int(info.min)
    if not lo <= v <= int(info.max):
        raise RuntimeError(f"value cannot be converted to type {dt.name} without overflow")


_PY_SCALARS = frozenset((bool, int, float, complex))


def _from_sequence(data: Any, dtype: Any) -> np.ndarray:
    sizes = _compute_sizes(data)
    ndim = len(sizes)
    # the leaves, level by level (fast when the structure is regular; checked below)
    leaves = [data]
    for _ in range(ndim):
        leaves = [e for seq in leaves if _is_seq(seq) for e in seq]
    types = set(map(type, leaves))
    regular = len(leaves) == math.prod(sizes) > 0
    if regular and types <= _PY_SCALARS:
        inferred = (_dtypes.default_complex() if complex in types else
                    _dtypes.get_default_dtype() if float in types else
                    _dtypes.int64 if int in types else _dtypes.bool_)
    else:
        inferred = _infer_dtype(data)
    target = _dtypes.as_dtype(dtype).np if dtype is not None else (
        (inferred or _dtypes.get_default_dtype()).np)
    if math.prod(sizes) == 0:
        return np.zeros(sizes, dtype=target)
    arr = None
    if regular and types <= _PY_SCALARS:
        try:
            arr = np.asarray(data)
        except (ValueError, TypeError, OverflowError):
            arr = None
        if arr is not None and (arr.dtype.kind not in "biufc" or arr.shape != tuple(sizes)):
            arr = None
    if arr is None:
        arr = _checked_leaves(data, sizes, target)
    elif target.kind in "iu" and arr.dtype.kind in "iu" and arr.size:
        for v in (int(arr.min()), int(arr.max())):
            _check_int_fits(v, target)
    if arr.dtype.kind == "c" and target.kind != "c":
        arr = arr.real
    return arr.astype(target)


def _infer_dtype(obj: Any) -> _dtypes.dtype:
    """infer_scalar_type: an empty sequence counts as the default dtype."""
    if not _is_seq(obj):
        return _leaf_dtype(obj)
    if len(obj) == 0:
        return _dtypes.get_default_dtype()
    out = None
    for e in obj:
        d = _infer_dtype(e)
        out = d if out is None else _dtypes.promote_types(out, d)
    return out


def _checked_leaves(data: Any, sizes: list[int], target: np.dtype) -> np.ndarray:
    """Walk ``data`` checking every sequence against ``sizes`` with PyTorch's messages."""
    ndim = len(sizes)
    leaves: list = []
    work = [(data, 0)]
    while work:
        obj, dim = work.pop()
        if dim == ndim:
            leaves.append(_leaf_value(obj, target))
            continue
        if not _is_seq(obj):
            raise TypeError("not a sequence")
        if len(obj) != sizes[dim]:
            raise ValueError(f"expected sequence of length {sizes[dim]} at dim {dim} "
                             f"(got {len(obj)})")
        work.extend((e, dim + 1) for e in reversed(list(obj)))
    if target.kind in "iu" and {type(v) for v in leaves} <= {int, bool}:
        return np.array(leaves, dtype=np.int64).reshape(sizes)
    return np.array(leaves).reshape(sizes)


def _infer_np(data: Any, dtype: Any = None) -> np.ndarray:
    """Convert ``data`` to an array with PyTorch's dtype inference and checks (Note [Data
    inference]); arrays and tensors are returned as they are (the caller copies or casts)."""
    if isinstance(data, Tensor):
        return data._data
    if isinstance(data, np.ndarray):
        return data
    if isinstance(data, np.generic):
        return np.asarray(data)
    if isinstance(data, (list, tuple)):
        return _from_sequence(data, dtype)
    d = _leaf_dtype(data)           # scalars; raises for str / None / other objects
    target = _dtypes.as_dtype(dtype).np if dtype is not None else d.np
    return np.asarray(_leaf_value(data, target)).astype(target)


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
    arr = _infer_np(data, dtype)
    arr = np.array(arr, dtype=_dt(dtype), copy=True, order="C")
    return _finish(arr, requires_grad)


def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """Like ``tensor`` but shares memory with a NumPy array or tensor when the dtype allows."""
    if isinstance(data, Tensor):
        return data if dtype is None or data.dtype == _dtypes.as_dtype(dtype) else data.to(dtype)
    if isinstance(data, np.ndarray) and (dtype is None or _dt(dtype) == data.dtype):
        return from_numpy(data)
    arr = _infer_np(data, dtype)
    return _finish(np.asarray(arr, dtype=_dt(dtype)), False)


asarray = as_tensor


def from_numpy(ndarray: np.ndarray) -> Tensor:
    """A tensor that shares memory with ``ndarray`` (writes show through both ways)."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    _dtypes.from_numpy_dtype(ndarray.dtype)
    return _finish(ndarray, False)


def _filled(fn: str, size: tuple, size_kw: Any, value: Any, dtype: Any, requires_grad: bool,
            default: Any = None) -> Tensor:
    shape = _size(size, fn, size_kw)
    dt = _dt(dtype) or default or _dtypes.get_default_dtype().np
    return _finish(np.full(shape, value, dtype=dt), requires_grad)


def zeros(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False,
          layout: Any = None, out: Any = None, **kw: Any) -> Tensor:
    """A tensor of zeros. Example: ``dagrad.zeros(2, 3)``."""
    return _filled("zeros", size, kw.pop("size", _NO_SIZE), 0, dtype, requires_grad)


def ones(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False,
         layout: Any = None, out: Any = None, **kw: Any) -> Tensor:
    """A tensor of ones. Example: ``dagrad.ones(2, 2, requires_grad=True)``."""
    return _filled("ones", size, kw.pop("size", _NO_SIZE), 1, dtype, requires_grad)


def empty(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False,
          layout: Any = None, memory_format: Any = None, pin_memory: bool = False,
          out: Any = None, **kw: Any) -> Tensor:
    """An uninitialised tensor (dagrad fills it with zeros: NumPy's empty memory is arbitrary)."""
    return _filled("empty", size, kw.pop("size", _NO_SIZE), 0, dtype, requires_grad)


def full(size: Any, fill_value: Any, dtype: Any = None, device: Any = None,
         requires_grad: bool = False, layout: Any = None, out: Any = None) -> Tensor:
    """A tensor filled with ``fill_value``; its dtype follows the value.

    Example:
        >>> dagrad.full((2,), 7)
        tensor([7, 7])
    """
    if isinstance(size, Size):
        size = tuple(size)
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"full(): argument 'size' (position 1) must be tuple of ints, not "
                        f"{type(size).__name__}")
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    if dtype is None:
        dtype = _dtypes.scalar_dtype(fill_value)
    return _filled("full", (size,), _NO_SIZE, fill_value, dtype, requires_grad)


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


def _uniform(shape: tuple, dt: np.dtype, generator: Any) -> np.ndarray:
    """Samples on [0, 1) (both parts for complex); PyTorch's error for non-float dtypes."""
    if dt.kind not in "fc":
        raise NotImplementedError(f'"check_uniform_bounds" not implemented for '
                                  f"'{_TORCH_TYPE_NAME[dt.name]}'")
    if dt.kind == "c":
        re = _random.uniform(shape, generator)
        return (re + 1j * _random.uniform(shape, generator)).astype(dt)
    return _random.uniform(shape, generator).astype(dt)


def _normal(shape: tuple, dt: np.dtype, generator: Any) -> np.ndarray:
    """Standard normal samples (complex: each part has variance 1/2, as in PyTorch)."""
    if dt.kind not in "fc":
        raise NotImplementedError(f'"normal_kernel_cpu" not implemented for '
                                  f"'{_TORCH_TYPE_NAME[dt.name]}'")
    if dt.kind == "c":
        re = _random.normal(shape, generator)
        return ((re + 1j * _random.normal(shape, generator)) * math.sqrt(0.5)).astype(dt)
    return _random.normal(shape, generator).astype(dt)


def rand_like(input: Tensor, dtype: Any = None, requires_grad: bool = False, **_: Any) -> Tensor:
    shape, dt = _like(input, dtype)
    return _finish(_uniform(shape, dt, None), requires_grad)


def randn_like(input: Tensor, dtype: Any = None, requires_grad: bool = False, **_: Any) -> Tensor:
    shape, dt = _like(input, dtype)
    return _finish(_normal(shape, dt, None), requires_grad)


def eye(n: int, m: int | None = None, dtype: Any = None, device: Any = None,
        requires_grad: bool = False, **_: Any) -> Tensor:
    """The n x m identity matrix."""
    for name, pos, v in (("n", 1, n), ("m", 2, m)):
        if v is not None and not _is_int_like(v):
            raise TypeError(f"eye(): argument '{name}' (position {pos}) must be int, not "
                            f"{type(v).__name__}")
    if n < 0:
        raise RuntimeError(f"n must be greater or equal to 0, got {n}")
    if m is not None and m < 0:
        raise RuntimeError(f"m must be greater or equal to 0, got {m}")
    return _finish(np.eye(n, m, dtype=_dt(dtype) or _dtypes.get_default_dtype().np),
                   requires_grad)


def arange(start: Any, end: Any = None, step: Any = 1, *, dtype: Any = None, device: Any = None,
           requires_grad: bool = False, **_: Any) -> Tensor:
    """Values from ``start`` to ``end`` (exclusive) by ``step``; int64 unless a bound is a float.

    The length is ``ceil((end - start) / step)``. Float values are ``start + i * step`` computed
    in double precision; for an integer ``dtype`` PyTorch first truncates ``start`` and ``step``
    to integers (``arange(1, 2.5, 0.5, dtype=dagrad.int32)`` is ``[1, 1, 1]``).

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
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    if dtype is None:
        is_float = any(isinstance(v, float) or (isinstance(v, np.generic) and
                                                 np.asarray(v).dtype.kind == "f") for v in vals)
        dt = _dtypes.get_default_dtype().np if is_float else np.dtype(np.int64)
    else:
        dt = _dt(dtype)
    n = builtins.max(0, math.ceil((end - start) / step))
    if dt.kind in "iub":
        # accscalar_t is int64: start and step are truncated first
        arr = int(start) + np.arange(n, dtype=np.int64) * int(step)
    else:
        arr = float(start) + np.arange(n, dtype=np.float64) * float(step)
    return _finish(arr.astype(dt), requires_grad)


# Note [linspace values]
# PyTorch's CPU kernel (RangeFactoriesKernel.cpp) computes, for idx < steps // 2,
# `start + step * idx`, and for the rest `end - step * (steps - idx - 1)`, with
# step = (end - start) / (steps - 1) in the output type (double for integer outputs), and the
# compiler fuses each multiply-add into one FMA (a single rounding). We reproduce the single
# rounding: float32 in exact float64 arithmetic, float64 with an error-free product.
def _two_prod(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    p = a * b
    split = 134217729.0  # 2**27 + 1 (Veltkamp)
    ta = split * a
    ah = ta - (ta - a)
    al = a - ah
    tb = split * b
    bh = tb - (tb - b)
    bl = b - bh
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


def _fma64(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """a * b + c with (almost always) one rounding, for float64 arrays."""
    p, e = _two_prod(a, b)
    s = c + p
    bb = s - c
    t = (c - (s - bb)) + (p - bb)
    return s + (t + e)


def linspace(start: Any, end: Any, steps: int, *, dtype: Any = None, device: Any = None,
             requires_grad: bool = False, **_: Any) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive.

    Computed as PyTorch's CPU kernel does (Note [linspace values]), so the values match bit
    for bit.
    """
    if not _is_int_like(steps):
        raise TypeError(f"linspace(): argument 'steps' (position 3) must be int, not "
                        f"{type(steps).__name__}")
    steps = int(steps)
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    dt = _dt(dtype) or _dtypes.get_default_dtype().np
    if dt.kind == "b":
        raise NotImplementedError("\"linspace_cpu\" not implemented for 'Bool'")
    start = start.item() if isinstance(start, Tensor) else start
    end = end.item() if isinstance(end, Tensor) else end
    if dt.kind in "iu":
        start, end = (_to_int_scalar(v, dt) for v in (start, end))
    idx = np.arange(steps)
    half = steps // 2
    first = idx < half
    if steps == 0:
        arr = np.zeros(0, dt)
    elif steps == 1:
        arr = np.asarray([start]).astype(dt)
    elif dt.kind in "iu" or dt == np.float64:
        s64, e64 = np.float64(start), np.float64(end)
        step = (e64 - s64) / np.float64(steps - 1)
        k = np.where(first, idx, steps - 1 - idx).astype(np.float64)
        arr = _fma64(np.where(first, step, -step), k, np.where(first, s64, e64))
        arr = np.trunc(arr).astype(np.int64).astype(dt) if dt.kind in "iu" else arr
    elif dt == np.float32:
        s32, e32 = np.float32(start), np.float32(end)
        step = np.float64((e32 - s32) / np.float32(steps - 1))
        k = np.where(first, idx, steps - 1 - idx).astype(np.float64)
        # step * k is exact in float64 (24-bit by < 2**29), so one rounding to float64 then to
        # float32 is the single rounding of the fused operation
        arr = np.where(first, np.float64(s32) + step * k, np.float64(e32) - step * k)
        arr = arr.astype(np.float32)
    else:
        # float16 (c10::Half rounds after every operation) and complex
        c = dt
        step = (c.type(end) - c.type(start)) / c.type(steps - 1)
        arr = np.where(first, c.type(start) + step * idx.astype(c),
                       c.type(end) - step * (steps - 1 - idx).astype(c))
        arr = arr.astype(dt)
    return _finish(arr, requires_grad)


def _to_int_scalar(v: Any, dt: np.dtype) -> int:
    """Scalar.to<int type>() with c10's overflow check (floats truncate toward zero)."""
    info = np.iinfo(dt)
    if isinstance(v, float):
        if not info.min <= v <= info.max:
            raise RuntimeError(f"value cannot be converted to type {_C_TYPE_NAME[dt.name]} "
                               "without overflow")
        return int(v)
    v = int(v)
    lo = -int(info.max) if dt.kind == "u" else int(info.min)
    if not lo <= v <= int(info.max):
        raise RuntimeError(f"value cannot be converted to type {_C_TYPE_NAME[dt.name]} without "
                           "overflow")
    return int(np.array(v).astype(dt))


def logspace(start: Any, end: Any, steps: int, base: float = 10.0, *, dtype: Any = None,
             requires_grad: bool = False, **_: Any) -> Tensor:
    dt = _dt(dtype) or _dtypes.get_default_dtype().np
    return _finish(np.logspace(start, end, steps, base=base).astype(dt), requires_grad)


def rand(*size: Any, generator: Any = None, dtype: Any = None, device: Any = None,
         requires_grad: bool = False, **kw: Any) -> Tensor:
    """Uniform samples on [0, 1)."""
    dt = _dt(dtype) or _dtypes.get_default_dtype().np
    shape = _size(size, "rand", kw.pop("size", _NO_SIZE))
    return _finish(_uniform(shape, dt, generator), requires_grad)


def randn(*size: Any, generator: Any = None, dtype: Any = None, device: Any = None,
          requires_grad: bool = False, **kw: Any) -> Tensor:
    """Standard normal samples."""
    dt = _dt(dtype) or _dtypes.get_default_dtype().np
    shape = _size(size, "randn", kw.pop("size", _NO_SIZE))
    return _finish(_normal(shape, dt, generator), requires_grad)


_RANDINT_SIGNATURES = (
    " * (int high, tuple of ints size, *, dagrad.Generator generator, Tensor out = None, "
    "dagrad.dtype dtype = None, dagrad.layout layout = None, dagrad.device device = None, "
    "bool pin_memory = False, bool requires_grad = False)\n"
    " * (int high, tuple of ints size, *, Tensor out = None, dagrad.dtype dtype = None, "
    "dagrad.layout layout = None, dagrad.device device = None, bool pin_memory = False, "
    "bool requires_grad = False)\n"
    " * (int low, int high, tuple of ints size, *, dagrad.Generator generator, Tensor out = "
    "None, dagrad.dtype dtype = None, dagrad.layout layout = None, dagrad.device device = None, "
    "bool pin_memory = False, bool requires_grad = False)\n"
    " * (int low, int high, tuple of ints size, *, Tensor out = None, dagrad.dtype dtype = None, "
    "dagrad.layout layout = None, dagrad.device device = None, bool pin_memory = False, "
    "bool requires_grad = False)\n")


def randint(*args: Any, generator: Any = None, dtype: Any = None, device: Any = None,
            requires_grad: bool = False, **kw: Any) -> Tensor:
    """Integers uniform on [low, high): ``randint(high, size)`` or ``randint(low, high, size)``."""
    low, high, size = kw.pop("low", None), kw.pop("high", None), kw.pop("size", None)
    pos = list(args)
    if size is None and pos and isinstance(pos[-1], (tuple, list)):
        size = pos.pop()
    elif size is None and len(pos) == 2 and all(_is_int_like(a) for a in pos):
        raise TypeError(f"randint(): argument 'size' (position 2) must be tuple of ints, not "
                        f"{type(pos[1]).__name__}")
    if len(pos) == 2 and low is None and high is None:
        low, high = pos
    elif len(pos) == 1 and high is None:
        high = pos[0]
    elif len(pos) == 1 and low is None:
        low = pos[0]
    elif pos:
        high = None                    # too many positionals: no signature matches
    low = 0 if low is None else low
    if high is None or size is None or not (_is_int_like(low) and _is_int_like(high)):
        got = ", ".join(type(a).__name__ for a in args)
        raise TypeError(f"randint() received an invalid combination of arguments - got ({got}), "
                        f"but expected one of:\n{_RANDINT_SIGNATURES}")
    low, high = int(low), int(high)
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= "
                           f"to={high}")
    arr = _random.integers(low, high, _size((tuple(size),), "randint"), generator)
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
    return Tensor._make(np.zeros(_size(args, "new") if args else (0,), dt))


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
