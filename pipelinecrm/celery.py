"""The Celery app: JSON only, late acknowledgement, time limits (see docs/architecture.md)."""

import logging
import os
import queue
import threading

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


# -- Doorbells: rung after commit, sent by a background thread -----------------------------
_bells: queue.SimpleQueue[str] = queue.SimpleQueue()
_bells_pending: set[str] = set()
_bells_lock = threading.Lock()
_bells_thread: tuple[int, threading.Thread] | None = None


def ring_after_commit(task_name: str) -> None:
    """Once the transaction commits, have ``task_name()`` sent without making the caller
    wait for the broker: a background thread of this process sends it, and rings that come
    while one is still waiting to be sent are that one. Only for jobs without arguments
    that read their work from the database and that beat also runs (the webhook
    dispatcher, docs/domain/webhooks.md): a ring lost with a dying process only delays
    the work until the next periodic run."""
    transaction.on_commit(lambda: _ring(task_name))


def _ring(task_name: str) -> None:
    global _bells_thread
    with _bells_lock:
        if task_name in _bells_pending:
            return
        _bells_pending.add(task_name)
        # A forked child (gunicorn, Celery's prefork) does not inherit the thread.
        if _bells_thread is None or _bells_thread[0] != os.getpid():
            thread = threading.Thread(target=_ring_forever, name="doorbells", daemon=True)
            thread.start()
            _bells_thread = (os.getpid(), thread)
    _bells.put(task_name)


def _ring_forever() -> None:
    while True:
        task_name = _bells.get()
        # Cleared before sending: a change committed from now on rings again, and one
        # committed before is seen by the job this message starts.
        with _bells_lock:
            _bells_pending.discard(task_name)
        _send(task_name, (), {})
