"""``RayEvaluator``: the ``Evaluator`` protocol on long-lived Ray actors, on one machine or a cluster.

Each generation the genomes are cut into shards, each a ``GenomeTable`` slice (numpy arrays) and
its seeds, and an idle actor takes the next shard (``plan_shards``: the largest genomes first,
shards shrinking towards the end so the workers finish together). Actors evaluate a shard as
batches with the same function as ``SerialEvaluator`` and the same seeds, single-threaded BLAS
included, and send back ``TableResults`` arrays; a genome's numbers do not depend on its batch-mates,
so the results are identical whatever the number of workers or nodes, and however it changes
during a run. Fault tolerance:

- a shard whose worker process dies (on a node that is still alive) is re-run, one genome per
  shard, on a restarted worker: the generation completes with nothing lost;
- every genome of such a shard is charged one crash, and a genome charged ``max_crashes`` times
  (it killed its worker twice) gets the worst fitness and the reason, never another retry;
- a genome whose evaluation raises or whose loss is NaN already gets the worst fitness in the worker;
- a lost node (a machine leaves the cluster) is not the genomes' fault: the shards that ran there are
  re-run on the other workers with no crash charged, and its workers are dropped, not replaced;
- a new worker (at start-up, after a crash, for new CPUs) that does not start within
  ``placement_timeout`` seconds is killed and the evaluator goes on with the workers it has;
- with no worker left, ``ClusterError`` is raised, carrying the results computed so far (``.partial``);
- the cluster may grow: each generation starts workers on CPUs that joined, up to ``workers``
  (or up to every CPU of the cluster when ``workers`` is not given), and uses them at once.

Ray reports a node dead after its health checks fail (15-30 s with Ray's defaults; see
``health_check_*`` in Ray's ``_system_config``); while shards run, the coordinator checks node
liveness every second, so it never waits on a dead node for longer than Ray takes to notice. Losses
and shrinking are logged as warnings on the ``ottorch.distributed`` logger, growth as info.

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
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path

import numpy as np

import ottorch
from ottorch.distributed.wire import nbytes, pack_table, unpack_results
from ottorch.neat.batch_eval import TableResults
from ottorch.neat.config import FineTuneConfig
from ottorch.neat.finetune import EvalResult
from ottorch.neat.genome import Genome
from ottorch.neat.table import GenomeTable
from ottorch.neat.tasks.base import Task

log = logging.getLogger("ottorch.distributed")


class ClusterError(ConnectionError):
    """Ray could not be started, the cluster could not be reached, or no worker is left.

    When raised during an evaluation, ``partial`` holds the ``TableResults`` computed so far; the
    genomes not evaluated have the worst fitness and a "not evaluated" entry in its ``errors``.
    """

    partial: TableResults | None = None


# Seconds between node-liveness checks while shards run: Ray may report a node dead before failing
# the calls that were running on it.
_LIVENESS_PERIOD = 1.0


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
    """Pickle the task with the code of modules workers may not have (a script, a ``FILE.py:NAME`` task's
    file) by value: ``shipped_modules`` names them."""
    import cloudpickle

    from ottorch.neat.tasks.user import shipped_modules

    for name in shipped_modules(task):
        cloudpickle.register_pickle_by_value(sys.modules[name])
    return cloudpickle.dumps(task)


def plan_shards(costs: list[int], workers: int, shards_per_worker: int, min_cost: float = 0) -> list[list[int]]:
    """Cut genome indices into shards for dynamic dispatch (guided self-scheduling): the costliest
    genomes first, each shard ``1 / (workers * shards_per_worker)`` of what is left, so shards
    shrink to single genomes at the end and the workers finish within one genome of each other.
    No shard (but the last) costs less than ``min_cost``: cheap genomes travel in fewer, larger shards."""
    order = sorted(range(len(costs)), key=lambda i: -costs[i])
    divisor = workers * shards_per_worker
    cumulative = np.cumsum([0] + [costs[i] for i in order])
    shards, start = [], 0
    while start < len(order):
        size = math.ceil((len(order) - start) / divisor)
        if min_cost > 0:
            size = max(size, int(np.searchsorted(cumulative, cumulative[start] + min_cost)) - start)
        shards.append(order[start:start + size])
        start += size
    return shards


def _fit_shard_times(samples: list[tuple[int, float]]) -> tuple[float, float] | None:
    """(fixed seconds, seconds per unit of cost) of shard times, least squares; None without data."""
    if not samples:
        return None
    cost, seconds = (np.array(x, dtype=np.float64) for x in zip(*samples))
    if cost.sum() <= 0:
        return None
    fixed, per_cost = 0.0, seconds.sum() / cost.sum()
    if len(cost) > 2 and cost.std() > 0:
        slope, intercept = np.polyfit(cost, seconds, 1)
        if slope > 0 and intercept > 0:
            fixed, per_cost = float(intercept), float(slope)
    return fixed, per_cost


class RayEvaluator:
    """Evaluate genomes on Ray actors: ``workers`` of them, or one per CPU of the cluster by default.

    Shard times of the previous call are fitted as a fixed part (the call, the batch set-up) plus a
    part proportional to the genomes' cost; shards are then cut so that the fixed part is at most a
    quarter of a shard's time and no shard takes less than ``min_shard_seconds``, with one shard per
    worker at least: cheap evaluations such as pure NEAT travel as one shard per worker, costly ones
    in many, ending in small ones for balance.

    ``placement_timeout`` (seconds) bounds the wait for a new actor to start, at start-up, after a
    worker crash and when the cluster grows; an actor that has not started by then is dropped (its
    CPU is not there) and the evaluator goes on with fewer workers. ``workers`` (the attribute) is
    the number of actors in use now.

    ``bytes_sent`` / ``bytes_received`` are the bytes of the numpy arrays shipped by the last
    ``evaluate_table`` call (shards and their seeds out, results back, in the compact form of
    ``ottorch.distributed.wire``, re-runs included); ``total_bytes_sent`` / ``total_bytes_received``
    add up every call.
    """

    def __init__(self, task: Task, fine_tune: FineTuneConfig, *, workers: int | None = None, address: str | None = None,
                 shards_per_worker: int = 4, min_shard_seconds: float = 0.05, max_crashes: int = 2,
                 placement_timeout: float = 30.0,
                 ship_package: bool | None = None, init_kwargs: dict | None = None) -> None:
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
        self._requested = workers
        self.shards_per_worker = shards_per_worker
        self.min_shard_seconds = min_shard_seconds
        # measured: a shard's seconds on a worker = fixed + per_cost * its cost (fitted to the last call)
        self._shard_model: tuple[float, float] | None = None
        self.max_crashes = max_crashes
        self.placement_timeout = placement_timeout
        self.restarts = 0
        self.bytes_sent = self.bytes_received = 0
        self.total_bytes_sent = self.total_bytes_received = 0
        self._fine_tune = {k: getattr(fine_tune, k) for k in fine_tune.__dataclass_fields__}
        self._task_ref = ray.put(_serialise_task(task))
        self.worst_fitness = task.worst_fitness
        options = {"num_cpus": 1, "max_restarts": 0}
        if ship_package or (ship_package is None and not self._workers_have_ottorch()):
            options["runtime_env"] = {"py_modules": [str(Path(ottorch.__file__).parent)]}
        from ottorch.distributed.worker import EvalWorker

        self._actor_class = ray.remote(**options)(EvalWorker)
        self._nodes: dict = {}  # actor handle -> the id of the node it runs on
        # started (and waited for) here, so start-up cost is not charged to the first generation
        self._actors: list = self._start_actors(self._target())
        if not self._actors:
            self.close()
            raise ClusterError(f"no Ray worker could start within {placement_timeout:g} s: the cluster has no free CPU")

    @property
    def workers(self) -> int:
        """The number of actors in use now."""
        return len(self._actors)

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

    def _target(self) -> int:
        """How many actors this evaluator aims for: ``workers`` if given, else the cluster's CPUs now."""
        return self._requested or max(1, int(self._ray.cluster_resources().get("CPU", 0)))

    def _start_actors(self, n: int) -> list:
        """Start ``n`` actors and return those running within ``placement_timeout``; the others are killed."""
        if n <= 0:
            return []
        ray = self._ray
        actors = [self._actor_class.remote(self._task_ref, self._fine_tune) for _ in range(n)]
        refs = [actor.node_id.remote() for actor in actors]
        ready = set(ray.wait(refs, num_returns=n, timeout=self.placement_timeout)[0])
        started = []
        for actor, ref in zip(actors, refs):
            try:
                node = ray.get(ref) if ref in ready else None
            except ray.exceptions.RayActorError as e:
                if e.actor_init_failed:  # a bug in the task or the package, not a capacity problem
                    for other in actors:
                        self._kill(other)
                    raise
                node = None  # it died while starting (its node was lost)
            if node is None:
                self._kill(actor)
            else:
                self._nodes[actor] = node
                started.append(actor)
        if len(started) < n:
            log.warning("%d of %d new Ray workers did not start within %g s (no free CPU for them) and were dropped",
                        n - len(started), n, self.placement_timeout)
        return started

    def _grow(self) -> list:
        """Start actors on free CPUs up to the target and return them. Cheap when nothing changed: one
        ``cluster_resources`` call (none when ``workers`` was given and is reached)."""
        missing = self._target() - len(self._actors)
        if missing <= 0:
            return []
        # no more than the free CPUs, so a target out of reach does not cost placement_timeout every generation
        new = self._start_actors(min(missing, int(self._ray.available_resources().get("CPU", 0))))
        self._actors += new
        if new:
            log.info("%d new Ray workers started on free CPUs: workers now %d", len(new), self.workers)
        return new

    def _live_nodes(self) -> set[str]:
        return {node["NodeID"] for node in self._ray.nodes() if node["Alive"]}

    def _kill(self, actor) -> None:
        try:
            self._ray.kill(actor)
        except Exception:  # noqa: BLE001 - it is already gone
            pass

    def _drop(self, actor) -> None:
        self._actors.remove(actor)
        self._nodes.pop(actor, None)
        self._kill(actor)

    def evaluate(self, genomes: list[Genome], seeds: list[int],
                 progress: Callable[[int], None] | None = None) -> list[EvalResult]:
        """One ``EvalResult`` per genome, in order; ``progress(n)`` is called as genomes finish."""
        table = GenomeTable.from_genomes(genomes)
        return self.evaluate_table(table, seeds, progress).to_list(table)

    def evaluate_table(self, table: GenomeTable, seeds, progress: Callable[[int], None] | None = None) -> TableResults:
        """The results of every genome of ``table``, in order; ``progress(n)`` is called as genomes finish.
        Raises ``ClusterError`` (with the results so far in ``.partial``) when no worker is left."""
        ray = self._ray
        self._grow()
        seeds = np.asarray(seeds, dtype=np.int64)
        # Fine-tuning cost grows with the genome's size; the results do not depend on the order.
        cost = np.diff(table.starts("c")) + np.diff(table.starts("n"))
        min_cost = 0.0
        if self._shard_model is not None:
            # a shard pays a call and a batch set-up of its own: no more than a quarter of its time,
            # and no shard shorter than min_shard_seconds, but one shard per worker at least
            fixed, per_cost = self._shard_model
            min_cost = min(max(3 * fixed, self.min_shard_seconds - fixed) / per_cost,
                           cost.sum() / max(1, self.workers))
        pending = deque(np.asarray(shard, dtype=np.int64)
                        for shard in plan_shards(cost.tolist(), max(1, self.workers), self.shards_per_worker, min_cost))
        samples: list[tuple[int, float]] = []  # (cost, seconds) of each shard evaluated
        out = TableResults.start(table, self.worst_fitness)
        crashes = np.zeros(len(table), dtype=np.int64)
        idle = list(self._actors)
        running: dict = {}  # call ref -> (shard, actor)
        shard_tables: dict = {}  # call ref -> the shard's table
        self.bytes_sent = self.bytes_received = 0
        while pending or running:
            while pending and idle:
                shard, actor = pending.popleft(), idle.pop()
                part_table = table.take(shard)
                packed, part_seeds = pack_table(part_table), seeds[shard]
                self.bytes_sent += nbytes(packed) + part_seeds.nbytes
                ref = actor.evaluate_packed.remote(packed, part_seeds)
                running[ref], shard_tables[ref] = (shard, actor), (part_table, time.perf_counter())
            if not running:  # work is left and every worker is gone: try free CPUs once, else give up
                idle = self._grow()
                if not idle:
                    raise self._no_workers_left(out, pending, table)
                continue
            done, _ = ray.wait(list(running), num_returns=1, timeout=_LIVENESS_PERIOD)
            if not done:
                self._requeue_lost_nodes(running, pending)
                continue
            shard, actor = running.pop(done[0])
            part_table, sent_at = shard_tables.pop(done[0])
            try:
                part = ray.get(done[0])
            except ray.exceptions.RayTaskError as e:
                self._charge(shard, crashes, out, pending, table, f"the worker raised {e.cause!r}")
            except ray.exceptions.RayError as e:
                actor = self._recover(e, shard, actor, crashes, out, pending, table)
            else:
                self.bytes_received += nbytes(part)
                samples.append((int(cost[shard].sum()), time.perf_counter() - sent_at))
                out.place(table, shard, unpack_results(part, part_table))
                if progress is not None:
                    progress(len(shard))
            if actor is not None:
                idle.append(actor)
        self._shard_model = _fit_shard_times(samples) or self._shard_model
        self.total_bytes_sent += self.bytes_sent
        self.total_bytes_received += self.bytes_received
        return out

    def _recover(self, error: Exception, shard: np.ndarray, actor, crashes: np.ndarray, out: TableResults,
                 pending: deque, table: GenomeTable):
        """After a call failed without a result: re-queue its shard and return the actor to use in its
        place, or None. A lost node costs the genomes nothing and its worker is dropped; a worker that
        died on a live node is charged to its genomes and replaced."""
        if self._nodes[actor] not in self._live_nodes():
            self._lose(actor, shard, pending)
            return None
        if not isinstance(error, (self._ray.exceptions.RayActorError, self._ray.exceptions.WorkerCrashedError)):
            raise error
        self._charge(shard, crashes, out, pending, table, f"its worker died ({type(error).__name__})")
        return self._replace(actor)

    def _requeue_lost_nodes(self, running: dict, pending: deque) -> None:
        """Take back the shards running on nodes the cluster reports dead."""
        live = self._live_nodes()
        for ref, (shard, actor) in list(running.items()):
            if self._nodes[actor] not in live:
                del running[ref]
                self._lose(actor, shard, pending)

    def _lose(self, actor, shard: np.ndarray, pending: deque) -> None:
        """Drop a worker whose node is gone and re-queue its shard, uncharged, first in line."""
        node = self._nodes[actor]
        self._drop(actor)
        pending.appendleft(shard)
        log.warning("Ray node %s was lost: its shard of %d genomes is re-run on the other workers; workers now %d",
                    node, len(shard), self.workers)

    def _replace(self, actor):
        """A new actor in place of one whose process died, or None when none starts in time."""
        self._drop(actor)
        new = self._start_actors(1)
        if not new:
            log.warning("a Ray worker died and no replacement could start: workers now %d", self.workers)
            return None
        self._actors += new
        self.restarts += 1
        return new[0]

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

    def _no_workers_left(self, out: TableResults, pending: deque, table: GenomeTable) -> ClusterError:
        """The error to raise when work is left and no worker: it carries the results so far."""
        missing = sorted(i for shard in pending for i in shard.tolist())
        for i in missing:
            out.errors[i] = "not evaluated: no Ray worker was left"
        err = ClusterError(f"no Ray worker is left (their nodes were lost or no replacement could start, and no "
                           f"CPU is free): {len(missing)} of {len(table)} genomes were not evaluated; the results so "
                           f"far are in this error's .partial")
        err.partial = out
        return err

    def close(self) -> None:
        """Stop the actors, and Ray itself if this evaluator started it."""
        for actor in self._actors:
            self._kill(actor)
        self._actors = []
        self._nodes = {}
        if self.started_ray and self._ray.is_initialized():
            self._ray.shutdown()
            self.started_ray = False

    def __enter__(self) -> RayEvaluator:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
