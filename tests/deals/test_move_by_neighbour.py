"""deal_move anchored by a neighbour (docs/deal-actions.md): ``before`` / ``after`` name
the open deal the card lands above / below, turned into an index under the column locks."""

import pytest

from deals.models import Deal
from deals.services.moves import deal_mark_won, deal_move
from pipelinecrm.exceptions import InvalidRequest
from tests.factories import make_deal, reload


def _column(stage) -> list[int]:
    rows = Deal.objects.filter(stage=stage, status=Deal.Status.OPEN).order_by("position", "id")
    return list(rows.values_list("pk", flat=True))


@pytest.fixture
def column_of_three(company):
    """Qualification, top to bottom: a b c (rep1's)."""
    qualification = company.stages[1]
    for _ in range(3):
        make_deal(company.rep1, company.sales, qualification)
    return qualification, _column(qualification)


def test_before_lands_the_card_above_that_neighbour(company, column_of_three):
    qualification, (a, b, c) = column_of_three
    deal = make_deal(company.rep1, company.sales)

    result = deal_move(
        user=company.rep1, deal=deal, stage=qualification, version=deal.version, before=b
    )

    assert _column(qualification) == [a, deal.pk, b, c]
    assert result.deal.position == 1


def test_after_lands_the_card_below_that_neighbour(company, column_of_three):
    qualification, (a, b, c) = column_of_three
    deal = make_deal(company.rep1, company.sales)

    deal_move(user=company.rep1, deal=deal, stage=qualification, version=deal.version, after=c)

    assert _column(qualification) == [a, b, c, deal.pk]


def test_a_card_moving_down_its_own_column_lands_where_it_was_dropped(company, column_of_three):
    qualification, (a, b, c) = column_of_three

    deal_move(user=company.rep1, deal=reload(Deal(pk=a)), stage=qualification, version=1, before=c)

    assert _column(qualification) == [b, a, c]


@pytest.mark.parametrize("anchor", ["before", "after"])
def test_a_neighbour_the_user_cannot_see_is_refused_like_a_missing_one(company, anchor):
    # Renewals is an "owner" pipeline: rep1 sees only their own deals there.
    due = company.private.stages.get(name="Due")
    hidden = make_deal(company.rep2, company.private, due)
    deal = make_deal(company.rep1, company.private, company.private.stages.get(name="Renewed"))
    gone = {"before": 987654} if anchor == "before" else {"after": 987654}

    with pytest.raises(InvalidRequest) as invisible:
        deal_move(user=company.rep1, deal=deal, stage=due, version=1, **{anchor: hidden.pk})
    with pytest.raises(InvalidRequest) as missing:
        deal_move(user=company.rep1, deal=deal, stage=due, version=1, **gone)

    assert invisible.value.message == missing.value.message
    assert invisible.value.details == {"field": anchor}
    assert reload(deal).stage.name == "Renewed"


def test_a_neighbour_in_another_column_or_closed_is_refused(company, column_of_three):
    qualification, (a, _, _) = column_of_three
    elsewhere = make_deal(company.rep1, company.sales, company.stages[2])
    deal = make_deal(company.rep1, company.sales)
    deal_mark_won(user=company.rep1, deal=reload(Deal(pk=a)), version=1)

    for neighbour in (elsewhere.pk, a):
        with pytest.raises(InvalidRequest, match="not an open deal of the target column"):
            deal_move(
                user=company.rep1, deal=deal, stage=qualification, version=1, before=neighbour
            )
    assert reload(deal).stage == company.stages[0]


def test_at_most_one_of_position_before_and_after(company, column_of_three):
    qualification, (a, _, _) = column_of_three
    deal = make_deal(company.rep1, company.sales)

    with pytest.raises(InvalidRequest, match="at most one"):
        deal_move(
            user=company.rep1, deal=deal, stage=qualification, version=1, position=0, before=a
        )
    assert reload(deal).stage == company.stages[0]
