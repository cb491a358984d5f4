"""Prototype for issue 8: a graph cache. Record a step's kernel calls once, then replay them.

    python -m bench.proto_replay              # B1, B2, B3, B6; about 15 s
    python -m bench.proto_replay --only B2,B6

What it measures: how much of dagrad's gap to hand-written NumPy (and to PyTorch) is bookkeeping
that a cache of repeated identical graphs would remove, and how much is left.

The recording runs one eager step through dagrad's own hooks. Every op call is taken, both the
forward ops and the ops the backward formulas run, via ``_registry.set_observer``. The gradient
each AccumulateGrad receives is taken via ``engine.OBSERVERS``. Together they form a flat list of
``op.kernel(*arrays)`` calls over numbered slots. Replaying the list runs the same NumPy kernels
on the current parameter arrays (updated in place by the step's SGD). No Tensor, Node, saved
tensor or engine is involved. The table compares, interleaved, one thread, medians:

  - dagrad eager: the benchmark's own dagrad code (``bench/b*.py``);
  - dagrad replay: the tape, plus the same SGD update on the arrays;
  - replay, arrays: a second tape whose backward is taken at array level instead, node by node
    (each node's array-level formulas, Note [Array-level formulas]; the engine's gradient sums;
    AccumulateGrad's copies), around a plain backward (``record_arrays``);
  - NumPy by hand: the benchmark's hand-written NumPy version;
  - PyTorch eager, when installed.

It is a measurement, not a feature. There are no guards: a real graph cache would check shapes,
dtypes, requires_grad, grad mode, hooks and the Python control flow that built the graph before
replaying, and would fall back to eager when they differ. Its forward still runs the ops the
user's code calls (the cache removes their bookkeeping, not the calls).
"""
from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import time
import weakref
from typing import Any

if __package__ in (None, ""):            # run as a script: the repository root on the path
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import bench  # noqa: F401  (pins the thread pools before NumPy loads)
import numpy as np

import dagrad
from dagrad._tensor import Tensor
from dagrad.autograd import engine
from dagrad.autograd.graph import AccumulateGrad
from dagrad.ops import _registry


class Tape:
    """Op calls as (kernel, argument plan, output slots); slots hold arrays."""

    def __init__(self) -> None:
        self.entries: list = []
        self.slot_of: dict[int, int] = {}
        self.keep: list = []                 # keeps recorded arrays alive (ids stay unique)
        self.external: dict[int, np.ndarray] = {}
        self.grad_slots: dict[int, int] = {}  # id(leaf tensor) -> slot of its gradient
        self.nslots = 0
        self.fwd_len = 0

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
            return (1, self._slot(v._data))
        if isinstance(v, (list, tuple)) and any(isinstance(e, Tensor) for e in v):
            return (2, (type(v), tuple(self._spec(e) for e in v)))
        return (0, v)

    # --- _registry observer
    def op_begin(self, op: Any, args: tuple, kwargs: dict) -> Any:
        vals = op._bind(args, kwargs) if (kwargs or len(args) != op.nparams) else list(args)
        return op, tuple(self._spec(v) for v in vals)

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
    def start(self) -> list:
        vals: list = [None] * self.nslots
        for s, arr in self.external.items():
            vals[s] = arr
        return vals

    def plan_frees(self, keep: set) -> None:
        """After each entry, the slots no later entry reads (except ``keep``): the replay drops
        them there, as eager code frees its temporaries (holding every slot to the end of the
        step costs fresh memory, and page faults, on large arrays)."""
        last: dict[int, int] = {}

        def reads(kind: int, a: Any) -> list:
            if kind == 1:
                return [a]
            if kind == 2:
                return [s for e in a[1] for s in reads(*e)]
            return []
        for i, (_, spec, slots, _) in enumerate(self.entries):
            for k, a in spec:
                for s in reads(k, a):
                    last[s] = i
            for s in slots:
                last.setdefault(s, i)
        self.frees = [[] for _ in self.entries]
        for s, i in last.items():
            if s not in keep and s not in self.external:
                self.frees[i].append(s)

    def run(self, vals: list, lo: int, hi: int) -> None:
        """Run entries [lo, hi) on the slots ``vals``."""
        def resolve(kind: int, a: Any) -> Any:
            if kind == 1:
                return vals[a]
            if kind == 2:
                return a[0](resolve(*e) for e in a[1])
            return a
        frees = self.frees
        for i in range(lo, hi):
            kernel, spec, slots, multi = self.entries[i]
            out = kernel(*[vals[a] if k == 1 else resolve(k, a) for k, a in spec])
            if multi:
                for s, o in zip(slots, out, strict=True):
                    vals[s] = o
            else:
                vals[slots[0]] = out
            for s in frees[i]:
                vals[s] = None


def record(loss_fn: Any) -> tuple[Tape, Any]:
    """One eager forward and backward of ``loss_fn()`` on a tape; returns the tape and the loss.
    The backward runs the dagrad formulas (observers switch the array-level ones off), so every
    backward computation is an op call on the tape."""
    tape = Tape()
    _registry.set_observer(tape)
    engine.OBSERVERS.append(tape)
    try:
        loss = loss_fn()
        tape.fwd_len = len(tape.entries)
        loss.backward()
    finally:
        _registry.set_observer(None)
        engine.OBSERVERS.remove(tape)
    tape.loss_slot = tape.slot_of[id(loss._data)]
    tape.plan_frees({tape.loss_slot, *tape.grad_slots.values()})
    return tape, loss


# --- the backward at array level: the nodes' array formulas (Note [Array-level formulas]) and
# the engine's gradient sums, recorded around a plain backward
class _NodeKernel:
    """One backward node as a tape kernel: its array formulas on the recorded arguments, each
    result summed to its input's shape as the engine's _sum_to does."""

    def __init__(self, plan: tuple, names: tuple, shapes: tuple) -> None:
        self.plan, self.names, self.shapes = plan, names, shapes

    def __call__(self, *args: Any) -> tuple:
        d = dict(zip(self.names, args, strict=True))
        outs = []
        for (fn, get, one), shape in zip(self.plan, self.shapes, strict=True):
            if shape is None:
                continue
            r = fn(get(d)) if one else fn(*get(d))
            if type(r) is not np.ndarray:
                r = np.asarray(r)
            if r.shape != shape:
                lead = r.ndim - len(shape)
                dims = tuple(range(lead)) + tuple(lead + k for k, n in enumerate(shape)
                                                  if n == 1 and r.shape[lead + k] != 1)
                r = engine._fsum(r, dims, len(dims) != lead)   # in PyTorch's order, as there
                r = r.reshape(shape) if r.shape != shape else r
            outs.append(r)
        return tuple(outs)


class _Wrap:
    """Stands in for a node class's ``_np`` (an op's ``np_apply``) while recording."""

    def __init__(self, tape: Tape, op: Any, orig: Any) -> None:
        self.tape, self.op, self.orig = tape, op, orig

    def __call__(self, node: Any, grads: list) -> Any:
        out = self.orig(node, grads)
        tape = self.tape
        if out is None:
            tape.broken = f"{node.name()} fell back to the dagrad formulas"
            return out
        names, spec = ["grad"], [(1, _bslot(tape, grads[0]._data))]
        for k, v in node._saved.items():
            if type(v).__name__ == "SavedTensor":
                arr = v.tensor._data if v.tensor is not None else v.data
                names.append(k)
                spec.append((1, _bslot(tape, arr)))
            else:
                names.append(k)
                spec.append((0, v))
        shapes, slots = [], []
        for (nxt, _), m, r in zip(node.next_functions, node._meta, out, strict=True):
            if nxt is None or r is None:
                shapes.append(None)
                continue
            shapes.append(m[0])
            slots.append(_bslot(tape, r._data, new=True))
        kernel = _NodeKernel(self.op.np_plan, tuple(names), tuple(shapes))
        tape.entries.append((kernel, tuple(spec), tuple(slots), True))
        return out


def _bslot(tape: Tape, arr: np.ndarray, new: bool = False) -> int:
    """The slot of an array the backward produced, held weakly (a strong reference would stop
    AccumulateGrad from keeping it, and the engine from summing into it); ids of dead arrays
    are not trusted. Otherwise the forward's slot (or a new external one). ``new``: a formula's
    result, a new slot unless it is an array already seen (a pass-through gradient)."""
    ent = tape.weak.get(id(arr))
    if ent is not None and ent[1]() is arr:
        return ent[0]
    if not new:
        return tape._slot(arr)
    s = tape.nslots
    tape.nslots += 1
    tape.weak[id(arr)] = (s, weakref.ref(arr))
    return s


def _copy(a: np.ndarray) -> np.ndarray:
    return np.array(a, order="C")


def _inplace_add(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    np.add(a, b, out=a)
    return a


def record_arrays(loss_fn: Any, leaves: list) -> tuple[Tape, Any]:
    """Like ``record``, but the backward is the plain one (array-level formulas, the engine's
    in-place gradient sums), taken node by node. ``tape.broken`` says why it cannot replay."""
    from dagrad.autograd import graph
    tape = Tape()
    tape.broken = None
    tape.weak = {}
    _registry.set_observer(tape)
    try:
        loss = loss_fn()
    finally:
        _registry.set_observer(None)
    tape.fwd_len = len(tape.entries)
    patched = []
    for cls in graph._NODE_CLASSES.values():
        np_fn = cls.__dict__.get("_np")
        if np_fn is not None:
            patched.append((cls, np_fn))
            cls._np = _Wrap(tape, cls._op, np_fn)
    add_into, sum_arrays = engine._add_into, engine._sum_arrays

    def rec_add_into(a: np.ndarray, b: np.ndarray) -> bool:
        done = add_into(a, b)
        if done:
            sa, sb = _bslot(tape, a), _bslot(tape, b)
            if sa in tape.external:
                tape.broken = "an in-place sum into an array the step does not produce"
            tape.entries.append((_inplace_add, ((1, sa), (1, sb)), (sa,), False))
        return done

    def rec_sum_arrays(a: np.ndarray, b: np.ndarray) -> Any:
        r = sum_arrays(a, b)
        if r is not None:
            spec = ((1, _bslot(tape, a)), (1, _bslot(tape, b)))
            tape.entries.append((np.add, spec, (_bslot(tape, r._data, new=True),), False))
        return r
    accumulate = engine._accumulate

    def rec_accumulate(acc: Any, g: Any, create_graph: bool) -> None:
        var = acc.variable
        first = var._grad is None
        accumulate(acc, g, create_graph)
        if not first:
            tape.broken = "a gradient accumulated into an existing .grad"
        elif var._grad._data is not g._data:           # AccumulateGrad copied it
            src = _bslot(tape, g._data)
            tape.entries.append((_copy, ((1, src),), (_bslot(tape, var._grad._data, new=True),),
                                 False))
    engine._add_into, engine._sum_arrays = rec_add_into, rec_sum_arrays
    engine._accumulate = rec_accumulate
    try:
        loss.backward()
    finally:
        engine._add_into, engine._sum_arrays = add_into, sum_arrays
        engine._accumulate = accumulate
        for cls, np_fn in patched:
            cls._np = np_fn
    for p in leaves:
        ent = tape.weak.get(id(p.grad._data))
        s = ent[0] if ent is not None and ent[1]() is p.grad._data else None
        if s is None:
            tape.broken = tape.broken or "a leaf's gradient is a copy the tape does not make"
        else:
            tape.grad_slots[id(p)] = s
    tape.loss_slot = tape.slot_of[id(loss._data)]
    tape.plan_frees({tape.loss_slot, *tape.grad_slots.values()})
    return tape, loss


def _median_us(fn: Any, reps: int) -> float:
    t0 = time.perf_counter()
    for _ in range(reps):
        fn()
    return (time.perf_counter() - t0) / reps * 1e6


def _interleave(fns: dict, reps: int, samples: int) -> dict:
    times: dict = {k: [] for k in fns}
    gc.freeze()
    try:
        for _ in range(samples):
            for name, fn in fns.items():
                times[name].append(_median_us(fn, reps))
    finally:
        gc.unfreeze()
    return {k: statistics.median(v) for k, v in times.items()}


def _cases(mod: Any) -> dict:
    out = {}
    for backend in ("dagrad", "numpy", "torch"):
        try:
            c = mod.make(backend, False)
        except Exception:  # noqa: BLE001  (torch not installed)
            continue
        c.setup()
        c.reset()
        out[backend] = c
    return out


def _check(tape: Tape, leaves: list, loss: Any) -> None:
    """The replay reproduces the recorded step's loss and gradients bit for bit."""
    vals = tape.start()
    tape.run(vals, 0, len(tape.entries))
    assert np.array_equal(vals[tape.loss_slot], loss._data)
    for p in leaves:
        assert np.array_equal(vals[tape.grad_slots[id(p)]], p.grad._data)


def _sgd_replay(tape: Tape, params: list, lr: float) -> Any:
    arrays = [(p._data, tape.grad_slots[id(p)]) for p in params]
    n = len(tape.entries)

    def step() -> None:
        vals = tape.start()
        tape.run(vals, 0, n)
        for a, s in arrays:
            a -= lr * vals[s]
    return step


def _recorded(mod: Any, loss_of: Any, leaves_of: Any) -> tuple:
    """The benchmark's cases, its dagrad case's leaves, and two checked recordings of its step:
    the backward as the dagrad formulas' op calls, and at array level (None where it cannot
    be replayed, with the reason printed)."""
    cases = _cases(mod)
    d = cases["dagrad"]
    leaves = leaves_of(d)
    tapes = []
    for rec in (lambda: record(lambda: loss_of(d)), lambda: record_arrays(lambda: loss_of(d),
                                                                           leaves)):
        for p in leaves:
            p.grad = None
        tape, loss = rec()
        if getattr(tape, "broken", None):
            print(f"{mod.NAME}: no array-level replay: {tape.broken}")
            tapes.append(None)
            continue
        _check(tape, leaves, loss)
        tapes.append(tape)
    for p in leaves:
        p.grad = None
    return cases, d, leaves, tapes


def step_benchmark(name: str, mod: Any, loss_of: Any, params_of: Any, reps: int,
                   samples: int) -> list:
    cases, d, params, (tape, arr_tape) = _recorded(mod, loss_of, params_of)
    fns = {"dagrad eager": d.step, "dagrad replay": _sgd_replay(tape, params, mod.LR)}
    if arr_tape is not None:
        fns["replay, arrays"] = _sgd_replay(arr_tape, params, mod.LR)
    fns["NumPy by hand"] = cases["numpy"].step
    if "torch" in cases:
        fns["PyTorch eager"] = cases["torch"].step
    res = _interleave(fns, reps, samples)
    base = res["NumPy by hand"]
    rows = [f"{name} ({mod.TITLE}): {len(tape.entries)} kernel calls on the tape"
            + (f" ({len(arr_tape.entries)} at array level)" if arr_tape is not None else "")
            + ", per step"]
    for k, v in res.items():
        extra = f"   {v / res['PyTorch eager']:5.2f}x PyTorch" if "PyTorch eager" in res else ""
        rows.append(f"  {k:15s} {v:9.1f} us   {v / base:5.2f}x NumPy{extra}")
    return rows


def per_op_benchmark(name: str, mod: Any, loss_of: Any, leaves_of: Any, samples: int) -> list:
    cases, d, _, (tape, arr_tape) = _recorded(mod, loss_of, leaves_of)
    n, f = len(tape.entries), tape.fwd_len

    def replayer(tp: Tape) -> Any:
        def replay() -> dict:
            vals = tp.start()
            t0 = time.perf_counter()
            tp.run(vals, 0, tp.fwd_len)
            t1 = time.perf_counter()
            tp.run(vals, tp.fwd_len, len(tp.entries))
            t2 = time.perf_counter()
            return {"fwd_op": (t1 - t0) / mod.OPS, "bwd_node": (t2 - t1) / mod.OPS}
        return replay

    runners = {"dagrad eager": lambda: d.run(1), "dagrad replay": replayer(tape)}
    if arr_tape is not None:
        runners["replay, arrays"] = replayer(arr_tape)
    runners["NumPy by hand"] = lambda: cases["numpy"].run(1)
    results: dict = {k: [] for k in runners}
    if "torch" in cases:
        results["PyTorch eager"] = []
        runners["PyTorch eager"] = lambda: cases["torch"].run(1)
    gc.freeze()
    try:
        for _ in range(samples):
            for k, fn in runners.items():
                if not k.startswith(("dagrad replay", "replay")):
                    cases_k = {"dagrad eager": d, "NumPy by hand": cases["numpy"],
                               "PyTorch eager": cases.get("torch")}[k]
                    cases_k.reset()
                results[k].append(fn())
    finally:
        gc.unfreeze()
    med = {k: {m: statistics.median(r[m] for r in v) * 1e6 for m in ("fwd_op", "bwd_node")}
           for k, v in results.items()}
    rows = [f"{name} ({mod.TITLE}): {f} forward and {n - f} backward kernel calls on the tape"
            + (f" ({len(arr_tape.entries) - f} at array level)" if arr_tape is not None else "")
            + f", per op of {mod.OPS}"]
    for k, v in med.items():
        ratio = ""
        if "PyTorch eager" in med:
            t = med["PyTorch eager"]
            ratio = (f"   fwd {v['fwd_op'] / t['fwd_op']:5.2f}x, "
                     f"bwd {v['bwd_node'] / t['bwd_node']:5.2f}x PyTorch")
        rows.append(f"  {k:15s} fwd {v['fwd_op']:6.2f} us  bwd {v['bwd_node']:6.2f} us{ratio}")
    return rows


def recordings() -> dict:
    """{benchmark: (timing, module, loss of its dagrad case, the leaves whose gradients replay)}:
    what main() records and times (tests/test_bench_tools.py checks each recording replays).
    ``timing`` is main()'s call for it, with its step repetitions or its share of the samples."""
    from bench import b1_two_layer, b2_op_overhead, b3_mlp, b6_scalar_graph

    def step(reps: int) -> Any:
        return lambda *a, samples: step_benchmark(*a, reps=reps, samples=samples)

    def per_op(share: float) -> Any:
        return lambda *a, samples: per_op_benchmark(*a, samples=max(3, int(samples * share)))
    return {
        "B1": (step(40), b1_two_layer,
               lambda c: (c.x.mm(c.w1).clamp(min=0).mm(c.w2) - c.y).pow(2).sum(),
               lambda c: [c.w1, c.w2]),
        "B3": (step(10), b3_mlp, lambda c: c.loss(), lambda c: c.flat),
        "B2": (per_op(1), b2_op_overhead, lambda c: c.forward().sum(), lambda c: [c.x, c.y, c.z]),
        "B6": (per_op(0.5), b6_scalar_graph, lambda c: c.forward(), lambda c: c.params),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", default="B1,B2,B3,B6")
    ap.add_argument("--samples", type=int, default=11)
    args = ap.parse_args()
    only = set(args.only.split(","))
    from bench import harness
    print(f"allocator: {harness.pin_allocator()}")
    out = []
    for name, (timing, mod, loss_of, leaves_of) in recordings().items():
        if name in only:
            out += timing(name, mod, loss_of, leaves_of, samples=args.samples)
    print(f"graph-replay prototype (dagrad {dagrad.__version__}); medians, 1 thread, interleaved")
    print("\n".join(out))


if __name__ == "__main__":
    main()
