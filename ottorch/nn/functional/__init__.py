"""``ottorch.nn.functional``: the stateless forms of the layers, activations and losses
(``import ottorch.nn.functional as F``)."""

from ottorch._functions import avg_pool2d, conv2d, max_pool2d
from ottorch.nn.functional.activation import (
    elu,
    gelu,
    hardsigmoid,
    hardtanh,
    heaviside_step,
    leaky_relu,
    log_softmax,
    logsigmoid,
    mish,
    relu,
    relu6,
    selu,
    sigmoid,
    sign,
    silu,
    softmax,
    softmin,
    softplus,
    softsign,
    tanh,
)
from ottorch.nn.functional.layers import (
    adaptive_avg_pool2d,
    batch_norm,
    cosine_similarity,
    dropout,
    embedding,
    layer_norm,
    linear,
    normalize,
    one_hot,
    pad,
)
from ottorch.nn.functional.loss import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    huber_loss,
    kl_div,
    l1_loss,
    mse_loss,
    nll_loss,
    smooth_l1_loss,
)
