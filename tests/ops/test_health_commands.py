"""The compose health checks of worker and beat, run as Docker would run them, against a real
worker and a real beat on Redis (docs/hardening/operations.md)."""

import os
import shlex
import socket
import subprocess
import uuid

import pytest

from tests.fixtures_celery import wait_for
from tests.ops.servers import BASE_DIR, VENV_BIN, database_url, spawn, stop
from tests.test_compose import SERVICES, command_line
from tests.test_deploy import production_env

pytestmark = pytest.mark.processes


def compose_check(service: str) -> str:
    """The shell line of the service's health check, with compose's `$$` escape undone."""
    kind, line = SERVICES[service]["healthcheck"]["test"]
    assert kind == "CMD-SHELL"
    return line.replace("$$", "$")


@pytest.fixture
def app_env(django_db_setup, tmp_path) -> dict[str, str]:
    return production_env(
        PATH=f"{VENV_BIN}:{os.environ['PATH']}",
        DATABASE_URL=database_url(),
        REDIS_URL=os.environ["REDIS_URL"],
        VAR_DIR=str(tmp_path),
        # In a container the hostname and $HOSTNAME agree; the node names use the former.
        HOSTNAME=socket.gethostname(),
    )


def run_checks(env: dict[str, str]) -> dict[str, subprocess.CompletedProcess]:
    """Both checks at once (each waits up to its --timeout for a reply)."""
    running = {
        service: subprocess.Popen(  # noqa: S602
            compose_check(service),
            shell=True,
            cwd=BASE_DIR,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for service in ("worker", "beat")
    }
    return {
        service: subprocess.CompletedProcess(p.args, p.wait(timeout=60), p.stdout.read(), "")
        for service, p in running.items()
    }


def checks_once_beat_answers(env: dict[str, str]) -> dict | None:
    checks = run_checks(env)
    return checks if checks["beat"].returncode == 0 else None


def test_worker_and_beat_are_healthy_while_running_and_unhealthy_once_gone(app_env, tmp_path):
    # The worker consumes a queue of its own: it must not take jobs of other test runs.
    worker_command = f"{command_line('worker')} --pool=solo -Q ops-{uuid.uuid4().hex[:8]}"
    worker = spawn(shlex.split(worker_command), env=app_env, log=tmp_path / "worker.log")
    beat = spawn(shlex.split(command_line("beat")), env=app_env, log=tmp_path / "beat.log")
    try:
        wait_for(
            lambda: "ready." in (tmp_path / "worker.log").read_text(),
            timeout=60,
            what="the worker to be ready",
        )
        # Beat answers once its first tick is done; the worker as soon as it is ready.
        checks = wait_for(
            lambda: checks_once_beat_answers(app_env), timeout=60, what="beat to answer"
        )
        for service, node in (("worker", "celery@"), ("beat", "celerybeat@")):
            assert checks[service].returncode == 0, checks[service].stdout
            assert f"{node}{socket.gethostname()}: OK" in checks[service].stdout
    finally:
        stop(worker)
        stop(beat)

    after = run_checks(app_env)
    assert after["worker"].returncode != 0, after["worker"].stdout
    assert after["beat"].returncode != 0, after["beat"].stdout
