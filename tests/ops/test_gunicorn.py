"""gunicorn.conf.py: settings fitted to the machine, each overridable, and a real gunicorn
started with it serves the app (docs/hardening/operations.md)."""

import json
import os
import signal
import socket
import subprocess

import pytest

from tests.fixtures_celery import wait_for
from tests.ops.servers import (
    BASE_DIR,
    VENV_BIN,
    database_url,
    free_port,
    get,
    spawn,
    stop,
)
from tests.test_deploy import production_env

pytestmark = pytest.mark.processes

GUNICORN = [str(VENV_BIN / "gunicorn"), "--config", "gunicorn.conf.py"]
APP = "pipelinecrm.wsgi"


def gunicorn_run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*GUNICORN, *args, APP],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def resolved_config(**env: str) -> dict[str, str]:
    """gunicorn's own reading of the file (``--print-config``): name → value."""
    result = gunicorn_run("--print-config", env=production_env(**env))
    assert result.returncode == 0, result.stderr
    pairs = (line.split("=", 1) for line in result.stdout.splitlines() if " = " in line)
    return {name.strip(): value.strip() for name, value in pairs}


def test_the_config_passes_gunicorns_check():
    result = gunicorn_run("--check-config", env=production_env())

    assert result.returncode == 0, result.stdout + result.stderr


def test_defaults_fit_the_machine():
    config = resolved_config()

    cores = len(os.sched_getaffinity(0))
    assert config["workers"] == str(2 * cores + 1)
    assert config["worker_class"] == "gthread"
    assert config["threads"] == "2"
    assert config["timeout"] == "30"
    assert config["graceful_timeout"] == "30"
    assert config["keepalive"] == "75"
    assert config["max_requests"] == "1000"
    assert config["max_requests_jitter"] == "100"
    assert config["limit_request_line"] == "4094"
    assert config["limit_request_fields"] == "100"
    assert config["limit_request_field_size"] == "8190"
    assert config["forwarded_allow_ips"] == "['127.0.0.1', '::1']"
    assert config["accesslog"] == "-"
    assert config["bind"] == "['0.0.0.0:8000']"


def test_each_setting_is_overridden_by_the_environment():
    config = resolved_config(
        WEB_CONCURRENCY="3",
        GUNICORN_THREADS="4",
        GUNICORN_TIMEOUT="45",
        GUNICORN_GRACEFUL_TIMEOUT="20",
        GUNICORN_KEEPALIVE="5",
        GUNICORN_MAX_REQUESTS="500",
        GUNICORN_MAX_REQUESTS_JITTER="50",
        GUNICORN_LIMIT_REQUEST_LINE="2048",
        GUNICORN_LIMIT_REQUEST_FIELDS="50",
        GUNICORN_LIMIT_REQUEST_FIELD_SIZE="4096",
        FORWARDED_ALLOW_IPS="10.0.0.2",
        GUNICORN_BIND="127.0.0.1:9000",
    )

    assert config["workers"] == "3"
    assert config["threads"] == "4"
    assert config["timeout"] == "45"
    assert config["graceful_timeout"] == "20"
    assert config["keepalive"] == "5"
    assert config["max_requests"] == "500"
    assert config["max_requests_jitter"] == "50"
    assert config["limit_request_line"] == "2048"
    assert config["limit_request_fields"] == "50"
    assert config["limit_request_field_size"] == "4096"
    assert config["forwarded_allow_ips"] == "['10.0.0.2']"
    assert config["bind"] == "['127.0.0.1:9000']"


@pytest.fixture
def gunicorn_server(django_db_setup, tmp_path):
    """gunicorn with the config on a free loopback port, on the test database and Redis.

    Two workers rather than the machine's five: the machine is shared with other test runs.
    """
    port = free_port()
    env = production_env(
        DATABASE_URL=database_url(),
        REDIS_URL=os.environ["REDIS_URL"],
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="0",
        WEB_CONCURRENCY="2",
        GUNICORN_BIND=f"127.0.0.1:{port}",
    )
    log = tmp_path / "gunicorn.log"
    process = spawn([*GUNICORN, APP], env=env, log=log)
    try:
        yield process, port, log
    finally:
        stop(process)


def healthz(port: int) -> tuple[int, bytes]:
    return get(f"http://127.0.0.1:{port}/healthz")


def first_answer(process: subprocess.Popen, port: int) -> tuple[int, bytes] | None:
    assert process.poll() is None, "gunicorn exited at startup"
    status, body = healthz(port)
    return (status, body) if status else None


def test_gunicorn_serves_healthz_with_the_config(gunicorn_server):
    process, port, log = gunicorn_server
    status, body = wait_for(lambda: first_answer(process, port), timeout=60, what="gunicorn")

    assert status == 200, log.read_text()
    assert json.loads(body) == {"status": "ok", "database": "ok", "broker": "ok"}

    # An oversized request line is refused by gunicorn itself (414), before Django.
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
        raw.sendall(b"GET /" + b"a" * 5000 + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        answer = raw.recv(4096)
    assert answer.startswith(b"HTTP/1.1 414")

    # SIGTERM stops it gracefully: workers finish and the master exits cleanly.
    os.killpg(process.pid, signal.SIGTERM)
    assert process.wait(timeout=40) == 0
    output = log.read_text()
    assert "Using worker: gthread" in output
    assert '"GET /healthz HTTP/1.1" 200' in output, "the access log goes to stdout"
