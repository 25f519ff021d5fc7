"""The worker and beat survive a Redis restart and carry on (docs/hardening/faults.md).

A real ``celery worker --pool=solo`` and ``celery beat`` (as ``make run`` starts them) run on
the test database and a redis-server of this test. The stall check runs every 3 seconds.
Redis is restarted under them, losing everything it held; then, with nothing restarted by
hand, the next stall check flags a deal that has stalled since, and a CSV import queued by a
web process runs to the end.
"""

import datetime
import subprocess
import sys

import pytest
from django.utils import timezone

from deals.models import Deal, ImportJob
from pipelines.models import Stage
from tests.deals.test_import import check, uploaded_job
from tests.factories import make_deal
from tests.fixtures_celery import wait_for
from tests.ops.servers import BASE_DIR, RedisServer, app_environment, start_celery, stop

pytestmark = [pytest.mark.processes, pytest.mark.celery, pytest.mark.django_db(transaction=True)]

DAY = datetime.timedelta(days=1)
# Startup on a loaded two-core machine takes a while; these only bound a failure.
STARTUP_TIMEOUT = 180
RUN_TIMEOUT = 90


def _stalled_deal(company) -> Deal:
    deal = make_deal(company.rep1, company.sales, company.stages[0])
    Deal.objects.filter(pk=deal.pk).update(stage_entered_at=timezone.now() - 3 * DAY)
    return deal


def _is_stalled(deal: Deal) -> bool:
    return Deal.objects.get(pk=deal.pk).is_stalled


def _queue_import_as_the_web_does(job: ImportJob, env: dict[str, str]) -> None:
    """``import_queue`` in a process of its own, enqueueing on this test's Redis."""
    script = (
        "import django; django.setup()\n"
        "from deals.models import ImportJob\n"
        "from deals.csv_import.running import import_queue\n"
        f"import_queue(job=ImportJob.objects.get(pk={job.pk}))\n"
    )
    subprocess.run([sys.executable, "-c", script], cwd=BASE_DIR, env=env, check=True)


def test_worker_and_beat_carry_on_after_redis_restarts(company, login, tmp_path):
    Stage.objects.filter(pk=company.stages[0].pk).update(stall_threshold_days=1)
    before = _stalled_deal(company)
    client = login(company.rep1)
    job = uploaded_job(client, "Title,Value,External id\nAlpha,100,R-1\nBeta,200,R-2\n")
    assert check(client, job, pipeline=company.sales.pk).status_code == 302

    redis_server = RedisServer(tmp_path)
    redis_server.start()
    env = app_environment(redis_server.url, tmp_path, STALL_CHECK_MINUTES="0.05")
    worker_log, beat_log = tmp_path / "worker.log", tmp_path / "beat.log"
    worker = beat = None
    try:
        worker = start_celery("worker", env, worker_log, "--pool=solo")
        beat = start_celery("beat", env, beat_log)
        wait_for(lambda: _is_stalled(before), timeout=STARTUP_TIMEOUT, what="a first stall check")

        redis_server.restart()
        after = _stalled_deal(company)
        wait_for(lambda: _is_stalled(after), timeout=RUN_TIMEOUT, what="a stall check after")
        _queue_import_as_the_web_does(job, env)
        wait_for(
            lambda: ImportJob.objects.get(pk=job.pk).status == ImportJob.Status.DONE,
            timeout=RUN_TIMEOUT,
            what="the import queued after the restart",
        )

        assert worker.poll() is None, "the worker exited"
        assert beat.poll() is None, "beat exited"
    finally:
        stop(beat)
        stop(worker)
        redis_server.stop()
        print(worker_log.read_text() if worker_log.exists() else "no worker log")  # on failure
    imported = Deal.objects.filter(external_id__startswith="R-")
    assert set(imported.values_list("title", flat=True)) == {"Alpha", "Beta"}
    worker_output = worker_log.read_text()
    assert "Connection to broker lost" in worker_output  # the restart did reach the worker
    assert "Unrecoverable error" not in worker_output
    assert "Error on restarting" not in worker_output  # the step that crashes kombu is off
