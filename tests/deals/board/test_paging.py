"""Paging per column: the first page, loading more, totals over the whole column."""

from decimal import Decimal

from django.urls import reverse

from tests.deals.board.helpers import HTMX, BoardHTML, board_url
from tests.factories import make_deal
from tests.helpers import assert_no_inline_script

# --- paging per column ----------------------------------------------------------------


def test_column_shows_first_page_and_loads_the_rest_totals_cover_all(
    company, login, settings, prospecting
):
    settings.BOARD_FIRST_PAGE_SIZE = settings.BOARD_PAGE_SIZE = 5
    deals = [
        make_deal(company.rep1, company.sales, prospecting, value=Decimal(10 * (i + 1)))
        for i in range(12)
    ]
    in_board_order = [deal.pk for deal in reversed(deals)]
    client = login(company.rep1)

    board = BoardHTML(client.get(board_url(company.sales)))

    assert board.cards[prospecting.pk] == in_board_order[:5]
    assert board.heads[prospecting.pk]["count"] == "12 deals"
    assert board.heads[prospecting.pk]["total"] == "€780"  # 10 + 20 + … + 120
    seen = list(board.cards[prospecting.pk])
    url = board.load_more[prospecting.pk]
    pages = 0
    while url:
        response = client.get(url, **HTMX)
        assert_no_inline_script(response)
        page = BoardHTML(response)
        seen += page.cards[None]
        url = page.load_more.get(None)
        pages += 1
    assert pages == 2
    assert seen == in_board_order


def test_the_board_opens_with_a_short_first_page_then_loads_longer_pages(
    company, login, settings, prospecting
):
    settings.BOARD_FIRST_PAGE_SIZE, settings.BOARD_PAGE_SIZE = 3, 5
    deals = [make_deal(company.rep1, company.sales, prospecting) for _ in range(10)]
    in_board_order = [deal.pk for deal in reversed(deals)]
    client = login(company.rep1)

    board = BoardHTML(client.get(board_url(company.sales)))
    second = BoardHTML(client.get(board.load_more[prospecting.pk], **HTMX))
    third = BoardHTML(client.get(second.load_more[None], **HTMX))

    assert board.cards[prospecting.pk] == in_board_order[:3]
    assert second.cards[None] == in_board_order[3:8]
    assert third.cards[None] == in_board_order[8:]
    assert third.load_more == {}


def test_load_more_keeps_the_filters(company, login, settings, prospecting):
    settings.BOARD_FIRST_PAGE_SIZE = settings.BOARD_PAGE_SIZE = 2
    mine = [make_deal(company.rep1, company.sales, prospecting) for _ in range(3)]
    for _ in range(3):
        make_deal(company.rep2, company.sales, prospecting)
    client = login(company.rep1)

    board = BoardHTML(client.get(board_url(company.sales, owner="me")))
    more = BoardHTML(client.get(board.load_more[prospecting.pk], **HTMX))

    assert "owner=me" in board.load_more[prospecting.pk]
    assert board.cards[prospecting.pk] + more.cards[None] == [d.pk for d in reversed(mine)]
    assert more.load_more == {}
    assert board.heads[prospecting.pk]["count"] == "3 deals"


def test_column_fragment_of_another_pipeline_is_404(company, login, prospecting):
    due = company.private.stages.first()
    client = login(company.rep1)

    assert client.get(reverse("column-more", args=[company.sales.pk, due.pk])).status_code == 404
