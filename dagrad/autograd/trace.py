"""``dagrad.autograd.trace``: step through a backward pass, node by node.

    with dagrad.autograd.trace() as t:
        loss.backward()
    print(t.summary())          # one line per node: grads in -> grads out, and the formula
    t.to_html("backward.html")  # the same as an HTML page (with the graph drawn above it)

Each step records the node, the shape and L2 norm of every gradient that reached it
(``grad_outputs``) and that it sent on (``grad_inputs``), and the derivative formula it applied,
as text taken from the op's ``defop`` source (``MulBackward0: grad_self = grad * other``; Note
[Formula text]). The first node whose outgoing gradients hold NaN or inf although its incoming
ones were finite is named with the likely cause (``input 0 (self) had a zero``).

Tracing only reads: gradients are the same with and without it.
"""
from __future__ import annotations

import ast
import copy
import html
import inspect
import linecache
import sys
import types
import weakref
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Self

import numpy as np


class GradInfo(NamedTuple):
    """One gradient seen by a step: its shape, its L2 norm, and whether all of it is finite."""

    shape: tuple[int, ...]
    norm: float
    finite: bool

    def __str__(self) -> str:
        return f"{list(self.shape)} {self.norm:.4g}"


@dataclass
class TraceEvent:
    """One backward node, as it ran.

    Attributes:
        step: 1 for the first node the engine ran, then 2, 3...
        node: the node's class name (``MulBackward0``, ``AccumulateGrad``).
        seq: the node's sequence number (``grad_fn._sequence_nr()``), to find it again.
        grad_outputs: the gradients that reached the node, one per forward output (None where
            no gradient came).
        grad_inputs: the gradients it returned, one per forward input (None for inputs that
            need none).
        formulas: ``grad_<input> = <expression>`` for each gradient it computed.
        nonfinite: some gradient it returned holds NaN or inf.
        cause: for the first node that made a non-finite gradient, what was zero or non-finite.
    """

    step: int
    node: str
    seq: int
    grad_outputs: list[GradInfo | None]
    grad_inputs: list[GradInfo | None]
    formulas: list[str]
    nonfinite: bool = False
    cause: str = ""
    _leaf: Any = field(default=None, repr=False, compare=False)

    @property
    def formula(self) -> str:
        """``MulBackward0: grad_self = grad * other, grad_other = grad * self``."""
        return f"{self.node}: " + ", ".join(self.formulas)


class trace:
    """Record every node a backward pass runs (see the module docstring).

    Attributes:
        events: the TraceEvents, in the order the engine ran the nodes.
        first_nonfinite: the first event that turned finite gradients into NaN/inf, or None.

    Example:
        >>> x = dagrad.tensor([2., 3.], requires_grad=True)
        >>> with dagrad.autograd.trace() as t:
        ...     (x * x).sum().backward()
        >>> [e.node for e in t.events][:2]
        ['SumBackward0', 'MulBackward0']
        >>> t.events[1].formulas
        ['grad_self = grad * other', 'grad_other = grad * self']
    """

    def __init__(self) -> None:
        self.events: list[TraceEvent] = []
        self.first_nonfinite: TraceEvent | None = None
        self._entered = False
        self._root: Any = None               # weakref to the first node run (for the drawing)
        self._params: list[tuple[str, Any]] = []
        self._bad_formulas: list[str] = []

    def __enter__(self) -> Self:
        from dagrad.autograd import engine
        if self._entered:
            raise RuntimeError("a dagrad.autograd.trace() block cannot be entered twice")
        self._entered = True
        engine.OBSERVERS.append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        from dagrad.autograd import engine
        engine.OBSERVERS[:] = [o for o in engine.OBSERVERS if o is not self]
        names = _caller_names(sys._getframe(1))
        self._params = [(n, weakref.ref(t)) for n, t in names.values()]
        for e in self.events:
            if e._leaf is not None:
                e.formulas = [_accumulate_text(e._leaf, names)]
                e._leaf = None

    # -- Note [Observing backward]
    def node_begin(self, node: Any, grad_outputs: list) -> None:
        return None

    def node_end(self, token: None, node: Any, grad_outputs: list, grad_inputs: Any) -> None:
        if self._root is None:
            self._root = weakref.ref(node)
        gin = [_info(g) for g in grad_outputs]
        gout = [_info(g) for g in grad_inputs]
        real = all(g is None or g._data.dtype.kind != "c" for g in grad_outputs)
        ev = TraceEvent(step=len(self.events) + 1, node=type(node).__name__, seq=node._seq,
                        grad_outputs=gin, grad_inputs=gout, formulas=[])
        if type(node).__name__ == "AccumulateGrad":
            ev._leaf = node.variable
            ev.formulas = [_accumulate_text(node.variable, {})]
        else:
            ev.formulas = _node_formulas(node, grad_inputs, real)
        ev.nonfinite = any(g is not None and not g.finite for g in gout)
        if (ev.nonfinite and self.first_nonfinite is None
                and all(g is None or g.finite for g in gin)):
            ev.cause = _cause(node, gout)
            self._bad_formulas = _node_formulas(node, grad_inputs, real, only_nonfinite=gout)
            self.first_nonfinite = ev
        self.events.append(ev)

    # -- reports
    def summary(self) -> str:
        """A table, one line per node: ``step  node  grads in -> grads out  formula``.

        The last line names the first node that produced NaN/inf, if any.
        """
        head = ("step", "node", "grad in (shape norm)", "grad out (shape norm)", "formula")
        rows = [(f"{e.step}{'!' if e.nonfinite else ''}", e.node, _infos(e.grad_outputs),
                 _infos(e.grad_inputs), ", ".join(e.formulas)) for e in self.events]
        widths = [max(len(r[i]) for r in [head, *rows]) for i in range(4)]
        lines = []
        for r in [head, *rows]:
            lines.append(f"{r[0]:>{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]:<{widths[2]}}  "
                         f"{'->' if r is not head else '  '}  {r[3]:<{widths[3]}}  {r[4]}"
                         .rstrip())
        lines.append(self._verdict())
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def _verdict(self) -> str:
        e = self.first_nonfinite
        if e is None:
            return "no non-finite gradients"
        cause = f" \u2014 {e.cause}" if e.cause else ""
        formulas = ", ".join(self._bad_formulas or e.formulas)
        return f"first non-finite gradient: {e.node} (step {e.step}): {formulas}{cause}"

    def to_html(self, path: str | None = None) -> str:
        """The steps as a self-contained HTML page; the graph drawing (``dagrad.viz``) above.

        Args:
            path: if given, the page is written there too.

        Returns:
            The HTML text.
        """
        rows = []
        for e in self.events:
            cls = ' class="bad"' if e.nonfinite else ""
            first = " first" if e is self.first_nonfinite else ""
            rows.append(
                f'<tr{cls}><td class="n{first}">{e.step}</td><td>{html.escape(e.node)}</td>'
                f"<td>{html.escape(_infos(e.grad_outputs))}</td>"
                f"<td>{html.escape(_infos(e.grad_inputs))}</td>"
                f"<td><code>{html.escape(', '.join(e.formulas))}</code></td></tr>")
        page = _PAGE.format(graph=self._graph_html(), verdict=html.escape(self._verdict()),
                            rows="\n".join(rows))
        if path is not None:
            with open(path, "w", encoding="utf-8") as f:
                f.write(page)
        return page

    def _graph_html(self) -> str:
        # The drawing needs the graph still alive (the loss not yet dropped) and dagrad.viz.
        root = self._root() if self._root is not None else None
        if root is None:
            return ""
        try:
            from dagrad import viz
            from dagrad._tensor import Tensor
        except ImportError:
            return ""
        to_html = getattr(viz, "to_html", None)
        if to_html is None:
            return ""
        shape = self.events[0].grad_outputs[0].shape if self.events[0].grad_outputs[0] else ()
        out = Tensor._make(np.zeros(shape))      # stands for the output: only its grad_fn is read
        out.grad_fn, out._rg, out._out_nr = root, True, 0
        params = [(n, r()) for n, r in self._params if r() is not None]
        try:
            page = to_html(out, params=params, title="graph")
        except Exception:  # noqa: BLE001  (the drawing is a bonus: never fail the report)
            return ""
        return (f'<iframe class="graph" srcdoc="{html.escape(page, quote=True)}"></iframe>')


_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>dagrad backward trace</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 1.5em; }}
iframe.graph {{ width: 100%; height: 60vh; border: 1px solid #ccc; }}
table {{ border-collapse: collapse; font-size: 14px; }}
th, td {{ border-bottom: 1px solid #ddd; padding: 4px 10px; text-align: left;
         vertical-align: top; }}
td.n {{ text-align: right; }}
tr.bad td {{ background: #fde8e8; }}
td.first {{ font-weight: bold; color: #b00; }}
code {{ white-space: pre-wrap; }}
p.verdict {{ font-weight: bold; }}
</style></head><body>
<h1>Backward, step by step</h1>
{graph}
<p class="verdict">{verdict}</p>
<table>
<tr><th>step</th><th>node</th><th>grad in (shape norm)</th><th>grad out (shape norm)</th>
<th>formula</th></tr>
{rows}
</table>
</body></html>
"""


def _info(g: Any) -> GradInfo | None:
    if g is None:
        return None
    a = np.asarray(g._data)
    if a.dtype.kind == "b":
        a = a.astype(np.float64)
    finite = bool(np.isfinite(a).all())
    with np.errstate(over="ignore", invalid="ignore"):
        norm = float(np.linalg.norm(a.ravel())) if a.size else 0.0
    return GradInfo(tuple(a.shape), norm, finite)


def _infos(infos: list[GradInfo | None]) -> str:
    return ", ".join("None" if i is None else str(i) for i in infos) or "-"


# -------------------------------------------------------------------------- formulas as text
def _input_params(node: Any) -> list[str]:
    """For each of a registered op node's gradients, the forward parameter it is for."""
    op = type(node)._op
    layout = node._extra.get("layout") if node._extra else None
    out = []
    for p in op.diff_params:
        n = layout[p] if layout is not None and p in layout else 1
        out.extend([p] * n)
    return out


def _node_formulas(node: Any, grad_inputs: Any, real: bool,
                   only_nonfinite: list | None = None) -> list[str]:
    op = getattr(type(node), "_op", None)
    if op is None or not getattr(op, "formulas", None):
        fwd = getattr(type(node), "_forward_cls", None)
        if fwd is not None:
            return [f"{fwd.__name__}.backward (a custom Function)"]
        return [f"{type(node).__name__} (no registered formula)"]
    params = _input_params(node)
    done = []
    out = []
    for i, p in enumerate(params):
        g = grad_inputs[i] if i < len(grad_inputs) else None
        if g is None or p in done:
            continue
        if only_nonfinite is not None and (only_nonfinite[i] is None or only_nonfinite[i].finite):
            continue
        done.append(p)
        out.append(f"grad_{p} = {formula_text(op.formulas[p].fn, _known_args(node, op, p), real)}")
    return out


def _known_args(node: Any, op: Any, p: str) -> dict:
    """The formula's saved arguments that are not tensors (``dim``, ``rounding_mode``...)."""
    known = {}
    saved = node._saved if isinstance(node._saved, dict) else {}
    for a in op.saves_for.get(p, ()):
        v = saved.get(a)
        if a in saved and not _is_tensorish(v):
            known[a] = v
    return known


def _is_tensorish(v: Any) -> bool:
    from dagrad.autograd.graph import SavedTensor
    if isinstance(v, SavedTensor):
        return True
    return isinstance(v, tuple) and bool(v) and isinstance(v[0], SavedTensor)


# Note [Formula text]
# A formula is found in its source file by line (``co_firstlineno``): a lambda in the ``grads``
# dict prints as its body; a ``def`` prints as the expression it returns on the path taken, found
# by following ``if``s whose tests only read non-tensor arguments (``rounding_mode is None``,
# ``ord == 2``) and inlining local assignments; anything else prints as ``name(args)``.
# ``_conj(x)`` and ``conj(x)`` are dropped when the gradients are real (they are the identity
# there), and a private module prefix (``_formulas.sum_backward``) is dropped.
_PARSED: dict[str, Any] = {}                  # file -> index of its lambdas and defs
_TEXT: dict[tuple, str] = {}                   # (formula, real, known args) -> text


def formula_text(fn: Any, known: dict | None = None, real: bool = True) -> str:
    """The expression a derivative formula computes, as text (Note [Formula text]).

    Example:
        >>> formula_text(lambda grad, other: grad * other)
        'grad * other'
    """
    known = known or {}
    key = (fn, real, repr(sorted(known.items())))
    text = _TEXT.get(key)
    if text is None:
        text = _TEXT[key] = _formula_text(fn, known, real)
    return text


def _formula_text(fn: Any, known: dict, real: bool) -> str:
    code = getattr(fn, "__code__", None)
    name = getattr(fn, "__name__", repr(fn))
    args = inspect.signature(fn).parameters if callable(fn) else {}
    call = f"{name}({', '.join(args)})"
    if code is None:
        return call
    try:
        expr = _find_expression(fn, code, known)
    except (OSError, SyntaxError, ValueError, TypeError):
        expr = None
    if expr is None:
        return call
    expr = _Cleaner(fn, known, real).visit(expr)
    return ast.unparse(expr)


def _expression(fn: Any, known: dict) -> ast.expr | None:
    """A fresh copy of the expression ``fn`` returns given ``known`` (None: not found)."""
    try:
        return _find_expression(fn, fn.__code__, known)
    except (OSError, SyntaxError, ValueError, TypeError):
        return None


def _find_expression(fn: Any, code: types.CodeType, known: dict) -> ast.expr | None:
    filename = code.co_filename
    index = _PARSED.get(filename)
    if index is None:
        lines = linecache.getlines(filename)
        if not lines:
            return None
        index = _PARSED[filename] = _index(ast.parse("".join(lines)))
    line = code.co_firstlineno
    argnames = list(code.co_varnames[:code.co_argcount])
    if fn.__name__ == "<lambda>":
        for lam in index.get(("lambda", line), []):
            if [a.arg for a in lam.args.args] == argnames:
                return copy.deepcopy(lam.body)        # the index is shared: never edit it
        return None
    fdef = index.get((fn.__name__, line))
    if fdef is None:
        return None
    r = _returned(fdef.body, known, {}, frozenset(argnames))
    return None if r is _FELL_THROUGH else r


def _index(tree: ast.AST) -> dict:
    index: dict = {}
    for n in ast.walk(tree):
        if isinstance(n, ast.Lambda):
            index.setdefault(("lambda", n.lineno), []).append(n)
        elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)):
            first = min([d.lineno for d in n.decorator_list] + [n.lineno])
            index[(n.name, first)] = n
    return index


_FELL_THROUGH = object()


def _returned(body: list, known: dict, env: dict, params: frozenset) -> Any:
    """The returned expression on the path the known arguments select (None: unknown).

    Locals are replaced by what was assigned to them; a parameter that is reassigned
    (``grad = unsqueeze_to(grad, ...)``) keeps its name, which reads better.
    """
    for st in body:
        if isinstance(st, ast.Expr) and isinstance(st.value, ast.Constant):
            continue                                              # a docstring
        if isinstance(st, ast.Return):
            if st.value is None:
                return None
            return _Inline(env).visit(copy.deepcopy(st.value))
        if (isinstance(st, ast.Assign) and len(st.targets) == 1
                and isinstance(st.targets[0], ast.Name)):
            if st.targets[0].id not in params:
                env[st.targets[0].id] = _Inline(env).visit(copy.deepcopy(st.value))
            continue
        if isinstance(st, ast.If):
            test = _evaluate(st.test, known)
            if test is _UNKNOWN:
                return None
            r = _returned(st.body if test else st.orelse, known, env, params)
            if r is not _FELL_THROUGH:
                return r
            continue
        return None
    return _FELL_THROUGH


_UNKNOWN = object()


def _evaluate(test: ast.expr, known: dict) -> Any:
    names = {n.id for n in ast.walk(test) if isinstance(n, ast.Name)}
    allowed = set(known) | {"float", "int", "None", "True", "False", "abs", "len"}
    if not names <= allowed:
        return _UNKNOWN
    try:
        return bool(eval(compile(ast.Expression(test), "<formula>", "eval"),
                         {"__builtins__": {"float": float, "int": int, "abs": abs, "len": len}},
                         dict(known)))
    except Exception:  # noqa: BLE001  (a test we cannot settle leaves the formula as written)
        return _UNKNOWN


class _Inline(ast.NodeTransformer):
    """Replace local names by the expressions assigned to them."""

    def __init__(self, env: dict) -> None:
        self.env = env

    def visit_Name(self, node: ast.Name) -> ast.AST:
        return self.env.get(node.id, node)


class _Cleaner(ast.NodeTransformer):
    """Drop conj on real gradients and private module prefixes, settle ``a if c else b`` when
    ``c`` is known, and inline private helpers that reduce to one expression
    (``_alpha(grad, alpha)`` with ``alpha=1`` is ``grad``)."""

    def __init__(self, fn: Any, known: dict, real: bool, depth: int = 0) -> None:
        self.globals = getattr(fn, "__globals__", {})
        self.known = known
        self.real = real
        self.depth = depth

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        f = node.func
        if (self.real and len(node.args) == 1 and not node.keywords
                and isinstance(f, ast.Name) and f.id in ("_conj", "conj")):
            return node.args[0]
        if self.real and not node.args and isinstance(f, ast.Attribute) and f.attr == "conj":
            return f.value
        if isinstance(f, ast.Name) and f.id.startswith("_") and f.id != "_conj":
            inlined = self._inline(node, self.globals.get(f.id))
            if inlined is not None:
                return inlined
        return node

    def _inline(self, call: ast.Call, helper: Any) -> ast.expr | None:
        if not isinstance(helper, types.FunctionType) or call.keywords or self.depth >= 3:
            return None
        params = list(inspect.signature(helper).parameters)
        if len(call.args) != len(params):
            return None
        binding = dict(zip(params, call.args, strict=True))
        known = {}
        for p, a in binding.items():
            if isinstance(a, ast.Constant):
                known[p] = a.value
            elif isinstance(a, ast.Name) and a.id in self.known:
                known[p] = self.known[a.id]
        expr = _expression(helper, known)
        if expr is None:
            return None
        expr = _Cleaner(helper, known, self.real, self.depth + 1).visit(expr)
        if _internal(expr):
            return None
        return _Inline(binding).visit(expr)

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        self.generic_visit(node)
        v = node.value
        if (isinstance(v, ast.Name) and v.id.startswith("_")
                and isinstance(self.globals.get(v.id), types.ModuleType)):
            return ast.Name(node.attr, ast.Load())
        return node

    def visit_IfExp(self, node: ast.IfExp) -> ast.AST:
        self.generic_visit(node)
        test = _evaluate(node.test, self.known)
        if test is _UNKNOWN:
            return node
        return node.body if test else node.orelse


def _internal(expr: ast.AST) -> bool:
    """Reads NumPy or private attributes: clearer left as the helper's call."""
    for n in ast.walk(expr):
        if isinstance(n, ast.Attribute) and n.attr.startswith("_"):
            return True
        if isinstance(n, ast.Name) and n.id in ("np", "numpy"):
            return True
    return False


# -------------------------------------------------------------------------- NaN/inf and names
def _cause(node: Any, gout: list) -> str:
    """What in the first non-finite node's saved values explains it: a zero, a NaN/inf."""
    op = getattr(type(node), "_op", None)
    if op is None or not getattr(op, "formulas", None):
        return ""
    params = _input_params(node)
    for i, info in enumerate(gout):
        if info is None or info.finite or i >= len(params):
            continue
        for a in op.formulas[params[i]].args:
            if a in ("grad", "grads"):
                continue
            try:
                v = getattr(node, "_saved_" + a)
            except (AttributeError, RuntimeError):     # freed, or modified in place
                v = None
            arr = getattr(v, "_data", None)
            if arr is None or arr.dtype.kind not in "fciu":
                continue
            if a in op.index:
                what = f"input {op.index[a]} ({a})"
            elif a == "result":
                what = "the output (result)"
            else:
                what = a
            if not np.isfinite(arr).all():
                return f"{what} had NaN/inf"
            if (arr == 0).any():
                return f"{what} had a zero"
    return "the formula overflowed"


def _caller_names(frame: Any) -> dict[int, tuple[str, Any]]:
    """``{id(tensor): (name, tensor)}`` for the leaf tensors the ``with`` block's frame names,
    and for the parameters of the modules it names (``model.fc1.weight``)."""
    from dagrad._tensor import Tensor
    names: dict[int, tuple[str, Any]] = {}
    for var, v in list(frame.f_locals.items()):
        if isinstance(v, Tensor):
            if v.grad_fn is None and v.requires_grad:
                names.setdefault(id(v), (var, v))
        elif callable(getattr(v, "named_parameters", None)) and not isinstance(v, type):
            try:
                params = list(v.named_parameters())
            except (AttributeError, TypeError, RuntimeError):
                params = []
            for pname, p in params:
                names.setdefault(id(p), (f"{var}.{pname}", p))
    return names


def _accumulate_text(leaf: Any, names: dict) -> str:
    hit = names.get(id(leaf))
    if hit is not None:
        return f"accumulate into {hit[0]}.grad"
    return f"accumulate into .grad of a leaf {list(leaf.shape)}"
