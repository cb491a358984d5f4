"""``nn.functional`` attention: ``scaled_dot_product_attention`` and
``multi_head_attention_forward``, as PyTorch computes them (the same ops in the same order, so
values agree to rounding and state_dicts of ``nn.MultiheadAttention`` load either way).

Note [Attention masks]
A boolean mask marks with True what a query may attend to in ``scaled_dot_product_attention``,
but what it may *not* attend to in ``MultiheadAttention`` (``key_padding_mask``, ``attn_mask``);
both are turned into additive float masks holding 0 or -inf (``_canonical_mask``). A query whose
keys are all masked gets a zero output and zero gradients, not NaN (``_safe_softmax``).

Note [Fused attention on the CPU]
For 4-D inputs with equal head dims, no dropout and a mask that needs no gradient, PyTorch runs
a fused kernel whose node is ``ScaledDotProductFlashAttentionForCpuBackward0``; dagrad records
the same node (an op whose derivative formulas are written in dagrad ops, so it differentiates
twice). Otherwise both run the composite "math" path: matmul, softmax, dropout, matmul.
"""
from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from dagrad import _dtypes
from dagrad._tensor import Tensor
from dagrad.ops import nn_ops


_CPP_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half",
              "int64": "long int", "int32": "int", "bool": "bool"}


def _dname(dtype: Any) -> str:
    """The C++ name PyTorch's attention messages print for a dtype (``float``, ``double``)."""
    return _CPP_NAMES.get(dtype.name, dtype.name)


def _none_or_dtype(input: Tensor | None) -> Any:
    if input is None:
        return None
    if isinstance(input, Tensor):
        return input.dtype
    raise RuntimeError("input to _none_or_dtype() must be None or dagrad.Tensor")


def _canonical_mask(mask: Tensor | None, mask_name: str, other_type: Any, other_name: str,
                    target_type: Any, check_other: bool = True) -> Tensor | None:
    """A bool mask (True = masked out) -> a float mask of 0 / -inf (Note [Attention masks])."""
    if mask is None:
        return None
    is_float = mask.is_floating_point()
    if mask.dtype != _dtypes.bool_ and not is_float:
        raise AssertionError(f"only bool and floating types of {mask_name} are supported")
    if check_other and other_type is not None and mask.dtype != other_type:
        warnings.warn(f"Support for mismatched {mask_name} and {other_name} is deprecated. Use "
                      "same type for both instead.", stacklevel=3)
    if not is_float:
        return Tensor._make(np.where(mask._data, -np.inf, 0.0).astype(target_type.np))
    return mask


# --------------------------------------------------------------------------- sdpa


def _sdpa_bias(attn_mask: Tensor | None, is_causal: bool, L: int, S: int,
               dtype: Any) -> Tensor | None:
    """The additive float mask of ``scaled_dot_product_attention`` (True = may attend)."""
    bias = None
    if attn_mask is not None:
        if attn_mask.dtype == _dtypes.bool_:
            bias = Tensor._make(np.where(attn_mask._data, 0.0, -np.inf).astype(dtype.np))
        else:
            bias = attn_mask
    if is_causal:
        causal = Tensor._make(np.where(np.tri(L, S, dtype=bool), 0.0, -np.inf).astype(dtype.np))
        bias = causal if bias is None else bias + causal
    return bias


def _fused_ok(query: Tensor, key: Tensor, value: Tensor, attn_mask: Tensor | None,
              dropout_p: float) -> bool:
    """Whether PyTorch would pick its fused CPU kernel (Note [Fused attention on the CPU])."""
    if not (query.dim() == key.dim() == value.dim() == 4) or dropout_p > 0.0:
        return False
    if not (query.shape[-1] == key.shape[-1] == value.shape[-1]):
        return False
    b, h, L = query.shape[0], query.shape[1], query.shape[2]
    S = key.shape[2]
    if not (key.shape[0] == value.shape[0] == b and key.shape[1] == value.shape[1] == h):
        return False
    if L == 0 or S == 0:
        return False
    if attn_mask is not None:
        if attn_mask.requires_grad:
            return False
        if attn_mask.shape[-2] not in (L, 1) or attn_mask.shape[-1] not in (S, 1):
            return False
        if attn_mask.dim() == 4:
            return attn_mask.shape[0] in (1, b) and attn_mask.shape[1] in (1, h)
        return attn_mask.dim() == 2
    return True


def _repeat_heads(t: Tensor, rep: int) -> Tensor:
    """``t.repeat_interleave(rep, dim=-3)``."""
    if rep == 1:
        return t
    shape = tuple(t.shape)
    lead, h, rest = shape[:-3], shape[-3], shape[-2:]
    return t.unsqueeze(-3).expand(*lead, h, rep, *rest).reshape(*lead, h * rep, *rest)


def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor,
                                 attn_mask: Tensor | None = None, dropout_p: float = 0.0,
                                 is_causal: bool = False, scale: float | None = None,
                                 enable_gqa: bool = False) -> Tensor:
    """``softmax(query @ key^T * scale + mask) @ value``, with dropout on the weights.

    ``attn_mask``: bool (True = may attend) or an additive float mask, broadcasting to
    (*, L, S); ``is_causal``: query i sees keys 0..i (top-left aligned); ``scale`` defaults to
    ``1 / sqrt(E)``; ``enable_gqa`` lets key/value have fewer heads than query.

    Shape:
        query (*, L, E), key (*, S, E), value (*, S, Ev) -> (*, L, Ev)

    Example:
        >>> q = dagrad.ones(1, 1, 2, 4)
        >>> F.scaled_dot_product_attention(q, q, q).shape
        dagrad.Size([1, 1, 2, 4])
    """
    if not (query.dtype == key.dtype == value.dtype):
        raise RuntimeError("Expected query, key, and value to have the same dtype, but got "
                           f"query.dtype: {_dname(query.dtype)} key.dtype: {_dname(key.dtype)} "
                           f"and value.dtype: {_dname(value.dtype)} instead.")
    if query.dim() < 2 or key.dim() < 2 or value.dim() < 2:
        raise RuntimeError("Expected query, key, and value to all be  at least 2 dimensional, "
                           f"but got query.dim: {query.dim()} key.dim: {key.dim()} and "
                           f"value.dim: {value.dim()} instead.")
    L, S = query.shape[-2], key.shape[-2]
    scale_factor = 1 / math.sqrt(query.shape[-1]) if scale is None else scale
    if enable_gqa and query.dim() >= 3 and key.shape[-3] != query.shape[-3]:
        key = _repeat_heads(key, query.shape[-3] // key.shape[-3])
        value = _repeat_heads(value, query.shape[-3] // value.shape[-3])
    bias = _sdpa_bias(attn_mask, is_causal, L, S, query.dtype)
    if _fused_ok(query, key, value, attn_mask, dropout_p):
        return nn_ops._scaled_dot_product_flash_attention_for_cpu(query, key, value, bias,
                                                                  scale_factor)
    # the math path: PyTorch scales q and k by sqrt(scale) each
    root = math.sqrt(scale_factor)
    attn = (query * root).matmul(key.transpose(-2, -1) * root)
    if bias is not None:
        attn = attn + bias
    attn = nn_ops._safe_softmax(attn, -1)
    if dropout_p > 0.0:
        from dagrad.nn.functional import dropout
        attn = dropout(attn, dropout_p, True)
    return attn.matmul(value)


# --------------------------------------------------------------------------- multi-head attention


def _mha_shape_check(query: Tensor, key: Tensor, value: Tensor,
                     key_padding_mask: Tensor | None, attn_mask: Tensor | None,
                     num_heads: int) -> bool:
    if query.dim() == 3:
        if key.dim() != 3 or value.dim() != 3:
            raise AssertionError("For batched (3-D) `query`, expected `key` and `value` to be 3-D "
                                 f"but found {key.dim()}-D and {value.dim()}-D tensors "
                                 "respectively")
        if key_padding_mask is not None and key_padding_mask.dim() != 2:
            raise AssertionError("For batched (3-D) `query`, expected `key_padding_mask` to be "
                                 f"`None` or 2-D but found {key_padding_mask.dim()}-D tensor "
                                 "instead")
        if attn_mask is not None and attn_mask.dim() not in (2, 3):
            raise AssertionError("For batched (3-D) `query`, expected `attn_mask` to be `None`, "
                                 f"2-D or 3-D but found {attn_mask.dim()}-D tensor instead")
        return True
    if query.dim() == 2:
        if key.dim() != 2 or value.dim() != 2:
            raise AssertionError("For unbatched (2-D) `query`, expected `key` and `value` to be "
                                 f"2-D but found {key.dim()}-D and {value.dim()}-D tensors "
                                 "respectively")
        if key_padding_mask is not None and key_padding_mask.dim() != 1:
            raise AssertionError("For unbatched (2-D) `query`, expected `key_padding_mask` to be "
                                 f"`None` or 1-D but found {key_padding_mask.dim()}-D tensor "
                                 "instead")
        if attn_mask is not None:
            if attn_mask.dim() not in (2, 3):
                raise AssertionError("For unbatched (2-D) `query`, expected `attn_mask` to be "
                                     f"`None`, 2-D or 3-D but found {attn_mask.dim()}-D tensor "
                                     "instead")
            if attn_mask.dim() == 3:
                expected = (num_heads, query.shape[0], key.shape[0])
                if tuple(attn_mask.shape) != expected:
                    raise AssertionError(f"Expected `attn_mask` shape to be {expected} but got "
                                         f"{attn_mask.shape}")
        return False
    raise AssertionError("query should be unbatched 2D or batched 3D tensor but received "
                         f"{query.dim()}-D query tensor")


def _linear(x: Tensor, w: Tensor, b: Tensor | None) -> Tensor:
    from dagrad.nn.functional import linear
    return linear(x, w, b)


def _split_packed(proj: Tensor, n: int, e: int) -> list[Tensor]:
    """``proj.unflatten(-1, (n, E)).unsqueeze(0).transpose(0, -2).squeeze(-2).contiguous()``,
    then its n entries."""
    lead = tuple(proj.shape[:-1])
    p = proj.reshape(*lead, n, e).unsqueeze(0).transpose(0, -2).squeeze(-2).contiguous()
    return [p[i] for i in range(n)]


def _in_projection_packed(q: Tensor, k: Tensor, v: Tensor, w: Tensor,
                          b: Tensor | None = None) -> list[Tensor]:
    e = q.shape[-1]
    if k is v:
        if q is k:
            return _split_packed(_linear(q, w, b), 3, e)
        w_q, w_kv = w[:e], w[e:]
        b_q, b_kv = (None, None) if b is None else (b[:e], b[e:])
        return [_linear(q, w_q, b_q)] + _split_packed(_linear(k, w_kv, b_kv), 2, e)
    w_q, w_k, w_v = w[:e], w[e:2 * e], w[2 * e:]
    b_q, b_k, b_v = (None,) * 3 if b is None else (b[:e], b[e:2 * e], b[2 * e:])
    return [_linear(q, w_q, b_q), _linear(k, w_k, b_k), _linear(v, w_v, b_v)]


def _in_projection(q: Tensor, k: Tensor, v: Tensor, w_q: Tensor, w_k: Tensor, w_v: Tensor,
                   b_q: Tensor | None = None, b_k: Tensor | None = None,
                   b_v: Tensor | None = None) -> list[Tensor]:
    eq, ek, ev = q.shape[-1], k.shape[-1], v.shape[-1]
    for name, w, shape in (("query", w_q, (eq, eq)), ("key", w_k, (eq, ek)),
                           ("value", w_v, (eq, ev))):
        if tuple(w.shape) != shape:
            raise AssertionError(f"expecting {name} weights shape of {shape}, but got {w.shape}")
    return [_linear(q, w_q, b_q), _linear(k, w_k, b_k), _linear(v, w_v, b_v)]


def _pad_last(mask: Tensor) -> Tensor:
    """``F.pad(mask, (0, 1))``: one more (unmasked) key."""
    from dagrad.nn.functional import pad
    return pad(mask, (0, 1))


def multi_head_attention_forward(
        query: Tensor, key: Tensor, value: Tensor, embed_dim_to_check: int, num_heads: int,
        in_proj_weight: Tensor | None, in_proj_bias: Tensor | None, bias_k: Tensor | None,
        bias_v: Tensor | None, add_zero_attn: bool, dropout_p: float, out_proj_weight: Tensor,
        out_proj_bias: Tensor | None, training: bool = True,
        key_padding_mask: Tensor | None = None, need_weights: bool = True,
        attn_mask: Tensor | None = None, use_separate_proj_weight: bool = False,
        q_proj_weight: Tensor | None = None, k_proj_weight: Tensor | None = None,
        v_proj_weight: Tensor | None = None, static_k: Tensor | None = None,
        static_v: Tensor | None = None, average_attn_weights: bool = True,
        is_causal: bool = False) -> tuple[Tensor, Tensor | None]:
    """Multi-head attention over sequence-first inputs (what ``nn.MultiheadAttention`` calls).

    Masks: ``key_padding_mask`` (N, S) and ``attn_mask`` (L, S) or (N*num_heads, L, S), bool
    (True = masked out) or additive float (Note [Attention masks]).

    Shape:
        query (L, N, E), key (S, N, Ek), value (S, N, Ev) -> output (L, N, E) and, with
        ``need_weights``, weights (N, L, S) (averaged over heads) or (N, num_heads, L, S);
        unbatched inputs drop the N dim.
    """
    is_batched = _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads)
    if not is_batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, embed_dim = query.shape
    src_len = key.shape[0]
    key_padding_mask = _canonical_mask(key_padding_mask, "key_padding_mask",
                                       _none_or_dtype(attn_mask), "attn_mask", query.dtype)
    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the "
                           "Transformer module method `generate_square_subsequent_mask` to "
                           "create this mask.")
    if is_causal and key_padding_mask is None and not need_weights:
        attn_mask = None
    else:
        attn_mask = _canonical_mask(attn_mask, "attn_mask", None, "", query.dtype,
                                    check_other=False)
        if key_padding_mask is not None:
            is_causal = False
    if embed_dim != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, but "
                             f"got {embed_dim}")
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if use_separate_proj_weight:
        if key.shape[:2] != value.shape[:2]:
            raise AssertionError(f"key's sequence and batch dims {key.shape[:2]} do not match "
                                 f"value's {value.shape[:2]}")
        if q_proj_weight is None or k_proj_weight is None or v_proj_weight is None:
            raise AssertionError("use_separate_proj_weight is True but q_proj_weight, "
                                 "k_proj_weight or v_proj_weight is None")
        e = embed_dim
        b_q, b_k, b_v = (None,) * 3 if in_proj_bias is None else (
            in_proj_bias[:e], in_proj_bias[e:2 * e], in_proj_bias[2 * e:])
        q, k, v = _in_projection(query, key, value, q_proj_weight, k_proj_weight, v_proj_weight,
                                 b_q, b_k, b_v)
    else:
        if key.shape != value.shape:
            raise AssertionError(f"key shape {key.shape} does not match value shape "
                                 f"{value.shape}")
        if in_proj_weight is None:
            raise AssertionError("use_separate_proj_weight is False but in_proj_weight is None")
        q, k, v = _in_projection_packed(query, key, value, in_proj_weight, in_proj_bias)

    if attn_mask is not None:
        if attn_mask.dim() == 2:
            if tuple(attn_mask.shape) != (tgt_len, src_len):
                raise RuntimeError(f"The shape of the 2D attn_mask is {attn_mask.shape}, but "
                                   f"should be {(tgt_len, src_len)}.")
            attn_mask = attn_mask.unsqueeze(0)
        elif attn_mask.dim() == 3:
            if tuple(attn_mask.shape) != (bsz * num_heads, tgt_len, src_len):
                raise RuntimeError(f"The shape of the 3D attn_mask is {attn_mask.shape}, but "
                                   f"should be {(bsz * num_heads, tgt_len, src_len)}.")
        else:
            raise RuntimeError(f"attn_mask's dimension {attn_mask.dim()} is not supported")

    if bias_k is not None and bias_v is not None:
        if static_k is not None or static_v is not None:
            raise AssertionError("bias cannot be added to static key or value.")
        from dagrad.ops.shape import cat
        k = cat([k, bias_k.expand(1, bsz, embed_dim)])
        v = cat([v, bias_v.expand(1, bsz, embed_dim)])
        if attn_mask is not None:
            attn_mask = _pad_last(attn_mask)
        if key_padding_mask is not None:
            key_padding_mask = _pad_last(key_padding_mask)
    elif bias_k is not None or bias_v is not None:
        raise AssertionError("bias_k and bias_v must both be set or both be None")

    q = q.view(tgt_len, bsz * num_heads, head_dim).transpose(0, 1)
    k = k.view(k.shape[0], bsz * num_heads, head_dim).transpose(0, 1) if static_k is None \
        else static_k
    v = v.view(v.shape[0], bsz * num_heads, head_dim).transpose(0, 1) if static_v is None \
        else static_v
    if add_zero_attn:
        from dagrad.ops.shape import cat
        zeros = Tensor._make(np.zeros((bsz * num_heads, 1, head_dim), k._data.dtype))
        k = cat([k, zeros], 1)
        v = cat([v, zeros], 1)
        if attn_mask is not None:
            attn_mask = _pad_last(attn_mask)
        if key_padding_mask is not None:
            key_padding_mask = _pad_last(key_padding_mask)
    src_len = k.shape[1]
    if key_padding_mask is not None:
        if key_padding_mask.shape[0] != bsz:
            raise AssertionError(f"Expected key_padded_mask.shape[0] to be {bsz}, but got "
                                 f"{key_padding_mask.shape[0]}")
        if key_padding_mask.shape[1] != src_len:
            raise AssertionError(f"Expected key_padded_mask.shape[1] to be {src_len}, but got "
                                 f"{key_padding_mask.shape[1]}")
        key_padding_mask = key_padding_mask.view(bsz, 1, 1, src_len).expand(
            -1, num_heads, -1, -1).reshape(bsz * num_heads, 1, src_len)
        attn_mask = key_padding_mask if attn_mask is None else attn_mask + key_padding_mask
    if not training:
        dropout_p = 0.0

    if need_weights:
        e = q.shape[-1]
        q_scaled = q * math.sqrt(1.0 / float(e))
        scores = q_scaled.bmm(k.transpose(-2, -1))
        if attn_mask is not None:
            scores = attn_mask + scores                       # torch.baddbmm(attn_mask, ...)
        weights = nn_ops.softmax(scores, -1)
        if dropout_p > 0.0:
            from dagrad.nn.functional import dropout
            weights = dropout(weights, p=dropout_p)
        out = weights.bmm(v)
        out = out.transpose(0, 1).reshape(tgt_len * bsz, embed_dim)
        out = _linear(out, out_proj_weight, out_proj_bias)
        out = out.view(tgt_len, bsz, out.shape[1])
        weights = weights.view(bsz, num_heads, tgt_len, src_len)
        if average_attn_weights:
            weights = weights.mean(1)
        if not is_batched:
            out, weights = out.squeeze(1), weights.squeeze(0)
        return out, weights
    if attn_mask is not None:
        if attn_mask.shape[0] == 1 and attn_mask.dim() == 3:
            attn_mask = attn_mask.unsqueeze(0)
        else:
            attn_mask = attn_mask.view(bsz, num_heads, -1, src_len)
    q = q.view(bsz, num_heads, tgt_len, head_dim)
    k = k.view(bsz, num_heads, src_len, head_dim)
    v = v.view(bsz, num_heads, src_len, head_dim)
    out = scaled_dot_product_attention(q, k, v, attn_mask, dropout_p, is_causal)
    out = out.permute(2, 0, 1, 3).reshape(bsz * tgt_len, embed_dim)
    out = _linear(out, out_proj_weight, out_proj_bias)
    out = out.view(tgt_len, bsz, out.shape[1])
    if not is_batched:
        out = out.squeeze(1)
    return out, None
