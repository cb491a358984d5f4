"""Tests for dagrad.autograd.trace: step order equals the engine's, norms equal the real
gradients, formulas as text, and the first node that produced NaN/inf is named."""
from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest

import dagrad
from dagrad.autograd import engine
from dagrad.autograd.trace import GradInfo, formula_text, trace
from dagrad.ops._registry import registered_ops


def _seed_000_chain() -> tuple:
    """Seed 000's DAG: x1 = w1 x0, x2 = x0 + w2 x1, x3 = w1 (x1 + x2), q = |x3|."""
    dagrad.manual_seed(0)
    w1 = dagrad.rand(5, 5).requires_grad_()
    w2 = dagrad.rand(5, 5).requires_grad_()
    x = dagrad.empty(5).normal_().requires_grad_()
    x0 = x
    x1 = w1 @ x0
    x2 = x0 + w2 @ x1
    x3 = w1 @ (x1 + x2)
    q = x3.norm()
    return w1, w2, x, x1, x2, x3, q


def _graph_nodes(root: Any) -> list:
    seen, stack, out = set(), [root], []
    while stack:
        n = stack.pop()
        if n is None or n in seen:
            continue
        seen.add(n)
        out.append(n)
        stack.extend(fn for fn, _ in n.next_functions)
    return out


def _norm(t: dagrad.Tensor) -> float:
    return float(np.linalg.norm(t.numpy().ravel()))


def test_seed_000_order_equals_the_engines_and_norms_equal_the_grads() -> None:
    w1, w2, x, x1, x2, x3, q = _seed_000_chain()
    for t in (x1, x2, x3):
        t.retain_grad()
    order = []           # the engine's own order, seen through node pre-hooks
    for n in _graph_nodes(q.grad_fn):
        n.register_prehook(lambda g, n=n: order.append(n._seq))
    with trace() as t:
        q.backward()
    assert [e.seq for e in t.events] == order
    assert [e.node for e in t.events] == [
        "LinalgVectorNormBackward0", "MvBackward0", "AddBackward0", "AddBackward0",
        "MvBackward0", "AccumulateGrad", "MvBackward0", "AccumulateGrad", "AccumulateGrad"]
    assert [e.step for e in t.events] == list(range(1, 10))
    by_seq = {e.seq: e for e in t.events}
    # what reached each node is the gradient of its output
    for out in (x1, x2, x3, q):
        (info,) = by_seq[out.grad_fn._seq].grad_outputs
        expected = _norm(out.grad) if out is not q else 1.0
        assert info.shape == tuple(out.shape)
        assert info.norm == pytest.approx(expected, rel=1e-6)
    # what the AccumulateGrad steps received is the leaves' .grad
    acc = {e.formulas[0]: e for e in t.events if e.node == "AccumulateGrad"}
    assert set(acc) == {"accumulate into w1.grad", "accumulate into w2.grad",
                        "accumulate into x.grad"}
    for name, leaf in (("w1", w1), ("w2", w2), ("x", x)):
        e = acc[f"accumulate into {name}.grad"]
        assert e.grad_outputs[0].norm == pytest.approx(_norm(leaf.grad), rel=1e-6)
        assert e.grad_outputs[0].shape == tuple(leaf.shape) and e.grad_inputs == []
    # the first MvBackward0 (x3 = w1 @ (x1 + x2)) sends on d/dw1 and d/d(x1 + x2)
    mv = by_seq[x3.grad_fn._seq]
    assert [i.shape for i in mv.grad_inputs] == [(5, 5), (5,)]
    assert mv.formulas == ["grad_self = unsqueeze(grad, 1) * unsqueeze(vec, 0)",
                           "grad_vec = mv(transpose(self, 0, 1), grad)"]
    assert t.first_nonfinite is None
    assert t.summary().splitlines()[-1] == "no non-finite gradients"


def test_trace_does_not_change_gradients() -> None:
    plain = _seed_000_chain()
    plain[-1].backward()
    traced = _seed_000_chain()
    with trace():
        traced[-1].backward()
    for a, b in zip(plain[:3], traced[:3], strict=True):
        assert np.array_equal(a.grad.numpy(), b.grad.numpy())


def test_formulas_as_text() -> None:
    x = dagrad.tensor([2.0, 3.0], requires_grad=True)
    y = dagrad.tensor([4.0, 5.0], requires_grad=True)
    with trace() as t:
        ((x / y) * y + x.log()).sum().backward()
    f = {e.node: e for e in t.events}
    assert f["MulBackward0"].formula == \
        "MulBackward0: grad_self = grad * other, grad_other = grad * self"
    assert f["DivBackward0"].formulas == ["grad_self = grad / other",
                                          "grad_other = -grad * (div(self, other) / other)"]
    assert f["LogBackward0"].formulas == ["grad_self = grad / self"]
    assert f["AddBackward0"].formulas == ["grad_self = grad", "grad_other = grad"]
    assert f["SumBackward0"].formulas == [
        "grad_self = sum_backward(grad, self_shape, dim, keepdim)"]


def test_formula_for_an_input_without_grad_is_left_out() -> None:
    x = dagrad.tensor([2.0, 3.0], requires_grad=True)
    with trace() as t:
        (x * dagrad.tensor([1.0, 1.0])).sum().backward()
    mul = next(e for e in t.events if e.node == "MulBackward0")
    assert mul.formulas == ["grad_self = grad * other"]
    assert mul.grad_inputs[1] is None


def test_every_registered_formula_prints() -> None:
    for name, op in registered_ops().items():
        for p, f in op.formulas.items():
            text = formula_text(f.fn)
            assert isinstance(text, str) and text, f"{name}: grad_{p}"
    assert formula_text(lambda grad, other: grad * other) == "grad * other"


def test_leaf_names_for_module_parameters() -> None:
    model = dagrad.nn.Linear(3, 2)
    inp = dagrad.ones(4, 3)
    with trace() as t:
        model(inp).sum().backward()
    acc = sorted(e.formulas[0] for e in t.events if e.node == "AccumulateGrad")
    assert acc == ["accumulate into model.bias.grad", "accumulate into model.weight.grad"]


# ------------------------------------------------------------------------------ NaN and inf
def test_log_of_zero_names_the_first_non_finite_node() -> None:
    a = dagrad.tensor([1.0, 0.0, 2.0], requires_grad=True)
    with trace() as t, np.errstate(all="ignore"):
        y = (a * 2).sqrt()
        (y * a).log().sum().backward()
    bad = t.first_nonfinite
    assert bad is not None and bad.node == "LogBackward0" and bad.step == 2
    assert bad.cause == "input 0 (self) had a zero"
    assert [e.nonfinite for e in t.events] == [False, True, True, True, True, False]
    assert t.summary().splitlines()[-1] == (
        "first non-finite gradient: LogBackward0 (step 2): grad_self = grad / self"
        " \u2014 input 0 (self) had a zero")
    assert not bad.grad_inputs[0].finite and bad.grad_outputs[0].finite


def test_rmse_at_a_perfect_fit_goes_nan_in_backward() -> None:
    # sqrt at 0 has an infinite derivative; PowBackward0 then multiplies inf by 0.
    dagrad.manual_seed(0)
    model = dagrad.nn.Sequential(dagrad.nn.Linear(3, 4), dagrad.nn.Tanh(),
                                 dagrad.nn.Linear(4, 1))
    inp = dagrad.randn(8, 3)
    with dagrad.no_grad():
        target = model(inp)
    with trace() as t, np.errstate(all="ignore"):
        loss = ((model(inp) - target) ** 2).mean().sqrt()
        loss.backward()
    assert loss.item() == 0.0
    assert np.isnan(model[0].weight.grad.numpy()).all()
    bad = t.first_nonfinite
    assert bad.node == "SqrtBackward0"
    assert bad.cause == "the output (result) had a zero"
    assert t.events[bad.step].node == "MeanBackward0"       # the next step, already non-finite
    last = t.summary().splitlines()[-1]
    assert last == (f"first non-finite gradient: SqrtBackward0 (step {bad.step}): "
                    "grad_self = grad / (2 * result) \u2014 the output (result) had a zero")


# ------------------------------------------------------------------------------ reports
def test_summary_layout() -> None:
    x = dagrad.tensor([3.0, 4.0], requires_grad=True)
    with trace() as t:
        (x * x).sum().backward()
    lines = t.summary().splitlines()
    assert re.split(r"\s{2,}", lines[0].strip()) == [
        "step", "node", "grad in (shape norm)", "grad out (shape norm)", "formula"]
    assert len(lines) == len(t.events) + 2
    assert re.split(r"\s{2,}", lines[2].strip()) == [
        "2", "MulBackward0", "[2] 1.414", "->", "[2] 5, [2] 5",
        "grad_self = grad * other, grad_other = grad * self"]
    assert str(t) == t.summary()
    assert t.events[1].grad_inputs[0] == GradInfo((2,), 5.0, True)


def test_to_html(tmp_path: Any) -> None:
    a = dagrad.tensor([1.0, 0.0], requires_grad=True)
    with trace() as t, np.errstate(all="ignore"):
        loss = a.log().sum()
        loss.backward()
    path = tmp_path / "trace.html"
    page = t.to_html(str(path))
    assert path.read_text(encoding="utf-8") == page
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert "<table>" in page and "LogBackward0" in page and "SumBackward0" in page
    assert "grad_self = grad / self" in page
    assert "first non-finite gradient: LogBackward0 (step 2)" in page
    assert 'class="bad"' in page
    if hasattr(dagrad.viz, "to_html"):
        assert "<iframe" in page and "srcdoc=" in page
    assert not re.search(r"""(src|href)=["']?https?:""", page)     # self-contained


def test_custom_function_and_autograd_grad() -> None:
    from dagrad.autograd.function import Function

    class Double(Function):
        @staticmethod
        def forward(ctx: Any, x: dagrad.Tensor) -> dagrad.Tensor:
            return x * 2

        @staticmethod
        def backward(ctx: Any, g: dagrad.Tensor) -> dagrad.Tensor:
            return g * 2

    x = dagrad.tensor([1.0, 2.0], requires_grad=True)
    with trace() as t:
        (g,) = dagrad.autograd.grad(Double.apply(x).sum(), x)
    assert g.tolist() == [2.0, 2.0]
    assert [e.node for e in t.events] == ["SumBackward0", "DoubleBackward"]
    assert t.events[1].formulas == ["Double.backward (a custom Function)"]


def test_observer_is_removed_even_on_error() -> None:
    x = dagrad.tensor([1.0], requires_grad=True)
    with pytest.raises(ZeroDivisionError), trace():
        (x * 2).sum().backward()
        raise ZeroDivisionError
    assert not any(isinstance(o, trace) for o in engine.OBSERVERS)
    t = trace()
    with t:
        pass
    with pytest.raises(RuntimeError, match="entered twice"), t:
        pass


def test_trace_and_profiler_together() -> None:
    from dagrad.autograd.profiler import profile
    x = dagrad.tensor([1.0, 2.0], requires_grad=True)
    with profile() as prof, trace() as t:
        (x * x).sum().backward()
    assert [e.node for e in t.events] == ["SumBackward0", "MulBackward0", "AccumulateGrad"]
    assert {e.key: e.count for e in prof.key_averages()}["MulBackward0"] == 1
    assert x.grad.tolist() == [2.0, 4.0]
