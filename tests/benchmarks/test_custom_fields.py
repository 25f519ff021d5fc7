"""Custom fields in the benchmark's data (benchmarks/custom_fields.py,
docs/performance/benchmark.md): twenty fields, values for most deals, each one a value its
type accepts, and North's board untouched; the Deals list rows run on it."""

import pytest
from django.core.management import call_command

from accounts.models import User
from benchmarks.custom_fields import FIELD_COUNT, bench_fields_create, fill_demo_deals
from benchmarks.deals_list import FILTERED, RANGE, bench_deals_list, deals_list_data
from benchmarks.sizes import grow_to
from deals.models import Deal
from deals.selectors.lists import DealListFilters, deals_list
from pipelines import custom_fields as types
from pipelines.selectors import custom_fields_for

DEMO_DEALS = 120
GROWN = 600

pytestmark = pytest.mark.django_db


@pytest.fixture
def grown():
    call_command("seed_demo", deals=DEMO_DEALS, seed=1, verbosity=0)
    demo = {
        pk: (values, version)
        for pk, values, version in Deal.objects.values_list("pk", "custom_fields", "version")
    }
    bench_fields_create()
    bench_fields_create()  # a second call adds nothing
    fill_demo_deals()
    grow_to(GROWN)
    return demo


def test_twenty_fields_and_most_deals_hold_values_their_types_accept(grown):
    fields = {field.key: field for field in custom_fields_for(None)}
    assert len(fields) == FIELD_COUNT
    deals = list(Deal.objects.values_list("pk", "pipeline_id", "custom_fields"))
    assert len(deals) == GROWN
    held = dict.fromkeys(fields, 0)
    for pk, pipeline_id, values in deals:
        for key, stored in values.items():
            field = fields[key]
            assert field.pipeline_id in (None, pipeline_id), (pk, key)
            clean = types.clean(field, types.to_python(field, stored))
            assert types.to_stored(field, clean) == stored, (pk, key, stored)
            held[key] += 1
    assert all(count for count in held.values()), held
    assert sum(bool(values) for _, _, values in deals) > 0.9 * len(deals)


def test_the_demo_deals_keep_their_values_and_versions(grown):
    for pk, (values, version) in grown.items():
        deal = Deal.objects.get(pk=pk)
        assert deal.version == version
        assert {k: v for k, v in deal.custom_fields.items() if k in values} == values


def test_the_deals_list_rows_run_and_find_deals(grown, client):
    manager = User.objects.get(username="manager")
    for params in (FILTERED, RANGE):
        assert deals_list(user=manager, filters=DealListFilters.from_query(params)).exists()
    assert "20 custom fields" in deals_list_data()
    # The test's client: a BenchClient closes the connection, as a worker does, and with it
    # the test's transaction.
    rows = bench_deals_list(runs=1, client=client)
    assert [row.name for row in rows] == [
        "Deals list filtered by a custom field",
        "Deals list, money range, 2 custom columns",
    ]
    assert rows[0].queries == rows[1].queries
