"""Import neat-python INI configuration files (``Config.from_neat_python``).

Every key neat-python 2.0 reads from ``[NEAT]``, ``[DefaultGenome]``, ``[DefaultSpeciesSet]``,
``[DefaultStagnation]`` and ``[DefaultReproduction]`` is read, plus the keys its development version
documents (target_num_species, compatibility_excess_coefficient, spawn_method, ...). A key maps onto the
``NEATConfig`` field of the same name, converted where the two libraries phrase it differently
(mutation rates per gene, and how a mutating value is perturbed or replaced; enabled-flag
mutation, which neat-python phrases as a 50/50 redraw). A key
whose value ottorch cannot honour raises ``ConfigError`` naming the key and saying why, and so does a
key neat-python does not have. ``docs/neat.md`` lists every key with what neat-python and ottorch do.

Fine-tuning is off (``fine_tune.mode = "none"``): neat-python has none.
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
_TOP = {"pop_size", "seed", "fitness_criterion", "fitness_threshold", "no_fitness_termination", "reset_on_extinction"}
# Keys read but without a field of their own: each value is checked by ``_check_value``.
_CHECKED = {
    "DefaultGenome": {*(f"time_constant_{item}" for item in ("init_mean", "init_stdev", "init_type", "replace_rate",
                                                             "mutate_rate", "mutate_power", "max_value", "min_value"))},
    "DefaultReproduction": {"spawn_method"},
}
# neat-python redraws an enabled flag 50/50 with its rate; ottorch flips it, with half the rate.
_HALVED = ("enabled_mutate_rate", "enabled_rate_to_true_add", "enabled_rate_to_false_add")
_TRUE, _FALSE = ("1", "yes", "true", "on"), ("0", "no", "false", "off")


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
    """``NEATConfig`` equivalent to the neat-python INI file at ``path`` (``docs/neat.md`` lists every key)."""
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
            if key in _CHECKED.get(section, set()):
                _check_value(key, raw.strip(), where, parser[section])
                continue
            if key == "structural_mutation_surer":
                raw = _surer(raw.strip(), where)
            elif key == "compatibility_excess_coefficient" and raw.strip().lower() == "auto":
                continue  # the disjoint coefficient, the default below
            elif key == "enabled_default" and raw.strip().lower() in ("random", "none"):
                raise ConfigError(f"{where}: a random enabled flag per new connection is not supported; ottorch "
                                  "creates connections enabled or disabled as enabled_default says (true or false)")
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
    for key in _HALVED:
        if key in genome:
            genome[key] /= 2
    for attribute in ("weight", "bias", "response"):
        _convert_mutation_rates(genome, attribute)
    # neat-python's defaults where ottorch's differ
    genome.setdefault("activation_default", "random")
    genome.setdefault("aggregation_default", "random")
    genome.setdefault("structural_mutation_surer", "default")
    genome.setdefault("output_sources", False)
    genome.setdefault("compatibility_distance", "neat-python")
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


def _convert_mutation_rates(genome: dict, attribute: str) -> None:
    """neat-python draws one number per gene: below ``mutate_rate`` the value is perturbed, below
    ``mutate_rate + replace_rate`` replaced. ottorch picks the mutating genes with ``mutate_rate``, then
    replaces a ``replace_rate`` fraction of them: the same distribution after this conversion."""
    defaults = GenomeConfig()
    mutate = genome.get(f"{attribute}_mutate_rate", getattr(defaults, f"{attribute}_mutate_rate"))
    replace = genome.get(f"{attribute}_replace_rate", getattr(defaults, f"{attribute}_replace_rate"))
    perturbed = min(max(mutate, 0.0), 1.0)
    replaced = min(1.0, max(mutate, 0.0) + max(replace, 0.0)) - perturbed
    genome[f"{attribute}_mutate_rate"] = perturbed + replaced
    genome[f"{attribute}_replace_rate"] = replaced / (perturbed + replaced) if perturbed + replaced else 0.0


def _surer(value: str, where: str) -> str:
    lowered = value.lower()
    if lowered in _TRUE or lowered in _FALSE:
        return "true" if lowered in _TRUE else "false"
    if lowered == "default":
        return lowered
    raise ConfigError(f"{where}: must be true, false or default, got {value!r}")


def _check_value(key: str, value: str, where: str, section) -> None:
    """Keys without an ottorch field are accepted only with the values that mean what ottorch does."""
    lowered = value.lower()
    if key.startswith("time_constant_"):
        varying = [name for name in ("time_constant_init_stdev", "time_constant_mutate_rate",
                                     "time_constant_replace_rate")
                   if name in section and _number(section[name], where) != 0.0]
        if varying:
            raise ConfigError(f"{where}: time constants belong to neat-python's CTRNN; ottorch's networks are "
                              f"discrete-time and have none, so they can only be fixed ({', '.join(varying)} "
                              "must be 0)")
    if key == "spawn_method" and lowered != "smoothed":
        raise ConfigError(f"{where}: only spawn_method = smoothed (neat-python's default) is supported; ottorch "
                          f"allots offspring to species that way, not {value!r}")


def _number(text: str, where: str) -> float:
    try:
        return float(text.split()[0] if text.split() else text)
    except ValueError:
        raise ConfigError(f"{where}: cannot read {text!r} as a number") from None
