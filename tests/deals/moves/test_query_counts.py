"""A forward move costs the same few queries whatever the column sizes."""

from decimal import Decimal

from django.utils import timezone

from deals.models import Activity, Deal
from deals.services.checklist import checklist_item_check
from deals.services.moves import deal_move
from pipelines.models import Stage
from tests.deals.moves.helpers import ACTIVITY, ENTRY, EXIT, FIELD, assert_dense
from tests.factories import make_deal, make_item, make_pipeline, reload

# --- query budget ----------------------------------------------------------------------


def forward_move_scene(owner, n: int) -> Deal:
    """A fresh pipeline with ``n`` cards in each of two columns and satisfied items."""
    pipeline = make_pipeline(stages=[("Open", 10), ("Next", 50)])
    source, target = pipeline.stages.order_by("position")
    now = timezone.now()
    Deal.objects.bulk_create(
        Deal(
            title=f"Filler {i}",
            pipeline=pipeline,
            stage=stage,
            owner=owner,
            position=i,
            stage_entered_at=now,
        )
        for stage in (source, target)
        for i in range(n)
    )
    deal = make_deal(owner, pipeline, source, value=Decimal("10.00"))
    ticked = make_item(source, EXIT, text="Budget confirmed")
    make_item(source, EXIT, text="Value known", satisfied_by=FIELD, field_name="value")
    make_item(target, ENTRY, text="Call held", satisfied_by=ACTIVITY, activity_kind="call")
    make_item(target, EXIT, text="Not asked")
    deal = checklist_item_check(user=owner, deal=deal, item=ticked)
    Activity.objects.create(deal=deal, owner=owner, kind="call", subject="Intro", done_at=now)
    return deal


def test_forward_move_makes_few_queries_whatever_the_column_sizes(
    company, django_assert_num_queries
):
    # Expected, for the owner moving forward with satisfied checklist items:
    #  1. SAVEPOINT (the move's transaction, nested in the test's)
    #  2. lock both stages (FOR UPDATE), with their pipeline
    #  3. lock the deal (FOR UPDATE) and count the target column's open cards
    #  4. the required exit/entry items with their state (ticks, activities) in one query
    #  5. one statement of data-modifying CTEs: UPDATE the deal and the cards that close
    #     the gap and make room (both columns), INSERT the stage change, INSERT the "moved"
    #     event, UPDATE the pipeline's forecast_dirty_since
    #  6. RELEASE SAVEPOINT
    counts = []
    for n in (10, 200):
        deal = forward_move_scene(company.rep1, n)
        target = Stage.objects.get(pipeline=deal.pipeline, name="Next")
        with django_assert_num_queries(6) as captured:
            deal_move(user=company.rep1, deal=deal, stage=target, version=deal.version, position=n)
        assert reload(deal).stage == target
        assert_dense(target)
        counts.append(len(captured))

    assert counts[0] == counts[1]
