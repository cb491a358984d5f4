"""Convolution and pooling over 1, 2 or 3 spatial dims: one GEMM per layer on strided views.

Note [Convolution as three closed ops]
``_convolution`` (y = conv(x, w)) has two derivative ops, and the three differentiate into each
other, so every order of derivative is exact:
    _conv_input_grad(g, w)   = the adjoint of conv in x (a transposed convolution)
    _conv_weight_grad(x, g)  = the adjoint of conv in w
    d/dg  _conv_input_grad(g, w)  = conv(gg, w);   d/dw = _conv_weight_grad(gg, g)
    d/dx  _conv_weight_grad(x, g) = _conv_input_grad(g, gg);   d/dg = conv(x, gg)
The forward is an im2col GEMM: ``sliding_window_view`` gives the (N, C, *out, *kernel) windows as
a strided view, and one ``tensordot`` contracts them with the weight. The input gradient adds the
GEMM's columns back with one strided add per kernel offset (kh * kw adds, never a loop over
pixels). Max pooling keeps the flat index of each maximum; its backward is a ``bincount``.
"""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from dagrad.ops._registry import defop

# --------------------------------------------------------------------------- helpers


def _windows(x: np.ndarray, ks: tuple, stride: tuple, padding: tuple,
             dilation: tuple) -> np.ndarray:
    """(N, C, *out, *ks) strided view of the padded input."""
    d = len(ks)
    if any(padding):
        x = np.pad(x, [(0, 0), (0, 0)] + [(p, p) for p in padding])
    eff = tuple(dl * (k - 1) + 1 for k, dl in zip(ks, dilation, strict=True))
    for size, e, k in zip(x.shape[2:], eff, ks, strict=True):
        if size < e:
            raise RuntimeError(
                f"Calculated padded input size per channel: ({' x '.join(map(str, x.shape[2:]))})."
                f" Kernel size: ({' x '.join(map(str, ks))}). Kernel size can't be greater than "
                "actual input size")
    win = sliding_window_view(x, eff, axis=tuple(range(2, 2 + d)))
    sl = (slice(None),) * 2 + tuple(slice(None, None, s) for s in stride) + \
        tuple(slice(None, None, dl) for dl in dilation)
    return win[sl]


def _out_size(n: int, k: int, s: int, p: int, dl: int) -> int:
    return (n + 2 * p - dl * (k - 1) - 1) // s + 1


def _conv_forward(x, w, stride, padding, dilation, groups):
    d = w.ndim - 2
    G = groups
    cg, og = x.shape[1] // G, w.shape[0] // G
    outs = []
    for gi in range(G):
        xg = x[:, gi * cg:(gi + 1) * cg] if G > 1 else x
        wg = w[gi * og:(gi + 1) * og] if G > 1 else w
        win = _windows(xg, wg.shape[2:], stride, padding, dilation)
        axes_w = [1] + list(range(2 + d, 2 + 2 * d))
        out = np.tensordot(win, wg, axes=(axes_w, [1] + list(range(2, 2 + d))))  # (N,*O,og)
        outs.append(np.moveaxis(out, -1, 1))
    out = outs[0] if G == 1 else np.concatenate(outs, axis=1)
    return np.ascontiguousarray(out)


def _conv_input_grad_np(g, w, input_shape, stride, padding, dilation, groups):
    d = w.ndim - 2
    G = groups
    N, C = input_shape[:2]
    cg, og = C // G, w.shape[0] // G
    ks = w.shape[2:]
    out_sp = g.shape[2:]
    padded = tuple(n + 2 * p for n, p in zip(input_shape[2:], padding, strict=True))
    gx = np.zeros((N, C) + padded, dtype=np.result_type(g, w))
    for gi in range(G):
        gg = g[:, gi * og:(gi + 1) * og] if G > 1 else g
        wg = w[gi * og:(gi + 1) * og] if G > 1 else w
        cols = np.tensordot(gg, wg, axes=([1], [0]))          # (N, *out, cg, *ks)
        cols = np.moveaxis(cols, 1 + d, 1)                      # (N, cg, *out, *ks)
        target = gx[:, gi * cg:(gi + 1) * cg] if G > 1 else gx
        for kidx in np.ndindex(*ks):
            sl = (slice(None), slice(None)) + tuple(
                slice(k * dl, k * dl + s * (o - 1) + 1, s)
                for k, dl, s, o in zip(kidx, dilation, stride, out_sp, strict=True))
            target[sl] += cols[(Ellipsis,) + kidx]
    crop = (slice(None), slice(None)) + tuple(slice(p, p + n) for p, n in
                                               zip(padding, input_shape[2:], strict=True))
    return np.ascontiguousarray(gx[crop])


def _conv_weight_grad_np(x, g, weight_shape, stride, padding, dilation, groups):
    d = len(weight_shape) - 2
    G = groups
    cg, og = x.shape[1] // G, weight_shape[0] // G
    ks = tuple(weight_shape[2:])
    outs = []
    for gi in range(G):
        xg = x[:, gi * cg:(gi + 1) * cg] if G > 1 else x
        gg = g[:, gi * og:(gi + 1) * og] if G > 1 else g
        win = _windows(xg, ks, stride, padding, dilation)     # (N, cg, *out, *ks)
        # trim windows to the gradient's spatial size (ceil effects)
        win = win[(slice(None), slice(None)) + tuple(slice(0, o) for o in gg.shape[2:])]
        axes = [0] + list(range(2, 2 + d))
        outs.append(np.tensordot(gg, win, axes=(axes, axes)))  # (og, cg, *ks)
    return np.ascontiguousarray(outs[0] if G == 1 else np.concatenate(outs, axis=0))


def _bias_grad(grad, input):
    return grad.sum([0] + list(range(2, grad.dim())))


# --------------------------------------------------------------------------- the three conv ops


@defop(node="ConvolutionBackward0", grads={
    "input": lambda grad, weight, input_shape, stride, padding, dilation, groups:
        _conv_input_grad(grad, weight, input_shape, stride, padding, dilation, groups),
    "weight": lambda grad, input, weight_shape, stride, padding, dilation, groups:
        _conv_weight_grad(input, grad, weight_shape, stride, padding, dilation, groups),
    "bias": lambda grad, input: _bias_grad(grad, input),
})
def _convolution(input, weight, bias, stride, padding, dilation, groups):
    """N-d convolution (cross-correlation) of (N, C, *S) with (O, C/groups, *K) -> (N, O, *S')."""
    d = weight.ndim - 2
    if input.ndim != d + 2:
        raise RuntimeError(
            f"Expected {d + 1}D (unbatched) or {d + 2}D (batched) input to conv{d}d, but got "
            f"input of size: {list(input.shape)}")
    if input.shape[1] != weight.shape[1] * groups:
        raise RuntimeError(
            f"Given groups={groups}, weight of size {list(weight.shape)}, expected input"
            f"{list(input.shape)} to have {weight.shape[1] * groups} channels, but got "
            f"{input.shape[1]} channels instead")
    if input.dtype != weight.dtype:
        raise RuntimeError(f"Input type ({_tname(input)}) and weight type ({_tname(weight)}) "
                           "should be the same")
    out = _conv_forward(input, weight, stride, padding, dilation, groups)
    if bias is not None:
        out += bias.reshape((1, -1) + (1,) * d)
    return out


def _tname(a: np.ndarray) -> str:
    return {"float32": "float", "float64": "double"}.get(a.dtype.name, a.dtype.name)


@defop(node="ConvolutionBackwardBackward0", grads={
    "g": lambda grad, weight, stride, padding, dilation, groups:
        _convolution(grad, weight, None, stride, padding, dilation, groups),
    "weight": lambda grad, g, weight_shape, stride, padding, dilation, groups:
        _conv_weight_grad(grad, g, weight_shape, stride, padding, dilation, groups),
})
def _conv_input_grad(g, weight, input_shape, stride, padding, dilation, groups):
    """The transposed convolution: the gradient of conv w.r.t. its input."""
    return _conv_input_grad_np(g, weight, tuple(input_shape), stride, padding, dilation, groups)


@defop(node="ConvolutionBackwardBackward1", grads={
    "input": lambda grad, g, input_shape, stride, padding, dilation, groups:
        _conv_input_grad(g, grad, input_shape, stride, padding, dilation, groups),
    "g": lambda grad, input, stride, padding, dilation, groups:
        _convolution(input, grad, None, stride, padding, dilation, groups),
})
def _conv_weight_grad(input, g, weight_shape, stride, padding, dilation, groups):
    """The gradient of conv w.r.t. its weight."""
    return _conv_weight_grad_np(input, g, tuple(weight_shape), stride, padding, dilation, groups)


# --------------------------------------------------------------------------- padding


@defop(node="ConstantPadNdBackward0", grads={"input": lambda grad, pad: _unpad(grad, pad)})
def constant_pad_nd(input, pad, value=0):
    """Pad the last ``len(pad) // 2`` dims: ``pad = (left_last, right_last, left_prev, ...)``;
    negative amounts crop."""
    if len(pad) % 2:
        raise RuntimeError("Length of pad must be even but instead it equals " + str(len(pad)))
    n = len(pad) // 2
    if n > input.ndim:
        raise RuntimeError(f"Length of pad should be no more than twice the number of dimensions "
                           f"of the input. Pad length is {len(pad)} while the input has "
                           f"{input.ndim} dimensions.")
    widths = [(0, 0)] * (input.ndim - n) + [(pad[2 * i], pad[2 * i + 1])
                                             for i in reversed(range(n))]
    pos = [(max(a, 0), max(b, 0)) for a, b in widths]
    out = np.pad(input, pos, constant_values=value)
    crop = tuple(slice(-min(a, 0), out.shape[i] - (-min(b, 0)))
                 for i, (a, b) in enumerate(widths))
    return np.ascontiguousarray(out[crop])


def _unpad(grad, pad):
    return constant_pad_nd(grad, tuple(-p for p in pad))


# --------------------------------------------------------------------------- pooling


def _pool_windows(x, ks, stride, padding, dilation, ceil_mode, fill):
    d = len(ks)
    extra = []
    for n, k, s, p, dl in zip(x.shape[2:], ks, stride, padding, dilation, strict=True):
        o = _pool_out(n, k, s, p, dl, ceil_mode)
        need = (o - 1) * s + dl * (k - 1) + 1 - (n + 2 * p)
        extra.append(max(need, 0))
    pads = [(0, 0), (0, 0)] + [(p, p + e) for p, e in zip(padding, extra, strict=True)]
    xp = np.pad(x, pads, constant_values=fill) if any(padding) or any(extra) else x
    win = _windows(xp, ks, stride, (0,) * d, dilation)
    return win, xp.shape


def _pool_out(n, k, s, p, dl, ceil_mode):
    num = n + 2 * p - dl * (k - 1) - 1
    o = (-(-num // s) if ceil_mode else num // s) + 1
    if ceil_mode and (o - 1) * s >= n + p:
        o -= 1
    return o


@defop(node="MaxPool2DWithIndicesBackward0", outputs=2, nondiff_outputs=(1,), grads={
    "self": lambda grads, result, self_shape: _max_pool_backward(grads[0], result[1],
                                                                 self_shape)})
def _max_pool(self, kernel_size, stride, padding, dilation, ceil_mode):
    """Max pooling over the trailing spatial dims; returns (values, flat indices into H*W...)."""
    d = len(kernel_size)
    for p, k in zip(padding, kernel_size, strict=True):
        if p * 2 > k:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got "
                               f"pad={p}, kernel_size={k} and dilation={dilation[0]}")
    fill = -np.inf if self.dtype.kind == "f" else np.iinfo(self.dtype).min
    win, pshape = _pool_windows(self, kernel_size, stride, padding, dilation, ceil_mode, fill)
    N, C = self.shape[:2]
    out_sp = win.shape[2:2 + d]
    flat = win.reshape(win.shape[:2 + d] + (-1,))
    arg = np.argmax(flat, axis=-1)
    vals = np.take_along_axis(flat, arg[..., None], axis=-1)[..., 0]
    # flat index of each max in the unpadded input (PyTorch's convention)
    koff = np.unravel_index(arg, kernel_size)
    coords = []
    for i in range(d):
        base = np.arange(out_sp[i]) * stride[i]
        shape = [1] * d
        shape[i] = out_sp[i]
        coords.append(base.reshape(shape) + koff[i] * dilation[i] - padding[i])
    idx = np.ravel_multi_index(tuple(coords), self.shape[2:], mode="clip")
    return np.ascontiguousarray(vals), idx.astype(np.int64)


@defop(node="MaxPool2DWithIndicesBackwardBackward0", tensors=("indices",),
       grads={"g": lambda grad, indices: _take_indices(grad, indices)})
def _max_pool_backward(g, indices, self_shape):
    N, C = self_shape[:2]
    hw = int(np.prod(self_shape[2:]))
    rows = (np.arange(N * C).reshape(N, C) * hw).reshape((N, C) + (1,) * (indices.ndim - 2))
    flat = (indices + rows).reshape(-1)
    out = np.bincount(flat, weights=g.reshape(-1).astype(np.float64), minlength=N * C * hw)
    return out.astype(g.dtype).reshape(self_shape)


@defop(node="TakeIndicesBackward0", tensors=("indices",), grads={
    "input": lambda grad, indices, input_shape: _max_pool_backward(grad, indices, input_shape)})
def _take_indices(input, indices):
    N, C = input.shape[:2]
    flat = input.reshape(N, C, -1)
    return np.take_along_axis(flat, indices.reshape(N, C, -1), axis=-1).reshape(indices.shape)


@defop(node="AvgPool2DBackward0", grads={
    "self": lambda grad, self_shape, kernel_size, stride, padding, ceil_mode, count_include_pad,
    divisor_override: _avg_pool_backward(grad, self_shape, kernel_size, stride, padding,
                                         ceil_mode, count_include_pad, divisor_override)})
def _avg_pool(self, kernel_size, stride, padding, ceil_mode, count_include_pad,
              divisor_override):
    """Average pooling over the trailing spatial dims."""
    d = len(kernel_size)
    win, _ = _pool_windows(self, kernel_size, stride, padding, (1,) * d, ceil_mode, 0)
    axes = tuple(range(2 + d, 2 + 2 * d))
    total = win.sum(axis=axes)
    div = _avg_divisor(self.shape, kernel_size, stride, padding, ceil_mode, count_include_pad,
                       divisor_override, total.shape[2:])
    return np.ascontiguousarray(total / div).astype(self.dtype)


def _avg_divisor(shape, ks, stride, padding, ceil_mode, count_include_pad, divisor_override,
                 out_sp):
    if divisor_override:
        return divisor_override
    d = len(ks)
    if count_include_pad and not ceil_mode:
        return float(np.prod(ks))
    # per-window counts of valid (or padded-but-in-range) elements
    counts = np.ones((1,) * d)
    for i in range(d):
        start = np.arange(out_sp[i]) * stride[i] - padding[i]
        end = np.minimum(start + ks[i], shape[2 + i] + (padding[i] if count_include_pad else 0))
        lo = start if count_include_pad else np.maximum(start, 0)
        c = (end - lo).astype(np.float64)
        sh = [1] * d
        sh[i] = out_sp[i]
        counts = counts * c.reshape(sh)
    return counts


@defop(node="AvgPool2DBackwardBackward0", grads={
    "g": lambda grad, self_shape, kernel_size, stride, padding, ceil_mode, count_include_pad,
    divisor_override: _avg_pool(grad, kernel_size, stride, padding, ceil_mode, count_include_pad,
                                divisor_override)})
def _avg_pool_backward(g, self_shape, kernel_size, stride, padding, ceil_mode,
                       count_include_pad, divisor_override):
    d = len(kernel_size)
    div = _avg_divisor(self_shape, kernel_size, stride, padding, ceil_mode, count_include_pad,
                       divisor_override, g.shape[2:])
    gd = g / div
    padded = [n + 2 * p for n, p in zip(self_shape[2:], padding, strict=True)]
    ext = [max(padded[i], (g.shape[2 + i] - 1) * stride[i] + kernel_size[i]) for i in range(d)]
    gx = np.zeros(tuple(self_shape[:2]) + tuple(ext), dtype=g.dtype)
    for kidx in np.ndindex(*kernel_size):
        sl = (slice(None), slice(None)) + tuple(
            slice(k, k + s * (o - 1) + 1, s)
            for k, s, o in zip(kidx, stride, g.shape[2:], strict=True))
        gx[sl] += gd
    crop = (slice(None), slice(None)) + tuple(slice(p, p + n) for p, n in
                                               zip(padding, self_shape[2:], strict=True))
    return np.ascontiguousarray(gx[crop])
