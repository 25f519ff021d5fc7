import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fresh_rate_limit_counts():
    """Password-reset and throttle counters live in the cache (Redis), which outlives a
    test: each test starts with none."""
    cache.clear()
    yield
    cache.clear()
