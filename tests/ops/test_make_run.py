"""`make run` keeps serving when the worker dies: honcho stops everything once one process
exits, so Procfile.dev wraps worker and beat in scripts/restart-on-exit.sh
(docs/hardening/operations.md). Its last step, scripts/run-dev.sh, takes the port from PORT,
prints the sign-in line again once the server answers and stops with status 0 on Ctrl-C.
Real processes, on SQLite and the file broker as `make run` uses them, in a temporary
directory."""

import os
import signal
import socket
import subprocess
from pathlib import Path

import pytest

from tests.fixtures_celery import wait_for
from tests.ops.servers import BASE_DIR, VENV_BIN, free_port, get, spawn, stop

pytestmark = pytest.mark.processes

RESTART = str(BASE_DIR / "scripts" / "restart-on-exit.sh")
RUN_DEV = str(BASE_DIR / "scripts" / "run-dev.sh")
DEMO_PASSWORD = "first-minutes"


def children_of(pid: int) -> list[int]:
    """Every descendant of ``pid``, from /proc (parent id is the 4th field of stat)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = [], [pid]
    while frontier:
        parent = frontier.pop()
        kids = [child for child, ppid in parents.items() if ppid == parent]
        found += kids
        frontier += kids
    return found


def command_of(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def running(pid: int) -> bool:
    """Alive, not a zombie waiting for its parent to read its status."""
    try:
        stat = (Path("/proc") / str(pid) / "stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def celery_worker_pid(honcho_pid: int) -> int | None:
    for pid in children_of(honcho_pid):
        command = command_of(pid)
        if "celery" in command and " worker" in command and "restart-on-exit" not in command:
            return pid
    return None


def test_the_wrapper_starts_a_command_again_each_time_it_exits(tmp_path):
    runs = tmp_path / "runs"
    wrapper = subprocess.Popen(
        [RESTART, "sh", "-c", f"echo run >> {runs}; exit 3"],
        env={**os.environ, "RESTART_DELAY_SECONDS": "0.1"},
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        wait_for(
            lambda: runs.exists() and len(runs.read_text().split()) >= 3,
            timeout=30,
            what="three runs",
        )
    finally:
        assert stop(wrapper) == 0
    assert "exited with status 3; starting it again" in wrapper.stderr.read()


def test_stopping_the_wrapper_stops_its_command(tmp_path):
    pid_file = tmp_path / "pid"
    wrapper = subprocess.Popen(
        [RESTART, "sh", "-c", f"echo $$ > {pid_file}; exec sleep 300"],
        start_new_session=True,
    )
    wait_for(lambda: pid_file.exists() and pid_file.read_text().strip(), timeout=30, what="pid")
    command_pid = int(pid_file.read_text())

    # Only the wrapper is signalled, as honcho signals the processes it started.
    os.kill(wrapper.pid, signal.SIGTERM)

    assert wrapper.wait(timeout=30) == 0
    assert not Path(f"/proc/{command_pid}").exists(), "the wrapped command outlived its wrapper"


def run_dev_env(tmp_path: Path, port: int) -> dict[str, str]:
    """The environment `make run` gives scripts/run-dev.sh, with its files in tmp_path."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "WEB_PORT")
    }
    env.update(
        PATH=f"{VENV_BIN}:{env['PATH']}",
        DEBUG="1",
        VAR_DIR=str(tmp_path / "var"),
        PORT=str(port),
        DEMO_PASSWORD=DEMO_PASSWORD,
        RESTART_DELAY_SECONDS="1",
        PYTHONUNBUFFERED="1",
    )
    return env


@pytest.fixture
def make_run(tmp_path):
    """Procfile.dev under honcho, as `make run` starts it through scripts/run-dev.sh."""
    port = free_port()
    log = tmp_path / "honcho.log"
    honcho = spawn([RUN_DEV], env=run_dev_env(tmp_path, port), log=log)
    try:
        yield honcho, port, log
    finally:
        stop(honcho)


def test_make_run_keeps_serving_while_a_killed_worker_comes_back(make_run):
    honcho, port, log = make_run
    healthz = f"http://127.0.0.1:{port}/healthz"
    wait_for(lambda: get(healthz)[0] == 200, timeout=90, what=f"the web server\n{log}")
    first = wait_for(lambda: celery_worker_pid(honcho.pid), timeout=30, what="the worker")
    wait_for(lambda: log.read_text().count(" ready.") == 1, timeout=90, what="worker ready")

    os.kill(first, signal.SIGKILL)

    answers = []

    def worker_back() -> int | None:
        answers.append(get(healthz)[0])
        replacement = celery_worker_pid(honcho.pid)
        if replacement and replacement != first and log.read_text().count(" ready.") == 2:
            return replacement
        return None

    wait_for(worker_back, timeout=90, what="the worker to be started again")
    assert honcho.poll() is None, log.read_text()
    assert set(answers) == {200}, "the web server stopped answering meanwhile"
    assert get(healthz)[0] == 200
    assert "exited with status 137; starting it again" in log.read_text()


def test_make_run_serves_on_the_given_port_and_prints_the_sign_in_line_again_once_it_answers(
    make_run,
):
    _, port, log = make_run
    wait_for(lambda: get(f"http://127.0.0.1:{port}/healthz")[0] == 200, timeout=90, what="web")
    line = f"open http://127.0.0.1:{port} and sign in as rep1, manager or admin with password"

    wait_for(lambda: line in log.read_text(), timeout=30, what=f"the sign-in line\n{log}")

    assert f"{line} {DEMO_PASSWORD}" in log.read_text()
    assert log.read_text().count(line) == 1, "printed once, not at every poll"


def test_ctrl_c_stops_make_run_cleanly(make_run):
    honcho, port, log = make_run
    wait_for(lambda: "Ready: open" in log.read_text(), timeout=90, what=f"the server\n{log}")
    processes = children_of(honcho.pid)

    # The terminal sends Ctrl-C's SIGINT to the whole foreground process group.
    os.killpg(honcho.pid, signal.SIGINT)

    assert honcho.wait(timeout=60) == 0, log.read_text()
    wait_for(lambda: not any(map(running, processes)), timeout=30, what="every process to end")
    assert get(f"http://127.0.0.1:{port}/healthz")[0] == 0


def test_a_taken_port_is_refused_with_the_way_out(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [RUN_DEV],
            env=run_dev_env(tmp_path, port),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    assert result.returncode == 1
    assert f"port {port} is taken" in result.stderr
    assert "make run PORT=" in result.stderr
    assert not (tmp_path / "var").exists(), "nothing was started"
