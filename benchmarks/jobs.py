"""Background jobs at scale: flag_stalled_deals and recompute_forecasts over N deals.

``bench_jobs(deal_count)`` recreates the benchmark database, seeds the deals straight in
SQL (one ``INSERT … SELECT generate_series``: a million deals in seconds, where the
service-by-service ``seed_demo`` would take an hour) and times the jobs' services
in-process. PostgreSQL only. By hand: ``python -m benchmarks.jobs --deals 1000000``.
"""

import argparse
import time

from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.db import connection, connections
from django.utils import timezone

from benchmarks import setup
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

# 70 % open, 20 % won, 10 % lost; values 0–100,000 (5 % unknown); close dates from two
# months ago to a year ahead (20 % unscheduled); 10 % with a probability override; in their
# stage for up to 60 days; half with a done activity since. Open deals are numbered densely
# per stage, as the board needs.
SEED_DEALS = """
WITH stages AS (
    SELECT id, pipeline_id, row_number() OVER (ORDER BY id) - 1 AS n FROM pipelines_stage
), owners AS (
    SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM accounts_user
), base AS (
    SELECT g,
           CASE WHEN g %% 10 < 7 THEN 'open' WHEN g %% 10 < 9 THEN 'won' ELSE 'lost' END
               AS status,
           s.id AS stage_id, s.pipeline_id, o.id AS owner_id,
           now() - random() * interval '60 days' AS entered,
           random() AS r
    FROM generate_series(1, %(deals)s) AS g
    JOIN stages s ON s.n = g %% (SELECT count(*) FROM stages)
    JOIN owners o ON o.n = (g / 7) %% (SELECT count(*) FROM owners)
)
INSERT INTO deals_deal (
    title, value, expected_close_date, status, lost_note, closed_at, position,
    probability_override, stage_entered_at, last_activity_at, is_stalled, version,
    created_at, updated_at, owner_id, pipeline_id, stage_id, lost_reason_id
)
SELECT 'Deal ' || g,
       CASE WHEN r < 0.95 THEN round((random() * 100000)::numeric, 2) END,
       CASE WHEN random() < 0.8 THEN current_date + (random() * 425)::int - 60 END,
       status,
       '',
       CASE WHEN status <> 'open' THEN now() - random() * interval '400 days' END,
       CASE WHEN status = 'open'
            THEN row_number() OVER (PARTITION BY stage_id, status ORDER BY g) - 1 END,
       CASE WHEN random() < 0.1 THEN (random() * 100)::int END,
       entered,
       CASE WHEN random() < 0.5 THEN entered + random() * (now() - entered) END,
       false, 1, entered, now(), owner_id, pipeline_id, stage_id,
       CASE WHEN status = 'lost' THEN (SELECT min(id) FROM deals_lostreason) END
FROM base
"""


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
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.42)")
        cursor.execute(SEED_DEALS, {"deals": deal_count})
        cursor.execute("ANALYZE")


def bench_jobs(deal_count: int, *, runs: int = 5) -> list[Measure]:
    """Seed ``deal_count`` deals into a fresh benchmark database and time both jobs."""
    from deals.models import Deal, DealEvent, Notification
    from forecasting.services.forecast import forecasts_recompute, forecasts_recompute_dirty
    from forecasting.services.stalls import deals_flag_stalled
    from pipelines.models import Pipeline

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
    bench_jobs(args.deals, runs=args.runs)


if __name__ == "__main__":
    main()
