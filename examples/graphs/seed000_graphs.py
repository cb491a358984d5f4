"""Draw the three autograd graphs of the "Autograd in PyTorch" lecture (seed 000).

Writes ``norm``, ``two_layer`` and ``blah`` as DOT text (``.dot``), as interactive HTML pages
(``.html``, open them in a browser), as SVG (``.svg``) and, when the ``graphviz`` package and
Graphviz's ``dot`` program are installed (``pip install dagrad[viz]``), as PNG pictures.

Run: python examples/graphs/seed000_graphs.py [output dir, default examples/graphs/out]
"""
from __future__ import annotations

import os
import sys
from typing import Any

import dagrad as torch
from dagrad.viz import make_dot, print_graph, save_svg, to_html


def norm_graph() -> tuple[Any, dict[str, Any]]:
    """``q = x.norm()``: one node and its leaf."""
    x = torch.tensor([1., 2., 2.]).requires_grad_()
    q = x.norm()
    return q, {"x": x}


def two_layer_graph() -> tuple[Any, dict[str, Any]]:
    """A two-layer tanh network and its squared-error loss."""
    w1 = torch.rand(20, 10).requires_grad_()
    b1 = torch.rand(20).requires_grad_()
    w2 = torch.rand(5, 20).requires_grad_()
    b2 = torch.rand(5).requires_grad_()
    x = torch.rand(10)
    h = torch.tanh(w1 @ x + b1)
    y = torch.tanh(w2 @ h + b2)
    target = torch.rand(5)
    loss = (y - target).pow(2).mean()
    return loss, {"w1": w1, "b1": b1, "w2": w2, "b2": b2}


def blah_graph() -> tuple[Any, dict[str, Any]]:
    """Weight sharing: the rows of one ``w`` used by two chains of different lengths."""
    w = torch.rand(3, 10, 10).requires_grad_()

    def blah(k: int, x: Any) -> Any:
        for i in range(k):
            x = torch.tanh(w[i] @ x)
        return x

    u = blah(1, torch.rand(10))
    v = blah(3, torch.rand(10))
    q = u.dot(v)
    return q, {"w": w}


GRAPHS = {"norm": norm_graph, "two_layer": two_layer_graph, "blah": blah_graph}


def main(out_dir: str) -> None:
    os.makedirs(out_dir, exist_ok=True)
    torch.manual_seed(0)
    try:
        import graphviz  # noqa: F401
        can_render = True
    except ImportError:
        can_render = False
    for name, make in GRAPHS.items():
        out, params = make()
        print(f"== {name}")
        print_graph(out, params)
        base = os.path.join(out_dir, name)
        dot = make_dot(out, params)
        dot.save(base + ".dot")
        to_html(out, base + ".html", params, title=f"seed 000: {name}")
        save_svg(out, base + ".svg", params)
        if can_render:
            dot.render(base, format="png", cleanup=True)    # writes <name>.png
    print(f"wrote {', '.join(GRAPHS)} (.dot .html .svg{' .png' if can_render else ''}) "
          f"to {out_dir}")
    if not can_render:
        print("for PNGs: pip install dagrad[viz], and Graphviz's `dot` program")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "out"))
