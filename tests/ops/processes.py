"""Real servers and Celery processes for the fault tests (docs/hardening/faults.md).

Each test starts its own ``redis-server`` on a free port (so restarting it disturbs nobody
else on the shared Redis) and runs ``celery worker`` / ``celery beat`` as separate processes
configured as in production, on the test database and that Redis.
"""

import os
import signal
import socket
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import quote

import redis
from django.conf import settings
from django.db import connection

from tests.fixtures_celery import wait_for

BASE_DIR = Path(settings.BASE_DIR)
# As Procfile.dev and docker-compose.yml start the worker (docs/hardening/faults.md).
WORKER_STEPS_OFF = ("--without-gossip", "--without-mingle", "--without-heartbeat")


def database_url() -> str:
    """The test database as a URL, for the child processes' DATABASE_URL."""
    db = connection.settings_dict
    credentials = quote(db["USER"]) + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
    host = f"{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}"
    return f"postgresql://{credentials}@{host}/{quote(db['NAME'])}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RedisServer:
    """A throwaway ``redis-server`` without persistence, like a restarted container's."""

    def __init__(self, workdir: Path):
        self.port = free_port()
        self.workdir = workdir
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url, socket_timeout=2)

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                *("redis-server", "--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no", "--daemonize", "no"),
                *("--dir", str(self.workdir)),
            ],
            stdout=(self.workdir / "redis.log").open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_for(self._answers, timeout=30, what=f"redis-server on port {self.port}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)

    def restart(self) -> None:
        self.stop()
        self.start()

    def _answers(self) -> bool:
        client = self.client()
        try:
            return bool(client.ping())
        except redis.ConnectionError:
            return False
        finally:
            client.close()


def app_environment(redis_url: str, var_dir: Path, **variables: str) -> dict[str, str]:
    """The environment of a production process, on the test database and ``redis_url``."""
    return os.environ | {
        "DJANGO_SETTINGS_MODULE": "pipelinecrm.settings_test",
        "DATABASE_URL": database_url(),
        "REDIS_URL": redis_url,
        "VAR_DIR": str(var_dir),
        "PYTHONUNBUFFERED": "1",
        **variables,
    }


def start_celery(command: str, env: dict[str, str], log: Path, *args: str) -> subprocess.Popen:
    """``celery -A pipelinecrm worker|beat …`` as its own process group, logging to ``log``."""
    extra = (
        ("--hostname", f"{uuid.uuid4().hex[:8]}@%h", *WORKER_STEPS_OFF)
        if command == "worker"
        else ()
    )
    celery = (sys.executable, "-m", "celery", "-A", "pipelinecrm", command, "--loglevel=INFO")
    return subprocess.Popen(
        [*celery, *extra, *args],
        cwd=BASE_DIR,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop(process: subprocess.Popen | None, sig: int = signal.SIGTERM) -> None:
    if process is not None and process.poll() is None:
        os.killpg(process.pid, sig)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
