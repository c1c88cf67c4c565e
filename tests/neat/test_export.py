"""The champion outside a run: ``champion.ott`` loads back as a module computing the phenotype's outputs,
``champion.onnx`` computes them in onnxruntime, ``--export onnx`` writes both, and the speciation plot."""

import json
import sys
from types import SimpleNamespace

import numpy as np
import pytest

import ottorch
from ottorch.neat import (
    ConnectionGene,
    Genome,
    GenomeConfig,
    GenomeNetwork,
    InnovationTracker,
    NodeGene,
    compile_genome,
    load_champion,
    reference_forward,
    save_champion,
)
from ottorch.neat.activations import ACTIVATION_FUNCTIONS
from ottorch.neat.aggregations import AGGREGATION_FUNCTIONS
from ottorch.neat.config import AGGREGATIONS
from ottorch.neat.initial import initial_pool
from ottorch.neat.mutation import mutate
from ottorch.neat.plots import species_table, write_speciation_plot
from ottorch.run import main
from ottorch.serialization import LoadError

ACTS = sorted(ACTIVATION_FUNCTIONS)
# every aggregation twice: 3 and 4 terms (even and odd medians, padding within a group), then nodes without terms
AGG_NODES = [(agg, k) for agg in sorted(AGGREGATION_FUNCTIONS) for k in (3, 4)] + [("product", 0), ("max", 0)]


def build(key, inputs, nodes, conns, recurrent=()):
    """A genome from ``nodes`` {key: (type, activation, bias, response, aggregation)} and
    ``conns`` [(in, out, weight)]; ``recurrent`` lists (in, out) delay-1 edges."""
    genes = {-i - 1: NodeGene(-i - 1, "input") for i in range(inputs)}
    genes.update({k: NodeGene(k, *spec) for k, spec in nodes.items()})
    edges = {i: ConnectionGene(i, a, b, w, recurrent=(a, b) in recurrent) for i, (a, b, w) in enumerate(conns)}
    return Genome(key, genes, edges)


def activations_genome():
    """Two layers of every activation (hidden, then output), non-unit responses and biases."""
    rng = np.random.default_rng(3)
    nodes, conns = {}, []
    for i, act in enumerate(ACTS):
        nodes[100 + i] = ("hidden", act, 0.1 * (i % 5) - 0.2, 0.6 + 0.05 * i, "sum")
        nodes[i] = ("output", act, -0.1, 1.3 - 0.04 * i, "sum")
        conns += [(-j - 1, 100 + i, float(w)) for j, w in enumerate(rng.uniform(-0.8, 0.8, 3))]
        conns += [(100 + i, i, 0.7), (-1, i, -0.3)]
    return build(1, 3, nodes, conns)


def aggregations_genome():
    """Outputs of every aggregation with 3 and 4 terms, and with none, next to summing outputs, over a
    hidden layer of several activations."""
    hidden = {100: "tanh", 101: "sin", 102: "relu", 103: "gauss"}
    nodes = {h: ("hidden", act, 0.1, 1.0 + 0.1 * (h - 100), "sum") for h, act in hidden.items()}
    conns = [(-1 if h % 2 else -3, h, 0.9 - 0.3 * (h - 100)) for h in hidden] + [(-2, h, 0.5) for h in hidden]
    for i, (agg, k) in enumerate(AGG_NODES):
        nodes[i] = ("output", "identity" if i % 2 else "tanh", 0.05 * i, 0.8, agg)
        conns += [(src, i, (-1) ** j * (0.4 + 0.2 * j)) for j, src in enumerate([100, 101, -3, 102, 103][:k])]
    nodes[len(AGG_NODES)] = ("output", "sigmoid", 0.0, 1.0, "sum")
    conns += [(h, len(AGG_NODES), 0.3) for h in hidden]
    return build(2, 3, nodes, conns)


def recurrent_genome():
    nodes = {0: ("output", "tanh", 0.1, 1.5, "sum"), 5: ("hidden", "sigmoid", -0.2, 0.7, "max")}
    conns = [(-1, 5, 1.1), (-2, 5, -0.6), (5, 0, 0.9), (-1, 0, 0.4), (0, 0, -0.5), (5, 5, 0.8)]
    return build(3, 2, nodes, conns, recurrent={(0, 0), (5, 5)})


def evolved_genomes(n=8, generations=12):
    """Random feed-forward genomes grown by mutation, with every activation and aggregation on offer."""
    cfg = GenomeConfig(num_inputs=3, num_outputs=2, num_hidden=1, node_add_prob=0.5, conn_add_prob=0.8,
                       activation_options=tuple(ACTS), activation_mutate_rate=0.3, response_mutate_rate=0.2,
                       response_mutate_power=0.3, aggregation_options=AGGREGATIONS, aggregation_mutate_rate=0.3)
    tracker = InnovationTracker(3, 2)
    rng = np.random.default_rng(0)
    pool = initial_pool(n, cfg, rng, tracker)
    for _ in range(generations):
        tracker.new_generation()
        pool = mutate(pool, cfg, rng, tracker)
    return [pool.genome(r, tracker) for r in range(n)]


FEED_FORWARD = [activations_genome(), aggregations_genome(), *evolved_genomes()]


def test_the_test_genomes_cover_every_activation_and_aggregation():
    nodes = [n for g in FEED_FORWARD for n in g.nodes.values() if n.type != "input"]
    assert {n.activation for n in nodes} == set(ACTIVATION_FUNCTIONS)
    assert {n.aggregation for n in nodes} == set(AGGREGATION_FUNCTIONS)
    assert all(not g.is_recurrent for g in FEED_FORWARD) and any(g.hidden_keys for g in FEED_FORWARD)
    for g in FEED_FORWARD:  # a valid genome joins two nodes at most once
        pairs = [(c.in_node, c.out_node) for c in g.connections.values()]
        assert len(pairs) == len(set(pairs))


# ---- champion.ott ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("genome", FEED_FORWARD + [recurrent_genome()], ids=lambda g: f"genome{g.key}-{len(g.nodes)}")
def test_load_champion_computes_the_phenotypes_outputs(genome, tmp_path):
    path = tmp_path / "champion.ott"
    save_champion(genome, path, task="xor")
    net = load_champion(path)
    assert isinstance(net, GenomeNetwork) and isinstance(net, ottorch.nn.Module) and not net.training
    assert net.genome.to_dict() == genome.to_dict() and net.task == "xor"
    rng = np.random.default_rng(4)
    n_in = len(genome.input_keys)
    x = rng.normal(size=(100, 5, n_in) if genome.is_recurrent else (100, n_in)).astype(np.float32)
    with ottorch.no_grad():
        got = net(ottorch.tensor(x)).numpy()
        np.testing.assert_array_equal(got, compile_genome(genome)(ottorch.tensor(x)).numpy())
        exact = load_champion(path, dtype=ottorch.float64)(ottorch.tensor(x.astype(np.float64))).numpy()
    np.testing.assert_allclose(exact, reference_forward(genome, x.astype(np.float64)), atol=1e-10)


def test_files_that_are_not_champions_raise_load_error(tmp_path):
    ottorch.save({"weights": np.zeros(3)}, tmp_path / "other.ott")
    with pytest.raises(LoadError, match="not an ottorch NEAT champion"):
        load_champion(tmp_path / "other.ott")
    save_champion(FEED_FORWARD[0], tmp_path / "good.ott")
    good = (tmp_path / "good.ott").read_bytes()
    (tmp_path / "cut.ott").write_bytes(good[: len(good) // 2])
    (tmp_path / "junk.ott").write_bytes(b"not a zip archive at all")
    for name in ("cut.ott", "junk.ott"):
        with pytest.raises(LoadError, match="corrupt"):
            load_champion(tmp_path / name)
    ottorch.save({"format": "ottorch-neat-champion", "version": 99, "genome": {}}, tmp_path / "future.ott")
    with pytest.raises(LoadError, match="version 99"):
        load_champion(tmp_path / "future.ott")
    ottorch.save({"format": "ottorch-neat-champion", "version": 1, "genome": {"key": 1}}, tmp_path / "bad.ott")
    with pytest.raises(LoadError, match="not a genome dict"):
        load_champion(tmp_path / "bad.ott")


# ---- champion.onnx ---------------------------------------------------------------------------------------

def onnx_outputs(path, x):
    ort = pytest.importorskip("onnxruntime")
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    assert [i.name for i in session.get_inputs()] == ["input"] and [o.name for o in session.get_outputs()] == ["output"]
    return session.run(["output"], {"input": x})[0]


def max_onnx_error(genome, tmp_path, x):
    """Writes ``genome`` as ONNX, checks onnxruntime's outputs against ottorch's; returns max |difference|."""
    from ottorch.neat.onnx_export import export_onnx

    path = tmp_path / f"genome{genome.key}.onnx"
    export_onnx(genome, path)
    got = onnx_outputs(path, x)
    with ottorch.no_grad():
        want = compile_genome(genome)(ottorch.tensor(x)).numpy()
    assert got.dtype == np.float32 and got.shape == want.shape
    # 1e-5, relative for the large values exp, cube and inv can reach
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    return float(np.abs(got - want).max())


@pytest.mark.parametrize("genome", FEED_FORWARD, ids=lambda g: f"genome{g.key}-{len(g.nodes)}")
def test_onnx_model_computes_ottorchs_outputs(genome, tmp_path):
    pytest.importorskip("onnx")
    rng = np.random.default_rng(5)
    x = rng.normal(size=(100, len(genome.input_keys))).astype(np.float32)
    max_onnx_error(genome, tmp_path, x)
    max_onnx_error(genome, tmp_path, x[:1])  # the batch dimension is free
    # wide inputs reach the clipped ranges of sin, gauss, softplus and exp and the negative side of log
    max_onnx_error(genome, tmp_path, (x * 8.0).astype(np.float32))


def test_onnx_export_refuses_what_it_cannot_express(tmp_path):
    from ottorch.neat.onnx_export import export_onnx

    with pytest.raises(ValueError, match=r"genome 3 has recurrent connections \(innovations \[4, 5\]\).*"
                                         "feed-forward champions only"):
        export_onnx(recurrent_genome(), tmp_path / "r.onnx")
    odd = activations_genome()
    odd.nodes[100].activation = "swish"
    with pytest.raises(ValueError, match="node 100's activation 'swish' has no ONNX form"):
        export_onnx(odd, tmp_path / "a.onnx")
    odd = activations_genome()
    odd.nodes[0].aggregation = "mode"
    with pytest.raises(ValueError, match="node 0's aggregation 'mode' has no ONNX form"):
        export_onnx(odd, tmp_path / "b.onnx")
    assert not list(tmp_path.iterdir())


def test_onnx_export_without_the_onnx_package_names_the_extra(tmp_path, monkeypatch):
    from ottorch.neat.onnx_export import export_onnx

    monkeypatch.setitem(sys.modules, "onnx", None)
    with pytest.raises(ImportError, match=r"pip install 'ottorch\[onnx\]'"):
        export_onnx(FEED_FORWARD[0], tmp_path / "x.onnx")


# ---- python -m ottorch.run --export onnx -----------------------------------------------------------------

def test_cli_writes_the_champion_files(tmp_path):
    pytest.importorskip("onnx")
    pytest.importorskip("matplotlib")
    out = tmp_path / "run"
    assert main(["xor", "--backend", "serial", "--generations", "2", "--pop-size", "8", "--export", "onnx",
                 "--out", str(out), "--quiet"]) == 0
    for name in ("champion.onnx", "champion.ott", "speciation.png", "fitness.png"):
        assert (out / name).stat().st_size > 0, name
    assert (out / "speciation.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    net = load_champion(out / "champion.ott")
    assert net.genome.to_dict() == json.loads((out / "champion.json").read_text()) and net.task == "xor"
    x = np.random.default_rng(6).uniform(0, 1, size=(100, 2)).astype(np.float32)
    with ottorch.no_grad():
        np.testing.assert_allclose(onnx_outputs(out / "champion.onnx", x), net(ottorch.tensor(x)).numpy(),
                                   rtol=1e-5, atol=1e-5)


def test_cli_refuses_onnx_export_before_a_run_that_cannot_give_it(tmp_path, capsys, monkeypatch):
    out = tmp_path / "parity"
    assert main(["parity", "--backend", "serial", "--export", "onnx", "--out", str(out), "--quiet"]) == 2
    assert "--export onnx: ONNX export takes feed-forward champions only" in capsys.readouterr().err
    assert not (out / "checkpoints").exists()
    monkeypatch.setitem(sys.modules, "onnx", None)  # as if not installed
    assert main(["xor", "--backend", "serial", "--export", "onnx", "--out", str(tmp_path / "x"), "--quiet"]) == 2
    assert "pip install 'ottorch[onnx]'" in capsys.readouterr().err


# ---- speciation.png --------------------------------------------------------------------------------------

def fake_history():
    sizes = [[[1, 8]], [[1, 5], [2, 3]], [[2, 4], [3, 4]], [[3, 6], [2, 2]]]
    return [SimpleNamespace(generation=g, species_sizes=s) for g, s in enumerate(sizes)]


def test_species_table():
    generations, keys, sizes = species_table(fake_history())
    assert generations == [0, 1, 2, 3] and keys == [1, 2, 3]
    assert sizes == [[8, 5, 0, 0], [0, 3, 4, 2], [0, 0, 4, 6]]
    assert species_table([]) == ([], [], [])


def test_write_speciation_plot(tmp_path):
    pytest.importorskip("matplotlib")
    for name, history in (("some.png", fake_history()), ("none.png", [SimpleNamespace(generation=0,
                                                                                       species_sizes=[])])):
        assert write_speciation_plot(history, tmp_path / name)
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
