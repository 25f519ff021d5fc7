"""A worker killed in the middle of a job loses nothing (docs/domain/stalls-and-forecast.md).

Jobs are acknowledged late: the broker keeps the message until the job has finished. Here a
``celery worker`` process takes ``flag_stalled_deals`` and is SIGKILLed while the job waits
for a table lock this test holds, i.e. truly mid-task with its transaction open. Its
transaction dies with it; once Redis's visibility timeout has passed, a second worker is
handed the same message and does the work — once.

Both pools in use are covered: ``solo`` (``make run``) and ``prefork`` (Docker Compose).
With prefork, an early acknowledgement would lose the job: this test fails if ``acks_late``
is turned off.
"""

import datetime
import os
import signal
import subprocess
import time
import uuid
from pathlib import Path

import psycopg
import pytest
from django.db import connection
from django.utils import timezone

from deals.models import Deal, Notification
from forecasting.models import ForecastClaim, ForecastSnapshot
from pipelinecrm.celery import app as celery_app
from pipelines.models import Pipeline, Stage
from tests.factories import make_deal
from tests.fixtures_celery import wait_for
from tests.ops.servers import app_environment, database_url, start_celery, stop

pytestmark = [pytest.mark.processes, pytest.mark.celery]

VISIBILITY_TIMEOUT = 2
CLAIM_TIMEOUT = 1
DAY = datetime.timedelta(days=1)


def _start_worker(pool: str, queue: str, log: Path) -> subprocess.Popen:
    """``celery worker --pool=…`` on the test database, consuming ``queue`` only."""
    env = app_environment(
        celery_app.conf.broker_url,
        log.parent,
        CELERY_VISIBILITY_TIMEOUT=str(VISIBILITY_TIMEOUT),
        FORECAST_CLAIM_TIMEOUT_SECONDS=str(CLAIM_TIMEOUT),
    )
    return start_celery("worker", env, log, f"--pool={pool}", "--concurrency=1", "-Q", queue)


def _backend_waiting(admin: psycopg.Connection, statement: str) -> int | None:
    row = admin.execute(
        "SELECT pid FROM pg_stat_activity WHERE datname = %s AND wait_event_type = 'Lock'"
        " AND query LIKE %s",
        [connection.settings_dict["NAME"], f"{statement}%"],
    ).fetchone()
    return row[0] if row else None


def _backend_waiting_on_deals(admin: psycopg.Connection) -> int | None:
    return _backend_waiting(admin, 'UPDATE "deals_deal"')


@pytest.mark.parametrize("pool", ["solo", "prefork"])
@pytest.mark.django_db(transaction=True)
def test_a_job_killed_mid_task_runs_again_on_another_worker(company, tmp_path, pool):
    stage = company.stages[0]
    Stage.objects.filter(pk=stage.pk).update(stall_threshold_days=1)
    deal = make_deal(company.rep1, company.sales, stage)
    Deal.objects.filter(pk=deal.pk).update(stage_entered_at=timezone.now() - 3 * DAY)
    queue = f"pipelinecrm-kill-{uuid.uuid4().hex[:12]}"
    log = tmp_path / "workers.log"
    first = second = None
    with (
        psycopg.connect(database_url(), autocommit=True) as admin,
        psycopg.connect(database_url()) as locker,
    ):
        try:
            locker.execute("LOCK TABLE deals_deal IN SHARE MODE")
            first = _start_worker(pool, queue, log)
            celery_app.send_task("forecasting.tasks.flag_stalled_deals", queue=queue)
            blocked = wait_for(
                lambda: _backend_waiting_on_deals(admin),
                timeout=30,
                what="the first worker's job to wait for the lock",
            )

            os.killpg(first.pid, signal.SIGKILL)
            first.wait(timeout=10)
            admin.execute("SELECT pg_terminate_backend(%s)", [blocked])
            locker.rollback()
            killed_at = time.monotonic()

            assert not Deal.objects.get(pk=deal.pk).is_stalled
            assert not Notification.objects.exists()

            # The message comes back once the visibility timeout has passed.
            wait_for(
                lambda: time.monotonic() - killed_at > VISIBILITY_TIMEOUT + 0.5,
                what="the visibility timeout",
            )
            second = _start_worker(pool, queue, log)
            wait_for(
                lambda: Deal.objects.get(pk=deal.pk).is_stalled,
                timeout=30,
                what="the second worker to run the job again",
            )
        finally:
            for worker in (first, second):
                if worker is not None:
                    stop(worker, signal.SIGKILL)
            print(log.read_text() if log.exists() else "no worker log")  # shown on failure
    assert Notification.objects.filter(deal=deal, kind="stalled").count() == 1


@pytest.mark.django_db(transaction=True)
def test_forecast_markers_survive_a_worker_killed_mid_recompute(company, tmp_path):
    """The claim cleared the pipeline's marker and committed; the worker dies before its
    snapshots do. The claim row keeps the request, and the redelivered job, finding it
    stale, recomputes the pipeline (docs/hardening/faults.md)."""
    make_deal(company.rep1, company.sales, company.stages[0])
    Pipeline.objects.update(forecast_dirty_since=None)
    Pipeline.objects.filter(pk=company.sales.pk).update(forecast_dirty_since=timezone.now())
    queue = f"pipelinecrm-kill-{uuid.uuid4().hex[:12]}"
    log = tmp_path / "workers.log"
    first = second = None
    with (
        psycopg.connect(database_url(), autocommit=True) as admin,
        psycopg.connect(database_url()) as locker,
    ):
        try:
            locker.execute("LOCK TABLE forecasting_forecastsnapshot IN SHARE MODE")
            first = _start_worker("solo", queue, log)
            celery_app.send_task("forecasting.tasks.recompute_dirty_forecasts", queue=queue)
            blocked = wait_for(
                lambda: _backend_waiting(admin, 'INSERT INTO "forecasting_forecastsnapshot"'),
                timeout=60,
                what="the first worker's recompute to wait for the lock",
            )

            os.killpg(first.pid, signal.SIGKILL)
            first.wait(timeout=10)
            admin.execute("SELECT pg_terminate_backend(%s)", [blocked])
            locker.rollback()
            killed_at = time.monotonic()

            sales = Pipeline.objects.get(pk=company.sales.pk)
            assert sales.forecast_dirty_since is None  # claimed before the kill…
            assert ForecastClaim.objects.filter(pipeline=sales).exists()  # …and still owed
            assert not ForecastSnapshot.objects.exists()

            wait_for(
                lambda: time.monotonic() - killed_at > VISIBILITY_TIMEOUT + 0.5,
                what="the visibility timeout",
            )
            second = _start_worker("solo", queue, log)
            wait_for(
                lambda: ForecastSnapshot.objects.filter(pipeline=sales).exists(),
                timeout=60,
                what="the second worker to recompute the claimed pipeline",
            )
        finally:
            for worker in (first, second):
                if worker is not None:
                    stop(worker, signal.SIGKILL)
            print(log.read_text() if log.exists() else "no worker log")  # shown on failure
    assert not ForecastClaim.objects.exists()
    assert Pipeline.objects.get(pk=company.sales.pk).forecast_dirty_since is None
