"""The run of a CSV import, the job a Celery worker runs.

Rows are committed in batches together with the job's progress (``done``), so the progress
bar shows what is really saved, and a job delivered again after a worker died resumes after
the last committed batch instead of importing rows twice. A long run hands over to a fresh
task; a message lost on the way is sent again by the periodic sweep (``recovery.py``).
"""

import itertools
import logging
import time

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from deals.csv_import.cancelling import cancel_for_inactive_owner
from deals.csv_import.kinds import IMPORTERS
from deals.csv_import.plans import Outcome
from deals.csv_import.upload import file_deleted_message, job_rows
from deals.models import ImportJob
from pipelinecrm.celery import enqueue_after_commit
from pipelinecrm.exceptions import InvalidRequest

logger = logging.getLogger(__name__)

# A run hands over to a fresh task after this long, well inside the task's time limit.
SLICE_SECONDS = 240


@transaction.atomic
def import_queue(*, job: ImportJob) -> ImportJob:
    """Hand a checked job to the worker; the page then shows its progress."""
    resuming = job.status == ImportJob.Status.FAILED
    fresh_start = {
        "done": 0,
        "errors": [],
        "results": [],
        "created_count": 0,
        "updated_count": 0,
        "failed_count": 0,
    }
    if job.status not in (ImportJob.Status.CHECKED, ImportJob.Status.FAILED):
        raise InvalidRequest(_("Check the file (dry run) before importing it."))
    if job.file_deleted_at is not None:
        raise InvalidRequest(file_deleted_message())
    claimed = ImportJob.objects.filter(pk=job.pk, status=job.status).update(
        status=ImportJob.Status.QUEUED,
        message="",
        finished_at=None,
        updated_at=timezone.now(),
        **({} if resuming else fresh_start),
    )
    if not claimed:
        raise InvalidRequest(_("This import has already started."))
    enqueue_after_commit("deals.tasks.import_run", job.pk)
    job.refresh_from_db()
    return job


def _record(job: ImportJob, outcomes: list[Outcome], *, done: int) -> None:
    job.done = done
    for outcome in outcomes:
        if outcome.outcome == "failed":
            job.failed_count += 1
            job.errors.append({"line": outcome.line, "reason": outcome.reason})
        else:
            if outcome.outcome == "created":
                job.created_count += 1
            else:
                job.updated_count += 1
            job.results.append(
                {
                    "line": outcome.line,
                    "outcome": outcome.outcome,
                    "id": outcome.id,
                    "label": outcome.label,
                }
            )
    job.save()


def import_run(*, job_id: int) -> str:
    """Run (or resume) a queued job; returns its status. Safe to call twice at once: each
    batch first locks the job and checks that ``done`` is still where it expects.

    The reasons stored for failed rows are written in the importer's language."""
    job = ImportJob.objects.select_related("user").filter(pk=job_id).first()
    if job is None:
        return "gone"
    with job.user.own_language():
        return _import_run(job_id)


def _import_run(job_id: int) -> str:
    now = timezone.now()
    claimed = ImportJob.objects.filter(
        pk=job_id, status__in=[ImportJob.Status.QUEUED, ImportJob.Status.RUNNING]
    ).update(
        status=ImportJob.Status.RUNNING, started_at=Coalesce(F("started_at"), now), updated_at=now
    )
    if not claimed:
        return "gone"
    job = ImportJob.objects.select_related("user").get(pk=job_id)
    batch_rows = max(1, settings.IMPORT_BATCH_ROWS)
    deadline = time.monotonic() + SLICE_SECONDS
    try:
        header, rows = job_rows(job)
        importer = IMPORTERS[job.kind](job=job, user=job.user, header=header)
        start = job.done
        for batch in itertools.batched(itertools.islice(rows, start, None), batch_rows):
            with transaction.atomic():
                locked = (
                    ImportJob.objects.select_for_update(of=("self",))
                    .select_related("user")
                    .get(pk=job_id)
                )
                if locked.status != ImportJob.Status.RUNNING or locked.done != start:
                    return "taken over"
                if not locked.user.is_active:
                    # Deactivated by a path that did not cancel the job itself.
                    cancel_for_inactive_owner(locked)
                    return "cancelled"
                outcomes = importer.run_batch(list(batch))
                _record(locked, outcomes, done=start + len(batch))
            start += len(batch)
            if start < job.total and time.monotonic() > deadline:
                # If this enqueue is lost, the stalled-import sweep sends it again.
                enqueue_after_commit("deals.tasks.import_run", job_id)
                return "continued"
    except Exception as error:
        logger.exception("Import %s stopped", job_id)
        ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.RUNNING).update(
            status=ImportJob.Status.FAILED,
            finished_at=timezone.now(),
            message=(
                _(
                    "The import stopped unexpectedly (%(error)s). Rows listed as created or "
                    "updated were saved; you can resume it."
                )
                % {"error": type(error).__name__}
            ),
        )
        return "failed"
    ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.RUNNING).update(
        status=ImportJob.Status.DONE, finished_at=timezone.now(), updated_at=timezone.now()
    )
    return "done"
