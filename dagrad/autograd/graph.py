"""Graph nodes: ``Node`` (one per recorded op), ``AccumulateGrad`` (one per leaf), saved tensors.

Note [Graph ownership]
A Tensor holds its ``grad_fn`` strongly; a Node holds its inputs' nodes (``next_functions``) and
the tensors it saved strongly. A Node never holds its own output Tensor: a saved *output* is
kept as (array, version counter) and rebuilt on unpack. A leaf holds its AccumulateGrad only
weakly, and AccumulateGrad holds the leaf. So a graph has no reference cycle and is freed by
reference counting the moment the last output Tensor is dropped.
"""
from __future__ import annotations

import itertools
import sys
import weakref
from typing import Any, Callable

from dagrad import _errors
from dagrad.autograd import saved_hooks
from dagrad.autograd.saved_hooks import (  # noqa: F401  (PyTorch's torch.autograd.graph names)
    disable_saved_tensors_hooks, save_on_cpu, saved_tensors_hooks)

_seq = itertools.count()


class RemovableHandle:
    """Returned by every ``register_*hook``; ``remove()`` takes exactly that hook out."""

    _ids = itertools.count()

    def __init__(self, hooks_dict: dict, *extra: dict) -> None:
        # The handle holds the (small) dicts, not what owns them.
        self.dicts = (hooks_dict, *extra)
        self.id = next(RemovableHandle._ids)

    def remove(self) -> None:
        for d in self.dicts:
            d.pop(self.id, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()


class VersionCounter:
    """One per storage, shared by every view (and ``detach()``) of it. In-place ops bump it and
    record where in the user's code they ran (``site``), for the version error."""

    __slots__ = ("v", "site")

    def __init__(self) -> None:
        self.v = 0
        self.site = None


# Note [Source sites]
# The version error names the user's line that modified the tensor in place and the line that
# created the node which saved it, without anomaly mode. Each node that saves a tensor keeps
# (filename, lineno) of the first frame outside dagrad that created it: one short frame walk per
# such op (a node that saves none can never be named by that error, and keeps None).
_DAGRAD_DIR = __file__.rsplit("/autograd/", 1)[0]
_getframe = sys._getframe


def user_site(depth: int = 2) -> tuple | None:
    """(filename, lineno) of the innermost caller frame outside the dagrad package, looking from
    ``depth`` frames up (0: this function). A caller that knows how many dagrad frames sit above
    it passes a larger ``depth``: Python makes a frame object for each frame the walk visits, and
    that, not the walk, is most of the cost (the compiled recording starts at the op's caller)."""
    try:
        f = _getframe(depth)
    except ValueError:                      # a shorter stack than the caller expected
        f = _getframe(1)
    while f is not None:
        code = f.f_code
        fn = code.co_filename
        if not fn.startswith(_DAGRAD_DIR):
            # one shared tuple per line (Note [Fewer tracked objects])
            site = (fn, f.f_lineno)
            return _SITES.get(site) or interned(_SITES, site)
        f = f.f_back
    return None


def interned(cache: dict, value: tuple) -> tuple:
    """``value``, kept in ``cache`` so that equal tuples met later are this one (Note [Fewer
    tracked objects]); a cache stops growing at 4,096 entries. Callers look up first:
    ``cache.get(v) or interned(cache, v)``."""
    if len(cache) < 4096:
        cache[value] = value
    return value


_SITES: dict = {}      # source sites
_NRS: dict = {}        # a node's input numbers


def describe_site(site: tuple | None) -> str:
    if site is None:
        return "an unknown place"
    import linecache
    fn, line = site
    src = linecache.getline(fn, line).strip()
    return f'File "{fn}", line {line}' + (f": {src}" if src else "")


_Tensor = None       # dagrad._tensor.Tensor, set on first unpack (import cycle)


class SavedTensor:
    """A tensor saved for backward: checks on unpack that nobody modified it in place.

    Inputs are kept as the Tensor itself; outputs of the node that saves them are kept as
    (array, version counter) and rebuilt with ``grad_fn=node`` (Note [Graph ownership]).
    """

    __slots__ = ("tensor", "data", "vc", "version", "output_nr", "hooks", "tangent", "diff")

    def __init__(self, t: Any, is_output: bool = False) -> None:
        vc = t._vc
        if vc is None:
            vc = t._vc = VersionCounter()
        ex = t._extra
        if ex is not None and ex.get("inference"):
            raise RuntimeError(_errors.INFERENCE_SAVED)
        self.vc = vc
        self.version = vc.v
        self.output_nr = t._out_nr
        self.tangent = None         # forward AD: a saved output's tangent (set by forward_ad)
        # a saved non-differentiable output (max's indices) unpacks without a grad_fn
        self.diff = not (is_output and ex is not None and ex.get("nondiff_output"))
        if saved_hooks._STACK.hooks:
            pack, unpack = saved_hooks._STACK.hooks[-1]
            self.hooks = (pack(t), unpack)
            self.tensor = self.data = None
            return
        self.hooks = None
        if is_output:
            self.tensor = None
            self.data = t._data
        else:
            self.tensor = t
            self.data = None

    def unpack(self, node: Node | None) -> Any:
        if self.hooks is not None:
            return self.hooks[1](self.hooks[0])
        if self.vc.v != self.version:
            self._raise_version(node)
        t = self.tensor
        if t is not None:
            return t
        global _Tensor
        if _Tensor is None:
            from dagrad._tensor import Tensor as _T
            _Tensor = _T
        out = _Tensor._make(self.data)
        out._vc = self.vc
        if self.tangent is not None:
            out._extra = {"tangent": self.tangent}
        if node is not None and self.diff:
            out.grad_fn = node
            out._rg = True
            out._out_nr = self.output_nr
        return out

    def _raise_version(self, node: Node | None) -> None:
        # PyTorch names the node that produced the saved tensor: for a saved input, the tensor's
        # grad_fn now (after the in-place op); for a saved output, the node that saved it. A
        # leaf has no such node and the clause is left out.
        from dagrad._tensor import legacy_type_name
        t = self.tensor
        arr = self.data if t is None else t._data
        producer, nr = (node, self.output_nr) if t is None else (t.grad_fn, t._out_nr)
        msg = _errors.VERSION_MISMATCH.format(
            type_name=legacy_type_name(arr.dtype), shape=list(arr.shape), output_nr=nr,
            node=producer._forward_name() if producer is not None else "",
            current=self.vc.v, saved=self.version)
        if producer is None:
            msg = msg.replace(f"], which is output {nr} of , is at", "] is at")
        # dagrad's addition (Note [Source sites]): where it happened, in the user's code.
        msg += (f"\n  The tensor was modified in place at {describe_site(self.vc.site)}"
                f"\n  and saved for backward by {node.name() if node is not None else 'a node'}, "
                f"created at {describe_site(node._site if node is not None else None)}")
        raise RuntimeError(msg)


class Released(dict):
    """What a node still holds after a backward without retain_graph: the non-tensor values
    (``dim``, ``alpha``, shapes, a Python-number exponent), as PyTorch keeps them. Asking for a
    freed tensor raises the "backward through the graph a second time" error."""

    __slots__ = ()


class _Hooks:
    """The hooks registered on one node (most nodes have none: ``Node._hk is None``)."""

    __slots__ = ("tensor_pre", "retain", "pre", "post")

    def __init__(self) -> None:
        self.tensor_pre: dict | None = None    # output_nr -> {id: hook}: Tensor.register_hook
        self.retain: dict | None = None        # output_nr -> fn: Tensor.retain_grad
        self.pre: dict | None = None           # Node.register_prehook
        self.post: dict | None = None          # Node.register_hook


class Node:
    """A recorded operation: ``apply`` maps output gradients to input gradients.

    ``next_functions`` is ``((node, input_nr), ...)``, one pair per differentiable input, with
    ``(None, 0)`` for inputs that need no gradient (constants, Python scalars).
    """

    # The edges are kept as two tuples, the nodes (``_fns``) and the input numbers (``_nrs``, one
    # shared tuple per distinct value): one tracked object per node instead of one per edge
    # more (Note [Fewer tracked objects]). ``next_functions`` builds PyTorch's pairs from them.
    __slots__ = ("_fns", "_nrs", "_seq", "_saved", "_meta", "_hk", "_extra", "_site",
                 "__weakref__")

    # Subclasses created by the op registry set these.
    _op: Any = None
    _num_outputs = 1
    _np: Any = None     # the op's np_apply_quiet when it has array-level formulas (the engine's)
    _keep_mode: Any = None  # OpNode: what _release keeps (the engine inlines it): see there

    def __init__(self) -> None:
        self._fns = self._nrs = ()
        self._seq = next(_seq)
        self._saved = None
        self._meta = ()
        self._hk = None
        self._extra = None
        self._site = None

    @property
    def next_functions(self) -> tuple:
        """``((node, input_nr), ...)``: where each input's gradient goes (a new tuple on each
        access, as in PyTorch)."""
        return tuple(zip(self._fns, self._nrs))

    @next_functions.setter
    def next_functions(self, edges: Any) -> None:
        edges = tuple(edges)
        self._fns = tuple(e[0] for e in edges)
        nrs = tuple(e[1] for e in edges)
        self._nrs = _NRS.get(nrs) or interned(_NRS, nrs)

    def name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        return f"<{type(self).__name__} object at {hex(id(self))}>"

    def _hooks_obj(self) -> _Hooks:
        if self._hk is None:
            self._hk = _Hooks()
        return self._hk

    def _add_retain_hook(self, output_nr: int, fn: Callable) -> None:
        hk = self._hooks_obj()
        if hk.retain is None:
            hk.retain = {}
        hk.retain[output_nr] = fn

    def _forward_name(self) -> str:
        """The forward op's name, as PyTorch prints it in the in-place error (``Exp``)."""
        n = type(self).__name__
        i = n.rfind("Backward")
        return n[:i] if i > 0 else n

    @property
    def metadata(self) -> dict:
        if self._extra is None:
            self._extra = {}
        return self._extra.setdefault("metadata", {})

    def _sequence_nr(self) -> int:
        return self._seq

    def apply(self, grads: list) -> list:
        raise NotImplementedError

    def __call__(self, *grads: Any) -> Any:
        out = self.apply(list(grads))
        return out[0] if len(out) == 1 else tuple(out)

    def register_hook(self, fn: Callable) -> RemovableHandle:
        """``fn(grad_inputs, grad_outputs)`` runs after the node; may return new grad_inputs."""
        hk = self._hooks_obj()
        if hk.post is None:
            hk.post = {}
        h = RemovableHandle(hk.post)
        hk.post[h.id] = fn
        return h

    def register_prehook(self, fn: Callable) -> RemovableHandle:
        """``fn(grad_outputs)`` runs before the node; may return new grad_outputs."""
        hk = self._hooks_obj()
        if hk.pre is None:
            hk.pre = {}
        h = RemovableHandle(hk.pre)
        hk.pre[h.id] = fn
        return h

    def _add_tensor_pre_hook(self, output_nr: int, fn: Callable) -> RemovableHandle:
        hk = self._hooks_obj()
        if hk.tensor_pre is None:
            hk.tensor_pre = {}
        d = hk.tensor_pre.setdefault(output_nr, {})
        h = RemovableHandle(d)
        d[h.id] = fn
        return h

    def _release(self) -> None:
        """Free saved values after a backward without retain_graph."""
        if self._saved is not None:
            self._saved = False

    def __getattr__(self, item: str) -> Any:
        # `_saved_self`, `_saved_other`, `_saved_result` ...: PyTorch exposes what a node saved.
        if item.startswith("_saved_"):
            key = item[len("_saved_"):]
            saved = object.__getattribute__(self, "_saved")
            if saved is False:
                raise RuntimeError(_errors.BACKWARD_TWICE)
            op = type(self)._op
            if saved is None or key not in saved:
                if op is not None and key in op.all_saves:
                    if type(saved) is Released:
                        raise RuntimeError(_errors.BACKWARD_TWICE)
                    return None
                raise AttributeError(f"'{type(self).__name__}' object has no attribute '{item}'")
            v = saved[key]
            if isinstance(v, SavedTensor):
                return v.unpack(self)
            if isinstance(v, tuple) and v and isinstance(v[0], SavedTensor):
                return tuple(x.unpack(self) for x in v)
            if op is not None and key in op.tensor_param_names and \
                    key not in op.keep_after_release[1] and \
                    isinstance(v, (bool, int, float, complex)):
                # PyTorch wraps a Python number operand in a tensor: `(x*2).grad_fn._saved_other`
                # is tensor(2)
                import numpy as np
                from dagrad._tensor import Tensor
                return Tensor._make(np.asarray(v))
            return v
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{item}'")


_new = object.__new__


def record_forward_stack(node: Node) -> None:
    """In anomaly mode: remember where ``node`` was created, for the backward error report."""
    import traceback
    frames = [f for f in traceback.extract_stack()[:-1]
              if not f.filename.startswith(_DAGRAD_DIR)]
    if node._extra is None:
        node._extra = {}
    node._extra["stack"] = "".join(traceback.format_list(frames))


def new_node(cls: type) -> Node:
    """A fresh node of class ``cls`` without running ``__init__`` (the op registry's fast path).
    Its ``_site`` is left to the caller: only a node that saves a tensor needs one (Note [Source
    sites]), and the frame walk is a sixth of recording an op."""
    n = _new(cls)
    n._seq = next(_seq)
    n._hk = None
    n._extra = None
    n._site = None
    return n


class AccumulateGrad(Node):
    """The node at each leaf that requires grad: sums incoming gradients into ``variable.grad``."""

    __slots__ = ("variable",)

    def __init__(self, variable: Any) -> None:
        super().__init__()
        self.variable = variable
        self._seq = -1        # Note [AccumulateGrad order]: runs as soon as it is ready

    def name(self) -> str:
        return "torch::autograd::AccumulateGrad"

    def apply(self, grads: list) -> list:
        return []


# Note [AccumulateGrad order]
# PyTorch gives AccumulateGrad the largest sequence number, so the engine's priority queue runs
# it as soon as its gradient is complete. dagrad's engine special-cases it the same way.

def accumulator(t: Any) -> AccumulateGrad:
    """The (cached, weakly held) AccumulateGrad of leaf ``t``."""
    ref = t._acc
    acc = ref() if ref is not None else None
    if acc is None:
        acc = AccumulateGrad(t)
        t._acc = weakref.ref(acc)
    return acc


def edge_of(t: Any) -> tuple:
    fn = t.grad_fn
    if fn is not None:
        return (fn, t._out_nr)
    if t._rg:
        return (accumulator(t), 0)
    return (None, 0)


_NODE_CLASSES: dict[tuple, type] = {}


def node_class(name: str, op: Any = None, num_outputs: int = 1) -> type:
    """The Node subclass called ``name`` (``MulBackward0``) for ``op``, created once.

    Two ops may share a node name (``view`` and ``flatten`` both record ``ViewBackward0``); each
    gets its own class of that name, which carries the op whose formulas it runs.
    """
    key = (name, id(op))
    cls = _NODE_CLASSES.get(key)
    if cls is None:
        # (a staticmethod: Note [Compiled array formulas] makes it a plain function of the op's)
        np_fn = staticmethod(op.np_apply_quiet) if op is not None and op.np_plan is not None \
            else None
        # `_op` is a descriptor (ops are Tensor methods): the hot paths read plain attributes
        cls = type(name, (OpNode,), {
            "__slots__": (), "_op": op, "_num_outputs": num_outputs, "_np": np_fn,
            "_bw": op.backward if op is not None else None,
            "_keep": op.keep_after_release if op is not None else None,
            "_keep_mode": _keep_mode(op),
            "_op_keys": op.release_keys if op is not None else ()})
        cls.__module__ = "dagrad.autograd.graph"
        _NODE_CLASSES[key] = cls
    return cls


class OpNode(Node):
    """A node of a registered op: runs the op's derivative formulas (see ops/_registry.py)."""

    __slots__ = ()

    def apply(self, grads: list) -> list:
        return self._bw(self, grads)

    def _release(self) -> None:
        s = self._saved
        if s and type(s) is not Released:
            mode = self._keep_mode
            if mode == 0:           # nothing to keep: share one empty, never-written Released
                self._saved = _NOTHING_KEPT
            elif mode == 1:         # only non-tensor values: keep them all
                self._saved = Released(s)
            elif mode == 2:         # non-tensor values beside tensors: keep those
                r = self._saved = Released()
                for k in self._op_keys:
                    if k in s:
                        r[k] = s[k]
            else:
                keep, keep_scalar = self._keep
                self._saved = Released({k: v for k, v in s.items() if k in keep or (
                    k in keep_scalar and type(v) is not SavedTensor)})


_NOTHING_KEPT = Released()


def _keep_mode(op: Any) -> int:
    """What _release keeps: 0 nothing; 1 every saved value; 2 the saved values of
    ``release_keys`` (no Scalar argument among them); 3 it must look at each value's type."""
    if op is None:
        return 3
    keep, keep_scalar = op.keep_after_release
    if not op.release_keys:
        return 0
    if op.all_saves <= keep:
        return 1
    return 3 if set(op.release_keys) & keep_scalar else 2


class _MultiHandle:
    def __init__(self, handles: list) -> None:
        self.handles = handles

    def remove(self) -> None:
        for h in self.handles:
            h.remove()

    def __enter__(self) -> _MultiHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()


def register_multi_grad_hook(tensors: Any, fn: Callable, *, mode: str = "all") -> Any:
    """Call ``fn`` once per backward with the gradients of ``tensors``.

    ``mode="all"``: after every tensor of ``tensors`` that takes part in this backward has its
    gradient, as ``fn(grads)`` with None for the others. ``mode="any"``: ``fn(grad)`` on the first
    gradient computed among them.

    Example:
        >>> h = register_multi_grad_hook((a, b), lambda grads: print([g is None for g in grads]))
    """
    from dagrad.autograd import engine
    if mode not in ("all", "any"):
        raise ValueError(f"Expects mode to be one of ('all', 'any') but got {mode}")
    tensors = tuple(tensors)
    key = object()

    def make(i: int) -> Callable:
        def hook(grad: Any) -> None:
            task = engine.TASKS.tasks[-1] if engine.TASKS.tasks else None
            if task is None:
                return
            st = task.state.get(key)
            if mode == "any":
                if st is None:
                    task.state[key] = True
                    fn(grad)
                return
            if st is None:
                expected = [task.will_run(edge_of(t)[0]) for t in tensors]
                st = task.state[key] = {"grads": [None] * len(tensors), "expected": expected,
                                        "count": 0, "done": False}
            st["grads"][i] = grad
            st["count"] += 1
            if not st["done"] and st["count"] >= sum(st["expected"]):
                st["done"] = True
                fn(tuple(st["grads"]))
        return hook

    return _MultiHandle([t.register_hook(make(i)) for i, t in enumerate(tensors)
                         if t.requires_grad])


class allow_mutation_on_saved_tensors:
    """Inside this block, tensors saved for backward may be modified in place afterwards: each is
    saved as a copy (PyTorch clones lazily on mutation; dagrad copies at save time, trading
    memory for simplicity)."""

    def __enter__(self) -> allow_mutation_on_saved_tensors:
        def pack(t: Any) -> Any:
            c = t.detach().clone()
            if t.grad_fn is not None or t.requires_grad:
                c.grad_fn, c._rg, c._out_nr = t.grad_fn, t._rg, t._out_nr
                c._acc = t._acc
            return c
        self._hooks = saved_tensors_hooks(pack, lambda c: c)
        self._hooks.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._hooks.__exit__(*exc)
