"""Jobs of a CSV import that stopped advancing: the periodic sweep and the owner's "Resume"
send their task again (docs/hardening/imports.md)."""

import datetime

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from deals.csv_import.running import import_queue
from deals.models import ImportJob
from pipelinecrm.celery import enqueue_after_commit
from pipelinecrm.exceptions import InvalidRequest

TASK_OF_STATUS = {
    ImportJob.Status.CHECKING: "deals.tasks.import_check",
    ImportJob.Status.QUEUED: "deals.tasks.import_run",
    ImportJob.Status.RUNNING: "deals.tasks.import_run",
}


def _requeue(*, job_id: int, status: str, stalled_before: datetime.datetime) -> bool:
    """Send the job's task again, unless someone else just did (compare-and-swap on
    ``updated_at``, so the sweep and a "Resume" click cannot both send it)."""
    claimed = ImportJob.objects.filter(
        pk=job_id, status=status, updated_at__lt=stalled_before
    ).update(updated_at=timezone.now())
    if claimed:
        enqueue_after_commit(TASK_OF_STATUS[status], job_id)
    return bool(claimed)


def imports_resume_stalled() -> int:
    """The periodic sweep: re-enqueue active jobs that stopped advancing (a lost message,
    e.g. the broker was down when it was sent). A duplicate delivery is harmless: the run
    resumes after its last committed batch and a second runner stands down."""
    stalled_before = ImportJob.stalled_before()
    stalled = ImportJob.objects.filter(
        status__in=ImportJob.ACTIVE, updated_at__lt=stalled_before
    ).values_list("pk", "status")
    return sum(
        _requeue(job_id=pk, status=status, stalled_before=stalled_before) for pk, status in stalled
    )


def import_resume(*, job: ImportJob) -> ImportJob:
    """The owner's "Resume": a failed job continues after its last committed batch; a job
    that stopped advancing is sent to the worker again."""
    if job.status == ImportJob.Status.FAILED:
        return import_queue(job=job)
    if not job.is_stalled:
        raise InvalidRequest(
            _(
                "This import is advancing; it can be resumed once it has stopped for "
                "%(minutes)s minutes."
            )
            % {"minutes": settings.IMPORT_STALE_MINUTES}
        )
    _requeue(job_id=job.pk, status=job.status, stalled_before=ImportJob.stalled_before())
    job.refresh_from_db()
    return job
