"""Removing a stage in the designer (docs/domain/admin-pages.md).

Its open deals leave first, one by one through ``deal_move`` — the only code path that
moves a deal — as the admin, with an override reason naming the removal. Then the stage is
archived if history refers to it (kept for reports, hidden from board and designer) or
deleted if nothing does. One transaction: if any move is refused, nothing has changed.
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import User
from accounts.services import ensure_admin
from deals.models import Deal, MoveRefusal, StageChange
from deals.services.moves import deal_move
from pipelinecrm.exceptions import InvalidRequest
from pipelines.models import ChecklistItem, Stage
from pipelines.services import (
    active_stage_ids,
    checklist_item_history,
    pipeline_structure_lock,
    stage_archive,
    stage_delete,
)


@dataclass(frozen=True)
class StageRemoval:
    stage_name: str
    archived: bool
    deals_moved: int
    target: Stage | None


def stage_has_history(*, stage: Stage) -> bool:
    """Deals (closed ones included), stage changes, refused moves or uses of its checklist
    refer to the stage: it must be archived, not deleted."""
    return (
        Deal.objects.filter(stage=stage).exists()
        or StageChange.objects.filter(Q(from_stage=stage) | Q(to_stage=stage)).exists()
        or MoveRefusal.objects.filter(Q(from_stage=stage) | Q(to_stage=stage)).exists()
        or ChecklistItem.objects.filter(checklist_item_history(), stage=stage).exists()
    )


def removal_reason(stage: Stage) -> str:
    """The override reason the moved deals' stage changes carry."""
    return _("Stage '%(stage)s' removed by admin") % {"stage": stage.name}


@transaction.atomic
def stage_remove(*, actor: User, stage: Stage, target: Stage | None = None) -> StageRemoval:
    """Remove ``stage``; its open deals move to ``target`` (required when it has any).

    The last active stage of a pipeline that has deals cannot go: every deal needs a stage,
    and a closed one must be able to reopen somewhere.
    """
    ensure_admin(actor)
    pipeline = pipeline_structure_lock(pipeline_id=stage.pipeline_id)
    stage = Stage.objects.get(pk=stage.pk)
    if stage.is_archived:
        raise InvalidRequest(_("%(stage)s is already archived.") % {"stage": stage.name})
    if active_stage_ids(pipeline_id=pipeline.pk) == [stage.pk] and pipeline.deals.exists():
        raise InvalidRequest(
            _(
                "%(stage)s is the last stage of %(pipeline)s, which has deals. Add "
                "another stage first, or archive the pipeline."
            )
            % {"stage": stage.name, "pipeline": pipeline.name}
        )
    # Top-first placement, so the last card goes first: the column keeps its order.
    open_deals = list(
        Deal.objects.filter(stage=stage, status=Deal.Status.OPEN).order_by("-position", "-pk")
    )
    if open_deals:
        if target is None:
            raise ValidationError(
                {
                    "target": ngettext(
                        "%(stage)s holds %(count)s open deal: choose where it goes.",
                        "%(stage)s holds %(count)s open deals: choose where they go.",
                        len(open_deals),
                    )
                    % {"stage": stage.name, "count": len(open_deals)}
                }
            )
        if target.pk == stage.pk or target.pipeline_id != pipeline.pk or target.is_archived:
            raise ValidationError({"target": _("Choose another active stage of this pipeline.")})
        for deal in open_deals:
            deal_move(
                user=actor,
                deal=deal,
                stage=target,
                version=None,
                override_reason=removal_reason(stage),
            )
    facts = {"deals_moved": len(open_deals)}
    if open_deals:
        facts["moved_to"] = target.name
    archived = stage_has_history(stage=stage)
    if archived:
        stage_archive(actor=actor, stage=stage, changes=facts)
    else:
        stage_delete(actor=actor, stage=stage, changes=facts)
    return StageRemoval(
        stage_name=stage.name,
        archived=archived,
        deals_moved=len(open_deals),
        target=target if open_deals else None,
    )
