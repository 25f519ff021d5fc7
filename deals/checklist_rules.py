"""Checklist rules: which items a move needs and which are satisfied (reads only).

Selectors and services both ask here; the writes (ticking and unticking) live in
deals/services/checklist.py, so reads never import writes (docs/architecture-layers.md).

docs/domain/checklists.md: ``manual`` items are ticked by a person (and stay ticked when
the deal moves back and forth); ``field`` items hold while the named deal field is not
empty (0 counts); ``custom_field`` items while the deal's value of the custom field meets
the item's condition (docs/domain/custom-fields.md); ``activity`` items hold when a done
activity of the named kind exists —
for exit items done since the deal last entered the stage, for entry items at any time.
"""

import datetime

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from deals.models import Activity, ChecklistCheck, Deal
from pipelines.custom_fields import condition_holds, condition_sentence
from pipelines.models import ActivityKind, ChecklistItem, Pipeline, Stage

# What the deal page says of an automatic item: one sentence per field and activity kind,
# so that each language can write its own grammar (docs/i18n.md).
FIELD_FILLED = {
    ChecklistItem.Field.VALUE: _("Automatic: the value is filled in."),
    ChecklistItem.Field.EXPECTED_CLOSE_DATE: _("Automatic: the expected close date is filled in."),
    ChecklistItem.Field.ORGANIZATION: _("Automatic: the organization is filled in."),
    ChecklistItem.Field.PERSON: _("Automatic: the contact person is filled in."),
}
FIELD_MISSING = {
    ChecklistItem.Field.VALUE: _("Automatic: fill in the value under Details."),
    ChecklistItem.Field.EXPECTED_CLOSE_DATE: _(
        "Automatic: fill in the expected close date under Details."
    ),
    ChecklistItem.Field.ORGANIZATION: _("Automatic: fill in the organization under Details."),
    ChecklistItem.Field.PERSON: _("Automatic: fill in the contact person under Details."),
}
ACTIVITY_LOGGED = {
    ActivityKind.CALL: _("Automatic: a call is logged."),
    ActivityKind.MEETING: _("Automatic: a meeting is logged."),
    ActivityKind.EMAIL: _("Automatic: an email is logged."),
    ActivityKind.TASK: _("Automatic: a task is logged."),
    ActivityKind.NOTE: _("Automatic: a note is logged."),
}
ACTIVITY_MISSING = {
    ActivityKind.CALL: _("Automatic: log a call as done."),
    ActivityKind.MEETING: _("Automatic: log a meeting as done."),
    ActivityKind.EMAIL: _("Automatic: log an email as done."),
    ActivityKind.TASK: _("Automatic: log a task as done."),
    ActivityKind.NOTE: _("Automatic: log a note as done."),
}
ACTIVITY_MISSING_SINCE_ENTRY = {
    ActivityKind.CALL: _("Automatic: log a call as done (since the deal entered this stage)."),
    ActivityKind.MEETING: _(
        "Automatic: log a meeting as done (since the deal entered this stage)."
    ),
    ActivityKind.EMAIL: _("Automatic: log an email as done (since the deal entered this stage)."),
    ActivityKind.TASK: _("Automatic: log a task as done (since the deal entered this stage)."),
    ActivityKind.NOTE: _("Automatic: log a note as done (since the deal entered this stage)."),
}
# The checklist dialog of a refused move: "— log the call now".
LOG_NOW = {
    ActivityKind.CALL: _("log the call now"),
    ActivityKind.MEETING: _("log the meeting now"),
    ActivityKind.EMAIL: _("log the email now"),
    ActivityKind.TASK: _("log the task now"),
    ActivityKind.NOTE: _("log the note now"),
}


def automatic_hint(item: ChecklistItem) -> str:
    """How an automatic item (``is_satisfied`` set by ``items_with_state``) is satisfied,
    in the active language; empty for a manual item."""
    satisfied = getattr(item, "is_satisfied", False)
    if item.satisfied_by == ChecklistItem.SatisfiedBy.CUSTOM_FIELD:
        rule = custom_field_rule(item)
        if satisfied:
            return _("Automatic: %(rule)s.") % {"rule": rule}
        return _("Automatic: %(rule)s (fill it in under Details).") % {"rule": rule}
    if item.satisfied_by == ChecklistItem.SatisfiedBy.FIELD:
        texts = FIELD_FILLED if satisfied else FIELD_MISSING
        return str(texts.get(item.field_name, ""))
    if item.satisfied_by == ChecklistItem.SatisfiedBy.ACTIVITY:
        if satisfied:
            texts = ACTIVITY_LOGGED
        elif item.kind == ChecklistItem.Kind.EXIT:
            texts = ACTIVITY_MISSING_SINCE_ENTRY
        else:
            texts = ACTIVITY_MISSING
        return str(texts.get(item.activity_kind, ""))
    return ""


def custom_field_rule(item: ChecklistItem) -> str:
    """What a custom-field item asks, e.g. "Budget confirmed is yes"."""
    return condition_sentence(item.custom_field, item.condition, item.condition_value)


def log_now_hint(item: ChecklistItem) -> str:
    """What the checklist dialog asks for an activity item: log that kind of activity now."""
    return str(LOG_NOW.get(item.activity_kind, ""))


def field_is_filled(deal: Deal, field_name: str) -> bool:
    """A field item holds when the field is not empty; a value of 0 counts as filled."""
    attribute = f"{field_name}_id" if field_name in {"organization", "person"} else field_name
    return getattr(deal, attribute) is not None


def item_satisfied(
    item: ChecklistItem,
    deal: Deal,
    *,
    ticked: bool,
    last_done_at: datetime.datetime | None,
    now: datetime.datetime,
) -> bool:
    """Whether ``item`` holds for ``deal``, given whether it is ticked and when an activity
    of its kind was last done on the deal by ``now`` (the board's cards and the move share
    this). An activity done after ``now`` counts for nothing, even one stored before done
    times were checked (docs/hardening/gate-activities.md)."""
    if item.satisfied_by == ChecklistItem.SatisfiedBy.MANUAL:
        return ticked
    if item.satisfied_by == ChecklistItem.SatisfiedBy.FIELD:
        return field_is_filled(deal, item.field_name)
    if item.satisfied_by == ChecklistItem.SatisfiedBy.CUSTOM_FIELD:
        stored = (deal.custom_fields or {}).get(item.custom_field.key)
        return condition_holds(item.custom_field, item.condition, item.condition_value, stored)
    if last_done_at is None or last_done_at > now:
        return False
    return item.kind == ChecklistItem.Kind.ENTRY or last_done_at >= deal.stage_entered_at


def done_by(now: datetime.datetime) -> Q:
    """Activities done by ``now``: the only ones an ``activity`` item may count."""
    return Q(done_at__isnull=False, done_at__lte=now)


def done_activities(*, now: datetime.datetime) -> QuerySet[Activity]:
    return Activity.objects.filter(done_by(now))


def items_with_state(*, deal: Deal, items: QuerySet[ChecklistItem]) -> list[ChecklistItem]:
    """Evaluate ``items`` for ``deal`` in one query; each item gets ``is_satisfied``."""
    now = timezone.now()
    last_done = (
        done_activities(now=now)
        .filter(deal=deal, kind=OuterRef("activity_kind"))
        .order_by("-done_at")
        .values("done_at")[:1]
    )
    annotated = items.select_related("stage", "custom_field").annotate(
        is_ticked=Exists(ChecklistCheck.objects.filter(deal=deal, item=OuterRef("pk"))),
        last_done_at=Subquery(last_done),
    )
    result = []
    for item in annotated:
        item.is_satisfied = item_satisfied(
            item, deal, ticked=item.is_ticked, last_done_at=item.last_done_at, now=now
        )
        result.append(item)
    return result


def required_items(*, exit_of: Stage | None, entry_of: Stage | None) -> QuerySet[ChecklistItem]:
    """Required, active exit items of one stage and entry items of another."""
    condition = Q(pk__in=[])
    if exit_of is not None:
        condition |= Q(stage=exit_of, kind=ChecklistItem.Kind.EXIT)
    if entry_of is not None:
        condition |= Q(stage=entry_of, kind=ChecklistItem.Kind.ENTRY)
    return ChecklistItem.objects.filter(condition, is_required=True, is_archived=False).order_by(
        "stage__position", "kind", "position", "id"
    )


def move_required_items(
    *, from_stage: Stage, to_stage: Stage | None, forward_jumps: str
) -> QuerySet[ChecklistItem]:
    """The required items a move from ``from_stage`` to ``to_stage`` (None: won) needs, in
    pipeline order (docs/domain/moves.md; docs/hardening/forward-jumps.md).

    ``forward_jumps`` is the setting of the deal's pipeline. On a strict pipeline a jump
    needs the stages it skips too: the exit items of every stage it leaves behind and the
    entry items of every stage it passes over (won: the exit items of every later stage).
    """
    if to_stage is not None and to_stage.pipeline_id != from_stage.pipeline_id:
        return required_items(exit_of=None, entry_of=to_stage)
    if to_stage is not None and to_stage.position <= from_stage.position:
        return ChecklistItem.objects.none()  # a reorder or a backward move needs nothing
    if forward_jumps != Pipeline.ForwardJumps.STRICT:
        return required_items(exit_of=from_stage, entry_of=to_stage)
    # Archived stages are off the board: no deal passes through them.
    later = Q(
        stage__pipeline_id=from_stage.pipeline_id,
        stage__is_archived=False,
        stage__position__gt=from_stage.position,
    )
    if to_stage is None:
        passed_exits, passed_entries = later, Q(pk__in=[])
    else:
        passed_exits = later & Q(stage__position__lt=to_stage.position)
        passed_entries = later & Q(stage__position__lte=to_stage.position)
    condition = (
        Q(stage=from_stage, kind=ChecklistItem.Kind.EXIT)
        | (passed_exits & Q(kind=ChecklistItem.Kind.EXIT))
        | (passed_entries & Q(kind=ChecklistItem.Kind.ENTRY))
    )
    return ChecklistItem.objects.filter(condition, is_required=True, is_archived=False).order_by(
        "stage__position", "kind", "position", "id"
    )


def move_missing_items(
    *, deal: Deal, from_stage: Stage, to_stage: Stage | None, forward_jumps: str
) -> list[ChecklistItem]:
    """The required items of the move (see move_required_items) the deal lacks now."""
    items = move_required_items(
        from_stage=from_stage, to_stage=to_stage, forward_jumps=forward_jumps
    )
    return _unsatisfied(deal, items)


def _unsatisfied(deal: Deal, items: QuerySet[ChecklistItem]) -> list[ChecklistItem]:
    if items.query.is_empty():  # a reorder or a backward move: nothing to evaluate
        return []
    return [item for item in items_with_state(deal=deal, items=items) if not item.is_satisfied]
