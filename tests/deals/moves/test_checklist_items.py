"""Field and activity checklist items: what satisfies them on a forward move."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from deals.models import Deal, Organization
from deals.services.activities import activity_log
from deals.services.moves import deal_move
from pipelinecrm.exceptions import ChecklistIncomplete
from tests.deals.moves.helpers import ACTIVITY, ENTRY, EXIT, FIELD
from tests.factories import make_deal, make_item, reload

# --- field items -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field_name", "filled"),
    [
        ("value", {"value": Decimal("0.00")}),  # 0 counts as filled
        ("value", {"value": Decimal("5000.00")}),
        ("expected_close_date", {"expected_close_date": datetime.date(2030, 1, 31)}),
        ("organization", {"organization": "make"}),
        ("person", {"person": "make"}),
    ],
)
def test_field_item_is_satisfied_by_a_filled_field(company, sales, field_name, filled):
    make_item(sales.qualification, EXIT, satisfied_by=FIELD, field_name=field_name)
    if filled.get(field_name) == "make":
        organization = Organization.objects.create(name="Acme")
        filled = {
            field_name: organization
            if field_name == "organization"
            else organization.people.create(name="Ada")
        }
    deal = make_deal(company.rep1, sales.pipeline, sales.qualification, **filled)

    deal_move(user=company.rep1, deal=deal, stage=sales.meeting, version=deal.version)

    assert reload(deal).stage == sales.meeting


@pytest.mark.parametrize("field_name", ["value", "expected_close_date", "organization", "person"])
def test_field_item_blocks_while_field_is_empty(company, sales, field_name):
    item = make_item(sales.meeting, ENTRY, satisfied_by=FIELD, field_name=field_name)
    deal = make_deal(company.rep1, sales.pipeline, sales.qualification, value=None)

    with pytest.raises(ChecklistIncomplete) as refused:
        deal_move(user=company.rep1, deal=deal, stage=sales.meeting, version=deal.version)

    assert refused.value.missing == [item]


# --- activity items --------------------------------------------------------------------


def backdate_stage_entry(deal: Deal, days: int) -> Deal:
    Deal.objects.filter(pk=deal.pk).update(
        stage_entered_at=timezone.now() - datetime.timedelta(days=days)
    )
    return reload(deal)


def test_exit_activity_item_needs_an_activity_done_since_the_deal_entered_the_stage(
    company, sales, deal
):
    make_item(sales.qualification, EXIT, satisfied_by=ACTIVITY, activity_kind="meeting")
    deal = backdate_stage_entry(deal, days=2)
    before_entry = timezone.now() - datetime.timedelta(days=3)
    activity_log(user=company.rep1, deal=deal, kind="meeting", subject="Old", done_at=before_entry)

    with pytest.raises(ChecklistIncomplete):
        deal_move(user=company.rep1, deal=deal, stage=sales.meeting, version=reload(deal).version)

    activity_log(user=company.rep1, deal=deal, kind="meeting", subject="Discovery meeting")
    deal_move(user=company.rep1, deal=deal, stage=sales.meeting, version=reload(deal).version)
    assert reload(deal).stage == sales.meeting


def test_exit_activity_item_forgets_activities_from_before_the_deal_reentered_the_stage(
    company, sales, deal
):
    make_item(sales.qualification, EXIT, satisfied_by=ACTIVITY, activity_kind="meeting")
    deal = backdate_stage_entry(deal, days=2)
    yesterday = timezone.now() - datetime.timedelta(days=1)
    activity_log(user=company.rep1, deal=deal, kind="meeting", subject="Demo", done_at=yesterday)
    deal = deal_move(
        user=company.rep1, deal=deal, stage=sales.prospecting, version=reload(deal).version
    ).deal
    deal = deal_move(
        user=company.rep1, deal=deal, stage=sales.qualification, version=deal.version
    ).deal

    with pytest.raises(ChecklistIncomplete):
        deal_move(user=company.rep1, deal=deal, stage=sales.meeting, version=deal.version)


def test_entry_activity_item_accepts_an_activity_done_at_any_time(company, sales, deal):
    make_item(sales.meeting, ENTRY, satisfied_by=ACTIVITY, activity_kind="call")
    deal = backdate_stage_entry(deal, days=2)
    long_ago = timezone.now() - datetime.timedelta(days=30)
    activity_log(user=company.rep1, deal=deal, kind="call", subject="Intro", done_at=long_ago)

    deal_move(user=company.rep1, deal=deal, stage=sales.meeting, version=reload(deal).version)

    assert reload(deal).stage == sales.meeting


@pytest.mark.parametrize("kind", [EXIT, ENTRY])
def test_scheduled_activity_does_not_satisfy_an_activity_item(company, sales, deal, kind):
    stage = sales.qualification if kind == EXIT else sales.meeting
    item = make_item(stage, kind, satisfied_by=ACTIVITY, activity_kind="meeting")
    activity_log(
        user=company.rep1,
        deal=deal,
        kind="meeting",
        subject="Demo next week",
        done=False,
        due_at=timezone.now() + datetime.timedelta(days=7),
    )

    with pytest.raises(ChecklistIncomplete) as refused:
        deal_move(user=company.rep1, deal=deal, stage=sales.meeting, version=reload(deal).version)

    assert refused.value.missing == [item]


def test_activity_of_another_kind_does_not_satisfy_an_activity_item(company, sales, deal):
    make_item(sales.qualification, EXIT, satisfied_by=ACTIVITY, activity_kind="meeting")
    activity_log(user=company.rep1, deal=deal, kind="call", subject="Quick call")

    with pytest.raises(ChecklistIncomplete):
        deal_move(user=company.rep1, deal=deal, stage=sales.meeting, version=reload(deal).version)
