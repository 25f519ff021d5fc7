"""Personas of docs/running.md: admin; manager (North: rep1, rep2); manager2 (South: rep3)."""

import os
from types import SimpleNamespace

import pytest

from accounts.models import Role
from pipelines.models import Pipeline
from tests import factories

pytest_plugins = ["tests.fixtures_celery"]


@pytest.fixture
def company(db):
    admin = factories.make_user("admin", Role.ADMIN)
    manager = factories.make_user("manager", Role.MANAGER)
    manager2 = factories.make_user("manager2", Role.MANAGER)
    rep1 = factories.make_user("rep1")
    rep2 = factories.make_user("rep2")
    rep3 = factories.make_user("rep3")
    north = factories.make_team("North", managers=[manager], members=[rep1, rep2])
    south = factories.make_team("South", managers=[manager2], members=[rep3])
    sales = factories.make_pipeline("Sales")
    private = factories.make_pipeline(
        "Renewals", visibility=Pipeline.Visibility.OWNER, stages=[("Due", 50), ("Renewed", 90)]
    )
    return SimpleNamespace(
        admin=admin,
        manager=manager,
        manager2=manager2,
        rep1=rep1,
        rep2=rep2,
        rep3=rep3,
        north=north,
        south=south,
        sales=sales,
        private=private,
        stages=list(sales.stages.order_by("position")),
    )


@pytest.fixture
def admin_client(client, company):
    """The test client signed in as the company's admin (in place of pytest-django's)."""
    client.force_login(company.admin)
    return client


@pytest.fixture
def login(client):
    """Log the test client in as a persona: ``login(company.rep1)``."""

    def _login(user):
        client.force_login(user)
        return client

    return _login


def pytest_sessionfinish(session, exitstatus):
    """In CI a skipped test is a failure: everything must really run (see README)."""
    if not os.environ.get("CI"):
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if skipped:
        reporter.write_line(f"CI: {skipped} test(s) were skipped; failing the run.", red=True)
        session.exitstatus = 1
