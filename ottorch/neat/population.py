"""``Population``: the thin ask / evaluate / tell loop of NEAT.

1. ``ask()`` gives the genomes of the current generation and their evaluation seeds, derived from
   (run seed, generation, genome key).
2. An ``Evaluator`` returns fitness and, in Lamarckian mode, trained weights.
3. ``tell(results)`` writes the weights back into the genes, records fitness and statistics and
   notifies reporters (checkpoints are taken here, after evaluation).
4. ``advance()`` removes stagnant species, breeds the next generation and speciates it.

``run`` repeats this until the fitness threshold or the generation budget is reached. All
randomness comes from one ``numpy.random.Generator`` whose state is part of every checkpoint.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ottorch.neat.batch_eval import TableResults
from ottorch.neat.config import NEATConfig
from ottorch.neat.evaluator import Evaluator
from ottorch.neat.finetune import EvalResult, evaluation_seeds
from ottorch.neat.genome import Genome
from ottorch.neat.initial import initial_pool
from ottorch.neat.innovation import InnovationTracker
from ottorch.neat.pool import GenePool
from ottorch.neat.reporting import ReporterSet
from ottorch.neat.reproduction import CompleteExtinctionError, reproduce
from ottorch.neat.species import SpeciesSet
from ottorch.neat.table import GenomeTable

_CRITERIA = {"max": np.max, "min": np.min, "mean": np.mean}


@dataclass
class GenerationStats:
    """One generation's figures, as reporters and the history CSV see them."""

    generation: int
    best_fitness: float
    mean_fitness: float
    std_fitness: float
    num_species: int
    evaluations: int
    gradient_steps: int
    errors: int
    eval_seconds: float
    best_key: int
    best_hidden: int
    best_connections: int
    threshold: float
    #: [species key, members] of each species this generation (for the speciation plot; not in the CSV).
    species_sizes: list = field(default_factory=list)


class Population:
    """A NEAT run: genes, species, innovations and the random state, one generation at a time."""

    def __init__(self, config: NEATConfig, seed: int | None = None, reporters=(),
                 solution_test: Callable[[Genome], bool] | None = None) -> None:
        self.config = config
        #: A further test a generation's champion must pass, once it reaches the fitness threshold, for the
        #: run to be solved (e.g. ``task.solves``); the champion that passes becomes ``best_genome``.
        self.solution_test = solution_test
        self._tested: dict[int, bool] = {}
        #: The run seed: ``seed``, else the config's, else 0.
        self.seed = seed if seed is not None else config.seed if config.seed is not None else 0
        self.rng = np.random.default_rng(self.seed)
        self.reporters = ReporterSet(reporters)
        g = config.genome
        self.tracker = InnovationTracker(g.num_inputs, g.num_outputs)
        self.pool = initial_pool(config.pop_size, g, self.rng, self.tracker)
        self.next_key = config.pop_size
        self.species = SpeciesSet(config.species)
        self.species.speciate(self.pool, 0, g)
        self.generation = 0
        self.fitness: np.ndarray | None = None
        self.evaluations = 0
        self.gradient_steps = 0
        self.best_genome: Genome | None = None
        self.history: list[GenerationStats] = []

    # ------------------------------------------------------------------ the loop

    def ask(self) -> tuple[list[Genome], list[int]]:
        """The genomes to evaluate now and their seeds."""
        genomes = [self.pool.genome(row, self.tracker) for row in range(len(self.pool))]
        return genomes, evaluation_seeds(self.seed, self.generation, self.pool.keys).tolist()

    def ask_table(self) -> tuple[GenomeTable, np.ndarray]:
        """The genomes to evaluate now as one ``GenomeTable`` (rows in ``ask`` order) and their seeds."""
        table = GenomeTable.from_pool(self.pool, self.tracker)
        return table, evaluation_seeds(self.seed, self.generation, table.keys)

    def tell(self, results: list[EvalResult] | TableResults, eval_seconds: float = 0.0) -> GenerationStats:
        """Record the evaluation of the current generation (results in ``ask`` order): a list of
        ``EvalResult`` or the ``TableResults`` of ``ask_table``'s table."""
        if len(results) != len(self.pool):
            raise ValueError(f"expected {len(self.pool)} results, got {len(results)}")
        if isinstance(results, TableResults):
            fitness, errors = self._tell_table(results)
        else:
            fitness, errors = self._tell_list(results)
        self.evaluations += len(results)
        self.fitness = fitness
        best = int(np.argmax(fitness))
        champion = self.pool.genome(best, self.tracker, float(fitness[best]))
        if self.best_genome is None or champion.fitness > self.best_genome.fitness:
            self.best_genome = champion
        hidden, conns = champion.size()
        stats = GenerationStats(
            self.generation, float(fitness[best]), float(fitness.mean()), float(fitness.std()),
            len(self.species.species), self.evaluations, self.gradient_steps, errors, eval_seconds,
            int(champion.key), hidden, conns, self.species.threshold,
            [[key, len(sp.members)] for key, sp in self.species.species.items()])
        self.history.append(stats)
        self.reporters.post_evaluate(self, stats)
        return stats

    def _tell_list(self, results: list[EvalResult]) -> tuple[np.ndarray, int]:
        fitness = np.empty(len(results))
        errors = 0
        for row, r in enumerate(results):
            if r.key != self.pool.keys[row]:
                raise ValueError(f"result {row} is for genome {r.key}, expected genome {self.pool.keys[row]}")
            fitness[row] = r.fitness
            if r.weights is not None:
                self.pool.write_back(row, r.weights, r.biases or {})
            if r.error is not None:
                errors += 1
                self.reporters.info(f"genome {r.key}: worst fitness because {r.error}")
            self.gradient_steps += r.gradient_steps
        return fitness, errors

    def _tell_table(self, results: TableResults) -> tuple[np.ndarray, int]:
        wrong = np.flatnonzero(results.keys != self.pool.keys)
        if len(wrong):
            row = int(wrong[0])
            raise ValueError(f"result {row} is for genome {results.keys[row]}, expected genome {self.pool.keys[row]}")
        if len(results.c_weight) != len(self.pool.c_weight) or len(results.n_bias) != len(self.pool.n_bias):
            raise ValueError("table results do not match the population's genes (were they made from ask_table?)")
        # Lamarckian write-back: the rows of written genomes take their trained genes.
        conns = results.written[self.pool.c_row]
        self.pool.c_weight[conns] = results.c_weight[conns]
        nodes = results.written[self.pool.n_row]
        self.pool.n_bias[nodes] = results.n_bias[nodes]
        for row, reason in sorted(results.errors.items()):
            self.reporters.info(f"genome {int(results.keys[row])}: worst fitness because {reason}")
        self.gradient_steps += int(results.gradient_steps.sum())
        return results.fitness.astype(np.float64), len(results.errors)

    def solved(self) -> bool:
        cfg = self.config
        if self.fitness is None or cfg.no_fitness_termination or cfg.fitness_threshold is None:
            return False
        if _CRITERIA[cfg.fitness_criterion](self.fitness) < cfg.fitness_threshold:
            return False
        if self.solution_test is None:
            return True
        best = int(np.argmax(self.fitness))
        key = int(self.pool.keys[best])
        if key not in self._tested:
            champion = self.pool.genome(best, self.tracker, float(self.fitness[best]))
            self._tested[key] = bool(self.solution_test(champion))
            if self._tested[key]:
                self.best_genome = champion
        return self._tested[key]

    def advance(self) -> None:
        """Breed and speciate the next generation (after ``tell``)."""
        if self.fitness is None:
            raise RuntimeError("advance() needs the current generation's fitness: call tell() first")
        try:
            self.pool, self.next_key = reproduce(self.pool, self.fitness, self.species, self.generation,
                                                 self.config, self.rng, self.tracker, self.next_key)
        except CompleteExtinctionError:
            self.reporters.complete_extinction(self)
            if not self.config.reset_on_extinction:
                raise
            self.pool = initial_pool(self.config.pop_size, self.config.genome, self.rng, self.tracker,
                                     first_key=self.next_key)
            self.next_key += self.config.pop_size
        self.generation += 1
        self.fitness = None
        self.species.speciate(self.pool, self.generation, self.config.genome)
        self.reporters.post_reproduction(self)

    def run(self, evaluator: Evaluator, generations: int | None = None) -> Genome:
        """Evolve until solved or ``generations`` more generations were evaluated; return the champion."""
        done = 0
        while generations is None or done < generations:
            if self.fitness is not None:  # resumed right after an evaluation
                self.advance()
            self.reporters.start_generation(self)
            start = time.perf_counter()
            if hasattr(evaluator, "evaluate_table"):
                table, seeds = self.ask_table()
                results = evaluator.evaluate_table(table, seeds)
            else:
                results = evaluator.evaluate(*self.ask())
            self.tell(results, time.perf_counter() - start)
            done += 1
            if self.solved():
                self.reporters.found_solution(self, self.best_genome)
                break
        return self.best_genome

    # ------------------------------------------------------------------ state

    def state_dict(self) -> dict:
        """Everything needed to continue the run exactly (JSON-ready except the gene arrays)."""
        return {
            "config": self.config.to_dict(), "seed": self.seed, "generation": self.generation,
            "next_key": self.next_key, "evaluations": self.evaluations, "gradient_steps": self.gradient_steps,
            "rng": self.rng.bit_generator.state, "tracker": self.tracker.state_dict(),
            "species": self.species.state_dict(),
            "best_genome": None if self.best_genome is None else self.best_genome.to_dict(),
            "fitness": None if self.fitness is None else self.fitness.tolist(),
            "history": [vars(h) for h in self.history],
        }

    def load_state_dict(self, state: dict, pool: GenePool) -> None:
        self.seed, self.generation, self.next_key = state["seed"], state["generation"], state["next_key"]
        self.evaluations, self.gradient_steps = state["evaluations"], state["gradient_steps"]
        self.rng.bit_generator.state = state["rng"]
        self.tracker = InnovationTracker.from_state_dict(state["tracker"])
        self.pool = pool
        self.species.load_state_dict(state["species"])
        self.best_genome = None if state["best_genome"] is None else Genome.from_dict(state["best_genome"])
        self.fitness = None if state["fitness"] is None else np.asarray(state["fitness"])
        self.history = [GenerationStats(**h) for h in state["history"]]
