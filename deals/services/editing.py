"""Editing a deal's fields and reassigning it; every change is a timeline event."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from deals.access import can_reassign_to, ensure_can_edit
from deals.models import Deal, DealEvent
from deals.selectors.external_ids import external_id_taken
from deals.services.custom_values import custom_values_merge, custom_values_record
from deals.services.events import deal_event_record
from deals.services.versions import deal_bump_version
from pipelinecrm.celery import enqueue_after_commit
from pipelinecrm.exceptions import Forbidden
from pipelines.services import pipeline_mark_forecast_dirty

EDITABLE_FIELDS = {
    "title",
    "value",
    "expected_close_date",
    "organization",
    "person",
    "probability_override",
}
# Fields whose change moves the forecast.
FORECAST_FIELDS = {"value", "expected_close_date", "probability_override"}


def _display(value) -> str:
    return "" if value is None else str(value)


@transaction.atomic
def deal_update(
    *,
    user: User,
    deal: Deal,
    version: int | None,
    custom_fields: dict | None = None,
    custom_fields_pipeline_id: int | None = None,
    **fields,
) -> Deal:
    """Change some of EDITABLE_FIELDS and custom-field values (Python values by field key,
    None clears one); unchanged values write nothing. ``custom_fields_pipeline_id``: the
    pipeline whose fields the values may name, if not the deal's (the refused-move dialog
    fills in a field the target pipeline of a move needs, deals/services/completion.py)."""
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise ValidationError(
            _("These fields cannot be edited here: %(fields)s.")
            % {"fields": ", ".join(sorted(unknown))}
        )
    ensure_can_edit(user, deal)
    changed = {name: value for name, value in fields.items() if getattr(deal, name) != value}
    custom_changes = []
    if custom_fields:
        merged, custom_changes = custom_values_merge(
            pipeline_id=custom_fields_pipeline_id or deal.pipeline_id,
            current=deal.custom_fields,
            values=custom_fields,
        )
    if not changed and not custom_changes:
        return deal
    before = {name: getattr(deal, name) for name in changed}
    for name, value in changed.items():
        setattr(deal, name, value)
    # Validate what changed: the other fields were valid when saved, and the field
    # validators already state every check constraint an editable field takes part in
    # (value ≥ 0, probability 0–100), which PostgreSQL enforces besides. Re-checking the
    # whole row costs a dozen queries per edit, which a CSV import of updates multiplies.
    deal.full_clean(
        exclude=[field.name for field in Deal._meta.fields if field.name not in changed],
        validate_unique=False,
        validate_constraints=False,
    )
    if custom_changes:
        changed["custom_fields"] = merged
    deal = deal_bump_version(deal=deal, version=version, **changed)
    custom_values_record(deal=deal, user=user, changes=custom_changes)
    changed.pop("custom_fields", None)
    for name, value in changed.items():
        deal_event_record(
            deal=deal,
            kind=DealEvent.Kind.EDITED,
            user=user,
            data={"field": name, "old": _display(before[name]), "new": _display(value)},
        )
    if changed.keys() & FORECAST_FIELDS:
        pipeline_mark_forecast_dirty(pipeline_id=deal.pipeline_id)
    return deal


@transaction.atomic
def deal_reassign(*, user: User, deal: Deal, new_owner: User, version: int | None) -> Deal:
    if new_owner.pk == deal.owner_id:
        return deal
    if not can_reassign_to(user, deal, new_owner):
        raise Forbidden(
            _(
                "You cannot give this deal to that person: reps cannot reassign, managers "
                "reassign within the teams they manage."
            )
        )
    if deal.external_id and external_id_taken(owner=new_owner, external_id=deal.external_id):
        # External ids are unique per owner; whoever may reassign to new_owner may see
        # new_owner's deals, so naming the clash reveals nothing.
        raise ValidationError(
            {
                "owner": _(
                    "%(owner)s already has a deal with external id “%(external_id)s”; "
                    "change one of the two ids first."
                )
                % {"owner": new_owner.display_name, "external_id": deal.external_id}
            }
        )
    previous = deal.owner
    deal = deal_bump_version(deal=deal, version=version, owner=new_owner)
    deal_event_record(
        deal=deal,
        kind=DealEvent.Kind.REASSIGNED,
        user=user,
        data={"old": previous.username, "new": new_owner.username},
    )
    pipeline_mark_forecast_dirty(pipeline_id=deal.pipeline_id)
    # deals/tasks.py::notify_reassigned, under the name it had in forecasting.
    enqueue_after_commit("forecasting.tasks.notify_reassigned", deal.pk, new_owner.pk)
    return deal
