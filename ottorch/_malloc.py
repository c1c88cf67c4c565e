"""Keep freed memory in glibc's heap instead of returning it to the OS after every array.

By default glibc serves allocations above 128 KiB with fresh ``mmap`` pages and unmaps them on
free, so every large intermediate array of a training step is page-faulted in again: measured on
the build machines, a LeNet-5 training step spent a third of its time there (11.2 ms -> 7.4 ms
with this tuning). Raising the mmap and trim thresholds makes numpy reuse heap memory, as
PyTorch's own CPU allocator does. The cost is that peak memory is held until the process exits.
Set ``OTTORCH_MALLOC_TUNING=0`` before importing ottorch to leave malloc alone.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
# 512 MiB: arrays below this come from the heap and stay mapped after they are freed.
_THRESHOLD = 512 * 2**20


def tune_malloc() -> bool:
    """Raise glibc's mmap/trim thresholds (Linux with glibc only); True when applied."""
    if os.environ.get("OTTORCH_MALLOC_TUNING", "1") == "0" or not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (e.g. musl): nothing to tune
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    return bool(mallopt(_M_MMAP_THRESHOLD, _THRESHOLD)) and bool(mallopt(_M_TRIM_THRESHOLD, _THRESHOLD))
