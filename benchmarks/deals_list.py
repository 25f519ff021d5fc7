"""The Deals list filtered by custom fields (issue #17): North's manager's list filtered by
a choice, and by a money range with two custom columns sorted by one of them, timed
in-process (server time) with twenty custom fields defined
(docs/performance/benchmark.md, "Deals list filtered by a custom field").

``make bench`` prints these rows at every size after the board's. By hand,
``python -m benchmarks.deals_list --sizes 10000,100000`` seeds as ``make bench`` does and
prints only these rows and the plans of the first one's statements.
"""

import argparse
import time
from urllib.parse import urlencode

# Issue #17: ≤ 60 ms at 100,000 deals; the same at every size here.
TARGET_MS = 60
FILTERED = {"cf_competitor": "globex"}
RANGE = {
    "cf_budget__min": "20000",
    "cf_budget__max": "80000",
    "cols": "competitor,budget",
    "sort": "-cf_budget",
}


def deals_list_url(params: dict) -> str:
    from django.urls import reverse

    return reverse("deals-list") + "?" + urlencode(params)


def deals_list_data() -> str:
    """The data line: fields defined, and what the measured lists hold."""
    from accounts.models import User
    from deals.models import Deal
    from deals.selectors.lists import DealListFilters, deals_list
    from pipelines.models import CustomField

    manager = User.objects.get(username="manager")
    counts = []
    for params in (FILTERED, RANGE):
        filters = DealListFilters.from_query(params)
        counts.append(deals_list(user=manager, filters=filters).count())
    with_values = Deal.objects.exclude(custom_fields={}).count()
    return (
        f"data: {CustomField.objects.filter(is_archived=False).count()} custom fields, "
        f"{with_values:,} of {Deal.objects.count():,} deals hold values; the manager's list "
        f"filtered by competitor holds {counts[0]:,} deals, by the budget range {counts[1]:,}"
    )


def bench_deals_list(*, runs: int, client=None) -> list:
    """The rows, as North's manager; ``client``: a test's own (a BenchClient by default).
    Django is set up by then (benchmarks/setup.py), hence the late imports."""
    from accounts.models import User
    from benchmarks.clients import BenchClient
    from benchmarks.timing import Target, measure, ok

    client = client or BenchClient(SERVER_NAME="localhost")
    client.force_login(User.objects.get(username="manager"))
    return [
        measure(
            "Deals list filtered by a custom field",
            lambda: ok(client.get(deals_list_url(FILTERED))),
            runs,
            target=Target(TARGET_MS),
        ),
        measure(
            "Deals list, money range, 2 custom columns",
            lambda: ok(client.get(deals_list_url(RANGE))),
            runs,
        ),
    ]


def explain_deals_list() -> list[str]:
    """The plans of the filtered list's statements, slowest first."""
    from benchmarks.explain import explain_page

    return explain_page(deals_list_url(FILTERED), "the Deals list filtered by a custom field")


def main() -> None:
    from benchmarks import setup

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="10000,100000", help="ascending, comma-separated")
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    url = setup.bench_database_url()
    setup.recreate_database(url)
    setup.configure_django(url)

    from benchmarks import bulk
    from benchmarks.sizes import grow_to

    started = time.perf_counter()
    setup.seed(sizes[0])
    print(setup.speak(setup.BENCH_LANGUAGE))
    setup.custom_fields()
    bulk.vacuum_analyze()
    print(f"seed_demo --deals {sizes[0]:,}: {time.perf_counter() - started:.1f} s")
    for index, size in enumerate(sizes):
        if index:
            started = time.perf_counter()
            grow_to(size)
            bulk.vacuum_analyze()
            print(f"grown to {size:,} deals: {time.perf_counter() - started:.1f} s")
        print(f"== Deals list at {size:,} deals")
        print(deals_list_data())
        for result in bench_deals_list(runs=args.runs):
            print(result.row())
        print("\n".join(explain_deals_list()))


if __name__ == "__main__":
    main()
