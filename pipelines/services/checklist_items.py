"""Admin writes on checklist items (docs/domain/admin-pages.md): each one transaction with its audit
entry; an item deals have used is archived rather than deleted."""

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Q
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.services import audit_changes, audit_record, ensure_admin
from pipelinecrm.exceptions import InvalidRequest
from pipelines.custom_fields import ORDERED_TYPES, option_labels
from pipelines.models import ChecklistItem, CustomField, Stage
from pipelines.services.positions import (
    active_row_ids,
    placed_at,
    renumber,
    swapped_with_neighbour,
)

ITEM_FIELDS = (
    "text",
    "is_required",
    "satisfied_by",
    "field_name",
    "activity_kind",
    "custom_field",
    "condition",
    "condition_value",
)
Condition = ChecklistItem.Condition


def checklist_item_history() -> Q:
    """Items that deals have used: ticked, blocking a move, or overridden (a Q over the
    reverse relations, so pipelines need not import deals)."""
    return Q(checks__isnull=False) | Q(refusals__isnull=False) | Q(overrides__isnull=False)


def _renumber_items(*, stage_id: int, kind: str, active_ids: list[int]) -> None:
    renumber(ChecklistItem.objects.filter(stage_id=stage_id, kind=kind), active_ids)


def _active_item_ids(*, stage_id: int, kind: str) -> list[int]:
    return active_row_ids(ChecklistItem.objects.filter(stage_id=stage_id, kind=kind))


def _locked_active_stage(stage_id: int) -> Stage:
    """Item changes hold their stage's row, as moves do while they read its checklist."""
    stage = Stage.objects.select_for_update().select_related("pipeline").get(pk=stage_id)
    if stage.is_archived:
        raise InvalidRequest(_("This stage is archived."))
    return stage


def _audit_values(item: ChecklistItem) -> dict:
    """The item's settings as its audit entries show them (a custom field by its key)."""
    values = {field: getattr(item, field) for field in ITEM_FIELDS}
    values["custom_field"] = item.custom_field.key if item.custom_field_id else None
    return values


def _save_item(item: ChecklistItem, *, stage: Stage, kept_field_id: int | None = None) -> None:
    """Validate and save. ``kept_field_id``: the custom field the item named before this
    edit, which it may keep naming even if it has since been archived."""
    item.text = item.text.strip()
    if not item.text:
        raise ValidationError({"text": _("Say what has to be done.")})
    # A choice that does not apply is dropped rather than refused: switching an item from
    # "field" to "manual" should not first require clearing the field.
    if item.satisfied_by != ChecklistItem.SatisfiedBy.FIELD:
        item.field_name = ""
    if item.satisfied_by != ChecklistItem.SatisfiedBy.ACTIVITY:
        item.activity_kind = ""
    if item.satisfied_by == ChecklistItem.SatisfiedBy.CUSTOM_FIELD:
        _check_custom_field(item, stage=stage, kept_field_id=kept_field_id)
    else:
        item.custom_field, item.condition, item.condition_value = None, "", None
    item.full_clean(exclude=["position"])
    if item.custom_field_id:
        item.condition_value = _stored_operand(
            item.custom_field, item.condition, item.condition_value
        )
    item.save()


def _check_custom_field(item: ChecklistItem, *, stage: Stage, kept_field_id: int | None) -> None:
    """A custom-field item names an active field on this stage's deals, and a condition."""
    field = item.custom_field
    if field is None:
        raise ValidationError(
            {"custom_field": _("Choose the custom field that satisfies this item.")}
        )
    if field.pipeline_id not in (None, stage.pipeline_id):
        raise ValidationError(
            {"custom_field": _("Choose a field of this pipeline or one that is on every pipeline.")}
        )
    if field.is_archived and field.pk != kept_field_id:
        raise ValidationError(
            {"custom_field": _("“%(field)s” is archived.") % {"field": field.name}}
        )
    if not item.condition:
        raise ValidationError({"condition": _("Choose a condition.")})
    if item.condition in (Condition.FILLED, Condition.YES):
        item.condition_value = None


def _stored_operand(field: CustomField, condition: str, operand):
    """The operand as items store it (after ``ChecklistItem.clean`` accepted it): option
    keys in the field's order, a decimal as text, a date in ISO form."""
    if condition == Condition.ONE_OF:
        order = list(option_labels(field))
        return sorted(set(operand), key=order.index)
    if condition in (Condition.AT_LEAST, Condition.AT_MOST) and field.type in ORDERED_TYPES:
        if field.type == CustomField.Type.DATE:
            return datetime.date.fromisoformat(str(operand)).isoformat()
        return format(Decimal(str(operand)).normalize(), "f")
    return None


@transaction.atomic
def checklist_item_create(
    *,
    actor: User,
    stage: Stage,
    kind: str,
    text: str,
    is_required: bool = True,
    satisfied_by: str = ChecklistItem.SatisfiedBy.MANUAL,
    field_name: str = "",
    activity_kind: str = "",
    custom_field: CustomField | None = None,
    condition: str = "",
    condition_value=None,
) -> ChecklistItem:
    """Add an item at the end of the stage's entry or exit list; the board enforces a
    required item from the next move on. A custom-field item names the field, a
    condition and its operand (docs/domain/custom-fields.md)."""
    ensure_admin(actor)
    stage = _locked_active_stage(stage.pk)
    if kind not in ChecklistItem.Kind.values:
        raise ValidationError({"kind": _("Choose entry or exit.")})
    top = stage.checklist_items.filter(kind=kind).aggregate(top=Max("position"))["top"]
    item = ChecklistItem(
        stage=stage,
        kind=kind,
        text=text,
        position=0 if top is None else top + 1,
        is_required=is_required,
        satisfied_by=satisfied_by,
        field_name=field_name,
        activity_kind=activity_kind,
        custom_field=custom_field,
        condition=condition,
        condition_value=condition_value,
    )
    active = _active_item_ids(stage_id=stage.pk, kind=kind)
    _save_item(item, stage=stage)
    _renumber_items(stage_id=stage.pk, kind=kind, active_ids=[*active, item.pk])
    audit_record(
        actor=actor,
        target=item,
        action="created",
        changes={"stage": stage.name, "kind": kind} | _audit_values(item),
    )
    return item


@transaction.atomic
def checklist_item_update(
    *,
    actor: User,
    item: ChecklistItem,
    text: str,
    is_required: bool,
    satisfied_by: str,
    field_name: str = "",
    activity_kind: str = "",
    custom_field: CustomField | None = None,
    condition: str = "",
    condition_value=None,
) -> ChecklistItem:
    ensure_admin(actor)
    stage = _locked_active_stage(item.stage_id)
    item = ChecklistItem.objects.select_related("custom_field").get(pk=item.pk)
    if item.is_archived:
        raise InvalidRequest(_("This checklist item is archived."))
    before = _audit_values(item)
    kept_field_id = item.custom_field_id
    item.text, item.is_required, item.satisfied_by = text, is_required, satisfied_by
    item.field_name, item.activity_kind = field_name, activity_kind
    item.custom_field, item.condition, item.condition_value = (
        custom_field,
        condition,
        condition_value,
    )
    _save_item(item, stage=stage, kept_field_id=kept_field_id)
    changes = audit_changes(before, _audit_values(item))
    if changes:
        audit_record(actor=actor, target=item, action="edited", changes=changes)
    return item


@transaction.atomic
def checklist_item_shift(*, actor: User, item: ChecklistItem, offset: int) -> None:
    """Move an item one place up (-1) or down (+1) within its stage's entry or exit list."""
    ensure_admin(actor)
    _locked_active_stage(item.stage_id)
    current = _active_item_ids(stage_id=item.stage_id, kind=item.kind)
    new, _from, _to = swapped_with_neighbour(
        current,
        item.pk,
        offset,
        archived=_("This checklist item is archived."),
        at_end=_("The item cannot move further that way."),
    )
    _reorder_items(actor=actor, item=item, old=current, new=new)


@transaction.atomic
def checklist_item_place(*, actor: User, item: ChecklistItem, position: int) -> None:
    """Put an item at index ``position`` (0-based) of its stage's entry or exit list."""
    ensure_admin(actor)
    _locked_active_stage(item.stage_id)
    current = _active_item_ids(stage_id=item.stage_id, kind=item.kind)
    new = placed_at(current, item.pk, position, archived=_("This checklist item is archived."))
    _reorder_items(actor=actor, item=item, old=current, new=new)


def _reorder_items(*, actor: User, item: ChecklistItem, old: list[int], new: list[int]) -> None:
    """Renumber the item's list in the ``new`` order and audit where the item went."""
    if new == old:
        return
    _renumber_items(stage_id=item.stage_id, kind=item.kind, active_ids=new)
    audit_record(
        actor=actor,
        target=item,
        action="moved",
        changes={"position": [old.index(item.pk) + 1, new.index(item.pk) + 1]},
    )


@transaction.atomic
def checklist_item_remove(*, actor: User, item: ChecklistItem) -> str:
    """Delete an item no deal has used; archive one that checks, refused moves or
    overrides refer to (hidden and no longer enforced, kept for analytics).

    Returns ``"archived"`` or ``"deleted"``.
    """
    ensure_admin(actor)
    stage = _locked_active_stage(item.stage_id)
    item = ChecklistItem.objects.get(pk=item.pk)
    if item.is_archived:
        raise InvalidRequest(_("This checklist item is already archived."))
    remaining = [pk for pk in _active_item_ids(stage_id=stage.pk, kind=item.kind) if pk != item.pk]
    used = ChecklistItem.objects.filter(checklist_item_history(), pk=item.pk).exists()
    if used:
        ChecklistItem.objects.filter(pk=item.pk).update(is_archived=True)
        audit_record(
            actor=actor, target=item, action="archived", changes={"is_archived": [False, True]}
        )
    else:
        audit_record(
            actor=actor,
            target=stage,
            action="checklist item deleted",
            changes={"item": item.text, "kind": item.kind},
        )
        item.delete()
    _renumber_items(stage_id=stage.pk, kind=item.kind, active_ids=remaining)
    return "archived" if used else "deleted"
