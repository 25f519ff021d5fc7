"""What the board's move endpoint answers: moves, conflicts and refusals."""

import pytest
from django.urls import reverse

from deals.models import Deal
from deals.services.moves import deal_move
from tests.deals.board.helpers import (
    HTMX,
    BoardHTML,
    assert_dense,
    board_url,
    column,
    move,
    snapshot,
)
from tests.factories import make_deal, reload
from tests.helpers import assert_no_inline_script

# --- moving from the board ----------------------------------------------------------------


def test_drag_move_rerenders_card_and_both_column_heads(company, login, prospecting, qualification):
    deal = make_deal(company.rep1, company.sales, prospecting)
    make_deal(company.rep1, company.sales, qualification)

    response = move(login(company.rep1), deal, qualification)

    assert response.status_code == 200
    moved = BoardHTML(response)
    assert (f"deal-{deal.pk}", "true") in moved.oob
    assert (f"column-head-{prospecting.pk}", "true") in moved.oob
    assert (f"column-head-{qualification.pk}", "true") in moved.oob
    assert moved.heads[prospecting.pk]["count"] == "0 deals"
    assert moved.heads[qualification.pk]["count"] == "2 deals"
    deal = reload(deal)
    assert (deal.stage_id, deal.position, deal.version) == (qualification.pk, 0, 2)
    assert_no_inline_script(response)


def test_stale_version_is_a_conflict_and_changes_nothing(
    company, login, prospecting, qualification
):
    deal = make_deal(company.rep1, company.sales, prospecting)
    deal_move(user=company.manager, deal=deal, stage=prospecting, version=1, position=0)
    before = snapshot(deal)

    response = move(login(company.rep1), deal, qualification, version=1)

    assert response.status_code == 409
    assert response["HX-Retarget"] == "#toast"
    assert "Someone else changed this deal" in response.text
    # The card is refreshed with the current version.
    assert f'data-version="{before[3]}"' in response.text
    assert snapshot(deal) == before


def test_teammates_read_only_deal_cannot_be_moved(company, login, prospecting, qualification):
    deal = make_deal(company.rep2, company.sales, prospecting)
    before = snapshot(deal)
    client = login(company.rep1)

    response = move(client, deal, qualification)

    assert response.status_code == 403
    assert "You can see this deal but not move it" in response.text
    assert snapshot(deal) == before
    assert client.get(reverse("deal-move", args=[deal.pk]), **HTMX).status_code == 403
    assert client.get(reverse("deal-lost", args=[deal.pk]), **HTMX).status_code == 403
    assert client.post(reverse("deal-won", args=[deal.pk]), {"version": 1}).status_code == 403
    assert snapshot(deal) == before


def test_invisible_deal_is_404(company, login, prospecting, qualification):
    deal = make_deal(company.rep3, company.sales, prospecting)
    client = login(company.rep1)

    assert move(client, deal, qualification).status_code == 404
    assert client.get(reverse("deal-move", args=[deal.pk]), **HTMX).status_code == 404
    assert client.post(reverse("deal-won", args=[deal.pk]), {"version": 1}).status_code == 404
    assert client.get(reverse("deal-lost", args=[deal.pk]), **HTMX).status_code == 404
    assert reload(deal).stage_id == prospecting.pk


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("other_pipeline_stage", "belongs to another pipeline"),
        ("missing_stage", "does not exist"),
        ("no_version", "This field is required"),
        ("position_past_the_end", "outside this column"),
        ("negative_position", "greater than or equal to 0"),
        ("gone_neighbour", "The board changed meanwhile"),
    ],
)
def test_impossible_moves_are_400_with_a_reason(
    company, login, prospecting, qualification, bad, message
):
    deal = make_deal(company.rep1, company.sales, prospecting)
    make_deal(company.rep1, company.sales, qualification)
    data = {
        "other_pipeline_stage": {"stage": company.private.stages.first().pk},
        "missing_stage": {"stage": 987654},
        "no_version": {"version": ""},
        "position_past_the_end": {"position": 2},
        "negative_position": {"position": -1},
        "gone_neighbour": {"before": 987654},
    }[bad]
    before = snapshot(deal)

    response = login(company.rep1).post(
        reverse("deal-move", args=[deal.pk]),
        {"stage": qualification.pk, "version": deal.version, "source": "drag", **data},
        **HTMX,
    )

    assert response.status_code == 400
    assert response["HX-Retarget"] == "#toast"
    assert message in response.text
    assert snapshot(deal) == before


def test_move_to_another_pipeline_names_the_pipeline(company, login, prospecting):
    due = company.private.stages.get(name="Due")
    deal = make_deal(company.rep1, company.sales, prospecting)

    response = move(login(company.rep1), deal, due, pipeline=company.private.pk, source="dialog")

    assert response.status_code == 200
    deal = reload(deal)
    assert (deal.pipeline_id, deal.stage_id) == (company.private.pk, due.pk)


def test_neighbours_become_an_index_among_all_cards_whatever_the_filter(
    company, login, prospecting, qualification
):
    # Qualification, top to bottom: m1 t1 m2 t2 m3 (m: rep1's, t: rep2's). With owner=me
    # rep1 sees m1 m2 m3; the neighbours the board sends are not adjacent in the column.
    for owner in (company.rep1, company.rep2, company.rep1, company.rep2, company.rep1):
        make_deal(owner, company.sales, qualification)
    m1, t1, m2, t2, m3 = column(qualification)
    client = login(company.rep1)
    board = BoardHTML(client.get(board_url(company.sales, owner="me")))
    assert board.cards[qualification.pk] == [m1, m2, m3]
    filtered = {"HTTP_HX_CURRENT_URL": "http://testserver" + board_url(company.sales, owner="me")}

    # Dropped between m1 and m2: "before" is m2, so the card takes m2's place.
    a = make_deal(company.rep1, company.sales, prospecting)
    response = client.post(
        reverse("deal-move", args=[a.pk]),
        {"stage": qualification.pk, "version": a.version, "source": "drag", "before": m2},
        **HTMX,
        **filtered,
    )
    assert response.status_code == 200
    assert column(qualification) == [m1, t1, a.pk, m2, t2, m3]
    # The heads answered follow the page's filter: rep1's cards only.
    assert BoardHTML(response).heads[qualification.pk]["count"] == "4 deals"

    # Dropped at the bottom of the filtered list: only "after" (m3) is known.
    b = make_deal(company.rep1, company.sales, prospecting)
    move(client, b, qualification, after=m3)
    assert column(qualification) == [m1, t1, a.pk, m2, t2, m3, b.pk]

    # Within the column, downwards: m1 dropped between m2 and m3 (before m3).
    move(client, reload(Deal.objects.get(pk=m1)), qualification, before=m3)
    assert column(qualification) == [t1, a.pk, m2, t2, m1, m3, b.pk]

    # Within the column, upwards: b dropped between a and m2 (after a).
    move(client, reload(b), qualification, after=a.pk)
    assert column(qualification) == [t1, a.pk, b.pk, m2, t2, m1, m3]
    assert_dense(qualification)
    assert_dense(prospecting)
