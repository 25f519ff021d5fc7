"""Marking a deal won or lost (rule 9)."""

import pytest
from django.utils import timezone

from deals.models import Deal, DealEvent, LostReason, MoveRefusal
from deals.services.moves import deal_mark_lost, deal_mark_won, deal_move
from pipelinecrm.exceptions import ChecklistIncomplete, Forbidden, InvalidRequest, VersionConflict
from pipelines.models import Pipeline
from tests.deals.moves.helpers import ENTRY, EXIT, assert_dense, column, make_column, snapshot
from tests.factories import make_deal, make_item, reload

# --- won and lost (rule 9) -------------------------------------------------------------


def test_won_deal_leaves_the_board_and_the_column_closes_the_gap(company, sales):
    cards = make_column(company.rep1, sales.proposal, 3)
    Deal.objects.filter(pk=cards[1].pk).update(is_stalled=True, stalled_since=timezone.now())
    Pipeline.objects.update(forecast_dirty_since=None)
    before = timezone.now()

    deal_mark_won(user=company.rep1, deal=cards[1], version=1)

    won = reload(cards[1])
    assert (won.status, won.position, won.version, won.is_stalled) == ("won", None, 2, False)
    assert won.closed_at >= before
    assert column(sales.proposal) == [cards[0].pk, cards[2].pk]
    assert_dense(sales.proposal)
    event = DealEvent.objects.get(deal=won, kind=DealEvent.Kind.WON)
    assert (event.user, event.data) == (company.rep1, {"stage": "Proposal"})
    assert won.pipeline.forecast_dirty_since is not None


@pytest.mark.parametrize("close", ["won", "lost"])
def test_closing_from_a_copy_read_before_a_move_closes_the_deal_where_it_really_is(
    company, sales, deal, lost_reason, close
):
    # Bulk actions send no version; the deal may have moved since the list was read.
    read_earlier = reload(deal)
    others = make_column(company.rep1, sales.meeting, 2)
    deal_move(user=company.rep1, deal=deal, stage=sales.meeting, version=deal.version, position=1)

    if close == "won":
        deal_mark_won(user=company.manager, deal=read_earlier, version=None)
    else:
        deal_mark_lost(user=company.manager, deal=read_earlier, version=None, reason=lost_reason)

    assert column(sales.meeting) == [others[0].pk, others[1].pk]
    assert_dense(sales.meeting)
    event = DealEvent.objects.get(deal=deal, kind=close)
    assert event.data["stage"] == "Meeting/Demo"


def test_won_refused_when_exit_item_of_current_stage_missing(company, sales, deal):
    item = make_item(sales.qualification, EXIT, text="Budget confirmed")
    before = snapshot(deal)

    with pytest.raises(ChecklistIncomplete) as refused:
        deal_mark_won(user=company.rep1, deal=deal, version=deal.version)

    assert refused.value.missing == [item]
    assert snapshot(deal) == before
    refusal = MoveRefusal.objects.get()
    assert (refusal.from_stage, refusal.to_stage) == (sales.qualification, sales.qualification)
    assert list(refusal.missing_items.all()) == [item]


def test_won_needs_no_entry_items_and_nothing_of_later_stages(company, sales, deal):
    make_item(sales.qualification, ENTRY, text="Lead qualified")
    make_item(sales.contract, EXIT, text="Contract signed")
    make_item(sales.qualification, EXIT, text="Optional", is_required=False)

    deal_mark_won(user=company.rep1, deal=deal, version=deal.version)

    assert reload(deal).status == Deal.Status.WON


@pytest.mark.parametrize("persona", ["manager", "admin"])
def test_manager_or_admin_overrides_missing_items_to_mark_won(company, sales, deal, persona):
    item = make_item(sales.qualification, EXIT, text="Budget confirmed")

    deal_mark_won(
        user=getattr(company, persona),
        deal=deal,
        version=deal.version,
        override_reason="Signed early",
    )

    assert reload(deal).status == Deal.Status.WON
    event = DealEvent.objects.get(deal=deal, kind=DealEvent.Kind.WON)
    assert event.data["override_reason"] == "Signed early"
    assert event.data["overridden_items"] == [item.text]


@pytest.mark.parametrize(
    ("persona", "reason", "refusal"),
    [
        ("rep1", "Please", Forbidden),  # the owner, but a rep
        ("manager2", "Please", Forbidden),  # a manager of another team
        ("manager", "  ", ChecklistIncomplete),  # no written reason, no override
    ],
)
def test_won_override_needs_the_owners_manager_or_admin_and_a_reason(
    company, sales, deal, persona, reason, refusal
):
    make_item(sales.qualification, EXIT, text="Budget confirmed")

    with pytest.raises(refusal):
        deal_mark_won(
            user=getattr(company, persona),
            deal=deal,
            version=deal.version,
            override_reason=reason,
        )

    assert reload(deal).status == Deal.Status.OPEN


def test_won_with_stale_version_is_a_conflict(company, deal):
    deal_mark_won(user=company.rep1, deal=deal, version=deal.version)

    with pytest.raises(VersionConflict):
        deal_mark_won(user=company.rep1, deal=deal, version=deal.version)

    assert DealEvent.objects.filter(deal=deal, kind=DealEvent.Kind.WON).count() == 1


def test_teammate_who_can_only_see_the_deal_cannot_close_it(company, sales, lost_reason):
    deal = make_deal(company.rep2, sales.pipeline, sales.qualification)

    with pytest.raises(Forbidden):
        deal_mark_won(user=company.rep1, deal=deal, version=deal.version)
    with pytest.raises(Forbidden):
        deal_mark_lost(user=company.rep1, deal=deal, version=deal.version, reason=lost_reason)

    assert reload(deal).status == Deal.Status.OPEN


def test_lost_deal_records_its_reason_and_leaves_the_board(company, sales, lost_reason):
    cards = make_column(company.rep1, sales.qualification, 3)
    make_item(sales.qualification, EXIT, text="Budget confirmed")  # lost needs no checklist

    deal_mark_lost(
        user=company.rep1, deal=cards[0], version=1, reason=lost_reason, note="Too expensive"
    )

    lost = reload(cards[0])
    assert (lost.status, lost.position, lost.lost_reason, lost.lost_note) == (
        "lost",
        None,
        lost_reason,
        "Too expensive",
    )
    assert lost.closed_at is not None
    assert lost.version == 2
    assert column(sales.qualification) == [cards[1].pk, cards[2].pk]
    assert_dense(sales.qualification)
    event = DealEvent.objects.get(deal=lost, kind=DealEvent.Kind.LOST)
    assert event.data == {"stage": "Qualification", "reason": "Price", "note": "Too expensive"}


def test_lost_needs_a_reason(company, deal):
    with pytest.raises(InvalidRequest) as refused:
        deal_mark_lost(user=company.rep1, deal=deal, version=deal.version, reason=None)

    assert refused.value.details == {"field": "reason"}
    assert reload(deal).status == Deal.Status.OPEN


def test_lost_refuses_a_reason_no_longer_offered(company, deal):
    retired = LostReason.objects.create(name="Old reason", is_active=False)

    with pytest.raises(InvalidRequest):
        deal_mark_lost(user=company.rep1, deal=deal, version=deal.version, reason=retired)

    assert reload(deal).status == Deal.Status.OPEN


def test_closing_a_closed_deal_is_refused(company, deal, lost_reason):
    deal = deal_mark_won(user=company.rep1, deal=deal, version=deal.version)

    with pytest.raises(InvalidRequest):
        deal_mark_lost(user=company.rep1, deal=deal, version=deal.version, reason=lost_reason)
    with pytest.raises(InvalidRequest):
        deal_mark_won(user=company.rep1, deal=deal, version=deal.version)

    assert reload(deal).status == Deal.Status.WON
