"""The reverse-mode engine: ``backward`` and ``grad``.

One iterative pass, no recursion (a 100,000-node chain works):
1. discover the nodes reachable from the roots and count, for each, how many edges lead to it;
2. (``grad``/``inputs=``) mark which nodes lie on a path to a requested input;
3. run ready nodes — all their gradients have arrived — highest sequence number first, as PyTorch
   does, with AccumulateGrad first of all (Note [AccumulateGrad order]); sum gradients that
   arrive at the same input; sum each returned gradient back to its input's shape and dtype
   (Note [Unbroadcast]).
"""
from __future__ import annotations

import heapq
import sys
import threading
import warnings
from typing import Any, Sequence

import numpy as np

from dagrad import _errors
from dagrad import _tensor
from dagrad._npquiet import QUIET
from dagrad._tensor import Tensor
from dagrad.autograd.graph import _NOTHING_KEPT, AccumulateGrad, Node, Released, edge_of
from dagrad.autograd.grad_mode import STATE
from dagrad.ops._cascade import fsum as _fsum

_getrefcount = sys.getrefcount
_make = Tensor._make
_ndarray = np.ndarray
from dagrad._npquiet import IGNORE as _QUIET_STATE  # noqa: E402
from dagrad._npquiet import quiet_reset as _quiet_reset, quiet_set as _quiet_set  # noqa: E402

# Note [Observing backward]
# Tools that watch backward (the profiler, ``dagrad.autograd.trace``) append an object to
# OBSERVERS with ``node_begin(node, grad_outputs) -> token`` and
# ``node_end(token, node, grad_outputs, grad_inputs)``. The engine checks the list once per
# backward call, so nothing is paid when it is empty.
OBSERVERS: list = []


class _TaskStack(threading.local):
    tasks: list = []


# The backward calls running on this thread (innermost last): what each one will execute, so
# that register_multi_grad_hook knows which of its tensors take part.
TASKS = _TaskStack()


class GraphTask:
    __slots__ = ("seen", "needed", "state")

    def __init__(self, seen: Any, needed: set | None) -> None:
        self.seen = seen
        self.needed = needed
        self.state: dict = {}

    def will_run(self, node: Any) -> bool:
        if node is None or node not in self.seen:
            return False
        return self.needed is None or node in self.needed or type(node) is AccumulateGrad


def _as_tuple(x: Any) -> tuple:
    if x is None:
        return ()
    if isinstance(x, Tensor):
        return (x,)
    return tuple(x)


def _make_root_grads(outputs: tuple, grad_outputs: tuple, create_graph: bool) -> list:
    from dagrad import ops
    grads = []
    if len(grad_outputs) == 0:
        grad_outputs = (None,) * len(outputs)
    if len(grad_outputs) != len(outputs):
        raise RuntimeError(f"grad requires one gradient per output: got {len(grad_outputs)} "
                           f"gradients for {len(outputs)} outputs")
    for i, (out, g) in enumerate(zip(outputs, grad_outputs, strict=True)):
        if g is None:
            if out._rg:
                if out._data.size != 1:
                    raise RuntimeError(_errors.SCALAR_OUTPUTS)
                if out._data.dtype.kind == "c":
                    raise RuntimeError(_errors.REAL_SCALAR_OUTPUTS.format(dtype=out.dtype))
            g = Tensor._make(np.ones_like(out._data))
        elif isinstance(g, Tensor):
            if g._data.shape != out._data.shape:
                from dagrad._tensor import Size
                raise RuntimeError(_errors.GRAD_SHAPE_MISMATCH.format(
                    i=i, gshape=Size(g._data.shape), oshape=Size(out._data.shape)))
            if g._data.dtype != out._data.dtype and g._data.dtype.kind != "c":
                g = g.to(out.dtype)
            if not create_graph:
                g = g.detach()
        else:
            g = ops.full_like(out, g)
        grads.append(g)
    return grads


def backward(tensors: Any, grad_tensors: Any = None, retain_graph: bool | None = None,
             create_graph: bool = False, grad_variables: Any = None, inputs: Any = None) -> None:
    """Compute the gradients of ``tensors`` and accumulate them into the leaves' ``.grad``.

    Args:
        tensors: outputs to differentiate (a Tensor or a sequence).
        grad_tensors: the gradient of some scalar w.r.t. each output; may be None for scalars.
        retain_graph: keep the saved values for another backward (default: ``create_graph``).
        create_graph: record the backward pass itself, for higher derivatives.
        inputs: accumulate only into these tensors.

    Example:
        >>> x = dagrad.tensor([1., 2.], requires_grad=True)
        >>> dagrad.autograd.backward((x * x).sum())
        >>> x.grad
        tensor([2., 4.])
    """
    if grad_variables is not None:
        grad_tensors = grad_variables
    outputs = _as_tuple(tensors)
    grads = _as_tuple(grad_tensors) if not isinstance(grad_tensors, Tensor) else (grad_tensors,)
    if retain_graph is None:
        retain_graph = create_graph
    input_list = None
    if inputs is not None:
        input_list = _as_tuple(inputs)
        if len(input_list) == 0:
            raise RuntimeError(_errors.EMPTY_INPUTS.format(fn="backward"))
    elif create_graph:
        warnings.warn(_errors.CREATE_GRAPH_WARNING, UserWarning, stacklevel=3)
    for i, out in enumerate(outputs):
        if not out._rg:
            raise RuntimeError(_errors.NO_GRAD_FN.format(i=i))
    root_grads = _make_root_grads(outputs, grads, create_graph)
    captured = _execute(outputs, root_grads, retain_graph, create_graph, input_list,
                        accumulate=True)
    if input_list is not None:
        # a non-leaf named in `inputs` gets its gradient in .grad, as PyTorch does
        for t, g in zip(input_list, captured, strict=True):
            if t.grad_fn is not None and g is not None:
                g = g if create_graph else g.detach()
                t._grad = g if t._grad is None else t._grad + g


def grad(outputs: Any, inputs: Any, grad_outputs: Any = None, retain_graph: bool | None = None,
         create_graph: bool = False, only_inputs: bool = True, allow_unused: bool | None = None,
         is_grads_batched: bool = False, materialize_grads: bool = False) -> tuple:
    """Return the gradients of ``outputs`` w.r.t. ``inputs`` (summed over outputs), without
    touching any ``.grad``.

    Example:
        >>> t = dagrad.tensor([1., 2., 4.]).requires_grad_()
        >>> u = dagrad.tensor([10., 20.]).requires_grad_()
        >>> a = t.pow(2).sum() + u.log().sum()
        >>> dagrad.autograd.grad(a, (t, u))
        (tensor([2., 4., 8.]), tensor([0.1000, 0.0500]))
    """
    if materialize_grads and allow_unused is False:
        raise ValueError("Expected allow_unused to be True or not passed when materialize_grads=True, "
                         "but got: allow_unused=False.")
    if allow_unused is None:
        allow_unused = materialize_grads
    outs = _as_tuple(outputs)
    ins = _as_tuple(inputs)
    if len(ins) == 0:
        raise RuntimeError(_errors.EMPTY_INPUTS.format(fn="grad"))
    gouts = (grad_outputs,) if isinstance(grad_outputs, Tensor) else _as_tuple(grad_outputs)
    if retain_graph is None:
        retain_graph = create_graph
    for i, out in enumerate(outs):
        if not out._rg:
            raise RuntimeError(_errors.NO_GRAD_FN.format(i=i))
    for t in ins:
        if not t._rg:
            raise RuntimeError(_errors.INPUT_NO_GRAD)
    if is_grads_batched:
        return _batched_grad(outs, ins, gouts, retain_graph, create_graph, allow_unused,
                             materialize_grads)
    root_grads = _make_root_grads(outs, gouts, create_graph)
    result = _execute(outs, root_grads, retain_graph, create_graph, ins, accumulate=False)
    final = []
    for i, (t, g) in enumerate(zip(ins, result, strict=True)):
        if g is None:
            if materialize_grads:
                g = Tensor._make(np.zeros_like(t._data))
            elif not allow_unused:
                raise RuntimeError(_errors.UNUSED_INPUT.format(i=i))
        final.append(g)
    return tuple(final)


def _batched_grad(outs: tuple, ins: tuple, gouts: tuple, retain_graph: bool,
                  create_graph: bool, allow_unused: bool, materialize: bool) -> tuple:
    # One backward per row of the batched grad_outputs (vectorised engines can do better).
    from dagrad import ops
    n = gouts[0].shape[0]
    rows = []
    for b in range(n):
        rows.append(grad(outs, ins, tuple(g[b] for g in gouts), retain_graph=True,
                         create_graph=create_graph, allow_unused=allow_unused,
                         materialize_grads=materialize))
    res = []
    for j in range(len(ins)):
        col = [r[j] for r in rows]
        res.append(None if any(c is None for c in col) else ops.stack(col))
    return tuple(res)


def _execute(outputs: Sequence[Tensor], root_grads: list, retain_graph: bool,
             create_graph: bool, inputs: Sequence[Tensor] | None, accumulate: bool) -> list:
    # --- roots
    roots = []
    for out, g in zip(outputs, root_grads, strict=True):
        roots.append((edge_of(out), g))

    # --- 1. discovery and dependency counts (iterative DFS)
    deps: dict[Node, int] = {}
    # every node reached is a key of `deps` (roots too, from 0): it is also the set of nodes seen
    stack = []
    for (fn, _), _g in roots:
        if fn is not None and fn not in deps:
            deps[fn] = 0
            stack.append(fn)
    while stack:
        fn = stack.pop()
        for nxt in fn._fns:
            if nxt is None:
                continue
            c = deps.get(nxt)
            if c is None:
                deps[nxt] = 1
                stack.append(nxt)
            else:
                deps[nxt] = c + 1
    seen = deps.keys()

    # --- 2. capture points and the nodes that must run
    captures: dict[tuple, list[int]] = {}
    needed = None
    if inputs is not None:
        targets = {}
        for i, t in enumerate(inputs):
            e = edge_of(t)
            captures.setdefault((e[0], e[1]), []).append(i)
            targets[e[0]] = True
        needed = _needed_nodes(roots, targets, accumulate)
    captured: list = [None] * (len(inputs) if inputs is not None else 0)

    # --- 3. execution
    buffers: dict[Node, list] = {}
    heap: list = []
    counter = 0
    for (fn, nr), g in roots:
        if fn is None:
            continue
        buf = buffers.get(fn)
        if buf is None:
            buf = buffers[fn] = [None] * _num_outputs(fn)
        buf[nr] = g if buf[nr] is None else buf[nr] + g
    for fn in list(buffers):
        if deps.get(fn, 0) == 0:
            heapq.heappush(heap, (_prio(fn), counter, fn))
            counter += 1

    observers = list(OBSERVERS)
    anomaly = STATE.anomaly
    plain = not observers and not anomaly
    plain_sum = plain and not create_graph and _tensor.FAST_PATH and not STATE.inference
    from dagrad.ops import _registry
    np_ok = plain_sum and _registry.NP_GRADS   # Op.np_backward's checks that hold throughout
    prev_grad = STATE.grad
    STATE.grad = create_graph
    TASKS.tasks = [*TASKS.tasks, GraphTask(seen, needed)]
    heappop, heappush = heapq.heappop, heapq.heappush
    simple = not captures and needed is None
    fast_acc = simple and not observers and accumulate and not create_graph
    pending: list = []  # Note [Next node without the heap]: run these first, last one first
    quiet = None        # Note [One errstate switch]: NumPy's warnings off while this is a token
    try:
        while True:
            if pending:
                fn = pending.pop()
            elif heap:
                fn = heappop(heap)[2]
            else:
                break
            grads = buffers.pop(fn)
            hk = fn._hk
            if hk is not None:
                if quiet is not None:
                    quiet = _quiet_off(quiet)
                if hk.tensor_pre or hk.retain:
                    _tensor_hooks(hk, grads)
            if type(fn) is AccumulateGrad:
                g = grads[0]
                if fast_acc and hk is None and g is not None and g.grad_fn is None:
                    # _accumulate's first case, inlined: a leaf without hooks or .grad takes a
                    # gradient only the engine holds as is (Note [Stealing a gradient]); the
                    # references counted are the list, `g` and getrefcount's argument
                    var = fn.variable
                    if var._grad is None and var._extra is None:
                        a = g._data
                        if a.base is None and _getrefcount(g) <= 3 and _getrefcount(a) <= 3 \
                                and a.flags.writeable and a.flags.c_contiguous:
                            var._grad = g
                            g = a = None
                            continue
                        a = None
                g = None
                if quiet is not None:
                    quiet = _quiet_off(quiet)
                if grads[0] is not None and fn.variable._extra:
                    grads[0] = _leaf_hooks(fn.variable, grads[0])
                grads = _before_run(fn, grads, hk, captures, captured, needed)
                if grads is None:
                    continue
                if observers:
                    tokens = [o.node_begin(fn, grads) for o in observers]
                if accumulate and grads[0] is not None:
                    _accumulate(fn, grads[0], create_graph)
                if observers:
                    for o, tk in zip(observers, tokens, strict=True):
                        o.node_end(tk, fn, grads, [])
                if hk is not None and hk.post:
                    for h in list(hk.post.values()):
                        h((), tuple(grads))
                continue
            if not simple or hk is not None:
                grads = _before_run(fn, grads, hk, captures, captured, needed)
                if grads is None:
                    continue
            if (grads[0] is None if len(grads) == 1 else all(g is None for g in grads)):
                in_grads = [None] * len(fn._fns)
            elif plain:
                # Note [Array-level formulas]: the op's NumPy formulas when they apply
                np_fn = fn._np if np_ok and hk is None else None
                if np_fn is not None:
                    if quiet is None:
                        quiet = _quiet_on()
                    in_grads = np_fn(fn, grads)
                else:
                    in_grads = None
                if in_grads is None:
                    if quiet is not None:
                        quiet = _quiet_off(quiet)
                    in_grads = _validate(fn, fn.apply(grads))
            elif observers:
                tokens = [o.node_begin(fn, grads) for o in observers]
                in_grads = (_apply_with_anomaly(fn, grads) if anomaly
                            else _validate(fn, fn.apply(grads)))
                for o, tk in zip(observers, tokens, strict=True):
                    o.node_end(tk, fn, grads, in_grads)
            else:
                in_grads = _apply_with_anomaly(fn, grads)
            if hk is not None and hk.post:
                for h in list(hk.post.values()):
                    r = h(tuple(in_grads), tuple(grads))
                    if r is not None:
                        in_grads = list(r)
            if not retain_graph:
                saved = fn._saved
                if type(saved) is not dict or not saved:
                    fn._release()
                else:                               # OpNode._release, inlined
                    mode = fn._keep_mode
                    if mode == 0:
                        fn._saved = _NOTHING_KEPT
                    elif mode == 1:
                        fn._saved = Released(saved)
                    elif mode == 2:
                        r = fn._saved = Released()
                        for k in fn._op_keys:
                            if k in saved:
                                r[k] = saved[k]
                        r = None
                    else:
                        fn._release()
            ready = None
            accs = None
            for nxt, nr, g in zip(fn._fns, fn._nrs, in_grads, strict=True):
                if nxt is None:
                    continue
                d = deps[nxt] - 1
                deps[nxt] = d
                if g is not None:
                    buf = buffers.get(nxt)
                    if buf is None:
                        if nxt._num_outputs == 1:
                            buffers[nxt] = [g]
                        else:
                            buf = buffers[nxt] = [None] * _num_outputs(nxt)
                            buf[nr] = g
                    else:
                        old = buf[nr]
                        if old is None:
                            buf[nr] = g
                        elif (plain_sum and type(old) is Tensor and type(g) is Tensor
                              and old._data.dtype is g._data.dtype and not STATE.grad):
                            # Note [Summing gradients]
                            if _getrefcount(old) <= 3 and _getrefcount(old._data) <= 2:
                                if quiet is None:
                                    quiet = _quiet_on()
                                if not _add_into(old._data, g._data):
                                    summed = _sum_arrays(old._data, g._data)
                                    buf[nr] = summed if summed is not None else old + g
                            else:
                                summed = _sum_arrays(old._data, g._data)
                                buf[nr] = summed if summed is not None else old + g
                        else:
                            buf[nr] = old + g
                if d == 0:
                    if nxt not in buffers:
                        # no gradient reached it: run it empty so its inputs' counts drop
                        buffers[nxt] = [None] * _num_outputs(nxt)
                    if type(nxt) is AccumulateGrad:
                        if accs is None:
                            accs = [nxt]
                        else:
                            accs.append(nxt)
                    elif ready is None:
                        ready = nxt
                    else:
                        if nxt._seq > ready._seq:
                            ready, nxt = nxt, ready
                        heappush(heap, (-nxt._seq, counter, nxt))
                        counter += 1
            # Note [Stealing a gradient]: drop the loop's references, so the AccumulateGrad that
            # runs next can see that only it holds its gradient
            in_grads = g = summed = old = None
            if ready is not None and heap and heap[0][0] < -ready._seq:
                heappush(heap, (-ready._seq, counter, ready))
                counter += 1
                ready = None
            if accs is not None:
                accs.reverse()
                if ready is not None:
                    accs.insert(0, ready)
                pending = accs
            elif ready is not None:
                pending.append(ready)
    finally:
        if quiet is not None:
            _quiet_off(quiet)
        STATE.grad = prev_grad
        TASKS.tasks = TASKS.tasks[:-1]
    return captured


# Note [One errstate switch]
# Array-level formulas run with NumPy's warnings off (PyTorch never warns on 1/0 in backward).
# Switching NumPy's error state costs two context-variable calls; the engine switches it once for
# a run of nodes with array-level formulas rather than once per node, and back before anything
# else runs: a node with hooks, an AccumulateGrad that is not a plain steal, dagrad formulas or a
# custom Function's backward, which see the caller's error state as before.
def _quiet_on() -> Any:
    if _quiet_set is not None:
        return _quiet_set(_QUIET_STATE)
    QUIET.__enter__()
    return QUIET


def _quiet_off(token: Any) -> None:
    if token is QUIET:
        QUIET.__exit__()
    else:
        _quiet_reset(token)


# Note [Next node without the heap]
# The heap pops AccumulateGrads first, in the order they became ready (Note [AccumulateGrad
# order]), so while any other node runs the heap holds none, and those it makes ready would be
# popped right after it, in order. They run so from `pending` without the heap (they make nothing
# ready themselves). Other nodes have distinct priorities (their sequence numbers), so of those a
# node makes ready, the latest-created is held back and the rest pushed; if it also beats the
# heap's top it would be popped next (after those AccumulateGrads), so it joins `pending`
# instead of being pushed.
#
# Note [Stealing a gradient]
# AccumulateGrad makes a gradient `.grad` without a copy when only the engine holds it
# (`_can_steal` counts references), as PyTorch does.


def _tensor_hooks(hk: Any, grads: list) -> None:
    """Tensor.register_hook hooks on a node's outputs (may replace a gradient), then retain_grad."""
    if hk.tensor_pre:
        for nr, hooks in hk.tensor_pre.items():
            if grads[nr] is None:
                continue
            for h in list(hooks.values()):
                r = h(grads[nr])
                if r is not None:
                    grads[nr] = r
    if hk.retain:
        for nr, h in hk.retain.items():
            if grads[nr] is not None:
                h(grads[nr])


def _pre_hooks(hk: Any, grads: list) -> list:
    """Node.register_prehook hooks: each may return new gradients."""
    for h in list(hk.pre.values()):
        r = h(tuple(grads))
        if r is not None:
            grads = list(r)
    return grads


def _before_run(fn: Node, grads: list, hk: Any, captures: dict, captured: list,
                needed: Any) -> list | None:
    """Capture for grad()/inputs=, then skip a node no requested input needs (None), then its
    pre-hooks."""
    if captures:
        _capture(fn, grads, captures, captured)
    if needed is not None and fn not in needed:
        return None
    if hk is not None and hk.pre:
        grads = _pre_hooks(hk, grads)
    return grads


def _capture(fn: Node, grads: list, captures: dict, captured: list) -> None:
    """grad() / inputs=: keep the gradients that arrive at the requested inputs."""
    for nr in range(len(grads)):
        idxs = captures.get((fn, nr))
        if idxs is not None:
            for i in idxs:
                captured[i] = grads[nr]


# Note [Summing gradients]
# Gradients arriving at one input are summed, `old + g`. For two same-dtype Tensors with grad
# mode off that is NumPy's add (Note [Fast arithmetic]) unless a profiler or forward AD watches
# the operators, so the engine adds the arrays itself. When only the buffer holds `old` (the
# count: the buffer, the local and getrefcount's argument) and only `old` holds its array, nobody
# can tell a new Tensor from `old` updated in place, which is cheaper (PyTorch's InputBuffer
# accumulates in place too).
def _add_into(a: np.ndarray, b: np.ndarray) -> bool:
    """``a += b`` when that is what ``a + b`` would give (same shape, a writeable base array).
    The caller has switched NumPy's warnings off (Note [One errstate switch])."""
    if a.shape != b.shape or a.base is not None or not a.flags.writeable:
        return False
    np.add(a, b, out=a)
    return True


def _sum_arrays(a: np.ndarray, b: np.ndarray) -> Tensor | None:
    """``Tensor(a) + Tensor(b)`` for one dtype with grad mode off, without the Tensors' detour
    (None where that would not be NumPy's add: shapes that do not broadcast)."""
    token = _quiet_set(_QUIET_STATE) if _quiet_set is not None else None
    try:
        if token is None:
            with QUIET:
                r = a + b
        else:
            r = a + b
    except (ValueError, OverflowError):
        return None
    finally:
        if token is not None:
            _quiet_reset(token)
    return _make(r if type(r) is _ndarray else np.asarray(r))


def _num_outputs(fn: Node) -> int:
    n = fn._num_outputs
    return n if n >= 0 else len(fn._extra["out_meta"])


_NEG_INF = float("-inf")


def _prio(fn: Node) -> float:
    # Note [AccumulateGrad order]: AccumulateGrad first; otherwise the latest-created node first.
    return -float("inf") if type(fn) is AccumulateGrad else -fn._seq


def _needed_nodes(roots: list, targets: dict, accumulate: bool) -> set:
    """Nodes on some path from a root to a target (post-order, iterative)."""
    needed: set = set()
    state: dict = {}
    for (root, _), _g in roots:
        if root is None or root in state:
            continue
        stack = [(root, iter(root._fns))]
        state[root] = False
        while stack:
            fn, it = stack[-1]
            advanced = False
            for nxt in it:
                if nxt is None:
                    continue
                if nxt not in state:
                    state[nxt] = False
                    stack.append((nxt, iter(nxt._fns)))
                    advanced = True
                    break
                if state[nxt]:
                    state[fn] = True
            if advanced:
                continue
            stack.pop()
            if fn in targets:
                state[fn] = True
            if any(n is not None and state.get(n) for n in fn._fns):
                state[fn] = True
            if state[fn]:
                needed.add(fn)
    if not accumulate:
        # grad(): capture at AccumulateGrad without running it
        needed = {n for n in needed if type(n) is not AccumulateGrad}
    return needed


# Note [Unbroadcast]
# A formula may return its gradient in the broadcast shape of the op's output. The engine sums it
# back to the input's shape (sum over leading dims, then over dims that were 1), and casts it to
# the input's dtype. A gradient that cannot be summed to that shape is an error that names the
# node, the index and both shapes, as PyTorch's validate_outputs does.
def _validate(fn: Node, grads: Sequence) -> list:
    edges = fn._fns
    if len(grads) != len(edges):
        raise RuntimeError(_errors.WRONG_GRAD_COUNT.format(
            node=fn.name(), expected=len(edges), got=len(grads)))
    out = list(grads)
    meta = fn._meta
    for i, g in enumerate(out):
        if g is None:
            continue
        m = meta[i] if i < len(meta) else None
        if m is None:
            if edges[i] is None:
                out[i] = None
            continue
        shape, dt = m
        if not isinstance(g, Tensor):
            raise TypeError(f"Function {fn.name()} returned a gradient of type "
                            f"{type(g).__name__} at index {i}; expected a Tensor or None")
        gs = g._data.shape
        if gs != shape:
            g = _sum_to(fn, i, g, shape)
        if g._data.dtype != dt:
            if dt.kind != "c" and g._data.dtype.kind == "c":
                from dagrad import ops
                g = ops.real(g)
            if g._data.dtype != dt:
                g = g.to(_np_to_dtype(dt))
        out[i] = g
    return out


def _np_to_dtype(dt: np.dtype) -> Any:
    from dagrad import _dtypes
    return _dtypes.from_numpy_dtype(dt)


def _sum_to(fn: Node, i: int, g: Tensor, shape: tuple) -> Tensor:
    gs = g._data.shape
    lead = len(gs) - len(shape)
    ok = lead >= 0 and all(s == 1 or s == t for s, t in zip(shape, gs[lead:], strict=True))
    if not ok:
        raise RuntimeError(_errors.INVALID_GRAD_SHAPE.format(
            node=fn.name(), i=i, got=list(gs), expected=list(shape)))
    dims = tuple(range(lead)) + tuple(lead + k for k, s in enumerate(shape)
                                      if s == 1 and gs[lead + k] != 1)
    a = g._data
    if not g._rg and a.dtype.kind in "fc":
        # Nothing to record: the same sum as ops.sum's kernel, without the dispatch
        if dims:
            # without keepdims when only leading dims go (a bias's gradient): no reshaped view,
            # so AccumulateGrad can keep the array without a copy; added in PyTorch's order
            # where it can be (Note [PyTorch's summation order])
            a = _fsum(a, dims, len(dims) != lead)
        return Tensor._make(a.reshape(shape) if a.shape != shape else a)
    from dagrad import ops
    if dims:
        g = ops.sum(g, dims, keepdim=True)
    if lead:
        g = ops.reshape(g, shape)
    return g


def _can_steal(g: Tensor) -> bool:
    # Only the engine holds `g` and only `g` holds its array: safe to make it `.grad` as is.
    # References counted: the array's are g's slot, `a` and getrefcount's argument; g's are the
    # engine's gradient list, _accumulate's and this function's argument, and getrefcount's.
    a = g._data
    return (a.base is None and _getrefcount(a) <= 3 and _getrefcount(g) <= 4
            and a.flags.writeable and a.flags.c_contiguous)


def _whole_view_base(g: Tensor, var: Tensor) -> np.ndarray | None:
    """The array under ``g`` when ``g`` is a C-ordered view of all of it and only the engine's
    gradient tensors hold it: the transpose of a transposed product, as a Linear weight's
    gradient arrives (Note [Gradient layout]). PyTorch keeps that gradient without a copy too.
    References counted: g's are the engine's list, _accumulate's and this function's arguments
    and getrefcount's; the base tensor's (``g._base``), ``g._base``, ``gb`` and getrefcount's;
    each array's, the slot or ``.base`` pointing at it, the local name and getrefcount's."""
    a = g._data
    b = a.base
    gb = g._base
    if b is None or gb is None or b.base is not None or type(b) is not np.ndarray:
        return None
    f = gb._data
    if f is not b and f.base is not b:
        return None
    if not (a.flags.c_contiguous and b.flags.c_contiguous and b.flags.writeable
            and a.shape == b.shape and b.dtype == var._data.dtype):
        return None
    if _getrefcount(g) > 4 or _getrefcount(gb) > 3 or _getrefcount(a) > 3:
        return None
    if f is b:
        ok = _getrefcount(b) <= 5                    # a.base, gb._data, `b`, `f`, the argument
    else:
        ok = _getrefcount(f) <= 3 and _getrefcount(b) <= 4   # a.base, f.base, `b`, argument
    return b if ok else None


def _leaf_hooks(var: Tensor, g: Tensor) -> Tensor:
    """A leaf's ``register_hook`` hooks (PyTorch: tensor pre-hooks of its AccumulateGrad)."""
    ex = var._extra
    if ex:
        hooks = ex.get("hooks")
        if hooks:
            for h in list(hooks.values()):
                r = h(g)
                if r is not None:
                    g = r
    return g


def _accumulate(acc: AccumulateGrad, g: Tensor, create_graph: bool) -> None:
    """AccumulateGrad: leaf hooks, then ``.grad`` += g, then post-accumulate hooks."""
    var = acc.variable
    ex = var._extra
    old = var._grad
    if old is None:
        if create_graph:
            from dagrad import ops
            var._grad = ops._copy_backwards(g)
        elif g.grad_fn is None and _can_steal(g):
            var._grad = g
        elif g.grad_fn is None and (b := _whole_view_base(g, var)) is not None:
            var._grad = Tensor._make(b)
        else:
            var._grad = Tensor._make(np.array(g._data, dtype=var._data.dtype, order="C"))
    elif create_graph or old._rg:
        var._grad = old + g
    else:
        od = old._data
        if od.flags.writeable and od.shape == g._data.shape:
            np.add(od, g._data, out=od, casting="unsafe")
            old._bump(site=False)
        else:
            var._grad = Tensor._make(od + g._data)
    if ex:
        post = ex.get("post_acc_hooks")
        if post:
            for h in list(post.values()):
                h(var)


def _apply_with_anomaly(fn: Node, grads: list) -> list:
    """Anomaly mode: on an error or a NaN gradient, show where ``fn`` was created, then raise."""
    try:
        out = _validate(fn, fn.apply(grads))
        for i, g in enumerate(out):
            if g is not None and g._data.dtype.kind in "fc" and np.isnan(g._data).any():
                raise RuntimeError(f"Function '{fn.name()}' returned nan values in its {i}th "
                                   "output.")
    except Exception:
        stack = (fn._extra or {}).get("stack")
        if stack is not None:
            warnings.warn(f"Error detected in {fn.name()}. Traceback of forward call that caused "
                          f"the error:\n{stack}", UserWarning, stacklevel=2)
        raise
    return out
