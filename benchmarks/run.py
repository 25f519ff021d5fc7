"""`make bench`: seed a fresh database and print medians, data sizes and query counts.

`--smoke` runs on small data, once, so CI keeps the benchmark from rotting.
"""

import argparse
import time

from benchmarks import setup


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="small data, few runs")
    args = parser.parse_args()
    deals = 300 if args.smoke else 10_000
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


if __name__ == "__main__":
    main()
