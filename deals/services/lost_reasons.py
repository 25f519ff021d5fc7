"""The list of lost reasons admins maintain (docs/domain/admin-pages.md).

A reason deals refer to is deactivated, never deleted: it stays on those deals and in the
lost-reason report, and is no longer offered when marking a deal lost.
"""

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.services import audit_record, ensure_admin, unique_name
from deals.models import LostReason
from pipelinecrm.exceptions import InvalidRequest
from pipelines.services import positions_case, swapped_with_neighbour


def _locked_order() -> list[int]:
    """Lock every reason (id order) and return them in list order."""
    list(LostReason.objects.select_for_update().order_by("pk").values_list("pk", flat=True))
    return list(LostReason.objects.order_by("position", "name", "pk").values_list("pk", flat=True))


@transaction.atomic
def lost_reason_create(*, actor: User, name: str) -> LostReason:
    ensure_admin(actor)
    _locked_order()
    top = LostReason.objects.aggregate(top=Max("position"))["top"]
    reason = LostReason.objects.create(
        name=unique_name(LostReason, name, noun="lost reason"),
        position=0 if top is None else top + 1,
    )
    audit_record(actor=actor, target=reason, action="created", changes={"name": reason.name})
    return reason


@transaction.atomic
def lost_reason_rename(*, actor: User, reason: LostReason, name: str) -> LostReason:
    """Renaming changes the label on every deal lost for this reason, which is the point:
    fixing a typo or sharpening a label."""
    ensure_admin(actor)
    reason = LostReason.objects.select_for_update().get(pk=reason.pk)
    name = unique_name(LostReason, name, noun="lost reason", exclude_pk=reason.pk)
    if name == reason.name:
        return reason
    old, reason.name = reason.name, name
    reason.save(update_fields=["name"])
    audit_record(actor=actor, target=reason, action="renamed", changes={"name": [old, name]})
    return reason


@transaction.atomic
def lost_reason_shift(*, actor: User, reason: LostReason, offset: int) -> None:
    """One place up (-1) or down (+1); positions are renumbered densely in one UPDATE."""
    ensure_admin(actor)
    order, index, target = swapped_with_neighbour(
        _locked_order(),
        reason.pk,
        offset,
        archived=_("This lost reason no longer exists."),
        at_end=_("The reason cannot move further that way."),
    )
    LostReason.objects.filter(pk__in=order).update(position=positions_case(order))
    audit_record(
        actor=actor, target=reason, action="moved", changes={"position": [index + 1, target + 1]}
    )


@transaction.atomic
def lost_reason_set_active(*, actor: User, reason: LostReason, active: bool) -> LostReason:
    ensure_admin(actor)
    reason = LostReason.objects.select_for_update().get(pk=reason.pk)
    if reason.is_active == active:
        text = (
            _("“%(name)s” is already offered.")
            if active
            else _("“%(name)s” is already deactivated.")
        )
        raise InvalidRequest(text % {"name": reason.name})
    reason.is_active = active
    reason.save(update_fields=["is_active"])
    audit_record(
        actor=actor,
        target=reason,
        action="reactivated" if active else "deactivated",
        changes={"is_active": [not active, active]},
    )
    return reason
