"""Live refresh: the board hears of other users' changes."""

from django.core import signing
from django.test import Client
from django.urls import reverse

from deals.services.moves import deal_move
from tests.deals.board.helpers import HTMX, BoardHTML, board_url
from tests.factories import make_deal

# --- live refresh -------------------------------------------------------------------------


def test_live_refresh_says_nothing_until_another_user_changes_the_board(
    company, login, prospecting, qualification, django_assert_max_num_queries
):
    deal = make_deal(company.rep1, company.sales, prospecting)
    poll_url = BoardHTML(login(company.rep1).get(board_url(company.sales))).poll_url
    # The token is signed: the poll needs no session, so a cookie-less client will do.
    poller = Client()

    with django_assert_max_num_queries(1):
        unchanged = poller.get(poll_url, **HTMX)
    assert unchanged.status_code == 204

    deal_move(user=company.manager, deal=deal, stage=qualification, version=deal.version)

    changed = poller.get(poll_url, **HTMX)
    assert changed.status_code == 200
    assert "board-changed" in changed["HX-Trigger"]


def test_live_refresh_sees_a_card_leave_the_board(company, login, qualification, lost_reason):
    deal = make_deal(company.rep1, company.sales, qualification)
    poll_url = BoardHTML(login(company.rep1).get(board_url(company.sales))).poll_url
    login(company.manager).post(
        reverse("deal-lost", args=[deal.pk]), {"version": 1, "reason": lost_reason.pk}, **HTMX
    )

    assert Client().get(poll_url).status_code == 200


def test_live_refresh_rejects_forged_or_foreign_tokens(company, login):
    poll_url = BoardHTML(login(company.rep1).get(board_url(company.sales))).poll_url
    path, token = poll_url.split("?token=")
    forged = signing.dumps({"u": 1, "p": company.sales.pk, "t": "x"}, salt="another-salt")
    private_path = reverse("board-changes", args=[company.private.pk])
    poller = Client()

    assert poller.get(f"{path}?token=garbage").status_code == 400
    assert poller.get(f"{path}?token={token[:-3]}abc").status_code == 400
    assert poller.get(path, {"token": forged}).status_code == 400
    assert poller.get(path).status_code == 400
    # A token of one board cannot watch another.
    assert poller.get(f"{private_path}?token={token}").status_code == 400
