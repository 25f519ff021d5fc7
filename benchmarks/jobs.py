"""Background jobs at scale: flag_stalled_deals and recompute_forecasts over N deals.

``make bench`` times them on the board's largest database (benchmarks/sizes.py). By hand,
``python -m benchmarks.jobs --deals 1000000`` recreates the benchmark database with only
two pipelines, 50 owners and the deals, seeded straight in SQL (benchmarks/bulk.py), and
times the jobs' services in-process. PostgreSQL only.
"""

import argparse
import time

from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.db import connection, connections
from django.utils import timezone

from benchmarks import bulk, setup
from benchmarks.timing import Measure, measure

OWNERS = 50
# (pipeline, [(stage, probability %, stall threshold in days)])
PIPELINES = [
    (
        "Sales",
        [
            ("Prospecting", 10, 14),
            ("Qualification", 20, 14),
            ("Meeting/Demo", 40, 21),
            ("Proposal", 60, 21),
            ("Negotiation", 80, 30),
            ("Contract sent", 90, None),
        ],
    ),
    ("Renewals", [("Due", 50, 30), ("Renewed", 90, None)]),
]
# Deals that stall between two runs of a busy quarter of an hour.
NEWLY_STALLED = 1000


def seed_deals(deal_count: int) -> None:
    from accounts.models import User
    from deals.models import LostReason
    from pipelines.models import Pipeline, Stage

    password = make_password(None)
    User.objects.bulk_create(
        User(username=f"rep{i}", password=password, email=f"rep{i}@example.com")
        for i in range(OWNERS)
    )
    for name, stages in PIPELINES:
        pipeline = Pipeline.objects.create(name=name)
        Stage.objects.bulk_create(
            Stage(
                pipeline=pipeline,
                name=stage,
                position=position,
                probability=probability,
                stall_threshold_days=threshold,
            )
            for position, (stage, probability, threshold) in enumerate(stages)
        )
    LostReason.objects.create(name="Price")
    bulk.insert_deals(deal_count, owner_ids=list(User.objects.values_list("pk", flat=True)))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def seed_jobs_database(deal_count: int) -> None:
    """A fresh benchmark database with ``deal_count`` deals and nothing else around them."""
    from deals.models import Deal

    connections.close_all()
    setup.recreate_database(setup.bench_database_url())
    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    seed_deals(deal_count)
    open_deals = Deal.objects.filter(status="open").count()
    print(
        f"seeded {deal_count} deals ({open_deals} open) in SQL: "
        f"{time.perf_counter() - started:.1f} s"
    )


def bench_jobs(*, runs: int = 5) -> list[Measure]:
    """Time both jobs on the benchmark database as it is; they change its stall flags and
    delete its notifications and timeline events, so nothing is measured on it afterwards."""
    from deals.models import Deal, DealEvent, Notification
    from forecasting.services.forecast import forecasts_recompute, forecasts_recompute_dirty
    from forecasting.services.stalls import deals_flag_stalled
    from pipelines.models import Pipeline

    def forget_stalls(limit: int | None = None) -> None:
        """Undo the job's work (on ``limit`` deals), so that the next run redoes it."""
        stalled = Deal.objects.filter(is_stalled=True)
        if limit is not None:
            stalled = Deal.objects.filter(pk__in=stalled.order_by("pk").values("pk")[:limit])
        stalled.update(is_stalled=False, stalled_since=None)
        Notification.objects.all().delete()
        DealEvent.objects.all().delete()

    def mark_sales_dirty() -> None:
        Pipeline.objects.filter(name="Sales").update(forecast_dirty_since=timezone.now())

    first_run = measure(
        "flag_stalled_deals, first run (whole backlog)",
        deals_flag_stalled,
        max(1, runs // 2),
        prepare=forget_stalls,
    )
    print(f"data: {Deal.objects.filter(is_stalled=True).count()} deals stalled")
    results = [
        first_run,
        measure(
            f"flag_stalled_deals, {NEWLY_STALLED} newly stalled",
            deals_flag_stalled,
            runs,
            prepare=lambda: forget_stalls(NEWLY_STALLED),
        ),
        measure("flag_stalled_deals, nothing new", deals_flag_stalled, runs),
        measure("recompute_forecasts (all pipelines)", forecasts_recompute, runs),
        measure(
            "recompute_dirty_forecasts (Sales dirty)",
            forecasts_recompute_dirty,
            runs,
            prepare=mark_sales_dirty,
        ),
    ]
    for result in results:
        print(result.row())
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--deals", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    setup.configure_django(setup.bench_database_url())
    seed_jobs_database(args.deals)
    bench_jobs(runs=args.runs)


if __name__ == "__main__":
    main()
