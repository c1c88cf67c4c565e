"""Elastic workers on a ``ray.cluster_utils.Cluster``: nodes lost during a run (mid-generation and
between generations), nodes added between generations, and the last node lost. Results stay those
of ``SerialEvaluator``; nothing waits for CPUs that are gone."""

import logging
import os
import signal

import numpy as np
import pytest

from ottorch.distributed import ClusterError, RayEvaluator
from ottorch.neat import Population, SerialEvaluator
from tests.distributed.test_ray_evaluator import SlowXOR, history, xor_config

cluster_utils = pytest.importorskip("ray.cluster_utils")

# Ray's defaults report a silently dead node after ~15 s; these make it ~1-2 s, with margins wide
# enough that a loaded 2-core machine does not miss beats.
FAST_HEALTH_CHECKS = {"health_check_initial_delay_ms": 0, "health_check_period_ms": 300,
                      "health_check_timeout_ms": 1000, "health_check_failure_threshold": 3}


@pytest.fixture(scope="module")
def cluster():
    """A head node with 1 CPU, which the driver joins; tests add and remove worker nodes."""
    import ray

    if ray.is_initialized():
        ray.shutdown()
    # loopback addresses other than 127.0.0.1, which Ray would rewrite to the external address
    cluster = cluster_utils.Cluster(initialize_head=True, head_node_args={
        "num_cpus": 1, "node_ip_address": "127.0.0.2", "include_dashboard": False,
        "_system_config": FAST_HEALTH_CHECKS})
    try:
        ray.init(address=cluster.address, log_to_driver=False, logging_level="ERROR")
        yield cluster
    finally:
        if ray.is_initialized():
            ray.shutdown()
        cluster.shutdown()


@pytest.fixture
def nodes(cluster):
    """``add(ip)`` adds a 1-CPU worker node; whatever a test added and did not remove is removed after it."""
    added = []

    def add(ip: str):
        node = cluster.add_node(num_cpus=1, node_ip_address=ip)
        cluster.wait_for_nodes()
        added.append(node)
        return node

    yield add
    for node in added:
        if node in cluster.worker_nodes:
            cluster.remove_node(node)


class WithProgress:
    """An evaluator for ``Population.run`` whose ``evaluate_table`` calls get a progress callback."""

    def __init__(self, evaluator: RayEvaluator, progress) -> None:
        self.evaluator, self.progress = evaluator, progress

    def evaluate_table(self, table, seeds):
        return self.evaluator.evaluate_table(table, seeds, self.progress)


def serial_run(cfg, task, seed: int, generations: int) -> Population:
    pop = Population(cfg, seed=seed)
    pop.run(SerialEvaluator(task, cfg.fine_tune), generations)
    return pop


def test_nodes_lost_during_and_between_generations_lose_nothing(cluster, nodes, caplog):
    import ray

    # slow enough that the crashed node is in the middle of a shard when it goes
    task, cfg = SlowXOR(), xor_config("lamarckian")[1]
    serial = serial_run(cfg, task, seed=5, generations=3)
    crashed, stopped = nodes("127.0.0.3"), nodes("127.0.0.4")
    with RayEvaluator(task, cfg.fine_tune, address=cluster.address, placement_timeout=30) as ev:
        assert ev.workers == 3 and len(set(ev._nodes.values())) == 3
        victims = [ray.get(a.pid.remote()) for a in ev._actors if ev._nodes[a] == crashed.node_id]
        pop = Population(cfg, seed=5)

        def crash_node_once(n: int) -> None:
            # a machine that vanishes without a word, in the middle of generation 1: Ray's processes
            # and the worker process (remove_node leaves workers to notice their raylet is gone)
            if pop.generation == 1 and crashed in cluster.worker_nodes:
                cluster.remove_node(crashed, allow_graceful=False)
                for pid in victims:
                    os.kill(pid, signal.SIGKILL)

        pop.run(WithProgress(ev, crash_node_once), 2)
        assert sum("was lost" in r.getMessage() for r in caplog.records) == 1
        cluster.remove_node(stopped)  # a node shut down between generations
        pop.run(ev, 1)
        assert ev.workers == 1 and ev.restarts == 0
    assert history(pop) == history(serial)
    assert pop.best_genome.to_dict() == serial.best_genome.to_dict()
    lost = [r.getMessage() for r in caplog.records if "was lost" in r.getMessage()]
    assert len(lost) == 2 and lost[-1].endswith("workers now 1")


def test_a_node_added_between_generations_is_used_at_once(cluster, nodes, caplog):
    caplog.set_level(logging.INFO, logger="ottorch.distributed")
    task, cfg = xor_config("lamarckian")
    serial = serial_run(cfg, task, seed=6, generations=3)
    with RayEvaluator(task, cfg.fine_tune, address=cluster.address, placement_timeout=30) as ev:
        assert ev.workers == 1
        pop = Population(cfg, seed=6)
        pop.run(ev, 1)
        nodes("127.0.0.5")
        pop.run(ev, 2)
        assert ev.workers == 2 and len(set(ev._nodes.values())) == 2
    assert history(pop) == history(serial)
    assert pop.best_genome.to_dict() == serial.best_genome.to_dict()
    assert any("workers now 2" in r.getMessage() for r in caplog.records)


def test_losing_the_last_node_raises_with_the_partial_results(cluster, nodes, caplog):
    import ray

    @ray.remote(num_cpus=1)
    class Squatter:
        def ready(self) -> bool:
            return True

    squatter = Squatter.remote()  # takes the head's CPU, so the evaluator's worker runs on the worker node
    ray.get(squatter.ready.remote())
    try:
        node = nodes("127.0.0.6")
        task, cfg = xor_config("lamarckian")
        table, seeds = Population(cfg, seed=8).ask_table()
        serial = SerialEvaluator(task, cfg.fine_tune).evaluate_table(table, seeds)
        # two workers asked for, one CPU free: the second is dropped after placement_timeout, not awaited forever
        with RayEvaluator(task, cfg.fine_tune, workers=2, address=cluster.address, placement_timeout=12) as ev:
            assert ev.workers == 1
            assert any("did not start within 12 s" in r.getMessage() for r in caplog.records)
            finished = []

            def lose_the_node(n: int) -> None:
                finished.append(n)
                if node in cluster.worker_nodes:
                    cluster.remove_node(node)

            with pytest.raises(ClusterError, match="no Ray worker is left") as caught:
                ev.evaluate_table(table, seeds, lose_the_node)
            assert ev.workers == 0
    finally:
        ray.kill(squatter)
    partial = caught.value.partial
    evaluated = np.array([i not in partial.errors for i in range(len(table))])
    assert evaluated.sum() == sum(finished) > 0 and not evaluated.all()
    np.testing.assert_array_equal(partial.fitness[evaluated], serial.fitness[evaluated])
    assert all(partial.errors[i].startswith("not evaluated") for i in np.flatnonzero(~evaluated))
    assert (partial.fitness[~evaluated] == task.worst_fitness).all()


def test_shards_on_nodes_reported_dead_are_taken_back(caplog):
    """The liveness check that runs while the coordinator waits: Ray may report a node dead before it
    fails the calls that were running there (no Ray needed: a stand-in answers ``nodes``)."""
    from collections import deque
    from types import SimpleNamespace

    ev = RayEvaluator.__new__(RayEvaluator)
    ev._ray = SimpleNamespace(nodes=lambda: [{"NodeID": "a", "Alive": True}, {"NodeID": "b", "Alive": False}],
                              kill=lambda actor: None)
    ev._actors, ev._nodes = ["on a", "on b"], {"on a": "a", "on b": "b"}
    running = {"ref 1": (np.array([0, 1]), "on a"), "ref 2": (np.array([2, 3, 4]), "on b")}
    pending = deque([np.array([5])])
    ev._requeue_lost_nodes(running, pending)
    assert list(running) == ["ref 1"] and ev._actors == ["on a"] and ev.workers == 1
    assert [s.tolist() for s in pending] == [[2, 3, 4], [5]]
    assert "Ray node b was lost: its shard of 3 genomes is re-run on the other workers; workers now 1" in caplog.text
