"""Background jobs of the deals app: the CSV import (docs/domain/imports.md)
and the notice to the new owner of a reassigned deal.

Thin: an id in, the service re-fetches the job and claims it. Acknowledged late, so a
worker killed mid-import leaves the message to be delivered again; the service then resumes
after the last committed batch (each batch commits with the job's progress). A message lost
before it reached the broker is sent again by the periodic ``import_sweep``.
"""

from celery import shared_task

from deals.csv_import import checking, recovery, retention, running
from deals.services.notifications import deal_notify_reassigned
from pipelinecrm.celery import JOB_OPTIONS

JOB_TASK = {**JOB_OPTIONS, "soft_time_limit": 540, "time_limit": 600}


@shared_task(name="deals.tasks.import_run", **JOB_TASK)
def import_run(job_id: int) -> str:
    return running.import_run(job_id=job_id)


@shared_task(name="deals.tasks.import_check", **JOB_TASK)
def import_check(job_id: int) -> str:
    return checking.import_check_run(job_id=job_id)


@shared_task(name="deals.tasks.import_sweep", **JOB_TASK)
def import_sweep() -> int:
    return recovery.imports_resume_stalled()


@shared_task(name="deals.tasks.import_purge_files", **JOB_TASK)
def import_purge_files() -> int:
    return retention.imports_delete_old_files()


# The name is the one messages already on the broker carry: the task lived in forecasting
# until notifications moved to deals (docs/architecture-layers.md).
@shared_task(
    name="forecasting.tasks.notify_reassigned", **JOB_OPTIONS, soft_time_limit=60, time_limit=90
)
def notify_reassigned(deal_id: int, new_owner_id: int) -> bool:
    return deal_notify_reassigned(deal_id=deal_id, new_owner_id=new_owner_id)
