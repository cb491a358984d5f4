"""Conv1d/2d/3d and ConvTranspose1d/2d, with PyTorch's arguments, initialisation and reprs."""
from __future__ import annotations

import math
from typing import Any

from dagrad import _factories
from dagrad._tensor import Tensor
from dagrad.nn import _functional_conv as FC
from dagrad.nn import init
from dagrad.nn.modules.module import Module
from dagrad.nn.parameter import Parameter


class _ConvNd(Module):
    _d = 2
    _transposed = False

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, dilation: Any = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", device: Any = None, dtype: Any = None,
                 output_padding: Any = 0) -> None:
        super().__init__()
        d = self._d
        if groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups != 0:
            raise ValueError("out_channels must be divisible by groups")
        if padding_mode != "zeros":
            raise NotImplementedError(f"padding_mode '{padding_mode}' is not supported by dagrad "
                                      "yet; only 'zeros' is")
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"Invalid padding string '{padding}', should be one of "
                                 "{'valid', 'same'}")
            if padding == "same" and any(s != 1 for s in FC._tuple(stride, d)):
                raise ValueError("padding='same' is not supported for strided convolutions")
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = FC._tuple(kernel_size, d)
        self.stride = FC._tuple(stride, d)
        self.padding = padding if isinstance(padding, str) else FC._tuple(padding, d)
        self.dilation = FC._tuple(dilation, d)
        self.transposed = self._transposed
        self.output_padding = FC._tuple(output_padding, d)
        self.groups = groups
        self.padding_mode = padding_mode
        if self._transposed:
            shape = (in_channels, out_channels // groups) + self.kernel_size
        else:
            shape = (out_channels, in_channels // groups) + self.kernel_size
        self.weight = Parameter(_factories.empty(*shape, dtype=dtype))
        if bias:
            self.bias = Parameter(_factories.empty(out_channels, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        # PyTorch: kaiming_uniform_(a=sqrt(5)), bias U(-1/sqrt(fan_in), 1/sqrt(fan_in))
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            if fan_in != 0:
                bound = 1 / math.sqrt(fan_in)
                init.uniform_(self.bias, -bound, bound)

    def extra_repr(self) -> str:
        s = "{in_channels}, {out_channels}, kernel_size={kernel_size}, stride={stride}"
        d = self._d
        if self.padding != (0,) * d:
            s += ", padding={padding}"
        if self.dilation != (1,) * d:
            s += ", dilation={dilation}"
        if self.output_padding != (0,) * d:
            s += ", output_padding={output_padding}"
        if self.groups != 1:
            s += ", groups={groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += ", padding_mode={padding_mode}"
        return s.format(**self.__dict__)


class Conv1d(_ConvNd):
    """1-D convolution. Shape: (N, C_in, L) -> (N, C_out, L_out)."""

    _d = 1

    def forward(self, input: Tensor) -> Tensor:
        return FC.conv1d(input, self.weight, self.bias, self.stride, self.padding,
                         self.dilation, self.groups)


class Conv2d(_ConvNd):
    """2-D convolution. Shape: (N, C_in, H, W) -> (N, C_out, H_out, W_out).

    Example:
        >>> nn.Conv2d(1, 2, 3)
        Conv2d(1, 2, kernel_size=(3, 3), stride=(1, 1))
    """

    _d = 2

    def forward(self, input: Tensor) -> Tensor:
        return FC.conv2d(input, self.weight, self.bias, self.stride, self.padding,
                         self.dilation, self.groups)


class Conv3d(_ConvNd):
    """3-D convolution. Shape: (N, C_in, D, H, W) -> (N, C_out, D', H', W')."""

    _d = 3

    def forward(self, input: Tensor) -> Tensor:
        return FC.conv3d(input, self.weight, self.bias, self.stride, self.padding,
                         self.dilation, self.groups)


class _ConvTransposeNd(_ConvNd):
    _transposed = True

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, output_padding: Any = 0, groups: int = 1, bias: bool = True,
                 dilation: Any = 1, padding_mode: str = "zeros", device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, device, dtype, output_padding)


class ConvTranspose1d(_ConvTransposeNd):
    """1-D transposed convolution. Shape: (N, C_in, L) -> (N, C_out, L_out)."""

    _d = 1

    def forward(self, input: Tensor, output_size: Any = None) -> Tensor:
        return FC.conv_transpose1d(input, self.weight, self.bias, self.stride, self.padding,
                                   self.output_padding, self.groups, self.dilation)


class ConvTranspose2d(_ConvTransposeNd):
    """2-D transposed convolution. Shape: (N, C_in, H, W) -> (N, C_out, H_out, W_out)."""

    _d = 2

    def forward(self, input: Tensor, output_size: Any = None) -> Tensor:
        return FC.conv_transpose2d(input, self.weight, self.bias, self.stride, self.padding,
                                   self.output_padding, self.groups, self.dilation)
