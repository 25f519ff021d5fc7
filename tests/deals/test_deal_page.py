"""The deal page (docs/domain/board.md): a full page and a dialog over the board.

What a user relies on: everything about the deal on one page, editable by those who may
(read-only for teammates, 404 for anyone else), the stage path moving through deal_move
with the board's checklist dialog on refusal, won / lost / reopen, both checklists, and a
timeline in which every kind of event reads as a sentence. A fixed number of queries.
"""

import datetime
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import TeamMembership
from deals.models import (
    Activity,
    ChecklistCheck,
    Deal,
    DealEvent,
    LostReason,
    Organization,
    StageChange,
)
from deals.services.activities import activity_log
from deals.services.checklist import checklist_item_check, checklist_item_uncheck
from deals.services.deals import deal_create
from deals.services.editing import deal_reassign, deal_update
from deals.services.moves import deal_mark_lost, deal_mark_won, deal_move, deal_reopen
from forecasting.services.stalls import deals_flag_stalled
from pipelines.models import ChecklistItem
from tests.factories import make_deal, make_item
from tests.helpers import assert_no_inline_script

HTMX = {"HTTP_HX_REQUEST": "true"}
EXIT, ENTRY = ChecklistItem.Kind.EXIT, ChecklistItem.Kind.ENTRY


def _text(response) -> str:
    """The page's visible text, tags removed and whitespace collapsed."""
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", response.content.decode(), flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&quot;", '"')


def _page(client, deal, **extra):
    return client.get(reverse("deal-detail", args=[deal.pk]), **extra)


@pytest.fixture
def reasons(db):
    return LostReason.objects.create(name="Price"), LostReason.objects.create(name="Timing")


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
    assert (
        f'<a href="{page_url}" hx-get="{dialog_url}" hx-target="#dialog-slot">Dialog deal</a>'
        in (html)
    )

    dialog = client.get(dialog_url, **HTMX)
    assert dialog.status_code == 200
    assert dialog.headers["HX-Retarget"] == "#dialog-slot"
    body = dialog.content.decode()
    assert body.lstrip().startswith("<dialog")
    assert "data-open" in body
    assert f'id="deal-panel-{deal.pk}"' in body
    assert "<html" not in body


# -- editing ------------------------------------------------------------------------------------


def _edit(client, deal, **changes):
    data = {
        "version": deal.version,
        "title": deal.title,
        "value": "" if deal.value is None else str(deal.value),
        "expected_close_date": deal.expected_close_date or "",
        "organization_name": deal.organization.name if deal.organization else "",
        "person_name": deal.person.name if deal.person else "",
        "probability_override": "",
    }
    return client.post(reverse("deal-edit", args=[deal.pk]), {**data, **changes}, **HTMX)


def test_editing_saves_only_changed_fields_each_with_an_event(company, login):
    acme = Organization.objects.create(name="Acme")
    deal = make_deal(company.rep1, company.sales, title="Renewal", value=Decimal("1000"))

    response = _edit(
        login(company.rep1),
        deal,
        value="2500.50",
        organization_name="ACME",  # an existing name, another case: picked, not created
        person_name="Jane Doe",
        probability_override="35",
    )

    assert response.status_code == 200
    assert response.headers["HX-Retarget"] == f"#deal-panel-{deal.pk}"
    assert "Saved." in _text(response)
    deal.refresh_from_db()
    assert deal.value == Decimal("2500.50")
    assert deal.organization == acme
    assert deal.person.name == "Jane Doe"
    assert deal.person.organization == acme
    assert deal.probability_override == 35
    assert deal.version == 2
    edited = DealEvent.objects.filter(deal=deal, kind=DealEvent.Kind.EDITED)
    assert sorted(e.data["field"] for e in edited) == [
        "organization",
        "person",
        "probability_override",
        "value",
    ]
    assert Organization.objects.count() == 1


def test_a_stale_edit_is_refused_clearly_and_changes_nothing(company, login):
    deal = make_deal(company.rep1, company.sales, title="Original")
    seen_version = deal.version
    deal_update(user=company.rep1, deal=deal, version=deal.version, title="Changed elsewhere")
    stale = Deal.objects.get(pk=deal.pk)
    stale.version = seen_version

    response = _edit(login(company.rep1), stale, title="My edit")

    assert response.status_code == 409
    assert "Someone else changed this deal in the meantime" in _text(response)
    assert "Your changes were not saved" in _text(response)
    assert Deal.objects.get(pk=deal.pk).title == "Changed elsewhere"


def test_managers_reassign_within_their_teams_and_reps_are_not_offered_it(company, login):
    deal = make_deal(company.rep1, company.sales)

    rep_page = _page(login(company.rep1), deal)
    assert 'name="owner"' not in rep_page.content.decode()

    client = login(company.manager)
    page = _page(client, deal).content.decode()
    assert 'name="owner"' in page
    assert "Rep3 Test" not in re.search(r'<select name="owner".*?</select>', page, re.S)[0]

    refused = _edit(client, deal, owner=company.rep3.pk)
    assert refused.status_code == 422
    assert Deal.objects.get(pk=deal.pk).owner == company.rep1

    moved = _edit(client, Deal.objects.get(pk=deal.pk), owner=company.rep2.pk)
    assert moved.status_code == 200
    assert Deal.objects.get(pk=deal.pk).owner == company.rep2
    assert DealEvent.objects.filter(deal=deal, kind=DealEvent.Kind.REASSIGNED).count() == 1


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


# -- the timeline ---------------------------------------------------------------------------------


def test_the_timeline_tells_every_kind_of_event_as_a_sentence_newest_first(company, login, reasons):
    price, _ = reasons
    first, second = company.stages[0], company.stages[1]
    first.stall_threshold_days = 1
    first.save()
    item = make_item(first, EXIT, text="Budget confirmed")
    rep1, manager = company.rep1, company.manager
    deal = make_deal(rep1, company.sales, title="Story", value=Decimal("1000"))
    imported = deal_create(
        user=rep1,
        title="From CSV",
        pipeline=company.sales,
        stage=second,
        owner=rep1,
        event_kind=DealEvent.Kind.IMPORTED,
    )
    Deal.objects.filter(pk=deal.pk).update(
        stage_entered_at=timezone.now() - datetime.timedelta(days=3)
    )
    deals_flag_stalled()
    deal.refresh_from_db()
    deal = deal_update(user=rep1, deal=deal, version=None, value=Decimal("2500"))
    deal = checklist_item_check(user=rep1, deal=deal, item=item)
    deal = checklist_item_uncheck(user=rep1, deal=deal, item=item)
    activity_log(user=rep1, deal=deal, kind="call", subject="Intro call", notes="Went well")
    activity_log(
        user=rep1,
        deal=deal,
        kind="meeting",
        subject="Demo",
        done=False,
        due_at=timezone.now() + datetime.timedelta(days=2),
    )
    deal = deal_move(
        user=manager,
        deal=Deal.objects.get(pk=deal.pk),
        stage=second,
        version=None,
        override_reason="Customer in a hurry",
    ).deal
    deal = deal_reassign(user=manager, deal=deal, new_owner=company.rep2, version=None)
    deal = deal_mark_won(user=manager, deal=deal, version=None)
    deal = deal_reopen(user=manager, deal=deal, version=None)
    deal_mark_lost(user=manager, deal=deal, version=None, reason=price, note="Too expensive")

    client = login(manager)
    text = _text(_page(client, deal))
    sentences = {
        DealEvent.Kind.CREATED: "Rep1 Test created the deal in Prospecting.",
        DealEvent.Kind.STALLED: "The deal was flagged as stalled: no progress since",
        DealEvent.Kind.EDITED: "Rep1 Test changed the value from “1000.00” to “2500”.",
        DealEvent.Kind.CHECKLIST_TICKED: "Rep1 Test ticked “Budget confirmed” "
        "(Prospecting checklist).",
        DealEvent.Kind.CHECKLIST_UNTICKED: "Rep1 Test unticked “Budget confirmed” "
        "(Prospecting checklist).",
        DealEvent.Kind.ACTIVITY_LOGGED: "Rep1 Test logged a call: “Intro call”.",
        DealEvent.Kind.MOVED: "Manager Test moved the deal from Prospecting to Qualification.",
        DealEvent.Kind.REASSIGNED: "Manager Test reassigned the deal from rep1 to rep2.",
        DealEvent.Kind.WON: "Manager Test marked the deal as won in Qualification.",
        DealEvent.Kind.REOPENED: "Manager Test reopened the deal (it was won) in Qualification.",
        DealEvent.Kind.LOST: "Manager Test marked the deal as lost: Price.",
    }
    for sentence in sentences.values():
        assert sentence in text
    assert "Rep1 Test scheduled a meeting for" in text
    assert "“Demo”" in text
    assert "Went well" in text  # the activity's notes
    assert "Checklist overridden: Customer in a hurry" in text
    assert "Skipped: Budget confirmed" in text
    assert "Note: Too expensive" in text
    imported_text = _text(_page(client, imported))
    sentences[DealEvent.Kind.IMPORTED] = (
        "Rep1 Test imported the deal from a CSV file into Qualification."
    )
    assert sentences[DealEvent.Kind.IMPORTED] in imported_text
    # Every kind of event there is has its sentence: a new kind must be given one.
    assert set(sentences) == set(DealEvent.Kind.values)
    # Newest first.
    assert text.index(sentences[DealEvent.Kind.LOST]) < text.index(
        sentences[DealEvent.Kind.CREATED]
    )
    assert text.index(sentences[DealEvent.Kind.REOPENED]) < text.index(
        sentences[DealEvent.Kind.WON]
    )


def test_history_without_events_still_shows_in_the_timeline(company, login):
    deal = make_deal(company.rep1, company.sales)
    StageChange.objects.create(
        deal=deal,
        from_stage=company.stages[0],
        to_stage=company.stages[1],
        user=company.rep1,
        changed_at=timezone.now(),
    )
    Activity.objects.create(
        deal=deal, owner=company.rep1, kind="email", subject="Sent the deck", done_at=timezone.now()
    )

    text = _text(_page(login(company.rep1), deal))

    assert "Rep1 Test moved the deal from Prospecting to Qualification." in text
    assert "Rep1 Test logged an email: “Sent the deck”." in text


# -- cost ----------------------------------------------------------------------------------------


def _grow(company, deal, items: int, events: int) -> None:
    for stage in (company.stages[1], company.stages[0]):
        deal_move(user=company.rep1, deal=Deal.objects.get(pk=deal.pk), stage=stage, version=None)
    for index in range(events):
        activity_log(user=company.rep1, deal=deal, kind="call", subject=f"Call {index}")
        deal_update(
            user=company.rep1, deal=Deal.objects.get(pk=deal.pk), version=None, title=f"T{index}"
        )
    for stage in company.stages[:2]:
        for index in range(items):
            item = make_item(stage, EXIT if index % 2 else ENTRY, text=f"{stage.name} {index}")
            if index % 3 == 0:
                checklist_item_check(user=company.rep1, deal=deal, item=item)


# session, user, the deal with its relations, the pipeline's stages, the checklist (one
# annotated query), the deal's activities, the timeline (events, stage changes, their
# overridden items, activities), lost reasons; a manager adds can_edit and can_override
# (team lookups) and, like an admin, the reassignment choices (rendered by the owner select
# through a cursor: two statements).
@pytest.mark.parametrize(("who", "expected"), [("rep1", 10), ("manager", 14), ("admin", 12)])
def test_the_page_costs_the_same_number_of_queries_however_long_the_history(
    company, login, who, expected
):
    small = make_deal(company.rep1, company.sales, title="Small")
    big = make_deal(company.rep1, company.sales, title="Big")
    _grow(company, big, items=6, events=25)
    client = login(getattr(company, who))
    _page(client, small)  # warm up the session

    with CaptureQueriesContext(connection) as few:
        assert _page(client, small).status_code == 200
    with CaptureQueriesContext(connection) as many:
        assert _page(client, big).status_code == 200

    assert len(few) == expected, [q["sql"] for q in few.captured_queries]
    assert len(many) == expected, [q["sql"] for q in many.captured_queries]


def test_a_manager_who_is_also_a_member_elsewhere_sees_that_deal_read_only(company, login):
    TeamMembership.objects.create(
        team=company.north, user=company.manager2, kind=TeamMembership.Kind.MEMBER
    )
    deal = make_deal(company.rep1, company.sales)

    text = _text(_page(login(company.manager2), deal))

    assert "You can see this deal but not change it" in text
