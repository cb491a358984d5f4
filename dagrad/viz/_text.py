"""``print_graph``: the autograd graph as a text tree for a terminal, as ``tree`` prints folders."""
from __future__ import annotations

import sys
from typing import Any, TextIO

from dagrad.viz._graph import Outputs, Params, as_outputs, node_name, param_names, shape_str

SEE_ABOVE = "(see above)"


def _line(fn: Any, names: dict[int, str]) -> str:
    """``MulBackward0``, or for a leaf ``AccumulateGrad  w1 (20, 10)``."""
    name = node_name(fn)
    var = getattr(fn, "variable", None)
    if var is None:
        return name
    label = names.get(id(var), "")
    return f"{name}  {label + ' ' if label else ''}{shape_str(var.shape)}"


# Note [Bounded indent]
# A tree indents four columns per level, so a 10,000-op chain printed in full would be 200 MB of
# spaces. Past MAX_DEPTH levels the indent stops growing: such a line starts with "…", which
# stands for the outer levels, then shows the innermost levels of the tree's guide lines.
# Prefixes are kept as linked (parent, segment) pairs and only those last levels are joined,
# so printing stays linear.
MAX_DEPTH = 32
ELIDED = "…   "


def _prefix(link: tuple | None, connector: str) -> str:
    segs = [connector]
    while link is not None and len(segs) < MAX_DEPTH:
        link, seg = link
        segs.append(seg)
    if link is not None:                 # deeper than MAX_DEPTH: "…" stands for the outer levels
        segs[-1] = ELIDED
    return "".join(reversed(segs))


def graph_lines(var: Outputs, params: Params = None) -> list[str]:
    """The lines ``print_graph`` prints (see there)."""
    names = param_names(params)
    seen: set[int] = set()
    keep: list[Any] = []          # keeps ids in `seen` from being reused during the walk
    lines: list[str] = []
    for t in as_outputs(var):
        if t.grad_fn is None:
            label = names.get(id(t), "")
            what = "a leaf, no grad_fn" if t.requires_grad else "no grad_fn"
            lines.append(f"{label + ' ' if label else ''}{shape_str(t.shape)}  ({what})")
            continue
        # Pre-order DFS on an explicit stack of (node, guide lines above it, its connector).
        stack: list[tuple[Any, tuple | None, str]] = [(t.grad_fn, None, "")]
        while stack:
            fn, link, connector = stack.pop()
            if id(fn) in seen:
                lines.append(f"{_prefix(link, connector)}{_line(fn, names)}  {SEE_ABOVE}")
                continue
            seen.add(id(fn))
            keep.append(fn)
            lines.append(_prefix(link, connector) + _line(fn, names))
            children = [u for u, _ in fn.next_functions if u is not None]
            # The children's guide lines: this node's, plus a bar while it has more siblings.
            child_link = None if not connector else (link, "    " if connector == "└── "
                                                     else "│   ")
            for i in range(len(children) - 1, -1, -1):     # pushed in reverse: popped in order
                last = i == len(children) - 1
                stack.append((children[i], child_link, "└── " if last else "├── "))
    return lines


def print_graph(var: Outputs, params: Params = None, file: TextIO | None = None) -> None:
    """Print the graph behind ``var`` as a tree: each node, then its ``next_functions`` below it.

    A node reached a second time is printed again with ``(see above)`` and without its inputs.
    Leaves read ``AccumulateGrad  <name from params> <shape>``. Needs no recursion, so a graph
    of any depth prints; below 32 levels the indent stops growing and lines start with ``…``
    (Note [Bounded indent]).

    Args:
        var: the output Tensor, or a tuple of them (one tree each).
        params: names for leaf tensors, e.g. ``dict(model.named_parameters())``.
        file: where to print (default ``sys.stdout``).

    Example:
        >>> x = dagrad.tensor([1., -2., 3., -4.], requires_grad=True)
        >>> print_graph(x.abs().sum(), params={"x": x})
        SumBackward0
        └── AbsBackward0
            └── AccumulateGrad  x (4,)
    """
    out = sys.stdout if file is None else file
    for line in graph_lines(var, params):
        out.write(line + "\n")
