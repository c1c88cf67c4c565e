"""``set_num_threads`` / ``get_num_threads``: PyTorch's thread controls, applied to numpy's BLAS.

ottorch's own code is single-threaded; only BLAS (matmul, conv) can use several threads. Limiting it
needs the optional ``threadpoolctl`` package (``pip install threadpoolctl``).
"""

from __future__ import annotations

import os

_limits = []  # keeps the active threadpool_limits object alive


def set_num_threads(n: int) -> None:
    """Use at most ``n`` BLAS threads from now on."""
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"set_num_threads expects a positive integer, got {n!r}")
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        raise RuntimeError(
            "set_num_threads needs threadpoolctl (pip install threadpoolctl), or set OPENBLAS_NUM_THREADS / "
            "OMP_NUM_THREADS before starting Python"
        ) from None
    _limits[:] = [threadpool_limits(n)]


def get_num_threads() -> int:
    """The number of BLAS threads (the CPU count when it cannot be read)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return os.cpu_count() or 1
    counts = [info["num_threads"] for info in threadpool_info() if info.get("user_api") == "blas"]
    return max(counts) if counts else os.cpu_count() or 1
