"""How NEAT generations scale over Ray workers (issue 6).

Runs a fine-tuning-heavy task (default: iris, population 150, 200 Adam steps per genome) for a few
generations in process (serial), on 1 Ray worker and on 2 Ray workers, interleaved over several
rounds in one Ray session, and prints per generation: wall time, the time the evaluator took, and the
coordinator's share (ask + tell + speciation and reproduction, i.e. everything but the evaluator).
It also checks that every backend produced the same fitness history, and measures the ceiling the
machine allows: the first generation's genomes evaluated in one process, then split in two halves
evaluated at the same time by two forked processes (no Ray).

    python scripts/bench_scaling.py [--task iris] [--generations 3] [--rounds 2] [--steps 200]

Scale (issue 10): three further modes.

- ``--cluster 4 --populations 10000 50000``: starts a simulated cluster of that many 1-CPU Ray nodes on
  this machine (``ray.cluster_utils.Cluster``, node IPs 127.0.0.2, 127.0.0.3, ...; the driver joins
  the head) and runs pure-NEAT XOR and Lamarckian iris (``--tasks``; iris with ``--iris-steps``
  gradient steps) at each population on one worker per CPU of the cluster, for ``--generations``
  generations after the first. Per generation: wall time, the evaluator call, the coordinator's
  share (ask_table, tell and advance: everything but the evaluator call), the bytes shipped (shards
  out, results back), the evolution step (``advance``: stagnation, offspring, crossover, mutation,
  speciation), species, genes, and the coordinator's memory per genome. Shuts the cluster down.
- ``--xor-workers``: pure-NEAT XOR at ``--pop-size`` (default 10,000) on a local Ray with 1 and 2
  workers, warmed up, interleaved over ``--rounds`` rounds; median wall time per generation and of
  the evaluator call, the 2-worker / 1-worker ratios of both, and what the machine allows now: one
  generation's table in two halves evaluated by two forked processes at once against one process.
- ``--evolution-step``: the evolution step on a population evolved for ``--evolve`` generations of
  pure XOR at ``--pop-size``: median of ``--rounds`` steps from that same state, then each of the
  next ``--generations`` steps.

    python scripts/bench_scaling.py --cluster 4 --populations 10000 50000 [--tasks xor iris] [--iris-steps 200]
    python scripts/bench_scaling.py --xor-workers [--pop-size 10000] [--generations 5] [--rounds 5]
    python scripts/bench_scaling.py --evolution-step [--pop-size 10000] [--evolve 5] [--rounds 9]
"""

from __future__ import annotations

import argparse
import copy
import os
import resource
import statistics
import time
from multiprocessing import get_context

os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
os.environ.setdefault("RAY_AUTH_MODE", "disabled")

from dataclasses import replace  # noqa: E402

import numpy as np  # noqa: E402

from ottorch.neat import Population, SerialEvaluator  # noqa: E402
from ottorch.neat.tasks import make_task  # noqa: E402


def run(task, config, evaluator, generations: int, seed: int) -> dict:
    """Time ``generations`` generations: total wall time and the evaluator's part of it."""
    # Warm every worker up first (imports and first-call allocations), as the serial process is after round one.
    warm_genomes, warm_seeds = Population(config, seed=seed + 1).ask()
    evaluator.evaluate(warm_genomes[:4], warm_seeds[:4])
    pop = Population(config, seed=seed)
    wall = evaluate = 0.0
    for _ in range(generations):
        start = time.perf_counter()
        if pop.fitness is not None:
            pop.advance()
        table, seeds = pop.ask_table()
        t0 = time.perf_counter()
        results = evaluator.evaluate_table(table, seeds)
        evaluate += time.perf_counter() - t0
        pop.tell(results)
        wall += time.perf_counter() - start
    history = [(h.best_fitness, h.mean_fitness) for h in pop.history]
    return {"wall": wall / generations, "evaluate": evaluate / generations, "history": history,
            "gradient_steps": pop.gradient_steps}


def _evaluate_half(args: tuple) -> float:
    task, fine_tune, genomes, seeds = args
    start = time.perf_counter()
    SerialEvaluator(task, fine_tune).evaluate(genomes, seeds)
    return time.perf_counter() - start


def two_process_ceiling(task, config, seed: int, rounds: int) -> float:
    """Median over ``rounds`` of (one process, all genomes) / (two processes, one half each)."""
    genomes, seeds = Population(config, seed=seed).ask()
    halves = [(task, config.fine_tune, genomes[i::2], seeds[i::2]) for i in (0, 1)]
    return _two_process_ratio(_evaluate_half, halves, rounds, [(task, config.fine_tune, genomes[:2], seeds[:2])] * 2)


def _two_process_ratio(evaluate, halves: list, rounds: int, warm_up: list) -> float:
    """Median over ``rounds`` of the time ``evaluate`` takes on both ``halves`` in this process over the
    time two forked processes take on one half each (after one pooled call on ``warm_up``)."""
    ratios = []
    with get_context("fork").Pool(2) as pool:
        pool.map(evaluate, warm_up)
        for _ in range(rounds):
            one = evaluate(halves[0]) + evaluate(halves[1])
            start = time.perf_counter()
            pool.map(evaluate, halves)
            ratios.append(one / (time.perf_counter() - start))
    return statistics.median(ratios)


# ---------------------------------------------------------------------------------------- scale


def scale_config(task_name: str, pop_size: int, iris_steps: int):
    """Pure NEAT for XOR, the task's Lamarckian default otherwise (iris with ``iris_steps`` steps)."""
    task = make_task(task_name)
    mode = "none" if task_name == "xor" else "lamarckian"
    config = task.default_config(mode).replace(pop_size=pop_size, no_fitness_termination=True)
    if mode != "none":
        config = config.replace(fine_tune=replace(config.fine_tune, steps=iris_steps))
    return task, config


def warm_up(evaluator, config, seed: int) -> None:
    """A few genomes through every worker (imports and first allocations), as before timing."""
    size = max(64, 16 * max(1, evaluator.workers))
    table, seeds = Population(config.replace(pop_size=size), seed=seed + 1).ask_table()
    evaluator.evaluate_table(table, seeds)


def timed_run(config, evaluator, generations: int, seed: int) -> list[dict]:
    """Generation 0 and ``generations`` more: per generation the wall time and its parts."""
    pop = Population(config, seed=seed)
    rows = []
    for generation in range(generations + 1):
        start = time.perf_counter()
        advance = 0.0
        if pop.fitness is not None:
            pop.advance()
            advance = time.perf_counter() - start
        t0 = time.perf_counter()
        table, seeds = pop.ask_table()
        t1 = time.perf_counter()
        results = evaluator.evaluate_table(table, seeds)
        t2 = time.perf_counter()
        pop.tell(results)
        end = time.perf_counter()
        pool_bytes = sum(a.nbytes for a in pop.pool.arrays().values())
        rows.append({"generation": generation, "wall": end - start, "advance": advance, "ask": t1 - t0,
                     "evaluate": t2 - t1, "tell": end - t2, "sent": getattr(evaluator, "bytes_sent", 0),
                     "received": getattr(evaluator, "bytes_received", 0), "species": len(pop.species.species),
                     "genes": len(pop.pool.c_innov) + len(pop.pool.n_id), "pool_bytes": pool_bytes,
                     "best": pop.history[-1].best_fitness})
    return rows


def _median(rows: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in rows)


def start_cluster(nodes: int, object_store_mb: int):
    """A ``nodes``-node Ray cluster on this machine, 1 CPU per node, node IPs 127.0.0.2, 127.0.0.3, ...;
    this process joins it. Returns the ``Cluster`` (shut it down with ``stop_cluster``)."""
    import ray
    from ray.cluster_utils import Cluster

    store = object_store_mb * 2**20
    cluster = Cluster(initialize_head=True, head_node_args={
        "num_cpus": 1, "node_ip_address": "127.0.0.2", "include_dashboard": False, "object_store_memory": store})
    try:
        for i in range(1, nodes):
            cluster.add_node(num_cpus=1, node_ip_address=f"127.0.0.{2 + i}", object_store_memory=store)
        cluster.wait_for_nodes()
        ray.init(address=cluster.address, log_to_driver=False, logging_level="ERROR")
    except BaseException:
        cluster.shutdown()
        raise
    return cluster


def stop_cluster(cluster) -> None:
    import ray

    if ray.is_initialized():
        ray.shutdown()
    cluster.shutdown()


def print_scale_rows(name: str, pop_size: int, rows: list[dict]) -> None:
    print(f"\n{name}, population {pop_size:,}:")
    print(f"  {'gen':>3s} {'wall s':>8s} {'evaluator s':>11s} {'coord. %':>8s} {'advance ms':>10s} "
          f"{'ask+tell ms':>11s} {'MB out':>7s} {'MB back':>7s} {'species':>7s} {'genes':>9s} {'best':>7s}")
    for r in rows:
        share = 100 * (r["wall"] - r["evaluate"]) / r["wall"]
        print(f"  {r['generation']:3d} {r['wall']:8.3f} {r['evaluate']:11.3f} {share:7.1f}% {1e3 * r['advance']:10.1f} "
              f"{1e3 * (r['ask'] + r['tell']):11.1f} {r['sent'] / 1e6:7.2f} {r['received'] / 1e6:7.2f} "
              f"{r['species']:7d} {r['genes']:9,d} {r['best']:7.3f}")


def cluster_mode(args) -> None:
    from ottorch.distributed import RayEvaluator

    print(f"simulated cluster: {args.cluster} nodes x 1 CPU on this machine ({os.cpu_count()} cores); "
          f"{args.generations} generations after generation 0; load average {os.getloadavg()[0]:.2f}")
    cluster = start_cluster(args.cluster, args.object_store_mb)
    summary = []
    try:
        import ray

        nodes = sorted(n["NodeManagerAddress"] for n in ray.nodes() if n["Alive"])
        print(f"nodes: {', '.join(nodes)}; CPUs: {int(ray.cluster_resources().get('CPU', 0))}")
        for task_name in args.tasks:
            for pop_size in args.populations:
                task, config = scale_config(task_name, pop_size, args.iris_steps)
                with RayEvaluator(task, config.fine_tune) as evaluator:
                    warm_up(evaluator, config, args.seed)
                    rows = timed_run(config, evaluator, args.generations, args.seed)
                    workers = evaluator.workers
                label = "XOR (pure NEAT)" if task_name == "xor" else \
                    f"{task_name} (Lamarckian, {config.fine_tune.steps} steps)"
                print_scale_rows(f"{label} on {workers} workers", pop_size, rows)
                summary.append((label, pop_size, rows))
    finally:
        stop_cluster(cluster)
    print(f"\nSummary (medians over generations 1-{args.generations}; generation 0 has no evolution step; "
          f"load average now {os.getloadavg()[0]:.2f}):")
    print(f"  {'run':32s} {'population':>10s} {'s / gen':>8s} {'coordinator':>11s} {'advance ms':>10s} "
          f"{'MB / gen':>8s} {'B / genome':>10s} {'pool B / genome':>15s}")
    for label, pop_size, rows in summary:
        later = rows[1:]
        share = 100 * statistics.median((r["wall"] - r["evaluate"]) / r["wall"] for r in later)
        shipped = _median(later, "sent") + _median(later, "received")
        print(f"  {label:32s} {pop_size:10,d} {_median(later, 'wall'):8.3f} {share:10.1f}% "
              f"{1e3 * _median(later, 'advance'):10.1f} {shipped / 1e6:8.2f} {shipped / pop_size:10.0f} "
              f"{_median(later, 'pool_bytes') / pop_size:15.0f}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10
    print(f"  peak memory of this process (coordinator): {peak:.0f} MiB")


def xor_workers_mode(args) -> None:
    import ray

    from ottorch.distributed import RayEvaluator
    from ottorch.distributed.ray_evaluator import _short_temp_dir

    task, config = scale_config("xor", args.pop_size, args.iris_steps)
    print(f"pure-NEAT XOR, population {args.pop_size:,}: 1 and 2 Ray workers (local Ray, 2 CPUs), "
          f"{args.generations} generations after generation 0 x {args.rounds} rounds, interleaved; "
          f"load average {os.getloadavg()[0]:.2f}")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="ERROR",
             _temp_dir=_short_temp_dir())
    runs: dict[int, list[list[dict]]] = {1: [], 2: []}
    try:
        for _ in range(args.rounds):
            for workers in (1, 2):
                with RayEvaluator(task, config.fine_tune, workers=workers) as evaluator:
                    warm_up(evaluator, config, args.seed)
                    runs[workers].append(timed_run(config, evaluator, args.generations, args.seed))
    finally:
        ray.shutdown()
    same = runs[1][0][-1]["best"] == runs[2][0][-1]["best"]

    def per_round(rows: list[dict], key: str) -> float:
        return sum(r[key] for r in rows[1:]) / (len(rows) - 1)

    print(f"  {'workers':>7s} {'s / gen':>8s} {'evaluator s':>11s} {'coordinator':>11s} {'advance ms':>10s} "
          f"{'MB / gen':>8s}")
    for workers, rounds in runs.items():
        wall = statistics.median(per_round(r, "wall") for r in rounds)
        evaluate = statistics.median(per_round(r, "evaluate") for r in rounds)
        advance = statistics.median(per_round(r, "advance") for r in rounds)
        shipped = statistics.median(per_round(r, "sent") + per_round(r, "received") for r in rounds)
        print(f"  {workers:7d} {wall:8.3f} {evaluate:11.3f} {100 * (wall - evaluate) / wall:10.1f}% "
              f"{1e3 * advance:10.1f} {shipped / 1e6:8.2f}")
    pairs = list(zip(runs[1], runs[2]))
    ratio = statistics.median(per_round(a, "wall") / per_round(b, "wall") for a, b in pairs)
    ratio_eval = statistics.median(per_round(a, "evaluate") / per_round(b, "evaluate") for a, b in pairs)
    print(f"  2 workers / 1 worker: whole generation {ratio:.2f}x, evaluator call {ratio_eval:.2f}x "
          f"(medians of per-round ratios); same run on both: {same}; load average {os.getloadavg()[0]:.2f}")
    ceiling = table_ceiling(task, config, args.seed, args.evolve, args.rounds)
    print(f"  ceiling on this machine now: the generation-{args.evolve} table split in two halves, evaluated by two "
          f"forked processes at once (no Ray), {ceiling:.2f}x as fast as one process evaluating both halves")


def _evaluate_table_half(args: tuple) -> float:
    task, fine_tune, table, seeds = args
    start = time.perf_counter()
    SerialEvaluator(task, fine_tune).evaluate_table(table, seeds)
    return time.perf_counter() - start


def table_ceiling(task, config, seed: int, generations: int, rounds: int) -> float:
    """Median over ``rounds`` of (one process, both halves of a table) / (two processes, a half each),
    on the table of a population evolved for ``generations`` generations."""
    pop = Population(config, seed=seed)
    evaluator = SerialEvaluator(task, config.fine_tune)
    for generation in range(generations + 1):
        if generation:
            pop.advance()
        table, seeds = pop.ask_table()
        pop.tell(evaluator.evaluate_table(table, seeds))
    halves = [(task, config.fine_tune, table.take(np.arange(i, len(table), 2)), seeds[i::2]) for i in (0, 1)]
    return _two_process_ratio(_evaluate_table_half, halves, rounds, halves)


def evolution_step_mode(args) -> None:
    task, config = scale_config("xor", args.pop_size, args.iris_steps)
    evaluator = SerialEvaluator(task, config.fine_tune)
    pop = Population(config, seed=args.seed)

    def evaluate() -> None:
        table, seeds = pop.ask_table()
        pop.tell(evaluator.evaluate_table(table, seeds))

    evaluate()
    for _ in range(args.evolve):
        pop.advance()
        evaluate()
    times = []
    for _ in range(args.rounds):
        again = copy.deepcopy(pop)
        start = time.perf_counter()
        again.advance()
        times.append(time.perf_counter() - start)
    print(f"pure-NEAT XOR, population {args.pop_size:,}, evolved for {args.evolve} generations "
          f"({len(pop.species.species)} species, {len(pop.pool.c_innov):,} connection genes); "
          f"load average {os.getloadavg()[0]:.2f}")
    print(f"  evolution step from that state, {args.rounds} times: median {1e3 * statistics.median(times):.1f} ms "
          f"(min {1e3 * min(times):.1f}, max {1e3 * max(times):.1f})")
    steps = []
    for _ in range(args.generations):
        species = len(pop.species.species)
        start = time.perf_counter()
        pop.advance()
        steps.append(time.perf_counter() - start)
        print(f"  generation {pop.generation}: {1e3 * steps[-1]:.1f} ms (from {species} species)")
        evaluate()
    if steps:
        print(f"  median of those {len(steps)} steps: {1e3 * statistics.median(steps):.1f} ms; "
              f"load average {os.getloadavg()[0]:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", default="iris")
    parser.add_argument("--generations", type=int, default=None,
                        help="generations per run (default 3; with --cluster, --xor-workers, --evolution-step: 5)")
    parser.add_argument("--rounds", type=int, default=None,
                        help="rounds (default 2; --xor-workers 5, --evolution-step 9)")
    parser.add_argument("--steps", type=int, default=200, help="gradient steps per genome")
    parser.add_argument("--pop-size", type=int, default=None, help="population (default 150; --xor-workers, "
                        "--evolution-step: 10,000)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cluster", type=int, default=0, metavar="NODES",
                        help="run the scale measurements on a simulated cluster of NODES 1-CPU Ray nodes")
    parser.add_argument("--populations", type=int, nargs="+", default=[10_000, 50_000])
    parser.add_argument("--tasks", nargs="+", default=["xor", "iris"])
    parser.add_argument("--iris-steps", type=int, default=200,
                        help="gradient steps per genome of iris with --cluster (the task's default: 200)")
    parser.add_argument("--object-store-mb", type=int, default=400, help="object store per simulated node")
    parser.add_argument("--xor-workers", action="store_true", help="pure-NEAT XOR on 2 Ray workers against 1")
    parser.add_argument("--evolution-step", action="store_true", help="time the evolution step at --pop-size")
    parser.add_argument("--evolve", type=int, default=5, help="generations before timing --evolution-step")
    args = parser.parse_args()
    scale = args.cluster or args.xor_workers or args.evolution_step
    if args.generations is None:
        args.generations = 5 if scale else 3
    if args.rounds is None:
        args.rounds = 5 if args.xor_workers else 9 if args.evolution_step else 2
    if args.pop_size is None:
        args.pop_size = 10_000 if scale else 150
    if args.cluster:
        return cluster_mode(args)
    if args.xor_workers:
        return xor_workers_mode(args)
    if args.evolution_step:
        return evolution_step_mode(args)

    task = make_task(args.task)
    base = task.default_config("lamarckian")
    config = base.replace(pop_size=args.pop_size, no_fitness_termination=True,
                          fine_tune=replace(base.fine_tune, steps=args.steps))
    ceiling = two_process_ceiling(task, config, args.seed, args.rounds)

    import ray

    from ottorch.distributed import RayEvaluator
    from ottorch.distributed.ray_evaluator import _short_temp_dir

    cpus = os.cpu_count() or 1
    ray.init(num_cpus=max(2, cpus), include_dashboard=False, log_to_driver=False, logging_level="ERROR",
             _temp_dir=_short_temp_dir())
    print(f"task {args.task}: population {args.pop_size}, {args.steps} gradient steps per genome, "
          f"{args.generations} generations x {args.rounds} rounds, {cpus} CPUs")
    backends = {"serial": lambda: SerialEvaluator(task, config.fine_tune),
                "ray 1 worker": lambda: RayEvaluator(task, config.fine_tune, workers=1),
                "ray 2 workers": lambda: RayEvaluator(task, config.fine_tune, workers=2)}
    runs: dict[str, list[dict]] = {name: [] for name in backends}
    try:
        for _ in range(args.rounds):
            for name, make in backends.items():
                with make() as evaluator:
                    runs[name].append(run(task, config, evaluator, args.generations, args.seed))
    finally:
        ray.shutdown()

    histories = {name: r[0]["history"] for name, r in runs.items()}
    same = all(h == histories["serial"] for h in histories.values())
    steps = runs["serial"][0]["gradient_steps"] // args.generations
    print(f"\ngradient steps per generation: {steps}; identical fitness histories on every backend: {same}")
    print(f"{'backend':15s} {'s / generation':>15s} {'evaluator s':>12s} {'coordinator':>12s} "
          f"{'speed-up vs 1 worker':>21s} {'vs serial':>10s}")
    one = statistics.median(r["wall"] for r in runs["ray 1 worker"])
    serial = statistics.median(r["wall"] for r in runs["serial"])
    for name, rs in runs.items():
        wall = statistics.median(r["wall"] for r in rs)
        evaluate = statistics.median(r["evaluate"] for r in rs)
        share = 100 * statistics.median((r["wall"] - r["evaluate"]) / r["wall"] for r in rs)
        print(f"{name:15s} {wall:15.3f} {evaluate:12.3f} {share:11.1f}% {one / wall:20.2f}x {serial / wall:9.2f}x")
    print(f"ceiling on this machine: two processes without Ray evaluate the same work {ceiling:.2f}x as fast as one")
    if not same:
        raise SystemExit("backends disagree: results must not depend on the number of workers")


if __name__ == "__main__":
    main()
