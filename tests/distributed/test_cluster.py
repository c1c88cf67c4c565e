"""A two-node Ray cluster on this machine (``ray.cluster_utils.Cluster``): evaluation spread over both
nodes gives the serial results."""

import pytest

from ottorch.distributed import ClusterError, RayEvaluator
from ottorch.neat import Population, SerialEvaluator
from tests.distributed.test_ray_evaluator import history, xor_config

cluster_utils = pytest.importorskip("ray.cluster_utils")


@pytest.fixture(scope="module")
def two_nodes():
    import ray

    if ray.is_initialized():
        ray.shutdown()
    # loopback addresses other than 127.0.0.1, which Ray would rewrite to the external address
    cluster = cluster_utils.Cluster(initialize_head=True, head_node_args={
        "num_cpus": 1, "node_ip_address": "127.0.0.2", "include_dashboard": False})
    try:
        cluster.add_node(num_cpus=1, node_ip_address="127.0.0.3")
        cluster.wait_for_nodes()
        yield cluster
    finally:
        if ray.is_initialized():
            ray.shutdown()
        cluster.shutdown()


def test_two_node_cluster_matches_serial(two_nodes):
    import ray

    task, cfg = xor_config("lamarckian")
    serial = Population(cfg, seed=11)
    serial.run(SerialEvaluator(task, cfg.fine_tune), 3)
    with RayEvaluator(task, cfg.fine_tune, address=two_nodes.address) as ev:
        assert ev.started_ray and ev.workers == 2
        nodes = {n["NodeID"] for n in ray.nodes() if n["Alive"]}
        assert len(nodes) == 2
        pop = Population(cfg, seed=11)
        pop.run(ev, 3)
    assert not ray.is_initialized()  # it shut down only its own connection...
    assert all(n.process.poll() is None for n in [two_nodes.head_node] if getattr(n, "process", None))
    assert history(pop) == history(serial)


def test_unreachable_cluster_raises_a_clear_error():
    task, cfg = xor_config("none")
    with pytest.raises(ClusterError, match="could not connect to the Ray cluster at '127.0.0.9:1'"):
        RayEvaluator(task, cfg.fine_tune, address="127.0.0.9:1")
