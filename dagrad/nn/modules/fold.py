"""Fold and Unfold: sliding blocks to columns and back (``F.fold`` / ``F.unfold``)."""
from __future__ import annotations

from typing import Any

from dagrad._tensor import Tensor
from dagrad.nn import functional as F
from dagrad.nn.modules.module import Module


class Fold(Module):
    """Sum columns of sliding blocks (N, C*kh*kw, L) into an image (N, C, *output_size).

    Example:
        >>> nn.Fold(output_size=(4, 5), kernel_size=2)
        Fold(output_size=(4, 5), kernel_size=2, dilation=1, padding=0, stride=1)
    """

    def __init__(self, output_size: Any, kernel_size: Any, dilation: Any = 1, padding: Any = 0,
                 stride: Any = 1) -> None:
        super().__init__()
        self.output_size = output_size
        self.kernel_size = kernel_size
        self.dilation = dilation
        self.padding = padding
        self.stride = stride

    def forward(self, input: Tensor) -> Tensor:
        return F.fold(input, self.output_size, self.kernel_size, self.dilation, self.padding,
                      self.stride)

    def extra_repr(self) -> str:
        return (f"output_size={self.output_size}, kernel_size={self.kernel_size}, "
                f"dilation={self.dilation}, padding={self.padding}, stride={self.stride}")


class Unfold(Module):
    """Extract sliding blocks of (N, C, H, W) as columns (N, C*kh*kw, L).

    Example:
        >>> nn.Unfold(kernel_size=(2, 3))
        Unfold(kernel_size=(2, 3), dilation=1, padding=0, stride=1)
    """

    def __init__(self, kernel_size: Any, dilation: Any = 1, padding: Any = 0,
                 stride: Any = 1) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.dilation = dilation
        self.padding = padding
        self.stride = stride

    def forward(self, input: Tensor) -> Tensor:
        return F.unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, dilation={self.dilation}, "
                f"padding={self.padding}, stride={self.stride}")
