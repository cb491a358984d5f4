"""Adagrad (learning-rate decay, weight decay, maximize), as PyTorch computes it."""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from dagrad._tensor import Tensor
from dagrad.ops import _fma
from dagrad.optim.optimizer import (
    Optimizer, _check_hyperparameters, _addcdiv, _addcmul, _grad_of, _incr_step, _scalar, _step_tensor, _to_scalar)


class Adagrad(Optimizer):
    """Scale each coordinate's step by the root of its summed squared gradients.

    ``s += g^2``; ``p -= lr / (1 + (t - 1) lr_decay) * g / (sqrt(s) + eps)``.
    """

    def __init__(self, params: Any, lr: float | Tensor = 1e-2, lr_decay: float = 0,
                 weight_decay: float = 0, initial_accumulator_value: float = 0,
                 eps: float = 1e-10, foreach: bool | None = None, *, maximize: bool = False,
                 differentiable: bool = False, fused: bool | None = None) -> None:
        _check_hyperparameters(lr, ("lr_decay value", lr_decay),
                               ("weight_decay value", weight_decay),
                               ("initial_accumulator_value value", initial_accumulator_value),
                               ("epsilon value", eps))
        defaults = {"lr": lr, "lr_decay": lr_decay, "eps": eps, "weight_decay": weight_decay,
                    "initial_accumulator_value": initial_accumulator_value,
                    "foreach": foreach, "maximize": maximize, "differentiable": differentiable,
                    "fused": fused}
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                state = self.state[p]
                state["step"] = _step_tensor()
                state["sum"] = Tensor._make(np.full_like(p._data, initial_accumulator_value))

    # filled in for param groups loaded from an older state (Optimizer.__setstate__)
    _group_defaults = {"foreach": None, "maximize": False, "differentiable": False, "fused": None}

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One Adagrad update of every parameter that has a ``.grad``; returns ``closure()``."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr = _to_scalar(group["lr"])
            wd, lr_decay, eps = group["weight_decay"], group["lr_decay"], group["eps"]
            for p in self._with_grad(group):
                state = self.state[p]
                step = _incr_step(state["step"])
                param = p._data
                g = _grad_of(p, group["maximize"])
                if wd != 0:
                    g = _fma.axpy(g, param, wd)          # grad.add(param, alpha=wd), fused
                clr = lr / (1 + (step - 1) * lr_decay)
                state_sum = state["sum"]._data
                _addcmul(state_sum, g, g, 1)
                state["sum"]._bump()
                std = np.sqrt(state_sum)
                std += _scalar(eps, std)
                _addcdiv(param, g, std, -clr)
                p._bump()
        return loss
