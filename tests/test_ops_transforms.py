"""Forward-mode AD and vmap over the whole op database (issue 6).

For every differentiable op and sample, the JVP from forward mode must agree with the VJP from
reverse mode through the identity <u, J t> == <J^T u, t> for random u and t (one forward-mode
pass and one backward pass check the whole Jacobian in expectation). vmap over a batch of two
perturbed samples must equal the per-sample results stacked.
"""
from __future__ import annotations

import numpy as np
import pytest

import dagrad
import dagrad.autograd.forward_ad as fwAD
from dagrad._tensor import Tensor
from dagrad.func import vmap
from dagrad.testing.op_db import OpInfo
from tests.test_ops import GRAD_OPS, _grad_samples, _ids, _outputs, as_function_of_leaves


def _float_outputs(out) -> list[Tensor]:
    return [o for o in _outputs(out) if isinstance(o, Tensor) and o.dtype.is_floating_point]


@pytest.mark.parametrize("op", GRAD_OPS, ids=_ids(GRAD_OPS))
def test_forward_mode_agrees_with_reverse_mode(op: OpInfo) -> None:
    rng = np.random.default_rng(0)
    checked = 0
    for sample in _grad_samples(op):
        f, leaves = as_function_of_leaves(op, sample)
        if any(t.dtype.is_complex for t in leaves):
            continue                        # complex JVP/VJP conventions: tested in test_complex
        dagrad.manual_seed(0)
        outs = _float_outputs(f(*leaves))
        if not outs or all(o.grad_fn is None for o in outs):
            continue
        us = [dagrad.tensor(rng.standard_normal(o.shape), dtype=o.dtype) for o in outs]
        ts = [dagrad.tensor(rng.standard_normal(t.shape), dtype=t.dtype) for t in leaves]
        live = [(o, u) for o, u in zip(outs, us, strict=True) if o.grad_fn is not None]
        grads = dagrad.autograd.grad([o for o, _ in live], leaves, [u for _, u in live],
                                     allow_unused=True)
        vjp_side = sum(float((g.detach() * t).sum()) for g, t in zip(grads, ts, strict=True)
                       if g is not None)
        with fwAD.dual_level():
            duals = [fwAD.make_dual(t.detach(), tg) for t, tg in zip(leaves, ts, strict=True)]
            dagrad.manual_seed(0)
            fouts = _float_outputs(f(*duals))
            jvp_side = 0.0
            for o, u, ref in zip(fouts, us, outs, strict=True):
                if ref.grad_fn is None:
                    continue
                tg = fwAD.unpack_dual(o).tangent
                if tg is not None:
                    jvp_side += float((tg.detach() * u).sum())
        assert jvp_side == pytest.approx(vjp_side, rel=1e-7, abs=1e-9), f"{op.name}: {sample}"
        checked += 1
    if checked == 0:
        pytest.skip(f"{op.name}: no real-valued sample with a differentiable output")


@pytest.mark.parametrize("op", GRAD_OPS, ids=_ids(GRAD_OPS))
def test_vmap_equals_a_loop(op: OpInfo) -> None:
    for sample in _grad_samples(op)[:2]:
        f, leaves = as_function_of_leaves(op, sample)
        if any(op.name.startswith(p) for p in ("dropout", "rrelu", "alpha_dropout")):
            pytest.skip("random op")
        batched = [dagrad.stack([t.detach(), t.detach() * 0.9]) for t in leaves]
        try:
            ref0 = f(*[t.detach() for t in leaves])
        except Exception:
            continue
        ref1 = f(*[t.detach() * 0.9 for t in leaves])
        got = vmap(f)(*batched)
        for g, r0, r1 in zip(_outputs(got), _outputs(ref0), _outputs(ref1), strict=True):
            if not isinstance(r0, Tensor):
                continue
            np.testing.assert_allclose(g.detach().numpy(),
                                       np.stack([r0.detach().numpy(), r1.detach().numpy()]),
                                       rtol=1e-12, atol=1e-12)
