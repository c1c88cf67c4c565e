"""Ray hygiene for the distributed tests: auth off, no usage stats, a short temp dir, one Ray instance
per test module, and shutdown even when a test fails."""

import os
import tempfile

import pytest

os.environ["RAY_AUTH_MODE"] = "disabled"
os.environ["RAY_USAGE_STATS_ENABLED"] = "0"

ray = pytest.importorskip("ray")


def short_temp_dir(tag: str) -> str:
    return os.path.join(tempfile.gettempdir(), f"ot{tag}{os.getpid()}")


@pytest.fixture(scope="module")
def local_ray():
    """A 2-CPU local Ray shared by one test module."""
    if ray.is_initialized():
        ray.shutdown()
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="ERROR",
             object_store_memory=100 * 2**20, _temp_dir=short_temp_dir("r"))
    try:
        yield ray
    finally:
        ray.shutdown()
