"""Autograd semantics, each checked against the value or text PyTorch 2.13 gives.

Sections: requires_grad, the graph (grad_fn, next_functions, AccumulateGrad, saved values),
.grad, retain_grad, backward, retain_graph / create_graph / inputs, autograd.grad, grad modes
(context managers, decorators, threads, inference mode), detach / .data / versions, Variable,
and scale (a 100,000-op chain; a graph freed without the garbage collector).

Tests marked ``xfail(strict=True)`` pin a known bug outside the files this suite may change;
each reason starts with "core bug".
"""
from __future__ import annotations

import gc
import re
import threading
import warnings
import weakref
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

import dagrad
from dagrad import autograd

BACKWARD_TWICE = (
    "Trying to backward through the graph a second time (or directly access saved tensors after "
    "they have already been freed). Saved intermediate values of the graph are freed when you "
    "call .backward() or autograd.grad(). Specify retain_graph=True if you need to backward "
    "through the graph a second time or if you need to access saved tensors after calling "
    "backward.")
NONLEAF_GRAD_WARNING = (
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad "
    "attribute won't be populated during autograd.backward(). If you indeed want the .grad field "
    "to be populated for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. If you "
    "access the non-leaf Tensor by mistake, make sure you access the leaf Tensor instead. See "
    "github.com/pytorch/pytorch/pull/30531 for more information.")
CREATE_GRAPH_WARNING = (
    "Using backward() with create_graph=True will create a reference cycle between the parameter "
    "and its gradient which can cause a memory leak. We recommend using autograd.grad when "
    "creating the graph to avoid this. If you have to use this function, make sure to reset the "
    ".grad fields of your parameters to None after use to break the cycle and avoid the leak.")
NONLEAF_REQUIRES_GRAD = (
    "you can only change requires_grad flags of leaf variables. If you want to use a computed "
    "variable in a subgraph that doesn't require differentiation use var_no_grad = var.detach().")
FACTORY_INT = "Only Tensors of floating point and complex dtype can require gradients"
ATTR_INT = "only Tensors of floating point and complex dtype can require gradients"
METHOD_INT = "only Tensors of floating point dtype can require gradients"
NO_GRAD_FN = "element 0 of tensors does not require grad and does not have a grad_fn"


def exact(message: str) -> str:
    """A ``pytest.raises(match=...)`` pattern for exactly ``message``."""
    return "^" + re.escape(message) + "$"


@pytest.fixture(autouse=True)
def _grad_mode_restored() -> Iterator[None]:
    yield
    assert dagrad.is_grad_enabled() and not dagrad.is_inference_mode_enabled()


def x3() -> dagrad.Tensor:
    return dagrad.tensor([1., 2., 3.], requires_grad=True)


# ------------------------------------------------------------------------------------------
# requires_grad
# ------------------------------------------------------------------------------------------

def test_requires_grad_defaults_to_false_and_propagates() -> None:
    x, y = dagrad.tensor([1., 2.]), dagrad.tensor([4., 5.])
    assert not x.requires_grad and not (x + y).requires_grad
    y.requires_grad = True
    z = x + y
    assert z.requires_grad and z.grad_fn is not None and not z.is_leaf
    assert (z * 0).requires_grad        # the value does not matter, only the graph


@pytest.mark.parametrize("make", [
    lambda: dagrad.tensor([1, 2, 3], requires_grad=True),
    lambda: dagrad.ones(3, dtype=dagrad.int64, requires_grad=True),
    lambda: dagrad.zeros(3, dtype=dagrad.int32, requires_grad=True),
    lambda: dagrad.full((2,), 3, requires_grad=True),
    lambda: dagrad.arange(3, requires_grad=True),
    lambda: dagrad.tensor([True], requires_grad=True),
    lambda: dagrad.eye(2, dtype=dagrad.long, requires_grad=True),
    lambda: dagrad.randint(0, 3, (2,), requires_grad=True),
    lambda: dagrad.zeros_like(dagrad.arange(3), requires_grad=True),
    lambda: dagrad.empty(2, dtype=dagrad.uint8, requires_grad=True),
], ids=["tensor", "ones", "zeros", "full", "arange", "bool", "eye", "randint", "zeros_like",
        "empty"])
def test_integer_factory_with_requires_grad_message(make: Callable[[], Any]) -> None:
    with pytest.raises(RuntimeError, match=exact(FACTORY_INT)):
        make()


def test_integer_attribute_and_method_messages() -> None:
    t = dagrad.tensor([1, 10])
    with pytest.raises(RuntimeError, match=exact(ATTR_INT)):
        t.requires_grad = True
    with pytest.raises(RuntimeError, match=exact(METHOD_INT)):
        dagrad.arange(3).requires_grad_()
    assert not t.requires_grad
    t.requires_grad = False                          # switching off is always allowed
    assert dagrad.arange(3).requires_grad_(False).requires_grad is False


def test_floating_and_complex_can_require_grad() -> None:
    for dt in (dagrad.float16, dagrad.float32, dagrad.float64, dagrad.complex64,
               dagrad.complex128):
        assert dagrad.ones(2, dtype=dt, requires_grad=True).requires_grad
        assert dagrad.ones(2, dtype=dt).requires_grad_().requires_grad
    assert repr(dagrad.tensor([1j], requires_grad=True)) == "tensor([0.+1.j], requires_grad=True)"


def test_requires_grad_method_returns_self_and_sets_flag() -> None:
    t = dagrad.tensor([1., 2.])
    assert t.requires_grad_() is t and t.requires_grad and t.is_leaf
    assert t.requires_grad_(False) is t and not t.requires_grad


def test_requires_grad_on_non_leaf() -> None:
    y = x3() * 2
    assert y.requires_grad_(True) is y                # already requires grad: no-op
    with pytest.raises(RuntimeError, match=exact(NONLEAF_REQUIRES_GRAD)):
        y.requires_grad_(False)
    with pytest.raises(RuntimeError, match=exact(NONLEAF_REQUIRES_GRAD)):
        y.requires_grad = False


def test_requires_grad_true_attribute_on_non_leaf_short_message() -> None:
    # PyTorch 2.13: setting True on a non-leaf gives only the first sentence.
    y = x3() * 2
    with pytest.raises(RuntimeError, match=exact(
            "you can only change requires_grad flags of leaf variables.")):
        y.requires_grad = True


def test_is_leaf() -> None:
    x = x3()
    assert x.is_leaf and dagrad.ones(2).is_leaf and (dagrad.ones(2) * 2).is_leaf
    assert not (x * 2).is_leaf and x.detach().is_leaf
    with dagrad.no_grad():
        assert (x * 2).is_leaf and not (x * 2).requires_grad


# ------------------------------------------------------------------------------------------
# The graph
# ------------------------------------------------------------------------------------------

X23 = dagrad.tensor([[1., 2., 3.], [4., 5., 6.]])
NODE_NAMES = [
    ("x+w", "AddBackward0"), ("x+1", "AddBackward0"), ("x-w", "SubBackward0"),
    ("1-x", "RsubBackward1"), ("x*w", "MulBackward0"), ("x*2", "MulBackward0"),
    ("x/w", "DivBackward0"), ("x/2", "DivBackward0"), ("1/x", "MulBackward0"),
    ("-x", "NegBackward0"), ("x**2", "PowBackward0"), ("x.pow(3)", "PowBackward0"),
    ("x**w", "PowBackward1"), ("2**x", "PowBackward2"), ("x.sum()", "SumBackward0"),
    ("x.sum(0)", "SumBackward1"), ("x.sum(1, keepdim=True)", "SumBackward1"),
    ("x.mean()", "MeanBackward0"), ("x.mean(0)", "MeanBackward1"),
    ("x.max()", "MaxBackward1"), ("x.min()", "MinBackward1"), ("x.exp()", "ExpBackward0"),
    ("x.log()", "LogBackward0"), ("x.tanh()", "TanhBackward0"),
    ("x.sigmoid()", "SigmoidBackward0"), ("x.relu()", "ReluBackward0"),
    ("x.sqrt()", "SqrtBackward0"), ("x.abs()", "AbsBackward0"), ("x.sin()", "SinBackward0"),
    ("x.cos()", "CosBackward0"), ("x @ m", "MmBackward0"), ("x @ v", "MvBackward0"),
    ("v.dot(v)", "DotBackward0"), ("b @ b.transpose(1, 2)", "UnsafeViewBackward0"),
    ("dagrad.bmm(b, b.transpose(1, 2))", "BmmBackward0"), ("x.view(6)", "ViewBackward0"),
    ("x.reshape(6)", "ViewBackward0"), ("x.flatten()", "ViewBackward0"),
    ("x.t().reshape(6)", "UnsafeViewBackward0"), ("x.t()", "TBackward0"),
    ("x.T", "PermuteBackward0"), ("x.permute(1, 0)", "PermuteBackward0"),
    ("x.transpose(0, 1)", "TransposeBackward0"), ("x.expand(2, 2, 3)", "ExpandBackward0"),
    ("x.unsqueeze(0)", "UnsqueezeBackward0"), ("x.unsqueeze(0).squeeze()", "SqueezeBackward0"),
    ("x.unsqueeze(0).squeeze(0)", "SqueezeBackward1"), ("x[0]", "SelectBackward0"),
    ("x[1:]", "SliceBackward0"), ("x[[0, 1]]", "IndexBackward0"),
    ("dagrad.cat([x, w])", "CatBackward0"), ("dagrad.stack([x, w])", "StackBackward0"),
    ("x.clone()", "CloneBackward0"), ("x.double()", "ToCopyBackward0"),
    ("dagrad.where(x > 2, x, w)", "WhereBackward0"), ("x.clamp(0, 1)", "ClampBackward1"),
    ("dagrad.maximum(x, w)", "MaximumBackward0"), ("x.norm()", "LinalgVectorNormBackward0"),
    ("x.unbind()[0]", "UnbindBackward0"),
]


def _node_env(lib: Any) -> dict:
    x = lib.tensor([[1., 2., 3.], [4., 5., 6.]], requires_grad=True)
    return {"dagrad": lib, "x": x, "w": lib.tensor([[1., 2., 3.], [4., 5., 6.]],
                                                     requires_grad=True),
            "v": lib.tensor([1., 2., 3.], requires_grad=True),
            "m": lib.ones(3, 2, requires_grad=True), "b": lib.ones(2, 3, 4, requires_grad=True)}


@pytest.mark.parametrize("expr, name", NODE_NAMES, ids=[e for e, _ in NODE_NAMES])
def test_grad_fn_names(expr: str, name: str) -> None:
    node = eval(expr, _node_env(dagrad)).grad_fn
    assert node.name() == name and type(node).__name__ == name
    assert re.fullmatch(rf"<{name} object at 0x[0-9a-f]+>", repr(node))
    assert node.metadata == {}


@pytest.mark.parametrize("expr, name", NODE_NAMES, ids=[e for e, _ in NODE_NAMES])
def test_grad_fn_names_match_torch(expr: str, name: str) -> None:
    torch = pytest.importorskip("torch")
    assert eval(expr, _node_env(torch)).grad_fn.name() == name


def test_next_functions_structure() -> None:
    x, w = x3(), dagrad.tensor([4., 5., 6.], requires_grad=True)
    y = x * w
    (acc_x, i), (acc_w, j) = y.grad_fn.next_functions
    assert (i, j) == (0, 0)
    assert type(acc_x).__name__ == "AccumulateGrad" and acc_x.variable is x
    assert acc_w.variable is w and acc_x.name() == "torch::autograd::AccumulateGrad"
    assert acc_x.next_functions == ()
    # one AccumulateGrad per leaf, shared by every graph while it is alive
    assert (x * 2).grad_fn.next_functions[0][0] is acc_x
    assert (x * x).grad_fn.next_functions[0][0] is (x * x).grad_fn.next_functions[1][0]
    # constants and tensors that do not require grad: (None, 0)
    assert (x + 1).grad_fn.next_functions[1] == (None, 0)
    assert (x + dagrad.ones(3)).grad_fn.next_functions[1] == (None, 0)
    assert (dagrad.ones(3) * x).grad_fn.next_functions[0] == (None, 0)
    # a chain: SumBackward0 -> MulBackward0 -> AccumulateGrad
    s = (x * 2).sum()
    mul = s.grad_fn.next_functions[0][0]
    assert mul.name() == "MulBackward0" and mul.next_functions[0][0].variable is x


def test_unbind_outputs_have_output_numbers() -> None:
    parts = x3().unbind()
    assert [p.output_nr for p in parts] == [0, 1, 2]
    assert parts[0].grad_fn is parts[2].grad_fn
    assert ((parts[2] * 2).grad_fn.next_functions[0]) == (parts[0].grad_fn, 2)


def test_saved_values() -> None:
    x, w = x3(), dagrad.tensor([4., 5., 6.], requires_grad=True)
    y = x * w
    assert y.grad_fn._saved_self is x and y.grad_fn._saved_other is w
    assert (x * 2).grad_fn._saved_self is None           # other needs no grad: self not saved
    p = x ** 2
    assert p.grad_fn._saved_exponent == 2 and type(p.grad_fn._saved_exponent) is int
    assert p.grad_fn._saved_self is x
    p35 = x.pow(3.5)
    assert p35.grad_fn._saved_exponent == 3.5 and type(p35.grad_fn._saved_exponent) is float
    y.sum().backward()
    for attr in ("_saved_self", "_saved_other"):
        with pytest.raises(RuntimeError, match=exact(BACKWARD_TWICE)):
            getattr(y.grad_fn, attr)


def test_saved_result_is_the_output() -> None:
    x = x3()
    e = x.exp()
    saved = e.grad_fn._saved_result
    np.testing.assert_array_equal(saved.detach().numpy(), e.detach().numpy())
    assert saved.grad_fn is e.grad_fn


def test_saved_scalar_survives_backward() -> None:
    # PyTorch frees saved tensors only; a saved scalar such as the exponent stays readable.
    p = x3() ** 2
    p.sum().backward()
    assert p.grad_fn._saved_exponent == 2


def test_saved_scalar_other_is_a_tensor() -> None:
    # PyTorch wraps the scalar: (x * 2).grad_fn._saved_other is tensor(2)
    assert repr((x3() * 2).grad_fn._saved_other) == "tensor(2)"


# ------------------------------------------------------------------------------------------
# .grad and retain_grad
# ------------------------------------------------------------------------------------------

def test_grad_accumulates_and_resets() -> None:
    x = x3()
    assert x.grad is None
    for _ in range(3):
        (x * x).sum().backward()
    assert x.grad.tolist() == [6., 12., 18.]
    x.grad.zero_()
    assert repr(x.grad) == "tensor([0., 0., 0.])"
    x.grad = None
    (x * x).sum().backward()
    assert repr(x.grad) == "tensor([2., 4., 6.])"
    assert x.grad.grad_fn is None and not x.grad.requires_grad


def test_non_leaf_grad_warns_and_is_none() -> None:
    y = x3() * 2
    with pytest.warns(UserWarning) as record:
        assert y.grad is None
    assert [str(w.message) for w in record] == [NONLEAF_GRAD_WARNING]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert x3().grad is None                  # a leaf: no warning
        y.retain_grad()
        assert y.grad is None                     # retains_grad: no warning


def test_retain_grad() -> None:
    x = x3()
    y = x * 2
    y.retain_grad()
    assert y.retains_grad
    (y * y).sum().backward()
    assert y.grad.tolist() == [4., 8., 12.] and x.grad.tolist() == [8., 16., 24.]
    x.retain_grad()                                # a leaf: no-op
    assert not x.retains_grad
    with pytest.raises(RuntimeError, match=exact(
            "can't retain_grad on Tensor that has requires_grad=False")):
        dagrad.ones(2).retain_grad()


def test_grad_assignment_checks_size() -> None:
    x = x3()
    with pytest.raises(RuntimeError, match=exact(
            "attempting to assign a gradient of size '[2]' to a tensor of size '[3]'. Please "
            "ensure that the gradient and the tensor are the same size")):
        x.grad = dagrad.ones(2)
    x.grad = dagrad.ones(3)
    (x * 2).sum().backward()
    assert x.grad.tolist() == [3., 3., 3.]


# ------------------------------------------------------------------------------------------
# backward
# ------------------------------------------------------------------------------------------

def test_backward_with_gradient_argument() -> None:
    x = x3()
    (x * x).backward(gradient=dagrad.tensor([1., 0., 2.]))
    assert x.grad.tolist() == [2., 0., 12.]


def test_retain_graph() -> None:
    x = x3()
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.tolist() == [4., 8., 12.]
    with pytest.raises(RuntimeError, match=exact(BACKWARD_TWICE)):
        y.backward()


def test_second_backward_without_saved_tensors_accumulates() -> None:
    x = x3()
    y = (x + x).sum()
    y.backward()
    y.backward()
    assert x.grad.tolist() == [4., 4., 4.]


def test_backward_inside_no_grad_still_works() -> None:
    x = x3()
    y = (x * x).sum()
    with dagrad.no_grad():
        y.backward()
    assert x.grad.tolist() == [2., 4., 6.]


def test_create_graph_warning_and_second_derivative() -> None:
    x = x3()
    with pytest.warns(UserWarning) as record:
        (x ** 3).sum().backward(create_graph=True)
    assert [str(w.message) for w in record] == [CREATE_GRAPH_WARNING]
    assert repr(x.grad) == "tensor([ 3., 12., 27.], grad_fn=<CopyBackwards>)"
    g = x.grad
    x.grad = None
    g.sum().backward()
    assert x.grad.tolist() == [6., 12., 18.]        # d/dx sum(3x^2) = 6x


def test_create_graph_with_inputs_does_not_warn() -> None:
    x = x3()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        (x ** 3).sum().backward(create_graph=True, inputs=[x])
    assert x.grad.grad_fn is not None


def test_backward_inputs_limits_accumulation() -> None:
    x, w = x3(), dagrad.tensor([1., 1., 1.], requires_grad=True)
    (x * w).sum().backward(inputs=[w])
    assert x.grad is None and w.grad.tolist() == [1., 2., 3.]
    (x * w).sum().backward(inputs=x)
    assert x.grad.tolist() == [1., 1., 1.] and w.grad.tolist() == [1., 2., 3.]


def test_backward_inputs_non_leaf_gets_grad() -> None:
    x = x3()
    y = x * 2
    (y * y).sum().backward(inputs=[y])
    assert x.grad is None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert y.grad.tolist() == [4., 8., 12.]


def test_backward_empty_inputs_message() -> None:
    with pytest.raises(RuntimeError, match=exact(
            "`inputs` argument to `backward()` cannot be empty.")):
        (x3() * 2).sum().backward(inputs=[])


def test_autograd_backward_function() -> None:
    x = x3()
    autograd.backward([(x * 2).sum(), (x * 3).sum()])
    assert x.grad.tolist() == [5., 5., 5.]
    x.grad = None
    autograd.backward([x * 2, x * x], [dagrad.ones(3), dagrad.tensor([1., 0., 1.])])
    assert x.grad.tolist() == [4., 2., 8.]
    x.grad = None
    dagrad.autograd.backward((x * x).sum(), inputs=[x])
    assert x.grad.tolist() == [2., 4., 6.]


# ------------------------------------------------------------------------------------------
# autograd.grad
# ------------------------------------------------------------------------------------------

def test_grad_basic_does_not_touch_dot_grad() -> None:
    t = dagrad.tensor([1., 2., 4.]).requires_grad_()
    u = dagrad.tensor([10., 20.]).requires_grad_()
    a = t.pow(2).sum() + u.log().sum()
    grads = autograd.grad(a, (t, u))
    assert repr(grads) == "(tensor([2., 4., 8.]), tensor([0.1000, 0.0500]))"
    assert t.grad is None and u.grad is None
    with pytest.raises(RuntimeError, match=exact(BACKWARD_TWICE)):
        autograd.grad(a, t)                       # retain_graph defaults to False


def test_grad_single_input_gives_one_element_tuple() -> None:
    x = x3()
    g = autograd.grad((x * x).sum(), x)
    assert isinstance(g, tuple) and len(g) == 1 and g[0].tolist() == [2., 4., 6.]


def test_grad_outputs_and_several_outputs_sum() -> None:
    x = x3()
    (g,) = autograd.grad(x * 2, x, grad_outputs=dagrad.tensor([1., 0., 2.]))
    assert g.tolist() == [2., 0., 4.]
    (g,) = autograd.grad([x * 2, x * x], x, grad_outputs=[dagrad.ones(3), dagrad.ones(3)])
    assert g.tolist() == [4., 6., 8.]
    (g,) = autograd.grad([(x * 2).sum(), (x * x).sum()], [x])
    assert g.tolist() == [4., 6., 8.]
    with pytest.raises(RuntimeError, match=exact(
            "grad can be implicitly created only for scalar outputs")):
        autograd.grad(x * 2, x)


def test_grad_unused_inputs() -> None:
    x, z = x3(), dagrad.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match=exact(
            "The differentiated Tensor at index 1 appears to not have been used in the graph. "
            "Set allow_unused=True if this is the desired behavior.")):
        autograd.grad((x * 2).sum(), [x, z])
    gx, gz = autograd.grad((x * 2).sum(), [x, z], allow_unused=True)
    assert gx.tolist() == [2., 2., 2.] and gz is None
    gx, gz = autograd.grad((x * 2).sum(), [x, z], materialize_grads=True)
    assert repr(gz) == "tensor([0., 0., 0.])"
    with pytest.raises(ValueError, match=exact(
            "Expected allow_unused to be True or not passed when materialize_grads=True, but "
            "got: allow_unused=False.")):
        autograd.grad((x * 2).sum(), [x, z], materialize_grads=True, allow_unused=False)


def test_grad_input_that_does_not_require_grad() -> None:
    with pytest.raises(RuntimeError, match=exact(
            "One of the differentiated Tensors does not require grad")):
        autograd.grad((x3() * 2).sum(), [dagrad.ones(2)])


def test_grad_of_output_without_graph() -> None:
    x = x3()
    with dagrad.no_grad():
        z = x * 3
    with pytest.raises(RuntimeError, match=exact(NO_GRAD_FN)):
        autograd.grad(z.sum(), x)
    (g,) = autograd.grad((x ** 3).sum(), x)          # no create_graph: g has no history
    with pytest.raises(RuntimeError, match=exact(NO_GRAD_FN)):
        g.sum().backward()


def test_grad_create_graph_higher_order() -> None:
    x = x3()
    (g,) = autograd.grad(x.pow(2).sum(), x, create_graph=True)
    assert repr(g) == "tensor([2., 4., 6.], grad_fn=<MulBackward0>)"
    (g,) = autograd.grad((x * x).sum(), x, create_graph=True)     # two paths meet: a sum
    assert repr(g) == "tensor([2., 4., 6.], grad_fn=<AddBackward0>)"
    (g3,) = autograd.grad((x ** 3).sum(), x, create_graph=True)
    (g2,) = autograd.grad(g3.sum(), x)
    assert g2.tolist() == [6., 12., 18.]


def test_grad_with_no_inputs_message() -> None:
    with pytest.raises(RuntimeError, match=exact(
            "`inputs` argument to `grad()` cannot be empty.")):
        autograd.grad((x3() * 2).sum(), [])


# ------------------------------------------------------------------------------------------
# Grad modes
# ------------------------------------------------------------------------------------------

def test_no_grad_enable_grad_nesting() -> None:
    x = x3()
    assert dagrad.is_grad_enabled()
    with dagrad.no_grad():
        assert not dagrad.is_grad_enabled() and not (x * 2).requires_grad
        with dagrad.enable_grad():
            assert dagrad.is_grad_enabled() and (x * 2).requires_grad
        assert not (x * 2).requires_grad
    assert (x * 2).requires_grad


def test_modes_as_decorators() -> None:
    x = x3()

    @dagrad.no_grad()
    def called(a: Any) -> Any:
        return a * 2

    @dagrad.no_grad
    def bare(a: Any) -> Any:
        return a * 2

    @dagrad.enable_grad()
    def enabled(a: Any) -> Any:
        return a * 2

    @dagrad.set_grad_enabled(False)
    def disabled(a: Any) -> Any:
        return a * 2

    @dagrad.inference_mode()
    def inference(a: Any) -> Any:
        return a * 2

    @dagrad.inference_mode
    def inference_bare(a: Any) -> Any:
        return a * 2

    assert dagrad.is_grad_enabled()                 # decorating set_grad_enabled restored it
    assert not called(x).requires_grad and not bare(x).requires_grad
    assert not disabled(x).requires_grad
    with dagrad.no_grad():
        assert enabled(x).requires_grad
    for f in (inference, inference_bare):
        r = f(x)
        assert not r.requires_grad and r.is_inference()
    assert called.__name__ == "called" and bare.__name__ == "bare"


def test_decorated_generator_runs_in_the_mode() -> None:
    x = x3()

    @dagrad.no_grad()
    def gen() -> Iterator[bool]:
        yield dagrad.is_grad_enabled()
        yield (x * 2).requires_grad

    it = gen()
    assert next(it) is False
    assert dagrad.is_grad_enabled()                 # between steps the caller's mode holds
    assert next(it) is False


def test_modes_restore_after_exceptions() -> None:
    with pytest.raises(ValueError):
        with dagrad.no_grad():
            raise ValueError

    @dagrad.no_grad()
    def boom() -> None:
        raise ValueError

    with pytest.raises(ValueError):
        boom()
    assert dagrad.is_grad_enabled()


def test_set_grad_enabled_function_and_context() -> None:
    x = x3()
    dagrad.set_grad_enabled(False)
    try:
        assert not dagrad.is_grad_enabled() and not (x * 2).requires_grad
    finally:
        dagrad.set_grad_enabled(True)
    with dagrad.set_grad_enabled(False):
        assert not (x * 2).requires_grad
        with dagrad.set_grad_enabled(True):
            assert (x * 2).requires_grad
        assert not dagrad.is_grad_enabled()
    assert dagrad.is_grad_enabled()


def test_decorating_a_class_warns_and_constructs_under_the_mode() -> None:
    class Probe:
        def __init__(self) -> None:
            self.enabled = dagrad.is_grad_enabled()

    with pytest.warns(FutureWarning, match=exact(
            "Decorating classes is deprecated and will be disabled in future versions. You "
            "should only decorate functions or methods. To preserve the current behavior of "
            "class decoration, you can directly decorate the `__init__` method and nothing "
            "else.")):
        make = dagrad.no_grad()(Probe)
    assert make().enabled is False and dagrad.is_grad_enabled()


def test_grad_mode_is_thread_local() -> None:
    x = x3()
    seen: dict[str, bool] = {}
    inside, done = threading.Event(), threading.Event()

    def other_thread() -> None:
        seen["enabled"] = dagrad.is_grad_enabled()
        seen["records"] = (x * 2).requires_grad
        with dagrad.no_grad():
            seen["inner"] = dagrad.is_grad_enabled()
            inside.set()
            done.wait(5)

    with dagrad.no_grad():
        t = threading.Thread(target=other_thread)
        t.start()
        inside.wait(5)
        # this thread's no_grad is not the other thread's, and vice versa
        assert seen == {"enabled": True, "records": True, "inner": False}
    assert dagrad.is_grad_enabled() and (x * 2).requires_grad   # other thread still in no_grad
    done.set()
    t.join()


def test_inference_mode() -> None:
    x = x3()
    with dagrad.inference_mode():
        assert dagrad.is_inference_mode_enabled() and not dagrad.is_grad_enabled()
        y = x * 2
        t = dagrad.ones(2)
        assert not y.requires_grad and y.is_inference() and t.is_inference()
        with dagrad.enable_grad():
            # grad mode is on again, yet nothing is recorded inside inference mode
            z = x * 2
            assert dagrad.is_grad_enabled() and not z.requires_grad and z.is_inference()
        with dagrad.inference_mode(False):
            w = x * 2
            assert w.requires_grad and not w.is_inference() and dagrad.is_grad_enabled()
    assert not dagrad.ones(2).is_inference()
    with dagrad.inference_mode():
        t3 = dagrad.ones(3)
    with pytest.raises(RuntimeError, match=exact(
            "Inplace update to inference tensor outside InferenceMode is not allowed.You can "
            "make a clone to get a normal tensor before doing inplace update.See "
            "https://github.com/pytorch/rfcs/pull/17 for more details.")):
        t.add_(1)
    with pytest.raises(RuntimeError, match=exact(
            "Inference tensors cannot be saved for backward. Please do not use Tensors created "
            "in inference mode in computation tracked by autograd. To work around this, you can "
            "make a clone to get a normal tensor and use it in autograd, or use "
            "`dagrad.no_grad()` instead of `dagrad.inference_mode()`.")):
        t3 * x                                      # MulBackward0 would save t3


def test_inplace_on_leaf_allowed_under_no_grad() -> None:
    a = dagrad.tensor([1., 1.], requires_grad=True)
    with pytest.raises(RuntimeError, match=exact(
            "a leaf Variable that requires grad is being used in an in-place operation.")):
        a.add_(1)
    with dagrad.no_grad():
        a.add_(1)
    assert repr(a) == "tensor([2., 2.], requires_grad=True)" and a.is_leaf and a._version == 1


# ------------------------------------------------------------------------------------------
# detach, .data, versions, Variable
# ------------------------------------------------------------------------------------------

def test_detach_shares_memory_and_version_counter() -> None:
    x = x3()
    d = x.detach()
    assert not d.requires_grad and d.is_leaf and d.grad_fn is None
    assert np.shares_memory(d.numpy(), x.detach().numpy())
    d.zero_()
    assert repr(x) == "tensor([0., 0., 0.], requires_grad=True)"
    assert x._version == 1 and d._version == 1


def test_data_shares_memory_but_not_version_counter() -> None:
    x = x3()
    data = x.data
    assert not data.requires_grad and data.is_leaf
    data.add_(1)
    assert repr(x) == "tensor([2., 3., 4.], requires_grad=True)"
    assert x._version == 0 and data._version == 1


def test_detach_alias_modification_is_caught_but_data_is_not() -> None:
    x = dagrad.ones(3, requires_grad=True)
    y = x.exp()
    y.detach().add_(1)
    with pytest.raises(RuntimeError, match=r"^one of the variables needed for gradient "
                                           r"computation has been modified by an inplace "
                                           r"operation: \[dagrad\.FloatTensor \[3\]\], which is "
                                           r"output 0 of Exp, is at version 1; expected version "
                                           r"0 instead\."):
        y.sum().backward()
    y = x.exp()
    y.data.add_(1)
    y.sum().backward()                               # .data escapes the check, as in PyTorch
    assert repr(x.grad) == "tensor([3.7183, 3.7183, 3.7183])"


def test_detach_in_place() -> None:
    x = x3()
    y = x * 2
    assert y.detach_() is y
    assert not y.requires_grad and y.grad_fn is None and y.is_leaf


def test_version_counter_shared_with_views() -> None:
    t = dagrad.zeros(3)
    v = t.view(3)
    versions = [t._version]
    t.add_(1)
    versions.append(t._version)
    v.mul_(2)
    versions.append(t._version)
    assert versions == [0, 1, 2] and v._version == 2
    t[0] = 5
    assert (t._version, v._version) == (3, 3)
    s = t[1:]
    s.add_(1)
    assert t._version == 4 and t.tolist() == [5., 3., 3.]
    c = t.clone()
    c.add_(1)
    assert t._version == 4 and c._version == 1


def test_variable_returns_a_plain_tensor() -> None:
    v = autograd.Variable(dagrad.ones(2), requires_grad=True)
    assert type(v) is dagrad.Tensor and v.requires_grad and v.is_leaf
    assert repr(v) == "tensor([1., 1.], requires_grad=True)"
    w = dagrad.autograd.Variable(dagrad.randn(3, 2).type(dagrad.FloatTensor), requires_grad=False)
    assert type(w) is dagrad.Tensor and not w.requires_grad


def test_variable_makes_a_new_leaf_sharing_data() -> None:
    # PyTorch: a new tensor sharing t's memory and version counter; t is left alone
    t = dagrad.ones(2)
    v = autograd.Variable(t, requires_grad=True)
    assert v is not t and not t.requires_grad and v.requires_grad
    with dagrad.no_grad():
        v.add_(1)
    assert t.tolist() == [2., 2.] and t._version == 1


def test_variable_volatile_warns() -> None:
    with pytest.warns(UserWarning, match=exact(
            "volatile was removed and now has no effect. Use `with dagrad.no_grad():` "
            "instead.")):
        autograd.Variable(dagrad.ones(2), volatile=True)


def test_tensor_class_repr() -> None:
    # PyTorch prints <class 'torch.Tensor'> for type(x)
    assert repr(type(dagrad.ones(1))) == "<class 'dagrad.Tensor'>"


# ------------------------------------------------------------------------------------------
# Scale and memory
# ------------------------------------------------------------------------------------------

def test_hundred_thousand_op_chain() -> None:
    x = dagrad.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0000001
    y.backward()
    # every step multiplies by float32(1.0000001); the product agrees to float32 round-off
    expected = float(np.float32(1.0000001)) ** 100_000
    np.testing.assert_allclose(x.grad.item(), expected, rtol=1e-3)
    np.testing.assert_allclose(y.item(), expected, rtol=1e-3)
    assert y.grad_fn.name() == "MulBackward0"
    del y                                             # freeing the chain must not recurse


def test_graph_freed_without_garbage_collector() -> None:
    x = x3()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        y = (x * 2).exp().sum()
        root = weakref.ref(y.grad_fn)
        inner = weakref.ref(y.grad_fn.next_functions[0][0])
        del y
        assert root() is None and inner() is None
        a = x * 2
        b = a.sin()                                   # b's graph holds a's node
        node = weakref.ref(a.grad_fn)
        del a
        assert node() is not None
        del b
        assert node() is None
        # after backward, the graph and the saved tensors go with the output as well
        y = (x * x).sum()
        root = weakref.ref(y.grad_fn)
        y.backward()
        del y
        assert root() is None
    finally:
        if was_enabled:
            gc.enable()
