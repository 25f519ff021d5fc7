"""Admin writes on stages (docs/domain/admin-pages.md): each one transaction with its audit entry.

Removing a stage moves its open deals through deal_move, so it lives with the deals:
deals/services/stage_removal.py::stage_remove, which calls stage_archive / stage_delete here.
"""

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, ProtectedError
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.services import audit_changes, audit_record, ensure_admin
from pipelinecrm.exceptions import InvalidRequest
from pipelines.models import Pipeline, Stage
from pipelines.services.checklist_items import checklist_item_history
from pipelines.services.forecast_marker import pipeline_mark_forecast_dirty
from pipelines.services.locks import pipeline_structure_lock
from pipelines.services.positions import (
    active_stage_ids,
    placed_at,
    renumber,
    swapped_with_neighbour,
)

STAGE_FIELDS = ("name", "probability", "stall_threshold_days", "guidance")
# The case-insensitive unique name constraint; its message is the one the admin reads.
STAGE_NAME_TAKEN = next(
    c.violation_error_message
    for c in Stage._meta.constraints
    if c.name == "stage_name_unique_per_pipeline"
)


def _renumber_stages(*, pipeline_id: int, active_ids: list[int]) -> None:
    renumber(Stage.objects.filter(pipeline_id=pipeline_id), active_ids)


def _save_stage(stage: Stage) -> None:
    """Validate (fields and constraints, so the user reads the constraint's message) and
    save; a concurrent insert of the same name still ends as that message, not a 500."""
    stage.name = stage.name.strip()
    stage.guidance = stage.guidance.strip()
    if not stage.name:
        raise ValidationError({"name": _("A stage needs a name.")})
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
        raise InvalidRequest(_("This stage is archived and can no longer be edited."))
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
        raise InvalidRequest(_("The stages changed meanwhile; the list has been refreshed."))
    _reorder(actor=actor, pipeline=pipeline, old=current, new=list(stage_ids))


@transaction.atomic
def stage_shift(*, actor: User, stage: Stage, offset: int) -> None:
    """Move a stage one place up (-1) or down (+1): the designer's keyboard reorder."""
    ensure_admin(actor)
    pipeline = pipeline_structure_lock(pipeline_id=stage.pipeline_id)
    current = active_stage_ids(pipeline_id=pipeline.pk)
    new, _from, _to = swapped_with_neighbour(
        current,
        stage.pk,
        offset,
        archived=_("This stage is archived."),
        at_end=_("The stage cannot move further that way."),
    )
    _reorder(actor=actor, pipeline=pipeline, old=current, new=new)


@transaction.atomic
def stage_place(*, actor: User, stage: Stage, position: int) -> None:
    """Put a stage at index ``position`` (0-based) among its pipeline's active stages:
    the API's reorder, one stage at a time."""
    ensure_admin(actor)
    pipeline = pipeline_structure_lock(pipeline_id=stage.pipeline_id)
    current = active_stage_ids(pipeline_id=pipeline.pk)
    new = placed_at(current, stage.pk, position, archived=_("This stage is archived."))
    _reorder(actor=actor, pipeline=pipeline, old=current, new=new)


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
        raise InvalidRequest(_("This stage is already archived."))
    if stage.deals.filter(status="open").exists():
        raise InvalidRequest(_("Move the open deals of this stage to another stage first."))
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
        raise InvalidRequest(_("Deals have used this stage's checklist; archive it instead."))
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
        raise InvalidRequest(
            _("Deals' history refers to this stage; archive it instead.")
        ) from None
    _renumber_stages(pipeline_id=pipeline.pk, active_ids=remaining)
