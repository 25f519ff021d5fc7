"""Imported files are kept IMPORT_RETENTION_DAYS; the jobs and their reports stay."""

import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from deals.models import ImportChunk, ImportJob


@transaction.atomic
def imports_delete_old_files() -> int:
    """Delete the files of imports uploaded more than IMPORT_RETENTION_DAYS ago (not those
    a worker is busy with); the jobs and their reports stay. Set-based: two statements."""
    now = timezone.now()
    expired = list(
        ImportJob.objects.select_for_update(skip_locked=True)
        .filter(
            file_deleted_at__isnull=True,
            created_at__lt=now - datetime.timedelta(days=settings.IMPORT_RETENTION_DAYS),
        )
        .exclude(status__in=ImportJob.ACTIVE)
        .values_list("pk", flat=True)
    )
    ImportChunk.objects.filter(job_id__in=expired).delete()
    ImportJob.objects.filter(pk__in=expired).update(file_deleted_at=now)
    return len(expired)
