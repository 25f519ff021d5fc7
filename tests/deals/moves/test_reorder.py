"""Reordering a deal within its stage with deal_move (rule 1)."""

import pytest

from deals.models import MoveRefusal
from deals.services.moves import deal_move
from pipelinecrm.exceptions import InvalidRequest
from tests.deals.moves.helpers import (
    ENTRY,
    EXIT,
    assert_dense,
    column,
    history_counts,
    make_column,
    snapshot,
)
from tests.factories import make_item, reload

# --- reordering within a stage (docs/domain/moves.md, rule 1) -------------------------------------


@pytest.mark.parametrize(
    ("moved", "to", "expected"),
    [
        (0, 2, [1, 2, 0, 3]),  # down
        (3, 1, [0, 3, 1, 2]),  # up
        (2, 0, [2, 0, 1, 3]),  # to the top
        (0, 3, [1, 2, 3, 0]),  # to the last index (n-1)
        (1, 1, [0, 1, 2, 3]),  # onto itself
    ],
)
def test_reorder_within_stage_moves_card_and_shifts_the_others(company, sales, moved, to, expected):
    cards = make_column(company.rep1, sales.qualification, 4)
    card = cards[moved]

    deal_move(
        user=company.rep1, deal=card, stage=sales.qualification, version=card.version, position=to
    )

    assert column(sales.qualification) == [cards[i].pk for i in expected]
    assert_dense(sales.qualification)


def test_reorder_without_position_moves_card_to_top(company, sales):
    cards = make_column(company.rep1, sales.qualification, 3)

    deal_move(user=company.rep1, deal=cards[2], stage=sales.qualification, version=1)

    assert column(sales.qualification) == [cards[2].pk, cards[0].pk, cards[1].pk]
    assert_dense(sales.qualification)


def test_reorder_is_allowed_with_required_items_missing(company, sales):
    make_item(sales.qualification, EXIT, text="Budget confirmed")
    make_item(sales.qualification, ENTRY, text="Lead qualified")
    cards = make_column(company.rep1, sales.qualification, 2)

    deal_move(user=company.rep1, deal=cards[0], stage=sales.qualification, version=1, position=1)

    assert column(sales.qualification) == [cards[1].pk, cards[0].pk]
    assert not MoveRefusal.objects.exists()


def test_reorder_bumps_version_but_writes_no_stage_change_or_event(company, sales):
    cards = make_column(company.rep1, sales.qualification, 2)
    entered = cards[0].stage_entered_at

    result = deal_move(
        user=company.rep1, deal=cards[0], stage=sales.qualification, version=1, position=1
    )

    card = reload(cards[0])
    assert card.version == 2
    assert card.stage_entered_at == entered
    assert history_counts(card) == (0, 0)
    assert result.changed_stage is False
    # The card pushed aside by the move keeps its version: only user writes bump it
    # (docs/domain/deals.md).
    assert reload(cards[1]).version == 1


def test_reorder_past_last_index_is_refused(company, sales):
    cards = make_column(company.rep1, sales.qualification, 3)
    before = snapshot(cards[0])

    with pytest.raises(InvalidRequest) as refused:
        deal_move(
            user=company.rep1, deal=cards[0], stage=sales.qualification, version=1, position=3
        )

    assert refused.value.details == {"field": "position"}
    assert snapshot(cards[0]) == before
