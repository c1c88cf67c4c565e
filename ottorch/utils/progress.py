"""Progress bars for training loops: ``tqdm`` when it is installed, else a small built-in bar.

Both support iteration, ``set_postfix(**values)``, ``update(n)``, ``write(msg)`` and ``close()``.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator
from typing import IO, Any


class SimpleBar:
    """A dependency-free stand-in for ``tqdm``: redraws one line on a terminal, and prints a single
    summary line per bar when the output is not a terminal (logs and CI stay readable)."""

    def __init__(self, iterable: Iterable | None = None, total: int | None = None, desc: str = "",
                 file: IO[str] | None = None, disable: bool = False, leave: bool = True) -> None:
        self.iterable = iterable
        self.total = total if total is not None else (len(iterable) if hasattr(iterable, "__len__") else None)
        self.desc, self.disable, self.leave = desc, disable, leave
        self.file = file or sys.stderr
        self.n = 0
        self.postfix = ""
        self.start = time.perf_counter()
        self._last_draw = 0.0
        self._tty = hasattr(self.file, "isatty") and self.file.isatty()

    def __iter__(self) -> Iterator:
        for item in self.iterable:
            yield item
            self.update(1)
        self.close()

    def __enter__(self) -> SimpleBar:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def update(self, n: int = 1) -> None:
        self.n += n
        now = time.perf_counter()
        if self._tty and not self.disable and now - self._last_draw > 0.1:
            self._last_draw = now
            self.file.write("\r" + self._line())
            self.file.flush()

    def set_postfix(self, ordered_dict: dict | None = None, refresh: bool = True, **values: Any) -> None:
        values = {**(ordered_dict or {}), **values}
        self.postfix = ", ".join(f"{k}={_fmt(v)}" for k, v in values.items())

    def write(self, msg: str) -> None:
        if self._tty and not self.disable:
            self.file.write("\r" + " " * 100 + "\r")
        self.file.write(msg + "\n")
        self.file.flush()

    def close(self) -> None:
        if self.disable or self.n < 0:
            return
        if self.leave:
            self.file.write(("\r" if self._tty else "") + self._line() + "\n")
            self.file.flush()
        self.n = -1  # closed: a second close writes nothing

    def _line(self) -> str:
        elapsed = time.perf_counter() - self.start
        if self.total:
            frac = min(self.n / self.total, 1.0)
            bar = "#" * int(frac * 20)
            count = f"{frac:4.0%} |{bar:20s}| {self.n}/{self.total}"
        else:
            count = f"{self.n} it"
        head = f"{self.desc}: " if self.desc else ""
        tail = f", {self.postfix}" if self.postfix else ""
        return f"{head}{count} [{elapsed:.1f}s{tail}]"


def _fmt(v: Any) -> str:
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def progress(iterable: Iterable | None = None, total: int | None = None, desc: str = "",
             disable: bool = False, leave: bool = True, file: IO[str] | None = None):
    """A progress bar over ``iterable``: ``tqdm.tqdm`` if installed, else ``SimpleBar``."""
    try:
        from tqdm import tqdm
    except ImportError:
        return SimpleBar(iterable, total=total, desc=desc, disable=disable, leave=leave, file=file)
    return tqdm(iterable, total=total, desc=desc, disable=disable, leave=leave, file=file, dynamic_ncols=True,
                mininterval=0.5)
