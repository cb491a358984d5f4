"""Array-level backward formulas (Note [Array-level formulas]): bit-identical to the dagrad
formulas, used only where nothing can tell them apart."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import dagrad as torch
from dagrad import _errors
from dagrad._npquiet import broadcast_view
from dagrad.autograd.graph import saved_tensors_hooks
from dagrad.ops import _registry

DTYPES = [torch.float16, torch.float32, torch.float64]

# (op name, id, function, argument specs): a spec is a shape (a tensor that requires grad),
# ("const", shape) (a tensor that does not) or a Python number.
CASES = [
    ("add", "same", lambda a, b: a + b, [(3, 4), (3, 4)]),
    ("add", "broadcast", lambda a, b: a + b, [(3, 4), (4,)]),
    ("add", "0-dim", lambda a, b: a + b, [(), (3,)]),
    ("add", "scalar", lambda a: a + 2.5, [(3,)]),
    ("add", "alpha", lambda a, b: torch.add(a, b, alpha=2), [(2, 3), (3,)]),
    ("add", "alpha float", lambda a, b: torch.add(a, b, alpha=0.1), [(2, 3), (2, 3)]),
    ("add", "const", lambda a, b: a + b, [("const", (3,)), (3,)]),
    ("sub", "same", lambda a, b: a - b, [(3, 4), (3, 4)]),
    ("sub", "broadcast", lambda a, b: a - b, [(4,), (2, 4)]),
    ("sub", "alpha", lambda a, b: torch.sub(a, b, alpha=3), [(3,), (3,)]),
    ("sub", "alpha float", lambda a, b: torch.sub(a, b, alpha=0.3), [(), ()]),
    ("rsub", "scalar", lambda a: 1 - a, [(3, 2)]),
    ("rsub", "float", lambda a: 0.7 - a, [()]),
    ("rsub", "tensor", lambda a, b: torch.rsub(a, b), [(3,), (2, 3)]),
    ("rsub", "alpha", lambda a, b: torch.rsub(a, b, alpha=0.3), [(3,), (3,)]),
    ("mul", "same", lambda a, b: a * b, [(3, 4), (3, 4)]),
    ("mul", "broadcast", lambda a, b: a * b, [(2, 1, 4), (3, 1)]),
    ("mul", "0-dim", lambda a, b: a * b, [(), ()]),
    ("mul", "int", lambda a: a * 3, [(4,)]),
    ("mul", "float", lambda a: 0.1 * a, [(4,)]),
    ("mul", "self", lambda a: a * a, [(5,)]),
    ("mul", "const", lambda a, b: a * b, [(3,), ("const", (3,))]),
    ("div", "same", lambda a, b: a / b, [(3, 4), (3, 4)]),
    ("div", "broadcast", lambda a, b: a / b, [(3, 1), (4,)]),
    ("div", "0-dim", lambda a, b: a / b, [(), ()]),
    ("div", "scalar", lambda a: a / 3, [(3,)]),
    ("div", "float", lambda a: a / 0.3, [()]),
    ("div", "scalar self", lambda b: torch.div(2.5, b), [(3,)]),
    ("div", "int self", lambda b: torch.div(3, b), [()]),
    ("div", "floor", lambda a, b: torch.div(a, b, rounding_mode="floor"), [(3,), (3,)]),
    ("div", "trunc", lambda a, b: torch.div(a, b, rounding_mode="trunc"), [(3,), (3,)]),
    ("neg", "plain", lambda a: -a, [(3, 2)]),
    ("reciprocal", "plain", lambda a: a.reciprocal(), [(4,)]),
    ("reciprocal", "rtruediv", lambda a: 2 / a, [()]),
    ("pow", "square", lambda a: a ** 2, [(3, 3)]),
    ("pow", "cube", lambda a: a ** 3, [()]),
    ("pow", "half", lambda a: a ** 0.5, [(4,)]),
    ("pow", "negative", lambda a: a ** -1.5, [(4,)]),
    ("pow", "zero", lambda a: a ** 0, [(4,)]),
    ("pow", "scalar base", lambda b: 2 ** b, [(4,)]),
    ("pow", "float base", lambda b: 0.3 ** b, [()]),
    ("square", "plain", lambda a: a.square(), [(2, 3)]),
    ("exp", "plain", lambda a: a.exp(), [(3, 2)]),
    ("log", "plain", lambda a: a.log(), [(3, 2)]),
    ("tanh", "plain", lambda a: a.tanh(), [(3, 2)]),
    ("tanh", "0-dim", lambda a: a.tanh(), [()]),
    ("sigmoid", "plain", lambda a: a.sigmoid(), [(3, 2)]),
    ("relu", "plain", lambda a: a.relu(), [(3, 2)]),
    ("relu", "0-dim", lambda a: a.relu(), [()]),
    ("abs", "plain", lambda a: a.abs(), [(3, 2)]),
    ("sqrt", "plain", lambda a: a.sqrt(), [(3, 2)]),
    ("sum", "all", lambda a: a.sum(), [(3, 4)]),
    ("sum", "0-dim", lambda a: a.sum(), [()]),
    ("sum", "dim", lambda a: a.sum(1), [(3, 4, 2)]),
    ("sum", "dims", lambda a: a.sum((0, -1)), [(3, 4, 2)]),
    ("sum", "keepdim", lambda a: a.sum(1, keepdim=True), [(3, 4)]),
    ("sum", "all keepdim", lambda a: torch.sum(a, None, True), [(3, 4)]),
    ("sum", "empty dims", lambda a: a.sum([]), [(3, 4)]),
    ("sum", "dtype", lambda a: a.sum(0, dtype=torch.float64), [(3, 4)]),
    ("mean", "all", lambda a: a.mean(), [(3, 4)]),
    ("mean", "dim", lambda a: a.mean(0), [(3, 4)]),
    ("mean", "dims keepdim", lambda a: a.mean((0, 2), keepdim=True), [(2, 3, 4)]),
    ("mean", "empty dims", lambda a: a.mean([]), [(3, 4)]),
    ("clamp", "min", lambda a: a.clamp(min=0), [(3, 4)]),
    ("clamp", "max", lambda a: a.clamp(max=0.25), [(3, 4)]),
    ("clamp", "both", lambda a: a.clamp(-0.5, 1), [(5,)]),
    ("clamp", "0-dim", lambda a: a.clamp(min=0.1), [()]),
    ("mm", "both", lambda a, b: a.mm(b), [(3, 4), (4, 2)]),
    ("mm", "const", lambda a, b: a.mm(b), [("const", (3, 4)), (4, 2)]),
    ("mm", "transposed", lambda a, b: a.mm(b.t()), [(3, 4), (2, 4)]),
    ("addmm", "linear", lambda x, w, b: torch.nn.functional.linear(x, w, b), [(5, 4), (3, 4), (3,)]),
    ("addmm", "plain", lambda b, x, w: torch.addmm(b, x, w), [(2, 3), (2, 4), (4, 3)]),
    ("addmm", "scaled", lambda b, x, w: torch.addmm(b, x, w, beta=0.5, alpha=2), [(3,), (2, 4),
                                                                                 (4, 3)]),
    ("addmm", "const input", lambda b, w: torch.addmm(b, torch.ones(2, 4, dtype=w.dtype), w.t()),
     [(3,), (3, 4)]),
    ("_view", "view", lambda a: a.view(2, 6), [(3, 4)]),
    ("_view", "flatten", lambda a: a.reshape(-1), [(3, 4)]),
    ("_unsafe_view", "copy", lambda a: a.t().reshape(12), [(3, 4)]),
    ("t", "plain", lambda a: a.t() * 2, [(3, 4)]),
    ("transpose", "dims", lambda a: a.transpose(0, -1) * 2, [(2, 3, 4)]),
    ("mean", "0-dim", lambda a: a.mean(), [()]),
]

# cases whose node leaves the work to the dagrad formulas (the np formula says NotImplemented)
FALLBACK = [
    ("pow", "tensor exponent", lambda a, b: a ** b, [(3,), (3,)]),
    ("pow", "zero base", lambda b: 0 ** b, [(3,)]),
    ("add", "bool alpha", lambda a, b: torch.add(a, b, alpha=True), [(3,), (3,)]),
]


def _values(rng: np.random.Generator, shape: tuple, dt: np.dtype) -> np.ndarray:
    v = rng.standard_normal(shape) * 2
    if v.size > 2:          # zeros, infinities and NaN: signs of zero and NaN must match too
        flat = v.reshape(-1)
        flat[rng.integers(0, v.size)] = 0.0
        flat[rng.integers(0, v.size)] = rng.choice([np.inf, -np.inf, np.nan, -0.0])
    return np.asarray(v, dtype=dt)


def _inputs(specs: list, dtype: torch.dtype, seed: int) -> tuple[list, list]:
    rng = np.random.default_rng(seed)
    args, leaves = [], []
    for s in specs:
        if isinstance(s, tuple) and s[:1] == ("const",):
            args.append(torch.tensor(_values(rng, s[1], dtype.np)))
        elif isinstance(s, tuple):
            t = torch.tensor(_values(rng, s, dtype.np), requires_grad=True)
            args.append(t)
            leaves.append(t)
        else:
            args.append(s)
    return args, leaves


def _bits(t: torch.Tensor) -> tuple:
    a = t._data
    return (a.dtype.str, a.shape, np.ascontiguousarray(a).tobytes())


def _grads(fn, specs: list, dtype: torch.dtype, seed: int, np_grads: bool) -> list:
    old = _registry.NP_GRADS
    _registry.NP_GRADS = np_grads
    try:
        args, leaves = _inputs(specs, dtype, seed)
        out = fn(*args)
        rng = np.random.default_rng(seed + 1)
        g = torch.tensor(np.asarray(rng.standard_normal(out.shape), dtype=out._data.dtype))
        res = torch.autograd.grad(out, leaves, g)
    finally:
        _registry.NP_GRADS = old
    return [_bits(r) for r in res]


def _np_result(fn, specs: list, dtype: torch.dtype, seed: int) -> list | None:
    """What the output node's np_backward returns (None: it leaves the work to dagrad)."""
    args, _ = _inputs(specs, dtype, seed)
    out = fn(*args)
    node = out.grad_fn
    with torch.no_grad():
        return type(node)._op.np_backward(node, [torch.ones_like(out)])


def _ids(cases: list) -> list:
    return [f"{c[0]}-{c[1]}" for c in cases]


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("case", CASES, ids=_ids(CASES))
def test_np_formulas_match_dagrad_formulas_bitwise(case: tuple, dtype: torch.dtype) -> None:
    _, _, fn, specs = case
    for seed in range(4):
        assert _np_result(fn, specs, dtype, seed) is not None      # the array path applies
        assert _grads(fn, specs, dtype, seed, True) == _grads(fn, specs, dtype, seed, False)


@pytest.mark.parametrize("case", FALLBACK, ids=_ids(FALLBACK))
def test_cases_left_to_dagrad_formulas(case: tuple) -> None:
    _, _, fn, specs = case
    assert _np_result(fn, specs, torch.float32, 0) is None
    assert _grads(fn, specs, torch.float32, 0, True) == _grads(fn, specs, torch.float32, 0, False)


def test_every_op_with_np_grads_is_tested() -> None:
    have = {n for n, op in _registry.registered_ops().items() if op.np_plan is not None}
    assert have == {c[0] for c in CASES}


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=str)
def test_scalar_graph_grads_match(dtype: torch.dtype) -> None:
    # a micrograd-style graph of 0-dim tensors (bench B6) and a small tensor MLP-like chain
    def run(np_grads: bool) -> list:
        old = _registry.NP_GRADS
        _registry.NP_GRADS = np_grads
        try:
            rng = np.random.default_rng(0)
            ws = [torch.tensor(float(v), dtype=dtype, requires_grad=True)
                  for v in rng.uniform(-1, 1, 12)]
            xs = [torch.tensor(float(v), dtype=dtype) for v in rng.uniform(-1, 1, 4)]
            h = xs
            k = 0
            for _ in range(3):
                nxt = []
                for _j in range(2):
                    act = ws[k]
                    for x in h[:2]:
                        act = act + ws[k + 1] * x
                    nxt.append(act.tanh())
                    k += 2
                h = nxt
            loss = ((h[0] - 0.5) ** 2 + (h[1] * 3).sigmoid() / 2 - h[0].exp().log().relu()).sqrt()
            a = torch.tensor(rng.standard_normal((4, 3)), dtype=dtype, requires_grad=True)
            b = torch.tensor(rng.standard_normal(3), dtype=dtype, requires_grad=True)
            m = ((a * b + 1).tanh() - b / a).square().mean(0).sum() + loss
            m.backward()
            return [_bits(t.grad) for t in [*ws, a, b]]
        finally:
            _registry.NP_GRADS = old
    assert run(True) == run(False)


# --------------------------------------------------------------------------- the existing path


class _Spy:
    """Wraps what the engine calls for a node class (its op's np_apply), recording whether each
    call gave the gradients."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, node: object) -> None:
        self.results: list = []
        real = type(node)._np

        def spy(fn, grads):
            r = real(fn, grads)
            self.results.append(r is not None)
            return r
        monkeypatch.setattr(type(node), "_np", staticmethod(spy))

    @property
    def used(self) -> bool:
        return any(self.results)


def test_plain_backward_uses_array_formulas(monkeypatch: pytest.MonkeyPatch) -> None:
    x = torch.tensor([1., 2.], requires_grad=True)
    y = x * x
    spy = _Spy(monkeypatch, y.grad_fn)
    y.backward(torch.ones(2))
    assert spy.used and x.grad.tolist() == [2., 4.]


def test_create_graph_uses_dagrad_formulas(monkeypatch: pytest.MonkeyPatch) -> None:
    x = torch.tensor([1., 2.], requires_grad=True)
    y = x * x
    spy = _Spy(monkeypatch, y.grad_fn)
    (g,) = torch.autograd.grad(y.sum(), x, create_graph=True)
    assert not spy.used and g.grad_fn is not None
    (g2,) = torch.autograd.grad(g.sum(), x)
    assert g2.tolist() == [2., 2.]


@pytest.mark.parametrize("kind", ["mixed", "complex", "saved hooks", "node hook", "anomaly",
                                  "subclass", "inference"])
def test_other_cases_use_dagrad_formulas(monkeypatch: pytest.MonkeyPatch, kind: str) -> None:
    x = torch.tensor([1., 2.], requires_grad=True)
    other = torch.tensor([3., 4.], requires_grad=True)
    if kind == "mixed":
        other = torch.tensor([3., 4.], dtype=torch.float64, requires_grad=True)
    elif kind == "complex":
        x = torch.tensor([1 + 1j, 2.], requires_grad=True)
    elif kind == "subclass":
        class Mine(torch.Tensor):
            def __mul__(self, o):
                return torch.Tensor.__mul__(self, o)
        other = torch.Tensor._make(other._data, Mine)
        other.requires_grad_()
    if kind == "saved hooks":
        with saved_tensors_hooks(lambda t: t, lambda t: t):
            y = x * other
    else:
        y = x * other
    if kind == "node hook":
        y.grad_fn.register_prehook(lambda go: None)
    spy = _Spy(monkeypatch, y.grad_fn)
    g = torch.ones_like(y)
    if kind == "anomaly":
        with torch.autograd.set_detect_anomaly(True):
            y.backward(g)
    elif kind == "inference":
        with torch.inference_mode():
            y.backward(g)
    else:
        y.backward(g)
    assert not spy.used
    assert x.grad is not None


def test_parameter_takes_the_array_path(monkeypatch: pytest.MonkeyPatch) -> None:
    w = torch.nn.Parameter(torch.tensor([1., 2.]))
    x = torch.tensor([3., 4.], requires_grad=True)
    y = x * w
    spy = _Spy(monkeypatch, y.grad_fn)
    y.backward(torch.ones(2))
    assert spy.used and x.grad.tolist() == [1., 2.] and w.grad.tolist() == [3., 4.]


def _version_error(np_grads: bool) -> str:
    old = _registry.NP_GRADS
    _registry.NP_GRADS = np_grads
    try:
        x = torch.tensor([1., 2.], requires_grad=True)
        y = x.exp()
        y.add_(1)
        with pytest.raises(RuntimeError) as e:
            y.sum().backward()
        return str(e.value)
    finally:
        _registry.NP_GRADS = old


def test_version_error_is_the_same() -> None:
    msg = _version_error(True)
    assert "modified by an inplace operation" in msg
    assert msg == _version_error(False)


def test_saved_values_after_backward() -> None:
    x = torch.tensor([1., 2.], requires_grad=True)
    y = x * x
    y.sum().backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.grad_fn._saved_self
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.sum().backward()
    p = x ** 3
    s = p.sum(0)
    a = torch.add(x, x, alpha=2)
    (s + a.sum()).backward()
    assert p.grad_fn._saved_exponent == 3
    assert s.grad_fn._saved_dim == (0,) or s.grad_fn._saved_dim == 0
    assert a.grad_fn._saved_alpha == 2
    with pytest.raises(RuntimeError, match=_errors.BACKWARD_TWICE[:40]):
        p.grad_fn._saved_self


def test_sum_gradient_is_a_view_of_the_incoming_gradient() -> None:
    # as the dagrad formula's expand(): hooks see the same kind of tensor
    seen = {}
    for np_grads in (True, False):
        old = _registry.NP_GRADS
        _registry.NP_GRADS = np_grads
        try:
            x = torch.tensor([[1., 2.], [3., 4.]], requires_grad=True)
            s = x.sum(1)
            x.register_hook(lambda g: seen.__setitem__(np_grads, (
                g._base is not None, g._version, g._data.flags.writeable,
                bool(g._extra and g._extra.get("view_no_grad")))))
            s.backward(torch.ones(2))
        finally:
            _registry.NP_GRADS = old
    assert seen[True] == seen[False]


def test_pass_through_gradient_is_the_same_tensor() -> None:
    got = []
    x = torch.tensor([1., 2.], requires_grad=True)
    y = x * 2
    z = y + 1
    z.register_hook(lambda g: got.append(g))
    y.register_hook(lambda g: got.append(g))
    z.backward(torch.ones(2))
    assert got[0] is got[1]


def test_released_values_by_kind() -> None:
    # _release keeps nothing (mul), everything (add's alpha), some (div's rounding_mode), or
    # looks at the type (pow's Scalar exponent)
    x = torch.tensor([1., 2.], requires_grad=True)
    d = torch.div(x, x + 1, rounding_mode=None)
    a = torch.add(x, x, alpha=3)
    p = x ** x
    (d.sum() + a.sum() + p.sum()).backward()
    assert d.grad_fn._saved_rounding_mode is None
    assert a.grad_fn._saved_alpha == 3
    for node, name in [(d.grad_fn, "_saved_self"), (d.grad_fn, "_saved_other"),
                       (p.grad_fn, "_saved_exponent"), (p.grad_fn, "_saved_result")]:
        with pytest.raises(RuntimeError, match="backward through the graph a second time"):
            getattr(node, name)


# --------------------------------------------------------------------------- the engine


def test_node_order_matches_pytorch() -> None:
    pt = pytest.importorskip("torch")

    def order(lib) -> list:
        log = []
        x = lib.tensor([0.5, 1.5], requires_grad=True)
        w = lib.tensor([2.0, 3.0], requires_grad=True)
        t = x * w
        a, b, c = t.exp(), t.sin(), t * 3
        u = a * b
        v = (u + c).tanh() + (b - a) * w
        loss = v.sum() + c.sum() + (a * 2).sum()
        seen, stack = set(), [loss.grad_fn]
        while stack:
            fn = stack.pop()
            if fn is None or fn in seen:
                continue
            seen.add(fn)
            fn.register_prehook(lambda go, fn=fn: log.append(fn.name()))
            stack.extend(n for n, _ in fn.next_functions)
        x.register_post_accumulate_grad_hook(lambda t: log.append("acc x"))
        w.register_post_accumulate_grad_hook(lambda t: log.append("acc w"))
        loss.backward()
        return [n.replace("torch::autograd::", "") for n in log]
    assert order(torch) == order(pt)


def test_summed_and_stolen_gradients_alias_nothing() -> None:
    seen = []
    for first in (True, False):
        x = torch.tensor([1., 2.], requires_grad=True)
        y = torch.tensor([3., 4.], requires_grad=True)
        if first:
            s, t = x + 1, x * 3         # the pass-through gradient reaches x's buffer first...
        else:
            t, s = x * 3, x + 1         # ...or last
        s.register_hook(lambda g: seen.append(g))
        z = x + y                       # one gradient for x and y, passed through
        (s.sum() + t.sum() + z.sum()).backward()
        assert x.grad.tolist() == [5., 5.] and y.grad.tolist() == [1., 1.]
        assert not np.shares_memory(x.grad._data, y.grad._data)
        assert all(g.tolist() == [1., 1.] for g in seen)     # not summed into in place
        assert not any(np.shares_memory(g._data, x.grad._data) for g in seen)


def test_gradient_of_repeated_input() -> None:
    # x reaches its AccumulateGrad through many nodes: summed in place, then stolen
    x = torch.tensor([1., 2., 3.], requires_grad=True)
    y = x
    for _ in range(4):
        y = y * x + x
    y.sum().backward()
    xr = x.detach().numpy().astype(np.float64)
    expect = 5 * xr ** 4 + 4 * xr ** 3 + 3 * xr ** 2 + 2 * xr + 1
    assert np.allclose(x.grad._data, expect)


def test_one_errstate_switch_leaves_user_code_the_callers_numpy_error_state() -> None:
    # Note [One errstate switch]: array-level formulas run with NumPy's warnings off, switched
    # once for a run of such nodes; a custom Function's backward and hooks in between, and the
    # code after backward, see the caller's error state
    seen = {}

    class Probe(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x.clone()

        @staticmethod
        def backward(ctx, g):
            seen["function"] = np.geterr()["divide"]
            return g

    x = torch.tensor([1.0, 0.0, 2.0], requires_grad=True)
    with np.errstate(divide="raise", invalid="raise"):
        y = (Probe.apply(x * 3.0) / x).exp()      # 1/0 in DivBackward0's array formulas
        y.register_hook(lambda g: seen.__setitem__("hook", np.geterr()["divide"]))
        x.register_hook(lambda g: seen.__setitem__("leaf hook", np.geterr()["divide"]))
        y.sum().backward()                        # raises FloatingPointError if not quiet
        seen["after"] = np.geterr()["divide"]
    assert seen == {"function": "raise", "hook": "raise", "leaf hook": "raise", "after": "raise"}
    assert not np.isfinite(x.grad.numpy()[1])


@settings(max_examples=300, deadline=None)
@given(src=st.lists(st.integers(0, 3), max_size=4), dst=st.lists(st.integers(0, 3), max_size=5),
       transpose=st.booleans())
def test_broadcast_view_is_np_broadcast_to(src: list, dst: list, transpose: bool) -> None:
    a = np.arange(int(np.prod(src)), dtype=np.float32).reshape(src)
    if transpose:
        a = a.T                             # not C-contiguous: NumPy's own path
    try:
        want = np.broadcast_to(a, tuple(dst))
    except ValueError:
        with pytest.raises(ValueError):
            broadcast_view(a, tuple(dst))
        return
    got = broadcast_view(a, tuple(dst))
    assert got.shape == want.shape and np.array_equal(got, want)
    assert not got.flags.writeable and np.shares_memory(got, a) == (a.size > 0 and got.size > 0)
