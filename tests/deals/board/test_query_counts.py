"""The board, a column and a move cost the same queries whatever the data."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from deals.models import Activity, ChecklistCheck, Deal, Organization, Person
from tests.deals.board.helpers import ACTIVITY, EXIT, HTMX, board_url, column, move
from tests.factories import make_deal, make_item, reload

# --- query counts -----------------------------------------------------------------------


def fill_board(company, n: int) -> None:
    """``n`` deals across the columns, with everything a card shows, for several owners."""
    stages = company.stages
    organization = Organization.objects.create(name="Umbrella")
    person = Person.objects.create(name="Alice", organization=organization)
    items = [make_item(stage, EXIT, text=f"Done in {stage.name}") for stage in stages]
    make_item(stages[0], EXIT, text="Met", satisfied_by=ACTIVITY, activity_kind="meeting")
    owners = [company.rep1, company.rep2, company.manager]
    for i in range(n):
        stage = stages[i % 3]
        deal = make_deal(
            owners[i % 3],
            company.sales,
            stage,
            organization=organization,
            person=person,
            expected_close_date=datetime.date(2030, 1, 1 + i % 28),
        )
        ChecklistCheck.objects.create(deal=deal, item=items[i % 3], checked_at=timezone.now())
        Activity.objects.create(
            deal=deal, owner=deal.owner, kind="meeting", subject="Demo", done_at=timezone.now()
        )


def count_queries(client, url, **extra) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **extra)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("persona", ["rep1", "manager"])
def test_board_page_costs_the_same_few_queries_with_10_or_200_deals(company, login, persona):
    # A repeat visit (the first visit of a board also saves it in the session):
    #   1 session, 2 user, 3 active pipelines, 4 the custom fields (the filters offer
    #   some, the cards show some), 5 stages, 6 column totals (one GROUP BY), 7 first cards
    #   of every column (one window query), 8 required exit items of their stages, 9 ticks
    #   of those items, 10 latest done activity per deal and kind, 11 owners whose deals
    #   the user may edit (managers only: a rep edits only their own), 12 live-refresh
    #   change token, 13 people offered by the owner filter.
    client = login(getattr(company, persona))
    fill_board(company, 10)
    client.get(board_url(company.sales))
    small = count_queries(client, board_url(company.sales))

    fill_board(company, 190)
    large = count_queries(client, board_url(company.sales))

    assert small == large
    assert large <= 13


def test_column_fragment_costs_the_same_queries_with_10_or_200_deals(
    company, login, settings, prospecting
):
    # 1 session, 2 user, 3 stage with its pipeline, 4 the page of cards, 5 the custom
    # fields shown on cards, 6 exit items, 7 ticks, 8 latest done activities (9 for a
    # manager: owners they may edit).
    settings.BOARD_PAGE_SIZE = 5
    client = login(company.rep1)
    url = reverse("column-more", args=[company.sales.pk, prospecting.pk]) + "?offset=2"
    fill_board(company, 10)
    small = count_queries(client, url, **HTMX)

    fill_board(company, 190)
    large = count_queries(client, url, **HTMX)

    assert small == large <= 8


@pytest.mark.parametrize("persona", ["rep1", "manager"])
def test_move_costs_the_same_queries_in_a_column_of_10_or_200(
    company, login, prospecting, qualification, persona
):
    client = login(getattr(company, persona))

    def queries_for_a_move(column_size: int) -> int:
        for _ in range(column_size):
            make_deal(company.rep1, company.sales, qualification)
        deal = make_deal(company.rep1, company.sales, prospecting)
        middle = column(qualification)[column_size // 2]
        with CaptureQueriesContext(connection) as queries:
            response = move(client, deal, qualification, before=middle)
        assert response.status_code == 200
        assert reload(deal).position == column_size // 2
        return len(queries)

    small = queries_for_a_move(10)
    Deal.objects.all().delete()
    large = queries_for_a_move(200)

    # Reading the request (the session comes from the cache): 1 user, 2 the deal with its
    # card's activity badges. deal_move: 3 savepoint, 4 lock both columns, 5 lock the deal
    # counting the target's cards, reading the neighbour's position and whether the user
    # may edit it, 6 exit/entry items, 7 one statement: the UPDATE of the card and the
    # positions in both columns, the stage change, the event and the pipeline's forecast
    # flag, 8 release savepoint. The answer: 9 the card's exit items with their state,
    # 10 the totals of both columns.
    assert small == large == 10


@pytest.mark.parametrize("persona", ["rep1", "manager"])
def test_reorder_within_a_column_costs_eight_queries(
    company, login, qualification, persona, django_assert_num_queries
):
    client = login(getattr(company, persona))
    deals = [make_deal(company.rep1, company.sales, qualification) for _ in range(20)]
    deal = reload(deals[0])
    # The session comes from the cache. 1 user, 2 the deal with its card's activity badges;
    # deal_move: 3 savepoint, 4 lock the column, 5 lock the deal counting the column's cards
    # and whether the user may edit it (for the manager: the owner is in a team they
    # manage), 6 one UPDATE of the card and the cards it passes (a reorder needs no
    # checklist and writes no history), 7 release savepoint; the answer: 8 the card's exit
    # items. A reorder changes no totals: the column heads are not re-read. Outside a
    # test's transaction 3 and 7 are BEGIN and COMMIT.
    with django_assert_num_queries(8):
        response = move(client, deal, qualification, position=5)
    assert response.status_code == 200
    assert reload(deal).position == 5
    assert f'id="deal-{deal.pk}"' in response.content.decode()
    assert "column-head" not in response.content.decode()
