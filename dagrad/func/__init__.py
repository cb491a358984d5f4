"""``dagrad.func``: JAX-style transforms — grad, grad_and_value, vjp, jvp, jacrev, jacfwd, hessian,
linearize, functional_call and vmap — composable with each other.

    from dagrad.func import grad, vmap
    per_sample = vmap(grad(loss), in_dims=(None, 0, 0))(params, x, y)

Transforms are built on the eager engine: ``grad`` differentiates with ``create_graph=True`` so
it nests (``grad(grad(f))``), ``jvp``/``jacfwd`` use forward-mode AD, and ``vmap`` maps the
function over the batch dimension and stacks the results (Note [vmap by mapping]).
"""
from __future__ import annotations

import functools
from typing import Any, Callable

from dagrad._tensor import Tensor
from dagrad.autograd import forward_ad as fwAD
from dagrad.autograd.grad_mode import enable_grad

__all__ = ["grad", "grad_and_value", "vjp", "jvp", "jacrev", "jacfwd", "hessian", "linearize",
           "functional_call", "vmap"]


# --------------------------------------------------------------------------- pytrees (minimal)
def _flatten(tree: Any) -> tuple[list, Callable]:
    """Leaves of nested tuples/lists/dicts of tensors, and a function that rebuilds the tree."""
    if isinstance(tree, Tensor) or not isinstance(tree, (tuple, list, dict)):
        return [tree], lambda leaves: leaves[0]
    if isinstance(tree, dict):
        keys = list(tree)
        parts = [_flatten(tree[k]) for k in keys]
    else:
        keys = None
        parts = [_flatten(v) for v in tree]
    leaves: list = []
    sizes = []
    for lv, _ in parts:
        leaves.extend(lv)
        sizes.append(len(lv))

    def rebuild(new: list) -> Any:
        out, i = [], 0
        for (_, rb), n in zip(parts, sizes, strict=True):
            out.append(rb(new[i:i + n]))
            i += n
        if keys is not None:
            return dict(zip(keys, out, strict=True))
        return type(tree)(out) if not hasattr(tree, "_fields") else type(tree)(*out)
    return leaves, rebuild


def _tree_map(fn: Callable, tree: Any) -> Any:
    leaves, rebuild = _flatten(tree)
    return rebuild([fn(x) for x in leaves])


def _make_differentiable(x: Any) -> Any:
    """A fresh graph position for ``x``: still connected to an outer transform's graph."""
    if not isinstance(x, Tensor):
        return x
    if x.requires_grad:
        return x.view_as(x)         # keeps the tangent too (forward AD sees the view op)
    tangent = fwAD._tangent(x)
    y = x.detach()
    y.requires_grad_(True)
    if tangent is not None:         # jacfwd(jacrev(f)): keep x's tangent on the new leaf
        y = fwAD.make_dual(y, tangent)
    return y


# --------------------------------------------------------------------------- grad
def grad_and_value(func: Callable, argnums: int | tuple[int, ...] = 0,
                   has_aux: bool = False) -> Callable:
    """Like ``grad`` but also returns ``func``'s value: ``(grads, value)`` (or with aux,
    ``(grads, (value, aux))``)."""
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
        args = list(args)
        diff = {}
        with enable_grad():
            for i in nums:
                args[i] = _tree_map(_make_differentiable, args[i])
                diff[i] = _flatten(args[i])
            out = func(*args, **kwargs)
            value, aux = (out if has_aux else (out, None))
            if not isinstance(value, Tensor) or value.numel() != 1:
                raise RuntimeError("grad_and_value(f)(*args): Expected f(*args) to return a "
                                   "scalar Tensor, got tensor with "
                                   f"{value.dim() if isinstance(value, Tensor) else 0} dims. "
                                   "Maybe you wanted to use the vjp or jacrev APIs instead?")
            leaves = [t for i in nums for t in diff[i][0]]
            from dagrad.autograd.engine import grad as autograd_grad
            gs = autograd_grad(value, leaves, create_graph=True, allow_unused=True,
                               materialize_grads=True)
        res, k = [], 0
        for i in nums:
            n = len(diff[i][0])
            res.append(diff[i][1](list(gs[k:k + n])))
            k += n
        g = res[0] if isinstance(argnums, int) else tuple(res)
        return (g, (value, aux)) if has_aux else (g, value)
    return wrapper


def grad(func: Callable, argnums: int | tuple[int, ...] = 0, has_aux: bool = False) -> Callable:
    """The gradient of a scalar function as a function: ``grad(f)(x) == df/dx``.

    Example:
        >>> dagrad.func.grad(lambda x: (x ** 3).sum())(dagrad.tensor([1., 2.]))
        tensor([ 3., 12.], grad_fn=<MulBackward0>)
    """
    gv = grad_and_value(func, argnums, has_aux)

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        g, v = gv(*args, **kwargs)
        return (g, v[1]) if has_aux else g
    return wrapper


# --------------------------------------------------------------------------- vjp / jvp
def vjp(func: Callable, *primals: Any, has_aux: bool = False) -> tuple:
    """``(func(*primals), vjp_fn)``; ``vjp_fn(cotangents)`` returns one gradient per primal."""
    from dagrad.autograd.engine import grad as autograd_grad
    with enable_grad():
        prim = [_tree_map(_make_differentiable, p) for p in primals]
        out = func(*prim)
        value, aux = (out if has_aux else (out, None))
    out_leaves, _ = _flatten(value)
    in_leaves = [t for p in prim for t in _flatten(p)[0]]

    def vjp_fn(cotangents: Any) -> tuple:
        cots, _ = _flatten(cotangents)
        gs = autograd_grad(out_leaves, in_leaves, grad_outputs=cots, retain_graph=True,
                           create_graph=True, allow_unused=True, materialize_grads=True)
        res, k = [], 0
        for p in prim:
            lv, rb = _flatten(p)
            res.append(rb(list(gs[k:k + len(lv)])))
            k += len(lv)
        return tuple(res)
    return (value, vjp_fn, aux) if has_aux else (value, vjp_fn)


def jvp(func: Callable, primals: tuple, tangents: tuple, *, has_aux: bool = False) -> tuple:
    """``(func(*primals), J @ tangents)`` by forward-mode AD."""
    with fwAD.dual_level():
        duals = []
        for p, t in zip(primals, tangents, strict=True):
            duals.append(_tree_map2(lambda a, b: fwAD.make_dual(a, b), p, t))
        out = func(*duals)
        value, aux = (out if has_aux else (out, None))
        leaves, rebuild = _flatten(value)
        prim_out = rebuild([fwAD.unpack_dual(v).primal for v in leaves])
        tan_out = rebuild([_tangent_or_zeros(v) for v in leaves])
    return (prim_out, tan_out, aux) if has_aux else (prim_out, tan_out)


def _tangent_or_zeros(v: Tensor) -> Tensor:
    from dagrad._factories import zeros_like
    t = fwAD.unpack_dual(v).tangent
    return t if t is not None else zeros_like(v)


def _tree_map2(fn: Callable, a: Any, b: Any) -> Any:
    la, rebuild = _flatten(a)
    lb, _ = _flatten(b)
    return rebuild([fn(x, y) for x, y in zip(la, lb, strict=True)])


def linearize(func: Callable, *primals: Any) -> tuple:
    """``(func(*primals), jvp_fn)`` where ``jvp_fn(*tangents)`` evaluates J @ tangents."""
    value = func(*primals)

    def jvp_fn(*tangents: Any) -> Any:
        return jvp(func, primals, tangents)[1]
    return value, jvp_fn


# --------------------------------------------------------------------------- jacobians
def jacrev(func: Callable, argnums: int | tuple[int, ...] = 0, *, has_aux: bool = False) -> Callable:
    """The Jacobian by reverse mode: one backward per output element, shape out.shape + in.shape."""
    from dagrad.ops import reshape, stack

    @functools.wraps(func)
    def wrapper(*args: Any) -> Any:
        nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
        args = list(args)
        with enable_grad():
            for i in nums:
                args[i] = _make_differentiable(args[i])
            out = func(*args)
            value, aux = (out if has_aux else (out, None))
        from dagrad.autograd.engine import grad as autograd_grad
        flat = reshape(value, (-1,))
        per_input: list[list] = [[] for _ in nums]
        for k in range(flat.numel()):
            gs = autograd_grad(flat[k], [args[i] for i in nums], retain_graph=True,
                               create_graph=True, allow_unused=True, materialize_grads=True)
            for j, g in enumerate(gs):
                per_input[j].append(g)
        jacs = []
        for j, i in enumerate(nums):
            shape = tuple(value.shape) + tuple(args[i].shape)
            jacs.append(reshape(stack(per_input[j]), shape) if per_input[j] else
                        _zeros(shape, args[i]))
        res = jacs[0] if isinstance(argnums, int) else tuple(jacs)
        return (res, aux) if has_aux else res
    return wrapper


def _zeros(shape: tuple, like: Tensor) -> Tensor:
    from dagrad._factories import zeros
    return zeros(shape, dtype=like.dtype)


def jacfwd(func: Callable, argnums: int | tuple[int, ...] = 0, *, has_aux: bool = False) -> Callable:
    """The Jacobian by forward mode: one JVP per input element, shape out.shape + in.shape."""
    from dagrad._factories import zeros_like
    from dagrad.ops import reshape, stack

    @functools.wraps(func)
    def wrapper(*args: Any) -> Any:
        nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
        jacs = []
        aux = None
        for i in nums:
            x = args[i]
            cols = []
            value = None
            for k in range(x.numel()):
                e = zeros_like(x).reshape(-1)
                e._data[k] = 1
                tangents = tuple(e.reshape(tuple(x.shape)) if j == i else zeros_like(a)
                                 for j, a in enumerate(args))
                res = jvp(func, tuple(args), tangents, has_aux=has_aux)
                value, t = res[0], res[1]
                if has_aux:
                    aux = res[2]
                cols.append(t)
            if value is None:
                value = func(*args)
                value = value[0] if has_aux else value
            shape = tuple(value.shape) + tuple(x.shape)
            if cols:
                j = stack(cols, dim=-1)
                jacs.append(reshape(j, shape))
            else:
                jacs.append(_zeros(shape, x))
        res = jacs[0] if isinstance(argnums, int) else tuple(jacs)
        return (res, aux) if has_aux else res
    return wrapper


def hessian(func: Callable, argnums: int | tuple[int, ...] = 0) -> Callable:
    """``jacfwd(jacrev(func))``: forward-over-reverse, as torch.func.hessian."""
    return jacfwd(jacrev(func, argnums), argnums)


# --------------------------------------------------------------------------- functional_call
def functional_call(module: Any, parameter_and_buffer_dicts: Any, args: Any = (),
                    kwargs: dict | None = None, *, tie_weights: bool = True,
                    strict: bool = False) -> Any:
    """Call ``module`` with its parameters and buffers replaced by the given tensors."""
    dicts = parameter_and_buffer_dicts
    if isinstance(dicts, (list, tuple)):
        merged: dict = {}
        for d in dicts:
            merged.update(d)
        dicts = merged
    if not isinstance(args, tuple):
        args = (args,)
    saved = []
    try:
        for name, value in dicts.items():
            *path, attr = name.split(".")
            owner = module
            for p in path:
                owner = getattr(owner, p)
            for store in ("_parameters", "_buffers"):
                d = owner.__dict__.get(store)
                if d is not None and attr in d:
                    saved.append((d, attr, d[attr]))
                    d[attr] = value
                    break
            else:
                saved.append((owner.__dict__, attr, owner.__dict__.get(attr, _ABSENT)))
                owner.__dict__[attr] = value
        return module(*args, **(kwargs or {}))
    finally:
        for d, attr, old in reversed(saved):
            if old is _ABSENT:
                d.pop(attr, None)
            else:
                d[attr] = old


_ABSENT = object()


# --------------------------------------------------------------------------- vmap
# Note [vmap by mapping]
# dagrad's vmap calls the function once per slice of the mapped dimension and stacks the results
# (out_dims). That gives exactly the semantics of a batched function for every op — including
# gradients and nested transforms (`vmap(grad(f))`, `vmap(vmap(f))`) — at the cost of a Python
# loop over the batch. Per-op batching rules would remove the loop; they are not written yet.
def vmap(func: Callable, in_dims: Any = 0, out_dims: Any = 0, randomness: str = "error", *,
         chunk_size: int | None = None) -> Callable:
    """Map ``func`` over a dimension of its inputs.

    Args:
        in_dims: an int (for every tensor argument), None (not mapped), or a tuple with one entry
            per positional argument.
        out_dims: where the mapped dimension goes in each output.

    Example:
        >>> vmap(lambda v: (v * v).sum())(dagrad.ones(4, 3))
        tensor([3., 3., 3., 3.])
    """
    from dagrad.ops import stack

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        dims = in_dims if isinstance(in_dims, (tuple, list)) else (in_dims,) * len(args)
        if len(dims) != len(args):
            raise ValueError(f"vmap(func, in_dims={in_dims}, ...)(<inputs>): in_dims is not "
                             f"compatible with the structure of `inputs`. in_dims has structure "
                             f"{len(dims)} but inputs has structure {len(args)}.")
        size = None
        for a, d in zip(args, dims, strict=True):
            if d is None:
                continue
            for leaf in _flatten(a)[0]:
                if isinstance(leaf, Tensor):
                    n = leaf.shape[d]
                    if size is not None and n != size:
                        raise ValueError(
                            "vmap: Expected all tensors to have the same size in the mapped "
                            f"dimension, got sizes {size} and {n} for the mapped dimension")
                    size = n
        if size is None:
            raise ValueError("vmap(f, in_dims=..., ...)(<inputs>): at least one input must be "
                             "mapped over (got in_dims with all None)")
        results = []
        for b in range(size):
            sl = []
            for a, d in zip(args, dims, strict=True):
                if d is None:
                    sl.append(a)
                else:
                    sl.append(_tree_map(lambda t, d=d: t.select(d, b)
                                        if isinstance(t, Tensor) else t, a))
            results.append(func(*sl, **kwargs))
        first_leaves, rebuild = _flatten(results[0])
        per_leaf = [[_flatten(r)[0][k] for r in results] for k in range(len(first_leaves))]
        odims = out_dims if isinstance(out_dims, (tuple, list)) else (out_dims,) * len(per_leaf)
        stacked = [stack(col, dim=od) if isinstance(col[0], Tensor) else col
                   for col, od in zip(per_leaf, odims, strict=True)]
        return rebuild(stacked)
    return wrapper
