"""neat-python configs: every key neat-python 2.0 reads is read and honoured, from a config of our own
that sets each one; aggregations, random defaults, enabled-flag rates, single structural mutations,
"surer" mutations and the config's seed behave as neat-python describes; neat-python's XOR example
config solves XOR unchanged."""

import json
import re
from dataclasses import replace

import numpy as np
import pytest

from ottorch.neat import GenomeConfig, InnovationTracker, NEATConfig, Population, SerialEvaluator
from ottorch.neat.batch_eval import evaluate_table
from ottorch.neat.config import AGGREGATIONS, ConfigError, FineTuneConfig
from ottorch.neat.initial import initial_pool
from ottorch.neat.mutation import GeneLists, add_connection, mutate, mutate_aggregations, mutate_enabled
from ottorch.neat.pool import _AGG_INDEX
from ottorch.neat.tasks.supervised import XORTask
from ottorch.run import main as run_cli
from tests.neat.test_config_io import DATA

# The keys neat-python 2.0 reads (its Config, DefaultGenome with DefaultNodeGene and
# DefaultConnectionGene, DefaultSpeciesSet, DefaultStagnation and DefaultReproduction).
NEAT_PYTHON_KEYS = {
    "NEAT": "pop_size fitness_criterion fitness_threshold reset_on_extinction no_fitness_termination seed",
    "DefaultGenome": "num_inputs num_outputs num_hidden feed_forward compatibility_disjoint_coefficient "
                     "compatibility_weight_coefficient conn_add_prob conn_delete_prob node_add_prob node_delete_prob "
                     "single_structural_mutation structural_mutation_surer initial_connection "
                     + " ".join(f"{a}_{item}" for a in ("bias", "response", "time_constant")
                                for item in ("init_mean", "init_stdev", "init_type", "replace_rate", "mutate_rate",
                                             "mutate_power", "max_value", "min_value"))
                     + " activation_default activation_options activation_mutate_rate aggregation_default "
                       "aggregation_options aggregation_mutate_rate "
                     + " ".join(f"weight_{item}" for item in ("init_mean", "init_stdev", "init_type", "replace_rate",
                                                             "mutate_rate", "mutate_power", "max_value", "min_value"))
                     + " enabled_default enabled_mutate_rate enabled_rate_to_true_add enabled_rate_to_false_add",
    "DefaultSpeciesSet": "compatibility_threshold",
    "DefaultStagnation": "species_fitness_func max_stagnation species_elitism",
    "DefaultReproduction": "elitism survival_threshold min_species_size",
}

# A config of our own that sets every key above to a value other than ottorch's default where it can,
# plus the keys neat-python's development version documents.
OWN_CONFIG = """
[NEAT]
pop_size = 40
fitness_criterion = max
fitness_threshold = 3.9
reset_on_extinction = True
no_fitness_termination = False
seed = 7

[DefaultGenome]
num_inputs = 2
num_outputs = 1
num_hidden = 2
feed_forward = True
initial_connection = partial_direct 0.7
compatibility_disjoint_coefficient = 1.1
compatibility_excess_coefficient = auto
compatibility_weight_coefficient = 0.6
compatibility_include_node_genes = false
compatibility_enable_penalty = 0
conn_add_prob = 0.4
conn_delete_prob = 0.1
node_add_prob = 0.3
node_delete_prob = 0.1
single_structural_mutation = true
structural_mutation_surer = true
activation_default = random
activation_options = sigmoid tanh relu gauss
activation_mutate_rate = 0.2
aggregation_default = random
aggregation_options = sum product max min maxabs median mean
aggregation_mutate_rate = 0.3
bias_init_mean = 0.1
bias_init_stdev = 1.0
bias_init_type = uniform
bias_replace_rate = 0.1
bias_mutate_rate = 0.6
bias_mutate_power = 0.4
bias_max_value = 20.0
bias_min_value = -20.0
response_init_mean = 1.0
response_init_stdev = 0.2
response_init_type = normal
response_replace_rate = 0.05
response_mutate_rate = 0.2
response_mutate_power = 0.1
response_max_value = 5.0
response_min_value = -5.0
time_constant_init_mean = 1.0
time_constant_init_stdev = 0.0
time_constant_init_type = gaussian
time_constant_replace_rate = 0.0
time_constant_mutate_rate = 0.0
time_constant_mutate_power = 0.0
time_constant_max_value = 10.0
time_constant_min_value = 0.01
weight_init_mean = 0.0
weight_init_stdev = 1.2
weight_init_type = gaussian
weight_replace_rate = 0.1
weight_mutate_rate = 0.8
weight_mutate_power = 0.5
weight_max_value = 25
weight_min_value = -25
enabled_default = True
enabled_mutate_rate = 0.02
enabled_rate_to_true_add = 0.04
enabled_rate_to_false_add = 0.0

[DefaultSpeciesSet]
compatibility_threshold = 2.5
target_num_species = 4
threshold_adjust_rate = 0.2
threshold_min = 0.5
threshold_max = 10.0

[DefaultStagnation]
species_fitness_func = mean
max_stagnation = 12
species_elitism = 1

[DefaultReproduction]
elitism = 1
survival_threshold = 0.3
min_species_size = 2
interspecies_crossover_prob = 0.01
fitness_sharing = normalized
spawn_method = smoothed
"""


@pytest.fixture
def own_ini(tmp_path):
    path = tmp_path / "own.ini"
    path.write_text(OWN_CONFIG)
    return path


def test_the_own_config_sets_every_neat_python_key():
    sections = dict(re.findall(r"\[(\w+)\]([^\[]*)", OWN_CONFIG))
    for section, keys in NEAT_PYTHON_KEYS.items():
        given = set(re.findall(r"^(\w+) =", sections[section], flags=re.M))
        assert set(keys.split()) <= given, (section, set(keys.split()) - given)


def test_every_key_maps_onto_the_config(own_ini):
    cfg = NEATConfig.from_neat_python(own_ini)
    g = cfg.genome
    assert (cfg.pop_size, cfg.seed, cfg.fitness_threshold, cfg.reset_on_extinction) == (40, 7, 3.9, True)
    assert (g.num_hidden, g.initial_connection, g.feed_forward) == (2, "partial_direct 0.7", True)
    assert (g.compatibility_disjoint_coefficient, g.compatibility_excess_coefficient) == (1.1, 1.1)  # "auto"
    assert g.compatibility_weight_coefficient == 0.6
    assert (g.single_structural_mutation, g.structural_mutation_surer) == (True, "true")
    assert not g.output_sources  # neat-python 2.0 draws new connections' sources from inputs and hidden nodes
    assert (g.activation_default, g.activation_options) == ("random", ("sigmoid", "tanh", "relu", "gauss"))
    assert (g.aggregation_default, g.aggregation_options, g.aggregation_mutate_rate) == ("random", AGGREGATIONS, 0.3)
    assert (g.bias_init_mean, g.bias_init_type, g.bias_mutate_power, g.bias_max_value) == (0.1, "uniform", 0.4, 20.0)
    assert (g.response_init_stdev, g.response_init_type, g.response_min_value) == (0.2, "normal", -5.0)
    assert (g.weight_init_stdev, g.weight_max_value, g.weight_min_value) == (1.2, 25.0, -25.0)
    # neat-python perturbs below mutate_rate and replaces below mutate_rate + replace_rate, per gene
    assert not g.mutate_per_genome
    assert g.weight_mutate_rate == pytest.approx(0.9) and g.weight_replace_rate == pytest.approx(0.1 / 0.9)
    assert g.bias_mutate_rate == pytest.approx(0.7) and g.bias_replace_rate == pytest.approx(0.1 / 0.7)
    assert g.response_mutate_rate == pytest.approx(0.25) and g.response_replace_rate == pytest.approx(0.2)
    # neat-python redraws a flag 50/50: half its rates flip it
    assert (g.enabled_mutate_rate, g.enabled_rate_to_true_add, g.enabled_rate_to_false_add) == (0.01, 0.02, 0.0)
    s = cfg.species
    assert (s.compatibility_threshold, s.target_num_species, s.threshold_adjust_rate) == (2.5, 4, 0.2)
    assert (s.threshold_min, s.threshold_max) == (0.5, 10.0)
    assert (cfg.stagnation.species_fitness_func, cfg.stagnation.max_stagnation, cfg.stagnation.species_elitism) \
        == ("mean", 12, 1)
    r = cfg.reproduction
    assert (r.elitism, r.survival_threshold, r.min_species_size, r.interspecies_crossover_prob) == (1, 0.3, 2, 0.01)
    assert cfg.fine_tune.mode == "none"


def test_the_own_config_evolves_mixed_aggregations_and_fine_tunes_them(own_ini):
    cfg = NEATConfig.from_neat_python(own_ini)
    task = XORTask()
    pop = Population(cfg)
    assert pop.seed == 7  # [NEAT] seed
    first = pop.pool
    assert len(set(first.n_agg.tolist())) >= 5 and len(set(first.n_act.tolist())) == 4  # "random" defaults
    assert (first.n_response != 1.0).any() and (np.bincount(first.n_row) == 3).all()  # num_hidden = 2
    pop.run(SerialEvaluator(task, cfg.fine_tune), 4)
    assert all(np.isfinite(h.best_fitness) for h in pop.history)
    # Lamarckian fine-tuning of genomes that do not sum: their gradients train them
    table, seeds = pop.ask_table()
    aggregating = np.unique(table.n_row[table.n_agg != 0])
    sub = table.take(aggregating[:8])
    tuned = evaluate_table(sub, seeds[aggregating[:8]], task, FineTuneConfig(lr=0.1, steps=30, batch_size=4))
    assert not tuned.errors and tuned.written.any()
    assert (tuned.fitness >= tuned.fitness_before).all() and (tuned.fitness > tuned.fitness_before).any()


def test_batched_evaluation_gives_aggregating_genomes_the_per_genome_results(own_ini):
    cfg = NEATConfig.from_neat_python(own_ini)
    pop = Population(cfg, seed=3)
    table, seeds = pop.ask_table()
    assert table.n_agg.any() and (table.n_agg == 0).any()
    task, tune = XORTask(), FineTuneConfig(lr=0.1, steps=5, batch_size=4)
    batched = evaluate_table(table, seeds, task, tune)
    alone = evaluate_table(table, seeds, task, replace(tune, batched=False))
    for name in ("fitness", "fitness_before", "gradient_steps", "written", "c_weight", "n_bias"):
        np.testing.assert_array_equal(getattr(batched, name), getattr(alone, name), err_msg=name)


def make(n, **overrides):
    cfg = GenomeConfig(**{"num_inputs": 2, "num_outputs": 1, "num_hidden": 1, **overrides})
    tracker = InnovationTracker(cfg.num_inputs, cfg.num_outputs)
    return initial_pool(n, cfg, np.random.default_rng(0), tracker), cfg, tracker


def test_aggregation_mutation_draws_from_the_options():
    pool, cfg, _ = make(2000, aggregation_options=("sum", "max", "median"), aggregation_mutate_rate=0.3)
    assert (pool.n_agg == 0).all()  # aggregation_default = sum
    mutate_aggregations(pool, cfg, np.random.default_rng(1))
    changed = pool.n_agg != 0
    # a node switches with 0.3 to one of three options, one of them its own
    assert 0.18 < changed.mean() < 0.22
    assert set(pool.n_agg.tolist()) == {_AGG_INDEX[a] for a in ("sum", "max", "median")}


def test_a_fixed_default_draws_nothing_and_random_draws_every_option():
    fixed, _, _ = make(50, aggregation_options=("sum", "max"))
    plain, _, _ = make(50)
    np.testing.assert_array_equal(fixed.n_bias, plain.n_bias)  # drawn after the functions: the same stream
    drawn, _, _ = make(400, activation_default="random", activation_options=("tanh", "relu", "sin"),
                       aggregation_default="random", aggregation_options=AGGREGATIONS)
    assert len(set(drawn.n_act.tolist())) == 3 and len(set(drawn.n_agg.tolist())) == len(AGGREGATIONS)
    with pytest.raises(ConfigError, match="aggregation_default 'softmax'"):
        NEATConfig(genome=GenomeConfig(aggregation_default="softmax"))
    with pytest.raises(ConfigError, match="aggregation_options"):
        NEATConfig(genome=GenomeConfig(aggregation_options=("sum", "l2")))


def test_enabled_flags_flip_with_the_rate_plus_the_add_of_their_state():
    pool, cfg, _ = make(3000)
    pool.c_enabled[::2] = False
    was = pool.c_enabled.copy()
    mutate_enabled(pool, replace(cfg, enabled_mutate_rate=0.1, enabled_rate_to_true_add=0.4), np.random.default_rng(2))
    flipped = pool.c_enabled != was
    assert 0.47 < flipped[~was].mean() < 0.53 and 0.08 < flipped[was].mean() < 0.12


def test_single_structural_mutation_draws_at_most_one_in_proportion():
    pool, cfg, tracker = make(4000, initial_connection="full_direct")
    before = np.bincount(pool.c_row)
    probs = dict(node_add_prob=0.6, conn_add_prob=0.6, node_delete_prob=0.0, conn_delete_prob=0.0)
    single = mutate(pool, replace(cfg, single_structural_mutation=True, **probs), np.random.default_rng(3), tracker)
    added = np.bincount(single.c_row) - before
    # probabilities 0.6 + 0.6 scale to 0.5 + 0.5: every child makes one mutation, a node (+2 genes) or a
    # connection (+1 gene, when a new one is possible), never both
    assert set(added.tolist()) <= {0, 1, 2} and 0.45 < (added == 2).mean() < 0.55
    both = mutate(pool, replace(cfg, **probs), np.random.default_rng(3), tracker)
    assert (np.bincount(both.c_row) - before == 3).any()


def test_surer_mutations_enable_an_existing_connection_or_leave_it():
    pool, cfg, tracker = make(1, num_hidden=0, initial_connection="full_direct")
    for surer, expected in (("false", False), ("true", True), ("default", False)):
        lists = GeneLists.of(pool, 0)
        lists.enabled = [False] * len(lists.enabled)
        rng = np.random.default_rng(0)
        for _ in range(20):
            add_connection(lists, replace(cfg, structural_mutation_surer=surer), rng, tracker)
        assert any(lists.enabled) == expected, surer
    with pytest.raises(ConfigError, match="structural_mutation_surer"):
        NEATConfig(genome=GenomeConfig(structural_mutation_surer="sometimes"))


def test_new_connections_start_at_outputs_only_when_output_sources_is_on():
    pool, cfg, tracker = make(1, num_hidden=0, initial_connection="unconnected", feed_forward=False)
    for allowed in (True, False):
        lists = GeneLists.of(pool, 0)
        rng = np.random.default_rng(0)
        for _ in range(30):
            add_connection(lists, replace(cfg, output_sources=allowed), rng, tracker)
        sources = {a for a, _, _ in lists.edges(tracker)}
        assert (0 in sources) == allowed and {-1, -2} <= sources


def test_the_config_seed_is_the_run_seed_unless_one_is_given(tmp_path, own_ini):
    cfg = NEATConfig.from_neat_python(own_ini)
    assert Population(cfg).seed == 7 and Population(cfg, seed=2).seed == 2
    assert Population(cfg.replace(seed=None)).seed == 0
    out = tmp_path / "run"
    assert run_cli(["xor", "--config", str(own_ini), "--generations", "1", "--backend", "serial", "--out", str(out),
                    "--quiet"]) == 0
    assert json.loads((out / "result.json").read_text())["seed"] == 7


def test_the_neat_python_xor_example_solves_xor_unchanged(tmp_path):
    out = tmp_path / "xor"
    assert run_cli(["xor", "--config", str(DATA / "neat_python_xor.ini"), "--fine-tune", "none", "--backend", "serial",
                    "--generations", "300", "--seed", "0", "--out", str(out), "--quiet"]) == 0
    result = json.loads((out / "result.json").read_text())
    assert result["solved"] and result["test_metric"]["accuracy"] == 1.0


def test_drawings_name_aggregations_other_than_sum(own_ini):
    from ottorch.neat.draw import to_dot

    pop = Population(NEATConfig.from_neat_python(own_ini))
    genome = next(pop.pool.genome(r, pop.tracker) for r in range(len(pop.pool))
                  if any(n.aggregation == "median" for n in pop.pool.genome(r, pop.tracker).nodes.values()))
    assert "median" in to_dot(genome) and "\\nsum" not in to_dot(genome)


# ----------------------------------------------------------------------------- neat-python's distance


def reference_distance(a, b, cfg):
    """neat-python 2.0's ``DefaultGenome.distance`` written out on ``Genome`` objects (connection genes
    matched by innovation; excess genes weighted like disjoint ones unless the coefficients differ)."""
    c1, c2, c3 = (cfg.compatibility_excess_coefficient, cfg.compatibility_disjoint_coefficient,
                  cfg.compatibility_weight_coefficient)
    total = 0.0
    if cfg.compatibility_include_node_genes:
        mine = {k: n for k, n in a.nodes.items() if n.type != "input"}
        theirs = {k: n for k, n in b.nodes.items() if n.type != "input"}
        if mine or theirs:
            homologous = sum(abs(n.bias - theirs[k].bias) + abs(n.response - theirs[k].response)
                             + (n.activation != theirs[k].activation) + (n.aggregation != theirs[k].aggregation)
                             for k, n in mine.items() if k in theirs)
            disjoint = len(set(mine) ^ set(theirs))
            total += (c3 * homologous + c2 * disjoint) / max(len(mine), len(theirs))
    if a.connections or b.connections:
        homologous = sum(abs(c.weight - b.connections[i].weight)
                         + cfg.compatibility_enable_penalty * (c.enabled != b.connections[i].enabled)
                         for i, c in a.connections.items() if i in b.connections)
        last_a, last_b = max(a.connections, default=-1), max(b.connections, default=-1)
        only_a, only_b = set(a.connections) - set(b.connections), set(b.connections) - set(a.connections)
        excess = sum(i > last_b for i in only_a) + sum(i > last_a for i in only_b)
        disjoint = len(only_a) + len(only_b) - excess
        total += (c3 * homologous + c2 * disjoint + c1 * excess) / max(len(a.connections), len(b.connections))
    return total


def evolved_population(own_ini, generations=6, threshold=2.5, **genome_changes):
    cfg = NEATConfig.from_neat_python(own_ini)
    cfg = cfg.replace(genome=replace(cfg.genome, **genome_changes),
                      species=replace(cfg.species, compatibility_threshold=threshold))
    pop = Population(cfg, seed=4)
    pop.run(SerialEvaluator(XORTask(), cfg.fine_tune), generations)
    return pop


@pytest.mark.parametrize("changes", [{}, {"compatibility_include_node_genes": False},
                                     {"compatibility_enable_penalty": 0.0, "compatibility_excess_coefficient": 2.0}])
def test_neat_python_distance_matches_its_definition(own_ini, changes):
    from ottorch.neat.distance_neat_python import Genes, distances_to

    pop = evolved_population(own_ini, **changes)
    pool, cfg = pop.pool, pop.config.genome
    genomes = [pool.genome(i, pop.tracker) for i in range(len(pool))]
    for j in np.random.default_rng(0).integers(0, len(pool), 6):
        got = distances_to(pool, Genes.of(pool, int(j)), cfg)
        want = [reference_distance(genome, genomes[j], cfg) for genome in genomes]
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
        assert got[j] == 0 and got.max() > 0


def test_neat_python_speciation_follows_its_rules(own_ini):
    pop = evolved_population(own_ini, generations=5, threshold=1.0)
    cfg, species = pop.config.genome, pop.species
    assert cfg.compatibility_distance == "neat-python" and len(species.species) > 1
    genomes = [pop.pool.genome(r, pop.tracker) for r in range(len(pop.pool))]
    reps = {key: s.rep_genes.genome(0, pop.tracker) for key, s in species.species.items()}
    owner = species.owner_of(len(pop.pool))
    assert (owner >= 0).all()
    for key, s in species.species.items():
        rep = reps[key]
        # the representative is a member of its species (the genome that claimed it or founded it)
        assert any(genomes[m].connections == rep.connections and genomes[m].nodes == rep.nodes for m in s.members)
    # a checkpoint keeps the representatives' node genes
    state = species.state_dict()
    again = type(species)(species.cfg)
    again.load_state_dict(state)
    for key, s in again.species.items():
        assert s.rep_genes.genome(0, pop.tracker).nodes == reps[key].nodes


def test_resume_with_neat_python_distance_equals_the_uninterrupted_run(tmp_path, own_ini):
    from ottorch.neat import Checkpointer, load_checkpoint

    cfg = NEATConfig.from_neat_python(own_ini)
    task = XORTask()
    full = Population(cfg, reporters=[Checkpointer(tmp_path)])
    full.run(SerialEvaluator(task, cfg.fine_tune), 7)
    resumed = load_checkpoint(tmp_path / "gen-0003.json")
    resumed.run(SerialEvaluator(task, cfg.fine_tune), 3)
    assert [(h.best_fitness, h.num_species) for h in resumed.history] == \
        [(h.best_fitness, h.num_species) for h in full.history]
    for name, array in full.pool.arrays().items():
        np.testing.assert_array_equal(array, resumed.pool.arrays()[name], err_msg=name)
