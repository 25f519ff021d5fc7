"""What the deal page shows, and to whom."""

import re

from django.urls import reverse

from accounts.models import TeamMembership
from deals.models import ChecklistCheck, Deal
from tests.deals.deal_page.helpers import ENTRY, EXIT, HTMX, _page, _text
from tests.factories import make_deal, make_item
from tests.helpers import assert_no_inline_script

# -- what the page shows ----------------------------------------------------------------------


def test_page_shows_fields_stage_path_guidance_and_the_three_checklists(company, login):
    first, second = company.stages[0], company.stages[1]
    first.guidance = "Qualify the budget before anything else."
    first.save()
    entry_here = make_item(first, ENTRY, text="Lead source known")
    exit_here = make_item(first, EXIT, text="Budget confirmed")
    exit_auto = make_item(
        first, EXIT, text="Value filled", satisfied_by="field", field_name="value"
    )
    next_entry = make_item(
        second, ENTRY, text="Discovery call", satisfied_by="activity", activity_kind="call"
    )
    make_item(company.stages[2], ENTRY, text="Not shown: two stages ahead")
    deal = make_deal(company.rep1, company.sales, title="Acme expansion")

    response = _page(login(company.rep1), deal)

    assert response.status_code == 200
    text = _text(response)
    assert "Acme expansion" in text
    assert "Qualify the budget before anything else." in text
    for item in (entry_here, exit_here, exit_auto, next_entry):
        assert item.text in text
    assert "Not shown: two stages ahead" not in text
    assert "Automatic: the value is filled in." in text
    assert "log a call as done." in text
    html = response.content.decode()
    # The stage path: every active stage, the current one marked, the others buttons.
    for stage in company.stages:
        assert stage.name in text
    assert re.search(r'aria-current="step"[^>]*>\s*<span>Prospecting', html)
    assert 'aria-label="Move to Qualification"' in html
    assert 'aria-label="Move to Prospecting"' not in html
    assert "Save details" in text
    assert_no_inline_script(response)


def test_a_deal_the_user_cannot_see_answers_404_on_page_dialog_and_actions(company, login):
    team_deal = make_deal(company.rep1, company.sales)
    private_deal = make_deal(company.rep1, company.private)
    client = login(company.rep3)  # South: sees neither
    for deal in (team_deal, private_deal):
        assert _page(client, deal).status_code == 404
        assert client.get(reverse("deal-dialog", args=[deal.pk]), **HTMX).status_code == 404
        response = client.post(
            reverse("deal-edit", args=[deal.pk]), {"version": 1, "title": "Mine now"}
        )
        assert response.status_code == 404
    # A teammate does not see an owner-pipeline deal either (docs/domain/roles-and-visibility.md).
    assert _page(login(company.rep2), private_deal).status_code == 404
    assert Deal.objects.get(pk=team_deal.pk).title != "Mine now"


def test_a_teammate_sees_the_deal_read_only_and_may_not_change_it(company, login):
    deal = make_deal(company.rep1, company.sales, title="Rep1's deal")
    item = make_item(company.stages[0], EXIT, text="Budget confirmed")
    client = login(company.rep2)

    response = _page(client, deal)

    assert response.status_code == 200
    text = _text(response)
    assert "You can see this deal but not change it" in text
    assert "Save details" not in text
    assert "Mark as won" not in text
    assert "Log as done" not in text
    assert 'aria-label="Move to' not in response.content.decode()

    refused = client.post(
        reverse("deal-edit", args=[deal.pk]),
        {"version": deal.version, "title": "Taken over"},
        **HTMX,
    )
    assert refused.status_code == 403
    tick = client.post(
        reverse("deal-checklist", args=[deal.pk]),
        {"item": item.pk, "checked": "1", "version": deal.version},
        **HTMX,
    )
    assert tick.status_code == 403
    assert "not change it" in _text(tick)
    deal.refresh_from_db()
    assert deal.title == "Rep1's deal"
    assert not ChecklistCheck.objects.exists()


def test_the_dialog_version_opens_over_the_board_and_the_card_title_links_to_it(company, login):
    deal = make_deal(company.rep1, company.sales, title="Dialog deal")
    client = login(company.rep1)

    board = client.get(reverse("board-pipeline", args=[company.sales.pk]))
    html = board.content.decode()
    page_url, dialog_url = (
        reverse("deal-detail", args=[deal.pk]),
        reverse("deal-dialog", args=[deal.pk]),
    )
    link = (
        f'<a href="{page_url}" hx-get="{dialog_url}" hx-target="#dialog-slot"[^>]*>Dialog deal</a>'
    )
    assert re.search(link, html)

    dialog = client.get(dialog_url, **HTMX)
    assert dialog.status_code == 200
    assert dialog.headers["HX-Retarget"] == "#dialog-slot"
    body = dialog.content.decode()
    assert body.lstrip().startswith("<dialog")
    assert "data-open" in body
    assert f'id="deal-panel-{deal.pk}"' in body
    assert "<html" not in body


def test_a_manager_who_is_also_a_member_elsewhere_sees_that_deal_read_only(company, login):
    TeamMembership.objects.create(
        team=company.north, user=company.manager2, kind=TeamMembership.Kind.MEMBER
    )
    deal = make_deal(company.rep1, company.sales)

    text = _text(_page(login(company.manager2), deal))

    assert "You can see this deal but not change it" in text
