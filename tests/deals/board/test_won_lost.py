"""Dropping a card on Won or Lost."""

from decimal import Decimal

from django.urls import reverse

from deals.models import ChecklistCheck, Deal
from tests.deals.board.helpers import EXIT, HTMX, BoardHTML
from tests.factories import make_deal, make_item, reload
from tests.helpers import assert_no_inline_script

# --- won and lost -----------------------------------------------------------------------


def test_drop_on_won_removes_the_card_and_updates_the_column_head(
    company, login, prospecting, qualification
):
    deal = make_deal(company.rep1, company.sales, qualification, value=Decimal(900))
    make_deal(company.rep1, company.sales, qualification, value=Decimal(100))

    response = login(company.rep1).post(
        reverse("deal-won", args=[deal.pk]), {"version": 1, "source": "drag"}, **HTMX
    )

    assert response.status_code == 200
    answer = BoardHTML(response)
    assert (f"deal-{deal.pk}", "delete") in answer.oob
    assert (f"column-head-{qualification.pk}", "true") in answer.oob
    assert answer.heads[qualification.pk]["count"] == "1 deal"
    assert answer.heads[qualification.pk]["total"] == "€100"
    assert reload(deal).status == Deal.Status.WON
    assert_no_inline_script(response)


def test_won_needs_the_exit_items(company, login, qualification):
    item = make_item(qualification, EXIT, text="Contract signed")
    deal = make_deal(company.rep1, company.sales, qualification)
    client = login(company.rep1)

    refused = client.post(
        reverse("deal-won", args=[deal.pk]), {"version": 1, "source": "drag"}, **HTMX
    )

    assert refused.status_code == 409
    assert refused["HX-Retarget"] == "#dialog-slot"
    assert "Contract signed" in refused.text
    assert "Complete and mark won" in refused.text
    assert reload(deal).status == Deal.Status.OPEN

    response = client.post(
        reverse("deal-won", args=[deal.pk]),
        {"version": 1, "source": "dialog", "check": item.pk},
        **HTMX,
    )

    assert response.status_code == 200
    assert reload(deal).status == Deal.Status.WON
    assert ChecklistCheck.objects.filter(deal=deal, item=item).exists()


def test_lost_asks_for_a_reason(company, login, qualification, lost_reason):
    deal = make_deal(company.rep1, company.sales, qualification)
    client = login(company.rep1)
    url = reverse("deal-lost", args=[deal.pk])

    dialog = client.get(url, **HTMX)
    assert dialog.status_code == 200
    assert dialog["HX-Retarget"] == "#dialog-slot"
    assert f'<option value="{lost_reason.pk}">Price too high</option>' in dialog.text
    assert_no_inline_script(dialog)

    without_reason = client.post(url, {"version": 1, "note": "meh"}, **HTMX)
    assert without_reason.status_code == 422
    assert "Choose why the deal was lost." in without_reason.text
    assert reload(deal).status == Deal.Status.OPEN

    response = client.post(url, {"version": 1, "reason": lost_reason.pk, "note": "Budget"}, **HTMX)
    assert response.status_code == 200
    assert (f"deal-{deal.pk}", "delete") in BoardHTML(response).oob
    deal = reload(deal)
    assert (deal.status, deal.lost_reason, deal.lost_note) == ("lost", lost_reason, "Budget")
