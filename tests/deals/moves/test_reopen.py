"""Reopening a closed deal (rule 10)."""

import datetime

import pytest
from django.utils import timezone

from deals.models import Deal, DealEvent, StageChange
from deals.services.moves import deal_mark_lost, deal_mark_won, deal_reopen
from pipelinecrm.exceptions import Forbidden, InvalidRequest, VersionConflict
from pipelines.models import Stage
from tests.deals.moves.helpers import ENTRY, assert_dense, column, make_column
from tests.factories import make_deal, make_item, reload

# --- reopen (rule 10) ------------------------------------------------------------------


def test_reopen_returns_the_deal_open_to_the_top_of_its_last_stage(company, sales, lost_reason):
    cards = make_column(company.rep1, sales.meeting, 3)
    make_item(sales.meeting, ENTRY, text="Meeting booked")  # no checklist applies
    lost = deal_mark_lost(user=company.rep1, deal=cards[1], version=1, reason=lost_reason)
    # Five days in the stage, then closed for two: only the five count as time in stage.
    now = timezone.now()
    Deal.objects.filter(pk=lost.pk).update(
        stage_entered_at=now - datetime.timedelta(days=7),
        closed_at=now - datetime.timedelta(days=2),
    )
    before = timezone.now()

    deal_reopen(user=company.rep1, deal=lost, version=lost.version)

    reopened = reload(lost)
    assert (reopened.status, reopened.stage, reopened.position) == ("open", sales.meeting, 0)
    assert (reopened.closed_at, reopened.lost_reason, reopened.lost_note) == (None, None, "")
    assert reopened.stage_entered_at >= before
    assert reopened.version == lost.version + 1
    assert column(sales.meeting) == [cards[1].pk, cards[0].pk, cards[2].pk]
    assert_dense(sales.meeting)
    change = StageChange.objects.filter(deal=reopened).latest("changed_at", "id")
    assert (change.from_stage, change.to_stage, change.user) == (
        sales.meeting,
        sales.meeting,
        company.rep1,
    )
    assert change.time_in_from_stage == datetime.timedelta(days=5)
    event = DealEvent.objects.get(deal=reopened, kind=DealEvent.Kind.REOPENED)
    assert event.data == {"stage": "Meeting/Demo", "was": "lost"}


@pytest.mark.parametrize("persona", ["rep1", "manager", "admin"])
def test_owner_their_manager_or_admin_reopen(company, deal, persona):
    won = deal_mark_won(user=company.rep1, deal=deal, version=deal.version)

    deal_reopen(user=getattr(company, persona), deal=won, version=won.version)

    assert reload(deal).status == Deal.Status.OPEN


@pytest.mark.parametrize("persona", ["rep2", "manager2"])
def test_others_cannot_reopen(company, deal, persona):
    won = deal_mark_won(user=company.rep1, deal=deal, version=deal.version)

    with pytest.raises(Forbidden):
        deal_reopen(user=getattr(company, persona), deal=won, version=won.version)

    assert reload(deal).status == Deal.Status.WON


def test_reopen_into_first_active_stage_when_last_stage_was_archived(company, sales):
    deal = make_deal(company.rep1, sales.pipeline, sales.proposal)
    waiting = make_column(company.rep1, sales.qualification, 2)
    won = deal_mark_won(user=company.rep1, deal=deal, version=deal.version)
    Stage.objects.filter(pk__in=[sales.proposal.pk, sales.prospecting.pk]).update(is_archived=True)

    deal_reopen(user=company.rep1, deal=won, version=won.version)

    reopened = reload(deal)
    assert (reopened.status, reopened.stage, reopened.position) == (
        "open",
        sales.qualification,
        0,
    )
    assert column(sales.qualification) == [deal.pk, waiting[0].pk, waiting[1].pk]
    assert_dense(sales.qualification)


def test_reopen_of_an_open_deal_is_refused(company, deal):
    with pytest.raises(InvalidRequest):
        deal_reopen(user=company.rep1, deal=deal, version=deal.version)

    assert reload(deal).version == deal.version


def test_reopen_with_stale_version_is_a_conflict(company, deal):
    won = deal_mark_won(user=company.rep1, deal=deal, version=deal.version)
    deal_reopen(user=company.rep1, deal=won, version=won.version)
    deal_mark_won(user=company.rep1, deal=won, version=won.version + 1)

    with pytest.raises(VersionConflict):
        deal_reopen(user=company.rep1, deal=won, version=won.version)

    assert reload(deal).status == Deal.Status.WON
