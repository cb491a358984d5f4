"""Custom autograd functions: ``Function``, its context ``FunctionCtx``, ``once_differentiable``.

A subclass of ``Function`` defines ``forward`` and ``backward`` as static methods and is called
through ``apply``; the outputs get one graph node of class ``<ClassName>Backward`` whose
``apply`` runs the user's ``backward``. As in PyTorch, that node *is* the ``ctx`` object that
``forward`` (or ``setup_context``) filled in, so ``y.grad_fn.saved_tensors`` and
``y.grad_fn.constant`` work.

    class MyReLU(dagrad.autograd.Function):
        @staticmethod
        def forward(ctx, input):
            ctx.save_for_backward(input)
            return input.clamp(min=0)

        @staticmethod
        def backward(ctx, grad_output):
            input, = ctx.saved_tensors
            grad_input = grad_output.clone()
            grad_input[input < 0] = 0
            return grad_input

    y = MyReLU.apply(x)          # y.grad_fn is a MyReLUBackward

Note [Custom Function edges]
The node has one ``next_functions`` edge per *tensor* argument of ``forward`` (``(None, 0)`` for a
tensor that does not require grad); non-tensor arguments get no edge. ``backward`` returns one
value per argument, tensor or not, and ``BackwardCFunction.apply`` maps those values onto the edges
(checking the count and that non-tensor arguments got ``None``). The engine then sums each
gradient to its input's shape and casts it to its dtype (Note [Unbroadcast] in engine.py).

Note [Custom Function outputs]
``forward`` runs under ``no_grad``. When grad mode is on and some tensor argument requires grad,
every floating tensor output that is not marked non-differentiable gets ``grad_fn = node`` and
``output_nr`` = its position in the returned tuple. An argument returned as-is (not marked
dirty) is replaced by a fresh alias that shares its memory, as PyTorch's ``view_as`` does, so the
argument itself keeps its own history. An output that is a view (made inside ``forward``, or an
argument returned as-is) is flagged ``custom_function_view``: modifying it in place would bypass
the custom backward, so PyTorch forbids it.
"""
from __future__ import annotations

import functools
import inspect
import warnings
from typing import Any, Callable

import numpy as np

from dagrad import _errors
from dagrad.autograd.grad_mode import STATE, no_grad
from dagrad.autograd.graph import (Node, SavedTensor, VersionCounter, edge_of,
                                   record_forward_stack, user_site)

__all__ = ["Function", "FunctionCtx", "once_differentiable", "BackwardCFunction"]

# Messages PyTorch 2.13 prints for custom Functions (see PYTORCH_BEHAVIOUR.md 2.1).
_LEGACY_CALL = (
    "Legacy autograd function with non-static forward method is deprecated. Please use "
    "new-style autograd function with static forward method. (Example: "
    "https://pytorch.org/docs/stable/autograd.html#torch.autograd.Function)"
)
_INSTANTIATED = (
    "{cls} should not be instantiated. Methods on autograd functions are all static, so you "
    "should invoke them on the class itself. Instantiating an autograd function will raise an "
    "error in a future version of PyTorch."
)
_NO_FORWARD = "You must implement the forward function for custom autograd.Function."
_NO_BACKWARD = ("You must implement either the backward or vjp method for your custom "
                "autograd.Function to use it with backward mode AD.")
_NO_SETUP_CONTEXT = "setup_context is not implemented."
_NO_JVP = ("You must implement the jvp function for custom autograd.Function to use it with "
           "forward mode AD.")
_BOTH_BACKWARD_AND_VJP = ("Implementing both 'backward' and 'vjp' for a custom Function is not "
                          "allowed. You should only implement one of them.")
_SAVE_NON_TENSOR = ("save_for_backward can only save variables, but argument {i} is of type "
                    "{type}")
_GRAD_NOT_TENSOR = "expected Variable or None (got {type})"
_GRAD_FOR_NON_TENSOR = ("function {node} returned a gradient different than None at position "
                        "{pos}, but the corresponding forward input was not a Variable")
_DIRTY_NOT_RETURNED = (
    "Some elements marked as dirty during the forward method were not returned as output. The "
    "inputs that are modified inplace must all be outputs of the Function."
)
_DIRTY_LEAF = "a leaf Variable that requires grad has been used in an in-place operation."
_DIRTY_VIEW_MULTI_OUTPUT = (
    "If your Function modifies inplace an input that is a view of another Tensor, your Function "
    "cannot return more than one Tensor. This is not supported by the current autograd engine. "
    "You should either make sure the input is not a view (using .clone() for example) or make "
    "your Function only return one Tensor (potentially splitting it into two Functions: one "
    "doing the inplace that returns a single Tensor and a second one that does the other "
    "operations). You can ask on the forum https://discuss.pytorch.org/ if you need help to do "
    "this change."
)
_DIRTY_VIEW_NOT_FIRST = (
    "dagrad: a custom Function that modifies in place (mark_dirty) an input that is a view must "
    "take that view as its first tensor argument; clone() the view or reorder the arguments."
)
ONCE_DIFFERENTIABLE_ERROR = (
    "trying to differentiate twice a function that was marked with @once_differentiable")
CUSTOM_FUNCTION_VIEW_INPLACE = _errors.CUSTOM_FUNCTION_VIEW_INPLACE


class FunctionCtx:
    """What ``forward``/``setup_context`` may call on ``ctx`` to prepare ``backward``.

    Any other attribute may be set freely (``ctx.constant = 3``) and read back in ``backward``.
    """

    def save_for_backward(self, *tensors: Any) -> None:
        """Keep ``tensors`` (Tensors or None) for ``backward``, read as ``ctx.saved_tensors``.

        A saved tensor that is modified in place before ``backward`` makes ``saved_tensors``
        raise PyTorch's "modified by an inplace operation" error.
        """
        self.to_save = tensors

    def save_for_forward(self, *tensors: Any) -> None:
        """Keep ``tensors`` for ``jvp`` (forward-mode AD), read as ``ctx.saved_for_forward``."""
        self.saved_for_forward = tensors

    def mark_dirty(self, *args: Any) -> None:
        """Declare the inputs that ``forward`` modified in place; each must also be returned."""
        self.dirty_tensors = args

    def mark_non_differentiable(self, *args: Any) -> None:
        """Declare outputs that get no gradient: they do not require grad, and ``backward`` is
        passed zeros (or None, see ``set_materialize_grads``) for them."""
        self.non_differentiable = args

    def set_materialize_grads(self, value: bool) -> None:
        """With ``False``, ``backward`` receives None (not zeros) for outputs with no gradient."""
        self.materialize_grads = value


class BackwardCFunction(Node, FunctionCtx):
    """Base of every ``<ClassName>Backward`` node: the ctx of one ``Function.apply`` call.

    ``apply`` calls the user's ``backward`` (or ``vjp``) with one gradient per forward output and
    maps its results onto ``next_functions`` (Note [Custom Function edges]).
    """

    # No __slots__: a ctx takes arbitrary attributes (``ctx.constant = 3``).
    _forward_cls: Any = None
    to_save: tuple | None = None
    dirty_tensors: tuple | None = None
    non_differentiable: tuple | None = None
    saved_for_forward: tuple | None = None
    materialize_grads = True
    needs_input_grad: tuple = ()

    def __init__(self) -> None:
        super().__init__()
        self._arg_edges: tuple = ()     # forward argument position -> edge index, or None
        self._out_meta: tuple = ()      # per output: (shape, np.dtype), None for non-tensors

    def __repr__(self) -> str:
        return f"<{__name__}.{type(self).__name__} object at {hex(id(self))}>"

    def __getattr__(self, item: str) -> Any:
        # Node.__getattr__ serves the registry's `_saved_<name>`; a ctx has none of those.
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{item}'")

    @property
    def saved_tensors(self) -> tuple:
        """The tensors given to ``save_for_backward``, checked against in-place modification."""
        saved = self._saved
        if saved is False:
            raise RuntimeError(_errors.BACKWARD_TWICE)
        if saved is None:                     # still inside forward, or nothing recorded
            return tuple(self.to_save or ())
        return tuple(None if s is None else s.unpack(self) for s in saved)

    def _release(self) -> None:
        # PyTorch frees a custom node's buffers even when it saved nothing: reading
        # `saved_tensors` after a backward without retain_graph always raises.
        self._saved = False

    def _user_backward(self) -> Callable:
        cls = self._forward_cls
        backward, vjp = cls.backward, cls.vjp
        base_backward = _SingleLevelFunction.backward
        if backward is not base_backward and vjp is not base_backward:
            if backward is not vjp:
                raise RuntimeError(_BOTH_BACKWARD_AND_VJP)
        return vjp if vjp is not base_backward else backward

    def apply(self, grads: list) -> list:
        from dagrad._tensor import Tensor
        grads = list(grads)
        if self.materialize_grads:
            for i, g in enumerate(grads):
                if g is None and self._out_meta[i] is not None:
                    shape, dt = self._out_meta[i]
                    grads[i] = Tensor._make(np.zeros(shape, dt))
        result = self._user_backward()(self, *grads)
        if not isinstance(result, tuple):
            result = (result,)
        n_args = len(self._arg_edges)
        name = self.name()
        if len(result) > n_args and all(r is None for r in result[n_args:]):
            result = result[:n_args]          # PyTorch ignores trailing Nones
        if len(result) != n_args:
            raise RuntimeError(_errors.WRONG_GRAD_COUNT.format(
                node=name, expected=n_args, got=len(result)))
        out = [None] * len(self.next_functions)
        for pos, (g, e) in enumerate(zip(result, self._arg_edges, strict=True)):
            if g is None:
                continue
            if not isinstance(g, Tensor):
                raise RuntimeError(_GRAD_NOT_TENSOR.format(type=type(g).__name__))
            if e is None:
                raise RuntimeError(_GRAD_FOR_NON_TENSOR.format(node=name, pos=pos + 1))
            out[e] = g
        return out


class _SingleLevelFunction(FunctionCtx):
    """The static interface of a custom Function (``forward``, ``setup_context``, ``backward``)."""

    _backward_cls: type

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _make_backward_cls(cls)

    @staticmethod
    def forward(*args: Any, **kwargs: Any) -> Any:
        """Compute the outputs. Either ``forward(ctx, *args)``, or ``forward(*args)`` together
        with ``setup_context(ctx, inputs, output)``. Runs under ``no_grad``."""
        raise NotImplementedError(_NO_FORWARD)

    @staticmethod
    def setup_context(ctx: Any, inputs: tuple, output: Any) -> Any:
        """Fill ``ctx`` from the inputs and output (only with a ``forward`` that takes no ctx)."""
        raise NotImplementedError(_NO_SETUP_CONTEXT)

    @staticmethod
    def backward(ctx: Any, *grad_outputs: Any) -> Any:
        """Map one gradient per forward output to one gradient per forward input (None for
        inputs that are not tensors or need no gradient)."""
        raise NotImplementedError(_NO_BACKWARD)

    vjp = backward

    @staticmethod
    def jvp(ctx: Any, *grad_inputs: Any) -> Any:
        raise NotImplementedError(_NO_JVP)


def _make_backward_cls(cls: type) -> None:
    node_cls = type(cls.__name__ + "Backward", (BackwardCFunction,), {"_forward_cls": cls})
    node_cls.__module__ = __name__
    node_cls.__qualname__ = node_cls.__name__
    cls._backward_cls = node_cls


def _is_setup_context_defined(fn: Callable) -> bool:
    return fn is not _SingleLevelFunction.setup_context


class Function(_SingleLevelFunction):
    """Base class of custom autograd operations; subclass it and call ``apply``.

    Define ``forward(ctx, *args)`` and ``backward(ctx, *grad_outputs)`` as static methods (or
    ``forward(*args)`` plus ``setup_context(ctx, inputs, output)``). ``backward`` written in dagrad
    ops is itself differentiable, so ``create_graph=True`` gives higher derivatives.

    Example:
        >>> class Exp(dagrad.autograd.Function):
        ...     @staticmethod
        ...     def forward(ctx, i):
        ...         result = i.exp()
        ...         ctx.save_for_backward(result)
        ...         return result
        ...     @staticmethod
        ...     def backward(ctx, grad_output):
        ...         result, = ctx.saved_tensors
        ...         return grad_output * result
        >>> Exp.apply(dagrad.zeros(2, requires_grad=True))
        tensor([1., 1.], grad_fn=<ExpBackward>)
    """

    generate_vmap_rule = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        warnings.warn(_INSTANTIATED.format(cls=self.__class__), DeprecationWarning, stacklevel=2)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(_LEGACY_CALL)

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Any:
        """Run ``forward`` on ``args`` and connect its tensor outputs to a new graph node."""
        setup_ctx = _is_setup_context_defined(cls.setup_context)
        if setup_ctx:
            bound = inspect.signature(cls.forward).bind(*args, **kwargs)
            bound.apply_defaults()
            args, kwargs = bound.args, bound.kwargs
        return _apply(cls, args, kwargs, setup_ctx)


def _apply(cls: type, args: tuple, kwargs: dict, setup_ctx: bool) -> Any:
    from dagrad._tensor import Tensor
    ctx = cls._backward_cls()
    ctx._site = user_site()                   # Note [Source sites] in graph.py
    tensor_args = []
    arg_edges = []
    for a in args:
        if isinstance(a, Tensor):
            arg_edges.append(len(tensor_args))
            tensor_args.append(a)
        else:
            arg_edges.append(None)
    ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a._rg for a in args)
    executable = STATE.grad and any(t._rg for t in tensor_args)
    if executable:
        # Edges first: a dirty input is moved onto this node below (Note [Custom Function edges]).
        ctx.next_functions = tuple(edge_of(t) for t in tensor_args)
        ctx._meta = tuple((t._data.shape, t._data.dtype) if t._rg else None for t in tensor_args)
        ctx._arg_edges = tuple(arg_edges)
        if STATE.anomaly:
            record_forward_stack(ctx)

    with no_grad():
        if setup_ctx:
            output = cls.forward(*args, **kwargs)
            cls.setup_context(ctx, args, output)
        else:
            output = cls.forward(ctx, *args, **kwargs)

    is_tuple = isinstance(output, tuple)
    outs = list(output) if is_tuple else [output]
    outputs = _wrap_outputs(ctx, outs, tensor_args, executable)
    if executable:
        ctx._saved = _save(ctx, outputs)
    ctx.to_save = None
    ctx.dirty_tensors = None
    ctx.non_differentiable = None
    return tuple(outputs) if is_tuple else outputs[0]


def _wrap_outputs(ctx: BackwardCFunction, outs: list, tensor_args: list,
                  executable: bool) -> list:
    """Connect the tensor outputs to ``ctx`` (Note [Custom Function outputs])."""
    from dagrad._tensor import Tensor
    dirty = ctx.dirty_tensors or ()
    non_diff = ctx.non_differentiable or ()
    for d in dirty:
        if not any(d is o for o in outs):
            raise RuntimeError(_DIRTY_NOT_RETURNED)
    for d in dirty:
        if executable:
            _check_dirty(d)
        d._bump()
    ctx._out_meta = tuple((o._data.shape, o._data.dtype) if isinstance(o, Tensor) else None
                          for o in outs)
    ctx._num_outputs = len(outs)
    name = ctx._forward_name()
    for i, o in enumerate(outs):
        if not isinstance(o, Tensor):
            continue
        is_input = any(o is t for t in tensor_args)
        is_dirty = any(o is d for d in dirty)
        differentiable = (executable and not any(o is n for n in non_diff)
                          and o._data.dtype.kind in "fc")
        if not differentiable:
            if not o._rg:
                if is_input and not is_dirty:
                    outs[i] = _alias(o, as_view=True)
            elif is_input:
                outs[i] = _alias(o, as_view=False)        # a detached alias, as o.detach()
            elif o._base is None:
                o.grad_fn = None                           # o.detach_()
                o._rg = False
            continue
        if is_input and not is_dirty:
            o = outs[i] = _alias(o, as_view=True)
        if is_dirty and o._base is not None:
            _rebase_dirty_view(ctx, o, i, outs, tensor_args)
            continue
        o.grad_fn = ctx
        o._rg = True
        o._out_nr = i
        if o._base is not None:
            ex = o._extras()
            ex["custom_function_view"] = (i, name)
            # Until check_inplace reads "custom_function_view", this flag makes an in-place op on
            # the view fail (with the no_grad-view message) instead of silently bypassing the
            # custom backward.
            ex["view_no_grad"] = True
    return outs


def _check_dirty(t: Any) -> None:
    if t._base is None:
        if t._rg and t.grad_fn is None:
            raise RuntimeError(_DIRTY_LEAF)
        return
    from dagrad.ops.inplace import check_inplace
    check_inplace(t)                          # a view of a leaf that requires grad, ...


def _alias(t: Any, as_view: bool) -> Any:
    """A new Tensor on ``t``'s memory and version counter (PyTorch's ``view_as(self)``)."""
    from dagrad._tensor import Tensor
    out = Tensor._make(t._data)
    if t._vc is None:
        t._vc = VersionCounter()
    out._vc = t._vc
    if as_view:
        out._base = t._base if t._base is not None else t
        if not STATE.grad:
            out._extras()["view_no_grad"] = True
    return out


def _rebase_dirty_view(ctx: BackwardCFunction, view: Any, i: int, outs: list,
                       tensor_args: list) -> None:
    """A view modified in place by ``forward``: its base gets a ``CopySlices`` node."""
    from dagrad._tensor import Tensor
    from dagrad.ops.inplace import _rebase_view
    if len(outs) > 1:
        raise RuntimeError(_DIRTY_VIEW_MULTI_OUTPUT)
    if not tensor_args or tensor_args[0] is not view:
        raise RuntimeError(_DIRTY_VIEW_NOT_FIRST)
    result = Tensor._make(view._data)
    result.grad_fn = ctx
    result._rg = True
    result._out_nr = i
    _rebase_view(view, result)


def _save(ctx: BackwardCFunction, outputs: list) -> tuple:
    from dagrad._tensor import Tensor
    to_save = ctx.to_save or ()
    saved = []
    for i, t in enumerate(to_save):
        if t is None:
            saved.append(None)
        elif not isinstance(t, Tensor):
            raise TypeError(_SAVE_NON_TENSOR.format(i=i, type=type(t).__name__))
        else:
            is_output = t.grad_fn is ctx and any(t is o for o in outputs)
            saved.append(SavedTensor(t, is_output=is_output))
    return tuple(saved)


# --------------------------------------------------------------------------- once_differentiable


class Error(Node):
    """The node behind a ``once_differentiable`` backward's outputs: differentiating it raises."""

    __slots__ = ("msg", "_num_outputs")

    def name(self) -> str:
        return "torch::autograd::Error"

    def apply(self, grads: list) -> list:
        raise RuntimeError(self.msg)


def _delayed_error(msg: str, outputs: tuple) -> tuple:
    """Outputs equal to ``outputs`` whose ``grad_fn`` raises ``msg`` (PyTorch's DelayedError)."""
    from dagrad._tensor import Tensor
    node = Error()
    node.msg = msg
    node._num_outputs = len(outputs)
    edges, meta, res = [], [], []
    for i, v in enumerate(outputs):
        if not isinstance(v, Tensor):
            edges.append((None, 0))
            meta.append(None)
            res.append(v)
            continue
        fake = v.detach()
        fake._rg = True
        edges.append(edge_of(fake))
        meta.append((v._data.shape, v._data.dtype))
        out = Tensor._make(v._data)
        out._vc = fake._vc
        out.grad_fn = node
        out._rg = True
        out._out_nr = i
        res.append(out)
    node.next_functions = tuple(edges)
    node._meta = tuple(meta)
    return tuple(res)


def once_differentiable(fn: Callable) -> Callable:
    """Decorate a ``backward`` that is not itself differentiable.

    It runs under ``no_grad``; when its incoming gradients require grad (``create_graph=True``
    through a graph), its results get a node that raises "trying to differentiate twice a
    function that was marked with @once_differentiable"; otherwise they have no ``grad_fn``, so
    a second-order use fails with "element 0 of tensors does not require grad ...".
    """
    @functools.wraps(fn)
    def wrapper(ctx: Any, *args: Any, **kwargs: Any) -> Any:
        from dagrad._tensor import Tensor
        with no_grad():
            outputs = fn(ctx, *args, **kwargs)
        if not STATE.grad:
            return outputs
        if not any(isinstance(a, Tensor) and a._rg for a in args):
            return outputs
        is_tuple = isinstance(outputs, tuple)
        res = _delayed_error(ONCE_DIFFERENTIABLE_ERROR, outputs if is_tuple else (outputs,))
        return res if is_tuple else res[0]
    return wrapper
