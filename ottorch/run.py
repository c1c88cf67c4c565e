"""``python -m ottorch.run TASK``: evolve a network for a built-in task, locally or on a Ray cluster.

    python -m ottorch.run xor                       # Ray on this machine (serial without Ray)
    python -m ottorch.run --list                    # the tasks
    python -m ottorch.run double_pole --backend serial --generations 200 --seed 3
    python -m ottorch.run iris --address auto --workers 16      # on a cluster started with `ray up`
    python -m ottorch.run iris --split-seed 3 --seed 1          # another train/validation/test split of Iris
    python -m ottorch.run xor --resume runs/xor-20261129-101500  # continue from the last checkpoint
    python -m ottorch.run gym:CartPole-v1 --episodes 5 --render  # a Gymnasium environment (ottorch[gym])
    python -m ottorch.run csv:data/my.csv --target label         # tabular data
    python -m ottorch.run my_tasks.py:MyTask --workers 2         # a Task subclass of your own

Writes into ``--out`` (default ``runs/<task>-<timestamp>``): ``result.json``, ``champion.json``,
``champion.ott`` (``ottorch.neat.load_champion``), ``champion.dot`` (+ ``.png``), ``history.csv``,
``fitness.png`` and ``speciation.png`` (with matplotlib), ``checkpoints/gen-NNNN.{json,npz}``, and
with ``--export onnx`` ``champion.onnx``, with ``--render`` ``champion.gif``. Exit code 0 when the run
completes (solved or not: see ``result.json``), 2 for bad flags, an unknown task or a bad config, 3 when
the cluster is unreachable.
"""

from __future__ import annotations

import argparse
import importlib.util
import inspect
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

import ottorch
from ottorch.neat import (
    Checkpointer,
    CheckpointError,
    ConfigError,
    CSVReporter,
    NEATConfig,
    Population,
    SerialEvaluator,
    StdOutReporter,
    compile_genome,
    draw_genome,
    load_checkpoint,
    save_champion,
)
from ottorch.neat.plots import write_fitness_plot, write_speciation_plot
from ottorch.neat.tasks import TASK_FORMS, TASKS, make_task
from ottorch.utils.progress import progress

USAGE_ERROR, CLUSTER_ERROR = 2, 3


class UsageError(Exception):
    """A problem with the command line, the task or the config (exit code 2)."""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m ottorch.run", description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("task", nargs="?", help="task: a name (see --list), gym:ENV_ID, csv:PATH, FILE.py:NAME or "
                                                "MODULE:NAME")
    parser.add_argument("--list", action="store_true", help="list the tasks and exit")
    parser.add_argument("--backend", choices=("ray", "serial"), default=None,
                        help="where genomes are evaluated (default: ray when installed, else serial)")
    parser.add_argument("--workers", type=int, default=None, help="Ray workers (default: one per CPU)")
    parser.add_argument("--address", default=None, help='Ray cluster to join: "auto" or HOST:PORT')
    parser.add_argument("--seed", type=int, default=None, help="run seed (default: the config's seed, else 0)")
    parser.add_argument("--split-seed", type=int, default=None,
                        help=f"seed of the task's train/validation/test split (tasks {', '.join(_split_tasks())}; "
                             "default 0)")
    parser.add_argument("--episodes", type=int, default=None,
                        help="episodes per evaluation of a gym: task (fitness is their mean return)")
    parser.add_argument("--target", default=None, help="the column to predict, for a csv: task")
    parser.add_argument("--kind", choices=("classification", "regression"), default=None,
                        help="what a csv: task's target is (default: classification for a column of labels)")
    parser.add_argument("--render", action="store_true",
                        help="write champion.gif of one episode (gym: tasks that render rgb_array)")
    parser.add_argument("--export", choices=("onnx",), default=None,
                        help="also write the champion as champion.onnx (feed-forward champions; ottorch[onnx])")
    parser.add_argument("--generations", type=int, default=None,
                        help="generation budget (default 100, or the resumed run's)")
    parser.add_argument("--pop-size", type=int, default=None, help="population size (overrides the config)")
    parser.add_argument("--config", type=Path, default=None, help="NEAT config: TOML, or a neat-python INI")
    parser.add_argument("--fine-tune", choices=("lamarckian", "darwinian", "none"), default=None,
                        help="gradient fine-tuning mode (overrides the config)")
    parser.add_argument("--out", type=Path, default=None, help="output folder (default runs/<task>-<timestamp>)")
    parser.add_argument("--resume", type=Path, default=None, help="continue the run saved in this folder")
    parser.add_argument("--quiet", action="store_true", help="print only the final summary")
    args = parser.parse_args(argv)
    if args.workers is not None and args.workers < 1:
        parser.error("--workers must be at least 1")
    if args.generations is not None and args.generations < 1:
        parser.error("--generations must be at least 1")
    if args.pop_size is not None and args.pop_size < 2:
        parser.error("--pop-size must be at least 2")
    if args.episodes is not None and args.episodes < 1:
        parser.error("--episodes must be at least 1")
    if not args.list and args.task is None and args.resume is None:
        parser.error("a TASK is required (or --list / --resume DIR)")
    return args


def load_config(args: argparse.Namespace, task) -> NEATConfig:
    """The task's default config, or ``--config``, with the command-line overrides applied."""
    if args.config is None:
        cfg = task.default_config(args.fine_tune)
    elif not args.config.exists():
        raise UsageError(f"config file {args.config} not found")
    elif args.config.suffix.lower() == ".toml":
        cfg = NEATConfig.from_toml(args.config)
    elif args.config.suffix.lower() in (".ini", ".cfg", "") or args.config.name.startswith("config"):
        cfg = NEATConfig.from_neat_python(args.config)
    else:
        raise UsageError(f"--config {args.config}: expected a .toml file or a neat-python INI (.ini/.cfg)")
    if args.pop_size is not None:
        cfg = cfg.replace(pop_size=args.pop_size)
    if args.fine_tune is not None:
        cfg = cfg.replace(fine_tune=replace(cfg.fine_tune, mode=args.fine_tune))
    g = cfg.genome
    if (g.num_inputs, g.num_outputs) != (task.num_inputs, task.num_outputs):
        raise UsageError(f"the config has {g.num_inputs} inputs and {g.num_outputs} outputs but task {task.name!r} "
                         f"needs {task.num_inputs} and {task.num_outputs}")
    if task.recurrent and g.feed_forward:
        raise UsageError(f"task {task.name!r} needs recurrent genomes: set genome.feed_forward = false")
    # refused before the run rather than after it
    if args.export == "onnx" and not g.feed_forward:
        raise UsageError("--export onnx: ONNX export takes feed-forward champions only, and this config evolves "
                         "recurrent genomes (genome.feed_forward = false)")
    if args.export == "onnx" and importlib.util.find_spec("onnx") is None:
        raise UsageError("--export onnx needs the onnx package: pip install 'ottorch[onnx]'")
    return cfg


def make_evaluator(args: argparse.Namespace, task, cfg: NEATConfig):
    backend = args.backend
    if backend is None:
        if importlib.util.find_spec("ray") is None:
            print("note: ray is not installed, evaluating serially (pip install 'ottorch[ray]' for workers)")
            backend = "serial"
        else:
            backend = "ray"
    if backend == "serial":
        if args.address:
            raise UsageError("--address needs the Ray backend")
        return backend, SerialEvaluator(task, cfg.fine_tune), 1
    from ottorch.distributed import RayEvaluator

    evaluator = RayEvaluator(task, cfg.fine_tune, workers=args.workers, address=args.address)
    return backend, evaluator, evaluator.workers


class ProgressReporter(StdOutReporter):
    """The per-generation line, preceded by a live bar while the generation is evaluated."""

    def __init__(self, quiet: bool) -> None:
        super().__init__(show_errors=not quiet)
        self.quiet = quiet
        self.bar = None

    def start_generation(self, population) -> None:
        super().start_generation(population)
        if not self.quiet:
            self.bar = progress(total=population.config.pop_size, desc=f"gen {population.generation}", leave=False)

    def advance(self, n: int) -> None:
        if self.bar is not None:
            self.bar.update(n)

    def post_evaluate(self, population, stats) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
        if not self.quiet:
            super().post_evaluate(population, stats)

    def found_solution(self, population, champion) -> None:
        if not self.quiet:
            super().found_solution(population, champion)


class _EvaluatorWithProgress:
    """Passes the evaluator's progress to the live bar."""

    def __init__(self, evaluator, reporter: ProgressReporter) -> None:
        self.evaluator, self.reporter = evaluator, reporter

    def evaluate(self, genomes, seeds):
        return self.evaluator.evaluate(genomes, seeds, progress=self.reporter.advance)

    def evaluate_table(self, table, seeds):
        return self.evaluator.evaluate_table(table, seeds, progress=self.reporter.advance)


def _truncate_history(path: Path, generation: int) -> None:
    """Drop history rows past the checkpoint being resumed (the killed run may have got further)."""
    if not path.exists():
        return
    lines = path.read_text().splitlines(keepends=True)
    kept = lines[:1] + [line for line in lines[1:] if int(line.split(",", 1)[0]) <= generation]
    path.write_text("".join(kept))


def _split_tasks() -> list[str]:
    """The tasks whose data split is selectable: their factory takes ``split_seed``."""
    return [name for name, (factory, _) in TASKS.items() if "split_seed" in inspect.signature(factory).parameters]


#: Flags that are task options: flag name -> constructor argument.
_TASK_OPTIONS = {"split_seed": "split_seed", "episodes": "episodes", "target": "target", "kind": "kind"}


def _task_options(args: argparse.Namespace) -> dict:
    return {option: getattr(args, flag) for flag, option in _TASK_OPTIONS.items() if getattr(args, flag) is not None}


def _task(spec: str, options: dict):
    """The task ``spec`` with its options (the task-option flags given)."""
    if "split_seed" in options and spec in TASKS and spec not in _split_tasks():
        raise UsageError(f"--split-seed: task {spec!r} has no selectable data split (tasks that have one: "
                         f"{', '.join(_split_tasks())})")
    try:
        return make_task(spec, **options)
    except ValueError as e:
        raise UsageError(str(e)) from None


_DEFAULT_GENERATIONS = 100
#: Flags recorded in run.json that ``--resume`` keeps unless given again.
_RESUMED_SETTINGS = ("generations", "backend", "workers", "address")
#: Flags that fix what a run computes: its checkpoints (the split: run.json) already hold their effect.
_FIXED_ON_RESUME = {"config": "--config", "pop_size": "--pop-size", "seed": "--seed", "fine_tune": "--fine-tune",
                    "split_seed": "--split-seed", "episodes": "--episodes", "target": "--target", "kind": "--kind"}


def _keep_saved_settings(args: argparse.Namespace, saved: dict) -> None:
    """Refuse flags that cannot change on ``--resume``; fill the others the user did not give from run.json."""
    given = [flag for name, flag in _FIXED_ON_RESUME.items() if getattr(args, name) is not None]
    if given:
        raise UsageError(f"--resume {args.resume}: {', '.join(given)} cannot change when a run resumes (the "
                         f"checkpoints and run.json fix the config, population, seed, data split and fine-tuning); "
                         f"leave {'it' if len(given) == 1 else 'them'} out")
    if args.task is not None and saved.get("task") not in (None, args.task):
        raise UsageError(f"--resume {args.resume}: the saved run is task {saved['task']!r}, not {args.task!r}")
    for name in _RESUMED_SETTINGS:
        # a Ray run resumed with --backend serial leaves its cluster's address behind
        if getattr(args, name) is None and not (name == "address" and args.backend == "serial"):
            setattr(args, name, saved.get(name))
    if args.generations is None:
        args.generations = _DEFAULT_GENERATIONS
    # the checkpointed fitness was measured with these task options (the split: a run.json without one used
    # the task's default)
    options = saved.get("task_options", {"split_seed": saved["split_seed"]} if saved.get("split_seed") is not None
                        else {})
    for flag, option in _TASK_OPTIONS.items():
        setattr(args, flag, options.get(option))


def run(args: argparse.Namespace) -> dict:
    """Carry out one run as the flags say; returns the result dict written to result.json."""
    start = time.perf_counter()
    if args.resume is not None:
        if not (args.resume / "checkpoints").is_dir():
            raise UsageError(f"--resume {args.resume}: no checkpoints/ folder there")
        saved = json.loads((args.resume / "run.json").read_text()) if (args.resume / "run.json").exists() else {}
        _keep_saved_settings(args, saved)
        spec = args.task or saved.get("task")
        if spec is None:
            raise UsageError(f"--resume {args.resume}: give the TASK, run.json is missing")
        task = _task(spec, _task_options(args))
        out = args.resume
        reporter = ProgressReporter(args.quiet)
        try:
            population = load_checkpoint(out / "checkpoints")
        except CheckpointError as e:
            raise UsageError(str(e)) from None
        cfg = population.config
        seed = population.seed
        _truncate_history(out / "history.csv", population.generation)
    else:
        spec = args.task
        task = _task(spec, _task_options(args))
        cfg = load_config(args, task)
        seed = args.seed if args.seed is not None else cfg.seed if cfg.seed is not None else 0
        args.generations = _DEFAULT_GENERATIONS if args.generations is None else args.generations
        folder = "".join(c if c.isalnum() or c in "-_." else "_" for c in task.name)
        out = args.out or Path("runs") / f"{folder}-{time.strftime('%Y%m%d-%H%M%S')}"
        reporter = ProgressReporter(args.quiet)
        population = Population(cfg, seed=seed)
    population.solution_test = task.solves
    out.mkdir(parents=True, exist_ok=True)
    settings = {name: getattr(args, name) for name in _RESUMED_SETTINGS}
    split_seed = getattr(task, "split_seed", None)
    if args.render and not hasattr(task, "render_gif"):
        raise UsageError(f"--render: task {task.name!r} does not render episodes (gym: tasks do)")
    (out / "run.json").write_text(json.dumps({"task": spec, "seed": seed, "split_seed": split_seed,
                                              "task_options": _task_options(args), **settings,
                                              "config": cfg.to_dict()}, indent=1))
    for r in (reporter, CSVReporter(out / "history.csv"), Checkpointer(out / "checkpoints")):
        population.reporters.add(r)
    done = population.generation + 1 if population.fitness is not None else 0
    backend, evaluator, workers = make_evaluator(args, task, cfg)
    try:
        if args.generations > done and not (done and population.solved()):
            population.run(_EvaluatorWithProgress(evaluator, reporter), args.generations - done)
    finally:
        evaluator.close()
    champion = population.best_genome

    net = compile_genome(champion)
    metric = task.test_metric(net, champion)
    (out / "champion.json").write_text(json.dumps(champion.to_dict(), indent=1))
    save_champion(champion, out / "champion.ott", task=task.name,
                  metadata=task.champion_metadata() if hasattr(task, "champion_metadata") else None)
    if args.export == "onnx":
        from ottorch.neat.onnx_export import export_onnx

        export_onnx(champion, out / "champion.onnx")
    if args.render:
        task.render_gif(champion, out / "champion.gif")
    draw_genome(champion, out / "champion", notify=not args.quiet)
    write_fitness_plot(population.history, out / "fitness.png")
    write_speciation_plot(population.history, out / "speciation.png")
    hidden, conns = champion.size()
    result = {
        "task": task.name, "seed": seed, "split_seed": split_seed, "backend": backend, "workers": workers,
        "solved": population.solved(), "generations": population.generation + 1, "evaluations": population.evaluations,
        "gradient_steps": population.gradient_steps, "best_fitness": champion.fitness, "test_metric": metric,
        "wall_s": round(time.perf_counter() - start, 2), "fine_tune": cfg.fine_tune.mode, "pop_size": cfg.pop_size,
        "champion": {"key": champion.key, "hidden_nodes": hidden, "enabled_connections": conns},
        "ottorch": ottorch.__version__, "out": str(out),
    }
    (out / "result.json").write_text(json.dumps(result, indent=1) + "\n")
    metric_text = ", ".join(f"{k} {v:.4g}" for k, v in metric.items())
    print(f"{task.name}: {'solved' if result['solved'] else 'not solved'} after {result['generations']} generations, "
          f"{result['evaluations']} evaluations, {result['gradient_steps']} gradient steps, {result['wall_s']}s; "
          f"champion {hidden} hidden nodes, {conns} connections, fitness {champion.fitness:.4f}; "
          f"test: {metric_text}; results in {out}")
    return result


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.list:
        width = max(len(n) for n in TASKS)
        for name, (_, description) in TASKS.items():
            print(f"{name:{width}s}  {description}")
        print("\nand the forms " + "; ".join(TASK_FORMS))
        return 0
    try:
        run(args)
    except (UsageError, ConfigError) as e:
        print(f"error: {e}", file=sys.stderr)
        return USAGE_ERROR
    except ConnectionError as e:
        print(f"error: {e}", file=sys.stderr)
        return CLUSTER_ERROR
    return 0


if __name__ == "__main__":
    sys.exit(main())
