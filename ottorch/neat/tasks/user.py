"""User-defined tasks: ``FILE.py:NAME`` / ``MODULE:NAME`` specs, and ``FunctionTask`` for a
neat-python-style fitness function.

``load_task("my_tasks.py:MyTask", **options)`` runs the file as a module of its own (a unique name,
so two files called ``tasks.py`` do not clash) and calls ``NAME(**options)``: ``NAME`` is a ``Task``
subclass or a factory returning a ``Task``. Ray workers do not have such a file: the Ray evaluator
pickles every module ``load_task`` loaded by value (``shipped_modules``), so its code travels with the
task.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import inspect
import sys
import sysconfig
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import numpy as np

from ottorch.neat.config import FineTuneConfig, GenomeConfig, NEATConfig, ReproductionConfig, StagnationConfig
from ottorch.neat.genome import Genome
from ottorch.neat.tasks.base import Task

#: Names of the modules ``load_task`` loaded that are not installed (files, and modules found through the
#: working directory or sys.path additions): workers may not have them, so their code is pickled by value.
_LOADED: set[str] = set()


def load_task(spec: str, **options) -> Task:
    """The task ``spec`` names: ``path/to/file.py:NAME`` or ``package.module:NAME``, where ``NAME`` is a
    ``Task`` subclass or a factory returning a ``Task``, called with ``options``.

    Raises ValueError naming the problem: a missing file, a module that cannot be imported, no such
    name, a name that is neither a Task subclass nor callable, an option it does not take, or a factory
    that does not return a Task."""
    source, _, name = spec.rpartition(":")  # rpartition: a Windows path's drive letter has a colon too
    if not source or not name.isidentifier():
        raise ValueError(f"task {spec!r}: expected FILE.py:NAME or MODULE:NAME")
    if source.endswith(".py") or "/" in source or "\\" in source:
        module, where = _load_file(Path(source)), f"file {source}"
    else:
        module, where = _import(source), f"module {source}"
    if not hasattr(module, name):
        found = sorted(k for k, v in vars(module).items()
                       if not k.startswith("_") and isinstance(v, type) and issubclass(v, Task) and v is not Task
                       and v.__module__ == module.__name__)
        hint = f" (Task subclasses there: {', '.join(found)})" if found else ""
        raise ValueError(f"task {spec!r}: {where} has no {name!r}{hint}")
    factory = getattr(module, name)
    if not callable(factory):
        raise ValueError(f"task {spec!r}: {name} is a {type(factory).__name__}, not a Task subclass or a factory "
                         f"returning a Task")
    _check_options(spec, factory, options)
    task = factory(**options)
    if not isinstance(task, Task):
        raise ValueError(f"task {spec!r}: {name}() returned a {type(task).__name__}, not a Task")
    return task


def _load_file(path: Path) -> ModuleType:
    """Run ``path`` as a fresh module named after the file and its resolved path."""
    if not path.is_file():
        raise ValueError(f"task file {path} not found")
    resolved = path.resolve()
    digest = hashlib.sha1(str(resolved).encode()).hexdigest()[:10]
    name = f"_ottorch_task_{''.join(c if c.isalnum() else '_' for c in resolved.stem)}_{digest}"
    spec = importlib.util.spec_from_file_location(name, resolved)
    module = importlib.util.module_from_spec(spec)
    # registered before it runs: dataclasses and pickling look classes up in sys.modules
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as e:
        del sys.modules[name]
        raise ValueError(f"task file {path} failed to load: {type(e).__name__}: {e}") from e
    _LOADED.add(name)
    return module


def _import(name: str) -> ModuleType:
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as e:
        missing = e.name or name
        if name == missing or name.startswith(missing + "."):
            raise ValueError(f"module {name!r} is not importable: no module named {missing!r} (run from the "
                             f"folder that holds it, or install it)") from None
        raise ValueError(f"module {name!r} failed to import: {e}") from e
    except Exception as e:
        raise ValueError(f"module {name!r} failed to import: {type(e).__name__}: {e}") from e
    if not name.startswith("ottorch.") and not _installed(module):
        _LOADED.add(name)
    return module


def _check_options(spec: str, factory: Callable, options: dict) -> None:
    """Report options the factory does not take, or arguments it needs, by name (rather than a TypeError
    from inside it)."""
    try:
        signature = inspect.signature(factory)
    except (TypeError, ValueError):  # some builtins and C callables have no signature: let the call decide
        return
    taken = signature.parameters
    if not any(p.kind is p.VAR_KEYWORD for p in taken.values()):
        unknown = sorted(set(options) - set(taken))
        if unknown:
            raise ValueError(f"task {spec!r} does not take {', '.join(unknown)}")
    try:
        signature.bind(**options)
    except TypeError as e:
        given = ", ".join(options) or "none"
        raise ValueError(f"task {spec!r}: a Task subclass or factory is called with the task options only "
                         f"(given: {given}): {e}") from None


def _installed(module: ModuleType) -> bool:
    """Whether ``module`` comes from the standard library or site-packages (workers have it too)."""
    file = getattr(module, "__file__", None)
    if file is None:
        return True  # built-in modules
    roots = {sysconfig.get_paths()[k] for k in ("stdlib", "platstdlib", "purelib", "platlib")}
    return any(Path(file).resolve().is_relative_to(Path(r).resolve()) for r in roots)


def shipped_modules(task: Task) -> list[str]:
    """Names of the modules whose code Ray workers need by value to run ``task``: those ``load_task``
    loaded, the task's class module and, for a ``FunctionTask``, its function's module, unless it is
    ottorch's, ``__main__`` (cloudpickle ships that by value anyway) or an installed one."""
    names = set(_LOADED) | {type(task).__module__}
    fn = getattr(task, "fn", None) if isinstance(task, FunctionTask) else None
    if fn is not None and getattr(fn, "__module__", None):
        module = sys.modules.get(fn.__module__)
        if module is not None and not _installed(module):
            names.add(fn.__module__)
    return sorted(n for n in names if n in sys.modules and n != "__main__" and not n.startswith("ottorch."))


# ---------------------------------------------------------------------------------------- FunctionTask


class Network:
    """neat-python's network interface on a compiled genome: ``activate(inputs) -> outputs`` (lists of
    floats, ``num_inputs`` -> ``num_outputs``) and ``reset()``, which clears a recurrent genome's node
    values (they persist between ``activate`` calls, as in neat-python's ``RecurrentNetwork``)."""

    def __init__(self, net) -> None:
        self._policy = net.policy()
        self.num_inputs, self.num_outputs = net.num_inputs, net.num_outputs

    def activate(self, inputs) -> list[float]:
        x = np.asarray(inputs, dtype=np.float64).reshape(-1)
        if x.shape[0] != self.num_inputs:
            raise ValueError(f"activate: expected {self.num_inputs} inputs, got {x.shape[0]}")
        return self._policy(x).tolist()

    def reset(self) -> None:
        self._policy.reset()


class FunctionTask(Task):
    """A fitness function as a task: ``fn(net) -> float``, higher is better, where ``net.activate(inputs)``
    returns the outputs as neat-python's networks do (see ``Network``). If ``fn`` requires a second
    argument it gets the evaluation's ``numpy.random.Generator``, seeded per genome from the run's seed,
    so random episodes are the same on any number of workers (Python's ``random`` module is not).

    Genomes are evaluated one at a time and never trained (``differentiable`` is False). The default
    config is neat-python's XOR example config (150 genomes, pure NEAT) sized for ``num_inputs`` and
    ``num_outputs``; ``recurrent=True`` allows recurrent connections. ``fitness_threshold`` (None: run
    all generations) is the "solved" level."""

    differentiable = False

    def __init__(self, fn: Callable[..., float], num_inputs: int, num_outputs: int,
                 fitness_threshold: float | None = None, recurrent: bool = False, pop_size: int = 150,
                 name: str | None = None) -> None:
        if not callable(fn):
            raise ValueError(f"FunctionTask: fn must be callable, got {type(fn).__name__}")
        if num_inputs < 1 or num_outputs < 1:
            raise ValueError(f"FunctionTask: needs at least one input and one output, got {num_inputs} and "
                             f"{num_outputs}")
        self.fn = fn
        self.num_inputs, self.num_outputs = int(num_inputs), int(num_outputs)
        self.fitness_threshold = np.inf if fitness_threshold is None else float(fitness_threshold)
        self.allow_recurrent = recurrent
        self.pop_size = pop_size
        fn_name = getattr(fn, "__name__", "<lambda>")
        self.name = name or ("function" if fn_name.startswith("<") else fn_name)
        required = [p for p in _parameters(fn)
                    if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty]
        self._takes_rng = len(required) >= 2

    def default_config(self, mode: str | None = None) -> NEATConfig:
        # neat-python's XOR example config as NEATConfig.from_neat_python translates it (neat-python draws
        # one mutation per gene where ottorch draws per genome, hence rates such as 0.8 for its 0.7 + 0.1)
        return NEATConfig(
            pop_size=self.pop_size, reset_on_extinction=False,
            fitness_threshold=None if np.isinf(self.fitness_threshold) else self.fitness_threshold,
            genome=GenomeConfig(
                num_inputs=self.num_inputs, num_outputs=self.num_outputs, initial_connection="full",
                feed_forward=not self.allow_recurrent, output_sources=False, mutate_per_genome=False,
                bias_mutate_rate=0.8, bias_replace_rate=0.125, weight_mutate_rate=0.9, weight_replace_rate=1 / 9,
                enabled_mutate_rate=0.005, node_add_prob=0.2, node_delete_prob=0.2, conn_add_prob=0.5,
                conn_delete_prob=0.5, structural_mutation_surer="default", compatibility_weight_coefficient=0.5,
                compatibility_normalize_threshold=0, compatibility_distance="neat-python"),
            stagnation=StagnationConfig(max_stagnation=20),
            reproduction=ReproductionConfig(elitism=2, crossover_rate=1.0, interspecies_crossover_prob=0.0),
            fine_tune=FineTuneConfig(mode=mode or "none", steps=0),
        )

    def fitness(self, net, genome: Genome, rng: np.random.Generator) -> float:
        wrapped = Network(net)
        return float(self.fn(wrapped, rng) if self._takes_rng else self.fn(wrapped))


def _parameters(fn: Callable) -> list[inspect.Parameter]:
    try:
        return list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return []
