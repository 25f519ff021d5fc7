"""/healthz tells a load balancer or compose whether this
instance can serve (docs/hardening/operations.md)."""

import signal
import time

import pytest
from django.urls import reverse

from pipelinecrm.celery import app as celery_app

# Nothing listens on port 1: connections are refused at once, like a Redis that is down.
UNREACHABLE_BROKER = "redis://127.0.0.1:1/0"


@pytest.fixture
def broker_down(monkeypatch):
    """Point the Celery app at a dead broker for one test; monkeypatch restores it."""
    monkeypatch.setattr(celery_app.conf, "broker_url", UNREACHABLE_BROKER)


@pytest.fixture
def hang_guard():
    """Fail, rather than hang the suite, if the probe stops honouring its timeout."""

    def _timed_out(signum, frame):
        raise TimeoutError("/healthz did not answer within 10 s")

    previous = signal.signal(signal.SIGALRM, _timed_out)
    signal.alarm(10)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def test_healthy_when_database_and_broker_answer(client, db):
    response = client.get(reverse("healthz"))

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}
    assert "no-cache" in response.headers["Cache-Control"]


def test_unhealthy_and_names_the_broker_when_it_is_down(client, db, broker_down, hang_guard):
    started = time.monotonic()
    response = client.get(reverse("healthz"))
    elapsed = time.monotonic() - started

    assert response.status_code == 503
    assert response.json() == {"status": "fail", "database": "ok", "broker": "unreachable"}
    # The probe makes one attempt bounded by the 2 s broker connection timeout; a refused
    # connection must not wait for retries.
    assert elapsed < 2, f"/healthz took {elapsed:.1f} s with the broker down"
