"""`make run`'s zero-setup defaults (PRODUCT.md §10): SQLite in WAL mode and the file broker.

Run as subprocesses with a clean environment (no DATABASE_URL, no REDIS_URL), in a var/
folder of their own, so nothing here touches PostgreSQL or Redis.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent

# Pages a person opens first; each must answer 200 on the embedded defaults.
PAGES_SCRIPT = """
from django.test import Client
from accounts.models import User
client = Client(SERVER_NAME="localhost")
client.force_login(User.objects.get(username="rep1"))
for url in ["/board/", "/"]:
    response = client.get(url, follow=True)
    assert response.status_code == 200, (url, response.status_code)
    print("ok", url, response.redirect_chain[-1][0] if response.redirect_chain else url)
"""


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
