"""A fresh, seeded benchmark database on the PostgreSQL server of DATABASE_URL."""

import os
import secrets

import psycopg

# Its own name per run if several people benchmark on one server at once.
BENCH_DATABASE = os.environ.get("BENCH_DATABASE", "pipelinecrm_bench")
# The board is measured with translations on, as a German sales team sees it (issue #15).
BENCH_LANGUAGE = os.environ.get("BENCH_LANGUAGE", "de")


def bench_database_url() -> str:
    """DATABASE_URL with the database name replaced by the benchmark's own."""
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/pipelinecrm")
    info = psycopg.conninfo.conninfo_to_dict(base)
    user = info.get("user", "postgres")
    password = f":{info['password']}" if info.get("password") else ""
    host, port = info.get("host", "127.0.0.1"), info.get("port", "5432")
    return f"postgres://{user}{password}@{host}:{port}/{BENCH_DATABASE}"


def recreate_database(url: str) -> None:
    info = psycopg.conninfo.conninfo_to_dict(url)
    name = info.pop("dbname")
    with psycopg.connect(**info, dbname="postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def configure_django(url: str) -> None:
    """Use the real settings (test flavour: plain HTTP) on the benchmark database."""
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pipelinecrm.settings_test")
    import django

    django.setup()


def seed(deals: int) -> str:
    """Migrate and seed the demo company; the demo users' password."""
    from django.core.management import call_command

    password = secrets.token_urlsafe(12)
    call_command("migrate", verbosity=0)
    call_command("seed_demo", deals=deals, seed=1, password=password, verbosity=0)
    return password


def speak(language: str) -> str:
    """Every demo user works in ``language``; the line that says so."""
    from accounts.models import User

    User.objects.update(language=language)
    return f"language: every user's is {language!r} (BENCH_LANGUAGE)"


def custom_fields() -> None:
    """Twenty custom fields: the demo's nine and eleven more, with values for the demo's
    deals (benchmarks/custom_fields.py); grown deals get theirs as they are inserted."""
    from benchmarks.custom_fields import bench_fields_create, fill_demo_deals

    bench_fields_create()
    fill_demo_deals()
