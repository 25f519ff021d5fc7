"""With Redis down the web app keeps working (docs/domain/stalls-and-forecast.md).

The move is saved, the failed enqueue is logged, and the dirty marker left in the database
is what the periodic sweep recomputes once the broker is back.
"""

import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.urls import reverse

from deals.models import Deal, Notification
from deals.services.editing import deal_reassign
from pipelinecrm.celery import app as celery_app
from pipelines.models import Pipeline
from tests.factories import make_deal

# Nothing listens on port 1: connections are refused at once.
UNREACHABLE = "redis://127.0.0.1:1/0"


@contextmanager
def broker_at(url: str) -> Iterator[None]:
    """Point the app's producer at ``url``; its pools bind the URL at first use."""

    def forget_pools() -> None:
        celery_app._pool = None
        celery_app.amqp._producer_pool = None

    saved = celery_app.conf.broker_url
    celery_app.conf.broker_url = url
    forget_pools()
    try:
        yield
    finally:
        celery_app.conf.broker_url = saved
        forget_pools()


@pytest.mark.django_db(transaction=True)
def test_a_move_succeeds_and_logs_when_the_broker_is_down(company, login, caplog):
    client = login(company.rep1)
    target = company.stages[1]

    with broker_at(UNREACHABLE):
        deal = make_deal(company.rep1, company.sales)
        Pipeline.objects.update(forecast_dirty_since=None)
        caplog.clear()
        started = time.monotonic()
        response = client.post(
            reverse("deal-move", args=[deal.pk]),
            {"stage": target.pk, "version": deal.version, "source": "dialog"},
            headers={"HX-Request": "true"},
        )
        elapsed = time.monotonic() - started

    assert response.status_code == 200
    assert Deal.objects.get(pk=deal.pk).stage == target
    assert Pipeline.objects.get(pk=company.sales.pk).forecast_dirty_since is not None
    assert "Could not enqueue forecasting.tasks.recompute_dirty_forecasts" in caplog.text
    assert elapsed < 5, f"the request waited {elapsed:.1f} s for the broker"


@pytest.mark.django_db(transaction=True)
def test_a_reassignment_succeeds_and_logs_when_the_broker_is_down(company, caplog):
    with broker_at(UNREACHABLE):
        deal = make_deal(company.rep1, company.sales)
        deal_reassign(user=company.manager, deal=deal, new_owner=company.rep2, version=None)

    assert Deal.objects.get(pk=deal.pk).owner == company.rep2
    assert "Could not enqueue forecasting.tasks.notify_reassigned" in caplog.text
    assert not Notification.objects.exists()
