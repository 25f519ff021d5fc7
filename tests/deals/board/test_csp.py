"""No inline scripts anywhere on the board."""

from django.urls import reverse

from tests.deals.board.helpers import EXIT, HTMX, board_url, move, new_deal_url
from tests.factories import make_deal, make_item
from tests.helpers import assert_no_inline_script

# --- CSP: no inline scripts anywhere on the board -------------------------------------------


def test_board_pages_and_fragments_carry_no_inline_script(
    company, login, settings, prospecting, qualification, lost_reason
):
    settings.BOARD_FIRST_PAGE_SIZE = settings.BOARD_PAGE_SIZE = 1
    make_item(prospecting, EXIT, text="Budget confirmed")
    deals = [make_deal(company.rep1, company.sales, prospecting) for _ in range(3)]
    client = login(company.rep1)
    columns_fragment = {**HTMX, "HTTP_HX_TARGET": "board-columns"}

    responses = [
        client.get(board_url(company.sales)),
        client.get(board_url(company.sales, q="deal", stalled="1"), **columns_fragment),
        client.get(reverse("column-more", args=[company.sales.pk, prospecting.pk]) + "?offset=1"),
        client.get(reverse("deal-move", args=[deals[0].pk]), **HTMX),
        move(client, deals[0], qualification),  # refused: the completion dialog
        move(client, deals[0], prospecting, position=1),  # reorder
        move(client, deals[1], qualification, version=99),  # conflict
        client.get(reverse("deal-lost", args=[deals[1].pk]), **HTMX),
        client.post(reverse("deal-lost", args=[deals[1].pk]), {"version": 1}, **HTMX),
        client.get(new_deal_url(qualification), **HTMX),
        client.post(new_deal_url(qualification), {"title": ""}, **HTMX),
    ]

    statuses = [200, 200, 200, 200, 409, 200, 409, 200, 422, 200, 422]
    assert [response.status_code for response in responses] == statuses
    assert "<html" not in responses[1].text  # the columns alone, for the filters and refresh
    for response in responses:
        assert_no_inline_script(response)
