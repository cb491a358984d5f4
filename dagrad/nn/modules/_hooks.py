"""Module backward hooks, as PyTorch's ``torch.utils.hooks.BackwardHook`` implements them.

Note [Module backward hooks]
A full backward hook must see the gradients w.r.t. the module's inputs and outputs, whatever
nodes the forward recorded in between. So, when a module has backward hooks, ``__call__`` routes
its tensor inputs, and then its tensor outputs, through an identity node
(``BackwardHookFunctionBackward``, one per side). In backward the output-side node runs first:
it captures ``grad_output`` and runs the backward *pre*-hooks (which may replace it). The
input-side node runs once every gradient w.r.t. the inputs has arrived: it calls the full
backward hooks with ``(module, grad_input, grad_output)`` (which may replace ``grad_input``).
Positions that are not tensors (or need no gradient) hold ``None`` in those tuples.
"""
from __future__ import annotations

import warnings
from typing import Any, Callable

import numpy as np

from dagrad._tensor import Tensor
from dagrad.autograd.grad_mode import STATE
from dagrad.autograd.graph import Node, VersionCounter, edge_of


class BackwardHookFunctionBackward(Node):
    """The identity node that module backward hooks attach to (PyTorch's name)."""

    __slots__ = ("callbacks",)
    _num_outputs = -1       # per instance: len(self._extra["out_meta"])

    def apply(self, grads: list) -> list:
        # Like a custom Function's backward, the identity sees missing gradients as zeros
        # (PyTorch's materialize_grads); hooks get those and the raw incoming gradients.
        res = [g if g is not None else Tensor._make(np.zeros(shape, dtype))
               for g, (shape, dtype) in zip(grads, self._extra["out_meta"], strict=True)]
        for cb in self.callbacks:
            r = cb(tuple(res), tuple(grads))
            if r is not None:
                res = list(r)
        return res


def _route(tensors: list[Tensor], callback: Callable) -> list[Tensor]:
    """New tensors aliasing ``tensors``, all outputs of one BackwardHookFunctionBackward node."""
    node = BackwardHookFunctionBackward()
    node.callbacks = [callback]
    edges, meta, out_meta, outs = [], [], [], []
    for t in tensors:
        out_meta.append((t._data.shape, t._data.dtype))
        if not t._rg:
            edges.append((None, 0))
            meta.append(None)
            outs.append(t)                     # non-differentiable: returned as it is
            continue
        edges.append(edge_of(t))
        meta.append((t._data.shape, t._data.dtype))
        o = Tensor._make(t._data)
        if t._vc is None:
            t._vc = VersionCounter()
        o._vc = t._vc
        o.grad_fn = node
        o._rg = True
        o._out_nr = len(edges) - 1
        outs.append(o)
    node.next_functions = tuple(edges)
    node._meta = tuple(meta)
    node._extra = {"out_meta": out_meta}
    return outs


class BackwardHook:
    """Calls a module's full backward (pre-)hooks with its input and output gradients."""

    def __init__(self, module: Any, user_hooks: list, user_pre_hooks: list) -> None:
        self.user_hooks = user_hooks
        self.user_pre_hooks = user_pre_hooks
        self.module = module
        self.grad_outputs: tuple | None = None
        self.n_outputs = -1
        self.output_tensors_index: list | None = None
        self.n_inputs = -1
        self.input_tensors_index: list | None = None

    @staticmethod
    def _pack_with_none(indices: list, values: tuple, size: int) -> tuple:
        res: list = [None] * size
        for idx, val in zip(indices, values, strict=True):
            res[idx] = val
        return tuple(res)

    @staticmethod
    def _unpack_none(indices: list, values: tuple) -> tuple:
        return tuple(values[idx] for idx in indices)

    def _apply_on_tensors(self, callback: Callable, args: tuple) -> tuple:
        tensors_idx = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        tensors = [args[i] for i in tensors_idx]
        if not (any(t._rg for t in tensors) and STATE.grad):
            return args, None
        new = _route(tensors, callback)
        out = list(args)
        for idx, val in zip(tensors_idx, new, strict=True):
            out[idx] = val
        return (tuple(out) if type(args) is tuple else type(args)(*out)), tensors_idx

    # ----------------------------------------------------------------- inputs
    def _input_callback(self, grad_input: tuple, _: tuple) -> tuple | None:
        if self.grad_outputs is None:
            # gradient reached the inputs without passing through the outputs (double backward)
            return None
        res = self._pack_with_none(self.input_tensors_index, grad_input, self.n_inputs)
        for hook in self.user_hooks:
            out = hook(self.module, res, self.grad_outputs)
            if out is None:
                continue
            if len(out) != len(res):
                raise RuntimeError("Backward hook returned an invalid number of grad_input, "
                                   f"got {len(out)}, but expected {len(res)}")
            res = out
        self.grad_outputs = None
        return self._unpack_none(self.input_tensors_index, res)

    def setup_input_hook(self, args: tuple) -> tuple:
        res, idx = self._apply_on_tensors(self._input_callback, args)
        self.n_inputs = len(args)
        self.input_tensors_index = idx
        return res

    # ----------------------------------------------------------------- outputs
    def _output_callback(self, _: tuple, grad_output: tuple) -> tuple | None:
        self.grad_outputs = self._pack_with_none(self.output_tensors_index, grad_output,
                                                 self.n_outputs)
        if self.user_pre_hooks:
            expected = len(self.grad_outputs)
            for pre in self.user_pre_hooks:
                r = pre(self.module, self.grad_outputs)
                if r is None:
                    continue
                if len(r) != expected:
                    raise RuntimeError("Backward pre hook returned an invalid number of "
                                       f"grad_output, got {len(r)}, but expected {expected}")
                self.grad_outputs = r
        local = self.grad_outputs
        if self.input_tensors_index is None:
            warnings.warn("Full backward hook is firing when gradients are computed with "
                          "respect to module outputs since no inputs require gradients. See "
                          "https://docs.pytorch.org/docs/main/generated/torch.nn.Module.html"
                          "#torch.nn.Module.register_full_backward_hook for more details.",
                          stacklevel=5)
            grad_inputs = self._pack_with_none([], [], self.n_inputs)
            for hook in self.user_hooks:
                r = hook(self.module, grad_inputs, self.grad_outputs)
                if r is not None and not (isinstance(r, tuple) and all(e is None for e in r)):
                    raise RuntimeError("Backward hook for Modules where no input requires "
                                       "gradient should always return None or None for all "
                                       "gradients.")
            self.grad_outputs = None
        if local is not None:
            return tuple(local[i] for i in self.output_tensors_index)
        return None

    def setup_output_hook(self, args: Any) -> Any:
        is_tuple = isinstance(args, tuple)
        if not is_tuple:
            args = (args,)
        res, idx = self._apply_on_tensors(self._output_callback, args)
        self.n_outputs = len(args)
        self.output_tensors_index = idx
        return res if is_tuple else res[0]


class WrappedHook:
    """``hook(module, *args)`` bound to its module (for the deprecated non-full backward hook)."""

    def __init__(self, hook: Callable, module: Any = None) -> None:
        self.hook = hook
        self.module = module

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self.module is None:
            return self.hook(*args, **kwargs)
        return self.hook(self.module, *args, **kwargs)
