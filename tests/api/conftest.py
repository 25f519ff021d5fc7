"""API clients for the personas of tests/conftest.py, authenticated with real tokens."""

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from accounts.api.tokens import api_token_create


@pytest.fixture(autouse=True)
def _fresh_throttle_counts():
    """Throttle counters live in the cache (Redis): each test starts with none."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api(db):
    """``api(user)``: a client sending ``Authorization: Token <key>`` for ``user``;
    ``api()`` an anonymous one."""

    def _client(user=None) -> APIClient:
        client = APIClient()
        if user is not None:
            _, key = api_token_create(user=user, name="tests")
            client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        return client

    return _client


@pytest.fixture
def rep1(company, api):
    """An API client for rep1."""
    return api(company.rep1)
