"""``dagrad.nn.functional`` (``F``): the stateless functions behind the layers, as PyTorch's.

Each function checks its arguments as ``torch.nn.functional`` does, then calls an op of
``dagrad/ops/nn_ops.py`` (which records PyTorch's node) or composes existing ops the way
PyTorch's C++ does (``cross_entropy`` = ``log_softmax`` + ``nll_loss``), so graphs, gradients
and messages match.

Example:
    >>> import dagrad.nn.functional as F
    >>> F.relu(dagrad.tensor([-1., 2.]))
    tensor([0., 2.])
"""
from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from dagrad._tensor import Tensor
from dagrad.autograd.grad_mode import STATE
from dagrad.nn._functional_conv import (  # noqa: F401  (convolution, pooling, padding)
    adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_max_pool2d, avg_pool1d, avg_pool2d,
    conv1d, conv2d, conv3d, conv_transpose1d, conv_transpose2d, max_pool1d, max_pool2d,
    max_pool3d, pad)
from dagrad.nn._functional_attention import (  # noqa: F401  (attention)
    _canonical_mask, _none_or_dtype, multi_head_attention_forward, scaled_dot_product_attention)
from dagrad.nn._functional_norm import (  # noqa: F401  (batch, instance, group norm)
    _verify_batch_size, _verify_spatial_size, batch_norm, group_norm, instance_norm)
from dagrad.nn._functional_sampling import (  # noqa: F401  (resampling, sliding blocks)
    fold, interpolate, unfold, upsample, upsample_bilinear, upsample_nearest)
from dagrad.ops import inplace as _inplace
from dagrad.ops import nn_ops
from dagrad.ops.nn_ops import (  # noqa: F401  (re-exported: F.logsigmoid, F.hardshrink...)
    hardshrink, logsigmoid, softshrink)
from dagrad.ops.pointwise import exp, log, mul, where
from dagrad.ops.pointwise import sigmoid, tanh  # noqa: F401  (F.sigmoid, F.tanh)
from dagrad.ops.reduction import linalg_vector_norm

__all__ = [
    "linear", "bilinear", "relu", "relu_", "relu6", "leaky_relu", "leaky_relu_", "elu", "elu_",
    "selu", "selu_", "celu", "celu_", "gelu", "silu", "mish", "softplus", "tanh", "sigmoid",
    "hardtanh", "hardtanh_", "logsigmoid", "hardsigmoid", "hardswish", "softsign", "tanhshrink",
    "softshrink", "hardshrink", "softmax", "log_softmax", "softmin", "dropout", "one_hot",
    "normalize", "cosine_similarity", "pairwise_distance", "layer_norm", "embedding",
    "l1_loss", "mse_loss", "smooth_l1_loss", "huber_loss", "cross_entropy", "nll_loss",
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div",
    "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "max_pool1d",
    "max_pool2d", "max_pool3d", "avg_pool1d", "avg_pool2d", "adaptive_avg_pool1d",
    "adaptive_avg_pool2d", "adaptive_max_pool2d", "pad", "dropout1d", "dropout2d", "dropout3d",
    "alpha_dropout", "feature_alpha_dropout", "batch_norm", "instance_norm", "group_norm",
    "prelu", "scaled_dot_product_attention", "multi_head_attention_forward", "interpolate",
    "upsample", "upsample_nearest", "upsample_bilinear", "unfold", "fold",
    "cosine_embedding_loss", "margin_ranking_loss", "triplet_margin_loss",
]

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _inplace_via_clone(input: Tensor, op: Any, *args: Any) -> Tensor:
    """``op`` in place, saving a clone of the input for backward (as PyTorch's codegen does)."""
    _inplace.check_inplace(input)
    src = input.clone() if (input._rg and STATE.grad) else input
    _inplace.commit(input, op(src, *args))
    return input


# --------------------------------------------------------------------------- linear


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``input @ weight.T + bias``. Records ``AddmmBackward0`` for 2-D input with a bias.

    Shape:
        input (*, in_features), weight (out_features, in_features), bias (out_features)
        -> (*, out_features)
    """
    if bias is None:
        return input.matmul(weight.t())
    if input.dim() == 2:
        return nn_ops.addmm(bias, input, weight.t())
    if input.dim() == 0:
        raise RuntimeError("both arguments to linear need to be at least 1D, but they are 0D "
                           f"and {weight.dim()}D")
    lead = tuple(input.shape[:-1])
    out = nn_ops.addmm(bias, input.reshape(-1, input.shape[-1]), weight.t())
    return out.view(*lead, out.shape[-1])


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor,
             bias: Tensor | None = None) -> Tensor:
    """``y[n, o] = sum_ij x1[n, i] W[o, i, j] x2[n, j] + b[o]``.

    Shape:
        input1 (*, in1), input2 (*, in2), weight (out, in1, in2), bias (out) -> (*, out)
    """
    if input1.dim() != input2.dim():
        raise RuntimeError(f"bilinear(): input dimensions do not match: got {input1.dim()} and "
                           f"{input2.dim()}")
    if input1.shape[:-1] != input2.shape[:-1]:
        raise RuntimeError("bilinear(): input batch dimensions do not match: got "
                           f"{list(input1.shape[:-1])} and {list(input2.shape[:-1])}")
    if input1.shape[-1] != weight.shape[1]:
        raise RuntimeError(f"bilinear(): input1 size does not match weight size: got "
                           f"{input1.shape[-1]} but expected {weight.shape[1]}")
    if input2.shape[-1] != weight.shape[2]:
        raise RuntimeError(f"bilinear(): input2 size does not match weight size: got "
                           f"{input2.shape[-1]} but expected {weight.shape[2]}")
    lead = tuple(input1.shape[:-1])
    x1 = input1.reshape(-1, input1.shape[-1])
    x2 = input2.reshape(-1, input2.shape[-1])
    # (n, 1, 1, i) @ (o, i, j) -> (n, o, 1, j); times x2 (n, 1, j), summed over j -> (n, o)
    u = x1.unsqueeze(1).unsqueeze(1).matmul(weight).squeeze(2)
    out = (u * x2.unsqueeze(1)).sum(-1)
    if input1.dim() != 2:
        out = out.reshape(*lead, weight.shape[0])
    return out if bias is None else out + bias


# --------------------------------------------------------------------------- activations


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """``max(x, 0)``."""
    return input.relu_() if inplace else input.relu()


def relu_(input: Tensor) -> Tensor:
    return input.relu_()


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """``min(max(x, 0), 6)`` (records ``HardtanhBackward0``, as PyTorch)."""
    return hardtanh(input, 0.0, 6.0, inplace)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """``x`` if positive else ``negative_slope * x``."""
    if inplace:
        return _inplace.apply(input, nn_ops._leaky_relu_result, negative_slope)
    return nn_ops.leaky_relu(input, negative_slope)


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    return leaky_relu(input, negative_slope, True)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """``x`` if positive else ``alpha * (exp(x) - 1)``."""
    if inplace:
        return _inplace.apply(input, nn_ops._elu_result, alpha, 1.0, 1.0)
    return nn_ops.elu(input, alpha)


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    return elu(input, alpha, True)


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """``scale * elu(x, alpha)`` with PyTorch's constants (records ``EluBackward0``)."""
    if inplace:
        return _inplace.apply(input, nn_ops._elu_result, _SELU_ALPHA, _SELU_SCALE, 1.0)
    return nn_ops.elu(input, _SELU_ALPHA, _SELU_SCALE)


def selu_(input: Tensor) -> Tensor:
    return selu(input, True)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``."""
    if inplace:
        return _inplace.apply(input, nn_ops._celu_result, alpha)
    return nn_ops.celu(input, alpha)


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    return celu(input, alpha, True)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """``x * Phi(x)``; ``approximate='tanh'`` for the tanh approximation."""
    return nn_ops.gelu(input, approximate)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """``x * sigmoid(x)``."""
    return _inplace_via_clone(input, nn_ops.silu) if inplace else nn_ops.silu(input)


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """``x * tanh(softplus(x))``."""
    return _inplace_via_clone(input, nn_ops.mish) if inplace else nn_ops.mish(input)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """``log(1 + exp(beta x)) / beta``; ``x`` itself where ``beta x > threshold``."""
    return nn_ops.softplus(input, beta, threshold)


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0,
             inplace: bool = False) -> Tensor:
    """``clamp(x, min_val, max_val)``."""
    if inplace:
        return _inplace_via_clone(input, nn_ops.hardtanh, min_val, max_val)
    return nn_ops.hardtanh(input, min_val, max_val)


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    return hardtanh(input, min_val, max_val, True)


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """``relu6(x + 3) / 6``."""
    return _inplace_via_clone(input, nn_ops.hardsigmoid) if inplace else \
        nn_ops.hardsigmoid(input)


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """``x * relu6(x + 3) / 6``."""
    return _inplace_via_clone(input, nn_ops.hardswish) if inplace else nn_ops.hardswish(input)


def softsign(input: Tensor) -> Tensor:
    """``x / (1 + |x|)``."""
    return input / (input.abs() + 1)


def tanhshrink(input: Tensor) -> Tensor:
    """``x - tanh(x)``."""
    return input - input.tanh()


def _softmax_dim(name: str, ndim: int, stacklevel: int) -> int:
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to "
                  "include dim=X as an argument.", stacklevel=stacklevel)
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
            dtype: Any = None) -> Tensor:
    """``exp(x) / exp(x).sum(dim)``, numerically stable.

    Example:
        >>> F.softmax(dagrad.tensor([1., 1.]), dim=0)
        tensor([0.5000, 0.5000])
    """
    if dim is None:
        dim = _softmax_dim("softmax", input.dim(), _stacklevel)
    if dtype is not None:
        input = input.to(dtype)
    return nn_ops.softmax(input, dim)


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
                dtype: Any = None) -> Tensor:
    """``log(softmax(x, dim))``, numerically stable."""
    if dim is None:
        dim = _softmax_dim("log_softmax", input.dim(), _stacklevel)
    if dtype is not None:
        input = input.to(dtype)
    return nn_ops.log_softmax(input, dim)


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
            dtype: Any = None) -> Tensor:
    """``softmax(-x, dim)``."""
    if dim is None:
        dim = _softmax_dim("softmin", input.dim(), _stacklevel)
    if dtype is not None:
        input = input.to(dtype)
    return nn_ops.softmax(-input, dim)


# --------------------------------------------------------------------------- dropout


def _check_p(p: float) -> None:
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


_SELU_ALPHA_PRIME = 1.7580993408473766       # scale * alpha of SELU: its saturation is -1.7581


def _feature_shape(input: Tensor) -> tuple:
    """(N, C, 1, ...): one mask value per sample and channel."""
    if input.dim() < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    return tuple(input.shape[:2]) + (1,) * (input.dim() - 2)


def _dropout_impl(input: Tensor, p: float, train: bool, inplace: bool, feature: bool = False,
                  alpha: bool = False, noise_shape: tuple | None = None) -> Tensor:
    """ATen's ``_dropout_impl``: plain, feature (whole channels) and alpha dropout.

    The identity (the input itself) when ``p == 0``, not training, or empty; a product with a
    random mask otherwise (``MulBackward0``; alpha dropout then adds an offset,
    ``AddBackward0``). Feature dropout draws one mask value per (sample, channel).
    """
    _check_p(p)
    if p == 0 or not train or input.numel() == 0:
        return input
    dt = input._data.dtype
    if p == 1:
        zero = Tensor._make(np.zeros((), dt))
        return input.mul_(zero) if inplace else mul(input, zero)
    if noise_shape is None:
        noise_shape = _feature_shape(input) if feature else tuple(input.shape)
    from dagrad import _random
    keep = (_random.uniform(noise_shape) < (1 - p)).astype(dt)
    offset = None
    if alpha:
        a = 1.0 / math.sqrt((_SELU_ALPHA_PRIME ** 2 * p + 1) * (1 - p))
        offset = Tensor._make(((keep - 1) * dt.type(_SELU_ALPHA_PRIME * a)
                               + dt.type(_SELU_ALPHA_PRIME * a * p)).astype(dt))
        noise = keep * dt.type(a)
    else:
        noise = keep / dt.type(1 - p)
    noise = Tensor._make(noise.astype(dt, copy=False))
    out = input.mul_(noise) if inplace else mul(input, noise)
    return out if offset is None else out.add_(offset)


def dropout(input: Tensor, p: float = 0.5, training: bool = True,
            inplace: bool = False) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by ``1 / (1 - p)``.

    The identity (the input itself) when ``training`` is False or ``p == 0``. Records
    ``MulBackward0`` (input times the mask).
    """
    return _dropout_impl(input, p, training, inplace)


def _feature_dropout_unbatched(input: Tensor, p: float, training: bool, inplace: bool,
                               batched_dim: int) -> Tensor:
    """dropout1d / dropout3d: an unbatched (C, *) input is treated as a batch of one."""
    if input.dim() == batched_dim:
        return _dropout_impl(input, p, training, inplace, feature=True)
    if inplace:
        shape = (input.shape[0],) + (1,) * (input.dim() - 1)
        return _dropout_impl(input, p, training, True, noise_shape=shape)
    return _dropout_impl(input.unsqueeze(0), p, training, False, feature=True).squeeze(0)


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zero whole channels: each (sample, channel) of (N, C, L) or (C, L) with probability
    ``p``; the rest scaled by ``1 / (1 - p)``."""
    _check_p(p)
    if input.dim() not in (2, 3):
        raise RuntimeError(f"dropout1d: Expected 2D or 3D input, but received a {input.dim()}D "
                           "input. Note that dropout1d exists to provide channel-wise dropout on "
                           "inputs with 1 spatial dimension, a channel dimension, and an "
                           "optional batch dimension (i.e. 2D or 3D inputs).")
    return _feature_dropout_unbatched(input, p, training, inplace, 3)


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, H, W) with probability ``p`` (a 3-D input is read as
    (N, C, L), with PyTorch's warning)."""
    _check_p(p)
    inp_dim = input.dim()
    if inp_dim not in (3, 4):
        warnings.warn(f"dropout2d: Received a {inp_dim}-D input to dropout2d, which is "
                      "deprecated and will result in an error in a future release. To retain "
                      "the behavior and silence this warning, please use dropout instead. Note "
                      "that dropout2d exists to provide channel-wise dropout on inputs with 2 "
                      "spatial dimensions, a channel dimension, and an optional batch dimension "
                      "(i.e. 3D or 4D inputs).", stacklevel=2)
    if inp_dim == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that "
                      "channel-wise 1D dropout behavior is desired - input is interpreted as "
                      "shape (N, C, L), where C is the channel dim. This behavior will change in "
                      "a future release to interpret the input as one without a batch "
                      "dimension, i.e. shape (C, H, W). To maintain the 1D channel-wise dropout "
                      "behavior, please switch to using dropout1d instead.", stacklevel=2)
    return _dropout_impl(input, p, training, inplace, feature=True)


def dropout3d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, D, H, W) or (C, D, H, W) with probability ``p``."""
    _check_p(p)
    inp_dim = input.dim()
    if inp_dim not in (4, 5):
        warnings.warn(f"dropout3d: Received a {inp_dim}-D input to dropout3d, which is "
                      "deprecated and will result in an error in a future release. To retain "
                      "the behavior and silence this warning, please use dropout instead. Note "
                      "that dropout3d exists to provide channel-wise dropout on inputs with 3 "
                      "spatial dimensions, a channel dimension, and an optional batch dimension "
                      "(i.e. 4D or 5D inputs).", stacklevel=2)
    return _feature_dropout_unbatched(input, p, training, inplace, 5)


def alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False,
                  inplace: bool = False) -> Tensor:
    """Dropout for SELU networks: dropped elements go to SELU's negative saturation value and an
    affine map keeps mean 0 and variance 1. Note the default ``training=False``, as PyTorch."""
    return _dropout_impl(input, p, training, inplace, alpha=True)


def feature_alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False,
                          inplace: bool = False) -> Tensor:
    """Alpha dropout of whole channels (one mask value per sample and channel)."""
    return _dropout_impl(input, p, training, inplace, feature=True, alpha=True)


# --------------------------------------------------------------------------- misc


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """Integer class indices (*) -> int64 one-hot rows (*, num_classes).

    Example:
        >>> F.one_hot(dagrad.tensor([0, 2]), 3)
        tensor([[1, 0, 0],
                [0, 0, 1]])
    """
    a = tensor._data
    if a.dtype != np.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if a.size and a.min() < 0:
        raise RuntimeError("Class values must be non-negative.")
    if num_classes == -1:
        if a.size == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(a.max()) + 1
    elif a.size and a.max() >= num_classes:
        raise RuntimeError("Class values must be smaller than num_classes.")
    out = (a[..., None] == np.arange(num_classes)).astype(np.int64)
    return Tensor._make(out)


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12,
              out: Tensor | None = None) -> Tensor:
    """``x / max(||x||_p, eps)`` along ``dim``."""
    denom = linalg_vector_norm(input, p, (dim,), True).clamp(min=eps).expand_as(input)
    res = input / denom
    if out is not None:
        out.copy_(res)
        return out
    return res


def _norm_clamped_min(x: Tensor, dim: int, eps: float) -> Tensor:
    # PyTorch clamps the norms in place under no_grad: the value is clamped, the gradient
    # flows as if it were not. Adding the (constant) difference does the same.
    n = linalg_vector_norm(x, 2, (dim,), True)
    d = n.detach()
    return n + (d.clamp(min=eps) - d)


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """``sum(x1 * x2) / (max(||x1||, eps) * max(||x2||, eps))`` along ``dim``, broadcasting."""
    shape = np.broadcast_shapes(tuple(x1.shape), tuple(x2.shape))
    a, b = x1.expand(*shape), x2.expand(*shape)
    return ((a / _norm_clamped_min(a, dim, eps)) * (b / _norm_clamped_min(b, dim, eps))).sum(dim)


def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6,
                      keepdim: bool = False) -> Tensor:
    """``||x1 - x2 + eps||_p`` over the last dim."""
    last = max(x1.dim(), x2.dim()) - 1
    return linalg_vector_norm(x1 - x2 + eps, p, (last,), keepdim)


def layer_norm(input: Tensor, normalized_shape: Any, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalise over the trailing ``normalized_shape`` dims (``NativeLayerNormBackward0``)."""
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    return nn_ops.native_layer_norm(input, tuple(normalized_shape), weight, bias, eps)


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None,
              max_norm: float | None = None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Rows of ``weight`` at the integer ``input`` indices: (*) -> (*, embedding_dim).

    The row ``padding_idx`` gets no gradient; ``max_norm`` renormalises the looked-up rows of
    ``weight`` in place first.
    """
    if padding_idx is not None:
        if padding_idx > 0:
            if padding_idx >= weight.size(0):
                raise AssertionError("Padding_idx must be within num_embeddings")
        elif padding_idx < 0:
            if padding_idx < -weight.size(0):
                raise AssertionError("Padding_idx must be within num_embeddings")
            padding_idx = weight.size(0) + padding_idx
    else:
        padding_idx = -1
    if sparse:
        raise NotImplementedError("dagrad has no sparse tensors: use sparse=False")
    if max_norm is not None:
        _embedding_renorm_(weight, input, max_norm, norm_type)
    return nn_ops.embedding(weight, input, padding_idx, scale_grad_by_freq)


def _embedding_renorm_(weight: Tensor, input: Tensor, max_norm: float, norm_type: float) -> None:
    w = weight._data
    rows = np.unique(input._data.reshape(-1))
    norms = np.linalg.norm(w[rows], ord=norm_type, axis=1)
    scale = np.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0)
    w[rows] = w[rows] * scale[:, None].astype(w.dtype)
    weight._bump()


# --------------------------------------------------------------------------- losses


def _reduction(reduction: str) -> str:
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def _legacy_reduction(size_average: Any, reduce: Any, emit_warning: bool = True) -> str:
    warning = "size_average and reduce args will be deprecated, please use reduction='{}' instead."
    if size_average is None:
        size_average = True
    if reduce is None:
        reduce = True
    if size_average and reduce:
        ret = "mean"
    elif reduce:
        ret = "sum"
    else:
        ret = "none"
    if emit_warning:
        warnings.warn(warning.format(ret), stacklevel=3)
    return ret


def _pick_reduction(size_average: Any, reduce: Any, reduction: str) -> str:
    if size_average is not None or reduce is not None:
        return _legacy_reduction(size_average, reduce)
    return _reduction(reduction)


def _warn_size(input: Tensor, target: Tensor) -> None:
    if target.shape != input.shape:
        warnings.warn(f"Using a target size ({target.shape}) that is different to the input size "
                      f"({input.shape}). This will likely lead to incorrect results due to "
                      "broadcasting. Please ensure they have the same size.", stacklevel=3)


def l1_loss(input: Tensor, target: Tensor, size_average: Any = None, reduce: Any = None,
            reduction: str = "mean", weight: Tensor | None = None) -> Tensor:
    """Mean absolute error ``|input - target|``, reduced."""
    _warn_size(input, target)
    reduction = _pick_reduction(size_average, reduce, reduction)
    loss = (input - target).abs()
    if weight is not None:
        if weight.shape != input.shape:
            raise ValueError("Weights and input must have the same size.")
        loss = loss * weight
    return _apply_reduction(loss, reduction)


def _apply_reduction(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def mse_loss(input: Tensor, target: Tensor, size_average: Any = None, reduce: Any = None,
             reduction: str = "mean", weight: Tensor | None = None) -> Tensor:
    """Mean squared error ``(input - target) ** 2``, reduced (``MseLossBackward0``)."""
    _warn_size(input, target)
    reduction = _pick_reduction(size_average, reduce, reduction)
    if weight is not None:
        if weight.shape != input.shape:
            raise ValueError("Weights and input must have the same size.")
        return _apply_reduction(nn_ops.mse_loss(input, target, "none") * weight, reduction)
    return nn_ops.mse_loss(input, target, reduction)


def smooth_l1_loss(input: Tensor, target: Tensor, size_average: Any = None, reduce: Any = None,
                   reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """Squared error below ``beta``, absolute error above (``SmoothL1LossBackward0``)."""
    _warn_size(input, target)
    reduction = _pick_reduction(size_average, reduce, reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    if beta == 0.0:
        return l1_loss(input, target, reduction=reduction)
    return nn_ops.smooth_l1_loss(input, target, reduction, beta)


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0,
               weight: Tensor | None = None) -> Tensor:
    """``0.5 d**2`` below ``delta``, ``delta (|d| - 0.5 delta)`` above (``HuberLossBackward0``)."""
    _warn_size(input, target)
    reduction = _reduction(reduction)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    if weight is not None:
        if weight.shape != input.shape:
            raise ValueError("Weights and input must have the same size.")
        return _apply_reduction(nn_ops.huber_loss(input, target, "none", delta) * weight,
                                reduction)
    return nn_ops.huber_loss(input, target, reduction, delta)


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None,
             size_average: Any = None, ignore_index: int = -100, reduce: Any = None,
             reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of class indices, given log-probabilities (``NllLossBackward0``).

    Shape:
        input (C), (N, C) or (N, C, d1, ...); target (), (N) or (N, d1, ...) of class indices.
    """
    reduction = _pick_reduction(size_average, reduce, reduction)
    if input.dim() < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {input.dim()})")
    n_classes = input.shape[0 if input.dim() == 1 else 1]
    if weight is not None and weight.numel() != n_classes:
        raise RuntimeError(f"weight tensor should be defined either for all {n_classes} classes "
                           f"or no classes but got weight tensor of shape: {list(weight.shape)}")
    dim = input.dim()
    if dim == 3 or dim > 4:
        # PyTorch views (N, C, d1, ...) as (N, C, 1, -1) for nll_loss2d, then views back
        n, c = input.shape[0], input.shape[1]
        if target.shape[0] != n:
            raise ValueError(f"Expected input batch_size ({n}) to match target batch_size "
                             f"({target.shape[0]}).")
        if tuple(target.shape[1:]) != tuple(input.shape[2:]):
            raise RuntimeError(f"Expected target size {[n] + list(input.shape[2:])}, got "
                               f"{list(target.shape)}")
        out = nn_ops.nll_loss(input.contiguous().view(n, c, 1, -1),
                              target.contiguous().view(n, 1, -1), weight, reduction,
                              ignore_index)
        return out.view(*target.shape) if reduction == "none" else out
    return nn_ops.nll_loss(input, target, weight, reduction, ignore_index)


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                  size_average: Any = None, ignore_index: int = -100, reduce: Any = None,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """Cross entropy of logits against class indices or class probabilities.

    ``log_softmax`` then ``nll_loss`` for integer targets (``NllLossBackward0``); a float
    ``target`` of the input's shape holds probabilities. ``label_smoothing`` mixes the target
    with the uniform distribution, as PyTorch does.

    Example:
        >>> F.cross_entropy(dagrad.tensor([[0., 0.]]), dagrad.tensor([1]))
        tensor(0.6931)
    """
    reduction = _pick_reduction(size_average, reduce, reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    class_dim = 0 if input.dim() == 1 else 1
    n_classes = input.shape[class_dim]
    logp = nn_ops.log_softmax(input, class_dim)
    w = None
    if weight is not None:
        shape = [1] * input.dim()
        shape[class_dim] = weight.shape[0]
        w = weight.view(*shape)
    if target.is_floating_point():
        if target.shape != input.shape:
            raise RuntimeError(f"Expected target size {list(input.shape)}, got "
                               f"{list(target.shape)}")
        if label_smoothing > 0:
            target = target * (1 - label_smoothing) + label_smoothing / n_classes
        prod = logp * target if w is None else logp * target * w
        if reduction == "mean":
            if input.numel() == 0:
                return -prod.sum() * float("nan")
            return nn_ops._div_scalar(-prod.sum(), input.numel() // n_classes)
        if reduction == "sum":
            return -prod.sum()
        return -prod.sum(class_dim)
    nll = nll_loss(logp, target, weight, None, ignore_index, None, reduction)
    if label_smoothing == 0:
        return nll
    ignore_mask = Tensor._make(target._data == ignore_index)
    smooth = -(logp * w).sum(class_dim) if w is not None else -logp.sum(class_dim)
    smooth = where(ignore_mask, 0.0, smooth)
    if reduction == "mean":
        if weight is not None:
            t = target._data[target._data != ignore_index].reshape(-1)
            denom = Tensor._make(np.asarray(weight._data[t].sum()))
            ret = smooth.sum() / denom
        else:
            ret = smooth.sum() / int((~ignore_mask._data).sum())
    elif reduction == "sum":
        ret = smooth.sum()
    else:
        ret = smooth
    return nll * (1 - label_smoothing) + ret * (label_smoothing / n_classes)


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                         size_average: Any = None, reduce: Any = None,
                         reduction: str = "mean") -> Tensor:
    """``-w (t log x + (1 - t) log(1 - x))`` for probabilities ``x`` in [0, 1]."""
    reduction = _pick_reduction(size_average, reduce, reduction)
    if target.shape != input.shape:
        raise ValueError(f"Using a target size ({target.shape}) that is different to the input "
                         f"size ({input.shape}) is deprecated. Please ensure they have the same "
                         "size.")
    if weight is not None:
        shape = np.broadcast_shapes(tuple(weight.shape), tuple(input.shape))
        weight = weight.expand(*shape)
    return nn_ops.binary_cross_entropy(input, target, weight, reduction)


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor,
                                     weight: Tensor | None = None, size_average: Any = None,
                                     reduce: Any = None, reduction: str = "mean",
                                     pos_weight: Tensor | None = None) -> Tensor:
    """``binary_cross_entropy(sigmoid(x), t)`` computed stably from logits ``x``;
    ``pos_weight`` weighs the positive term (one value per class, broadcast on the last dim)."""
    reduction = _pick_reduction(size_average, reduce, reduction)
    if target.shape != input.shape:
        raise ValueError(f"Target size ({target.shape}) must be the same as input size "
                         f"({input.shape})")
    return nn_ops.binary_cross_entropy_with_logits(input, target, weight, pos_weight, reduction)


def _xlogy_self(t: Tensor) -> Tensor:
    # t * log(t), with 0 at t == 0 (and a zero gradient there)
    zero = Tensor._make(t._data == 0)
    return t * log(where(zero, 1.0, t))


def kl_div(input: Tensor, target: Tensor, size_average: Any = None, reduce: Any = None,
           reduction: str = "mean", log_target: bool = False) -> Tensor:
    """KL divergence ``target * (log(target) - input)`` with ``input`` in log-space.

    ``reduction='batchmean'`` divides the sum by the batch size (the mathematical KL);
    ``'mean'`` divides by every element and warns, as PyTorch does.
    """
    if size_average is not None or reduce is not None:
        red = _legacy_reduction(size_average, reduce)
    else:
        if reduction == "mean":
            warnings.warn("reduction: 'mean' divides the total loss by both the batch size and "
                          "the support size.'batchmean' divides only by the batch size, and "
                          "aligns with the KL div math definition.'mean' will be changed to "
                          "behave the same as 'batchmean' in the next major release.",
                          stacklevel=2)
        red = "sum" if reduction == "batchmean" else _reduction(reduction)
    if log_target:
        pointwise = exp(target) * (target - input)
    else:
        pointwise = _xlogy_self(target) - target * input
    out = _apply_reduction(pointwise, red)
    if reduction == "batchmean" and input.dim() != 0:
        out = out / input.size(0)
    return out



def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0,
                          size_average: Any = None, reduce: Any = None,
                          reduction: str = "mean") -> Tensor:
    """``1 - cos(x1, x2)`` where ``target == 1``, ``max(0, cos(x1, x2) - margin)`` where
    ``target == -1`` (0 elsewhere), then reduced.

    Shape:
        input1, input2 (N, D) with target (N), or (D) with a 0-dim target
    """
    reduction = _pick_reduction(size_average, reduce, reduction)
    targ_dim = target.dim()
    if targ_dim not in (0, 1):
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    want = 2 if targ_dim == 1 else 1
    if input1.dim() != want or input2.dim() != want:
        raise RuntimeError(f"{targ_dim}D target tensor expects {want}D input tensors, but found "
                           f"inputs with sizes {list(input1.shape)} and {list(input2.shape)}.")
    eps = 1e-12
    prod_sum = (input1 * input2).sum(targ_dim)
    mag_square1 = (input1 * input1).sum(targ_dim) + eps
    mag_square2 = (input2 * input2).sum(targ_dim) + eps
    cos = prod_sum / (mag_square1 * mag_square2).sqrt()
    t = target._data
    output = where(Tensor._make(t == 1), 1 - cos, 0.0) + \
        where(Tensor._make(t == -1), nn_ops._clamp_min(cos - margin, 0), 0.0)
    return _apply_reduction(output, reduction)


def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0,
                        size_average: Any = None, reduce: Any = None,
                        reduction: str = "mean") -> Tensor:
    """``max(0, -target * (input1 - input2) + margin)``, then reduced (target holds 1 / -1)."""
    reduction = _pick_reduction(size_average, reduce, reduction)
    if input1.dim() != input2.dim() or input1.dim() != target.dim():
        raise RuntimeError("margin_ranking_loss : All input tensors should have same dimension "
                           f"but got sizes: input1: {input1.size()}, input2: {input2.size()}, "
                           f"target: {target.size()} ")
    return _apply_reduction(nn_ops._clamp_min(-target * (input1 - input2) + margin, 0), reduction)


def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor, margin: float = 1.0,
                        p: float = 2, eps: float = 1e-6, swap: bool = False,
                        size_average: Any = None, reduce: Any = None,
                        reduction: str = "mean") -> Tensor:
    """``max(0, d(a, p) - d(a, n) + margin)`` with ``d`` the ``p``-norm pairwise distance;
    ``swap`` uses ``min(d(a, n), d(p, n))`` as the negative distance.

    Shape:
        anchor, positive, negative (N, D) or (D) -> reduced, or (N) / () with 'none'
    """
    reduction = _pick_reduction(size_average, reduce, reduction)
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    a_dim, p_dim, n_dim = anchor.dim(), positive.dim(), negative.dim()
    if not a_dim == p_dim == n_dim:
        raise RuntimeError("The anchor, positive, and negative tensors are expected to have the "
                           f"same number of dimensions, but got: anchor {a_dim}D, positive "
                           f"{p_dim}D, and negative {n_dim}D inputs")
    dist_pos = pairwise_distance(anchor, positive, p, eps)
    dist_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        dist_neg = dist_neg.minimum(pairwise_distance(positive, negative, p, eps))
    return _apply_reduction(nn_ops._clamp_min(margin + dist_pos - dist_neg, 0), reduction)


_TYPE_NAMES = {"float16": "Half", "float32": "Float", "float64": "Double"}


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """``x`` where positive, else ``weight * x``; ``weight`` holds one slope, or one per
    channel (dim 1). Records ``PreluKernelBackward0``."""
    if input.dtype != weight.dtype:
        a, b = (_TYPE_NAMES.get(t.name, t.name) for t in (input.dtype, weight.dtype))
        raise RuntimeError(f"prelu: Type promoting not supported. Got {a} and {b}")
    if weight.numel() != 1:
        if input.dim() == 0:
            raise RuntimeError("Not allow zero-dim input tensor.")
        channels = input.shape[1] if input.dim() > 1 else 1
        if channels != weight.numel():
            raise RuntimeError("Mismatch of parameter numbers and input channel size. Found "
                               f"parameter numbers = {weight.numel()} and channel size = "
                               f"{channels}.")
    if weight.dim() > 1:
        raise RuntimeError("prelu: Expected `weight` to be a scalar or 1D tensor, but got: "
                           f"ndim = {weight.dim()}")
    w = weight
    if input.dim() != weight.dim():
        shape = [1] * input.dim()
        if input.dim() > 1:
            shape[1] = weight.numel()
        w = weight.reshape(*shape)
    return nn_ops._prelu_kernel(input, w)
