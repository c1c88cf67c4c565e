"""NEAT configuration: frozen dataclasses with the NEAT paper's defaults, loaded from TOML.

Every key is spelled out here once. ``NEATConfig.from_dict`` / ``from_toml`` reject unknown keys and
wrong types with an error that names the key; ``dataclasses.replace`` makes variants. Values that
change during a run (the adaptive compatibility threshold) are run state, not config.
``from_neat_python`` imports neat-python INI files (see ``ottorch/neat/neat_python.py``).
"""

from __future__ import annotations

import dataclasses
import difflib
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ACTIVATIONS = ("sigmoid", "tanh", "relu", "identity", "sin", "gauss", "abs", "softplus", "elu", "clamped",
               "square", "cube", "exp", "inv", "log", "lelu", "selu", "hat")
#: Node aggregation functions (``aggregations.py``); "sum" first: it is index 0 in gene tables.
AGGREGATIONS = ("sum", "product", "max", "min", "maxabs", "median", "mean")
#: An ``activation_default`` / ``aggregation_default`` that draws each new node's function from the
#: options (neat-python's "random", and its synonym "none").
RANDOM_DEFAULTS = ("random", "none")


class ConfigError(ValueError):
    """A configuration value or key is invalid; the message names it."""


@dataclass(frozen=True)
class GenomeConfig:
    """Genes and their mutation rates (NEAT paper defaults where it gives them)."""

    num_inputs: int = 2
    num_outputs: int = 1
    num_hidden: int = 0
    #: "full_direct" (inputs to outputs and to hidden), "full_nodirect", "partial_direct P",
    #: "partial_nodirect P", "fs_neat" (one random input per output), neat-python's
    #: "fs_neat_nohidden" / "fs_neat_hidden" (one random input per genome, to every output / and hidden
    #: node) or "unconnected".
    initial_connection: str = "full_direct"
    #: False allows recurrent (delay-1) connections, including self-loops.
    feed_forward: bool = True
    #: Whether an output node can be the source of a new connection (the NEAT paper's networks allow it;
    #: neat-python 2.0 draws sources from inputs and hidden nodes only, and its imported configs say so).
    output_sources: bool = True
    #: A new node's activation; "random" draws it from activation_options.
    activation_default: str = "sigmoid"
    activation_options: tuple[str, ...] = ("sigmoid",)
    activation_mutate_rate: float = 0.0
    #: Output nodes keep this activation whatever the mutations (None: like hidden nodes).
    output_activation: str | None = None
    #: How a node combines its weighted inputs (``config.AGGREGATIONS``); "random" draws from the options.
    aggregation_default: str = "sum"
    aggregation_options: tuple[str, ...] = ("sum",)
    aggregation_mutate_rate: float = 0.0
    bias_init_mean: float = 0.0
    bias_init_stdev: float = 1.0
    bias_init_type: str = "gaussian"
    bias_max_value: float = 30.0
    bias_min_value: float = -30.0
    bias_mutate_power: float = 0.5
    bias_mutate_rate: float = 0.7
    bias_replace_rate: float = 0.1
    response_init_mean: float = 1.0
    response_init_stdev: float = 0.0
    response_init_type: str = "gaussian"
    response_max_value: float = 30.0
    response_min_value: float = -30.0
    response_mutate_power: float = 0.0
    response_mutate_rate: float = 0.0
    response_replace_rate: float = 0.0
    weight_init_mean: float = 0.0
    weight_init_stdev: float = 1.0
    weight_init_type: str = "gaussian"
    weight_max_value: float = 30.0
    weight_min_value: float = -30.0
    #: True: each *_mutate_rate is the chance that a genome mutates that attribute in all its genes
    #: (the NEAT paper's "80% of genomes have their weights mutated"); False: the chance per gene
    #: (neat-python's reading, set by the INI import).
    mutate_per_genome: bool = True
    #: A mutating weight is replaced with probability weight_replace_rate, else perturbed by N(0, power).
    weight_mutate_rate: float = 0.8
    weight_mutate_power: float = 0.5
    weight_replace_rate: float = 0.1
    enabled_default: bool = True
    #: Each connection gene's enabled flag flips with this probability, plus enabled_rate_to_false_add
    #: when it is enabled or enabled_rate_to_true_add when it is not.
    enabled_mutate_rate: float = 0.01
    enabled_rate_to_true_add: float = 0.0
    enabled_rate_to_false_add: float = 0.0
    node_add_prob: float = 0.03
    node_delete_prob: float = 0.0
    conn_add_prob: float = 0.05
    conn_delete_prob: float = 0.0
    #: At most one structural mutation per child, chosen with probabilities proportional to the four
    #: rates (scaled down when they add up to more than 1), as neat-python does.
    single_structural_mutation: bool = False
    #: "true": adding a connection that exists (disabled) enables it, and adding a node to a genome
    #: without enabled connections adds a connection instead; "false": both do nothing; "default":
    #: as single_structural_mutation says (neat-python's meaning of the three).
    structural_mutation_surer: str = "true"
    #: Probability that a disabled gene inherited by crossover stays disabled.
    disable_inherited_prob: float = 0.75
    compatibility_excess_coefficient: float = 1.0
    compatibility_disjoint_coefficient: float = 1.0
    compatibility_weight_coefficient: float = 0.4
    #: Genomes smaller than this are not normalised by their size (N = 1), as in the NEAT paper.
    compatibility_normalize_threshold: int = 20
    #: "paper": the NEAT paper's distance over connection genes, c1 E / N + c2 D / N + c3 W (mean weight
    #: difference of matching genes); "neat-python": neat-python's, over node and connection genes
    #: (``distance_neat_python.py``), which the two keys below adjust.
    compatibility_distance: str = "paper"
    compatibility_include_node_genes: bool = True
    #: Added to a matching connection pair's difference when one is enabled and the other not.
    compatibility_enable_penalty: float = 1.0


@dataclass(frozen=True)
class SpeciesConfig:
    """Speciation by compatibility distance to each species' representative."""

    compatibility_threshold: float = 3.0
    #: When set, the threshold adapts by threshold_adjust_rate each generation towards this count.
    target_num_species: int | None = None
    threshold_adjust_rate: float = 0.3
    threshold_min: float = 0.1
    threshold_max: float = 100.0


@dataclass(frozen=True)
class StagnationConfig:
    species_fitness_func: str = "max"
    max_stagnation: int = 15
    #: The best this-many species are protected from stagnation.
    species_elitism: int = 2


@dataclass(frozen=True)
class ReproductionConfig:
    #: Champions copied unchanged into the next generation, per species (species of >= 5 in the paper).
    elitism: int = 1
    #: Only the best fraction of each species may reproduce.
    survival_threshold: float = 0.2
    min_species_size: int = 2
    #: Fraction of non-elite offspring made by crossover (the rest are mutated copies); paper: 0.75.
    crossover_rate: float = 0.75
    interspecies_crossover_prob: float = 0.001
    #: "normalized" shares fitness within a species after scaling to the population's fitness range.
    fitness_sharing: str = "normalized"


@dataclass(frozen=True)
class FineTuneConfig:
    """Gradient fine-tuning of each genome before its fitness is taken."""

    #: "lamarckian" (train, write weights back), "darwinian" (train, keep genes) or "none".
    mode: str = "lamarckian"
    optimizer: str = "adam"
    lr: float = 0.05
    #: Gradient steps per evaluation (mini-batches); 0 disables training.
    steps: int = 100
    batch_size: int = 32
    #: Also train biases (and responses if they mutate).
    train_biases: bool = True
    #: Clip the gradient norm (0: off), per genome.
    grad_clip: float = 0.0
    #: Genomes evaluated together as one batched computation: at most this many ...
    max_batch_genomes: int = 2048
    #: ... and at most about this much memory (MiB) per batch. Results do not depend on either.
    max_batch_mb: float = 256.0
    #: False evaluates one genome at a time through ``GenomeNetwork`` (the reference path).
    batched: bool = True


@dataclass(frozen=True)
class NEATConfig:
    """Everything a run needs; see the section dataclasses for the keys."""

    pop_size: int = 150
    #: The run seed when none is given to ``Population`` or ``--seed`` (neat-python's [NEAT] seed).
    seed: int | None = None
    fitness_criterion: str = "max"
    fitness_threshold: float | None = None
    no_fitness_termination: bool = False
    reset_on_extinction: bool = True
    genome: GenomeConfig = field(default_factory=GenomeConfig)
    species: SpeciesConfig = field(default_factory=SpeciesConfig)
    stagnation: StagnationConfig = field(default_factory=StagnationConfig)
    reproduction: ReproductionConfig = field(default_factory=ReproductionConfig)
    fine_tune: FineTuneConfig = field(default_factory=FineTuneConfig)

    def __post_init__(self) -> None:
        _validate(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NEATConfig:
        """Build from nested dicts (sections ``genome``, ``species``, ...); unknown keys raise."""
        return _build(cls, data, "")

    @classmethod
    def from_toml(cls, path: str | Path) -> NEATConfig:
        try:
            data = tomllib.loads(Path(path).read_text())
        except tomllib.TOMLDecodeError as e:
            raise ConfigError(f"{path}: invalid TOML: {e}") from None
        try:
            return cls.from_dict(data)
        except ConfigError as e:
            raise ConfigError(f"{path}: {e}") from None

    @classmethod
    def from_neat_python(cls, path: str | Path) -> NEATConfig:
        """Import a neat-python INI config file (its XOR example works unchanged)."""
        from ottorch.neat.neat_python import from_neat_python

        return from_neat_python(path)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def replace(self, **changes: Any) -> NEATConfig:
        """A copy with top-level fields or whole sections replaced."""
        return dataclasses.replace(self, **changes)


def _build(cls: type, data: dict, where: str):
    if not isinstance(data, dict):
        raise ConfigError(f"{where or 'config'}: expected a table of keys, got {type(data).__name__}")
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    kwargs = {}
    for key, value in data.items():
        path = f"{where}.{key}" if where else key
        if key not in names:
            close = difflib.get_close_matches(key, sorted(names), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ConfigError(f"unknown config key {path!r}{hint}; valid keys: {', '.join(sorted(names))}")
        hint = hints[key]
        if dataclasses.is_dataclass(hint):
            kwargs[key] = _build(hint, value, path)
        else:
            kwargs[key] = _coerce(value, hint, path)
    try:
        return cls(**kwargs)
    except ConfigError as e:
        raise ConfigError(f"{where}: {e}" if where else str(e)) from None


def _coerce(value: Any, hint: Any, path: str) -> Any:
    """Check ``value`` against a field type (int, float, bool, str, tuple[str, ...], optional)."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        if value is None:
            return None
        return _coerce(value, args[0], path)
    if origin is tuple:
        if isinstance(value, str):
            value = value.split()
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"config key {path!r} must be a list of strings, got {value!r}")
        return tuple(value)
    if hint is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"config key {path!r} must be true or false, got {value!r}")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"config key {path!r} must be an integer, got {value!r}")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"config key {path!r} must be a number, got {value!r}")
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise ConfigError(f"config key {path!r} must be a string, got {value!r}")
        return value
    return value


def _validate(cfg: NEATConfig) -> None:
    g = cfg.genome
    checks = [
        (cfg.pop_size >= 2, f"pop_size must be at least 2, got {cfg.pop_size}"),
        (cfg.fitness_criterion in ("max", "min", "mean"),
         f"fitness_criterion must be max, min or mean, got {cfg.fitness_criterion!r}"),
        (g.num_inputs >= 1 and g.num_outputs >= 1, "genome.num_inputs and genome.num_outputs must be >= 1"),
        (g.num_hidden >= 0, "genome.num_hidden must be >= 0"),
        (g.activation_default in ACTIVATIONS + RANDOM_DEFAULTS,
         f"genome.activation_default {g.activation_default!r} is not random or one of {', '.join(ACTIVATIONS)}"),
        (len(g.activation_options) > 0 and all(a in ACTIVATIONS for a in g.activation_options),
         f"genome.activation_options {g.activation_options} must be activations of {', '.join(ACTIVATIONS)}"),
        (g.aggregation_default in AGGREGATIONS + RANDOM_DEFAULTS,
         f"genome.aggregation_default {g.aggregation_default!r} is not random or one of {', '.join(AGGREGATIONS)}"),
        (len(g.aggregation_options) > 0 and all(a in AGGREGATIONS for a in g.aggregation_options),
         f"genome.aggregation_options {g.aggregation_options} must be aggregations of {', '.join(AGGREGATIONS)}"),
        (g.compatibility_distance in ("paper", "neat-python"),
         f"genome.compatibility_distance must be paper or neat-python, got {g.compatibility_distance!r}"),
        (g.structural_mutation_surer in ("true", "false", "default"),
         f"genome.structural_mutation_surer must be true, false or default, got {g.structural_mutation_surer!r}"),
        (g.output_activation is None or g.output_activation in ACTIVATIONS,
         f"genome.output_activation {g.output_activation!r} is not a known activation"),
        (g.initial_connection.split()[0] in ("full_direct", "full_nodirect", "partial_direct", "partial_nodirect",
                                             "fs_neat", "fs_neat_nohidden", "fs_neat_hidden", "unconnected", "full"),
         f"genome.initial_connection {g.initial_connection!r} is not supported"),
        ({g.bias_init_type, g.weight_init_type, g.response_init_type} <= {"gaussian", "normal", "uniform"},
         "genome.bias_init_type, weight_init_type and response_init_type must be gaussian or uniform"),
        (0 < cfg.reproduction.survival_threshold <= 1, "reproduction.survival_threshold must be in (0, 1]"),
        (cfg.reproduction.fitness_sharing in ("normalized", "canonical"),
         "reproduction.fitness_sharing must be normalized or canonical"),
        (cfg.stagnation.species_fitness_func in ("max", "min", "mean", "median"),
         "stagnation.species_fitness_func must be max, min, mean or median"),
        (cfg.fine_tune.mode in ("lamarckian", "darwinian", "none"),
         f"fine_tune.mode must be lamarckian, darwinian or none, got {cfg.fine_tune.mode!r}"),
        (cfg.fine_tune.optimizer in ("adam", "sgd", "rmsprop", "adagrad", "adamw"),
         f"fine_tune.optimizer {cfg.fine_tune.optimizer!r} is not supported"),
        (cfg.fine_tune.steps >= 0 and cfg.fine_tune.batch_size >= 1, "fine_tune.steps/batch_size out of range"),
        (cfg.fine_tune.max_batch_genomes >= 1 and cfg.fine_tune.max_batch_mb > 0,
         "fine_tune.max_batch_genomes must be >= 1 and fine_tune.max_batch_mb > 0"),
    ]
    for ok, message in checks:
        if not ok:
            raise ConfigError(message)
