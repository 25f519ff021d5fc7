"""flag_stalled_deals (docs/domain/stalls-and-forecast.md):
the stall rule at its edges, idempotence, races.

A deal is stalled when it is open, its stage has a threshold, and
now − max(stage entered at, last activity at) strictly exceeds threshold × 24 h; it is
stalled since max(…) + threshold. Each deal that *becomes* stalled notifies its owner once.
"""

import datetime
import threading

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from deals.models import Deal, DealEvent, LostReason, Notification
from deals.services.activities import activity_log
from deals.services.moves import deal_mark_lost, deal_mark_won, deal_move
from forecasting.services import stalls
from forecasting.services.stalls import deals_flag_stalled
from pipelines.models import Stage
from tests.factories import make_deal, reload

DAY = datetime.timedelta(days=1)
SECOND = datetime.timedelta(seconds=1)
THRESHOLD_DAYS = 3


def stalled_notices(deal: Deal) -> int:
    return Notification.objects.filter(deal=deal, kind="stalled").count()


def stalled_events(deal: Deal) -> int:
    return DealEvent.objects.filter(deal=deal, kind=DealEvent.Kind.STALLED).count()


@pytest.fixture
def entered():
    """When the test deals entered their stage: a whole second, well in the past."""
    return (timezone.now() - 30 * DAY).replace(microsecond=0)


@pytest.fixture
def stages(company):
    """Sales with a 3-day threshold on Prospecting and Qualification; none on the others."""
    stages = company.stages
    Stage.objects.filter(pk__in=[stages[0].pk, stages[1].pk]).update(
        stall_threshold_days=THRESHOLD_DAYS
    )
    return stages


def deal_in(stage: Stage, owner, entered: datetime.datetime, **fields) -> Deal:
    deal = make_deal(owner, stage.pipeline, stage, **fields)
    Deal.objects.filter(pk=deal.pk).update(stage_entered_at=entered)
    return reload(deal)


# --- the rule at its edges -------------------------------------------------------------


def test_exactly_at_the_threshold_a_deal_is_not_stalled(company, stages, entered):
    deal = deal_in(stages[0], company.rep1, entered)

    run = deals_flag_stalled(now=entered + THRESHOLD_DAYS * DAY)

    assert run.flagged == 0
    assert not reload(deal).is_stalled
    assert stalled_notices(deal) == 0


def test_one_second_past_the_threshold_a_deal_is_stalled_since_the_threshold(
    company, stages, entered
):
    deal = deal_in(stages[0], company.rep1, entered)

    run = deals_flag_stalled(now=entered + THRESHOLD_DAYS * DAY + SECOND)

    flagged = reload(deal)
    assert run.flagged == 1
    assert flagged.is_stalled
    assert flagged.stalled_since == entered + THRESHOLD_DAYS * DAY
    assert flagged.version == deal.version, "the job's flag is not a user write"
    assert flagged.updated_at > deal.updated_at, "live refresh must see the badge appear"


def test_a_stage_without_threshold_never_stalls(company, stages, entered):
    deal = deal_in(stages[2], company.rep1, entered - 1000 * DAY)

    deals_flag_stalled(now=timezone.now())

    assert not reload(deal).is_stalled


def test_a_done_activity_restarts_the_clock(company, stages, entered):
    deal = deal_in(stages[0], company.rep1, entered)
    activity_log(
        user=company.rep1, deal=deal, kind="call", subject="Call", done_at=entered + 2 * DAY
    )

    deals_flag_stalled(now=entered + (THRESHOLD_DAYS + 1) * DAY)
    assert not reload(deal).is_stalled

    deals_flag_stalled(now=entered + (2 + THRESHOLD_DAYS) * DAY + SECOND)
    flagged = reload(deal)
    assert flagged.is_stalled
    assert flagged.stalled_since == entered + (2 + THRESHOLD_DAYS) * DAY


def test_a_scheduled_activity_does_not_restart_the_clock(company, stages, entered):
    deal = deal_in(stages[0], company.rep1, entered)
    activity_log(
        user=company.rep1,
        deal=deal,
        kind="meeting",
        subject="Demo",
        done=False,
        due_at=entered + 2 * DAY,
    )

    deals_flag_stalled(now=entered + THRESHOLD_DAYS * DAY + SECOND)

    assert reload(deal).stalled_since == entered + THRESHOLD_DAYS * DAY


def test_a_move_restarts_the_clock_in_the_new_stage(company, stages, entered):
    deal = deal_in(stages[0], company.rep1, entered)
    deals_flag_stalled()
    assert reload(deal).is_stalled

    moved = deal_move(user=company.rep1, deal=reload(deal), stage=stages[1], version=None).deal

    assert not reload(deal).is_stalled
    deals_flag_stalled(now=moved.stage_entered_at + THRESHOLD_DAYS * DAY)
    assert not reload(deal).is_stalled
    deals_flag_stalled(now=moved.stage_entered_at + THRESHOLD_DAYS * DAY + SECOND)
    assert reload(deal).is_stalled


def test_won_and_lost_deals_are_never_stalled(company, stages, entered):
    won = deal_in(stages[0], company.rep1, entered)
    lost = deal_in(stages[0], company.rep1, entered)
    deal_mark_won(user=company.rep1, deal=won, version=None)
    reason = LostReason.objects.create(name="Price")
    deal_mark_lost(user=company.rep1, deal=lost, version=None, reason=reason)

    run = deals_flag_stalled(now=timezone.now() + 100 * DAY)

    assert run.flagged == 0
    assert not reload(won).is_stalled
    assert not reload(lost).is_stalled


# --- threshold changes and the safety net ----------------------------------------------


def test_a_raised_threshold_unflags_at_the_next_run(company, stages, entered):
    deal = deal_in(stages[0], company.rep1, entered)
    now = entered + 5 * DAY
    deals_flag_stalled(now=now)
    assert reload(deal).is_stalled

    Stage.objects.filter(pk=stages[0].pk).update(stall_threshold_days=10)
    run = deals_flag_stalled(now=now)

    assert run.corrected == 1
    unflagged = reload(deal)
    assert (unflagged.is_stalled, unflagged.stalled_since) == (False, None)


def test_a_removed_threshold_unflags_at_the_next_run(company, stages, entered):
    deal = deal_in(stages[0], company.rep1, entered)
    deals_flag_stalled()
    Stage.objects.filter(pk=stages[0].pk).update(stall_threshold_days=None)

    deals_flag_stalled()

    assert not reload(deal).is_stalled


def test_a_lowered_threshold_flags_and_redates_at_the_next_run(company, stages, entered):
    stalled = deal_in(stages[0], company.rep1, entered)
    fresh = deal_in(stages[0], company.rep1, entered + 5 * DAY)
    now = entered + 7 * DAY
    deals_flag_stalled(now=now)
    assert not reload(fresh).is_stalled

    Stage.objects.filter(pk=stages[0].pk).update(stall_threshold_days=1)
    run = deals_flag_stalled(now=now)

    assert (run.flagged, run.corrected) == (1, 1)
    assert reload(fresh).stalled_since == entered + 6 * DAY
    assert reload(stalled).stalled_since == entered + DAY
    assert stalled_notices(stalled) == 1, "re-dating is not becoming stalled again"


def test_a_closed_deal_left_flagged_is_unflagged(company, stages, entered):
    """Closing clears the flag; should a write ever miss it, the job repairs it."""
    deal = deal_in(stages[0], company.rep1, entered)
    deal_mark_won(user=company.rep1, deal=deal, version=None)
    Deal.objects.filter(pk=deal.pk).update(is_stalled=True, stalled_since=entered)

    deals_flag_stalled()

    assert not reload(deal).is_stalled


# --- notifying once --------------------------------------------------------------------


def test_the_owner_is_notified_once_with_a_timeline_event(company, stages, entered):
    deal = deal_in(stages[0], company.rep1, entered, title="Acme rollout")

    deals_flag_stalled()

    notice = Notification.objects.get(deal=deal)
    assert notice.recipient == company.rep1
    assert notice.kind == "stalled"
    assert "Acme rollout" in notice.text
    event = DealEvent.objects.get(deal=deal, kind=DealEvent.Kind.STALLED)
    assert event.user is None


def test_a_rerun_notifies_nobody_twice(company, stages, entered):
    deal = deal_in(stages[0], company.rep1, entered)

    deals_flag_stalled()
    rerun = deals_flag_stalled()

    assert rerun.flagged == 0
    assert (stalled_notices(deal), stalled_events(deal)) == (1, 1)


def test_a_deal_that_stalls_again_after_a_move_notifies_again(company, stages, entered):
    deal = deal_in(stages[0], company.rep1, entered)
    deals_flag_stalled()
    moved = deal_move(user=company.rep1, deal=reload(deal), stage=stages[1], version=None).deal

    deals_flag_stalled(now=moved.stage_entered_at + (THRESHOLD_DAYS + 1) * DAY)

    assert stalled_notices(deal) == 2


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_runs_notify_each_newly_stalled_deal_once(company, stages, entered):
    deals = [deal_in(stages[0], owner, entered) for owner in (company.rep1, company.rep2) * 10]
    barrier = threading.Barrier(2)
    runs, errors = [], []

    def run_job():
        try:
            barrier.wait(timeout=10)
            runs.append(deals_flag_stalled())
        except Exception as error:  # reported by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run_job) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    assert sum(run.flagged for run in runs) == len(deals)
    assert Notification.objects.filter(kind="stalled").count() == len(deals)
    assert DealEvent.objects.filter(kind=DealEvent.Kind.STALLED).count() == len(deals)
    assert all(stalled_notices(deal) == 1 for deal in deals)


def test_a_large_backlog_is_flagged_in_batches_and_emailed_once_per_owner(
    company, stages, entered, settings, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(stalls, "FLAG_BATCH", 3)
    settings.EMAIL_NOTIFICATIONS = True
    deals = [deal_in(stages[0], company.rep1, entered) for _ in range(7)]

    with django_capture_on_commit_callbacks(execute=True):
        run = deals_flag_stalled()

    assert run.flagged == 7
    assert all(stalled_notices(deal) == 1 for deal in deals)
    assert [message.to for message in mail.outbox] == [["rep1@example.com"]]


# --- email -----------------------------------------------------------------------------


def test_with_email_configured_each_owner_gets_one_email_per_run(
    company, stages, entered, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_NOTIFICATIONS = True
    deal_in(stages[0], company.rep1, entered, title="Acme rollout")
    deal_in(stages[1], company.rep1, entered, title="Globex pilot")
    deal_in(stages[0], company.rep2, entered, title="Initech renewal")

    with django_capture_on_commit_callbacks(execute=True):
        deals_flag_stalled()

    by_recipient = {message.to[0]: message for message in mail.outbox}
    assert sorted(by_recipient) == ["rep1@example.com", "rep2@example.com"]
    assert "Acme rollout" in by_recipient["rep1@example.com"].body
    assert "Globex pilot" in by_recipient["rep1@example.com"].body
    assert "Acme rollout" not in by_recipient["rep2@example.com"].body


def test_without_email_configured_only_in_app(
    company, stages, entered, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_NOTIFICATIONS = False
    deal = deal_in(stages[0], company.rep1, entered)

    with django_capture_on_commit_callbacks(execute=True):
        deals_flag_stalled()

    assert mail.outbox == []
    assert stalled_notices(deal) == 1


def test_a_mail_failure_is_logged_and_the_flag_and_notification_stay(
    company, stages, entered, settings, django_capture_on_commit_callbacks, caplog
):
    settings.EMAIL_NOTIFICATIONS = True
    # Nothing listens on port 1: the SMTP connection is refused.
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": 1, "timeout": 2},
        }
    }
    deal = deal_in(stages[0], company.rep1, entered)

    with django_capture_on_commit_callbacks(execute=True):
        run = deals_flag_stalled()

    assert run.flagged == 1
    assert reload(deal).is_stalled
    assert stalled_notices(deal) == 1
    assert "Could not email 1 notification(s)" in caplog.text


# --- cost ------------------------------------------------------------------------------


def _stalled_column(owner, stage: Stage, n: int, entered: datetime.datetime) -> None:
    """``n`` open deals that entered ``stage`` at ``entered`` (bulk: only the count matters)."""
    start = Deal.objects.filter(stage=stage, status=Deal.Status.OPEN).count()
    Deal.objects.bulk_create(
        Deal(
            title=f"Bulk {i}",
            pipeline=stage.pipeline,
            stage=stage,
            owner=owner,
            position=start + i,
            stage_entered_at=entered,
        )
        for i in range(n)
    )


def _job_queries(n: int, company, stages, entered) -> int:
    Deal.objects.all().delete()
    _stalled_column(company.rep1, stages[0], n, entered)
    with CaptureQueriesContext(connection) as queries:
        run = deals_flag_stalled()
    assert run.flagged == n
    return len(queries)


def test_the_number_of_statements_does_not_grow_with_the_number_of_deals(company, stages, entered):
    # SELECT thresholds; SAVEPOINT; UPDATE … RETURNING (flag); INSERT events;
    # SELECT the owners' languages; INSERT notifications; UPDATE (un-flag / re-date);
    # RELEASE SAVEPOINT
    assert _job_queries(10, company, stages, entered) == 8
    assert _job_queries(300, company, stages, entered) == 8
