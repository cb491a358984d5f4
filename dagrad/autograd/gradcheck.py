"""``gradcheck`` and ``gradgradcheck``: analytical gradients against central finite differences.

The numerical Jacobian perturbs one input element at a time by ``±eps`` (in place, in the input's
own memory, as PyTorch does) and takes ``(f(x + eps) - f(x - eps)) / (2 * eps)``; the analytical
Jacobian is built row by row with ``dagrad.autograd.grad`` and one-hot ``grad_outputs``. Both are
``(input.numel(), output.numel())`` matrices, compared with ``allclose(analytical, numerical,
rtol, atol)``. Signatures, defaults, checks and messages are PyTorch 2.13's
(``torch/autograd/gradcheck.py``), with ``dagrad.`` where PyTorch prints ``torch.``.

Complex numbers follow PyTorch's convention: a complex output is checked as two real functions
(its real part, then its imaginary part); a complex input contributes the conjugate Wirtinger
column ``ds/dx + 1j * ds/dy``.

Example:
    >>> x = dagrad.randn(3, dtype=dagrad.float64, requires_grad=True)
    >>> dagrad.autograd.gradcheck(lambda t: (t * t).sin(), (x,))
    True
"""
from __future__ import annotations

import sys
import types
import warnings
from typing import Any, Callable, Sequence

import numpy as np

from dagrad._tensor import Tensor

__all__ = ["GradcheckError", "gradcheck", "gradgradcheck"]


class GradcheckError(RuntimeError):
    """Raised by ``gradcheck``/``gradgradcheck`` when a check fails (PyTorch's class name)."""


FAILED_NONDET_MSG = """\n
NOTE: If your op relies on non-deterministic operations, this failure might be expected.
If the test manually invokes gradcheck/gradgradcheck, then call gradcheck/gradgradcheck
with `nondet_tol=<tol>` as a keyword argument.
"""

FAILED_BATCHED_GRAD_MSG = """
gradcheck or gradgradcheck failed while testing batched gradient computation.
If the test manually invokes gradcheck/gradgradcheck, then call gradcheck/gradgradcheck
with `check_batched_grad=False` as a keyword argument.
""".strip()

FAST_FAIL_SLOW_OK_MSG = """
Fast gradcheck failed but element-wise differences are small. This means that the
test might've passed in slow_mode!

If the test manually invokes gradcheck/gradgradcheck, then call gradcheck/gradgradcheck
with `fast_mode=False` as a keyword argument.
""".strip()

_BC_WARNING = (
    "Backwards compatibility: New undefined gradient support checking feature is enabled by "
    "default, but it may break existing callers of this function. If this is true for you, you "
    'can call this function with "check_undefined_grad=False" to disable the feature')


# --------------------------------------------------------------------------- small helpers


def _as_tuple(x: Any) -> tuple:
    if isinstance(x, tuple):
        return x
    if isinstance(x, list):
        return tuple(x)
    return (x,)


def _differentiable_outputs(x: Any) -> tuple:
    return tuple(o for o in _as_tuple(x) if o.requires_grad)


def _diff_inputs(inputs: Sequence) -> list[Tensor]:
    return [t for t in inputs if isinstance(t, Tensor) and t.requires_grad]


def _is_float_or_complex(t: Any) -> bool:
    return isinstance(t, Tensor) and t._data.dtype.kind in "fc"


def _tensor(a: np.ndarray) -> Tensor:
    return Tensor._make(np.asarray(a))


def _grad(outputs: Any, inputs: Sequence, grad_outputs: Any, **kwargs: Any) -> tuple:
    from dagrad.autograd import engine
    return engine.grad(outputs, inputs, grad_outputs, **kwargs)


def _allclose(a: np.ndarray, b: np.ndarray, rtol: float, atol: float) -> bool:
    dt = np.promote_types(a.dtype, b.dtype)
    return bool(np.allclose(a.astype(dt), b.astype(dt), rtol=rtol, atol=atol, equal_nan=False))


def _notallclose_msg(analytical: np.ndarray, numerical: np.ndarray, output_idx: int,
                     input_idx: int, complex_indices: Sequence[int] | None,
                     test_imag: bool = False, is_forward_ad: bool = False) -> str:
    out_is_complex = (not is_forward_ad) and complex_indices and output_idx in complex_indices
    inp_is_complex = is_forward_ad and complex_indices and input_idx in complex_indices
    part = "imaginary" if test_imag else "real"
    element = "inputs" if is_forward_ad else "outputs"
    prefix = "" if not (out_is_complex or inp_is_complex) else \
        f"While considering the {part} part of complex {element} only, "
    mode = "computed with forward mode " if is_forward_ad else ""
    return (prefix + f"Jacobian {mode}mismatch for output {output_idx:d} with respect to input "
            f"{input_idx:d},\nnumerical:{_tensor(numerical)}\nanalytical:{_tensor(analytical)}\n")


# --------------------------------------------------------------------------- input checks


def _check_inputs(tupled_inputs: tuple) -> None:
    any_input_requiring_grad = False
    for idx, inp in enumerate(tupled_inputs):
        if not (isinstance(inp, Tensor) and inp.requires_grad):
            continue
        if inp._data.dtype not in (np.float64, np.complex128):
            warnings.warn(
                f"Input #{idx} requires gradient and "
                "is not a double precision floating point or complex. "
                "This check will likely fail if all the inputs are "
                "not of double precision floating point or complex. ",
                stacklevel=4,
            )
        arr = inp._data
        # (NumPy gives empty arrays zero strides: nothing overlaps there)
        if arr.size and not all(st > 0 or sz <= 1
                                for st, sz in zip(arr.strides, arr.shape, strict=True)):
            raise RuntimeError(
                f"The {idx}th input has a dimension with stride 0. gradcheck only "
                "supports inputs that are non-overlapping to be able to "
                "compute the numerical gradients correctly. You should call "
                ".contiguous on the input before passing it to gradcheck.")
        any_input_requiring_grad = True
    if not any_input_requiring_grad:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, "
                         "but none of them have requires_grad=True.")


# --------------------------------------------------------------------------- numerical side


def _outputs_copy(func: Callable, inputs: tuple) -> list[np.ndarray]:
    # A copy of each output: a view of an input would change when the input is restored.
    return [np.array(o._data, copy=True) for o in _as_tuple(func(*inputs))]


def _check_same_dtype_and_shape(a: np.ndarray, b: np.ndarray, eps: float, idx: Any) -> None:
    on_index = f"on index {idx} " if idx is not None else ""
    if a.shape != b.shape:
        from dagrad._tensor import Size
        raise AssertionError(f"Expected `func` to return outputs with the same shape when inputs "
                             f"are perturbed {on_index}by {eps}, but got: shapes {Size(a.shape)} "
                             f"and {Size(b.shape)}.")
    if a.dtype != b.dtype:
        from dagrad._dtypes import from_numpy_dtype
        raise AssertionError(f"Expected `func` to return outputs with the same dtype when inputs "
                             f"are perturbed {on_index}by {eps}, but got: dtypes "
                             f"{from_numpy_dtype(a.dtype)} and {from_numpy_dtype(b.dtype)}.")


def _central_difference(func: Callable, inputs: tuple, arr: np.ndarray, where: Any,
                        delta: Any, norm: float, eps: float, idx: Any) -> list[np.ndarray]:
    """``(f(x + delta) - f(x - delta)) / (2 * norm)`` per output, flattened.

    ``arr`` is the input's own memory; ``arr[where]`` is perturbed in place and restored.
    """
    orig = np.array(arr[where], copy=True)
    arr[where] = orig - delta
    try:
        outa = _outputs_copy(func, inputs)
        arr[where] = orig + delta
        outb = _outputs_copy(func, inputs)
    finally:
        arr[where] = orig
    res = []
    for a, b in zip(outa, outb, strict=True):
        _check_same_dtype_and_shape(a, b, eps, idx)
        if a.dtype.kind not in "fc":
            res.append(None)
            continue
        res.append(((b - a) / (2 * norm)).reshape(-1))
    return res


def _numerical_jacobian(func: Callable, inputs: tuple, func_out: tuple,
                        eps: float) -> list[list[np.ndarray]]:
    """``J[input_idx][output_idx]``: (input.numel(), output.numel()) for every float output."""
    float_outs = [o for o in func_out if _is_float_or_complex(o)]
    out_pos = [i for i, o in enumerate(func_out) if _is_float_or_complex(o)]
    jacobians = []
    for inp in _diff_inputs(inputs):
        arr = inp._data
        is_complex = arr.dtype.kind == "c"
        jac = [np.zeros((arr.size, o._data.size), dtype=arr.dtype if is_complex else o._data.dtype)
               for o in float_outs]
        for d_idx, idx in enumerate(np.ndindex(*arr.shape)):
            ds_dx = _central_difference(func, inputs, arr, idx, eps, eps, eps, idx)
            if is_complex:
                ds_dy = _central_difference(func, inputs, arr, idx, eps * 1j, eps, eps, idx)
            for k, pos in enumerate(out_pos):
                col = ds_dx[pos]
                if is_complex:
                    col = col + ds_dy[pos] * 1j
                jac[k][d_idx] = col
        jacobians.append(jac)
    return jacobians


# --------------------------------------------------------------------------- analytical side


def _analytical_rows(diff: list[Tensor], output: Tensor) -> tuple[list[np.ndarray], bool, bool]:
    """One backward per output element: row ``j`` of the Jacobian is ``grad(output, e_j)``."""
    n = output._data.size
    jac = [np.zeros((t._data.size, n), dtype=t._data.dtype) for t in diff]
    sizes_ok = types_ok = True
    flat = np.zeros(n, dtype=output._data.dtype)
    for j in range(n):
        flat[:] = 0
        flat[j] = 1
        g_out = _tensor(flat.reshape(output._data.shape).copy())
        grads = _grad(output, diff, g_out, retain_graph=True, allow_unused=True)
        for i, g in enumerate(grads):
            if g is None:
                continue
            if g._data.shape != diff[i]._data.shape:
                sizes_ok = False
            elif g._data.dtype != diff[i]._data.dtype:
                types_ok = False
            if g._data.size != diff[i]._data.size:
                raise GradcheckError("Analytical gradient has incorrect size")
            jac[i][:, j] = g._data.reshape(-1)
    return jac, sizes_ok, types_ok


def _analytical_jacobian(inputs: tuple, output: Tensor, nondet_tol: float,
                         check_grad_dtypes: bool) -> list[np.ndarray]:
    diff = _diff_inputs(inputs)
    jac1, sizes_ok, types_ok = _analytical_rows(diff, output)
    jac2, _, _ = _analytical_rows(diff, output)      # run twice: backward must be reentrant
    reentrant = all(a.size == 0 or np.abs(a - b).max() <= nondet_tol
                    for a, b in zip(jac1, jac2, strict=True))
    if not types_ok and check_grad_dtypes:
        raise GradcheckError("Gradient has dtype mismatch")
    if not sizes_ok:
        raise GradcheckError("Analytical gradient has incorrect size")
    if not reentrant:
        raise GradcheckError(
            "Backward is not reentrant, i.e., running backward with "
            "same input and grad_output multiple times gives different values, "
            "although analytical gradient matches numerical gradient."
            f"The tolerance for nondeterminism was {nondet_tol}." + FAILED_NONDET_MSG)
    return jac1


# --------------------------------------------------------------------------- slow and fast modes


def _slow_gradcheck(func: Callable, func_out: Any, inputs: tuple, outputs: tuple, eps: float,
                    rtol: float, atol: float, check_grad_dtypes: bool, nondet_tol: float, *,
                    complex_indices: Sequence[int] | None = None,
                    test_imag: bool = False) -> bool:
    func_out = _as_tuple(func_out)
    numerical = _numerical_jacobian(func, inputs, func_out, eps)
    if not outputs:
        for per_input in numerical:
            for jac in per_input:
                if np.count_nonzero(jac):
                    raise GradcheckError("Numerical gradient for function expected to be zero")
        return True
    # numerical[input][float output] -> per differentiable output, per input
    float_outs = [o for o in func_out if _is_float_or_complex(o)]
    by_output = [[numerical[i][k] for i in range(len(numerical))]
                 for k, o in enumerate(float_outs) if o.requires_grad]
    for i, o in enumerate(outputs):
        analytical = _analytical_jacobian(inputs, o, nondet_tol, check_grad_dtypes)
        for j, (a, n) in enumerate(zip(analytical, by_output[i], strict=True)):
            if not _allclose(a, n, rtol, atol):
                raise GradcheckError(_notallclose_msg(a, n, i, j, complex_indices, test_imag))
    return True


def _unit_vector(numel: int, rng: np.random.Generator) -> np.ndarray:
    v = rng.random(numel)
    norm = np.linalg.norm(v)
    return v / norm if norm else v


def _fast_gradcheck(func: Callable, func_out: Any, inputs: tuple, outputs: tuple, eps: float,
                    rtol: float, atol: float, check_grad_dtypes: bool, nondet_tol: float, *,
                    complex_indices: Sequence[int] | None = None,
                    test_imag: bool = False) -> bool:
    """Compare ``v^T J u`` for random unit ``u`` (per input) and ``v`` (per output)."""
    func_out = _as_tuple(func_out)
    diff = _diff_inputs(inputs)
    rng = np.random.default_rng(0)
    all_u = [_unit_vector(t._data.size, rng) for t in diff]
    all_v = [_unit_vector(o._data.size, rng) for o in outputs]
    # numerical: J u by one central difference along u, then v . (J u)
    numerical = []
    for t, u in zip(diff, all_u, strict=True):
        arr = t._data
        delta = (u * eps).reshape(arr.shape).astype(arr.dtype)
        ju = _central_difference(func, inputs, arr, Ellipsis, delta, eps, eps, None)
        ju = [c for c, o in zip(ju, func_out, strict=True) if c is not None and o.requires_grad]
        if not outputs:
            for c in ju:
                if c.size and np.abs(c).max() > nondet_tol:
                    raise GradcheckError("Numerical gradient for function expected to be zero")
        numerical.append([np.dot(v, c) for v, c in zip(all_v, ju, strict=True)])
    # analytical: (v^T J) u
    for j, (o, v) in enumerate(zip(outputs, all_v, strict=True)):
        g_out = _tensor(v.reshape(o._data.shape).astype(o._data.dtype))
        grads1 = _grad(o, diff, g_out, retain_graph=True, allow_unused=True)
        grads2 = _grad(o, diff, g_out, retain_graph=True, allow_unused=True)
        for i, (t, u) in enumerate(zip(diff, all_u, strict=True)):
            g1, g2 = grads1[i], grads2[i]
            vj1 = np.zeros(t._data.size) if g1 is None else g1._data.reshape(-1)
            vj2 = np.zeros(t._data.size) if g2 is None else g2._data.reshape(-1)
            if vj1.size and np.abs(vj1 - vj2).max() > nondet_tol:
                raise GradcheckError(
                    "Backward is not reentrant, i.e., running backward with "
                    "same input and grad_output multiple times gives different values, "
                    "although analytical gradient matches numerical gradient."
                    f"The tolerance for nondeterminism was {nondet_tol}." + FAILED_NONDET_MSG)
            a = np.asarray(np.dot(vj1, u))
            n = np.asarray(numerical[i][j])
            adjusted_atol = atol * float(u.sum()) * float(v.sum())
            if not _allclose(a, n, rtol, adjusted_atol):
                raise GradcheckError(
                    _notallclose_msg(a, n, j, i, complex_indices, test_imag)
                    + _slow_mode_error(func, inputs, outputs, i, j, rtol, atol, eps))
    return True


def _slow_mode_error(func: Callable, inputs: tuple, outputs: tuple, input_idx: int,
                     output_idx: int, rtol: float, atol: float, eps: float) -> str:
    func_out = _as_tuple(func(*inputs))
    numerical = _numerical_jacobian(func, inputs, func_out, eps)[input_idx]
    float_outs = [o for o in func_out if _is_float_or_complex(o)]
    n = [j for j, o in zip(numerical, float_outs, strict=True) if o.requires_grad][output_idx]
    a = _analytical_jacobian(inputs, outputs[output_idx], float("inf"), False)[input_idx]
    max_diff = np.abs(n - a).max() if n.size else np.float64(0)
    msg = (
        "\nThe above quantities relating the numerical and analytical jacobians are computed \n"
        "in fast mode. See: https://github.com/pytorch/pytorch/issues/53876 for more background \n"
        "about fast mode. Below, we recompute numerical and analytical jacobians in slow mode:\n\n"
        f"Numerical:\n {_tensor(n)}\n"
        f"Analytical:\n{_tensor(a)}\n\n"
        f"The max per-element difference (slow mode) is: {_tensor(max_diff)}.\n")
    if _allclose(a, n, rtol, atol):
        msg += FAST_FAIL_SLOW_OK_MSG
    return msg


# --------------------------------------------------------------------------- complex outputs


def _real_and_imag_output(fn: Callable) -> tuple[Callable, Callable]:
    from dagrad.ops.pointwise import imag, real

    def apply_to_c_outs(fn_to_apply: Callable) -> Callable:
        def wrapped_fn(*inputs: Any) -> tuple:
            outs = _as_tuple(fn(*inputs))
            return tuple(fn_to_apply(o) if o.is_complex() else o for o in outs)
        return wrapped_fn

    return apply_to_c_outs(real), apply_to_c_outs(imag)


def _gradcheck_real_imag(gradcheck_fn: Callable, func: Callable, func_out: Any, inputs: tuple,
                         outputs: tuple, eps: float, rtol: float, atol: float,
                         check_grad_dtypes: bool, nondet_tol: float) -> None:
    complex_out_indices = [i for i, o in enumerate(outputs) if o.is_complex()]
    if any(o.is_complex() for o in _as_tuple(func_out)):
        real_fn, imag_fn = _real_and_imag_output(func)
        imag_out = imag_fn(*inputs)
        gradcheck_fn(imag_fn, imag_out, inputs, _differentiable_outputs(imag_out), eps, rtol,
                     atol, check_grad_dtypes, nondet_tol, complex_indices=complex_out_indices,
                     test_imag=True)
        real_out = real_fn(*inputs)
        gradcheck_fn(real_fn, real_out, inputs, _differentiable_outputs(real_out), eps, rtol,
                     atol, check_grad_dtypes, nondet_tol, complex_indices=complex_out_indices)
    else:
        gradcheck_fn(func, func_out, inputs, outputs, eps, rtol, atol, check_grad_dtypes,
                     nondet_tol)


# --------------------------------------------------------------------------- extra checks


def _test_batched_grad(inputs: tuple, output: Tensor, output_idx: int) -> bool:
    """``grad(..., is_grads_batched=True)`` must equal one ``grad`` per row."""
    from dagrad import _random
    diff = _diff_inputs(inputs)

    def fill(results: tuple) -> list[np.ndarray]:
        return [np.zeros(t._data.shape, t._data.dtype) if g is None else g._data
                for g, t in zip(results, diff, strict=True)]

    rows = [_random.normal(output._data.shape).astype(output._data.dtype) for _ in range(2)]
    expected = [fill(_grad(output, diff, _tensor(r), retain_graph=True, allow_unused=True))
                for r in rows]
    expected = [np.stack(shards) for shards in zip(*expected, strict=True)]
    try:
        result = _grad(output, diff, _tensor(np.stack(rows)), retain_graph=True,
                       allow_unused=True, is_grads_batched=True)
    except RuntimeError as ex:
        raise GradcheckError(f"While computing batched gradients, got: {ex}\n\n"
                             f"{FAILED_BATCHED_GRAD_MSG}") from ex
    for input_idx, (res, exp) in enumerate(zip(result, expected, strict=True)):
        got = np.zeros_like(exp) if res is None else res._data
        if got.shape == exp.shape and np.allclose(got, exp):
            continue
        raise GradcheckError(f"For output {output_idx} and input {input_idx}:\n\n"
                             f"{FAILED_BATCHED_GRAD_MSG}\n\nGot:\n{_tensor(got)}\n\n"
                             f"Expected:\n{_tensor(exp)}")
    return True


def _test_backward_mul_by_grad_output(outputs: tuple, inputs: tuple) -> bool:
    diff = _diff_inputs(inputs)
    if not diff:
        raise GradcheckError("no Tensors requiring grad found in input")
    zeros = [_tensor(np.zeros_like(o._data)) for o in outputs]
    grads_input = _grad(outputs, diff, zeros, allow_unused=True)
    for gi, di in zip(grads_input, diff, strict=True):
        if gi is None:
            continue
        if np.any(gi._data != 0):
            raise GradcheckError("backward not multiplied by grad_output")
        if gi._data.dtype != di._data.dtype:
            raise GradcheckError("grad is incorrect type")
        if gi._data.shape != di._data.shape:
            raise GradcheckError("grad is incorrect size")
    return True


def _test_undefined_backward_mode(func: Callable, outputs: tuple, inputs: tuple) -> bool:
    """Backward must treat missing output gradients as zeros.

    dagrad has no "undefined" gradient tensor: an output left out of ``grad`` is the undefined
    one (a multi-output node then fills in zeros). So: all outputs with zero gradients, then,
    with several outputs, each one left out in turn.
    """
    diff = _diff_inputs(inputs)
    if not diff:
        raise GradcheckError("no Tensors requiring grad found in input")

    def check(outs: list) -> bool:
        if not outs:
            return True
        zeros = [_tensor(np.zeros_like(o._data)) for o in outs]
        try:
            grads_input = _grad(outs, diff, zeros, allow_unused=True)
        except RuntimeError as e:
            warnings.warn(_BC_WARNING, stacklevel=2)
            raise GradcheckError(
                "Expected backward function to handle undefined output grads. "
                'Please look at "Notes about undefined output gradients" in '
                '"tools/autograd/derivatives.yaml"') from e
        for gi in grads_input:
            if gi is not None and np.any(gi._data != 0):
                warnings.warn(_BC_WARNING, stacklevel=2)
                raise GradcheckError(
                    "Expected all input grads to be undefined or zero when all output grads are "
                    'undefined or zero. Please look at "Notes about undefined output gradients" '
                    'in "tools/autograd/derivatives.yaml"')
        return True

    to_check = [list(_differentiable_outputs(func(*inputs)))]
    if len(to_check[0]) > 1:
        for undef in range(len(outputs)):
            outs = _differentiable_outputs(func(*inputs))
            to_check.append([o for k, o in enumerate(outs) if k != undef])
    return all(check(outs) for outs in to_check)


# --------------------------------------------------------------------------- public API


def gradcheck(func: Callable[..., Any], inputs: Any, *, eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3, raise_exception: bool = True, nondet_tol: float = 0.0,
              check_undefined_grad: bool = True, check_grad_dtypes: bool = False,
              check_batched_grad: bool = False, check_batched_forward_grad: bool = False,
              check_forward_ad: bool = False, check_backward_ad: bool = True,
              fast_mode: bool = False, masked: bool | None = None) -> bool:
    """Check the gradients of ``func`` at ``inputs`` against central finite differences.

    Args:
        func: takes the tensors of ``inputs`` and returns a Tensor or a tuple of Tensors.
        inputs: a Tensor or a tuple of Tensors (and other arguments); those with
            ``requires_grad=True`` are checked. Use float64 (or complex128).
        eps: perturbation for finite differences.
        atol, rtol: tolerances of ``allclose(analytical, numerical)``.
        raise_exception: raise ``GradcheckError`` with the details on failure (else return
            False).
        nondet_tol: how far two backward passes with the same input may differ.
        check_undefined_grad: check that zero (missing) output gradients give zero input
            gradients.
        check_grad_dtypes: fail when a gradient's dtype differs from its input's.
        check_batched_grad: check ``grad(..., is_grads_batched=True)`` against one ``grad`` per
            row.
        check_batched_forward_grad, check_forward_ad: forward-mode checks; dagrad has no
            forward-mode AD, so True raises NotImplementedError.
        check_backward_ad: run the reverse-mode checks (must be True in dagrad).
        fast_mode: compare ``v^T J u`` for random ``u``, ``v`` instead of whole Jacobians (real
            inputs and outputs; complex ones fall back to the full check).
        masked: accepted for PyTorch compatibility (dagrad has no sparse tensors).

    Returns:
        True if all analytical and numerical Jacobians agree.

    Example:
        >>> x = dagrad.randn(2, 3, dtype=dagrad.float64, requires_grad=True)
        >>> gradcheck(lambda t: t.exp().sum(1), (x,))
        True
    """
    if not (check_forward_ad or check_backward_ad):
        raise AssertionError(
            "Expected at least one of check_forward_ad or check_backward_ad to be True")
    if check_batched_grad and not check_backward_ad:
        raise AssertionError(
            "Setting check_batched_grad=True requires check_backward_ad to be True")
    if check_batched_forward_grad and not check_forward_ad:
        raise AssertionError(
            "Setting check_batched_forward_grad=True requires check_forward_ad to be True")
    try:
        return _gradcheck_helper(func, inputs, eps, atol, rtol, nondet_tol, check_undefined_grad,
                                 check_grad_dtypes, check_batched_grad, check_forward_ad,
                                 check_backward_ad, fast_mode)
    except GradcheckError:
        if raise_exception:
            raise
        return False


def _gradcheck_helper(func: Callable, inputs: Any, eps: float, atol: float, rtol: float,
                      nondet_tol: float, check_undefined_grad: bool, check_grad_dtypes: bool,
                      check_batched_grad: bool, check_forward_ad: bool, check_backward_ad: bool,
                      fast_mode: bool) -> bool:
    tupled_inputs = _as_tuple(inputs)
    _check_inputs(tupled_inputs)
    if check_forward_ad:
        raise NotImplementedError("gradcheck: check_forward_ad=True needs forward-mode AD, which "
                                  "dagrad does not implement; use check_forward_ad=False")
    func_out = func(*tupled_inputs)
    outputs = _differentiable_outputs(func_out)
    any_complex = any(t.is_complex() for t in _as_tuple(func_out) if isinstance(t, Tensor)) or \
        any(t.is_complex() for t in _diff_inputs(tupled_inputs))
    gradcheck_fn = _fast_gradcheck if fast_mode and not any_complex else _slow_gradcheck
    if check_backward_ad:
        _gradcheck_real_imag(gradcheck_fn, func, func_out, tupled_inputs, outputs, eps, rtol,
                             atol, check_grad_dtypes, nondet_tol)
    if not check_backward_ad:
        return True
    for i, o in enumerate(outputs):
        if check_batched_grad:
            _test_batched_grad(tupled_inputs, o, i)
    if outputs:
        _test_backward_mul_by_grad_output(outputs, tupled_inputs)
        if check_undefined_grad:
            _test_undefined_backward_mode(func, outputs, tupled_inputs)
    return True


def _random_grad_output(t: Tensor, noncontiguous: bool) -> Tensor:
    """Uniform in [-1, 1), like ``torch.testing.make_tensor(low=-1, high=1)``, from dagrad's RNG."""
    from dagrad import _random
    kind = t._data.dtype.kind
    dt = t._data.dtype if kind in "fc" else np.dtype(np.float64)
    shape = t._data.shape
    if noncontiguous and len(shape) and t._data.size > 1:
        wide = shape[:-1] + (shape[-1] * 2,)
        arr = np.asarray(_random.uniform(wide) * 2 - 1).astype(dt)[..., ::2]
    else:
        arr = np.asarray(_random.uniform(shape) * 2 - 1).astype(dt)
    if kind == "c":
        arr = np.asarray(arr + 1j * (_random.uniform(shape) * 2 - 1)).astype(dt)
    out = Tensor._make(arr)
    out.requires_grad_(True)
    return out


def gradgradcheck(func: Callable[..., Any], inputs: Any, grad_outputs: Any = None, *,
                  eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
                  gen_non_contig_grad_outputs: bool = False, raise_exception: bool = True,
                  nondet_tol: float = 0.0, check_undefined_grad: bool = True,
                  check_grad_dtypes: bool = False, check_batched_grad: bool = False,
                  check_fwd_over_rev: bool = False, check_rev_over_rev: bool = True,
                  fast_mode: bool = False, masked: bool = False) -> bool:
    """Check the gradients of the gradients of ``func`` (with ``create_graph=True``).

    ``gradcheck`` runs on ``(inputs, grad_outputs) -> grad(func(inputs), inputs, grad_outputs)``,
    so both the inputs and the output gradients are checked. Without ``grad_outputs``, random
    ones in [-1, 1) are drawn from dagrad's global generator (``dagrad.manual_seed`` fixes them).

    Example:
        >>> x = dagrad.randn(3, dtype=dagrad.float64, requires_grad=True)
        >>> gradgradcheck(lambda t: t.pow(3), (x,))
        True
    """
    if not (check_fwd_over_rev or check_rev_over_rev):
        raise AssertionError(
            "Expected at least one of check_fwd_over_rev or check_rev_over_rev to be True")
    if check_undefined_grad and not check_rev_over_rev:
        raise AssertionError(
            "Setting check_undefined_grad=True requires check_rev_over_rev to be True")
    if check_batched_grad and not check_rev_over_rev:
        raise AssertionError(
            "Setting check_batched_grad=True requires check_rev_over_rev to be True")
    tupled_inputs = _as_tuple(inputs)
    if grad_outputs is None:
        outputs = _differentiable_outputs(func(*tupled_inputs))
        tupled_grad_outputs = tuple(_random_grad_output(x, gen_non_contig_grad_outputs)
                                    for x in outputs)
    else:
        tupled_grad_outputs = _as_tuple(grad_outputs)
    num_outputs = len(tupled_grad_outputs)
    diff_input_args_indices = {i for i, x in enumerate(tupled_inputs)
                               if isinstance(x, Tensor) and x.requires_grad}
    diff_grad_output_indices = {i for i, x in enumerate(tupled_grad_outputs) if x.requires_grad}

    def new_func(*args: Any) -> tuple:
        input_args = tuple(x.requires_grad_() if i in diff_input_args_indices else x
                           for i, x in enumerate(args[:-num_outputs]))
        outputs = _differentiable_outputs(func(*input_args))
        g_outs = tuple(x.requires_grad_() if i in diff_grad_output_indices else x
                       for i, x in enumerate(args[-num_outputs:]))
        diff_input_args = tuple(x for i, x in enumerate(input_args)
                                if i in diff_input_args_indices)
        grad_inputs = _grad(outputs, diff_input_args, g_outs, create_graph=True,
                            allow_unused=True)
        return tuple(g for g in grad_inputs if g is not None)

    return gradcheck(new_func, tupled_inputs + tupled_grad_outputs, eps=eps, atol=atol,
                     rtol=rtol, raise_exception=raise_exception, nondet_tol=nondet_tol,
                     check_undefined_grad=check_undefined_grad,
                     check_grad_dtypes=check_grad_dtypes, check_batched_grad=check_batched_grad,
                     fast_mode=fast_mode, check_forward_ad=check_fwd_over_rev,
                     check_backward_ad=check_rev_over_rev, masked=masked)


# Note [Callable gradcheck module]
# PyTorch's `torch.autograd.gradcheck` is the function, while this file is the submodule
# `dagrad.autograd.gradcheck`. Importing a submodule sets it as an attribute of its package, so
# once this module is imported `dagrad.autograd.gradcheck` (and `from dagrad.autograd import
# gradcheck`) may give the module instead of the function. Calling the module calls the function,
# so `dagrad.autograd.gradcheck(f, inputs)` works either way.
class _CallableModule(types.ModuleType):
    def __call__(self, *args: Any, **kwargs: Any) -> bool:
        return gradcheck(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
