"""Moving a deal (docs/domain/moves.md): deal_move, deal_mark_won, deal_mark_lost, deal_reopen.

Each test names the rule it guards. Board order is checked with ``assert_dense``: the open
deals of a column hold positions 0..n-1 in (position, id) order, whatever happened.
"""

import datetime
import threading
import time
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.db import connection, transaction
from django.utils import timezone

from deals.models import (
    Activity,
    ChecklistCheck,
    Deal,
    DealEvent,
    LostReason,
    MoveRefusal,
    Organization,
    StageChange,
)
from deals.services.activities import activity_log
from deals.services.checklist import checklist_item_check
from deals.services.completion import requirements_completer
from deals.services.moves import deal_mark_lost, deal_mark_won, deal_move, deal_reopen
from pipelinecrm.exceptions import (
    ChecklistIncomplete,
    Forbidden,
    InvalidRequest,
    VersionConflict,
)
from pipelines.models import ChecklistItem, Pipeline, Stage
from tests.factories import make_deal, make_item, make_pipeline, reload

EXIT, ENTRY = ChecklistItem.Kind.EXIT, ChecklistItem.Kind.ENTRY
FIELD, ACTIVITY = ChecklistItem.SatisfiedBy.FIELD, ChecklistItem.SatisfiedBy.ACTIVITY


# --- helpers ---------------------------------------------------------------------------


def column(stage: Stage) -> list[int]:
    """Ids of the open deals of ``stage`` in board order."""
    rows = Deal.objects.filter(stage=stage, status=Deal.Status.OPEN).order_by("position", "id")
    return list(rows.values_list("pk", flat=True))


def assert_dense(stage: Stage) -> None:
    """Open deals of ``stage`` hold exactly the positions 0..n-1 in (position, id) order.

    Also checks the deferred constraints (unique position per stage, the deal's stage in
    its pipeline) now: a test transaction never commits, so they would otherwise never run.
    """
    rows = Deal.objects.filter(stage=stage, status=Deal.Status.OPEN).order_by("position", "id")
    positions = list(rows.values_list("position", flat=True))
    assert positions == list(range(len(positions))), f"{stage.name}: {positions}"
    if connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def make_column(owner, stage: Stage, n: int) -> list[Deal]:
    """``n`` open deals in ``stage``, returned in board order (top first)."""
    deals = [make_deal(owner, stage.pipeline, stage) for _ in range(n)]
    return [reload(deal) for deal in reversed(deals)]


def history_counts(deal: Deal) -> tuple[int, int]:
    """(stage changes, deal events other than creation) of ``deal``."""
    return (
        StageChange.objects.filter(deal=deal, from_stage__isnull=False).count(),
        DealEvent.objects.filter(deal=deal).exclude(kind=DealEvent.Kind.CREATED).count(),
    )


def snapshot(deal: Deal) -> tuple:
    """What a refused move must leave untouched."""
    deal = reload(deal)
    return (
        deal.stage_id,
        deal.pipeline_id,
        deal.position,
        deal.version,
        deal.stage_entered_at,
        deal.status,
        history_counts(deal),
    )


@pytest.fixture
def sales(company):
    prospecting, qualification, meeting, proposal, negotiation, contract = company.stages
    return SimpleNamespace(
        pipeline=company.sales,
        prospecting=prospecting,
        qualification=qualification,
        meeting=meeting,
        proposal=proposal,
        negotiation=negotiation,
        contract=contract,
    )


@pytest.fixture
def deal(company, sales):
    """rep1's open deal in Qualification."""
    return make_deal(company.rep1, sales.pipeline, sales.qualification)


@pytest.fixture
def lost_reason(db):
    return LostReason.objects.create(name="Price")


# --- §3 position: reordering within a stage (rule 1) ----------------------------------


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
    # The card pushed aside by the move keeps its version: only user writes bump it (§2).
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


# --- §3 position in another column -----------------------------------------------------


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


# --- forward and backward moves (rules 2, 3) -------------------------------------------


def test_forward_move_refused_when_exit_item_missing(company, sales, deal):
    make_item(sales.qualification, EXIT, text="Budget confirmed")

    with pytest.raises(ChecklistIncomplete):
        deal_move(user=company.rep1, deal=deal, stage=sales.meeting, version=deal.version)

    assert reload(deal).stage == sales.qualification


def test_forward_move_refused_when_target_entry_item_missing(company, sales, deal):
    make_item(sales.meeting, ENTRY, text="Meeting booked")

    with pytest.raises(ChecklistIncomplete):
        deal_move(user=company.rep1, deal=deal, stage=sales.meeting, version=deal.version)

    assert reload(deal).stage == sales.qualification


def test_forward_move_allowed_once_exit_and_entry_items_are_ticked(company, sales, deal):
    budget = make_item(sales.qualification, EXIT, text="Budget confirmed")
    booked = make_item(sales.meeting, ENTRY, text="Meeting booked")
    deal = checklist_item_check(user=company.rep1, deal=deal, item=budget)
    deal = checklist_item_check(user=company.rep1, deal=deal, item=booked)

    deal_move(user=company.rep1, deal=deal, stage=sales.meeting, version=deal.version)

    assert reload(deal).stage == sales.meeting


def test_forward_move_ignores_entry_items_of_current_stage_and_exit_items_of_target(
    company, sales, deal
):
    make_item(sales.qualification, ENTRY, text="Lead qualified")
    make_item(sales.meeting, EXIT, text="Demo given")

    deal_move(user=company.rep1, deal=deal, stage=sales.meeting, version=deal.version)

    assert reload(deal).stage == sales.meeting


def test_optional_items_never_block(company, sales, deal):
    make_item(sales.qualification, EXIT, text="Competitors noted", is_required=False)
    make_item(sales.meeting, ENTRY, text="Agenda sent", is_required=False)

    deal_move(user=company.rep1, deal=deal, stage=sales.meeting, version=deal.version)

    assert reload(deal).stage == sales.meeting


def test_archived_items_never_block(company, sales, deal):
    make_item(sales.qualification, EXIT, text="Old rule", is_archived=True)

    deal_move(user=company.rep1, deal=deal, stage=sales.meeting, version=deal.version)

    assert reload(deal).stage == sales.meeting


def test_skipped_stages_impose_nothing(company, sales, deal):
    make_item(sales.meeting, ENTRY, text="Meeting booked")
    make_item(sales.meeting, EXIT, text="Demo given")
    make_item(sales.proposal, EXIT, text="Proposal accepted")  # exit of the target: not asked

    deal_move(user=company.rep1, deal=deal, stage=sales.proposal, version=deal.version)

    assert reload(deal).stage == sales.proposal


def test_backward_move_requires_nothing(company, sales):
    deal = make_deal(company.rep1, sales.pipeline, sales.proposal)
    make_item(sales.proposal, EXIT, text="Proposal accepted")
    make_item(sales.qualification, ENTRY, text="Lead qualified")
    make_item(sales.qualification, EXIT, text="Budget confirmed")

    deal_move(user=company.rep1, deal=deal, stage=sales.qualification, version=deal.version)

    assert reload(deal).stage == sales.qualification


def test_manual_ticks_persist_when_moving_back_and_forth(company, sales, deal):
    budget = make_item(sales.qualification, EXIT, text="Budget confirmed")
    deal = checklist_item_check(user=company.rep1, deal=deal, item=budget)

    deal = deal_move(user=company.rep1, deal=deal, stage=sales.meeting, version=deal.version).deal
    deal = deal_move(
        user=company.rep1, deal=deal, stage=sales.qualification, version=deal.version
    ).deal
    deal_move(user=company.rep1, deal=deal, stage=sales.meeting, version=deal.version)

    assert reload(deal).stage == sales.meeting
    assert ChecklistCheck.objects.filter(deal=deal, item=budget).exists()


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


# --- refusal (rule 4) ------------------------------------------------------------------


@pytest.fixture
def blocked(company, sales, deal):
    """A forward move Qualification → Meeting/Demo missing three items (one satisfied)."""
    exit_manual = make_item(sales.qualification, EXIT, text="Budget confirmed")
    exit_field = make_item(sales.qualification, EXIT, satisfied_by=FIELD, field_name="person")
    ticked = make_item(sales.qualification, EXIT, text="Decision maker known")
    entry_activity = make_item(
        sales.meeting, ENTRY, text="Call held", satisfied_by=ACTIVITY, activity_kind="call"
    )
    deal = checklist_item_check(user=company.rep1, deal=deal, item=ticked)
    others = make_column(company.rep1, sales.meeting, 2)
    return SimpleNamespace(
        deal=deal, missing=[exit_manual, exit_field, entry_activity], ticked=ticked, others=others
    )


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


# --- override (rule 5) -----------------------------------------------------------------


@pytest.mark.parametrize("persona", ["manager", "admin"])
def test_manager_of_owners_team_or_admin_overrides_missing_items_with_a_reason(
    company, sales, blocked, persona
):
    user = getattr(company, persona)

    result = deal_move(
        user=user,
        deal=blocked.deal,
        stage=sales.meeting,
        version=blocked.deal.version,
        override_reason="  Customer confirmed budget by phone  ",
    )

    assert reload(blocked.deal).stage == sales.meeting
    change = StageChange.objects.get(deal=blocked.deal, to_stage=sales.meeting)
    assert change.override_reason == "Customer confirmed budget by phone"
    assert set(change.overridden_items.all()) == set(blocked.missing)
    assert change.user == user
    event = DealEvent.objects.get(deal=blocked.deal, kind=DealEvent.Kind.MOVED)
    assert event.data["override_reason"] == "Customer confirmed budget by phone"
    assert result.changed_stage is True
    assert not MoveRefusal.objects.exists()


def test_rep_cannot_override_even_on_own_deal(company, sales, blocked):
    before = snapshot(blocked.deal)

    with pytest.raises(Forbidden):
        deal_move(
            user=company.rep1,
            deal=blocked.deal,
            stage=sales.meeting,
            version=blocked.deal.version,
            override_reason="Trust me",
        )

    assert snapshot(blocked.deal) == before


def test_manager_of_another_team_cannot_override(company, sales, blocked):
    before = snapshot(blocked.deal)

    with pytest.raises(Forbidden):
        deal_move(
            user=company.manager2,
            deal=blocked.deal,
            stage=sales.meeting,
            version=blocked.deal.version,
            override_reason="Looks fine to me",
        )

    assert snapshot(blocked.deal) == before


@pytest.mark.parametrize("reason", ["", "   \n\t"])
def test_empty_override_reason_does_not_override(company, sales, blocked, reason):
    with pytest.raises(ChecklistIncomplete):
        deal_move(
            user=company.manager,
            deal=blocked.deal,
            stage=sales.meeting,
            version=blocked.deal.version,
            override_reason=reason,
        )

    assert reload(blocked.deal).stage == sales.qualification


def test_override_reason_on_a_complete_move_records_no_override(company, sales, deal):
    deal_move(
        user=company.manager,
        deal=deal,
        stage=sales.meeting,
        version=deal.version,
        override_reason="Just in case",
    )

    change = StageChange.objects.get(deal=deal, to_stage=sales.meeting)
    assert change.override_reason == ""
    assert not change.overridden_items.exists()


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


def test_manager_of_the_owners_team_moves_the_deal(company, sales, deal):
    deal_move(user=company.manager, deal=deal, stage=sales.meeting, version=deal.version)

    assert reload(deal).stage == sales.meeting
    assert StageChange.objects.get(deal=deal, to_stage=sales.meeting).user == company.manager


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


# --- won and lost (rule 9) -------------------------------------------------------------


def test_won_deal_leaves_the_board_and_the_column_closes_the_gap(company, sales):
    cards = make_column(company.rep1, sales.proposal, 3)
    Deal.objects.filter(pk=cards[1].pk).update(is_stalled=True, stalled_since=timezone.now())
    Pipeline.objects.update(forecast_dirty_since=None)
    before = timezone.now()

    deal_mark_won(user=company.rep1, deal=cards[1], version=1)

    won = reload(cards[1])
    assert (won.status, won.position, won.version, won.is_stalled) == ("won", None, 2, False)
    assert won.closed_at >= before
    assert column(sales.proposal) == [cards[0].pk, cards[2].pk]
    assert_dense(sales.proposal)
    event = DealEvent.objects.get(deal=won, kind=DealEvent.Kind.WON)
    assert (event.user, event.data) == (company.rep1, {"stage": "Proposal"})
    assert won.pipeline.forecast_dirty_since is not None


@pytest.mark.parametrize("close", ["won", "lost"])
def test_closing_from_a_copy_read_before_a_move_closes_the_deal_where_it_really_is(
    company, sales, deal, lost_reason, close
):
    # Bulk actions send no version; the deal may have moved since the list was read.
    read_earlier = reload(deal)
    others = make_column(company.rep1, sales.meeting, 2)
    deal_move(user=company.rep1, deal=deal, stage=sales.meeting, version=deal.version, position=1)

    if close == "won":
        deal_mark_won(user=company.manager, deal=read_earlier, version=None)
    else:
        deal_mark_lost(user=company.manager, deal=read_earlier, version=None, reason=lost_reason)

    assert column(sales.meeting) == [others[0].pk, others[1].pk]
    assert_dense(sales.meeting)
    event = DealEvent.objects.get(deal=deal, kind=close)
    assert event.data["stage"] == "Meeting/Demo"


def test_won_refused_when_exit_item_of_current_stage_missing(company, sales, deal):
    item = make_item(sales.qualification, EXIT, text="Budget confirmed")
    before = snapshot(deal)

    with pytest.raises(ChecklistIncomplete) as refused:
        deal_mark_won(user=company.rep1, deal=deal, version=deal.version)

    assert refused.value.missing == [item]
    assert snapshot(deal) == before
    refusal = MoveRefusal.objects.get()
    assert (refusal.from_stage, refusal.to_stage) == (sales.qualification, sales.qualification)
    assert list(refusal.missing_items.all()) == [item]


def test_won_needs_no_entry_items_and_nothing_of_later_stages(company, sales, deal):
    make_item(sales.qualification, ENTRY, text="Lead qualified")
    make_item(sales.contract, EXIT, text="Contract signed")
    make_item(sales.qualification, EXIT, text="Optional", is_required=False)

    deal_mark_won(user=company.rep1, deal=deal, version=deal.version)

    assert reload(deal).status == Deal.Status.WON


@pytest.mark.parametrize("persona", ["manager", "admin"])
def test_manager_or_admin_overrides_missing_items_to_mark_won(company, sales, deal, persona):
    item = make_item(sales.qualification, EXIT, text="Budget confirmed")

    deal_mark_won(
        user=getattr(company, persona),
        deal=deal,
        version=deal.version,
        override_reason="Signed early",
    )

    assert reload(deal).status == Deal.Status.WON
    event = DealEvent.objects.get(deal=deal, kind=DealEvent.Kind.WON)
    assert event.data["override_reason"] == "Signed early"
    assert event.data["overridden_items"] == [item.text]


@pytest.mark.parametrize(
    ("persona", "reason", "refusal"),
    [
        ("rep1", "Please", Forbidden),  # the owner, but a rep
        ("manager2", "Please", Forbidden),  # a manager of another team
        ("manager", "  ", ChecklistIncomplete),  # no written reason, no override
    ],
)
def test_won_override_needs_the_owners_manager_or_admin_and_a_reason(
    company, sales, deal, persona, reason, refusal
):
    make_item(sales.qualification, EXIT, text="Budget confirmed")

    with pytest.raises(refusal):
        deal_mark_won(
            user=getattr(company, persona),
            deal=deal,
            version=deal.version,
            override_reason=reason,
        )

    assert reload(deal).status == Deal.Status.OPEN


def test_won_with_stale_version_is_a_conflict(company, deal):
    deal_mark_won(user=company.rep1, deal=deal, version=deal.version)

    with pytest.raises(VersionConflict):
        deal_mark_won(user=company.rep1, deal=deal, version=deal.version)

    assert DealEvent.objects.filter(deal=deal, kind=DealEvent.Kind.WON).count() == 1


def test_teammate_who_can_only_see_the_deal_cannot_close_it(company, sales, lost_reason):
    deal = make_deal(company.rep2, sales.pipeline, sales.qualification)

    with pytest.raises(Forbidden):
        deal_mark_won(user=company.rep1, deal=deal, version=deal.version)
    with pytest.raises(Forbidden):
        deal_mark_lost(user=company.rep1, deal=deal, version=deal.version, reason=lost_reason)

    assert reload(deal).status == Deal.Status.OPEN


def test_lost_deal_records_its_reason_and_leaves_the_board(company, sales, lost_reason):
    cards = make_column(company.rep1, sales.qualification, 3)
    make_item(sales.qualification, EXIT, text="Budget confirmed")  # lost needs no checklist

    deal_mark_lost(
        user=company.rep1, deal=cards[0], version=1, reason=lost_reason, note="Too expensive"
    )

    lost = reload(cards[0])
    assert (lost.status, lost.position, lost.lost_reason, lost.lost_note) == (
        "lost",
        None,
        lost_reason,
        "Too expensive",
    )
    assert lost.closed_at is not None
    assert lost.version == 2
    assert column(sales.qualification) == [cards[1].pk, cards[2].pk]
    assert_dense(sales.qualification)
    event = DealEvent.objects.get(deal=lost, kind=DealEvent.Kind.LOST)
    assert event.data == {"stage": "Qualification", "reason": "Price", "note": "Too expensive"}


def test_lost_needs_a_reason(company, deal):
    with pytest.raises(InvalidRequest) as refused:
        deal_mark_lost(user=company.rep1, deal=deal, version=deal.version, reason=None)

    assert refused.value.details == {"field": "reason"}
    assert reload(deal).status == Deal.Status.OPEN


def test_lost_refuses_a_reason_no_longer_offered(company, deal):
    retired = LostReason.objects.create(name="Old reason", is_active=False)

    with pytest.raises(InvalidRequest):
        deal_mark_lost(user=company.rep1, deal=deal, version=deal.version, reason=retired)

    assert reload(deal).status == Deal.Status.OPEN


def test_closing_a_closed_deal_is_refused(company, deal, lost_reason):
    deal = deal_mark_won(user=company.rep1, deal=deal, version=deal.version)

    with pytest.raises(InvalidRequest):
        deal_mark_lost(user=company.rep1, deal=deal, version=deal.version, reason=lost_reason)
    with pytest.raises(InvalidRequest):
        deal_mark_won(user=company.rep1, deal=deal, version=deal.version)

    assert reload(deal).status == Deal.Status.WON


# --- reopen (rule 10) ------------------------------------------------------------------


def test_reopen_returns_the_deal_open_to_the_top_of_its_last_stage(company, sales, lost_reason):
    cards = make_column(company.rep1, sales.meeting, 3)
    make_item(sales.meeting, ENTRY, text="Meeting booked")  # no checklist applies
    lost = deal_mark_lost(user=company.rep1, deal=cards[1], version=1, reason=lost_reason)
    # Five days in the stage, then closed for two: only the five count as time in stage.
    now = timezone.now()
    Deal.objects.filter(pk=lost.pk).update(
        stage_entered_at=now - datetime.timedelta(days=7),
        closed_at=now - datetime.timedelta(days=2),
    )
    before = timezone.now()

    deal_reopen(user=company.rep1, deal=lost, version=lost.version)

    reopened = reload(lost)
    assert (reopened.status, reopened.stage, reopened.position) == ("open", sales.meeting, 0)
    assert (reopened.closed_at, reopened.lost_reason, reopened.lost_note) == (None, None, "")
    assert reopened.stage_entered_at >= before
    assert reopened.version == lost.version + 1
    assert column(sales.meeting) == [cards[1].pk, cards[0].pk, cards[2].pk]
    assert_dense(sales.meeting)
    change = StageChange.objects.filter(deal=reopened).latest("changed_at", "id")
    assert (change.from_stage, change.to_stage, change.user) == (
        sales.meeting,
        sales.meeting,
        company.rep1,
    )
    assert change.time_in_from_stage == datetime.timedelta(days=5)
    event = DealEvent.objects.get(deal=reopened, kind=DealEvent.Kind.REOPENED)
    assert event.data == {"stage": "Meeting/Demo", "was": "lost"}


@pytest.mark.parametrize("persona", ["rep1", "manager", "admin"])
def test_owner_their_manager_or_admin_reopen(company, deal, persona):
    won = deal_mark_won(user=company.rep1, deal=deal, version=deal.version)

    deal_reopen(user=getattr(company, persona), deal=won, version=won.version)

    assert reload(deal).status == Deal.Status.OPEN


@pytest.mark.parametrize("persona", ["rep2", "manager2"])
def test_others_cannot_reopen(company, deal, persona):
    won = deal_mark_won(user=company.rep1, deal=deal, version=deal.version)

    with pytest.raises(Forbidden):
        deal_reopen(user=getattr(company, persona), deal=won, version=won.version)

    assert reload(deal).status == Deal.Status.WON


def test_reopen_into_first_active_stage_when_last_stage_was_archived(company, sales):
    deal = make_deal(company.rep1, sales.pipeline, sales.proposal)
    waiting = make_column(company.rep1, sales.qualification, 2)
    won = deal_mark_won(user=company.rep1, deal=deal, version=deal.version)
    Stage.objects.filter(pk__in=[sales.proposal.pk, sales.prospecting.pk]).update(is_archived=True)

    deal_reopen(user=company.rep1, deal=won, version=won.version)

    reopened = reload(deal)
    assert (reopened.status, reopened.stage, reopened.position) == (
        "open",
        sales.qualification,
        0,
    )
    assert column(sales.qualification) == [deal.pk, waiting[0].pk, waiting[1].pk]
    assert_dense(sales.qualification)


def test_reopen_of_an_open_deal_is_refused(company, deal):
    with pytest.raises(InvalidRequest):
        deal_reopen(user=company.rep1, deal=deal, version=deal.version)

    assert reload(deal).version == deal.version


def test_reopen_with_stale_version_is_a_conflict(company, deal):
    won = deal_mark_won(user=company.rep1, deal=deal, version=deal.version)
    deal_reopen(user=company.rep1, deal=won, version=won.version)
    deal_mark_won(user=company.rep1, deal=won, version=won.version + 1)

    with pytest.raises(VersionConflict):
        deal_reopen(user=company.rep1, deal=won, version=won.version)

    assert reload(deal).status == Deal.Status.WON


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
    company, django_assert_max_num_queries
):
    # Expected, for the owner moving forward with satisfied checklist items:
    #  1. SAVEPOINT (the move's transaction, nested in the test's)
    #  2. lock both stages (FOR UPDATE), with their pipeline
    #  3. lock the deal (FOR UPDATE) and count the target column's open cards
    #  4. the required exit/entry items with their state (ticks, activities) in one query
    #  5. UPDATE the cards that close the gap and make room (one statement, both columns)
    #  6. UPDATE the deal
    #  7. INSERT the stage change
    #  8. INSERT the "moved" event
    #  9. UPDATE the pipeline's forecast_dirty_since
    # 10. RELEASE SAVEPOINT
    counts = []
    for n in (10, 200):
        deal = forward_move_scene(company.rep1, n)
        target = Stage.objects.get(pipeline=deal.pipeline, name="Next")
        with django_assert_max_num_queries(10) as captured:
            deal_move(user=company.rep1, deal=deal, stage=target, version=deal.version, position=n)
        assert reload(deal).stage == target
        assert_dense(target)
        counts.append(len(captured))

    assert counts[0] == counts[1]


# --- concurrency on PostgreSQL: real threads, real commits -----------------------------


def run_together(*calls):
    """Run each call in its own thread, started at the same moment; return results."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(timeout=10)
            results[index] = call()
        except Exception as error:  # the test inspects what each thread got
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


@pytest.mark.django_db(transaction=True)
def test_two_moves_into_the_same_column_at_once_both_land_and_positions_stay_dense(company, sales):
    first = make_column(company.rep1, sales.qualification, 3)
    second = make_column(company.rep1, sales.prospecting, 3)
    target = make_column(company.rep1, sales.meeting, 4)

    results = run_together(
        lambda: deal_move(user=company.rep1, deal=first[1], stage=sales.meeting, version=1),
        lambda: deal_move(
            user=company.rep1, deal=second[0], stage=sales.meeting, version=1, position=2
        ),
    )

    assert all(not isinstance(result, Exception) for result in results), results
    assert set(column(sales.meeting)) == {first[1].pk, second[0].pk} | {d.pk for d in target}
    for stage in (sales.meeting, sales.qualification, sales.prospecting):
        assert_dense(stage)


@pytest.mark.django_db(transaction=True)
def test_the_same_move_from_two_clients_at_once_is_applied_once(company, sales, deal):
    results = run_together(
        lambda: deal_move(user=company.rep1, deal=deal, stage=sales.meeting, version=1),
        lambda: deal_move(user=company.manager, deal=deal, stage=sales.meeting, version=1),
    )

    conflicts = [result for result in results if isinstance(result, VersionConflict)]
    assert len(conflicts) == 1, results
    assert conflicts[0].current_version == 2
    assert reload(deal).version == 2
    assert StageChange.objects.filter(deal=deal, from_stage__isnull=False).count() == 1
    assert_dense(sales.meeting)
    assert_dense(sales.qualification)


def wait_for_a_lock_wait(timeout: float = 10) -> None:
    """Return once another session of the test database waits on a row lock."""
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return
            time.sleep(0.01)
    raise AssertionError("no session ever waited for the lock")


@pytest.mark.django_db(transaction=True)
def test_a_move_waiting_for_a_column_sees_the_column_as_it_is_after_the_wait(company, sales):
    # A card leaves Meeting/Demo while another move into Meeting/Demo waits for the column:
    # the waiting move must check its index against the column it will really land in.
    leaving = make_column(company.rep1, sales.meeting, 3)
    arriving = make_deal(company.rep1, sales.pipeline, sales.qualification)
    left, holding = threading.Event(), threading.Event()

    def leave():
        with transaction.atomic():
            deal_move(user=company.rep1, deal=leaving[0], stage=sales.proposal, version=1)
            left.set()
            holding.wait(timeout=10)

    def arrive():
        left.wait(timeout=10)
        # The client saw three cards, so index 3 was the end of the column.
        return deal_move(
            user=company.rep1, deal=arriving, stage=sales.meeting, version=1, position=3
        )

    mover = threading.Thread(target=lambda: run_together(leave))
    mover.start()
    left.wait(timeout=10)
    waiting: list = []
    arriver = threading.Thread(target=lambda: waiting.extend(run_together(arrive)))
    arriver.start()
    wait_for_a_lock_wait()
    holding.set()
    mover.join(timeout=30)
    arriver.join(timeout=30)

    assert isinstance(waiting[0], InvalidRequest), waiting
    assert reload(arriving).stage == sales.qualification
    assert_dense(sales.meeting)
