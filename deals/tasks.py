"""Background jobs of the deals app: the CSV import (PRODUCT.md §9, docs/hardening/imports.md).

Thin: an id in, the service re-fetches the job and claims it. Acknowledged late, so a
worker killed mid-import leaves the message to be delivered again; the service then resumes
after the last committed batch (each batch commits with the job's progress). A message lost
before it reached the broker is sent again by the periodic ``import_sweep``.
"""

from celery import shared_task

from deals.csv_import import checking, recovery, retention, running
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
