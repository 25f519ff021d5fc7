"""Background jobs of the deals app: the CSV import (PRODUCT.md §9).

Thin: an id in, the service re-fetches the job and claims it. Acknowledged late, so a
worker killed mid-import leaves the message to be delivered again; the service then resumes
after the last committed batch (each batch commits with the job's progress).
"""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from deals.services.imports import import_run as run_import_job


@shared_task(
    name="deals.tasks.import_run",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    max_retries=5,
    soft_time_limit=540,
    time_limit=600,
)
def import_run(job_id: int) -> str:
    return run_import_job(job_id=job_id)
