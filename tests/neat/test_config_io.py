"""NEAT configuration (TOML, neat-python INI), checkpoints and resume, reporters, drawing."""

import io
import json
import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from ottorch.neat import (
    Checkpointer,
    CheckpointError,
    ConfigError,
    CSVReporter,
    FineTuneConfig,
    GenomeConfig,
    NEATConfig,
    Population,
    SerialEvaluator,
    StatisticsReporter,
    StdOutReporter,
    draw_genome,
    load_checkpoint,
)
from ottorch.neat.tasks.supervised import XORTask

DATA = Path(__file__).parent / "data"


def test_defaults_follow_the_neat_paper():
    cfg = NEATConfig()
    g = cfg.genome
    assert cfg.pop_size == 150 and cfg.species.compatibility_threshold == 3.0 and cfg.stagnation.max_stagnation == 15
    assert (g.compatibility_excess_coefficient, g.compatibility_disjoint_coefficient,
            g.compatibility_weight_coefficient) == (1.0, 1.0, 0.4)
    assert (g.node_add_prob, g.conn_add_prob, g.weight_mutate_rate, g.weight_replace_rate) == (0.03, 0.05, 0.8, 0.1)


def test_toml_round_trip_and_key_errors(tmp_path):
    path = tmp_path / "run.toml"
    path.write_text('pop_size = 40\nfitness_threshold = 3.5\n[genome]\nnum_inputs = 3\n'
                    'activation_options = ["tanh", "relu"]\n[fine_tune]\nmode = "darwinian"\n')
    cfg = NEATConfig.from_toml(path)
    assert cfg.pop_size == 40 and cfg.genome.num_inputs == 3 and cfg.genome.activation_options == ("tanh", "relu")
    assert NEATConfig.from_dict(json.loads(json.dumps(cfg.to_dict()))) == cfg
    path.write_text("[genome]\nnum_input = 3\n")
    with pytest.raises(ConfigError, match=r"unknown config key 'genome.num_input' \(did you mean 'num_inputs'\?\)"):
        NEATConfig.from_toml(path)
    path.write_text("pop_size = 'many'\n")
    with pytest.raises(ConfigError, match="'pop_size' must be an integer"):
        NEATConfig.from_toml(path)
    path.write_text("[fine_tune]\nmode = 'baldwinian'\n")
    with pytest.raises(ConfigError, match="fine_tune.mode must be lamarckian, darwinian or none"):
        NEATConfig.from_toml(path)
    path.write_text("pop_size = [\n")
    with pytest.raises(ConfigError, match="invalid TOML"):
        NEATConfig.from_toml(path)
    with pytest.raises(ConfigError, match="genome.activation_default"):
        NEATConfig(genome=GenomeConfig(activation_default="swish"))
    assert cfg.replace(pop_size=10).pop_size == 10


def test_neat_python_xor_config_imports_unchanged():
    cfg = NEATConfig.from_neat_python(DATA / "neat_python_xor.ini")
    assert cfg.pop_size == 150 and cfg.fitness_threshold == 3.9
    g = cfg.genome
    assert (g.num_inputs, g.num_outputs, g.conn_add_prob, g.node_delete_prob) == (2, 1, 0.5, 0.2)
    assert g.compatibility_weight_coefficient == 0.5 and not g.mutate_per_genome
    assert cfg.stagnation.max_stagnation == 20 and cfg.reproduction.elitism == 2
    assert cfg.fine_tune.mode == "none"
    pop = Population(cfg, seed=3)
    pop.run(SerialEvaluator(XORTask(), cfg.fine_tune), 3)
    assert pop.generation == 2


def test_neat_python_import_errors(tmp_path):
    text = (DATA / "neat_python_xor.ini").read_text()
    bad = tmp_path / "bad.ini"
    bad.write_text(text.replace("pop_size", "population_size"))
    with pytest.raises(ConfigError, match=r"\[NEAT\] population_size: unknown neat-python key"):
        NEATConfig.from_neat_python(bad)
    # neat-python keys whose values ottorch cannot honour: the error names the key and says why
    for old, replacement, message in (
            ("aggregation_default     = sum", "aggregation_default     = softmax", "aggregation_default 'softmax'"),
            ("structural_mutation_surer      = default", "structural_mutation_surer      = maybe",
             "structural_mutation_surer: must be true, false or default"),
            ("enabled_default         = True", "enabled_default         = random",
             "enabled_default: a random enabled flag per new connection is not supported"),
            ("min_species_size", "spawn_method = proportional\nmin_species_size", "spawn_method: only spawn_method"),
            ("feed_forward", "compatibility_include_node_genes = sometimes\nfeed_forward",
             "compatibility_include_node_genes: cannot read 'sometimes'"),
            ("feed_forward", "time_constant_mutate_rate = 0.1\nfeed_forward",
             "time_constant_mutate_rate: time constants belong to neat-python's CTRNN")):
        bad.write_text(text.replace(old, replacement))
        with pytest.raises(ConfigError, match=re.escape(message)):
            NEATConfig.from_neat_python(bad)
    bad.write_text(text + "\n[DefaultSomething]\nx = 1\n")
    with pytest.raises(ConfigError, match=r"unknown section \[DefaultSomething\]"):
        NEATConfig.from_neat_python(bad)
    bad.write_text(text.replace("pop_size              = 150", "pop_size              = lots"))
    with pytest.raises(ConfigError, match="cannot read 'lots'"):
        NEATConfig.from_neat_python(bad)
    with pytest.raises(ConfigError, match="file not found"):
        NEATConfig.from_neat_python(tmp_path / "missing.ini")


def test_neat_python_response_init_keys_are_read_and_honoured(tmp_path):
    text = (DATA / "neat_python_xor.ini").read_text().replace("response_init_type             = gaussian\n", "")
    ini = tmp_path / "responses.ini"
    for kind in ("gaussian", "uniform"):
        ini.write_text(text.replace("response_init_stdev     = 0.0",
                                    f"response_init_stdev     = 0.5\nresponse_init_type      = {kind}"))
        cfg = NEATConfig.from_neat_python(ini)
        assert (cfg.genome.response_init_type, cfg.genome.response_init_stdev) == (kind, 0.5)
        responses = Population(cfg, seed=0).pool.n_response
        assert responses.std() > 0.2 and abs(responses.mean() - 1.0) < 0.1
        if kind == "uniform":
            assert responses.min() >= 0.0 and responses.max() <= 2.0  # mean +- 2 stdev, as neat-python
    # without varying responses no draw is made: the initial genes are those of a config without the key
    plain = NEATConfig.from_neat_python(DATA / "neat_python_xor.ini")
    assert plain.genome.response_init_type == "gaussian"
    typed = tmp_path / "typed.ini"
    typed.write_text(text.replace("response_init_stdev     = 0.0",
                                  "response_init_stdev     = 0.0\nresponse_init_type      = uniform"))
    a, b = Population(plain, seed=3).pool, Population(NEATConfig.from_neat_python(typed), seed=3).pool
    assert np.array_equal(a.c_weight, b.c_weight) and (a.n_response == 1.0).all()
    with pytest.raises(ConfigError, match="response_init_type must be gaussian or uniform"):
        typed.write_text(text.replace("response_init_stdev     = 0.0", "response_init_type      = cauchy"))
        NEATConfig.from_neat_python(typed)


def test_neat_python_fs_neat_modes(tmp_path):
    text = (DATA / "neat_python_xor.ini").read_text()
    ini = tmp_path / "fs.ini"
    for given, read in (("fs_neat", "fs_neat_nohidden"), ("fs_neat_hidden", "fs_neat_hidden"),
                        ("partial_nodirect 0.5", "partial_nodirect 0.5")):
        ini.write_text(text.replace("initial_connection      = full\n", f"initial_connection      = {given}\n"))
        assert NEATConfig.from_neat_python(ini).genome.initial_connection == read


def _pure(**changes):
    settings = {"pop_size": 30, "no_fitness_termination": True, "fine_tune": FineTuneConfig(mode="none"),
                "genome": GenomeConfig(num_inputs=2, num_outputs=1, node_add_prob=0.3, conn_add_prob=0.3)}
    return NEATConfig(**{**settings, **changes})


@pytest.mark.parametrize("mode", ["none", "lamarckian"])
def test_resume_from_a_checkpoint_equals_the_uninterrupted_run(tmp_path, mode):
    cfg = _pure()
    cfg = cfg.replace(fine_tune=replace(cfg.fine_tune, mode=mode, steps=5, batch_size=4, lr=0.3))
    task = XORTask()
    full = Population(cfg, seed=5, reporters=[Checkpointer(tmp_path)])
    full.run(SerialEvaluator(task, cfg.fine_tune), 8)
    assert sorted(p.name for p in tmp_path.glob("gen-*.json"))[-1] == "gen-0007.json"
    resumed = load_checkpoint(tmp_path / "gen-0003.json")
    assert resumed.generation == 3 and resumed.fitness is not None
    resumed.run(SerialEvaluator(task, cfg.fine_tune), 4)
    assert resumed.generation == full.generation
    for a, b in zip(full.history, resumed.history):
        assert (a.best_fitness, a.mean_fitness, a.num_species, a.evaluations) == \
            (b.best_fitness, b.mean_fitness, b.num_species, b.evaluations)
    for name, array in full.pool.arrays().items():
        np.testing.assert_array_equal(array, resumed.pool.arrays()[name], err_msg=name)
    assert load_checkpoint(tmp_path).generation == 7  # a directory means its newest checkpoint


def test_corrupt_checkpoints_raise(tmp_path):
    full = Population(_pure(), seed=0, reporters=[Checkpointer(tmp_path)])
    full.run(SerialEvaluator(XORTask(), full.config.fine_tune), 1)
    path = tmp_path / "gen-0000.json"
    (tmp_path / "broken.json").write_text(path.read_text()[:50])
    with pytest.raises(CheckpointError, match="cannot read checkpoint"):
        load_checkpoint(tmp_path / "broken.json")
    (tmp_path / "other.json").write_text(json.dumps({"format": "something"}))
    with pytest.raises(CheckpointError, match="not an ottorch NEAT checkpoint"):
        load_checkpoint(tmp_path / "other.json")
    data = json.loads(path.read_text())
    data["version"] = 99
    (tmp_path / "future.json").write_text(json.dumps(data))
    with pytest.raises(CheckpointError, match="version 99"):
        load_checkpoint(tmp_path / "future.json")
    (tmp_path / "gen-0000.npz").write_bytes(b"not a zip")
    with pytest.raises(CheckpointError, match="gene arrays"):
        load_checkpoint(path)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(CheckpointError, match="no checkpoint"):
        load_checkpoint(empty)


def test_reporters(tmp_path):
    out = io.StringIO()
    stats = StatisticsReporter()
    csv_path = tmp_path / "history.csv"
    pop = Population(_pure(no_fitness_termination=False, fitness_threshold=3.9), seed=0,
                     reporters=[StdOutReporter(out, show_errors=True), stats, CSVReporter(csv_path)])
    pop.run(SerialEvaluator(XORTask(), pop.config.fine_tune), 5)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("gen    0  best") and "species" in lines[0] and "grad steps" in lines[0]
    assert len(stats.generations) == 5 == len(stats.champions) and len(stats.best_fitness()) == 5
    assert stats.best_genomes(2)[0].fitness == max(stats.best_fitness())
    assert len(stats.mean_fitness()) == 5 and len(stats.species_sizes) == 5
    rows = csv_path.read_text().splitlines()
    assert rows[0].startswith("generation,best_fitness") and len(rows) == 6


def test_draw_genome(tmp_path):
    pop = Population(_pure(), seed=0)
    from ottorch.neat.mutation import GeneLists, add_node

    lists = GeneLists.of(pop.pool, 0)
    add_node(lists, pop.config.genome, np.random.default_rng(0), pop.tracker)
    genome = pop.pool.with_rows(np.array([0]), [lists]).genome(0, pop.tracker)
    genome.connections[max(genome.connections)].recurrent = True
    dot = draw_genome(genome, tmp_path / "g", node_names={-1: "x1"})
    assert 'label="x1"' in dot and "sigmoid" in dot and "style=dotted" in dot and "style=dashed" in dot
    assert "rank=source" in dot and "rank=sink" in dot
    assert (tmp_path / "g.dot").exists()
    import shutil

    if shutil.which("dot"):
        assert (tmp_path / "g.png").stat().st_size > 0


def test_draw_genome_falls_back_to_matplotlib_without_dot(tmp_path, monkeypatch, capsys):
    pytest.importorskip("matplotlib")
    import ottorch.neat.draw as draw
    import ottorch.viz

    monkeypatch.setattr(ottorch.viz, "_render", lambda *args: False)  # as on a machine without dot
    monkeypatch.setattr(draw, "_notified", False)
    pop = Population(_pure(), seed=0)
    genome = pop.pool.genome(0, pop.tracker)
    genome.connections[max(genome.connections)].recurrent = True
    draw_genome(genome, tmp_path / "a")
    draw_genome(genome, tmp_path / "b")
    assert (tmp_path / "a.png").read_bytes()[:4] == b"\x89PNG" and (tmp_path / "b.dot").exists()
    err = capsys.readouterr().err
    assert err.count("drew") == 1 and "matplotlib" in err  # said once per process, on stderr
    monkeypatch.setattr(draw, "_notified", False)
    draw_genome(genome, tmp_path / "c", notify=False)
    assert (tmp_path / "c.png").exists() and capsys.readouterr().err == ""
    assert draw.plot_genome(genome, tmp_path / "d.png", node_names={-1: "x1"}, show_disabled=False)
