"""``dagrad.autograd.functional``: Jacobians, Hessians and their products, as functions of a
user function. The API of ``torch.autograd.functional``.

    jacobian(func, inputs)   d func / d inputs             vjp(func, inputs, v)   v^T J
    hessian(func, inputs)    d^2 func / d inputs^2         jvp(func, inputs, v)   J v
                                                           vhp(func, inputs, v)   v^T H
                                                           hvp(func, inputs, v)   H v

A single Tensor in gives a Tensor out; a tuple in gives (nested) tuples out. Outputs that do
not depend on an input get zeros (``strict=True`` raises PyTorch's messages instead).

Ported from PyTorch's ``torch/autograd/functional.py`` (BSD-3-Clause licence, Copyright (c)
Facebook, Inc. and its affiliates / the PyTorch contributors), which is pure Python over
``autograd.grad``. dagrad's additions:

* ``jacobian(strategy="forward-mode")`` works without forward-mode AD, by the double-backward
  trick (Note [Forward mode by double backward]), with ``vectorize`` True or False;
* ``jacobian(strategy="auto")`` picks forward-mode when the inputs have fewer elements in all
  than the outputs, reverse-mode otherwise (Note [Choosing the strategy]);
* the rows of a Jacobian run in ONE backward pass with a batch of gradients
  (Note [Batched backward]): this makes ``hessian`` of a 100-variable function a single extra
  pass instead of 100.
"""
from __future__ import annotations

import heapq
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

import dagrad
from dagrad import _errors
from dagrad._tensor import Tensor
from dagrad.autograd import engine
from dagrad.autograd.grad_mode import STATE
from dagrad.autograd.graph import SavedTensor, edge_of

__all__ = ["hessian", "hvp", "jacobian", "jvp", "vhp", "vjp"]

TensorOrTensors = Tensor | tuple[Tensor, ...]

# --------------------------------------------------------------------------- utilities (PyTorch)


def _as_tuple_nocheck(x: Any) -> tuple:
    if isinstance(x, tuple):
        return x
    if isinstance(x, list):
        return tuple(x)
    return (x,)


def _as_tuple(inp: Any, arg_name: str | None = None, fn_name: str | None = None) -> Any:
    """``(was_tuple, tuple_of_tensors)``; checks that every element is a Tensor."""
    if arg_name is None and fn_name is None:
        return _as_tuple_nocheck(inp)
    is_inp_tuple = True
    if not isinstance(inp, tuple):
        inp = (inp,)
        is_inp_tuple = False
    for i, el in enumerate(inp):
        if not isinstance(el, Tensor):
            if is_inp_tuple:
                raise TypeError(
                    f"The {arg_name} given to {fn_name} must be either a Tensor or a tuple of "
                    f"Tensors but the value at index {i} has type {type(el)}.")
            raise TypeError(
                f"The {arg_name} given to {fn_name} must be either a Tensor or a tuple of Tensors "
                f"but the given {arg_name} has type {type(el)}.")
    return is_inp_tuple, inp


def _tuple_postprocess(res: Any, to_unpack: bool | tuple[bool, bool]) -> Any:
    """Undo ``_as_tuple``: unwrap one level (or two, for a nested result) where the user gave a
    single Tensor."""
    if isinstance(to_unpack, tuple):
        if not to_unpack[1]:
            res = tuple(el[0] for el in res)
        if not to_unpack[0]:
            res = res[0]
    elif not to_unpack:
        res = res[0]
    return res


def _grad_preprocess(inputs: tuple, create_graph: bool, need_graph: bool) -> tuple:
    # Always a new Tensor object, so the inputs given as arguments are told apart from the same
    # tensors captured by the user's function (pytorch/pytorch#32576).
    res = []
    for inp in inputs:
        if create_graph and inp.requires_grad:
            res.append(inp.view_as(inp))       # a differentiable shallow copy
        else:
            res.append(inp.detach().requires_grad_(need_graph))
    return tuple(res)


def _grad_postprocess(inputs: tuple, create_graph: bool) -> tuple:
    # Return tensors with history only when the user asked for it.
    if isinstance(inputs[0], Tensor):
        if not create_graph:
            return tuple(inp.detach() for inp in inputs)
        return inputs
    return tuple(_grad_postprocess(inp, create_graph) for inp in inputs)


def _validate_v(v: tuple, other: tuple, is_other_tuple: bool) -> None:
    if len(other) != len(v):
        if is_other_tuple:
            raise RuntimeError(
                f"v is a tuple of invalid length: should be {len(other)} but got {len(v)}.")
        raise RuntimeError("The given v should contain a single Tensor.")
    for idx, (el_v, el_other) in enumerate(zip(v, other, strict=True)):
        if el_v.size() != el_other.size():
            prepend = f"Entry {idx} in " if is_other_tuple else ""
            raise RuntimeError(f"{prepend}v has invalid size: should be {el_other.size()} but "
                               f"got {el_v.size()}.")


def _check_requires_grad(inputs: tuple, input_type: str, strict: bool) -> None:
    # The strict-mode checks, with PyTorch's messages word for word.
    if not strict:
        return
    if input_type not in ["outputs", "grad_inputs", "jacobian", "hessian"]:
        raise RuntimeError("Invalid input_type to _check_requires_grad")
    for i, inp in enumerate(inputs):
        if inp is None:
            # only reachable for grad_inputs
            raise RuntimeError(
                f"The output of the user-provided function is independent of input {i}."
                " This is not allowed in strict mode.")
        if not inp.requires_grad:
            if input_type == "hessian":
                raise RuntimeError(
                    f"The hessian of the user-provided function with respect to input {i}"
                    " is independent of the input. This is not allowed in strict mode."
                    " You should ensure that your function is thrice differentiable and that"
                    " the hessian depends on the inputs.")
            if input_type == "jacobian":
                raise RuntimeError(
                    "While computing the hessian, found that the jacobian of the user-provided"
                    f" function with respect to input {i} is independent of the input. This is not"
                    " allowed in strict mode. You should ensure that your function is twice"
                    " differentiable and that the jacobian depends on the inputs (this would be"
                    " violated by a linear function for example).")
            if input_type == "grad_inputs":
                raise RuntimeError(
                    f"The gradient with respect to input {i} is independent of the inputs of the"
                    " user-provided function. This is not allowed in strict mode.")
            raise RuntimeError(
                f"Output {i} of the user-provided function does not require gradients."
                " The outputs must be computed in a differentiable manner from the input"
                " when running in strict mode.")


def _autograd_grad(outputs: tuple, inputs: tuple, grad_outputs: tuple | None = None,
                   create_graph: bool = False, retain_graph: bool | None = None,
                   is_grads_batched: bool = False) -> tuple:
    """``autograd.grad`` that skips outputs that are None or need no grad (their gradient is
    None) and always allows unused inputs."""
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    new_outputs: tuple = ()
    new_grad_outputs: tuple = ()
    for out, grad_out in zip(outputs, grad_outputs, strict=True):
        if out is not None and out.requires_grad:
            new_outputs += (out,)
            new_grad_outputs += (grad_out,)
    if len(new_outputs) == 0:
        return (None,) * len(inputs)       # no differentiable output: no engine call
    if is_grads_batched:
        return _batched_vjp(new_outputs, inputs, new_grad_outputs, create_graph)
    return dagrad.autograd.grad(new_outputs, inputs, new_grad_outputs, allow_unused=True,
                                create_graph=create_graph, retain_graph=retain_graph)


def _fill_in_zeros(grads: tuple, refs: tuple, strict: bool, create_graph: bool,
                   stage: str) -> tuple:
    # Replace a None gradient by zeros shaped like its ref, or raise in strict mode; `stage`
    # names the backward call, for the message.
    if stage not in ["back", "back_trick", "double_back", "double_back_trick"]:
        raise RuntimeError(f"Invalid stage argument '{stage}' to _fill_in_zeros")
    res: tuple = ()
    for i, grads_i in enumerate(grads):
        if grads_i is None:
            if strict:
                if stage == "back":
                    raise RuntimeError(
                        "The output of the user-provided function is independent of "
                        f"input {i}. This is not allowed in strict mode.")
                if stage == "back_trick":
                    raise RuntimeError(
                        f"The gradient with respect to the input is independent of entry {i}"
                        " in the grad_outputs when using the double backward trick to compute"
                        " forward mode gradients. This is not allowed in strict mode.")
                if stage == "double_back":
                    raise RuntimeError(
                        "The jacobian of the user-provided function is independent of "
                        f"input {i}. This is not allowed in strict mode.")
                raise RuntimeError(
                    "The hessian of the user-provided function is independent of "
                    f"entry {i} in the grad_jacobian. This is not allowed in strict "
                    "mode as it prevents from using the double backward trick to "
                    "replace forward mode AD.")
            grads_i = dagrad.zeros_like(refs[i])
        elif strict and create_graph and not grads_i.requires_grad:
            if "double" not in stage:
                raise RuntimeError(
                    "The jacobian of the user-provided function is independent of "
                    f"input {i}. This is not allowed in strict mode when create_graph=True.")
            raise RuntimeError(
                "The hessian of the user-provided function is independent of "
                f"input {i}. This is not allowed in strict mode when create_graph=True.")
        res += (grads_i,)
    return res


def _construct_standard_basis_for(tensors: tuple, tensor_numels: tuple[int, ...]) -> tuple:
    """The N x N identity (N = sum of numels) cut into column blocks, one per tensor, each in
    that tensor's dtype: block j has shape (N, numel_j).

    Example: numels (1, 2, 1) give [[1],[0],[0],[0]], [[0,0],[1,0],[0,1],[0,0]], [[0],[0],[0],[1]].
    """
    total = sum(tensor_numels)
    eye = np.eye(total)
    chunks = []
    start = 0
    for t, n in zip(tensors, tensor_numels, strict=True):
        block = np.ascontiguousarray(eye[:, start:start + n], dtype=t._data.dtype)
        chunks.append(dagrad.from_numpy(block))
        start += n
    return tuple(chunks)


def _split_rows(t: Tensor, sizes: Sequence[int]) -> list[Tensor]:
    """``t.split(sizes, dim=0)``."""
    out, start = [], 0
    for n in sizes:
        out.append(t.narrow(0, start, n))
        start += n
    return out


def _batched_zeros(batch: int, like: Tensor) -> Tensor:
    return dagrad.zeros((batch, *like.shape), dtype=like.dtype)


def _rows_or_zeros(rows: Tensor | None, batch: int, like: Tensor) -> Tensor:
    # contiguous: a batching rule may leave a broadcast (read-only, stride-0) array
    return _batched_zeros(batch, like) if rows is None else rows.contiguous()


def _rows_to_jacobian(rows: Tensor, out: Tensor, inp: Tensor) -> Tensor:
    """(out.numel(), *inp.shape) rows -> the block of shape out.shape + inp.shape."""
    return rows.view(out.size() + inp.size())


# --------------------------------------------------------------------------- vjp, jvp


def vjp(func: Callable[..., TensorOrTensors], inputs: TensorOrTensors,
        v: TensorOrTensors | None = None, create_graph: bool = False,
        strict: bool = False) -> tuple[TensorOrTensors, TensorOrTensors]:
    """The vector-Jacobian product ``v^T J`` of ``func`` at ``inputs``.

    Args:
        func: takes the inputs (as positional Tensors), returns a Tensor or a tuple of Tensors.
        inputs: a Tensor or a tuple of Tensors.
        v: shaped like the output(s); may be None when ``func`` returns one single-element Tensor.
        create_graph: make the outputs and the result differentiable.
        strict: raise when an input does not affect the outputs, instead of returning zeros.

    Returns:
        ``(func_output, vjp)``; ``vjp`` is shaped like ``inputs``.

    Example:
        >>> def adder(x, y):
        ...     return 2 * x + 3 * y
        >>> vjp(adder, (dagrad.rand(2), dagrad.rand(2)), dagrad.ones(2))[1]
        (tensor([2., 2.]), tensor([3., 3.]))
    """
    with dagrad.enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "vjp")
        inputs = _grad_preprocess(inputs, create_graph=create_graph, need_graph=True)
        outputs = func(*inputs)
        is_outputs_tuple, outputs = _as_tuple(
            outputs, "outputs of the user-provided function", "vjp")
        _check_requires_grad(outputs, "outputs", strict=strict)
        if v is not None:
            _, v = _as_tuple(v, "v", "vjp")
            v = _grad_preprocess(v, create_graph=create_graph, need_graph=False)
            _validate_v(v, outputs, is_outputs_tuple)
        elif len(outputs) != 1 or outputs[0].nelement() != 1:
            raise RuntimeError("The vector v can only be None if the user-provided function "
                               "returns a single Tensor with a single element.")

    enable_grad = True if create_graph else dagrad.is_grad_enabled()
    with dagrad.set_grad_enabled(enable_grad):
        grad_res = _autograd_grad(outputs, inputs, v, create_graph=create_graph)
        vjp_res = _fill_in_zeros(grad_res, inputs, strict, create_graph, "back")

    outputs = _grad_postprocess(outputs, create_graph)
    vjp_res = _grad_postprocess(vjp_res, create_graph)
    return (_tuple_postprocess(outputs, is_outputs_tuple),
            _tuple_postprocess(vjp_res, is_inputs_tuple))


# Note [Forward mode by double backward]
# dagrad has no forward-mode AD, but reverse mode gives J v anyway. With a dummy cotangent u
# (zeros, requiring grad), g(u) = J^T u = grad(outputs, inputs, u, create_graph=True) is linear
# in u, and grad(g, u, grad_outputs=v) = d<J^T u, v>/du = J v. The value of u never enters the
# result (u = 0 just keeps inf/nan out). This costs one backward and one double backward per
# product; jvp uses it, and so does jacobian(strategy="forward-mode"), one column J e_k per
# basis vector e_k of the input space, or all columns in one batched pass with vectorize=True.


def jvp(func: Callable[..., TensorOrTensors], inputs: TensorOrTensors,
        v: TensorOrTensors | None = None, create_graph: bool = False,
        strict: bool = False) -> tuple[TensorOrTensors, TensorOrTensors]:
    """The Jacobian-vector product ``J v`` of ``func`` at ``inputs``, by the double-backward
    trick (Note [Forward mode by double backward]), as PyTorch computes it.

    Args:
        func: takes the inputs (as positional Tensors), returns a Tensor or a tuple of Tensors.
        inputs: a Tensor or a tuple of Tensors.
        v: shaped like ``inputs``; may be None when the input is one single-element Tensor.
        create_graph: make the outputs and the result differentiable.
        strict: raise when an input does not affect the outputs, instead of returning zeros.

    Returns:
        ``(func_output, jvp)``; ``jvp`` is shaped like the output(s).

    Example:
        >>> def adder(x, y):
        ...     return 2 * x + 3 * y
        >>> jvp(adder, (dagrad.rand(2), dagrad.rand(2)), (dagrad.ones(2), dagrad.ones(2)))[1]
        tensor([5., 5.])
    """
    with dagrad.enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jvp")
        inputs = _grad_preprocess(inputs, create_graph=create_graph, need_graph=True)
        if v is not None:
            _, v = _as_tuple(v, "v", "jvp")
            v = _grad_preprocess(v, create_graph=create_graph, need_graph=False)
            _validate_v(v, inputs, is_inputs_tuple)
        elif len(inputs) != 1 or inputs[0].nelement() != 1:
            raise RuntimeError("The vector v can only be None if the input to the user-provided "
                               "function is a single Tensor with a single element.")
        outputs = func(*inputs)
        is_outputs_tuple, outputs = _as_tuple(
            outputs, "outputs of the user-provided function", "jvp")
        _check_requires_grad(outputs, "outputs", strict=strict)
        # The backward is linear in grad_outputs, so their value does not matter: zeros keep
        # inf and nan out.
        grad_outputs = tuple(dagrad.zeros_like(out, requires_grad=True) for out in outputs)
        grad_inputs = _autograd_grad(outputs, inputs, grad_outputs, create_graph=True)
        _check_requires_grad(grad_inputs, "grad_inputs", strict=strict)

    with dagrad.set_grad_enabled(True if create_graph else dagrad.is_grad_enabled()):
        grad_res = _autograd_grad(grad_inputs, grad_outputs, v, create_graph=create_graph)
        jvp_res = _fill_in_zeros(grad_res, outputs, strict, create_graph, "back_trick")

    outputs = _grad_postprocess(outputs, create_graph)
    jvp_res = _grad_postprocess(jvp_res, create_graph)
    return (_tuple_postprocess(outputs, is_outputs_tuple),
            _tuple_postprocess(jvp_res, is_outputs_tuple))


# --------------------------------------------------------------------------- jacobian

# Note [Choosing the strategy]
# Reverse mode gets the Jacobian one row (one output element) per vector-Jacobian product;
# forward mode one column (one input element) per Jacobian-vector product. strategy="auto"
# (dagrad's; neither PyTorch nor JAX has it) runs `func` once, then takes forward-mode when the
# inputs have fewer elements in all than the outputs, and reverse-mode otherwise (ties go to
# reverse, whose products are cheaper here: forward mode is emulated by a double backward).
# Forward mode supports neither strict=True nor create_graph=True (PyTorch's restriction), so
# with either of those "auto" takes reverse-mode.
_STRATEGIES = ("forward-mode", "reverse-mode", "auto")


def jacobian(func: Callable[..., TensorOrTensors], inputs: TensorOrTensors,
             create_graph: bool = False, strict: bool = False, vectorize: bool = False,
             strategy: str = "reverse-mode") -> Any:
    """The Jacobian of ``func`` at ``inputs``.

    Args:
        func: takes the inputs (as positional Tensors), returns a Tensor or a tuple of Tensors.
        inputs: a Tensor or a tuple of Tensors.
        create_graph: compute the Jacobian differentiably.
        strict: raise when an input does not affect an output, instead of returning zeros.
        vectorize: compute all rows (or columns) in one batched backward pass, looping only
            over nodes that have no batching rule (Note [Batched backward]). With False,
            dagrad still batches when every node on the way has a rule, else it makes one
            backward per row as PyTorch does; the results are the same.
        strategy: ``"reverse-mode"`` (one product per output element), ``"forward-mode"`` (one
            per input element; by double backward, Note [Forward mode by double backward];
            unlike PyTorch's it also works with ``vectorize=False``; as there, not with
            ``strict`` or ``create_graph``) or ``"auto"`` (dagrad's: forward-mode when the
            inputs have fewer elements than the outputs, else reverse-mode; Note [Choosing the
            strategy]).

    Returns:
        A Tensor of shape ``output.shape + input.shape`` for one input and one output; a tuple
        over inputs (or outputs) when one of them is a tuple; ``J[i][j]`` for output i and input
        j when both are. The dtype is the input's (the output's with forward-mode).

    Example:
        >>> def exp_adder(x, y):
        ...     return 2 * x.exp() + 3 * y
        >>> jacobian(exp_adder, (dagrad.zeros(2), dagrad.zeros(2)))
        (tensor([[2., 0.],
                [0., 2.]]), tensor([[3., 0.],
                [0., 3.]]))
    """
    if strategy not in _STRATEGIES:
        raise AssertionError(
            'Expected strategy to be either "forward-mode", "reverse-mode" or "auto". Hint: If '
            'your function has more outputs than inputs, "forward-mode" tends to be more '
            'performant. Otherwise, prefer to use "reverse-mode".')
    if strategy == "forward-mode":
        if create_graph:
            raise NotImplementedError(
                "dagrad.autograd.functional.jacobian: `create_graph=True` "
                'and `strategy="forward-mode"` are not supported together (yet). '
                "Please either set `create_graph=False` or "
                '`strategy="reverse-mode"`.')
        if strict:
            raise RuntimeError(
                "dagrad.autograd.functional.jacobian: `strict=True` "
                'and `strategy="forward-mode"` are not supported together (yet). '
                "Please either set `strict=False` or "
                '`strategy="reverse-mode"`.')

    with dagrad.enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
        inputs = _grad_preprocess(inputs, create_graph=create_graph, need_graph=True)
        outputs = func(*inputs)
        is_outputs_tuple, outputs = _as_tuple(
            outputs, "outputs of the user-provided function", "jacobian")
        if strategy == "auto":
            strategy = _auto_strategy(inputs, outputs, create_graph, strict)
        if strategy == "forward-mode":
            jac = _jacobian_forward(inputs, outputs, vectorize)
        else:
            jac = _jacobian_reverse(inputs, outputs, create_graph, strict, vectorize)
        jac = _grad_postprocess(jac, create_graph)
        return _tuple_postprocess(jac, (is_outputs_tuple, is_inputs_tuple))


def _auto_strategy(inputs: tuple, outputs: tuple, create_graph: bool, strict: bool) -> str:
    """Note [Choosing the strategy]."""
    if create_graph or strict:
        return "reverse-mode"
    n_in = sum(t.numel() for t in inputs)
    n_out = sum(t.numel() for t in outputs)
    return "forward-mode" if n_in < n_out else "reverse-mode"


def _jacobian_reverse(inputs: tuple, outputs: tuple, create_graph: bool, strict: bool,
                      vectorize: bool) -> tuple:
    """Reverse mode: ``J[i][j]`` for output i, input j (nested tuples, not yet unpacked)."""
    _check_requires_grad(outputs, "outputs", strict=strict)
    if vectorize and strict:
        raise RuntimeError(
            "dagrad.autograd.functional.jacobian: `strict=True` "
            "and `vectorized=True` are not supported together. "
            "Please either set `strict=False` or "
            "`vectorize=False`.")
    output_numels = tuple(out.numel() for out in outputs)
    total = sum(output_numels)
    if vectorize and total > 0:
        # Every row at once: one batched backward with the standard basis of the (flattened,
        # concatenated) outputs as grad_outputs, then one block of rows per output.
        grad_outputs = _construct_standard_basis_for(outputs, output_numels)
        flat_outputs = tuple(out.reshape(-1) for out in outputs)
        vj = _vjp_rows(flat_outputs, inputs, grad_outputs, create_graph, vectorize=True)
        by_input = [[_rows_to_jacobian(jac, out, inp) for jac, out in zip(
            _split_rows(_rows_or_zeros(vj_el, total, inp), output_numels), outputs,
            strict=True)] for vj_el, inp in zip(vj, inputs, strict=True)]
        return tuple(zip(*by_input, strict=True))       # by output, then by input
    if strict:
        return _jacobian_reverse_loop(inputs, outputs, create_graph, strict)
    # The rows of each output in one batched pass when that is exact (Note [Batched backward]),
    # else one backward per row. Output by output, as PyTorch's loop goes: an input that one
    # output does not depend on gets zeros that need no grad, as there.
    res = []
    for out in outputs:
        n = out.numel()
        vj = _vjp_rows((out.reshape(-1),), inputs, (dagrad.eye(n, dtype=out.dtype),),
                       create_graph, vectorize=False) if n > 1 else None
        if vj is None:
            res.append(_jacobian_reverse_loop(inputs, (out,), create_graph, strict)[0])
        else:
            res.append(tuple(_rows_to_jacobian(_rows_or_zeros(vj_el, n, inp), out, inp)
                             for vj_el, inp in zip(vj, inputs, strict=True)))
    return tuple(res)


def _jacobian_reverse_loop(inputs: tuple, outputs: tuple, create_graph: bool,
                           strict: bool) -> tuple:
    # PyTorch's loop: one backward per output element, with the per-row strict checks.
    jacobian_res: tuple = ()
    for i, out in enumerate(outputs):
        jac_i: tuple = tuple([] for _ in range(len(inputs)))
        for j in range(out.nelement()):
            vj = _autograd_grad((out.reshape(-1)[j],), inputs, retain_graph=True,
                                create_graph=create_graph)
            for el_idx, (jac_i_el, vj_el, inp_el) in enumerate(
                    zip(jac_i, vj, inputs, strict=True)):
                if vj_el is not None:
                    if strict and create_graph and not vj_el.requires_grad:
                        raise RuntimeError(
                            "The jacobian of the user-provided function is "
                            f"independent of input {i}. This is not allowed in "
                            "strict mode when create_graph=True.")
                    jac_i_el.append(vj_el)
                else:
                    if strict:
                        raise RuntimeError(
                            f"Output {i} of the user-provided function is "
                            f"independent of input {el_idx}. This is not allowed in "
                            "strict mode.")
                    jac_i_el.append(dagrad.zeros_like(inp_el))
        jacobian_res += (tuple(
            dagrad.stack(jac_i_el, dim=0).view(out.size() + inputs[el_idx].size())
            for el_idx, jac_i_el in enumerate(jac_i)),)
    return jacobian_res


def _jacobian_forward(inputs: tuple, outputs: tuple, vectorize: bool) -> tuple:
    """Forward mode by double backward (Note [Forward mode by double backward]): one column
    J e_k per input element; all in one batched pass with ``vectorize=True``."""
    input_numels = tuple(inp.numel() for inp in inputs)
    total = sum(input_numels)
    us = tuple(dagrad.zeros_like(out, requires_grad=True) for out in outputs)
    grad_inputs = _autograd_grad(outputs, inputs, us, create_graph=True)      # J^T u
    tangents = tuple(b.reshape((total, *inp.shape)) for b, inp in zip(
        _construct_standard_basis_for(inputs, input_numels), inputs, strict=True))
    cols = None
    if total > 1:
        cols = _vjp_rows(grad_inputs, us, tangents, False, vectorize)
    if cols is None:            # one double backward per column
        per_col = [_autograd_grad(grad_inputs, us, tuple(t[k] for t in tangents),
                                  retain_graph=True) for k in range(total)]
        cols = tuple(None if any(c[i] is None for c in per_col) else
                     dagrad.stack([c[i] for c in per_col]) for i in range(len(outputs)))
    res = []
    for col, out in zip(cols, outputs, strict=True):
        if col is None:
            col = _batched_zeros(total, out)
        row = []
        for jac, inp in zip(_split_rows(col, input_numels), inputs, strict=True):
            # the batch dim runs over the input: move it last
            jac = jac.permute(*range(1, jac.dim()), 0)
            row.append(jac.reshape((*out.shape, *inp.shape)))
        res.append(tuple(row))
    return tuple(res)


# --------------------------------------------------------------------------- hessian


def hessian(func: Callable[..., Tensor], inputs: TensorOrTensors, create_graph: bool = False,
            strict: bool = False, vectorize: bool = False,
            outer_jacobian_strategy: str = "reverse-mode") -> Any:
    """The Hessian of the scalar function ``func`` at ``inputs``: the Jacobian of its gradient.

    The inner Jacobian (the gradient) is one backward; the outer one has a row per input
    element, all computed in one batched backward (Note [Batched backward]).

    Args:
        func: takes the inputs, returns a Tensor with a single element.
        inputs: a Tensor or a tuple of Tensors.
        create_graph: compute the Hessian differentiably.
        strict: raise when an input does not affect the output, instead of returning zeros.
        vectorize: as in ``jacobian``.
        outer_jacobian_strategy: the ``strategy`` of the outer Jacobian; ``"forward-mode"``
            works with ``vectorize`` False too (PyTorch needs True); ``"auto"`` always picks
            reverse-mode here (the gradient has as many elements as the inputs).

    Returns:
        A Tensor of shape ``input.shape + input.shape`` for one input; for a tuple,
        ``H[i][j]`` of shape ``inputs[i].shape + inputs[j].shape``.

    Example:
        >>> def pow_adder_reducer(x, y):
        ...     return (2 * x.pow(2) + 3 * y.pow(2)).sum()
        >>> hessian(pow_adder_reducer, (dagrad.rand(2), dagrad.rand(2)))[1][1]
        tensor([[6., 0.],
                [0., 6.]])
    """
    is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "hessian")
    if outer_jacobian_strategy not in _STRATEGIES:
        raise AssertionError(
            'Expected strategy to be either "forward-mode", "reverse-mode" or "auto".')

    def ensure_single_output_function(*inp: Tensor) -> Tensor:
        out = func(*inp)
        is_out_tuple, t_out = _as_tuple(
            out, "outputs of the user-provided function", "hessian")
        _check_requires_grad(t_out, "outputs", strict=strict)
        if is_out_tuple or not isinstance(out, Tensor):
            raise RuntimeError("The function given to hessian should return a single Tensor")
        if out.nelement() != 1:
            raise RuntimeError("The Tensor returned by the function given to hessian should "
                               "contain a single element")
        return out.squeeze()

    def jac_func(*inp: Tensor) -> tuple:
        if outer_jacobian_strategy == "forward-mode":
            inp = tuple(t.requires_grad_(True) for t in inp)
        jac = jacobian(ensure_single_output_function, inp, create_graph=True)
        _check_requires_grad(jac, "jacobian", strict=strict)
        return jac

    res = jacobian(jac_func, inputs, create_graph=create_graph, strict=strict,
                   vectorize=vectorize, strategy=outer_jacobian_strategy)
    return _tuple_postprocess(res, (is_inputs_tuple, is_inputs_tuple))


# --------------------------------------------------------------------------- vhp, hvp


def _scalar_function_gradient(func: Callable[..., Tensor], inputs: TensorOrTensors, v: Any,
                              create_graph: bool, strict: bool, name: str) -> tuple:
    """The shared start of ``vhp``/``hvp``: check the arguments, run ``func`` (which must return
    one single-element Tensor) and take its gradient with ``create_graph=True``. Run under
    ``enable_grad``."""
    is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", name)
    inputs = _grad_preprocess(inputs, create_graph=create_graph, need_graph=True)
    if v is not None:
        _, v = _as_tuple(v, "v", name)
        v = _grad_preprocess(v, create_graph=create_graph, need_graph=False)
        _validate_v(v, inputs, is_inputs_tuple)
    elif len(inputs) != 1 or inputs[0].nelement() != 1:
        raise RuntimeError("The vector v can only be None if the input to the user-provided "
                           "function is a single Tensor with a single element.")
    outputs = func(*inputs)
    is_outputs_tuple, outputs = _as_tuple(outputs, "outputs of the user-provided function", name)
    _check_requires_grad(outputs, "outputs", strict=strict)
    if is_outputs_tuple or not isinstance(outputs[0], Tensor):
        raise RuntimeError(f"The function given to {name} should return a single Tensor")
    if outputs[0].nelement() != 1:
        raise RuntimeError(f"The Tensor returned by the function given to {name} should contain "
                           "a single element")
    jac = _autograd_grad(outputs, inputs, create_graph=True)
    _check_requires_grad(jac, "jacobian", strict=strict)
    return is_inputs_tuple, inputs, v, is_outputs_tuple, outputs, jac


def vhp(func: Callable[..., Tensor], inputs: TensorOrTensors,
        v: TensorOrTensors | None = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Tensor, TensorOrTensors]:
    """The vector-Hessian product ``v^T H`` of the scalar function ``func`` at ``inputs``.

    Args:
        func: takes the inputs, returns a Tensor with a single element.
        inputs: a Tensor or a tuple of Tensors.
        v: shaped like ``inputs``; may be None when the input is one single-element Tensor.
        create_graph: make the output and the result differentiable.
        strict: raise when an input does not affect the output, instead of returning zeros.

    Returns:
        ``(func_output, vhp)``; ``vhp`` is shaped like ``inputs``.

    Example:
        >>> def pow_reducer(x):
        ...     return x.pow(3).sum()
        >>> vhp(pow_reducer, dagrad.tensor([1., 2.]), dagrad.ones(2))
        (tensor(9.), tensor([ 6., 12.]))
    """
    with dagrad.enable_grad():
        is_inputs_tuple, inputs, v, is_outputs_tuple, outputs, jac = _scalar_function_gradient(
            func, inputs, v, create_graph, strict, "vhp")

    with dagrad.set_grad_enabled(True if create_graph else dagrad.is_grad_enabled()):
        grad_res = _autograd_grad(jac, inputs, v, create_graph=create_graph)
        vhp_res = _fill_in_zeros(grad_res, inputs, strict, create_graph, "double_back")

    outputs = _grad_postprocess(outputs, create_graph)
    vhp_res = _grad_postprocess(vhp_res, create_graph)
    return (_tuple_postprocess(outputs, is_outputs_tuple),
            _tuple_postprocess(vhp_res, is_inputs_tuple))


def hvp(func: Callable[..., Tensor], inputs: TensorOrTensors,
        v: TensorOrTensors | None = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Tensor, TensorOrTensors]:
    """The Hessian-vector product ``H v`` of the scalar function ``func`` at ``inputs``, by the
    double-backward trick (a third backward). Equal to ``vhp`` (and cheaper there) when the
    Hessian is symmetric, that is, for twice continuously differentiable ``func``.

    Args:
        func: takes the inputs, returns a Tensor with a single element.
        inputs: a Tensor or a tuple of Tensors.
        v: shaped like ``inputs``; may be None when the input is one single-element Tensor.
        create_graph: make the output and the result differentiable.
        strict: raise when an input does not affect the output, instead of returning zeros.

    Returns:
        ``(func_output, hvp)``; ``hvp`` is shaped like ``inputs``.

    Example:
        >>> def pow_reducer(x):
        ...     return x.pow(3).sum()
        >>> hvp(pow_reducer, dagrad.tensor([1., 2.]), dagrad.ones(2))
        (tensor(9.), tensor([ 6., 12.]))
    """
    with dagrad.enable_grad():
        is_inputs_tuple, inputs, v, is_outputs_tuple, outputs, jac = _scalar_function_gradient(
            func, inputs, v, create_graph, strict, "hvp")
        grad_jac = tuple(dagrad.zeros_like(inp, requires_grad=True) for inp in inputs)
        double_back = _autograd_grad(jac, inputs, grad_jac, create_graph=True)
        _check_requires_grad(jac, "hessian", strict=strict)

    with dagrad.set_grad_enabled(True if create_graph else dagrad.is_grad_enabled()):
        grad_res = _autograd_grad(double_back, grad_jac, v, create_graph=create_graph)
        hvp_res = _fill_in_zeros(grad_res, inputs, strict, create_graph, "double_back_trick")

    outputs = _grad_postprocess(outputs, create_graph)
    hvp_res = _grad_postprocess(hvp_res, create_graph)
    return (_tuple_postprocess(outputs, is_outputs_tuple),
            _tuple_postprocess(hvp_res, is_inputs_tuple))


# --------------------------------------------------------------------------- batched backward

# Note [Batched backward]
# A Jacobian is B vector-Jacobian products, one per row of an identity matrix. Instead of B
# backward passes, dagrad runs ONE pass in which every gradient carries an extra leading batch
# dim: a node's output gradient has shape (B, *output.shape) and its input gradients
# (B, *input.shape). The graph is walked in the engine's order (a node runs once all its
# gradients have arrived, latest-created first), restricted to the nodes on a path to the inputs.
#
# Each node runs in one of three ways:
# * _BROADCASTING_OPS: its own derivative formula, unchanged. These are the element-wise ops:
#   their formulas combine `grad` with saved tensors of at most the output's rank by
#   broadcasting, so a leading batch dim passes through (and is right-aligned away from every
#   other dim). Their result may be in the broadcast shape; _sum_rows_to sums it to
#   (B, *input.shape), keeping dim 0 (the engine's Note [Unbroadcast], one dim to the right).
# * _BATCH_RULES: a batched copy of the formula, for ops whose formula names dims or calls
#   non-broadcasting ops (mv, mm, dot, sum/mean, view/reshape, transpose, permute, unsqueeze,
#   select, slice, stack, cat, unbind). Running such a formula on a batched gradient would fail,
#   or worse, silently mix the batch dim with a data dim of the same size (sum's backward expands
#   a (B,) gradient to (n,) without complaint when B == n).
# * any other node (no rule, custom Functions): once per row, stacked (correct, not fast).
# The rules are written in dagrad ops, so with create_graph=True the result is differentiable.
#
# With vectorize=False the pass is only taken when every node has a formula or rule (no per-row
# loop inside) and the batch stays small (_MAX_BATCHED_ELEMENTS); otherwise, and whenever hooks,
# anomaly mode or a backward observer are active (they expect one gradient per call), dagrad
# makes one backward per row as PyTorch does. Either way the result is the same.
_MAX_BATCHED_ELEMENTS = 1 << 24


def _vjp_rows(outputs: tuple, inputs: tuple, grad_outputs: tuple, create_graph: bool,
              vectorize: bool) -> tuple | None:
    """B vector-Jacobian products at once: ``grad_outputs[i]`` has shape (B, *outputs[i].shape);
    returns, per input, a (B, *input.shape) Tensor or None (independent). None in place of the
    tuple when ``vectorize`` is False and the batched pass cannot be exact (the caller loops)."""
    keep = [k for k, out in enumerate(outputs) if out is not None and out.requires_grad]
    if not keep:
        return (None,) * len(inputs)
    outs = tuple(outputs[k] for k in keep)
    gouts = tuple(grad_outputs[k] for k in keep)
    res = _run_batched(outs, inputs, gouts, create_graph, exact=not vectorize)
    if res is None and vectorize:
        res = dagrad.autograd.grad(outs, inputs, gouts, retain_graph=True,
                                   create_graph=create_graph, allow_unused=True,
                                   is_grads_batched=True)
    return res


def _batched_vjp(outputs: tuple, inputs: tuple, grad_outputs: tuple,
                 create_graph: bool) -> tuple:
    """``grad(..., is_grads_batched=True, allow_unused=True)`` in one pass where possible."""
    return _vjp_rows(outputs, inputs, grad_outputs, create_graph, vectorize=True)


def _run_batched(outputs: tuple, inputs: tuple, grad_outputs: tuple, create_graph: bool,
                 exact: bool) -> tuple | None:
    """The batched pass of Note [Batched backward]; None when it does not apply."""
    if STATE.anomaly or engine.OBSERVERS:
        return None
    batch = grad_outputs[0].shape[0] if grad_outputs and grad_outputs[0].dim() else 0
    if batch == 0:
        return None
    roots = []
    for out, g in zip(outputs, grad_outputs, strict=True):
        if g.shape != (batch, *out.shape):
            return None                    # the engine raises the right error
        if not create_graph:
            g = g.detach()
        if g.dtype != out.dtype:
            g = g.to(out.dtype)
        roots.append((edge_of(out), g))
    targets: dict = {}
    for t in inputs:
        fn, _ = edge_of(t)
        targets[fn] = True
        if t.grad_fn is None and (t._extra or {}).get("hooks"):
            return None                    # a leaf hook wants one gradient per call
    needed = engine._needed_nodes(roots, targets, accumulate=False)
    widest = 1
    for fn in needed:
        if fn._hk is not None:
            return None
        if exact:
            op = type(fn)._op
            name = op.name if op is not None else None
            if name not in _BROADCASTING_OPS and name not in _BATCH_RULES:
                return None
            for m in fn._meta:
                if m is not None:
                    widest = max(widest, int(np.prod(m[0])))
    if exact and batch * widest > _MAX_BATCHED_ELEMENTS:
        return None

    # dependency counts among the needed nodes only: a node off every path to an input sends
    # nothing to a node on one (it would then be on a path itself)
    deps: dict = dict.fromkeys(needed, 0)
    for fn in needed:
        for nxt in fn._fns:
            if nxt in deps:
                deps[nxt] += 1
    buffers: dict = {}
    for (fn, nr), g in roots:
        if fn is None:
            continue
        buf = buffers.setdefault(fn, [None] * engine._num_outputs(fn))
        buf[nr] = g if buf[nr] is None else buf[nr] + g
    heap = [(-fn._seq, id(fn), fn) for fn in buffers if deps.get(fn, -1) == 0]
    heapq.heapify(heap)
    arrived: dict = {}                     # the gradients of the target nodes that ran
    prev_grad = STATE.grad
    STATE.grad = create_graph
    try:
        while heap:
            _, _, fn = heapq.heappop(heap)
            grads = buffers.pop(fn)
            if fn in targets:
                arrived[fn] = grads
            if all(g is None for g in grads):
                in_grads = [None] * len(fn._fns)
            else:
                in_grads = _apply_batched(fn, grads, batch)
            for nxt, nr, g in zip(fn._fns, fn._nrs, in_grads, strict=True):
                if nxt is None or (nxt not in deps and nxt not in targets):
                    continue
                if g is not None:
                    buf = buffers.setdefault(nxt, [None] * engine._num_outputs(nxt))
                    buf[nr] = g if buf[nr] is None else buf[nr] + g
                if nxt in deps:
                    deps[nxt] -= 1
                    if deps[nxt] == 0:
                        buffers.setdefault(nxt, [None] * engine._num_outputs(nxt))
                        heapq.heappush(heap, (-nxt._seq, id(nxt), nxt))
    finally:
        STATE.grad = prev_grad
    res = []
    for t in inputs:
        fn, nr = edge_of(t)
        grads = arrived.get(fn) or buffers.get(fn)     # AccumulateGrad never runs: its buffer
        res.append(grads[nr] if grads is not None else None)
    return tuple(res)


def _apply_batched(fn: Any, grads: list, batch: int) -> list:
    """One node on batched gradients -> its batched input gradients, summed to shape."""
    op = type(fn)._op
    name = op.name if op is not None else None
    if name in _BROADCASTING_OPS:
        return _validate_rows(fn, fn.apply(grads), batch)
    rule = _BATCH_RULES.get(name)
    if rule is not None:
        if engine._num_outputs(fn) != 1:
            meta = fn._extra["out_meta"]
            grads = [g if g is not None else dagrad.zeros(
                (batch, *meta[i][0]), dtype=engine._np_to_dtype(meta[i][1]))
                for i, g in enumerate(grads)]
        out = rule(fn, grads)
        return _validate_rows(fn, [g if e is not None else None
                                   for g, e in zip(out, fn._fns, strict=True)], batch)
    # no rule: one row at a time, stacked
    rows = [engine._validate(fn, fn.apply([None if g is None else g[b] for g in grads]))
            for b in range(batch)]
    out = []
    for i, nxt in enumerate(fn._fns):
        col = [r[i] for r in rows]
        if nxt is None or all(c is None for c in col):
            out.append(None)
        else:
            ref = next(c for c in col if c is not None)
            out.append(dagrad.stack([c if c is not None else dagrad.zeros_like(ref)
                                     for c in col]))
    return out


def _validate_rows(fn: Any, grads: Sequence, batch: int) -> list:
    """The engine's ``_validate`` with a batch dim: each gradient summed to (B, *input.shape)
    and cast to the input's dtype."""
    edges = fn.next_functions
    if len(grads) != len(edges):
        raise RuntimeError(_errors.WRONG_GRAD_COUNT.format(
            node=fn.name(), expected=len(edges), got=len(grads)))
    out = list(grads)
    meta = fn._meta
    for i, g in enumerate(out):
        if g is None:
            continue
        m = meta[i] if i < len(meta) else None
        if m is None:
            if edges[i][0] is None:
                out[i] = None
            continue
        shape, dt = m
        if g._data.shape != (batch, *shape):
            g = _sum_rows_to(fn, i, g, tuple(shape), batch)
        if g._data.dtype != dt:
            if dt.kind != "c" and g._data.dtype.kind == "c":
                g = dagrad.real(g)
            if g._data.dtype != dt:
                g = g.to(engine._np_to_dtype(dt))
        out[i] = g
    return out


def _sum_rows_to(fn: Any, i: int, g: Tensor, shape: tuple, batch: int) -> Tensor:
    """Sum a (B, *broadcast_shape) gradient to (B, *shape), keeping dim 0."""
    gs = tuple(g._data.shape)
    core = gs[1:]
    lead = len(core) - len(shape)
    ok = gs[:1] == (batch,) and lead >= 0 and all(
        s == 1 or s == c for s, c in zip(shape, core[lead:], strict=True))
    if not ok:
        if gs[:1] == (batch,) and int(np.prod(core)) == 1 and int(np.prod(shape)) == 1:
            return g.reshape((batch, *shape))
        raise RuntimeError(_errors.INVALID_GRAD_SHAPE.format(
            node=fn.name(), i=i, got=list(gs), expected=[batch, *shape]))
    dims = tuple(range(1, 1 + lead)) + tuple(1 + lead + k for k, s in enumerate(shape)
                                              if s == 1 and core[lead + k] != 1)
    if dims:
        g = dagrad.sum(g, dims, keepdim=True)
    if lead:
        g = g.reshape((batch, *shape))
    return g


# ---- the batching rules: op name -> fn(node, grads) -> input gradients, one per edge

def _saved(fn: Any, name: str) -> Any:
    """What ``fn`` saved under ``name``, unpacked (checks the version, as formulas do)."""
    saved = fn._saved
    if saved is False or (type(saved).__name__ == "Released" and name not in saved):
        raise RuntimeError(_errors.BACKWARD_TWICE)
    v = saved.get(name)
    if type(v) is SavedTensor:
        return v.unpack(fn)
    if type(v) is tuple and v and type(v[0]) is SavedTensor:
        return tuple(s.unpack(fn) for s in v)
    return v


def _live(fn: Any, i: int) -> bool:
    return fn._fns[i] is not None


def _conj(t: Tensor) -> Tensor:
    return dagrad.conj(t) if t.is_complex() else t


def _dim(d: int, ndim: int) -> int:
    from dagrad.ops import _formulas
    return _formulas.normalize_dims(d, ndim)[0] if ndim else 0


def _rule_mv(fn: Any, grads: list) -> list:
    g = grads[0]                                                        # (B, n)
    return [g.unsqueeze(-1) * _conj(_saved(fn, "vec")).unsqueeze(0) if _live(fn, 0) else None,
            dagrad.matmul(g, _conj(_saved(fn, "self"))) if _live(fn, 1) else None]


def _rule_mm(fn: Any, grads: list) -> list:
    g = grads[0]                                                        # (B, n, p)
    return [dagrad.matmul(g, _conj(_saved(fn, "mat2")).t()) if _live(fn, 0) else None,
            dagrad.matmul(_conj(_saved(fn, "self")).t(), g) if _live(fn, 1) else None]


def _rule_bmm(fn: Any, grads: list) -> list:
    g = grads[0]                                                        # (B, b, n, p)
    return [dagrad.matmul(g, _conj(_saved(fn, "mat2")).transpose(1, 2)) if _live(fn, 0) else None,
            dagrad.matmul(_conj(_saved(fn, "self")).transpose(1, 2), g) if _live(fn, 1) else None]


def _rule_dot(fn: Any, grads: list) -> list:
    g = grads[0].unsqueeze(-1)                                          # (B, 1)
    return [g * _conj(_saved(fn, "tensor")) if _live(fn, 0) else None,
            g * _conj(_saved(fn, "self")) if _live(fn, 1) else None]


def _rule_addmm(fn: Any, grads: list) -> list:
    g = grads[0]
    alpha, beta = _saved(fn, "alpha"), _saved(fn, "beta")
    out = [None, None, None]
    if _live(fn, 0):
        out[0] = g if beta == 1 else g * beta
    if _live(fn, 1):
        out[1] = dagrad.matmul(g, _saved(fn, "mat2").t())
        out[1] = out[1] if alpha == 1 else out[1] * alpha
    if _live(fn, 2):
        out[2] = dagrad.matmul(_saved(fn, "mat1").t(), g)
        out[2] = out[2] if alpha == 1 else out[2] * alpha
    return out


def _unsqueeze_reduced(g: Tensor, shape: tuple, dim: Any, keepdim: bool) -> Tensor:
    from dagrad.ops import _formulas
    if keepdim:
        return g
    if dim is None or (isinstance(dim, (tuple, list)) and len(dim) == 0):
        dims: Sequence[int] = range(len(shape))
    else:
        dims = _formulas.normalize_dims(dim, len(shape))
    for d in sorted(dims):
        g = g.unsqueeze(d + 1)
    return g


def _rule_sum(fn: Any, grads: list) -> list:
    shape = tuple(_saved(fn, "self_shape"))
    g = _unsqueeze_reduced(grads[0], shape, _saved(fn, "dim"), _saved(fn, "keepdim"))
    return [g.expand((g.shape[0], *shape))]


def _rule_mean(fn: Any, grads: list) -> list:
    from dagrad.ops import _formulas
    shape = tuple(_saved(fn, "self_shape"))
    dim = _saved(fn, "dim")
    if isinstance(dim, (list, tuple)) and len(dim) == 0:
        dim = None                                  # mean(x, dim=[]) reduces every dim
    return [_rule_sum(fn, grads)[0] / _formulas.reduced_numel(shape, dim)]


def _rule_reshape(fn: Any, grads: list) -> list:
    g = grads[0]
    return [g.reshape((g.shape[0], *_saved(fn, "self_shape")))]


def _rule_t(fn: Any, grads: list) -> list:
    g = grads[0]
    return [g.transpose(1, 2) if g.dim() == 3 else g]


def _rule_transpose(fn: Any, grads: list) -> list:
    g = grads[0]
    nd = g.dim() - 1
    if nd == 0:
        return [g]
    return [g.transpose(_dim(_saved(fn, "dim0"), nd) + 1, _dim(_saved(fn, "dim1"), nd) + 1)]


def _rule_permute(fn: Any, grads: list) -> list:
    from dagrad.ops import _formulas
    dims = _formulas.normalize_dims_seq(_saved(fn, "dims"), grads[0].dim() - 1)
    inv = [0] * len(dims)
    for i, d in enumerate(dims):
        inv[d] = i
    return [grads[0].permute(0, *(i + 1 for i in inv))]


def _rule_expand(fn: Any, grads: list) -> list:
    return [grads[0]]            # _validate_rows sums it back to (B, *self.shape)


def _rule_unsqueeze(fn: Any, grads: list) -> list:
    g = grads[0]
    return [g.squeeze(_dim(_saved(fn, "dim"), g.dim() - 1) + 1)]


def _rule_select(fn: Any, grads: list) -> list:
    from dagrad.ops.shape import _select_backward
    g = grads[0]
    shape = tuple(_saved(fn, "self_shape"))
    d = _dim(_saved(fn, "dim"), len(shape))
    return [_select_backward(g, (g.shape[0], *shape), d + 1, _saved(fn, "index"))]


def _rule_select_backward(fn: Any, grads: list) -> list:
    g = grads[0]
    return [g.select(_dim(_saved(fn, "dim"), g.dim() - 1) + 1, _saved(fn, "index"))]


def _rule_slice(fn: Any, grads: list) -> list:
    from dagrad.ops.shape import _slice_backward
    g = grads[0]
    shape = tuple(_saved(fn, "self_shape"))
    d = _dim(_saved(fn, "dim"), len(shape))
    return [_slice_backward(g, (g.shape[0], *shape), d + 1, _saved(fn, "start"),
                            _saved(fn, "end"), _saved(fn, "step"))]


def _rule_slice_backward(fn: Any, grads: list) -> list:
    from dagrad.ops.shape import slice as slice_
    g = grads[0]
    return [slice_(g, _dim(_saved(fn, "dim"), g.dim() - 1) + 1, _saved(fn, "start"),
                   _saved(fn, "end"), _saved(fn, "step"))]


def _rule_stack(fn: Any, grads: list) -> list:
    g = grads[0]
    return list(dagrad.unbind(g, _dim(_saved(fn, "dim"), g.dim() - 1) + 1))


def _rule_unbind(fn: Any, grads: list) -> list:
    nd = grads[0].dim()                 # each output has one dim less than self; +1 batch
    return [dagrad.stack(grads, _dim(_saved(fn, "dim"), nd) + 1)]


def _rule_cat(fn: Any, grads: list) -> list:
    g = grads[0]
    out, offset, d = [], 0, None
    for t in _saved(fn, "tensors"):
        shape = tuple(t.shape) if isinstance(t, Tensor) else np.shape(t)
        if len(shape) == 1 and shape[0] == 0 and g.dim() != 2:
            out.append(None)            # cat skips empty 1-D tensors
            continue
        if d is None:
            d = _dim(_saved(fn, "dim"), g.dim() - 1)
        out.append(g.narrow(d + 1, offset, shape[d]))
        offset += shape[d]
    return out


# Element-wise ops: their own formulas broadcast over a leading batch dim (Note [Batched
# backward]). Each was checked: every formula only combines `grad` element-wise with saved
# tensors of at most the output's rank. `_bmm` too: its formulas are batched matmuls whose batch
# dims broadcast. (tests/test_functional.py runs every op of the op database both ways.)
_BROADCASTING_OPS = frozenset({
    # ops/pointwise.py
    "add", "sub", "rsub", "mul", "div", "neg", "reciprocal", "pow", "square", "exp", "log",
    "sin", "cos", "tanh", "sigmoid", "relu", "abs", "sqrt", "sign", "sgn", "clamp", "remainder",
    "conj", "real", "imag", "where", "maximum", "minimum", "_to_copy", "clone",
    "_copy_backwards",
    # ops/indexing.py, ops/linalg.py
    "_alias", "_bmm",
    # ops/nn_ops.py: the element-wise activations
    "leaky_relu", "_leaky_relu_result", "elu", "_elu_result", "celu", "_celu_result", "_erf",
    "gelu", "silu", "softplus", "mish", "hardtanh", "logsigmoid", "hardsigmoid", "hardswish",
    "softshrink", "hardshrink", "_div_scalar",
})

_BATCH_RULES: dict[str, Callable[[Any, list], list]] = {
    "mv": _rule_mv, "mm": _rule_mm, "bmm": _rule_bmm, "dot": _rule_dot, "addmm": _rule_addmm,
    "sum": _rule_sum, "mean": _rule_mean,
    "_view": _rule_reshape, "_unsafe_view": _rule_reshape, "_reshape_alias": _rule_reshape,
    "squeeze": _rule_reshape, "_matmul_squeeze": _rule_reshape,
    "_expand": _rule_expand, "t": _rule_t, "transpose": _rule_transpose,
    "_permute": _rule_permute,
    "unsqueeze": _rule_unsqueeze, "select": _rule_select, "slice": _rule_slice,
    "_select_backward": _rule_select_backward, "_slice_backward": _rule_slice_backward,
    "stack": _rule_stack, "unbind": _rule_unbind, "cat": _rule_cat,
}
