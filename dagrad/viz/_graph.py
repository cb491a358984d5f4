"""Walk an autograd graph once, iteratively, into a plain description every drawing shares.

``build(var, params, ...)`` returns a ``VGraph``: boxes (outputs, op nodes, leaf tensors, saved
tensors) and edges, holding only strings, so a drawing never keeps a graph alive. DOT, the text
tree's labels, the SVG and the HTML page are all made from it.

Note [Edge orientation]
Every ``VEdge`` points the way data flows in the forward pass: from an input to the node that
consumes it (``AccumulateGrad -> MulBackward0``, as torchviz draws it), from a grad_fn to its
output tensor, from a saved tensor to the node that saved it, from a view's base to the view.
The DOT writer turns "saved" edges round (torchviz writes ``node -> saved [dir=none]``); the
layered layout puts an edge's source above its target.

Note [Iterative walk]
The walk is the pre-order depth-first search torchviz does recursively (a node's saved tensors,
its leaf, the node, then each of ``next_functions`` in order), kept on an explicit stack of
iterators so that a 10,000-op chain needs no Python recursion. Each graph node is visited once;
an edge is recorded for every ``next_functions`` entry, so ``x * x`` gives two edges from x.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from dagrad._tensor import Tensor
from dagrad.autograd.graph import SavedTensor

OUTPUT, OP, LEAF, BASE, SAVED = "output", "op", "leaf", "base", "saved"

Outputs = Tensor | tuple[Tensor, ...] | list[Tensor]
"""What the drawing functions draw: one output Tensor, or several."""
Params = Mapping[str, Tensor] | Iterable[tuple[str, Tensor]] | None
"""Names for tensors: ``dict(model.named_parameters())``, or the (name, tensor) pairs."""


@dataclass
class VNode:
    """One box of the drawing.

    Attributes:
        id: the DOT/SVG id (``n0``, ``n1``, ... in the order the walk first meets them).
        kind: ``output``, ``op``, ``leaf``, ``base`` (a view's base tensor) or ``saved``.
        label: the lines written in the box, e.g. ``("w1", "(20, 10)")``.
        title: the headline of the details panel, e.g. ``MulBackward0`` or ``tensor w1``.
        details: ``(key, value)`` rows of the details panel.
    """

    id: str
    kind: str
    label: tuple[str, ...]
    title: str
    details: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class VEdge:
    """An arrow from ``src`` to ``dst`` (Note [Edge orientation]); kind: input/output/saved/view."""

    src: str
    dst: str
    kind: str


@dataclass
class VGraph:
    """A walked graph: nodes in first-visit order, edges in ``next_functions`` order."""

    nodes: list[VNode]
    edges: list[VEdge]

    def node(self, node_id: str) -> VNode:
        for n in self.nodes:
            if n.id == node_id:
                return n
        raise KeyError(node_id)


def shape_str(shape: Iterable[int]) -> str:
    """``(4,)``, ``(20, 10)``, ``()``: a shape written as a Python tuple."""
    return str(tuple(int(s) for s in shape))


def as_outputs(var: Outputs) -> tuple[Tensor, ...]:
    """A Tensor or a tuple/list of Tensors, as a tuple; TypeError for anything else."""
    outs = tuple(var) if isinstance(var, (tuple, list)) else (var,)
    if not outs:
        raise TypeError("dagrad.viz: expected a Tensor or a non-empty tuple of Tensors, got an "
                        "empty sequence")
    for i, t in enumerate(outs):
        if not isinstance(t, Tensor):
            where = "" if outs[0] is var else f" at index {i}"
            raise TypeError(f"dagrad.viz: expected a Tensor or a tuple of Tensors, got "
                            f"{type(t).__name__}{where}")
    return outs


def param_names(params: Params) -> dict[int, str]:
    """``{id(tensor): name}`` from ``dict(model.named_parameters())`` or an iterable of pairs."""
    if params is None:
        return {}
    items = params.items() if isinstance(params, Mapping) else params
    names: dict[int, str] = {}
    for name, t in items:
        if not isinstance(t, Tensor):
            raise TypeError(f"dagrad.viz: params must map names to Tensors, but params[{name!r}] "
                            f"is a {type(t).__name__}")
        names.setdefault(id(t), str(name))
    return names


def node_name(fn: Any) -> str:
    """A node's class name as PyTorch spells it: ``MulBackward0``, ``AccumulateGrad``."""
    return type(fn).__name__


def scalar_str(value: Any) -> str:
    """A 0-dim value the way a tensor prints it: ``3.``, ``0.5``, ``2``, ``True``."""
    v = np.asarray(value).item()
    if isinstance(v, float):
        s = f"{v:.6g}"
        return s if any(c in s for c in ".eni") else s + "."
    return str(v)


def _dtype_str(dtype: Any) -> str:
    return np.dtype(dtype).name


def saved_info(st: SavedTensor) -> tuple[tuple[int, ...] | None, str, np.ndarray | None, bool]:
    """``(shape, dtype name, array, is_output)`` of a saved tensor, without a version check.

    The array is read where the SavedTensor keeps it; only a value packed by
    ``saved_tensors_hooks`` is unpacked (through its hook). Shape None if even that fails.
    """
    t = getattr(st, "tensor", None)
    arr = t._data if t is not None else getattr(st, "data", None)
    is_output = t is None and arr is not None
    if arr is None:
        try:
            u = st.unpack(None)
            arr = u._data if isinstance(u, Tensor) else np.asarray(u)
        except Exception:  # noqa: BLE001 - a user's unpack hook may fail; the drawing must not
            return None, "?", None, False
    return tuple(arr.shape), arr.dtype.name, arr, is_output


def saved_items(fn: Any) -> list[tuple[str, Any]] | None:
    """``[(name, value), ...]`` of what ``fn`` saved, sorted by name as ``dir()`` lists them.

    Values are ``SavedTensor``, tuples of them, or plain Python values. Names the op could save
    but did not (an input needing no gradient) come back as None, as PyTorch's ``_saved_*``
    attributes do. None when the values were freed by ``backward()``.
    """
    saved = getattr(fn, "_saved", None)
    if saved is False or type(saved).__name__ == "Released":     # freed by backward()
        return None
    op = getattr(type(fn), "_op", None)
    names = set(saved or ())
    if op is not None:
        names |= set(getattr(op, "all_saves", ()))
    return [(k, (saved or {}).get(k)) for k in sorted(names)]


def describe_saved(value: Any) -> str:
    """One line for a saved value in the details panel: ``tensor (3,) float32 = 2.``."""
    if isinstance(value, SavedTensor):
        shape, dtype, arr, _ = saved_info(value)
        s = f"tensor {'?' if shape is None else shape_str(shape)} {dtype}"
        if arr is not None and arr.ndim == 0:
            s += f" = {scalar_str(arr)}"
        return s
    if isinstance(value, tuple) and any(isinstance(v, SavedTensor) for v in value):
        return "(" + ", ".join(describe_saved(v) for v in value) + ")"
    return repr(value)


def attrs_table(fn: Any, max_attr_chars: int) -> list[str]:
    """torchviz's ``show_attrs`` table: a rule, then ``name: value`` lines, columns aligned."""
    items = saved_items(fn)
    name = node_name(fn)
    if items is None:
        return ["-" * len(name), "(saved values freed by backward)"]
    attrs: dict[str, str] = {}
    for k, v in items:
        if isinstance(v, SavedTensor):
            attrs[k] = "[saved tensor]"
        elif isinstance(v, tuple) and any(isinstance(e, SavedTensor) for e in v):
            attrs[k] = "[saved tensors]"
        else:
            attrs[k] = str(v)
    if not attrs:
        return []
    width = max(max_attr_chars, 3)
    col1 = max(len(k) for k in attrs)
    col2 = min(max(len(v) for v in attrs.values()), width)

    def cut(s: str) -> str:
        return s[:col2 - 3] + "..." if len(s) > col2 else s

    rows = [f"{k:<{col1}}: {cut(v):>{col2}}" for k, v in attrs.items()]
    return ["-" * max(col1 + col2 + 2, len(name)), *rows]


class _Builder:
    """State of one walk: ids given so far, the nodes and edges found (Note [Iterative walk])."""

    def __init__(self, params: Params, show_attrs: bool, show_saved: bool,
                 max_attr_chars: int) -> None:
        self.names = param_names(params)
        self.show_attrs = show_attrs
        self.show_saved = show_saved
        self.max_attr_chars = max_attr_chars
        self.ids: dict[int, str] = {}
        self.alive: list[Any] = []          # keeps every keyed object alive while ids are in use
        self.nodes: list[VNode] = []
        self.edges: list[VEdge] = []
        self.out_meta: dict[str, dict[int, tuple]] = {}   # node id -> {output_nr: (shape, dtype)}
        self.fns: list[tuple[str, Any]] = []

    def key(self, obj: Any) -> tuple[str, bool]:
        """The id of ``obj`` and whether this is the first time the walk meets it."""
        k = self.ids.get(id(obj))
        if k is not None:
            return k, False
        k = self.ids[id(obj)] = f"n{len(self.ids)}"
        self.alive.append(obj)
        return k, True

    # ------------------------------------------------------------------ tensors
    def tensor_node(self, nid: str, t: Tensor, kind: str) -> None:
        name = self.names.get(id(t), "")
        shape = shape_str(t.shape)
        label = (name, shape) if name else (shape,)
        title = {OUTPUT: "output", LEAF: "leaf tensor", BASE: "base tensor"}[kind]
        details = [("name", name or "-"), ("shape", shape), ("dtype", _dtype_str(t._data.dtype)),
                   ("requires_grad", str(t.requires_grad))]
        if t.grad_fn is not None:
            details.append(("grad_fn", node_name(t.grad_fn)))
        if kind == LEAF:
            g = t._grad
            details.append(("grad", "None" if g is None else f"{shape_str(g.shape)} "
                                                             f"{_dtype_str(g._data.dtype)}"))
        if t._base is not None:
            details.append(("is a view of", shape_str(t._base.shape)))
        self.nodes.append(VNode(nid, kind, label, f"{title} {name}".rstrip(), details))

    def add_output(self, var: Tensor) -> None:
        """torchviz's ``add_base_tensor``, with the chain of view bases walked in a loop."""
        kind, child = OUTPUT, None
        while True:
            nid, new = self.key(var)
            if new:
                self.tensor_node(nid, var, kind)
                if var.grad_fn is not None:
                    fid = self.walk(var.grad_fn)
                    self.edges.append(VEdge(fid, nid, "output"))
                    self.out_meta.setdefault(fid, {}).setdefault(
                        var._out_nr, (var.shape, var._data.dtype))
            if child is not None:
                self.edges.append(VEdge(nid, child, "view"))
            if not new or var._base is None:
                return
            kind, child, var = BASE, nid, var._base

    # -------------------------------------------------------------------- nodes
    def walk(self, root: Any) -> str:
        """Visit every node reachable from ``root`` once; return root's id."""
        rid, new = self.key(root)
        if not new:
            return rid
        self.visit(rid, root)
        stack = [(rid, root, iter(enumerate(root.next_functions)))]
        while stack:
            fid, fn, it = stack[-1]
            for i, (u, nr) in it:
                if u is None:
                    continue
                uid, first = self.key(u)
                self.edges.append(VEdge(uid, fid, "input"))
                meta = getattr(fn, "_meta", ())
                if i < len(meta) and meta[i] is not None:
                    self.out_meta.setdefault(uid, {}).setdefault(nr, meta[i])
                if first:
                    self.visit(uid, u)
                    stack.append((uid, u, iter(enumerate(u.next_functions))))
                    break
            else:
                stack.pop()
        return rid

    def visit(self, fid: str, fn: Any) -> None:
        """Record ``fn``'s saved tensors, its leaf tensor and the node itself (torchviz's order)."""
        name = node_name(fn)
        if self.show_saved:
            for k, v in saved_items(fn) or ():
                if isinstance(v, SavedTensor):
                    self.saved_node(fid, name, k, v)
                elif isinstance(v, tuple):
                    for j, e in enumerate(v):
                        if isinstance(e, SavedTensor):
                            self.saved_node(fid, name, f"{k}[{j}]", e)
        var = getattr(fn, "variable", None)
        if isinstance(var, Tensor):
            vid, new = self.key(var)
            if new:
                self.tensor_node(vid, var, LEAF)
            self.edges.append(VEdge(vid, fid, "input"))
        label = (name, *attrs_table(fn, self.max_attr_chars)) if self.show_attrs else (name,)
        self.nodes.append(VNode(fid, OP, label, name))
        self.fns.append((fid, fn))

    def saved_node(self, fid: str, owner: str, name: str, st: SavedTensor) -> None:
        sid, _ = self.key(st)
        shape, dtype, arr, is_output = saved_info(st)
        shape_s = "?" if shape is None else shape_str(shape)
        second = scalar_str(arr) if arr is not None and arr.ndim == 0 else shape_s
        details = [("saved by", owner), ("name", name), ("shape", shape_s), ("dtype", dtype)]
        if arr is not None and arr.ndim == 0:
            details.append(("value", scalar_str(arr)))
        if is_output:
            details.append(("is", f"an output of {owner}"))
        self.nodes.append(VNode(sid, SAVED, (name, second), f"saved {name}", details))
        self.edges.append(VEdge(sid, fid, "saved"))

    # ------------------------------------------------------------------ details
    def finish(self) -> VGraph:
        """Fill op nodes' details (outputs are known only once every consumer was seen)."""
        by_id = {n.id: n for n in self.nodes}
        for fid, fn in self.fns:
            rows: list[tuple[str, str]] = []
            for nr, (shape, dtype) in sorted(self.out_meta.get(fid, {}).items()):
                rows.append((f"output {nr}", f"{shape_str(shape)} {_dtype_str(dtype)}"))
            var = getattr(fn, "variable", None)
            if isinstance(var, Tensor):
                label = self.names.get(id(var), "-")
                rows.append(("variable", f"{label} {shape_str(var.shape)}"))
            for i, (u, nr) in enumerate(fn.next_functions):
                target = "None" if u is None else f"{node_name(u)} [{self.ids[id(u)]}]"
                rows.append((f"next_functions[{i}]", f"({target}, {nr})"))
            items = saved_items(fn)
            if items is None:
                rows.append(("saved", "freed by backward()"))
            else:
                rows.extend((f"_saved_{k}", describe_saved(v)) for k, v in items)
            by_id[fid].details = rows
        return VGraph(self.nodes, self.edges)


def build(var: Outputs, params: Params = None, show_attrs: bool = False, show_saved: bool = False,
          max_attr_chars: int = 50) -> VGraph:
    """Walk the graph behind ``var`` (a Tensor or a tuple of them) into a ``VGraph``.

    Example:
        >>> g = build(dagrad.tensor([1., 2.], requires_grad=True).exp().sum())
        >>> [n.label[0] for n in g.nodes]
        ['()', 'SumBackward0', 'ExpBackward0', '(2,)', 'AccumulateGrad']
    """
    b = _Builder(params, show_attrs, show_saved, max_attr_chars)
    for t in as_outputs(var):
        b.add_output(t)
    return b.finish()
