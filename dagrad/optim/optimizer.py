"""``Optimizer``: parameter groups, per-parameter state, ``state_dict``, step hooks (as PyTorch's).

Subclasses implement ``step``. They update parameters in place on their NumPy arrays, in the
order of operations of PyTorch's single-tensor (``foreach=False``) code paths, so float64
trajectories match PyTorch's to ~1e-15 and float32 ones to rounding (Note [Update arithmetic]).

Note [Update arithmetic]
PyTorch writes ``param.addcdiv_(exp_avg, denom, value=-step_size)``; the CPU kernel computes
``param + (value * exp_avg) / denom`` with ``value`` cast to the tensor's dtype. The helpers
below (``_add``, ``_addcmul``, ``_addcdiv``, ``_lerp``) evaluate exactly that expression on
arrays, in place, with Python scalars cast to the array dtype first. A parameter written this
way gets its version counter bumped, as an in-place op under ``no_grad`` would.
"""
from __future__ import annotations

import functools
import warnings
from collections import OrderedDict, defaultdict
from copy import deepcopy
from itertools import chain
from typing import Any, Callable

import numpy as np

from dagrad._tensor import Tensor
from dagrad.ops import _fma
from dagrad.autograd.graph import RemovableHandle

__all__ = ["Optimizer", "required", "register_optimizer_step_pre_hook",
           "register_optimizer_step_post_hook"]


class _RequiredParameter:
    """Singleton for a hyper-parameter with no default (``lr=required``)."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()

_global_optimizer_pre_hooks: OrderedDict = OrderedDict()
_global_optimizer_post_hooks: OrderedDict = OrderedDict()


def register_optimizer_step_pre_hook(hook: Callable) -> RemovableHandle:
    """``hook(optimizer, args, kwargs)`` before every optimizer's ``step``."""
    handle = RemovableHandle(_global_optimizer_pre_hooks)
    _global_optimizer_pre_hooks[handle.id] = hook
    return handle


def register_optimizer_step_post_hook(hook: Callable) -> RemovableHandle:
    """``hook(optimizer, args, kwargs)`` after every optimizer's ``step``."""
    handle = RemovableHandle(_global_optimizer_post_hooks)
    _global_optimizer_post_hooks[handle.id] = hook
    return handle


def _typename(obj: Any) -> str:
    from dagrad.nn.modules.module import typename
    return typename(obj)


def _with_step_hooks(func: Callable) -> Callable:
    @functools.wraps(func)
    def step(*args: Any, **kwargs: Any) -> Any:
        self = args[0]
        for pre in chain(_global_optimizer_pre_hooks.values(),
                         self._optimizer_step_pre_hooks.values()):
            result = pre(self, args, kwargs)
            if result is not None:
                if isinstance(result, tuple) and len(result) == 2:
                    args, kwargs = result
                else:
                    raise RuntimeError(f"{func} must return None or a tuple of (new_args, "
                                       f"new_kwargs), but got {result}.")
        out = func(*args, **kwargs)
        for post in chain(self._optimizer_step_post_hooks.values(),
                          _global_optimizer_post_hooks.values()):
            post(self, args, kwargs)
        return out
    step._with_hooks = True  # type: ignore[attr-defined]
    return step


class Optimizer:
    """Base class of all optimizers.

    Args:
        params: an iterable of tensors, of ``(name, tensor)`` pairs, or of dicts (parameter
            groups, each with its own hyper-parameters).
        defaults: the hyper-parameters a group gets when it does not set them.

    Example:
        >>> opt = dagrad.optim.SGD(nn.Linear(2, 1).parameters(), lr=0.1)
        >>> len(opt.param_groups), opt.param_groups[0]["lr"]
        (1, 0.1)
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        step = cls.__dict__.get("step")
        if step is not None and not getattr(step, "_with_hooks", False):
            cls.step = _with_step_hooks(step)

    def __init__(self, params: Any, defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        self._optimizer_step_pre_hooks: OrderedDict = OrderedDict()
        self._optimizer_step_post_hooks: OrderedDict = OrderedDict()
        self._optimizer_state_dict_pre_hooks: OrderedDict = OrderedDict()
        self._optimizer_state_dict_post_hooks: OrderedDict = OrderedDict()
        self._optimizer_load_state_dict_pre_hooks: OrderedDict = OrderedDict()
        self._optimizer_load_state_dict_post_hooks: OrderedDict = OrderedDict()
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            "Tensors or dicts, but got " + _typename(params))
        self.state: defaultdict = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for param_group in param_groups:
            self.add_param_group(param_group)

    def __getstate__(self) -> dict[str, Any]:
        return {"defaults": self.defaults, "state": self.state,
                "param_groups": self.param_groups}

    # Hyper-parameters a param group loaded from an older state may lack, with their values
    # (each optimizer lists its own; PyTorch's optimizers set them one by one in __setstate__).
    _group_defaults: dict = {}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        for name in ("_optimizer_step_pre_hooks", "_optimizer_step_post_hooks",
                     "_optimizer_state_dict_pre_hooks", "_optimizer_state_dict_post_hooks",
                     "_optimizer_load_state_dict_pre_hooks",
                     "_optimizer_load_state_dict_post_hooks"):
            if name not in self.__dict__:
                setattr(self, name, OrderedDict())
        self.defaults.setdefault("differentiable", False)
        for group in self.param_groups:
            for k, v in self._group_defaults.items():
                group.setdefault(k, v)

    def __repr__(self) -> str:
        format_string = self.__class__.__name__ + " ("
        for i, group in enumerate(self.param_groups):
            format_string += "\n"
            format_string += f"Parameter Group {i}\n"
            for key in sorted(group.keys()):
                if key != "params":
                    format_string += f"    {key}: {group[key]}\n"
        format_string += ")"
        return format_string

    # ------------------------------------------------------------------ groups
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters (with its own hyper-parameters) to ``param_groups``."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            param_group["params"] = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, "
                            "but the ordering of tensors in sets will change between runs. "
                            "Please use a list instead.")
        else:
            param_group["params"] = list(params)
        tensors, names = [], []
        for param in param_group["params"]:
            if isinstance(param, tuple):
                names.append(param[0])
                tensors.append(param[1])
            else:
                tensors.append(param)
        param_group["params"] = tensors
        if len(names) != 0:
            if len(names) == len(tensors):
                param_group["param_names"] = names
            else:
                raise ValueError("all optimizer params should be with/without names. Some param "
                                 "names are missing")
        for param in param_group["params"]:
            if not isinstance(param, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is "
                                + _typename(param))
            if not self.defaults.get("differentiable", None) and not (
                    param.is_leaf or param.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError("parameter group didn't specify a value of required "
                                 f"optimization parameter {name}")
            param_group.setdefault(name, default)
        params = param_group["params"]
        if len(params) != len(set(params)):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; in "
                          "future, this will cause an error; see "
                          "github.com/pytorch/pytorch/issues/40967 for more information",
                          stacklevel=3)
        param_set: set = set()
        for group in self.param_groups:
            param_set.update(set(group["params"]))
            if ("param_names" in param_group) != ("param_names" in group):
                txt = "with names" if "param_names" in param_group else "without names"
                raise ValueError("all optimizer param groups should be with/without names. "
                                 f"cannot add param group {txt} to the optimizer")
        if not param_set.isdisjoint(set(param_group["params"])):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of all optimized tensors: to None (default) or to zeros."""
        for group in self.param_groups:
            for p in group["params"]:
                g = p._grad
                if g is not None:
                    if set_to_none:
                        p.grad = None
                    else:
                        if g.grad_fn is not None:
                            g.detach_()
                        else:
                            g.requires_grad_(False)
                        g._data[...] = 0
                        g._bump()

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update the parameters once (subclasses implement it)."""
        raise NotImplementedError

    @staticmethod
    def _with_grad(group: dict, sparse_error: str | None = None) -> Any:
        """The group's parameters that have a ``.grad`` (the loop of every ``step``);
        ``sparse_error`` is raised for a sparse gradient where the optimizer has no sparse
        update."""
        for p in group["params"]:
            g = p._grad
            if g is None:
                continue
            if sparse_error is not None and g.is_sparse:
                raise RuntimeError(sparse_error)
            yield p

    def _closure_loss(self, closure: Callable[[], Any] | None) -> Any:
        if closure is None:
            return None
        from dagrad.autograd.grad_mode import enable_grad
        with enable_grad():
            return closure()

    # ------------------------------------------------------------------ hooks
    def register_step_pre_hook(self, hook: Callable) -> RemovableHandle:
        """``hook(optimizer, args, kwargs)`` before ``step``; may return new (args, kwargs)."""
        handle = RemovableHandle(self._optimizer_step_pre_hooks)
        self._optimizer_step_pre_hooks[handle.id] = hook
        return handle

    def register_step_post_hook(self, hook: Callable) -> RemovableHandle:
        """``hook(optimizer, args, kwargs)`` after ``step``."""
        handle = RemovableHandle(self._optimizer_step_post_hooks)
        self._optimizer_step_post_hooks[handle.id] = hook
        return handle

    def register_state_dict_pre_hook(self, hook: Callable, prepend: bool = False) -> Any:
        handle = RemovableHandle(self._optimizer_state_dict_pre_hooks)
        self._optimizer_state_dict_pre_hooks[handle.id] = hook
        if prepend:
            self._optimizer_state_dict_pre_hooks.move_to_end(handle.id, last=False)
        return handle

    def register_state_dict_post_hook(self, hook: Callable, prepend: bool = False) -> Any:
        handle = RemovableHandle(self._optimizer_state_dict_post_hooks)
        self._optimizer_state_dict_post_hooks[handle.id] = hook
        if prepend:
            self._optimizer_state_dict_post_hooks.move_to_end(handle.id, last=False)
        return handle

    def register_load_state_dict_pre_hook(self, hook: Callable, prepend: bool = False) -> Any:
        handle = RemovableHandle(self._optimizer_load_state_dict_pre_hooks)
        self._optimizer_load_state_dict_pre_hooks[handle.id] = hook
        if prepend:
            self._optimizer_load_state_dict_pre_hooks.move_to_end(handle.id, last=False)
        return handle

    def register_load_state_dict_post_hook(self, hook: Callable, prepend: bool = False) -> Any:
        handle = RemovableHandle(self._optimizer_load_state_dict_post_hooks)
        self._optimizer_load_state_dict_post_hooks[handle.id] = hook
        if prepend:
            self._optimizer_load_state_dict_post_hooks.move_to_end(handle.id, last=False)
        return handle

    # ------------------------------------------------------------------ state_dict
    def state_dict(self) -> dict[str, Any]:
        """``{'state': {param index: {...}}, 'param_groups': [{..., 'params': [indices]}]}``."""
        for pre_hook in self._optimizer_state_dict_pre_hooks.values():
            pre_hook(self)
        param_mappings: dict[int, int] = {}
        start_index = 0

        def pack_group(group: dict[str, Any]) -> dict[str, Any]:
            nonlocal start_index
            packed = {k: v for k, v in group.items() if k != "params"}
            param_mappings.update({id(p): i for i, p in enumerate(group["params"], start_index)
                                   if id(p) not in param_mappings})
            packed["params"] = [param_mappings[id(p)] for p in group["params"]]
            start_index += len(packed["params"])
            return packed

        param_groups = [pack_group(g) for g in self.param_groups]
        packed_state = {(param_mappings[id(k)] if isinstance(k, Tensor) else k): v
                        for k, v in self.state.items()}
        state_dict = {"state": packed_state, "param_groups": param_groups}
        for post_hook in self._optimizer_state_dict_post_hooks.values():
            result = post_hook(self, state_dict)
            if result is not None:
                state_dict = result
        return state_dict

    @staticmethod
    def _process_value_according_to_param_policy(param: Tensor, value: Tensor, param_id: Any,
                                                 param_groups: list, key: Any = None) -> Tensor:
        if key == "step":
            return value
        if param.is_floating_point():
            return value.to(param.dtype)
        return value

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load a ``state_dict()``: hyper-parameters and per-parameter state (copied, cast to
        each parameter's dtype), matched to this optimizer's parameters by position."""
        state_dict = state_dict.copy()
        for pre_hook in self._optimizer_load_state_dict_pre_hooks.values():
            result = pre_hook(self, state_dict)
            if result is not None:
                state_dict = result
        groups = self.param_groups
        saved_groups = deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        param_lens = (len(g["params"]) for g in groups)
        saved_lens = (len(g["params"]) for g in saved_groups)
        if any(p != s for p, s in zip(param_lens, saved_lens, strict=True)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match "
                             "the size of optimizer's group")
        id_map = dict(zip(chain.from_iterable(g["params"] for g in saved_groups),
                          chain.from_iterable(g["params"] for g in groups), strict=True))

        def _cast(param: Tensor, value: Any, param_id: Any = None, param_groups: Any = None,
                  key: Any = None) -> Any:
            if isinstance(value, Tensor):
                out = Optimizer._process_value_according_to_param_policy(
                    param, value, param_id, param_groups, key)
                return Tensor._make(out._data.copy()) if out is value else out
            if isinstance(value, dict):
                return {k: _cast(param, v, param_id=param_id, param_groups=param_groups, key=k)
                        for k, v in value.items()}
            if isinstance(value, (list, tuple)):
                return type(value)(_cast(param, v, param_id=param_id, param_groups=param_groups)
                                   for v in value)
            return value

        state: defaultdict = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                param = id_map[k]
                state[param] = _cast(param, v, param_id=k,
                                     param_groups=state_dict["param_groups"])
            else:
                state[k] = v

        def update_group(group: dict[str, Any], new_group: dict[str, Any]) -> dict[str, Any]:
            new_group["params"] = group["params"]
            if "param_names" in group and "param_names" not in new_group:
                new_group["param_names"] = group["param_names"]
            return new_group

        param_groups = [update_group(g, ng) for g, ng in zip(groups, saved_groups, strict=True)]
        self.__setstate__({"state": state, "param_groups": param_groups})
        for post_hook in self._optimizer_load_state_dict_post_hooks.values():
            post_hook(self)


# --------------------------------------------------------------------------- update helpers
# Note [Update arithmetic]: each helper is one PyTorch in-place tensor op, evaluated in the
# array's dtype with the same association of operations.


def _check_hyperparameters(lr: Any, *checks: tuple[str, Any], betas: Any = None) -> None:
    """PyTorch's constructor checks, in its order: a 1-element tensor lr, ``0 <= lr``, then each
    ``(label, value)`` must be ``>= 0`` ("Invalid <label>: <value>"), then ``0 <= beta < 1``."""
    if isinstance(lr, Tensor) and lr.numel() != 1:
        raise ValueError("Tensor lr must be 1-element")
    if not 0.0 <= lr:
        raise ValueError(f"Invalid learning rate: {lr}")
    for label, value in checks:
        if not 0.0 <= value:
            raise ValueError(f"Invalid {label}: {value}")
    if betas is not None:
        for i, b in enumerate(betas):
            if not 0.0 <= b < 1.0:
                raise ValueError(f"Invalid beta parameter at index {i}: {b}")


def _scalar(x: Any, arr: np.ndarray) -> Any:
    if isinstance(x, Tensor):
        x = x.item()
    return arr.dtype.type(x)


def _grad_of(p: Tensor, maximize: bool) -> np.ndarray:
    g = p._grad._data
    return -g if maximize else g


def _add(self: np.ndarray, other: np.ndarray, alpha: Any = 1) -> None:
    """``self.add_(other, alpha=alpha)``: fused, as PyTorch (Note [Fused multiply-add])."""
    if alpha == 1:
        np.add(self, other, out=self)
    else:
        _fma.axpy(self, other, _to_scalar(alpha), out=self)


def _mul(self: np.ndarray, value: Any) -> None:
    """``self.mul_(value)``."""
    np.multiply(self, _scalar(value, self), out=self)


def _addcmul(self: np.ndarray, t1: np.ndarray, t2: np.ndarray, value: Any = 1) -> None:
    """``self.addcmul_(t1, t2, value=value)``: ``self + value * t1 * t2``, fused as PyTorch
    (Note [Fused multiply-add])."""
    _fma.addcmul(self, t1, t2, _to_scalar(value), out=self)


def _addcdiv(self: np.ndarray, t1: np.ndarray, t2: np.ndarray, value: Any = 1) -> None:
    """``self.addcdiv_(t1, t2, value=value)``: ``self + value * t1 / t2``."""
    np.add(self, _scalar(value, self) * t1 / t2, out=self)


def _lerp(self: np.ndarray, end: np.ndarray, weight: Any) -> None:
    """``self.lerp_(end, weight)`` with ATen's two-sided formula."""
    _fma.lerp(self, end, _to_scalar(weight), out=self)


def _zeros_like(p: Tensor) -> Tensor:
    return Tensor._make(np.zeros_like(p._data))


def _step_tensor() -> Tensor:
    from dagrad import _dtypes
    return Tensor._make(np.zeros((), _dtypes.get_default_dtype().np))


def _incr_step(step_t: Tensor) -> float:
    step_t._data[...] = step_t._data + 1
    step_t._bump()
    return float(step_t._data)


def _to_scalar(x: Any) -> Any:
    if isinstance(x, Tensor):
        return x.item()
    return x
