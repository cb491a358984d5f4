"""Prototype for issue 8: record one training step as a tape of NumPy kernel calls, then replay it.

    python bench/proto_replay.py

dagrad's gap to hand-written NumPy is bookkeeping: per op a Tensor, a Node, saved tensors; per
backward node the engine. A training step that repeats the same graph does that bookkeeping
again each time. This prototype records one eager step through dagrad's own hooks — every op call
(forward ops and the ops the backward formulas run) via ``_registry.set_observer``, and the
gradient each AccumulateGrad receives via ``engine.OBSERVERS`` — as a flat list of
``kernel(*arrays)`` calls over numbered slots. Replaying the list on the same (updated in place)
parameter arrays recomputes the loss and the gradients with no Tensor, Node or engine.

It is a measurement, not a feature: there are no guards (shapes, dtypes, control flow, hooks,
in-place checks), which a real graph cache would need before replaying.
"""
from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import statistics  # noqa: E402
import time  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

import dagrad as torch  # noqa: E402
from dagrad._tensor import Tensor  # noqa: E402
from dagrad.autograd import engine  # noqa: E402
from dagrad.autograd.graph import AccumulateGrad  # noqa: E402
from dagrad.ops import _registry  # noqa: E402


class Tape:
    """Op calls as (kernel, argument spec, output slots); slots hold arrays."""

    def __init__(self) -> None:
        self.entries: list = []
        self.slot_of: dict[int, int] = {}
        self.keep: list = []                 # keeps recorded arrays alive (ids stay unique)
        self.external: dict[int, np.ndarray] = {}
        self.grad_slots: dict[int, int] = {}  # id(leaf tensor) -> slot of its gradient
        self.nslots = 0

    def _slot(self, arr: np.ndarray) -> int:
        s = self.slot_of.get(id(arr))
        if s is None:
            s = self.slot_of[id(arr)] = self.nslots
            self.nslots += 1
            self.external[s] = arr           # not produced on the tape: a parameter or constant
            self.keep.append(arr)
        return s

    def _spec(self, v: Any) -> tuple:
        if isinstance(v, Tensor):
            return ("slot", self._slot(v._data))
        if isinstance(v, (list, tuple)) and any(isinstance(e, Tensor) for e in v):
            return ("seq", type(v), tuple(self._spec(e) for e in v))
        return ("const", v)

    # --- _registry observer
    def op_begin(self, op: Any, args: tuple, kwargs: dict) -> Any:
        vals = op._bind(args, kwargs) if (kwargs or len(args) != op.nparams) else list(args)
        return op, [self._spec(v) for v in vals]

    def op_end(self, token: Any, result: Any) -> None:
        op, spec = token
        outs = result if isinstance(result, tuple) else (result,)
        slots = []
        for o in outs:
            s = self.slot_of[id(o._data)] = self.nslots
            self.nslots += 1
            self.keep.append(o._data)
            slots.append(s)
        self.entries.append((op.kernel, spec, tuple(slots), isinstance(result, tuple)))

    # --- engine observer
    def node_begin(self, node: Any, grads: list) -> None:
        if type(node) is AccumulateGrad and grads[0] is not None:
            self.grad_slots[id(node.variable)] = self._slot(grads[0]._data)

    def node_end(self, *args: Any) -> None:
        pass

    # --- replay
    def replay(self) -> list:
        vals: list = [None] * self.nslots
        for s, arr in self.external.items():
            vals[s] = arr

        def resolve(spec: tuple) -> Any:
            kind = spec[0]
            if kind == "slot":
                return vals[spec[1]]
            if kind == "seq":
                return spec[1](resolve(e) for e in spec[2])
            return spec[1]
        for kernel, spec, slots, multi in self.entries:
            out = kernel(*[resolve(a) for a in spec])
            if multi:
                for s, o in zip(slots, out, strict=True):
                    vals[s] = o
            else:
                vals[slots[0]] = out
        return vals


def record(step_graph: Any, leaves: list) -> Tape:
    tape = Tape()
    _registry.set_observer(tape)
    engine.OBSERVERS.append(tape)
    try:
        loss = step_graph()
        loss.backward()
    finally:
        _registry.set_observer(None)
        engine.OBSERVERS.remove(tape)
    tape.loss_slot = tape.slot_of[id(loss._data)]
    tape.leaf_ids = [id(t) for t in leaves]
    return tape


def main() -> None:
    r = np.random.default_rng(0)
    xn = r.standard_normal((64, 1000)).astype(np.float32)
    yn = r.standard_normal((64, 10)).astype(np.float32)
    w1n0 = r.standard_normal((1000, 100)).astype(np.float32)
    w2n0 = r.standard_normal((100, 10)).astype(np.float32)
    lr = np.float32(1e-6)
    x, y = torch.tensor(xn), torch.tensor(yn)
    w1 = torch.tensor(w1n0.copy(), requires_grad=True)
    w2 = torch.tensor(w2n0.copy(), requires_grad=True)

    def graph():
        return (x.mm(w1).clamp(min=0).mm(w2) - y).pow(2).sum()

    def eager():
        loss = graph()
        loss.backward()
        with torch.no_grad():
            for w in (w1, w2):
                w -= lr * w.grad
                w.grad = None
        return loss

    tape = record(graph, [w1, w2])
    w1.grad = w2.grad = None
    s1, s2 = tape.grad_slots[id(w1)], tape.grad_slots[id(w2)]
    a1, a2 = w1._data, w2._data

    def replayed_step():
        vals = tape.replay()
        np.subtract(a1, lr * vals[s1], out=a1)
        np.subtract(a2, lr * vals[s2], out=a2)
        return vals[tape.loss_slot]

    w1n, w2n = w1n0.copy(), w2n0.copy()

    def numpy_step():
        h = xn.dot(w1n)
        h_relu = np.maximum(h, 0)
        diff = h_relu.dot(w2n) - yn
        loss = np.square(diff).sum()
        g = 2.0 * diff
        gw2 = h_relu.T.dot(g)
        gh = g.dot(w2n.T)
        gh[h < 0] = 0
        gw1 = xn.T.dot(gh)
        np.subtract(w1n, lr * gw1, out=w1n)
        np.subtract(w2n, lr * gw2, out=w2n)
        return loss

    # correctness: the three agree step by step
    for _ in range(3):
        le = float(eager())
    a1[...] = w1n0
    a2[...] = w2n0
    lr_ = [float(replayed_step()) for _ in range(3)]
    ln = [float(numpy_step()) for _ in range(3)]
    assert np.allclose(lr_, ln, rtol=1e-4), (lr_, ln)
    assert np.allclose(a1, w1n, rtol=1e-4, atol=1e-6)
    _ = le

    times: dict[str, list] = {"dagrad eager": [], "dagrad replay": [], "NumPy by hand": []}
    fns = {"dagrad eager": eager, "dagrad replay": replayed_step, "NumPy by hand": numpy_step}
    for _ in range(15):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            for _ in range(50):
                fn()
            times[name].append((time.perf_counter() - t0) / 50)
    base = statistics.median(times["NumPy by hand"])
    print(f"B1 (two-layer net step), {len(tape.entries)} kernel calls on the tape; medians, "
          "1 thread")
    for name, ts in times.items():
        m = statistics.median(ts)
        print(f"  {name:15s} {m * 1e6:8.1f} us   {m / base:5.2f}x NumPy")


if __name__ == "__main__":
    main()
