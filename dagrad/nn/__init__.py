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
    CELU, ELU, GELU, GRU, LSTM, RNN, SELU, AdaptiveAvgPool1d, AdaptiveAvgPool2d,
    AdaptiveMaxPool2d, AlphaDropout, AvgPool1d, AvgPool2d, BatchNorm1d, BatchNorm2d, BatchNorm3d,
    BCELoss, BCEWithLogitsLoss, Bilinear, Conv1d, Conv2d, Conv3d, ConvTranspose1d,
    ConvTranspose2d, CosineEmbeddingLoss, CrossEntropyLoss, Dropout, Dropout1d, Dropout2d,
    Dropout3d, Embedding, FeatureAlphaDropout, Flatten, Fold, GroupNorm, GRUCell, Hardshrink,
    Hardsigmoid, Hardswish, Hardtanh, HuberLoss, Identity, InstanceNorm1d, InstanceNorm2d,
    InstanceNorm3d, KLDivLoss, L1Loss, LayerNorm, LeakyReLU, Linear, LogSigmoid, LogSoftmax,
    LSTMCell, MarginRankingLoss, MaxPool1d, MaxPool2d, MaxPool3d, Mish, Module, ModuleDict,
    ModuleList, MSELoss, MultiheadAttention, NLLLoss, ParameterDict, ParameterList, PReLU, ReLU,
    ReLU6, RNNBase, RNNCell, RNNCellBase, Sequential, Sigmoid, SiLU, SmoothL1Loss, Softmax,
    Softmin, Softplus, Softshrink, Softsign, Tanh, Tanhshrink, TransformerEncoder,
    TransformerEncoderLayer, TripletMarginLoss, Unflatten, Unfold, Upsample,
    UpsamplingBilinear2d, UpsamplingNearest2d)
