"""The layers of ``dagrad.nn`` (each file mirrors the PyTorch module of the same name)."""
from __future__ import annotations

from dagrad.nn.modules.activation import (  # noqa: F401
    CELU, ELU, GELU, SELU, Hardshrink, Hardsigmoid, Hardswish, Hardtanh, LeakyReLU, LogSigmoid,
    LogSoftmax, Mish, MultiheadAttention, PReLU, ReLU, ReLU6, Sigmoid, SiLU, Softmax, Softmin,
    Softplus, Softshrink, Softsign, Tanh, Tanhshrink)
from dagrad.nn.modules.batchnorm import BatchNorm1d, BatchNorm2d, BatchNorm3d  # noqa: F401
from dagrad.nn.modules.container import (  # noqa: F401
    ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential)
from dagrad.nn.modules.conv import (  # noqa: F401
    Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d)
from dagrad.nn.modules.dropout import (  # noqa: F401
    AlphaDropout, Dropout, Dropout1d, Dropout2d, Dropout3d, FeatureAlphaDropout)
from dagrad.nn.modules.flatten import Flatten, Unflatten  # noqa: F401
from dagrad.nn.modules.fold import Fold, Unfold  # noqa: F401
from dagrad.nn.modules.instancenorm import (  # noqa: F401
    InstanceNorm1d, InstanceNorm2d, InstanceNorm3d)
from dagrad.nn.modules.linear import (  # noqa: F401
    Bilinear, Identity, Linear, NonDynamicallyQuantizableLinear)
from dagrad.nn.modules.loss import (  # noqa: F401
    BCELoss, BCEWithLogitsLoss, CosineEmbeddingLoss, CrossEntropyLoss, HuberLoss, KLDivLoss,
    L1Loss, MarginRankingLoss, MSELoss, NLLLoss, SmoothL1Loss, TripletMarginLoss)
from dagrad.nn.modules.module import Module  # noqa: F401
from dagrad.nn.modules.normalization import GroupNorm, LayerNorm  # noqa: F401
from dagrad.nn.modules.pooling import (  # noqa: F401
    AdaptiveAvgPool1d, AdaptiveAvgPool2d, AdaptiveMaxPool2d, AvgPool1d, AvgPool2d, MaxPool1d,
    MaxPool2d, MaxPool3d)
from dagrad.nn.modules.rnn import (  # noqa: F401
    GRU, LSTM, RNN, GRUCell, LSTMCell, RNNBase, RNNCell, RNNCellBase)
from dagrad.nn.modules.sparse import Embedding  # noqa: F401
from dagrad.nn.modules.transformer import (  # noqa: F401
    TransformerEncoder, TransformerEncoderLayer)
from dagrad.nn.modules.upsampling import (  # noqa: F401
    Upsample, UpsamplingBilinear2d, UpsamplingNearest2d)
