"""A real Celery worker on Redis for the job tests (docs/architecture.md).

One in-process worker per session (solo pool, in a thread) consumes a queue whose name is
unique to the run, on the Redis database of ``REDIS_URL``, so parallel runs sharing a Redis
server never take each other's jobs. Tests ask for ``celery_worker`` (which implies
``transactional_db``: the worker's own connection must see committed data); during such a
test every enqueue goes to the run's queue, and the test ends only once the worker is idle,
so no job of one test runs during the next. pytest-celery 1.x needs Docker, which these
machines lack.
"""

import time
import uuid
from collections.abc import Callable, Iterator

import pytest
import redis
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from celery.worker import state as worker_state
from django.db import connections

from pipelinecrm.celery import app as celery_app

RUN_QUEUE = f"pipelinecrm-test-{uuid.uuid4().hex[:12]}"


def wait_for(predicate: Callable[[], object], *, timeout: float = 15, what: str = "") -> object:
    """Poll ``predicate`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"Timed out after {timeout:g} s waiting for {what or predicate}")
        time.sleep(0.05)


def _close_worker_connections(**_) -> None:
    """The worker thread's database connections must not outlive a task: the test database
    is flushed between tests and dropped at the end of the session."""
    connections.close_all()


@pytest.fixture(scope="session")
def celery_session_worker(django_db_setup) -> Iterator:
    """Database access stays blocked outside tests: the worker only runs jobs that a
    ``celery_worker`` test enqueued, while that test's database is open."""
    task_postrun.connect(_close_worker_connections, weak=False)
    with start_worker(
        celery_app,
        pool="solo",
        concurrency=1,
        queues=[RUN_QUEUE],
        perform_ping_check=False,
        shutdown_timeout=30,
    ) as worker:
        yield worker
    task_postrun.disconnect(_close_worker_connections)


def _worker_idle(broker: redis.Redis) -> bool:
    return not (
        broker.llen(RUN_QUEUE)
        or worker_state.reserved_requests
        or worker_state.active_requests
        or worker_state.scheduled_requests
    )


@pytest.fixture
def celery_worker(celery_session_worker, transactional_db, settings) -> Iterator:
    """The running worker; enqueues of this test go to it. Waits for it to be idle after."""
    broker = redis.Redis.from_url(celery_app.conf.broker_url)
    saved_queue = celery_app.conf.task_default_queue
    celery_app.conf.task_default_queue = RUN_QUEUE
    # Debounced recomputes run one second after the first change, not a minute.
    settings.FORECAST_DEBOUNCE_SECONDS = 1
    try:
        yield celery_session_worker
        wait_for(lambda: _worker_idle(broker), timeout=30, what="the worker to finish its jobs")
    finally:
        celery_app.conf.task_default_queue = saved_queue
        broker.close()
