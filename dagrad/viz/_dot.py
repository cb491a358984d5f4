"""``make_dot``: the graph as Graphviz DOT text, in the manner of torchviz, with no dependency.

``Digraph`` writes DOT itself; only ``render``/``pipe`` (and the notebook picture, when it can)
hand the text to the optional ``graphviz`` package, imported when first needed.
"""
from __future__ import annotations

import os
import subprocess
from typing import Any

from dagrad.viz._graph import BASE, LEAF, OUTPUT, SAVED, Outputs, Params, VGraph, build

GRAPHVIZ_MISSING = (
    "dagrad.viz: rendering a graph needs the 'graphviz' Python package, which is not installed. "
    "Install it with `pip install dagrad[viz]` (or `pip install graphviz`), and install "
    "Graphviz's `dot` program too (`apt-get install graphviz`, `brew install graphviz`, or "
    "https://graphviz.org/download/). Without them, `.source` still gives the DOT text, and "
    "dagrad.viz.to_html / save_svg / print_graph draw the graph with no dependency.")

# torchviz's colours, so pictures look like the ones PyTorch users know.
FILL = {OUTPUT: "darkolivegreen1", BASE: "darkolivegreen3", LEAF: "lightblue", SAVED: "orange"}
NODE_ATTR = {"style": "filled", "shape": "box", "align": "left", "fontsize": "10",
             "ranksep": "0.1", "height": "0.2", "fontname": "monospace"}


def _quote(value: str) -> str:
    """A DOT double-quoted string; newlines become DOT's ``\\n`` (a centred line break)."""
    s = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return '"' + s.replace("\r\n", "\n").replace("\n", "\\n") + '"'


def _attr_list(attrs: dict[str, str]) -> str:
    return " ".join(f"{k}={_quote(v)}" for k, v in attrs.items())


def _import_graphviz() -> Any:
    try:
        import graphviz
    except ImportError as e:
        raise ImportError(GRAPHVIZ_MISSING) from e
    return graphviz


class Digraph:
    """A directed graph written as DOT text: what ``make_dot`` returns (graphviz-like API).

    ``source`` (and ``str()``) is the DOT text; ``render``/``pipe`` need the ``graphviz``
    package and Graphviz's ``dot`` program (``pip install dagrad[viz]``).

    Example:
        >>> dot = Digraph()
        >>> dot.node("a", "x")
        >>> dot.edge("a", "b")
        >>> dot.source.splitlines()
        ['digraph {', '\\ta [label="x"]', '\\ta -> b', '}']
    """

    def __init__(self, name: str | None = None, graph_attr: dict[str, str] | None = None,
                 node_attr: dict[str, str] | None = None) -> None:
        self.name = name
        self.graph_attr: dict[str, str] = dict(graph_attr or {})
        self.node_attr: dict[str, str] = dict(node_attr or {})
        self.body: list[str] = []
        self._vgraph: VGraph | None = None

    def node(self, name: str, label: str | None = None, **attrs: str) -> None:
        """Add node ``name`` (its box reads ``label``, default the name)."""
        a = ({"label": label} if label is not None else {}) | attrs
        self.body.append(f"\t{name} [{_attr_list(a)}]" if a else f"\t{name}")

    def edge(self, tail: str, head: str, **attrs: str) -> None:
        """Add an arrow ``tail -> head``."""
        self.body.append(f"\t{tail} -> {head} [{_attr_list(attrs)}]" if attrs
                         else f"\t{tail} -> {head}")

    @property
    def source(self) -> str:
        """The DOT text."""
        head = "digraph" + (f" {_quote(self.name)}" if self.name else "") + " {"
        lines = [head]
        if self.graph_attr:
            lines.append(f"\tgraph [{_attr_list(self.graph_attr)}]")
        if self.node_attr:
            lines.append(f"\tnode [{_attr_list(self.node_attr)}]")
        lines.extend(self.body)
        lines.append("}")
        return "\n".join(lines) + "\n"

    def __str__(self) -> str:
        return self.source

    def __repr__(self) -> str:
        return f"<dagrad.viz.Digraph with {len(self.body)} statements>"

    def save(self, filename: str | os.PathLike) -> str:
        """Write the DOT text to ``filename``; return the path."""
        with open(filename, "w", encoding="utf-8") as f:
            f.write(self.source)
        return os.fspath(filename)

    def render(self, filename: str | os.PathLike | None = None,
               directory: str | os.PathLike | None = None, format: str = "png",
               view: bool = False, cleanup: bool = False, engine: str = "dot") -> str:
        """Draw with Graphviz: writes the DOT to ``filename`` and the picture to
        ``filename.<format>``, as ``graphviz.Digraph.render`` does; returns the picture's path.

        Raises ImportError (saying how to install it) without the ``graphviz`` package.
        """
        graphviz = _import_graphviz()
        src = graphviz.Source(self.source, filename=filename, directory=directory,
                              format=format, engine=engine)
        return src.render(view=view, cleanup=cleanup)

    def pipe(self, format: str = "svg", engine: str = "dot") -> bytes:
        """The picture as bytes (``format`` 'svg', 'png', 'pdf', ...), made by Graphviz."""
        graphviz = _import_graphviz()
        return graphviz.Source(self.source, format=format, engine=engine).pipe()

    def _repr_svg_(self) -> str | None:
        """The notebook picture: Graphviz's when installed, else dagrad's own SVG drawing."""
        try:
            return self.pipe("svg").decode("utf-8")
        except (ImportError, OSError, RuntimeError, subprocess.CalledProcessError):
            # No graphviz package, or it cannot run `dot` (graphviz.ExecutableNotFound is a
            # RuntimeError): fall back to the dependency-free drawing of the same graph.
            if self._vgraph is None:
                return None
            from dagrad.viz._svg import svg_text
            return svg_text(self._vgraph)


def _resize(dot: Digraph, size_per_element: float = 0.15, min_size: float = 12) -> None:
    """torchviz's ``resize_graph``: let a big graph take more room than 12 inches."""
    size = max(min_size, len(dot.body) * size_per_element)
    dot.graph_attr["size"] = f"{size:g},{size:g}"


def to_digraph(g: VGraph) -> Digraph:
    """The DOT statements for a walked graph: every node, then every edge in walk order."""
    dot = Digraph(node_attr=NODE_ATTR, graph_attr={"size": "12,12"})
    dot._vgraph = g
    for n in g.nodes:
        fill = FILL.get(n.kind)
        if fill is None:
            dot.node(n.id, "\n".join(n.label))
        else:
            dot.node(n.id, "\n".join(n.label), fillcolor=fill)
    for e in g.edges:
        if e.kind == "saved":                   # Note [Edge orientation]
            dot.edge(e.dst, e.src, dir="none")
        elif e.kind == "view":
            dot.edge(e.src, e.dst, style="dotted")
        else:
            dot.edge(e.src, e.dst)
    _resize(dot)
    return dot


def make_dot(var: Outputs, params: Params = None, show_attrs: bool = False,
             show_saved: bool = False, max_attr_chars: int = 50) -> Digraph:
    """The autograd graph behind ``var`` as a Graphviz ``Digraph`` (torchviz's ``make_dot``).

    Boxes: the output tensor(s) (green), one box per graph node named as PyTorch names it
    (``MulBackward0``, ``AccumulateGrad``; grey), each leaf tensor (blue) under its name from
    ``params`` and its shape, and with ``show_saved`` what each node saved for backward
    (orange: name and shape, or the value of a 0-dim tensor). Arrows run from an input to the
    node that consumes it, in ``next_functions`` order; a node reached twice is drawn once.

    Args:
        var: the output Tensor, or a tuple of them.
        params: names for tensors, e.g. ``dict(model.named_parameters())``.
        show_attrs: add a table of each node's saved values (non-tensors by value).
        show_saved: draw each saved tensor as its own box.
        max_attr_chars: longest value shown in the ``show_attrs`` table.

    Returns:
        A ``Digraph``: ``.source`` is the DOT text; ``.render("graph", format="png")`` and
        ``.pipe("svg")`` need ``pip install dagrad[viz]`` and Graphviz's ``dot`` program.

    Example:
        >>> x = dagrad.tensor([1., 2., 2.], requires_grad=True)
        >>> dot = make_dot(x.norm(), params={"x": x})
        >>> [line.strip() for line in dot.source.splitlines() if "->" in line]
        ['n2 -> n1', 'n3 -> n2', 'n1 -> n0']
        >>> dot.render("norm", format="png")     # with graphviz: writes norm (DOT) and norm.png
        'norm.png'
    """
    return to_digraph(build(var, params, show_attrs, show_saved, max_attr_chars))
