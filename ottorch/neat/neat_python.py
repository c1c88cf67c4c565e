"""Import neat-python INI configuration files (``Config.from_neat_python``).

Sections and keys map onto ``NEATConfig`` as follows (neat-python 0.92 - 2.1 spellings):

==================================================  =======================================================
neat-python                                         ottorch
==================================================  =======================================================
[NEAT] pop_size, fitness_criterion,                 same names at the top level
fitness_threshold, no_fitness_termination,
reset_on_extinction
[NEAT] seed                                         ignored: pass the seed to ``Population`` / ``--seed``
[DefaultGenome] num_inputs/outputs/hidden,          ``genome.*`` with the same names
feed_forward, initial_connection, activation_*,
bias_*, response_*, weight_*, enabled_default,
enabled_mutate_rate, node/conn_add/delete_prob,
single_structural_mutation,
compatibility_disjoint/weight/excess_coefficient
initial_connection                                  every mode: unconnected, fs_neat_nohidden (and its old
                                                    name fs_neat), fs_neat_hidden, full_direct,
                                                    full_nodirect, partial_direct P, partial_nodirect P
bias/weight/response_init_type                      gaussian (or normal) and uniform, as neat-python draws
                                                    them; responses are drawn only when their stdev > 0
*_mutate_rate                                       per gene, as neat-python reads them
                                                    (``genome.mutate_per_genome = false``)
aggregation_default/options                         only ``sum`` (phenotypes are weighted sums)
aggregation_mutate_rate                             must be 0
structural_mutation_surer, enabled_rate_to_*_add,   accepted and ignored (neat-python fine-tuning knobs)
compatibility_include_node_genes,
compatibility_enable_penalty
[DefaultSpeciesSet] compatibility_threshold,        ``species.*`` (same names)
target_num_species, threshold_adjust_rate,
threshold_min, threshold_max
[DefaultStagnation] species_fitness_func,           ``stagnation.*`` (same names)
max_stagnation, species_elitism
[DefaultReproduction] elitism, survival_threshold,  ``reproduction.*``; crossover happens for every child
min_species_size, interspecies_crossover_prob,      as in neat-python (``crossover_rate = 1``)
fitness_sharing
[DefaultReproduction] spawn_method                  only ``smoothed`` (neat-python's default)
==================================================  =======================================================

Distances are normalised by genome size from the first gene (neat-python's rule), fine-tuning is off
(``fine_tune.mode = "none"``) because neat-python has none. Unknown keys raise ``ConfigError``.
"""

from __future__ import annotations

import configparser
from dataclasses import fields
from pathlib import Path

from ottorch.neat.config import (
    ConfigError,
    FineTuneConfig,
    GenomeConfig,
    NEATConfig,
    ReproductionConfig,
    SpeciesConfig,
    StagnationConfig,
)

_SECTIONS = {
    "NEAT": None,
    "DefaultGenome": GenomeConfig,
    "DefaultSpeciesSet": SpeciesConfig,
    "DefaultStagnation": StagnationConfig,
    "DefaultReproduction": ReproductionConfig,
}
_TOP = {"pop_size", "fitness_criterion", "fitness_threshold", "no_fitness_termination", "reset_on_extinction"}
_IGNORED = {
    "NEAT": {"seed"},
    "DefaultGenome": {"structural_mutation_surer", "enabled_rate_to_true_add", "enabled_rate_to_false_add",
                      "compatibility_include_node_genes", "compatibility_enable_penalty", "aggregation_default",
                      "aggregation_options", "aggregation_mutate_rate"},
    "DefaultReproduction": {"spawn_method"},
}


def _value(raw: str, field_type, where: str):
    text = raw.strip()
    kind = str(field_type)
    try:
        if "bool" in kind:
            lowered = text.lower()
            if lowered not in ("true", "false", "1", "0", "yes", "no"):
                raise ValueError(text)
            return lowered in ("true", "1", "yes")
        if "tuple" in kind:
            return tuple(text.split())
        if "int" in kind and "float" not in kind:
            return None if text.lower() == "none" else int(float(text))
        if "float" in kind:
            return None if text.lower() == "none" else float(text)
    except ValueError:
        raise ConfigError(f"{where}: cannot read {text!r} as {kind}") from None
    return text


def from_neat_python(path: str | Path) -> NEATConfig:
    """``NEATConfig`` equivalent to the neat-python INI file at ``path`` (see the module table)."""
    parser = configparser.ConfigParser(inline_comment_prefixes=("#", ";"))
    try:
        read = parser.read(path)
    except configparser.Error as e:
        raise ConfigError(f"{path}: not a valid INI file: {e}") from None
    if not read:
        raise ConfigError(f"{path}: file not found")
    for section in parser.sections():
        if section not in _SECTIONS:
            raise ConfigError(f"{path}: unknown section [{section}]; expected {', '.join(_SECTIONS)}")
    if "NEAT" not in parser or "DefaultGenome" not in parser:
        raise ConfigError(f"{path}: a neat-python config needs [NEAT] and [DefaultGenome] sections")

    top = {f.name: f.type for f in fields(NEATConfig) if f.name in _TOP}
    values: dict[str, dict] = {"genome": {}, "species": {}, "stagnation": {}, "reproduction": {}}
    kwargs: dict = {}
    for section, cls in _SECTIONS.items():
        if section not in parser:
            continue
        known = top if cls is None else {f.name: f.type for f in fields(cls)}
        for key, raw in parser[section].items():
            where = f"{path}: [{section}] {key}"
            if key in _IGNORED.get(section, set()):
                _check_ignored(key, raw.strip(), where)
                continue
            if key not in known:
                raise ConfigError(f"{where}: unknown neat-python key")
            value = _value(raw, known[key], where)
            if cls is None:
                kwargs[key] = value
            else:
                values[_target(cls)][key] = value
    genome = values["genome"]
    if genome.get("initial_connection") == "fs_neat":  # neat-python's older name for fs_neat_nohidden
        genome["initial_connection"] = "fs_neat_nohidden"
    genome.setdefault("mutate_per_genome", False)
    genome.setdefault("compatibility_normalize_threshold", 0)
    genome.setdefault("output_activation", None)
    if "compatibility_disjoint_coefficient" in genome:
        genome.setdefault("compatibility_excess_coefficient", genome["compatibility_disjoint_coefficient"])
    reproduction = values["reproduction"]
    reproduction.setdefault("crossover_rate", 1.0)
    reproduction.setdefault("interspecies_crossover_prob", 0.0)
    reproduction.setdefault("min_species_size", 1)
    try:
        return NEATConfig(
            **kwargs,
            genome=GenomeConfig(**genome),
            species=SpeciesConfig(**values["species"]),
            stagnation=StagnationConfig(**values["stagnation"]),
            reproduction=ReproductionConfig(**reproduction),
            fine_tune=FineTuneConfig(mode="none"),
        )
    except ConfigError as e:
        raise ConfigError(f"{path}: {e}") from None


def _target(cls) -> str:
    return {GenomeConfig: "genome", SpeciesConfig: "species", StagnationConfig: "stagnation",
            ReproductionConfig: "reproduction"}[cls]


def _check_ignored(key: str, value: str, where: str) -> None:
    """Keys ottorch cannot honour are accepted only with the value that means "as ottorch does"."""
    if key in ("aggregation_default", "aggregation_options") and set(value.split()) != {"sum"}:
        raise ConfigError(f"{where}: only the 'sum' aggregation is supported (ottorch phenotypes are weighted sums)")
    if key == "aggregation_mutate_rate" and float(value) != 0.0:
        raise ConfigError(f"{where}: aggregation mutation is not supported (must be 0)")
    if key == "spawn_method" and value != "smoothed":
        raise ConfigError(f"{where}: only spawn_method = smoothed is supported")
