"""Forward-mode AD: dual tensors carry a tangent through every op.

    with dagrad.autograd.forward_ad.dual_level():
        x = fwAD.make_dual(primal, tangent)
        y = f(x)
        jvp = fwAD.unpack_dual(y).tangent      # J_f(primal) @ tangent

Note [JVP by transposition]
Every op's reverse-mode formulas are linear in ``grad``: they compute ``J^T u``. So the forward
derivative needs no second table of formulas: with ``u`` a dummy requiring grad,
``s = sum_i <J_i^T u, t_i>`` is a scalar whose gradient with respect to ``u`` is
``sum_i J_i t_i``, the tangent of the output. dagrad evaluates exactly that, with the same
formulas, so forward mode covers every op in the op database and agrees with reverse mode by
construction. (It costs about one extra forward and two small backward passes per op; ops could
add a direct JVP formula for speed without changing anything else.)
"""
from __future__ import annotations

import weakref
from collections import namedtuple
from typing import Any

import numpy as np

from dagrad._tensor import Tensor
from dagrad.autograd.grad_mode import STATE, enable_grad
from dagrad.ops import _registry

UnpackedDualTensor = namedtuple("UnpackedDualTensor", ["primal", "tangent"])

_levels: list[list] = []      # one list of weakrefs to dual tensors per open level


def enter_dual_level() -> int:
    """Open a new forward-AD level (prefer the ``dual_level()`` context manager)."""
    if _levels:
        raise RuntimeError("Nested forward mode AD is not supported at the moment")
    _levels.append([])
    _registry.set_forward_ad(_jvp_call)
    return len(_levels) - 1


def exit_dual_level(*, level: int | None = None) -> None:
    """Close the level: every tensor that got a tangent inside it loses it."""
    if not _levels:
        raise RuntimeError("Trying to exit a forward AD level that was not the last one that was "
                           "created. This is not supported.")
    for ref in _levels.pop():
        t = ref()
        if t is not None and t._extra:
            t._extra.pop("tangent", None)
    if not _levels:
        _registry.set_forward_ad(None)


class dual_level:
    """Context manager for a forward-AD level; tangents live only inside it."""

    def __enter__(self) -> int:
        return enter_dual_level()

    def __exit__(self, *exc: object) -> None:
        exit_dual_level()


def _set_tangent(t: Tensor, tangent: Tensor) -> None:
    t._extras()["tangent"] = tangent
    _levels[-1].append(weakref.ref(t))


def _tangent(t: Any) -> Tensor | None:
    if isinstance(t, Tensor) and t._extra:
        return t._extra.get("tangent")
    return None


def _alias(t: Tensor) -> Tensor:
    """A new tensor object over the same data and graph position as ``t`` (no tangent)."""
    if t._rg:
        from dagrad.ops.indexing import _alias as alias_op
        return _registry.plain_call(alias_op, t)
    a = Tensor._make(t._data)
    a._vc = t._vc
    return a


def make_dual(tensor: Tensor, tangent: Tensor, *, level: int | None = None) -> Tensor:
    """A view of ``tensor`` that carries ``tangent`` (same shape) as its forward gradient."""
    if not _levels:
        raise RuntimeError("Trying to create a dual Tensor for forward AD but no level exists, make "
                           "sure to enter_dual_level() first.")
    if tuple(tangent.shape) != tuple(tensor.shape):
        raise RuntimeError(
            "Trying to set a forward gradient that has a different size than that of the original "
            f"Tensor, this is not supported. Tensor is of size {list(tensor.shape)} while the "
            f"given forward gradient is of size {list(tangent.shape)}.")
    if tensor._data.dtype.kind not in "fc":
        raise ValueError(f"Expected primal to be floating point or complex, but got: "
                         f"{tensor.dtype}")
    out = _view_of(tensor)
    tg = tangent if tangent._data.dtype == tensor._data.dtype else tangent.to(tensor.dtype)
    _set_tangent(out, tg)
    return out


def _view_of(t: Tensor) -> Tensor:
    if t._rg:
        from dagrad.ops.shape import _view
        return _registry.plain_call(_view, t, tuple(t.shape))
    out = Tensor._make(t._data)
    out._vc = t._vc
    return out


def unpack_dual(tensor: Tensor, *, level: int | None = None) -> UnpackedDualTensor:
    """``(primal, tangent)``: the primal as a view without tangent, and the tangent (or None)."""
    tg = _tangent(tensor)
    if tg is None:
        return UnpackedDualTensor(tensor, None)
    return UnpackedDualTensor(_view_of(tensor), tg)


def _jvp_call(op: Any, call: Any, args: tuple, kwargs: dict) -> Any:
    out = call(op, *args, **kwargs)
    pairs = []          # (position key, tensor, tangent)
    for key, v in _tensor_args(args, kwargs):
        tg = _tangent(v)
        if tg is not None:
            pairs.append((key, v, tg))
    if not pairs or not op.differentiable:
        return out
    outs = out if isinstance(out, tuple) else (out,)
    tangents = _transpose_vjp(op, args, kwargs, pairs, outs)
    for o, tg in zip(outs, tangents, strict=True):
        if tg is not None:
            _set_tangent(o, tg)
            _tangent_for_saved_output(o, tg)
    return out


def _tangent_for_saved_output(o: Tensor, tg: Tensor) -> None:
    """If ``o``'s node saved ``o`` itself (``result``), let the saved copy carry the tangent too,
    so forward-over-reverse sees it (e.g. ``tanh``'s derivative uses its result)."""
    from dagrad.autograd.graph import SavedTensor
    fn = o.grad_fn
    saved = fn._saved if fn is not None else None
    if not saved:
        return
    r = saved.get("result")
    for st in (r if isinstance(r, tuple) else (r,)):
        if type(st) is SavedTensor and st.data is o._data:
            st.tangent = tg


def _tensor_args(args: tuple, kwargs: dict) -> list:
    found = []
    for i, v in enumerate(args):
        if isinstance(v, Tensor):
            found.append((("a", i, None), v))
        elif isinstance(v, (list, tuple)):
            for j, e in enumerate(v):
                if isinstance(e, Tensor):
                    found.append((("a", i, j), e))
    for k, v in kwargs.items():
        if isinstance(v, Tensor):
            found.append((("k", k, None), v))
    return found


def _substitute(args: tuple, kwargs: dict, subs: dict) -> tuple:
    args = list(args)
    kwargs = dict(kwargs)
    for (kind, i, j), t in subs.items():
        if kind == "a":
            if j is None:
                args[i] = t
            else:
                seq = list(args[i])
                seq[j] = t
                args[i] = type(args[i])(seq) if isinstance(args[i], tuple) else seq
        else:
            kwargs[i] = t
    return tuple(args), kwargs


def _transpose_vjp(op: Any, args: tuple, kwargs: dict, pairs: list, outs: tuple) -> list:
    """Note [JVP by transposition]."""
    from dagrad.autograd.engine import grad as autograd_grad
    keep_graph = STATE.grad and any(
        t._rg for _, t, _ in pairs) or any(tg._rg for _, _, tg in pairs)
    saved_fwd = _registry._FORWARD_AD
    _registry.set_forward_ad(None)
    try:
        with enable_grad():
            subs = {}
            leaves = []
            for key, t, _ in pairs:
                a = _alias(t)
                if not a._rg:
                    a._rg = True
                subs[key] = a
                leaves.append(a)
            a2, k2 = _substitute(args, kwargs, subs)
            ys = _registry.plain_call(op, *a2, **k2)
            ys = ys if isinstance(ys, tuple) else (ys,)
            diff_outs, us = [], []
            for y in ys:
                if isinstance(y, Tensor) and y._rg and y._data.dtype.kind in "fc":
                    # any point works for a formula linear in grad; ones avoids log(0) in
                    # formulas that split grad by sign (logcumsumexp)
                    u = Tensor._make(np.ones_like(y._data))
                    u._rg = True
                    diff_outs.append(y)
                    us.append(u)
                else:
                    us.append(None)
            if not diff_outs:
                return [None] * len(outs)
            gs = autograd_grad(diff_outs, leaves, grad_outputs=[u for u in us if u is not None],
                               create_graph=True, allow_unused=True)
            s = None
            for g, (_, _, tg) in zip(gs, pairs, strict=True):
                if g is None:
                    continue
                term = (g * tg).sum()
                s = term if s is None else s + term
            live_us = [u for u in us if u is not None]
            if s is None or not s._rg:
                res = [None] * len(live_us)
            else:
                res = autograd_grad(s, live_us, create_graph=keep_graph, allow_unused=True)
        out_t = []
        it = iter(res)
        for o, u in zip(outs, us, strict=True):
            if u is None:
                out_t.append(None)
                continue
            r = next(it)
            if r is None:
                r = Tensor._make(np.zeros_like(o._data))
            elif not keep_graph:
                r = r.detach()
            out_t.append(r)
        return out_t
    finally:
        _registry.set_forward_ad(saved_fwd)
