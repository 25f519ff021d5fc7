"""The Celery app: JSON only, late acknowledgement, time limits (see docs/architecture.md)."""

import logging
import os

from celery import Celery
from django.db import InterfaceError, OperationalError, transaction

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pipelinecrm.settings")

app = Celery("pipelinecrm")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

logger = logging.getLogger(__name__)

# What every job declares: acknowledged only once done and handed back if its worker dies
# (jobs are idempotent), retried with backoff when the database connection drops.
JOB_OPTIONS = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": (OperationalError, InterfaceError),
    "retry_backoff": True,
    "retry_backoff_max": 300,
    "max_retries": 5,
}


def enqueue_after_commit(task_name: str, *args, **options) -> None:
    """Send ``task_name(*args)`` once the current transaction commits, never failing the caller.

    Tasks are named rather than imported so that any layer may ask for one (pipelines must
    not import forecasting). A broker outage is logged and swallowed: the request that
    enqueues has already saved its work, and every job either reads a durable marker in the
    database or is repeated by a periodic run, so the next
    run catches up (docs/domain/stalls-and-forecast.md).
    ``retry=False`` and the broker connection timeout bound the wait to a couple of seconds.
    """
    transaction.on_commit(lambda: _send(task_name, args, options))


def _send(task_name: str, args: tuple, options: dict) -> None:
    try:
        app.send_task(task_name, args=args, retry=False, **options)
    except Exception:
        logger.exception("Could not enqueue %s%r; a periodic run will catch up.", task_name, args)
