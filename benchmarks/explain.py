"""Where the board page's database time goes: each SELECT of one page request, run again
under ``EXPLAIN (ANALYZE, BUFFERS)`` and summed up in a line, slowest first.

A statement whose time, rows removed by filter or buffers grow with the database although
the board shows the same cards is a plan to fix (docs/performance/benchmark.md).
"""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from benchmarks.clients import BenchClient
from benchmarks.timing import ok

SQL_SHOWN = 110


def _nodes(plan: dict):
    yield plan
    for child in plan.get("Plans", ()):
        yield from _nodes(child)


def _scan(node: dict) -> str:
    target = node.get("Index Name") or node.get("Relation Name") or ""
    return f"{node['Node Type']} {target}".strip()


def summarise(sql: str) -> tuple[float, str]:
    """The statement's execution time and its summary line."""
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql)
        (result,) = cursor.fetchone()
    top = result[0]
    nodes = list(_nodes(top["Plan"]))
    removed = sum(
        node.get("Rows Removed by Filter", 0) * node.get("Actual Loops", 1) for node in nodes
    )
    scans = sorted({_scan(node) for node in nodes if "Scan" in node["Node Type"]})
    buffers = top["Plan"].get("Shared Hit Blocks", 0) + top["Plan"].get("Shared Read Blocks", 0)
    ms = top["Execution Time"]
    shown = " ".join(sql.split())[:SQL_SHOWN]
    return ms, (
        f"{ms:8.2f} ms  removed by filter {removed:>9,}  buffers {buffers:>7,}  "
        f"rows {top['Plan']['Actual Rows']:>6,}\n"
        f"             scans: {'; '.join(scans) or '-'}\n             {shown}"
    )


def explain_page(url: str, what: str) -> list[str]:
    """The summary lines of the page at ``url`` as North's manager gets it, slowest first."""
    from accounts.models import User

    client = BenchClient(SERVER_NAME="localhost")
    client.force_login(User.objects.get(username="manager"))
    ok(client.get(url))  # warm: the explained request is a typical one
    with CaptureQueriesContext(connection) as captured:
        ok(client.get(url))
    statements = [query["sql"] for query in captured.captured_queries]
    selects = [sql for sql in statements if sql.lstrip().upper().startswith(("SELECT", "WITH"))]
    summaries = sorted((summarise(sql) for sql in selects), reverse=True)
    header = f"EXPLAIN (ANALYZE, BUFFERS) of {what}: {len(statements)} statements"
    return [header, *(line for _, line in summaries)]


def explain_board_page() -> list[str]:
    """The summary lines of the Sales board page of North's manager, slowest first."""
    from django.urls import reverse

    from pipelines.models import Pipeline

    url = reverse("board-pipeline", args=[Pipeline.objects.get(name="Sales").pk])
    return explain_page(url, "the board page")
