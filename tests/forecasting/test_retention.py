"""Retention (docs/hardening/operations.md): old snapshots thinned to one a day, old read
notifications deleted; on the service directly and through the periodic job on a worker."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.conf import settings as project_settings

from deals.models import Notification
from forecasting.models import ForecastSnapshot
from forecasting.services.retention import notifications_purge, retention_apply, snapshots_thin
from forecasting.tasks import apply_retention
from pipelinecrm.celery import app as celery_app
from tests.fixtures_celery import wait_for

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
# 730 days before NOW, to the second: the age at which thinning starts.
TWO_YEARS_AGO = datetime(2024, 6, 15, 12, 0, tzinfo=UTC)
PERIOD = date(2024, 7, 1)


def snapshot(company, computed_at, *, owner=None, pipeline=None, period=PERIOD):
    return ForecastSnapshot.objects.create(
        pipeline=pipeline or company.sales,
        owner=owner or company.rep1,
        period=period,
        weighted_amount=Decimal("100.00"),
        open_amount=Decimal("1000.00"),
        won_amount=Decimal("0.00"),
        deal_count=1,
        computed_at=computed_at,
    )


def notification(user, *, created_at, is_read):
    note = Notification.objects.create(recipient=user, kind="stalled", text="A deal stalled")
    # created_at is auto_now_add: backdate it the way time would.
    Notification.objects.filter(pk=note.pk).update(created_at=created_at, is_read=is_read)
    return note


def remaining(*snapshots) -> set[int]:
    return set(
        ForecastSnapshot.objects.filter(pk__in=[s.pk for s in snapshots]).values_list(
            "pk", flat=True
        )
    )


@pytest.mark.django_db
def test_old_snapshots_keep_only_the_latest_of_each_day(company):
    day = datetime(2023, 3, 10, tzinfo=UTC)
    morning = snapshot(company, day.replace(hour=8))
    noon = snapshot(company, day.replace(hour=12))
    evening = snapshot(company, day.replace(hour=20))
    next_day = snapshot(company, day.replace(day=11, hour=8))

    deleted = snapshots_thin(now=NOW)

    assert deleted == 2
    assert remaining(morning, noon, evening, next_day) == {evening.pk, next_day.pk}


@pytest.mark.django_db
def test_a_snapshot_exactly_two_years_old_is_not_thinned(company):
    at_the_limit = snapshot(company, TWO_YEARS_AGO)
    hour_older = snapshot(company, TWO_YEARS_AGO - timedelta(hours=1))
    two_hours_older = snapshot(company, TWO_YEARS_AGO - timedelta(hours=2))

    snapshots_thin(now=NOW)

    # Same day, but only the two strictly older ones are thinned: the later of them stays.
    assert remaining(at_the_limit, hour_older, two_hours_older) == {
        at_the_limit.pk,
        hour_older.pk,
    }


@pytest.mark.django_db
def test_recent_snapshots_are_all_kept(company):
    recent = [snapshot(company, NOW - timedelta(days=30, hours=hour)) for hour in range(4)]

    assert snapshots_thin(now=NOW) == 0
    assert remaining(*recent) == {s.pk for s in recent}


@pytest.mark.django_db
def test_thinning_keeps_each_owner_pipeline_and_period_apart(company):
    moment = datetime(2023, 3, 10, 9, tzinfo=UTC)
    later = moment + timedelta(hours=5)
    rep1_early = snapshot(company, moment)
    rep1_late = snapshot(company, later)
    other_owner = snapshot(company, moment, owner=company.rep2)
    other_pipeline = snapshot(company, moment, pipeline=company.private)
    other_period = snapshot(company, moment, period=date(2024, 8, 1))
    unscheduled_early = snapshot(company, moment, period=None)
    unscheduled_late = snapshot(company, later, period=None)

    snapshots_thin(now=NOW)

    assert remaining(
        rep1_early,
        rep1_late,
        other_owner,
        other_pipeline,
        other_period,
        unscheduled_early,
        unscheduled_late,
    ) == {rep1_late.pk, other_owner.pk, other_pipeline.pk, other_period.pk, unscheduled_late.pk}


@pytest.mark.django_db
def test_days_are_the_company_time_zone(company, settings):
    settings.TIME_ZONE = "America/New_York"
    # 23:00 and 02:00 UTC are 18:00 and 21:00 the same day in New York: one day, one kept.
    evening_ny = snapshot(company, datetime(2023, 3, 10, 23, tzinfo=UTC))
    night_ny = snapshot(company, datetime(2023, 3, 11, 2, tzinfo=UTC))

    snapshots_thin(now=NOW)

    assert remaining(evening_ny, night_ny) == {night_ny.pk}


@pytest.mark.django_db
def test_thinning_twice_changes_nothing_more(company):
    day = datetime(2023, 3, 10, tzinfo=UTC)
    for hour in (8, 12, 20):
        snapshot(company, day.replace(hour=hour))

    assert snapshots_thin(now=NOW) == 2
    assert snapshots_thin(now=NOW) == 0
    assert ForecastSnapshot.objects.count() == 1


@pytest.mark.django_db
def test_the_age_is_a_setting(company, settings):
    settings.SNAPSHOT_THIN_AFTER_DAYS = 7
    day = NOW - timedelta(days=10)
    earlier = snapshot(company, day.replace(hour=8))
    later = snapshot(company, day.replace(hour=9))

    snapshots_thin(now=NOW)

    assert remaining(earlier, later) == {later.pk}


@pytest.mark.django_db
def test_thinning_is_a_fixed_number_of_statements(company, django_assert_num_queries):
    for day in range(1, 21):
        for hour in (8, 12):
            snapshot(company, datetime(2023, 3, day, hour, tzinfo=UTC))

    # SAVEPOINT, one DELETE … WHERE id IN (ranked snapshots of each day), RELEASE SAVEPOINT.
    with django_assert_num_queries(3):
        assert snapshots_thin(now=NOW) == 20


@pytest.mark.django_db
def test_read_notifications_older_than_90_days_are_deleted(company):
    old_read = notification(company.rep1, created_at=NOW - timedelta(days=91), is_read=True)
    old_unread = notification(company.rep1, created_at=NOW - timedelta(days=400), is_read=False)
    exactly_90 = notification(company.rep1, created_at=NOW - timedelta(days=90), is_read=True)
    recent_read = notification(company.rep2, created_at=NOW - timedelta(days=3), is_read=True)

    assert notifications_purge(now=NOW) == 1

    kept = set(Notification.objects.values_list("pk", flat=True))
    assert old_read.pk not in kept
    assert {old_unread.pk, exactly_90.pk, recent_read.pk} <= kept
    assert notifications_purge(now=NOW) == 0


@pytest.mark.django_db
def test_the_notification_age_is_a_setting(company, settings):
    settings.READ_NOTIFICATION_RETENTION_DAYS = 10
    eleven_days = notification(company.rep1, created_at=NOW - timedelta(days=11), is_read=True)

    retention_apply(now=NOW)

    assert not Notification.objects.filter(pk=eleven_days.pk).exists()


def test_retention_is_scheduled_as_a_periodic_job():
    entry = project_settings.CELERY_BEAT_SCHEDULE["apply retention"]

    assert entry["task"] == "forecasting.tasks.apply_retention"
    assert entry["task"] in celery_app.tasks
    assert entry["options"]["expires"] == entry["schedule"].total_seconds()
    assert project_settings.BEAT_SCHEDULE_ENV_VARS["apply retention"] == "RETENTION_MINUTES"


@pytest.mark.celery
def test_the_periodic_job_applies_retention_on_a_worker(celery_worker, company):
    # Today's real clock: data older than the real limits.
    long_ago = datetime.now(tz=UTC) - timedelta(days=800)
    early = snapshot(company, long_ago.replace(hour=8))
    late = snapshot(company, long_ago.replace(hour=9))
    old_read = notification(company.rep1, created_at=long_ago, is_read=True)
    old_unread = notification(company.rep1, created_at=long_ago, is_read=False)

    apply_retention.delay()

    wait_for(
        lambda: not Notification.objects.filter(pk=old_read.pk).exists(),
        what="the old read notification to be deleted",
    )
    wait_for(lambda: remaining(early, late) == {late.pk}, what="the old snapshots thinned")
    assert Notification.objects.filter(pk=old_unread.pk).exists()
