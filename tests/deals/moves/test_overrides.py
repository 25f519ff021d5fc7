"""Overriding missing items with a reason: who may, and what is recorded (rule 5)."""

import pytest

from deals.models import DealEvent, MoveRefusal, StageChange
from deals.services.moves import deal_move
from pipelinecrm.exceptions import ChecklistIncomplete, Forbidden
from tests.deals.moves.helpers import snapshot
from tests.factories import reload

# --- override (rule 5) -----------------------------------------------------------------


@pytest.mark.parametrize("persona", ["manager", "admin"])
def test_manager_of_owners_team_or_admin_overrides_missing_items_with_a_reason(
    company, sales, blocked, persona
):
    user = getattr(company, persona)

    result = deal_move(
        user=user,
        deal=blocked.deal,
        stage=sales.meeting,
        version=blocked.deal.version,
        override_reason="  Customer confirmed budget by phone  ",
    )

    assert reload(blocked.deal).stage == sales.meeting
    change = StageChange.objects.get(deal=blocked.deal, to_stage=sales.meeting)
    assert change.override_reason == "Customer confirmed budget by phone"
    assert set(change.overridden_items.all()) == set(blocked.missing)
    assert change.user == user
    event = DealEvent.objects.get(deal=blocked.deal, kind=DealEvent.Kind.MOVED)
    assert event.data["override_reason"] == "Customer confirmed budget by phone"
    assert result.changed_stage is True
    assert not MoveRefusal.objects.exists()


def test_rep_cannot_override_even_on_own_deal(company, sales, blocked):
    before = snapshot(blocked.deal)

    with pytest.raises(Forbidden):
        deal_move(
            user=company.rep1,
            deal=blocked.deal,
            stage=sales.meeting,
            version=blocked.deal.version,
            override_reason="Trust me",
        )

    assert snapshot(blocked.deal) == before


def test_manager_of_another_team_cannot_override(company, sales, blocked):
    before = snapshot(blocked.deal)

    with pytest.raises(Forbidden):
        deal_move(
            user=company.manager2,
            deal=blocked.deal,
            stage=sales.meeting,
            version=blocked.deal.version,
            override_reason="Looks fine to me",
        )

    assert snapshot(blocked.deal) == before


@pytest.mark.parametrize("reason", ["", "   \n\t"])
def test_empty_override_reason_does_not_override(company, sales, blocked, reason):
    with pytest.raises(ChecklistIncomplete):
        deal_move(
            user=company.manager,
            deal=blocked.deal,
            stage=sales.meeting,
            version=blocked.deal.version,
            override_reason=reason,
        )

    assert reload(blocked.deal).stage == sales.qualification


def test_override_reason_on_a_complete_move_records_no_override(company, sales, deal):
    deal_move(
        user=company.manager,
        deal=deal,
        stage=sales.meeting,
        version=deal.version,
        override_reason="Just in case",
    )

    change = StageChange.objects.get(deal=deal, to_stage=sales.meeting)
    assert change.override_reason == ""
    assert not change.overridden_items.exists()
