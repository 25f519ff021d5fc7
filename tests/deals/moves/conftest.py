"""Moving a deal (docs/domain/moves.md): deal_move, deal_mark_won, deal_mark_lost, deal_reopen.

Each test names the rule it guards. Board order is checked with ``assert_dense``: the open
deals of a column hold positions 0..n-1 in (position, id) order, whatever happened.
"""

from types import SimpleNamespace

import pytest

from deals.models import LostReason
from deals.services.checklist import checklist_item_check
from tests.deals.moves.helpers import ACTIVITY, ENTRY, EXIT, FIELD, make_column
from tests.factories import make_item


@pytest.fixture
def sales(company):
    prospecting, qualification, meeting, proposal, negotiation, contract = company.stages
    return SimpleNamespace(
        pipeline=company.sales,
        prospecting=prospecting,
        qualification=qualification,
        meeting=meeting,
        proposal=proposal,
        negotiation=negotiation,
        contract=contract,
    )


@pytest.fixture
def deal_stage(sales):
    """``deal`` is rep1's open deal in Qualification."""
    return sales.qualification


@pytest.fixture
def lost_reason(db):
    return LostReason.objects.create(name="Price")


@pytest.fixture
def blocked(company, sales, deal):
    """A forward move Qualification → Meeting/Demo missing three items (one satisfied)."""
    exit_manual = make_item(sales.qualification, EXIT, text="Budget confirmed")
    exit_field = make_item(sales.qualification, EXIT, satisfied_by=FIELD, field_name="person")
    ticked = make_item(sales.qualification, EXIT, text="Decision maker known")
    entry_activity = make_item(
        sales.meeting, ENTRY, text="Call held", satisfied_by=ACTIVITY, activity_kind="call"
    )
    deal = checklist_item_check(user=company.rep1, deal=deal, item=ticked)
    others = make_column(company.rep1, sales.meeting, 2)
    return SimpleNamespace(
        deal=deal, missing=[exit_manual, exit_field, entry_activity], ticked=ticked, others=others
    )
