"""OpInfo entries for the second round of nn ops (``dagrad/ops/nn_ops.py``: batch/group norm,
PReLU, attention, resampling, im2col/col2im, ``clamp_min``), in the format of
``dagrad.testing.op_db``: called through ``dagrad.nn.functional`` as user code calls them and
compared with ``torch.nn.functional``.

Meant to be appended to the database: ``op_db += op_db_nn``.
"""
from __future__ import annotations

from typing import Any, Iterator

import dagrad
from dagrad.testing.op_db import OpInfo, SampleInput, _Lazy, _Make

__all__ = ["op_db_nn"]


def _nn(name: str, samples: Any, grad_fn: Any, *, covers: tuple[str, ...] = (),
        **kw: Any) -> OpInfo:
    return OpInfo(name, op=_Lazy("dagrad.nn.functional", name), samples=samples,
                  grad_fn=grad_fn, torch_fn=f"nn.functional.{name}", covers=covers, **kw)


def _batch_norm_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((4, 3, 2)), None, None, make((3,)), make((3,)), True),
                      desc="training, affine")
    yield SampleInput((make((5, 2)), make((2,), rg=False), make((2,), 0.5, 2, rg=False),
                       make((2,)), make((2,))), desc="eval, running statistics")
    yield SampleInput((make((3, 2, 2, 2)), None, None), {"training": True, "eps": 1e-3},
                      desc="training, no affine")


def _group_norm_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((2, 4, 3)), 2, make((4,)), make((4,))), desc="2 groups, affine")
    yield SampleInput((make((2, 3, 2, 2)), 3), {"eps": 1e-3}, desc="one channel per group")


def _instance_norm_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((2, 3, 4)),), {"weight": make((3,)), "bias": make((3,))},
                      desc="affine")


def _prelu_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((2, 3, 4), away=0.1), make((3,))), desc="per channel")
    yield SampleInput((make((5,), away=0.1), make((1,))), desc="one slope")


def _sdpa_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((1, 2, 3, 4)), make((1, 2, 5, 4)), make((1, 2, 5, 4))),
                      desc="fused")
    yield SampleInput((make((1, 2, 3, 4)), make((1, 2, 3, 4)), make((1, 2, 3, 4))),
                      {"is_causal": True, "scale": 0.4}, desc="causal, scale")
    yield SampleInput((make((1, 2, 3, 4)), make((1, 2, 5, 4)), make((1, 2, 5, 4))),
                      {"attn_mask": make((3, 5), rg=False)}, desc="float mask")
    yield SampleInput((make((2, 3, 4)), make((2, 5, 4)), make((2, 5, 3))),
                      desc="3-D (math path)")


def _sdpa_node(s: SampleInput) -> str:
    return "UnsafeViewBackward0" if s.args[0].dim() == 3 else \
        "ScaledDotProductFlashAttentionForCpuBackward0"


def _interpolate_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((1, 2, 3, 4)),), {"scale_factor": 1.5}, desc="nearest")
    yield SampleInput((make((1, 2, 3, 4)),), {"size": (5, 3), "mode": "bilinear"},
                      desc="bilinear")
    yield SampleInput((make((1, 2, 4)),), {"size": 7, "mode": "linear",
                                           "align_corners": True}, desc="linear, corners")


def _interpolate_node(s: SampleInput) -> str:
    return {"bilinear": "UpsampleBilinear2DBackward0",
            "linear": "UpsampleLinear1DBackward0"}.get(s.kwargs.get("mode"),
                                                       "UpsampleNearest2DBackward0")


def _unfold_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((1, 2, 4, 3)), 2), {"padding": 1, "stride": 2}, desc="batched")
    yield SampleInput((make((2, 3, 3)), (2, 1)), desc="unbatched")


def _fold_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((1, 8, 6)), (3, 4), 2), desc="batched")
    yield SampleInput((make((4, 4)), (3, 3), 2), {"dilation": 1, "stride": 1},
                      desc="unbatched")


def _margin_ranking_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    target = dagrad.tensor([1.0, -1.0, 1.0, -1.0], dtype=dtype)
    yield SampleInput((make((4,)), make((4,)), target), {"margin": 0.5, "reduction": "none"},
                      desc="none")


def _transpose_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((2, 3, 4)), 0, 1), desc="dims 0, 1")


op_db_nn: list[OpInfo] = [
    _nn("batch_norm", _batch_norm_samples, "NativeBatchNormBackward0",
        covers=("native_batch_norm",)),
    _nn("group_norm", _group_norm_samples, "NativeGroupNormBackward0",
        covers=("native_group_norm",)),
    _nn("instance_norm", _instance_norm_samples, "ViewBackward0"),
    _nn("prelu", _prelu_samples, "PreluKernelBackward0", covers=("_prelu_kernel",)),
    _nn("scaled_dot_product_attention", _sdpa_samples, _sdpa_node,
        covers=("_scaled_dot_product_flash_attention_for_cpu", "_safe_softmax"),
        skips={"torch_gradgrad": "PyTorch has no double backward for its fused CPU attention "
                                 "(dagrad has: gradgradcheck covers it)"}),
    _nn("interpolate", _interpolate_samples, _interpolate_node,
        covers=("_upsample", "_upsample_backward")),
    _nn("unfold", _unfold_samples, "Im2ColBackward0", covers=("_im2col",)),
    _nn("fold", _fold_samples, "Col2ImBackward0", covers=("_col2im",)),
    _nn("margin_ranking_loss", _margin_ranking_samples, "ClampMinBackward0",
        covers=("_clamp_min",)),
    OpInfo("_transpose_inplace_node", op=_Lazy("dagrad.ops.nn_ops", "_transpose_inplace_node"),
           samples=_transpose_samples, grad_fn="TransposeBackward1",
           torch_fn=lambda x, d0, d1: x.clone().transpose_(d0, d1)),
]
