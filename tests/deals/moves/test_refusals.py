"""A forward move refused for missing items: what it reports, records and leaves alone (rule 4)."""

import pytest

from deals.models import MoveRefusal
from deals.services.moves import deal_move
from pipelinecrm.exceptions import ChecklistIncomplete, Forbidden, VersionConflict
from pipelines.models import Pipeline
from tests.deals.moves.helpers import assert_dense, column, snapshot
from tests.factories import reload

# --- refusal (rule 4) ------------------------------------------------------------------


def test_refused_move_lists_each_missing_item(company, sales, blocked):
    with pytest.raises(ChecklistIncomplete) as refused:
        deal_move(
            user=company.rep1, deal=blocked.deal, stage=sales.meeting, version=blocked.deal.version
        )

    described = [(i.pk, i.text, i.stage_id, i.kind) for i in refused.value.missing]
    assert described == [(i.pk, i.text, i.stage_id, i.kind) for i in blocked.missing]
    assert refused.value.code == "checklist_incomplete"


def test_refused_move_changes_nothing(company, sales, blocked):
    before = snapshot(blocked.deal)
    Pipeline.objects.update(forecast_dirty_since=None)

    with pytest.raises(ChecklistIncomplete):
        deal_move(
            user=company.rep1, deal=blocked.deal, stage=sales.meeting, version=blocked.deal.version
        )

    assert snapshot(blocked.deal) == before
    assert column(sales.meeting) == [deal.pk for deal in blocked.others]
    assert_dense(sales.meeting)
    assert_dense(sales.qualification)
    assert reload(blocked.deal).pipeline.forecast_dirty_since is None


def test_refused_move_is_recorded_once_with_its_missing_items(company, sales, blocked):
    with pytest.raises(ChecklistIncomplete):
        deal_move(
            user=company.rep1, deal=blocked.deal, stage=sales.meeting, version=blocked.deal.version
        )

    refusal = MoveRefusal.objects.get()
    assert (refusal.deal, refusal.user) == (blocked.deal, company.rep1)
    assert (refusal.from_stage, refusal.to_stage) == (sales.qualification, sales.meeting)
    assert set(refusal.missing_items.all()) == set(blocked.missing)


def test_moves_refused_for_other_reasons_are_not_recorded_as_checklist_refusals(
    company, sales, blocked
):
    with pytest.raises(VersionConflict):
        deal_move(user=company.rep1, deal=blocked.deal, stage=sales.meeting, version=1)
    with pytest.raises(Forbidden):
        deal_move(
            user=company.rep2, deal=blocked.deal, stage=sales.meeting, version=blocked.deal.version
        )

    assert not MoveRefusal.objects.exists()
