"""Generic op tests driven by ``dagrad.testing.op_db`` (DESIGN decision 5).

For every OpInfo and sample: forward vs the NumPy reference (float32, float64), gradcheck and
gradgradcheck (float64), the ``grad_fn`` node name, error inputs (type and exact message), and a
coverage test that fails when a registered op has no entry.
"""
from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest

import dagrad
from dagrad._tensor import Tensor
from dagrad.autograd.gradcheck import gradcheck, gradgradcheck
from dagrad.ops._registry import registered_ops
from dagrad.testing import assert_close, default_tolerances
from dagrad.testing.op_db import OpInfo, SampleInput, op_db, to_numpy_args


def _leaves(obj: Any) -> list[Tensor]:
    """The tensors that require grad in a sample's arguments, in order (lists included)."""
    if isinstance(obj, Tensor):
        return [obj] if obj.requires_grad else []
    if isinstance(obj, (list, tuple)):
        return [t for o in obj for t in _leaves(o)]
    if isinstance(obj, dict):
        return [t for o in obj.values() for t in _leaves(o)]
    return []


def _replace(obj: Any, new: dict[int, Tensor]) -> Any:
    if isinstance(obj, Tensor):
        return new.get(id(obj), obj)
    if isinstance(obj, tuple):
        return tuple(_replace(o, new) for o in obj)
    if isinstance(obj, list):
        return [_replace(o, new) for o in obj]
    if isinstance(obj, dict):
        return {k: _replace(v, new) for k, v in obj.items()}
    return obj


def as_function_of_leaves(op: OpInfo, sample: SampleInput) -> tuple[Any, tuple[Tensor, ...]]:
    """``(f, leaves)`` with ``f(*leaves) == op(*sample.args, **sample.kwargs)``."""
    leaves = _leaves((sample.args, sample.kwargs))
    ids = [id(t) for t in leaves]

    def f(*ts: Tensor) -> Any:
        new = dict(zip(ids, ts, strict=True))
        return op.op(*_replace(sample.args, new), **_replace(sample.kwargs, new))
    return f, tuple(leaves)


def _outputs(out: Any) -> tuple:
    return tuple(out) if isinstance(out, (tuple, list)) else (out,)


def _ids(ops: list[OpInfo]) -> list[str]:
    return [o.name for o in ops]


GRAD_OPS = [o for o in op_db if o.supports_grad]
GRADGRAD_OPS = [o for o in op_db if o.supports_gradgrad]
ERROR_OPS = [o for o in op_db if list(o.error_inputs())]


# --------------------------------------------------------------------------- coverage


def test_every_registered_op_has_an_op_db_entry() -> None:
    import dagrad.nn  # noqa: F401  (registers the nn and convolution ops)
    covered = {o.name for o in op_db} | {c for o in op_db for c in o.covers}
    # ops that tests register for themselves (defined outside the package) do not count
    ours = {name for name, op in registered_ops().items()
            if op.kernel.__module__.startswith("dagrad.")}
    missing = sorted(ours - covered)
    assert not missing, f"registered ops without an op_db entry (or `covers=`): {missing}"


def test_op_db_names_are_unique() -> None:
    names = [o.name for o in op_db]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("op", op_db, ids=_ids(op_db))
def test_op_has_samples(op: OpInfo) -> None:
    assert list(op.samples(dagrad.float64, False)), f"{op.name} has no samples"


# --------------------------------------------------------------------------- forward


@pytest.mark.parametrize("dtype", [dagrad.float32, dagrad.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("op", [o for o in op_db if o.ref is not None],
                         ids=_ids([o for o in op_db if o.ref is not None]))
def test_forward_matches_reference(op: OpInfo, dtype: Any) -> None:
    for sample in op.samples(dtype, False):
        out = op.op(*sample.args, **sample.kwargs)
        expected = op.ref(*to_numpy_args(sample.args), **to_numpy_args(sample.kwargs))
        outs = _outputs(out)
        exps = tuple(expected) if isinstance(expected, (tuple, list)) else (expected,)
        assert len(outs) == len(exps), f"{op.name} {sample}"
        for o, e in zip(outs, exps, strict=True):
            e = np.asarray(e)
            assert tuple(o.shape) == e.shape, f"{op.name} {sample}: {tuple(o.shape)} != {e.shape}"
            rtol, atol = default_tolerances(o._data.dtype)
            if o._data.dtype == np.float32 or o._data.dtype == np.complex64:
                rtol, atol = 1e-5, 1e-5          # the reference may round differently
            assert_close(o, e.astype(o._data.dtype) if e.dtype != o._data.dtype else e,
                         rtol=rtol, atol=atol, equal_nan=True, check_dtype=False)


# --------------------------------------------------------------------------- gradients


def _grad_samples(op: OpInfo) -> list[SampleInput]:
    return [s for s in op.samples(dagrad.float64, True) if not s.nondiff and _leaves(
        (s.args, s.kwargs))]


@pytest.mark.parametrize("op", GRAD_OPS, ids=_ids(GRAD_OPS))
def test_gradcheck(op: OpInfo) -> None:
    for sample in _grad_samples(op):
        f, leaves = as_function_of_leaves(op, sample)
        assert gradcheck(f, leaves), f"{op.name}: {sample}"


@pytest.mark.parametrize("op", GRADGRAD_OPS, ids=_ids(GRADGRAD_OPS))
def test_gradgradcheck(op: OpInfo) -> None:
    dagrad.manual_seed(0)
    for sample in _grad_samples(op):
        f, leaves = as_function_of_leaves(op, sample)
        assert gradgradcheck(f, leaves), f"{op.name}: {sample}"


@pytest.mark.parametrize("op", op_db, ids=_ids(op_db))
def test_grad_fn_name(op: OpInfo) -> None:
    for sample in op.samples(dagrad.float64, True):
        outs = _outputs(op.op(*sample.args, **sample.kwargs))
        expected = op.expected_grad_fn(sample) if op.supports_grad else None
        for o in outs:
            if not op.supports_grad:
                assert o.grad_fn is None and not o.requires_grad, f"{op.name} {sample}"
                continue
            name = None if o.grad_fn is None else type(o.grad_fn).__name__
            assert name == expected, f"{op.name} {sample}: {name} != {expected}"


@pytest.mark.parametrize("op", GRAD_OPS, ids=_ids(GRAD_OPS))
def test_gradient_dtype_and_shape_match_input(op: OpInfo) -> None:
    for sample in _grad_samples(op):
        f, leaves = as_function_of_leaves(op, sample)
        outs = [o for o in _outputs(f(*leaves)) if o.requires_grad]
        if not outs:
            continue
        grads = dagrad.autograd.grad(outs, leaves, [dagrad.ones_like(o) for o in outs],
                                     allow_unused=True)
        for t, g in zip(leaves, grads, strict=True):
            if g is not None:
                assert g.shape == t.shape and g.dtype == t.dtype, f"{op.name} {sample}"


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize("op", ERROR_OPS, ids=_ids(ERROR_OPS))
def test_error_inputs(op: OpInfo) -> None:
    for err in op.error_inputs():
        s = err.sample
        with pytest.raises(err.error_type, match=f"^{re.escape(err.message)}$"):
            op.op(*s.args, **s.kwargs)
