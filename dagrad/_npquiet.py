"""Run NumPy kernels without floating-point warnings, cheaply.

PyTorch never warns on 1/0 or log(0); NumPy does unless wrapped in ``np.errstate``, which costs
about a microsecond per use — more than the arithmetic on a small tensor. ``quiet(fn)`` sets
NumPy's error-state context variable directly with a prebuilt "ignore everything" state
(~0.1 us); on NumPy versions without that internal it falls back to ``np.errstate``.
"""
from __future__ import annotations

import functools
import threading
from typing import Any, Callable

import numpy as np

try:
    from numpy._core.umath import _extobj_contextvar, _make_extobj
    _IGNORE = _make_extobj(all="ignore")
except (ImportError, AttributeError, TypeError):      # NumPy 1.x
    _extobj_contextvar = _IGNORE = None


# For the hottest paths: NumPy's error state set and restored directly,
# `token = quiet_set(IGNORE); ...; quiet_reset(token)`; None on NumPy 1.x (use QUIET there).
IGNORE = _IGNORE
quiet_set = _extobj_contextvar.set if _extobj_contextvar is not None else None
quiet_reset = _extobj_contextvar.reset if _extobj_contextvar is not None else None


def quiet(fn: Callable) -> Callable:
    """Decorate a kernel so it runs with all NumPy floating-point warnings off."""
    if _extobj_contextvar is None:
        return np.errstate(all="ignore")(fn)

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        token = _extobj_contextvar.set(_IGNORE)
        try:
            return fn(*args, **kwargs)
        finally:
            _extobj_contextvar.reset(token)
    return wrapper


class Quiet(threading.local):
    """Context-manager form (re-entrant, reusable): ``with QUIET: ...``. The tokens are kept
    per thread: another thread's ``with QUIET`` must not pop this one's."""

    def __init__(self) -> None:
        self.tokens: list = []

    def __enter__(self) -> None:
        if _extobj_contextvar is None:
            e = np.errstate(all="ignore")
            e.__enter__()
            self.tokens.append(e)
        else:
            self.tokens.append(_extobj_contextvar.set(_IGNORE))

    def __exit__(self, *exc: object) -> None:
        t = self.tokens.pop()
        if _extobj_contextvar is None:
            t.__exit__(*exc)
        else:
            _extobj_contextvar.reset(t)


QUIET = Quiet()


def broadcast_view(a: np.ndarray, shape: tuple) -> np.ndarray:
    """``np.broadcast_to(a, shape)`` (a read-only view; ValueError when ``a`` does not
    broadcast), made directly with zero strides for a C-contiguous ``a``: np.broadcast_to goes
    through an nditer and costs ~2 us, more than the rest of a sum's backward on small tensors."""
    if not a.flags.c_contiguous:
        return np.broadcast_to(a, shape)
    nd = len(shape)
    pad = nd - a.ndim
    if pad < 0:
        return np.broadcast_to(a, shape)            # NumPy's own error
    strides = [0] * pad
    for size, target, stride in zip(a.shape, shape[pad:], a.strides):
        if size == target:
            strides.append(stride)
        elif size == 1:
            strides.append(0)
        else:
            return np.broadcast_to(a, shape)        # NumPy's own error
    out = np.ndarray(shape, a.dtype, a, 0, tuple(strides))
    out.flags.writeable = False
    return out
