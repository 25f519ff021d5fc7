"""Where a moved deal lands in another column, and the indexes refused."""

import pytest

from deals.services.moves import deal_move
from pipelinecrm.exceptions import InvalidRequest
from tests.deals.moves.helpers import assert_dense, column, make_column, snapshot

# --- position in another column (docs/domain/moves.md) --------------------------------------------


def test_move_without_position_lands_on_top_and_both_columns_stay_dense(company, sales):
    source = make_column(company.rep1, sales.qualification, 3)
    target = make_column(company.rep1, sales.meeting, 2)

    deal_move(user=company.rep1, deal=source[1], stage=sales.meeting, version=1)

    assert column(sales.meeting) == [source[1].pk, target[0].pk, target[1].pk]
    assert column(sales.qualification) == [source[0].pk, source[2].pk]
    assert_dense(sales.meeting)
    assert_dense(sales.qualification)


@pytest.mark.parametrize(("to", "expected"), [(1, [0, "moved", 1]), (2, [0, 1, "moved"])])
def test_move_to_index_of_another_column_up_to_its_end(company, sales, to, expected):
    source = make_column(company.rep1, sales.qualification, 2)
    target = make_column(company.rep1, sales.meeting, 2)

    deal_move(user=company.rep1, deal=source[0], stage=sales.meeting, version=1, position=to)

    ids = [source[0].pk if i == "moved" else target[i].pk for i in expected]
    assert column(sales.meeting) == ids
    assert_dense(sales.meeting)
    assert_dense(sales.qualification)


@pytest.mark.parametrize("position", [3, 10, -1])
def test_move_to_index_outside_the_column_is_refused(company, sales, position):
    source = make_column(company.rep1, sales.qualification, 2)
    make_column(company.rep1, sales.meeting, 2)  # valid indexes 0..2
    before = snapshot(source[0])

    with pytest.raises(InvalidRequest):
        deal_move(
            user=company.rep1, deal=source[0], stage=sales.meeting, version=1, position=position
        )

    assert snapshot(source[0]) == before
    assert_dense(sales.meeting)


def test_reorder_to_negative_index_is_refused(company, sales):
    cards = make_column(company.rep1, sales.qualification, 2)

    with pytest.raises(InvalidRequest):
        deal_move(
            user=company.rep1, deal=cards[1], stage=sales.qualification, version=1, position=-1
        )

    assert column(sales.qualification) == [cards[0].pk, cards[1].pk]
