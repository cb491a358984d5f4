"""Compiled recording (Note [Compiled recording] in ops/_registry.py): the node each op's compiled
``record`` builds is exactly the one the generic ``_record`` loop builds, for every op in the op
database, and the objects it shares (Note [Fewer tracked objects]) are shared safely."""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import dagrad
from dagrad.autograd.graph import AccumulateGrad, SavedTensor
from dagrad.ops import _registry
from dagrad.testing.op_db import op_db

from tests.test_ops import _ids, _leaves, _outputs

GRAD_OPS = [o for o in op_db if o.supports_grad]


def _describe_graph(outs: tuple, leaves: list) -> list:
    """Every node reachable from ``outs``, in a fixed walk order, as comparable values: a tensor
    by its position among the sample's leaves or by the node and output that made it, saved
    data by its bytes."""
    leaf_index = {id(t): i for i, t in enumerate(leaves)}
    seen: dict[int, int] = {}
    order: list = []

    def key(fn: Any) -> Any:
        if fn is None:
            return None
        if isinstance(fn, AccumulateGrad):
            return ("acc", leaf_index.get(id(fn.variable), "other leaf"))
        return seen.get(id(fn), "unvisited")

    def tensor(t: Any) -> Any:
        if t.grad_fn is None:
            return ("leaf", leaf_index.get(id(t), "other"), t.requires_grad)
        return ("output", key(t.grad_fn), t._out_nr)

    def value(v: Any) -> Any:
        if type(v) is SavedTensor:
            return ("saved", None if v.tensor is None else tensor(v.tensor),
                    None if v.data is None else value(v.data),
                    v.version, v.output_nr, v.diff, v.hooks)
        if isinstance(v, (tuple, list)):
            return (type(v).__name__, tuple(value(e) for e in v))
        if isinstance(v, np.ndarray):
            return ("array", v.shape, v.dtype, v.tobytes())
        if isinstance(v, dagrad.Tensor):
            return ("tensor", tensor(v))
        return v

    def walk(fn: Any) -> None:
        if fn is None or isinstance(fn, AccumulateGrad) or id(fn) in seen:
            return
        for nxt, _ in fn.next_functions:
            walk(nxt)
        saved = fn._saved if isinstance(fn._saved, dict) else {}
        seen[id(fn)] = len(order)
        order.append((type(fn).__name__,
                      tuple((key(n), nr) for n, nr in fn.next_functions),
                      fn._meta,
                      [(k, value(v)) for k, v in saved.items()],
                      fn._site))
    for o in outs:
        if isinstance(o, dagrad.Tensor):
            walk(o.grad_fn)
    return order


def _run(op: Any, sample: Any) -> tuple:
    return _outputs(op.op(*sample.args, **sample.kwargs))     # one line: one source site


@pytest.mark.parametrize("op", GRAD_OPS, ids=_ids(GRAD_OPS))
def test_compiled_record_builds_the_generic_node(op: Any, monkeypatch: Any) -> None:
    compiled = {o for o in _registry.registered_ops().values() if o.record_cls is not None}
    assert len(compiled) > 100
    for dtype in (dagrad.float64, dagrad.float32):
        # the same samples twice (in-place ops change their inputs)
        for s1, s2 in zip(op.samples(dtype, True), op.samples(dtype, True), strict=True):
            fast = _run(op, s1)
            with monkeypatch.context() as m:
                for o in compiled:
                    m.setattr(o, "record", None)
                    m.setattr(o, "record_cls", None)
                slow = _run(op, s2)
            a = _describe_graph(fast, _leaves((s1.args, s1.kwargs)))
            b = _describe_graph(slow, _leaves((s2.args, s2.kwargs)))
            assert a == b, f"{op.name} {s1}"


def test_compiled_record_is_used() -> None:
    calls = []
    mul = _registry.registered_ops()["mul"]
    rec = mul.record
    try:
        mul.record = lambda vals, r: (calls.append(1), rec(vals, r))
        a = dagrad.tensor([1.0, 2.0], requires_grad=True)
        (a * a).sum().backward()
    finally:
        mul.record = rec
    assert calls == [1]
    assert a.grad.tolist() == [2.0, 4.0]


def test_shared_metadata_and_sites_are_equal_values() -> None:
    # Two nodes made on the same line share one _meta tuple and one site tuple; nodes on other
    # shapes or lines do not, and the version error still names each line.
    a = dagrad.ones(3, requires_grad=True)
    b = dagrad.ones(2, requires_grad=True)
    ys = [t * t for t in (a, a, b)]
    assert ys[0].grad_fn._meta is ys[1].grad_fn._meta
    assert ys[0].grad_fn._meta == (((3,), np.dtype(np.float32)),) * 2
    assert ys[2].grad_fn._meta == (((2,), np.dtype(np.float32)),) * 2
    assert ys[0].grad_fn._site is ys[1].grad_fn._site
    assert ys[0].grad_fn._site[0] == __file__
    z = a * 2
    assert z.grad_fn._site != ys[0].grad_fn._site
    with dagrad.no_grad():
        a.add_(1)
    with pytest.raises(RuntimeError, match="saved for backward by MulBackward0, created at "
                       f'File "{__file__}", line'):
        ys[0].sum().backward()


def test_keyword_calls_bind_as_python_does_after_the_plan_is_cached() -> None:
    # Op.__call__ caches how each (number of positional arguments, keyword names) binds; the
    # errors for calls that do not bind stay Python's, before and after a plan exists.
    a = dagrad.tensor([-1.0, 0.5, 2.0], dtype=dagrad.float64)
    for _ in range(2):
        assert dagrad.clamp(a, min=0).tolist() == [0.0, 0.5, 2.0]
        assert dagrad.clamp(a, max=0.7, min=0.6).tolist() == [0.6, 0.6, 0.7]
        assert dagrad.clamp(a, 0.6, max=0.7).tolist() == [0.6, 0.6, 0.7]
        assert a.sum(dim=0, keepdim=True).tolist() == [1.5]
        with pytest.raises(TypeError, match=r"^clamp\(\) got multiple values for argument 'min'$"):
            dagrad.clamp(a, 0, min=1)
        with pytest.raises(TypeError, match=r"^clamp\(\) got an unexpected keyword argument 'mn'$"):
            dagrad.clamp(a, mn=1)
        with pytest.raises(TypeError, match=r"^add\(\) missing required argument: 'other'$"):
            dagrad.add(a, alpha=2)
        with pytest.raises(TypeError, match=r"^add\(\) missing required argument: 'other'$"):
            dagrad.add(input=a)
        # PyTorch's functions name their first tensor `input`
        assert dagrad.add(input=a, other=a, alpha=2).tolist() == [-3.0, 1.5, 6.0]
        assert dagrad.exp(input=a).tolist() == np.exp([-1.0, 0.5, 2.0]).tolist()
        assert dagrad.sum(input=a, dim=0).item() == 1.5
        with pytest.raises(TypeError, match=r"^add\(\) got multiple values for argument 'input'$"):
            dagrad.add(a, input=a)


def test_a_recorded_op_adds_few_objects_for_the_garbage_collector() -> None:
    # Note [Fewer tracked objects]: on a chain z = z * b, each op keeps its node, its output
    # (saved by the next op), one tuple of edges, the saved dict, two SavedTensors and the
    # output's version counter alive: 7 objects the cyclic collector tracks (it was 12 with a
    # tuple per edge, per _meta entry and per source site).
    import gc
    from collections import Counter
    b = dagrad.tensor(1.0, requires_grad=True)
    z = dagrad.tensor(2.0, requires_grad=True) * b
    gc.collect()
    gc.disable()
    try:
        before = Counter(type(o).__name__ for o in gc.get_objects())
        for _ in range(1000):
            z = z * b
        after = Counter(type(o).__name__ for o in gc.get_objects())
    finally:
        gc.enable()
    grown = {k: after[k] - before.get(k, 0) for k in after if after[k] > before.get(k, 0)}
    assert sum(grown.values()) <= 7 * 1000 + 100, grown
    assert grown.get("tuple", 0) <= 1000 + 50, grown
    edges = z.grad_fn.next_functions
    assert edges == ((z.grad_fn._fns[0], 0), (b.grad_fn or edges[1][0], 0))
    assert type(edges[1][0]).__name__ == "AccumulateGrad"
    assert z.grad_fn.next_functions is not edges            # a new tuple each time, as PyTorch
    z.backward()
    assert b.grad.item() == pytest.approx(2.0 * 1001)


def test_next_functions_can_be_set_as_pairs() -> None:
    from dagrad.autograd.graph import Node
    n = Node()
    a = dagrad.ones(2, requires_grad=True) * 2
    n.next_functions = [(a.grad_fn, 0), (None, 0)]
    assert n.next_functions == ((a.grad_fn, 0), (None, 0))
    assert n._fns == (a.grad_fn, None)


def _at(y: Any) -> tuple:
    """``(y, the caller's line)``: the line the op producing ``y`` ran on."""
    import sys
    return y, sys._getframe(1).f_lineno


def test_source_site_is_the_users_line_on_every_recording_path() -> None:
    # Note [Source sites]: the compiled recording starts its frame walk at a fixed depth; each
    # way into it must still name the user's line, not a dagrad frame nor one further out.
    a = dagrad.ones(3, requires_grad=True, dtype=dagrad.float64)
    b = dagrad.full((3,), 2.0, requires_grad=True, dtype=dagrad.float64)
    w = dagrad.ones(2, 3, requires_grad=True, dtype=dagrad.float64)
    cases = [
        _at(a * b),                                  # the operator fast path
        _at(a / b),                                  # fast path, callable node name
        _at(a.exp()),                                # a registry op as a method
        _at(dagrad.mul(a, b)),                       # a registry op
        _at(dagrad.nn.functional.linear(w, w)),      # through nn.functional
        _at(a.clamp(min=0.5)),                       # keywords
    ]
    with dagrad.autograd.profiler.profile():
        cases.append(_at(a.sin()))                   # the profiler's wrapper
    for y, line in cases:
        assert y.grad_fn._site == (__file__, line), (y.grad_fn, y.grad_fn._site, line)
