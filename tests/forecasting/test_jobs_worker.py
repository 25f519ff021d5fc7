"""The jobs on a real Celery worker and Redis (docs/domain/stalls-and-forecast.md).

Each test enqueues the way the app does (a task call, or a service whose transaction
commits) and waits for the worker's effect in the database.
"""

import datetime
import time
from decimal import Decimal

import pytest
from django.utils import timezone

from deals.models import Deal, Notification
from deals.services.editing import deal_reassign
from deals.services.moves import deal_move
from forecasting.models import ForecastSnapshot
from forecasting.tasks import flag_stalled_deals
from pipelines.models import Pipeline, Stage
from tests.factories import make_deal
from tests.fixtures_celery import wait_for

pytestmark = pytest.mark.celery


def test_flag_stalled_deals_flags_the_deal_and_notifies_its_owner(celery_worker, company):
    stage = company.stages[0]
    Stage.objects.filter(pk=stage.pk).update(stall_threshold_days=2)
    deal = make_deal(company.rep1, company.sales, stage, title="Acme rollout")
    Deal.objects.filter(pk=deal.pk).update(
        stage_entered_at=timezone.now() - datetime.timedelta(days=5)
    )

    flag_stalled_deals.delay()

    wait_for(
        lambda: Notification.objects.filter(deal=deal, recipient=company.rep1).exists(),
        what="the owner's notification",
    )
    assert Deal.objects.get(pk=deal.pk).is_stalled


def test_a_burst_of_moves_costs_one_recompute(celery_worker, company, settings):
    # Long enough for the burst below even on a loaded two-core machine (7 s was seen with
    # the whole suite and the browser tests running beside it).
    settings.FORECAST_DEBOUNCE_SECONDS = 12
    first, second = company.stages[0], company.stages[1]
    deals = [
        make_deal(company.rep1, company.sales, first, value=Decimal("1000.00")) for _ in range(10)
    ]
    # Creating the deals asked for a recompute: let it run, then start from a clean slate.
    wait_for(ForecastSnapshot.objects.exists, what="the recompute asked for by the new deals")
    ForecastSnapshot.objects.all().delete()
    assert not Pipeline.objects.filter(forecast_dirty_since__isnull=False).exists()

    started = time.monotonic()
    for round_ in range(10):
        target = second if round_ % 2 == 0 else first
        for deal in deals:
            deal_move(user=company.rep1, deal=deal, stage=target, version=None)
    burst = time.monotonic() - started
    assert burst < settings.FORECAST_DEBOUNCE_SECONDS, f"100 moves took {burst:.1f} s"

    wait_for(ForecastSnapshot.objects.exists, what="the debounced recompute")
    wait_for(
        lambda: time.monotonic() - started > settings.FORECAST_DEBOUNCE_SECONDS + 1,
        what="any second recompute to have had its chance",
    )
    assert ForecastSnapshot.objects.values("computed_at").distinct().count() == 1
    # It ran after the burst: it saw the last moves (all ten deals back in Prospecting, 10 %).
    unscheduled = ForecastSnapshot.objects.get(
        pipeline=company.sales, owner=company.rep1, period=None
    )
    assert (unscheduled.deal_count, unscheduled.weighted_amount) == (10, Decimal("1000.00"))


def test_a_reassigned_deal_notifies_its_new_owner(celery_worker, company):
    deal = make_deal(company.rep1, company.sales, title="Acme rollout")

    deal_reassign(user=company.manager, deal=deal, new_owner=company.rep2, version=None)

    notice = wait_for(
        lambda: Notification.objects.filter(recipient=company.rep2, deal=deal).first(),
        what="the new owner's notification",
    )
    assert notice.text == "“Acme rollout” was reassigned to you by Manager Test."
