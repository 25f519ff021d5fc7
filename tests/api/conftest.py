"""API clients for the personas of tests/conftest.py, authenticated with real tokens."""

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fresh_throttle_counts():
    """Throttle counters live in the cache (Redis): each test starts with none."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def rep1(company, api):
    """An API client for rep1."""
    return api(company.rep1)
