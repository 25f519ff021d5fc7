"""`make bench`: seed the benchmark database and print medians, data sizes, query counts
and issue #14's targets.

The board is measured at each size, growing one database in place (benchmarks/sizes.py),
with the plans of its page's statements (benchmarks/explain.py), and in the browser at the
first size; so is the Deals list filtered by a custom field (benchmarks/deals_list.py),
with twenty custom fields defined; the background jobs then run on the largest; the
dashboards get a fresh demo company of their own. `--smoke` runs on small data with few
runs, so CI keeps the benchmark from rotting.
"""

import argparse
import time

from benchmarks import setup

SIZES = (10_000, 100_000, 1_000_000)
SMOKE_SIZES = (300, 1_000, 3_000)


def sizes_argument(text: str) -> tuple[int, ...]:
    return tuple(int(size) for size in text.split(","))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="small data, few runs")
    parser.add_argument(
        "--sizes",
        type=sizes_argument,
        help="deals at which to measure the board, ascending, comma-separated "
        "(10000,100000,1000000; with --smoke 300,1000,3000); the first is seed_demo's",
    )
    parser.add_argument(
        "--dashboards-deals",
        type=int,
        help="deals for the dashboard benchmark (100000; with --smoke 300)",
    )
    args = parser.parse_args()
    sizes = args.sizes or (SMOKE_SIZES if args.smoke else SIZES)
    dashboards_deals = args.dashboards_deals or (300 if args.smoke else 100_000)
    runs = 3 if args.smoke else 30

    url = setup.bench_database_url()
    setup.recreate_database(url)
    setup.configure_django(url)
    bench_board_sizes(sizes, runs=runs, browser_runs=3 if args.smoke else 15)

    from benchmarks.webhooks import bench_webhooks

    print(f"== webhooks on the {sizes[-1]:,}-deal board database")
    for result in bench_webhooks(runs=runs, events=500 if args.smoke else 2000):
        print(result.row())

    from benchmarks.jobs import bench_jobs

    print(f"== background jobs on the {sizes[-1]:,}-deal board database")
    bench_jobs(runs=min(runs, 5))  # prints its own rows

    from benchmarks.dashboards import bench_dashboards, seed_for_dashboards
    from deals.models import Deal

    print(f"== dashboards on a fresh demo company of {dashboards_deals:,} deals")
    seed_for_dashboards(deals=dashboards_deals)
    print(f"data: {Deal.objects.count():,} deals for the dashboards")
    for result in bench_dashboards(runs=runs):
        print(result.row())


def bench_board_sizes(sizes: tuple[int, ...], *, runs: int, browser_runs: int) -> None:
    from django.db import connection

    from benchmarks import bulk
    from benchmarks.board import TARGETS, bench_board, board_data
    from benchmarks.browser import bench_browser
    from benchmarks.deals_list import bench_deals_list, deals_list_data, explain_deals_list
    from benchmarks.explain import explain_board_page
    from benchmarks.sizes import grow_to

    settings = connection.settings_dict
    print(
        f"connections: CONN_MAX_AGE={settings['CONN_MAX_AGE']}, "
        f"CONN_HEALTH_CHECKS={settings['CONN_HEALTH_CHECKS']}, closed or checked at every "
        "request's start and end as in production"
    )
    started = time.perf_counter()
    password = setup.seed(sizes[0])
    print(setup.speak(setup.BENCH_LANGUAGE))
    setup.custom_fields()
    bulk.vacuum_analyze()
    print(
        f"seed_demo --deals {sizes[0]:,}, twenty custom fields and VACUUM ANALYZE: "
        f"{time.perf_counter() - started:.1f} s"
    )
    for index, size in enumerate(sizes):
        if index:
            started = time.perf_counter()
            added = grow_to(size)
            bulk.vacuum_analyze()
            print(
                f"grown to {size:,} deals in SQL (+{added:,} with their history) and "
                f"VACUUM ANALYZE: {time.perf_counter() - started:.1f} s"
            )
        print(f"== board at {size:,} deals")
        print(board_data())
        for result in bench_board(runs=runs, targets=TARGETS[min(index, len(TARGETS) - 1)]):
            print(result.row())
        if index == 0:
            result, detail = bench_browser(password=password, runs=browser_runs)
            print(result.row())
            print(detail)
        print("\n".join(explain_board_page()))
        print(f"== Deals list at {size:,} deals")
        print(deals_list_data())
        for result in bench_deals_list(runs=runs):
            print(result.row())
        print("\n".join(explain_deals_list()))


if __name__ == "__main__":
    main()
