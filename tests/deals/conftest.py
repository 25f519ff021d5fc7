"""Fixtures of the deals tests: Sales' stages by name, and the lost reason "Price"."""

import pytest

from deals.models import LostReason


@pytest.fixture
def stages(company):
    return company.stages


@pytest.fixture
def prospecting(stages):
    return stages[0]


@pytest.fixture
def qualification(stages):
    return stages[1]


@pytest.fixture
def price(db):
    return LostReason.objects.create(name="Price")
