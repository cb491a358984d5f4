"""gradcheck / gradgradcheck: pass on correct gradients, fail with PyTorch's text on wrong ones."""
from __future__ import annotations

import re
import subprocess
import sys

import numpy as np
import pytest

import dagrad
from dagrad.autograd.gradcheck import GradcheckError, gradcheck, gradgradcheck
from dagrad.ops import pointwise
from dagrad.ops._registry import defop


# Deliberately wrong ops, registered once for this module (names start with `_test_`).
@defop(node="WrongBackward0", grads={"self": lambda grad, self: grad * 3 * self})
def _test_wrong_square(self):
    return self * self


@defop(node="DetachedBackward0",
       grads={"self": lambda grad, self: grad * pointwise.cos(self).detach()})
def _test_sin_first_order_only(self):
    return np.sin(self)


_noise = np.random.default_rng(0)


@defop(node="NoisyBackward0", grads={
    "self": lambda grad, self: grad * 2 * self + dagrad.tensor(_noise.normal(size=()) * 1e-3)})
def _test_noisy_square(self):
    return self * self


def double(*values: float, requires_grad: bool = True) -> dagrad.Tensor:
    return dagrad.tensor(list(values), dtype=dagrad.float64, requires_grad=requires_grad)


# --------------------------------------------------------------------------- passing checks


def test_gradcheck_passes_on_correct_functions() -> None:
    x = dagrad.tensor([[0.3, -1.2, 0.7], [1.1, 0.4, -0.5]], dtype=dagrad.float64,
                      requires_grad=True)
    w = double(0.5, -2.0, 1.5)
    assert gradcheck(lambda a, b: (a * b).tanh().sum(1), (x, w))
    assert gradcheck(lambda a: a.exp(), x)                           # a single tensor input
    assert gradcheck(lambda a, k: a.pow(k), (x, 3))                  # a non-tensor argument
    assert gradcheck(lambda a: a.unbind(0), (x,))                    # several outputs
    assert gradcheck(lambda a, b: (a @ b, a.sum()), (x, w))          # outputs of two nodes


def test_gradgradcheck_passes_on_correct_functions() -> None:
    dagrad.manual_seed(0)
    x = double(0.3, -1.2, 0.7)
    assert gradgradcheck(lambda a: (a * a * a).sin(), (x,))
    assert gradgradcheck(lambda a: (a.exp() * a).sum(), (x,), gen_non_contig_grad_outputs=True)
    assert gradgradcheck(lambda a: a * 2, (x,), (double(1.0, 2.0, 3.0),))


def test_gradcheck_fast_mode_and_batched_grad() -> None:
    x = dagrad.tensor([[0.3, -1.2], [1.1, 0.4]], dtype=dagrad.float64, requires_grad=True)
    assert gradcheck(lambda a: a.sigmoid() @ a, (x,), fast_mode=True)
    assert gradcheck(lambda a: a.sigmoid() @ a, (x,), check_batched_grad=True)
    assert gradgradcheck(lambda a: a.sigmoid() @ a, (x,), fast_mode=True)


def test_gradcheck_complex_inputs_and_outputs() -> None:
    z = dagrad.tensor([1 + 2j, -0.5 + 0.3j], dtype=dagrad.complex128, requires_grad=True)
    assert gradcheck(lambda a: a * a, (z,))
    assert gradcheck(lambda a: (a * a.conj()).real, (z,))
    assert gradcheck(lambda a: a.abs(), (z,))


def test_gradcheck_function_without_differentiable_outputs() -> None:
    x = double(0.5, 1.5)
    assert gradcheck(lambda a: a > 1, (x,))


def test_autograd_gradcheck_is_callable() -> None:
    x = double(0.5, 1.5)
    assert dagrad.autograd.gradcheck(lambda a: a.log(), (x,))
    from dagrad.autograd import gradcheck as gc
    assert gc(lambda a: a.log(), (x,))


# --------------------------------------------------------------------------- failing checks

WRONG_SQUARE_MESSAGE = (
    "Jacobian mismatch for output 0 with respect to input 0,\n"
    "numerical:tensor([[2.0000, 0.0000],\n"
    "        [0.0000, 4.0000]], dtype=dagrad.float64)\n"
    "analytical:tensor([[3., 0.],\n"
    "        [0., 6.]], dtype=dagrad.float64)\n")


def test_gradcheck_fails_on_wrong_gradient_with_torch_text() -> None:
    x = double(1.0, 2.0)
    with pytest.raises(GradcheckError) as err:
        gradcheck(_test_wrong_square, (x,))
    assert str(err.value) == WRONG_SQUARE_MESSAGE
    assert isinstance(err.value, RuntimeError)


def test_gradcheck_message_matches_torch() -> None:
    torch = pytest.importorskip("torch")

    class WrongSquare(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):  # noqa: ANN001, ANN205
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):  # noqa: ANN001, ANN205
            (x,) = ctx.saved_tensors
            return g * 3 * x

    xt = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    with pytest.raises(sys.modules["torch.autograd.gradcheck"].GradcheckError) as theirs:
        torch.autograd.gradcheck(WrongSquare.apply, (xt,))
    assert str(theirs.value).replace("torch.", "dagrad.") == WRONG_SQUARE_MESSAGE


def test_gradcheck_raise_exception_false_returns_false() -> None:
    assert gradcheck(_test_wrong_square, (double(1.0, 2.0),), raise_exception=False) is False
    assert gradcheck(_test_wrong_square, (double(1.0, 2.0),), fast_mode=True,
                     raise_exception=False) is False


def test_gradcheck_fast_mode_message_recomputes_slow_mode() -> None:
    with pytest.raises(GradcheckError) as err:
        gradcheck(_test_wrong_square, (double(1.0, 2.0),), fast_mode=True)
    text = str(err.value)
    assert text.startswith("Jacobian mismatch for output 0 with respect to input 0,\nnumerical:")
    assert "Below, we recompute numerical and analytical jacobians in slow mode:" in text
    assert "The max per-element difference (slow mode) is: 1.99999" in text


def test_gradgradcheck_catches_a_wrong_second_derivative() -> None:
    dagrad.manual_seed(0)
    x = double(0.3, -1.2, 0.7)
    assert gradcheck(_test_sin_first_order_only, (x,))
    with pytest.raises(GradcheckError, match="^Jacobian mismatch for output 0 with respect to "
                                             "input 0,\nnumerical:"):
        gradgradcheck(_test_sin_first_order_only, (x,))


def test_gradcheck_complex_output_message_names_the_part() -> None:
    z = dagrad.tensor([1 + 2j], dtype=dagrad.complex128, requires_grad=True)
    with pytest.raises(GradcheckError, match="^While considering the imaginary part of complex "
                                             "outputs only, Jacobian mismatch for output 0"):
        gradcheck(lambda a: _test_wrong_square(a.real) * 1j, (z,))


def test_gradcheck_non_reentrant_backward() -> None:
    with pytest.raises(GradcheckError, match="^Backward is not reentrant, i.e., running backward "
                                             "with same input and grad_output multiple times "
                                             "gives different values, although analytical "
                                             "gradient matches numerical gradient.The tolerance "
                                             "for nondeterminism was 0.0."):
        gradcheck(_test_noisy_square, (double(1.0, 2.0),), atol=1e-2)


# --------------------------------------------------------------------------- input checks


def test_gradcheck_warns_on_float32_inputs() -> None:
    x = dagrad.tensor([1.0, 2.0], requires_grad=True)
    with pytest.warns(UserWarning, match=re.escape(
            "Input #0 requires gradient and is not a double precision floating point or complex. "
            "This check will likely fail if all the inputs are not of double precision floating "
            "point or complex. ")):
        gradcheck(lambda a: a * 2, (x,), raise_exception=False)


def test_gradcheck_needs_an_input_that_requires_grad() -> None:
    with pytest.raises(ValueError, match=re.escape(
            "gradcheck expects at least one input tensor to require gradient, but none of them "
            "have requires_grad=True.")):
        gradcheck(lambda a: a * 2, (double(1.0, requires_grad=False),))


def test_gradcheck_refuses_overlapping_inputs() -> None:
    x = double(1.0).detach().expand(3).requires_grad_()
    with pytest.raises(RuntimeError, match=re.escape(
            "The 0th input has a dimension with stride 0. gradcheck only supports inputs that "
            "are non-overlapping to be able to compute the numerical gradients correctly. You "
            "should call .contiguous on the input before passing it to gradcheck.")):
        gradcheck(lambda a: a * 2, (x,))


def test_gradcheck_forward_ad_is_not_implemented() -> None:
    with pytest.raises(NotImplementedError):
        gradcheck(lambda a: a * 2, (double(1.0),), check_forward_ad=True)
    with pytest.raises(AssertionError, match="Expected at least one of check_forward_ad or "
                                             "check_backward_ad to be True"):
        gradcheck(lambda a: a * 2, (double(1.0),), check_backward_ad=False)


def test_lazy_autograd_gradcheck_attributes_in_a_fresh_interpreter() -> None:
    code = ("import dagrad\n"
            "x = dagrad.tensor([1.0, 2.0], dtype=dagrad.float64, requires_grad=True)\n"
            "assert dagrad.autograd.gradgradcheck(lambda a: a * a, (x,))\n"
            "assert dagrad.autograd.gradcheck(lambda a: a * a, (x,))\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr[-500:]
