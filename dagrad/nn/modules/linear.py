"""Identity, Linear and Bilinear layers, with PyTorch's default initialisation."""
from __future__ import annotations

import math
from typing import Any

from dagrad import _factories
from dagrad._tensor import Tensor
from dagrad.nn import functional as F
from dagrad.nn import init
from dagrad.nn.modules.module import Module
from dagrad.nn.parameter import Parameter


def _empty(*shape: int, dtype: Any = None) -> Tensor:
    return _factories.empty(*shape, dtype=dtype)


class Identity(Module):
    """Return the input unchanged (arguments are accepted and ignored).

    Example:
        >>> x = dagrad.ones(2)
        >>> nn.Identity(54, unused="x")(x) is x
        True
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, input: Tensor) -> Tensor:
        return input


class Linear(Module):
    """Apply ``y = x @ weight.T + bias``; with ``bias=False`` no additive bias is learned.

    Weight and bias start from U(-1/sqrt(in_features), 1/sqrt(in_features)), as in PyTorch.

    Shape:
        input (*, in_features) -> output (*, out_features)

    Example:
        >>> layer = nn.Linear(3, 2)
        >>> layer(dagrad.ones(4, 3)).shape
        dagrad.Size([4, 2])
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.weight = Parameter(_empty(out_features, in_features, dtype=dtype))
        if bias:
            self.bias = Parameter(_empty(out_features, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input: Tensor) -> Tensor:
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class NonDynamicallyQuantizableLinear(Linear):
    """A ``Linear`` under another name: ``MultiheadAttention.out_proj`` (so reprs match)."""


class Bilinear(Module):
    """Apply ``y = x1^T A x2 + b`` (one matrix ``A`` per output feature).

    Shape:
        input1 (*, in1_features), input2 (*, in2_features) -> output (*, out_features)
    """

    def __init__(self, in1_features: int, in2_features: int, out_features: int,
                 bias: bool = True, device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        self.in1_features = in1_features
        self.in2_features = in2_features
        self.out_features = out_features
        self.weight = Parameter(_empty(out_features, in1_features, in2_features, dtype=dtype))
        if bias:
            self.bias = Parameter(_empty(out_features, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        if self.in1_features <= 0:
            raise ValueError(f"in1_features must be > 0, but got (in1_features="
                             f"{self.in1_features})")
        bound = 1 / math.sqrt(self.weight.size(1))
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1: Tensor, input2: Tensor) -> Tensor:
        return F.bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")
