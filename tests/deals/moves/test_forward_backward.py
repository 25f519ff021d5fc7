"""Forward moves need the exit and entry items; backward moves need nothing (rules 2, 3)."""

import pytest

from deals.models import ChecklistCheck
from deals.services.checklist import checklist_item_check
from deals.services.moves import deal_move
from pipelinecrm.exceptions import ChecklistIncomplete
from tests.deals.moves.helpers import ENTRY, EXIT
from tests.factories import make_deal, make_item, reload

# --- forward and backward moves (rules 2, 3) -------------------------------------------


def test_forward_move_refused_when_exit_item_missing(company, sales, deal):
    make_item(sales.qualification, EXIT, text="Budget confirmed")

    with pytest.raises(ChecklistIncomplete):
        deal_move(user=company.rep1, deal=deal, stage=sales.meeting, version=deal.version)

    assert reload(deal).stage == sales.qualification


def test_forward_move_refused_when_target_entry_item_missing(company, sales, deal):
    make_item(sales.meeting, ENTRY, text="Meeting booked")

    with pytest.raises(ChecklistIncomplete):
        deal_move(user=company.rep1, deal=deal, stage=sales.meeting, version=deal.version)

    assert reload(deal).stage == sales.qualification


def test_forward_move_allowed_once_exit_and_entry_items_are_ticked(company, sales, deal):
    budget = make_item(sales.qualification, EXIT, text="Budget confirmed")
    booked = make_item(sales.meeting, ENTRY, text="Meeting booked")
    deal = checklist_item_check(user=company.rep1, deal=deal, item=budget)
    deal = checklist_item_check(user=company.rep1, deal=deal, item=booked)

    deal_move(user=company.rep1, deal=deal, stage=sales.meeting, version=deal.version)

    assert reload(deal).stage == sales.meeting


def test_forward_move_ignores_entry_items_of_current_stage_and_exit_items_of_target(
    company, sales, deal
):
    make_item(sales.qualification, ENTRY, text="Lead qualified")
    make_item(sales.meeting, EXIT, text="Demo given")

    deal_move(user=company.rep1, deal=deal, stage=sales.meeting, version=deal.version)

    assert reload(deal).stage == sales.meeting


def test_optional_items_never_block(company, sales, deal):
    make_item(sales.qualification, EXIT, text="Competitors noted", is_required=False)
    make_item(sales.meeting, ENTRY, text="Agenda sent", is_required=False)

    deal_move(user=company.rep1, deal=deal, stage=sales.meeting, version=deal.version)

    assert reload(deal).stage == sales.meeting


def test_archived_items_never_block(company, sales, deal):
    make_item(sales.qualification, EXIT, text="Old rule", is_archived=True)

    deal_move(user=company.rep1, deal=deal, stage=sales.meeting, version=deal.version)

    assert reload(deal).stage == sales.meeting


def test_skipped_stages_impose_nothing(company, sales, deal):
    make_item(sales.meeting, ENTRY, text="Meeting booked")
    make_item(sales.meeting, EXIT, text="Demo given")
    make_item(sales.proposal, EXIT, text="Proposal accepted")  # exit of the target: not asked

    deal_move(user=company.rep1, deal=deal, stage=sales.proposal, version=deal.version)

    assert reload(deal).stage == sales.proposal


def test_backward_move_requires_nothing(company, sales):
    deal = make_deal(company.rep1, sales.pipeline, sales.proposal)
    make_item(sales.proposal, EXIT, text="Proposal accepted")
    make_item(sales.qualification, ENTRY, text="Lead qualified")
    make_item(sales.qualification, EXIT, text="Budget confirmed")

    deal_move(user=company.rep1, deal=deal, stage=sales.qualification, version=deal.version)

    assert reload(deal).stage == sales.qualification


def test_manual_ticks_persist_when_moving_back_and_forth(company, sales, deal):
    budget = make_item(sales.qualification, EXIT, text="Budget confirmed")
    deal = checklist_item_check(user=company.rep1, deal=deal, item=budget)

    deal = deal_move(user=company.rep1, deal=deal, stage=sales.meeting, version=deal.version).deal
    deal = deal_move(
        user=company.rep1, deal=deal, stage=sales.qualification, version=deal.version
    ).deal
    deal_move(user=company.rep1, deal=deal, stage=sales.meeting, version=deal.version)

    assert reload(deal).stage == sales.meeting
    assert ChecklistCheck.objects.filter(deal=deal, item=budget).exists()
