"""Conv/pool layers and their functional forms vs PyTorch (float64, outputs and gradients)."""
from __future__ import annotations

import numpy as np
import pytest

import dagrad as torch
from dagrad.nn import _functional_conv as FC
from dagrad.nn.modules.conv import Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d
from dagrad.nn.modules.pooling import (AdaptiveAvgPool2d, AdaptiveMaxPool2d, AvgPool1d, AvgPool2d,
                                       MaxPool1d, MaxPool2d)

tt = pytest.importorskip("torch")

LAYERS = [
    ("Conv1d", lambda m: m.Conv1d(3, 4, 3, stride=2, padding=1), (2, 3, 11)),
    ("Conv2d", lambda m: m.Conv2d(3, 4, 3), (2, 3, 8, 7)),
    ("Conv2d_same_even", lambda m: m.Conv2d(2, 4, 4, padding="same", dilation=1), (2, 2, 7, 6)),
    ("Conv2d_groups", lambda m: m.Conv2d(4, 6, (3, 2), stride=(2, 1), padding=(1, 0),
                                         dilation=(1, 2), groups=2, bias=False), (2, 4, 9, 8)),
    ("Conv3d", lambda m: m.Conv3d(2, 3, 2), (1, 2, 4, 5, 4)),
    ("ConvTranspose1d", lambda m: m.ConvTranspose1d(3, 2, 3, stride=2, padding=1,
                                                    output_padding=1), (2, 3, 6)),
    ("ConvTranspose2d", lambda m: m.ConvTranspose2d(4, 2, 3, stride=2, groups=2), (2, 4, 5, 4)),
    ("MaxPool1d", lambda m: m.MaxPool1d(3, stride=2, padding=1), (2, 3, 11)),
    ("MaxPool2d", lambda m: m.MaxPool2d(2), (2, 3, 8, 6)),
    ("MaxPool2d_ceil", lambda m: m.MaxPool2d(3, 2, ceil_mode=True), (2, 3, 8, 7)),
    ("AvgPool1d", lambda m: m.AvgPool1d(2), (2, 3, 8)),
    ("AvgPool2d", lambda m: m.AvgPool2d(3, stride=2, padding=1, count_include_pad=False),
     (2, 3, 8, 7)),
    ("AdaptiveAvgPool2d", lambda m: m.AdaptiveAvgPool2d((3, 2)), (2, 3, 7, 5)),
    ("AdaptiveMaxPool2d", lambda m: m.AdaptiveMaxPool2d((2, 3)), (2, 3, 4, 6)),
]


class _Mods:
    Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d = (
        Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d)
    MaxPool1d, MaxPool2d, AvgPool1d, AvgPool2d = MaxPool1d, MaxPool2d, AvgPool1d, AvgPool2d
    AdaptiveAvgPool2d, AdaptiveMaxPool2d = AdaptiveAvgPool2d, AdaptiveMaxPool2d


@pytest.mark.parametrize("name,make,shape", LAYERS, ids=[x[0] for x in LAYERS])
def test_layer_matches_torch_in_float64(name, make, shape) -> None:
    ours, theirs = make(_Mods), make(tt.nn)
    assert repr(ours) == repr(theirs)
    theirs = theirs.double()
    for (n, p) in ours.named_parameters():
        src = dict(theirs.named_parameters())[n]
        p.data = torch.tensor(src.detach().numpy().copy(), dtype=torch.float64)
    x = np.random.default_rng(0).standard_normal(shape)
    xd = torch.tensor(x, requires_grad=True)
    xt = tt.tensor(x, requires_grad=True)
    yd, yt = ours(xd), theirs(xt)
    np.testing.assert_allclose(yd.detach().numpy(), yt.detach().numpy(), rtol=1e-10, atol=1e-12)
    w = np.random.default_rng(1).standard_normal(tuple(yt.shape))
    (yd * torch.tensor(w)).sum().backward()
    (yt * tt.tensor(w)).sum().backward()
    np.testing.assert_allclose(xd.grad.numpy(), xt.grad.numpy(), rtol=1e-10, atol=1e-12)
    for n, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), dict(theirs.named_parameters())[n].grad.numpy(),
                                   rtol=1e-10, atol=1e-12)


def test_conv_default_init_distribution() -> None:
    torch.manual_seed(0)
    w = Conv2d(16, 32, 3).weight.detach().numpy()
    bound = 1 / np.sqrt(16 * 9)          # kaiming_uniform(a=sqrt(5)) == U(-1/sqrt(fan_in), ..)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.95 * bound
    assert abs(w.mean()) < 0.05 * bound


def test_unbatched_input_and_errors() -> None:
    c = Conv2d(2, 3, 3)
    assert c(torch.ones(2, 5, 5)).shape == torch.Size([3, 3, 3])
    with pytest.raises(RuntimeError, match=r"Expected 3D \(unbatched\) or 4D \(batched\) input "
                                           r"to conv2d, but got input of size: \[5, 5\]"):
        c(torch.ones(5, 5))
    with pytest.raises(ValueError, match="padding='same' is not supported for strided"):
        Conv2d(2, 3, 3, stride=2, padding="same")
    assert FC.pad(torch.ones(1, 2), (1, 1)).tolist() == [[0., 1., 1., 0.]]
