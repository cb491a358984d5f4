"""dtype objects (``dagrad.float32`` ...) and PyTorch's type-promotion rules.

A :class:`dtype` wraps one NumPy dtype. Promotion follows ``c10/core/ScalarType.h``
and ``TensorIterator``'s ``result_type``: categories bool < integer < floating < complex;
within a category, tensors with dimensions win over 0-dim tensors, which win over
Python scalars (see Note [Type promotion]).
"""
from __future__ import annotations

import numpy as np


class dtype:
    """A tensor element type. Prints as ``dagrad.float32`` (PyTorch prints ``torch.float32``)."""

    __slots__ = ("name", "np", "is_floating_point", "is_complex", "is_signed", "itemsize", "_kind")

    def __init__(self, name: str, np_dtype: np.dtype) -> None:
        self.name = name
        self.np = np.dtype(np_dtype)
        self.is_floating_point = self.np.kind == "f"
        self.is_complex = self.np.kind == "c"
        self.is_signed = self.np.kind in "ifc"
        self.itemsize = self.np.itemsize
        # 0 bool, 1 integer, 2 floating, 3 complex
        self._kind = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}[self.np.kind]

    def __repr__(self) -> str:
        return f"dagrad.{self.name}"

    def __reduce__(self) -> str:
        return self.name

    def to_real(self) -> dtype:
        return {complex64: float32, complex128: float64}.get(self, self)

    def to_complex(self) -> dtype:
        return {float16: complex64, float32: complex64, float64: complex128}.get(self, self)


float16 = dtype("float16", np.float16)
float32 = dtype("float32", np.float32)
float64 = dtype("float64", np.float64)
int8 = dtype("int8", np.int8)
int16 = dtype("int16", np.int16)
int32 = dtype("int32", np.int32)
int64 = dtype("int64", np.int64)
uint8 = dtype("uint8", np.uint8)
bool_ = dtype("bool", np.bool_)
complex64 = dtype("complex64", np.complex64)
complex128 = dtype("complex128", np.complex128)

half, float, double = float16, float32, float64
short, int, long = int16, int32, int64
cfloat, cdouble = complex64, complex128

ALL = (float16, float32, float64, int8, int16, int32, int64, uint8, bool_, complex64, complex128)
_BY_NP = {d.np: d for d in ALL}
_BY_NAME = {d.name: d for d in ALL}

_default = [float32]


def get_default_dtype() -> dtype:
    """The dtype of Python floats turned into tensors (float32 unless changed)."""
    return _default[0]


def set_default_dtype(d: dtype) -> None:
    """Like ``torch.set_default_dtype``: only float32 and float64 (and float16) are allowed."""
    d = as_dtype(d)
    if not d.is_floating_point:
        raise TypeError("only floating-point types are supported as the default type")
    _default[0] = d


def default_complex() -> dtype:
    return complex128 if _default[0] is float64 else complex64


def from_numpy_dtype(np_dtype: np.dtype) -> dtype:
    try:
        return _BY_NP[np.dtype(np_dtype)]
    except KeyError:
        raise TypeError(
            f"can't convert np.ndarray of type numpy.{np.dtype(np_dtype).name}. The only supported "
            "types are: float64, float32, float16, complex64, complex128, int64, int32, int16, "
            "int8, uint8, and bool."
        ) from None


def as_dtype(d: object) -> dtype:
    """Accept a dagrad dtype, a NumPy dtype, a Python type (float/int/bool/complex) or a name."""
    if isinstance(d, dtype):
        return d
    if d is _py_float:
        return _default[0]
    if d is _py_int:
        return int64
    if d is _py_bool:
        return bool_
    if d is _py_complex:
        return default_complex()
    if isinstance(d, str) and d in _BY_NAME:
        return _BY_NAME[d]
    return from_numpy_dtype(d)


import builtins as _builtins  # noqa: E402

_py_float, _py_int, _py_bool, _py_complex = (
    _builtins.float, _builtins.int, _builtins.bool, _builtins.complex)


# Note [Type promotion]
# promote_types(a, b) is PyTorch's table: bool < any; uint8 with int8 -> int16; any integer with a
# floating type -> that floating type (NumPy would say int64 + float16 -> float64; PyTorch says
# float16); floating with complex -> complex of at least the floating precision.
def promote_types(a: dtype, b: dtype) -> dtype:
    if a is b:
        return a
    if a._kind != b._kind:
        hi, lo = (a, b) if a._kind > b._kind else (b, a)
        if hi._kind == 3 and lo._kind == 2 and lo is float64:
            return complex128
        return hi
    return _BY_NP[np.promote_types(a.np, b.np)]


def scalar_dtype(value: object) -> dtype:
    """The dtype a Python scalar takes when it stands alone (``tensor(2.5)`` -> float32)."""
    if isinstance(value, _py_bool):
        return bool_
    if isinstance(value, _py_int):
        return int64
    if isinstance(value, _py_float):
        return _default[0]
    if isinstance(value, _py_complex):
        return default_complex()
    if isinstance(value, np.generic):
        return from_numpy_dtype(value.dtype)
    raise TypeError(f"unsupported scalar type {type(value).__name__}")


def _combine(higher: dtype | None, lower: dtype | None) -> dtype | None:
    # c10's combine_categories
    if higher is None:
        return lower
    if lower is None:
        return higher
    if higher._kind == 3:
        return higher
    if lower._kind == 3:
        return higher.to_complex() if higher._kind == 2 else lower
    if higher._kind == 2:
        return higher
    if higher is bool_ or lower._kind == 2:
        return promote_types(higher, lower)
    return higher


def result_type(dim_dtypes: list[dtype], zero_dim_dtypes: list[dtype], scalars: list) -> dtype:
    """PyTorch's ``result_type`` from three groups: dimensioned tensors, 0-dim tensors, scalars."""
    dim = zero = wrapped = None
    for d in dim_dtypes:
        dim = d if dim is None else promote_types(dim, d)
    for d in zero_dim_dtypes:
        zero = d if zero is None else promote_types(zero, d)
    for s in scalars:
        d = scalar_dtype(s) if not isinstance(s, dtype) else s
        wrapped = d if wrapped is None else promote_types(wrapped, d)
    out = _combine(dim, _combine(zero, wrapped))
    return out if out is not None else _default[0]
