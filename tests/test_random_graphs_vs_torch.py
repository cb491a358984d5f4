"""Differential test: random float64 expression DAGs evaluated by dagrad and by PyTorch.

Hypothesis draws a small program: a few leaves, then a sequence of steps, each applying one op
(unary, broadcasting binary, reduction, matmul, reshape/indexing/joins) to any earlier values,
so subexpressions are reused (a DAG, not a tree). The same program runs in both libraries through
the same methods and operators; every intermediate value, the loss, the gradient w.r.t. every
leaf and, for some programs, second-order gradients must agree. Deterministic:
``derandomize=True`` and no example database.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np
import pytest

import dagrad
from dagrad.testing import assert_close

torch = pytest.importorskip("torch")
hypothesis = pytest.importorskip("hypothesis")
st = hypothesis.strategies

LEAF_SHAPES = [(2, 3), (3,), (1, 3), (2, 1), (), (3, 2), (2, 2, 3)]

# Each op: shape-preserving unary ops are written once and run in both libraries.
UNARY: dict[str, Callable[[Any], Any]] = {
    "sin": lambda x: x.sin(),
    "cos": lambda x: x.cos(),
    "tanh": lambda x: x.tanh(),
    "sigmoid": lambda x: x.sigmoid(),
    "neg": lambda x: -x,
    "relu": lambda x: x.relu(),
    "abs": lambda x: x.abs(),
    "exp_tanh": lambda x: x.tanh().exp(),
    "log_sq1": lambda x: (x * x + 1).log(),
    "sqrt_sq1": lambda x: (x * x + 1).sqrt(),
    "square": lambda x: x.square(),
    "affine": lambda x: x * 0.5 + 1,
    "rsub": lambda x: 1 - x,
    "recip": lambda x: 1 / (x * x + 1),
    "clamp": lambda x: x.clamp(-1, 1),
    "pow3": lambda x: x.tanh() ** 3,
}

BINARY: dict[str, Callable[[Any, Any, Any], Any]] = {
    "add": lambda lib, x, y: x + y,
    "sub": lambda lib, x, y: x - y,
    "mul": lambda lib, x, y: x * y,
    "div": lambda lib, x, y: x / (y * y + 1),
    "maximum": lambda lib, x, y: lib.maximum(x, y),
    "minimum": lambda lib, x, y: lib.minimum(x, y),
    "where": lambda lib, x, y: lib.where(x > y, x, y * 2),
    "pow": lambda lib, x, y: (x * x + 1) ** y.tanh(),
}


def _broadcast(a: tuple, b: tuple) -> tuple | None:
    try:
        return tuple(np.broadcast_shapes(a, b))
    except ValueError:
        return None


def _reduce_shape(shape: tuple, dim: int, keepdim: bool) -> tuple:
    d = dim % len(shape)
    return shape[:d] + ((1,) if keepdim else ()) + shape[d + 1:]


@st.composite
def programs(draw: Any) -> tuple[list[tuple], list[tuple], int]:
    """(leaf shapes, steps, seed); a step is (op, operand indices, params, result shape)."""
    n_leaves = draw(st.integers(1, 3))
    shapes: list[tuple] = [draw(st.sampled_from(LEAF_SHAPES)) for _ in range(n_leaves)]
    leaves = list(shapes)
    steps = []
    for _ in range(draw(st.integers(2, 9))):
        idx = list(range(len(shapes)))
        kind = draw(st.sampled_from(["unary", "unary", "binary", "binary", "reduce", "matmul",
                                     "shape", "join"]))
        i = draw(st.sampled_from(idx))
        s = shapes[i]
        step = None
        if kind == "unary":
            step = (draw(st.sampled_from(sorted(UNARY))), (i,), (), s)
        elif kind == "binary":
            partners = [j for j in idx if _broadcast(s, shapes[j]) is not None]
            j = draw(st.sampled_from(partners))
            step = (draw(st.sampled_from(sorted(BINARY))), (i, j), (), _broadcast(s, shapes[j]))
        elif kind == "reduce":
            how = draw(st.sampled_from(["sum", "mean", "max"] + (["sum_dim", "mean_dim"]
                                                                 if s else [])))
            if how in ("sum", "mean", "max"):
                step = (how, (i,), (), ())
            else:
                dim = draw(st.integers(-len(s), len(s) - 1))
                keep = draw(st.booleans())
                step = (how, (i,), (dim, keep), _reduce_shape(s, dim, keep))
        elif kind == "matmul" and s:
            if len(s) == 1:
                step = ("dot_self", (i,), (), ())
            elif len(s) == 2:
                partners = [j for j in idx if len(shapes[j]) == 2 and shapes[j][0] == s[1]]
                j = draw(st.sampled_from(partners)) if partners else None
                if j is not None and draw(st.booleans()):
                    step = ("matmul", (i, j), (), (s[0], shapes[j][1]))
                else:
                    step = ("gram", (i,), (), (s[0], s[0]))
            else:
                step = ("batched_gram", (i,), (), s[:-1] + (s[-2],))
        elif kind == "shape" and s:
            options = ["flatten", "unsqueeze", "select0", "index", "transpose"]
            if len(s) >= 2 and s[1] >= 2:
                options.append("slice")
            how = draw(st.sampled_from(options))
            if how == "select0" and s[0] == 0:
                how = "flatten"
            if how == "flatten":
                out = (int(np.prod(s)),)
            elif how == "unsqueeze":
                out = (1,) + s
            elif how == "select0":
                out = s[1:]
            elif how == "index":
                out = (3,) + s[1:]
            elif how == "transpose":
                out = (s[-1],) + s[1:-1] + (s[0],) if len(s) > 1 else s
            else:
                out = s[:1] + (s[1] - 1,) + s[2:]
            step = (how, (i,), (), out)
        elif kind == "join" and s:
            partners = [j for j in idx if shapes[j] == s]
            j = draw(st.sampled_from(partners))
            how = draw(st.sampled_from(["cat", "stack"]))
            step = (how, (i, j), (), (2 * s[0],) + s[1:] if how == "cat" else (2,) + s)
        if step is None:
            step = ("tanh", (i,), (), s)
        steps.append(step)
        shapes.append(step[3])
    return leaves, steps, draw(st.integers(0, 2**16))


def run(lib: Any, leaves: list, steps: list[tuple]) -> list:
    """Evaluate the program with ``lib`` (dagrad or torch); returns every value, leaves first."""
    vals = list(leaves)
    for op, args, params, _shape in steps:
        xs = [vals[k] for k in args]
        x = xs[0]
        if op in UNARY:
            v = UNARY[op](x)
        elif op in BINARY:
            v = BINARY[op](lib, x, xs[1])
        elif op == "sum":
            v = x.sum()
        elif op == "mean":
            v = x.mean()
        elif op == "max":
            v = x.max()
        elif op == "sum_dim":
            v = x.sum(params[0], keepdim=params[1])
        elif op == "mean_dim":
            v = x.mean(params[0], keepdim=params[1])
        elif op == "dot_self":
            v = x @ x
        elif op == "matmul":
            v = x @ xs[1]
        elif op == "gram":
            v = x @ x.t()
        elif op == "batched_gram":
            v = x @ x.transpose(-1, -2)
        elif op == "flatten":
            v = x.reshape(-1)
        elif op == "unsqueeze":
            v = x.unsqueeze(0)
        elif op == "select0":
            v = x[0]
        elif op == "index":
            v = x[lib.tensor([0, -1, 0])]
        elif op == "transpose":
            v = x.transpose(0, -1)
        elif op == "slice":
            v = x[:, 1:]
        elif op == "cat":
            v = lib.cat([x, xs[1]])
        elif op == "stack":
            v = lib.stack([x, xs[1]])
        else:
            raise AssertionError(op)
        vals.append(v)
    return vals


def loss_of(lib: Any, vals: list, n_leaves: int, rng: np.random.Generator) -> Any:
    """Every computed value contributes (so reused subexpressions get several gradients)."""
    total = None
    for v in vals[n_leaves:]:
        shape = tuple(v.shape)
        w = rng.uniform(0.5, 1.5, shape)
        term = (v * lib.from_numpy(np.asarray(w))).sum() if shape else v * float(w)
        total = term if total is None else total + term
    return total


def as_numpy(t: Any) -> np.ndarray:
    if isinstance(t, dagrad.Tensor):
        return t.detach().numpy()
    if t._is_zerotensor():                      # PyTorch's symbolic zeros
        return np.zeros(tuple(t.shape))
    return t.detach().numpy()


@hypothesis.settings(derandomize=True, database=None, max_examples=300, deadline=None,
                     suppress_health_check=list(hypothesis.HealthCheck))
@hypothesis.given(programs(), st.booleans())
def test_random_dag_matches_torch(program: tuple, second_order: bool) -> None:
    shapes, steps, seed = program
    rng = np.random.default_rng(seed)
    arrays = [np.asarray(rng.uniform(-2, 2, s)) for s in shapes]
    d_leaves = [dagrad.tensor(a, dtype=dagrad.float64, requires_grad=True) for a in arrays]
    t_leaves = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]

    d_vals, t_vals = run(dagrad, d_leaves, steps), run(torch, t_leaves, steps)
    for k, (d, t) in enumerate(zip(d_vals, t_vals, strict=True)):
        assert tuple(d.shape) == tuple(t.shape), f"value {k}: shape"
        assert_close(as_numpy(d), as_numpy(t), rtol=1e-10, atol=1e-12, equal_nan=True,
                     msg=f"value {k} ({steps[k - len(shapes)][0] if k >= len(shapes) else 'leaf'})"
                         f" differs:\n{as_numpy(d)}\n{as_numpy(t)}")

    d_loss = loss_of(dagrad, d_vals, len(shapes), np.random.default_rng(seed + 1))
    t_loss = loss_of(torch, t_vals, len(shapes), np.random.default_rng(seed + 1))
    d_g = dagrad.autograd.grad(d_loss, d_leaves, allow_unused=True, create_graph=second_order)
    t_g = torch.autograd.grad(t_loss, t_leaves, allow_unused=True, create_graph=second_order)
    for k, (g, h) in enumerate(zip(d_g, t_g, strict=True)):
        a = np.zeros(shapes[k]) if g is None else as_numpy(g)
        b = np.zeros(shapes[k]) if h is None else as_numpy(h)
        assert_close(a, b, rtol=1e-8, atol=1e-10, equal_nan=True,
                     msg=f"gradient of leaf {k} differs:\n{a}\n{b}")
    if not second_order:
        return
    v = [rng.uniform(0.5, 1.5, s) for s in shapes]
    d_h = [(g * dagrad.from_numpy(np.asarray(vi))).sum() for g, vi in zip(d_g, v, strict=True)
           if g is not None and g.requires_grad]
    t_h = [(g * torch.from_numpy(np.asarray(vi))).sum() for g, vi in zip(t_g, v, strict=True)
           if g is not None and g.requires_grad]
    # a side whose gradients carry no graph has zero second derivatives
    d_gg = dagrad.autograd.grad(sum(d_h[1:], d_h[0]), d_leaves, allow_unused=True) if d_h \
        else [None] * len(shapes)
    t_gg = torch.autograd.grad(sum(t_h[1:], t_h[0]), t_leaves, allow_unused=True) if t_h \
        else [None] * len(shapes)
    for k, (g, h) in enumerate(zip(d_gg, t_gg, strict=True)):
        a = np.zeros(shapes[k]) if g is None else as_numpy(g)
        b = np.zeros(shapes[k]) if h is None else as_numpy(h)
        assert_close(a, b, rtol=1e-7, atol=1e-9, equal_nan=True,
                     msg=f"second-order gradient of leaf {k} differs:\n{a}\n{b}")
