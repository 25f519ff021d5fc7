"""Who may move a deal, and which deals may be moved."""

import pytest

from deals.models import StageChange
from deals.services.moves import deal_mark_lost, deal_mark_won, deal_move
from pipelinecrm.exceptions import Forbidden, InvalidRequest
from tests.deals.moves.helpers import snapshot
from tests.factories import make_deal, reload

# --- who may move, and what ------------------------------------------------------------


def test_teammate_who_can_only_see_the_deal_cannot_move_it(company, sales):
    deal = make_deal(company.rep2, sales.pipeline, sales.qualification)
    before = snapshot(deal)

    with pytest.raises(Forbidden):
        deal_move(user=company.rep1, deal=deal, stage=sales.meeting, version=deal.version)
    with pytest.raises(Forbidden):
        deal_move(user=company.rep1, deal=deal, stage=sales.qualification, version=deal.version)

    assert snapshot(deal) == before


@pytest.mark.parametrize("close", ["won", "lost"])
def test_closed_deal_cannot_be_moved(company, sales, deal, lost_reason, close):
    if close == "won":
        deal = deal_mark_won(user=company.rep1, deal=deal, version=deal.version)
    else:
        deal = deal_mark_lost(
            user=company.rep1, deal=deal, version=deal.version, reason=lost_reason
        )

    with pytest.raises(InvalidRequest):
        deal_move(user=company.rep1, deal=deal, stage=sales.meeting, version=deal.version)

    assert (reload(deal).status, reload(deal).position) == (close, None)


def test_manager_of_the_owners_team_moves_the_deal(company, sales, deal):
    deal_move(user=company.manager, deal=deal, stage=sales.meeting, version=deal.version)

    assert reload(deal).stage == sales.meeting
    assert StageChange.objects.get(deal=deal, to_stage=sales.meeting).user == company.manager
