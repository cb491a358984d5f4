"""The layers of ``dagrad.nn`` (each file mirrors the PyTorch module of the same name)."""
from __future__ import annotations

from dagrad.nn.modules.activation import (  # noqa: F401
    CELU, ELU, GELU, SELU, Hardshrink, Hardsigmoid, Hardswish, Hardtanh, LeakyReLU, LogSigmoid,
    LogSoftmax, Mish, ReLU, ReLU6, Sigmoid, SiLU, Softmax, Softmin, Softplus, Softshrink,
    Softsign, Tanh, Tanhshrink)
from dagrad.nn.modules.container import (  # noqa: F401
    ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential)
from dagrad.nn.modules.conv import (  # noqa: F401
    Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d)
from dagrad.nn.modules.dropout import Dropout  # noqa: F401
from dagrad.nn.modules.flatten import Flatten, Unflatten  # noqa: F401
from dagrad.nn.modules.linear import Bilinear, Identity, Linear  # noqa: F401
from dagrad.nn.modules.loss import (  # noqa: F401
    BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, KLDivLoss, L1Loss, MSELoss, NLLLoss,
    SmoothL1Loss)
from dagrad.nn.modules.module import Module  # noqa: F401
from dagrad.nn.modules.normalization import LayerNorm  # noqa: F401
from dagrad.nn.modules.pooling import (  # noqa: F401
    AdaptiveAvgPool1d, AdaptiveAvgPool2d, AdaptiveMaxPool2d, AvgPool1d, AvgPool2d, MaxPool1d,
    MaxPool2d, MaxPool3d)
from dagrad.nn.modules.sparse import Embedding  # noqa: F401
