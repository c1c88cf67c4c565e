"""ottorch: a PyTorch-style deep-learning library on numpy, with NEAT neuroevolution on top.

``import ottorch as torch`` gives the tensor, autograd and (from ``ottorch.nn``, ``ottorch.optim``,
``ottorch.utils.data``) the training API of PyTorch, CPU only and float32 by default.
"""

from ottorch import autograd
from ottorch._creation import (
    arange,
    as_tensor,
    bernoulli,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    multinomial,
    normal,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    randperm,
    tensor,
    zeros,
    zeros_like,
)
from ottorch._dtype import (
    bool_ as bool,  # noqa: A004 - PyTorch name
)
from ottorch._dtype import (
    dtype,
    float16,
    float32,
    float64,
    get_default_dtype,
    int8,
    int16,
    int32,
    int64,
    set_default_dtype,
    uint8,
)
from ottorch._functions import *  # noqa: F403 - the PyTorch function namespace
from ottorch._malloc import tune_malloc
from ottorch._method_functions import *  # noqa: F403
from ottorch._tensor import Tensor
from ottorch._tensor_base import Size
from ottorch._threads import get_num_threads, set_num_threads
from ottorch.autograd.grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)
from ottorch.random import (
    Generator,
    default_generator,
    get_rng_state,
    initial_seed,
    manual_seed,
    seed,
    set_rng_state,
)
from ottorch.serialization import load, save

float = float32  # noqa: A001 - PyTorch aliases
double = float64
half = float16
int = int32  # noqa: A001
long = int64
short = int16

__version__ = "0.1.0"

# The subpackages PyTorch users reach as attributes (``torch.nn.Linear``); they build on the above.
from ottorch import nn, optim, utils, viz  # noqa: E402
from ottorch.model_summary import ModelSummary, summary  # noqa: E402

tune_malloc()
