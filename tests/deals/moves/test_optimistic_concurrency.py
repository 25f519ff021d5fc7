"""A move sent with a stale version is a conflict (rule 6)."""

import pytest

from deals.services.checklist import checklist_item_check
from deals.services.moves import deal_move
from pipelinecrm.exceptions import VersionConflict
from tests.deals.moves.helpers import EXIT, column, history_counts, make_column, snapshot
from tests.factories import make_item, reload

# --- optimistic concurrency (rule 6) ---------------------------------------------------


def test_move_with_stale_version_is_a_conflict_and_changes_nothing(company, sales, deal):
    deal = checklist_item_check(
        user=company.rep1, deal=deal, item=make_item(sales.qualification, EXIT)
    )
    before = snapshot(deal)

    with pytest.raises(VersionConflict) as conflict:
        deal_move(user=company.rep1, deal=deal, stage=sales.meeting, version=1)

    assert conflict.value.current_version == 2
    assert snapshot(deal) == before


def test_reorder_with_stale_version_is_a_conflict(company, sales):
    cards = make_column(company.rep1, sales.qualification, 2)
    deal_move(user=company.rep1, deal=cards[0], stage=sales.qualification, version=1, position=1)

    with pytest.raises(VersionConflict):
        deal_move(
            user=company.rep1, deal=cards[0], stage=sales.qualification, version=1, position=0
        )

    assert column(sales.qualification) == [cards[1].pk, cards[0].pk]


def test_same_move_sent_twice_is_applied_once(company, sales, deal):
    deal_move(user=company.rep1, deal=deal, stage=sales.meeting, version=deal.version)

    with pytest.raises(VersionConflict) as conflict:
        deal_move(user=company.rep1, deal=deal, stage=sales.meeting, version=deal.version)

    assert conflict.value.current_version == deal.version + 1
    assert reload(deal).version == deal.version + 1
    assert history_counts(deal) == (1, 1)
