"""Imports never get stuck and never hold more than they need (issue 12 §3, §4,
docs/hardening/imports.md): a job whose message was lost (broker down) is picked up by the
periodic sweep or resumed from its page; the file is stored and read as a stream; a large
file is checked by the worker with the progress bar; old files are deleted, reports kept;
deactivating a user stops their imports."""

import datetime
import math
import re
import tracemalloc
from contextlib import contextmanager

import pytest
from django.conf import settings as project_settings
from django.core.files.uploadedfile import TemporaryUploadedFile
from django.urls import reverse
from django.utils import timezone

from deals import tasks
from deals.csv_import.files import CHUNK_BYTES
from deals.csv_import.running import import_run
from deals.csv_import.upload import import_upload
from deals.models import Deal, ImportChunk, ImportJob
from deals.services.handover import user_offboard
from pipelinecrm.celery import app as celery_app
from tests.deals.test_import import _text, check, run_now, uploaded_job
from tests.fixtures_celery import wait_for
from tests.ops.servers import free_port

pytestmark = pytest.mark.django_db


@contextmanager
def broker_unreachable():
    """Enqueues go to a port nobody listens on: a real connection refusal, as when Redis is
    down. The worker keeps its own (reading) connection."""

    def fresh_producers():
        celery_app._pool = None
        celery_app.amqp._producer_pool = None

    celery_app.conf.broker_write_url = f"redis://127.0.0.1:{free_port()}/2"
    fresh_producers()
    try:
        yield
    finally:
        celery_app.conf.broker_write_url = None
        fresh_producers()


def _stall(job: ImportJob) -> None:
    """Make the job look as it will IMPORT_STALE_MINUTES after its message was lost."""
    long_ago = timezone.now() - datetime.timedelta(minutes=project_settings.IMPORT_STALE_MINUTES)
    ImportJob.objects.filter(pk=job.pk).update(updated_at=long_ago - datetime.timedelta(1))


def _checked_job(client, company, rows: int) -> ImportJob:
    job = uploaded_job(client, "Title\n" + "".join(f"Deal {n}\n" for n in range(rows)))
    check(client, job, pipeline=company.sales.pk)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.CHECKED
    return job


# -- lost messages ----------------------------------------------------------------------------


@pytest.mark.celery
def test_an_import_enqueued_while_the_broker_is_down_is_picked_up_by_the_sweep(
    company, login, celery_worker, caplog
):
    client = login(company.rep1)
    job = _checked_job(client, company, rows=12)

    with broker_unreachable():
        started = client.post(reverse("import-job", args=[job.pk]), {"action": "start"})

    assert started.status_code == 302  # the page does not fail with the broker
    assert "Could not enqueue deals.tasks.import_run" in caplog.text
    job.refresh_from_db()
    assert job.status == ImportJob.Status.QUEUED
    _stall(job)
    page = _text(client.get(reverse("import-job", args=[job.pk])))
    assert "has not advanced for a while" in page
    assert "Resume from row 1" in page

    celery_app.send_task("deals.tasks.import_sweep")  # beat's periodic run, now

    wait_for(
        lambda: ImportJob.objects.get(pk=job.pk).status == ImportJob.Status.DONE,
        timeout=60,
        what="the swept import to finish",
    )
    job.refresh_from_db()
    assert job.created_count == Deal.objects.count() == 12
    schedule = project_settings.CELERY_BEAT_SCHEDULE["sweep stalled imports"]
    assert schedule["task"] == "deals.tasks.import_sweep"


@pytest.mark.celery
def test_its_owner_resumes_a_stalled_import_from_the_page(company, login, celery_worker):
    client = login(company.rep1)
    job = _checked_job(client, company, rows=5)
    with broker_unreachable():
        client.post(reverse("import-job", args=[job.pk]), {"action": "start"})

    early = client.post(reverse("import-job", args=[job.pk]), {"action": "resume"})
    assert early.status_code == 409  # not stalled yet: the sweep's time has not come
    assert "it can be resumed once it has stopped for" in _text(early)

    _stall(job)
    resumed = client.post(reverse("import-job", args=[job.pk]), {"action": "resume"})

    assert resumed.status_code == 302
    wait_for(
        lambda: ImportJob.objects.get(pk=job.pk).status == ImportJob.Status.DONE,
        timeout=60,
        what="the resumed import to finish",
    )
    assert Deal.objects.count() == 5


def test_the_sweep_leaves_advancing_and_finished_jobs_alone(company, login):
    client = login(company.rep1)
    advancing = _checked_job(client, company, rows=2)
    client.post(reverse("import-job", args=[advancing.pk]), {"action": "start"})
    finished = run_now(client, _checked_job(client, company, rows=1))
    _stall(finished)

    assert tasks.import_sweep() == 0


# -- the file as a stream -----------------------------------------------------------------------


def test_a_large_upload_is_stored_and_read_in_chunks_not_whole(company, tmp_path):
    row = "Deal {n}," + "é" * 200 + "\n"  # é (2 bytes) splits across chunk boundaries
    content = "Title,Notes\n" + "".join(row.format(n=n) for n in range(30_000))  # 12 MB
    upload = TemporaryUploadedFile("big.csv", "text/csv", 0, "utf-8")
    upload.write(content.encode())
    upload.seek(0)
    size = upload.size = len(content.encode())
    del content

    tracemalloc.start()
    try:
        job = import_upload(user=company.rep1, kind="deals", upload=upload)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert job.total == 30_000
    assert job.encoding == "UTF-8"
    assert ImportChunk.objects.filter(job=job).count() == math.ceil(size / CHUNK_BYTES)
    assert peak < size / 2, f"{peak} bytes held for a {size}-byte file"


def test_an_encoding_decided_late_in_a_streamed_file_names_its_line(company, login):
    rows = "".join(f"Deal {n},plain\n" for n in range(80_000))  # > 1 MB of ASCII first
    raw = ("Title,Notes\n" + rows).encode() + "Café Müller,x\n".encode("cp1252")
    client = login(company.rep1)

    job = uploaded_job(client, raw)

    assert job.encoding == "Windows-1252"
    assert "first non-UTF-8 byte on line 80002" in job.options["encoding_notice"]
    assert ImportChunk.objects.filter(job=job).count() > 1
    assert job.total == 80_001


# -- the dry run of a large file in the worker ------------------------------------------------


@pytest.mark.celery
def test_a_large_files_dry_run_runs_in_the_worker_with_the_progress_bar(
    company, login, celery_worker, settings
):
    settings.IMPORT_SYNC_CHECK_ROWS = 100
    rows = "".join(f"Deal {n},{n}\n" for n in range(2500)) + "Bad,-5\n"
    client = login(company.rep1)
    job = uploaded_job(client, "Title,Value\n" + rows)

    checked = check(client, job, pipeline=company.sales.pk)

    assert checked.status_code == 302
    page = client.get(reverse("import-job", args=[job.pk])).content.decode()
    assert f'hx-get="{reverse("import-progress", args=[job.pk])}"' in page
    assert "Checking the file" in page
    seen: list[int] = []

    def check_finished() -> bool:
        fragment = client.get(reverse("import-progress", args=[job.pk]))
        if fragment.headers.get("HX-Refresh") == "true":
            return True  # the page reloads to show the dry run's findings
        bar = re.search(r'<progress[^>]*max="(\d+)" value="(\d+)"', fragment.content.decode())
        assert bar is not None
        assert bar[1] == "2501"
        seen.append(int(bar[2]))
        return False

    wait_for(check_finished, timeout=60, what="the worker's dry run")
    assert seen == sorted(seen)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.CHECKED
    assert job.options["dry_run"] == {"create": 2500, "update": 0, "failed": 1}
    assert job.errors[0]["line"] == 2502
    assert not Deal.objects.exists()  # a dry run saves nothing
    summary = _text(client.get(reverse("import-job", args=[job.pk])))
    assert "2500 would be created" in summary


# -- retention ----------------------------------------------------------------------------------


def test_old_files_are_deleted_and_the_reports_kept(company, login, settings):
    settings.IMPORT_RETENTION_DAYS = 30
    client = login(company.rep1)
    old = run_now(client, _checked_job(client, company, rows=2))
    abandoned = _checked_job(client, company, rows=1)
    recent = _checked_job(client, company, rows=1)
    month_ago = timezone.now() - datetime.timedelta(days=31)
    ImportJob.objects.filter(pk__in=[old.pk, abandoned.pk]).update(created_at=month_ago)

    assert tasks.import_purge_files() == 2

    assert not ImportChunk.objects.filter(job__in=[old, abandoned]).exists()
    assert ImportChunk.objects.filter(job=recent).exists()
    old.refresh_from_db()
    assert old.file_deleted_at is not None
    report = _text(client.get(reverse("import-job", args=[old.pk])))
    assert "2 of 2 rows (100 %)" in report
    assert "2 created" in report
    page = _text(client.get(reverse("import-job", args=[abandoned.pk])))
    assert "deleted after the retention period" in page
    refused = client.post(reverse("import-job", args=[abandoned.pk]), {"action": "start"})
    assert refused.status_code == 409
    assert "was deleted after 30 days" in _text(refused)
    assert tasks.import_purge_files() == 0  # idempotent


# -- deactivation -------------------------------------------------------------------------------


def test_deactivating_a_user_cancels_their_queued_import(company, login):
    client = login(company.rep1)
    job = _checked_job(client, company, rows=5)
    client.post(reverse("import-job", args=[job.pk]), {"action": "start"})

    user_offboard(actor=company.admin, user=company.rep1)

    assert import_run(job_id=job.pk) == "gone"  # the message, delivered late
    job.refresh_from_db()
    assert job.status == ImportJob.Status.CANCELLED
    assert "account was deactivated; 5 of 5 rows (from row 1 on) were not imported" in job.message
    assert not Deal.objects.exists()


def test_a_user_deactivated_by_another_path_has_their_import_stopped_at_the_next_batch(
    company, login
):
    client = login(company.rep1)
    job = _checked_job(client, company, rows=3)
    client.post(reverse("import-job", args=[job.pk]), {"action": "start"})
    type(company.rep1).objects.filter(pk=company.rep1.pk).update(is_active=False)

    assert import_run(job_id=job.pk) == "cancelled"

    job.refresh_from_db()
    assert job.status == ImportJob.Status.CANCELLED
    assert not Deal.objects.exists()


@pytest.mark.celery
def test_deactivating_a_user_stops_their_running_import_on_the_worker(
    company, login, celery_worker, settings
):
    settings.IMPORT_BATCH_ROWS = 1
    client = login(company.rep1)
    job = _checked_job(client, company, rows=300)
    client.post(reverse("import-job", args=[job.pk]), {"action": "start"})
    wait_for(lambda: ImportJob.objects.get(pk=job.pk).done >= 2, what="the import to start")

    user_offboard(actor=company.admin, user=company.rep1, deals_to=company.rep2)

    wait_for(
        lambda: not ImportJob.objects.filter(pk=job.pk, status__in=ImportJob.ACTIVE).exists(),
        what="the worker to stop",
    )
    job.refresh_from_db()
    assert job.status == ImportJob.Status.CANCELLED
    assert job.done < job.total
    assert Deal.objects.count() == job.created_count == job.done  # the rest never imported
    assert f"{job.total - job.done} of 300 rows (from row {job.done + 1} on)" in job.message
