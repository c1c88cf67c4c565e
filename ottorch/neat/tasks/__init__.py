"""Built-in NEAT tasks and their registry (the names ``python -m ottorch.run`` accepts)."""

from __future__ import annotations

import inspect
from collections.abc import Callable

from ottorch.neat.tasks.base import Task
from ottorch.neat.tasks.control import CartPoleTask, DoublePoleTask
from ottorch.neat.tasks.playground import CircleTask, GaussianTask, PlaygroundTask, SpiralTask, XOR2DTask
from ottorch.neat.tasks.supervised import IrisTask, ParityTask, SineTask, SupervisedTask, XORTask
from ottorch.neat.tasks.tabular import TabularClassificationTask, TabularRegressionTask, TabularTask
from ottorch.neat.tasks.user import FunctionTask, load_task

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


#: The task forms besides registered names, for messages and ``--list``.
TASK_FORMS = ("gym:ENV_ID (a Gymnasium environment)", "csv:PATH (tabular data: --target COLUMN)",
              "FILE.py:NAME or MODULE:NAME (a Task subclass or a factory returning a Task)")


def make_task(spec: str, **options) -> Task:
    """The task ``spec`` names: a registered name, ``gym:ENV_ID``, ``csv:PATH`` or ``FILE.py:NAME`` /
    ``MODULE:NAME``; ``options`` go to its constructor (e.g. ``split_seed``, ``episodes``, ``target``).
    Raises ValueError naming the problem (an unknown name, an option the task does not take, ...)."""
    if spec.startswith("gym:"):
        from ottorch.neat.tasks.gym import GymTask

        return _build(spec, GymTask, spec[len("gym:"):], **options)
    if spec.startswith("csv:"):
        return _build(spec, TabularTask.from_csv, spec[len("csv:"):], **options)
    if ":" in spec:
        return load_task(spec, **options)
    try:
        factory, _ = TASKS[spec]
    except KeyError:
        raise ValueError(f"unknown task {spec!r}; available: {', '.join(TASKS)}, or {'; '.join(TASK_FORMS)}") from None
    return _build(spec, factory, **options)


def _build(spec: str, factory: Callable[..., Task], *args, **options) -> Task:
    """``factory(*args, **options)``, with an option the task does not take reported by name."""
    taken = inspect.signature(factory).parameters
    if not any(p.kind is p.VAR_KEYWORD for p in taken.values()):
        unknown = sorted(set(options) - set(taken))
        if unknown:
            raise ValueError(f"task {spec!r} does not take {', '.join(unknown)}")
    return factory(*args, **options)


__all__ = ["TASKS", "TASK_FORMS", "CartPoleTask", "CircleTask", "DoublePoleTask", "FunctionTask", "GaussianTask",
           "IrisTask", "ParityTask", "PlaygroundTask", "SineTask", "SpiralTask", "SupervisedTask",
           "TabularClassificationTask", "TabularRegressionTask", "TabularTask", "Task", "XOR2DTask", "XORTask",
           "load_task", "make_task"]
