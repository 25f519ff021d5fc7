"""List endpoints cost a fixed number of queries per page, whatever the number of rows."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import ApiToken
from deals.models import Deal, Notification, Organization
from deals.services.activities import activity_log
from pipelines.models import ActivityKind, ChecklistItem
from tests import factories


@pytest.fixture
def deals(company):
    """``deals(n)``: n deals of rep1 and rep2 across stages, with checklist items, ticks
    and activities, so that every per-deal figure has something to count."""
    stages = company.stages
    factories.make_item(stages[0], text="Budget confirmed")
    factories.make_item(
        stages[1],
        satisfied_by=ChecklistItem.SatisfiedBy.ACTIVITY,
        activity_kind=ActivityKind.MEETING,
    )

    def _make(count: int) -> None:
        for n in range(count):
            owner = company.rep1 if n % 2 else company.rep2
            deal = factories.make_deal(
                owner,
                company.sales,
                stage=stages[n % 3],
                expected_close_date=datetime.date(2026, 1 + n % 12, 1),
            )
            activity_log(user=owner, deal=deal, kind=ActivityKind.MEETING, subject="Demo")
            Notification.objects.create(recipient=company.manager, kind="x", deal=deal, text="x")
            Organization.objects.create(name=f"Org {n}")

    return _make


# Token auth: the token with its user (1) and, on its first use, its last-used time (1).
AUTH = 2


@pytest.mark.parametrize("count", [5, 60])
def test_the_deals_list(api, company, deals, django_assert_max_num_queries, count):
    deals(count)
    client = api(company.manager)

    # count (1), the page of deals with their figures (1), checklist progress: the stages'
    # required exit items, the ticks, the latest done activities (3), the owners whose
    # deals the manager may edit (1), and the custom fields' definitions (1).
    with django_assert_max_num_queries(AUTH + 7):
        response = client.get("/api/v1/deals/", {"page_size": 100})

    assert response.json()["count"] == count


@pytest.mark.parametrize("count", [5, 60])
def test_the_board(api, company, deals, django_assert_max_num_queries, count):
    deals(count)
    client = api(company.manager)

    # the pipeline (1), its stages (1), column totals (1), the first cards (1), checklist
    # progress (3), editable owners (1), the custom fields' definitions, once for every
    # column (1).
    with django_assert_max_num_queries(AUTH + 9):
        response = client.get(f"/api/v1/board/{company.sales.pk}/", {"limit": 100})

    assert sum(column["count"] for column in response.json()["columns"]) == count


# count (1) and page (1) for each; and for teams their memberships (1).
OTHER_LISTS = {
    "/api/v1/activities/": 2,
    "/api/v1/notifications/": 2,
    "/api/v1/organizations/": 2,
    "/api/v1/users/": 2,
    "/api/v1/teams/": 3,
}


@pytest.mark.parametrize("count", [5, 60])
def test_other_lists(api, company, deals, django_assert_max_num_queries, count):
    deals(count)
    client = api(company.manager)
    client.get("/api/v1/users/")  # the token's first use records it (not counted below)

    for url, queries in OTHER_LISTS.items():
        with django_assert_max_num_queries(1 + queries):
            response = client.get(url, {"page_size": 100})
        assert response.status_code == 200, url


@pytest.mark.parametrize("count", [5, 60])
def test_a_deals_timeline(api, company, deals, django_assert_max_num_queries, count):
    deals(count)
    deal = company.rep1.deals.first()
    client = api(company.rep1)

    # the deal, if visible (1), count (1), page (1)
    with django_assert_max_num_queries(AUTH + 3):
        response = client.get(f"/api/v1/deals/{deal.pk}/events/")

    assert response.status_code == 200


@pytest.mark.parametrize("count", [5, 60])
def test_a_move_by_neighbour(api, company, count):
    stages = company.stages
    for _ in range(count):
        factories.make_deal(company.rep1, company.sales, stage=stages[1])
    deal = factories.make_deal(company.rep1, company.sales, stage=stages[0])
    neighbour = company.rep1.deals.filter(stage=stages[1]).order_by("position")[count // 2]
    client = api(company.rep1)
    client.get("/api/v1/users/")  # the token's first use records it (not counted below)
    body = {"stage": stages[1].pk, "version": deal.version, "before": neighbour.pk}

    # the token with its user (1), the deal if visible with its figures and whether the
    # user may edit it (1); deal_move: savepoint (1), lock both columns (1), lock the deal
    # counting the target's cards and reading the neighbour's position (1), exit/entry
    # items (1), one statement for the UPDATE of the card and both columns' positions, the
    # stage change, the event and the forecast flag (1), release savepoint (1); the answer:
    # the moved deal as the move left it, its exit items' state (1).
    with CaptureQueriesContext(connection) as queries:
        response = client.post(f"/api/v1/deals/{deal.pk}/move/", body, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["position"] == count // 2
    assert len(queries) == 9


# Issue 14: an API move in as many statements as the board's drag (8), counted as the
# benchmark counts it (benchmarks/board.py): a reorder in a busy column, in steady use. A
# token's first use, and then once a minute, also writes its last-used time (one more).
API_MOVE = 8


@pytest.mark.parametrize("who", ["manager", "rep1"])
@pytest.mark.parametrize("first_use", [True, False])
def test_an_api_reorder_takes_eight_statements(
    api, company, django_assert_num_queries, who, first_use
):
    stage = company.stages[1]
    for n in range(30):
        owner = company.rep1 if n % 3 else company.rep2
        factories.make_deal(owner, company.sales, stage=stage)
    deal = company.rep1.deals.filter(stage=stage).order_by("position")[1]
    client = api(getattr(company, who))
    if not first_use:
        client.get("/api/v1/users/")
    body = {"stage": stage.pk, "version": deal.version, "position": 0}

    # the token with its user (1; its last-used time: 1 more when due), the deal if visible with its
    # figures and whether the user may edit it (1), savepoint (1), lock the column (1),
    # lock the deal counting the column (1), the one UPDATE of the positions (1), release
    # savepoint (1), the moved deal's exit items' state (1).
    with django_assert_num_queries(API_MOVE + (1 if first_use else 0)):
        response = client.post(f"/api/v1/deals/{deal.pk}/move/", body, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["position"] == 0
    assert response.json()["version"] == deal.version + 1
    token = ApiToken.objects.get(user=getattr(company, who))
    assert timezone.now() - token.last_used_at < datetime.timedelta(minutes=1)


@pytest.mark.parametrize("count", [5, 60])
def test_the_deals_list_costs_the_same_with_20_custom_fields(api, company, deals, count):
    """Values come with each deal's row, the definitions once per page
    (docs/domain/custom-fields.md)."""
    deals(count)
    client = api(company.manager)
    client.get("/api/v1/users/")  # the token's first use records it (not counted below)
    url = "/api/v1/deals/"

    with CaptureQueriesContext(connection) as without_fields:
        assert client.get(url, {"page_size": 100}).json()["results"][0]["custom_fields"] == {}
    values = {}
    for n in range(20):
        pipeline = company.sales if n % 2 else None
        field = factories.make_custom_field(f"Field {n}", pipeline=pipeline, show_on_card=True)
        values[field.key] = f"value {n}"
    Deal.objects.update(custom_fields=values)
    with CaptureQueriesContext(connection) as with_fields:
        response = client.get(url, {"page_size": 100})

    assert len(with_fields) == len(without_fields)
    assert all(deal["custom_fields"] == values for deal in response.json()["results"])
