"""Built-in NEAT tasks and their registry (the names ``python -m ottorch.run`` accepts)."""

from __future__ import annotations

from collections.abc import Callable

from ottorch.neat.tasks.base import Task
from ottorch.neat.tasks.control import CartPoleTask, DoublePoleTask
from ottorch.neat.tasks.playground import CircleTask, GaussianTask, PlaygroundTask, SpiralTask, XOR2DTask
from ottorch.neat.tasks.supervised import IrisTask, ParityTask, SineTask, SupervisedTask, XORTask

#: name -> (factory, one-line description)
TASKS: dict[str, tuple[Callable[[], Task], str]] = {
    "xor": (XORTask, "XOR of two bits; Lamarckian fine-tuning by default"),
    "iris": (IrisTask, "Iris flower classification (4 features, 3 classes)"),
    "sine": (SineTask, "regression of sin(x) on [-pi, pi]"),
    "parity": (ParityTask, "parity of 4-bit sequences with recurrent genomes"),
    "cartpole": (CartPoleTask, "single pole balancing (pure NEAT)"),
    "double_pole": (DoublePoleTask, "double pole balancing with velocities, the NEAT paper's benchmark (pure NEAT)"),
    "double_pole_nv": (lambda: DoublePoleTask(velocities=False),
                       "double pole balancing without velocities, Gruau's damping fitness (pure NEAT)"),
    "circle": (CircleTask, "TensorFlow Playground circle: a disc inside a ring (2-D, noise 0.5)"),
    "xor2d": (XOR2DTask, "TensorFlow Playground XOR: same-sign quadrants against the others (2-D, noise 0.5)"),
    "gaussian": (GaussianTask, "TensorFlow Playground two overlapping Gaussian clouds (2-D, noise 0.5)"),
    "spiral": (SpiralTask, "TensorFlow Playground two-arm spiral (2-D, noise 0.5), Backprop NEAT's hardest set"),
}


def make_task(name: str) -> Task:
    """A new instance of the registered task ``name`` (ValueError listing the names otherwise)."""
    try:
        factory, _ = TASKS[name]
    except KeyError:
        raise ValueError(f"unknown task {name!r}; available: {', '.join(TASKS)}") from None
    return factory()


__all__ = ["TASKS", "CartPoleTask", "CircleTask", "DoublePoleTask", "GaussianTask", "IrisTask", "ParityTask",
           "PlaygroundTask", "SineTask", "SpiralTask", "SupervisedTask", "Task", "XOR2DTask", "XORTask", "make_task"]
