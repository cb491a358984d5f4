"""``dagrad.nn``: Modules, Parameters, layers, losses, ``functional`` and ``init``, as in PyTorch.

Example:
    >>> from dagrad import nn
    >>> model = nn.Sequential(nn.Linear(1000, 100), nn.ReLU(), nn.Linear(100, 10))
    >>> sum(p.numel() for p in model.parameters())
    101110
"""
from __future__ import annotations

from dagrad.nn.parameter import Buffer, Parameter  # noqa: F401  (first: modules build on it)
from dagrad.nn import functional, init  # noqa: F401
from dagrad.nn import modules, utils  # noqa: F401
from dagrad.nn.modules import *  # noqa: F401,F403
from dagrad.nn.modules import (  # noqa: F401
    CELU, ELU, GELU, SELU, AdaptiveAvgPool1d, AdaptiveAvgPool2d, AdaptiveMaxPool2d, AvgPool1d,
    AvgPool2d, BCELoss, BCEWithLogitsLoss, Bilinear, Conv1d, Conv2d, Conv3d, ConvTranspose1d,
    ConvTranspose2d, CrossEntropyLoss, Dropout, Embedding, MaxPool1d, MaxPool2d, MaxPool3d, Flatten, Hardshrink, Hardsigmoid, Hardswish, Hardtanh, HuberLoss, Identity,
    KLDivLoss, L1Loss, LayerNorm, LeakyReLU, Linear, LogSigmoid, LogSoftmax, Mish, Module,
    ModuleDict, ModuleList, MSELoss, NLLLoss, ParameterDict, ParameterList, ReLU, ReLU6,
    Sequential, Sigmoid, SiLU, SmoothL1Loss, Softmax, Softmin, Softplus, Softshrink, Softsign,
    Tanh, Tanhshrink, Unflatten)

from dagrad.nn import parallel  # noqa: E402,F401
