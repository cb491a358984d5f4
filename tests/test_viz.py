"""Tests for dagrad.viz: DOT text (parsed back), the text tree, the HTML/SVG drawing.

The three graphs of seed 000 are drawn and compared, node for node and edge for edge, with the
graph PyTorch builds for the same code (walked here independently), or with the names PyTorch
gives when it is not installed.
"""
from __future__ import annotations

import io
import json
import re
import shutil
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from html.parser import HTMLParser
from typing import Any, ClassVar

import pytest

import dagrad
from dagrad.viz import GRAPHVIZ_MISSING, Digraph, make_dot, print_graph, save_svg, to_html

SVG_NS = "{http://www.w3.org/2000/svg}"


# ------------------------------------------------------------------------------ a tiny DOT parser
_NODE = re.compile(r'^\s*(\w+) \[(.*)\]$')
_EDGE = re.compile(r'^\s*(\w+) -> (\w+)(?: \[(.*)\])?$')
_ATTR = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def _attrs(text: str | None) -> dict[str, str]:
    return {k: v.replace("\\n", "\n").replace('\\"', '"') for k, v in _ATTR.findall(text or "")}


def parse_dot(source: str) -> tuple[dict[str, dict[str, str]], list[tuple[str, str, dict]]]:
    """``({id: attrs}, [(tail, head, attrs), ...])`` in statement order; header lines skipped."""
    nodes: dict[str, dict[str, str]] = {}
    edges: list[tuple[str, str, dict]] = []
    lines = source.strip().splitlines()
    assert lines[0] == "digraph {" and lines[-1] == "}"
    for line in lines[1:-1]:
        if m := _EDGE.match(line):
            edges.append((m[1], m[2], _attrs(m[3])))
        elif (m := _NODE.match(line)) and m[1] not in ("graph", "node", "edge"):
            assert m[1] not in nodes, f"node {m[1]} declared twice"
            nodes[m[1]] = _attrs(m[2])
    return nodes, edges


def dot_structure(source: str) -> dict[str, Any]:
    """What the comparison with PyTorch looks at, read back from the DOT text."""
    nodes, edges = parse_dot(source)
    ops = [k for k, a in nodes.items() if "fillcolor" not in a]     # grey boxes: graph nodes
    index = {k: i for i, k in enumerate(ops)}                        # statement order = pre-order
    return {
        "names": [nodes[k]["label"] for k in ops],
        "edges": [(index[a], index[b]) for a, b, _ in edges if a in index and b in index],
        "leaves": sorted(a["label"] for a in nodes.values() if a.get("fillcolor") == "lightblue"),
        "outputs": [a["label"] for a in nodes.values() if a.get("fillcolor") == "darkolivegreen1"],
    }


def torch_structure(out: Any, params: dict[str, Any]) -> dict[str, Any]:
    """The same, walked directly on a PyTorch (or dagrad) graph: pre-order, next_functions order."""
    names = {id(t): k for k, t in params.items()}
    order: dict[Any, int] = {out.grad_fn: 0}
    edges, leaves = [], []
    stack = [(out.grad_fn, iter(out.grad_fn.next_functions))]
    while stack:
        fn, it = stack[-1]
        for u, _ in it:
            if u is None:
                continue
            first = u not in order
            if first:
                order[u] = len(order)
            edges.append((order[u], order[fn]))
            if first:
                if hasattr(u, "variable"):
                    leaves.append(f"{names[id(u.variable)]}\n{tuple(u.variable.shape)}")
                stack.append((u, iter(u.next_functions)))
                break
        else:
            stack.pop()
    return {"names": [type(fn).__name__ for fn in order], "edges": edges,
            "leaves": sorted(leaves), "outputs": [str(tuple(out.shape))]}


# ------------------------------------------------------------------------ seed 000's three graphs
def norm_graph(lib: Any) -> tuple[Any, dict[str, Any]]:
    x = lib.tensor([1., 2., 2.]).requires_grad_()
    q = x.norm()
    return q, {"x": x}


def two_layer_graph(lib: Any) -> tuple[Any, dict[str, Any]]:
    w1 = lib.rand(20, 10).requires_grad_()
    b1 = lib.rand(20).requires_grad_()
    w2 = lib.rand(5, 20).requires_grad_()
    b2 = lib.rand(5).requires_grad_()
    x = lib.rand(10)
    h = lib.tanh(w1 @ x + b1)
    y = lib.tanh(w2 @ h + b2)
    target = lib.rand(5)
    loss = (y - target).pow(2).mean()
    return loss, {"w1": w1, "b1": b1, "w2": w2, "b2": b2}


def blah_graph(lib: Any) -> tuple[Any, dict[str, Any]]:
    w = lib.rand(3, 10, 10).requires_grad_()

    def blah(k: int, x: Any) -> Any:
        for i in range(k):
            x = lib.tanh(w[i] @ x)
        return x

    u = blah(1, lib.rand(10))
    v = blah(3, lib.rand(10))
    q = u.dot(v)
    return q, {"w": w}


SEED_GRAPHS = {"norm": norm_graph, "two_layer": two_layer_graph, "blah": blah_graph}

# PyTorch 2.13's graphs for the same code: node names and (input, consumer) edges by name.
TORCH_NAMES = {
    "norm": Counter({"LinalgVectorNormBackward0": 1, "AccumulateGrad": 1}),
    "two_layer": Counter({"AccumulateGrad": 4, "AddBackward0": 2, "MvBackward0": 2,
                          "TanhBackward0": 2, "MeanBackward0": 1, "PowBackward0": 1,
                          "SubBackward0": 1}),
    "blah": Counter({"MvBackward0": 4, "SelectBackward0": 4, "TanhBackward0": 4,
                     "DotBackward0": 1, "AccumulateGrad": 1}),
}
TORCH_EDGES = {
    "norm": Counter({
        ("AccumulateGrad", "LinalgVectorNormBackward0"): 1}),
    "two_layer": Counter({
        ("AccumulateGrad", "AddBackward0"): 2, ("AccumulateGrad", "MvBackward0"): 2,
        ("AddBackward0", "TanhBackward0"): 2, ("MvBackward0", "AddBackward0"): 2,
        ("TanhBackward0", "MvBackward0"): 1, ("TanhBackward0", "SubBackward0"): 1,
        ("SubBackward0", "PowBackward0"): 1, ("PowBackward0", "MeanBackward0"): 1}),
    "blah": Counter({
        ("AccumulateGrad", "SelectBackward0"): 4, ("SelectBackward0", "MvBackward0"): 4,
        ("MvBackward0", "TanhBackward0"): 4, ("TanhBackward0", "MvBackward0"): 2,
        ("TanhBackward0", "DotBackward0"): 2}),
}
LEAVES = {
    "norm": ["x\n(3,)"],
    "two_layer": ["b1\n(20,)", "b2\n(5,)", "w1\n(20, 10)", "w2\n(5, 20)"],
    "blah": ["w\n(3, 10, 10)"],
}


@pytest.mark.parametrize("graph", SEED_GRAPHS)
def test_seed000_dot_has_pytorch_names_and_edges(graph: str) -> None:
    out, params = SEED_GRAPHS[graph](dagrad)
    s = dot_structure(make_dot(out, params=params).source)
    assert Counter(s["names"]) == TORCH_NAMES[graph]
    edges = Counter((s["names"][a], s["names"][b]) for a, b in s["edges"])
    assert edges == TORCH_EDGES[graph]
    assert s["leaves"] == LEAVES[graph]
    assert s["outputs"] == ["()"]
    # The DOT agrees with a direct walk of dagrad's own graph, order included.
    assert s == torch_structure(out, params)


@pytest.mark.parametrize("graph", SEED_GRAPHS)
def test_seed000_dot_matches_pytorch_graph(graph: str) -> None:
    torch = pytest.importorskip("torch")
    out, params = SEED_GRAPHS[graph](dagrad)
    theirs = torch_structure(*SEED_GRAPHS[graph](torch))
    # Same names in the same pre-order, the same edges between the same positions.
    assert dot_structure(make_dot(out, params=params).source) == theirs


def test_weight_shared_leaf_drawn_once_with_an_edge_per_use() -> None:
    out, params = blah_graph(dagrad)
    nodes, edges = parse_dot(make_dot(out, params=params).source)
    (w_id,) = [k for k, a in nodes.items() if a.get("label") == "w\n(3, 10, 10)"]
    (acc,) = [k for k, a in nodes.items() if a.get("label") == "AccumulateGrad"]
    assert [(a, b) for a, b, _ in edges if a == w_id] == [(w_id, acc)]
    consumers = [nodes[b]["label"] for a, b, _ in edges if a == acc]
    assert consumers == ["SelectBackward0"] * 4
    assert len({b for a, b, _ in edges if a == acc}) == 4


def test_dot_source_golden() -> None:
    x = dagrad.tensor([1., 2., 2.]).requires_grad_()
    dot = make_dot(x.norm(), params={"x": x})
    assert str(dot) == dot.source == (
        'digraph {\n'
        '\tgraph [size="12,12"]\n'
        '\tnode [style="filled" shape="box" align="left" fontsize="10" ranksep="0.1" '
        'height="0.2" fontname="monospace"]\n'
        '\tn0 [label="()" fillcolor="darkolivegreen1"]\n'
        '\tn1 [label="LinalgVectorNormBackward0"]\n'
        '\tn3 [label="x\\n(3,)" fillcolor="lightblue"]\n'
        '\tn2 [label="AccumulateGrad"]\n'
        '\tn2 -> n1\n'
        '\tn3 -> n2\n'
        '\tn1 -> n0\n'
        '}\n')


def test_repeated_input_gives_one_node_two_edges() -> None:
    x = dagrad.tensor([1., 2.], requires_grad=True)
    nodes, edges = parse_dot(make_dot((x * x).sum(), params={"x": x}).source)
    names = [a["label"] for a in nodes.values()]
    assert names.count("AccumulateGrad") == 1 and names.count("x\n(2,)") == 1
    into_mul = [nodes[a]["label"] for a, b, _ in edges if nodes[b]["label"] == "MulBackward0"]
    assert into_mul == ["AccumulateGrad", "AccumulateGrad"]


def test_tuple_of_outputs_shares_subgraph() -> None:
    x = dagrad.tensor([1., 2.], requires_grad=True)
    h = x.exp()
    a, b = h.sum(), (h * 2).mean()
    nodes, edges = parse_dot(make_dot((a, b), params={"x": x}).source)
    labels = Counter(n["label"] for n in nodes.values())
    assert labels["ExpBackward0"] == 1 and labels["AccumulateGrad"] == 1
    assert sum(n.get("fillcolor") == "darkolivegreen1" for n in nodes.values()) == 2
    (exp,) = [k for k, n in nodes.items() if n["label"] == "ExpBackward0"]
    assert sorted(nodes[b]["label"] for a, b, _ in edges if a == exp) == ["MulBackward0",
                                                                          "SumBackward0"]


def test_unnamed_leaf_and_constant_inputs() -> None:
    x = dagrad.tensor([[1., 2.]], requires_grad=True)
    nodes, edges = parse_dot(make_dot(x * 3).source)       # (None, 0) edges are not drawn
    assert sorted(n["label"] for n in nodes.values()) == ["(1, 2)", "(1, 2)", "AccumulateGrad",
                                                          "MulBackward0"]
    assert len(edges) == 3


def test_view_output_draws_its_base_dotted() -> None:
    x = dagrad.tensor([1., 2., 3.], requires_grad=True)
    y = x * 2
    z = y.view(3, 1)
    nodes, edges = parse_dot(make_dot(z).source)
    (base,) = [k for k, n in nodes.items() if n.get("fillcolor") == "darkolivegreen3"]
    (out,) = [k for k, n in nodes.items() if n.get("fillcolor") == "darkolivegreen1"]
    assert nodes[base]["label"] == "(3,)" and nodes[out]["label"] == "(3, 1)"
    assert (base, out, {"style": "dotted"}) in edges


def test_show_saved_draws_saved_tensors() -> None:
    x = dagrad.tensor([1., 2., 2.]).requires_grad_()
    nodes, edges = parse_dot(make_dot(x.norm(), params={"x": x}, show_saved=True).source)
    saved = {k: n["label"] for k, n in nodes.items() if n.get("fillcolor") == "orange"}
    assert sorted(saved.values()) == ["result\n3.", "self\n(3,)"]    # a scalar shows its value
    (norm,) = [k for k, n in nodes.items() if n["label"] == "LinalgVectorNormBackward0"]
    assert sorted(b for a, b, at in edges if a == norm and at == {"dir": "none"}) == sorted(saved)


def test_show_attrs_table() -> None:
    x = dagrad.tensor([1., 2., 2.]).requires_grad_()
    nodes, _ = parse_dot(make_dot(x.norm(), show_attrs=True).source)
    label = next(n["label"] for n in nodes.values() if n["label"].startswith("LinalgVector"))
    assert label.splitlines() == [
        "LinalgVectorNormBackward0",
        "-------------------------",
        "dim    :           None",
        "keepdim:          False",
        "ord    :              2",
        "result : [saved tensor]",
        "self   : [saved tensor]",
    ]
    nodes, _ = parse_dot(make_dot(x.norm(), show_attrs=True, max_attr_chars=5).source)
    label = next(n["label"] for n in nodes.values() if n["label"].startswith("LinalgVector"))
    assert "result : [s..." in label.splitlines()


def test_after_backward_freed_values_do_not_break_drawing() -> None:
    x = dagrad.tensor([1., 2., 2.]).requires_grad_()
    q = x.norm()
    q.backward()
    nodes, _ = parse_dot(make_dot(q, show_attrs=True, show_saved=True).source)
    assert not any(n.get("fillcolor") == "orange" for n in nodes.values())
    assert any("freed by backward" in n["label"] for n in nodes.values())
    assert "freed by backward()" in to_html(q)


def test_bad_arguments_raise_type_error() -> None:
    x = dagrad.tensor([1.], requires_grad=True)
    with pytest.raises(TypeError, match="expected a Tensor or a tuple of Tensors, got list"):
        make_dot([[1.0]])
    with pytest.raises(TypeError, match=r"params\['w'\] is a list"):
        make_dot(x * 2, params={"w": [1.0]})
    with pytest.raises(TypeError, match="got int at index 1"):
        print_graph((x, 3))


def test_params_may_be_pairs() -> None:
    x = dagrad.tensor([1.], requires_grad=True)
    assert "AccumulateGrad  w (1,)" in _tree(x.exp(), iter([("w", x)]))


# ------------------------------------------------------------------------------------ rendering
def test_render_without_graphviz_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "graphviz", None)          # `import graphviz` fails
    x = dagrad.tensor([1.], requires_grad=True)
    dot = make_dot(x.exp())
    for call in (lambda: dot.pipe("svg"), lambda: dot.render("g", format="png")):
        with pytest.raises(ImportError) as info:
            call()
        assert str(info.value) == GRAPHVIZ_MISSING
    assert "pip install dagrad[viz]" in GRAPHVIZ_MISSING and "`dot` program" in GRAPHVIZ_MISSING
    svg = dot._repr_svg_()                      # the notebook falls back to dagrad's own drawing
    assert ET.fromstring(svg.split("?>", 1)[1]).tag == SVG_NS + "svg"
    assert Digraph()._repr_svg_() is None


def test_render_with_graphviz(tmp_path: Any) -> None:
    pytest.importorskip("graphviz")
    if shutil.which("dot") is None:
        pytest.skip("Graphviz's dot program is not installed")
    out, params = two_layer_graph(dagrad)
    dot = make_dot(out, params=params)
    path = dot.render(str(tmp_path / "two_layer"), format="png")
    assert path.endswith("two_layer.png")
    assert (tmp_path / "two_layer.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = dot.pipe("svg").decode()
    assert "MvBackward0" in svg and "w1" in svg
    assert "AccumulateGrad" in dot._repr_svg_()


# ----------------------------------------------------------------------------------- print_graph
def _tree(var: Any, params: Any = None) -> str:
    buf = io.StringIO()
    print_graph(var, params=params, file=buf)
    return buf.getvalue()


def test_print_graph_golden() -> None:
    x = dagrad.tensor([1., -2., 3., -4.], requires_grad=True)
    assert _tree(x.abs().sum(), {"x": x}) == (
        "SumBackward0\n"
        "└── AbsBackward0\n"
        "    └── AccumulateGrad  x (4,)\n")


def test_print_graph_shared_nodes_once() -> None:
    x = dagrad.tensor([1., 2.], requires_grad=True)
    e = x.exp()
    y = (e * e).sum() + x.sin().sum()
    assert _tree(y, {"x": x}) == (
        "AddBackward0\n"
        "├── SumBackward0\n"
        "│   └── MulBackward0\n"
        "│       ├── ExpBackward0\n"
        "│       │   └── AccumulateGrad  x (2,)\n"
        "│       └── ExpBackward0  (see above)\n"
        "└── SumBackward0\n"
        "    └── SinBackward0\n"
        "        └── AccumulateGrad  x (2,)  (see above)\n")


def test_print_graph_seed000_blah() -> None:
    out, params = blah_graph(dagrad)
    lines = _tree(out, params).splitlines()
    assert lines[0] == "DotBackward0"
    assert [ln.strip(" │├└─") for ln in lines].count("AccumulateGrad  w (3, 10, 10)") == 1
    assert sum(ln.endswith("AccumulateGrad  w (3, 10, 10)  (see above)") for ln in lines) == 3


def test_print_graph_leaves_and_tuples() -> None:
    x = dagrad.tensor([1., 2.], requires_grad=True)
    assert _tree(x, {"x": x}) == "x (2,)  (a leaf, no grad_fn)\n"
    assert _tree(dagrad.ones(3)) == "(3,)  (no grad_fn)\n"
    assert _tree((x.exp(), x.exp().sum()), {"x": x}) == (
        "ExpBackward0\n"
        "└── AccumulateGrad  x (2,)\n"
        "SumBackward0\n"
        "└── ExpBackward0\n"
        "    └── AccumulateGrad  x (2,)  (see above)\n")


def _chain(n: int) -> tuple[Any, Any]:
    x = dagrad.tensor([1.], requires_grad=True)
    y = x
    for _ in range(n):
        y = y * 1.0
    return y, x


def test_deep_chain_prints_and_draws_without_recursion() -> None:
    y, x = _chain(10_000)
    lines = _tree(y, {"x": x}).splitlines()
    assert len(lines) == 10_001
    assert lines[0] == "MulBackward0" and lines[1] == "└── MulBackward0"
    assert lines[-1] == "…   " + "    " * 30 + "└── AccumulateGrad  x (1,)"  # Note [Bounded indent]
    assert max(len(ln) for ln in lines) < 160
    nodes, edges = parse_dot(make_dot(y).source)
    assert len(nodes) == 10_003 and len(edges) == 10_002
    page = to_html(y)
    assert page.count('class="node op"') == 10_001


# ----------------------------------------------------------------------------- to_html, save_svg
class _TagChecker(HTMLParser):
    """Fails on a closing tag that does not match the open one; collects script bodies."""

    # HTML's void elements, and the SVG elements the drawing writes self-closed.
    VOID: ClassVar[set[str]] = {"meta", "br", "img", "input", "link", "hr", "col", "area",
                                "base", "wbr", "path", "rect", "circle", "line"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.scripts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list) -> None:
        pass

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes {self.stack[-1:]}"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        if self.stack and self.stack[-1] == "script":
            self.scripts.append(data)


@pytest.mark.parametrize("graph", SEED_GRAPHS)
def test_to_html_is_well_formed_and_names_every_node(graph: str, tmp_path: Any) -> None:
    out, params = SEED_GRAPHS[graph](dagrad)
    path = tmp_path / f"{graph}.html"
    page = to_html(out, str(path), params=params)
    assert path.read_text(encoding="utf-8") == page
    assert page.startswith("<!DOCTYPE html>")

    checker = _TagChecker()
    checker.feed(page)
    checker.close()
    assert checker.stack == []

    svg = ET.fromstring(page[page.index("<svg"):page.index("</svg>") + len("</svg>")])
    groups = svg.findall(f".//{SVG_NS}g[@data-id]")
    texts = [" ".join(t.text or "" for t in g.iter(f"{SVG_NS}text")) for g in groups]
    s = dot_structure(make_dot(out, params=params).source)
    for name in set(s["names"]):
        assert name in texts
    for leaf in s["leaves"]:
        assert leaf.replace("\n", " ") in texts
    ids = {g.get("data-id") for g in groups}
    paths = svg.findall(f".//{SVG_NS}path[@data-src]")
    assert len(groups) == len(parse_dot(make_dot(out, params=params).source)[0])
    assert len(paths) == len(s["edges"]) + len(s["leaves"]) + 1      # + leaf and output edges
    assert all(p.get("data-src") in ids and p.get("data-dst") in ids for p in paths)

    script = "".join(checker.scripts)
    data = json.loads(re.search(r"const NODES = (\{.*?\});\n", script, re.DOTALL)[1])
    assert set(data) == ids
    op_rows = [dict(d["rows"]) for d in data.values() if d["kind"] == "op"]
    assert sorted(d["title"] for d in data.values() if d["kind"] == "op") == sorted(s["names"])
    assert all("output 0" in r for r in op_rows)                  # every node knows its shape


def test_html_details_name_shapes_and_next_functions() -> None:
    out, params = two_layer_graph(dagrad)
    page = to_html(out, params=params)
    data = json.loads(re.search(r"const NODES = (\{.*?\});\n", page, re.DOTALL)[1])
    mean = next(d for d in data.values() if d["title"] == "MeanBackward0")
    rows = dict(mean["rows"])
    assert rows["output 0"] == "() float32"
    assert re.fullmatch(r"\(PowBackward0 \[n\d+\], 0\)", rows["next_functions[0]"])
    w1 = next(d for d in data.values() if d["title"] == "leaf tensor w1")
    assert dict(w1["rows"])["shape"] == "(20, 10)"


def test_html_escapes_names_and_script() -> None:
    x = dagrad.tensor([1.], requires_grad=True)
    page = to_html(x.exp(), params={"<b>&</script>": x}, title="a < b")
    assert "<b>&" not in page and "</script>\"" not in page
    checker = _TagChecker()
    checker.feed(page)
    assert checker.stack == []
    data = json.loads(re.search(r"const NODES = (\{.*?\});\n", page, re.DOTALL)[1])
    assert any(d["title"] == "leaf tensor <b>&</script>" for d in data.values())


def test_save_svg_and_show_saved(tmp_path: Any) -> None:
    x = dagrad.tensor([1., 2., 2.]).requires_grad_()
    path = tmp_path / "g.svg"
    text = save_svg(x.norm(), str(path), params={"x": x}, show_saved=True)
    assert path.read_text(encoding="utf-8") == text
    root = ET.parse(path).getroot()
    assert root.tag == SVG_NS + "svg"
    kinds = Counter(g.get("class") for g in root.iter(f"{SVG_NS}g") if g.get("data-id"))
    assert kinds == {"node output": 1, "node op": 2, "node leaf": 1, "node saved": 2}
    saved_edges = [p for p in root.iter(f"{SVG_NS}path") if "saved" in (p.get("class") or "")]
    assert len(saved_edges) == 2 and all(p.get("marker-end") is None for p in saved_edges)


def test_layout_keeps_boxes_apart() -> None:
    out, params = blah_graph(dagrad)
    root = ET.fromstring(save_svg(out, params=params).split("?>", 1)[1])
    boxes = [tuple(float(r.get(k)) for k in ("x", "y", "width", "height"))
             for g in root.iter(f"{SVG_NS}g") if g.get("data-id")
             for r in g.iter(f"{SVG_NS}rect")]
    assert len(boxes) == 16
    for i, (x1, y1, w1, h1) in enumerate(boxes):
        for x2, y2, w2, h2 in boxes[i + 1:]:
            assert x1 + w1 <= x2 or x2 + w2 <= x1 or y1 + h1 <= y2 or y2 + h2 <= y1
    # Edges run downward: an input is drawn above the node that consumes it.
    for p in root.iter(f"{SVG_NS}path"):
        if p.get("data-src"):
            ys = [float(v) for v in re.findall(r"-?\d+\.?\d*,(-?\d+\.?\d*)", p.get("d"))]
            assert ys[0] < ys[-1]
