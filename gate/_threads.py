"""How many cores gate may use, and native thread pools (OpenMP, OpenBLAS, MKL) held to that.

Under load, scikit-learn's OpenMP and OpenBLAS pools sized to every core of the machine
oversubscribe it: one poisoning analysis ran 8.6x slower with default threads than with one on a
loaded 2-core machine. gate is given a number of cores (``--jobs``, ``GATE_JOBS``, default the cores
this process may run on) and no native pool exceeds it.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from typing import Iterator

_POOL_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "VECLIB_MAXIMUM_THREADS",
                   "NUMEXPR_NUM_THREADS")


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity, which containers and `taskset` set)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def jobs(requested: int | None = None) -> int:
    """The cores gate uses: ``requested`` (``--jobs``), else ``GATE_JOBS``, else every available core;
    never more than are available, never fewer than one."""
    if requested is None:
        text = os.environ.get("GATE_JOBS", "").strip()
        requested = int(text) if text.isdigit() else None
    cores = available_cores()
    return cores if not requested else max(1, min(int(requested), cores))


def bound_process(requested: int | None = None) -> int:
    """At start-up, before numpy or scikit-learn load: pools created later (and by child processes)
    start at most this size. A variable the user set is kept when it is smaller."""
    count = jobs(requested)
    os.environ["GATE_JOBS"] = str(count)
    for name in _POOL_VARIABLES:
        current = os.environ.get(name, "").strip()
        if not (current.isdigit() and 0 < int(current) <= count):
            os.environ[name] = str(count)
    return count


def _pool_setting() -> int | None:
    """The smallest pool size the environment sets (``OMP_NUM_THREADS=1`` and the like), if any."""
    sizes = [int(v) for v in (os.environ.get(name, "").strip() for name in _POOL_VARIABLES) if v.isdigit() and int(v) > 0]
    return min(sizes) if sizes else None


@contextmanager
def native_threads(count: int | None = None) -> Iterator[int]:
    """Hold every native pool already loaded to ``count`` threads (default ``jobs()``) while inside,
    and never above a smaller size the environment sets: ``OMP_NUM_THREADS=1`` beside other busy
    processes is what a user sets after seeing OpenMP's waiting threads slow a run tenfold (a
    poisoning scan took 368 s with two threads beside another scan, 15 s with one)."""
    from threadpoolctl import threadpool_limits

    count = count or jobs()
    setting = _pool_setting()
    if setting is not None:
        count = min(count, setting)
    with threadpool_limits(limits=count):
        yield count
