"""Reads shaped for the deal page, and whom a deal may be handed to.

Each function costs a fixed number of queries, whatever the number of rows behind it.
"""

from dataclasses import dataclass, field

from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import Role, User
from accounts.selectors import active_users, managed_user_ids
from deals.access import can_edit, can_override
from deals.checklist_rules import items_with_state
from deals.models import Activity, Deal, LostReason
from deals.selectors.custom_values import ShownValue, deal_fields, shown_values, user_names
from deals.timeline import deal_timeline
from pipelines.models import ChecklistItem, CustomField, Stage

# -- who may receive a deal ---------------------------------------------------------------


def reassign_choices(user: User) -> QuerySet[User] | None:
    """Users ``user`` may hand deals to, or None for reps, who cannot
    (docs/domain/roles-and-visibility.md).

    Managers give to members of the teams they manage, admins to any active user; whether
    a particular deal may be given is still decided by ``can_reassign_to``.
    """
    users = active_users()
    if user.role == Role.ADMIN:
        return users
    if user.role == Role.MANAGER:
        return users.filter(pk__in=managed_user_ids(user=user))
    return None


# -- the deal page ------------------------------------------------------------------------

DEAL_PAGE_QUERYSET = Deal.objects.select_related(
    "pipeline", "stage", "owner", "organization", "person", "lost_reason"
)


@dataclass
class DealPage:
    deal: Deal
    stages: list[Stage]
    next_stage: Stage | None
    entry_items: list[ChecklistItem]
    exit_items: list[ChecklistItem]
    next_entry_items: list[ChecklistItem]
    open_activities: list[Activity]
    done_activities: list[Activity]
    timeline: list
    editable: bool
    overridable: bool
    owner_choices: QuerySet[User] | None
    lost_reasons: list[LostReason] = field(default_factory=list)
    # The pipeline's active custom fields (the edit form's inputs) and, for those who may
    # not edit, their values as text (docs/domain/custom-fields.md).
    custom_fields: list[CustomField] = field(default_factory=list)
    custom_values: list[ShownValue] = field(default_factory=list)


def deal_page(*, user: User, deal: Deal) -> DealPage:
    """Everything the deal page shows; a constant number of queries."""
    editable = can_edit(user, deal)
    stages = list(
        Stage.objects.filter(pipeline_id=deal.pipeline_id, is_archived=False).order_by(
            "position", "id"
        )
    )
    next_stage = next((s for s in stages if s.position > deal.stage.position), None)
    scope = Q(stage_id=deal.stage_id)
    if next_stage is not None:
        scope |= Q(stage=next_stage, kind=ChecklistItem.Kind.ENTRY)
    items = items_with_state(
        deal=deal,
        items=ChecklistItem.objects.filter(scope, is_archived=False).order_by(
            "stage__position", "kind", "position", "id"
        ),
    )
    entry_items = [i for i in items if i.stage_id == deal.stage_id and i.kind == "entry"]
    exit_items = [i for i in items if i.stage_id == deal.stage_id and i.kind == "exit"]
    next_entry_items = [i for i in items if i.stage_id != deal.stage_id]
    now = timezone.now()
    activities = list(Activity.objects.filter(deal=deal).select_related("owner"))
    for activity in activities:
        activity.is_overdue = (
            activity.done_at is None and activity.due_at is not None and activity.due_at < now
        )
    open_activities = sorted(
        (a for a in activities if a.done_at is None),
        key=lambda a: (a.due_at is None, a.due_at or now, a.pk),
    )
    done_activities = sorted(
        (a for a in activities if a.done_at is not None), key=lambda a: a.done_at, reverse=True
    )
    owner_choices = reassign_choices(user) if editable else None
    every_field = deal_fields(deal.pipeline_id)
    custom_fields = [f for f in every_field if not f.is_archived]
    custom_values = []
    if not editable:
        names = user_names(custom_fields, [deal.custom_fields or {}])
        custom_values = shown_values(custom_fields, deal.custom_fields, names)
    return DealPage(
        deal=deal,
        stages=stages,
        next_stage=next_stage,
        entry_items=entry_items,
        exit_items=exit_items,
        next_entry_items=next_entry_items,
        open_activities=open_activities,
        done_activities=done_activities,
        timeline=deal_timeline(deal=deal, activities=activities, custom_fields=every_field),
        editable=editable,
        overridable=editable and can_override(user, deal),
        owner_choices=owner_choices,
        lost_reasons=list(LostReason.objects.filter(is_active=True)) if editable else [],
        custom_fields=custom_fields,
        custom_values=custom_values,
    )
