"""Batched evaluation benchmarks (issue 9), run from ``bench_neat.py`` or on their own.

Every figure is a ratio measured side by side in this run, on one core (one BLAS thread), with the
two sides interleaved over ``--rounds`` rounds and the median taken:

- ``throughput``: pure-NEAT XOR genome evaluations per second at population 150 / 1,000 / 10,000,
  ottorch (``ask_table`` + ``evaluate_table``, seeds included) against neat-python
  (``FeedForwardNetwork.create`` + ``activate`` on the four patterns), both on genomes after one
  round of mutation under neat-python's own XOR config.
- ``gradient-steps``: 150 iris genomes x 200 Adam steps, batched against the per-genome reference.
- ``scaling``: batched against per-genome over population size (2 .. 1,000) and network size.
- ``memory``: peak resident memory of one process evaluating 10,000 XOR genomes.
- ``spiral``: the Lamarckian spiral task over several seeds, through the CLI.

    python scripts/bench_batched.py [--rounds 3] [--skip throughput,...] [--spiral-seeds 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from multiprocessing import Pool
from pathlib import Path

from ottorch.neat import GenomeConfig, NEATConfig, Population, SerialEvaluator
from ottorch.neat.batch_eval import evaluate_table
from ottorch.neat.evaluator import single_threaded_blas
from ottorch.neat.mutation import mutate
from ottorch.neat.tasks.supervised import IrisTask, XORTask

SECTIONS = ("throughput", "gradient-steps", "scaling", "memory", "spiral")
ROOT = Path(__file__).resolve().parent.parent
NEAT_PYTHON_XOR_INI = ROOT / "tests" / "neat" / "data" / "neat_python_xor.ini"
XOR_IN = [(0.0, 0.0), (0.0, 1.0), (1.0, 0.0), (1.0, 1.0)]
XOR_OUT = [0.0, 1.0, 1.0, 0.0]


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def interleaved(sides: dict, rounds: int) -> dict[str, float]:
    """Median seconds of each side's callable, the sides alternating round by round."""
    times: dict[str, list[float]] = {name: [] for name in sides}
    for _ in range(rounds):
        for name, fn in sides.items():
            times[name].append(timed(fn))
    return {name: statistics.median(t) for name, t in times.items()}


# ----------------------------------------------------------------------------- throughput


def mutated_xor_population(size: int):
    """An ottorch population under neat-python's XOR config, after one round of mutation."""
    cfg = NEATConfig.from_neat_python(NEAT_PYTHON_XOR_INI)
    cfg = cfg.replace(pop_size=size, fine_tune=replace(cfg.fine_tune, mode="none"))
    pop = Population(cfg, seed=0)
    pop.tracker.new_generation()
    pop.pool = mutate(pop.pool, cfg.genome, pop.rng, pop.tracker)
    return pop, cfg


def neat_python_xor(size: int):
    """neat-python's genomes under its XOR config after one round of mutation, and their evaluation."""
    import neat

    config = neat.Config(neat.DefaultGenome, neat.DefaultReproduction, neat.DefaultSpeciesSet,
                         neat.DefaultStagnation, str(NEAT_PYTHON_XOR_INI))
    config.pop_size = size
    genomes = list(neat.Population(config).population.values())
    for g in genomes:
        g.mutate(config.genome_config)

    def evaluate() -> None:
        for g in genomes:
            net = neat.nn.FeedForwardNetwork.create(g, config)
            g.fitness = 4.0 - sum((net.activate(i)[0] - o) ** 2 for i, o in zip(XOR_IN, XOR_OUT))

    return evaluate


def bench_throughput(rounds: int) -> None:
    try:
        import neat  # noqa: F401
    except ImportError:
        print("\nthroughput: neat-python is not installed (pip install neat-python); skipped")
        return
    task = XORTask()
    print("\nPure-NEAT XOR evaluations/s, one core, genomes after one round of mutation (neat-python's XOR config):")
    print(f"  {'population':>10s} {'ottorch':>11s} {'neat-python':>12s} {'ratio':>7s}   target >= 10x")
    for size in (150, 1000, 10000):
        pop, cfg = mutated_xor_population(size)

        def ours(pop=pop, cfg=cfg) -> None:
            table, seeds = pop.ask_table()
            evaluate_table(table, seeds, task, cfg.fine_tune)

        with single_threaded_blas():
            t = interleaved({"ottorch": ours, "neat-python": neat_python_xor(size)}, rounds)
        print(f"  {size:10d} {size / t['ottorch']:10.0f}/s {size / t['neat-python']:11.0f}/s "
              f"{t['neat-python'] / t['ottorch']:6.1f}x")


# ----------------------------------------------------------------------------- gradient steps


def evolved_table(task, config, generations: int, seed: int = 0):
    """A population's table after ``generations`` generations of evolution (so structures vary)."""
    pop = Population(config, seed=seed)
    pop.run(SerialEvaluator(task, config.fine_tune), generations)
    pop.advance()
    return pop.ask_table()


def bench_gradient_steps(rounds: int) -> None:
    task = IrisTask()
    base = task.default_config()
    config = base.replace(pop_size=150, no_fitness_termination=True, fine_tune=replace(base.fine_tune, steps=200))
    table, seeds = evolved_table(task, config, 3)
    batched, single = config.fine_tune, replace(config.fine_tune, batched=False)
    with single_threaded_blas():
        t = interleaved({"batched": lambda: evaluate_table(table, seeds, task, batched),
                         "per-genome": lambda: evaluate_table(table, seeds, task, single)}, max(1, rounds - 1))
    steps = len(table) * config.fine_tune.steps
    print(f"\nGradient steps/s, {len(table)} iris genomes x {config.fine_tune.steps} Adam steps (batch 32), one core:")
    print(f"  batched {steps / t['batched']:9.0f}/s ({t['batched']:.2f} s)   per-genome reference "
          f"{steps / t['per-genome']:7.0f}/s ({t['per-genome']:.2f} s)   ratio "
          f"{t['per-genome'] / t['batched']:.1f}x (target >= 20x)")


# ----------------------------------------------------------------------------- scaling


def bench_scaling(rounds: int) -> None:
    xor = XORTask()
    print("\nBatched / per-genome wall time of one evaluation (lower is better; must stay below 1):")
    print(f"  {'workload':44s} {'per-genome':>11s} {'batched':>9s} {'ratio':>7s}")

    def row(label: str, task, table, seeds, cfg) -> None:
        with single_threaded_blas():
            t = interleaved({"batched": lambda: evaluate_table(table, seeds, task, cfg),
                             "per-genome": lambda: evaluate_table(table, seeds, task, replace(cfg, batched=False))},
                            rounds)
        print(f"  {label:44s} {t['per-genome']:10.4f}s {t['batched']:8.4f}s {t['batched'] / t['per-genome']:7.3f}")

    lamarckian = xor.default_config()
    for size in (2, 10, 30, 150, 1000):
        cfg = lamarckian.replace(pop_size=size, no_fitness_termination=True)
        table, seeds = evolved_table(xor, cfg, 2)
        ft = cfg.fine_tune
        row(f"XOR Lamarckian ({ft.steps} {ft.optimizer} steps), {size} genomes", xor, table, seeds, ft)
    for size in (2, 150, 10000):
        pop, cfg = mutated_xor_population(size)
        table, seeds = pop.ask_table()
        row(f"XOR pure NEAT, {size} genomes", xor, table, seeds, cfg.fine_tune)
    iris = IrisTask()
    for hidden in (0, 8, 32, 128, 256):
        genome = GenomeConfig(num_inputs=4, num_outputs=3, num_hidden=hidden, initial_connection="full_nodirect"
                              if hidden else "full_direct", activation_default="tanh", activation_options=("tanh",),
                              output_activation="identity")
        cfg = iris.default_config().replace(pop_size=50, genome=genome)
        table, seeds = Population(cfg, seed=0).ask_table()
        row(f"iris, 50 genomes with {hidden} hidden nodes, 50 steps", iris, table, seeds,
            replace(cfg.fine_tune, steps=50))


# ----------------------------------------------------------------------------- memory

_MEMORY_SCRIPT = """
import resource, sys
from dataclasses import replace
sys.path.insert(0, {scripts!r})
from bench_batched import mutated_xor_population
from ottorch.neat.batch_eval import evaluate_table
from ottorch.neat.tasks.supervised import XORTask
pop, cfg = mutated_xor_population(10000)
task = XORTask()
table, seeds = pop.ask_table()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
evaluate_table(table, seeds, task, replace(cfg.fine_tune, mode={mode!r}, steps=30, lr=0.3, batch_size=4))
print(before, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def bench_memory() -> None:
    print("\nPeak resident memory of one process evaluating 10,000 XOR genomes (target < 1 GiB):")
    for mode in ("none", "lamarckian"):
        code = _MEMORY_SCRIPT.format(scripts=str(ROOT / "scripts"), mode=mode)
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
        before, peak = (int(v) / 1024 for v in out)
        print(f"  {mode:10s} peak {peak:7.1f} MiB (process before evaluating: {before:.1f} MiB)")


# ----------------------------------------------------------------------------- spiral


def spiral_run(seed: int) -> dict:
    with tempfile.TemporaryDirectory() as out:
        subprocess.run([sys.executable, "-m", "ottorch.run", "spiral", "--backend", "serial", "--seed", str(seed),
                        "--quiet", "--out", out], check=True, capture_output=True)
        return json.loads((Path(out) / "result.json").read_text())


def bench_spiral(seeds: int, workers: int) -> None:
    from ottorch.neat.tasks import TASKS

    if "spiral" not in TASKS:
        print("\nspiral: task not registered; skipped")
        return
    if workers > 1:
        with Pool(workers) as pool:
            runs = pool.map(spiral_run, range(seeds))
    else:
        runs = [spiral_run(s) for s in range(seeds)]
    print(f"\nspiral, Lamarckian, default config ({seeds} seeds; target: median test accuracy >= 95%):")
    print(f"  {'seed':>4s} {'solved':>6s} {'generations':>11s} {'evaluations':>11s} {'gradient steps':>14s} "
          f"{'wall s':>7s} {'test accuracy':>13s}")
    for r in runs:
        print(f"  {r['seed']:4d} {str(r['solved']):>6s} {r['generations']:11d} {r['evaluations']:11d} "
              f"{r['gradient_steps']:14d} {r['wall_s']:7.1f} {100 * r['test_metric']['accuracy']:12.2f}%")
    accuracy = statistics.median(r["test_metric"]["accuracy"] for r in runs)
    print(f"  median test accuracy {100 * accuracy:.2f}%, median wall time "
          f"{statistics.median(r['wall_s'] for r in runs):.1f} s")


def run_sections(skip: set[str], rounds: int, spiral_seeds: int, workers: int) -> None:
    if "throughput" not in skip:
        bench_throughput(rounds)
    if "gradient-steps" not in skip:
        bench_gradient_steps(rounds)
    if "scaling" not in skip:
        bench_scaling(rounds)
    if "memory" not in skip:
        bench_memory()
    if "spiral" not in skip:
        bench_spiral(spiral_seeds, workers)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--spiral-seeds", type=int, default=5)
    parser.add_argument("--workers", type=int, default=1, help="processes for the spiral seeds")
    parser.add_argument("--skip", default="", help=f"comma-separated sections to skip: {', '.join(SECTIONS)}")
    args = parser.parse_args()
    skip = {s for s in args.skip.split(",") if s}
    if skip - set(SECTIONS):
        parser.error(f"unknown section(s) {sorted(skip - set(SECTIONS))}; choose from {', '.join(SECTIONS)}")
    run_sections(skip, args.rounds, args.spiral_seeds, args.workers)


if __name__ == "__main__":
    main()
