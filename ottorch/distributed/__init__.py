"""``ottorch.distributed``: NEAT evaluation spread over Ray workers (the only place ray is imported)."""

from ottorch.distributed.ray_evaluator import ClusterError, RayEvaluator

__all__ = ["ClusterError", "RayEvaluator"]
