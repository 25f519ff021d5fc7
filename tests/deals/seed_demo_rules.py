"""The move rules replayed over seeded history, for the seed_demo tests."""

import datetime
import itertools
from collections import defaultdict

from django.utils import timezone

from deals.access import can_override
from deals.models import (
    Activity,
    ChecklistCheck,
    Deal,
    DealEvent,
    MoveRefusal,
    StageChange,
)
from pipelines.custom_fields import condition_holds
from pipelines.models import ChecklistItem, Pipeline, Stage

# -- The rules, replayed over the seeded history ---------------------------------------------


def _history(deals):
    """Stage changes (with overridden items) of ``deals`` by deal id, in time order."""
    changes = defaultdict(list)
    rows = (
        StageChange.objects.filter(deal__in=deals)
        .select_related("from_stage__pipeline", "to_stage", "user")
        .prefetch_related("overridden_items")
        .order_by("changed_at", "id")
    )
    for change in rows:
        changes[change.deal_id].append(change)
    return changes


def assert_stage_history_is_consistent(deals):
    history = _history(deals)
    now = timezone.now()
    year_ago = now - datetime.timedelta(days=366)
    for deal in deals.select_related("stage"):
        changes = history[deal.pk]
        assert changes, deal
        first, last = changes[0], changes[-1]
        assert first.from_stage is None
        assert first.time_in_from_stage is None
        assert deal.created_at == first.changed_at
        assert year_ago < first.changed_at < now
        assert last.to_stage_id == deal.stage_id
        assert deal.stage_entered_at == last.changed_at
        for previous, change in itertools.pairwise(changes):
            assert change.changed_at > previous.changed_at
            assert change.from_stage_id == previous.to_stage_id != change.to_stage_id
            assert change.time_in_from_stage == change.changed_at - previous.changed_at
            assert change.to_stage.pipeline_id == deal.pipeline_id


def _rule_checker(deals):
    """is_satisfied(deal, item, since, at): the item held at ``at`` (docs/domain/checklists.md)."""
    ticks = {
        (deal_id, item_id): checked_at
        for deal_id, item_id, checked_at in ChecklistCheck.objects.filter(
            deal__in=deals
        ).values_list("deal_id", "item_id", "checked_at")
    }
    done = defaultdict(list)
    for deal_id, kind, done_at in Activity.objects.filter(
        deal__in=deals, done_at__isnull=False
    ).values_list("deal_id", "kind", "done_at"):
        done[deal_id].append((kind, done_at))

    def is_satisfied(deal, item, since, at):
        if item.satisfied_by == ChecklistItem.SatisfiedBy.MANUAL:
            ticked = ticks.get((deal.pk, item.pk))
            return ticked is not None and ticked < at
        if item.satisfied_by == ChecklistItem.SatisfiedBy.FIELD:
            attribute = item.field_name + (
                "_id" if item.field_name in {"organization", "person"} else ""
            )
            return getattr(deal, attribute) is not None
        if item.satisfied_by == ChecklistItem.SatisfiedBy.CUSTOM_FIELD:
            # As field items: the value the deal holds now (the demo writes no later edit).
            stored = deal.custom_fields.get(item.custom_field.key)
            field = item.custom_field
            return condition_holds(field, item.condition, item.condition_value, stored)
        earliest = since if item.kind == ChecklistItem.Kind.EXIT else None
        return any(
            kind == item.activity_kind
            and done_at < at
            and (earliest is None or done_at >= earliest)
            for kind, done_at in done[deal.pk]
        )

    return is_satisfied


def _required_items():
    """(stage id, kind) → required items."""
    required = defaultdict(list)
    for item in ChecklistItem.objects.filter(is_required=True).select_related("custom_field"):
        required[item.stage_id, item.kind].append(item)
    return required


def _move_rule(required):
    """needs(from_stage, to_stage): the required items a move needed (to_stage None: won).

    Allowed pipelines: the exit items of the stage left and the entry items of the target
    (won: the exit items). Strict ones also the stages skipped: the exit items of every
    stage left behind, the entry items of every stage passed over; won: every later
    stage's exit items (docs/domain/moves.md).
    """
    stages = defaultdict(list)
    for stage in Stage.objects.filter(is_archived=False).order_by("position"):
        stages[stage.pipeline_id].append(stage)

    def needs(from_stage, to_stage):
        strict = from_stage.pipeline.forward_jumps == Pipeline.ForwardJumps.STRICT
        later = [s for s in stages[from_stage.pipeline_id] if s.position > from_stage.position]
        if to_stage is None:
            left_behind, entered = ([from_stage, *later] if strict else [from_stage]), []
        elif strict:
            left_behind = [from_stage, *(s for s in later if s.position < to_stage.position)]
            entered = [s for s in later if s.position <= to_stage.position]
        else:
            left_behind, entered = [from_stage], [to_stage]
        return [item for s in left_behind for item in required[s.pk, "exit"]] + [
            item for s in entered for item in required[s.pk, "entry"]
        ]

    return needs


def assert_moves_obey_checklists(deals):
    history = _history(deals)
    is_satisfied = _rule_checker(deals)
    needs = _move_rule(_required_items())
    for deal in deals.select_related("owner", "stage__pipeline"):
        changes = history[deal.pk]
        for previous, change in itertools.pairwise(changes):
            overridden = set(change.overridden_items.all())
            if change.to_stage.position < change.from_stage.position:
                assert not overridden  # a backward move needs nothing (docs/domain/moves.md)
                assert not change.override_reason
                continue
            needed = needs(change.from_stage, change.to_stage)
            missing = {
                item
                for item in needed
                if not is_satisfied(deal, item, previous.changed_at, change.changed_at)
            }
            assert missing == overridden, (deal, change)
            assert bool(change.override_reason) == bool(missing)
            if missing:
                assert can_override(change.user, deal)
        if deal.status == Deal.Status.WON:
            for item in needs(deal.stage, None):
                assert is_satisfied(deal, item, deal.stage_entered_at, deal.closed_at), deal


def assert_refusals_are_consistent(deals):
    history = _history(deals)
    is_satisfied = _rule_checker(deals)
    needs = _move_rule(_required_items())
    refusals = MoveRefusal.objects.filter(deal__in=deals).select_related(
        "deal", "from_stage__pipeline", "to_stage"
    )
    assert refusals.exists()
    for refusal in refusals.prefetch_related("missing_items"):
        deal = refusal.deal
        entered = [c for c in history[deal.pk] if c.changed_at < refusal.created_at][-1]
        assert entered.to_stage_id == refusal.from_stage_id  # refused from where it was
        assert refusal.to_stage.position > refusal.from_stage.position
        needed = needs(refusal.from_stage, refusal.to_stage)
        missing = set(refusal.missing_items.all())
        assert missing
        assert missing <= set(needed)
        for item in missing:
            assert not is_satisfied(deal, item, entered.changed_at, refusal.created_at)


def assert_last_activity_is_latest_done_activity(deals):
    latest = defaultdict(lambda: None)
    for deal_id, done_at in Activity.objects.filter(
        deal__in=deals, done_at__isnull=False
    ).values_list("deal_id", "done_at"):
        latest[deal_id] = max(filter(None, [latest[deal_id], done_at]))
    for deal in deals:
        assert deal.last_activity_at == latest[deal.pk], deal


def assert_events_match_history(deals):
    history = _history(deals)
    events = defaultdict(list)
    for event in DealEvent.objects.filter(deal__in=deals).order_by("created_at", "id"):
        events[event.deal_id].append(event)
    checks = defaultdict(int)
    for deal_id in ChecklistCheck.objects.filter(deal__in=deals).values_list("deal_id", flat=True):
        checks[deal_id] += 1
    logged = defaultdict(set)
    for deal_id, activity_id in Activity.objects.filter(
        deal__in=deals, done_at__isnull=False
    ).values_list("deal_id", "id"):
        logged[deal_id].add(activity_id)
    for deal in deals:
        timeline = events[deal.pk]
        kinds = [event.kind for event in timeline]
        assert kinds[0] == DealEvent.Kind.CREATED
        moves = [(e.data["from"], e.data["to"]) for e in timeline if e.kind == "moved"]
        changes = history[deal.pk][1:]
        assert moves == [(c.from_stage.name, c.to_stage.name) for c in changes]
        assert kinds.count(DealEvent.Kind.CHECKLIST_TICKED) == checks[deal.pk]
        activities = [e.data["activity"] for e in timeline if e.kind == "activity_logged"]
        assert sorted(activities) == sorted(logged[deal.pk])
        if deal.status == Deal.Status.OPEN:
            assert not {DealEvent.Kind.WON, DealEvent.Kind.LOST} & set(kinds)
        else:
            assert kinds[-1] == deal.status
            assert timeline[-1].created_at == deal.closed_at
        # Every event after "created" is a user write, and each write bumps the version.
        assert deal.version == len(timeline)
        assert deal.updated_at == timeline[-1].created_at
