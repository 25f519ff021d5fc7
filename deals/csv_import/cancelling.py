"""Stopping the CSV imports of a deactivated user (docs/hardening/imports.md)."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from deals.models import ImportJob


def cancel_for_inactive_owner(job: ImportJob) -> None:
    """Cancel a job of a deactivated user; the caller holds the job's row lock."""
    remaining = job.total - job.done
    names = {"name": job.user.display_name, "total": job.total, "first": job.done + 1}
    with job.user.own_language():
        if job.status == ImportJob.Status.CHECKING:
            message = _("Cancelled: %(name)s's account was deactivated; the check was stopped.")
        else:
            message = _(
                "Cancelled: %(name)s's account was deactivated; %(remaining)s of %(total)s rows "
                "(from row %(first)s on) were not imported."
            )
        message %= names | {"remaining": remaining}
    job.status, job.finished_at = ImportJob.Status.CANCELLED, timezone.now()
    job.message = message
    job.save(update_fields=["status", "finished_at", "message", "updated_at"])


@transaction.atomic
def imports_cancel_for_user(*, user: User) -> int:
    """Stop the imports a deactivated user left waiting or running. A batch in progress
    holds its job's lock, so it finishes first; the next batch sees the job cancelled."""
    jobs = list(
        ImportJob.objects.select_for_update(of=("self",))
        .select_related("user")
        .filter(user=user, status__in=ImportJob.ACTIVE)
        .order_by("pk")
    )
    for job in jobs:
        cancel_for_inactive_owner(job)
    return len(jobs)
