"""Second round of layers against PyTorch 2.13: normalisation (batch, group, instance), channel
and alpha dropout, recurrent layers and cells, multi-head attention and the transformer encoder,
resampling, fold/unfold, PReLU and the margin losses.

As in ``test_nn_layers.py``: the same float64 weights (a PyTorch state_dict loaded into dagrad)
and inputs go into both libraries; outputs, input gradients and parameter gradients agree to
1e-6, the output's node has PyTorch's name, reprs and parameter/buffer names are equal.
``gradcheck``/``gradgradcheck`` check the ``F`` functions' derivative formulas on their own.
"""
from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

import dagrad
import dagrad.nn.functional as F
from dagrad import nn
from dagrad.autograd import gradcheck, gradgradcheck

torch = pytest.importorskip("torch")
TF = torch.nn.functional

RTOL, ATOL = 1e-6, 1e-9


@pytest.fixture(autouse=True)
def _restore_global_rngs():
    """Leave PyTorch's and dagrad's global generators as found: tests elsewhere build
    randomly initialised models and must not depend on what ran here."""
    state, dstate = torch.get_rng_state(), dagrad.get_rng_state()
    yield
    torch.set_rng_state(state)
    dagrad.set_rng_state(dstate)


def _d(s: str) -> str:
    return re.sub(r"\btorch\b", "dagrad", s)


def _rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def _both(a: np.ndarray, requires_grad: bool = True) -> tuple:
    rg = requires_grad and a.dtype.kind == "f"
    return dagrad.tensor(a, requires_grad=rg), torch.tensor(a, requires_grad=rg)


def _close(ours, theirs, rtol: float = RTOL, atol: float = ATOL) -> None:
    a = ours.detach().numpy() if hasattr(ours, "detach") else np.asarray(ours)
    b = theirs.detach().numpy() if hasattr(theirs, "detach") else np.asarray(theirs)
    assert a.shape == b.shape, (a.shape, b.shape)
    np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)


def _flat(out) -> list:
    """The tensors of a (nested) tuple output, in order (None entries kept)."""
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in _flat(o)]
    return [out]


def _node(t) -> str | None:
    return None if t is None or t.grad_fn is None else t.grad_fn.name()


def _load(ours, theirs) -> None:
    ours.load_state_dict({k: dagrad.tensor(v.numpy()) for k, v in theirs.state_dict().items()})


def _compare_modules(ours, theirs, arrays, call=None, rtol: float = RTOL) -> None:
    """Same inputs through both modules (``call(module, *inputs)``, default ``module(*inputs)``);
    compare every output tensor, its node name, and, after backpropagating the same random
    gradients, the input and parameter gradients."""
    call = call or (lambda m, *xs: m(*xs))
    pairs = [_both(a) if isinstance(a, np.ndarray) else (a, a) for a in arrays]
    outs = _flat(call(ours, *[p[0] for p in pairs]))
    touts = _flat(call(theirs, *[p[1] for p in pairs]))
    assert len(outs) == len(touts)
    loss, tloss, r = 0, 0, _rng(5)
    for o, t in zip(outs, touts, strict=True):
        if t is None:
            assert o is None
            continue
        _close(o, t, rtol=rtol)
        assert _node(o) == _node(t)
        if t.requires_grad:
            g = r.standard_normal(tuple(t.shape))
            loss = loss + (o * dagrad.tensor(g)).sum()
            tloss = tloss + (t * torch.tensor(g)).sum()
    loss.backward()
    tloss.backward()
    for a, b in pairs:
        if isinstance(b, torch.Tensor) and b.grad is not None:
            _close(a.grad, b.grad, rtol=rtol)
    for (n, p), (tn, tp) in zip(ours.named_parameters(), theirs.named_parameters(), strict=True):
        assert n == tn
        if tp.grad is None:
            assert p.grad is None, n
        else:
            _close(p.grad, tp.grad, rtol=rtol)


def _pair(build, double: bool = True) -> tuple:
    theirs = build(torch)
    ours = build(dagrad)
    if double:
        theirs, ours = theirs.double(), ours.double()
    assert repr(ours) == repr(theirs)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]
    _load(ours, theirs)
    return ours, theirs


def _err(fn, *args, **kwargs):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fn(*args, **kwargs)
    except Exception as e:  # noqa: BLE001
        return type(e).__name__, _d(str(e))
    return "no error", ""


def _warns(fn) -> list:
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        fn()
    return [(c.category.__name__, _d(str(c.message))) for c in w]


# --------------------------------------------------------------------------- layers


def _layer_cases():
    r = _rng(7)
    x4 = r.standard_normal((3, 4, 5, 6))
    return [
        ("BatchNorm1d-2d", lambda lib: lib.nn.BatchNorm1d(5), (r.standard_normal((4, 5)),)),
        ("BatchNorm1d-3d", lambda lib: lib.nn.BatchNorm1d(5, momentum=None, affine=False),
         (r.standard_normal((4, 5, 3)),)),
        ("BatchNorm2d", lambda lib: lib.nn.BatchNorm2d(4, eps=1e-3), (x4,)),
        ("BatchNorm2d-eval", lambda lib: lib.nn.BatchNorm2d(4).eval(), (x4,)),
        ("BatchNorm2d-untracked-eval",
         lambda lib: lib.nn.BatchNorm2d(4, track_running_stats=False).eval(), (x4,)),
        ("BatchNorm2d-nobias", lambda lib: lib.nn.BatchNorm2d(4, bias=False), (x4,)),
        ("BatchNorm3d", lambda lib: lib.nn.BatchNorm3d(2), (r.standard_normal((2, 2, 3, 2, 2)),)),
        ("GroupNorm", lambda lib: lib.nn.GroupNorm(2, 4), (x4,)),
        ("GroupNorm-noaffine", lambda lib: lib.nn.GroupNorm(4, 4, eps=1e-3, affine=False),
         (r.standard_normal((2, 4, 7)),)),
        ("InstanceNorm1d", lambda lib: lib.nn.InstanceNorm1d(3), (r.standard_normal((2, 3, 6)),)),
        ("InstanceNorm2d-affine", lambda lib: lib.nn.InstanceNorm2d(4, affine=True), (x4,)),
        ("InstanceNorm2d-unbatched", lambda lib: lib.nn.InstanceNorm2d(4, affine=True),
         (x4[0],)),
        ("InstanceNorm2d-tracked-eval",
         lambda lib: lib.nn.InstanceNorm2d(4, track_running_stats=True).eval(), (x4,)),
        ("PReLU", lambda lib: lib.nn.PReLU(), (x4,)),
        ("PReLU-channels", lambda lib: lib.nn.PReLU(4, init=0.1), (x4,)),
        ("Upsample-nearest", lambda lib: lib.nn.Upsample(scale_factor=2), (x4,)),
        ("Upsample-bilinear", lambda lib: lib.nn.Upsample(size=(7, 4), mode="bilinear"), (x4,)),
        ("Upsample-linear-ac",
         lambda lib: lib.nn.Upsample(scale_factor=1.5, mode="linear", align_corners=True),
         (r.standard_normal((2, 3, 5)),)),
        ("UpsamplingNearest2d", lambda lib: lib.nn.UpsamplingNearest2d(size=5), (x4,)),
        ("UpsamplingBilinear2d", lambda lib: lib.nn.UpsamplingBilinear2d(scale_factor=2), (x4,)),
        ("Unfold", lambda lib: lib.nn.Unfold((2, 3), dilation=(2, 1), padding=1, stride=2),
         (x4,)),
        ("Fold", lambda lib: lib.nn.Fold((4, 5), 2, stride=(1, 2), padding=(1, 0)),
         (r.standard_normal((2, 12, 10)),)),
        ("Dropout2d-eval", lambda lib: lib.nn.Dropout2d(0.5).eval(), (x4,)),
        ("Dropout2d-p0", lambda lib: lib.nn.Dropout2d(0.0), (x4,)),
        ("CosineEmbeddingLoss", lambda lib: lib.nn.CosineEmbeddingLoss(margin=0.1),
         (r.standard_normal((6, 5)), r.standard_normal((6, 5)),
          np.array([1, -1, 1, -1, -1, 1]))),
        ("MarginRankingLoss", lambda lib: lib.nn.MarginRankingLoss(0.5, reduction="sum"),
         (r.standard_normal(6), r.standard_normal(6), np.array([1., -1, 1, -1, -1, 1]))),
        ("TripletMarginLoss", lambda lib: lib.nn.TripletMarginLoss(margin=2.0, p=1.0, swap=True),
         (r.standard_normal((6, 5)), r.standard_normal((6, 5)), r.standard_normal((6, 5)))),
        ("TripletMarginLoss-none", lambda lib: lib.nn.TripletMarginLoss(reduction="none"),
         (r.standard_normal((6, 5)), r.standard_normal((6, 5)), r.standard_normal((6, 5)))),
    ]


@pytest.mark.parametrize("case", _layer_cases(), ids=lambda c: c[0])
def test_layer_matches_torch(case) -> None:
    _, build, arrays = case
    ours, theirs = _pair(build)
    _compare_modules(ours, theirs, arrays)
    for (n, b), (_, tb) in zip(ours.named_buffers(), theirs.named_buffers(), strict=True):
        _close(b, tb)                              # running statistics updated alike
        assert b.dtype == getattr(dagrad, str(tb.dtype).split(".")[1]), n


# --------------------------------------------------------------------------- F functions


def _fcases():
    r = _rng(1)
    x4 = r.standard_normal((3, 4, 5, 6))
    w4, b4 = r.standard_normal(4), r.standard_normal(4)
    rm, rv = np.abs(r.standard_normal(4)), np.abs(r.standard_normal(4)) + 0.5
    q, k, v = (r.standard_normal((2, 3, 5, 4)), r.standard_normal((2, 3, 6, 4)),
               r.standard_normal((2, 3, 6, 4)))
    mask_f = r.standard_normal((5, 6))
    mask_b = r.random((5, 6)) > 0.3
    mask_b[2] = False                                 # a query that sees no key: zeros
    a, p, n = (r.standard_normal((6, 5)) for _ in range(3))
    t = np.array([1, -1, 1, -1, -1, 1])
    cases = [
        ("batch_norm-train", lambda x, w, b: F.batch_norm(x, None, None, w, b, True),
         lambda x, w, b: TF.batch_norm(x, None, None, w, b, True), (x4, w4, b4),
         "NativeBatchNormBackward0"),
        ("batch_norm-eval", lambda x, w, b: F.batch_norm(x, dagrad.tensor(rm), dagrad.tensor(rv),
                                                         w, b),
         lambda x, w, b: TF.batch_norm(x, torch.tensor(rm), torch.tensor(rv), w, b),
         (x4, w4, b4), "NativeBatchNormBackward0"),
        ("group_norm", lambda x, w, b: F.group_norm(x, 2, w, b),
         lambda x, w, b: TF.group_norm(x, 2, w, b), (x4, w4, b4), "NativeGroupNormBackward0"),
        ("instance_norm", lambda x, w, b: F.instance_norm(x, weight=w, bias=b),
         lambda x, w, b: TF.instance_norm(x, weight=w, bias=b), (x4, w4, b4), "ViewBackward0"),
        ("prelu", F.prelu, TF.prelu, (x4, w4), "PreluKernelBackward0"),
        ("sdpa", F.scaled_dot_product_attention, TF.scaled_dot_product_attention, (q, k, v),
         "ScaledDotProductFlashAttentionForCpuBackward0"),
        ("sdpa-float-mask", lambda q, k, v: F.scaled_dot_product_attention(
            q, k, v, dagrad.tensor(mask_f)), lambda q, k, v: TF.scaled_dot_product_attention(
            q, k, v, torch.tensor(mask_f)), (q, k, v),
         "ScaledDotProductFlashAttentionForCpuBackward0"),
        ("sdpa-bool-mask", lambda q, k, v: F.scaled_dot_product_attention(
            q, k, v, dagrad.tensor(mask_b)), lambda q, k, v: TF.scaled_dot_product_attention(
            q, k, v, torch.tensor(mask_b)), (q, k, v),
         "ScaledDotProductFlashAttentionForCpuBackward0"),
        ("sdpa-causal-scale", lambda q, k, v: F.scaled_dot_product_attention(
            q, k, v, is_causal=True, scale=0.3), lambda q, k, v: TF.scaled_dot_product_attention(
            q, k, v, is_causal=True, scale=0.3), (q, k, v),
         "ScaledDotProductFlashAttentionForCpuBackward0"),
        ("sdpa-gqa", lambda q, k, v: F.scaled_dot_product_attention(q, k, v, enable_gqa=True),
         lambda q, k, v: TF.scaled_dot_product_attention(q, k, v, enable_gqa=True),
         (r.standard_normal((2, 4, 5, 4)), k[:, :2], v[:, :2]),
         "ScaledDotProductFlashAttentionForCpuBackward0"),
        ("sdpa-math-mask-grad", lambda q, k, m: F.scaled_dot_product_attention(q, k, k, m),
         lambda q, k, m: TF.scaled_dot_product_attention(q, k, k, m), (q, k, mask_f),
         "UnsafeViewBackward0"),
        ("sdpa-math-3d", F.scaled_dot_product_attention, TF.scaled_dot_product_attention,
         (q[0], k[0], v[0, :, :, :2]), "UnsafeViewBackward0"),
        ("cosine_embedding_loss", lambda a, b: F.cosine_embedding_loss(a, b, dagrad.tensor(t),
                                                                       0.2),
         lambda a, b: TF.cosine_embedding_loss(a, b, torch.tensor(t), 0.2), (a, p),
         "MeanBackward0"),
        ("cosine_embedding_loss-1d-none", lambda a, b: F.cosine_embedding_loss(
            a, b, dagrad.tensor(-1), reduction="none"), lambda a, b: TF.cosine_embedding_loss(
            a, b, torch.tensor(-1), reduction="none"), (a[0], p[0]), "AddBackward0"),
        ("margin_ranking_loss",
         lambda a, b, t: F.margin_ranking_loss(a, b, t, 0.3, reduction="none"),
         lambda a, b, t: TF.margin_ranking_loss(a, b, t, 0.3, reduction="none"),
         (a[:, 0], p[:, 0], t.astype(float)), "ClampMinBackward0"),
        ("triplet_margin_loss", lambda a, b, c: F.triplet_margin_loss(a, b, c, swap=True, p=1.5),
         lambda a, b, c: TF.triplet_margin_loss(a, b, c, swap=True, p=1.5), (a, p, n),
         "MeanBackward0"),
        ("unfold", lambda x: F.unfold(x, (2, 3), (1, 2), 1, (2, 1)),
         lambda x: TF.unfold(x, (2, 3), (1, 2), 1, (2, 1)), (x4,), "Im2ColBackward0"),
        ("unfold-unbatched", lambda x: F.unfold(x, 2), lambda x: TF.unfold(x, 2), (x4[0],),
         "Im2ColBackward0"),
        ("fold-unbatched", lambda x: F.fold(x, (3, 4), 2), lambda x: TF.fold(x, (3, 4), 2),
         (r.standard_normal((8, 6)),), "Col2ImBackward0"),
        ("fold", lambda x: F.fold(x, (4, 5), 2, padding=(1, 0), stride=(1, 2)),
         lambda x: TF.fold(x, (4, 5), 2, padding=(1, 0), stride=(1, 2)),
         (r.standard_normal((2, 12, 10)),), "Col2ImBackward0"),
    ]
    for mode, ac in [("nearest", None), ("nearest-exact", None), ("bilinear", False),
                     ("bilinear", True)]:
        node = {"nearest": "UpsampleNearest2DBackward0",
                "nearest-exact": "UpsampleNearestExact2DBackward0",
                "bilinear": "UpsampleBilinear2DBackward0"}[mode]
        for kw in [dict(scale_factor=2), dict(size=(7, 4)), dict(scale_factor=1.7),
                   dict(scale_factor=(0.6, 2.3)), dict(scale_factor=2.5,
                                                       recompute_scale_factor=True)]:
            cases.append((f"interpolate-{mode}-{ac}-{kw}",
                          lambda x, m=mode, a=ac, k=kw: F.interpolate(x, mode=m, align_corners=a,
                                                                      **k),
                          lambda x, m=mode, a=ac, k=kw: TF.interpolate(x, mode=m,
                                                                       align_corners=a, **k),
                          (x4,), node))
    x5 = r.standard_normal((1, 2, 3, 4, 2))
    cases += [
        ("interpolate3d-trilinear", lambda x: F.interpolate(x, scale_factor=(1.5, 0.5, 2),
                                                            mode="trilinear"),
         lambda x: TF.interpolate(x, scale_factor=(1.5, 0.5, 2), mode="trilinear"), (x5,),
         "UpsampleTrilinear3DBackward0"),
        ("interpolate-area", lambda x: F.interpolate(x, scale_factor=0.6, mode="area"),
         lambda x: TF.interpolate(x, scale_factor=0.6, mode="area"), (x4,), None),
        ("interpolate1d-area", lambda x: F.interpolate(x[0], size=3, mode="area"),
         lambda x: TF.interpolate(x[0], size=3, mode="area"), (x4,), None),
        ("interpolate3d-nearest", lambda x: F.interpolate(x, size=(4, 3, 3)),
         lambda x: TF.interpolate(x, size=(4, 3, 3)), (x5,), "UpsampleNearest3DBackward0"),
    ]
    x3 = r.standard_normal((2, 3, 5))
    for mode, ac in [("nearest", None), ("linear", False), ("linear", True)]:
        node = "UpsampleNearest1DBackward0" if mode == "nearest" else "UpsampleLinear1DBackward0"
        for kw in [dict(scale_factor=2), dict(size=8), dict(scale_factor=1.7), dict(size=3)]:
            cases.append((f"interpolate1d-{mode}-{ac}-{kw}",
                          lambda x, m=mode, a=ac, k=kw: F.interpolate(x, mode=m, align_corners=a,
                                                                      **k),
                          lambda x, m=mode, a=ac, k=kw: TF.interpolate(x, mode=m,
                                                                       align_corners=a, **k),
                          (x3,), node))
    return cases


@pytest.mark.parametrize("case", _fcases(), ids=lambda c: c[0])
def test_function_matches_torch(case) -> None:
    _, fo, ft, arrays, node = case
    pairs = [_both(a) for a in arrays]
    out, tout = fo(*[p[0] for p in pairs]), ft(*[p[1] for p in pairs])
    _close(out, tout)
    if node is not None:               # None: adaptive pooling records other nodes than PyTorch
        assert _node(out) == _node(tout) == node
    g = _rng(9).standard_normal(tuple(tout.shape))
    out.backward(dagrad.tensor(g))
    tout.backward(torch.tensor(g))
    for a, b in pairs:
        if b.grad is not None:
            _close(a.grad, b.grad)


def _g(*shape: int, seed: int = 3) -> dagrad.Tensor:
    return dagrad.tensor(_rng(seed).standard_normal(shape), requires_grad=True)


_RM = dagrad.tensor([0.1, -0.3, 0.2], dtype=dagrad.float64)
_RV = dagrad.tensor([0.5, 1.5, 0.8], dtype=dagrad.float64)

GRADCHECKS = [
    ("batch_norm-train", lambda x, w, b: F.batch_norm(x, None, None, w, b, True),
     (_g(4, 3, 2), _g(3, seed=4), _g(3, seed=5))),
    ("batch_norm-eval", lambda x, w, b: F.batch_norm(x, _RM, _RV, w, b),
     (_g(4, 3, 2), _g(3, seed=4), _g(3, seed=5))),
    ("group_norm", lambda x, w, b: F.group_norm(x, 3, w, b),
     (_g(2, 6, 3), _g(6, seed=4), _g(6, seed=5))),
    ("instance_norm", lambda x, w, b: F.instance_norm(x, weight=w, bias=b),
     (_g(2, 3, 4), _g(3, seed=4), _g(3, seed=5))),
    ("interpolate-nearest", lambda x: F.interpolate(x, scale_factor=1.7), (_g(1, 2, 3, 4),)),
    ("interpolate-bilinear", lambda x: F.interpolate(x, size=(5, 3), mode="bilinear"),
     (_g(1, 2, 3, 4),)),
    ("interpolate-linear-ac", lambda x: F.interpolate(x, size=7, mode="linear",
                                                      align_corners=True), (_g(1, 2, 4),)),
    ("unfold", lambda x: F.unfold(x, 2, padding=1, stride=2), (_g(1, 2, 4, 3),)),
    ("fold", lambda x: F.fold(x, (3, 4), 2), (_g(1, 8, 6),)),
    ("prelu", F.prelu, (_g(2, 3, 4), _g(3, seed=4))),
    ("sdpa-causal", lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True),
     (_g(1, 2, 3, 4), _g(1, 2, 3, 4, seed=4), _g(1, 2, 3, 4, seed=5))),
    ("sdpa-mask", lambda q, k, v, m: F.scaled_dot_product_attention(q, k, v, m),
     (_g(1, 2, 3, 4), _g(1, 2, 5, 4, seed=4), _g(1, 2, 5, 4, seed=5), _g(3, 5, seed=6))),
    ("cosine_embedding_loss", lambda a, b: F.cosine_embedding_loss(
        a, b, dagrad.tensor([1, -1, 1]), -0.5), (_g(3, 4), _g(3, 4, seed=4))),
    ("margin_ranking_loss", lambda a, b: F.margin_ranking_loss(
        a, b, dagrad.tensor([1., -1, 1], dtype=dagrad.float64), 0.5), (_g(3), _g(3, seed=4))),
    ("triplet_margin_loss", lambda a, b, c: F.triplet_margin_loss(a, b, c, swap=True, margin=2.0),
     (_g(3, 4), _g(3, 4, seed=4), _g(3, 4, seed=5))),
    ("multi_head_attention_forward-weights", lambda q, k, w, o: F.multi_head_attention_forward(
        q, k, k, 4, 2, w, None, None, None, False, 0.0, o, None,
        attn_mask=dagrad.tensor([[0.0, -1.0, 0.5], [0.0, 0.0, -np.inf]], dtype=dagrad.float64),
        average_attn_weights=False), (_g(2, 1, 4), _g(3, 1, 4, seed=4), _g(12, 4, seed=5),
                                      _g(4, 4, seed=6))),
    ("multi_head_attention_forward-sdpa", lambda q, w, b: F.multi_head_attention_forward(
        q, q, q, 4, 2, w, b, None, None, True, 0.0, w[:4], None, need_weights=False,
        key_padding_mask=dagrad.tensor([[False, True, False]]))[0],
     (_g(3, 1, 4), _g(12, 4, seed=5), _g(12, seed=6))),
]


@pytest.mark.parametrize("case", GRADCHECKS, ids=lambda c: c[0])
def test_gradcheck_and_gradgradcheck(case) -> None:
    _, fn, inputs = case
    assert gradcheck(fn, inputs)
    assert gradgradcheck(fn, inputs)


# --------------------------------------------------------------------------- batch norm state


@pytest.mark.parametrize("momentum", [0.1, None, 0.7])
def test_batchnorm_running_statistics_follow_torch(momentum) -> None:
    ours, theirs = _pair(lambda lib: lib.nn.BatchNorm2d(3, momentum=momentum))
    r = _rng(2)
    for step in range(4):
        x = r.standard_normal((4, 3, 2, 5)) * (step + 1) + step
        _close(ours(dagrad.tensor(x)), theirs(torch.tensor(x)))
    for name in ("running_mean", "running_var"):
        _close(getattr(ours, name), getattr(theirs, name), rtol=1e-12)
    assert ours.num_batches_tracked.item() == 4 and ours.num_batches_tracked.dtype == dagrad.int64
    ours.eval()
    theirs.eval()
    x = r.standard_normal((2, 3, 2, 2))
    _compare_modules(ours, theirs, (x,))
    assert ours.num_batches_tracked.item() == 4                # eval mode leaves the counter
    sd, tsd = ours.state_dict(), theirs.state_dict()
    assert list(sd) == list(tsd)
    assert [v.dtype.name for v in sd.values()] == [str(v.dtype)[6:] for v in tsd.values()]
    # an old checkpoint without num_batches_tracked still loads (PyTorch's version-1 hook)
    fresh = nn.BatchNorm2d(3).double()
    old = {k: v for k, v in sd.items() if k != "num_batches_tracked"}
    fresh.load_state_dict(old)
    assert fresh.num_batches_tracked.item() == 0
    ours.reset_running_stats()
    assert ours.running_var.tolist() == [1.0] * 3 and ours.num_batches_tracked.item() == 0


def test_batchnorm_in_place_updates_bump_versions_and_need_no_grad() -> None:
    bn = nn.BatchNorm1d(2)
    v0 = bn.running_mean._version
    x = dagrad.randn(5, 2, requires_grad=True)
    bn(x).sum().backward()
    assert bn.running_mean._version > v0
    assert not bn.running_mean.requires_grad and bn.running_mean.grad_fn is None
    assert x.grad is not None


def test_instance_norm_running_stats_match_torch() -> None:
    ours, theirs = _pair(lambda lib: lib.nn.InstanceNorm1d(3, momentum=0.3,
                                                           track_running_stats=True))
    x = _rng(3).standard_normal((4, 3, 6)) * 2 + 1
    _close(ours(dagrad.tensor(x)), theirs(torch.tensor(x)))
    _close(ours.running_mean, theirs.running_mean, rtol=1e-12)
    _close(ours.running_var, theirs.running_var, rtol=1e-12)


# --------------------------------------------------------------------------- recurrent layers


def _rnn_cases():
    return [
        ("RNN", lambda lib: lib.nn.RNN(4, 6), None),
        ("RNN-relu-2layers", lambda lib: lib.nn.RNN(4, 6, 2, nonlinearity="relu"), None),
        ("RNN-positional-nonlinearity", lambda lib: lib.nn.RNN(4, 6, 1, "relu", False), None),
        ("RNN-bidirectional-batch_first",
         lambda lib: lib.nn.RNN(4, 6, bidirectional=True, batch_first=True), None),
        ("RNN-h0", lambda lib: lib.nn.RNN(4, 6, 2, bidirectional=True), "h0"),
        ("LSTM", lambda lib: lib.nn.LSTM(4, 6), None),
        ("LSTM-2layers-bidirectional", lambda lib: lib.nn.LSTM(4, 6, 2, bidirectional=True),
         None),
        ("LSTM-batch_first-nobias", lambda lib: lib.nn.LSTM(4, 6, batch_first=True, bias=False),
         None),
        ("LSTM-proj", lambda lib: lib.nn.LSTM(4, 6, 2, proj_size=3, bidirectional=True), "hc0"),
        ("LSTM-h0c0", lambda lib: lib.nn.LSTM(4, 6, 2), "hc0"),
        ("GRU", lambda lib: lib.nn.GRU(4, 6), None),
        ("GRU-2layers-bidirectional-batch_first",
         lambda lib: lib.nn.GRU(4, 6, 2, batch_first=True, bidirectional=True), "h0"),
        ("GRU-nobias", lambda lib: lib.nn.GRU(4, 6, bias=False), "h0"),
    ]


def _rnn_inputs(m, batched: bool = True) -> tuple:
    r = _rng(11)
    t, n = 5, 3
    x = r.standard_normal((n, t, 4) if m.batch_first else (t, n, 4))
    d = 2 if m.bidirectional else 1
    hsize = m.proj_size or m.hidden_size
    h0 = r.standard_normal((m.num_layers * d, n, hsize))
    c0 = r.standard_normal((m.num_layers * d, n, m.hidden_size))
    if not batched:
        x = x[0] if m.batch_first else x[:, 0]
        h0, c0 = h0[:, 0], c0[:, 0]
    return x, h0, c0


@pytest.mark.parametrize("batched", [True, False], ids=["batched", "unbatched"])
@pytest.mark.parametrize("case", _rnn_cases(), ids=lambda c: c[0])
def test_recurrent_layer_matches_torch(case, batched: bool) -> None:
    _, build, state = case
    ours, theirs = _pair(build)
    x, h0, c0 = _rnn_inputs(ours, batched)
    if state is None:
        _compare_modules(ours, theirs, (x,))
    elif state == "h0":
        _compare_modules(ours, theirs, (x, h0))
    else:
        _compare_modules(ours, theirs, (x, h0, c0), call=lambda m, x, h, c: m(x, (h, c)))


def test_recurrent_parameter_names_shapes_and_init() -> None:
    lstm = nn.LSTM(3, 8, num_layers=2, bidirectional=True, proj_size=2)
    tl = torch.nn.LSTM(3, 8, num_layers=2, bidirectional=True, proj_size=2)
    assert [(n, tuple(p.shape)) for n, p in lstm.named_parameters()] == \
        [(n, tuple(p.shape)) for n, p in tl.named_parameters()]
    assert lstm._flat_weights_names == tl._flat_weights_names
    assert [[tuple(p.shape) for p in ws] for ws in lstm.all_weights] == \
        [[tuple(p.shape) for p in ws] for ws in tl.all_weights]
    big = nn.GRU(10, 400)
    w = big.weight_hh_l0.detach().numpy()
    bound = 1 / np.sqrt(400)
    assert np.abs(w).max() <= bound and abs(w.std() - bound / np.sqrt(3)) < 0.02 * bound
    cell = nn.LSTMCell(3, 100)
    assert np.abs(cell.bias_hh.detach().numpy()).max() <= 0.1
    assert [n for n, _ in cell.named_parameters()] == ["weight_ih", "weight_hh", "bias_ih",
                                                       "bias_hh"]
    assert nn.RNN(2, 3, dtype=dagrad.float64).weight_ih_l0.dtype == dagrad.float64


def test_recurrent_dropout_between_layers() -> None:
    # p = 1 drops every input of the second layer: deterministic, so comparable with PyTorch
    ours, theirs = _pair(lambda lib: lib.nn.LSTM(4, 5, num_layers=2, dropout=1.0))
    x, _, _ = _rnn_inputs(ours)
    _compare_modules(ours, theirs, (x,))
    # p = 0.5: random, but never on the last layer's output, and off in eval mode
    m = nn.GRU(4, 5, num_layers=3, dropout=0.5).double()
    xs = dagrad.tensor(x)
    a, b = m(xs)[0], m(xs)[0]
    assert not np.allclose(a.detach().numpy(), b.detach().numpy())
    m.eval()
    np.testing.assert_array_equal(m(xs)[0].detach().numpy(), m(xs)[0].detach().numpy())


def _cell_cases():
    return [
        ("RNNCell", lambda lib: lib.nn.RNNCell(4, 6), False),
        ("RNNCell-relu-nobias", lambda lib: lib.nn.RNNCell(4, 6, bias=False,
                                                           nonlinearity="relu"), False),
        ("LSTMCell", lambda lib: lib.nn.LSTMCell(4, 6), True),
        ("GRUCell", lambda lib: lib.nn.GRUCell(4, 6), False),
    ]


@pytest.mark.parametrize("batched", [True, False], ids=["batched", "unbatched"])
@pytest.mark.parametrize("with_state", [False, True], ids=["zero-state", "given-state"])
@pytest.mark.parametrize("case", _cell_cases(), ids=lambda c: c[0])
def test_cell_matches_torch(case, with_state: bool, batched: bool) -> None:
    _, build, lstm = case
    ours, theirs = _pair(build)
    r = _rng(4)
    x, h, c = r.standard_normal((3, 4)), r.standard_normal((3, 6)), r.standard_normal((3, 6))
    if not batched:
        x, h, c = x[0], h[0], c[0]
    if not with_state:
        _compare_modules(ours, theirs, (x,))
    elif lstm:
        _compare_modules(ours, theirs, (x, h, c), call=lambda m, x, h, c: m(x, (h, c)))
    else:
        _compare_modules(ours, theirs, (x, h))


def test_lstm_and_gru_differentiate_twice() -> None:
    lstm = nn.LSTM(2, 3, bidirectional=True).double()
    gru = nn.GRU(2, 3, batch_first=True).double()
    x = _g(3, 2, 2)
    ws = tuple(lstm.parameters())

    def run_lstm(x, *params):
        for p, v in zip(lstm.parameters(), params, strict=True):
            p.data = v.detach()
        out, (h, c) = lstm(x)
        return out.tanh().sum() + (h * c).sum()
    assert gradcheck(lambda x: run_lstm(x, *ws), (x,))
    assert gradgradcheck(lambda x: run_lstm(x, *ws), (x,))
    assert gradgradcheck(lambda x: gru(x)[0].sin().sum(), (x,))
    # the weights' gradient of a gradient (a penalty on the input gradient)
    out = gru(x)[0].pow(2).sum()
    (gx,) = dagrad.autograd.grad(out, x, create_graph=True)
    gx.pow(2).sum().backward()
    tg = torch.nn.GRU(2, 3, batch_first=True).double()
    tg.load_state_dict({k: torch.tensor(v.detach().numpy()) for k, v in gru.state_dict().items()})
    tx = torch.tensor(x.detach().numpy(), requires_grad=True)
    (tgx,) = torch.autograd.grad(tg(tx)[0].pow(2).sum(), tx, create_graph=True)
    tgx.pow(2).sum().backward()
    for p, tp in zip(gru.parameters(), tg.parameters(), strict=True):
        _close(p.grad, tp.grad)


def test_recurrent_reprs_match_torch() -> None:
    builds = [
        lambda lib: lib.nn.RNN(3, 4), lambda lib: lib.nn.RNN(3, 4, 2, nonlinearity="relu"),
        lambda lib: lib.nn.LSTM(3, 4, num_layers=2, bias=False, batch_first=True,
                                dropout=0.5, bidirectional=True, proj_size=2),
        lambda lib: lib.nn.GRU(3, 4, dropout=0.25, num_layers=3),
        lambda lib: lib.nn.RNNCell(3, 4), lambda lib: lib.nn.RNNCell(3, 4, False, "relu"),
        lambda lib: lib.nn.LSTMCell(3, 4, bias=False), lambda lib: lib.nn.GRUCell(3, 4),
    ]
    for b in builds:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert repr(b(dagrad)) == repr(b(torch))


def test_recurrent_errors_and_warnings_match_torch() -> None:
    def cases(lib):
        x = lib.zeros(5, 2, 3)
        return [
            lambda: lib.nn.LSTM(3, 4)(lib.zeros(5, 2, 2)),
            lambda: lib.nn.LSTM(3, 4)(x, (lib.zeros(1, 3, 4), lib.zeros(1, 2, 4))),
            lambda: lib.nn.LSTM(3, 4)(x, (lib.zeros(1, 2, 4), lib.zeros(1, 2, 5))),
            lambda: lib.nn.LSTM(3, 4)(x, (lib.zeros(2, 4), lib.zeros(2, 4))),
            lambda: lib.nn.LSTM(3, 4)(x[0], (lib.zeros(1, 2, 4), lib.zeros(1, 2, 4))),
            lambda: lib.nn.GRU(3, 4)(lib.zeros(3), None),
            lambda: lib.nn.GRU(3, 4)(x, lib.zeros(2, 4)),
            lambda: lib.nn.GRU(3, 4)(x[0], lib.zeros(1, 2, 4)),
            lambda: lib.nn.RNN(3, 4)(lib.zeros(1, 5, 2, 3)),
            lambda: lib.nn.RNN(3, 4)(x, lib.zeros(2, 2, 4)),
            lambda: lib.nn.RNN(3, 4)(x.double()),
            lambda: lib.nn.RNN(3, 4, nonlinearity="gelu"),
            lambda: lib.nn.GRU(3, 4, proj_size=2),
            lambda: lib.nn.LSTM(3, 4, proj_size=4),
            lambda: lib.nn.LSTM(3, 4, proj_size=-1),
            lambda: lib.nn.LSTM(3, 4, dropout=1.5),
            lambda: lib.nn.LSTM(3, 0),
            lambda: lib.nn.LSTM(3, 4, num_layers=0),
            lambda: lib.nn.LSTM(3, 4, bias=1),
            lambda: lib.nn.RNNCell(3, 4)(lib.zeros(1, 2, 3)),
            lambda: lib.nn.GRUCell(3, 4)(lib.zeros(2, 3), lib.zeros(1, 2, 4)),
            lambda: lib.nn.LSTMCell(3, 4)(lib.zeros(2, 3), (lib.zeros(2, 4), lib.zeros(1, 2, 4))),
            lambda: lib.nn.RNNCell(3, 4, nonlinearity="gelu")(lib.zeros(2, 3)),
        ]
    for ours, theirs in zip(cases(dagrad), cases(torch), strict=True):
        assert _err(ours) == _err(theirs)
    assert _warns(lambda: nn.LSTM(3, 4, dropout=0.5)) == \
        _warns(lambda: torch.nn.LSTM(3, 4, dropout=0.5))


# --------------------------------------------------------------------------- attention


def _mha_cases():
    r = _rng(21)
    L, S, N, E = 4, 5, 3, 8
    q = r.standard_normal((L, N, E))
    k, v = r.standard_normal((S, N, E)), r.standard_normal((S, N, E))
    kpm = np.zeros((N, S), bool)
    kpm[0, -2:] = True
    kpm[2, 0] = True
    am_b = np.triu(np.ones((L, S), bool), 2)
    am_f = r.standard_normal((L, S))
    am_3d = r.standard_normal((N * 2, L, S))
    self_call = (lambda m, x, **kw: m(x, x, x, **kw))
    return [
        ("self", lambda lib: lib.nn.MultiheadAttention(E, 2), (q,), {}, self_call),
        ("cross", lambda lib: lib.nn.MultiheadAttention(E, 2), (q, k, v), {}, None),
        ("kv-shared", lambda lib: lib.nn.MultiheadAttention(E, 4), (q, k), {},
         lambda m, q, k, **kw: m(q, k, k, **kw)),
        ("batch_first-self", lambda lib: lib.nn.MultiheadAttention(E, 2, batch_first=True),
         (q.transpose(1, 0, 2).copy(),), {}, self_call),
        ("kdim-vdim", lambda lib: lib.nn.MultiheadAttention(E, 2, kdim=3, vdim=6),
         (q, k[..., :3].copy(), v[..., :6].copy()), {}, None),
        ("nobias", lambda lib: lib.nn.MultiheadAttention(E, 2, bias=False), (q, k, v), {}, None),
        ("bias_kv-zero_attn", lambda lib: lib.nn.MultiheadAttention(
            E, 2, add_bias_kv=True, add_zero_attn=True), (q, k, v),
         {"key_padding_mask": kpm, "attn_mask": am_b}, None),
        ("key_padding_mask-bool", lambda lib: lib.nn.MultiheadAttention(E, 2), (q, k, v),
         {"key_padding_mask": kpm}, None),
        ("key_padding_mask-float", lambda lib: lib.nn.MultiheadAttention(E, 2), (q, k, v),
         {"key_padding_mask": np.where(kpm, -np.inf, 0.0)}, None),
        ("attn_mask-bool", lambda lib: lib.nn.MultiheadAttention(E, 2), (q, k, v),
         {"attn_mask": am_b}, None),
        ("attn_mask-float-3d", lambda lib: lib.nn.MultiheadAttention(E, 2), (q, k, v),
         {"attn_mask": am_3d}, None),
        ("masks-per-head-weights", lambda lib: lib.nn.MultiheadAttention(E, 2), (q, k, v),
         {"attn_mask": am_f, "key_padding_mask": np.where(kpm, -np.inf, 0.0),
          "average_attn_weights": False}, None),
        ("need_weights-false", lambda lib: lib.nn.MultiheadAttention(E, 2), (q, k, v),
         {"need_weights": False, "attn_mask": am_f}, None),
        ("need_weights-false-kpm", lambda lib: lib.nn.MultiheadAttention(E, 2, batch_first=True),
         (q.transpose(1, 0, 2).copy(),), {"need_weights": False, "key_padding_mask": kpm[:, :L]},
         self_call),
        ("causal", lambda lib: lib.nn.MultiheadAttention(E, 2), (q,),
         {"need_weights": False, "is_causal": True,
          "attn_mask": np.triu(np.full((L, L), -np.inf), 1)}, self_call),
        ("unbatched", lambda lib: lib.nn.MultiheadAttention(E, 2), (q[:, 0].copy(),
                                                                   k[:, 0].copy(),
                                                                   v[:, 0].copy()),
         {"key_padding_mask": kpm[0]}, None),
        ("eval-dropout", lambda lib: lib.nn.MultiheadAttention(E, 2, dropout=0.5).eval(),
         (q, k, v), {}, None),
    ]


def _as_lib(kwargs: dict, lib) -> dict:
    return {k: lib.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}


@pytest.mark.parametrize("case", _mha_cases(), ids=lambda c: c[0])
def test_multihead_attention_matches_torch(case) -> None:
    _, build, arrays, kwargs, call = case
    ours, theirs = _pair(build)
    call = call or (lambda m, *xs, **kw: m(*xs, **kw))

    def run(m, *xs):
        lib = dagrad if isinstance(m, nn.Module) else torch
        return call(m, *xs, **_as_lib(kwargs, lib))
    _compare_modules(ours, theirs, arrays, call=run)


def test_multihead_attention_state_dict_and_init() -> None:
    m = nn.MultiheadAttention(16, 4, add_bias_kv=True)
    tm = torch.nn.MultiheadAttention(16, 4, add_bias_kv=True)
    assert list(m.state_dict()) == list(tm.state_dict())
    assert m.in_proj_bias.tolist() == [0.0] * 48 and m.out_proj.bias.tolist() == [0.0] * 16
    bound = np.sqrt(6 / (16 + 48))                               # xavier_uniform_ on (48, 16)
    assert np.abs(m.in_proj_weight.detach().numpy()).max() <= bound
    sep = nn.MultiheadAttention(4, 2, kdim=3, vdim=5)
    tsep = torch.nn.MultiheadAttention(4, 2, kdim=3, vdim=5)
    assert [(n, tuple(p.shape)) for n, p in sep.named_parameters()] == \
        [(n, tuple(p.shape)) for n, p in tsep.named_parameters()]
    assert sep.in_proj_weight is None and sep._qkv_same_embed_dim is False


def test_attention_errors_match_torch() -> None:
    def cases(lib, f):
        x = lib.zeros(4, 2, 6)
        return [
            lambda: lib.nn.MultiheadAttention(5, 2),
            lambda: lib.nn.MultiheadAttention(0, 2),
            lambda: lib.nn.MultiheadAttention(6, 2)(x, x, x, attn_mask=lib.zeros(3, 4)),
            lambda: lib.nn.MultiheadAttention(6, 2)(x, x, x, attn_mask=lib.zeros(3, 4, 4)),
            lambda: lib.nn.MultiheadAttention(6, 2)(x, x, x, key_padding_mask=lib.zeros(2, 3)),
            lambda: lib.nn.MultiheadAttention(6, 2)(x, x[0], x),
            lambda: lib.nn.MultiheadAttention(6, 2)(x, x, x, attn_mask=lib.zeros(4, 4,
                                                                             dtype=lib.int64)),
            lambda: lib.nn.MultiheadAttention(6, 2)(x, x, x, is_causal=True),
            lambda: lib.nn.MultiheadAttention(6, 2)(x[0], x[0], x[0], attn_mask=lib.zeros(3, 2, 2)),
            lambda: f.scaled_dot_product_attention(x, x.double(), x),
            lambda: f.scaled_dot_product_attention(x[0, 0], x[0, 0], x[0, 0]),
        ]
    for ours, theirs in zip(cases(dagrad, F), cases(torch, TF), strict=True):
        assert _err(ours) == _err(theirs)
    x, tx = dagrad.zeros(4, 2, 6), torch.zeros(4, 2, 6)
    assert _warns(lambda: nn.MultiheadAttention(6, 2)(
        x, x, x, key_padding_mask=dagrad.zeros(2, 4, dtype=dagrad.bool),
        attn_mask=dagrad.zeros(4, 4))) == _warns(lambda: torch.nn.MultiheadAttention(6, 2)(
            tx, tx, tx, key_padding_mask=torch.zeros(2, 4, dtype=torch.bool),
            attn_mask=torch.zeros(4, 4)))


def test_sdpa_fully_masked_query_gives_zeros_and_dropout_scales() -> None:
    q = _g(1, 1, 3, 2)
    mask = dagrad.tensor([[True, True], [False, False], [True, False]])
    out = F.scaled_dot_product_attention(q, _g(1, 1, 2, 2, seed=4), _g(1, 1, 2, 2, seed=5), mask)
    assert out[0, 0, 1].tolist() == [0.0, 0.0]
    out.sum().backward()
    assert q.grad[0, 0, 1].tolist() == [0.0, 0.0]
    x = dagrad.ones(1, 1, 200, 4, dtype=dagrad.float64)
    v = dagrad.tensor(np.eye(200)[None, None], dtype=dagrad.float64)
    y = F.scaled_dot_product_attention(x, x, v, dropout_p=0.25)
    vals = np.unique(np.round(y.numpy() * 200, 9))
    np.testing.assert_allclose(vals, [0.0, 1 / 0.75])             # dropped or scaled by 1/(1-p)


# --------------------------------------------------------------------------- transformer


def _encoder_layer_cases():
    r = _rng(31)
    S, N, E = 5, 3, 8
    x = r.standard_normal((S, N, E))
    kpm = np.zeros((N, S), bool)
    kpm[1, -2:] = True
    causal = np.triu(np.full((S, S), -np.inf), 1)
    return [
        ("relu", lambda lib: lib.nn.TransformerEncoderLayer(E, 2, 16, dropout=0.0), (x,), {}),
        ("gelu-norm_first", lambda lib: lib.nn.TransformerEncoderLayer(
            E, 2, 16, dropout=0.0, activation="gelu", norm_first=True), (x,), {}),
        ("batch_first-masks", lambda lib: lib.nn.TransformerEncoderLayer(
            E, 4, 12, dropout=0.0, batch_first=True, layer_norm_eps=1e-3),
         (x.transpose(1, 0, 2).copy(),), {"src_key_padding_mask": kpm, "src_mask": causal}),
        ("causal", lambda lib: lib.nn.TransformerEncoderLayer(E, 2, 16, dropout=0.0), (x,),
         {"src_mask": causal, "is_causal": True}),
        ("eval-dropout", lambda lib: lib.nn.TransformerEncoderLayer(E, 2, 16).eval(), (x,), {}),
        ("nobias-module-activation", lambda lib: lib.nn.TransformerEncoderLayer(
            E, 2, 16, dropout=0.0, bias=False, activation=lib.nn.GELU()), (x,), {}),
        ("unbatched", lambda lib: lib.nn.TransformerEncoderLayer(E, 2, 16, dropout=0.0),
         (x[:, 0].copy(),), {}),
        ("encoder-2layers-norm", lambda lib: lib.nn.TransformerEncoder(
            lib.nn.TransformerEncoderLayer(E, 2, 16, dropout=0.0, batch_first=True), 2,
            norm=lib.nn.LayerNorm(E)), (x.transpose(1, 0, 2).copy(),),
         {"src_key_padding_mask": kpm}),
        ("encoder-causal-detected", lambda lib: lib.nn.TransformerEncoder(
            lib.nn.TransformerEncoderLayer(E, 2, 16, dropout=0.0), 2,
            enable_nested_tensor=False), (x,), {"mask": causal}),
    ]


@pytest.mark.parametrize("case", _encoder_layer_cases(), ids=lambda c: c[0])
def test_transformer_encoder_matches_torch(case) -> None:
    _, build, arrays, kwargs = case

    def quiet(lib):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return build(lib)
    ours, theirs = _pair(quiet)

    def run(m, *xs):
        lib = dagrad if isinstance(m, nn.Module) else torch
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")                     # mixed bool / float masks
            return m(*xs, **_as_lib(kwargs, lib))
    _compare_modules(ours, theirs, arrays, call=run)


def test_transformer_encoder_structure_and_warning() -> None:
    def build(lib):
        layer = lib.nn.TransformerEncoderLayer(8, 2, 16)
        return lib.nn.TransformerEncoder(layer, 3)
    assert _warns(lambda: build(dagrad)) == _warns(lambda: build(torch))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        enc, tenc = build(dagrad), build(torch)
    assert repr(enc) == repr(tenc)
    assert list(enc.state_dict()) == list(tenc.state_dict())
    a, b = enc.layers[0].linear1.weight, enc.layers[1].linear1.weight
    assert a is not b and np.array_equal(a.detach().numpy(), b.detach().numpy())   # deep copies
    assert enc.layers[0].activation is F.relu and enc.layers[0].activation_relu_or_gelu == 1
    assert _err(lambda: nn.TransformerEncoderLayer(8, 2, activation="tanh")) == \
        _err(lambda: torch.nn.TransformerEncoderLayer(8, 2, activation="tanh"))


# --------------------------------------------------------------------------- dropout


def test_channel_and_alpha_dropout_semantics() -> None:
    dagrad.manual_seed(0)
    x = dagrad.ones(64, 32, 3, 3, requires_grad=True)
    y = F.dropout2d(x, 0.25)
    assert y.grad_fn.name() == "MulBackward0"
    a = y.detach().numpy()
    per_channel = a.reshape(64, 32, 9)
    assert (per_channel == per_channel[..., :1]).all()          # whole channels kept or dropped
    np.testing.assert_allclose(np.unique(a), [0.0, 1 / 0.75], rtol=1e-6)
    assert abs((per_channel[..., 0] == 0).mean() - 0.25) < 0.03
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), a)
    assert F.dropout2d(x, 0.25, training=False) is x and F.dropout(x, 0.0) is x
    u = F.dropout1d(dagrad.ones(16, 40), 0.5)                    # unbatched (C, L)
    assert u.grad_fn is None and ((u.numpy() == u.numpy()[:, :1]).all())
    assert F.dropout3d(dagrad.ones(2, 3, 2, 2, 2), 0.5).shape == (2, 3, 2, 2, 2)
    z = dagrad.randn(200_000, dtype=dagrad.float64)
    ad = F.alpha_dropout(z, 0.2, training=True)
    assert ad.grad_fn is None and abs(ad.numpy().mean()) < 0.02        # mean 0, variance 1 kept
    assert abs(ad.numpy().std() - 1) < 0.02
    assert F.alpha_dropout(z, 0.2) is z                          # training=False by default
    fa = F.feature_alpha_dropout(dagrad.randn(400, 50, 4, dtype=dagrad.float64), 0.3, True)
    assert fa.shape == (400, 50, 4)
    zero = F.alpha_dropout(z, 1.0, True)
    assert not zero.numpy().any()
    h = x * 1
    assert F.dropout2d(h, 0.5, inplace=True) is h
    v = dagrad.ones(6, 10) * 1
    assert F.dropout1d(v, 0.5, inplace=True) is v and (v.numpy() == v.numpy()[:, :1]).all()
    m = nn.AlphaDropout(0.2).eval()
    assert m(z) is z


def test_dropout_messages_and_warnings_match_torch() -> None:
    def cases(lib, f):
        return [lambda: f.dropout2d(lib.ones(2, 2), 1.5), lambda: f.dropout1d(lib.ones(2, 2, 2, 2)),
                lambda: f.alpha_dropout(lib.ones(2), -0.1), lambda: lib.nn.Dropout2d(2.0),
                lambda: f.feature_alpha_dropout(lib.ones(3), 0.5, True)]
    for ours, theirs in zip(cases(dagrad, F), cases(torch, TF), strict=True):
        assert _err(ours) == _err(theirs)
    for shape in [(2, 3), (2, 3, 4)]:
        assert _warns(lambda: F.dropout2d(dagrad.ones(*shape))) == \
            _warns(lambda: TF.dropout2d(torch.ones(*shape)))
    assert _warns(lambda: F.dropout3d(dagrad.ones(2, 3))) == \
        _warns(lambda: TF.dropout3d(torch.ones(2, 3)))


# --------------------------------------------------------------------------- reprs, errors


def test_reprs_match_torch() -> None:
    builds = [
        lambda lib: lib.nn.BatchNorm1d(3), lambda lib: lib.nn.BatchNorm2d(
            4, eps=1e-3, momentum=None, affine=False, track_running_stats=False),
        lambda lib: lib.nn.BatchNorm3d(2, bias=False), lambda lib: lib.nn.GroupNorm(2, 6),
        lambda lib: lib.nn.GroupNorm(3, 6, eps=1e-3, affine=False),
        lambda lib: lib.nn.InstanceNorm1d(3), lambda lib: lib.nn.InstanceNorm2d(
            3, affine=True, track_running_stats=True), lambda lib: lib.nn.InstanceNorm3d(2),
        lambda lib: lib.nn.Dropout1d(), lambda lib: lib.nn.Dropout2d(0.3, True),
        lambda lib: lib.nn.Dropout3d(0.1), lambda lib: lib.nn.AlphaDropout(0.2),
        lambda lib: lib.nn.FeatureAlphaDropout(), lambda lib: lib.nn.PReLU(),
        lambda lib: lib.nn.PReLU(5, 0.1), lambda lib: lib.nn.Upsample(size=5),
        lambda lib: lib.nn.Upsample(scale_factor=(2, 3), mode="bilinear", align_corners=True),
        lambda lib: lib.nn.UpsamplingNearest2d(scale_factor=2),
        lambda lib: lib.nn.UpsamplingBilinear2d(size=(3, 4)),
        lambda lib: lib.nn.Fold((4, 5), 2), lambda lib: lib.nn.Unfold((2, 3), 1, 0, 2),
        lambda lib: lib.nn.CosineEmbeddingLoss(0.5), lambda lib: lib.nn.MarginRankingLoss(),
        lambda lib: lib.nn.TripletMarginLoss(swap=True),
        lambda lib: lib.nn.MultiheadAttention(4, 2, kdim=3, bias=False),
        lambda lib: lib.nn.TransformerEncoderLayer(4, 2, 8, norm_first=True),
    ]
    for b in builds:
        assert repr(b(dagrad)) == repr(b(torch))


def test_errors_match_torch() -> None:
    x = _rng(0).standard_normal((2, 3, 5, 5)).astype(np.float32)

    def cases(lib, f):
        t = lib.tensor(x)
        return [
            lambda: f.batch_norm(t, lib.zeros(4), lib.ones(4)),
            lambda: f.batch_norm(t, lib.zeros(3), lib.ones(3), lib.ones(4)),
            lambda: f.batch_norm(t, None, None),
            lambda: f.batch_norm(t[:1, :, :1, :1], None, None, training=True),
            lambda: f.batch_norm(t, None, None, training=True, eps=0.0),
            lambda: lib.nn.BatchNorm2d(3)(t[0]),
            lambda: lib.nn.BatchNorm1d(3)(t),
            lambda: f.group_norm(t, 2),
            lambda: f.group_norm(t, 3, lib.ones(4)),
            lambda: f.group_norm(t[0, 0, 0], 1),
            lambda: lib.nn.GroupNorm(2, 3),
            lambda: f.instance_norm(t[:, :, :1, :1]),
            lambda: f.instance_norm(t, use_input_stats=False),
            lambda: lib.nn.InstanceNorm2d(4, affine=True)(t),
            lambda: lib.nn.InstanceNorm1d(3)(t),
            lambda: f.prelu(t, lib.ones(4)),
            lambda: f.prelu(t, lib.ones(3, 1)),
            lambda: f.prelu(t, lib.ones(3, dtype=lib.float64)),
            lambda: f.interpolate(t, size=4, scale_factor=2),
            lambda: f.interpolate(t),
            lambda: f.interpolate(t, size=(3,), mode="bilinear"),
            lambda: f.interpolate(t, scale_factor=(2, 2, 2)),
            lambda: f.interpolate(t, size=3, mode="nearest", align_corners=True),
            lambda: f.interpolate(t, size=3, mode="linear"),
            lambda: f.interpolate(t[0], size=3, mode="bilinear"),
            lambda: f.interpolate(t, size=3, recompute_scale_factor=True),
            lambda: f.unfold(t, 6),
            lambda: f.fold(lib.ones(2, 7, 16), (5, 5), 2),
            lambda: f.fold(lib.ones(2, 12, 15), (5, 5), 2),
            lambda: f.cosine_embedding_loss(t[0, 0], t[0, 1], lib.ones(5, 1)),
            lambda: f.cosine_embedding_loss(t[0, 0], t[0, 1], lib.ones(())),
            lambda: f.margin_ranking_loss(t[0, 0, 0], t[0, 0, 1], lib.ones(5, 1)),
            lambda: f.triplet_margin_loss(t[0, 0], t[0, 1], t[0, 2, 0]),
            lambda: f.triplet_margin_loss(t[0, 0], t[0, 1], t[0, 2], margin=0),
            lambda: lib.nn.TripletMarginLoss(margin=-1),
            lambda: f.cosine_embedding_loss(t[0, 0], t[0, 1], lib.ones(5), reduction="avg"),
        ]
    for ours, theirs in zip(cases(dagrad, F), cases(torch, TF), strict=True):
        assert _err(ours) == _err(theirs)


def test_default_initialisation() -> None:
    bn = nn.BatchNorm2d(3)
    assert bn.weight.tolist() == [1.0] * 3 and bn.bias.tolist() == [0.0] * 3
    assert bn.running_mean.tolist() == [0.0] * 3 and bn.running_var.tolist() == [1.0] * 3
    assert nn.GroupNorm(1, 2).weight.tolist() == [1.0, 1.0]
    assert nn.PReLU(2).weight.tolist() == [0.25, 0.25]
    assert list(nn.InstanceNorm2d(3).state_dict()) == []
    assert nn.BatchNorm1d(2, dtype=dagrad.float64).running_var.dtype == dagrad.float64


@pytest.mark.parametrize("padding", ["right", "left"])
def test_transformer_encoder_inference_fast_path_padding(padding: str) -> None:
    # PyTorch's nested-tensor path (eval, no grad, right padding) returns zeros (then `norm`)
    # at padded positions; otherwise the ordinary masked values.
    def build(lib):
        layer = lib.nn.TransformerEncoderLayer(8, 2, 16, batch_first=True)
        return lib.nn.TransformerEncoder(layer, 2, norm=lib.nn.LayerNorm(8)).eval()
    ours, theirs = _pair(build)
    x = _rng(8).standard_normal((3, 5, 8))
    kpm = np.zeros((3, 5), bool)
    if padding == "right":
        kpm[1, -2:] = True
    else:
        kpm[1, :2] = True
    with dagrad.no_grad():
        out = ours(dagrad.tensor(x), src_key_padding_mask=dagrad.tensor(kpm))
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")                  # "nested tensors are in prototype stage"
        tout = theirs(torch.tensor(x), src_key_padding_mask=torch.tensor(kpm))
    _close(out, tout)
    grad_out = ours(dagrad.tensor(x, requires_grad=True),
                    src_key_padding_mask=dagrad.tensor(kpm))
    _close(grad_out[0], tout[0])
