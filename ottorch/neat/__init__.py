"""``ottorch.neat``: NEAT neuroevolution (Stanley & Miikkulainen 2002) with Lamarckian fine-tuning.

Genomes evolve topologies; each compiles to an ottorch network (``compile_genome``) that can be
trained by gradient descent before its fitness is taken, with the trained weights written back into
the genome. ``Population`` runs the ask / evaluate / tell loop with any ``Evaluator``
(``SerialEvaluator`` here; ``ottorch.distributed.RayEvaluator`` spreads it over Ray workers).
"""

from ottorch.neat.batch_eval import TableResults, evaluate_table
from ottorch.neat.batched import BatchedNetwork, compile_table
from ottorch.neat.checkpoint import Checkpointer, CheckpointError, load_checkpoint, save_checkpoint
from ottorch.neat.config import (
    ConfigError,
    FineTuneConfig,
    GenomeConfig,
    NEATConfig,
    ReproductionConfig,
    SpeciesConfig,
    StagnationConfig,
)
from ottorch.neat.draw import draw_genome
from ottorch.neat.evaluator import Evaluator, SerialEvaluator
from ottorch.neat.export import load_champion, save_champion
from ottorch.neat.finetune import EvalResult, evaluate_genome, evaluation_seed, evaluation_seeds
from ottorch.neat.genome import ConnectionGene, Genome, NodeGene
from ottorch.neat.innovation import InnovationTracker
from ottorch.neat.phenotype import GenomeNetwork, compile_genome, reference_forward
from ottorch.neat.population import GenerationStats, Population
from ottorch.neat.reporting import BaseReporter, CSVReporter, StatisticsReporter, StdOutReporter
from ottorch.neat.reproduction import CompleteExtinctionError
from ottorch.neat.table import GenomeTable
from ottorch.neat.tasks.base import Task
