"""Seeing the autograd graph: DOT text, a terminal tree, and a self-contained HTML/SVG drawing.

    import dagrad as torch
    from dagrad.viz import make_dot, print_graph, to_html

    x = torch.tensor([1., 2., 2.]).requires_grad_()
    q = x.norm()
    print_graph(q, params={"x": x})          # the tree: LinalgVectorNormBackward0, its leaf
    make_dot(q, params={"x": x}).source      # DOT text; .render("q", format="png") with graphviz
    to_html(q, "q.html", params={"x": x})    # open in a browser: hover a box for its details

Everything is pure Python; only ``Digraph.render``/``pipe`` use the optional ``graphviz``
package (``pip install dagrad[viz]``) and Graphviz's ``dot`` program. Boxes carry PyTorch's node
names (``MulBackward0``, ``AccumulateGrad``), so a drawing matches the one torchviz makes for the
same PyTorch code. Every walk is iterative: graphs of any depth draw without RecursionError.
"""
from __future__ import annotations

from dagrad.viz._dot import GRAPHVIZ_MISSING, Digraph, make_dot
from dagrad.viz._svg import save_svg, to_html
from dagrad.viz._text import print_graph

__all__ = ["GRAPHVIZ_MISSING", "Digraph", "make_dot", "print_graph", "save_svg", "to_html"]
