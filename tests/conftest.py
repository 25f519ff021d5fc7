"""Personas of docs/running.md: admin; manager (North: rep1, rep2); manager2 (South: rep3)."""

import os
from types import SimpleNamespace

import pytest
from rest_framework.test import APIClient

from accounts.api.tokens import api_token_create
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
def deal_stage(company):
    """Where ``deal`` stands: the first stage of Sales, unless a package or module says
    otherwise by defining its own ``deal_stage``."""
    return company.stages[0]


@pytest.fixture
def deal_title():
    """The title of ``deal``; a module whose assertions quote another title defines its own."""
    return "Acme renewal"


@pytest.fixture
def deal(company, deal_stage, deal_title):
    """rep1's open deal in Sales, worth 1000.00."""
    return factories.make_deal(company.rep1, company.sales, deal_stage, title=deal_title)


@pytest.fixture
def api(db):
    """``api(user)``: an API client sending ``Authorization: Token <key>`` for ``user``;
    ``api()`` an anonymous one."""

    def _client(user=None) -> APIClient:
        client = APIClient()
        if user is not None:
            _, key = api_token_create(user=user, name="tests")
            client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        return client

    return _client


@pytest.fixture
def browser_company(transactional_db, company):
    """The personas of ``company``, committed so that the live server's thread sees them.

    Requesting ``transactional_db`` makes pytest-django run ``company``'s ``db`` without the
    wrapping transaction; the tables are flushed after the test.
    """
    return company


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
