"""``RayEvaluator``: the ``Evaluator`` protocol on long-lived Ray actors, on one machine or a cluster.

Each generation the genomes are cut into shards, each a ``GenomeTable`` slice (numpy arrays) and
its seeds, and an idle actor takes the next shard (``plan_shards``: the largest genomes first,
shards shrinking towards the end so the workers finish together). Actors evaluate a shard as
batches with the same function as ``SerialEvaluator`` and the same seeds, single-threaded BLAS
included, and send back ``TableResults`` arrays; a genome's numbers do not depend on its batch-mates,
so the results are identical whatever the number of workers or nodes. Fault tolerance:

- a shard whose worker dies is re-run, one genome per shard, on a restarted worker: the generation
  completes with nothing lost;
- every genome of a failed shard is charged one crash, and a genome charged ``max_crashes`` times
  (it killed its worker twice) gets the worst fitness and the reason, never another retry;
- a genome whose evaluation raises or whose loss is NaN already gets the worst fitness in the worker.

It connects to an existing cluster (``address="auto"`` or ``"HOST:PORT"``) or starts a local Ray, and
shuts down only what it started (never ``ray stop``).
"""

from __future__ import annotations

import logging
import math
import os
import socket
import sys
import tempfile
from collections import deque
from collections.abc import Callable
from pathlib import Path

import numpy as np

import ottorch
from ottorch.neat.batch_eval import TableResults
from ottorch.neat.config import FineTuneConfig
from ottorch.neat.finetune import EvalResult
from ottorch.neat.genome import Genome
from ottorch.neat.table import GenomeTable
from ottorch.neat.tasks.base import Task

log = logging.getLogger("ottorch.distributed")


class ClusterError(ConnectionError):
    """Ray could not be started or the cluster could not be reached."""


def _short_temp_dir() -> str:
    # Ray's socket paths are capped at 107 bytes and it appends ~60 characters to this folder.
    return os.path.join(tempfile.gettempdir(), f"ott{os.getpid()}")


def check_reachable(address: str, timeout: float = 5.0) -> None:
    """Fail fast (``ClusterError``) when a ``HOST:PORT`` address does not accept connections; Ray
    itself would retry for minutes. "auto" is left to Ray, which fails quickly when nothing runs."""
    if address == "auto":
        return
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise ClusterError(f"Ray address {address!r} is not 'auto' or HOST:PORT")
    try:
        socket.create_connection((host, int(port)), timeout=timeout).close()
    except OSError as e:
        raise ClusterError(f"could not connect to the Ray cluster at {address!r}: {e}") from None


def _serialise_task(task: Task) -> bytes:
    """Pickle the task by value when its class lives in a module workers may not have (a script)."""
    import cloudpickle

    module = sys.modules.get(type(task).__module__)
    if module is not None and not type(task).__module__.startswith("ottorch.") and module.__name__ != "__main__":
        cloudpickle.register_pickle_by_value(module)
    return cloudpickle.dumps(task)


def plan_shards(costs: list[int], workers: int, shards_per_worker: int) -> list[list[int]]:
    """Cut genome indices into shards for dynamic dispatch (guided self-scheduling): the costliest
    genomes first, each shard ``1 / (workers * shards_per_worker)`` of what is left, so shards
    shrink to single genomes at the end and the workers finish within one genome of each other."""
    order = sorted(range(len(costs)), key=lambda i: -costs[i])
    divisor = workers * shards_per_worker
    shards, start = [], 0
    while start < len(order):
        size = math.ceil((len(order) - start) / divisor)
        shards.append(order[start:start + size])
        start += size
    return shards


class RayEvaluator:
    """Evaluate genomes on ``workers`` Ray actors (one per CPU of the cluster by default)."""

    def __init__(self, task: Task, fine_tune: FineTuneConfig, *, workers: int | None = None, address: str | None = None,
                 shards_per_worker: int = 4, max_crashes: int = 2, ship_package: bool | None = None,
                 init_kwargs: dict | None = None) -> None:
        try:
            import ray
        except ImportError:
            raise ImportError("the Ray backend needs ray: pip install 'ottorch[ray]'") from None
        self._ray = ray
        self.started_ray = False
        if not ray.is_initialized():
            kwargs = {"include_dashboard": False, "log_to_driver": False, "logging_level": "ERROR",
                      **(init_kwargs or {})}
            if address is None:
                kwargs.setdefault("num_cpus", workers or os.cpu_count() or 1)
                kwargs.setdefault("_temp_dir", _short_temp_dir())
            else:
                check_reachable(address)
            try:
                ray.init(address=address, **kwargs)
            except (ConnectionError, RuntimeError, ValueError) as e:
                where = f"the Ray cluster at {address!r}" if address else "a local Ray instance"
                raise ClusterError(f"could not connect to {where}: {e}") from None
            self.started_ray = True
        self.workers = workers or max(1, int(ray.cluster_resources().get("CPU", 1)))
        self.shards_per_worker = shards_per_worker
        self.max_crashes = max_crashes
        self._fine_tune = {k: getattr(fine_tune, k) for k in fine_tune.__dataclass_fields__}
        self._task_ref = ray.put(_serialise_task(task))
        self.worst_fitness = task.worst_fitness
        options = {"num_cpus": 1, "max_restarts": 0}
        if ship_package or (ship_package is None and not self._workers_have_ottorch()):
            options["runtime_env"] = {"py_modules": [str(Path(ottorch.__file__).parent)]}
        from ottorch.distributed.worker import EvalWorker

        self._actor_class = ray.remote(**options)(EvalWorker)
        self._actors = [self._new_actor() for _ in range(self.workers)]
        # wait for the actors here, so start-up cost is not charged to the first generation
        ray.get([a.pid.remote() for a in self._actors])
        self.restarts = 0

    def _workers_have_ottorch(self) -> bool:
        """Whether a worker process can import this very ottorch (else the package is shipped)."""
        ray = self._ray

        @ray.remote(num_cpus=0)
        def probe() -> str | None:
            try:
                import ottorch as remote_ottorch
            except ImportError:
                return None
            return remote_ottorch.__version__

        try:
            return ray.get(probe.remote(), timeout=120) == ottorch.__version__
        except Exception:  # noqa: BLE001 - any failure means "ship it"
            return False

    def _new_actor(self):
        return self._actor_class.remote(self._task_ref, self._fine_tune)

    def evaluate(self, genomes: list[Genome], seeds: list[int],
                 progress: Callable[[int], None] | None = None) -> list[EvalResult]:
        """One ``EvalResult`` per genome, in order; ``progress(n)`` is called as genomes finish."""
        table = GenomeTable.from_genomes(genomes)
        return self.evaluate_table(table, seeds, progress).to_list(table)

    def evaluate_table(self, table: GenomeTable, seeds, progress: Callable[[int], None] | None = None) -> TableResults:
        """The results of every genome of ``table``, in order; ``progress(n)`` is called as genomes finish."""
        ray = self._ray
        seeds = np.asarray(seeds, dtype=np.int64)
        # Fine-tuning cost grows with the genome's size; the results do not depend on the order.
        costs = (np.diff(table.starts("c")) + np.diff(table.starts("n"))).tolist()
        pending = deque(np.asarray(shard, dtype=np.int64)
                        for shard in plan_shards(costs, self.workers, self.shards_per_worker))
        out = TableResults.start(table, self.worst_fitness)
        crashes = np.zeros(len(table), dtype=np.int64)
        idle = list(range(len(self._actors)))
        running: dict = {}
        while pending or running:
            while pending and idle:
                shard, slot = pending.popleft(), idle.pop()
                ref = self._actors[slot].evaluate_table.remote(table.take(shard).arrays(), seeds[shard])
                running[ref] = (shard, slot)
            done, _ = ray.wait(list(running), num_returns=1)
            shard, slot = running.pop(done[0])
            try:
                part = ray.get(done[0])
            except (ray.exceptions.RayActorError, ray.exceptions.WorkerCrashedError) as e:
                self._replace(slot)
                self._charge(shard, crashes, out, pending, table, f"its worker died ({type(e).__name__})")
            except ray.exceptions.RayTaskError as e:
                self._charge(shard, crashes, out, pending, table, f"the worker raised {e.cause!r}")
            else:
                out.place(table, shard, TableResults.from_arrays(part))
                if progress is not None:
                    progress(len(shard))
            idle.append(slot)
        return out

    def _replace(self, slot: int) -> None:
        try:
            self._ray.kill(self._actors[slot])
        except Exception:  # noqa: BLE001 - it is already gone
            pass
        self._actors[slot] = self._new_actor()
        self.restarts += 1

    def _charge(self, shard: np.ndarray, crashes: np.ndarray, out: TableResults, pending: deque, table: GenomeTable,
                reason: str) -> None:
        """Count a crash against every genome of a failed shard and re-queue them one per shard."""
        for i in shard.tolist():
            crashes[i] += 1
            if crashes[i] >= self.max_crashes:
                message = f"genome {int(table.keys[i])}: worst fitness because {reason} {crashes[i]} times"
                log.warning(message)
                out.errors[i] = message
            else:
                pending.append(np.array([i]))

    def close(self) -> None:
        """Stop the actors, and Ray itself if this evaluator started it."""
        for actor in self._actors:
            try:
                self._ray.kill(actor)
            except Exception:  # noqa: BLE001 - already dead
                pass
        self._actors = []
        if self.started_ray and self._ray.is_initialized():
            self._ray.shutdown()
            self.started_ray = False

    def __enter__(self) -> RayEvaluator:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
