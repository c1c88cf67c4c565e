"""How NEAT generations scale over Ray workers (issue 6).

Runs a fine-tuning-heavy task (default: iris, population 150, 200 Adam steps per genome) for a few
generations in process (serial), on 1 Ray worker and on 2 Ray workers, interleaved over several
rounds in one Ray session, and prints per generation: wall time, the time the evaluator took, and the
coordinator's share (ask + tell + speciation and reproduction, i.e. everything but the evaluator).
It also checks that every backend produced the same fitness history.

    python scripts/bench_scaling.py [--task iris] [--generations 3] [--rounds 2] [--steps 200]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
os.environ.setdefault("RAY_AUTH_MODE", "disabled")

from dataclasses import replace  # noqa: E402

from ottorch.neat import Population, SerialEvaluator  # noqa: E402
from ottorch.neat.tasks import make_task  # noqa: E402


def run(task, config, evaluator, generations: int, seed: int) -> dict:
    """Time ``generations`` generations: total wall time and the evaluator's part of it."""
    pop = Population(config, seed=seed)
    wall = evaluate = 0.0
    for _ in range(generations):
        start = time.perf_counter()
        if pop.fitness is not None:
            pop.advance()
        genomes, seeds = pop.ask()
        t0 = time.perf_counter()
        results = evaluator.evaluate(genomes, seeds)
        evaluate += time.perf_counter() - t0
        pop.tell(results)
        wall += time.perf_counter() - start
    history = [(h.best_fitness, h.mean_fitness) for h in pop.history]
    return {"wall": wall / generations, "evaluate": evaluate / generations, "history": history,
            "gradient_steps": pop.gradient_steps}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", default="iris")
    parser.add_argument("--generations", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--steps", type=int, default=200, help="gradient steps per genome")
    parser.add_argument("--pop-size", type=int, default=150)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    import ray

    from ottorch.distributed import RayEvaluator
    from ottorch.distributed.ray_evaluator import _short_temp_dir

    task = make_task(args.task)
    base = task.default_config("lamarckian")
    config = base.replace(pop_size=args.pop_size, no_fitness_termination=True,
                          fine_tune=replace(base.fine_tune, steps=args.steps))
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
          f"{'speed-up vs 1 worker':>21s}")
    one = statistics.median(r["wall"] for r in runs["ray 1 worker"])
    for name, rs in runs.items():
        wall = statistics.median(r["wall"] for r in rs)
        evaluate = statistics.median(r["evaluate"] for r in rs)
        share = 100 * statistics.median((r["wall"] - r["evaluate"]) / r["wall"] for r in rs)
        print(f"{name:15s} {wall:15.3f} {evaluate:12.3f} {share:11.1f}% {one / wall:20.2f}x")
    if not same:
        raise SystemExit("backends disagree: results must not depend on the number of workers")


if __name__ == "__main__":
    main()
