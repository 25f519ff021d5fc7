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


@dataclass
class Measure:
    name: str
    median_ms: float
    p90_ms: float
    queries: int
    runs: int

    def row(self) -> str:
        return (
            f"{self.name:<42} median {self.median_ms:8.1f} ms   p90 {self.p90_ms:8.1f} ms   "
            f"{self.queries:3d} queries   ({self.runs} runs)"
        )


def measure(
    name: str,
    action: Callable[[], object],
    runs: int,
    prepare: Callable[[], object] | None = None,
) -> Measure:
    """Run ``action`` ``runs`` times; median server time and query count.

    Without ``prepare`` one untimed warm-up run comes first; with it, ``prepare`` runs
    untimed before each run (to undo what the previous run did).
    """
    if prepare is None:
        action()
    times = []
    queries = 0
    for _ in range(runs):
        if prepare is not None:
            prepare()
        with CaptureQueriesContext(connection) as captured:
            start = time.perf_counter()
            action()
            times.append((time.perf_counter() - start) * 1000)
        queries = len(captured)
    times.sort()
    p90 = times[min(len(times) - 1, int(len(times) * 0.9))]
    return Measure(name, statistics.median(times), p90, queries, runs)
