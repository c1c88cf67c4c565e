"""neat-python's XOR example config, unchanged, in ottorch and in neat-python: seeds solved within a
generation budget and the generations they took, seed by seed, side by side.

    python scripts/bench_neat_python_config.py --seeds 40 --generations 300

neat-python (``pip install neat-python``) is used only here, never by the library or its tests. Both
evaluate XOR as neat-python's example does: fitness 4 - sum of squared errors, solved at 3.9.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

XOR_INPUTS = [(0.0, 0.0), (0.0, 1.0), (1.0, 0.0), (1.0, 1.0)]
XOR_OUTPUTS = [0.0, 1.0, 1.0, 0.0]
DEFAULT_CONFIG = Path(__file__).parents[1] / "tests" / "neat" / "data" / "neat_python_xor.ini"


def run_ottorch(config: Path, seed: int, generations: int) -> int | None:
    """The generation that solved XOR, or None."""
    from ottorch.neat import NEATConfig, Population, SerialEvaluator
    from ottorch.neat.tasks.supervised import XORTask

    cfg = NEATConfig.from_neat_python(config)
    task = XORTask()
    population = Population(cfg, seed=seed, solution_test=task.solves)
    population.run(SerialEvaluator(task, cfg.fine_tune), generations)
    return population.generation if population.solved() else None


def run_neat_python(config: Path, seed: int, generations: int) -> int | None:
    import neat

    def evaluate(genomes, neat_config):
        for _, genome in genomes:
            net = neat.nn.FeedForwardNetwork.create(genome, neat_config)
            genome.fitness = 4.0 - sum((net.activate(x)[0] - y) ** 2 for x, y in zip(XOR_INPUTS, XOR_OUTPUTS))

    neat_config = neat.Config(neat.DefaultGenome, neat.DefaultReproduction, neat.DefaultSpeciesSet,
                              neat.DefaultStagnation, str(config))
    population = neat.Population(neat_config, seed=seed)
    winner = population.run(evaluate, generations)
    return population.generation - 1 if winner.fitness >= neat_config.fitness_threshold else None


def summary(name: str, found: list[int | None], seconds: float) -> str:
    solved = [g for g in found if g is not None]
    median = statistics.median(solved) if solved else float("nan")
    return f"{name:12s} solved {len(solved)}/{len(found)}, median generation {median:.0f}, {seconds:.0f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=DEFAULT_CONFIG)
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--generations", type=int, default=300)
    args = parser.parse_args()
    results: dict[str, list] = {"ottorch": [], "neat-python": []}
    seconds = dict.fromkeys(results, 0.0)
    for seed in range(args.seeds):  # alternated seed by seed, so load affects both alike
        for name, run in (("ottorch", run_ottorch), ("neat-python", run_neat_python)):
            start = time.perf_counter()
            results[name].append(run(args.config, seed, args.generations))
            seconds[name] += time.perf_counter() - start
        print(f"seed {seed}: " + ", ".join(f"{name} {found[-1]}" for name, found in results.items()), flush=True)
    for name, found in results.items():
        print(summary(name, found, seconds[name]))


if __name__ == "__main__":
    main()
