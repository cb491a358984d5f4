"""Float sums in PyTorch's order, so that sums, means and losses equal PyTorch's bit for bit.

Note [PyTorch's summation order]
PyTorch's CPU ``sum`` (aten/src/ATen/native/cpu/SumKernel.cpp) adds floats in a fixed order
that NumPy's pairwise summation does not follow, so a float32 loss printed with ``.item()``
differed from PyTorch's in its last digits for most inputs. The order, for 256-bit vectors
(8 float32 or 4 float64 lanes: what PyTorch 2.13's sum kernel uses on the x86 machines this was
checked on, AVX512 ones included; a PyTorch built with other vector widths adds in another
order, and only the last bits would differ again):

- ``multi_row_sum`` adds rows (independently for each column) in a four-level cascade: rows are
  summed one after another in blocks of ``step = 2 ** max(4, ceil(log2(n)) // 4)``; each block
  sum is added to a level-1 accumulator, which every ``step`` blocks is added to level 2, which
  every ``step`` level-1 groups is added to level 3; the leftover rows, then levels 1, 2 and 3,
  are added to level 0 at the end.
- Reducing a contiguous last axis (``vectorized_inner_sum``): the row is read as vectors of
  ``lanes`` elements; ``row_sum`` takes them four at a time (``multi_row_sum`` over groups of 4
  vectors), adds the leftover vectors to the first of the four partial sums and then the other
  three to it; the leftover elements, then each lane, are added to 0 one after another. A row
  shorter than one vector is read as scalars the same way (``scalar_inner_sum``).
- Reducing leading axes with contiguous trailing ones (``vectorized_outer_sum``): columns in
  whole blocks of four vectors are each a ``multi_row_sum`` of their values; the remaining
  columns are each a ``row_sum`` (their rows taken four at a time); with fewer columns than
  lanes, blocks of four columns go through ``multi_row_sum`` and the rest through ``row_sum``
  (``scalar_outer_sum``).
- The output starts at 0 and the sum is added to it (a -0.0 sum becomes +0.0).
- Summing every element of a contiguous array is the last-axis case on the flattened array.

``cascade_sum`` follows this for float32 and float64 arrays in those layouts (C-contiguous, the
reduced axes all leading, all trailing-one, or all) and returns None otherwise, for NumPy's sum.
Runs of sequential additions are NumPy reductions along a non-innermost axis (sequential) or
cumulative sums, so each case is ten to twenty NumPy calls whatever the size (a 640-element
sum: 9 us against NumPy's 0.7). PyTorch splits a reduction between threads above 32,768
elements; its result then depends on its thread count, and equals this one with one thread.
``nll_sum`` is the separate eight-level cascade of PyTorch's nll_loss. tests/test_ops_vs_torch.py
compares all of them with PyTorch on many shapes.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from dagrad._npquiet import QUIET

_LANES = {np.dtype(np.float32): 8, np.dtype(np.float64): 4}


def _seq(x: np.ndarray, axis: int) -> np.ndarray:
    """Sum along ``axis`` one element after another, starting from 0. NumPy reduces an axis
    that is not the innermost one element after another (vectorized across the inner ones);
    along the innermost it sums pairwise, so that case goes through cumsum (sequential by
    definition). tests/test_ops_vs_torch.py checks the results against PyTorch."""
    n = x.shape[axis]
    if n == 0:
        return np.zeros(x.shape[:axis] + x.shape[axis + 1:], x.dtype)
    if math.prod(x.shape[axis + 1:]) >= 2:
        return _reduce(x, axis=axis)
    last = (slice(None),) * axis + (-1,)
    return _accumulate(x, axis=axis)[last] if n > 1 else x[last]


_reduce, _accumulate = np.add.reduce, np.add.accumulate


def _add_in_order(parts: list) -> np.ndarray:
    """``((p0 + p1) + p2) + ...``, skipping the parts that are zero (None)."""
    out = None
    for p in parts:
        if p is not None:
            out = p if out is None else out + p
    return out


def _multi_row_sum(a: np.ndarray) -> np.ndarray:
    """PyTorch's ``multi_row_sum`` over axis 0 of ``a`` (any trailing shape). Accumulators that
    stay zero are skipped (adding 0 changes nothing but the sign of a zero, and cascade_sum
    makes the final zero +0.0 as PyTorch does)."""
    n = a.shape[0]
    rest = a.shape[1:]
    power = max(4, (n - 1).bit_length() // 4) if n > 1 else 4
    step = 1 << power
    blocks = n // step
    levels = [_seq(a[blocks * step:], 0) if n > blocks * step else None]     # leftover rows
    sums = _seq(a[:blocks * step].reshape((blocks, step) + rest), 1) if blocks else None
    for _ in range(2):                      # levels 1 and 2 pass on every `step` groups
        if sums is None:
            break
        m = sums.shape[0]
        groups = m // step
        levels.append(_seq(sums[groups * step:], 0) if m > groups * step else None)
        sums = _seq(sums[:groups * step].reshape((groups, step) + rest), 1) if groups else None
    if sums is not None:
        levels.append(_seq(sums, 0))        # level 3 keeps everything passed on to it
    out = _add_in_order(levels)
    return out if out is not None else np.zeros(rest, a.dtype)


def _row_sum(v: np.ndarray) -> np.ndarray:
    """PyTorch's ``row_sum`` over axis 0 of ``v``: ``multi_row_sum`` of groups of four, the
    leftover added to the first partial sum, then the other three."""
    n = v.shape[0]
    k = n // 4
    rest = v.shape[1:]
    if k:
        part = _multi_row_sum(v[:k * 4].reshape((k, 4) + rest))
        p, others = part[0], [part[1], part[2], part[3]]
    else:
        p, others = None, []
    for i in range(k * 4, n):               # (at most three) added one by one
        p = v[i] if p is None else p + v[i]
    out = _add_in_order([p] + others)
    return out if out is not None else np.zeros(rest, v.dtype)


def _inner(rows: np.ndarray, lanes: int) -> np.ndarray:
    """Sum each row of the C-contiguous 2-D ``rows`` (``vectorized_inner_sum``)."""
    m, n = rows.shape
    if n < lanes:
        return _row_sum(np.ascontiguousarray(rows.T))                  # scalar_inner_sum
    nvec = n // lanes
    vecs = rows[:, :nvec * lanes].reshape(m, nvec, lanes)
    if m == 1:                                                         # (a full sum)
        acc = _row_sum(vecs[0])[None]
    else:
        acc = _row_sum(np.moveaxis(vecs, 1, 0))                        # (m, lanes)
    if nvec * lanes == n:
        return _seq(acc, 1)
    return _seq(np.concatenate([rows[:, nvec * lanes:], acc], axis=1), 1)


def _outer(a: np.ndarray, lanes: int) -> np.ndarray:
    """Sum the C-contiguous 2-D ``a`` over axis 0 (``vectorized_outer_sum`` /
    ``scalar_outer_sum``)."""
    cols = a.shape[1]
    # columns in blocks of four vectors (vectorized) or four scalars (scalar_outer_sum) are
    # multi_row_sums; the rest (one vector at a time, or single columns) are row_sums
    block = 4 * lanes if cols >= lanes else 4
    head = (cols // block) * block
    out = np.empty(cols, a.dtype)
    if head:
        out[:head] = _multi_row_sum(a[:, :head])
    if head < cols:
        out[head:] = _row_sum(a[:, head:])
    return out


def cascade_sum(a: np.ndarray, axis: tuple | None, keepdims: bool = False) -> np.ndarray | None:
    """``a.sum(axis)`` added in PyTorch's order (Note [PyTorch's summation order]); None where
    the dtype or layout is not one it covers. ``axis`` is None or a sorted tuple of dims."""
    with QUIET:                                        # inf - inf: nan, without a warning
        r = _cascade(a, axis, keepdims)
        return None if r is None else r + 0            # PyTorch adds the sum to a zero output


def _cascade(a: np.ndarray, axis: tuple | None, keepdims: bool) -> np.ndarray | None:
    lanes = _LANES.get(a.dtype)
    if lanes is None or not a.flags.c_contiguous or a.size == 0:
        return None
    nd = a.ndim
    if axis is None or len(axis) == nd:
        r = _inner(a.reshape(1, -1), lanes)[0]
        return r.reshape((1,) * nd) if keepdims else r
    if nd == 0:
        return None
    k = len(axis)
    kept = a.shape[:nd - k] if axis == tuple(range(nd - k, nd)) else None
    if kept is not None:                                     # trailing axes
        n = math.prod(a.shape[nd - k:])
        if n == 1:
            return None
        r = _inner(a.reshape(-1, n), lanes).reshape(kept)
        return r.reshape(kept + (1,) * k) if keepdims else r
    if axis == tuple(range(k)):                              # leading axes
        rows = math.prod(a.shape[:k])
        tail = a.shape[k:]
        cols = math.prod(tail)
        if cols == 1:                                        # one column: a contiguous row
            r = _inner(a.reshape(1, -1), lanes).reshape(tail)
        elif rows == 1:
            return None
        else:
            r = _outer(a.reshape(rows, cols), lanes).reshape(tail)
        return r.reshape((1,) * k + tail) if keepdims else r
    return None


def fsum(a: np.ndarray, axis: tuple | None = None, keepdims: bool = False) -> np.ndarray:
    """``a.sum(axis)``: in PyTorch's order where ``cascade_sum`` covers it, else NumPy's."""
    r = cascade_sum(a, axis, keepdims)
    if r is None:
        r = np.add.reduce(a, axis=axis, keepdims=keepdims)
    return r


def _seq_from(acc: Any, seg: np.ndarray) -> Any:
    """``acc + seg[0] + seg[1] + ...``, one after another."""
    if seg.size == 0:
        return acc
    return _accumulate(np.concatenate([np.asarray(acc, seg.dtype).reshape(1), seg]))[-1]


def nll_sum(terms: np.ndarray, index: np.ndarray) -> Any:
    """PyTorch's nll_loss reduction: ``terms`` (the per-sample losses ``-w[t] * x[t]`` of the
    samples not ignored, in order) added in its eight-level cascade, which passes a level's
    partial sum up after each sample whose batch ``index`` is a multiple of 16 (of 256 for the
    next level, and so on; sample 0 passes all the way up), then adds the levels in order."""
    zero = terms.dtype.type(0)
    levels = [zero] * 8
    start = 0
    for p in np.flatnonzero(index % 16 == 0):
        levels[0] = _seq_from(levels[0], terms[start:p + 1])
        b = int(index[p])
        for j in range(7):
            if b & (15 << (4 * j)):
                break
            levels[j + 1] = levels[j + 1] + levels[j]
            levels[j] = zero
        start = p + 1
    levels[0] = _seq_from(levels[0], terms[start:])
    total = zero
    for v in levels:
        total = total + v
    return total
