"""Moving a deal into another pipeline (rule 8)."""

from decimal import Decimal
from types import SimpleNamespace

import pytest

from deals.models import ChecklistCheck, Deal, DealEvent, MoveRefusal, StageChange
from deals.services.checklist import checklist_item_check
from deals.services.completion import requirements_completer
from deals.services.moves import deal_move
from pipelinecrm.exceptions import ChecklistIncomplete, InvalidRequest
from pipelines.models import Pipeline, Stage
from tests.deals.moves.helpers import (
    ENTRY,
    EXIT,
    FIELD,
    assert_dense,
    column,
    make_column,
    snapshot,
)
from tests.factories import make_item, make_pipeline, reload

# --- another pipeline (rule 8) ---------------------------------------------------------


@pytest.fixture
def renewals(company):
    """A second team pipeline: Review (entry item on the deal's value) → Signed."""
    pipeline = make_pipeline("Upsell", stages=[("Review", 30), ("Signed", 90)])
    review, signed = pipeline.stages.order_by("position")
    entry = make_item(review, ENTRY, text="Value known", satisfied_by=FIELD, field_name="value")
    return SimpleNamespace(pipeline=pipeline, review=review, signed=signed, entry=entry)


def test_move_to_another_pipeline_applies_only_the_target_entry_items(
    company, sales, deal, renewals
):
    make_item(sales.qualification, EXIT, text="Budget confirmed")  # ignored on this path
    Deal.objects.filter(pk=deal.pk).update(value=None)

    with pytest.raises(ChecklistIncomplete) as refused:
        deal_move(
            user=company.rep1,
            deal=deal,
            stage=renewals.review,
            pipeline=renewals.pipeline,
            version=deal.version,
        )
    assert refused.value.missing == [renewals.entry]

    Deal.objects.filter(pk=deal.pk).update(value=Decimal("100.00"))
    deal_move(
        user=company.rep1,
        deal=deal,
        stage=renewals.review,
        pipeline=renewals.pipeline,
        version=deal.version,
    )

    moved = reload(deal)
    assert (moved.pipeline, moved.stage) == (renewals.pipeline, renewals.review)


def test_the_dialog_ticks_the_target_pipelines_manual_entry_items_and_moves_in_one_step(
    company, sales, deal, renewals
):
    manual = make_item(renewals.review, ENTRY, text="Renewal owner agreed")
    exit_item = make_item(renewals.review, EXIT, text="Quote sent")
    move = {
        "user": company.rep1,
        "deal": deal,
        "stage": renewals.review,
        "pipeline": renewals.pipeline,
        "version": deal.version,
    }
    with pytest.raises(ChecklistIncomplete) as refused:
        deal_move(**move)
    assert refused.value.missing == [manual]

    # Only the entry items of the stage being entered may be ticked, not its exit items.
    with pytest.raises(InvalidRequest):
        deal_move(
            **move,
            complete=requirements_completer(user=company.rep1, check_item_ids=[exit_item.pk]),
        )
    assert not ChecklistCheck.objects.filter(deal=deal).exists()

    deal_move(
        **move, complete=requirements_completer(user=company.rep1, check_item_ids=[manual.pk])
    )

    moved = reload(deal)
    assert (moved.pipeline, moved.stage) == (renewals.pipeline, renewals.review)
    assert ChecklistCheck.objects.filter(deal=deal, item=manual).exists()
    assert not StageChange.objects.get(deal=deal, to_stage=renewals.review).override_reason


def test_another_pipelines_item_is_not_ticked_outside_a_move_into_its_stage(
    company, deal, renewals
):
    manual = make_item(renewals.review, ENTRY, text="Renewal owner agreed")

    with pytest.raises(InvalidRequest):
        checklist_item_check(user=company.rep1, deal=deal, item=manual)
    with pytest.raises(InvalidRequest):
        checklist_item_check(user=company.rep1, deal=deal, item=manual, entering=renewals.signed)
    assert not ChecklistCheck.objects.filter(deal=deal).exists()


def test_move_to_another_pipeline_keeps_both_columns_dense_and_marks_both_dirty(
    company, sales, renewals
):
    source = make_column(company.rep1, sales.qualification, 3)
    target = make_column(company.rep1, renewals.review, 2)
    Pipeline.objects.update(forecast_dirty_since=None)

    deal_move(
        user=company.rep1,
        deal=source[1],
        stage=renewals.review,
        pipeline=renewals.pipeline.pk,
        version=1,
        position=1,
    )

    assert column(renewals.review) == [target[0].pk, source[1].pk, target[1].pk]
    assert column(sales.qualification) == [source[0].pk, source[2].pk]
    assert_dense(renewals.review)
    assert_dense(sales.qualification)
    assert not Pipeline.objects.filter(forecast_dirty_since__isnull=True).exclude(
        pk=company.private.pk
    )
    event = DealEvent.objects.get(deal=source[1], kind=DealEvent.Kind.MOVED)
    assert event.data == {"from": "Qualification", "to": "Review", "pipeline": "Upsell"}


def test_stage_of_another_pipeline_without_naming_it_is_refused(company, deal, renewals):
    before = snapshot(deal)

    with pytest.raises(InvalidRequest) as refused:
        deal_move(user=company.rep1, deal=deal, stage=renewals.review, version=deal.version)

    assert refused.value.details == {"field": "stage"}
    assert snapshot(deal) == before


def test_naming_a_pipeline_and_a_stage_outside_it_is_refused(company, sales, deal, renewals):
    with pytest.raises(InvalidRequest):
        deal_move(
            user=company.rep1,
            deal=deal,
            stage=company.private.stages.first(),
            pipeline=renewals.pipeline,
            version=deal.version,
        )
    with pytest.raises(InvalidRequest):
        deal_move(
            user=company.rep1,
            deal=deal,
            stage=sales.meeting,
            pipeline=renewals.pipeline,
            version=deal.version,
        )

    assert reload(deal).stage == sales.qualification


def test_naming_the_deals_own_pipeline_is_an_ordinary_move(company, sales, deal):
    make_item(sales.qualification, EXIT, text="Budget confirmed")

    with pytest.raises(ChecklistIncomplete):
        deal_move(
            user=company.rep1,
            deal=deal,
            stage=sales.meeting,
            pipeline=sales.pipeline,
            version=deal.version,
        )


def test_move_to_an_inactive_pipeline_is_refused(company, deal, renewals):
    Pipeline.objects.filter(pk=renewals.pipeline.pk).update(is_active=False)

    with pytest.raises(InvalidRequest):
        deal_move(
            user=company.rep1,
            deal=deal,
            stage=renewals.signed,
            pipeline=renewals.pipeline,
            version=deal.version,
        )


def test_move_to_a_stage_that_does_not_exist_is_refused(company, deal):
    missing_id = Stage.objects.order_by("-pk").values_list("pk", flat=True).first() + 1000

    with pytest.raises(InvalidRequest):
        deal_move(user=company.rep1, deal=deal, stage=missing_id, version=deal.version)

    assert not MoveRefusal.objects.exists()


def test_move_to_an_archived_stage_is_refused(company, sales, deal):
    Stage.objects.filter(pk=sales.meeting.pk).update(is_archived=True)

    with pytest.raises(InvalidRequest):
        deal_move(user=company.rep1, deal=deal, stage=sales.meeting, version=deal.version)

    assert reload(deal).stage == sales.qualification
