"""`make bench`: seed a fresh database and print medians, data sizes and query counts.

`--smoke` runs on small data, once, so CI keeps the benchmark from rotting.
"""

import argparse
import time

from benchmarks import setup


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="small data, few runs")
    parser.add_argument(
        "--dashboards-deals",
        type=int,
        help="deals for the dashboard benchmark (100000; with --smoke the board's 300)",
    )
    parser.add_argument(
        "--jobs-deals",
        type=int,
        help="deals for the jobs benchmark, seeded in SQL (1000000; with --smoke 2000)",
    )
    args = parser.parse_args()
    deals = 300 if args.smoke else 10_000
    dashboards_deals = args.dashboards_deals or (deals if args.smoke else 100_000)
    runs = 3 if args.smoke else 30

    url = setup.bench_database_url()
    setup.recreate_database(url)
    setup.configure_django(url)
    started = time.perf_counter()
    setup.seed(deals)
    print(f"seed_demo --deals {deals}: {time.perf_counter() - started:.1f} s")

    from benchmarks.board import bench_board
    from deals.models import Deal

    open_deals = Deal.objects.filter(status="open").count()
    print(f"data: {Deal.objects.count()} deals ({open_deals} open)")
    for result in bench_board(runs=runs):
        print(result.row())

    from benchmarks.dashboards import bench_dashboards, seed_for_dashboards

    seed_for_dashboards(deals=dashboards_deals, reseed=dashboards_deals != deals)
    print(f"data: {Deal.objects.count()} deals for the dashboards")
    for result in bench_dashboards(runs=runs):
        print(result.row())

    from benchmarks.jobs import bench_jobs

    # Prints its own rows; it recreates the benchmark database, so it runs last.
    bench_jobs(args.jobs_deals or (2_000 if args.smoke else 1_000_000), runs=min(runs, 5))


if __name__ == "__main__":
    main()
