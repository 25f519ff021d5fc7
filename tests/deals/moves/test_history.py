"""A move updates the deal and writes its history in one transaction (rule 7)."""

import datetime

from django.utils import timezone

from deals.models import Deal, DealEvent, StageChange
from deals.services.moves import deal_move
from pipelines.models import Pipeline
from tests.factories import reload

# --- one transaction (rule 7) ----------------------------------------------------------


def test_move_updates_the_deal_and_writes_its_history_at_once(company, sales, deal):
    Deal.objects.filter(pk=deal.pk).update(
        stage_entered_at=timezone.now() - datetime.timedelta(days=3),
        is_stalled=True,
        stalled_since=timezone.now() - datetime.timedelta(days=1),
    )
    Pipeline.objects.update(forecast_dirty_since=None)
    deal = reload(deal)
    before = timezone.now()

    result = deal_move(user=company.rep1, deal=deal, stage=sales.meeting, version=deal.version)

    after = timezone.now()
    moved = reload(deal)
    assert (moved.stage, moved.position, moved.version) == (sales.meeting, 0, deal.version + 1)
    assert before <= moved.stage_entered_at <= after
    assert (moved.is_stalled, moved.stalled_since) == (False, None)
    change = StageChange.objects.get(deal=deal, to_stage=sales.meeting)
    assert (change.from_stage, change.user) == (sales.qualification, company.rep1)
    assert change.changed_at == moved.stage_entered_at
    assert abs(change.time_in_from_stage - datetime.timedelta(days=3)) < datetime.timedelta(
        seconds=5
    )
    event = DealEvent.objects.get(deal=deal, kind=DealEvent.Kind.MOVED)
    assert (event.user, event.data) == (
        company.rep1,
        {"from": "Qualification", "to": "Meeting/Demo"},
    )
    assert moved.pipeline.forecast_dirty_since is not None
    assert (result.deal.version, result.from_stage, result.to_stage) == (
        moved.version,
        sales.qualification,
        sales.meeting,
    )
