"""The board and the Deals list cost the same queries with no custom field as with twenty,
filtered by one and (the list) showing two as columns (docs/domain/custom-fields.md: values
live on the deal, definitions come in one query)."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from pipelines.models import CustomField
from tests.factories import make_custom_field, make_deal

Type = CustomField.Type
TYPES = list(Type.values)


def twenty_fields(company) -> None:
    """Twenty fields: "Competitor" (a single choice) and "Field 1" to "Field 19", two of
    each type (field_3 money, field_4 a date, field_7 yes/no, field_8 a user), the odd ones
    on Sales only, the others on every pipeline."""
    options = ("Acme", "Globex", "Initech")
    make_custom_field("Competitor", Type.SINGLE_CHOICE, options=options)
    for n in range(1, 20):
        type_ = TYPES[n % len(TYPES)]
        make_custom_field(
            f"Field {n}",
            type_,
            pipeline=company.sales if n % 2 else None,
            options=options if type_ in (Type.SINGLE_CHOICE, Type.MULTIPLE_CHOICE) else (),
        )


def some_deals(company, *, with_values: bool) -> None:
    owners = [company.rep1, company.rep2, company.manager]
    for n in range(12):
        values = {}
        if with_values:
            values = {
                "competitor": ("acme", "globex")[n % 2],
                "field_3": Decimal(n * 100),  # money
                "field_4": datetime.date(2027, 1, 1 + n),
                "field_7": n % 3 == 0,  # yes/no
                "field_8": company.rep2.pk,  # a user
            }
        make_deal(owners[n % 3], company.sales, company.stages[n % 3], custom_fields=values)


def count(client, url, params) -> int:
    client.get(url, params)  # warm: the first visit of a board saves it in the session
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("persona", ["rep1", "manager"])
def test_the_deals_list_costs_the_same_with_twenty_fields_a_filter_and_two_columns(
    company, login, persona
):
    client = login(getattr(company, persona))
    url = reverse("deals-list")
    some_deals(company, with_values=False)
    # The session comes from the cache. 1 user, 2 the custom fields with their options,
    # 3 the count, 4 the page of deals (values included), 5 the people of the owner filter
    # and of user fields' filters, 6 pipelines, 7 the people a manager may reassign to
    # (reps: none), 8 lost reasons.
    plain = count(client, url, {})

    twenty_fields(company)
    some_deals(company, with_values=True)
    filtered = count(
        client, url, {"cf_competitor": "acme", "cols": "competitor,field_3", "sort": "cf_field_3"}
    )
    response = client.get(url, {"cf_competitor": "acme", "cols": "competitor,field_3"})
    assert len(response.context["page"]) == 6
    assert len(response.context["filters"].custom_fields) == 20
    assert filtered == plain <= 8


@pytest.mark.parametrize("persona", ["rep1", "manager"])
def test_the_board_costs_the_same_with_twenty_fields_and_a_filter(company, login, persona):
    client = login(getattr(company, persona))
    url = reverse("board-pipeline", args=[company.sales.pk])
    some_deals(company, with_values=False)
    plain = count(client, url, {})

    twenty_fields(company)
    some_deals(company, with_values=True)
    filtered = count(client, url, {"cf_competitor": "acme", "cf_field_7": "yes"})
    response = client.get(url, {"cf_competitor": "acme", "cf_field_7": "yes"})
    assert response.context["totals"].count == 2  # acme (even n) and yes (n % 3 == 0)
    assert filtered == plain
