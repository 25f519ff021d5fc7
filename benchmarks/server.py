"""The app as production runs it, for the benchmarks that go over HTTP (the browser row of
`make bench`, `make bench-load`): gunicorn with gunicorn.conf.py and the production
settings (DEBUG off), on a free loopback port."""

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
START_SECONDS = 60

# Production settings, served over plain HTTP on loopback: the two switches the settings
# read for that (SECURE_SSL_REDIRECT, SECURE_COOKIES) are turned off here only, for this
# process and its server; production keeps their defaults (on).
SERVER_ENV = {
    "DJANGO_SETTINGS_MODULE": "pipelinecrm.settings",
    "DEBUG": "0",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "127.0.0.1",
    "SECURE_SSL_REDIRECT": "0",
    "SECURE_COOKIES": "0",
    "GUNICORN_LOG_LEVEL": "warning",
}


def set_password(username: str, password: str) -> None:
    """Give ``username`` ``password`` as the production settings hash it: the benchmark's
    own process hashes with the tests' fast hasher, which production does not accept."""
    code = (
        "import os; from accounts.models import User; "
        "user = User.objects.get(username=os.environ['BENCH_USERNAME']); "
        "user.set_password(os.environ['BENCH_PASSWORD']); user.save()"
    )
    env = {**os.environ, **SERVER_ENV, "BENCH_USERNAME": username, "BENCH_PASSWORD": password}
    manage = [sys.executable, "manage.py", "shell", "--no-imports", "-c", code]
    subprocess.run(manage, cwd=ROOT, env=env, check=True)  # noqa: S603


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def production_server(log: Path, *, static: bool = False) -> Iterator[str]:
    """The server's base URL while it runs; its errors go to ``log``. With ``static``, the
    static files are collected first, as a deploy does (hashed names, compressed, cached
    by the browser for a year), so that a page's scripts and styles cost what they cost
    in production."""
    env = {**os.environ, **SERVER_ENV}
    if static:
        manage = [sys.executable, "manage.py", "collectstatic", "--no-input", "--verbosity", "0"]
        subprocess.run(manage, cwd=ROOT, env=env, check=True)  # noqa: S603
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "pipelinecrm.wsgi"],
        cwd=ROOT,
        env={**env, "GUNICORN_BIND": f"127.0.0.1:{port}"},
        stdout=subprocess.DEVNULL,  # the access log: one line a request
        stderr=log.open("w"),
        start_new_session=True,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_until_serving(server, f"{url}/healthz", log)
        yield url
    finally:
        _stop(server)


def _wait_until_serving(server: subprocess.Popen, url: str, log: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited; its log: {log.read_text()[-2000:]}")
        with (
            contextlib.suppress(OSError),
            urllib.request.urlopen(url, timeout=20) as response,  # noqa: S310 (loopback)
        ):
            if response.status == 200:
                return
        time.sleep(0.3)
    raise RuntimeError(f"gunicorn did not answer {url} within {START_SECONDS} s; log: {log}")


def _stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
