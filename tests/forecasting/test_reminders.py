"""remind_activities and reassignment notices
(docs/domain/stalls-and-forecast.md): who is told what, once."""

import datetime

import pytest
from django.core import mail
from django.utils import timezone

from deals.models import Activity, Notification
from deals.services.activities import activity_log
from deals.services.editing import deal_reassign
from deals.services.notifications import deal_notify_reassigned
from forecasting.services.reminders import activities_remind

MINUTE = datetime.timedelta(minutes=1)


@pytest.fixture
def deal_title():
    return "Acme rollout"


@pytest.fixture
def now():
    return timezone.now()


def scheduled(deal, owner, due_at, subject="Demo call") -> Activity:
    return activity_log(
        user=owner, deal=deal, kind="call", subject=subject, done=False, due_at=due_at
    )


def notices(kind: str) -> list[Notification]:
    return list(Notification.objects.filter(kind=kind))


# --- due soon --------------------------------------------------------------------------


def test_an_activity_due_within_15_minutes_reminds_its_owner_once(company, deal, now):
    activity = scheduled(deal, company.rep1, now + 10 * MINUTE)

    first = activities_remind(now=now)
    rerun = activities_remind(now=now + MINUTE)

    assert (first.due_soon, rerun.due_soon) == (1, 0)
    (notice,) = notices("activity_due")
    assert notice.recipient == company.rep1
    assert notice.deal == deal
    assert "Call “Demo call” on “Acme rollout” is due at" in notice.text
    assert Activity.objects.get(pk=activity.pk).reminded_at is not None


def test_an_activity_due_later_is_not_reminded_yet(company, deal, now):
    scheduled(deal, company.rep1, now + 16 * MINUTE)

    assert activities_remind(now=now).due_soon == 0
    assert activities_remind(now=now + 2 * MINUTE).due_soon == 1


def test_a_done_activity_is_never_reminded(company, deal, now):
    activity = scheduled(deal, company.rep1, now + 5 * MINUTE)
    Activity.objects.filter(pk=activity.pk).update(done_at=now)

    run = activities_remind(now=now + 10 * MINUTE)

    assert (run.due_soon, run.overdue) == (0, 0)


# --- overdue ---------------------------------------------------------------------------


def test_an_activity_that_becomes_overdue_notifies_once_more(company, deal, now):
    scheduled(deal, company.rep1, now + 5 * MINUTE)
    activities_remind(now=now)

    run = activities_remind(now=now + 6 * MINUTE)
    rerun = activities_remind(now=now + 11 * MINUTE)

    assert (run.overdue, rerun.overdue) == (1, 0)
    (notice,) = notices("activity_overdue")
    assert "is overdue since" in notice.text
    assert len(notices("activity_due")) == 1


def test_long_overdue_activities_are_not_announced(company, deal, now):
    scheduled(deal, company.rep1, now - 2 * datetime.timedelta(days=1))

    assert activities_remind(now=now).overdue == 0


def test_the_activity_owner_is_told_even_on_someone_elses_deal(company, deal, now):
    scheduled(deal, company.manager, now + 5 * MINUTE)

    activities_remind(now=now)

    assert [n.recipient for n in notices("activity_due")] == [company.manager]


def test_reminders_are_emailed_when_email_is_configured(
    company, deal, now, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_NOTIFICATIONS = True
    scheduled(deal, company.rep1, now + 5 * MINUTE, subject="Demo call")
    scheduled(deal, company.rep1, now + 8 * MINUTE, subject="Pricing call")

    with django_capture_on_commit_callbacks(execute=True):
        activities_remind(now=now)

    (email,) = mail.outbox
    assert email.to == ["rep1@example.com"]
    assert "Demo call" in email.body
    assert "Pricing call" in email.body


# --- reassignment ----------------------------------------------------------------------


def test_the_new_owner_is_told_once(company, deal):
    deal_reassign(user=company.manager, deal=deal, new_owner=company.rep2, version=None)

    assert deal_notify_reassigned(deal_id=deal.pk, new_owner_id=company.rep2.pk)
    assert not deal_notify_reassigned(deal_id=deal.pk, new_owner_id=company.rep2.pk)

    (notice,) = notices("reassigned")
    assert (notice.recipient, notice.deal) == (company.rep2, deal)
    assert notice.text == "“Acme rollout” was reassigned to you by Manager Test."


def test_nobody_is_told_about_a_deal_that_changed_hands_again(company, deal):
    deal_reassign(user=company.manager, deal=deal, new_owner=company.rep2, version=None)
    deal_reassign(user=company.manager, deal=deal, new_owner=company.rep1, version=None)

    assert not deal_notify_reassigned(deal_id=deal.pk, new_owner_id=company.rep2.pk)
    assert deal_notify_reassigned(deal_id=deal.pk, new_owner_id=company.rep1.pk)
    assert [n.recipient for n in notices("reassigned")] == [company.rep1]


def test_nobody_is_told_about_a_deleted_deal(company, deal):
    deal_id = deal.pk
    deal.delete()

    assert not deal_notify_reassigned(deal_id=deal_id, new_owner_id=company.rep2.pk)
