"""Diagnostic for issue 8: where B2's forward time per op goes.

    python -m bench.diag_forward            # about 10 s

B2's forward (``z = (z / x) * y`` x1000 on 10 float32 elements), timed in one process, one
thread, best of 9 (microseconds per op), as:

  - NumPy: the two ufuncs alone;
  - minimal recorder: a 20-line pure-Python tensor with ``__slots__`` that records a node per op
    (its inputs and edges, nothing else): roughly the least a Python autograd can spend;
  - dagrad, nothing recorded (requires_grad=False): dispatch, dtype checks, NumPy's error state;
  - dagrad recorded, with two pieces of its recording switched off in this process only (in the
    compiled recordings' globals): the source site each saving node keeps for the version error
    (Note [Source sites]), and the SavedTensor objects (version snapshot, pack hooks);
  - dagrad recorded: the benchmark's case;
  - PyTorch, when installed.

The rows with pieces switched off build graphs that cannot run backward; they only measure.
"""
from __future__ import annotations

import os
import sys
import timeit
from typing import Any

if __package__ in (None, ""):            # run as a script: the repository root on the path
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import bench  # noqa: F401  (pins the thread pools before NumPy loads)
import numpy as np

from bench.b2_op_overhead import OPS, STEPS, data


class _Node:
    __slots__ = ("inputs", "edges")


class _MinimalTensor:
    """The least recording: the result, a node holding the inputs and their grad_fns."""

    __slots__ = ("data", "grad_fn", "requires_grad")

    def __init__(self, data: np.ndarray, requires_grad: bool = False) -> None:
        self.data, self.grad_fn, self.requires_grad = data, None, requires_grad

    def _binary(self, other: _MinimalTensor, ufunc: Any) -> _MinimalTensor:
        out = _MinimalTensor(ufunc(self.data, other.data), True)
        node = _Node()
        node.inputs = (self, other)
        node.edges = (self.grad_fn, other.grad_fn)
        out.grad_fn = node
        return out

    def __truediv__(self, other: _MinimalTensor) -> _MinimalTensor:
        return self._binary(other, np.divide)

    def __mul__(self, other: _MinimalTensor) -> _MinimalTensor:
        return self._binary(other, np.multiply)


def _loop(make: Any, x: Any, y: Any, z0: Any) -> Any:
    def run() -> None:
        z = make(z0)
        for _ in range(STEPS):
            z = (z / x) * y
    return run


def _time(fn: Any) -> float:
    return min(timeit.repeat(fn, number=5, repeat=9)) / 5 / OPS * 1e6


def main() -> None:
    import dagrad
    d = data()
    rows = [("NumPy", _loop(lambda a: a, d["x"], d["y"], d["z"]))]
    mx, my = (_MinimalTensor(d[k], True) for k in ("x", "y"))
    rows.append(("minimal recorder", _loop(lambda a: _MinimalTensor(a, True), mx, my, d["z"])))
    nx, ny = dagrad.tensor(d["x"]), dagrad.tensor(d["y"])
    rows.append(("dagrad, nothing recorded", _loop(dagrad.tensor, nx, ny, d["z"])))
    x = dagrad.tensor(d["x"], requires_grad=True)
    y = dagrad.tensor(d["y"], requires_grad=True)
    recorded = _loop(lambda a: dagrad.tensor(a, requires_grad=True), x, y, d["z"])
    full = _time(recorded)
    envs = [r.__globals__ for op in (dagrad.ops.div, dagrad.ops.mul)
            for r in (op.record, op.record_cls) if r is not None]
    saved = [(e, e["user_site"], e["SavedTensor"]) for e in envs]

    class _NoSave:
        __slots__ = ()

        def __init__(self, t: Any, is_output: bool = False) -> None:
            pass

    try:
        for e in envs:
            e["user_site"] = lambda depth=2: None
        no_site = _time(recorded)
        for e in envs:
            e["SavedTensor"] = _NoSave
        no_save = _time(recorded)
    finally:
        for e, site, st in saved:
            e["user_site"], e["SavedTensor"] = site, st
    times = [(name, _time(fn)) for name, fn in rows]
    times += [("dagrad recorded, no sites, no SavedTensors", no_save),
              ("dagrad recorded, no source sites", no_site),
              ("dagrad recorded (B2's case)", full)]
    try:
        import torch
        torch.set_num_threads(1)
        tx, ty = (torch.tensor(d[k], requires_grad=True) for k in ("x", "y"))
        times.append(("PyTorch", _time(_loop(lambda a: torch.tensor(a, requires_grad=True),
                                                  tx, ty, d["z"]))))
    except ImportError:
        pass
    print("B2 forward, microseconds per op (best of 9), 1 thread")
    for name, t in times:
        print(f"  {name:44s} {t:6.2f} us")


if __name__ == "__main__":
    main()
