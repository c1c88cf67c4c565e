"""How NEAT generations scale over Ray workers (issue 6).

Runs a fine-tuning-heavy task (default: iris, population 150, 200 Adam steps per genome) for a few
generations in process (serial), on 1 Ray worker and on 2 Ray workers, interleaved over several
rounds in one Ray session, and prints per generation: wall time, the time the evaluator took, and the
coordinator's share (ask + tell + speciation and reproduction, i.e. everything but the evaluator).
It also checks that every backend produced the same fitness history, and measures the ceiling the
machine allows: the first generation's genomes evaluated in one process, then split in two halves
evaluated at the same time by two forked processes (no Ray).

    python scripts/bench_scaling.py [--task iris] [--generations 3] [--rounds 2] [--steps 200]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from multiprocessing import get_context

os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
os.environ.setdefault("RAY_AUTH_MODE", "disabled")

from dataclasses import replace  # noqa: E402

from ottorch.neat import Population, SerialEvaluator  # noqa: E402
from ottorch.neat.tasks import make_task  # noqa: E402


def run(task, config, evaluator, generations: int, seed: int) -> dict:
    """Time ``generations`` generations: total wall time and the evaluator's part of it."""
    # Warm every worker up first (imports and first-call allocations), as the serial process is after round one.
    warm_genomes, warm_seeds = Population(config, seed=seed + 1).ask()
    evaluator.evaluate(warm_genomes[:4], warm_seeds[:4])
    pop = Population(config, seed=seed)
    wall = evaluate = 0.0
    for _ in range(generations):
        start = time.perf_counter()
        if pop.fitness is not None:
            pop.advance()
        table, seeds = pop.ask_table()
        t0 = time.perf_counter()
        results = evaluator.evaluate_table(table, seeds)
        evaluate += time.perf_counter() - t0
        pop.tell(results)
        wall += time.perf_counter() - start
    history = [(h.best_fitness, h.mean_fitness) for h in pop.history]
    return {"wall": wall / generations, "evaluate": evaluate / generations, "history": history,
            "gradient_steps": pop.gradient_steps}


def _evaluate_half(args: tuple) -> float:
    task, fine_tune, genomes, seeds = args
    start = time.perf_counter()
    SerialEvaluator(task, fine_tune).evaluate(genomes, seeds)
    return time.perf_counter() - start


def two_process_ceiling(task, config, seed: int, rounds: int) -> float:
    """Median over ``rounds`` of (one process, all genomes) / (two processes, one half each)."""
    genomes, seeds = Population(config, seed=seed).ask()
    halves = [(task, config.fine_tune, genomes[i::2], seeds[i::2]) for i in (0, 1)]
    ratios = []
    with get_context("fork").Pool(2) as pool:
        pool.map(_evaluate_half, [(task, config.fine_tune, genomes[:2], seeds[:2])] * 2)  # warm up
        for _ in range(rounds):
            one = _evaluate_half(halves[0]) + _evaluate_half(halves[1])
            start = time.perf_counter()
            pool.map(_evaluate_half, halves)
            ratios.append(one / (time.perf_counter() - start))
    return statistics.median(ratios)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", default="iris")
    parser.add_argument("--generations", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--steps", type=int, default=200, help="gradient steps per genome")
    parser.add_argument("--pop-size", type=int, default=150)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    task = make_task(args.task)
    base = task.default_config("lamarckian")
    config = base.replace(pop_size=args.pop_size, no_fitness_termination=True,
                          fine_tune=replace(base.fine_tune, steps=args.steps))
    ceiling = two_process_ceiling(task, config, args.seed, args.rounds)

    import ray

    from ottorch.distributed import RayEvaluator
    from ottorch.distributed.ray_evaluator import _short_temp_dir

    cpus = os.cpu_count() or 1
    ray.init(num_cpus=max(2, cpus), include_dashboard=False, log_to_driver=False, logging_level="ERROR",
             _temp_dir=_short_temp_dir())
    print(f"task {args.task}: population {args.pop_size}, {args.steps} gradient steps per genome, "
          f"{args.generations} generations x {args.rounds} rounds, {cpus} CPUs")
    backends = {"serial": lambda: SerialEvaluator(task, config.fine_tune),
                "ray 1 worker": lambda: RayEvaluator(task, config.fine_tune, workers=1),
                "ray 2 workers": lambda: RayEvaluator(task, config.fine_tune, workers=2)}
    runs: dict[str, list[dict]] = {name: [] for name in backends}
    try:
        for _ in range(args.rounds):
            for name, make in backends.items():
                with make() as evaluator:
                    runs[name].append(run(task, config, evaluator, args.generations, args.seed))
    finally:
        ray.shutdown()

    histories = {name: r[0]["history"] for name, r in runs.items()}
    same = all(h == histories["serial"] for h in histories.values())
    steps = runs["serial"][0]["gradient_steps"] // args.generations
    print(f"\ngradient steps per generation: {steps}; identical fitness histories on every backend: {same}")
    print(f"{'backend':15s} {'s / generation':>15s} {'evaluator s':>12s} {'coordinator':>12s} "
          f"{'speed-up vs 1 worker':>21s} {'vs serial':>10s}")
    one = statistics.median(r["wall"] for r in runs["ray 1 worker"])
    serial = statistics.median(r["wall"] for r in runs["serial"])
    for name, rs in runs.items():
        wall = statistics.median(r["wall"] for r in rs)
        evaluate = statistics.median(r["evaluate"] for r in rs)
        share = 100 * statistics.median((r["wall"] - r["evaluate"]) / r["wall"] for r in rs)
        print(f"{name:15s} {wall:15.3f} {evaluate:12.3f} {share:11.1f}% {one / wall:20.2f}x {serial / wall:9.2f}x")
    print(f"ceiling on this machine: two processes without Ray evaluate the same work {ceiling:.2f}x as fast as one")
    if not same:
        raise SystemExit("backends disagree: results must not depend on the number of workers")


if __name__ == "__main__":
    main()
