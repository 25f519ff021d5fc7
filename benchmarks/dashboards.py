"""Dashboard speed: the team dashboard and its pages, the JSON and the rep home, timed
in-process (server time) on the demo company with its forecast history and quotas.

At 100,000 deals the demo company has nine regional teams beside North and South
(``deals.demo.catalogue.Workforce``): North's manager and two reps own about 7 % of the deals."""

import time

from django.core.management import call_command
from django.db import connections
from django.urls import reverse

from benchmarks import bulk, setup
from benchmarks.clients import BenchClient
from benchmarks.timing import Measure, measure, ok


def seed_for_dashboards(*, deals: int) -> None:
    """A fresh database with the demo company of ``deals`` deals, today's forecast
    snapshots, 30 days of history and quotas; then what autovacuum keeps up in a live
    database: planner statistics, and the visibility map that lets the dashboards' covering
    indexes answer without reading the tables."""
    connections.close_all()
    setup.recreate_database(setup.bench_database_url())
    started = time.perf_counter()
    setup.seed(deals)
    print(f"seed_demo --deals {deals}: {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    call_command("seed_forecasting_demo", days=30, verbosity=0)
    print(f"seed_forecasting_demo --days 30: {time.perf_counter() - started:.1f} s")
    bulk.vacuum_analyze()


def bench_dashboards(*, runs: int) -> list[Measure]:
    from accounts.models import Team, User
    from pipelines.models import Pipeline

    manager = BenchClient(SERVER_NAME="localhost")
    manager.force_login(User.objects.get(username="manager"))
    rep = BenchClient(SERVER_NAME="localhost")
    rep.force_login(User.objects.get(username="rep1"))
    north = Team.objects.get(name="North")
    sales = Pipeline.objects.get(name="Sales")
    team = reverse("team-dashboard", args=[north.pk])
    on_sales = f"?pipeline={sales.pk}"

    def page(client: BenchClient, url: str):
        return lambda: ok(client.get(url))

    return [
        measure("team dashboard (North, month)", page(manager, team + on_sales), runs),
        measure(
            "team dashboard (North, quarter)",
            page(manager, team + on_sales + "&period=quarter"),
            runs,
        ),
        measure(
            "team dashboard JSON",
            page(manager, reverse("team-dashboard-data", args=[north.pk]) + on_sales),
            runs,
        ),
        measure(
            "checklist analytics (Sales, month)",
            page(manager, reverse("team-checklists", args=[north.pk]) + on_sales),
            runs,
        ),
        measure(
            "data-driven probabilities (Sales)",
            page(manager, reverse("team-probabilities", args=[north.pk]) + on_sales),
            runs,
        ),
        measure("rep home (rep1)", page(rep, reverse("rep-home")), runs),
    ]
