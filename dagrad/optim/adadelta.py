"""Adadelta (weight decay, maximize), as PyTorch computes it."""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from dagrad._tensor import Tensor
from dagrad.ops import _fma
from dagrad.optim.optimizer import (
    Optimizer, _check_hyperparameters, _add, _addcmul, _grad_of, _incr_step, _mul, _scalar, _step_tensor, _to_scalar,
    _zeros_like)


class Adadelta(Optimizer):
    """Steps scaled by the ratio of running RMS of past updates to running RMS of gradients.

    ``v = rho v + (1 - rho) g^2``; ``delta = sqrt(u + eps) / sqrt(v + eps) * g``;
    ``u = rho u + (1 - rho) delta^2``; ``p -= lr * delta``.

    Example:
        >>> p = nn.Parameter(dagrad.ones(2)); p.grad = dagrad.ones(2)
        >>> dagrad.optim.Adadelta([p]).step(); p.tolist()
        [0.9968377351760864, 0.9968377351760864]
    """

    def __init__(self, params: Any, lr: float | Tensor = 1.0, rho: float = 0.9,
                 eps: float = 1e-6, weight_decay: float = 0, foreach: bool | None = None, *,
                 capturable: bool = False, maximize: bool = False,
                 differentiable: bool = False) -> None:
        _check_hyperparameters(lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        _check_hyperparameters(0.0, ("epsilon value", eps), ("weight_decay value", weight_decay))
        defaults = {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay,
                    "maximize": maximize, "capturable": capturable, "foreach": foreach,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    # filled in for param groups loaded from an older state (Optimizer.__setstate__)
    _group_defaults = {"foreach": None, "maximize": False, "differentiable": False,
                       "capturable": False}

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One Adadelta update of every parameter that has a ``.grad``; returns ``closure()``."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr = _to_scalar(group["lr"])
            rho, eps, wd = group["rho"], group["eps"], group["weight_decay"]
            for p in self._with_grad(group, "Adadelta does not support sparse gradients"):
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _step_tensor()
                    state["square_avg"] = _zeros_like(p)
                    state["acc_delta"] = _zeros_like(p)
                _incr_step(state["step"])
                param = p._data
                g = _grad_of(p, group["maximize"])
                if wd != 0:
                    g = _fma.axpy(g, param, wd)          # grad.add(param, alpha=wd), fused
                square_avg = state["square_avg"]._data
                acc_delta = state["acc_delta"]._data
                _mul(square_avg, rho)
                _addcmul(square_avg, g, g, 1 - rho)
                std = np.sqrt(square_avg + _scalar(eps, square_avg))
                delta = np.sqrt(acc_delta + _scalar(eps, acc_delta))
                delta = delta / std * g
                _mul(acc_delta, rho)
                _addcmul(acc_delta, delta, delta, 1 - rho)
                _add(param, delta, -lr)
                state["square_avg"]._bump()
                state["acc_delta"]._bump()
                p._bump()
        return loss
