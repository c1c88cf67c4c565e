"""The layer classes of ``ottorch.nn``."""

from ottorch.nn.modules.activation import (
    ELU,
    GELU,
    SELU,
    Hardsigmoid,
    Hardtanh,
    LeakyReLU,
    LogSigmoid,
    LogSoftmax,
    Mish,
    ReLU,
    ReLU6,
    Sigmoid,
    Sign,
    SiLU,
    Softmax,
    Softmin,
    Softplus,
    Softsign,
    Step,
    Tanh,
)
from ottorch.nn.modules.cfc import CfC, CfCCell, LeCunTanh
from ottorch.nn.modules.container import ModuleDict, ModuleList, Sequential
from ottorch.nn.modules.conv import Conv2d
from ottorch.nn.modules.dropout import Dropout
from ottorch.nn.modules.linear import Flatten, Identity, Linear, Unflatten
from ottorch.nn.modules.loss import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    HuberLoss,
    KLDivLoss,
    L1Loss,
    MSELoss,
    NLLLoss,
    SmoothL1Loss,
)
from ottorch.nn.modules.module import Module
from ottorch.nn.modules.normalization import BatchNorm1d, BatchNorm2d, LayerNorm
from ottorch.nn.modules.pooling import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d
from ottorch.nn.modules.rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNBase, RNNCell, RNNCellBase
from ottorch.nn.modules.sparse import Embedding
