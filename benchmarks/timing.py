"""Timing: median and 90th percentile of wall and CPU time, and the query count, of an
action; each row judged against its target from issue #14."""

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection
from django.test.utils import CaptureQueriesContext


def ok(response, status=200):
    """``response``, after checking its status: a benchmark must not time error pages."""
    if response.status_code != status:
        raise AssertionError(f"{response.status_code}: {response.content[:300]!r}")
    return response


@dataclass(frozen=True)
class Target:
    ms: float
    queries: int | None = None

    def met(self, median_ms: float, queries: int | None) -> bool:
        too_many = self.queries is not None and queries is not None and queries > self.queries
        return median_ms <= self.ms and not too_many

    def __str__(self) -> str:
        return f"≤{self.ms:g} ms" + (f", ≤{self.queries} q" if self.queries is not None else "")


@dataclass
class Measure:
    name: str
    median_ms: float
    p90_ms: float
    cpu_ms: float | None
    queries: int | None
    runs: int
    target: Target | None = None

    def row(self) -> str:
        cpu = f"cpu {self.cpu_ms:7.1f} ms" if self.cpu_ms is not None else " " * 14
        queries = f"{self.queries:3d} queries" if self.queries is not None else " " * 11
        verdict = ""
        if self.target is not None:
            verdict = f"   target {self.target}: " + (
                "ok" if self.target.met(self.median_ms, self.queries) else "over"
            )
        return (
            f"{self.name:<46} median {self.median_ms:7.1f} ms   p90 {self.p90_ms:7.1f} ms   "
            f"{cpu}   {queries}   ({self.runs} runs){verdict}"
        )


def summary(
    name: str,
    times_ms: list[float],
    *,
    cpu_ms: list[float] | None = None,
    queries: int | None = None,
    target: Target | None = None,
) -> Measure:
    times = sorted(times_ms)
    p90 = times[min(len(times) - 1, int(len(times) * 0.9))]
    cpu = statistics.median(cpu_ms) if cpu_ms else None
    return Measure(name, statistics.median(times), p90, cpu, queries, len(times), target)


def measure(
    name: str,
    action: Callable[[], object],
    runs: int,
    prepare: Callable[[], object] | None = None,
    target: Target | None = None,
) -> Measure:
    """Run ``action`` ``runs`` times; median wall and CPU time of this process, and the
    number of queries.

    An untimed warm-up run comes first: one-time lookups, caches and writes (an API
    token's first-use time) are not a request's steady cost. The queries are counted in an
    untimed run of their own: capturing them swaps in Django's debug cursor, which records
    and logs every statement, so the timed runs go without it. ``prepare``, if given, runs
    untimed before every run (to undo what the previous run did).
    """
    if prepare is not None:
        prepare()
    action()  # warm-up
    if prepare is not None:
        prepare()
    with CaptureQueriesContext(connection) as captured:
        action()
    queries = len(captured)  # now: the next request clears the connection's query log
    wall, cpu = [], []
    for _ in range(runs):
        if prepare is not None:
            prepare()
        start, start_cpu = time.perf_counter(), time.process_time()
        action()
        cpu.append((time.process_time() - start_cpu) * 1000)
        wall.append((time.perf_counter() - start) * 1000)
    return summary(name, wall, cpu_ms=cpu, queries=queries, target=target)
