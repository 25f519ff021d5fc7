"""The deal's timeline: every kind of event as a sentence."""

import datetime
from decimal import Decimal

from django.utils import timezone

from deals.models import Activity, Deal, DealEvent, StageChange
from deals.services.activities import activity_log
from deals.services.checklist import checklist_item_check, checklist_item_uncheck
from deals.services.deals import deal_create
from deals.services.editing import deal_reassign, deal_update
from deals.services.moves import deal_mark_lost, deal_mark_won, deal_move, deal_reopen
from forecasting.services.stalls import deals_flag_stalled
from tests.deals.deal_page.helpers import EXIT, _page, _text
from tests.factories import make_deal, make_item

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
