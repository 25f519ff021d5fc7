"""The stage path, the checklists, won / lost / reopen from the deal page."""

import re

from django.urls import reverse

from deals.models import ChecklistCheck, Deal, DealEvent, StageChange
from tests.deals.deal_page.helpers import EXIT, HTMX, _text
from tests.factories import make_deal, make_item

# -- the stage path, checklists, won / lost / reopen ------------------------------------------


def test_the_stage_path_moves_the_deal_through_deal_move(company, login):
    deal = make_deal(company.rep1, company.sales)
    target = company.stages[3]

    response = login(company.rep1).post(
        reverse("deal-stage", args=[deal.pk]),
        {"stage": target.pk, "version": deal.version},
        **HTMX,
    )

    assert response.status_code == 200
    assert "Moved to Proposal." in _text(response)
    deal.refresh_from_db()
    assert deal.stage == target
    assert deal.position == 0
    change = StageChange.objects.get(deal=deal, to_stage=target)
    assert change.from_stage == company.stages[0]
    assert re.search(r'aria-current="step"[^>]*>\s*<span>Proposal', response.content.decode())


def test_a_refused_stage_click_opens_the_boards_checklist_dialog_over_the_deal(company, login):
    item = make_item(company.stages[0], EXIT, text="Budget confirmed")
    deal = make_deal(company.rep1, company.sales)
    client = login(company.rep1)

    refused = client.post(
        reverse("deal-stage", args=[deal.pk]),
        {"stage": company.stages[1].pk, "version": deal.version},
        **HTMX,
    )

    assert refused.status_code == 409
    assert refused.headers["HX-Retarget"] == f"#deal-subdialog-{deal.pk}"
    body = refused.content.decode()
    assert "Before “" in body
    assert "can move to Qualification" in body
    assert f'name="check" value="{item.pk}"' in body
    assert f'hx-post="{reverse("deal-move", args=[deal.pk])}"' in body
    assert Deal.objects.get(pk=deal.pk).stage == company.stages[0]

    # Completing the dialog goes through the board's move view: ticked and moved at once.
    done = client.post(
        reverse("deal-move", args=[deal.pk]),
        {
            "stage": company.stages[1].pk,
            "version": deal.version,
            "check": item.pk,
            "source": "dialog",
        },
        HTTP_HX_CURRENT_URL="http://testserver" + reverse("deal-detail", args=[deal.pk]),
        **HTMX,
    )
    assert done.status_code == 200
    deal.refresh_from_db()
    assert deal.stage == company.stages[1]
    assert ChecklistCheck.objects.filter(deal=deal, item=item).exists()
    # The deal page has no board columns: the dialog closes and the page refreshes itself.
    assert "hx-swap-oob" not in done.content.decode()
    assert "close-dialog" in done.headers["HX-Trigger"]


def test_the_checklist_dialog_over_the_board_updates_the_columns(company, login):
    item = make_item(company.stages[0], EXIT, text="Budget confirmed")
    deal = make_deal(company.rep1, company.sales)

    done = login(company.rep1).post(
        reverse("deal-move", args=[deal.pk]),
        {"stage": company.stages[1].pk, "version": deal.version, "check": item.pk},
        HTTP_HX_CURRENT_URL="http://testserver"
        + reverse("board-pipeline", args=[company.sales.pk]),
        **HTMX,
    )

    assert done.status_code == 200
    assert f'id="column-{company.stages[1].pk}"' in done.content.decode()
    assert "hx-swap-oob" in done.content.decode()


def test_manual_items_are_ticked_and_unticked_from_the_page(company, login):
    item = make_item(company.stages[0], EXIT, text="Budget confirmed")
    deal = make_deal(company.rep1, company.sales)
    client = login(company.rep1)
    url = reverse("deal-checklist", args=[deal.pk])

    ticked = client.post(url, {"item": item.pk, "checked": "1", "version": 1}, **HTMX)

    assert ticked.status_code == 200
    assert ChecklistCheck.objects.filter(deal=deal, item=item).exists()
    assert 'aria-pressed="true"' in ticked.content.decode()
    unticked = client.post(url, {"item": item.pk, "checked": "0", "version": 2}, **HTMX)
    assert unticked.status_code == 200
    assert not ChecklistCheck.objects.filter(deal=deal, item=item).exists()
    kinds = list(DealEvent.objects.filter(deal=deal).values_list("kind", flat=True))
    assert DealEvent.Kind.CHECKLIST_TICKED in kinds
    assert DealEvent.Kind.CHECKLIST_UNTICKED in kinds


def test_won_lost_and_reopen_from_the_page(company, login, reasons):
    price, _ = reasons
    deal = make_deal(company.rep1, company.sales)
    client = login(company.rep1)

    won = client.post(reverse("deal-page-won", args=[deal.pk]), {"version": 1}, **HTMX)
    assert won.status_code == 200
    assert Deal.objects.get(pk=deal.pk).status == Deal.Status.WON
    assert "Reopen" in _text(won)

    reopened = client.post(reverse("deal-page-reopen", args=[deal.pk]), {"version": 2}, **HTMX)
    assert reopened.status_code == 200
    assert Deal.objects.get(pk=deal.pk).status == Deal.Status.OPEN

    without_reason = client.post(
        reverse("deal-page-lost", args=[deal.pk]), {"version": 3, "reason": ""}, **HTMX
    )
    assert without_reason.status_code == 422
    assert "Choose why the deal was lost." in _text(without_reason)
    lost = client.post(
        reverse("deal-page-lost", args=[deal.pk]),
        {"version": 3, "reason": price.pk, "note": "Went with a cheaper vendor"},
        **HTMX,
    )
    assert lost.status_code == 200
    deal.refresh_from_db()
    assert deal.status == Deal.Status.LOST
    assert deal.lost_reason == price
    assert "Lost: Price — Went with a cheaper vendor" in _text(lost)


def test_winning_with_missing_exit_items_opens_the_checklist_dialog(company, login):
    item = make_item(company.stages[0], EXIT, text="Contract signed")
    deal = make_deal(company.rep1, company.sales)
    client = login(company.rep1)

    refused = client.post(reverse("deal-page-won", args=[deal.pk]), {"version": 1}, **HTMX)

    assert refused.status_code == 409
    assert refused.headers["HX-Retarget"] == f"#deal-subdialog-{deal.pk}"
    assert "can be won" in refused.content.decode()
    assert f'hx-post="{reverse("deal-won", args=[deal.pk])}"' in refused.content.decode()
    assert Deal.objects.get(pk=deal.pk).status == Deal.Status.OPEN

    done = client.post(
        reverse("deal-won", args=[deal.pk]),
        {"version": 1, "check": item.pk},
        HTTP_HX_CURRENT_URL="http://testserver" + reverse("deal-detail", args=[deal.pk]),
        **HTMX,
    )
    assert done.status_code == 200
    assert Deal.objects.get(pk=deal.pk).status == Deal.Status.WON
    assert "hx-swap-oob" not in done.content.decode()
    assert "close-dialog" in done.headers["HX-Trigger"]


def test_without_javascript_actions_redirect_back_to_the_page(company, login):
    deal = make_deal(company.rep1, company.sales)
    client = login(company.rep1)

    response = client.post(
        reverse("deal-stage", args=[deal.pk]), {"stage": company.stages[2].pk, "version": 1}
    )

    assert response.status_code == 302
    assert response.url == reverse("deal-detail", args=[deal.pk])
    assert "Moved to Meeting/Demo." in _text(client.get(response.url))
