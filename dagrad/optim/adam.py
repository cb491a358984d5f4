"""Adam and AdamW (decoupled weight decay), with amsgrad and maximize, as PyTorch computes them."""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from dagrad._tensor import Tensor
from dagrad.ops import _fma
from dagrad.optim.optimizer import (
    Optimizer, _check_hyperparameters, _addcdiv, _addcmul, _grad_of, _incr_step, _lerp, _mul, _scalar, _step_tensor,
    _to_scalar, _zeros_like)


class Adam(Optimizer):
    """Adam: per-parameter steps scaled by running averages of the gradient and its square.

    ``m = lerp(m, g, 1 - beta1)``, ``v = beta2 v + (1 - beta2) g^2``,
    ``p -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)``.
    ``weight_decay`` adds ``wd * p`` to the gradient (Adam) or multiplies ``p`` by
    ``1 - lr * wd`` first (``decoupled_weight_decay=True``, i.e. AdamW).

    Example:
        >>> p = nn.Parameter(dagrad.ones(2)); p.grad = dagrad.ones(2)
        >>> dagrad.optim.Adam([p], lr=0.1).step(); p
        Parameter containing:
        tensor([0.9000, 0.9000], requires_grad=True)
    """

    def __init__(self, params: Any, lr: float | Tensor = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, amsgrad: bool = False, *,
                 foreach: bool | None = None, maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False, fused: bool | None = None,
                 decoupled_weight_decay: bool = False) -> None:
        _check_hyperparameters(lr, ("epsilon value", eps), betas=betas)
        _check_hyperparameters(0.0, ("weight_decay value", weight_decay))
        if not ((isinstance(betas[0], float) and isinstance(betas[1], float))
                or (isinstance(betas[0], Tensor) and isinstance(betas[1], Tensor))):
            raise ValueError("betas must be either both floats or both Tensors")
        betas = tuple(map(_to_scalar, betas))
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "amsgrad": amsgrad, "maximize": maximize, "foreach": foreach,
                    "capturable": capturable, "differentiable": differentiable, "fused": fused,
                    "decoupled_weight_decay": decoupled_weight_decay}
        super().__init__(params, defaults)

    # filled in for param groups loaded from an older state (Optimizer.__setstate__)
    _group_defaults = {"amsgrad": False, "maximize": False, "foreach": None, "capturable": False,
                       "differentiable": False, "decoupled_weight_decay": False, "fused": None}

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One Adam update of every parameter that has a ``.grad``; returns ``closure()``."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            lr = _to_scalar(group["lr"])
            wd = group["weight_decay"]
            eps = group["eps"]
            for p in self._with_grad(group, "Adam does not support sparse gradients, please "
                                            "consider SparseAdam instead"):
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _step_tensor()
                    state["exp_avg"] = _zeros_like(p)
                    state["exp_avg_sq"] = _zeros_like(p)
                    if group["amsgrad"]:
                        state["max_exp_avg_sq"] = _zeros_like(p)
                param = p._data
                g = _grad_of(p, group["maximize"])
                exp_avg = state["exp_avg"]._data
                exp_avg_sq = state["exp_avg_sq"]._data
                step = _incr_step(state["step"])
                if wd != 0:
                    if group["decoupled_weight_decay"]:
                        _mul(param, 1 - lr * wd)
                    else:
                        g = _fma.axpy(g, param, wd)          # grad.add(param, alpha=wd), fused
                _lerp(exp_avg, g, 1 - beta1)
                _mul(exp_avg_sq, beta2)
                _addcmul(exp_avg_sq, g, g, 1 - beta2)
                bias_correction1 = 1 - beta1 ** step
                bias_correction2 = 1 - beta2 ** step
                step_size = lr / bias_correction1
                bias_correction2_sqrt = bias_correction2 ** 0.5
                if group["amsgrad"]:
                    mx = state["max_exp_avg_sq"]._data
                    np.maximum(mx, exp_avg_sq, out=mx)
                    state["max_exp_avg_sq"]._bump()
                    denom = np.sqrt(mx) / _scalar(bias_correction2_sqrt, mx)
                else:
                    denom = np.sqrt(exp_avg_sq) / _scalar(bias_correction2_sqrt, exp_avg_sq)
                denom += _scalar(eps, denom)
                _addcdiv(param, exp_avg, denom, -step_size)
                state["exp_avg"]._bump()
                state["exp_avg_sq"]._bump()
                p._bump()
        return loss


class AdamW(Adam):
    """Adam with decoupled weight decay (default 1e-2): ``p *= 1 - lr * weight_decay`` first."""

    def __init__(self, params: Any, lr: float | Tensor = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False, *, maximize: bool = False,
                 foreach: bool | None = None, capturable: bool = False,
                 differentiable: bool = False, fused: bool | None = None) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach,
                         maximize=maximize, capturable=capturable,
                         differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)

    def __setstate__(self, state: dict) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True
