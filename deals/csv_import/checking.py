"""The dry run of a CSV import: every row planned, nothing written; bad rows listed by line.
Small files are checked in the request, large ones by the worker with a progress bar."""

import itertools

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from deals.csv_import.cancelling import cancel_for_inactive_owner
from deals.csv_import.files import ImportFileError
from deals.csv_import.kinds import IMPORTERS
from deals.csv_import.upload import job_rows
from deals.csv_import.values import slashed_date_order
from deals.models import ImportJob
from pipelinecrm.celery import enqueue_after_commit
from pipelinecrm.exceptions import InvalidRequest

DRY_RUN_CHUNK = 1000


@transaction.atomic
def import_check_start(*, job: ImportJob, mapping: dict, options: dict) -> ImportJob:
    """Save the mapping and check the file: here for files of up to IMPORT_SYNC_CHECK_ROWS
    rows, by the worker (with the progress bar) for larger ones."""
    if job.is_running or job.is_finished:
        raise InvalidRequest(_("This import has already run."))
    # Amounts like "1.200" read either way: the user must say which (never guessed).
    if (
        job.kind == ImportJob.Kind.DEALS
        and "value" in mapping
        and options.get("decimal_separator") not in (".", ",")
    ):
        raise InvalidRequest(_("Choose the decimal separator of the amounts first."))
    job.mapping = mapping
    job.options = {**(job.options or {}), **options}
    job.options.pop("date_order", None)
    if job.total <= settings.IMPORT_SYNC_CHECK_ROWS:
        return import_check(job=job)
    job.status, job.done, job.errors, job.message = ImportJob.Status.CHECKING, 0, [], ""
    job.save(
        update_fields=["mapping", "options", "status", "done", "errors", "message", "updated_at"]
    )
    enqueue_after_commit("deals.tasks.import_check", job.pk)
    return job


def import_check(*, job: ImportJob, progress: bool = False) -> ImportJob:
    """The dry run: every row planned, nothing written; bad rows listed by line.

    With ``progress`` (the worker's check) ``done`` counts the rows checked, for the
    progress bar, and the check stops once the job is no longer "checking" (cancelled).
    """
    header, rows = job_rows(job)
    importer = IMPORTERS[job.kind](job=job, user=job.user, header=header)
    if "date_order" not in job.options and importer.date_column:
        # A first pass over the file: the whole column decides how slashed dates read.
        importer.reader.date_order = slashed_date_order(
            importer.reader.column_values(job_rows(job)[1], importer.date_column)
        )
    this_job = ImportJob.objects.filter(pk=job.pk)
    if progress:
        this_job = this_job.filter(status=ImportJob.Status.CHECKING)
    errors, creates, updates, checked = [], 0, 0, 0
    for batch in itertools.batched(rows, DRY_RUN_CHUNK):
        for plan in importer.plan_rows(batch):
            if plan.errors:
                errors.append({"line": plan.line, "reason": " ".join(plan.errors)})
            elif plan.existing is not None:
                updates += 1
            else:
                creates += 1
        checked += len(batch)
        if progress and not this_job.update(done=checked, updated_at=timezone.now()):
            return job
    job.options = {
        **job.options,
        "date_order": importer.reader.date_order,
        "dry_run": {"create": creates, "update": updates, "failed": len(errors)},
    }
    job.errors, job.total, job.done = errors, checked, 0
    job.status, job.updated_at = ImportJob.Status.CHECKED, timezone.now()
    this_job.update(
        mapping=job.mapping,
        options=job.options,
        errors=errors,
        total=checked,
        done=0,
        status=job.status,
        updated_at=job.updated_at,
    )
    return job


def import_check_run(*, job_id: int) -> str:
    """The worker's dry run of a large file; a file that cannot be read goes back to the
    mapping step with the reason shown."""
    job = ImportJob.objects.select_related("user").filter(pk=job_id).first()
    if job is None or job.status != ImportJob.Status.CHECKING:
        return "gone"
    if not job.user.is_active:
        cancel_for_inactive_owner(job)
        return "cancelled"
    try:
        with job.user.own_language():
            import_check(job=job, progress=True)
    except (ImportFileError, InvalidRequest) as error:
        ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.CHECKING).update(
            status=ImportJob.Status.UPLOADED, done=0, message=str(error), updated_at=timezone.now()
        )
        return "refused"
    return "checked"
