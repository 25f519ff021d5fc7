"""The whole path with a real Celery worker: a deal moved through the API reaches the
receiver as deal.moved, rung by the move's doorbell (no beat, no direct calls)."""

import pytest

from integrations.models import EventType, WebhookDelivery
from integrations.signing import verify
from tests import factories
from tests.fixtures_celery import wait_for


@pytest.mark.django_db(transaction=True)
def test_a_move_through_the_api_reaches_the_receiver(
    celery_worker, company, receiver, subscribe, api
):
    subscription = subscribe(receiver.url, events=[EventType.DEAL_MOVED])
    deal = factories.make_deal(company.rep1, company.sales, company.stages[0])
    target = company.stages[1]

    response = api(company.rep1).post(
        f"/api/v1/deals/{deal.pk}/move/",
        {"stage": target.pk, "version": deal.version},
        format="json",
    )
    assert response.status_code == 200

    def moved():
        return [b for b in receiver.bodies() if b["type"] == "deal.moved"]

    [body] = wait_for(moved, timeout=30, what="the receiver to get deal.moved")
    assert body["deal"]["id"] == deal.pk
    assert body["data"]["to_stage"] == {"id": target.pk, "name": target.name}
    [request] = receiver.requests
    header = {k.lower(): v for k, v in request.headers.items()}["x-pipelinecrm-signature"]
    assert verify(subscription.secret, header, request.body)
    wait_for(
        lambda: WebhookDelivery.objects.filter(status="delivered").exists(),
        what="the delivery to be recorded",
    )
