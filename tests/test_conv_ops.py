"""Convolution, pooling and padding ops: gradcheck, double backward, PyTorch oracle."""
from __future__ import annotations

import numpy as np
import pytest

import dagrad as torch
from dagrad.autograd.gradcheck import gradcheck, gradgradcheck
from dagrad.ops import conv as C

CONV_CASES = [  # N, C, H, W, O, k, stride, padding, dilation, groups
    (2, 3, 7, 6, 4, 3, 1, 0, 1, 1),
    (2, 4, 8, 7, 6, 3, 2, 1, 1, 2),
    (1, 2, 9, 7, 2, 2, 3, 2, 2, 1),
]


def _conv_inputs(case, seed=0):
    N, Ci, H, W, O, k, s, p, dl, g = case
    rng = np.random.default_rng(seed)
    x = torch.tensor(rng.standard_normal((N, Ci, H, W)), requires_grad=True)
    w = torch.tensor(rng.standard_normal((O, Ci // g, k, k)), requires_grad=True)
    b = torch.tensor(rng.standard_normal(O), requires_grad=True)
    return x, w, b, (s, s), (p, p), (dl, dl), g


@pytest.mark.parametrize("case", CONV_CASES)
def test_conv_gradcheck_and_gradgradcheck(case) -> None:
    x, w, b, s, p, dl, g = _conv_inputs(case)

    def f(x, w, b):
        return C._convolution(x, w, b, s, p, dl, g)
    assert gradcheck(f, (x, w, b))
    assert gradgradcheck(f, (x, w, b))
    assert type(f(x, w, b).grad_fn).__name__ == "ConvolutionBackward0"


@pytest.mark.parametrize("case", CONV_CASES)
def test_conv_matches_torch_to_second_order(case) -> None:
    tt = pytest.importorskip("torch")
    x, w, b, s, p, dl, g = _conv_inputs(case)
    xt, wt, bt = (tt.tensor(v.detach().numpy(), requires_grad=True) for v in (x, w, b))
    y = C._convolution(x, w, b, s, p, dl, g)
    yt = tt.nn.functional.conv2d(xt, wt, bt, s, p, dl, g)
    np.testing.assert_allclose(y.detach().numpy(), yt.detach().numpy(), rtol=1e-12, atol=1e-12)
    gy = np.random.default_rng(1).standard_normal(tuple(yt.shape))
    gd = torch.autograd.grad(y, (x, w, b), torch.tensor(gy), create_graph=True)
    gt = tt.autograd.grad(yt, (xt, wt, bt), tt.tensor(gy), create_graph=True)
    for a, c in zip(gd, gt, strict=True):
        np.testing.assert_allclose(a.detach().numpy(), c.detach().numpy(), rtol=1e-12, atol=1e-12)
    hd = torch.autograd.grad(sum((q * q).sum() for q in gd), (x, w))
    ht = tt.autograd.grad(sum((q * q).sum() for q in gt), (xt, wt))
    for a, c in zip(hd, ht, strict=True):
        np.testing.assert_allclose(a.numpy(), c.numpy(), rtol=1e-11, atol=1e-11)


POOL_CASES = [(2, 2, 0, 1, False), (3, 2, 1, 1, False), (3, 2, 1, 1, True), (2, 1, 0, 2, False)]


@pytest.mark.parametrize("case", POOL_CASES)
def test_max_pool_gradcheck_and_torch(case) -> None:
    k, s, p, dl, cm = case
    rng = np.random.default_rng(2)
    x = torch.tensor(rng.standard_normal((2, 3, 9, 8)), requires_grad=True)
    assert gradcheck(lambda x: C._max_pool(x, (k, k), (s, s), (p, p), (dl, dl), cm)[0], (x,))
    assert gradgradcheck(lambda x: C._max_pool(x, (k, k), (s, s), (p, p), (dl, dl), cm)[0], (x,))
    tt = pytest.importorskip("torch")
    v, idx = C._max_pool(x, (k, k), (s, s), (p, p), (dl, dl), cm)
    vt, it = tt.nn.functional.max_pool2d(tt.tensor(x.detach().numpy()), k, s, p, dl, cm,
                                         return_indices=True)
    np.testing.assert_array_equal(v.detach().numpy(), vt.numpy())
    np.testing.assert_array_equal(idx.numpy(), it.numpy())
    assert type(v.grad_fn).__name__ == "MaxPool2DWithIndicesBackward0"


@pytest.mark.parametrize("case", [c for c in POOL_CASES if c[3] == 1])
@pytest.mark.parametrize("count_include_pad", [True, False])
def test_avg_pool_gradcheck_and_torch(case, count_include_pad) -> None:
    k, s, p, _, cm = case
    rng = np.random.default_rng(3)
    x = torch.tensor(rng.standard_normal((2, 3, 9, 8)), requires_grad=True)

    def f(x):
        return C._avg_pool(x, (k, k), (s, s), (p, p), cm, count_include_pad, None)
    assert gradcheck(f, (x,)) and gradgradcheck(f, (x,))
    tt = pytest.importorskip("torch")
    ref = tt.nn.functional.avg_pool2d(tt.tensor(x.detach().numpy()), k, s, p, cm,
                                      count_include_pad)
    np.testing.assert_allclose(f(x).detach().numpy(), ref.numpy(), rtol=1e-12)


def test_constant_pad_nd_with_negative_pads() -> None:
    x = torch.arange(12.).reshape(3, 4).requires_grad_()
    y = C.constant_pad_nd(x, (1, 2, -1, 0))
    assert y.shape == torch.Size([2, 7])
    assert y.tolist()[0] == [0., 4., 5., 6., 7., 0., 0.]
    y.sum().backward()
    assert x.grad.tolist() == [[0.] * 4, [1.] * 4, [1.] * 4]
    assert type(y.grad_fn).__name__ == "ConstantPadNdBackward0"


def test_conv_error_messages() -> None:
    x = torch.ones(1, 3, 5, 5)
    w = torch.ones(2, 2, 3, 3)
    with pytest.raises(RuntimeError, match=r"Given groups=1, weight of size \[2, 2, 3, 3\], "
                                           r"expected input\[1, 3, 5, 5\] to have 2 channels, "
                                           r"but got 3 channels instead"):
        C._convolution(x, w, None, (1, 1), (0, 0), (1, 1), 1)
    with pytest.raises(RuntimeError, match="Kernel size can't be greater than actual input size"):
        C._convolution(torch.ones(1, 2, 2, 2), w, None, (1, 1), (0, 0), (1, 1), 1)


# --------------------------------------------------------------------- max pool: which element wins
def test_max_pool_ties_nan_and_padding_pick_the_element_pytorch_picks() -> None:
    # PyTorch's CPU kernel: the first maximum wins a tie, a NaN wins (the last NaN of the
    # window), padding never wins, and a window of -inf points at its first real element.
    inf, nan = float("inf"), float("nan")
    x = torch.tensor([[[[1., 1., -inf, -inf],
                        [0., 1., -inf, -inf],
                        [nan, 2., 5., 5.],
                        [3., nan, 5., 5.]]]])
    v, i = torch.nn.functional.max_pool2d(x, 2, return_indices=True)
    assert i.tolist() == [[[[0, 2], [13, 10]]]]
    assert v[0, 0, 0].tolist() == [1.0, -inf] and v[0, 0, 1, 1].item() == 5.0
    assert np.isnan(v[0, 0, 1, 0].item())
    # padding: the left column of windows starts at a real element, never the pad
    y = torch.tensor([[[-inf, -inf, -inf]]])
    _, j = torch.nn.functional.max_pool1d(y, 2, stride=1, padding=1, return_indices=True)
    assert j.tolist() == [[[0, 0, 1, 2]]]


def test_max_pool_indices_and_gradients_match_torch_on_ties_nan_inf() -> None:
    tt = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    F, TF = torch.nn.functional, tt.nn.functional
    for trial in range(60):
        d = 1 + trial % 3
        k = tuple(int(v) for v in rng.integers(1, 4, d))
        s = tuple(int(v) for v in rng.integers(1, 4, d))
        dl = tuple(int(v) for v in rng.integers(1, 3, d))
        p = tuple(int(rng.integers(0, kk // 2 + 1)) for kk in k)
        ceil = bool(trial % 2)
        x = rng.integers(-2, 2, (2, 2) + tuple(int(v) for v in rng.integers(8, 11, d)))
        x = x.astype(np.float64)
        r = rng.random(x.shape)
        x[r < 0.05] = np.nan
        x[(r > 0.05) & (r < 0.15)] = -np.inf
        name = f"max_pool{d}d"
        xt = torch.tensor(x, requires_grad=True)
        v, i = getattr(F, name)(xt, k, s, p, dl, ceil_mode=ceil, return_indices=True)
        xr = tt.tensor(x, requires_grad=True)
        tv, ti = getattr(TF, name)(xr, k, s, p, dl, ceil_mode=ceil, return_indices=True)
        np.testing.assert_array_equal(i.numpy(), ti.numpy())
        np.testing.assert_array_equal(v.detach().numpy(), tv.detach().numpy())
        g = rng.standard_normal(v.shape)
        v.backward(torch.tensor(g))
        tv.backward(tt.tensor(g))
        np.testing.assert_allclose(xt.grad.numpy(), xr.grad.numpy(), rtol=1e-12, atol=1e-12)


# --------------------------------------------------------------------- Note [Scratch columns]
def test_conv_scratch_columns_never_leak_between_calls_or_threads() -> None:
    from tests._threads import run_in_threads
    rng = np.random.default_rng(5)
    w = torch.tensor(rng.standard_normal((4, 3, 3, 3)), requires_grad=True)
    xs = [torch.tensor(rng.standard_normal((2, 3, 8, 8))) for _ in range(6)]

    def grads(x):
        w.grad = None
        out = torch.nn.functional.conv2d(x, w)
        out.backward(out.detach())           # the weight gradient rebuilds the columns
        return out.detach().numpy().copy(), w.grad.numpy().copy()

    expected = [grads(x) for x in xs]
    first = torch.nn.functional.conv2d(xs[0], w.detach())
    kept = first.numpy().copy()
    torch.nn.functional.conv2d(xs[1], w.detach())      # same shapes: the same scratch buffer
    np.testing.assert_array_equal(first.numpy(), kept)

    results: dict = {}

    def work(i: int) -> None:
        wl = w.detach()
        results[i] = [torch.nn.functional.conv2d(x, wl).numpy().copy() for x in xs * 20]

    run_in_threads(work, 3)
    assert len(results) == 3
    for outs in results.values():
        for k, out in enumerate(outs):
            np.testing.assert_array_equal(out, expected[k % len(xs)][0])


# --------------------------------------------------------------------- Note [Reused columns]
def _weight_grad(loss_fn, w, *, reuse: bool, monkeypatch) -> np.ndarray:
    # the weight gradient of `loss_fn()`, with the forward's columns reused or always rebuilt
    if not reuse:
        monkeypatch.setattr(C._SCRATCH, "lookup", lambda tag, src: None)
    w.grad = None
    loss_fn().backward()
    monkeypatch.undo()
    return w.grad.numpy().copy()


def test_weight_gradient_reuses_the_forward_columns_bit_for_bit(monkeypatch) -> None:
    rng = np.random.default_rng(7)
    x = torch.tensor(rng.standard_normal((3, 2, 9, 8)).astype(np.float32))
    w = torch.tensor(rng.standard_normal((4, 2, 3, 3)).astype(np.float32), requires_grad=True)
    hits = []
    lookup = C._SCRATCH.lookup

    def counting(tag, src):
        cols = lookup(tag, src)
        hits.append(cols is not None)
        return cols
    monkeypatch.setattr(C._SCRATCH, "lookup", counting)
    loss = lambda: (torch.nn.functional.conv2d(x, w, padding=1) ** 2).sum()  # noqa: E731
    w.grad = None
    loss().backward()
    monkeypatch.undo()
    assert hits == [True]                    # the backward took the forward's buffer as it was
    reused = w.grad.numpy().copy()
    rebuilt = _weight_grad(loss, w, reuse=False, monkeypatch=monkeypatch)
    np.testing.assert_array_equal(reused, rebuilt)


def test_reused_columns_are_never_stale(monkeypatch) -> None:
    """Two forwards through one weight before one backward (weight sharing), another convolution
    of the same shapes between forward and backward, a padded input: each input's own columns."""
    rng = np.random.default_rng(8)
    x1, x2 = (torch.tensor(rng.standard_normal((2, 3, 7, 7))) for _ in range(2))
    w = torch.tensor(rng.standard_normal((5, 3, 3, 3)), requires_grad=True)
    other = torch.tensor(rng.standard_normal((5, 3, 3, 3)))
    F = torch.nn.functional

    def shared():
        return (F.conv2d(x1, w) * F.conv2d(x2, w)).sum()

    def interleaved():
        y = F.conv2d(x1, w, padding=1)
        F.conv2d(x2, other, padding=1)       # same column shape: overwrites the buffer
        return (y ** 2).sum()

    for fn in (shared, interleaved):
        C._SCRATCH.bufs.clear()              # this thread's buffers: only this scenario's
        C._SCRATCH.labels.clear()
        np.testing.assert_array_equal(_weight_grad(fn, w, reuse=True, monkeypatch=monkeypatch),
                                      _weight_grad(fn, w, reuse=False, monkeypatch=monkeypatch))
    tt = pytest.importorskip("torch")
    tw = tt.tensor(w.detach().numpy(), requires_grad=True)
    (tt.nn.functional.conv2d(tt.tensor(x1.numpy()), tw)
     * tt.nn.functional.conv2d(tt.tensor(x2.numpy()), tw)).sum().backward()
    w.grad = None
    shared().backward()
    np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_input_changed_in_place_after_the_forward_still_raises() -> None:
    rng = np.random.default_rng(9)
    x = torch.tensor(rng.standard_normal((2, 3, 6, 6)))
    w = torch.tensor(rng.standard_normal((4, 3, 3, 3)), requires_grad=True)
    y = torch.nn.functional.conv2d(x, w)
    x.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()
