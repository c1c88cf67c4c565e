"""Benchmark ottorch.neat against the NEAT anchors (see ../shared/reference/neat_anchors.md).

Sections (each can be skipped):

- XOR over many seeds, pure NEAT and Lamarckian: success rate, mean / median generations,
  evaluations and gradient steps to solve, and wall time per solved run. Anchors: the NEAT paper,
  4,755 evaluations with no failures; neat-python 2.1's stock config, 10,211 evaluations, 92/100
  solved, 0.73 s per solved run.
- Double-pole balancing with velocities: evaluations to solve (anchor: the NEAT paper, 3,600), and
  evaluations/s of the lock-step simulation against the per-genome simulator, side by side.
- Double-pole balancing without velocities with Gruau's damping fitness (``double_pole_nv``): runs
  solved (100,000-step champion, generalisation >= 200 of 625), evaluations and generalisation score.
  Anchors: NEAT 33,184 evaluations and generalisation 286, ESP 169,466, CE 840,000.
- The coordinator's evolution step (speciate + reproduce) at population 150 and 1,000, timed on an
  evolved population; side by side with neat-python when it is importable. Anchor: neat-python
  6 ms and 57 ms.
- Batched evaluation (issue 9), each figure a ratio measured side by side in this run, one core:
  pure-NEAT XOR evaluations/s against neat-python at population 150 / 1,000 / 10,000
  (``throughput``); gradient steps/s of 150 iris genomes x 200 Adam steps, batched against the
  per-genome reference (``gradient-steps``); batched against per-genome over population size and
  network size (``scaling``); peak memory of one process evaluating 10,000 XOR genomes
  (``memory``); the Lamarckian ``spiral`` task over 5 seeds (``spiral``).

    python scripts/bench_neat.py [--seeds 100] [--generations 300] [--skip xor-pure,xor-lamarckian,...]
"""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import replace
from multiprocessing import Pool
from pathlib import Path

import numpy as np

from ottorch.neat import NEATConfig, Population, SerialEvaluator
from ottorch.neat.tasks.supervised import XORTask

SECTIONS = ("xor-pure", "xor-lamarckian", "double-pole", "double-pole-nv", "evolution-step", "throughput",
            "gradient-steps", "scaling", "memory", "spiral")


def xor_config(mode: str):
    """The XOR task with the paper's success criterion and its default config for ``mode``."""
    task = XORTask("paper")
    return task, task.default_config(mode)


def xor_run(args: tuple[str, int, int]) -> dict:
    mode, seed, generations = args
    task, cfg = xor_config(mode)
    start = time.perf_counter()
    pop = Population(cfg, seed=seed)
    champion = pop.run(SerialEvaluator(task, cfg.fine_tune), generations)
    return {"solved": pop.solved(), "generations": pop.generation + 1, "evaluations": pop.evaluations,
            "gradient_steps": pop.gradient_steps, "seconds": time.perf_counter() - start,
            "size": champion.size()}


def report_runs(title: str, runs: list[dict], anchors: str) -> None:
    solved = [r for r in runs if r["solved"]]
    print(f"\n{title}: solved {len(solved)}/{len(runs)}   ({anchors})")
    if not solved:
        return
    for key in ("generations", "evaluations", "gradient_steps"):
        values = [r[key] for r in solved]
        print(f"  {key:15s} mean {statistics.mean(values):10.1f}  median {statistics.median(values):10.1f}  "
              f"max {max(values):10d}")
    hidden = statistics.mean(r["size"][0] for r in solved)
    conns = statistics.mean(r["size"][1] for r in solved)
    wall = sum(r["seconds"] for r in runs) / len(solved)
    print(f"  wall time per solved run {wall:.2f} s; champion size {hidden:.2f} hidden nodes, {conns:.2f} connections")


def map_runs(run, args: list, workers: int) -> list[dict]:
    """``run`` over ``args``, in ``workers`` processes when more than one."""
    if workers <= 1:
        return [run(a) for a in args]
    with Pool(workers) as pool:
        return pool.map(run, args)


def bench_xor(mode: str, seeds: int, generations: int, workers: int) -> float:
    """Report the runs; return the wall time per solved run."""
    runs = map_runs(xor_run, [(mode, s, generations) for s in range(seeds)], workers)
    anchors = "NEAT paper: 4,755 evaluations, 0 failures; neat-python 2.1: 10,211 evaluations, 92/100"
    report_runs(f"XOR, {'pure NEAT' if mode == 'none' else 'Lamarckian'} ({seeds} seeds, paper criterion)",
                runs, anchors)
    solved = sum(r["solved"] for r in runs)
    return sum(r["seconds"] for r in runs) / max(solved, 1)


def double_pole_run(args: tuple[int, int, bool, bool]) -> dict:
    from ottorch.neat.tasks.control import DoublePoleTask

    seed, generations, velocities, batched = args
    task = DoublePoleTask(velocities=velocities)
    cfg = task.default_config()
    cfg = cfg.replace(fine_tune=replace(cfg.fine_tune, batched=batched))
    start = time.perf_counter()
    pop = Population(cfg, seed=seed, solution_test=task.solves)
    champion = pop.run(SerialEvaluator(task, cfg.fine_tune), generations)
    run = {"solved": pop.solved(), "generations": pop.generation + 1, "evaluations": pop.evaluations,
           "gradient_steps": 0, "seconds": time.perf_counter() - start, "size": champion.size(),
           "eval_seconds": sum(h.eval_seconds for h in pop.history),
           "history": [h.best_fitness for h in pop.history]}
    if not velocities and run["solved"]:
        run["generalization"] = task.generalization(champion)
    return run


def _evaluations_per_second(runs: list[dict]) -> tuple[float, float]:
    """Evaluations per second of evaluator time, and of wall time (evolution and solution tests included)."""
    evaluations = sum(r["evaluations"] for r in runs)
    return evaluations / sum(r["eval_seconds"] for r in runs), evaluations / sum(r["seconds"] for r in runs)


def bench_double_pole(seeds: int, reference_seeds: int, generations: int, workers: int) -> None:
    """With velocities: evaluations to solve, and evaluations/s of the lock-step simulation against the
    per-genome simulator (``fine_tune.batched = false``) on the first ``reference_seeds`` seeds."""
    # seed by seed, lock-step then per-genome, so both see the same machine load
    args = [(s, generations, True, batched) for s in range(seeds) for batched in (True, False)
            if batched or s < reference_seeds]
    both = map_runs(double_pole_run, args, workers)
    runs = [r for a, r in zip(args, both) if a[3]]
    reference = [r for a, r in zip(args, both) if not a[3]]
    report_runs(f"Double pole with velocities ({seeds} seeds)", runs, "NEAT paper: 3,600 evaluations")
    same = all(r["history"] == b["history"] for r, b in zip(reference, runs))
    batched, alone = _evaluations_per_second(runs[:reference_seeds]), _evaluations_per_second(reference)
    print(f"  evaluations/s on seeds 0-{reference_seeds - 1}, evaluator time (wall time): lock-step "
          f"{batched[0]:.0f} ({batched[1]:.0f}), per-genome {alone[0]:.0f} ({alone[1]:.0f}), "
          f"ratio {batched[0] / alone[0]:.2f} ({batched[1] / alone[1]:.2f}); identical runs: {same}")


def bench_pole_throughput(sizes: tuple[int, ...] = (150, 1000), generations: int = 10) -> None:
    """Evaluations/s of one generation of double-pole genomes (with velocities, evolved for
    ``generations`` generations at that population size): the lock-step simulation against the per-genome
    simulator, counting the per-genome simulator with and without building its float networks."""
    from ottorch.neat.batch_eval import evaluate_table
    from ottorch.neat.policy import FloatPolicy
    from ottorch.neat.tasks.control import DoublePoleTask

    task = DoublePoleTask()
    print("\nDouble pole with velocities, one generation evaluated on one core (evaluations/s):")
    print(f"  {'population':>10s} {'lock-step':>10s} {'per genome':>11s} {'(episodes only)':>16s} {'ratio':>7s}")
    for size in sizes:
        cfg = task.default_config().replace(pop_size=size, no_fitness_termination=True)
        pop = Population(cfg, seed=0)
        pop.run(SerialEvaluator(task, cfg.fine_tune), generations)
        pop.advance()
        table, seeds = pop.ask_table()
        start = time.perf_counter()
        batched = evaluate_table(table, seeds, task, cfg.fine_tune).fitness
        lock_step = time.perf_counter() - start
        start = time.perf_counter()
        policies = [FloatPolicy.from_genome(table.genome(i)) for i in range(len(table))]
        build = time.perf_counter() - start
        start = time.perf_counter()
        alone = [task.episode(p, task.start_state(), task.max_steps) / task.max_steps for p in policies]
        episodes = time.perf_counter() - start
        assert alone == batched.tolist(), "lock-step and per-genome fitness differ"
        print(f"  {size:10d} {size / lock_step:10.0f} {size / (build + episodes):11.0f} {size / episodes:16.0f} "
              f"{episodes / lock_step:6.1f}x")


def bench_double_pole_nv(seeds: int, generations: int, workers: int) -> None:
    """Without velocities, Gruau's damping fitness: solved runs, evaluations and generalisation scores."""
    runs = map_runs(double_pole_run, [(s, generations, False, True) for s in range(seeds)], workers)
    report_runs(f"Double pole without velocities, damping fitness ({seeds} seeds)", runs,
                "NEAT paper: 33,184 evaluations, generalisation 286; ESP 169,466; CE 840,000")
    solved = [r for r in runs if r["solved"]]
    if solved:
        scores = [r["generalization"] for r in solved]
        print(f"  generalisation score of the solving champions: mean {statistics.mean(scores):.1f}, "
              f"min {min(scores)}, max {max(scores)} (of 625; solved needs >= 200)")
        print(f"  evaluations/s, evaluator time (wall time): {_evaluations_per_second(runs)[0]:.0f} "
              f"({_evaluations_per_second(runs)[1]:.0f})")


NEAT_PYTHON_XOR_INI = Path(__file__).resolve().parent.parent / "tests" / "neat" / "data" / "neat_python_xor.ini"


def _evolved_population(pop_size: int, generations: int = 30) -> Population:
    """A population evolved on XOR under neat-python's own XOR config (imported), as neat-python's is."""
    task = XORTask("paper")
    cfg = NEATConfig.from_neat_python(NEAT_PYTHON_XOR_INI)
    cfg = cfg.replace(pop_size=pop_size, no_fitness_termination=True, fine_tune=replace(cfg.fine_tune, mode="none"))
    pop = Population(cfg, seed=0)
    pop.run(SerialEvaluator(task, cfg.fine_tune), generations)
    return pop


def time_evolution_step(pop_size: int, repeats: int = 20) -> float:
    """Median ms of ``advance()`` (stagnation, offspring, crossover, mutation, speciation)."""
    pop = _evolved_population(pop_size)
    rng = np.random.default_rng(1)
    times = []
    for _ in range(repeats):
        pop.fitness = rng.random(len(pop.pool)) * 4
        start = time.perf_counter()
        pop.advance()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def time_neat_python_step(pop_size: int, repeats: int = 20) -> float | None:
    """The same measurement for neat-python's reproduce + speciate (None if not installed)."""
    try:
        import neat
    except ImportError:
        return None
    config = neat.Config(neat.DefaultGenome, neat.DefaultReproduction, neat.DefaultSpeciesSet,
                         neat.DefaultStagnation, str(NEAT_PYTHON_XOR_INI))
    config.pop_size = pop_size
    config.fitness_threshold = 1e9
    pop = neat.Population(config, seed=0) if "seed" in neat.Population.__init__.__code__.co_varnames else \
        neat.Population(config)
    xor_in = [(0.0, 0.0), (0.0, 1.0), (1.0, 0.0), (1.0, 1.0)]
    xor_out = [0.0, 1.0, 1.0, 0.0]

    def fitness(genomes, config):
        for _, g in genomes:
            net = neat.nn.FeedForwardNetwork.create(g, config)
            g.fitness = 4.0 - sum((net.activate(i)[0] - o) ** 2 for i, o in zip(xor_in, xor_out))

    pop.run(fitness, 30)  # evolve some structure first, as for ottorch
    rng = np.random.default_rng(1)
    times = []
    for _ in range(repeats):
        for g in pop.population.values():
            g.fitness = float(rng.random() * 4)
        start = time.perf_counter()
        pop.population = pop.reproduction.reproduce(config, pop.species, config.pop_size, pop.generation)
        pop.species.speciate(config, pop.population, pop.generation)
        times.append(time.perf_counter() - start)
        pop.generation += 1
    return statistics.median(times) * 1e3


def bench_evolution_step() -> None:
    print("\nEvolution step (speciate + reproduce), median ms per generation:")
    print(f"  {'population':>10s} {'ottorch':>9s} {'neat-python':>12s} {'speed-up':>9s}   anchor (neat-python)")
    for size, anchor in ((150, 6), (1000, 57)):
        ours = time_evolution_step(size)
        theirs = time_neat_python_step(size)
        ratio = f"{theirs / ours:8.1f}x" if theirs else "      n/a"
        theirs_text = f"{theirs:11.1f}" if theirs else "  not installed"
        print(f"  {size:10d} {ours:9.2f} {theirs_text:>12s} {ratio:>9s}   {anchor} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=100, help="XOR runs per mode")
    parser.add_argument("--generations", type=int, default=300, help="generation budget per run")
    parser.add_argument("--pole-seeds", type=int, default=40)
    parser.add_argument("--pole-reference-seeds", type=int, default=10,
                        help="double pole seeds also run on the per-genome simulator, for evaluations/s")
    parser.add_argument("--nv-seeds", type=int, default=20, help="double pole runs without velocities")
    parser.add_argument("--nv-generations", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=1, help="processes for the XOR, double-pole and spiral seeds")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds of each timing")
    parser.add_argument("--spiral-seeds", type=int, default=5)
    parser.add_argument("--skip", default="", help=f"comma-separated sections to skip: {', '.join(SECTIONS)}")
    args = parser.parse_args()
    skip = {s for s in args.skip.split(",") if s}
    unknown = skip - set(SECTIONS)
    if unknown:
        parser.error(f"unknown section(s) {sorted(unknown)}; choose from {', '.join(SECTIONS)}")
    wall = {}
    if "xor-pure" not in skip:
        wall["none"] = bench_xor("none", args.seeds, args.generations, args.workers)
    if "xor-lamarckian" not in skip:
        wall["lamarckian"] = bench_xor("lamarckian", args.seeds, args.generations, args.workers)
    if len(wall) == 2:
        print(f"\nLamarckian / pure NEAT wall time per solved XOR run: {wall['lamarckian'] / wall['none']:.2f} "
              f"(target <= 1.0)")
    if "double-pole" not in skip:
        bench_double_pole(args.pole_seeds, args.pole_reference_seeds, 200, args.workers)
        bench_pole_throughput()
    if "double-pole-nv" not in skip:
        bench_double_pole_nv(args.nv_seeds, args.nv_generations, args.workers)
    if "evolution-step" not in skip:
        bench_evolution_step()
    from bench_batched import run_sections

    run_sections(skip, args.rounds, args.spiral_seeds, args.workers)


if __name__ == "__main__":
    main()
