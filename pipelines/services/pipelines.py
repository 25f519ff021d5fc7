"""Admin writes on pipelines (docs/domain/admin-pages.md): each one transaction with its
audit entry."""

from django.db import transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import User
from accounts.services import audit_changes, audit_record, ensure_admin, unique_name
from pipelinecrm.exceptions import InvalidRequest
from pipelines.models import ChecklistItem, Pipeline, Stage
from pipelines.services.custom_fields import custom_field_for_item, custom_fields_copy
from pipelines.services.locks import pipeline_structure_lock


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
        message = (
            _("%(pipeline)s is already active.")
            if active
            else _("%(pipeline)s is already archived.")
        )
        raise InvalidRequest(message % {"pipeline": pipeline.name})
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
    """The copy's name, in the language of the admin who made it (it is data from then on)."""
    candidate, number = _("%(name)s (copy)") % {"name": name}, 2
    while Pipeline.objects.filter(name__iexact=candidate).exists():
        candidate = _("%(name)s (copy %(number)s)") % {"name": name, "number": number}
        number += 1
    return candidate[: Pipeline._meta.get_field("name").max_length]


@transaction.atomic
def pipeline_duplicate(*, actor: User, pipeline: Pipeline) -> Pipeline:
    """A new pipeline with the active stages and checklist items of ``pipeline``, no deals.

    The pipeline's own custom fields are copied with it (fields for every pipeline are on
    the copy already), so that its custom-field items name a field of the copy."""
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
    items = list(
        ChecklistItem.objects.filter(stage__in=stages, is_archived=False).order_by(
            "stage", "kind", "position", "pk"
        )
    )
    fields = custom_fields_copy(
        actor=actor,
        source=pipeline,
        target=copy,
        also={item.custom_field_id for item in items if item.custom_field_id},
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
                custom_field_id=custom_field_for_item(item=item, copies=fields),
                condition=item.condition,
                condition_value=item.condition_value,
            )
        )
    ChecklistItem.objects.bulk_create(copies)
    audit_record(
        actor=actor,
        target=copy,
        action="created as a copy",
        changes={"copied_from": pipeline.name, "stages": len(stages), "items": len(copies)}
        | ({"custom_fields": len(fields)} if fields else {}),
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
            ngettext(
                "%(pipeline)s holds %(count)s deal and cannot be deleted. Archive it instead: "
                "it disappears from the boards and its history stays in the reports.",
                "%(pipeline)s holds %(count)s deals and cannot be deleted. Archive it instead: "
                "it disappears from the boards and its history stays in the reports.",
                deal_count,
            )
            % {"pipeline": pipeline.name, "count": deal_count}
        )
    audit_record(actor=actor, target=pipeline, action="deleted", changes={"name": pipeline.name})
    try:
        with transaction.atomic():
            pipeline.delete()
    except ProtectedError:
        raise InvalidRequest(
            _(
                "Deals that moved to other pipelines still refer to the stages of "
                "%(pipeline)s in their history, so it cannot be deleted. Archive it instead."
            )
            % {"pipeline": pipeline.name}
        ) from None
