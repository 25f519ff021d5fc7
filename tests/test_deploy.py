"""Production settings (DEBUG=0) pass Django's deployment checklist and refuse to start unsafe.

Each check runs ``manage.py`` in a fresh process with a production environment, as the
Docker image does, because settings are read once per process.
"""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.processes

BASE_DIR = Path(__file__).resolve().parent.parent

# What a process needs to run at all. Everything else is left out: the test process carries
# settings (test settings, DJANGO_ALLOW_ASYNC_UNSAFE from the browser tests, a developer's
# shell) that a bare production install would not have.
BASE_VARIABLES = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR")


def production_env(**overrides: str) -> dict[str, str]:
    """The environment of a fresh production install: no database or broker URL (SQLite and
    the file broker are fine for checks), a long random key, one host, no SECURE_* tweaks."""
    env = {name: os.environ[name] for name in BASE_VARIABLES if name in os.environ}
    env.update(
        DJANGO_SETTINGS_MODULE="pipelinecrm.settings",
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="crm.example.com",
    )
    env.update(overrides)
    return env


def run_python(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def deploy_check(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return run_python("manage.py", "check", "--deploy", "--fail-level", "WARNING", env=env)


def test_production_settings_pass_the_deployment_checklist():
    result = deploy_check(production_env())

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "no issues" in output
    assert "WARNING" not in output.upper()


def test_deployment_checklist_fails_with_debug_on():
    result = deploy_check(production_env(DEBUG="1"))

    assert result.returncode != 0
    assert "security.W018" in result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret_key():
    env = production_env()
    del env["SECRET_KEY"]

    result = run_python("-c", "import pipelinecrm.settings", env=env)

    assert result.returncode != 0
    assert "ImproperlyConfigured: Set SECRET_KEY" in result.stderr


def test_image_build_collects_static_files_for_production(tmp_path):
    """The Dockerfile runs collectstatic with the production storage, which hashes every file
    and rewrites the references inside CSS and JS; a dangling reference fails the build."""
    collect = (
        "import sys, django\n"
        "from django.conf import settings\n"
        "from django.core.management import call_command\n"
        "settings.STATIC_ROOT = sys.argv[1]\n"
        "django.setup()\n"
        "call_command('collectstatic', interactive=False, verbosity=0)\n"
    )

    result = run_python("-c", collect, str(tmp_path), env=production_env())

    assert result.returncode == 0, result.stderr
    manifest = (tmp_path / "staticfiles.json").read_text()
    assert "css/app.css" in manifest
