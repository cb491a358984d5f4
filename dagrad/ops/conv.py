"""Convolution and pooling over 1, 2 or 3 spatial dims: one GEMM per layer on strided views.

Note [Convolution as three closed ops]
``_convolution`` (y = conv(x, w)) has two derivative ops, and the three differentiate into each
other, so every order of derivative is exact:
    _conv_input_grad(g, w)   = the adjoint of conv in x (a transposed convolution)
    _conv_weight_grad(x, g)  = the adjoint of conv in w
    d/dg  _conv_input_grad(g, w)  = conv(gg, w);   d/dw = _conv_weight_grad(gg, g)
    d/dx  _conv_weight_grad(x, g) = _conv_input_grad(g, gg);   d/dg = conv(x, gg)
The forward is an im2col GEMM: ``_im2col`` copies the (N, C, *kernel, *out) columns with one
strided copy per kernel offset (rows of the output's width), and ``matmul`` contracts them with
the weight, one GEMM per sample, straight into NCHW. The weight gradient rebuilds the columns and
sums the per-sample GEMMs; the input gradient adds the GEMM's columns back with one add per
kernel offset (for stride 1 as one long run per channel, ``_conv_input_grad_flat``). Never a loop
over pixels. Max pooling is a running maximum over the kernel offsets that keeps the flat index
of each maximum; its backward scatters by index (a ``bincount`` where windows overlap).
"""
from __future__ import annotations

import math
import threading
import weakref

import numpy as np
from numpy.lib.stride_tricks import as_strided, sliding_window_view

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


def _im2col(x: np.ndarray, ks: tuple, stride: tuple, padding: tuple, dilation: tuple,
            out_sp: tuple | None = None, reuse: bool = False) -> np.ndarray:
    """The (N, C, *ks, *out) columns of ``x``: one strided copy per kernel offset.

    Kernel offsets lead and output positions trail, so each copy moves rows of the output's
    width (a ``sliding_window_view`` copied as a whole moves rows of the kernel's width, several
    times slower). ``out_sp`` trims the output positions (a gradient smaller than the full
    output, from ``ceil_mode``-like shapes). ``reuse``: return this thread's scratch buffer as
    it is when it still holds these very columns (Note [Reused columns])."""
    tag = (x.shape, x.strides, x.dtype, x.__array_interface__["data"][0], tuple(ks),
           tuple(stride), tuple(padding), tuple(dilation))
    if reuse:
        cols = _SCRATCH.lookup(tag, x)
        if cols is not None and (out_sp is None or cols.shape[2 + len(ks):] == tuple(out_sp)):
            return cols
    src = x
    if any(padding):
        x = np.pad(x, [(0, 0), (0, 0)] + [(p, p) for p in padding])
    for size, k, dl in zip(x.shape[2:], ks, dilation, strict=True):
        if size < dl * (k - 1) + 1:
            raise RuntimeError(
                f"Calculated padded input size per channel: ({' x '.join(map(str, x.shape[2:]))})."
                f" Kernel size: ({' x '.join(map(str, ks))}). Kernel size can't be greater than "
                "actual input size")
    if out_sp is None:
        out_sp = tuple((n - dl * (k - 1) - 1) // s + 1 for n, k, s, dl in
                       zip(x.shape[2:], ks, stride, dilation, strict=True))
    cols = _scratch(x.shape[:2] + tuple(ks) + tuple(out_sp), x.dtype)
    lead = (slice(None), slice(None))
    for kidx in np.ndindex(*ks):
        cols[lead + kidx] = x[lead + tuple(
            slice(k * dl, k * dl + s * (o - 1) + 1, s)
            for k, dl, s, o in zip(kidx, dilation, stride, out_sp, strict=True))]
    _SCRATCH.remember(cols, tag, src)
    return cols


# Note [Scratch columns]
# The im2col columns live only inside one kernel call (the forward's GEMM, the weight gradient's
# GEMM), and at kernel-volume times the input they are the largest temporaries of a CNN step.
# Allocated afresh each call, glibc hands such blocks back to the system and takes them again,
# a page fault per 4 KiB every step (~900 per LeNet step, 10-20% of it). So each thread keeps its
# last few column buffers and reuses one of the same shape and dtype. Safe because no kernel
# calls another convolution while its columns are in use, and nothing returned aliases them.
SCRATCH_BYTES = 64 * 2 ** 20      # buffers larger than this are not kept
_SCRATCH_KEEP = 4                 # buffers kept per thread


#
# Note [Reused columns]
# The weight gradient needs the columns of the forward's input again. Kept from the forward in a
# buffer of their own they cost page faults (see _conv_weight_grad_np); rebuilt they cost a copy
# as long as the forward's (a third of LeNet's second convolution). So the forward labels its
# scratch buffer with what it holds (the input array, alive, by identity, and the geometry), and
# the weight gradient takes the buffer as it is when the label still matches: nothing else has
# used the buffer since, and the input is the same array. Any other use of the buffer clears the
# label. The input cannot have changed through dagrad: an in-place op bumps its version and
# backward raises before the formula runs. Writes that bypass the version counter (through
# ``.data`` or a NumPy view) between forward and backward are not seen, as PyTorch leaves
# such writes unspecified. The forward itself always rebuilds its columns.


class _Scratch(threading.local):
    def __init__(self) -> None:
        self.bufs: dict = {}
        self.labels: dict = {}

    def remember(self, buf: np.ndarray, tag: tuple, src: np.ndarray) -> None:
        self.labels[(buf.shape, buf.dtype)] = (tag, weakref.ref(src))

    def lookup(self, tag: tuple, src: np.ndarray) -> np.ndarray | None:
        for key, (t, ref) in self.labels.items():
            if t == tag and ref() is src:
                return self.bufs.get(key)
        return None


_SCRATCH = _Scratch()


def _scratch(shape: tuple, dtype: np.dtype) -> np.ndarray:
    bufs = _SCRATCH.bufs
    key = (shape, dtype)
    _SCRATCH.labels.pop(key, None)
    buf = bufs.pop(key, None)
    if buf is None:
        buf = np.empty(shape, dtype=dtype)
        if buf.nbytes > SCRATCH_BYTES:
            return buf
        while len(bufs) >= _SCRATCH_KEEP:
            _SCRATCH.labels.pop(next(iter(bufs)), None)
            bufs.pop(next(iter(bufs)))                  # the least recently used
    bufs[key] = buf
    return buf


def _out_size(n: int, k: int, s: int, p: int, dl: int) -> int:
    return (n + 2 * p - dl * (k - 1) - 1) // s + 1


def _groups(G: int, n: int) -> list:
    size = n // G
    return [slice(gi * size, (gi + 1) * size) for gi in range(G)]


def _conv_forward(x, w, stride, padding, dilation, groups):
    N = x.shape[0]
    O = w.shape[0]
    cols = _im2col(x, w.shape[2:], stride, padding, dilation)      # (N, C, *ks, *out)
    out_sp = cols.shape[w.ndim:]
    P = math.prod(out_sp)
    if groups == 1:
        out = np.matmul(w.reshape(O, -1), cols.reshape(N, -1, P))    # one GEMM per sample
    else:
        out = np.concatenate([np.matmul(w[og].reshape(O // groups, -1), cols[:, cg].reshape(N, -1, P))
                              for cg, og in zip(_groups(groups, x.shape[1]), _groups(groups, O),
                                                strict=True)], axis=1)
    return out.reshape((N, O) + tuple(out_sp))


def _conv_input_grad_np(g, w, input_shape, stride, padding, dilation, groups):
    N, C = input_shape[:2]
    padded = tuple(n + 2 * p for n, p in zip(input_shape[2:], padding, strict=True))
    lead = (slice(None), slice(None))
    if all(s == 1 for s in stride) and np.isfinite(w).all():
        gx = _conv_input_grad_flat(g, w, N, C, padded, dilation, groups)
    else:
        gx = _conv_input_grad_strided(g, w, N, C, padded, stride, dilation, groups)
    if not any(padding):
        return gx
    crop = lead + tuple(slice(p, p + n) for p, n in zip(padding, input_shape[2:], strict=True))
    return np.ascontiguousarray(gx[crop])


def _conv_input_grad_flat(g, w, N, C, padded, dilation, groups):
    """Stride 1, on the flattened padded input. The gradient is laid out on the input's row
    pitch (zeros past each output row), so a kernel offset's contribution is one long run per
    (sample, channel) at one shift, carried across row ends harmlessly (finite weights only:
    inf * 0 is NaN). The offsets along the last kernel dim are folded into the GEMM: the
    gradient is stacked at each of their shifts, so each remaining offset (kh of them for 2-D)
    is one GEMM and one add, instead of kh * kw adds of the GEMM's columns."""
    O = w.shape[0]
    ks = w.shape[2:]
    out_sp = g.shape[2:]
    kl, dl = ks[-1], dilation[-1]
    pitch = [math.prod(padded[i + 1:]) for i in range(len(padded))]
    run = sum((o - 1) * p for o, p in zip(out_sp, pitch, strict=True)) + 1
    span = run + (kl - 1) * dl
    isz = g.dtype.itemsize
    dt = np.result_type(g, w)
    # stacked[n, o, j, q] = g laid out on the pitch, shifted by j * dl
    gw = np.zeros((N, O, run), dtype=g.dtype)
    as_strided(gw, (N, O) + tuple(out_sp), (O * run * isz, run * isz) +
               tuple(p * isz for p in pitch))[...] = g
    stacked = np.zeros((N, O, kl, span), dtype=g.dtype)
    for j in range(kl):
        stacked[:, :, j, j * dl:j * dl + run] = gw
    lp = math.prod(padded)
    gx = np.zeros((N, C, lp + (kl - 1) * dl), dtype=dt)
    for cg, og in zip(_groups(groups, C), _groups(groups, O), strict=True):
        wg = w[og]
        rhs = stacked[:, og].reshape(N, -1, span)                   # (N, O/G * kl, span)
        target = gx[:, cg]
        for lead in np.ndindex(*ks[:-1]):
            off = sum(k * d * p for k, d, p in zip(lead, dilation[:-1], pitch[:-1], strict=True))
            # lhs[c, o, j] = w[o, c, *lead, j]
            lhs = np.moveaxis(wg[(slice(None), slice(None)) + lead], 0, 1).reshape(
                cg.stop - cg.start, -1)
            target[:, :, off:off + span] += np.matmul(lhs, rhs)
    return gx[:, :, :lp].reshape((N, C) + tuple(padded))


def _conv_input_grad_strided(g, w, N, C, padded, stride, dilation, groups):
    O = w.shape[0]
    ks = w.shape[2:]
    out_sp = g.shape[2:]
    P = math.prod(out_sp)
    gx = np.zeros((N, C) + padded, dtype=np.result_type(g, w))
    g3 = g.reshape(N, O, P)
    lead = (slice(None), slice(None))
    for cg, og in zip(_groups(groups, C), _groups(groups, O), strict=True):
        wg = w[og]
        # the GEMM's columns, (N, C/G, *ks, *out): what each kernel offset adds back
        cols = np.matmul(wg.reshape(wg.shape[0], -1).T, g3[:, og]).reshape(
            (N, cg.stop - cg.start) + tuple(ks) + tuple(out_sp))
        target = gx[:, cg]
        for kidx in np.ndindex(*ks):
            sl = lead + tuple(slice(k * dl, k * dl + s * (o - 1) + 1, s)
                              for k, dl, s, o in zip(kidx, dilation, stride, out_sp, strict=True))
            target[sl] += cols[lead + kidx]
    return gx


def _conv_weight_grad_np(x, g, weight_shape, stride, padding, dilation, groups):
    N = x.shape[0]
    O = weight_shape[0]
    ks = tuple(weight_shape[2:])
    out_sp = g.shape[2:]
    P = math.prod(out_sp)
    # not kept from the forward in a buffer of their own: holding them until backward made glibc
    # return and re-fault the pages every step (1,753 minor faults per B4 step, 35% slower).
    # The forward's scratch buffer is taken as it is when it still holds them (Note [Reused
    # columns]), else they are rebuilt
    cols = _im2col(x, ks, stride, padding, dilation, out_sp, reuse=True)  # (N, C, *ks, *out)
    g3 = g.reshape(N, O, P)
    outs = []
    for cg, og in zip(_groups(groups, x.shape[1]), _groups(groups, O), strict=True):
        c = cols[:, cg].reshape(N, -1, P)
        # one GEMM per sample, summed over the batch: no transposed copy of the columns. As
        # columns @ g^T rather than g @ columns^T: OpenBLAS is ~2x faster with the long side
        # (C*k*k) as rows than with the few output channels (LeNet's second conv: 167 vs 317 us)
        outs.append(np.matmul(c, g3[:, og].transpose(0, 2, 1)).sum(0).T)
    out = outs[0] if groups == 1 else np.concatenate(outs, axis=0)
    return np.ascontiguousarray(out).reshape(weight_shape)


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
    "self": lambda grads, result, self_shape, kernel_size, stride, dilation: _max_pool_backward(
        grads[0], result[1], self_shape, _disjoint(kernel_size, stride, dilation))})
def _max_pool(self, kernel_size, stride, padding, dilation, ceil_mode):
    """Max pooling over the trailing spatial dims; returns (values, flat indices into H*W...).

    A running maximum over the kernel offsets, one strided slice each (kh * kw whole-array
    steps, no per-window argmax). As PyTorch's CPU kernel: the first maximum wins a tie, a NaN
    wins (the last NaN), padding never wins, and a window of -inf points at its first element.
    """
    d = len(kernel_size)
    for p, k in zip(padding, kernel_size, strict=True):
        if p * 2 > k:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got "
                               f"pad={p}, kernel_size={k} and dilation={dilation[0]}")
    is_float = self.dtype.kind == "f"
    fill = -np.inf if is_float else np.iinfo(self.dtype).min
    xp, out_sp = _pool_padded(self, kernel_size, stride, padding, dilation, ceil_mode, fill)
    sp = self.shape[2:]
    row = [math.prod(sp[i + 1:]) for i in range(d)]
    starts = [np.arange(o) * s - p for o, s, p in zip(out_sp, stride, padding, strict=True)]
    # Which kernel offset holds each window's maximum, as a small integer `code` (row-major over
    # the kernel); the flat index is the window origin's plus that offset's. A window starting
    # in the padding begins at its first real element.
    first = 0
    if any(padding):
        for i, (st, dl) in enumerate(zip(starts, dilation, strict=True)):
            shape = [1] * d
            shape[i] = -1
            first = first * kernel_size[i] + (-(-np.maximum(-st, 0) // dl)).reshape(shape)
    codes = list(np.ndindex(*kernel_size))
    code_t = np.int8 if len(codes) < 128 else np.int32
    lead = (slice(None), slice(None))
    views = [xp[lead + tuple(slice(k * dl, k * dl + s * (o - 1) + 1, s) for k, dl, s, o in
                             zip(kidx, dilation, stride, out_sp, strict=True))] for kidx in codes]
    best = code = None
    for nan_aware in (False, True):
        shape = self.shape[:2] + tuple(out_sp)
        if not any(padding):
            # every window starts at a real element: start from the first offset (what the
            # loop's first step would leave), one pass fewer
            best = np.array(views[0], dtype=self.dtype)
            code = np.zeros(shape, dtype=code_t)
        else:
            best = np.full(shape, fill, dtype=self.dtype)
            code = np.empty(shape, dtype=code_t)
            code[...] = first
        for c, v in enumerate(views):
            if c == 0 and not any(padding):
                continue
            m = v > best
            if nan_aware:
                m |= np.isnan(v)
            # branch-free updates (a masked copy mispredicts on random data, several times
            # slower); maximum() propagates NaN as PyTorch's kernel does
            np.maximum(best, v, out=best)
            step = code_t(c) - code
            step *= m
            code += step
        # the first pass ignores NaN (the common case costs nothing); redo if a window had one
        if not is_float or not np.isnan(best).any():
            break
    origin = 0
    for i, st in enumerate(starts):
        shape = [1] * d
        shape[i] = -1
        origin = origin + (st * row[i]).reshape(shape)
    offsets = np.array([sum(k * dl * r for k, dl, r in zip(kidx, dilation, row, strict=True))
                        for kidx in codes], dtype=np.int64)
    idx = offsets.take(code)
    idx += origin
    return best, idx


def _disjoint(kernel_size, stride, dilation) -> bool:
    """No two windows share an input element, so no two maxima share an index."""
    return all(s >= dl * (k - 1) + 1 for k, s, dl in zip(kernel_size, stride, dilation,
                                                          strict=True))


def _pool_padded(x, ks, stride, padding, dilation, ceil_mode, fill):
    """``x`` padded with ``fill`` (and on the right for ceil_mode's last window), and the
    output's spatial size."""
    out_sp, extra = [], []
    for n, k, s, p, dl in zip(x.shape[2:], ks, stride, padding, dilation, strict=True):
        o = _pool_out(n, k, s, p, dl, ceil_mode)
        out_sp.append(o)
        extra.append(max((o - 1) * s + dl * (k - 1) + 1 - (n + 2 * p), 0))
    if any(padding) or any(extra):
        x = np.pad(x, [(0, 0), (0, 0)] + [(p, p + e) for p, e in zip(padding, extra, strict=True)],
                   constant_values=fill)
    for size, k, dl in zip(x.shape[2:], ks, dilation, strict=True):
        if size < dl * (k - 1) + 1 or min(out_sp) < 1:
            _windows(x, ks, stride, (0,) * len(ks), dilation)      # raises PyTorch's error
    return x, tuple(out_sp)


@defop(node="MaxPool2DWithIndicesBackwardBackward0", tensors=("indices",),
       grads={"g": lambda grad, indices: _take_indices(grad, indices)})
def _max_pool_backward(g, indices, self_shape, disjoint=False):
    N, C = self_shape[:2]
    hw = math.prod(self_shape[2:])
    rows = (np.arange(N * C).reshape(N, C) * hw).reshape((N, C) + (1,) * (indices.ndim - 2))
    flat = (indices + rows).reshape(-1)
    if disjoint:
        # non-overlapping windows (stride >= kernel): each input element gets at most one
        out = np.zeros(N * C * hw, dtype=g.dtype)
        out[flat] = g.reshape(-1)
        return out.reshape(self_shape)
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
        return float(math.prod(ks))
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
