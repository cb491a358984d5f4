"""RMSprop (centered, momentum, weight decay, maximize), as PyTorch computes it."""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from dagrad._tensor import Tensor
from dagrad.ops import _fma
from dagrad.optim.optimizer import (
    Optimizer, _check_hyperparameters, _add, _addcdiv, _addcmul, _grad_of, _incr_step, _lerp, _mul, _scalar,
    _step_tensor, _to_scalar, _zeros_like)


class RMSprop(Optimizer):
    """Divide the gradient by a running root-mean-square of recent gradients.

    ``v = alpha v + (1 - alpha) g^2``; ``p -= lr * g / (sqrt(v) + eps)`` (``v - mean(g)^2``
    under the root when ``centered``; through a momentum buffer when ``momentum > 0``).
    """

    def __init__(self, params: Any, lr: float | Tensor = 1e-2, alpha: float = 0.99,
                 eps: float = 1e-8, weight_decay: float = 0, momentum: float = 0,
                 centered: bool = False, capturable: bool = False, foreach: bool | None = None,
                 maximize: bool = False, differentiable: bool = False) -> None:
        _check_hyperparameters(lr, ("epsilon value", eps), ("momentum value", momentum),
                               ("weight_decay value", weight_decay), ("alpha value", alpha))
        defaults = {"lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps,
                    "centered": centered, "weight_decay": weight_decay,
                    "capturable": capturable, "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    # filled in for param groups loaded from an older state (Optimizer.__setstate__)
    _group_defaults = {"momentum": 0, "centered": False, "foreach": None, "maximize": False,
                       "differentiable": False, "capturable": False}

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One RMSprop update of every parameter that has a ``.grad``; returns ``closure()``."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr = _to_scalar(group["lr"])
            alpha, eps = group["alpha"], group["eps"]
            wd, momentum = group["weight_decay"], group["momentum"]
            for p in self._with_grad(group):
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _step_tensor()
                    state["square_avg"] = _zeros_like(p)
                    if momentum > 0:
                        state["momentum_buffer"] = _zeros_like(p)
                    if group["centered"]:
                        state["grad_avg"] = _zeros_like(p)
                param = p._data
                g = _grad_of(p, group["maximize"])
                square_avg = state["square_avg"]._data
                _incr_step(state["step"])
                if wd != 0:
                    g = _fma.axpy(g, param, wd)          # grad.add(param, alpha=wd), fused
                _mul(square_avg, alpha)
                _addcmul(square_avg, g, g, 1 - alpha)
                state["square_avg"]._bump()
                if group["centered"]:
                    grad_avg = state["grad_avg"]._data
                    _lerp(grad_avg, g, 1 - alpha)
                    state["grad_avg"]._bump()
                    avg = np.sqrt(square_avg - grad_avg * grad_avg)
                else:
                    avg = np.sqrt(square_avg)
                avg += _scalar(eps, avg)
                if momentum > 0:
                    buf = state["momentum_buffer"]._data
                    _mul(buf, momentum)
                    _addcdiv(buf, g, avg)
                    state["momentum_buffer"]._bump()
                    _add(param, buf, alpha=-lr)
                else:
                    _addcdiv(param, g, avg, -lr)
                p._bump()
        return loss
