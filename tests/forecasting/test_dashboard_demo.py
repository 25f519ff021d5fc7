"""`manage.py seed_forecasting_demo`: after seed_demo, a forecast history the trend can
draw and quotas for six months either side of this one, deterministic per seed."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count
from django.urls import reverse

from accounts.models import Team, User
from forecasting.demo import QUOTA_MONTHS, demo_forecast_history
from forecasting.models import ForecastSnapshot, Quota

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    call_command("seed_demo", deals=150, seed=3, password="demo-pass-1", verbosity=0)
    out = StringIO()
    call_command("seed_forecasting_demo", days=20, stdout=out)
    return out.getvalue()


def test_history_has_one_set_per_pipeline_and_day(demo):
    sets = (
        ForecastSnapshot.objects.values("pipeline_id", "computed_at")
        .annotate(rows=Count("pk"))
        .order_by()
    )
    per_pipeline = {}
    for row in sets:
        per_pipeline.setdefault(row["pipeline_id"], []).append(row["rows"])

    assert "forecast snapshots (20 days of history)" in demo
    assert len(per_pipeline) == 2
    # Today's real recompute and 20 backdated copies of it, row for row.
    assert all(len(rows) == 21 and len(set(rows)) == 1 for rows in per_pipeline.values())


def test_the_demo_dashboard_draws_a_trend(demo, client):
    manager = User.objects.get(username="manager")
    north = Team.objects.get(name="North")
    client.force_login(manager)

    shown = client.get(reverse("team-dashboard-data", args=[north.pk])).json()

    assert len(shown["trend"]) == 21
    assert len({point["forecast"] for point in shown["trend"]}) > 1  # it moves
    assert shown["totals"]["quota"] is not None


def test_quotas_cover_six_months_either_side_a_little_above_this_months_forecast(demo, client):
    months = sorted(set(Quota.objects.values_list("month", flat=True)))
    team_quotas = set(Quota.objects.filter(team__isnull=False).values_list("team__name", flat=True))
    client.force_login(User.objects.get(username="manager"))
    north = Team.objects.get(name="North")

    shown = client.get(reverse("team-dashboard-data", args=[north.pk])).json()

    assert len(months) == 2 * QUOTA_MONTHS + 1
    # The first team has its own quota; the other falls back to its members'.
    assert team_quotas == {"North"}
    for person in shown["people"]:
        if person["quota"] is not None:
            assert 80 <= float(person["forecast"]) * 100 / float(person["quota"]) <= 100


def test_the_same_seed_gives_the_same_history(demo):
    def history():
        return list(
            ForecastSnapshot.objects.order_by(
                "computed_at", "pipeline_id", "owner_id", "period"
            ).values_list("weighted_amount", "open_amount", "won_amount")
        )

    first = history()
    newest = ForecastSnapshot.objects.latest("computed_at").computed_at
    ForecastSnapshot.objects.exclude(computed_at=newest).delete()
    demo_forecast_history(days=20, seed=1, now=newest)

    assert history() == first


def test_a_second_run_changes_nothing(demo):
    snapshots, quotas = ForecastSnapshot.objects.count(), Quota.objects.count()
    out = StringIO()

    call_command("seed_forecasting_demo", stdout=out)

    assert "nothing seeded" in out.getvalue()
    assert (ForecastSnapshot.objects.count(), Quota.objects.count()) == (snapshots, quotas)
