"""Reporters: hooks called by ``Population`` (neat-python's event names), plus the standard ones.

- ``StdOutReporter``: one line per generation (best and mean fitness, species, evaluations,
  gradient steps, seconds).
- ``StatisticsReporter``: per-generation statistics and the champion of each generation in memory.
- ``CSVReporter``: the same statistics appended to a CSV file as the run goes.
"""

from __future__ import annotations

import csv
import sys
import time
from dataclasses import asdict, fields
from pathlib import Path
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from ottorch.neat.genome import Genome
    from ottorch.neat.population import GenerationStats, Population


class BaseReporter:
    """No-op hooks; subclasses override the ones they need."""

    def start_generation(self, population: Population) -> None: ...

    def post_evaluate(self, population: Population, stats: GenerationStats) -> None: ...

    def post_reproduction(self, population: Population) -> None: ...

    def found_solution(self, population: Population, champion: Genome) -> None: ...

    def complete_extinction(self, population: Population) -> None: ...

    def info(self, message: str) -> None: ...


class ReporterSet:
    """Fans every event out to the registered reporters, in registration order."""

    def __init__(self, reporters=()) -> None:
        self.reporters: list[BaseReporter] = list(reporters)

    def add(self, reporter: BaseReporter) -> None:
        self.reporters.append(reporter)

    def __getattr__(self, event: str):
        if event.startswith("_") or not hasattr(BaseReporter, event):
            raise AttributeError(event)

        def fan_out(*args) -> None:
            for r in self.reporters:
                getattr(r, event)(*args)

        return fan_out


class StdOutReporter(BaseReporter):
    """Prints one line per generation and the solution (and genome errors when ``show_errors``)."""

    def __init__(self, stream: IO[str] | None = None, show_errors: bool = False) -> None:
        self.stream = stream or sys.stdout
        self.show_errors = show_errors
        self._start = time.perf_counter()
        self._gen_start = self._start

    def start_generation(self, population: Population) -> None:
        self._gen_start = time.perf_counter()

    def post_evaluate(self, population: Population, stats: GenerationStats) -> None:
        seconds = time.perf_counter() - self._gen_start
        errors = f"  errors {stats.errors}" if stats.errors else ""
        print(f"gen {stats.generation:4d}  best {stats.best_fitness:10.4f}  mean {stats.mean_fitness:10.4f}  "
              f"species {stats.num_species:3d}  evals {stats.evaluations:7d}  grad steps {stats.gradient_steps:9d}  "
              f"size ({stats.best_hidden}, {stats.best_connections})  {seconds:6.2f}s{errors}", file=self.stream,
              flush=True)

    def found_solution(self, population: Population, champion: Genome) -> None:
        hidden, conns = champion.size()
        print(f"solved in generation {population.generation} after {population.evaluations} evaluations and "
              f"{population.gradient_steps} gradient steps: genome {champion.key}, fitness {champion.fitness:.4f}, "
              f"{hidden} hidden nodes, {conns} enabled connections ({time.perf_counter() - self._start:.1f}s)",
              file=self.stream, flush=True)

    def complete_extinction(self, population: Population) -> None:
        print("all species went extinct", file=self.stream, flush=True)

    def info(self, message: str) -> None:
        if self.show_errors:
            print(message, file=self.stream, flush=True)


class StatisticsReporter(BaseReporter):
    """Keeps ``generations`` (the per-generation statistics) and ``champions`` (best genome each)."""

    def __init__(self) -> None:
        self.generations: list[GenerationStats] = []
        self.champions: list[Genome] = []
        self.species_sizes: list[dict[int, int]] = []

    def post_evaluate(self, population: Population, stats: GenerationStats) -> None:
        self.generations.append(stats)
        best = int(population.fitness.argmax())
        self.champions.append(population.pool.genome(best, population.tracker, float(population.fitness[best])))
        self.species_sizes.append({k: len(s.members) for k, s in population.species.species.items()})

    def best_fitness(self) -> list[float]:
        return [s.best_fitness for s in self.generations]

    def mean_fitness(self) -> list[float]:
        return [s.mean_fitness for s in self.generations]

    def best_genomes(self, n: int) -> list[Genome]:
        """The ``n`` best generation champions, best first."""
        return sorted(self.champions, key=lambda g: -g.fitness)[:n]


class CSVReporter(BaseReporter):
    """Appends each generation's statistics to ``path`` (header written once)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def post_evaluate(self, population: Population, stats: GenerationStats) -> None:
        from ottorch.neat.population import GenerationStats

        new = not self.path.exists() or self.path.stat().st_size == 0
        with self.path.open("a", newline="") as f:
            columns = [x.name for x in fields(GenerationStats) if x.name != "species_sizes"]
            writer = csv.DictWriter(f, fieldnames=columns, extrasaction="ignore")
            if new:
                writer.writeheader()
            writer.writerow(asdict(stats))
