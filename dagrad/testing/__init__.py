"""``dagrad.testing``: ``assert_close`` (as ``torch.testing.assert_close``) and the op database.

Example:
    >>> dagrad.testing.assert_close(dagrad.tensor([1.0, 2.0]), dagrad.tensor([1.0, 2.0000001]))
"""
from __future__ import annotations

from typing import Any

import numpy as np

from dagrad._tensor import Tensor

__all__ = ["assert_close", "default_tolerances"]

# PyTorch's defaults (torch/testing/_comparison.py): (rtol, atol) by dtype.
_TOLERANCES = {
    np.dtype(np.float16): (1e-3, 1e-5),
    np.dtype(np.float32): (1.3e-6, 1e-5),
    np.dtype(np.float64): (1e-7, 1e-7),
    np.dtype(np.complex64): (1.3e-6, 1e-5),
    np.dtype(np.complex128): (1e-7, 1e-7),
}


def default_tolerances(*dtypes: Any) -> tuple[float, float]:
    """The loosest ``(rtol, atol)`` among ``dtypes`` (exact, ``(0, 0)``, for integers and bool)."""
    rtol = atol = 0.0
    for d in dtypes:
        r, a = _TOLERANCES.get(np.dtype(d), (0.0, 0.0))
        rtol, atol = max(rtol, r), max(atol, a)
    return rtol, atol


def _to_numpy(x: Any) -> np.ndarray:
    if isinstance(x, Tensor):
        return x._data
    if isinstance(x, np.ndarray):
        return x
    if hasattr(x, "detach") and hasattr(x, "numpy"):          # another library's tensor
        return x.detach().cpu().resolve_conj().numpy() if hasattr(x, "resolve_conj") else \
            x.detach().numpy()
    return np.asarray(x)


def assert_close(actual: Any, expected: Any, rtol: float | None = None,
                 atol: float | None = None, *, equal_nan: bool = False, check_dtype: bool = True,
                 msg: str | None = None) -> None:
    """Assert ``|actual - expected| <= atol + rtol * |expected|`` element-wise, like PyTorch's.

    Tensors, NumPy arrays, numbers and (nested) sequences of them are compared; shapes must match
    and, with ``check_dtype``, dtypes too. Default tolerances depend on the dtype (float32:
    ``rtol=1.3e-6, atol=1e-5``; float64: ``1e-7, 1e-7``; integers and bool: exact).

    Raises:
        AssertionError: with the number of mismatched elements and the greatest differences.

    Example:
        >>> assert_close(dagrad.tensor([1.0, 2.0]), dagrad.tensor([1.0, 2.0]))
    """
    if (rtol is None) ^ (atol is None):
        raise ValueError(f"Both 'rtol' and 'atol' must be either specified or omitted, but got no "
                         f"{'rtol' if rtol is None else 'atol'}.")
    if isinstance(actual, (list, tuple)) and isinstance(expected, (list, tuple)):
        if len(actual) != len(expected):
            raise AssertionError(f"The length of the sequences mismatch: {len(actual)} != "
                                 f"{len(expected)}")
        for i, (a, e) in enumerate(zip(actual, expected, strict=True)):
            try:
                assert_close(a, e, rtol, atol, equal_nan=equal_nan, check_dtype=check_dtype,
                             msg=msg)
            except AssertionError as err:
                raise AssertionError(f"{err}\n\nThe failure occurred for item [{i}]") from None
        return
    if actual is None or expected is None:
        if actual is not expected:
            raise AssertionError(msg or f"None mismatch: {actual!r} is not {expected!r}")
        return
    a, e = _to_numpy(actual), _to_numpy(expected)
    if a.shape != e.shape:
        raise AssertionError(msg or f"The values for attribute 'shape' do not match: "
                             f"{list(a.shape)} != {list(e.shape)}.")
    if check_dtype and a.dtype != e.dtype:
        raise AssertionError(msg or f"The values for attribute 'dtype' do not match: "
                             f"{a.dtype} != {e.dtype}.")
    if rtol is None:
        rtol, atol = default_tolerances(a.dtype, e.dtype)
    _compare_values(a, e, rtol, atol, equal_nan, msg)


def _compare_values(a: np.ndarray, e: np.ndarray, rtol: float, atol: float, equal_nan: bool,
                    msg: str | None) -> None:
    dt = np.promote_types(a.dtype, e.dtype)
    if dt.kind == "b":
        dt = np.dtype(np.int64)
    a64, e64 = a.astype(dt), e.astype(dt)
    with np.errstate(invalid="ignore", over="ignore"):
        diff = np.abs(a64 - e64) if dt.kind in "fc" else np.abs(a64.astype(np.float64)
                                                                - e64.astype(np.float64))
        ok = diff <= atol + rtol * np.abs(e64)
        both_inf = np.isinf(a64) & np.isinf(e64) & (a64 == e64) if dt.kind in "fc" else False
        ok = ok | both_inf
        if equal_nan and dt.kind in "fc":
            ok = ok | (np.isnan(a64) & np.isnan(e64))
    if np.all(ok):
        return
    if msg is not None:
        raise AssertionError(msg)
    bad = ~ok
    n, total = int(bad.sum()), ok.size
    kind = "Scalars" if a.ndim == 0 else "Tensor-likes"
    lines = [f"{kind} are not {'equal' if rtol == atol == 0 else 'close'}!", ""]
    if a.ndim:
        lines.append(f"Mismatched elements: {n} / {total} ({100 * n / total:.1f}%)")
    d = np.where(np.isnan(diff), np.inf, diff)
    i = np.unravel_index(int(np.argmax(d)), d.shape) if d.ndim else ()
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = d / np.abs(e64)
    j = np.unravel_index(int(np.argmax(np.where(np.isnan(rel), np.inf, rel))), rel.shape) \
        if rel.ndim else ()
    at_i = f" at index {tuple(int(k) for k in i)}" if a.ndim else ""
    at_j = f" at index {tuple(int(k) for k in j)}" if a.ndim else ""
    lines.append(f"Greatest absolute difference: {d[i]}{at_i} (up to {atol} allowed)")
    lines.append(f"Greatest relative difference: {rel[j]}{at_j} (up to {rtol} allowed)")
    raise AssertionError("\n".join(lines))
