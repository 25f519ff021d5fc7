"""The board's live-refresh token reveals nothing about deals the viewer cannot see
(docs/hardening/gate-activities.md): it is a keyed digest over the open deals the viewer may
see, so an invisible deal's changes leave it as it was, while a visible change of somebody
else still makes the board refresh, in one query whatever the number of deals."""

import html
import json
import re
from urllib.parse import parse_qs, urlsplit

from django.core import signing
from django.test import Client
from django.urls import reverse

from deals.services.editing import deal_reassign
from deals.services.moves import deal_move
from tests.factories import make_deal

HTMX = {"HTTP_HX_REQUEST": "true"}


def poll_url(client, pipeline) -> str:
    page = client.get(reverse("board-pipeline", args=[pipeline.pk])).content.decode()
    match = re.search(r'id="board-poll"[^>]*hx-get="([^"]+)"', page)
    assert match, "the board has no live-refresh poll"
    return html.unescape(match.group(1))


def readable_part(url: str) -> dict:
    """What anyone holding the token can read without the server's key."""
    token = parse_qs(urlsplit(url).query)["token"][0]
    return json.loads(signing.b64_decode(token.split(":")[0].encode()))


def poll(url: str) -> int:
    # The token is signed: the poll needs no session, as a cookie-less client shows.
    return Client().get(url, **HTMX).status_code


def test_the_token_carries_a_digest_not_the_count_of_deals(company, login):
    for _ in range(3):
        make_deal(company.rep3, company.sales)
    url = poll_url(login(company.rep1), company.sales)

    payload = readable_part(url)

    assert set(payload) == {"u", "r", "p", "t"}
    assert re.fullmatch(r"[0-9a-f]{64}", payload["t"])


def test_changes_to_deals_the_viewer_cannot_see_leave_the_token_unchanged(company, login):
    # rep3 is in another team: rep1 sees none of their deals, on any pipeline.
    invisible = make_deal(company.rep3, company.sales, company.stages[0])
    url = poll_url(login(company.rep1), company.sales)

    make_deal(company.rep3, company.sales, company.stages[1])
    deal_move(user=company.rep3, deal=invisible, stage=company.stages[1], version=1)

    assert poll(url) == 204


def test_a_teammates_private_pipeline_deal_stays_invisible_to_the_token(company, login):
    url = poll_url(login(company.rep1), company.private)

    make_deal(company.rep2, company.private)

    assert poll(url) == 204


def test_a_visible_change_by_somebody_else_still_refreshes_the_board(
    company, login, django_assert_num_queries
):
    teammates = make_deal(company.rep2, company.sales, company.stages[0])
    url = poll_url(login(company.rep1), company.sales)
    with django_assert_num_queries(1):
        # The one query: the digest's aggregate over the visible open deals.
        assert poll(url) == 204

    deal_move(user=company.rep2, deal=teammates, stage=company.stages[1], version=1)

    with django_assert_num_queries(1):
        response = Client().get(url, **HTMX)
    assert response.status_code == 200
    assert "board-changed" in response["HX-Trigger"]


def test_a_deal_reassigned_out_of_sight_refreshes_the_board(company, login):
    teammates = make_deal(company.rep2, company.sales)
    url = poll_url(login(company.rep1), company.sales)

    deal_reassign(user=company.admin, deal=teammates, new_owner=company.rep3, version=None)

    assert poll(url) == 200


def test_a_demoted_viewer_gets_a_refresh_not_a_watch(company, login):
    make_deal(company.rep1, company.sales)
    url = poll_url(login(company.admin), company.sales)

    company.admin.role = "rep"
    company.admin.save(update_fields=["role"])

    # The refresh goes through the board's own view, which checks the user again.
    assert poll(url) == 200


def test_a_deactivated_viewer_gets_a_refresh_not_a_watch(company, login):
    make_deal(company.rep1, company.sales)
    url = poll_url(login(company.rep1), company.sales)

    company.rep1.is_active = False
    company.rep1.save(update_fields=["is_active"])

    assert poll(url) == 200
