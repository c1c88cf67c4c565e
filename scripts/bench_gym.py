"""Gymnasium environments with their default configs (issue 12): per environment and seed, whether the run
was solved (mean fitness at the environment's threshold and the champion's mean return over 100 fresh
test episodes too), generations, evaluations, wall time and the champion's test mean return. A run stops
when solved or when its wall-time budget or generation budget is used up; the champion of an unsolved run
is its best genome. One process, one core (serial evaluator).

    python scripts/bench_gym.py [--envs CartPole-v1,Acrobot-v1,Pendulum-v1] [--seeds 5] [--first-seed 0]
                                [--budget-min 30] [--generations 1000] [--jsonl results.jsonl]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from ottorch.neat import Population, SerialEvaluator
from ottorch.neat.tasks.gym import GymTask

MUST = ("CartPole-v1", "Acrobot-v1", "Pendulum-v1")


def run_one(env_id: str, seed: int, budget_s: float, generations: int) -> dict:
    """One run of ``env_id``'s default config with run seed ``seed``; the figures as a dict."""
    task = GymTask(env_id)
    cfg = task.default_config()
    pop = Population(cfg, seed=seed, solution_test=task.solves)
    evaluator = SerialEvaluator(task, cfg.fine_tune)
    start = time.perf_counter()
    solved = False
    for _ in range(generations):
        pop.run(evaluator, 1)
        if pop.solved():
            solved = True
            break
        if time.perf_counter() - start > budget_s:
            break
    wall = time.perf_counter() - start
    champion = pop.best_genome
    test = task.test_metric(None, champion)
    return {"env": env_id, "seed": seed, "solved": solved, "generations": pop.generation + 1,
            "evaluations": (pop.generation + 1) * cfg.pop_size, "wall_s": round(wall, 1),
            "best_fitness": round(float(champion.fitness), 2), "test_mean_return": round(test["mean_return"], 2),
            "threshold": task.fitness_threshold, "episodes": task.episodes, "pop_size": cfg.pop_size}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--envs", default=",".join(MUST))
    parser.add_argument("--seeds", type=int, default=5, help="runs per environment")
    parser.add_argument("--first-seed", type=int, default=0, help="run seeds first-seed .. first-seed + seeds - 1")
    parser.add_argument("--budget-min", type=float, default=30.0, help="wall-time budget per run")
    parser.add_argument("--generations", type=int, default=1000, help="generation budget per run")
    parser.add_argument("--jsonl", default=None, help="also append each run's figures to this file")
    args = parser.parse_args()
    for env_id in args.envs.split(","):
        runs = []
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            r = run_one(env_id, seed, args.budget_min * 60, args.generations)
            runs.append(r)
            print(json.dumps(r), flush=True)
            if args.jsonl:
                with open(args.jsonl, "a") as f:
                    f.write(json.dumps(r) + "\n")
        solved = [r for r in runs if r["solved"]]
        med = {k: statistics.median(r[k] for r in runs) for k in ("generations", "evaluations", "wall_s",
                                                                   "test_mean_return")}
        print(f"{env_id}: solved {len(solved)}/{len(runs)}; median over all runs: {med['generations']:g} generations, "
              f"{med['evaluations']:g} evaluations, {med['wall_s']:.1f} s, test mean return "
              f"{med['test_mean_return']:.1f} (threshold {runs[0]['threshold']:g})", flush=True)


if __name__ == "__main__":
    main()
