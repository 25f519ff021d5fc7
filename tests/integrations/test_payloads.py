"""The JSON of each event type (docs/domain/webhooks.md, "The JSON")."""

import datetime

import pytest
from django.utils import timezone

from deals.models import Deal, LostReason
from deals.services.activities import activity_log, activity_set_done
from deals.services.checklist import checklist_item_check, checklist_item_uncheck
from deals.services.editing import deal_reassign, deal_update
from deals.services.moves import deal_mark_lost, deal_mark_won, deal_move, deal_reopen
from forecasting.services.stalls import deals_flag_stalled
from integrations.delivery import send_deliveries
from integrations.dispatch import dispatch_events
from integrations.models import EventType, WebhookDelivery
from pipelines.models import ActivityKind, Stage
from tests import factories


@pytest.fixture
def everything(company, subscribe):
    return subscribe("https://hooks.example.com/crm")


def payloads(event_type: str) -> list[dict]:
    return [d.payload for d in WebhookDelivery.objects.filter(event_type=event_type).order_by("id")]


def test_a_created_deal_is_sent_as_the_api_answers_it(company, everything, api):
    deal = factories.make_deal(company.rep1, company.sales, title="Acme rollout")

    dispatch_events()

    [payload] = payloads(EventType.DEAL_CREATED)
    answer = api(company.admin).get(f"/api/v1/deals/{deal.pk}/").json()
    assert payload["deal"] == answer
    assert payload["type"] == "deal.created"
    assert payload["actor"] == {
        "id": company.rep1.pk,
        "username": "rep1",
        "name": company.rep1.display_name,
    }
    assert (
        payload["data"] == {"stage": {"id": company.stages[0].pk, "name": "Lead"}}
        or payload["data"]["stage"]["id"] == company.stages[0].pk
    )
    assert datetime.datetime.fromisoformat(payload["occurred_at"]) <= timezone.now()
    delivery = WebhookDelivery.objects.get()
    assert payload["id"] == str(delivery.event_id)
    assert delivery.deal_id == deal.pk


def test_a_move_names_both_stages_and_the_override_reason(company, everything):
    first, second = company.stages[0], company.stages[1]
    factories.make_item(first, text="Budget confirmed")
    deal = factories.make_deal(company.rep1, company.sales, first)

    deal_move(
        user=company.manager,
        deal=deal,
        stage=second,
        version=None,
        override_reason="The customer confirmed by phone",
    )
    dispatch_events()

    [payload] = payloads(EventType.DEAL_MOVED)
    assert payload["data"] == {
        "from_stage": {"id": first.pk, "name": first.name},
        "to_stage": {"id": second.pk, "name": second.name},
        "override_reason": "The customer confirmed by phone",
    }
    assert payload["deal"]["stage"] == second.pk
    assert payload["actor"]["username"] == "manager"


def test_a_move_without_override_has_no_reason(company, everything):
    deal = factories.make_deal(company.rep1, company.sales, company.stages[0])

    deal_move(user=company.rep1, deal=deal, stage=company.stages[2], version=None)
    dispatch_events()

    [payload] = payloads(EventType.DEAL_MOVED)
    assert payload["data"]["override_reason"] is None
    assert payload["data"]["to_stage"]["id"] == company.stages[2].pk


def test_edits_and_reassignments_are_updates_with_the_change(company, everything):
    deal = factories.make_deal(company.rep1, company.sales, title="Old")

    deal = deal_update(user=company.rep1, deal=deal, version=None, title="New")
    deal_reassign(user=company.manager, deal=deal, new_owner=company.rep2, version=None)
    dispatch_events()

    edited, reassigned = payloads(EventType.DEAL_UPDATED)
    assert edited["data"] == {"changes": [{"field": "title", "old": "Old", "new": "New"}]}
    assert reassigned["data"] == {"changes": [{"field": "owner", "old": "rep1", "new": "rep2"}]}
    assert reassigned["actor"]["username"] == "manager"
    assert reassigned["deal"]["owner"] == company.rep2.pk


def test_won_lost_and_reopened(company, everything):
    won = factories.make_deal(company.rep1, company.sales)
    lost = factories.make_deal(company.rep1, company.sales)
    reason = LostReason.objects.create(name="Price")

    deal_mark_won(user=company.rep1, deal=won, version=None)
    deal_mark_lost(user=company.rep1, deal=lost, version=None, reason=reason, note="Too dear")
    deal_reopen(user=company.rep1, deal=Deal.objects.get(pk=lost.pk), version=None)
    dispatch_events()

    [won_payload] = payloads(EventType.DEAL_WON)
    assert won_payload["deal"]["id"] == won.pk
    assert won_payload["deal"]["status"] == "won"
    [lost_payload] = payloads(EventType.DEAL_LOST)
    assert lost_payload["data"]["reason"] == "Price"
    assert lost_payload["data"]["note"] == "Too dear"
    [reopened] = payloads(EventType.DEAL_REOPENED)
    assert reopened["data"]["was"] == "lost"
    assert reopened["data"]["stage"]["id"] == lost.stage_id
    # The deal as it is when dispatched: open again.
    assert reopened["deal"]["status"] == "open"


def test_a_stalled_deal(company, everything):
    stage = company.stages[0]
    Stage.objects.filter(pk=stage.pk).update(stall_threshold_days=3)
    deal = factories.make_deal(company.rep1, company.sales, stage)
    Deal.objects.filter(pk=deal.pk).update(
        stage_entered_at=timezone.now() - datetime.timedelta(days=30)
    )

    deals_flag_stalled()
    dispatch_events()

    [payload] = payloads(EventType.DEAL_STALLED)
    assert payload["actor"] is None  # the system
    assert payload["deal"]["is_stalled"] is True
    assert payload["data"]["stalled_since"]


def test_activities_created_and_done(company, everything):
    deal = factories.make_deal(company.rep1, company.sales)
    planned = activity_log(
        user=company.rep1,
        deal=deal,
        kind=ActivityKind.CALL,
        subject="Call back",
        done=False,
        due_at=timezone.now() + datetime.timedelta(days=1),
    )
    logged = activity_log(user=company.rep1, deal=deal, kind=ActivityKind.MEETING, subject="Demo")
    activity_set_done(user=company.rep1, activity=planned, done=True)
    dispatch_events()

    created = payloads(EventType.ACTIVITY_CREATED)
    done = payloads(EventType.ACTIVITY_DONE)
    # The planned one created; the logged done one both created and done; the planned
    # one marked done later.
    assert [p["data"]["activity"]["id"] for p in created] == [planned.pk, logged.pk]
    assert [p["data"]["activity"]["id"] for p in done] == [logged.pk, planned.pk]
    assert created[0]["data"]["activity"]["subject"] == "Call back"
    assert created[0]["data"]["activity"]["kind"] == ActivityKind.CALL
    assert done[1]["data"]["activity"]["done_at"] is not None


def test_checklist_ticked_and_unticked(company, everything):
    stage = company.stages[0]
    item = factories.make_item(stage, text="Budget confirmed")
    deal = factories.make_deal(company.rep1, company.sales, stage)

    deal = checklist_item_check(user=company.rep1, deal=deal, item=item, version=None)
    checklist_item_uncheck(user=company.rep1, deal=deal, item=item, version=None)
    dispatch_events()

    [ticked] = payloads(EventType.CHECKLIST_TICKED)
    [unticked] = payloads(EventType.CHECKLIST_UNTICKED)
    expected = {
        "item": {"id": item.pk, "text": "Budget confirmed"},
        "stage": {"id": stage.pk, "name": stage.name},
    }
    assert ticked["data"] == unticked["data"] == expected


def test_a_subscription_gets_only_its_types_and_its_pipeline(company, subscribe):
    moves = subscribe("https://a.example.com/", events=[EventType.DEAL_MOVED], name="Moves")
    renewals = subscribe(
        "https://b.example.com/", events=[EventType.DEAL_CREATED], pipeline=company.private
    )
    deal = factories.make_deal(company.rep1, company.sales, company.stages[0])
    renewal = factories.make_deal(company.rep1, company.private)
    deal_move(user=company.rep1, deal=deal, stage=company.stages[1], version=None)

    dispatch_events()

    assert list(
        WebhookDelivery.objects.values_list("subscription_id", "event_type", "deal_id").order_by(
            "id"
        )
    ) == [(renewals.pk, "deal.created", renewal.pk), (moves.pk, "deal.moved", deal.pk)]


def test_paused_and_inactive_subscriptions_get_nothing(company, subscribe):
    paused = subscribe("https://a.example.com/")
    paused.paused_at = timezone.now()
    paused.save()
    inactive = subscribe("https://b.example.com/")
    inactive.is_active = False
    inactive.save()

    factories.make_deal(company.rep1, company.sales)
    dispatch_events()

    assert not WebhookDelivery.objects.exists()


def test_the_dispatcher_marks_every_event_and_takes_each_once(company, everything):
    deal = factories.make_deal(company.rep1, company.sales)
    deal_update(user=company.rep1, deal=deal, version=None, title="Renamed")

    assert dispatch_events() == 2
    assert dispatch_events() == 0
    assert WebhookDelivery.objects.count() == 2
    assert not deal.events.filter(dispatched_at__isnull=True).exists()


def test_what_is_sent_is_the_stored_payload(company, receiver, subscribe):
    subscribe(receiver.url)
    factories.make_deal(company.rep1, company.sales, title="Café Ünïcode")
    dispatch_events()

    send_deliveries()

    [request] = receiver.requests
    assert request.json == WebhookDelivery.objects.get().payload
    assert "Café Ünïcode".encode() in request.body  # UTF-8, not escaped
