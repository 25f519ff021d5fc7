"""`make run`'s zero-setup defaults (docs/running.md): SQLite in WAL mode and the file broker.

Run as subprocesses with a clean environment (no DATABASE_URL, no REDIS_URL), in a var/
folder of their own, so nothing here touches PostgreSQL or Redis.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.processes

BASE_DIR = Path(__file__).resolve().parent.parent

# Pages a person opens first; each must answer 200 on the embedded defaults.
PAGES_SCRIPT = """
from django.test import Client
from accounts.models import User

def answers(client, url):
    response = client.get(url, follow=True)
    assert response.status_code == 200, (url, response.status_code)
    print("ok", url)
    return response.redirect_chain[-1][0] if response.redirect_chain else url

rep = Client(SERVER_NAME="localhost")
rep.force_login(User.objects.get(username="rep1"))
for url in ["/", "/board/", "/home/", "/deals/", "/activities/"]:
    answers(rep, url)
manager = Client(SERVER_NAME="localhost")
manager.force_login(User.objects.get(username="manager"))
team = answers(manager, "/dashboard/")
for page in ["checklists/", "probabilities/"]:
    answers(manager, team + page)
"""

PERIODIC_TASKS = [
    "flag_stalled_deals",
    "recompute_forecasts",
    "recompute_dirty_forecasts",
    "remind_activities",
]
SEND_TASKS_SCRIPT = "import forecasting.tasks as t; " + "; ".join(
    f"t.{name}.delay()" for name in PERIODIC_TASKS
)


@pytest.fixture
def embedded_env(tmp_path):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "SECRET_KEY"}
    }
    env |= {
        "DEBUG": "1",
        "VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "pipelinecrm.settings",
    }
    return env


def manage(env, *args, timeout=120):
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def test_sqlite_defaults_migrate_seed_and_serve_the_board(embedded_env, tmp_path):
    manage(embedded_env, "migrate", "--no-input")
    manage(embedded_env, "seed_demo", "--deals", "40", "--password", "demo-pass-123")

    assert (tmp_path / "db.sqlite3").exists()
    journal = manage(
        embedded_env,
        "shell",
        "-c",
        "from django.db import connection; c = connection.cursor(); "
        "print(c.execute('PRAGMA journal_mode').fetchone()[0])",
    )
    assert journal.strip().endswith("wal")
    output = manage(embedded_env, "shell", "-c", PAGES_SCRIPT)
    assert "ok /board/" in output


def _all_succeeded(worker_log: str) -> bool:
    """Each task was received and as many tasks succeeded as were sent."""
    received = all(f"forecasting.tasks.{name}[" in worker_log for name in PERIODIC_TASKS)
    return received and worker_log.count("succeeded in") >= len(PERIODIC_TASKS)


def test_each_job_runs_once_on_a_real_worker_over_the_file_broker(embedded_env, tmp_path):
    manage(embedded_env, "migrate", "--no-input")
    manage(embedded_env, "seed_demo", "--deals", "60", "--password", "demo-pass-123")
    manage(embedded_env, "shell", "-c", SEND_TASKS_SCRIPT)
    log = tmp_path / "worker.log"
    with log.open("w") as out:
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "pipelinecrm",
                "worker",
                "--pool=solo",
                "--loglevel=INFO",
                "--without-heartbeat",
                "--without-gossip",
                "--without-mingle",
            ],
            cwd=BASE_DIR,
            env=embedded_env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 90
        while not _all_succeeded(log.read_text()) and time.monotonic() < deadline:
            assert worker.poll() is None, log.read_text()[-3000:]
            time.sleep(0.5)
        text = log.read_text()
        assert _all_succeeded(text), text[-3000:]
        assert "Traceback" not in text, text[-3000:]
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    snapshots = manage(
        embedded_env,
        "shell",
        "-c",
        "from forecasting.models import ForecastSnapshot; print(ForecastSnapshot.objects.count())",
    )
    assert int(snapshots.strip().splitlines()[-1]) > 0
    output = manage(embedded_env, "shell", "-c", PAGES_SCRIPT)
    assert "ok /dashboard/" in output
