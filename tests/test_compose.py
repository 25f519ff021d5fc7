"""What a deployer relies on in docker-compose.yml and the Dockerfile.

There is no Docker engine on the test machines, so the files are parsed, not run; `make test`
also runs `docker compose config` where Docker is available.
"""

import re
from pathlib import Path

import pytest
import yaml

BASE_DIR = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
APP_SERVICES = ("web", "worker", "beat")
DOCKERFILE = (BASE_DIR / "Dockerfile").read_text()


def command_line(service: str) -> str:
    command = SERVICES[service]["command"]
    return command if isinstance(command, str) else " ".join(command)


def healthcheck_line(service: str) -> str:
    test = SERVICES[service]["healthcheck"]["test"]
    return test if isinstance(test, str) else " ".join(test)


def test_the_five_services():
    assert set(SERVICES) == {"db", "redis", "web", "worker", "beat"}


def test_database_is_postgres_16_on_a_named_volume():
    db = SERVICES["db"]

    assert db["image"] == "postgres:16"
    assert "pg_isready" in healthcheck_line("db")
    volumes = {volume.split(":")[0]: volume.split(":")[1] for volume in db["volumes"]}
    named = [name for name, target in volumes.items() if target == "/var/lib/postgresql/data"]
    assert named, "the database needs a volume for its data"
    assert named[0] in COMPOSE["volumes"], "a named volume survives `docker compose down`"


def test_redis_is_checked_with_ping():
    assert SERVICES["redis"]["image"] == "redis:7"
    assert "redis-cli ping" in healthcheck_line("redis")


def test_web_migrates_then_serves_with_gunicorn():
    command = command_line("web")

    assert "python manage.py migrate --no-input" in command
    assert "gunicorn pipelinecrm.wsgi" in command
    assert command.index("migrate") < command.index("gunicorn")
    # `&&`: gunicorn must not start on a failed migration.
    assert re.search(r"migrate --no-input\s*&&", command)


def test_web_is_healthy_only_when_healthz_answers():
    assert "/healthz" in healthcheck_line("web")


@pytest.mark.parametrize("service", ["worker", "beat"])
def test_celery_processes(service):
    assert command_line(service).startswith(f"celery -A pipelinecrm {service}")


@pytest.mark.parametrize("service", APP_SERVICES)
def test_app_services_wait_for_healthy_database_and_broker(service):
    depends_on = SERVICES[service]["depends_on"]

    for dependency in ("db", "redis"):
        assert depends_on[dependency] == {"condition": "service_healthy"}


@pytest.mark.parametrize("service", ["worker", "beat"])
def test_jobs_wait_for_migrations(service):
    """Healthy web means `migrate` has finished, so no job meets a half-migrated schema."""
    assert SERVICES[service]["depends_on"]["web"] == {"condition": "service_healthy"}


def test_app_services_share_image_and_environment():
    """One anchor for all three, so the enqueuing and the running process never disagree."""
    web, worker, beat = (SERVICES[name] for name in APP_SERVICES)

    assert web["environment"] == worker["environment"] == beat["environment"]
    assert web["image"] == worker["image"] == beat["image"]
    assert web["environment"] == COMPOSE["x-app"]["environment"]


def test_app_environment_is_production():
    env = SERVICES["web"]["environment"]

    assert env["DEBUG"] == "0"
    assert env["DATABASE_URL"].startswith("postgres://")
    assert "@db:5432/" in env["DATABASE_URL"]
    assert env["REDIS_URL"].startswith("redis://redis:6379/")
    assert env["SECRET_KEY"].startswith("${SECRET_KEY"), "the key comes from the deployer"
    # TLS terminates at the proxy in front: it redirects, the app trusts X-Forwarded-Proto.
    assert env["SECURE_SSL_REDIRECT"] == "0"
    assert env["BEHIND_TLS_PROXY"] == "1"
    # One proxy appends the client's address: lockouts and rate limits count that address.
    assert env["TRUSTED_PROXY_COUNT"] == "${TRUSTED_PROXY_COUNT:-1}"
    # The container's own healthcheck connects to 127.0.0.1.
    assert "127.0.0.1" in env["ALLOWED_HOSTS"].split(",")
    # Unset must not mean empty: an empty EMAIL_URL selects the console backend, which drops mail.
    assert re.fullmatch(r"\$\{EMAIL_URL:-[^}]+\}", env["EMAIL_URL"])


def test_dockerfile_installs_exactly_the_locked_dependencies():
    assert re.search(r"^FROM python:3.12-slim$", DOCKERFILE, re.MULTILINE)
    sync = re.search(r"^RUN uv sync .*$", DOCKERFILE, re.MULTILINE)
    assert sync, "the image installs dependencies with uv sync"
    assert "--frozen" in sync.group(0), "uv.lock, not a fresh resolution, decides versions"
    assert "--no-dev" in sync.group(0)


def test_dockerfile_runs_as_an_unprivileged_user_on_port_8000():
    users = re.findall(r"^USER (\S+)", DOCKERFILE, re.MULTILINE)

    assert users
    assert users[-1] not in ("root", "0")
    assert re.search(r"^EXPOSE 8000$", DOCKERFILE, re.MULTILINE)


def test_dockerfile_keeps_the_build_secret_out_of_the_image():
    """The dummy key serves collectstatic only: as a RUN-local variable, not an ENV layer."""
    assert re.search(r"^RUN SECRET_KEY=\S+ .*collectstatic", DOCKERFILE, re.MULTILINE)
    assert not re.search(r"^(ENV|ARG)\b.*SECRET_KEY", DOCKERFILE, re.MULTILINE)


def test_dev_overlay_publishes_services_on_loopback_only_for_make_test():
    """`make test` starts db and redis with this overlay where Docker works; the test settings
    expect postgres@127.0.0.1:5432 without a password and Redis on 127.0.0.1:6379."""
    overlay = yaml.safe_load((BASE_DIR / "docker-compose.dev.yml").read_text())["services"]

    assert set(overlay) == {"db", "redis"}
    assert overlay["db"]["ports"] == ["127.0.0.1:5432:5432"]
    assert overlay["redis"]["ports"] == ["127.0.0.1:6379:6379"]
    assert overlay["db"]["environment"]["POSTGRES_HOST_AUTH_METHOD"] == "trust"
    assert overlay["db"]["environment"]["POSTGRES_USER"] == "postgres"
    script = (BASE_DIR / "scripts" / "ensure-services.sh").read_text()
    assert "-f docker-compose.yml -f docker-compose.dev.yml up -d db redis" in script


@pytest.mark.parametrize("service", [*APP_SERVICES, "db", "redis"])
def test_crashed_processes_are_restarted(service):
    """Docker restarts a process that exits, unless an operator stopped it on purpose."""
    assert SERVICES[service]["restart"] == "unless-stopped"


@pytest.mark.parametrize("service", APP_SERVICES)
def test_app_services_have_a_health_check(service):
    healthcheck = SERVICES[service]["healthcheck"]

    assert healthcheck["interval"]
    assert healthcheck["retries"] >= 1
    assert healthcheck["start_period"], "startup (migrations, Django) must not count as failures"


@pytest.mark.parametrize(("service", "node"), [("worker", "celery"), ("beat", "celerybeat")])
def test_worker_and_beat_are_healthy_only_while_they_answer_a_ping(service, node):
    """`$$` is compose's escape for a `$` left to the container's shell: the node name is the
    container's own hostname (tests/ops/test_health_commands.py runs these commands)."""
    check = healthcheck_line(service)

    assert check.startswith("CMD-SHELL celery -A pipelinecrm inspect ping")
    assert f"--destination {node}@$$HOSTNAME" in check


def test_beat_answers_remote_control():
    assert "--enable-remote-control" in command_line("beat")


def dockerfile_cmd() -> str:
    cmd = re.search(r"^CMD (.*)$", DOCKERFILE, re.MULTILINE)
    assert cmd, "the image has a default command"
    return " ".join(yaml.safe_load(cmd.group(1)))


@pytest.mark.parametrize("where", ["web", "Dockerfile"])
def test_gunicorn_reads_the_one_config_file(where):
    command = command_line("web") if where == "web" else dockerfile_cmd()
    gunicorn = command[command.index("gunicorn ") :]

    assert "--config gunicorn.conf.py" in gunicorn
    assert (BASE_DIR / "gunicorn.conf.py").exists()
    # Workers, timeouts, bind and logs come from the file, not from flags that could disagree.
    for flag in ("--workers", "--threads", "--timeout", "--access-logfile", "--bind"):
        assert flag not in gunicorn


def test_the_worker_runs_without_the_steps_a_broker_restart_crashes():
    """docs/hardening/faults.md: gossip, mingle and heartbeat are off, as in Procfile.dev."""
    command = SERVICES["worker"]["command"]
    procfile = (BASE_DIR / "Procfile.dev").read_text()
    for flag in ("--without-gossip", "--without-mingle", "--without-heartbeat"):
        assert flag in command
        assert flag in procfile
