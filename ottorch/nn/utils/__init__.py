"""``ottorch.nn.utils``: gradient clipping, parameter vectors and variable-length RNN helpers."""

from ottorch.nn.utils import rnn
from ottorch.nn.utils.clip_grad import clip_grad_norm_, clip_grad_value_
from ottorch.nn.utils.convert_parameters import parameters_to_vector, vector_to_parameters
