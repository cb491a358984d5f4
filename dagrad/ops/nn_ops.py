"""Ops of neural-network layers and losses: a NumPy kernel + one derivative formula per input.

Each op records PyTorch's node (``AddmmBackward0``, ``SoftmaxBackward0``, ``NllLossBackward0``...).
Formulas are written in dagrad ops, so double backward works through every one of them; the
ops whose backward is itself a custom kernel (``nll_loss``, ``embedding``) declare that backward
as an op of its own, with its derivative, so it differentiates again.

Reductions are named as in ``torch.nn.functional``: ``"none"``, ``"mean"`` or ``"sum"``.
``dagrad.nn.functional`` is the public face of these ops (argument checks, legacy arguments,
composite functions such as ``cross_entropy``); it is what users call.
"""
from __future__ import annotations

import math

import numpy as np

from dagrad import _dtypes
from dagrad._npquiet import QUIET
from dagrad._tensor import Tensor
from dagrad.ops import _formulas
from dagrad.ops._cascade import fsum, nll_sum
from dagrad.ops._registry import defop
from dagrad.ops.linalg import _mm_mat2, _mm_mat2_np, mm
from dagrad.ops.pointwise import (_accurate, _alpha_np, _conj, abs, clamp, exp, gt, log, lt,
                                  sigmoid, tanh, where)
from dagrad.ops.shape import t

_SQRT_2 = math.sqrt(2.0)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


def _dim1(dim: int, ndim: int) -> int | None:
    """``dim`` as a NumPy axis; None for a 0-dim tensor (which PyTorch treats as one element)."""
    if ndim == 0:
        _formulas.normalize_dims(dim, 0)   # raises PyTorch's IndexError for a bad dim
        return None
    return _formulas.normalize_dims(dim, ndim)[0]


def _as_float(x: np.ndarray) -> np.ndarray:
    return x if x.dtype.kind in "fc" else x.astype(_dtypes.get_default_dtype().np)


# --------------------------------------------------------------------------- linear


def _addmm_mat2(grad, mat1, mat2, alpha):
    # mm's formula, in mat2's layout (Note [Gradient layout] in linalg.py), scaled
    return _scaled(_mm_mat2(grad, mat1, mat2), _conj(alpha))


def _addmm_mat1_np(grad, mat2, alpha):
    return _alpha_np(np.matmul(grad, mat2.T), alpha)


def _addmm_mat2_np(grad, mat1, mat2, alpha):
    return _alpha_np(_mm_mat2_np(grad, mat1, mat2), alpha)


@defop(node="AddmmBackward0", promote="common", grads={
    "self": lambda grad, beta: grad if beta == 1 else grad * _conj(beta),
    "mat1": lambda grad, mat2, alpha: _scaled(mm(grad, _conj(t(mat2))), _conj(alpha)),
    "mat2": _addmm_mat2,
}, np_grads={"self": lambda grad, beta: _alpha_np(grad, beta), "mat1": _addmm_mat1_np,
             "mat2": _addmm_mat2_np})
def addmm(self, mat1, mat2, beta=1, alpha=1):
    """``beta * self + alpha * (mat1 @ mat2)``; ``self`` broadcasts to (n, p). Same as
    ``torch.addmm``; ``F.linear`` with a bias on 2-D input records it.

    Example:
        >>> dagrad.addmm(dagrad.zeros(2), dagrad.ones(3, 4), dagrad.ones(4, 2)).tolist()
        [[4.0, 4.0], [4.0, 4.0], [4.0, 4.0]]
    """
    if mat1.ndim != 2 or mat2.ndim != 2:
        raise RuntimeError("mat1 must be a matrix, got " + str(mat1.ndim) + "-D tensor"
                           if mat1.ndim != 2 else
                           "mat2 must be a matrix, got " + str(mat2.ndim) + "-D tensor")
    if mat1.shape[1] != mat2.shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({mat1.shape[0]}x"
                           f"{mat1.shape[1]} and {mat2.shape[0]}x{mat2.shape[1]})")
    with QUIET:                 # PyTorch never warns on inf * 0 inside a product
        prod = mat1 @ mat2
        if alpha != 1:
            prod = prod * alpha
        if beta == 0:
            return np.broadcast_to(np.zeros((), prod.dtype), prod.shape) + prod
        return (self if beta == 1 else self * beta) + prod


def _scaled(g: Tensor, alpha: object) -> Tensor:
    return g if alpha == 1 else g * alpha


# --------------------------------------------------------------------------- softmax family


def _softmax_np(x: np.ndarray, axis: int | None) -> np.ndarray:
    x = _as_float(x)
    work = x.astype(np.float64) if x.dtype in (np.float32, np.float16) else x
    m = np.max(work, axis=axis, keepdims=True)
    with np.errstate(invalid="ignore", over="ignore"):
        e = np.exp(work - m)
        out = e / np.sum(e, axis=axis, keepdims=True)
    return out.astype(x.dtype, copy=False)


def _log_softmax_np(x: np.ndarray, axis: int | None) -> np.ndarray:
    x = _as_float(x)
    work = x.astype(np.float64) if x.dtype in (np.float32, np.float16) else x
    m = np.max(work, axis=axis, keepdims=True)
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        shifted = work - m
        out = shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))
    return out.astype(x.dtype, copy=False)


def _softmax_backward(grad: Tensor, result: Tensor, dim: int) -> Tensor:
    # d softmax: y * (g - sum(g * y))
    if result.dim() == 0:
        return grad * 0
    return result * (grad - (grad * result).sum(dim, keepdim=True))


def _log_softmax_backward(grad: Tensor, result: Tensor, dim: int) -> Tensor:
    # d log_softmax: g - exp(y) * sum(g)
    if result.dim() == 0:
        return grad * 0
    return grad - exp(result) * grad.sum(dim, keepdim=True)


@defop(node="SoftmaxBackward0", grads={"self": _softmax_backward})
def softmax(self, dim):
    """``exp(x) / exp(x).sum(dim)``, computed stably (max subtracted first).

    Example:
        >>> dagrad.softmax(dagrad.tensor([0., 0.]), 0)
        tensor([0.5000, 0.5000])
    """
    return _softmax_np(self, _dim1(dim, self.ndim))


@defop(node="LogSoftmaxBackward0", grads={"self": _log_softmax_backward})
def log_softmax(self, dim):
    """``log(softmax(x, dim))``, computed stably (no overflow at logits of 1e4)."""
    return _log_softmax_np(self, _dim1(dim, self.ndim))


def _logsumexp_backward(grad: Tensor, self: Tensor, result: Tensor, dim: tuple,
                        keepdim: bool) -> Tensor:
    shape = tuple(self.shape)
    g = _formulas.unsqueeze_to(grad, shape, dim, keepdim)
    r = _formulas.unsqueeze_to(result, shape, dim, keepdim)
    return g * exp(self - r)


@defop(node="LogsumexpBackward0", grads={"self": _logsumexp_backward})
def logsumexp(self, dim, keepdim=False):
    """``log(sum(exp(x), dim))``, computed stably. Same as ``torch.logsumexp``."""
    x = _as_float(self)
    axis = _formulas.normalize_dims(dim, x.ndim) if x.ndim else None
    m = np.max(x, axis=axis, keepdims=True) if x.size else np.zeros((1,) * x.ndim, x.dtype)
    m = np.where(np.isfinite(m), m, 0)
    with np.errstate(divide="ignore"):
        out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    if not keepdim and axis is not None:
        out = np.squeeze(out, axis=axis)
    return np.asarray(out, dtype=x.dtype)


# --------------------------------------------------------------------------- activations


@defop(node="LeakyReluBackward0", grads={
    "self": lambda grad, self, negative_slope: where(gt(self, 0), grad, grad * negative_slope)})
def leaky_relu(self, negative_slope=0.01):
    """``x`` where positive, else ``negative_slope * x``."""
    return np.where(self > 0, self, self * np.asarray(negative_slope, self.dtype))


def _elu_backward(grad, self, alpha, scale, input_scale):
    neg = exp(clamp(self, max=0) * input_scale) * (alpha * scale * input_scale)
    return where(gt(self, 0), grad * scale, grad * neg)


@defop(node="EluBackward0", promote="float", grads={"self": _elu_backward})
def elu(self, alpha=1.0, scale=1.0, input_scale=1.0):
    """``scale * x`` where positive, else ``scale * alpha * (exp(input_scale * x) - 1)``.

    ``F.elu`` and ``F.selu`` (alpha 1.6733, scale 1.0507) both record ``EluBackward0``.
    """
    dt = self.dtype
    neg = np.expm1(np.minimum(self, 0) * input_scale) * (alpha * scale)
    return np.where(self > 0, self * scale, neg).astype(dt, copy=False)


@defop(node="CeluBackward0", promote="float", grads={
    "self": lambda grad, self, alpha: _elu_backward(grad, self, alpha, 1.0, 1.0 / alpha)})
def celu(self, alpha=1.0):
    """``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``."""
    neg = np.expm1(np.minimum(self, 0) / alpha) * alpha
    return np.where(self > 0, self, neg).astype(self.dtype, copy=False)


# In-place variants save their output (PyTorch's ``...Backward1`` nodes): the input is gone.


def _leaky_relu_result_backward(grad, result, negative_slope):
    if negative_slope < 0:
        raise RuntimeError("In-place leakyReLu backward calculation is triggered with a negative "
                           "slope which is not supported. This is caused by calling in-place "
                           "forward function with a negative slope, please call out-of-place "
                           "version instead. File an issue at https://github.com/pytorch/pytorch "
                           "if you do require supporting in-place leakRelu backward calculation "
                           "with negative slope")
    return where(gt(result, 0), grad, grad * negative_slope)


@defop(node="LeakyReluBackward1", grads={"self": _leaky_relu_result_backward})
def _leaky_relu_result(self, negative_slope=0.01):
    return np.where(self > 0, self, self * np.asarray(negative_slope, self.dtype))


def _elu_result_backward(grad, result, alpha, scale, input_scale):
    return where(gt(result, 0), grad * scale, grad * ((result + alpha * scale) * input_scale))


@defop(node="EluBackward1", promote="float", grads={"self": _elu_result_backward})
def _elu_result(self, alpha=1.0, scale=1.0, input_scale=1.0):
    neg = np.expm1(np.minimum(self, 0) * input_scale) * (alpha * scale)
    return np.where(self > 0, self * scale, neg).astype(self.dtype, copy=False)


@defop(node="CeluBackward1", promote="float", grads={
    "self": lambda grad, result, alpha: _elu_result_backward(grad, result, alpha, 1.0,
                                                             1.0 / alpha)})
def _celu_result(self, alpha=1.0):
    neg = np.expm1(np.minimum(self, 0) / alpha) * alpha
    return np.where(self > 0, self, neg).astype(self.dtype, copy=False)


def _erf_np(x: np.ndarray) -> np.ndarray:
    # NumPy has no erf; math.erf is correctly rounded in double precision.
    out = _ERF_UFUNC(x.astype(np.float64, copy=False))
    return np.asarray(out, dtype=np.float64).astype(x.dtype, copy=False)


_ERF_UFUNC = np.frompyfunc(math.erf, 1, 1)


@defop(node="ErfBackward0", promote="float", grads={
    "self": lambda grad, self: grad * (exp(-(self * self)) * _TWO_OVER_SQRT_PI)})
def _erf(self):
    """The error function (private: the core will export ``dagrad.erf``)."""
    return _erf_np(self)


def _gelu_backward(grad, self, approximate):
    if approximate == "tanh":
        inner = (self + self * self * self * 0.044715) * _SQRT_2_OVER_PI
        th = tanh(inner)
        d_inner = (1 + self * self * (3 * 0.044715)) * _SQRT_2_OVER_PI
        return grad * (0.5 * (1 + th) + 0.5 * self * (1 - th * th) * d_inner)
    cdf = 0.5 * (1 + _erf(self * (1 / _SQRT_2)))
    pdf = exp(self * self * -0.5) * _INV_SQRT_2PI
    return grad * (cdf + self * pdf)


@defop(node="GeluBackward0", promote="float", grads={"self": _gelu_backward})
def gelu(self, approximate="none"):
    """``x * Phi(x)`` (Phi the standard normal CDF); ``approximate='tanh'`` uses
    ``0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))``."""
    if approximate == "tanh":
        inner = _SQRT_2_OVER_PI * (self + 0.044715 * self ** 3)
        return (0.5 * self * (1 + np.tanh(inner))).astype(self.dtype, copy=False)
    if approximate != "none":
        raise RuntimeError("approximate argument must be either none or tanh.")
    return (0.5 * self * (1 + _erf_np(self / _SQRT_2))).astype(self.dtype, copy=False)


_ONE_SIXTH_F32 = float(np.float32(1 / 6))


@defop(node="SiluBackward0", promote="float", grads={
    "self": lambda grad, self: _silu_backward(grad, self)})
def silu(self):
    """``x * sigmoid(x)`` (also called swish), computed as PyTorch's kernel does:
    ``x / (1 + exp(-x))``, the exp rounded once from float64 for float16/float32."""
    if self.dtype == np.float16:                # half precision computes in float32
        return _silu_np(self.astype(np.float32)).astype(np.float16)
    return _silu_np(self)


def _silu_np(x: np.ndarray) -> np.ndarray:
    with QUIET:
        e = _accurate(np.exp, np.negative(x))
        return (x / (1 + e)).astype(x.dtype, copy=False)


def _silu_backward(grad, self):
    # PyTorch's kernel: grad * s * (1 + x * (1 - s)), left to right
    s = sigmoid(self)
    return grad * s * (1 + self * (1 - s))


def _softplus_np(x: np.ndarray, beta: float = 1.0, threshold: float = 20.0) -> np.ndarray:
    # PyTorch's kernel: log1p(exp(beta * x)) / beta below the threshold, each function
    # rounded once (the stable log1p(exp(-|bx|)) + max(bx, 0) differed from it in 28% of
    # float32 values)
    bx = x * beta
    with QUIET:
        soft = _accurate(np.log1p, _accurate(np.exp, bx))
    return np.where(bx > threshold, x, soft / beta).astype(x.dtype, copy=False)


def _softplus_backward(grad, self, beta, threshold):
    # PyTorch's kernel: z = exp(beta * x); grad * z / (z + 1) below the threshold
    bx = self * beta
    z = exp(bx)
    return where(gt(bx, threshold), grad, grad * z / (z + 1))


@defop(node="SoftplusBackward0", promote="float", grads={"self": _softplus_backward})
def softplus(self, beta=1.0, threshold=20.0):
    """``log(1 + exp(beta * x)) / beta``, linear above ``threshold``."""
    return _softplus_np(self, beta, threshold)


def _mish_backward(grad, self):
    sp = softplus(self)
    tsp = tanh(sp)
    return grad * (tsp + self * sigmoid(self) * (1 - tsp * tsp))


@defop(node="MishBackward0", promote="float", grads={"self": _mish_backward})
def mish(self):
    """``x * tanh(softplus(x))``."""
    return (self * np.tanh(_softplus_np(self))).astype(self.dtype, copy=False)


@defop(node="HardtanhBackward0", grads={
    "self": lambda grad, self, min_val, max_val: where(
        gt(self, min_val).logical_and(lt(self, max_val)), grad, 0.0)})
def hardtanh(self, min_val=-1.0, max_val=1.0):
    """``clamp(x, min_val, max_val)``; the gradient is zero at and beyond the limits.
    ``F.relu6`` is ``hardtanh(x, 0, 6)``."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return np.clip(self, min_val, max_val).astype(self.dtype, copy=False)


@defop(node="LogSigmoidBackward0", promote="float", grads={
    "self": lambda grad, self: grad * sigmoid(-self)})
def logsigmoid(self):
    """``log(sigmoid(x))``, computed without overflow."""
    return (np.minimum(self, 0) - np.log1p(np.exp(-np.abs(self)))).astype(self.dtype, copy=False)


@defop(node="HardsigmoidBackward0", promote="float", grads={
    # PyTorch's kernel multiplies by 1/6 rounded to float32, whatever the dtype (dividing by 6
    # differs from it in a quarter of float32 values)
    "self": lambda grad, self: where(gt(self, -3.0).logical_and(lt(self, 3.0)),
                                     grad * _ONE_SIXTH_F32, 0.0)})
def hardsigmoid(self):
    """``relu6(x + 3) / 6``."""
    return (np.clip(self + 3, 0, 6) / 6).astype(self.dtype, copy=False)


@defop(node="HardswishBackward0", promote="float", grads={
    "self": lambda grad, self: where(lt(self, -3.0), 0.0, where(
        self.le(3.0), grad * (self / 3 + 0.5), grad))})
def hardswish(self):
    """``x * relu6(x + 3) / 6``."""
    return (self * np.clip(self + 3, 0, 6) / 6).astype(self.dtype, copy=False)


@defop(node="SoftshrinkBackward0", grads={
    "self": lambda grad, self, lambd: where(gt(abs(self), lambd), grad, 0.0)})
def softshrink(self, lambd=0.5):
    """``x - lambd`` above ``lambd``, ``x + lambd`` below ``-lambd``, else 0."""
    return np.where(self > lambd, self - lambd,
                    np.where(self < -lambd, self + lambd, 0)).astype(self.dtype, copy=False)


@defop(node="HardshrinkBackward0", grads={
    "self": lambda grad, self, lambd: where(gt(abs(self), lambd), grad, 0.0)})
def hardshrink(self, lambd=0.5):
    """``x`` where ``|x| > lambd``, else 0."""
    return np.where(np.abs(self) > lambd, self, 0).astype(self.dtype, copy=False)


# --------------------------------------------------------------------------- losses


def _reduce_np(loss: np.ndarray, reduction: str, count: object = None) -> np.ndarray:
    if reduction == "none":
        return loss
    # the sum in PyTorch's order (Note [PyTorch's summation order]); the mean divides it
    if reduction == "sum":
        return np.asarray(fsum(loss), dtype=loss.dtype)
    with np.errstate(invalid="ignore", divide="ignore"):
        n = loss.size if count is None else count
        return np.asarray(fsum(loss) / n, dtype=loss.dtype)


def _reduce_grad(g: Tensor, reduction: str, numel: int) -> Tensor:
    # `g` is already grad * d(pointwise loss); mean divides by the element count.
    return g / numel if reduction == "mean" else g


def _numel(*tensors: Tensor) -> int:
    shape = np.broadcast_shapes(*(tuple(x.shape) for x in tensors))
    return int(np.prod(shape, dtype=np.int64))


def _mse_grad(grad, self, target, reduction):
    # PyTorch's kernel: norm * (self - target) * grad, norm = 2 / numel for "mean" (a scalar
    # rounded once), else 2; dividing the product by numel differed in 18% of float32 values
    norm = 2.0 / _numel(self, target) if reduction == "mean" else 2.0
    return (self - target) * norm * grad


@defop(node="MseLossBackward0", promote="common", grads={
    "self": _mse_grad,
    "target": lambda grad, self, target, reduction: -_mse_grad(grad, self, target, reduction),
})
def mse_loss(self, target, reduction="mean"):
    """Mean squared error ``(input - target) ** 2``, then reduced."""
    d = self - target
    return _reduce_np(d * d, reduction)


def _smooth_l1_grad(grad, self, target, reduction, beta):
    d = self - target
    if beta == 0:
        local = d.sign()
    else:
        local = where(lt(d, -beta), -1.0, where(gt(d, beta), 1.0, d / beta))
    return _reduce_grad(grad * local, reduction, _numel(self, target))


@defop(node="SmoothL1LossBackward0", promote="common", grads={
    "self": _smooth_l1_grad,
    "target": lambda grad, self, target, reduction, beta: -_smooth_l1_grad(
        grad, self, target, reduction, beta),
})
def smooth_l1_loss(self, target, reduction="mean", beta=1.0):
    """``0.5 d**2 / beta`` where ``|d| < beta``, else ``|d| - 0.5 beta`` (d = input - target)."""
    z = np.abs(self - target)
    if beta == 0:
        return _reduce_np(z, reduction)
    return _reduce_np(np.where(z < beta, 0.5 * z * z / beta, z - 0.5 * beta).astype(z.dtype),
                      reduction)


def _huber_grad(grad, self, target, reduction, delta):
    d = self - target
    local = where(lt(d, -delta), -delta, where(gt(d, delta), delta, d))
    return _reduce_grad(grad * local, reduction, _numel(self, target))


@defop(node="HuberLossBackward0", promote="common", grads={
    "self": _huber_grad,
    "target": lambda grad, self, target, reduction, delta: -_huber_grad(
        grad, self, target, reduction, delta),
})
def huber_loss(self, target, reduction="mean", delta=1.0):
    """``0.5 d**2`` where ``|d| < delta``, else ``delta (|d| - 0.5 delta)``."""
    z = np.abs(self - target)
    return _reduce_np(np.where(z < delta, 0.5 * z * z, delta * (z - 0.5 * delta)).astype(z.dtype),
                      reduction)


_BCE_EPS = 1e-12


def _bce_grad(grad, self, target, weight, reduction):
    denom = clamp((1 - self) * self, min=_BCE_EPS)
    g = grad * (self - target) / denom
    if weight is not None:
        g = g * weight
    return _reduce_grad(g, reduction, _numel(self, target))


def _bce_target_grad(grad, self, target, weight, reduction):
    g = grad * (clamp(log(1 - self), min=-100) - clamp(log(self), min=-100))
    if weight is not None:
        g = g * weight
    return _reduce_grad(g, reduction, _numel(self, target))


@defop(node="BinaryCrossEntropyBackward0", tensors=("weight",), grads={
    "self": _bce_grad,
    "target": _bce_target_grad,
})
def binary_cross_entropy(self, target, weight=None, reduction="mean"):
    """``-w (t log(x) + (1 - t) log(1 - x))``, logs clamped at -100 as in PyTorch."""
    if np.any((self < 0) | (self > 1)):
        raise RuntimeError("all elements of input should be between 0 and 1")
    with np.errstate(divide="ignore"):
        log_x = np.maximum(np.log(self), -100)
        log_1mx = np.maximum(np.log1p(-self), -100)
    loss = -(target * log_x + (1 - target) * log_1mx)
    if weight is not None:
        loss = loss * weight
    return _reduce_np(loss.astype(self.dtype, copy=False), reduction)


def _bce_logits_grad(grad, self, target, weight, pos_weight, reduction):
    if pos_weight is not None:
        pt = pos_weight * target
        g = (pt + 1 - target) * sigmoid(self) - pt
    else:
        g = sigmoid(self) - target
    g = grad * g
    if weight is not None:
        g = g * weight
    return _reduce_grad(g, reduction, _numel(self, target))


def _bce_logits_target_grad(grad, self, target, weight, pos_weight, reduction):
    if pos_weight is not None:
        g = logsigmoid(-self) - logsigmoid(self) * pos_weight
    else:
        g = -self
    g = grad * g
    if weight is not None:
        g = g * weight
    return _reduce_grad(g, reduction, _numel(self, target))


@defop(node="BinaryCrossEntropyWithLogitsBackward0", tensors=("weight", "pos_weight"), grads={
    "self": _bce_logits_grad,
    "target": _bce_logits_target_grad,
})
def binary_cross_entropy_with_logits(self, target, weight=None, pos_weight=None,
                                     reduction="mean"):
    """``binary_cross_entropy(sigmoid(x), t)`` computed stably from the logits ``x``:
    ``(1 - t) x - (1 + (pos_weight - 1) t) logsigmoid(x)``."""
    log_sig = np.minimum(self, 0) - np.log1p(np.exp(-np.abs(self)))
    if pos_weight is not None:
        log_weight = (pos_weight - 1) * target + 1
        loss = (1 - target) * self - log_weight * log_sig
    else:
        loss = (1 - target) * self - log_sig
    if weight is not None:
        loss = loss * weight
    return _reduce_np(np.asarray(loss).astype(self.dtype, copy=False), reduction)


def _nll_pick(x: np.ndarray, target: np.ndarray, weight: np.ndarray | None,
              ignore_index: int) -> tuple:
    """(x with classes last, safe target, per-element weights with ignored entries 0)."""
    if target.dtype.kind not in "iu":
        name = _dtypes.from_numpy_dtype(target.dtype).name
        name = {"float32": "Float", "float64": "Double", "bool": "Bool"}.get(name, name)
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got {name}")
    if x.ndim == 1:
        x, target = x[None], target[None]
    if x.ndim > 2:
        x = np.moveaxis(x, 1, -1)
    if x.shape[0] != target.shape[0]:
        raise ValueError(f"Expected input batch_size ({x.shape[0]}) to match target batch_size "
                         f"({target.shape[0]}).")
    if x.shape[:-1] != target.shape:
        raise RuntimeError(f"size mismatch (got input: {list(x.shape)} , target: "
                           f"{list(target.shape)}")
    n_classes = x.shape[-1]
    valid = target != ignore_index
    bad = valid & ((target < 0) | (target >= n_classes))
    if bad.any():
        raise IndexError(f"Target {int(target[bad].flat[0])} is out of bounds.")
    safe = np.where(valid, target, 0)
    if weight is not None:
        w = weight.astype(x.dtype, copy=False)[safe] * valid
    else:
        w = valid.astype(x.dtype)
    return x, safe, w


def _nll_node(self, target, weight=None, reduction="mean", ignore_index=-100) -> str:
    # PyTorch runs 4-D input (N, C, H, W) through nll_loss2d
    return "NllLoss2DBackward0" if self.dim() == 4 else "NllLossBackward0"


@defop(node=_nll_node, tensors=("target", "weight"), grads={
    "self": lambda grad, self_shape, target, weight, reduction, ignore_index: _nll_loss_backward(
        grad, target, weight, reduction, ignore_index, self_shape),
})
def nll_loss(self, target, weight=None, reduction="mean", ignore_index=-100):
    """The negative log-likelihood ``-w[t] * input[n, t]`` of class-index targets.

    Shape:
        input (C), (N, C) or (N, C, d1, ...); target (), (N) or (N, d1, ...).
    """
    squeeze = self.ndim == 1
    x, safe, w = _nll_pick(self, target, weight, ignore_index)
    picked = np.take_along_axis(x, safe[..., None], axis=-1)[..., 0]
    loss = -picked * w
    if reduction == "none":
        return loss[0] if squeeze else loss
    if self.ndim <= 2 and x.dtype.kind == "f":
        # PyTorch's own cascade over the samples (ops/_cascade.py: nll_sum)
        keep = np.flatnonzero(target.reshape(-1) != ignore_index)
        total = nll_sum(loss[keep], keep)
        if reduction == "sum":
            return np.asarray(total, dtype=x.dtype)
        tw = x.dtype.type(keep.size) if weight is None else nll_sum(w[keep], keep)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.asarray(total / tw, dtype=x.dtype)
    if reduction == "sum":
        return np.asarray(loss.sum(), dtype=x.dtype)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(loss.sum() / w.sum(), dtype=x.dtype)


@defop(node="NllLossBackwardBackward0", tensors=("target", "weight"), grads={
    "grad_output": lambda grad, target, weight, reduction, ignore_index: nll_loss(
        grad, target, weight, reduction, ignore_index),
})
def _nll_loss_backward(grad_output, target, weight, reduction, ignore_index, self_shape):
    out = np.zeros(self_shape, dtype=grad_output.dtype)
    x, safe, w = _nll_pick(out, target, weight, ignore_index)     # x: a view of out
    g = grad_output
    if reduction == "none":
        g = g[None] if len(self_shape) == 1 else g
    elif reduction == "mean":
        tw = w.sum()
        if weight is not None and len(self_shape) <= 2 and w.dtype.kind == "f":
            # the total weight as the forward added it (ops/_cascade.py: nll_sum)
            keep = np.flatnonzero(np.asarray(target).reshape(-1) != ignore_index)
            tw = nll_sum(w.reshape(-1)[keep], keep)
        with np.errstate(invalid="ignore", divide="ignore"):
            g = g / tw
    vals = -w * g
    np.put_along_axis(x, safe[..., None], vals[..., None].astype(out.dtype), axis=-1)
    return out


@defop(node="DivBackward1", grads={"self": lambda grad, other: grad / other})
def _div_scalar(self, other):
    """``self / other`` for a Python number ``other`` (ATen's ``div.Scalar``, as C++ code calls
    it: ``DivBackward1``; Python's ``x / 2`` records ``DivBackward0``)."""
    return (self / other).astype(self.dtype, copy=False) if self.dtype.kind == "f" else \
        self / other


# --------------------------------------------------------------------------- normalisation


def _layer_norm_stats(input: Tensor, n_norm: int, eps: float) -> tuple:
    dims = tuple(range(input.dim() - n_norm, input.dim()))
    mean = input.mean(dims, keepdim=True)
    xc = input - mean
    var = (xc * xc).mean(dims, keepdim=True)
    rstd = (var + eps) ** -0.5
    return dims, xc * rstd, rstd


def _layer_norm_input_grad(grad, input, normalized_shape, weight, eps):
    dims, xhat, rstd = _layer_norm_stats(input, len(normalized_shape), eps)
    g = grad * weight if weight is not None else grad
    return rstd * (g - g.mean(dims, keepdim=True) - xhat * (g * xhat).mean(dims, keepdim=True))


def _layer_norm_weight_grad(grad, input, normalized_shape, eps):
    _, xhat, _ = _layer_norm_stats(input, len(normalized_shape), eps)
    return grad * xhat       # the engine sums over the batch dims (Note [Unbroadcast])


@defop(node="NativeLayerNormBackward0", tensors=("weight", "bias"), grads={
    "input": _layer_norm_input_grad,
    "weight": _layer_norm_weight_grad,
    "bias": lambda grad: grad,
})
def native_layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalise over the last ``len(normalized_shape)`` dims, then ``* weight + bias``."""
    shape = tuple(normalized_shape)
    if input.shape[input.ndim - len(shape):] != shape or input.ndim < len(shape):
        raise RuntimeError(f"Given normalized_shape={list(shape)}, expected input with shape "
                           f"[*, {', '.join(str(s) for s in shape)}], but got input of size"
                           f"{list(input.shape)}")
    axes = tuple(range(input.ndim - len(shape), input.ndim))
    x = _as_float(input)
    mean = x.mean(axis=axes, keepdims=True)
    xc = x - mean
    var = (xc * xc).mean(axis=axes, keepdims=True)
    out = xc / np.sqrt(var + eps)
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out.astype(x.dtype, copy=False)


# --------------------------------------------------------------------------- embedding


def _counts(indices: np.ndarray, num_weights: int) -> np.ndarray:
    return np.bincount(indices.reshape(-1), minlength=num_weights)


@defop(node="EmbeddingBackward0", tensors=("indices",), grads={
    "weight": lambda grad, weight_shape, indices, padding_idx, scale_grad_by_freq:
        _embedding_backward(grad, indices, weight_shape[0], padding_idx, scale_grad_by_freq),
})
def embedding(weight, indices, padding_idx=-1, scale_grad_by_freq=False):
    """Rows of ``weight`` picked by integer ``indices``: (*) -> (*, embedding_dim)."""
    if indices.dtype.kind not in "iu":
        name = _dtypes.from_numpy_dtype(indices.dtype).name
        name = {"float32": "Float", "float64": "Double"}.get(name, name)
        raise RuntimeError("Expected tensor for argument #1 'indices' to have one of the "
                           f"following scalar types: Long, Int; but got torch.{name}Tensor "
                           "instead (while checking arguments for embedding)")
    if indices.size and (indices.min() < 0 or indices.max() >= weight.shape[0]):
        raise IndexError("index out of range in self")
    return weight[indices]


@defop(node="EmbeddingDenseBackwardBackward0", tensors=("indices",), grads={
    "grad_output": lambda grad, indices, padding_idx, scale_grad_by_freq, num_weights:
        _embedding_double_backward(grad, indices, padding_idx, scale_grad_by_freq, num_weights),
})
def _embedding_backward(grad_output, indices, num_weights, padding_idx, scale_grad_by_freq):
    dim = grad_output.shape[-1]
    flat_idx = indices.reshape(-1)
    g = grad_output.reshape(-1, dim)
    if scale_grad_by_freq:
        g = g / _counts(indices, num_weights)[flat_idx][:, None]
    if padding_idx >= 0:
        g = g * (flat_idx != padding_idx)[:, None]
    out = np.zeros((num_weights, dim), dtype=grad_output.dtype)
    np.add.at(out, flat_idx, g)
    return out


def _embedding_double_backward(grad, indices, padding_idx, scale_grad_by_freq, num_weights):
    rows = embedding(grad, indices)
    arr = indices._data
    scale = np.ones(arr.shape, dtype=grad._data.dtype)
    if scale_grad_by_freq:
        scale = scale / _counts(arr, num_weights)[arr]
    if padding_idx >= 0:
        scale = scale * (arr != padding_idx)
    return rows * Tensor._make(scale[..., None])


# --------------------------------------------------------------------------- batch / group norm
# Note [Normalisation statistics in formulas]
# The derivative formulas of batch and group norm recompute the batch statistics from the saved
# input with dagrad ops (mean, pow), instead of saving NumPy means: the formulas stay
# differentiable, so double backward (and gradgradcheck) goes through them.


def _bn_axes(ndim: int) -> tuple:
    """The dims batch norm reduces over: all but the channel dim 1."""
    return (0,) + tuple(range(2, ndim))


def _chan_shape(ndim: int, c: int) -> tuple:
    """(1, C, 1, ...): a per-channel vector shaped to broadcast against (N, C, *)."""
    return (1, c) + (1,) * (ndim - 2)


def _bn_stats(input: Tensor, axes: tuple, eps: float) -> tuple:
    mean = input.mean(axes, keepdim=True)
    xc = input - mean
    rstd = ((xc * xc).mean(axes, keepdim=True) + eps) ** -0.5
    return xc * rstd, rstd


def _batch_norm_input_grad(grad, input, weight, running_var, training, eps):
    shape = _chan_shape(input.dim(), input.shape[1])
    g = grad * weight.reshape(shape) if weight is not None else grad
    if not training:
        return g * (running_var.reshape(shape) + eps) ** -0.5
    axes = _bn_axes(input.dim())
    xhat, rstd = _bn_stats(input, axes, eps)
    return rstd * (g - g.mean(axes, keepdim=True) - xhat * (g * xhat).mean(axes, keepdim=True))


def _batch_norm_weight_grad(grad, input, running_mean, running_var, training, eps):
    axes = _bn_axes(input.dim())
    if training:
        xhat, _ = _bn_stats(input, axes, eps)
    else:
        shape = _chan_shape(input.dim(), input.shape[1])
        xhat = (input - running_mean.reshape(shape)) * (running_var.reshape(shape) + eps) ** -0.5
    return (grad * xhat).sum(axes)


@defop(node="NativeBatchNormBackward0", tensors=("weight", "bias", "running_mean", "running_var"),
       grads={
           "input": _batch_norm_input_grad,
           "weight": _batch_norm_weight_grad,
           "bias": lambda grad: grad.sum(_bn_axes(grad.dim())),
       })
def native_batch_norm(input, weight, bias, running_mean, running_var, training, eps):
    """Normalise each channel of (N, C, *) by its batch statistics (``training``) or by the
    running ones, then ``* weight + bias``. The running statistics are not updated here:
    ``F.batch_norm`` does that (so this op stays a pure function of its inputs).

    Example:
        >>> from dagrad.ops.nn_ops import native_batch_norm
        >>> native_batch_norm(dagrad.tensor([[1.], [3.]]), None, None, None, None, True, 0.0)
        tensor([[-1.],
                [ 1.]])
    """
    x = _as_float(input)
    shape = _chan_shape(x.ndim, x.shape[1])
    if training:
        axes = _bn_axes(x.ndim)
        mean = x.mean(axis=axes, keepdims=True)
        xc = x - mean
        invstd = 1 / np.sqrt((xc * xc).mean(axis=axes, keepdims=True) + eps)
    else:
        xc = x - running_mean.reshape(shape)
        invstd = 1 / np.sqrt(running_var.reshape(shape) + eps)
    out = xc * invstd
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return out.astype(x.dtype, copy=False)


def _group_stats(input: Tensor, num_groups: int, eps: float) -> tuple:
    xg = input.reshape(input.shape[0], num_groups, -1)
    xhat, rstd = _bn_stats(xg, (2,), eps)
    return xhat, rstd


def _group_norm_input_grad(grad, input, weight, num_groups, eps):
    g = grad * weight.reshape(_chan_shape(input.dim(), input.shape[1])) \
        if weight is not None else grad
    xhat, rstd = _group_stats(input, num_groups, eps)
    gg = g.reshape(input.shape[0], num_groups, -1)
    dx = rstd * (gg - gg.mean(2, keepdim=True) - xhat * (gg * xhat).mean(2, keepdim=True))
    return dx.reshape(tuple(input.shape))


def _group_norm_weight_grad(grad, input, num_groups, eps):
    xhat, _ = _group_stats(input, num_groups, eps)
    return (grad * xhat.reshape(tuple(input.shape))).sum(_bn_axes(input.dim()))


@defop(node="NativeGroupNormBackward0", tensors=("weight", "bias"), grads={
    "input": _group_norm_input_grad,
    "weight": _group_norm_weight_grad,
    "bias": lambda grad: grad.sum(_bn_axes(grad.dim())),
})
def native_group_norm(input, weight, bias, num_groups, eps):
    """Split the C channels of (N, C, *) into ``num_groups`` groups, normalise each group of each
    sample over its channels and positions, then ``* weight + bias`` per channel."""
    x = _as_float(input)
    n = x.shape[0]
    xg = x.reshape(n, num_groups, -1)
    mean = xg.mean(axis=2, keepdims=True)
    xc = xg - mean
    out = (xc / np.sqrt((xc * xc).mean(axis=2, keepdims=True) + eps)).reshape(x.shape)
    shape = _chan_shape(x.ndim, x.shape[1])
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return out.astype(x.dtype, copy=False)


# --------------------------------------------------------------------------- prelu


@defop(node="PreluKernelBackward0", promote="common", grads={
    "self": lambda grad, self, weight: where(gt(self, 0), grad, grad * weight),
    "weight": lambda grad, self: where(gt(self, 0), 0.0, grad * self),
})
def _prelu_kernel(self, weight):
    """``x`` where positive, else ``weight * x``; ``weight`` already shaped to broadcast
    (``F.prelu`` reshapes a per-channel vector to (1, C, 1, ...)), summed back by the engine."""
    return np.where(self > 0, self, weight * self).astype(self.dtype, copy=False)


# --------------------------------------------------------------------------- softmax, attention


def _safe_softmax_np(x: np.ndarray, axis: int) -> np.ndarray:
    """Softmax that gives 0, not NaN, along rows that are entirely -inf (fully masked)."""
    with np.errstate(invalid="ignore"):
        out = _softmax_np(x, axis)
    dead = np.all(x == -np.inf, axis=axis, keepdims=True)
    return np.where(dead, 0, out).astype(out.dtype, copy=False) if dead.any() else out


@defop(node="SafeSoftmaxBackward0", grads={"self": _softmax_backward})
def _safe_softmax(self, dim):
    """``softmax(x, dim)``, except that a slice of all ``-inf`` gives zeros (a query that may
    attend to nothing), as PyTorch's attention uses."""
    return _safe_softmax_np(self, _dim1(dim, self.ndim))


def _sdpa_probs(query: Tensor, key: Tensor, attn_bias: Tensor | None, scale: float) -> Tensor:
    s = query.matmul(key.transpose(-2, -1)) * scale
    if attn_bias is not None:
        s = s + attn_bias
    return _safe_softmax(s, -1)


def _sdpa_score_grad(grad: Tensor, query: Tensor, key: Tensor, value: Tensor,
                     attn_bias: Tensor | None, scale: float) -> tuple:
    p = _sdpa_probs(query, key, attn_bias, scale)
    dp = grad.matmul(value.transpose(-2, -1))
    return p * (dp - (dp * p).sum(-1, keepdim=True)), p


@defop(node="ScaledDotProductFlashAttentionForCpuBackward0", tensors=("attn_bias",), grads={
    "query": lambda grad, query, key, value, attn_bias, scale: _sdpa_score_grad(
        grad, query, key, value, attn_bias, scale)[0].matmul(key) * scale,
    "key": lambda grad, query, key, value, attn_bias, scale: _sdpa_score_grad(
        grad, query, key, value, attn_bias, scale)[0].transpose(-2, -1).matmul(query) * scale,
    "value": lambda grad, query, key, attn_bias, scale: _sdpa_probs(
        query, key, attn_bias, scale).transpose(-2, -1).matmul(grad),
})
def _scaled_dot_product_flash_attention_for_cpu(query, key, value, attn_bias, scale):
    """``softmax(q k^T * scale + attn_bias) v`` over (B, H, L, E) inputs: the fused kernel
    PyTorch picks on the CPU (no dropout, equal head dims). Fully masked rows give zeros.
    ``attn_bias`` is an additive float mask broadcasting to (B, H, L, S), or None."""
    s = np.matmul(query, np.swapaxes(key, -2, -1)) * scale
    if attn_bias is not None:
        s = s + attn_bias
    return np.matmul(_safe_softmax_np(s, -1), value).astype(query.dtype, copy=False)


@defop(node="TransposeBackward1", view=True, grads={
    "self": lambda grad, dim0, dim1: grad.transpose(dim0, dim1)})
def _transpose_inplace_node(self, dim0, dim1):
    """``self.transpose(dim0, dim1)`` recording ``TransposeBackward1``: the node of PyTorch's
    in-place ``transpose_``, which its RNN and GRU apply to a fresh ``batch_first`` output."""
    return np.swapaxes(self, dim0, dim1)


# --------------------------------------------------------------------------- upsampling
# Note [Separable resampling]
# Nearest and (bi/tri)linear resampling act on each spatial dim independently, so one op covers
# them all: `maps` holds, per spatial dim, an index vector (nearest: output i reads input
# maps[d][i]) or an (out, in) weight matrix (linear). The backward is the adjoint (scatter-add,
# or the transposed matrix), declared as an op whose own derivative is the forward again.

_UPSAMPLE_NODES = {
    ("nearest", 1): "UpsampleNearest1D", ("nearest", 2): "UpsampleNearest2D",
    ("nearest", 3): "UpsampleNearest3D", ("nearest-exact", 1): "UpsampleNearestExact1D",
    ("nearest-exact", 2): "UpsampleNearestExact2D", ("nearest-exact", 3): "UpsampleNearestExact3D",
    ("linear", 1): "UpsampleLinear1D", ("bilinear", 2): "UpsampleBilinear2D",
    ("trilinear", 3): "UpsampleTrilinear3D",
}


def _along(x: np.ndarray, axis: int, m: np.ndarray, nearest: bool) -> np.ndarray:
    if nearest:
        return np.take(x, m, axis=axis)
    return np.moveaxis(np.matmul(m.astype(x.dtype, copy=False), np.moveaxis(x, axis, -2)),
                       -2, axis)


def _along_adjoint(g: np.ndarray, axis: int, m: np.ndarray, nearest: bool,
                   in_size: int) -> np.ndarray:
    if nearest:
        out = np.zeros(g.shape[:axis] + (in_size,) + g.shape[axis + 1:], g.dtype)
        np.add.at(out, (slice(None),) * axis + (m,), g)
        return out
    return np.moveaxis(np.matmul(m.T.astype(g.dtype, copy=False), np.moveaxis(g, axis, -2)),
                       -2, axis)


@defop(node=lambda self, mode, maps: _UPSAMPLE_NODES[(mode, len(maps))] + "Backward0", grads={
    "self": lambda grad, self_shape, mode, maps: _upsample_backward(grad, mode, maps,
                                                                    self_shape)})
def _upsample(self, mode, maps):
    """Resample the spatial dims of (N, C, *spatial) through ``maps`` (Note [Separable
    resampling])."""
    nearest = mode.startswith("nearest")
    out = self
    for d, m in enumerate(maps):
        out = _along(out, 2 + d, m, nearest)
    return np.ascontiguousarray(out)


@defop(node=lambda grad_output, mode, maps, input_size:
       _UPSAMPLE_NODES[(mode, len(maps))] + "BackwardBackward0", grads={
           "grad_output": lambda grad, mode, maps: _upsample(grad, mode, maps)})
def _upsample_backward(grad_output, mode, maps, input_size):
    nearest = mode.startswith("nearest")
    out = grad_output
    for d, m in enumerate(maps):
        out = _along_adjoint(out, 2 + d, m, nearest, input_size[2 + d])
    return out


# --------------------------------------------------------------------------- im2col / col2im


def _blocks(size: tuple, kernel: tuple, dilation: tuple, padding: tuple, stride: tuple) -> tuple:
    return tuple((size[i] + 2 * padding[i] - dilation[i] * (kernel[i] - 1) - 1) // stride[i] + 1
                 for i in range(2))


@defop(node="Im2ColBackward0", grads={
    "self": lambda grad, self_shape, kernel_size, dilation, padding, stride: _col2im(
        grad, tuple(self_shape[-2:]), kernel_size, dilation, padding, stride)})
def _im2col(self, kernel_size, dilation, padding, stride):
    """(N, C, H, W) -> (N, C*kh*kw, L): every sliding block as a column (``F.unfold``); an
    unbatched (C, H, W) input gives (C*kh*kw, L)."""
    if self.ndim == 3:
        return _im2col.kernel(self[None], kernel_size, dilation, padding, stride)[0]
    n, c, h, w = self.shape
    (kh, kw), (dh, dw), (ph, pw), (sh, sw) = kernel_size, dilation, padding, stride
    oh, ow = _blocks((h, w), kernel_size, dilation, padding, stride)
    xp = np.pad(self, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    cols = np.empty((n, c, kh, kw, oh, ow), self.dtype)
    for i in range(kh):
        for j in range(kw):
            cols[:, :, i, j] = xp[:, :, i * dh:i * dh + sh * (oh - 1) + 1:sh,
                                  j * dw:j * dw + sw * (ow - 1) + 1:sw]
    return cols.reshape(n, c * kh * kw, oh * ow)


@defop(node="Col2ImBackward0", grads={
    "self": lambda grad, kernel_size, dilation, padding, stride: _im2col(
        grad, kernel_size, dilation, padding, stride)})
def _col2im(self, output_size, kernel_size, dilation, padding, stride):
    """(N, C*kh*kw, L) -> (N, C, H, W): sum overlapping blocks back (``F.fold``); an
    unbatched (C*kh*kw, L) input gives (C, H, W)."""
    if self.ndim == 2:
        return _col2im.kernel(self[None], output_size, kernel_size, dilation, padding, stride)[0]
    n, ckk, _ = self.shape
    (kh, kw), (dh, dw), (ph, pw), (sh, sw) = kernel_size, dilation, padding, stride
    h, w = output_size
    oh, ow = _blocks((h, w), kernel_size, dilation, padding, stride)
    c = ckk // (kh * kw)
    cols = self.reshape(n, c, kh, kw, oh, ow)
    out = np.zeros((n, c, h + 2 * ph, w + 2 * pw), self.dtype)
    for i in range(kh):
        for j in range(kw):
            out[:, :, i * dh:i * dh + sh * (oh - 1) + 1:sh,
                j * dw:j * dw + sw * (ow - 1) + 1:sw] += cols[:, :, i, j]
    return np.ascontiguousarray(out[:, :, ph:ph + h, pw:pw + w])


@defop(node="ClampMinBackward0", promote="common", grads={
    "self": lambda grad, self, min: where(self.ge(min), grad, 0.0)})
def _clamp_min(self, min):
    """``max(self, min)`` for a number ``min``: ATen's ``clamp_min``, which the margin losses
    call (``ClampMinBackward0``; ``clamp(min=...)`` records ``ClampBackward1``)."""
    return np.maximum(self, np.asarray(min, self.dtype)).astype(self.dtype, copy=False)
