"""gate._threads: native pools held to the cores gate is given, and never above what the user set."""

from __future__ import annotations

import pytest
from threadpoolctl import threadpool_info

from gate._threads import jobs, native_threads


def _openmp_threads() -> set[int]:
    return {pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "openmp"}


@pytest.fixture(autouse=True)
def _openmp_loaded():
    from sklearn.ensemble import HistGradientBoostingClassifier  # noqa: F401  (loads libgomp)

    if not _openmp_threads():
        pytest.fail("no OpenMP pool loaded: the test would check nothing")


def test_a_smaller_pool_size_set_by_the_user_is_kept(monkeypatch):
    monkeypatch.setenv("GATE_JOBS", "2")
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    with native_threads() as count:
        assert count == 1
        assert _openmp_threads() == {1}


def test_gate_jobs_bounds_the_pools_when_the_user_set_none(monkeypatch):
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "VECLIB_MAXIMUM_THREADS",
                 "NUMEXPR_NUM_THREADS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GATE_JOBS", "1")
    with native_threads() as count:
        assert count == 1 == jobs()
        assert _openmp_threads() == {1}
    monkeypatch.setenv("GATE_JOBS", "999")  # never more than the cores this process may use
    assert jobs() == len(__import__("os").sched_getaffinity(0))
