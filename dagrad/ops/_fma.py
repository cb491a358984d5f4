"""Fused multiply-adds, rounded once, as PyTorch's CPU kernels compute them.

Note [Fused multiply-add]
PyTorch's vectorized CPU kernels compute ``add(a, b, alpha=...)`` as ``fmadd(b, alpha, a)`` and
``addcmul`` as ``fmadd(value * t1, t2, self)``: the product and the sum rounded once. NumPy has
no fused multiply-add, but for float32 (and float16, which PyTorch computes in float32) the
product of two float32 values is exact in float64, so the float64 sum rounded to float32 is the
fused result (barring a double rounding too rare to meet). Two separate roundings, as NumPy's
``a + alpha * b`` gives, differed from PyTorch in a quarter of float32 values: every SGD step
(``p.add_(grad, alpha=-lr)``) drifted from PyTorch's in the last bit. Float64 keeps the two
roundings (an exact float64 product needs double-double arithmetic) and so differs from PyTorch
in the last bit for some values.
"""
from __future__ import annotations

from typing import Any

import numpy as np

_F16, _F32, _F64 = np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64)


def _narrow(r: Any, dt: np.dtype, out: np.ndarray | None) -> Any:
    """The float64 result ``r`` rounded once to float32, then to ``dt`` (float16 via float32, as
    PyTorch's half-precision kernels round their float32 result)."""
    if out is not None:
        if dt == _F32:
            np.copyto(out, r, casting="unsafe")
        else:
            np.copyto(out, np.asarray(r).astype(_F32), casting="unsafe")
        return out
    r = np.asarray(r).astype(_F32)
    return r if dt == _F32 else r.astype(dt)


def axpy(a: Any, b: Any, alpha: Any, out: np.ndarray | None = None) -> Any:
    """``a + alpha * b`` as PyTorch's ``add(a, b, alpha=alpha)``: fused for float32/float16."""
    dt = np.result_type(a, b)
    if (dt == _F32 or dt == _F16) and isinstance(alpha, (int, float, np.floating, np.integer)):
        # (a float16 tensor's alpha is rounded to float16 first, as PyTorch does)
        al = np.float32(alpha) if dt == _F32 else np.float32(np.float16(alpha))
        r = np.multiply(b, al, dtype=_F64)       # exact
        r = np.add(r, a, dtype=_F64)
        return _narrow(r, dt, out)
    if alpha != 1:
        b = np.multiply(b, alpha)
    return np.add(a, b, out=out) if out is not None else np.add(a, b)


def addcmul(s: Any, t1: Any, t2: Any, value: Any, out: np.ndarray | None = None) -> Any:
    """``s + value * t1 * t2`` as PyTorch's ``addcmul``: ``fma(value * t1, t2, s)`` for
    float32/float16 (``value * t1`` rounded first)."""
    dt = np.result_type(s, t1, t2)
    if (dt == _F32 or dt == _F16) and isinstance(value, (int, float, np.floating, np.integer)):
        p = np.multiply(t1, np.float32(value), dtype=_F32)
        r = np.add(np.multiply(p, t2, dtype=_F64), s, dtype=_F64)
        return _narrow(r, dt, out)
    r = value * t1 * t2
    return np.add(s, r, out=out) if out is not None else s + r


def lerp(start: np.ndarray, end: Any, weight: Any, out: np.ndarray | None = None) -> Any:
    """PyTorch's two-sided ``lerp``: ``start + w * (end - start)`` where ``|w| < 0.5``, else
    ``end - (end - start) * (1 - w)``, each fused for float32/float16 (``end - start`` and
    ``1 - w`` rounded first, in float32)."""
    dt = start.dtype
    if dt == _F32 or dt == _F16:
        w = np.asarray(weight, dtype=_F32)
        diff = np.subtract(end, start, dtype=_F32)
        small = np.abs(w) < 0.5
        if small.ndim == 0:
            if small:
                r = np.add(np.multiply(w, diff, dtype=_F64), start, dtype=_F64)
            else:
                r = np.subtract(end, np.multiply(diff, np.subtract(1, w, dtype=_F32),
                                                 dtype=_F64), dtype=_F64)
        else:
            r = np.where(small, np.add(np.multiply(w, diff, dtype=_F64), start, dtype=_F64),
                         np.subtract(end, np.multiply(diff, np.subtract(1, w, dtype=_F32),
                                                      dtype=_F64), dtype=_F64))
        return _narrow(r, dt, out)
    w = np.asarray(weight, dtype=dt)
    diff = end - start
    r = np.where(np.abs(w) < 0.5, start + w * diff, end - diff * (1 - w)).astype(dt, copy=False)
    if out is not None:
        np.copyto(out, r)
        return out
    return r
