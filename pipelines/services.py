from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import (
    Case,
    Max,
    PositiveIntegerField,
    ProtectedError,
    Q,
    QuerySet,
    Value,
    When,
)
from django.utils import timezone

from accounts.models import User
from accounts.services import audit_changes, audit_record, ensure_admin, unique_name
from pipelinecrm.celery import enqueue_after_commit
from pipelinecrm.exceptions import InvalidRequest
from pipelines.models import ChecklistItem, Pipeline, Stage


def pipeline_mark_forecast_dirty(*, pipeline_id: int) -> None:
    """Ask for a forecast recompute; durable, inside the caller's transaction.

    Only a clean pipeline is written, so a burst of moves costs one UPDATE that matters,
    and only that one enqueues the (debounced) recompute; the marker is what makes the
    request durable, the message only makes it prompt.
    """
    marked = Pipeline.objects.filter(pk=pipeline_id, forecast_dirty_since__isnull=True).update(
        forecast_dirty_since=timezone.now()
    )
    if marked:
        enqueue_after_commit(
            "forecasting.tasks.recompute_dirty_forecasts",
            countdown=settings.FORECAST_DEBOUNCE_SECONDS,
        )


def stages_lock(*, stage_ids: list[int]) -> None:
    """Serialise position changes of these columns (locked in id order: no deadlocks)."""
    list(Stage.objects.select_for_update().filter(pk__in=stage_ids).order_by("pk").values("pk"))


# -- Admin: pipelines, stages and checklist items (PRODUCT.md §7) ------------------------
#
# Every function is one transaction that writes its audit entry. Removing a stage moves
# its open deals through deal_move, so it lives with the deals: deals/services/
# stage_removal.py::stage_remove, which calls stage_archive / stage_delete below.


def pipeline_structure_lock(*, pipeline_id: int) -> Pipeline:
    """Serialise changes to a pipeline's stages; returns the locked pipeline.

    The stage rows are locked in id order first, as deal_move and deal_create lock them,
    and the pipeline row last (a move only updates it after its stage locks): one order
    everywhere, so no deadlock. Holding the stage rows makes a concurrent move wait and
    then compare the new positions. The pipeline row also serialises adding the first
    stage of an empty pipeline.
    """
    list(
        Stage.objects.select_for_update()
        .filter(pipeline_id=pipeline_id)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return Pipeline.objects.select_for_update().get(pk=pipeline_id)


def _active_ids(siblings: QuerySet) -> list[int]:
    """The active rows of an ordered list (stages of a pipeline, items of a stage)."""
    return list(
        siblings.filter(is_archived=False).order_by("position", "pk").values_list("pk", flat=True)
    )


def _renumber(siblings: QuerySet, active_ids: list[int]) -> None:
    """Active rows 0..n-1 in the given order, archived ones after them, in one UPDATE.

    The position constraints are deferred, so a swap cannot collide with itself.
    """
    archived = siblings.filter(is_archived=True).exclude(pk__in=active_ids)
    order = [*active_ids, *archived.order_by("position", "pk").values_list("pk", flat=True)]
    if order:
        siblings.filter(pk__in=order).update(position=positions_case(order))


def active_stage_ids(*, pipeline_id: int) -> list[int]:
    return _active_ids(Stage.objects.filter(pipeline_id=pipeline_id))


def positions_case(order: list[int]) -> Case:
    """`position` = index in ``order`` for each listed primary key (one set-based UPDATE)."""
    return Case(
        *[When(pk=pk, then=Value(index)) for index, pk in enumerate(order)],
        output_field=PositiveIntegerField(),
    )


def _renumber_stages(*, pipeline_id: int, active_ids: list[int]) -> None:
    _renumber(Stage.objects.filter(pipeline_id=pipeline_id), active_ids)


def _clean_pipeline(pipeline: Pipeline) -> None:
    pipeline.name = unique_name(Pipeline, pipeline.name, noun="pipeline", exclude_pk=pipeline.pk)
    pipeline.full_clean(exclude=["forecast_dirty_since"])


@transaction.atomic
def pipeline_create(
    *,
    actor: User,
    name: str,
    description: str = "",
    visibility: str = Pipeline.Visibility.TEAM,
    forward_jumps: str = Pipeline.ForwardJumps.STRICT,
) -> Pipeline:
    ensure_admin(actor)
    pipeline = Pipeline(
        name=name,
        description=description.strip(),
        visibility=visibility,
        forward_jumps=forward_jumps,
    )
    _clean_pipeline(pipeline)
    pipeline.save()
    audit_record(
        actor=actor,
        target=pipeline,
        action="created",
        changes={"name": pipeline.name, "visibility": visibility, "forward_jumps": forward_jumps},
    )
    return pipeline


@transaction.atomic
def pipeline_update(
    *,
    actor: User,
    pipeline: Pipeline,
    name: str,
    description: str,
    visibility: str,
    forward_jumps: str,
) -> Pipeline:
    ensure_admin(actor)
    pipeline = Pipeline.objects.select_for_update().get(pk=pipeline.pk)
    after = {
        "name": name.strip(),
        "description": description.strip(),
        "visibility": visibility,
        "forward_jumps": forward_jumps,
    }
    changes = audit_changes({field: getattr(pipeline, field) for field in after}, after)
    if not changes:
        return pipeline
    for field, value in after.items():
        setattr(pipeline, field, value)
    _clean_pipeline(pipeline)
    pipeline.save(update_fields=list(after))
    audit_record(actor=actor, target=pipeline, action="edited", changes=changes)
    return pipeline


@transaction.atomic
def pipeline_set_active(*, actor: User, pipeline: Pipeline, active: bool) -> Pipeline:
    """Archive (hide from boards, keep everything) or restore a pipeline."""
    ensure_admin(actor)
    pipeline = Pipeline.objects.select_for_update().get(pk=pipeline.pk)
    if pipeline.is_active == active:
        raise InvalidRequest(f"{pipeline.name} is already {'active' if active else 'archived'}.")
    pipeline.is_active = active
    pipeline.save(update_fields=["is_active"])
    audit_record(
        actor=actor,
        target=pipeline,
        action="restored" if active else "archived",
        changes={"is_active": [not active, active]},
    )
    return pipeline


def _copy_name(name: str) -> str:
    candidate, number = f"{name} (copy)", 2
    while Pipeline.objects.filter(name__iexact=candidate).exists():
        candidate, number = f"{name} (copy {number})", number + 1
    return candidate[: Pipeline._meta.get_field("name").max_length]


@transaction.atomic
def pipeline_duplicate(*, actor: User, pipeline: Pipeline) -> Pipeline:
    """A new pipeline with the active stages and checklist items of ``pipeline``, no deals."""
    ensure_admin(actor)
    copy = Pipeline.objects.create(
        name=_copy_name(pipeline.name),
        description=pipeline.description,
        visibility=pipeline.visibility,
        forward_jumps=pipeline.forward_jumps,
    )
    stages = list(pipeline.stages.filter(is_archived=False).order_by("position", "pk"))
    new_stages = Stage.objects.bulk_create(
        Stage(
            pipeline=copy,
            name=stage.name,
            position=position,
            probability=stage.probability,
            stall_threshold_days=stage.stall_threshold_days,
            guidance=stage.guidance,
        )
        for position, stage in enumerate(stages)
    )
    stage_map = {old.pk: new for old, new in zip(stages, new_stages, strict=True)}
    items = ChecklistItem.objects.filter(stage__in=stages, is_archived=False).order_by(
        "stage", "kind", "position", "pk"
    )
    next_position: dict[tuple[int, str], int] = {}
    copies = []
    for item in items:
        key = (item.stage_id, item.kind)
        next_position[key] = next_position.get(key, -1) + 1
        copies.append(
            ChecklistItem(
                stage=stage_map[item.stage_id],
                kind=item.kind,
                text=item.text,
                position=next_position[key],
                is_required=item.is_required,
                satisfied_by=item.satisfied_by,
                field_name=item.field_name,
                activity_kind=item.activity_kind,
            )
        )
    ChecklistItem.objects.bulk_create(copies)
    audit_record(
        actor=actor,
        target=copy,
        action="created as a copy",
        changes={"copied_from": pipeline.name, "stages": len(stages), "items": len(copies)},
    )
    return copy


@transaction.atomic
def pipeline_delete(*, actor: User, pipeline: Pipeline) -> None:
    """Only a pipeline without deals and without history goes; otherwise archive it."""
    ensure_admin(actor)
    pipeline = pipeline_structure_lock(pipeline_id=pipeline.pk)
    deal_count = pipeline.deals.count()
    if deal_count:
        raise InvalidRequest(
            f"{pipeline.name} holds {deal_count} deal{'s' if deal_count != 1 else ''} and "
            "cannot be deleted. Archive it instead: it disappears from the boards and "
            "its history stays in the reports."
        )
    audit_record(actor=actor, target=pipeline, action="deleted", changes={"name": pipeline.name})
    try:
        with transaction.atomic():
            pipeline.delete()
    except ProtectedError:
        raise InvalidRequest(
            f"Deals that moved to other pipelines still refer to the stages of "
            f"{pipeline.name} in their history, so it cannot be deleted. Archive it instead."
        ) from None


# Stages -----------------------------------------------------------------------------------

STAGE_FIELDS = ("name", "probability", "stall_threshold_days", "guidance")
# The case-insensitive unique name constraint; its message is the one the admin reads.
STAGE_NAME_TAKEN = next(
    c.violation_error_message
    for c in Stage._meta.constraints
    if c.name == "stage_name_unique_per_pipeline"
)


def _save_stage(stage: Stage) -> None:
    """Validate (fields and constraints, so the user reads the constraint's message) and
    save; a concurrent insert of the same name still ends as that message, not a 500."""
    stage.name = stage.name.strip()
    stage.guidance = stage.guidance.strip()
    if not stage.name:
        raise ValidationError({"name": "A stage needs a name."})
    try:
        stage.full_clean(exclude=["position"])
    except ValidationError as error:
        # An expression constraint reports no field; this one is about the name.
        general = error.error_dict.pop(NON_FIELD_ERRORS, [])
        taken = [e for e in general if STAGE_NAME_TAKEN in e.messages]
        rest = [e for e in general if e not in taken]
        raise ValidationError(
            error.error_dict
            | ({"name": taken} if taken else {})
            | ({NON_FIELD_ERRORS: rest} if rest else {})
        ) from None
    try:
        with transaction.atomic():
            stage.save()
    except IntegrityError:
        raise ValidationError({"name": STAGE_NAME_TAKEN}) from None


@transaction.atomic
def stage_create(
    *,
    actor: User,
    pipeline: Pipeline,
    name: str,
    probability: int,
    stall_threshold_days: int | None = None,
    guidance: str = "",
) -> Stage:
    """Add a stage at the end of the pipeline."""
    ensure_admin(actor)
    pipeline = pipeline_structure_lock(pipeline_id=pipeline.pk)
    top = pipeline.stages.aggregate(top=Max("position"))["top"]
    stage = Stage(
        pipeline=pipeline,
        name=name,
        probability=probability,
        stall_threshold_days=stall_threshold_days,
        guidance=guidance,
        position=0 if top is None else top + 1,
    )
    active = active_stage_ids(pipeline_id=pipeline.pk)
    _save_stage(stage)
    _renumber_stages(pipeline_id=pipeline.pk, active_ids=[*active, stage.pk])
    audit_record(
        actor=actor,
        target=stage,
        action="created",
        changes={field: getattr(stage, field) for field in STAGE_FIELDS},
    )
    return stage


@transaction.atomic
def stage_update(
    *,
    actor: User,
    stage: Stage,
    name: str,
    probability: int,
    stall_threshold_days: int | None,
    guidance: str,
) -> Stage:
    """Edit a stage; the board and the next stall run use the new values at once."""
    ensure_admin(actor)
    stage = Stage.objects.select_for_update().select_related("pipeline").get(pk=stage.pk)
    if stage.is_archived:
        raise InvalidRequest("This stage is archived and can no longer be edited.")
    after = {
        "name": name.strip(),
        "probability": probability,
        "stall_threshold_days": stall_threshold_days,
        "guidance": guidance.strip(),
    }
    changes = audit_changes({field: getattr(stage, field) for field in STAGE_FIELDS}, after)
    if not changes:
        return stage
    for field, value in after.items():
        setattr(stage, field, value)
    _save_stage(stage)
    if "probability" in changes:
        pipeline_mark_forecast_dirty(pipeline_id=stage.pipeline_id)
    audit_record(actor=actor, target=stage, action="edited", changes=changes)
    return stage


def _reorder(*, actor: User, pipeline: Pipeline, old: list[int], new: list[int]) -> None:
    if new == old:
        return
    _renumber_stages(pipeline_id=pipeline.pk, active_ids=new)
    names = dict(Stage.objects.filter(pk__in=new).values_list("pk", "name"))
    audit_record(
        actor=actor,
        target=pipeline,
        action="stages reordered",
        changes={"order": [[names[pk] for pk in old], [names[pk] for pk in new]]},
    )


@transaction.atomic
def stages_reorder(*, actor: User, pipeline: Pipeline, stage_ids: list[int]) -> None:
    """Put the active stages in the order of ``stage_ids`` (the designer's drag).

    The list must name exactly the active stages: if someone added or removed one since
    the page was drawn, the order is refused rather than guessed.
    """
    ensure_admin(actor)
    pipeline = pipeline_structure_lock(pipeline_id=pipeline.pk)
    current = active_stage_ids(pipeline_id=pipeline.pk)
    if len(stage_ids) != len(set(stage_ids)) or set(stage_ids) != set(current):
        raise InvalidRequest("The stages changed meanwhile; the list has been refreshed.")
    _reorder(actor=actor, pipeline=pipeline, old=current, new=list(stage_ids))


@transaction.atomic
def stage_shift(*, actor: User, stage: Stage, offset: int) -> None:
    """Move a stage one place up (-1) or down (+1): the designer's keyboard reorder."""
    ensure_admin(actor)
    pipeline = pipeline_structure_lock(pipeline_id=stage.pipeline_id)
    current = active_stage_ids(pipeline_id=pipeline.pk)
    new, _, _ = swapped_with_neighbour(
        current,
        stage.pk,
        offset,
        archived="This stage is archived.",
        at_end="The stage cannot move further that way.",
    )
    _reorder(actor=actor, pipeline=pipeline, old=current, new=new)


@transaction.atomic
def stage_place(*, actor: User, stage: Stage, position: int) -> None:
    """Put a stage at index ``position`` (0-based) among its pipeline's active stages:
    the API's reorder, one stage at a time."""
    ensure_admin(actor)
    pipeline = pipeline_structure_lock(pipeline_id=stage.pipeline_id)
    current = active_stage_ids(pipeline_id=pipeline.pk)
    new = placed_at(current, stage.pk, position, archived="This stage is archived.")
    _reorder(actor=actor, pipeline=pipeline, old=current, new=new)


def placed_at(ids: list[int], pk: int, position: int, *, archived: str) -> list[int]:
    """``ids`` with ``pk`` moved to index ``position``; refused with ``archived`` when
    ``pk`` is not among them, and as a field error when the index is outside the list."""
    if pk not in ids:
        raise InvalidRequest(archived)
    if not 0 <= position < len(ids):
        raise InvalidRequest(
            f"Position {position} is outside this list (0–{len(ids) - 1}).", field="position"
        )
    rest = [other for other in ids if other != pk]
    return [*rest[:position], pk, *rest[position:]]


def swapped_with_neighbour(
    ids: list[int], pk: int, offset: int, *, archived: str, at_end: str
) -> tuple[list[int], int, int]:
    """``ids`` with ``pk`` swapped with its neighbour one place up (-1) or down (+1), and
    the two indexes; refused with ``archived`` or ``at_end``."""
    if pk not in ids:
        raise InvalidRequest(archived)
    index = ids.index(pk)
    target = index + offset
    if offset not in (-1, 1) or not 0 <= target < len(ids):
        raise InvalidRequest(at_end)
    new = list(ids)
    new[index], new[target] = new[target], new[index]
    return new, index, target


@transaction.atomic
def stage_archive(*, actor: User, stage: Stage, changes: dict | None = None) -> Stage:
    """Hide a stage from the board and the designer and keep it for reports.

    Its open deals must have left it (stage_remove moves them through deal_move); closed
    deals stay and, when reopened, go to the pipeline's first active stage (deal_reopen).
    """
    ensure_admin(actor)
    pipeline = pipeline_structure_lock(pipeline_id=stage.pipeline_id)
    stage = Stage.objects.get(pk=stage.pk)
    if stage.is_archived:
        raise InvalidRequest("This stage is already archived.")
    if stage.deals.filter(status="open").exists():
        raise InvalidRequest("Move the open deals of this stage to another stage first.")
    remaining = [pk for pk in active_stage_ids(pipeline_id=pipeline.pk) if pk != stage.pk]
    Stage.objects.filter(pk=stage.pk).update(is_archived=True)
    _renumber_stages(pipeline_id=pipeline.pk, active_ids=remaining)
    stage.is_archived = True
    audit_record(
        actor=actor,
        target=stage,
        action="archived",
        changes={"is_archived": [False, True], **(changes or {})},
    )
    return stage


@transaction.atomic
def stage_delete(*, actor: User, stage: Stage, changes: dict | None = None) -> None:
    """Delete a stage nothing refers to (stage_remove decides between this and archiving).

    Deals, stage changes and refusals protect a stage at the database; checks and
    overrides of its items would cascade silently, so they are refused here.
    """
    ensure_admin(actor)
    pipeline = pipeline_structure_lock(pipeline_id=stage.pipeline_id)
    stage = Stage.objects.get(pk=stage.pk)
    if stage.checklist_items.filter(checklist_item_history()).exists():
        raise InvalidRequest("Deals have used this stage's checklist; archive it instead.")
    remaining = [pk for pk in active_stage_ids(pipeline_id=pipeline.pk) if pk != stage.pk]
    audit_record(
        actor=actor,
        target=pipeline,
        action="stage deleted",
        changes={"stage": stage.name, **(changes or {})},
    )
    try:
        with transaction.atomic():
            stage.delete()
    except ProtectedError:
        raise InvalidRequest("Deals' history refers to this stage; archive it instead.") from None
    _renumber_stages(pipeline_id=pipeline.pk, active_ids=remaining)


# Checklist items --------------------------------------------------------------------------

ITEM_FIELDS = ("text", "is_required", "satisfied_by", "field_name", "activity_kind")


def checklist_item_history() -> Q:
    """Items that deals have used: ticked, blocking a move, or overridden (a Q over the
    reverse relations, so pipelines need not import deals)."""
    return Q(checks__isnull=False) | Q(refusals__isnull=False) | Q(overrides__isnull=False)


def _renumber_items(*, stage_id: int, kind: str, active_ids: list[int]) -> None:
    _renumber(ChecklistItem.objects.filter(stage_id=stage_id, kind=kind), active_ids)


def _active_item_ids(*, stage_id: int, kind: str) -> list[int]:
    return _active_ids(ChecklistItem.objects.filter(stage_id=stage_id, kind=kind))


def _locked_active_stage(stage_id: int) -> Stage:
    """Item changes hold their stage's row, as moves do while they read its checklist."""
    stage = Stage.objects.select_for_update().select_related("pipeline").get(pk=stage_id)
    if stage.is_archived:
        raise InvalidRequest("This stage is archived.")
    return stage


def _save_item(item: ChecklistItem) -> None:
    item.text = item.text.strip()
    if not item.text:
        raise ValidationError({"text": "Say what has to be done."})
    # A choice that does not apply is dropped rather than refused: switching an item from
    # "field" to "manual" should not first require clearing the field.
    if item.satisfied_by != ChecklistItem.SatisfiedBy.FIELD:
        item.field_name = ""
    if item.satisfied_by != ChecklistItem.SatisfiedBy.ACTIVITY:
        item.activity_kind = ""
    item.full_clean(exclude=["position"])
    item.save()


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
) -> ChecklistItem:
    """Add an item at the end of the stage's entry or exit list; the board enforces a
    required item from the next move on."""
    ensure_admin(actor)
    stage = _locked_active_stage(stage.pk)
    if kind not in ChecklistItem.Kind.values:
        raise ValidationError({"kind": "Choose entry or exit."})
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
    )
    active = _active_item_ids(stage_id=stage.pk, kind=kind)
    _save_item(item)
    _renumber_items(stage_id=stage.pk, kind=kind, active_ids=[*active, item.pk])
    audit_record(
        actor=actor,
        target=item,
        action="created",
        changes={"stage": stage.name, "kind": kind}
        | {field: getattr(item, field) for field in ITEM_FIELDS},
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
) -> ChecklistItem:
    ensure_admin(actor)
    _locked_active_stage(item.stage_id)
    item = ChecklistItem.objects.get(pk=item.pk)
    if item.is_archived:
        raise InvalidRequest("This checklist item is archived.")
    before = {field: getattr(item, field) for field in ITEM_FIELDS}
    item.text, item.is_required, item.satisfied_by = text, is_required, satisfied_by
    item.field_name, item.activity_kind = field_name, activity_kind
    _save_item(item)
    changes = audit_changes(before, {field: getattr(item, field) for field in ITEM_FIELDS})
    if changes:
        audit_record(actor=actor, target=item, action="edited", changes=changes)
    return item


@transaction.atomic
def checklist_item_shift(*, actor: User, item: ChecklistItem, offset: int) -> None:
    """Move an item one place up (-1) or down (+1) within its stage's entry or exit list."""
    ensure_admin(actor)
    _locked_active_stage(item.stage_id)
    new, index, target = swapped_with_neighbour(
        _active_item_ids(stage_id=item.stage_id, kind=item.kind),
        item.pk,
        offset,
        archived="This checklist item is archived.",
        at_end="The item cannot move further that way.",
    )
    _renumber_items(stage_id=item.stage_id, kind=item.kind, active_ids=new)
    audit_record(
        actor=actor, target=item, action="moved", changes={"position": [index + 1, target + 1]}
    )


@transaction.atomic
def checklist_item_place(*, actor: User, item: ChecklistItem, position: int) -> None:
    """Put an item at index ``position`` (0-based) of its stage's entry or exit list."""
    ensure_admin(actor)
    _locked_active_stage(item.stage_id)
    current = _active_item_ids(stage_id=item.stage_id, kind=item.kind)
    new = placed_at(current, item.pk, position, archived="This checklist item is archived.")
    if new == current:
        return
    _renumber_items(stage_id=item.stage_id, kind=item.kind, active_ids=new)
    audit_record(
        actor=actor,
        target=item,
        action="moved",
        changes={"position": [current.index(item.pk) + 1, position + 1]},
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
        raise InvalidRequest("This checklist item is already archived.")
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
