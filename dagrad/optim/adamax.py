"""Adamax (Adam with the infinity norm), as PyTorch computes it."""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from dagrad._tensor import Tensor
from dagrad.ops import _fma
from dagrad.optim.optimizer import (
    Optimizer, _check_hyperparameters, _addcdiv, _grad_of, _incr_step, _lerp, _mul, _scalar, _step_tensor, _to_scalar,
    _zeros_like)


class Adamax(Optimizer):
    """Adam whose second moment is a running maximum of ``|g|``.

    ``m = lerp(m, g, 1 - beta1)``; ``u = max(beta2 u, |g| + eps)``;
    ``p -= lr / (1 - beta1^t) * m / u``.

    Example:
        >>> p = nn.Parameter(dagrad.ones(2)); p.grad = dagrad.ones(2)
        >>> dagrad.optim.Adamax([p], lr=0.1).step(); p.tolist()
        [0.8999999761581421, 0.8999999761581421]
    """

    def __init__(self, params: Any, lr: float | Tensor = 2e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, foreach: bool | None = None, *,
                 maximize: bool = False, differentiable: bool = False,
                 capturable: bool = False) -> None:
        _check_hyperparameters(lr, ("epsilon value", eps), betas=betas)
        _check_hyperparameters(0.0, ("weight_decay value", weight_decay))
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "foreach": foreach, "maximize": maximize, "differentiable": differentiable,
                    "capturable": capturable}
        super().__init__(params, defaults)

    # filled in for param groups loaded from an older state (Optimizer.__setstate__)
    _group_defaults = {"foreach": None, "maximize": False, "differentiable": False,
                       "capturable": False}

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One Adamax update of every parameter that has a ``.grad``; returns ``closure()``."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            lr = _to_scalar(group["lr"])
            eps, wd = group["eps"], group["weight_decay"]
            for p in self._with_grad(group, "Adamax does not support sparse gradients"):
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _step_tensor()
                    state["exp_avg"] = _zeros_like(p)
                    state["exp_inf"] = _zeros_like(p)
                step = _incr_step(state["step"])
                param = p._data
                g = _grad_of(p, group["maximize"])
                if wd != 0:
                    g = _fma.axpy(g, param, wd)          # grad.add(param, alpha=wd), fused
                exp_avg = state["exp_avg"]._data
                exp_inf = state["exp_inf"]._data
                _lerp(exp_avg, g, 1 - beta1)
                _mul(exp_inf, beta2)
                np.maximum(exp_inf, np.abs(g) + _scalar(eps, g), out=exp_inf)
                clr = lr / (1 - beta1 ** step)
                _addcdiv(param, exp_avg, exp_inf, -clr)
                state["exp_avg"]._bump()
                state["exp_inf"]._bump()
                p._bump()
        return loss
