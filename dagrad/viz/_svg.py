"""``to_html`` and ``save_svg``: the graph drawn as SVG by dagrad itself (no Graphviz needed).

The SVG is self-contained (colours as attributes, each box with a ``<title>`` tooltip). The HTML
page wraps it with a legend, a details panel and a few lines of script: hovering a box shows
its details, clicking pins them and highlights its edges.
"""
from __future__ import annotations

import json
import os
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from dagrad.viz._graph import BASE, LEAF, OP, OUTPUT, SAVED, Outputs, Params, VGraph, build
from dagrad.viz._layout import layout

FONT = "DejaVu Sans Mono, Menlo, Consolas, monospace"
FONT_SIZE = 12
CHAR_W = 7.3          # width of one monospace character at FONT_SIZE (DejaVu: 0.6 em)
LINE_H = 15.0
PAD_X, PAD_Y = 10.0, 6.0

# (fill, stroke) per kind; the legend lists them in this order.
COLOURS = {
    OUTPUT: ("#c5e8a0", "#4f7f1f"),
    OP: ("#eceff1", "#607d8b"),
    LEAF: ("#bfdcf7", "#1f6fb8"),
    BASE: ("#dcedc8", "#6b8e23"),
    SAVED: ("#ffd9a8", "#d9822b"),
}
LEGEND = {OUTPUT: "output", OP: "graph node", LEAF: "leaf tensor", BASE: "view's base",
          SAVED: "saved tensor"}
EDGE_STYLE = {
    "input": 'stroke="#5f6b73" stroke-width="1.3" marker-end="url(#arrow)"',
    "output": 'stroke="#5f6b73" stroke-width="1.3" marker-end="url(#arrow)"',
    "view": 'stroke="#5f6b73" stroke-width="1.3" stroke-dasharray="2 3" marker-end="url(#arrow)"',
    "saved": 'stroke="#d9822b" stroke-width="1.2" stroke-dasharray="5 3"',
}


def _box_size(lines: tuple[str, ...]) -> tuple[float, float]:
    w = max(len(s) for s in lines) * CHAR_W + 2 * PAD_X
    return max(w, 36.0), len(lines) * LINE_H + 2 * PAD_Y


def _path_d(pts: list[tuple[float, float]]) -> str:
    """Smooth path through the points, leaving and entering each box vertically."""
    (x0, y0), rest = pts[0], pts[1:]
    d = [f"M{x0:.1f},{y0:.1f}"]
    for x1, y1 in rest:
        if x1 == x0:
            d.append(f"L{x1:.1f},{y1:.1f}")
        else:
            my = (y0 + y1) / 2
            d.append(f"C{x0:.1f},{my:.1f} {x1:.1f},{my:.1f} {x1:.1f},{y1:.1f}")
        x0, y0 = x1, y1
    return " ".join(d)


def _tooltip(n: Any) -> str:
    return "\n".join([n.title, *(f"{k}: {v}" for k, v in n.details)])


def svg_text(g: VGraph, standalone: bool = True) -> str:
    """The SVG drawing of a walked graph (``standalone`` adds the XML declaration)."""
    sizes = {n.id: _box_size(n.label) for n in g.nodes}
    lay = layout([n.id for n in g.nodes], sizes, [(e.src, e.dst) for e in g.edges])
    w, h = lay.width, lay.height
    out = []
    if standalone:
        out.append('<?xml version="1.0" encoding="UTF-8"?>')
    out.append(f'<svg xmlns="http://www.w3.org/2000/svg" class="dagrad-graph" '
               f'width="{w:.0f}" height="{h:.0f}" viewBox="0 0 {w:.0f} {h:.0f}" '
               f'font-family={quoteattr(FONT)} font-size="{FONT_SIZE}">')
    out.append("<defs>" + "".join(
        f'<marker id="{mid}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" '
        f'markerHeight="8" markerUnits="userSpaceOnUse" orient="auto">'
        f'<path d="M0,0 L10,5 L0,10 z" fill="{colour}"/></marker>'
        for mid, colour in (("arrow", "#5f6b73"), ("arrow-hl", "#c2185b"))) + "</defs>")
    out.append(f'<rect width="{w:.0f}" height="{h:.0f}" fill="#ffffff"/>')
    out.append('<g class="edges" fill="none">')
    for e, pts in zip(g.edges, lay.paths, strict=True):
        out.append(f'<path class="edge {e.kind}" data-src="{e.src}" data-dst="{e.dst}" '
                   f'd="{_path_d(pts)}" {EDGE_STYLE[e.kind]}/>')
    out.append('</g>')
    out.append('<g class="nodes">')
    for n in g.nodes:
        x, y, bw, bh = lay.boxes[n.id]
        fill, stroke = COLOURS[n.kind]
        out.append(f'<g class="node {n.kind}" id="{n.id}" data-id="{n.id}">')
        out.append(f'<title>{escape(_tooltip(n))}</title>')
        out.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bw:.1f}" height="{bh:.1f}" rx="6" '
                   f'ry="6" fill="{fill}" stroke="{stroke}" stroke-width="1.2"/>')
        cx = x + bw / 2
        for i, line in enumerate(n.label):
            ty = y + PAD_Y + LINE_H * i + LINE_H * 0.75
            weight = ' font-weight="bold"' if i == 0 and n.kind == OP else ""
            out.append(f'<text x="{cx:.1f}" y="{ty:.1f}" text-anchor="middle" '
                       f'xml:space="preserve" fill="#1b1f23"{weight}>{escape(line)}</text>')
        out.append('</g>')
    out.append('</g>')
    out.append('</svg>')
    return "\n".join(out) + "\n"


_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<style>
body {{ margin: 0; font: 14px system-ui, -apple-system, "Segoe UI", sans-serif; color: #1b1f23;
        display: flex; flex-direction: column; height: 100vh; }}
header {{ padding: 8px 14px; border-bottom: 1px solid #d0d7de; display: flex; gap: 18px;
          align-items: center; flex-wrap: wrap; }}
header h1 {{ font-size: 16px; margin: 0; }}
.legend span {{ display: inline-flex; align-items: center; gap: 5px; margin-right: 12px; }}
.legend i {{ width: 14px; height: 14px; border-radius: 4px; border: 1px solid; }}
main {{ flex: 1; display: flex; min-height: 0; }}
#canvas {{ flex: 1; overflow: auto; background: #fff; }}
#canvas svg {{ display: block; margin: 0 auto; }}
#panel {{ width: 340px; border-left: 1px solid #d0d7de; padding: 10px 14px; overflow: auto;
          background: #f6f8fa; }}
#panel h2 {{ font-size: 15px; margin: 4px 0 8px; font-family: monospace; word-break: break-all; }}
#panel table {{ border-collapse: collapse; font: 12px monospace; width: 100%; }}
#panel td {{ border-top: 1px solid #d0d7de; padding: 3px 4px; vertical-align: top;
             word-break: break-word; }}
#panel td:first-child {{ color: #57606a; white-space: nowrap; }}
#panel .hint {{ color: #57606a; }}
.node {{ cursor: pointer; }}
.node:hover rect, .node.sel rect {{ stroke: #c2185b; stroke-width: 2.2; }}
.node.nb rect {{ stroke: #c2185b; stroke-dasharray: 3 2; }}
.edge.hl {{ stroke: #c2185b; stroke-width: 2.2; }}
</style>
</head>
<body>
<header><h1>{title}</h1><div class="legend">{legend}</div>
<div class="hint">{summary}</div></header>
<main>
<div id="canvas">
{svg}</div>
<aside id="panel"><h2 id="p-title">Details</h2>
<p class="hint" id="p-hint">Hover over a box to see its details; click to keep them.</p>
<table id="p-rows"></table></aside>
</main>
<script>
const NODES = {data};
(function () {{
  let pinned = null;
  const svg = document.querySelector("svg.dagrad-graph");
  const edges = Array.from(svg.querySelectorAll(".edge"));
  function show(id) {{
    const rows = document.getElementById("p-rows");
    rows.textContent = "";
    const n = id === null ? null : NODES[id];
    document.getElementById("p-title").textContent = n ? n.title : "Details";
    document.getElementById("p-hint").style.display = n ? "none" : "";
    if (!n) return;
    for (const [k, v] of [["id", id], ["kind", n.kind]].concat(n.rows)) {{
      const tr = rows.insertRow();
      tr.insertCell().textContent = k;
      tr.insertCell().textContent = v;
    }}
  }}
  function highlight(id) {{
    svg.querySelectorAll(".sel, .nb").forEach(e => e.classList.remove("sel", "nb"));
    for (const e of edges) {{
      const on = id !== null && (e.dataset.src === id || e.dataset.dst === id);
      e.classList.toggle("hl", on);
      if (e.getAttribute("marker-end")) {{
        e.setAttribute("marker-end", on ? "url(#arrow-hl)" : "url(#arrow)");
      }}
      if (on) {{
        const other = e.dataset.src === id ? e.dataset.dst : e.dataset.src;
        document.getElementById(other).classList.add("nb");
      }}
    }}
    if (id !== null) document.getElementById(id).classList.add("sel");
  }}
  svg.querySelectorAll(".node").forEach(g => {{
    g.addEventListener("mouseenter", () => show(g.dataset.id));
    g.addEventListener("mouseleave", () => show(pinned));
    g.addEventListener("click", ev => {{
      pinned = pinned === g.dataset.id ? null : g.dataset.id;
      highlight(pinned); show(pinned); ev.stopPropagation();
    }});
  }});
  svg.addEventListener("click", () => {{ pinned = null; highlight(null); show(null); }});
  const start = decodeURIComponent(location.hash.slice(1));   // page.html#n3 opens on n3
  if (start in NODES) {{ pinned = start; highlight(start); show(start); }}
}})();
</script>
</body>
</html>
"""


def html_text(g: VGraph, title: str = "dagrad autograd graph") -> str:
    """The self-contained HTML page for a walked graph."""
    kinds = [k for k in COLOURS if any(n.kind == k for n in g.nodes)]
    legend = "".join(f'<span><i style="background:{COLOURS[k][0]};border-color:{COLOURS[k][1]}">'
                     f'</i>{LEGEND[k]}</span>' for k in kinds)
    n_ops = sum(n.kind == OP for n in g.nodes)
    summary = f"{n_ops} graph node{'s' if n_ops != 1 else ''}, {len(g.edges)} edges"
    data = {n.id: {"title": n.title, "kind": n.kind, "rows": [list(r) for r in n.details]}
            for n in g.nodes}
    # Inside <script>, "</script" would end it early and "<!--" confuses the parser: JSON may
    # write every "<" as "\u003c", and the page then holds no "<" from user text at all.
    js = json.dumps(data, ensure_ascii=False).replace("<", "\\u003c")
    return _PAGE.format(title=escape(title), legend=legend, summary=summary,
                        svg=svg_text(g, standalone=False), data=js)


def _write(path: str | os.PathLike, text: str) -> None:
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def to_html(var: Outputs, path: str | os.PathLike | None = None, params: Params = None, *,
            show_saved: bool = False, title: str = "dagrad autograd graph") -> str:
    """A self-contained HTML page drawing the graph behind ``var``; no dependency needed.

    The page holds an inline SVG (layered layout: leaves on top, the output at the bottom;
    colours for the output, graph nodes, leaf tensors and saved tensors) and a details panel:
    hover over a box for its name, shapes, ``next_functions`` and saved values; click to pin.

    Args:
        var: the output Tensor, or a tuple of them.
        path: if given, the page is written there too.
        params: names for tensors, e.g. ``dict(model.named_parameters())``.
        show_saved: also draw what each node saved for backward.
        title: the page's title.

    Returns:
        The HTML text.

    Example:
        >>> x = dagrad.tensor([1., 2., 2.], requires_grad=True)
        >>> page = to_html(x.norm(), "norm.html", params={"x": x})
    """
    text = html_text(build(var, params, show_saved=show_saved), title)
    if path is not None:
        _write(path, text)
    return text


def save_svg(var: Outputs, path: str | os.PathLike | None = None, params: Params = None, *,
             show_saved: bool = False) -> str:
    """Draw the graph behind ``var`` as a standalone SVG file (``to_html``'s drawing).

    Args:
        var: the output Tensor, or a tuple of them.
        path: where to write the SVG (nothing is written if None).
        params: names for tensors, e.g. ``dict(model.named_parameters())``.
        show_saved: also draw what each node saved for backward.

    Returns:
        The SVG text.
    """
    text = svg_text(build(var, params, show_saved=show_saved))
    if path is not None:
        _write(path, text)
    return text
