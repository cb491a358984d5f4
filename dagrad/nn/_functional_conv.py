"""``nn.functional`` convolution, pooling and padding: PyTorch's signatures over ``ops/conv.py``.

Arguments may be ints or tuples; unbatched inputs ((C, *S) instead of (N, C, *S)) are accepted as
in PyTorch. ``padding='same'`` with an even kernel pads asymmetrically, as PyTorch does.
"""
from __future__ import annotations

from typing import Any

from dagrad._tensor import Tensor
from dagrad.ops import conv as C
from dagrad.ops._registry import defop


def _tuple(v: Any, n: int, name: str = "") -> tuple:
    if isinstance(v, (tuple, list)):
        if len(v) == 1:
            return tuple(v) * n
        if len(v) != n:
            raise RuntimeError(f"expected {name} to be a single integer value or a list of {n} "
                               f"values to match the convolution dimensions, but got "
                               f"{name}={list(v)}")
        return tuple(int(x) for x in v)
    return (int(v),) * n


def _batchify(input: Tensor, d: int, what: str) -> tuple[Tensor, bool]:
    if input.dim() == d + 1:
        return input.unsqueeze(0), True
    if input.dim() != d + 2:
        raise RuntimeError(f"Expected {d + 1}D (unbatched) or {d + 2}D (batched) input to "
                           f"{what}, but got input of size: {list(input.shape)}")
    return input, False


def _conv(input: Tensor, weight: Tensor, bias: Any, stride: Any, padding: Any, dilation: Any,
          groups: int, d: int) -> Tensor:
    x, unbatched = _batchify(input, d, f"conv{d}d")
    stride = _tuple(stride, d, "stride")
    dilation = _tuple(dilation, d, "dilation")
    ks = tuple(weight.shape[2:])
    if isinstance(padding, str):
        if padding == "valid":
            pad = (0,) * d
        elif padding == "same":
            if any(s != 1 for s in stride):
                raise ValueError("padding='same' is not supported for strided convolutions")
            total = [dl * (k - 1) for dl, k in zip(dilation, ks, strict=True)]
            left = [t // 2 for t in total]
            if any(t % 2 for t in total):
                extra = []
                for t, lft in zip(reversed(total), reversed(left), strict=True):
                    extra += [0, t - 2 * lft]
                x = C.constant_pad_nd(x, tuple(extra))
            pad = tuple(left)
        else:
            raise ValueError(f"Invalid padding string '{padding}', should be one of "
                             "{'valid', 'same'}")
    else:
        pad = _tuple(padding, d, "padding")
    out = C._convolution(x, weight, bias, stride, pad, dilation, groups)
    return out.squeeze(0) if unbatched else out


def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
           padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    """1-D convolution: (N, C_in, L) * (C_out, C_in/groups, k) -> (N, C_out, L_out)."""
    return _conv(input, weight, bias, stride, padding, dilation, groups, 1)


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
           padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    """2-D convolution: (N, C_in, H, W) * (C_out, C_in/groups, kH, kW) -> (N, C_out, H', W').

    Example:
        >>> F.conv2d(dagrad.ones(1, 1, 5, 5), dagrad.ones(2, 1, 3, 3)).shape
        dagrad.Size([1, 2, 3, 3])
    """
    return _conv(input, weight, bias, stride, padding, dilation, groups, 2)


def conv3d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
           padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    """3-D convolution: (N, C_in, D, H, W) * (C_out, C_in/groups, kD, kH, kW)."""
    return _conv(input, weight, bias, stride, padding, dilation, groups, 3)


@defop(node="ConvolutionBackward0", grads={
    "input": lambda grad, weight, stride, padding, dilation, groups:
        C._convolution(grad, weight, None, stride, padding, dilation, groups),
    "weight": lambda grad, input, weight_shape, stride, padding, dilation, groups:
        C._conv_weight_grad(grad, input, weight_shape, stride, padding, dilation, groups),
    "bias": lambda grad, input: C._bias_grad(grad, input),
})
def _conv_transpose(input, weight, bias, out_shape, stride, padding, dilation, groups):
    """Transposed convolution: the adjoint of conv with the same weight (C_in, C_out/g, *k)."""
    if input.shape[1] != weight.shape[0]:
        raise RuntimeError(f"Given transposed=1, weight of size {list(weight.shape)}, expected "
                           f"input{list(input.shape)} to have {weight.shape[0]} channels, but "
                           f"got {input.shape[1]} channels instead")
    out = C._conv_input_grad_np(input, weight, tuple(out_shape), stride, padding, dilation,
                                groups)
    if bias is not None:
        out += bias.reshape((1, -1) + (1,) * (weight.ndim - 2))
    return out


def _conv_transpose_nd(input: Tensor, weight: Tensor, bias: Any, stride: Any, padding: Any,
                       output_padding: Any, groups: int, dilation: Any, d: int) -> Tensor:
    x, unbatched = _batchify(input, d, f"conv_transpose{d}d")
    stride, padding = _tuple(stride, d, "stride"), _tuple(padding, d, "padding")
    output_padding, dilation = _tuple(output_padding, d), _tuple(dilation, d, "dilation")
    ks = tuple(weight.shape[2:])
    out_sp = tuple((n - 1) * s - 2 * p + dl * (k - 1) + op + 1 for n, s, p, dl, k, op in
                   zip(x.shape[2:], stride, padding, dilation, ks, output_padding, strict=True))
    out_shape = (x.shape[0], weight.shape[1] * groups) + out_sp
    out = _conv_transpose(x, weight, bias, out_shape, stride, padding, dilation, groups)
    return out.squeeze(0) if unbatched else out


def conv_transpose1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
                     padding: Any = 0, output_padding: Any = 0, groups: int = 1,
                     dilation: Any = 1) -> Tensor:
    """1-D transposed convolution; weight (C_in, C_out/groups, k)."""
    return _conv_transpose_nd(input, weight, bias, stride, padding, output_padding, groups,
                              dilation, 1)


def conv_transpose2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
                     padding: Any = 0, output_padding: Any = 0, groups: int = 1,
                     dilation: Any = 1) -> Tensor:
    """2-D transposed convolution; weight (C_in, C_out/groups, kH, kW)."""
    return _conv_transpose_nd(input, weight, bias, stride, padding, output_padding, groups,
                              dilation, 2)


# --------------------------------------------------------------------------- pooling
def _max_pool_nd(input: Tensor, kernel_size: Any, stride: Any, padding: Any, dilation: Any,
                 ceil_mode: bool, return_indices: bool, d: int) -> Any:
    x, unbatched = _batchify(input, d, f"max_pool{d}d")
    ks = _tuple(kernel_size, d)
    st = _tuple(stride if stride not in (None, [], ()) else ks, d)
    vals, idx = C._max_pool(x, ks, st, _tuple(padding, d), _tuple(dilation, d), ceil_mode)
    if unbatched:
        vals, idx = vals.squeeze(0), idx.squeeze(0)
    return (vals, idx) if return_indices else vals


def max_pool1d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False, return_indices: bool = False) -> Any:
    """1-D max pooling over (N, C, L)."""
    return _max_pool_nd(input, kernel_size, stride, padding, dilation, ceil_mode,
                        return_indices, 1)


def max_pool2d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False, return_indices: bool = False) -> Any:
    """2-D max pooling over (N, C, H, W); ``stride`` defaults to ``kernel_size``.

    Example:
        >>> F.max_pool2d(dagrad.arange(16.).reshape(1, 1, 4, 4), 2).tolist()
        [[[[5.0, 7.0], [13.0, 15.0]]]]
    """
    return _max_pool_nd(input, kernel_size, stride, padding, dilation, ceil_mode,
                        return_indices, 2)


def max_pool3d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False, return_indices: bool = False) -> Any:
    """3-D max pooling over (N, C, D, H, W)."""
    return _max_pool_nd(input, kernel_size, stride, padding, dilation, ceil_mode,
                        return_indices, 3)


def _avg_pool_nd(input: Tensor, kernel_size: Any, stride: Any, padding: Any, ceil_mode: bool,
                 count_include_pad: bool, divisor_override: Any, d: int) -> Tensor:
    x, unbatched = _batchify(input, d, f"avg_pool{d}d")
    ks = _tuple(kernel_size, d)
    st = _tuple(stride if stride not in (None, [], ()) else ks, d)
    out = C._avg_pool(x, ks, st, _tuple(padding, d), ceil_mode, count_include_pad,
                      divisor_override)
    return out.squeeze(0) if unbatched else out


def avg_pool1d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               ceil_mode: bool = False, count_include_pad: bool = True) -> Tensor:
    """1-D average pooling over (N, C, L)."""
    return _avg_pool_nd(input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                        None, 1)


def avg_pool2d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: Any = None) -> Tensor:
    """2-D average pooling over (N, C, H, W)."""
    return _avg_pool_nd(input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                        divisor_override, 2)


def _adaptive(input: Tensor, output_size: Any, d: int, kind: str) -> Any:
    from dagrad.ops import cat, stack
    x, unbatched = _batchify(input, d, f"adaptive_{kind}_pool{d}d")
    out_sz = _tuple(output_size, d)
    out_sz = tuple(x.shape[2 + i] if o is None else o for i, o in enumerate(out_sz))
    in_sz = tuple(x.shape[2:])
    if all(n % o == 0 for n, o in zip(in_sz, out_sz, strict=True)):
        ks = tuple(n // o for n, o in zip(in_sz, out_sz, strict=True))
        if kind == "avg":
            out = C._avg_pool(x, ks, ks, (0,) * d, False, True, None)
            return out.squeeze(0) if unbatched else out
        vals, idx = C._max_pool(x, ks, ks, (0,) * d, (1,) * d, False)
        return (vals.squeeze(0), idx.squeeze(0)) if unbatched else (vals, idx)
    # uneven windows: PyTorch's start = floor(i * n / o), end = ceil((i + 1) * n / o)
    if kind == "max":
        raise NotImplementedError("adaptive_max_pool with output sizes that do not divide the "
                                  "input size is not supported yet")

    def reduce_dim(t: Tensor, dim: int, n: int, o: int) -> Tensor:
        parts = []
        for i in range(o):
            s, e = (i * n) // o, -(-((i + 1) * n) // o)
            parts.append(t.narrow(dim, s, e - s).mean(dim, keepdim=True))
        return cat(parts, dim)
    out = x
    for i in range(d):
        out = reduce_dim(out, 2 + i, in_sz[i], out_sz[i])
    _ = stack
    return out.squeeze(0) if unbatched else out


def adaptive_avg_pool1d(input: Tensor, output_size: Any) -> Tensor:
    return _adaptive(input, output_size, 1, "avg")


def adaptive_avg_pool2d(input: Tensor, output_size: Any) -> Tensor:
    """Average pooling to a fixed output size (H_out, W_out)."""
    return _adaptive(input, output_size, 2, "avg")


def adaptive_max_pool2d(input: Tensor, output_size: Any, return_indices: bool = False) -> Any:
    """Max pooling to a fixed output size (H_out, W_out)."""
    vals, idx = _adaptive(input, output_size, 2, "max")
    return (vals, idx) if return_indices else vals


def pad(input: Tensor, pad: Any, mode: str = "constant", value: float | None = None) -> Tensor:
    """Pad the trailing dims: ``pad = (left, right, top, bottom, ...)`` from the last dim back.

    Only ``mode='constant'`` is implemented (reflect/replicate/circular are not yet).
    """
    if mode != "constant":
        raise NotImplementedError(f"F.pad mode '{mode}' is not supported by dagrad yet; only "
                                  "'constant' is")
    return C.constant_pad_nd(input, tuple(int(p) for p in pad), 0 if value is None else value)
