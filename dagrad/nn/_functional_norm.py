"""``nn.functional`` batch, instance and group normalisation: PyTorch's signatures and checks over
the ``native_batch_norm`` / ``native_group_norm`` ops of ``ops/nn_ops.py``.

Note [Running statistics]
In training mode ``batch_norm`` updates ``running_mean`` and ``running_var`` in place (their
version counters move) from the batch statistics, as PyTorch's kernel does:
``running = momentum * batch + (1 - momentum) * running``, with the *unbiased* batch variance
(divided by n - 1) while the output is normalised with the biased one. The op itself stays a pure
function of its inputs; the update happens here, on the arrays, outside any graph.
"""
from __future__ import annotations

import numpy as np

from dagrad._tensor import Tensor
from dagrad.ops import nn_ops


def _verify_batch_size(size: list[int]) -> None:
    size_prods = size[0]
    for i in range(len(size) - 2):
        size_prods *= size[i + 2]
    if size_prods == 1:
        raise ValueError("Expected more than 1 value per channel when training, got input size "
                         f"dagrad.Size({list(size)})")


def _verify_spatial_size(size: list[int]) -> None:
    size_prods = 1
    for i in range(2, len(size)):
        size_prods *= size[i]
    if size_prods == 1:
        raise ValueError("Expected more than 1 spatial element when training, got input size "
                         f"dagrad.Size({list(size)})")


def _check_features(name: str, expected: int, t: Tensor | None) -> None:
    if t is not None and t.numel() != expected:
        raise RuntimeError(f"{name} should contain {expected} elements not {t.numel()}")


def _update_running_stats(input: Tensor, running_mean: Tensor | None,
                          running_var: Tensor | None, momentum: float) -> None:
    """Note [Running statistics]."""
    x = input._data
    axes = nn_ops._bn_axes(x.ndim)
    n = x.size // x.shape[1]
    mean = x.mean(axis=axes)
    if running_mean is not None:
        rm = running_mean._data
        rm[...] = momentum * mean + (1 - momentum) * rm
        running_mean._bump()
    if running_var is not None:
        xc = x - mean.reshape(nn_ops._chan_shape(x.ndim, x.shape[1]))
        unbiased = (xc * xc).sum(axis=axes) / (n - 1)
        rv = running_var._data
        rv[...] = momentum * unbiased + (1 - momentum) * rv
        running_var._bump()


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalise each channel over the batch (and spatial dims), then ``* weight + bias``.

    In training mode the batch statistics are used and the running ones (when given) are
    updated in place (Note [Running statistics]); otherwise the running ones are used. Records
    ``NativeBatchNormBackward0``.

    Shape:
        input (N, C, *), running stats / weight / bias (C) -> (N, C, *)

    Example:
        >>> F.batch_norm(dagrad.tensor([[1.], [3.]]), None, None, training=True).tolist()
        [[-0.9999949932098389], [0.9999949932098389]]
    """
    if training:
        _verify_batch_size(list(input.size()))
    if training and eps <= 0.0:
        raise ValueError(f"batch_norm eps must be positive during training, but got {eps}")
    elif eps < 0.0:
        raise ValueError(f"batch_norm eps must be non-negative, but got {eps}")
    c = input.shape[1]
    _check_features("running_mean", c, running_mean)
    if running_mean is None and not training:
        raise RuntimeError("running_mean must be defined in evaluation mode")
    _check_features("running_var", c, running_var)
    if running_var is None and not training:
        raise RuntimeError("running_var must be defined in evaluation mode")
    _check_features("weight", c, weight)
    _check_features("bias", c, bias)
    if training:
        if input.numel():
            _update_running_stats(input, running_mean, running_var, momentum)
        return nn_ops.native_batch_norm(input, weight, bias, None, None, True, eps)
    return nn_ops.native_batch_norm(input, weight, bias, running_mean, running_var, False, eps)


def _repeat(t: Tensor | None, b: int) -> Tensor | None:
    """``t.repeat(b)`` for a vector (differentiable: the gradient sums the copies)."""
    if t is None:
        return None
    return t.unsqueeze(0).expand(b, t.shape[0]).reshape(-1)


def instance_norm(input: Tensor, running_mean: Tensor | None = None,
                  running_var: Tensor | None = None, weight: Tensor | None = None,
                  bias: Tensor | None = None, use_input_stats: bool = True,
                  momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalise each channel of each sample over its spatial dims.

    As PyTorch: a batch norm of the input viewed as (1, N*C, *), viewed back (so the output
    records ``ViewBackward0``); running statistics, when given, get the batch mean of the
    per-instance updates.

    Shape:
        input (N, C, *) -> (N, C, *)
    """
    if use_input_stats:
        _verify_spatial_size(list(input.size()))
    if not use_input_stats and (running_mean is None or running_var is None):
        raise RuntimeError("Expected running_mean and running_var to be defined when "
                           "use_input_stats is false")
    b, c = input.shape[0], input.shape[1]
    rm = None if running_mean is None else Tensor._make(np.tile(running_mean._data, b))
    rv = None if running_var is None else Tensor._make(np.tile(running_var._data, b))
    x = input.contiguous().view(1, b * c, *input.shape[2:])
    out = batch_norm(x, rm, rv, _repeat(weight, b), _repeat(bias, b), use_input_stats,
                     momentum, eps)
    for src, dst in ((rm, running_mean), (rv, running_var)):
        if dst is not None:
            dst._data[...] = src._data.reshape(b, c).mean(0)
            dst._bump()
    return out.view(*input.shape)


def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalise groups of ``C / num_groups`` channels of each sample (over those channels and
    the spatial dims), then ``* weight + bias`` per channel. Records
    ``NativeGroupNormBackward0``.

    Shape:
        input (N, C, *) -> (N, C, *)
    """
    if input.dim() < 2:
        raise RuntimeError("Expected at least 2 dimensions for input tensor but received "
                           f"{input.dim()}")
    _verify_batch_size([input.size(0) * input.size(1) // num_groups, num_groups]
                       + list(input.size()[2:]))
    c = input.shape[1]
    if c % num_groups != 0:
        raise RuntimeError("Expected number of channels in input to be divisible by num_groups, "
                           f"but got input of shape {list(input.shape)} and "
                           f"num_groups={num_groups}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and (t.dim() != 1 or t.numel() != c):
            raise RuntimeError(f"Expected {name} to be a vector of size equal to the number of "
                               f"channels in input, but got {name} of shape {list(t.shape)} and "
                               f"input of shape {list(input.shape)}")
    return nn_ops.native_group_norm(input, weight, bias, num_groups, eps)
