"""Activities and the deal's last activity (docs/domain/deals.md).

A done activity sets the deal's ``last_activity_at`` (the latest ``done_at``, never in the
future) and clears its stalled flag in the same transaction; undoing or deleting one
recomputes it; scheduling one changes neither.
"""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from deals.models import Activity, Deal, DealEvent
from deals.services.activities import activity_delete, activity_log, activity_set_done
from pipelinecrm.exceptions import Forbidden, VersionConflict
from tests.factories import make_deal, reload

HOUR = datetime.timedelta(hours=1)


@pytest.fixture
def deal(deal):
    """rep1's deal, flagged stalled by the job two days ago."""
    Deal.objects.filter(pk=deal.pk).update(
        is_stalled=True, stalled_since=timezone.now() - 48 * HOUR
    )
    return reload(deal)


# --- logging ---------------------------------------------------------------------------


def test_logging_a_done_activity_sets_last_activity_and_clears_the_stalled_flag(company, deal):
    before, version = timezone.now(), deal.version

    activity = activity_log(
        user=company.rep1, deal=deal, kind="call", subject="  Intro call  ", version=version
    )

    logged = reload(deal)
    assert activity.done_at >= before
    assert activity.owner == company.rep1
    assert activity.subject == "Intro call"
    assert logged.last_activity_at == activity.done_at
    assert (logged.is_stalled, logged.stalled_since) == (False, None)
    assert logged.version == version + 1
    event = DealEvent.objects.get(deal=deal, kind=DealEvent.Kind.ACTIVITY_LOGGED)
    assert (event.user, event.data) == (
        company.rep1,
        {"activity": activity.pk, "kind": "call", "subject": "Intro call", "done": True},
    )


def test_logging_an_activity_done_earlier_keeps_the_later_last_activity(company, deal):
    recent = activity_log(user=company.rep1, deal=deal, kind="call", subject="Today")

    activity_log(
        user=company.rep1,
        deal=reload(deal),
        kind="meeting",
        subject="Last week's meeting, logged late",
        done_at=timezone.now() - 7 * 24 * HOUR,
    )

    assert reload(deal).last_activity_at == recent.done_at


def test_logging_from_a_deal_read_before_a_later_activity_keeps_the_later_one(company, deal):
    read_earlier = reload(deal)  # e.g. a page opened before a colleague logged a call
    recent = activity_log(user=company.rep1, deal=deal, kind="call", subject="Today")

    activity_log(
        user=company.rep1,
        deal=read_earlier,
        kind="note",
        subject="Yesterday's note",
        done_at=timezone.now() - 24 * HOUR,
    )

    assert reload(deal).last_activity_at == recent.done_at


def test_last_activity_is_never_in_the_future(company, deal):
    past = activity_log(
        user=company.rep1, deal=deal, kind="call", subject="Call", done_at=timezone.now() - HOUR
    )

    # A clock a little ahead is accepted (far ahead is refused: test_future_activities.py),
    # but last activity still does not move into the future.
    activity_log(
        user=company.rep1,
        deal=reload(deal),
        kind="meeting",
        subject="Clock ahead",
        done_at=timezone.now() + datetime.timedelta(minutes=2),
    )

    assert reload(deal).last_activity_at == past.done_at


def test_scheduling_an_activity_touches_neither_last_activity_nor_the_stalled_flag(company, deal):
    activity = activity_log(
        user=company.rep1,
        deal=deal,
        kind="meeting",
        subject="Demo",
        done=False,
        due_at=timezone.now() + 24 * HOUR,
        version=deal.version,
    )

    scheduled = reload(deal)
    assert activity.done_at is None
    assert scheduled.last_activity_at is None
    assert scheduled.is_stalled is True
    event = DealEvent.objects.get(deal=deal, kind=DealEvent.Kind.ACTIVITY_LOGGED)
    assert event.data["done"] is False


def test_logging_with_a_stale_version_is_a_conflict_and_saves_nothing(company, deal):
    Deal.objects.filter(pk=deal.pk).update(version=deal.version + 1)

    with pytest.raises(VersionConflict):
        activity_log(
            user=company.rep1, deal=deal, kind="call", subject="Call", version=deal.version
        )

    assert not Activity.objects.exists()
    assert reload(deal).is_stalled is True
    assert not DealEvent.objects.filter(deal=deal, kind=DealEvent.Kind.ACTIVITY_LOGGED)


@pytest.mark.parametrize(("kind", "subject"), [("lunch", "Lunch"), ("call", ""), ("call", "   ")])
def test_activity_needs_a_known_kind_and_a_subject(company, deal, kind, subject):
    with pytest.raises(ValidationError):
        activity_log(user=company.rep1, deal=deal, kind=kind, subject=subject)

    assert not Activity.objects.exists()
    assert reload(deal).version == deal.version


def test_teammate_who_can_only_see_the_deal_cannot_log_on_it(company):
    deal = make_deal(company.rep2, company.sales)

    with pytest.raises(Forbidden):
        activity_log(user=company.rep1, deal=deal, kind="call", subject="Call")

    assert not Activity.objects.exists()


# --- completing, undoing, deleting -----------------------------------------------------


@pytest.fixture
def scheduled(company, deal):
    return activity_log(
        user=company.rep1,
        deal=deal,
        kind="meeting",
        subject="Demo",
        done=False,
        due_at=timezone.now() + HOUR,
    )


def test_completing_a_scheduled_activity_sets_last_activity_and_clears_stalled(
    company, deal, scheduled
):
    version = reload(deal).version

    activity_set_done(user=company.rep1, activity=scheduled, done=True)

    completed = reload(deal)
    scheduled.refresh_from_db()
    assert scheduled.done_at is not None
    assert completed.last_activity_at == scheduled.done_at
    assert (completed.is_stalled, completed.stalled_since) == (False, None)
    assert completed.version == version + 1
    assert DealEvent.objects.filter(deal=deal, kind=DealEvent.Kind.ACTIVITY_LOGGED).count() == 2


def test_completing_a_done_activity_changes_nothing(company, deal):
    activity = activity_log(user=company.rep1, deal=deal, kind="call", subject="Call")
    done = reload(deal)

    activity_set_done(user=company.rep1, activity=activity, done=True)

    assert reload(deal).version == done.version
    assert reload(deal).last_activity_at == done.last_activity_at


def test_undoing_an_activity_recomputes_last_activity(company, deal):
    earlier = activity_log(
        user=company.rep1, deal=deal, kind="call", subject="Call", done_at=timezone.now() - HOUR
    )
    latest = activity_log(user=company.rep1, deal=reload(deal), kind="meeting", subject="Demo")
    version = reload(deal).version

    activity_set_done(user=company.rep1, activity=latest, done=False)

    assert reload(deal).last_activity_at == earlier.done_at
    assert reload(deal).version == version + 1
    activity_set_done(user=company.rep1, activity=earlier, done=False)
    assert reload(deal).last_activity_at is None


def test_deleting_an_activity_recomputes_last_activity(company, deal, scheduled):
    earlier = activity_log(
        user=company.rep1, deal=deal, kind="call", subject="Call", done_at=timezone.now() - HOUR
    )
    latest = activity_log(user=company.rep1, deal=reload(deal), kind="meeting", subject="Demo")

    activity_delete(user=company.rep1, activity=scheduled)
    assert reload(deal).last_activity_at == latest.done_at

    activity_delete(user=company.rep1, activity=latest)
    assert reload(deal).last_activity_at == earlier.done_at

    activity_delete(user=company.rep1, activity=earlier)
    assert reload(deal).last_activity_at is None
    assert not Activity.objects.filter(deal=deal).exists()


def test_teammate_who_can_only_see_the_deal_cannot_complete_or_delete_its_activities(company):
    deal = make_deal(company.rep2, company.sales)
    activity = activity_log(user=company.rep2, deal=deal, kind="call", subject="Call", done=False)

    with pytest.raises(Forbidden):
        activity_set_done(user=company.rep1, activity=activity, done=True)
    with pytest.raises(Forbidden):
        activity_delete(user=company.rep1, activity=activity)

    activity.refresh_from_db()
    assert activity.done_at is None
