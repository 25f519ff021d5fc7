"""Real processes for the operations and fault tests (docs/hardening/faults.md and
docs/hardening/operations.md): gunicorn, honcho, ``celery worker`` / ``celery beat``, and
``redis-server`` instances of a test's own.

Each process runs in its own process group, writing to a log file, on the test database of
this run. A test that restarts Redis starts its own server on a free port, so the shared
Redis of the other tests is never disturbed.
"""

import os
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from urllib.parse import quote

import redis
from django.conf import settings

from tests.fixtures_celery import wait_for

BASE_DIR = Path(settings.BASE_DIR)
VENV_BIN = Path(sys.executable).parent
# As Procfile.dev and docker-compose.yml start the worker (docs/hardening/faults.md).
WORKER_STEPS_OFF = ("--without-gossip", "--without-mingle", "--without-heartbeat")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def database_url() -> str:
    """The URL of the database pytest-django created for this run (``django_db_setup``)."""
    db = settings.DATABASES["default"]
    credentials = quote(db["USER"]) + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
    host = f"{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}"
    return f"postgres://{credentials}@{host}/{quote(db['NAME'])}"


def get(url: str, timeout: float = 5) -> tuple[int, bytes]:
    """Status and body of a GET, errors included; (0, b"") when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return 0, b""


def spawn(args: list[str], *, env: dict[str, str], log: Path) -> subprocess.Popen:
    """Start ``args`` in the repository as a process group of its own, appending to ``log``."""
    with log.open("ab") as output:
        return subprocess.Popen(
            args,
            cwd=BASE_DIR,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def stop(
    process: subprocess.Popen | None, sig: int = signal.SIGTERM, timeout: float = 30
) -> int | None:
    """Signal the process group a test started (SIGTERM by default), SIGKILL it if it
    lingers; its exit status."""
    if process is None:
        return None
    if process.poll() is None:
        os.killpg(process.pid, sig)
        try:
            return process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
    return process.wait(timeout=10)


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
        self.process = spawn(
            [
                *("redis-server", "--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no", "--daemonize", "no"),
                *("--dir", str(self.workdir)),
            ],
            env=dict(os.environ),
            log=self.workdir / "redis.log",
        )
        wait_for(self._answers, timeout=30, what=f"redis-server on port {self.port}")

    def stop(self) -> None:
        stop(self.process)

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
    """``celery -A pipelinecrm worker|beat …`` as production starts it."""
    extra = (
        ("--hostname", f"{uuid.uuid4().hex[:8]}@%h", *WORKER_STEPS_OFF)
        if command == "worker"
        else ()
    )
    celery = (sys.executable, "-m", "celery", "-A", "pipelinecrm", command, "--loglevel=INFO")
    return spawn([*celery, *extra, *args], env=env, log=log)
