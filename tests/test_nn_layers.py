"""Layers, ``nn.functional``, losses, ``nn.init`` and ``nn.utils`` against PyTorch 2.13.

Every function and layer runs on the same float64 values in both libraries; outputs, input
gradients and parameter gradients must agree to 1e-6 relative, and the output's ``grad_fn``
must carry PyTorch's node name. ``gradcheck``/``gradgradcheck`` check the derivative formulas
(so double backward works) independently of PyTorch.
"""
from __future__ import annotations

import math
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


def _d(s: str) -> str:
    return re.sub(r"\btorch\b", "dagrad", s)


def _rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def _both(a: np.ndarray, requires_grad: bool = True) -> tuple:
    rg = requires_grad and a.dtype.kind == "f"
    return (dagrad.tensor(a, requires_grad=rg), torch.tensor(a, requires_grad=rg))


def _close(ours, theirs, rtol: float = RTOL, atol: float = ATOL) -> None:
    a = ours.detach().numpy() if hasattr(ours, "detach") else np.asarray(ours)
    b = theirs.detach().numpy() if hasattr(theirs, "detach") else np.asarray(theirs)
    assert a.shape == b.shape, (a.shape, b.shape)
    np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)


def _compare(fn_ours, fn_theirs, *arrays, node: str | None = None) -> None:
    """Run both on the same inputs (float arrays require grad), backprop a random gradient,
    compare values, input gradients and the node name."""
    pairs = [_both(a) for a in arrays]
    out = fn_ours(*[p[0] for p in pairs])
    tout = fn_theirs(*[p[1] for p in pairs])
    _close(out, tout)
    assert out.dtype == dagrad.float64
    if node is not None:
        assert out.grad_fn.name() == tout.grad_fn.name() == node
    g = _rng(99).standard_normal(tuple(tout.shape))
    out.backward(dagrad.tensor(g))
    tout.backward(torch.tensor(g))
    for (a, b) in pairs:
        if b.grad is None:
            assert a.grad is None
        else:
            _close(a.grad, b.grad)


R = _rng(1)
X = R.standard_normal((4, 5)) * 2
X2 = R.standard_normal((4, 5))
PROBS = np.abs(R.standard_normal((4, 5))) + 0.1
PROBS /= PROBS.sum(1, keepdims=True)
TARGET = np.array([0, 2, 1, 4])
W5 = np.abs(R.standard_normal(5)) + 0.5

# (id, our function, PyTorch's function, inputs, node)
ACTIVATIONS = [
    ("relu", F.relu, TF.relu, "ReluBackward0"),
    ("relu6", F.relu6, TF.relu6, "HardtanhBackward0"),
    ("leaky_relu", lambda x: F.leaky_relu(x, 0.2), lambda x: TF.leaky_relu(x, 0.2),
     "LeakyReluBackward0"),
    ("elu", lambda x: F.elu(x, 0.7), lambda x: TF.elu(x, 0.7), "EluBackward0"),
    ("selu", F.selu, TF.selu, "EluBackward0"),
    ("celu", lambda x: F.celu(x, 1.5), lambda x: TF.celu(x, 1.5), "CeluBackward0"),
    ("gelu", F.gelu, TF.gelu, "GeluBackward0"),
    ("gelu_tanh", lambda x: F.gelu(x, approximate="tanh"),
     lambda x: TF.gelu(x, approximate="tanh"), "GeluBackward0"),
    ("silu", F.silu, TF.silu, "SiluBackward0"),
    ("mish", F.mish, TF.mish, "MishBackward0"),
    ("softplus", lambda x: F.softplus(x, 2.0, 3.0), lambda x: TF.softplus(x, 2.0, 3.0),
     "SoftplusBackward0"),
    ("tanh", F.tanh, TF.tanh, "TanhBackward0"),
    ("sigmoid", F.sigmoid, TF.sigmoid, "SigmoidBackward0"),
    ("hardtanh", lambda x: F.hardtanh(x, -0.5, 1.5), lambda x: TF.hardtanh(x, -0.5, 1.5),
     "HardtanhBackward0"),
    ("logsigmoid", F.logsigmoid, TF.logsigmoid, "LogSigmoidBackward0"),
    ("hardsigmoid", F.hardsigmoid, TF.hardsigmoid, "HardsigmoidBackward0"),
    ("hardswish", F.hardswish, TF.hardswish, "HardswishBackward0"),
    ("softsign", F.softsign, TF.softsign, "DivBackward0"),
    ("tanhshrink", F.tanhshrink, TF.tanhshrink, "SubBackward0"),
    ("softshrink", lambda x: F.softshrink(x, 0.3), lambda x: TF.softshrink(x, 0.3),
     "SoftshrinkBackward0"),
    ("hardshrink", F.hardshrink, TF.hardshrink, "HardshrinkBackward0"),
    ("softmax", lambda x: F.softmax(x, 1), lambda x: TF.softmax(x, 1), "SoftmaxBackward0"),
    ("log_softmax", lambda x: F.log_softmax(x, 0), lambda x: TF.log_softmax(x, 0),
     "LogSoftmaxBackward0"),
    ("softmin", lambda x: F.softmin(x, -1), lambda x: TF.softmin(x, -1), "SoftmaxBackward0"),
]


@pytest.mark.parametrize("case", ACTIVATIONS, ids=lambda c: c[0])
def test_activation_matches_torch(case) -> None:
    _, ours, theirs, node = case
    _compare(ours, theirs, X, node=node)


LOSSES = []
for _red in ("mean", "sum", "none"):
    LOSSES += [
        (f"mse-{_red}", lambda a, b, r=_red: F.mse_loss(a, b, reduction=r),
         lambda a, b, r=_red: TF.mse_loss(a, b, reduction=r), (X, X2), "MseLossBackward0"),
        (f"l1-{_red}", lambda a, b, r=_red: F.l1_loss(a, b, reduction=r),
         lambda a, b, r=_red: TF.l1_loss(a, b, reduction=r), (X, X2), None),
        (f"smooth_l1-{_red}", lambda a, b, r=_red: F.smooth_l1_loss(a, b, reduction=r, beta=0.6),
         lambda a, b, r=_red: TF.smooth_l1_loss(a, b, reduction=r, beta=0.6), (X, X2),
         "SmoothL1LossBackward0"),
        (f"huber-{_red}", lambda a, b, r=_red: F.huber_loss(a, b, reduction=r, delta=0.8),
         lambda a, b, r=_red: TF.huber_loss(a, b, reduction=r, delta=0.8), (X, X2),
         "HuberLossBackward0"),
        (f"ce-{_red}", lambda a, t, r=_red: F.cross_entropy(a, t, reduction=r),
         lambda a, t, r=_red: TF.cross_entropy(a, t, reduction=r), (X, TARGET),
         "NllLossBackward0"),
        (f"ce-weight-ignore-smooth-{_red}",
         lambda a, t, r=_red: F.cross_entropy(a, t, weight=dagrad.tensor(W5), reduction=r,
                                              ignore_index=2, label_smoothing=0.15),
         lambda a, t, r=_red: TF.cross_entropy(a, t, weight=torch.tensor(W5), reduction=r,
                                               ignore_index=2, label_smoothing=0.15),
         (X, TARGET), "AddBackward0"),
        (f"ce-probs-{_red}", lambda a, p, r=_red: F.cross_entropy(a, p, reduction=r),
         lambda a, p, r=_red: TF.cross_entropy(a, p, reduction=r), (X, PROBS), None),
        (f"ce-probs-weight-smooth-{_red}",
         lambda a, p, r=_red: F.cross_entropy(a, p, dagrad.tensor(W5), reduction=r,
                                              label_smoothing=0.3),
         lambda a, p, r=_red: TF.cross_entropy(a, p, torch.tensor(W5), reduction=r,
                                               label_smoothing=0.3), (X, PROBS), None),
        (f"nll-{_red}", lambda a, t, r=_red: F.nll_loss(a, t, reduction=r, ignore_index=1),
         lambda a, t, r=_red: TF.nll_loss(a, t, reduction=r, ignore_index=1), (X, TARGET),
         "NllLossBackward0"),
        (f"bce-{_red}", lambda a, p, r=_red: F.binary_cross_entropy(
            a.sigmoid(), p, weight=dagrad.tensor(W5), reduction=r),
         lambda a, p, r=_red: TF.binary_cross_entropy(a.sigmoid(), p, weight=torch.tensor(W5),
                                                      reduction=r), (X, PROBS),
         "BinaryCrossEntropyBackward0"),
        (f"bce_logits-{_red}", lambda a, p, r=_red: F.binary_cross_entropy_with_logits(
            a, p, weight=dagrad.tensor(W5), pos_weight=dagrad.tensor(W5[::-1].copy()),
            reduction=r),
         lambda a, p, r=_red: TF.binary_cross_entropy_with_logits(
             a, p, weight=torch.tensor(W5), pos_weight=torch.tensor(W5[::-1].copy()),
             reduction=r), (X, PROBS), "BinaryCrossEntropyWithLogitsBackward0"),
        (f"kl-{_red}", lambda a, p, r=_red: F.kl_div(a, p, reduction=r),
         lambda a, p, r=_red: TF.kl_div(a, p, reduction=r), (X, PROBS), None),
    ]
LOSSES += [
    ("kl-batchmean-log_target", lambda a, p: F.kl_div(a, p.log(), reduction="batchmean",
                                                      log_target=True),
     lambda a, p: TF.kl_div(a, p.log(), reduction="batchmean", log_target=True), (X, PROBS),
     "DivBackward0"),
    ("ce-1d", F.cross_entropy, TF.cross_entropy, (X[0], np.array(3)), "NllLossBackward0"),
    ("ce-4d", F.cross_entropy, TF.cross_entropy,
     (R.standard_normal((2, 5, 3, 2)), R.integers(0, 5, (2, 3, 2))), "NllLoss2DBackward0"),
    ("ce-3d-none", lambda a, t: F.cross_entropy(a, t, reduction="none"),
     lambda a, t: TF.cross_entropy(a, t, reduction="none"),
     (R.standard_normal((2, 5, 3)), R.integers(0, 5, (2, 3))), "ViewBackward0"),
    ("ce-3d-smooth", lambda a, t: F.cross_entropy(a, t, label_smoothing=0.2),
     lambda a, t: TF.cross_entropy(a, t, label_smoothing=0.2),
     (R.standard_normal((2, 5, 3)), R.integers(0, 5, (2, 3))), "AddBackward0"),
    ("mse-broadcast", lambda a, b: F.mse_loss(a, b), lambda a, b: TF.mse_loss(a, b),
     (X, X2[0]), "MseLossBackward0"),
    ("smooth_l1-beta0", lambda a, b: F.smooth_l1_loss(a, b, beta=0.0),
     lambda a, b: TF.smooth_l1_loss(a, b, beta=0.0), (X, X2), None),
    ("huber-weight", lambda a, b: F.huber_loss(a, b, weight=dagrad.tensor(PROBS)),
     lambda a, b: TF.huber_loss(a, b, weight=torch.tensor(PROBS)), (X, X2), None),
]


@pytest.mark.parametrize("case", LOSSES, ids=lambda c: c[0])
def test_loss_matches_torch(case) -> None:
    _, ours, theirs, arrays, node = case
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")                      # mse broadcast, kl 'mean'
        _compare(ours, theirs, *arrays, node=node)


OTHER_FUNCTIONS = [
    ("linear-2d", F.linear, TF.linear, (X, R.standard_normal((3, 5)), R.standard_normal(3)),
     "AddmmBackward0"),
    ("linear-3d", F.linear, TF.linear,
     (R.standard_normal((2, 4, 5)), R.standard_normal((3, 5)), R.standard_normal(3)),
     "ViewBackward0"),
    ("linear-1d", F.linear, TF.linear, (X[0], R.standard_normal((3, 5)), R.standard_normal(3)),
     "ViewBackward0"),
    ("linear-nobias", F.linear, TF.linear, (X, R.standard_normal((3, 5))), "MmBackward0"),
    ("bilinear", F.bilinear, TF.bilinear,
     (R.standard_normal((4, 2)), R.standard_normal((4, 3)), R.standard_normal((5, 2, 3)),
      R.standard_normal(5)), "AddBackward0"),
    ("bilinear-3d", F.bilinear, TF.bilinear,
     (R.standard_normal((2, 4, 2)), R.standard_normal((2, 4, 3)), R.standard_normal((5, 2, 3))),
     None),
    ("normalize", lambda x: F.normalize(x, p=3.0, dim=0),
     lambda x: TF.normalize(x, p=3.0, dim=0), (X,), "DivBackward0"),
    ("cosine_similarity", F.cosine_similarity, TF.cosine_similarity, (X, X2), "SumBackward1"),
    ("cosine_similarity-broadcast", lambda a, b: F.cosine_similarity(a, b, dim=-1),
     lambda a, b: TF.cosine_similarity(a, b, dim=-1), (X, X2[:1]), "SumBackward1"),
    ("pairwise_distance", F.pairwise_distance, TF.pairwise_distance, (X, X2), None),
    ("pairwise_distance-p1-keepdim", lambda a, b: F.pairwise_distance(a, b, 1.0, keepdim=True),
     lambda a, b: TF.pairwise_distance(a, b, 1.0, keepdim=True), (X, X2), None),
    ("layer_norm", lambda x, w, b: F.layer_norm(x, (5,), w, b),
     lambda x, w, b: TF.layer_norm(x, (5,), w, b),
     (X, R.standard_normal(5), R.standard_normal(5)), "NativeLayerNormBackward0"),
    ("layer_norm-2dims-noaffine", lambda x: F.layer_norm(x, (4, 5), eps=1e-3),
     lambda x: TF.layer_norm(x, (4, 5), eps=1e-3), (R.standard_normal((2, 4, 5)),),
     "NativeLayerNormBackward0"),
    ("embedding-padding", lambda w, i: F.embedding(i, w, padding_idx=-5),
     lambda w, i: TF.embedding(i, w, padding_idx=-5),
     (R.standard_normal((6, 3)), np.array([[1, 2, 1], [5, 0, 2]])), "EmbeddingBackward0"),
    ("embedding-scale-freq", lambda w, i: F.embedding(i, w, scale_grad_by_freq=True),
     lambda w, i: TF.embedding(i, w, scale_grad_by_freq=True),
     (R.standard_normal((6, 3)), np.array([[1, 2, 1], [5, 0, 2]])), "EmbeddingBackward0"),
]


@pytest.mark.parametrize("case", OTHER_FUNCTIONS, ids=lambda c: c[0])
def test_function_matches_torch(case) -> None:
    _, ours, theirs, arrays, node = case
    _compare(ours, theirs, *arrays, node=node)


# --------------------------------------------------------------------------- gradcheck


def _g(*shape: int, seed: int = 3, positive: bool = False) -> dagrad.Tensor:
    a = _rng(seed).standard_normal(shape)
    if positive:
        a = np.abs(a) + 0.2
    return dagrad.tensor(a, requires_grad=True)


def _idx(a) -> dagrad.Tensor:
    return dagrad.tensor(np.asarray(a))


GRADCHECKS = [
    ("softmax", lambda x: F.softmax(x, 1), (_g(3, 4),)),
    ("log_softmax", lambda x: F.log_softmax(x, -1), (_g(3, 4),)),
    ("logsumexp", lambda x: dagrad.ops.nn_ops.logsumexp(x, (1,)), (_g(3, 4),)),
    ("gelu", F.gelu, (_g(6),)),
    ("gelu_tanh", lambda x: F.gelu(x, approximate="tanh"), (_g(6),)),
    ("silu", F.silu, (_g(6),)),
    ("mish", F.mish, (_g(6),)),
    ("elu", lambda x: F.elu(x, 0.5), (_g(6),)),
    ("selu", F.selu, (_g(6),)),
    ("celu", lambda x: F.celu(x, 2.0), (_g(6),)),
    ("softplus", lambda x: F.softplus(x, 2.0), (_g(6),)),
    ("logsigmoid", F.logsigmoid, (_g(6),)),
    ("leaky_relu", lambda x: F.leaky_relu(x, 0.3), (_g(6),)),
    ("linear", F.linear, (_g(3, 4), _g(2, 4, seed=4), _g(2, seed=5))),
    ("bilinear", F.bilinear, (_g(3, 2), _g(3, 4, seed=4), _g(2, 2, 4, seed=5), _g(2, seed=6))),
    ("mse", F.mse_loss, (_g(3, 4), _g(3, 4, seed=4))),
    ("smooth_l1", lambda a, b: F.smooth_l1_loss(a, b, beta=0.5), (_g(3, 4), _g(3, 4, seed=4))),
    ("huber", lambda a, b: F.huber_loss(a, b, delta=0.5), (_g(3, 4), _g(3, 4, seed=4))),
    ("cross_entropy", lambda x: F.cross_entropy(x, _idx([0, 3, 1])), (_g(3, 4),)),
    ("cross_entropy-smooth-weight", lambda x: F.cross_entropy(
        x, _idx([0, 3, 1]), weight=dagrad.tensor([1., 2., .5, 1.5], dtype=dagrad.float64),
        label_smoothing=0.1), (_g(3, 4),)),
    ("cross_entropy-probs", lambda x, p: F.cross_entropy(x, F.softmax(p, 1)),
     (_g(3, 4), _g(3, 4, seed=4))),
    ("nll-none", lambda x: F.nll_loss(x, _idx([0, 3, 1]), reduction="none"), (_g(3, 4),)),
    ("bce", lambda x, t: F.binary_cross_entropy(x.sigmoid(), t.sigmoid()),
     (_g(5), _g(5, seed=4))),
    ("bce_logits", lambda x, t: F.binary_cross_entropy_with_logits(
        x, t.sigmoid(), pos_weight=dagrad.tensor([2.0], dtype=dagrad.float64)),
     (_g(5), _g(5, seed=4))),
    ("kl_div", lambda x, t: F.kl_div(x, F.softmax(t, 1), reduction="batchmean"),
     (_g(3, 4), _g(3, 4, seed=4))),
    ("layer_norm", lambda x, w, b: F.layer_norm(x, (4,), w, b),
     (_g(3, 4), _g(4, seed=4), _g(4, seed=5))),
    ("embedding", lambda w: F.embedding(_idx([[0, 2], [2, 1]]), w), (_g(3, 2),)),
    ("cosine_similarity", F.cosine_similarity, (_g(3, 4), _g(3, 4, seed=4))),
    ("normalize", F.normalize, (_g(3, 4),)),
]


@pytest.mark.parametrize("case", GRADCHECKS, ids=lambda c: c[0])
def test_gradcheck_and_gradgradcheck(case) -> None:
    _, fn, inputs = case
    assert gradcheck(fn, inputs)
    assert gradgradcheck(fn, inputs)


# --------------------------------------------------------------------------- stability


def test_losses_and_softmax_are_stable_at_huge_logits() -> None:
    big = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 5e3]])
    t = np.array([1, 2])
    for fo, ft in [(lambda x: F.cross_entropy(x, dagrad.tensor(t)),
                    lambda x: TF.cross_entropy(x, torch.tensor(t))),
                   (lambda x: F.log_softmax(x, 1), lambda x: TF.log_softmax(x, 1)),
                   (lambda x: F.softmax(x, 1), lambda x: TF.softmax(x, 1)),
                   (lambda x: F.binary_cross_entropy_with_logits(x, dagrad.ones(2, 3)),
                    lambda x: TF.binary_cross_entropy_with_logits(x, torch.ones(2, 3))),
                   (F.softplus, TF.softplus), (F.logsigmoid, TF.logsigmoid),
                   (F.silu, TF.silu), (F.mish, TF.mish), (F.elu, TF.elu)]:
        for dt in (np.float32, np.float64):
            x, tx = _both(big.astype(dt))
            out, tout = fo(x), ft(tx)
            assert np.isfinite(out.detach().numpy()).all()
            _close(out, tout, rtol=1e-6 if dt == np.float64 else 1e-5)
            out.sum().backward()
            tout.sum().backward()
            assert np.isfinite(x.grad.numpy()).all()
            _close(x.grad, tx.grad, rtol=1e-6, atol=1e-6)


def test_float32_losses_keep_float32() -> None:
    x = dagrad.randn(4, 5, requires_grad=True)
    for out in (F.cross_entropy(x, dagrad.tensor(TARGET)), F.mse_loss(x, x.detach() * 2),
                F.softmax(x, 1), F.gelu(x), F.layer_norm(x, (5,))):
        assert out.dtype == dagrad.float32
        out.sum().backward()
        assert x.grad.dtype == dagrad.float32


# --------------------------------------------------------------------------- layers


def _layer_pairs():
    r = _rng(7)
    return [
        ("Linear", lambda lib: lib.nn.Linear(5, 3), (r.standard_normal((4, 5)),)),
        ("Linear-nobias", lambda lib: lib.nn.Linear(5, 3, bias=False),
         (r.standard_normal((2, 4, 5)),)),
        ("Bilinear", lambda lib: lib.nn.Bilinear(2, 3, 4),
         (r.standard_normal((5, 2)), r.standard_normal((5, 3)))),
        ("Identity", lambda lib: lib.nn.Identity(3, unused=1), (r.standard_normal(3),)),
        ("Flatten", lambda lib: lib.nn.Flatten(), (r.standard_normal((2, 3, 4)),)),
        ("Flatten-0-1", lambda lib: lib.nn.Flatten(0, 1), (r.standard_normal((2, 3, 4)),)),
        ("Unflatten", lambda lib: lib.nn.Unflatten(1, (2, -1)), (r.standard_normal((3, 8)),)),
        ("ReLU", lambda lib: lib.nn.ReLU(), (r.standard_normal((3, 4)),)),
        ("LeakyReLU", lambda lib: lib.nn.LeakyReLU(0.1), (r.standard_normal((3, 4)),)),
        ("ELU", lambda lib: lib.nn.ELU(0.5), (r.standard_normal((3, 4)),)),
        ("SELU", lambda lib: lib.nn.SELU(), (r.standard_normal((3, 4)),)),
        ("CELU", lambda lib: lib.nn.CELU(0.8), (r.standard_normal((3, 4)),)),
        ("GELU", lambda lib: lib.nn.GELU(), (r.standard_normal((3, 4)),)),
        ("GELU-tanh", lambda lib: lib.nn.GELU("tanh"), (r.standard_normal((3, 4)),)),
        ("SiLU", lambda lib: lib.nn.SiLU(), (r.standard_normal((3, 4)),)),
        ("Mish", lambda lib: lib.nn.Mish(), (r.standard_normal((3, 4)),)),
        ("Softplus", lambda lib: lib.nn.Softplus(2.0, 5.0), (r.standard_normal((3, 4)),)),
        ("Tanh", lambda lib: lib.nn.Tanh(), (r.standard_normal((3, 4)),)),
        ("Sigmoid", lambda lib: lib.nn.Sigmoid(), (r.standard_normal((3, 4)),)),
        ("Hardtanh", lambda lib: lib.nn.Hardtanh(-0.5, 0.5), (r.standard_normal((3, 4)),)),
        ("ReLU6", lambda lib: lib.nn.ReLU6(), (r.standard_normal((3, 4)) * 5,)),
        ("LogSigmoid", lambda lib: lib.nn.LogSigmoid(), (r.standard_normal((3, 4)),)),
        ("Hardsigmoid", lambda lib: lib.nn.Hardsigmoid(), (r.standard_normal((3, 4)) * 3,)),
        ("Hardswish", lambda lib: lib.nn.Hardswish(), (r.standard_normal((3, 4)) * 3,)),
        ("Softsign", lambda lib: lib.nn.Softsign(), (r.standard_normal((3, 4)),)),
        ("Tanhshrink", lambda lib: lib.nn.Tanhshrink(), (r.standard_normal((3, 4)),)),
        ("Softshrink", lambda lib: lib.nn.Softshrink(0.2), (r.standard_normal((3, 4)),)),
        ("Hardshrink", lambda lib: lib.nn.Hardshrink(0.2), (r.standard_normal((3, 4)),)),
        ("Softmax", lambda lib: lib.nn.Softmax(dim=1), (r.standard_normal((3, 4)),)),
        ("LogSoftmax", lambda lib: lib.nn.LogSoftmax(dim=0), (r.standard_normal((3, 4)),)),
        ("Softmin", lambda lib: lib.nn.Softmin(dim=1), (r.standard_normal((3, 4)),)),
        ("LayerNorm", lambda lib: lib.nn.LayerNorm(4), (r.standard_normal((3, 4)),)),
        ("LayerNorm-nobias", lambda lib: lib.nn.LayerNorm((2, 4), eps=1e-3, bias=False),
         (r.standard_normal((3, 2, 4)),)),
        ("LayerNorm-noaffine", lambda lib: lib.nn.LayerNorm(4, elementwise_affine=False),
         (r.standard_normal((3, 4)),)),
        ("Embedding", lambda lib: lib.nn.Embedding(10, 3, padding_idx=0),
         (np.array([[0, 2, 9], [2, 2, 1]]),)),
        ("Sequential", lambda lib: lib.nn.Sequential(lib.nn.Linear(4, 3), lib.nn.GELU(),
                                                     lib.nn.Dropout(0.0), lib.nn.Linear(3, 2)),
         (r.standard_normal((5, 4)),)),
        ("MSELoss", lambda lib: lib.nn.MSELoss(), (r.standard_normal((3, 4)),
                                                   r.standard_normal((3, 4)))),
        ("L1Loss-sum", lambda lib: lib.nn.L1Loss(reduction="sum"),
         (r.standard_normal((3, 4)), r.standard_normal((3, 4)))),
        ("SmoothL1Loss", lambda lib: lib.nn.SmoothL1Loss(beta=0.5),
         (r.standard_normal((3, 4)), r.standard_normal((3, 4)))),
        ("HuberLoss", lambda lib: lib.nn.HuberLoss(delta=0.5),
         (r.standard_normal((3, 4)), r.standard_normal((3, 4)))),
        ("CrossEntropyLoss", lambda lib: lib.nn.CrossEntropyLoss(
            weight=lib.tensor([1.0, 2.0, 0.5, 1.0]), ignore_index=3, label_smoothing=0.1),
         (r.standard_normal((5, 4)), np.array([0, 3, 1, 2, 2]))),
        ("NLLLoss", lambda lib: lib.nn.NLLLoss(reduction="none"),
         (r.standard_normal((5, 4)), np.array([0, 3, 1, 2, 2]))),
        ("BCELoss", lambda lib: lib.nn.BCELoss(), (r.random((3, 4)), r.random((3, 4)))),
        ("BCEWithLogitsLoss", lambda lib: lib.nn.BCEWithLogitsLoss(
            pos_weight=lib.tensor([1.0, 2.0, 3.0, 4.0])),
         (r.standard_normal((3, 4)), r.random((3, 4)))),
        ("KLDivLoss", lambda lib: lib.nn.KLDivLoss(reduction="batchmean"),
         (r.standard_normal((3, 4)), r.random((3, 4)))),
    ]


@pytest.mark.parametrize("case", _layer_pairs(), ids=lambda c: c[0])
def test_layer_matches_torch(case) -> None:
    _, build, arrays = case
    theirs = build(torch).double()
    ours = build(dagrad).double()
    assert repr(ours) == repr(theirs)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]
    ours.load_state_dict({k: dagrad.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    pairs = [_both(a) for a in arrays]
    out = ours(*[p[0] for p in pairs])
    tout = theirs(*[p[1] for p in pairs])
    _close(out, tout)
    if tout.grad_fn is None:
        assert out.grad_fn is None
    else:
        assert out.grad_fn.name() == tout.grad_fn.name()
    g = _rng(5).standard_normal(tuple(tout.shape))
    out.backward(dagrad.tensor(g))
    tout.backward(torch.tensor(g))
    for a, b in pairs:
        if b.grad is not None:
            _close(a.grad, b.grad)
    for (n, p), (_, tp) in zip(ours.named_parameters(), theirs.named_parameters(), strict=True):
        _close(p.grad, tp.grad)


INPLACE = [
    ("ReLU", lambda lib: lib.nn.ReLU(inplace=True)),
    ("LeakyReLU", lambda lib: lib.nn.LeakyReLU(0.2, inplace=True)),
    ("ELU", lambda lib: lib.nn.ELU(inplace=True)),
    ("SELU", lambda lib: lib.nn.SELU(inplace=True)),
    ("CELU", lambda lib: lib.nn.CELU(inplace=True)),
    ("Hardtanh", lambda lib: lib.nn.Hardtanh(inplace=True)),
    ("ReLU6", lambda lib: lib.nn.ReLU6(inplace=True)),
    ("SiLU", lambda lib: lib.nn.SiLU(inplace=True)),
    ("Mish", lambda lib: lib.nn.Mish(inplace=True)),
    ("Hardswish", lambda lib: lib.nn.Hardswish(inplace=True)),
    ("Hardsigmoid", lambda lib: lib.nn.Hardsigmoid(inplace=True)),
]


@pytest.mark.parametrize("case", INPLACE, ids=lambda c: c[0])
def test_inplace_activation_matches_torch(case) -> None:
    _, build = case
    x, tx = _both(X)
    h, th = x * 1, tx * 1
    out, tout = build(dagrad)(h), build(torch)(th)
    assert out is h and tout is th
    assert out.grad_fn.name() == tout.grad_fn.name()
    assert repr(build(dagrad)) == repr(build(torch))
    _close(out, tout)
    (out * dagrad.tensor(X2)).sum().backward()
    (tout * torch.tensor(X2)).sum().backward()
    _close(x.grad, tx.grad)
    leaf = dagrad.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        build(dagrad)(leaf)


def test_layer_reprs_match_torch() -> None:
    builds = [
        lambda lib: lib.nn.Linear(2, 3), lambda lib: lib.nn.Linear(2, 3, bias=False),
        lambda lib: lib.nn.Bilinear(2, 3, 4), lambda lib: lib.nn.Identity(),
        lambda lib: lib.nn.Flatten(), lambda lib: lib.nn.Unflatten(-1, (2, 5)),
        lambda lib: lib.nn.ReLU(), lambda lib: lib.nn.ReLU(True),
        lambda lib: lib.nn.LeakyReLU(), lambda lib: lib.nn.LeakyReLU(0.2, True),
        lambda lib: lib.nn.ELU(alpha=2.0), lambda lib: lib.nn.GELU(approximate="tanh"),
        lambda lib: lib.nn.Softplus(), lambda lib: lib.nn.Hardtanh(), lambda lib: lib.nn.ReLU6(),
        lambda lib: lib.nn.Softmax(), lambda lib: lib.nn.LogSoftmax(1),
        lambda lib: lib.nn.Softshrink(), lambda lib: lib.nn.Hardshrink(0.3),
        lambda lib: lib.nn.Dropout(), lambda lib: lib.nn.Dropout(0.2, inplace=True),
        lambda lib: lib.nn.LayerNorm([3, 4], elementwise_affine=False),
        lambda lib: lib.nn.Embedding(10, 3), lambda lib: lib.nn.Embedding(
            10, 3, padding_idx=-1, max_norm=2.0, norm_type=1.0, scale_grad_by_freq=True),
        lambda lib: lib.nn.MSELoss(), lambda lib: lib.nn.CrossEntropyLoss(),
        lambda lib: lib.nn.BCEWithLogitsLoss(), lambda lib: lib.nn.KLDivLoss(),
    ]
    for b in builds:
        assert repr(b(dagrad)) == repr(b(torch))


# --------------------------------------------------------------------------- dropout


def test_dropout_semantics() -> None:
    x = dagrad.ones(200, 100, requires_grad=True)
    y = F.dropout(x, 0.3)
    assert y.grad_fn.name() == "MulBackward0"
    vals = np.unique(y.detach().numpy())
    np.testing.assert_allclose(vals, [0.0, 1 / 0.7], rtol=1e-6)
    assert abs((y.detach().numpy() == 0).mean() - 0.3) < 0.02
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), y.detach().numpy())
    assert F.dropout(x, 0.3, training=False) is x
    m = nn.Dropout(0.5).eval()
    assert m(x) is x
    assert not F.dropout(x, 1.0).detach().numpy().any()
    assert F.dropout(x, 0.0).detach().numpy().all()
    assert str(pytest.raises(ValueError, F.dropout, x, 1.5).value) == str(
        pytest.raises(ValueError, TF.dropout, torch.ones(1), 1.5).value)
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1"):
        nn.Dropout(-0.1)


# --------------------------------------------------------------------------- messages


def _err(fn, *args, **kwargs):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fn(*args, **kwargs)
    except Exception as e:  # noqa: BLE001
        return type(e).__name__, _d(str(e))
    return "no error", ""


def test_error_messages_match_torch() -> None:
    x = X.astype(np.float32)
    cases = [
        lambda lib, f: f.cross_entropy(lib.tensor(x), lib.tensor([0, 1])),
        lambda lib, f: f.nll_loss(lib.tensor(x), lib.tensor([0, 5, 1, 1])),
        lambda lib, f: f.nll_loss(lib.tensor(x), lib.tensor([0, -3, 1, 1])),
        lambda lib, f: f.nll_loss(lib.tensor(x), lib.tensor([0., 1., 1., 1.])),
        lambda lib, f: f.nll_loss(lib.tensor(x), lib.tensor([0, 1, 1, 1]), lib.ones(3)),
        lambda lib, f: f.cross_entropy(lib.tensor(x), lib.tensor([0, 1, 1, 1]),
                                       label_smoothing=1.5),
        lambda lib, f: f.one_hot(lib.tensor([0, 5]), 3),
        lambda lib, f: f.one_hot(lib.tensor([0, -1]), 3),
        lambda lib, f: f.one_hot(lib.tensor([0.0, 1.0]), 3),
        lambda lib, f: f.binary_cross_entropy(lib.rand(3), lib.rand(3, 1)),
        lambda lib, f: f.binary_cross_entropy(lib.tensor([1.5]), lib.tensor([1.0])),
        lambda lib, f: f.binary_cross_entropy_with_logits(lib.rand(3), lib.rand(3, 1)),
        lambda lib, f: f.mse_loss(lib.tensor(x), lib.tensor(x), reduction="avg"),
        lambda lib, f: f.linear(lib.ones(4, 5), lib.ones(2, 3)),
        lambda lib, f: f.embedding(lib.tensor([5]), lib.ones(3, 2)),
        lambda lib, f: f.layer_norm(lib.tensor(x), (3,)),
        lambda lib, f: f.gelu(lib.tensor(x), approximate="fast"),
        lambda lib, f: f.smooth_l1_loss(lib.tensor(x), lib.tensor(x), beta=-1.0),
        lambda lib, f: lib.nn.Embedding(3, 2, padding_idx=5),
        lambda lib, f: lib.nn.Hardtanh(1.0, -1.0),
        lambda lib, f: lib.nn.Unflatten(1, [2, "a"]),
        lambda lib, f: lib.nn.Unflatten(1, (2, 3))(lib.ones(2, 5)),
        lambda lib, f: lib.nn.Bilinear(0, 2, 3),
    ]
    for case in cases:
        ours, theirs = _err(case, dagrad, F), _err(case, torch, TF)
        assert ours == theirs


def test_warnings_match_torch() -> None:
    def caught(lib, f, fn):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            fn(lib, f)
        return [(c.category.__name__, _d(str(c.message))) for c in w]
    x = X.astype(np.float32)
    for fn in [lambda lib, f: f.softmax(lib.tensor(x)),
               lambda lib, f: f.log_softmax(lib.tensor(x)),
               lambda lib, f: f.kl_div(lib.tensor(x), lib.tensor(x)),
               lambda lib, f: f.mse_loss(lib.tensor(x), lib.tensor(x[0])),
               lambda lib, f: f.l1_loss(lib.tensor(x), lib.tensor(x[:1])),
               lambda lib, f: f.mse_loss(lib.tensor(x), lib.tensor(x), size_average=False),
               lambda lib, f: lib.nn.MSELoss(reduce=False),
               lambda lib, f: lib.nn.init.kaiming_uniform_(lib.empty(0, 3)),
               lambda lib, f: lib.nn.init.trunc_normal_(lib.empty(3), mean=5.0),
               lambda lib, f: lib.nn.init.normal(lib.empty(3))]:
        assert caught(dagrad, F, fn) == caught(torch, TF, fn)


def test_one_hot_values() -> None:
    out = F.one_hot(dagrad.tensor([[0, 2], [1, 0]]))
    assert out.dtype == dagrad.int64 and out.shape == (2, 2, 3)
    assert out.tolist() == TF.one_hot(torch.tensor([[0, 2], [1, 0]])).tolist()


# --------------------------------------------------------------------------- embedding extras


def test_embedding_max_norm_and_from_pretrained() -> None:
    w = _rng(2).standard_normal((5, 3)) * 3
    ours = nn.Embedding(5, 3, max_norm=1.0).double()
    theirs = torch.nn.Embedding(5, 3, max_norm=1.0).double()
    with dagrad.no_grad():
        ours.weight.copy_(dagrad.tensor(w))
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(w))
    idx = [[0, 2], [2, 4]]
    _close(ours(dagrad.tensor(idx)), theirs(torch.tensor(idx)))
    _close(ours.weight, theirs.weight)                    # rows 0, 2, 4 renormalised in place
    pre = nn.Embedding.from_pretrained(dagrad.tensor(w))
    assert not pre.weight.requires_grad and pre(dagrad.tensor([1])).shape == (1, 3)
    assert nn.Embedding(4, 2, padding_idx=1).weight[1].tolist() == [0.0, 0.0]


# --------------------------------------------------------------------------- containers


def test_sequential_api() -> None:
    a, b, c = nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1)
    s = nn.Sequential(a, b)
    assert len(s) == 2 and s[0] is a and s[-1] is b and list(s) == [a, b]
    s.append(c)
    assert s[2] is c and type(s[1:]) is nn.Sequential and list(s[1:]) == [b, c]
    s.insert(0, nn.Identity())
    assert [type(m).__name__ for m in s] == ["Identity", "Linear", "ReLU", "Linear"]
    del s[0]
    assert list(s._modules) == ["0", "1", "2"] and s[0] is a
    s[1] = nn.Tanh()
    assert type(s[1]).__name__ == "Tanh"
    s2 = s + nn.Sequential(nn.Sigmoid())
    assert len(s2) == 4 and len(s * 2) == 6
    assert s.pop(1).__class__.__name__ == "Tanh" and len(s) == 2
    s.extend([nn.ReLU()])
    assert len(s) == 3
    from collections import OrderedDict
    named = nn.Sequential(OrderedDict([("fc", nn.Linear(2, 2)), ("act", nn.ReLU())]))
    assert list(named.state_dict()) == ["fc.weight", "fc.bias"] and named.act is named[1]
    assert _err(lambda lib, f: lib.nn.Sequential(lib.nn.ReLU())[3], dagrad, F) == \
        _err(lambda lib, f: lib.nn.Sequential(lib.nn.ReLU())[3], torch, TF)
    assert nn.Sequential()(dagrad.ones(1)).tolist() == [1.0]


def test_module_list_and_dict_api() -> None:
    layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    assert len(layers) == 3 and layers[-1] is layers[2]
    layers.append(nn.ReLU())
    layers.extend([nn.Tanh()])
    layers.insert(1, nn.Sigmoid())
    assert [type(m).__name__ for m in layers] == ["Linear", "Sigmoid", "Linear", "Linear",
                                                  "ReLU", "Tanh"]
    del layers[1]
    assert type(layers[1:3]) is nn.ModuleList and len(layers[1:3]) == 2
    assert len(list(layers.parameters())) == 6
    tl = torch.nn.ModuleList([torch.nn.Linear(2, 2) for _ in range(3)])
    tl.append(torch.nn.ReLU())
    tl.extend([torch.nn.Tanh()])
    assert repr(layers) == repr(tl)
    with pytest.raises(TypeError, match="ModuleList.extend should be called with an iterable"):
        layers.extend(nn.ReLU())
    d = nn.ModuleDict({"b": nn.Linear(1, 1), "a": nn.ReLU()})
    assert list(d) == ["b", "a"] and "a" in d and len(d) == 2
    d["c"] = nn.Tanh()
    assert list(d.keys()) == ["b", "a", "c"] and d.pop("a").__class__.__name__ == "ReLU"
    d.update([("e", nn.Identity())])
    assert list(d.state_dict()) == ["b.weight", "b.bias"]
    td = torch.nn.ModuleDict({"b": torch.nn.Linear(1, 1)})
    td["c"] = torch.nn.Tanh()
    td.update([("e", torch.nn.Identity())])
    assert repr(d) == repr(td)


def test_parameter_list_and_dict() -> None:
    pl = nn.ParameterList([nn.Parameter(dagrad.ones(2, 3)), dagrad.zeros(2)])
    tpl = torch.nn.ParameterList([torch.nn.Parameter(torch.ones(2, 3)), torch.zeros(2)])
    assert repr(pl) == _d(repr(tpl))
    assert all(type(p) is nn.Parameter for p in pl) and len(pl) == 2
    pl.append(dagrad.ones(1, dtype=dagrad.float64))
    tpl.append(torch.ones(1, dtype=torch.float64))
    assert repr(pl) == _d(repr(tpl))
    assert [n for n, _ in pl.named_parameters()] == ["0", "1", "2"]
    assert len(pl[1:]) == 2
    with pytest.raises(RuntimeError, match="ParameterList should not be called."):
        pl(1)
    pd = nn.ParameterDict({"b": nn.Parameter(dagrad.ones(2)),
                           "a": dagrad.zeros(3, dtype=dagrad.float64)})
    tpd = torch.nn.ParameterDict({"b": torch.nn.Parameter(torch.ones(2)),
                                  "a": torch.zeros(3, dtype=torch.float64)})
    assert repr(pd) == _d(repr(tpd))
    assert list(pd) == list(tpd) and "a" in pd and pd.get("zz") is None
    pd["c"] = dagrad.ones(1)
    assert type(pd["c"]) is nn.Parameter and len(pd) == 3
    assert pd.pop("c").shape == (1,) and list(pd.keys()) == ["a", "b"]
    assert [n for n, _ in pd.named_parameters()] == ["a", "b"]


# --------------------------------------------------------------------------- init


def test_calculate_gain_matches_torch() -> None:
    for args in [("linear",), ("conv2d",), ("sigmoid",), ("tanh",), ("relu",), ("selu",),
                 ("leaky_relu",), ("leaky_relu", 0.2), ("leaky_relu", 1)]:
        assert nn.init.calculate_gain(*args) == torch.nn.init.calculate_gain(*args)
    for bad in [("leaky_relu", "x"), ("foo",)]:
        assert _err(nn.init.calculate_gain, *bad) == _err(torch.nn.init.calculate_gain, *bad)
    assert _err(nn.init.xavier_uniform_, dagrad.empty(3)) == \
        _err(torch.nn.init.xavier_uniform_, torch.empty(3))
    assert _err(nn.init.kaiming_normal_, dagrad.empty(3, 3), mode="fan_avg") == \
        _err(torch.nn.init.kaiming_normal_, torch.empty(3, 3), mode="fan_avg")
    assert _err(nn.init.eye_, dagrad.empty(3)) == _err(torch.nn.init.eye_, torch.empty(3))


def test_init_distributions() -> None:
    dagrad.manual_seed(0)
    w = dagrad.empty(400, 300, requires_grad=True)
    fan_in, fan_out = 300, 400
    nn.init.uniform_(w, -2, 3)
    a = w.detach().numpy()
    assert a.min() >= -2 and a.max() < 3 and abs(a.mean() - 0.5) < 0.05
    assert w.grad_fn is None and w.requires_grad                 # in place, no graph
    nn.init.normal_(w, 1.0, 2.0)
    assert abs(w.detach().numpy().mean() - 1) < 0.05 and abs(w.detach().numpy().std() - 2) < 0.05
    nn.init.xavier_uniform_(w, gain=2.0)
    bound = 2.0 * math.sqrt(6.0 / (fan_in + fan_out))
    assert np.abs(w.detach().numpy()).max() <= bound
    assert abs(w.detach().numpy().std() - bound / math.sqrt(3)) < 0.01 * bound
    nn.init.xavier_normal_(w)
    assert abs(w.detach().numpy().std() - math.sqrt(2.0 / (fan_in + fan_out))) < 0.002
    nn.init.kaiming_uniform_(w, a=math.sqrt(5))
    assert np.abs(w.detach().numpy()).max() <= 1 / math.sqrt(fan_in)
    nn.init.kaiming_normal_(w, mode="fan_out", nonlinearity="relu")
    assert abs(w.detach().numpy().std() - math.sqrt(2.0 / fan_out)) < 0.002
    nn.init.trunc_normal_(w, mean=0.5, std=1.0, a=-1.0, b=1.5)
    a = w.detach().numpy()
    assert a.min() >= -1.0 and a.max() <= 1.5 and abs(a.mean() - 0.35) < 0.05
    nn.init.trunc_normal_(w, mean=0.0, std=1.0, a=2.0, b=2.5)         # the far-tail branch
    assert w.detach().numpy().min() >= 2.0 and w.detach().numpy().max() <= 2.5
    nn.init.constant_(w, 0.25)
    assert (w.detach().numpy() == 0.25).all()
    nn.init.zeros_(w)
    nn.init.ones_(w)
    assert (w.detach().numpy() == 1).all()
    nn.init.eye_(w)
    np.testing.assert_array_equal(w.detach().numpy(), np.eye(400, 300))
    q = dagrad.empty(3, 5)
    nn.init.orthogonal_(q, gain=2.0)
    np.testing.assert_allclose(q.numpy() @ q.numpy().T, 4 * np.eye(3), atol=1e-5)
    conv = dagrad.empty(4, 2, 3, 3)
    nn.init.dirac_(conv, groups=2)
    tconv = torch.empty(4, 2, 3, 3)
    torch.nn.init.dirac_(tconv, groups=2)
    np.testing.assert_array_equal(conv.numpy(), tconv.numpy())
    s = dagrad.empty(10, 4)
    nn.init.sparse_(s, 0.3)
    assert ((s.numpy() == 0).sum(0) == 3).all()


def test_default_initialisation_ranges() -> None:
    lin = nn.Linear(50, 20)
    bound = 1 / math.sqrt(50)
    assert np.abs(lin.weight.detach().numpy()).max() <= bound
    assert np.abs(lin.bias.detach().numpy()).max() <= bound
    assert lin.weight.detach().numpy().std() > 0.5 * bound / math.sqrt(3)
    bil = nn.Bilinear(8, 3, 2)
    assert np.abs(bil.weight.detach().numpy()).max() <= 1 / math.sqrt(8)
    emb = nn.Embedding(1000, 20)
    assert abs(emb.weight.detach().numpy().std() - 1) < 0.05
    ln = nn.LayerNorm(3)
    assert ln.weight.tolist() == [1.0] * 3 and ln.bias.tolist() == [0.0] * 3
    assert nn.Linear(2, 3, dtype=dagrad.float64).weight.dtype == dagrad.float64


# --------------------------------------------------------------------------- nn.utils


def test_clip_grad_norm_and_value_match_torch() -> None:
    r = _rng(4)
    grads = [r.standard_normal((3, 4)) * 5, r.standard_normal(4) * 5]
    for norm_type in (2.0, 1.0, float("inf")):
        ps = [nn.Parameter(dagrad.zeros(*g.shape, dtype=dagrad.float64)) for g in grads]
        tps = [torch.nn.Parameter(torch.zeros(*g.shape, dtype=torch.float64)) for g in grads]
        for p, tp, g in zip(ps, tps, grads, strict=True):
            p.grad, tp.grad = dagrad.tensor(g), torch.tensor(g)
        total = nn.utils.clip_grad_norm_(ps, 1.5, norm_type=norm_type)
        ttotal = torch.nn.utils.clip_grad_norm_(tps, 1.5, norm_type=norm_type)
        _close(total, ttotal)
        for p, tp in zip(ps, tps, strict=True):
            _close(p.grad, tp.grad)
    p = nn.Parameter(dagrad.zeros(4))
    p.grad = dagrad.tensor([-3.0, -0.5, 0.5, 3.0])
    nn.utils.clip_grad_value_(p, 1.0)
    assert p.grad.tolist() == [-1.0, -0.5, 0.5, 1.0]
    assert nn.utils.clip_grad_norm_([nn.Parameter(dagrad.ones(1))], 1.0).item() == 0.0
    q = nn.Parameter(dagrad.ones(2))
    q.grad = dagrad.tensor([float("inf"), 1.0])
    with pytest.raises(RuntimeError, match="is non-finite, so it cannot be clipped"):
        nn.utils.clip_grad_norm_(q, 1.0, error_if_nonfinite=True)


def test_parameters_vector_round_trip() -> None:
    m = nn.Linear(3, 2)
    vec = nn.utils.parameters_to_vector(m.parameters())
    assert vec.shape == (8,) and vec.grad_fn.name() == "CatBackward0"
    nn.utils.vector_to_parameters(dagrad.arange(8.0), m.parameters())
    assert m.weight.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    assert m.bias.tolist() == [6.0, 7.0]
    with pytest.raises(TypeError, match="expected dagrad.Tensor, but got: list"):
        nn.utils.vector_to_parameters([1.0], m.parameters())


# --------------------------------------------------------------------- Note [Gradient layout]
def test_linear_weight_gradient_arrives_in_the_weights_layout_and_is_exact() -> None:
    rng = np.random.default_rng(11)
    x = dagrad.tensor(rng.standard_normal((5, 4)), requires_grad=True)
    w = dagrad.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    b = dagrad.tensor(rng.standard_normal(3), requires_grad=True)
    out = F.linear(x, w, b)
    g = rng.standard_normal((5, 3))
    out.backward(dagrad.tensor(g))
    assert w.grad._data.flags.c_contiguous and b.grad._data.flags.c_contiguous
    np.testing.assert_allclose(w.grad.numpy(), g.T @ x.detach().numpy(), rtol=1e-14)
    np.testing.assert_allclose(x.grad.numpy(), g @ w.detach().numpy(), rtol=1e-14)
    np.testing.assert_array_equal(b.grad.numpy(), g.sum(0))
    # the transposed branch of addmm's mat2 formula, to second order
    assert gradcheck(F.linear, (x, w, b))
    assert gradgradcheck(F.linear, (x, w, b))
    assert gradgradcheck(lambda x, w: dagrad.addmm(b.detach(), x, w.t(), alpha=0.5), (x, w))


def test_linear_weight_gradient_is_kept_without_a_copy_but_never_aliases_user_memory() -> None:
    # as PyTorch: the gradient a weight hook sees (a view) becomes .grad without a copy
    rng = np.random.default_rng(12)
    x = dagrad.tensor(rng.standard_normal((5, 4)))
    w = dagrad.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    seen = []
    w.register_hook(lambda g: seen.append((g._base is not None, g._data.ctypes.data)))
    F.linear(x, w).sum().backward()
    assert seen[0][0] and w.grad._base is None
    assert w.grad._data.ctypes.data == seen[0][1]
    # a gradient the user still holds is copied, whatever its layout
    m = dagrad.tensor(rng.standard_normal((3, 4)))
    w.grad = None
    w.t().backward(m.t())
    before = m.numpy().copy()
    m.add_(1.0)
    np.testing.assert_array_equal(w.grad.numpy(), before)
    kept = []
    w.grad = None
    w.register_hook(lambda g: kept.append(g))        # a hook keeps the gradient tensor alive
    F.linear(x, w).sum().backward()
    assert not np.shares_memory(w.grad._data, kept[0]._data)
