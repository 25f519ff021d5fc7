"""Stage automations run as "automation" through the deals' services (docs/domain/webhooks.md)."""

import datetime
import logging

import pytest
from django.core import mail
from django.utils import timezone

from deals.models import Activity, Deal, DealEvent, Notification
from deals.services.moves import deal_mark_won as mark_won
from deals.services.moves import deal_move, deal_reopen
from deals.timeline import deal_timeline
from integrations import automations
from integrations.automations import business_days_later, due_at, run_automations
from integrations.dispatch import dispatch_events
from integrations.models import StageAutomation, WebhookDelivery, WebhookSubscription
from pipelinecrm.calendar import company_today
from pipelines.models import ActivityKind
from tests.factories import make_deal

CONTRACT = 5  # "Contract sent" in the Sales pipeline of tests/factories.py


def dispatch() -> None:
    """The dispatcher's run (the Celery task's body): webhooks, automations, marks."""
    dispatch_events()


@pytest.fixture
def contract(company):
    return company.stages[CONTRACT]


def automation(stage, action, **fields) -> StageAutomation:
    return StageAutomation.objects.create(stage=stage, action=action, **fields)


def call_automation(stage, days=2, subject="Call about the contract", **extra):
    return automation(
        stage,
        StageAutomation.Action.CREATE_ACTIVITY,
        activity_kind=ActivityKind.CALL,
        activity_subject=subject,
        due_in_business_days=days,
        **extra,
    )


def move(company, deal, stage):
    deal.refresh_from_db()
    return deal_move(user=company.rep1, deal=deal, stage=stage, version=deal.version)


def test_a_move_into_the_stage_creates_the_activity_for_the_owner(company, deal, contract):
    call_automation(contract, days=2)
    dispatch()  # the deal's creation, in another stage: nothing to do

    move(company, deal, contract)
    dispatch()

    (activity,) = Activity.objects.filter(deal=deal)
    assert activity.owner == company.rep1
    assert activity.kind == ActivityKind.CALL
    assert activity.subject == "Call about the contract"
    assert activity.done_at is None
    due = timezone.localtime(activity.due_at, timezone.get_default_timezone())
    assert due.date() == business_days_later(company_today(), 2)
    assert (due.hour, due.minute) == (9, 0)


def test_each_entering_runs_once(company, deal, contract):
    call_automation(contract)
    move(company, deal, contract)
    dispatch()
    dispatch()

    assert Activity.objects.filter(deal=deal).count() == 1


def test_an_entering_by_creation_and_by_reopening_runs_too(company, contract):
    call_automation(contract)
    deal = make_deal(company.rep1, company.sales, contract, title="Born in contract")
    dispatch()
    assert Activity.objects.filter(deal=deal).count() == 1

    deal.refresh_from_db()
    mark_won(user=company.rep1, deal=deal, version=None, override_reason="")
    deal.refresh_from_db()
    deal_reopen(user=company.rep1, deal=deal, version=None)
    dispatch()
    assert Activity.objects.filter(deal=deal).count() == 2


def test_other_stages_and_inactive_automations_do_nothing(company, deal, contract):
    call_automation(company.stages[1])
    inactive = call_automation(contract)
    inactive.is_active = False
    inactive.save()

    move(company, deal, contract)
    dispatch()

    assert not Activity.objects.filter(deal=deal).exists()


def test_a_deal_that_moved_on_before_the_dispatcher_is_skipped(company, deal, contract):
    call_automation(company.stages[1])
    move(company, deal, company.stages[1])
    move(company, deal, contract)
    dispatch()

    assert not Activity.objects.filter(deal=deal).exists()


@pytest.mark.parametrize(
    ("today", "days", "due"),
    [
        (datetime.date(2026, 12, 4), 1, datetime.date(2026, 12, 7)),  # Friday → Monday
        (datetime.date(2026, 12, 4), 0, datetime.date(2026, 12, 4)),  # Friday, same day
        (datetime.date(2026, 12, 5), 0, datetime.date(2026, 12, 7)),  # Saturday → Monday
        (datetime.date(2026, 12, 3), 2, datetime.date(2026, 12, 7)),  # Thursday → Monday
        (datetime.date(2026, 12, 7), 5, datetime.date(2026, 12, 14)),  # a week
    ],
)
def test_business_days_skip_the_weekend(today, days, due):
    assert business_days_later(today, days) == due


def test_due_time_is_nine_in_the_company_time_zone(settings):
    settings.TIME_ZONE = "Europe/Berlin"
    friday_evening = datetime.datetime(2026, 12, 4, 22, 30, tzinfo=datetime.UTC)  # 23:30 Berlin

    due = due_at(1, now=friday_evening)

    berlin = timezone.get_default_timezone()
    assert due == datetime.datetime(2026, 12, 7, 9, 0, tzinfo=berlin)


def test_the_timeline_says_automation(company, deal, contract):
    call_automation(contract, subject="Call about the contract")
    move(company, deal, contract)
    dispatch()

    activities = list(Activity.objects.filter(deal=deal))
    sentences = [entry.sentence for entry in deal_timeline(deal=deal, activities=activities)]
    assert any(
        s.startswith("Automation “Contract sent: Call about the contract” scheduled a call for ")
        for s in sentences
    ), sentences
    event = DealEvent.objects.get(deal=deal, kind=DealEvent.Kind.ACTIVITY_LOGGED)
    assert event.user == company.rep1  # with the owner's rights
    assert event.data["automation"]["id"] == StageAutomation.objects.get().pk


def test_probability_is_set_as_the_automation(company, deal, contract):
    automation(contract, StageAutomation.Action.SET_PROBABILITY, probability=95)
    move(company, deal, contract)
    dispatch()

    deal.refresh_from_db()
    assert deal.probability_override == 95
    edited = DealEvent.objects.get(deal=deal, kind=DealEvent.Kind.EDITED)
    assert edited.data["field"] == "probability_override"
    assert edited.data["automation"]["name"] == "Contract sent: Set the deal's probability"
    (entry,) = [e for e in deal_timeline(deal=deal, activities=[]) if e.kind == "edited"]
    assert entry.actor == "Automation “Contract sent: Set the deal's probability”"


def test_the_manager_is_notified_in_their_language(
    company, deal, contract, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_NOTIFICATIONS = True
    company.manager.language = "de"
    company.manager.save()
    automation(contract, StageAutomation.Action.NOTIFY_MANAGER)
    move(company, deal, contract)

    with django_capture_on_commit_callbacks(execute=True):
        dispatch()

    (notice,) = Notification.objects.filter(kind="automation")
    assert notice.recipient == company.manager  # North's manager, not South's
    assert notice.deal_id == deal.pk
    assert notice.text == "„Acme renewal“ von Rep1 Test ist jetzt in der Phase Contract sent."
    (email,) = mail.outbox
    assert email.to == [company.manager.email]
    assert email.subject == "PipelineCRM: Ein Deal hat eine Phase erreicht"
    assert notice.text in email.body


def test_send_webhook_queues_the_entering_event_even_if_not_subscribed(company, deal, contract):
    subscription = WebhookSubscription.objects.create(
        name="ERP", url="https://erp.example.com/hook", events=["deal.won"]
    )
    automation(contract, StageAutomation.Action.SEND_WEBHOOK, subscription=subscription)
    move(company, deal, contract)
    dispatch()

    (delivery,) = WebhookDelivery.objects.filter(subscription=subscription)
    assert delivery.event_type == "deal.moved"
    assert delivery.deal_id == deal.pk
    assert delivery.deal_event.kind == DealEvent.Kind.MOVED


def test_a_failing_automation_is_logged_and_the_others_run(
    company, deal, contract, caplog, monkeypatch
):
    # A real failure: an activity kind the service refuses (the designer's form would).
    broken = automation(
        contract,
        StageAutomation.Action.CREATE_ACTIVITY,
        activity_kind="fax",
        activity_subject="Fax it",
        due_in_business_days=1,
        position=0,
    )
    automation(contract, StageAutomation.Action.SET_PROBABILITY, probability=95, position=1)
    call_automation(contract, position=2)
    move(company, deal, contract)

    with caplog.at_level(logging.ERROR, logger=automations.__name__):
        dispatch()

    deal.refresh_from_db()
    assert deal.probability_override == 95
    assert list(Activity.objects.filter(deal=deal).values_list("subject", flat=True)) == [
        "Call about the contract"
    ]
    assert f"Stage automation {broken.pk} failed" in caplog.text
    moved = DealEvent.objects.get(deal=deal, kind=DealEvent.Kind.MOVED)
    assert moved.dispatched_at is not None


def test_an_automation_never_moves_the_deal(company, deal, contract):
    call_automation(contract)
    automation(contract, StageAutomation.Action.SET_PROBABILITY, probability=10)
    automation(contract, StageAutomation.Action.NOTIFY_MANAGER)
    move(company, deal, contract)
    deal.refresh_from_db()
    before = (deal.stage_id, deal.position, deal.status)

    dispatch()

    deal.refresh_from_db()
    assert (deal.stage_id, deal.position, deal.status) == before
    assert deal.status == Deal.Status.OPEN
    assert DealEvent.objects.filter(deal=deal, kind=DealEvent.Kind.MOVED).count() == 1


def test_the_automations_of_a_batch_take_few_queries(
    company, contract, django_assert_max_num_queries
):
    automation(contract, StageAutomation.Action.SET_PROBABILITY, probability=95)
    deals = [make_deal(company.rep1, company.sales, company.stages[0]) for _ in range(3)]
    for deal in deals:
        move(company, deal, contract)
    events = list(DealEvent.objects.filter(kind=DealEvent.Kind.MOVED))

    # Stage changes, automations, deals: 3 in all; then per deal a savepoint and the
    # update service's own statements, never a query per automation and event pair.
    with django_assert_max_num_queries(3 + 3 * 10):
        run_automations(events)

    assert Deal.objects.filter(probability_override=95).count() == 3
