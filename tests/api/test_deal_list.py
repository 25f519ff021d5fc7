"""The deals list: the board's filters plus status, pipeline, stage and a close-date range;
ordering and paging (docs/domain/api.md)."""

import datetime
from decimal import Decimal

import pytest

from deals.models import Deal, LostReason, Organization
from deals.services.moves import deal_mark_lost
from tests import factories


@pytest.fixture
def listed(company, api):
    """``listed(**params)``: the titles the deals list answers for rep1."""
    client = api(company.rep1)

    def _titles(**params) -> list[str]:
        response = client.get("/api/v1/deals/", params)
        assert response.status_code == 200, response.json()
        return [deal["title"] for deal in response.json()["results"]]

    return _titles


@pytest.fixture
def deals(company):
    acme = Organization.objects.create(name="Acme Corp")
    made = {
        "a": factories.make_deal(
            company.rep1,
            company.sales,
            title="Alpha",
            value=Decimal(300),
            organization=acme,
            expected_close_date=datetime.date(2026, 3, 10),
        ),
        "b": factories.make_deal(
            company.rep2,
            company.sales,
            stage=company.stages[2],
            title="Bravo",
            value=Decimal(100),
            expected_close_date=datetime.date(2026, 5, 1),
        ),
        "c": factories.make_deal(company.rep1, company.private, title="Charlie", value=None),
    }
    Deal.objects.filter(pk=made["b"].pk).update(is_stalled=True)
    reason = LostReason.objects.create(name="Price")
    deal_mark_lost(user=company.rep1, deal=made["c"], version=None, reason=reason)
    return made


def test_filters(listed, company, deals):
    assert sorted(listed()) == ["Alpha", "Bravo", "Charlie"]
    assert listed(pipeline=company.private.pk) == ["Charlie"]
    assert listed(stage=company.stages[2].pk) == ["Bravo"]
    assert sorted(listed(owner="me")) == ["Alpha", "Charlie"]
    assert listed(owner=company.rep2.pk) == ["Bravo"]
    assert listed(status="lost") == ["Charlie"]
    assert listed(stalled="true") == ["Bravo"]
    assert listed(expected_close_from="2026-04-01") == ["Bravo"]
    assert listed(expected_close_to="2026-04-01") == ["Alpha"]
    assert listed(q="acme") == ["Alpha"]


def test_ordering_and_paging(listed, company, api, deals):
    assert listed(ordering="value") == ["Bravo", "Alpha", "Charlie"]  # unknown value last
    assert listed(ordering="-title") == ["Charlie", "Bravo", "Alpha"]

    page = api(company.rep1).get("/api/v1/deals/", {"ordering": "title", "page_size": 2})

    assert [d["title"] for d in page.json()["results"]] == ["Alpha", "Bravo"]
    assert page.json()["count"] == 3
    assert "page=2" in page.json()["next"]


def test_a_deal_answers_with_its_figures(api, company, deals):
    body = api(company.rep1).get(f"/api/v1/deals/{deals['b'].pk}/").json()

    assert body["probability"] == 40
    assert body["weighted_value"] == "40.00"
    assert body["is_stalled"] is True
    assert body["checklist"] == {"done": 0, "required": 0}
    lost = api(company.rep1).get(f"/api/v1/deals/{deals['c'].pk}/").json()
    assert (lost["status"], lost["position"], lost["value"], lost["weighted_value"]) == (
        "lost",
        None,
        None,
        None,
    )
