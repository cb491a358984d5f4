"""``nn.functional`` resampling and sliding blocks: ``interpolate`` (nearest, nearest-exact,
linear, bilinear, trilinear), ``upsample*``, ``unfold`` and ``fold``, with PyTorch's index
arithmetic (so outputs agree exactly for nearest, to rounding for linear modes).

Note [Resampling indices]
For an input size ``n_in`` and output size ``n_out``, PyTorch's ``scale`` is ``1 / scale_factor``
when a scale factor was given (and not recomputed), else ``n_in / n_out``. ``nearest`` reads input
``min(floor(i * scale), n_in - 1)`` computed in float32 (``i // 2`` when ``n_out == 2 n_in``),
``nearest-exact`` reads ``floor((i + 0.5) * scale)``, also in float32. Linear modes read the
source position ``scale * i`` (``align_corners``, with ``scale = (n_in - 1) / (n_out - 1)``) or
``max(scale * (i + 0.5) - 0.5, 0)`` and blend its two neighbours.
"""
from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from dagrad._tensor import Tensor
from dagrad.ops import nn_ops

_LINEAR_MODES = {"linear": 3, "bilinear": 4, "trilinear": 5}


def _scale(n_in: int, n_out: int, scale: float | None, dtype: Any) -> Any:
    if scale is not None and scale > 0:
        return dtype(1.0 / scale)
    return dtype(n_in) / dtype(n_out)


def _nearest_index(n_in: int, n_out: int, scale: float | None, exact: bool) -> np.ndarray:
    """Note [Resampling indices]."""
    i = np.arange(n_out)
    if not exact:
        if n_out == n_in:
            return i
        if n_out == 2 * n_in:
            return i >> 1
    s = _scale(n_in, n_out, scale, np.float32)
    if exact:
        src = np.floor((i + 0.5).astype(np.float32) * s)
    else:
        src = np.floor(i.astype(np.float32) * s)
    return np.minimum(src.astype(np.int64), n_in - 1)


def _linear_matrix(n_in: int, n_out: int, scale: float | None, align_corners: bool,
                   dtype: Any) -> np.ndarray:
    """(n_out, n_in) weights of linear interpolation (Note [Resampling indices])."""
    m = np.zeros((n_out, n_in), dtype)
    if n_out == n_in:
        m[np.arange(n_out), np.arange(n_out)] = 1
        return m
    if align_corners:
        ratio = dtype(n_in - 1) / dtype(n_out - 1) if n_out > 1 else dtype(0)
    else:
        ratio = _scale(n_in, n_out, scale, dtype)
    i = np.arange(n_out).astype(dtype)
    if align_corners:
        real = ratio * i
    else:
        real = np.maximum(ratio * (i + dtype(0.5)) - dtype(0.5), dtype(0))
    i0 = np.minimum(np.floor(real).astype(np.int64), n_in - 1)
    lam1 = np.clip(real - i0.astype(dtype), 0, 1).astype(dtype)
    i1 = i0 + (i0 < n_in - 1)
    rows = np.arange(n_out)
    np.add.at(m, (rows, i0), dtype(1) - lam1)
    np.add.at(m, (rows, i1), lam1)
    return m


def interpolate(input: Tensor, size: Any = None, scale_factor: Any = None, mode: str = "nearest",
                align_corners: bool | None = None, recompute_scale_factor: bool | None = None,
                antialias: bool = False) -> Tensor:
    """Resize the spatial dims of (N, C, *spatial) to ``size`` or by ``scale_factor``.

    Modes: ``nearest``, ``nearest-exact`` (1-3 spatial dims), ``linear`` (3-D input),
    ``bilinear`` (4-D), ``trilinear`` (5-D), ``area`` (adaptive average pooling, 3-D or 4-D);
    ``align_corners`` for the linear modes. Records
    ``UpsampleNearest2DBackward0``, ``UpsampleBilinear2DBackward0``... as PyTorch.

    Example:
        >>> F.interpolate(dagrad.tensor([[[1., 2.]]]), scale_factor=2).tolist()
        [[[1.0, 1.0, 2.0, 2.0]]]
    """
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating "
                             "modes: linear | bilinear | bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    dim = input.dim() - 2
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        scale_factors = None
        if isinstance(size, (list, tuple)):
            if len(size) != dim:
                raise ValueError("Input and output must have the same number of spatial "
                                 "dimensions, but got input with spatial dimensions of "
                                 f"{list(input.shape[2:])} and output size of {size}. Please "
                                 "provide input tensor in (N, C, d1, d2, ...,dK) format and "
                                 "output size in (o1, o2, ...,oK) format.")
            output_size = [int(s) for s in size]
        else:
            output_size = [int(size)] * dim
    elif scale_factor is not None:
        output_size = None
        if isinstance(scale_factor, (list, tuple)):
            if len(scale_factor) != dim:
                raise ValueError("Input and scale_factor must have the same number of spatial "
                                 "dimensions, but got input with spatial dimensions of "
                                 f"{list(input.shape[2:])} and scale_factor of shape "
                                 f"{scale_factor}. Please provide input tensor in (N, C, d1, "
                                 "d2, ...,dK) format and scale_factor in (s1, s2, ...,sK) "
                                 "format.")
            scale_factors = [float(s) for s in scale_factor]
        else:
            scale_factors = [float(scale_factor)] * dim
    else:
        raise ValueError("either size or scale_factor should be defined")
    if recompute_scale_factor and size is not None:
        raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
    if mode == "area" and output_size is None:
        recompute_scale_factor = True
    if recompute_scale_factor:
        output_size = [math.floor(input.shape[i + 2] * scale_factors[i]) for i in range(dim)]
        scale_factors = None
    if antialias:
        raise NotImplementedError("dagrad's interpolate has no antialias mode")
    if mode in ("nearest", "nearest-exact") and 1 <= dim <= 3:
        return _resample(input, mode, output_size, scale_factors, None)
    if mode == "area" and dim in (1, 2):
        from dagrad.nn import _functional_conv as C
        pool = C.adaptive_avg_pool1d if dim == 1 else C.adaptive_avg_pool2d
        return pool(input, output_size if dim == 2 else output_size[0])
    if mode in _LINEAR_MODES:
        if input.dim() != _LINEAR_MODES[mode]:
            raise NotImplementedError(f"Got {input.dim()}D input, but {mode} mode needs "
                                      f"{_LINEAR_MODES[mode]}D input")
        return _resample(input, mode, output_size, scale_factors, align_corners)
    raise NotImplementedError("Input Error: Only 3D, 4D and 5D input Tensors supported "
                              f"(got {input.dim()}D) for the modes: nearest | linear | bilinear "
                              f"| bicubic | trilinear | area | nearest-exact (got {mode})")


def _resample(input: Tensor, mode: str, output_size: list | None, scale_factors: list | None,
              align_corners: bool | None) -> Tensor:
    dims = input.shape[2:]
    if output_size is None:
        output_size = [int(n * s) for n, s in zip(dims, scale_factors, strict=True)]
    for n_out in output_size:
        if n_out <= 0:
            raise RuntimeError(f"Input and output sizes should be greater than 0, but got input "
                               f"({', '.join(str(d) for d in dims)}) and output "
                               f"({', '.join(str(d) for d in output_size)})")
    scales = scale_factors or [None] * len(dims)
    if mode.startswith("nearest"):
        maps = tuple(_nearest_index(n, o, s, mode == "nearest-exact")
                     for n, o, s in zip(dims, output_size, scales, strict=True))
    else:
        dt = input._data.dtype.type if input._data.dtype.kind == "f" else np.float64
        maps = tuple(_linear_matrix(n, o, s, align_corners, dt)
                     for n, o, s in zip(dims, output_size, scales, strict=True))
    return nn_ops._upsample(input, mode, maps)


def upsample(input: Tensor, size: Any = None, scale_factor: Any = None, mode: str = "nearest",
             align_corners: bool | None = None) -> Tensor:
    """Deprecated alias of ``interpolate`` (warns as PyTorch does)."""
    warnings.warn("`nn.functional.upsample` is deprecated. Use `nn.functional.interpolate` "
                  "instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input: Tensor, size: Any = None, scale_factor: Any = None) -> Tensor:
    """Deprecated: ``interpolate(..., mode='nearest')``."""
    warnings.warn("`nn.functional.upsample_nearest` is deprecated. Use "
                  "`nn.functional.interpolate` instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input: Tensor, size: Any = None, scale_factor: Any = None) -> Tensor:
    """Deprecated: ``interpolate(..., mode='bilinear', align_corners=True)``."""
    warnings.warn("`nn.functional.upsample_bilinear` is deprecated. Use "
                  "`nn.functional.interpolate` instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


# --------------------------------------------------------------------------- fold / unfold


def _pair(v: Any) -> tuple:
    return tuple(int(x) for x in v) if isinstance(v, (tuple, list)) else (int(v), int(v))


def _fmt(t: tuple) -> str:
    return f"({t[0]}, {t[1]})"


def unfold(input: Tensor, kernel_size: Any, dilation: Any = 1, padding: Any = 0,
           stride: Any = 1) -> Tensor:
    """Extract sliding blocks as columns (``Im2ColBackward0``).

    Shape:
        (N, C, H, W) or (C, H, W) -> (N, C*kh*kw, L) or (C*kh*kw, L), L the number of blocks

    Example:
        >>> F.unfold(dagrad.ones(1, 2, 3, 3), 2).shape
        dagrad.Size([1, 8, 4])
    """
    k, d, p, s = _pair(kernel_size), _pair(dilation), _pair(padding), _pair(stride)
    if input.dim() not in (3, 4) or any(n == 0 for n in input.shape[1:]):
        raise RuntimeError("Expected 3D or 4D (batch mode) tensor for input with possibly 0 "
                           "batch size and non-zero dimensions for input, but got: "
                           f"{list(input.shape)}")
    size = tuple(input.shape[-2:])
    blocks = nn_ops._blocks(size, k, d, p, s)
    if blocks[0] < 1 or blocks[1] < 1:
        raise RuntimeError(f"Given input with spatial size {_fmt(size)}, kernel_size={_fmt(k)}, "
                           f"dilation={_fmt(d)}, padding={_fmt(p)}, calculated shape of the "
                           f"array of sliding blocks as {_fmt(blocks)}, but its components "
                           "must be at least one.")
    return nn_ops._im2col(input, k, d, p, s)


def fold(input: Tensor, output_size: Any, kernel_size: Any, dilation: Any = 1, padding: Any = 0,
         stride: Any = 1) -> Tensor:
    """Sum columns of sliding blocks back into an image (``Col2ImBackward0``).

    Shape:
        (N, C*kh*kw, L) or (C*kh*kw, L) -> (N, C, H, W) or (C, H, W), (H, W) = output_size
    """
    o, k, d = _pair(output_size), _pair(kernel_size), _pair(dilation)
    p, s = _pair(padding), _pair(stride)
    if input.dim() not in (2, 3) or any(n == 0 for n in input.shape[1:]):
        raise RuntimeError("Expected 2D or 3D (batch mode) tensor for input with possibly 0 "
                           "batch size and non-zero dimensions for input, but got: "
                           f"{list(input.shape)}")
    if input.shape[-2] % (k[0] * k[1]) != 0:
        raise RuntimeError("Expected size of input's dimension 1 to be divisible by the product "
                           f"of kernel_size, but got input.size(1)={input.shape[-2]} and "
                           f"kernel_size={_fmt(k)}.")
    blocks = nn_ops._blocks(o, k, d, p, s)
    if input.shape[-1] != blocks[0] * blocks[1]:
        raise RuntimeError(f"Given output_size={_fmt(o)}, kernel_size={_fmt(k)}, "
                           f"dilation={_fmt(d)}, padding={_fmt(p)}, stride={_fmt(s)}, expected "
                           "size of input's dimension 2 to match the calculated number of "
                           f"sliding blocks {blocks[0]} * {blocks[1]} = {blocks[0] * blocks[1]}"
                           f", but got input.size(2)={input.shape[-1]}.")
    return nn_ops._col2im(input, o, k, d, p, s)
